"""POST /payments (create or pay), status by hash, hold invoices, labels, extra, decode."""
from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

import bech32
from starlette.requests import Request
from starlette.routing import Route

from gateway.errors import InvalidInvoice, LngateError, NotFound
from gateway.invoices import CURRENCY_BY_NETWORK
from gateway.models import Payment
from gateway.repo import now
from gateway.service import Gateway

from . import auth
from .errors import FieldError, LnbitsError, from_domain, payment_error, validation_error
from .fields import (field, hex_string, json_body, not_negative, to_bool, to_dict, to_float,
                     to_int, to_str, to_str_list)
from .routing import endpoint, idempotency, json
from .views import NS, meta, payment_json

HASH = re.compile(r"^(internal_)?([0-9a-fA-F]{64})$")
DEFAULT_MEMO = "LNbits"  # LNbits' site title, its default invoice description
MAX_MEMO = 640
NOT_IN_WALLET = "Payment does not exist or does not belong to this wallet."


async def find(gw: Gateway, ident: str, wallet_id: str | None) -> Payment | None:
    """A payment by checking_id (`internal_<hash>` is the payer's side) or payment_hash."""
    match = HASH.match(ident)
    if match is None:
        return None
    return await gw.find_payment(match.group(2).lower(), wallet_id=wallet_id,
                                 direction="out" if match.group(1) else None)


def _webhook(url: str | None) -> str | None:
    if url is None or url == "":
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LnbitsError(400, f"Callback URL origin '{url}' is not allowed."
                               " Please check your admin settings.")
    return url


def _external_id(value: Any) -> str:
    text = to_str(value, 256)
    if re.search(r"\s", text):
        raise FieldError("external_id must not contain spaces or newlines", "value_error")
    return text


def _unit(unit: str) -> None:
    if unit == "sat":
        return
    if re.fullmatch(r"[A-Z]{3}", unit):
        raise LnbitsError(400, f"Could not get exchange rate for {unit}.")
    raise LnbitsError(400, "The provided unit is not supported")


