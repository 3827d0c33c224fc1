"""Request bodies as LNPay's Yii server read them: JSON with `Content-Type: application/json`,
form data otherwise (also when the Content-Type is missing); Yii-style validation messages."""
from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.requests import Request

from .errors import bad_request

HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


async def read_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type.endswith("json"):
        if not raw.strip():
            return {}
        try:
            body = msgspec.json.decode(raw)
        # PHP: nesting over 512 deep or invalid UTF-8 is a syntax error too
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            raise bad_request("Invalid JSON data in request body: Syntax error.") from None
        if not isinstance(body, dict):
            raise bad_request("Invalid JSON data in request body: expected an object.")
        return body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("The request body is not valid form data.") from None
    # PHP keeps the last of repeated names; `a[b]=c` nests, which LNPay clients never send.
    return dict(parse_qsl(text, keep_blank_values=True))


def label(field: str) -> str:
    """Yii's generated attribute label: num_satoshis -> Num Satoshis."""
    return " ".join(part.capitalize() for part in re.split(r"[_\s]+", field) if part)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def required(body: dict[str, Any], field: str) -> Any:
    value = body.get(field)
    if blank(value):
        raise bad_request(f"{label(field)} cannot be blank.")
    return value


def integer(body: dict[str, Any], field: str, *, default: int | None = None,
            minimum: int | None = 0, need: bool = False) -> int | None:
    value = body.get(field)
    if blank(value):
        if need:
            raise bad_request(f"{label(field)} cannot be blank.")
        return default
    if isinstance(value, bool):
        raise bad_request(f"{label(field)} must be an integer.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # ASCII digits only, as PHP's regex validator (Python's \d also takes "１２")
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value, re.ASCII):
        value = int(value)
    if not isinstance(value, int):
        raise bad_request(f"{label(field)} must be an integer.")
    if minimum is not None and value < minimum:
        raise bad_request(f"{label(field)} must be no less than {minimum}.")
    return value


def string(body: dict[str, Any], field: str, default: str | None = None) -> str | None:
    value = body.get(field)
    if blank(value):
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise bad_request(f"{label(field)} must be a string.")
    return value


def json_param(value: Any, message: str = "passThru data must be valid json") -> Any:
    """passThru / lnPayParams: an object, or a JSON string (PyPI `Lnpay` sends form strings)."""
    if blank(value):
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            raise bad_request(message) from None
    return value


def base64_json(value: str | None) -> Any:
    """The LNURL-withdraw `passThru` query value: base64 of JSON (plain JSON is accepted too)."""
    if blank(value):
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        pass
    try:
        padded = value + "=" * (-len(value) % 4)
        return json.loads(base64.b64decode(padded, altchars=b"-_", validate=False))
    except (ValueError, binascii.Error, RecursionError):
        raise bad_request("passThru data must be valid json") from None


def description_hash(value: Any) -> str | None:
    """LNPay documents `description_hash` as base64 of the 32-byte hash; hex is accepted too.
    The core wants 64 hex characters."""
    if blank(value):
        return None
    if not isinstance(value, str):
        raise bad_request("Description Hash must be a string.")
    if HEX64.match(value):
        return value.lower()
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise bad_request("Description Hash must be a base64 encoded 32-byte hash.")
    return raw.hex()
