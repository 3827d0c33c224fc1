"""structlog set-up: JSON lines or console, a request id bound per request, no secrets."""
from __future__ import annotations

import logging

import structlog

SECRET_FIELDS = {"key", "api_key", "secret", "token", "preimage", "password", "authorization"}


def _redact(_, __, event_dict):
    for name in list(event_dict):
        if name.lower() in SECRET_FIELDS:
            event_dict[name] = "[redacted]"
    return event_dict


def configure(level: str = "info", fmt: str = "console") -> None:
    renderer = (structlog.processors.JSONRenderer() if fmt == "json"
                else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper()) if isinstance(
                logging.getLevelName(level.upper()), int) else logging.INFO),
        cache_logger_on_first_use=True,
    )
