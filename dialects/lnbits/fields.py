"""Request parsing with pydantic v1's lax coercions and messages, as LNbits' clients meet them
(`"100"` is a fine float, `"yes"` a fine bool, a validation failure is a 400 with a list)."""
from __future__ import annotations

import math
from typing import Any

import msgspec
from starlette.requests import Request

from .errors import FieldError, LnbitsError, validation_error

MISSING = object()
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object body; a missing or malformed body is LNbits' `field required` on body."""
    raw = await request.body()
    try:
        body = msgspec.json.decode(raw) if raw.strip() else None
    # also: nested too deep (RecursionError), invalid UTF-8 in a string (UnicodeDecodeError)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise validation_error(["body"], FieldError("field required", "value_error.missing"))
    return body


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise FieldError("value is not a valid float", "type_error.float") from None
    else:
        raise FieldError("value is not a valid float", "type_error.float")
    if not math.isfinite(result):
        raise FieldError("value is not a valid float", "type_error.float")
    return result


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise FieldError("value is not a valid integer", "type_error.integer")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise FieldError("value could not be parsed to a boolean", "type_error.bool")


def to_str(value: Any, max_length: int | None = None) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FieldError("str type expected", "type_error.str")
    if max_length is not None and len(value) > max_length:
        raise FieldError(f"ensure this value has at most {max_length} characters",
                         "value_error.any_str.max_length", {"limit_value": max_length})
    return value


def to_dict(value: Any) -> dict:
    if not isinstance(value, dict):
        raise FieldError("value is not a valid dict", "type_error.dict")
    return value


def to_str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FieldError("value is not a valid list", "type_error.list")
    return [to_str(v) for v in value]


def field(source: dict[str, Any], name: str, convert, *, loc: str = "body",
          default: Any = None) -> Any:
    """`convert(source[name])`, `default` when absent or null, a 400 list on a bad value."""
    value = source.get(name, MISSING)
    if value is MISSING or value is None:
        return default
    try:
        return convert(value)
    except FieldError as err:
        raise validation_error([loc, name], err) from None


def query_int(request: Request, name: str, minimum: int | None = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    value = field({name: raw}, name, to_int, loc="query")
    if minimum is not None and value < minimum:
        raise validation_error(["query", name], FieldError(
            f"ensure this value is greater than or equal to {minimum}", "value_error.number.not_ge",
            {"limit_value": minimum}))
    return value


def not_negative(name: str, value: float) -> float:
    if value < 0:
        raise validation_error(["body", name], FieldError(
            "ensure this value is greater than or equal to 0", "value_error.number.not_ge",
            {"limit_value": 0}))
    return value


def hex_string(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        bytes.fromhex(value)
    except ValueError:
        raise LnbitsError(400, f"'{name}' must be a valid hex string") from None
    return value.lower()
