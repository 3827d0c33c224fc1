"""LNPay's error body (Yii's ErrorHandler): {"name", "message", "code": 0, "status"}, and the one
table that maps the core's domain errors onto it."""
from __future__ import annotations

from starlette.responses import JSONResponse

from gateway import errors as core

REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large",
           500: "Internal Server Error"}

INVALID_CREDENTIALS = "Your request was made with invalid credentials."
PAGE_NOT_FOUND = "Page not found."
INTERNAL = "An internal server error occurred."


class LnpayError(Exception):
    def __init__(self, status: int, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.name = name or REASONS.get(status, "Error")


def bad_request(message: str) -> LnpayError:
    return LnpayError(400, message)


def unauthorized(message: str = INVALID_CREDENTIALS) -> LnpayError:
    return LnpayError(401, message)


def error_response(exc: LnpayError, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"name": exc.name, "message": exc.message, "code": 0, "status": exc.status}
    return JSONResponse(body, status_code=exc.status, headers=headers)


def internal_error() -> LnpayError:
    # Yii names an uncaught non-HTTP exception "Exception" in production.
    return LnpayError(500, INTERNAL, name="Exception")


def sats(msat: int) -> int:
    return msat // 1000


def from_domain(exc: core.LngateError, *, action: str) -> LnpayError:
    """The LNPay reading of a core error. `action` is withdraw | keysend | transfer | invoice |
    read: the same core error words differently per endpoint, as LNPay's forms did."""
    if isinstance(exc, core.InsufficientBalance):
        if action == "transfer":
            return bad_request("Insufficient balance in source wallet")
        return bad_request(f"Invoice too large :) Max balance: {sats(exc.balance_msat)}")
    if isinstance(exc, core.AmountlessInvoice):
        return bad_request("Cannot process any amount invoices")
    if isinstance(exc, core.AmountLimitExceeded):
        return bad_request(f"Sends are limited to: {sats(exc.details['max_msat'])} satoshi"
                           " per request")
    if isinstance(exc, core.IdempotencyConflict):
        return LnpayError(409, exc.message)
    if isinstance(exc, core.PaymentInFlight):
        return bad_request("payment is in transition")  # LND's wording
    if isinstance(exc, core.AlreadyPaid):
        return bad_request("invoice is already paid")  # LND's wording, quoted by LNPay's docs
    if isinstance(exc, core.PaymentFailed):
        return bad_request(exc.message)  # the node's failure text, passed through
    if isinstance(exc, core.NotFound):
        return unauthorized("Wallet not found")
    if isinstance(exc, core.Forbidden):
        return unauthorized(INVALID_CREDENTIALS)
    if isinstance(exc, core.BackendFailure):
        unknown = {"withdraw": "Failed to withdraw for unknown reason",
                   "keysend": "Failed to keysend for unknown reason"}
        return LnpayError(500, unknown.get(action, exc.message))
    # InvalidRequest, InvalidInvoice (+ expired, wrong network), InvalidDestination,
    # InvoiceNotPayable, HoldInvoiceError: LNPay answered 400 with the reason text.
    return bad_request(exc.message)
