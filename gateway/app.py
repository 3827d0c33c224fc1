"""The ASGI application: the core, the backend, and every dialect mounted side by side."""
from __future__ import annotations

import contextlib
import importlib
import secrets
import time
from typing import Any, Callable

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backends.base import Backend
from dialects.base import Dialect

from .config import Settings
from .ratelimit import RateLimiter
from .service import Gateway
from .store import open_store

log = structlog.get_logger("lngate.http")

# Order matters: each dialect's catch-all lives under its own prefix; Alby's paths are at the root.
DIALECT_MODULES = ["dialects.lnbits", "dialects.lnpay", "dialects.alby"]


def make_backend(settings: Settings) -> Backend:
    if settings.backend == "sim":
        from backends.sim import SimBackend

        return SimBackend(network=settings.network, state_path=settings.sim_state_path(),
                          seed=settings.sim_seed)
    if settings.backend == "cln":
        from backends.cln import ClnBackend

        return ClnBackend.from_settings(settings)
    raise ValueError(f"unknown backend {settings.backend!r} (expected 'sim' or 'cln')")


def make_gateway(settings: Settings) -> Gateway:
    return Gateway(open_store(settings.database), make_backend(settings), settings)


def load_dialects(gw: Gateway) -> list[Dialect]:
    dialects = []
    for name in DIALECT_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        dialects.append(module.build(gw))
    return dialects


ErrorFor = Callable[[dict, int, str], Response]


def error_shapes(dialects: list[Dialect]) -> ErrorFor:
    """(scope, status, message) -> the response in the shape of the dialect owning the path
    (LNbits' `{"detail"}` where no dialect claims it)."""
    def error_for(scope: dict, status: int, message: str) -> Response:
        dialect = owner(dialects, scope.get("path", ""))
        if dialect is not None and dialect.error_response is not None:
            return dialect.error_response(status, message)
        return JSONResponse({"detail": message}, status_code=status)
    return error_for


def owner(dialects: list[Dialect], path: str) -> Dialect | None:
    return next((d for d in dialects if d.owns(path)), None)


class BodyLimit:
    """Refuse request bodies over the configured size before any handler reads them."""

    def __init__(self, app: Any, max_bytes: int, error_for: ErrorFor) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.error_for = error_for

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._too_large(scope, receive, send)
        # Read the whole body first (it is small by definition), so a handler never meets a
        # half-read body, whatever exceptions it catches.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                return await self._too_large(scope, receive, send)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect as usual

        await self.app(scope, replay, send)

    async def _too_large(self, scope, receive, send):
        response = self.error_for(scope, 413, "Request body too large")
        await response(scope, receive, send)


class RateLimit:
    """Per-caller request rate on the dialects' paths (see gateway/ratelimit.py). The caller is
    the credential the dialect's key resolves to, else the client address, so random keys do
    not buy fresh buckets."""

    def __init__(self, app: Any, limiter: RateLimiter, gw: Gateway, dialects: list[Dialect],
                 error_for: ErrorFor) -> None:
        self.app = app
        self.limiter = limiter
        self.gw = gw
        self.dialects = dialects
        self.error_for = error_for

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.limiter.enabled:
            return await self.app(scope, receive, send)
        dialect = owner(self.dialects, scope["path"])
        if dialect is None:
            return await self.app(scope, receive, send)
        wait = self.limiter.take(await self._caller(scope, dialect))
        if not wait:
            return await self.app(scope, receive, send)
        response = self.error_for(
            scope, 429, f"Rate limit exceeded: {self.limiter.per_minute} per 1 minute")
        response.headers["Retry-After"] = str(self.limiter.retry_after(wait))
        await response(scope, receive, send)

    async def _caller(self, scope, dialect: Dialect) -> str:
        if dialect.presented_key is not None:
            secret = dialect.presented_key(Request(scope))
            cred = await self.gw.authenticate(secret) if secret else None
            if cred is not None:
                return f"credential:{cred.id}"
        client = scope.get("client")
        return f"address:{client[0] if client else '?'}"


class RequestLog:
    """Bind a request id to every log line of a request; log method, path, status, time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = secrets.token_hex(8)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                # The path only: query strings can carry keys (?api-key=, ?access-token=).
                # A dialect whose paths carry keys sets "lngate.log_path" to a redacted form.
                log.info("http.request", method=scope["method"],
                         path=scope.get("lngate.log_path") or scope["path"],
                         status=status["code"],
                         ms=round((time.perf_counter() - started) * 1000, 1))


def build_app(settings: Settings, gw: Gateway | None = None) -> Starlette:
    gw = gw or make_gateway(settings)
    dialects = load_dialects(gw)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "backend": gw.backend.name,
                             "network": gw.backend.network})

    routes: list[Any] = [Route("/health", health)]
    openapi = {d.name: d.openapi for d in dialects if d.openapi}

    async def openapi_doc(request: Request) -> JSONResponse:
        doc = openapi.get(request.path_params["name"])
        if doc is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return JSONResponse(doc)

    routes.append(Route("/openapi/{name}.json", openapi_doc))
    if gw.backend.name == "sim":
        from backends.sim_http import sim_routes

        routes += sim_routes(gw.backend)
    for dialect in dialects:
        routes += dialect.routes

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await gw.start()
        for dialect in dialects:
            for job in dialect.background:
                gw.spawn(job())
        log.info("lngate.started", backend=gw.backend.name, network=gw.backend.network,
                 dialects=[d.name for d in dialects])
        try:
            yield
        finally:
            await gw.stop()

    error_for = error_shapes(dialects)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own 404/405 (no route matched), in the shape of the dialect owning the path
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "Internal Server Error"
        response = error_for(request.scope, status, detail)
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[name] = value
        return response

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: http_error})
    app.state.gateway = gw
    app.state.dialects = dialects
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, error_for=error_for)
    app.add_middleware(RateLimit, gw=gw, dialects=dialects, error_for=error_for,
                       limiter=RateLimiter(settings.rate_limit_per_minute,
                                           settings.rate_limit_burst))
    app.add_middleware(RequestLog)
    return app
