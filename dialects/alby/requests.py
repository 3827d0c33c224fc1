"""Request bodies and query strings in Alby's shapes. Unknown fields are ignored (the SDK sends
`customRecords` beside `custom_records`; Rails-only invoice extras are accepted and stored)."""
from __future__ import annotations

from typing import Annotated, Any

import msgspec
from starlette.requests import Request

from .errors import bad_arguments

Sats = Annotated[int, msgspec.Meta(ge=0)]
PositiveSats = Annotated[int, msgspec.Meta(gt=0)]

DEFAULT_ITEMS = 25
MAX_ITEMS = 1000


class NewInvoice(msgspec.Struct):
    amount: Sats  # 0: an any-amount invoice (lndhub.go allows it)
    description: str | None = None
    description_hash: str | None = None
    memo: str | None = None
    # Rails-only extras: kept with the invoice, not put into the BOLT11
    currency: str | None = None
    comment: str | None = None
    metadata: dict[str, Any] | None = None
    payer_name: str | None = None
    payer_email: str | None = None
    payer_pubkey: str | None = None

    def extras(self) -> dict[str, Any]:
        names = ("comment", "metadata", "payer_name", "payer_email", "payer_pubkey", "currency")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


class PayBolt11(msgspec.Struct):
    invoice: str
    amount: int | None = None  # sats, only for zero-amount invoices


class Keysend(msgspec.Struct):
    amount: PositiveSats
    destination: Annotated[str, msgspec.Meta(min_length=1)]  # validate:"required" in lndhub.go
    memo: str | None = None
    custom_records: dict[str, str] | None = None
    customRecords: dict[str, str] | None = None  # deprecated alias; custom_records wins

    def records(self) -> dict[str, str]:
        """The request's records as sent (plain strings), for the echo in the answer."""
        if self.custom_records is not None:
            return self.custom_records
        return self.customRecords or {}

    def tlv(self) -> dict[int, bytes]:
        """Records for the core: decimal TLV type -> the string's UTF-8 bytes (lndhub.go)."""
        out: dict[int, bytes] = {}
        for key, value in self.records().items():
            if not key.isdigit():
                raise bad_arguments(f"custom record key {key!r} is not a TLV type number")
            out[int(key)] = value.encode("utf-8")
        return out


class MultiKeysend(msgspec.Struct):
    keysends: Annotated[list[Keysend], msgspec.Meta(min_length=1)]


async def parse_body(request: Request, kind: type[Any]) -> tuple[Any, Any]:
    """(typed struct, plain JSON) of the request body, or Bad arguments."""
    raw = await request.body()
    if not raw.strip():
        raise bad_arguments("request body must be a JSON object")
    try:
        plain = msgspec.json.decode(raw)
        return msgspec.convert(plain, kind), plain
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise bad_arguments(str(exc)) from None
    except RecursionError:
        raise bad_arguments("JSON nested too deep") from None
    except UnicodeDecodeError:
        raise bad_arguments("request body is not valid UTF-8") from None


class ListQuery(msgspec.Struct):
    page: int = 1
    items: int = DEFAULT_ITEMS
    since: str | None = None  # identifier: only newer than this invoice
    before: str | None = None  # identifier: only older than this invoice
    created_at_gt: int | None = None
    created_at_lt: int | None = None


def _int(params: Any, name: str, default: int | None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_arguments(f"{name} must be an integer") from None


def list_query(request: Request) -> ListQuery:
    """`?page=1&items=10&q[since]=abc` (the SDK's encoding; q.since is accepted too)."""
    params = request.query_params

    def q(name: str) -> str | None:
        return params.get(f"q[{name}]", params.get(f"q.{name}"))

    page = _int(params, "page", 1)
    items = _int(params, "items", DEFAULT_ITEMS)
    if page < 1 or not 1 <= items <= MAX_ITEMS:
        raise bad_arguments(f"page must be >= 1 and items between 1 and {MAX_ITEMS}")
    bounds = {name: _int({name: q(name)}, name, None) for name in ("created_at_gt", "created_at_lt")}
    return ListQuery(page=page, items=items, since=q("since") or None,
                     before=q("before") or None, **bounds)
