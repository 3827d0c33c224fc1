"""Every handler answers in LNbits' shapes: domain errors through the table in errors.py,
anything unexpected as LNbits' 500, unknown paths and methods under the mount as JSON."""
from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from gateway.errors import LngateError
from gateway.models import Idempotency
from gateway.service import fingerprint

from .errors import LnbitsError, from_domain, unexpected

log = structlog.get_logger("lngate.lnbits")

Handler = Callable[[Request], Awaitable[Response]]


def endpoint(fn: Handler) -> Handler:
    @functools.wraps(fn)
    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)
        except LnbitsError as exc:
            return exc.response()
        except LngateError as exc:
            return from_domain(exc).response()
        except Exception:
            log.exception("lnbits.unexpected", path=request.url.path)
            return unexpected()
    return wrapped


def idempotency(request: Request, body: Any) -> Idempotency | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    return Idempotency(key=key, fingerprint=fingerprint(request.method, request.url.path, body))


def json(content: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(content, status_code=status_code)


def fallback(prefix: str, routes: list[BaseRoute]) -> Route:
    """Under `prefix`: 405 for a known path with another method, else 404, both as JSON."""
    async def not_matched(request: Request) -> Response:
        scope = {**request.scope, "path": request.url.path}
        if any(r.matches(scope)[0] is Match.PARTIAL for r in routes):
            return json({"detail": "Method Not Allowed"}, 405)
        return json({"detail": "Not Found"}, 404)

    return Route(prefix + "/{rest:path}", not_matched,
                 methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
