"""What a dialect hands the application: its routes, its OpenAPI document, its background jobs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from starlette.routing import BaseRoute


@dataclass
class Dialect:
    name: str
    routes: list[BaseRoute]
    openapi: dict[str, Any] | None = None  # served at /openapi/<name>.json
    # long-running coroutines started with the app and cancelled at shutdown (webhook delivery, ...)
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
