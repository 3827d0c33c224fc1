"""Alby Wallet API endpoints: each one authorizes its scope, calls the core, shapes the answer.

Mounted at the root as api.getalby.com serves them, so `new Client(token, {base_url})` of
`@getalby/sdk` works with the server's own URL. Unknown paths and wrong methods under Alby's
prefixes answer in Alby's error shape too: the SDK parses every error body as JSON.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from gateway.errors import AmountlessInvoice, InvalidInvoice, LngateError, PaymentFailed
from gateway.models import Credential, Idempotency
from gateway.service import HEX64, WALLET_TLV, Gateway, fingerprint

from . import views
from .auth import (ACCOUNT_READ, BALANCE_READ, INVOICES_CREATE, INVOICES_READ, PAYMENTS_SEND,
                   TRANSACTIONS_READ, authorize)
from .errors import (AlbyError, AuthError, bad_arguments, from_domain, method_not_allowed,
                     not_found, server_error)
from .requests import (Keysend, MultiKeysend, NewInvoice, PayBolt11, list_query, parse_body)

log = structlog.get_logger("lngate.alby")

Handler = Callable[[Request, Credential], Awaitable[Any]]
# which payments each history list shows (failed ones never: lndhub.go hides them too)
SETTLED = ["success"]
NOT_FAILED = ["success", "pending"]


class AlbyApi:
    def __init__(self, gw: Gateway) -> None:
        self.gw = gw

    # -- plumbing ----------------------------------------------------------------------------

    def endpoint(self, table: dict[str, tuple[tuple[str, ...], Handler, bool]]):
        """One Starlette endpoint for a path: method -> (scopes, handler, sends money?)."""

        async def handle(request: Request) -> JSONResponse:
            entry = table.get(request.method)
            if entry is None:
                return method_not_allowed(sorted(table))
            scopes, handler, sending = entry
            try:
                cred = await authorize(self.gw, request, scopes)
                result = await handler(request, cred)
            except AuthError as exc:
                return exc.response()
            except AlbyError as exc:
                return exc.response()
            except LngateError as exc:
                return from_domain(exc, sending=sending).response()
            except Exception:
                log.exception("alby.unexpected_error", path=request.url.path)
                return server_error().response()
            return result if isinstance(result, JSONResponse) else JSONResponse(result)

        return handle

    @staticmethod
    def idempotency(request: Request, plain: Any, part: int | None = None) -> Idempotency | None:
        key = request.headers.get("idempotency-key")
        if key is None:
            return None
        if part is None:
            return Idempotency(key=key, fingerprint=fingerprint("POST", request.url.path, plain))
        # one core operation per element of a multi-keysend, each with its own derived key
        return Idempotency(key=f"{key}#{part}",
                           fingerprint=fingerprint("POST", request.url.path, plain, part))

    @property
    def wait(self) -> float:
        return self.gw.settings.pay_wait_seconds

    # -- account -----------------------------------------------------------------------------

    async def balance(self, request: Request, cred: Credential) -> dict[str, Any]:
        wallet = await self.gw.get_wallet(cred.wallet_id)
        return {"balance": views.sats(wallet.balance_msat), "currency": "BTC", "unit": "sat"}

    async def _value4value(self, wallet_id: str) -> dict[str, Any]:
        # The core routes a keysend to its own node carrying TLV 696969 = wallet id.
        return {"keysend_pubkey": await self.gw.node_pubkey(),
                "keysend_custom_key": str(WALLET_TLV), "keysend_custom_value": wallet_id,
                "lightning_address": None}

    async def value4value(self, request: Request, cred: Credential) -> dict[str, Any]:
        return await self._value4value(cred.wallet_id)

    async def me(self, request: Request, cred: Credential) -> dict[str, Any]:
        wallet = await self.gw.get_wallet(cred.wallet_id)
        return {"identifier": wallet.id, "email": "", "name": wallet.name, "avatar": None,
                "wallet_configured": True, **await self._value4value(wallet.id),
                "nostr_pubkey": None}

    async def summary(self, request: Request, cred: Credential) -> dict[str, Any]:
        gw, wid = self.gw, cred.wallet_id
        wallet = await gw.get_wallet(wid)
        latest = await gw.list_payments(wid, direction="in", statuses=SETTLED, limit=1)
        keysends = await gw.list_payments(wid, direction="in", statuses=SETTLED,
                                          kinds=["keysend"])
        return {
            "balance": views.sats(wallet.balance_msat),
            "boostagrams_count": sum(views.BOOSTAGRAM_TLV in p.custom_records for p in keysends),
            "currency": "BTC",
            "invoices_count": await gw.count_payments(wid, direction="in", statuses=SETTLED),
            "last_invoice_at": views.iso(latest[0].created_at) if latest else None,
            "transactions_count": await gw.count_payments(wid, statuses=SETTLED),
            "unit": "sat",
        }

    # -- invoices ----------------------------------------------------------------------------

    async def create_invoice(self, request: Request, cred: Credential) -> dict[str, Any]:
        body, plain = await parse_body(request, NewInvoice)
        extras = body.extras()
        payment = await self.gw.create_invoice(
            cred.wallet_id, amount_msat=body.amount * 1000 or None,
            memo=body.description or body.memo or "", description_hash=body.description_hash,
            extra={"alby": extras} if extras else None,
            idempotency=self.idempotency(request, plain))
        return views.invoice(payment, await self.gw.node_pubkey())

    async def _cursor(self, wallet_id: str, identifier: str | None) -> int | None:
        if identifier is None:
            return None
        try:
            payment = await self.gw.get_payment(identifier)
        except LngateError:
            payment = None
        if payment is None or payment.wallet_id != wallet_id:
            raise bad_arguments(f"unknown invoice identifier {identifier!r}")
        return payment.seq

    async def _history(self, request: Request, cred: Credential, direction: str | None,
                       statuses: list[str]) -> list[dict[str, Any]]:
        q = list_query(request)
        payments = await self.gw.list_payments(
            cred.wallet_id, direction=direction, statuses=statuses, limit=q.items,
            offset=(q.page - 1) * q.items,
            since=None if q.created_at_gt is None else q.created_at_gt + 1,
            until=q.created_at_lt,
            after_seq=await self._cursor(cred.wallet_id, q.since),
            before_seq=await self._cursor(cred.wallet_id, q.before))
        node = await self.gw.node_pubkey()
        return [views.invoice(p, node) for p in payments]

    async def incoming(self, request: Request, cred: Credential) -> list[dict[str, Any]]:
        return await self._history(request, cred, "in", SETTLED)

    async def outgoing(self, request: Request, cred: Credential) -> list[dict[str, Any]]:
        return await self._history(request, cred, "out", NOT_FAILED)

    async def all_invoices(self, request: Request, cred: Credential) -> list[dict[str, Any]]:
        return await self._history(request, cred, None, NOT_FAILED)

    async def get_invoice(self, request: Request, cred: Credential) -> dict[str, Any]:
        payment_hash = request.path_params["payment_hash"].lower()
        if not HEX64.match(payment_hash):
            raise bad_arguments("payment_hash must be 64 hex characters")
        payment = await self.gw.find_payment(payment_hash, wallet_id=cred.wallet_id)
        if payment is None:
            raise bad_arguments("invoice not found")
        return views.invoice(payment, await self.gw.node_pubkey())

    async def decode(self, request: Request, cred: Credential) -> dict[str, Any]:
        return views.decoded(self.gw.decode_invoice(request.path_params["bolt11"]))

    # -- payments ----------------------------------------------------------------------------

    async def pay_bolt11(self, request: Request, cred: Credential) -> dict[str, Any]:
        body, plain = await parse_body(request, PayBolt11)
        amount_msat = None
        try:
            amountless = self.gw.decode_invoice(body.invoice).amount_msat is None
        except InvalidInvoice:
            amountless = False  # the core reports why it cannot be paid
        if amountless:  # `amount` counts only for zero-amount invoices, as in lndhub.go
            if body.amount is None or body.amount <= 0:
                raise AmountlessInvoice("amount required for a zero-amount invoice")
            amount_msat = body.amount * 1000
        payment = await self.gw.pay_invoice(
            cred.wallet_id, body.invoice, amount_msat=amount_msat,
            idempotency=self.idempotency(request, plain), wait=self.wait)
        return views.payment_sent(payment)

    async def _keysend(self, request: Request, cred: Credential, ks: Keysend,
                       idempotency: Idempotency | None) -> dict[str, Any]:
        payment = await self.gw.keysend(
            cred.wallet_id, ks.destination, ks.amount * 1000, custom_records=ks.tlv(),
            memo=ks.memo or "", idempotency=idempotency, wait=self.wait)
        return views.keysend_sent(payment, ks.records())

    async def keysend(self, request: Request, cred: Credential) -> dict[str, Any]:
        body, plain = await parse_body(request, Keysend)
        return await self._keysend(request, cred, body, self.idempotency(request, plain))

    async def keysend_multi(self, request: Request, cred: Credential) -> JSONResponse:
        body, plain = await parse_body(request, MultiKeysend)
        for ks in body.keysends:  # an invalid element refuses the whole request
            ks.tlv()
        results, succeeded = [], 0
        for i, ks in enumerate(body.keysends):
            try:
                sent = await self._keysend(request, cred, ks, self.idempotency(request, plain, i))
            except LngateError as exc:
                # Enough for the caller to tell which split failed (lndhub.go #261, #418).
                failed: dict[str, Any] = {"destination": ks.destination,
                                          "custom_records": ks.records(), "amount": 0, "fee": 0}
                if isinstance(exc, PaymentFailed) and exc.payment is not None:
                    failed["payment_hash"] = exc.payment.payment_hash
                results.append({"keysend": failed, "error": from_domain(exc).body()})
                continue
            succeeded += 1
            results.append({"keysend": sent})
        return JSONResponse({"keysends": results}, status_code=200 if succeeded else 500)

    # -- routing table -----------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        e = self.endpoint
        table = [
            ("/balance", e({"GET": ((BALANCE_READ,), self.balance, False)})),
            ("/user/me", e({"GET": ((ACCOUNT_READ,), self.me, False)})),
            ("/user/value4value", e({"GET": ((ACCOUNT_READ,), self.value4value, False)})),
            ("/user/summary", e({"GET": ((BALANCE_READ,), self.summary, False)})),
            ("/invoices", e({"GET": ((INVOICES_READ,), self.all_invoices, False),
                             "POST": ((INVOICES_CREATE,), self.create_invoice, False)})),
            ("/invoices/incoming", e({"GET": ((INVOICES_READ,), self.incoming, False)})),
            ("/invoices/outgoing", e({"GET": ((TRANSACTIONS_READ,), self.outgoing, False)})),
            # Alby's docs say invoices:read, its gateway's table invoices:create: either works.
            ("/invoices/{payment_hash}",
             e({"GET": ((INVOICES_READ, INVOICES_CREATE), self.get_invoice, False)})),
            # Any valid token may decode: Alby names no scope for it.
            ("/decode/bolt11/{bolt11}", e({"GET": ((), self.decode, False)})),
            ("/payments/bolt11", e({"POST": ((PAYMENTS_SEND,), self.pay_bolt11, True)})),
            ("/payments/keysend", e({"POST": ((PAYMENTS_SEND,), self.keysend, True)})),
            ("/payments/keysend/multi",
             e({"POST": ((PAYMENTS_SEND,), self.keysend_multi, True)})),
        ]
        routes: list[BaseRoute] = [Route(path, AnyMethod(handler)) for path, handler in table]

        async def unknown(_: Request) -> JSONResponse:
            return not_found()

        for prefix in ("/invoices", "/payments", "/user", "/decode"):
            routes.append(Route(prefix + "/{rest:path}", AnyMethod(unknown)))
        for prefix in ("/payments", "/user", "/decode"):
            routes.append(Route(prefix, AnyMethod(unknown)))
        return routes


class AnyMethod:
    """An ASGI endpoint taking every method, so a wrong one gets Alby's JSON 405 from the
    handler instead of Starlette's plain-text page."""

    def __init__(self, handler: Callable[[Request], Awaitable[JSONResponse]]) -> None:
        self.handler = handler

    async def __call__(self, scope, receive, send) -> None:
        response = await self.handler(Request(scope, receive))
        await response(scope, receive, send)
