"""The core's domain errors. Each dialect maps these onto its own status codes and bodies.

LngateError
 ├── InvalidRequest          bad argument (amount not a positive integer, unknown field value, ...)
 │    ├── InvalidAmount      amount missing, zero, negative, fractional or too large
 │    ├── AmountLimitExceeded  over the configured per-payment maximum
 │    └── IdempotencyConflict  same Idempotency-Key, different request
 ├── InvalidInvoice          not a BOLT11 string we can decode
 │    ├── WrongNetwork       BOLT11 for another network than the backend's
 │    ├── InvoiceExpired     past its expiry
 │    └── AmountlessInvoice  zero-amount invoice paid without an amount
 ├── InvalidDestination      keysend to a node we cannot route to
 ├── InsufficientBalance     wallet cannot cover amount (+ fee reserve)
 │    └── FeeReserveRequired covers the amount but not the fee reserve
 ├── AlreadyPaid             the invoice has been paid (or is being paid: PaymentInFlight)
 │    └── PaymentInFlight
 ├── InvoiceNotPayable       internal invoice cancelled / failed / unknown state
 ├── NotFound                wallet, user, payment
 ├── Forbidden               credential lacks the permission
 ├── HoldInvoiceError        hold invoices unsupported, wrong state
 ├── PaymentFailed           the network said no; the failed payment is attached
 └── BackendFailure          the node could not be reached or refused a request
"""
from __future__ import annotations

from typing import Any


class LngateError(Exception):
    code = "error"

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message or self.__class__.__name__
        self.details = details


class InvalidRequest(LngateError):
    code = "invalid_request"


class InvalidAmount(InvalidRequest):
    code = "invalid_amount"


class AmountLimitExceeded(InvalidRequest):
    code = "amount_limit_exceeded"


class IdempotencyConflict(InvalidRequest):
    code = "idempotency_conflict"


class InvalidInvoice(LngateError):
    code = "invalid_invoice"


class WrongNetwork(InvalidInvoice):
    code = "wrong_network"


class InvoiceExpired(InvalidInvoice):
    code = "invoice_expired"


class AmountlessInvoice(InvalidInvoice):
    code = "amountless_invoice"


class InvalidDestination(LngateError):
    code = "invalid_destination"


class InsufficientBalance(LngateError):
    code = "insufficient_balance"

    def __init__(self, message: str = "", *, balance_msat: int, needed_msat: int, **kw: Any):
        super().__init__(message or "insufficient balance", balance_msat=balance_msat,
                         needed_msat=needed_msat, **kw)
        self.balance_msat = balance_msat
        self.needed_msat = needed_msat


class FeeReserveRequired(InsufficientBalance):
    code = "fee_reserve_required"

    def __init__(self, *, balance_msat: int, needed_msat: int, reserve_msat: int):
        super().__init__("balance does not cover the fee reserve", balance_msat=balance_msat,
                         needed_msat=needed_msat, reserve_msat=reserve_msat)
        self.reserve_msat = reserve_msat


class AlreadyPaid(LngateError):
    code = "already_paid"


class PaymentInFlight(AlreadyPaid):
    code = "payment_in_flight"


class InvoiceNotPayable(LngateError):
    code = "invoice_not_payable"


class NotFound(LngateError):
    code = "not_found"


class Forbidden(LngateError):
    code = "forbidden"


class HoldInvoiceError(LngateError):
    code = "hold_invoice"


class PaymentFailed(LngateError):
    code = "payment_failed"

    def __init__(self, message: str, payment: Any = None) -> None:
        super().__init__(message)
        self.payment = payment


class BackendFailure(LngateError):
    code = "backend_failure"
