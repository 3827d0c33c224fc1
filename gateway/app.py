"""The ASGI application: the core, the backend, and every dialect mounted side by side."""
from __future__ import annotations

import contextlib
import importlib
import secrets
import time
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backends.base import Backend
from dialects.base import Dialect

from .config import Settings
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


class BodyLimit:
    """Refuse request bodies over the configured size before any handler reads them."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _too_large(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope, receive, send):
    await JSONResponse({"detail": "Request body too large"}, status_code=413)(scope, receive, send)


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

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "Not Found"}, status_code=404)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found})
    app.state.gateway = gw
    app.state.dialects = dialects
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLog)
    return app
