"""The LNPay v1 dialect, mounted at /v1: LNPay's clients work against lngate unchanged."""
from __future__ import annotations

import re
from typing import Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from dialects.base import Dialect
from gateway import errors as core
from gateway.service import Gateway

from .auth import presented_key
from .errors import PAGE_NOT_FOUND, LnpayError, error_response, from_domain, internal_error
from .openapi import openapi_document
from .routes import Endpoints

log = structlog.get_logger("lngate.lnpay")

MOUNT = "/v1"
WORD = re.compile(r"^\w+$")  # LNPay's route params match \w+
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
LOG_PATH_KEY = "lngate.log_path"  # what the request log shows instead of a path holding keys

Handler = Callable[[Request], Awaitable[Response]]


def _cors(request: Request, response: Response) -> Response:
    # Yii's Cors filter with its defaults: any origin (lnpay-js runs in browsers).
    if "origin" in request.headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = (
            "X-Pagination-Total-Count, X-Pagination-Page-Count, X-Pagination-Current-Page,"
            " X-Pagination-Per-Page, Link")
    return response


def _preflight(request: Request, methods: list[str]) -> Response:
    response = Response(status_code=200, headers={"Allow": ", ".join(methods + ["OPTIONS"])})
    if "origin" in request.headers:
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods + ["OPTIONS"])
        requested = request.headers.get("access-control-request-headers")
        if requested:
            response.headers["Access-Control-Allow-Headers"] = requested
        response.headers["Access-Control-Max-Age"] = "86400"
    return _cors(request, response)


def endpoint(template: str, handlers: dict[str, Handler], action: str = "read") -> Handler:
    """One path, its methods, and LNPay's error shape for everything that goes wrong."""
    allowed = sorted(handlers)

    async def handle(request: Request) -> Response:
        request.scope[LOG_PATH_KEY] = MOUNT + template
        if not all(WORD.match(str(v)) for v in request.path_params.values()):
            return _cors(request, error_response(LnpayError(404, PAGE_NOT_FOUND)))
        if request.method == "OPTIONS":
            return _preflight(request, allowed)
        handler = handlers.get(request.method)
        if handler is None:
            exc = LnpayError(405, "Method Not Allowed. This URL can only handle the following"
                                  f" request methods: {', '.join(allowed)}.")
            return _cors(request, error_response(exc, {"Allow": ", ".join(allowed)}))
        try:
            response = await handler(request)
        except LnpayError as exc:
            response = error_response(exc, {"WWW-Authenticate": 'Basic realm="api"'}
                                      if exc.status == 401 else None)
        except core.LngateError as exc:
            response = error_response(from_domain(exc, action=action))
        except Exception:
            log.exception("lnpay.unhandled", path=MOUNT + template)
            response = error_response(internal_error())
        return _cors(request, response)

    return handle


async def _not_found(request: Request) -> Response:
    request.scope[LOG_PATH_KEY] = MOUNT + "/<unknown>"
    if request.method == "OPTIONS":
        return _preflight(request, [])
    return _cors(request, error_response(LnpayError(404, PAGE_NOT_FOUND)))


def build(gw: Gateway) -> Dialect:
    e = Endpoints(gw)
    table: list[tuple[str, dict[str, Handler]]] = [
        ("/wallet", {"POST": e.create_wallet}),
        ("/wallets", {"GET": e.list_wallets}),
        ("/wallet-transactions", {"GET": e.account_transactions}),
        ("/lntx/{id}", {"GET": e.get_lntx}),
        ("/wallet/{key}", {"GET": e.get_wallet}),
        ("/wallet/{key}/transactions", {"GET": e.wallet_transactions}),
        ("/wallet/{key}/invoice", {"POST": e.create_invoice}),
        ("/wallet/{key}/withdraw", {"POST": e.withdraw}),
        ("/wallet/{key}/keysend", {"POST": e.keysend}),
        ("/wallet/{key}/transfer", {"POST": e.transfer}),
        ("/wallet/{key}/lnurl/withdraw", {"GET": e.lnurl_withdraw}),
        ("/wallet/{key}/lnurl-process", {"GET": e.lnurl_process}),
    ]
    routes = [Route(path, endpoint(path, handlers), methods=ANY_METHOD)
              for path, handlers in table]
    routes.append(Route("/{rest:path}", _not_found, methods=ANY_METHOD))
    return Dialect(name="lnpay", routes=[Mount(MOUNT, routes=routes)],
                   openapi=openapi_document(), prefixes=(MOUNT,), error_response=app_error,
                   presented_key=presented_key)


def app_error(status: int, message: str) -> Response:
    """An error the app answers before a handler runs (413 body too large, 429 rate limit):
    Yii's shape; its RateLimiter says "Rate limit exceeded." and sends no rate-limit headers."""
    if status == 429:
        return error_response(LnpayError(429, "Rate limit exceeded.", name="Too Many Requests"))
    if status == 404:
        return error_response(LnpayError(404, PAGE_NOT_FOUND))
    return error_response(LnpayError(status, message))
