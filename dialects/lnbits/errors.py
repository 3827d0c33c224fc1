"""LNbits' error shapes, and the one table mapping the core's domain errors onto them.

- `{"detail": "<message>"}` with the HTTP status for auth, not-found and plain bad requests;
- `{"detail": [{"loc", "msg", "type", "ctx"?}]}` with 400 for request validation (pydantic v1 style;
  LNbits turns FastAPI's 422 into 400);
- `{"detail": "<message>", "status": "failed"|"pending"|"success"}` with the non-standard 520 for
  payment and invoice failures: `status` tells whether money may have moved.
"""
from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import JSONResponse

from gateway import errors as core


class LnbitsError(Exception):
    """An answer in LNbits' shape, raised anywhere in a handler."""

    def __init__(self, status_code: int, detail: Any, payment_status: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(str(detail))
        self.status_code = status_code
        self.detail = detail
        self.payment_status = payment_status
        self.extra = extra or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"detail": self.detail, **self.extra}
        if self.payment_status is not None:
            body["status"] = self.payment_status
        return JSONResponse(body, status_code=self.status_code)


class FieldError(Exception):
    """One pydantic-v1-style validation error."""

    def __init__(self, msg: str, type_: str, ctx: dict[str, Any] | None = None) -> None:
        super().__init__(msg)
        self.msg, self.type, self.ctx = msg, type_, ctx


def validation_error(loc: list[Any], err: FieldError) -> LnbitsError:
    item: dict[str, Any] = {"loc": loc, "msg": err.msg, "type": err.type}
    if err.ctx:
        item["ctx"] = err.ctx
    return LnbitsError(400, [item])


def payment_error(detail: str, status: str = "failed") -> LnbitsError:
    return LnbitsError(520, detail, payment_status=status)


def from_domain(exc: core.LngateError, *, amount_sat: int | None = None) -> LnbitsError:
    """The domain error as LNbits words the same failure."""
    msg = exc.message
    if isinstance(exc, core.AmountLimitExceeded):
        max_sat = exc.details.get("max_msat", 0) // 1000
        return payment_error(f"Invoice amount {amount_sat} sats is too high."
                             f" Max allowed: {max_sat} sats.")
    if isinstance(exc, core.IdempotencyConflict):
        return LnbitsError(400, msg)
    if isinstance(exc, core.InvalidAmount):
        return payment_error("Amountless invoices not supported." if "positive" in msg else msg)
    if isinstance(exc, core.InvalidRequest):
        return LnbitsError(400, msg)
    if isinstance(exc, core.AmountlessInvoice):
        return payment_error("Amountless invoices not supported.")
    if isinstance(exc, core.InvoiceExpired):
        return payment_error("Invoice expired.")
    if isinstance(exc, core.WrongNetwork):
        return payment_error(f"Payment failed: {msg}")
    if isinstance(exc, core.InvalidInvoice):
        if "bolt11 changed" in msg:
            return payment_error("Invalid invoice. Bolt11 changed.")
        return payment_error("Bolt11 decoding failed.")
    if isinstance(exc, core.FeeReserveRequired):
        reserve_sat = round(exc.reserve_msat / 1000)
        return payment_error(f"You must reserve at least ({reserve_sat}  sat) to cover potential"
                             " routing fees.")
    if isinstance(exc, core.InsufficientBalance):
        return payment_error("Insufficient balance.")
    if isinstance(exc, core.PaymentInFlight):
        return payment_error("Payment is still pending.", "pending")
    if isinstance(exc, core.AlreadyPaid):
        if exc.details.get("payment") is None:
            return payment_error("Internal invoice already paid.")
        return payment_error("Payment already paid.", "success")
    if isinstance(exc, core.InvoiceNotPayable):
        return payment_error(f"Invoice is not payable: {msg}.")
    if isinstance(exc, core.PaymentFailed):
        return payment_error(f"Payment failed: {msg}")
    if isinstance(exc, core.NotFound):
        return LnbitsError(404, "Payment does not exist.")
    if isinstance(exc, core.Forbidden):
        return LnbitsError(403, "Invalid adminkey.")
    if isinstance(exc, core.HoldInvoiceError):
        return payment_error(msg)
    if isinstance(exc, core.InvalidDestination):
        return payment_error(msg)
    return payment_error(msg)  # BackendFailure and anything newer: money did not move


def unexpected() -> JSONResponse:
    return JSONResponse({"detail": f"Unexpected error! ID: {secrets.token_hex(11)}"},
                        status_code=500)


def app_error(status: int, message: str) -> JSONResponse:
    """An error the app answers before a handler runs (413, 429, 404). LNbits' rate limiter
    (slowapi) answers `{"error": ...}`, not `{"detail": ...}`."""
    if status == 429:
        return JSONResponse({"error": message}, status_code=429)
    return JSONResponse({"detail": message}, status_code=status)
