"""The Backend protocol over a Core Lightning node, through its JSON-RPC unix socket.

Request/response traffic and payments share one multiplexed asyncio connection; the settled-
invoice long-poll (`waitanyinvoice`) has its own, so neither waits for the other and no thread is
held (see backends/cln_rpc.py and bench/cln_rpc.py for why not pyln-client in a thread pool).

Outgoing payments: `xpay` (`pay` on nodes without it), keysend with `xkeysend` (`keysend`). A
definite refusal maps to FAILED only for the codes CLN documents as "nothing is in flight";
anything else (timeouts, a lost connection, -1, 209, plugin crashes) is UNKNOWN and the
reconciler asks `listpays` / `listsendpays` until CLN knows. A payment outlives the RPC call
that started it, so nothing here ever cancels one.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any, AsyncIterator

import bolt11 as bolt11_lib
import structlog

from backends.base import (
    BackendError,
    CreatedInvoice,
    HoldInvoicesUnsupported,
    InvoiceState,
    PayResult,
    PayStatus,
    SettledInvoice,
)
from backends.bolt11_encode import CURRENCY_BY_NETWORK, encode_invoice
from backends.cln_rpc import ClnRpc, RpcError, RpcNotSent, RpcTransportError

log = structlog.get_logger("lngate.cln")

# getinfo's network name -> the network name the core uses (testnet4 shares testnet's prefix).
NETWORKS = {"bitcoin": "bitcoin", "testnet": "testnet", "testnet4": "testnet",
            "signet": "signet", "regtest": "regtest"}

# Pay errors after which nothing of the payment is in flight (CLN docs, LNbits' list).
DEFINITE_FAILURES = {-32602, 203, 205, 206, 207, 210}
PAY_RHASH_ALREADY_USED = 201
ALREADY_PAID = 219
METHOD_NOT_FOUND = -32601
INVOICE_LABEL_EXISTS = 900
WAIT_TIMED_OUT = 904

# BoltzExchange/hold: the node never sees the preimage, as the core's hold invoices need.
BOLTZ_HOLD = {"holdinvoice", "settleholdinvoice", "cancelholdinvoice", "listholdinvoices"}
# daywalker90/holdinvoice wraps CLN's `invoice`, which needs the preimage at creation.
DAYWALKER_HOLD = {"holdinvoice", "holdinvoicesettle", "holdinvoicecancel", "holdinvoicelookup"}

KEYSEND_LABEL = "lngate-keysend"


def _sha256_hex(hex_str: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_str)).hexdigest()


def keysend_label(payment_hash: str, label: str) -> str:
    """CLN picks a keysend's preimage itself, so the core's payment hash is not CLN's: the label
    carries it, letting the reconciler find the payment after a lost reply."""
    return f"{KEYSEND_LABEL}:{payment_hash}:{label}"


class ClnBackend:
    name = "cln"

    # The RPC call of a payment is given this long before we stop waiting and call it UNKNOWN;
    # the payment itself goes on inside lightningd and the reconciler follows it.
    retry_for = 60
    pay_timeout = 120.0
    call_timeout = 30.0
    # waitanyinvoice's server-side timeout: one long-poll per this many seconds when idle.
    wait_timeout = 30

    def __init__(self, rpc_path: str) -> None:
        if not rpc_path:
            raise BackendError(
                "backend = \"cln\" needs the path of lightningd's RPC socket: --cln-rpc PATH, "
                "LNGATE_CLN_RPC or cln_rpc in the config file "
                "(usually ~/.lightning/<network>/lightning-rpc)")
        self.rpc_path = rpc_path
        self.network = ""
        self.pubkey = ""
        self.version = ""
        self.commands: set[str] = set()
        self.hold_plugin: str | None = None
        self._rpc = ClnRpc(rpc_path, prefix="lngate")
        self._stream_rpc = ClnRpc(rpc_path, prefix="lngate-stream")
        self._keysend_hashes: dict[str, str] = {}  # core's hash -> CLN's hash, once found

    @classmethod
    def from_settings(cls, settings: Any) -> "ClnBackend":
        return cls(settings.cln_rpc)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            info = await self._rpc.call("getinfo", timeout=self.call_timeout)
        except RpcTransportError as exc:
            raise BackendError(f"lightningd is not reachable: {exc}") from exc
        except RpcError as exc:
            raise BackendError(f"lightningd is not ready: {exc}") from exc
        network = NETWORKS.get(info.get("network", ""))
        if network is None:
            raise BackendError(f"lightningd runs on an unsupported network {info.get('network')!r}")
        self.network, self.pubkey, self.version = network, info["id"], info.get("version", "")
        for key in ("warning_bitcoind_sync", "warning_lightningd_sync"):
            if info.get(key):
                log.warning("cln.not_synced", warning=info[key])
        self.commands = await self._list_commands()
        self.hold_plugin = self._detect_hold_plugin()
        log.info("cln.started", network=self.network, version=self.version, pubkey=self.pubkey,
                 pay="xpay" if self._has("xpay") else "pay",
                 keysend="xkeysend" if self._has("xkeysend") else "keysend",
                 hold_plugin=self.hold_plugin)

    async def stop(self) -> None:
        await self._rpc.close()
        await self._stream_rpc.close()

    async def _list_commands(self) -> set[str]:
        try:
            result = await self._rpc.call("help", timeout=self.call_timeout)
        except RpcError:
            return set()  # unknown: try the modern commands and fall back on -32601
        return {str(entry.get("command", "")).split(" ")[0] for entry in result.get("help", [])}

    def _has(self, command: str) -> bool:
        return not self.commands or command in self.commands

    def _detect_hold_plugin(self) -> str | None:
        if BOLTZ_HOLD <= self.commands:
            return "boltz"
        if DAYWALKER_HOLD <= self.commands:
            return "daywalker90"
        return None

    async def node_pubkey(self) -> str:
        return self.pubkey

    async def _call(self, method: str, params: dict[str, Any] | None = None, *,
                    timeout: float | None = None, **kw: Any) -> Any:
        return await self._rpc.call(method, params, timeout=timeout or self.call_timeout, **kw)

    # -- invoices --------------------------------------------------------------------------

    async def create_invoice(
        self,
        *,
        label: str,
        amount_msat: int | None,
        memo: str,
        description_hash: str | None,
        expiry: int,
        preimage: str | None = None,
        payment_hash: str | None = None,
    ) -> CreatedInvoice:
        if (preimage is None) == (payment_hash is None):
            raise BackendError("exactly one of preimage (ordinary) or payment_hash (hold) is required")
        if payment_hash is not None:
            return await self._create_hold_invoice(payment_hash, amount_msat)
        existing = await self._invoice_by_label(label)
        if existing is not None:  # a retry after a lost reply
            return self._created(existing)
        params: dict[str, Any] = {
            "amount_msat": amount_msat if amount_msat else "any",
            "label": label, "description": memo, "expiry": expiry, "preimage": preimage,
            "exposeprivatechannels": True,
        }
        method = "invoice"
        if description_hash is not None:
            if hashlib.sha256(memo.encode()).hexdigest() == description_hash:
                params["deschashonly"] = True
            else:
                # Only the hash is known: hand lightningd a ready invoice to sign and store.
                method, params = "createinvoice", {
                    "invstring": self._unsigned_invoice(amount_msat, description_hash, expiry,
                                                        _sha256_hex(preimage)),
                    "label": label, "preimage": preimage}
        for attempt in (1, 2):
            try:
                created = await self._call(method, params)
                break
            except RpcError as exc:
                if exc.code == INVOICE_LABEL_EXISTS:  # a retry of ours, or a lost reply
                    existing = await self._invoice_by_label(label)
                    if existing is not None:
                        return self._created(existing)
                raise
            except RpcTransportError:
                # lightningd may or may not have created it: the label makes a retry safe.
                if attempt == 2:
                    raise
        if method == "createinvoice":
            return self._created(created)
        for warning in ("warning_capacity", "warning_offline", "warning_deadends",
                        "warning_private_unused", "warning_mpp"):
            if created.get(warning):
                log.info("cln.invoice_warning", label=label, warning=created[warning])
        return CreatedInvoice(created["bolt11"], created["payment_hash"], created["expires_at"])

    def _unsigned_invoice(self, amount_msat: int | None, description_hash: str, expiry: int,
                          payment_hash: str) -> str:
        """A BOLT11 string for `createinvoice`, which ignores our signature and signs its own."""
        throwaway_key = hashlib.sha256(b"lngate-cln-unsigned").hexdigest()
        return encode_invoice(
            throwaway_key, CURRENCY_BY_NETWORK[self.network], payment_hash=payment_hash,
            amount_msat=amount_msat, memo="", description_hash=description_hash, expiry=expiry,
            timestamp=int(time.time()))

    @staticmethod
    def _created(row: dict[str, Any]) -> CreatedInvoice:
        return CreatedInvoice(row["bolt11"], row["payment_hash"], row["expires_at"])

    async def _invoice_by_label(self, label: str) -> dict[str, Any] | None:
        invoices = (await self._call("listinvoices", {"label": label}))["invoices"]
        return invoices[0] if invoices else None

    async def _invoice_by_hash(self, payment_hash: str) -> dict[str, Any] | None:
        invoices = (await self._call("listinvoices", {"payment_hash": payment_hash}))["invoices"]
        return invoices[0] if invoices else None

    async def cancel_invoice(self, payment_hash: str) -> None:
        # Best effort: delete it while unpaid (a compare-and-delete on the status).
        row = await self._invoice_by_hash(payment_hash)
        if row is None or row["status"] != "unpaid":
            return
        try:
            await self._call("delinvoice", {"label": row["label"], "status": "unpaid"})
        except RpcError as exc:
            log.info("cln.delinvoice_refused", payment_hash=payment_hash, error=str(exc))

    async def invoice_state(self, payment_hash: str) -> InvoiceState:
        if self.hold_plugin == "boltz":
            held = await self._call("listholdinvoices", {"payment_hash": payment_hash})
            for row in held.get("holdinvoices", []):
                return {"unpaid": InvoiceState.OPEN, "accepted": InvoiceState.ACCEPTED,
                        "paid": InvoiceState.SETTLED,
                        "cancelled": InvoiceState.CANCELLED}.get(row["state"], InvoiceState.UNKNOWN)
        row = await self._invoice_by_hash(payment_hash)
        if row is None:
            return InvoiceState.UNKNOWN
        if row["status"] == "paid":
            return InvoiceState.SETTLED
        if row["status"] == "expired" or row["expires_at"] <= time.time():
            return InvoiceState.CANCELLED
        return InvoiceState.OPEN

    # -- hold invoices (BoltzExchange/hold) ---------------------------------------------------

    def _require_hold(self) -> None:
        if self.hold_plugin == "boltz":
            return
        if self.hold_plugin == "daywalker90":
            raise HoldInvoicesUnsupported(
                "the node's daywalker90/holdinvoice plugin needs the preimage when the invoice "
                "is created; hold invoices by payment hash need the BoltzExchange/hold plugin")
        raise HoldInvoicesUnsupported(
            "this Core Lightning node has no hold-invoice plugin; load BoltzExchange/hold "
            "(commands holdinvoice, settleholdinvoice, cancelholdinvoice)")

    async def _create_hold_invoice(self, payment_hash: str, amount_msat: int | None
                                   ) -> CreatedInvoice:
        self._require_hold()
        if not amount_msat:
            raise BackendError("hold invoices on Core Lightning need an amount")
        held = await self._call("listholdinvoices", {"payment_hash": payment_hash})
        rows = held.get("holdinvoices", [])
        if rows:  # a retry after a lost reply
            bolt11 = rows[0]["invoice"]
        else:
            created = await self._call("holdinvoice",
                                       {"payment_hash": payment_hash, "amount": amount_msat})
            bolt11 = created["bolt11"]
        decoded = bolt11_lib.decode(bolt11)
        return CreatedInvoice(bolt11, payment_hash, int(decoded.date) + int(decoded.expiry))

    async def settle_hold_invoice(self, preimage: str) -> None:
        self._require_hold()
        await self._call("settleholdinvoice", {"preimage": preimage})

    async def cancel_hold_invoice(self, payment_hash: str) -> None:
        self._require_hold()
        await self._call("cancelholdinvoice", {"payment_hash": payment_hash})

    # -- outgoing payments -----------------------------------------------------------------

    def _decode_payable(self, bolt11: str) -> bolt11_lib.Bolt11:
        try:
            invoice = bolt11_lib.decode(bolt11.strip())
        except Exception as exc:
            raise _Refused(f"invalid bolt11 invoice: {exc}") from exc
        if invoice.currency != CURRENCY_BY_NETWORK.get(self.network):
            raise _Refused(f"invoice is for another network; this node runs on {self.network}")
        return invoice

    async def pay_invoice(
        self, *, label: str, bolt11: str, amount_msat: int, fee_limit_msat: int
    ) -> PayResult:
        try:
            invoice = self._decode_payable(bolt11)
        except _Refused as exc:
            return PayResult(PayStatus.FAILED, reason=str(exc))
        amount = None if invoice.amount_msat else amount_msat
        use_xpay = self._has("xpay")
        while True:
            if use_xpay:
                method = "xpay"
                params = {"invstring": bolt11, "amount_msat": amount, "maxfee": fee_limit_msat,
                          "retry_for": self.retry_for}
            else:
                method = "pay"
                params = {"bolt11": bolt11, "amount_msat": amount, "maxfee": fee_limit_msat,
                          "retry_for": self.retry_for, "label": label}
            result = await self._pay_call(method, params, invoice.payment_hash)
            if result is _FALL_BACK and use_xpay:
                use_xpay = False  # help said nothing, and this node has no xpay
                self.commands.discard("xpay")
                continue
            return result  # type: ignore[return-value]

    async def keysend(
        self,
        *,
        label: str,
        destination: str,
        amount_msat: int,
        fee_limit_msat: int,
        preimage: str,
        custom_records: dict[int, bytes],
    ) -> PayResult:
        # CLN draws the preimage itself; `preimage` only names the payment (its hash) for us.
        gateway_hash = _sha256_hex(preimage)
        params = {"destination": destination, "amount_msat": amount_msat,
                  "maxfee": fee_limit_msat, "retry_for": self.retry_for,
                  "label": keysend_label(gateway_hash, label),
                  "extratlvs": {str(k): v.hex() for k, v in custom_records.items()} or None}
        for method in ("xkeysend", "keysend"):
            if method == "xkeysend" and not self._has("xkeysend"):
                continue
            result = await self._pay_call(method, params, None, gateway_hash=gateway_hash)
            if result is not _FALL_BACK:
                return result  # type: ignore[return-value]
        return PayResult(PayStatus.FAILED, reason="this node has neither xkeysend nor keysend")

    async def _pay_call(self, method: str, params: dict[str, Any], payment_hash: str | None,
                        *, gateway_hash: str | None = None) -> PayResult | object:
        try:
            reply = await self._rpc.call(method, params, timeout=self.pay_timeout)
        except RpcNotSent as exc:
            return PayResult(PayStatus.FAILED, reason=f"not sent: {exc}")
        except RpcTransportError as exc:
            log.warning("cln.pay_outcome_unknown", method=method, error=str(exc))
            return PayResult(PayStatus.UNKNOWN, reason=str(exc))
        except RpcError as exc:
            return await self._pay_error(exc, payment_hash, gateway_hash)
        preimage = reply["payment_preimage"]
        status = reply.get("status", "complete")  # pay-shaped replies carry a status
        if status == "pending":
            return PayResult(PayStatus.PENDING)
        if status == "failed":
            return PayResult(PayStatus.FAILED, reason="payment failed")
        real_hash = _sha256_hex(preimage)
        if gateway_hash is not None:
            self._keysend_hashes[gateway_hash] = real_hash
        fee = max(0, int(reply["amount_sent_msat"]) - int(reply["amount_msat"]))
        return PayResult(PayStatus.SETTLED, preimage=preimage, fee_msat=fee,
                         payment_hash=real_hash)

    async def _pay_error(self, exc: RpcError, payment_hash: str | None,
                         gateway_hash: str | None) -> PayResult | object:
        if exc.code == METHOD_NOT_FOUND:
            # Unknown command (or deprecated and disabled): nothing was attempted.
            return _FALL_BACK
        if exc.code == ALREADY_PAID and payment_hash is not None:
            known = await self._status_or_unknown(payment_hash)
            return known if known.status is PayStatus.SETTLED else PayResult(
                PayStatus.UNKNOWN, reason=f"{exc.message}; waiting for listpays to agree")
        if exc.code == PAY_RHASH_ALREADY_USED and payment_hash is not None:
            # Another attempt with this hash exists at the node: only a failed one is harmless.
            try:
                pays = (await self._call("listpays", {"payment_hash": payment_hash}))["pays"]
            except BackendError:
                return PayResult(PayStatus.UNKNOWN, reason=exc.message)
            if any(pay["status"] in ("complete", "pending") for pay in pays):
                log.warning("cln.hash_already_used", payment_hash=payment_hash)
                return PayResult(PayStatus.UNKNOWN, reason=exc.message)
            return PayResult(PayStatus.FAILED, reason=exc.message)
        if exc.code in DEFINITE_FAILURES:
            return PayResult(PayStatus.FAILED, reason=exc.message)
        log.warning("cln.pay_outcome_unknown", code=exc.code, error=exc.message)
        return PayResult(PayStatus.UNKNOWN, reason=exc.message)

    async def _status_or_unknown(self, payment_hash: str) -> PayResult:
        try:
            return await self.payment_status(payment_hash)
        except BackendError as exc:
            return PayResult(PayStatus.UNKNOWN, reason=str(exc))

    async def payment_status(self, payment_hash: str) -> PayResult:
        """Aggregate every attempt CLN recorded for the hash: paid if any part group completed,
        failed only if every attempt failed and no part is in flight; no record is UNKNOWN."""
        pays = (await self._call("listpays", {"payment_hash": payment_hash}))["pays"]
        if not pays:
            real_hash = await self._keysend_hash(payment_hash)
            if real_hash is not None and real_hash != payment_hash:
                return await self.payment_status(real_hash)
            return PayResult(PayStatus.NOT_FOUND, reason="Core Lightning has no record of it")
        for pay in pays:
            if pay["status"] == "complete":
                fee = max(0, int(pay.get("amount_sent_msat", 0)) - int(pay.get("amount_msat", 0)))
                return PayResult(PayStatus.SETTLED, preimage=pay["preimage"], fee_msat=fee,
                                 payment_hash=payment_hash)
        if any(pay["status"] == "pending" for pay in pays):
            return PayResult(PayStatus.PENDING)
        # listpays can lag listsendpays by a few ms; parts are the ground truth.
        parts = (await self._call("listsendpays", {"payment_hash": payment_hash}))["payments"]
        if any(part["status"] == "pending" for part in parts):
            return PayResult(PayStatus.PENDING)
        if any(part["status"] == "complete" for part in parts):
            return PayResult(PayStatus.UNKNOWN, reason="listpays and listsendpays disagree")
        return PayResult(PayStatus.FAILED, reason="every attempt failed")

    async def _keysend_hash(self, gateway_hash: str) -> str | None:
        """CLN's payment hash of a keysend the core knows by its own hash, found by label."""
        if gateway_hash in self._keysend_hashes:
            return self._keysend_hashes[gateway_hash]
        prefix = f"{KEYSEND_LABEL}:{gateway_hash}:"
        start, page = 0, 1000
        while True:
            rows = (await self._call(
                "listsendpays", {"index": "created", "start": start, "limit": page},
                filter={"payments": [{"created_index": True, "label": True,
                                      "payment_hash": True}]}))["payments"]
            for row in rows:
                if str(row.get("label", "")).startswith(prefix):
                    self._keysend_hashes[gateway_hash] = row["payment_hash"]
                    return row["payment_hash"]
            if len(rows) < page:
                return None
            start = int(rows[-1]["created_index"]) + 1

    # -- incoming payments -------------------------------------------------------------------

    async def settled_invoices(self, after_index: int) -> AsyncIterator[SettledInvoice]:
        """`waitanyinvoice` from the core's persisted `pay_index`: invoices paid while the gateway
        was down come first, then new ones as they are paid."""
        last = after_index
        while True:
            try:
                paid = await self._stream_rpc.call(
                    "waitanyinvoice", {"lastpay_index": last, "timeout": self.wait_timeout},
                    timeout=self.wait_timeout + 30)
            except RpcError as exc:
                if exc.code == WAIT_TIMED_OUT:
                    continue  # an idle long-poll, not an error
                raise
            index = paid.get("pay_index")
            if paid.get("status") != "paid" or index is None or index <= last:
                # Not a settlement, or a replay of one we already passed: never yield it twice.
                await asyncio.sleep(0.2)
                continue
            last = int(index)
            yield SettledInvoice(
                payment_hash=paid["payment_hash"],
                amount_msat=int(paid.get("amount_received_msat", paid.get("amount_msat", 0))),
                preimage=paid["payment_preimage"],
                index=last,
            )


class _Refused(Exception):
    pass


_FALL_BACK = object()  # the pay command is missing on this node: try the older one
