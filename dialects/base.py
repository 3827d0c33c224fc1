"""What a dialect hands the application: its routes, its OpenAPI document, its background jobs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute


@dataclass
class Dialect:
    name: str
    routes: list[BaseRoute]
    openapi: dict[str, Any] | None = None  # served at /openapi/<name>.json
    # long-running coroutines started with the app and cancelled at shutdown (webhook delivery, ...)
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Paths this dialect owns: errors the app answers before any handler runs (413 body too
    # large, 429 rate limited, 404 unknown path) come out in this dialect's shape there.
    prefixes: tuple[str, ...] = ()
    # (status, message) -> the dialect's error response; a dialect may word well-known statuses
    # (429) its provider's way instead of using `message`.
    error_response: Callable[[int, str], Response] | None = None
    # the key or token a request presents, for per-credential rate limits (None: none presented)
    presented_key: Callable[[Request], str | None] | None = None

    def owns(self, path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.prefixes)
