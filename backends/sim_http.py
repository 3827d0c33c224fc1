"""The simulated network's control API, mounted under /sim/v1.

It plays everyone outside the gateway: external nodes issue invoices with a scripted fate for the
gateway to pay, external payers pay the gateway's invoices or keysend to it, and a test or operator
resolves in-flight payments. JSON in and out; errors are `{"error": "<message>"}` with 400 or 404.
"""
from __future__ import annotations

from typing import Annotated, Any, Awaitable, Callable, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from backends.base import BackendError
from backends.sim import (
    DEFAULT_EXTERNAL_EXPIRY,
    EXTERNAL_NODE_COUNT,
    SimBackend,
    SimNotFound,
)

PREFIX = "/sim/v1"

NonNegative = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[int, msgspec.Meta(gt=0)]


class NewExternalInvoice(msgspec.Struct, forbid_unknown_fields=True):
    amount_msat: NonNegative | None = None  # 0 or null: a zero-amount invoice
    memo: str = ""
    outcome: Literal["succeed", "fail", "pending", "unknown", "hold"] = "succeed"
    delay_ms: NonNegative = 0
    fee_msat: NonNegative = 0
    reason: str = ""
    then: Literal["succeed", "fail"] = "succeed"
    node: Annotated[int, msgspec.Meta(ge=0, le=EXTERNAL_NODE_COUNT - 1)] = 0
    expiry: Positive = DEFAULT_EXTERNAL_EXPIRY


class Resolve(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = ""


class ExternalPay(msgspec.Struct, forbid_unknown_fields=True):
    bolt11: str
    amount_msat: Positive | None = None


class ExternalKeysend(msgspec.Struct, forbid_unknown_fields=True):
    amount_msat: Positive
    custom_records: dict[str, str] = {}


class BadRequest(Exception):
    pass


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request, kind: type[Any]) -> Any:
    raw = await request.body()
    try:
        return msgspec.json.decode(raw or b"{}", type=kind)
    except msgspec.ValidationError as exc:
        raise BadRequest(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"invalid JSON body: {exc}") from None


def record_value(text: str) -> bytes:
    """A TLV value: UTF-8 text, or raw bytes written as "hex:<hex>". (Guessing hex from the
    text would turn a hex wallet id into the wrong bytes.)"""
    if text.startswith("hex:"):
        try:
            return bytes.fromhex(text[4:])
        except ValueError:
            raise BadRequest(f"invalid hex custom record value {text!r}") from None
    return text.encode()


def _records(raw: dict[str, str]) -> dict[int, bytes]:
    records = {}
    for key, value in raw.items():
        if not key.isdigit():
            raise BadRequest(f"custom record type must be a decimal integer, got {key!r}")
        records[int(key)] = record_value(value)
    return records


Handler = Callable[[Request], Awaitable[JSONResponse]]


def _errors_as_json(handler: Handler) -> Handler:
    """Map the sim's refusals onto the control API's error body."""

    async def wrapped(request: Request) -> JSONResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            return _error(str(exc), 400)
        except SimNotFound as exc:
            return _error(str(exc), 404)
        except BackendError as exc:
            return _error(str(exc), 400)

    return wrapped


def sim_routes(sim: SimBackend) -> list[BaseRoute]:
    async def create_invoice(request: Request) -> JSONResponse:
        body: NewExternalInvoice = await _body(request, NewExternalInvoice)
        created = await sim.create_external_invoice(
            amount_msat=body.amount_msat or None, memo=body.memo, outcome=body.outcome,
            delay_ms=body.delay_ms, fee_msat=body.fee_msat, reason=body.reason, then=body.then,
            node=body.node, expiry=body.expiry,
        )
        return JSONResponse(created, status_code=201)

    async def get_invoice(request: Request) -> JSONResponse:
        return JSONResponse(await sim.external_invoice(request.path_params["payment_hash"]))

    async def settle(request: Request) -> JSONResponse:
        await _body(request, Resolve)
        return JSONResponse(
            await sim.resolve_external_payment(request.path_params["payment_hash"], succeed=True)
        )

    async def fail(request: Request) -> JSONResponse:
        body: Resolve = await _body(request, Resolve)
        return JSONResponse(
            await sim.resolve_external_payment(
                request.path_params["payment_hash"], succeed=False, reason=body.reason or None
            )
        )

    async def pay(request: Request) -> JSONResponse:
        body: ExternalPay = await _body(request, ExternalPay)
        return JSONResponse(await sim.external_pay(body.bolt11, body.amount_msat))

    async def keysend(request: Request) -> JSONResponse:
        body: ExternalKeysend = await _body(request, ExternalKeysend)
        settled = await sim.external_keysend(body.amount_msat, _records(body.custom_records))
        return JSONResponse(
            {
                "payment_hash": settled.payment_hash,
                "amount_msat": settled.amount_msat,
                "preimage": settled.preimage,
                "index": settled.index,
                "custom_records": {str(k): v.hex() for k, v in settled.custom_records.items()},
            }
        )

    async def nodes(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "network": sim.network,
                "gateway": sim.gateway.public(),
                "nodes": sim.external_nodes(),
            }
        )

    endpoints: list[tuple[str, Handler, str]] = [
        ("/invoices", create_invoice, "POST"),
        ("/invoices/{payment_hash}", get_invoice, "GET"),
        ("/invoices/{payment_hash}/settle", settle, "POST"),
        ("/invoices/{payment_hash}/fail", fail, "POST"),
        ("/pay", pay, "POST"),
        ("/keysend", keysend, "POST"),
        ("/nodes", nodes, "GET"),
    ]
    return [
        Route(PREFIX + path, _errors_as_json(handler), methods=[method])
        for path, handler, method in endpoints
    ]
