"""LNPay v1 endpoints: each parses LNPay's request, checks the key, calls one core operation and
answers in LNPay's shapes."""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway import errors as core
from gateway.models import Idempotency, Payment, Wallet
from gateway.service import Gateway, fingerprint

from . import bodies, lnurl, views
from .auth import ROLE_NAMES, account, require_sak, wallet_access
from .errors import LnpayError, bad_request, from_domain, unauthorized
from .pagination import paginate

DEFAULT_MEMO = "LNPay Invoice"
DEFAULT_EXPIRY = 86400
LNURL_DESCRIPTION = "LNPay Wallet Withdraw"


def _json(value: Any, request: Request, status: int = 200,
          headers: dict[str, str] | None = None, *, fields: bool = True) -> JSONResponse:
    if fields:
        value = views.limit_fields(value, request.query_params.get("fields"))
    return JSONResponse(value, status_code=status, headers=headers)


def _idempotency(request: Request, template: str, body: dict[str, Any]) -> Idempotency | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    return Idempotency(key=key, fingerprint=fingerprint("POST", template, body))


def _pass_thru(body: dict[str, Any], message: str = "passThru data must be valid json") -> dict:
    value = bodies.json_param(body.get("passThru"), message)
    if value is None:
        return {}
    if not isinstance(value, dict):
        # LNPay merged the user's passThru into its own object; a scalar or list is kept whole.
        return {"passThru": value}
    return value


