"""Alby's two error shapes and the table mapping the core's domain errors onto them.

- Auth failures come from Alby's API gateway: `{"status": 401, "error": "..."}`.
- Everything else uses the lndhub.go shape `{"error": true, "code": N, "message": "..."}` with the
  exact messages lndhub.go sends; where that message is vague ("Bad arguments") a `detail` field
  says what was wrong (JSON clients ignore fields they do not know).
"""
from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from gateway import errors as core

BAD_ARGUMENTS = "Bad arguments"
SERVER_ERROR = "Something went wrong. Please try again later"
NOT_ENOUGH_BALANCE = ("not enough balance. Make sure you have at least 1% reserved for "
                      "potential fees")
INVALID_DESTINATION = "invalid destination pubkey"
INTERNAL_KEYSEND = ("Internal keysend payments require the custom record 696969 to be "
                    "present.")
MAX_SEND = "max send amount exceeded. please contact support for further assistance."
MAX_RECEIVE = "max receive amount exceeded. please contact support for further assistance."
INVALID_TOKEN = "invalid access token"


class AlbyError(Exception):
    """An lndhub.go-shaped error response."""

    def __init__(self, status: int, code: int, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": True, "code": self.code, "message": self.message}
        if self.detail and self.detail != self.message:
            body["detail"] = self.detail
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


class AuthError(Exception):
    """An API-gateway-shaped auth error: `{"status": 401, "error": ...}`."""

    def __init__(self, error: str = INVALID_TOKEN, status: int = 401) -> None:
        super().__init__(error)
        self.error = error
        self.status = status

    def response(self) -> JSONResponse:
        return JSONResponse({"status": self.status, "error": self.error},
                            status_code=self.status,
                            headers={"WWW-Authenticate": "Bearer"} if self.status == 401 else None)


def bad_arguments(detail: str | None = None) -> AlbyError:
    return AlbyError(400, 8, BAD_ARGUMENTS, detail)


def server_error(detail: str | None = None) -> AlbyError:
    return AlbyError(500, 6, SERVER_ERROR, detail)


def payment_failed(message: str) -> AlbyError:
    return AlbyError(500, 10, message or "payment failed")


def from_domain(exc: core.LngateError, *, sending: bool = True) -> AlbyError:
    """The Alby answer for a core error. `sending` picks the limit message (send vs receive)."""
    # Order matters: subclasses before their parents.
    if isinstance(exc, core.AmountLimitExceeded):
        return AlbyError(400, 2, MAX_SEND if sending else MAX_RECEIVE, exc.message)
    if isinstance(exc, core.InsufficientBalance):
        return AlbyError(400, 2, NOT_ENOUGH_BALANCE)
    if isinstance(exc, core.WrongNetwork):
        return AlbyError(400, 2, "incorrect network", exc.message)
    if isinstance(exc, core.InvoiceExpired):
        return AlbyError(400, 2, "invoice expired")
    if isinstance(exc, core.InvalidDestination):
        if exc.message == INTERNAL_KEYSEND:  # lndhub.go answers this one with code 8
            return AlbyError(400, 8, INTERNAL_KEYSEND)
        return AlbyError(400, 2, INVALID_DESTINATION, exc.message)
    if isinstance(exc, (core.InvalidRequest, core.InvalidInvoice, core.NotFound)):
        # lndhub.go has no 404: an unknown invoice is "Bad arguments" too.
        return bad_arguments(exc.message)
    if isinstance(exc, core.PaymentFailed):
        return payment_failed(exc.message)
    if isinstance(exc, (core.AlreadyPaid, core.InvoiceNotPayable)):
        # What the node would have said when paying it: a failed payment.
        return payment_failed(exc.message)
    if isinstance(exc, core.Forbidden):
        return AlbyError(401, 1, "bad auth")
    return server_error()


def not_found() -> JSONResponse:
    return AlbyError(404, 8, "Not Found").response()


def method_not_allowed(allowed: list[str]) -> JSONResponse:
    response = AlbyError(405, 8, "Method Not Allowed").response()
    response.headers["Allow"] = ", ".join(allowed)
    return response


def app_error(status: int, message: str) -> JSONResponse:
    """An error the app answers before a handler runs (413, 429, 404, 405)."""
    if status == 429:
        return AlbyError(429, 1, "Too many requests").response()
    if status == 404:
        return not_found()
    return AlbyError(status, 8 if status < 500 else 6, message).response()