def routes(gw: Gateway, prefix: str) -> list[Route]:
    base = f"{prefix}/payments"

    async def create_invoice(request: Request, body: dict[str, Any], wallet_id: str):
        amount = field(body, "amount", to_float)
        if amount is None:
            raise validation_error(["body", "amount"],
                                   FieldError("field required", "value_error.missing"))
        not_negative("amount", amount)
        memo = field(body, "memo", lambda v: to_str(v, MAX_MEMO))
        description_hash = hex_string("description_hash", field(body, "description_hash", to_str))
        unhashed = hex_string("unhashed_description",
                              field(body, "unhashed_description", to_str))
        expiry = field(body, "expiry", to_int)
        webhook = _webhook(field(body, "webhook", to_str))
        extra = field(body, "extra", to_dict)
        hold_hash = field(body, "payment_hash", to_str)
        field(body, "internal", to_bool)  # every invoice here is issued by this gateway
        labels = field(body, "labels", to_str_list)
        external_id = field(body, "external_id", _external_id)
        _unit(field(body, "unit", to_str, default="sat"))
        amount_sat = int(amount)  # LNbits truncates; below 1 sat there is no invoice to issue
        if amount_sat <= 0:
            raise payment_error("Amountless invoices not supported.")
        if unhashed is not None:
            description_hash = hashlib.sha256(bytes.fromhex(unhashed)).hexdigest()
        if description_hash is not None:
            memo = ""
        elif memo is None:
            memo = DEFAULT_MEMO
        ours = {k: v for k, v in {"extra": extra, "webhook": webhook, "labels": labels,
                                  "external_id": external_id}.items() if v}
        try:
            created = await gw.create_invoice(
                wallet_id, amount_msat=amount_sat * 1000, memo=memo,
                description_hash=description_hash, expiry=expiry, payment_hash=hold_hash,
                extra={NS: ours} if ours else None, idempotency=idempotency(request, body))
        except LngateError as exc:
            raise from_domain(exc, amount_sat=amount_sat) from None
        return json(payment_json(created, fresh=True), 201)

    async def pay_invoice(request: Request, body: dict[str, Any], wallet_id: str):
        bolt11 = field(body, "bolt11", to_str)
        if not bolt11:
            raise LnbitsError(400, "Missing BOLT11 invoice")
        extra = field(body, "extra", to_dict)
        try:
            paid = await gw.pay_invoice(
                wallet_id, bolt11, extra={NS: {"extra": extra}} if extra else None,
                idempotency=idempotency(request, body), wait=gw.settings.pay_wait_seconds)
        except LngateError as exc:
            amount_sat = None
            try:
                amount_sat = (gw.decode_invoice(bolt11).amount_msat or 0) // 1000
            except InvalidInvoice:
                pass
            raise from_domain(exc, amount_sat=amount_sat) from None
        return json(payment_json(paid), 201)

    @endpoint
    async def create_or_pay(request: Request):
        cred = await auth.invoice_key(gw, request)
        body = await json_body(request)
        if field(body, "out", to_bool, default=True):  # LNbits: omitting `out` means pay
            if not auth.is_admin(cred):
                raise LnbitsError(403, "Invoice (or Admin) key required.")
            return await pay_invoice(request, body, cred.wallet_id)
        return await create_invoice(request, body, cred.wallet_id)

    @endpoint
    async def status(request: Request):
        cred = await auth.lookup(gw, request)  # optional: a key narrows the search to its wallet
        payment = await find(gw, request.path_params["ident"], cred and cred.wallet_id)
        if payment is None:
            raise LnbitsError(404, "Payment does not exist.")
        if (payment.status == "pending" and payment.direction == "in" and not payment.hold
                and payment.expires_at is not None and payment.expires_at <= now()):
            await gw.expire_invoices()
            payment = await gw.get_payment(payment.id)
        if payment.status == "success":
            body: dict[str, Any] = {"paid": True, "preimage": payment.preimage}
        elif payment.status == "failed":
            body = {"paid": False, "status": "failed"}
        elif cred is None:
            body = {"paid": False, "preimage": None}
        else:
            body = {"paid": False, "status": "pending", "preimage": None}
        if cred is not None:
            body["details"] = payment_json(payment)
        return json(body)

    def _hold_answer(payment: Payment) -> dict[str, Any]:
        return {"ok": True, "checking_id": payment.payment_hash,
                "payment_request": payment.bolt11, "error_message": None,
                "preimage": payment.preimage}

    async def _hold(op, *args):
        try:
            return await op(*args)
        except NotFound:
            raise LnbitsError(404, NOT_IN_WALLET) from None

    @endpoint
    async def settle(request: Request):
        cred = await auth.admin_key(gw, request)
        preimage = field(await json_body(request), "preimage", to_str)
        if preimage is None:
            raise validation_error(["body", "preimage"],
                                   FieldError("field required", "value_error.missing"))
        return json(_hold_answer(await _hold(gw.settle_hold_invoice, cred.wallet_id, preimage)))

    @endpoint
    async def cancel(request: Request):
        cred = await auth.admin_key(gw, request)
        payment_hash = field(await json_body(request), "payment_hash", to_str)
        if payment_hash is None:
            raise validation_error(["body", "payment_hash"],
                                   FieldError("field required", "value_error.missing"))
        return json(_hold_answer(await _hold(gw.cancel_hold_invoice, cred.wallet_id,
                                             payment_hash)))

    @endpoint
    async def settle_by_id(request: Request):
        """Seed docs' `PUT /payments/{checking_id}`: the preimage comes in the body."""
        cred = await auth.admin_key(gw, request)
        raw = await request.body()
        preimage = field(await json_body(request), "preimage", to_str) if raw.strip() else None
        if not preimage:
            raise LnbitsError(400, "A preimage is required to settle a hold invoice.")
        ident = HASH.match(request.path_params["ident"])
        try:
            digest = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        except ValueError:
            digest = None
        if ident is None or digest != ident.group(2).lower():
            raise LnbitsError(400, "Preimage does not match the payment hash.")
        await _hold(gw.settle_hold_invoice, cred.wallet_id, preimage)
        return json({"detail": "Payment settled"})

    @endpoint
    async def cancel_by_id(request: Request):
        cred = await auth.admin_key(gw, request)
        ident = HASH.match(request.path_params["ident"])
        if ident is None:
            raise LnbitsError(404, NOT_IN_WALLET)
        await _hold(gw.cancel_hold_invoice, cred.wallet_id, ident.group(2))
        return json({"detail": "Payment cancelled"})

    async def _own(request: Request, ident: str) -> Payment:
        cred = await auth.admin_key(gw, request)
        payment = await find(gw, ident, cred.wallet_id)
        if payment is None:
            raise LnbitsError(404, "Payment does not exist.")
        return payment

    async def _set_meta(payment: Payment, **changes: Any) -> Payment:
        return await gw.update_payment_extra(payment.id, {NS: {**meta(payment), **changes}})

    @endpoint
    async def labels(request: Request):
        payment = await _own(request, request.path_params["ident"])
        body = await json_body(request)
        names = field(body, "labels", to_str_list, default=[])
        await _set_meta(payment, labels=list(dict.fromkeys(names)))
        return json({"success": True, "message": "Payment labels updated."})

    @endpoint
    async def update_extra(request: Request):
        body = await json_body(request)
        ident = field(body, "payment_hash", to_str, default="")
        extra = field(body, "extra", to_dict, default={})
        payment = await _own(request, ident)
        if payment.status != "success":
            raise LnbitsError(400, "Payment is not successful.")
        current = dict(meta(payment).get("extra") or {})
        clash = [k for k in extra if k in current]
        if clash:
            raise LnbitsError(400, f"Extra keys already exist: {', '.join(clash)}.")
        updated = await _set_meta(payment, extra={**current, **extra})
        return json(payment_json(updated))

    @endpoint
    async def decode(request: Request):
        body = await json_body(request)
        data = (field(body, "data", to_str) or "").strip()
        wanted = field(body, "filter_fields", to_str_list)
        if data.lower().startswith("lnurl"):
            url = _lnurl(data)
            if url is not None:
                return json({"domain": url})
        try:
            decoded = _decoded(gw.decode_invoice(data))
        except InvalidInvoice as exc:
            message = f"Failed to decode: {exc.message}"
            # LNbits answers `message`; `detail` too, as every other LNbits error has it.
            return json({"message": message, "detail": message}, 400)
        if wanted:
            decoded = {k: v for k, v in decoded.items() if k in wanted}
        return json(decoded)

    @endpoint
    async def fee_reserve(request: Request):
        bolt11 = request.query_params.get("invoice", "")
        try:
            reserve = await gw.fee_reserve_for(bolt11)
        except InvalidInvoice as exc:
            message = "Invoice has no amount." if "amount" in exc.message else "Invalid invoice."
            raise LnbitsError(400, message) from None
        return json({"fee_reserve": reserve})

    return [
        Route(base, create_or_pay, methods=["POST"]),
        Route(f"{base}/decode", decode, methods=["POST"]),
        Route(f"{base}/settle", settle, methods=["POST"]),
        Route(f"{base}/cancel", cancel, methods=["POST"]),
        Route(f"{base}/extra", update_extra, methods=["PATCH"]),
        Route(f"{base}/fee-reserve", fee_reserve, methods=["GET"]),
        Route(f"{base}/{{ident}}/labels", labels, methods=["PUT"]),
        Route(f"{base}/{{ident}}", status, methods=["GET"]),
        Route(f"{base}/{{ident}}", settle_by_id, methods=["PUT"]),
        Route(f"{base}/{{ident}}", cancel_by_id, methods=["DELETE"]),
    ]


def _lnurl(text: str) -> str | None:
    hrp, data = bech32.bech32_decode(text.lower())
    if hrp != "lnurl" or data is None:
        return None
    raw = bech32.convertbits(data, 5, 8, False)
    return bytes(raw).decode("utf-8", "replace") if raw else None


def _decoded(inv) -> dict[str, Any]:
    """The fields LNbits' bolt11 decoder returns."""
    return {
        "currency": CURRENCY_BY_NETWORK[inv.network],
        "amount_msat": inv.amount_msat, "date": inv.timestamp, "signature": inv.signature,
        "payment_hash": inv.payment_hash, "payment_secret": inv.payment_secret,
        "description": inv.description, "description_hash": inv.description_hash,
        "expiry": inv.expiry, "min_final_cltv_expiry": inv.min_final_cltv_expiry,
        "payee": inv.payee, "features": inv.features, "route_hints": inv.route_hints,
        "expiry_date": inv.expires_at,
    }