class Endpoints:
    def __init__(self, gw: Gateway) -> None:
        self.gw = gw

    async def _wtx(self, payment: Payment) -> dict[str, Any]:
        wallet = await self.gw.get_wallet(payment.wallet_id)
        return views.wtx_view(payment, wallet, await self.gw.node_pubkey())

    # -- wallets -----------------------------------------------------------------------------

    async def create_wallet(self, request: Request) -> JSONResponse:
        cred = await account(self.gw, request)
        body = await bodies.read_body(request)
        name = bodies.string(body, "user_label")
        if name is None:
            raise bad_request("User Label cannot be blank.")
        try:
            created = await self.gw.create_wallet(name, user_id=cred.user_id)
        except core.InvalidRequest as exc:
            raise bad_request(exc.message) from None
        view = views.wallet_view(created.wallet)
        view["access_keys"] = {role: [created.keys[kind]] for kind, role in ROLE_NAMES.items()}
        return _json(view, request, 201, fields=False)

    async def list_wallets(self, request: Request) -> JSONResponse:
        cred = await require_sak(self.gw, request)
        wallets = await self.gw.list_wallets(cred.user_id)
        page = paginate(request, len(wallets), 100)
        rows = [views.wallet_view(w) for w in wallets[page.offset:page.offset + page.size]]
        return _json(rows, request, headers=page.headers)

    async def get_wallet(self, request: Request) -> JSONResponse:
        access = await wallet_access(self.gw, request, request.path_params["key"], "wallet_read")
        return _json(views.wallet_view(access.wallet), request)

    # -- history -----------------------------------------------------------------------------

    async def _history(self, request: Request, wallets: list[Wallet],
                       default_size: int) -> JSONResponse:
        # A settled payment is one wtx, plus a network_fee wtx if it paid a routing fee; so the
        # newest `offset + size` payments always cover the page, whatever the history's length.
        total = 0
        for wallet in wallets:
            total += await self.gw.count_payments(wallet.id, statuses=["success"])
            total += await self.gw.count_payments(wallet.id, statuses=["success"],
                                                  direction="out", fee_paid=True)
        page = paginate(request, total, default_size)
        needed = page.offset + page.size
        payments: list[Payment] = []
        for wallet in wallets:
            payments += await self.gw.list_payments(wallet.id, statuses=["success"],
                                                    limit=needed)
        payments = sorted(payments, key=lambda p: p.seq, reverse=True)[:needed]
        rows = views.wtx_rows(payments, {w.id: w for w in wallets}, await self.gw.node_pubkey())
        return _json(rows[page.offset:page.offset + page.size], request, headers=page.headers)

    async def wallet_transactions(self, request: Request) -> JSONResponse:
        access = await wallet_access(self.gw, request, request.path_params["key"], "wallet_read")
        return await self._history(request, [access.wallet], 100)

    async def account_transactions(self, request: Request) -> JSONResponse:
        cred = await require_sak(self.gw, request)
        return await self._history(request, await self.gw.list_wallets(cred.user_id), 20)

    async def get_lntx(self, request: Request) -> JSONResponse:
        cred = await account(self.gw, request)
        pid = views.payment_id_from(request.path_params["id"], "lntx_")
        not_found = unauthorized("LnTx not found")
        if pid is None:
            raise not_found
        try:
            payment = await self.gw.get_payment(pid)
            wallet = await self.gw.get_wallet(payment.wallet_id)
        except core.NotFound:
            raise not_found from None
        if wallet.user_id != cred.user_id or payment.kind == "transfer":
            raise not_found
        return _json(views.lntx_view(payment, await self.gw.node_pubkey()), request)

    # -- receiving ---------------------------------------------------------------------------

    async def create_invoice(self, request: Request) -> JSONResponse:
        access = await wallet_access(self.gw, request, request.path_params["key"],
                                     "wallet_deposit")
        body = await bodies.read_body(request)
        sats = bodies.integer(body, "num_satoshis", default=0)
        memo = bodies.string(body, "memo", DEFAULT_MEMO)
        expiry = bodies.integer(body, "expiry", default=DEFAULT_EXPIRY, minimum=1)
        given_hash = body.get("description_hash")
        description_hash = bodies.description_hash(given_hash)
        pass_thru = {**_pass_thru(body), "wallet_id": access.wallet.lnpay_id}
        extra = {"lnpay": {"passThru": pass_thru,
                           "description_hash": given_hash if description_hash else None}}
        try:
            payment = await self.gw.create_invoice(
                access.wallet.id, amount_msat=(sats * 1000) or None,
                memo="" if description_hash else memo, description_hash=description_hash,
                expiry=expiry, extra=extra,
                idempotency=_idempotency(request, "/v1/wallet/:key/invoice", body))
        except core.LngateError as exc:
            raise from_domain(exc, action="invoice") from None
        return _json(views.lntx_view(payment, await self.gw.node_pubkey()), request, 201)

    # -- sending -----------------------------------------------------------------------------

    async def withdraw(self, request: Request) -> JSONResponse:
        access = await wallet_access(self.gw, request, request.path_params["key"],
                                     "wallet_withdraw")
        body = await bodies.read_body(request)
        bolt11 = bodies.required(body, "payment_request")
        if not isinstance(bolt11, str):
            raise bad_request("Payment Request must be a string.")
        # Accepted for compatibility; the core's fee reserve rule caps routing fees.
        bodies.integer(body, "fee_limit_msat")
        pass_thru = {"method": "api", **_pass_thru(body)}
        params = bodies.json_param(body.get("lnPayParams"), "Invalid lnPayParams json specified")
        if params is not None:
            pass_thru["lnPayParams"] = params
        try:
            payment = await self.gw.pay_invoice(
                access.wallet.id, bolt11.strip(), extra={"lnpay": {"passThru": pass_thru}},
                idempotency=_idempotency(request, "/v1/wallet/:key/withdraw", body),
                wait=self.gw.settings.pay_wait_seconds)
        except core.LngateError as exc:
            raise from_domain(exc, action="withdraw") from None
        return _json(await self._wtx(payment), request, 201)

    async def keysend(self, request: Request) -> JSONResponse:
        access = await wallet_access(self.gw, request, request.path_params["key"],
                                     "wallet_withdraw")
        body = await bodies.read_body(request)
        pubkey = bodies.required(body, "dest_pubkey")
        if not isinstance(pubkey, str) or len(pubkey) != 66:
            raise bad_request("Dest Pubkey should contain 66 characters.")
        sats = bodies.integer(body, "num_satoshis", need=True)
        bodies.integer(body, "fee_limit_msat")
        records = _custom_records(body.get("custom_records"))
        pass_thru = {"method": "api", **_pass_thru(body)}
        if records:
            pass_thru["custom_records"] = {str(k): v.decode() for k, v in records.items()}
        memo = f"{sats} keysend to {pubkey}"
        run_async = request.headers.get("x-lnpay-async", "").strip().lower() not in (
            "", "0", "false")
        try:
            payment = await self.gw.keysend(
                access.wallet.id, pubkey, sats * 1000, custom_records=records, memo=memo,
                extra={"lnpay": {"passThru": pass_thru}},
                idempotency=_idempotency(request, "/v1/wallet/:key/keysend", body),
                wait=0 if run_async else self.gw.settings.pay_wait_seconds)
        except core.PaymentFailed as exc:
            if run_async and exc.payment is not None:  # the job was accepted, then failed
                return _json({"success": 1, "id": views.lntx_id(exc.payment)}, request, 201,
                             fields=False)
            raise from_domain(exc, action="keysend") from None
        except core.LngateError as exc:
            raise from_domain(exc, action="keysend") from None
        if run_async:
            return _json({"success": 1, "id": views.lntx_id(payment)}, request, 201,
                         fields=False)
        return _json(await self._wtx(payment), request, 201)

    async def transfer(self, request: Request) -> JSONResponse:
        access = await wallet_access(self.gw, request, request.path_params["key"],
                                     "wallet_transfer")
        body = await bodies.read_body(request)
        dest_id = bodies.required(body, "dest_wallet_id")
        sats = bodies.integer(body, "num_satoshis", need=True)
        memo = bodies.string(body, "memo", "") or ""
        params = bodies.json_param(body.get("lnPayParams"), "Invalid lnPayParams json specified")
        user = _pass_thru(body, "Invalid passThru json specified")
        if not isinstance(dest_id, str):
            raise bad_request("Invalid dest wallet id")
        try:
            dest = await self.gw.find_wallet_by_lnpay_id(dest_id.strip())
        except core.NotFound:
            raise bad_request("Invalid dest wallet id") from None
        if dest.id == access.wallet.id:
            raise bad_request("Source and destination wallets cannot be the same!")
        pass_thru = {**user, "lnPayParams": params, "dest_wallet_id": dest.lnpay_id,
                     "source_wallet_id": access.wallet.lnpay_id}
        try:
            out, into = await self.gw.transfer(
                access.wallet.id, dest.id, sats * 1000, memo=memo,
                extra={"lnpay": {"passThru": pass_thru}},
                idempotency=_idempotency(request, "/v1/wallet/:key/transfer", body))
        except core.LngateError as exc:
            raise from_domain(exc, action="transfer") from None
        return _json({"wtx_transfer_in": await self._wtx(into),
                      "wtx_transfer_out": await self._wtx(out)}, request, 201, fields=False)

    # -- LNURL-withdraw ----------------------------------------------------------------------

    def _lnurl_process_url(self, request: Request, wallet: Wallet) -> str:
        base = str(request.base_url).rstrip("/")
        return f"{base}/v1/wallet/{wallet.lnpay_id}/lnurl-process"

    async def lnurl_withdraw(self, request: Request) -> JSONResponse:
        access = await wallet_access(self.gw, request, request.path_params["key"],
                                     "wallet_withdraw")
        query = dict(request.query_params)
        sats = bodies.integer(query, "num_satoshis", minimum=1)
        memo = bodies.string(query, "memo")
        pass_thru = bodies.base64_json(query.get("passThru"))
        credential = access.wallet_key or access.account
        ott = await lnurl.issue(self.gw, {
            "wallet_id": access.wallet.id, "credential_id": credential.id,
            "num_satoshis": sats, "memo": memo, "passThru": pass_thru})
        url = f"{self._lnurl_process_url(request, access.wallet)}?ott={ott}"
        if sats:
            url += f"&num_satoshis={sats}"
        return _json({"lnurl": lnurl.encode_lnurl(url), "ott": ott}, request, fields=False)

    async def lnurl_process(self, request: Request) -> JSONResponse:
        """Public LUD-03 callback: errors are HTTP 200 {"status": "ERROR", "reason"}."""
        try:
            return await self._lnurl_process(request)
        except LnpayError as exc:
            return JSONResponse({"status": "ERROR", "reason": exc.message})

    async def _lnurl_process(self, request: Request) -> JSONResponse:
        invalid = bad_request(f"LNURL is no longer valid: {request.url}")
        found = await lnurl.lookup(self.gw, request.query_params.get("ott", ""))
        if found is None or found[1].get("used"):
            raise invalid
        digest, offer = found
        try:
            wallet = await self.gw.get_wallet(offer["wallet_id"])
        except core.NotFound:
            raise invalid from None
        if request.path_params["key"] != wallet.lnpay_id or not await self._still_valid(
                wallet, offer["credential_id"]):
            raise invalid
        max_msat = (offer["num_satoshis"] * 1000) if offer["num_satoshis"] else \
            wallet.balance_msat
        bolt11 = request.query_params.get("pr")
        if not bolt11:
            callback = f"{self._lnurl_process_url(request, wallet)}?ott=" \
                       f"{request.query_params['ott']}"
            return JSONResponse({
                "callback": callback, "k1": request.query_params["ott"],
                "maxWithdrawable": max_msat, "defaultDescription": offer["memo"] or
                LNURL_DESCRIPTION, "minWithdrawable": max_msat, "tag": "withdrawRequest"})
        try:
            invoice = self.gw.decode_invoice(bolt11)
        except core.LngateError as exc:
            raise bad_request(exc.message) from None
        requested = invoice.amount_msat or 0
        if (offer["num_satoshis"] and requested != max_msat) or requested > max_msat:
            raise bad_request(f"Requested invoice ({max_msat}) and invoice generated"
                              f" ({requested}) do not match.")
        await lnurl.mark_used(self.gw, digest, offer)
        pass_thru = {"method": "lnurl", **(offer["passThru"] if isinstance(
            offer["passThru"], dict) else {})}
        try:
            await self.gw.pay_invoice(
                wallet.id, bolt11, extra={"lnpay": {"passThru": pass_thru}},
                idempotency=Idempotency(key=f"lnurlw:{digest[:40]}",
                                        fingerprint=fingerprint("lnurlw", bolt11)),
                wait=self.gw.settings.pay_wait_seconds)
        except core.LngateError as exc:
            raise from_domain(exc, action="withdraw") from None
        return JSONResponse({"status": "OK"}, status_code=201)

    async def _still_valid(self, wallet: Wallet, credential_id: str) -> bool:
        """The key that issued the link must not have been revoked since."""
        creds = await self.gw.list_credentials(user_id=wallet.user_id)
        return any(c.id == credential_id and not c.revoked for c in creds)


def _custom_records(value: Any) -> dict[int, bytes]:
    value = bodies.json_param(value, "custom_records must be valid json")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("custom_records must be an object of TLV number to string value.")
    records: dict[int, bytes] = {}
    for key, item in value.items():
        text = str(key).strip()
        if not text.isdigit() or int(text) <= 65536 or int(text) >= 2**64:
            raise bad_request("custom_records keys must be integers greater than 65536.")
        if isinstance(item, (dict, list)):
            item = json.dumps(item, separators=(",", ":"))
        elif isinstance(item, bool) or item is None:
            raise bad_request("custom_records values must be strings.")
        records[int(text)] = str(item).encode()
    return records
