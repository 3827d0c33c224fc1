"""The core's operations. Dialects call these; nothing else changes a balance.

Money rules live here once:
- Fee reserve for an external payment: max(fee_reserve_min_msat, fee_reserve_percent % of the
  amount), rounded up; internal payments and transfers reserve nothing. The reserve is held
  with the amount before the backend is called and is passed to it as the fee cap; the real
  fee is posted on success and the rest returns.
- An outgoing payment is pending -> success | failed, both terminal, each change written
  compare-and-set. An unknown backend outcome keeps the reservation; the reconciler asks the
  backend again later.
- A payment to an invoice issued by this gateway settles inside one database transaction,
  without the backend; an expired, cancelled or already paid invoice is refused and its
  preimage never revealed.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import re
import secrets
from typing import Any, Awaitable, Callable

import structlog

from backends.base import (Backend, BackendError, InvoiceState, PayResult, PayStatus,
                           SettledInvoice)

from . import invoices, keys, ledger, repo
from .config import Settings
from .errors import (AlreadyPaid, AmountLimitExceeded, AmountlessInvoice, BackendFailure,
                     FeeReserveRequired, HoldInvoiceError, IdempotencyConflict,
                     InsufficientBalance, InvalidAmount, InvalidDestination, InvalidInvoice,
                     InvalidRequest, InvoiceExpired, InvoiceNotPayable, NotFound,
                     PaymentFailed, PaymentInFlight, WrongNetwork)
from .models import DecodedInvoice, Idempotency, Payment
from .reading import ReadOps
from .repo import now
from .store import Store, Tx, UniqueViolation
from .wallets import CreatedWallet, WalletOps

__all__ = ["CreatedWallet", "Gateway", "fingerprint", "sha256_hex"]

log = structlog.get_logger("lngate.core")

HEX64 = re.compile(r"^[0-9a-f]{64}$")
PUBKEY = re.compile(r"^0[23][0-9a-f]{64}$")
WALLET_TLV = 696969  # keysend record naming the receiving wallet (LNPay, Alby, lndhub.go)
SETTLE_INDEX_KEY = "backend.settle_index"
MAX_MEMO = 1024
MAX_EXPIRY = 365 * 24 * 3600


class _IdempotentReplay(Exception):
    """Another request with the same Idempotency-Key committed first."""


def sha256_hex(data_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(data_hex)).hexdigest()


def fingerprint(*parts: Any) -> str:
    """A stable digest of a request, for Idempotency-Key comparison."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class Gateway(WalletOps, ReadOps):
    def __init__(self, store: Store, backend: Backend, settings: Settings) -> None:
        self.store = store
        self.backend = backend
        self.settings = settings
        self._signal = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._inflight: set[str] = set()  # outgoing payments whose backend call is running here
        self._node_pubkey: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the store and the backend without starting background work (CLI use)."""
        await self.store.open()
        async with self.store.transaction() as tx:
            await ledger.ensure_system_accounts(tx)
        await self.backend.start()

    async def start(self) -> None:
        """Open, then follow settled invoices and reconcile in-flight payments."""
        await self.open()
        from .reconciler import follow_settlements, reconcile_forever

        self.spawn(follow_settlements(self))
        self.spawn(reconcile_forever(self))

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.backend.stop()
        await self.store.close()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _notify(self) -> None:
        self._signal.set()
        self._signal = asyncio.Event()

    async def wait_for_change(self, timeout: float) -> None:
        """Wait until any payment changes state (or the timeout passes)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._signal.wait(), timeout)

    async def node_pubkey(self) -> str:
        if self._node_pubkey is None:
            self._node_pubkey = await self.backend.node_pubkey()
        return self._node_pubkey

    # -- rules -------------------------------------------------------------------------------

    def fee_reserve(self, amount_msat: int) -> int:
        pct = math.ceil(amount_msat * self.settings.fee_reserve_percent / 100)
        return max(self.settings.fee_reserve_min_msat, pct)

    def check_amount(self, amount_msat: Any) -> int:
        if not isinstance(amount_msat, int) or isinstance(amount_msat, bool):
            raise InvalidAmount(f"amount must be an integer number of msat, got {amount_msat!r}")
        if amount_msat <= 0:
            raise InvalidAmount("amount must be positive")
        if amount_msat > self.settings.max_payment_msat:
            raise AmountLimitExceeded(
                f"amount {amount_msat} msat is over the maximum of "
                f"{self.settings.max_payment_msat} msat", max_msat=self.settings.max_payment_msat)
        return amount_msat

    def decode_invoice(self, bolt11: str) -> DecodedInvoice:
        return invoices.decode(bolt11)

    def _payable(self, bolt11: str) -> DecodedInvoice:
        inv = invoices.decode(bolt11)
        if inv.network != self.backend.network:
            raise WrongNetwork(f"invoice is for {inv.network}, this gateway is on "
                               f"{self.backend.network}")
        if inv.expires_at <= now():
            raise InvoiceExpired("invoice expired")
        return inv

    async def fee_reserve_for(self, bolt11: str) -> int:
        inv = invoices.decode(bolt11)
        if inv.amount_msat is None:
            raise AmountlessInvoice("invoice has no amount")
        if await repo.invoice_row(self.store, inv.payment_hash):
            return 0
        return self.fee_reserve(inv.amount_msat)

    # -- idempotency -------------------------------------------------------------------------

    async def _replay(self, wallet_id: str, idem: Idempotency | None) -> list[Payment] | None:
        if idem is None:
            return None
        row = await self.store.fetchone(
            "SELECT fingerprint, result FROM idempotency WHERE wallet_id = ? AND key = ?",
            (wallet_id, idem.key))
        if row is None:
            return None
        if not hmac.compare_digest(row["fingerprint"], idem.fingerprint):
            raise IdempotencyConflict(
                "Idempotency-Key was already used with a different request")
        return [await self.get_payment(pid) for pid in json.loads(row["result"])]

    async def _claim(self, tx: Tx, wallet_id: str, idem: Idempotency | None,
                     payment_ids: list[str]) -> None:
        if idem is None:
            return
        try:
            await tx.execute(
                "INSERT INTO idempotency (wallet_id, key, fingerprint, result, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (wallet_id, idem.key, idem.fingerprint, json.dumps(payment_ids), now()))
        except UniqueViolation as exc:
            raise _IdempotentReplay() from exc

    async def _idempotent(self, wallet_id: str, idem: Idempotency | None,
                          op: Callable[[], Awaitable[Any]],
                          from_replay: Callable[[list[Payment]], Any]) -> Any:
        if idem is not None and not (isinstance(idem.key, str) and 0 < len(idem.key) <= 255):
            raise InvalidRequest("Idempotency-Key must be 1 to 255 characters")
        replayed = await self._replay(wallet_id, idem)
        if replayed is not None:
            return from_replay(replayed)
        try:
            return await op()
        except _IdempotentReplay:
            return from_replay(await self._replay(wallet_id, idem))

    # -- receiving ---------------------------------------------------------------------------

    async def create_invoice(self, wallet_id: str, *, amount_msat: int | None, memo: str = "",
                             description_hash: str | None = None, expiry: int | None = None,
                             payment_hash: str | None = None, extra: dict | None = None,
                             idempotency: Idempotency | None = None) -> Payment:
        """Issue a BOLT11 invoice for the wallet. With `payment_hash` it is a hold invoice."""
        await self.get_wallet(wallet_id)
        if amount_msat is not None:
            self.check_amount(amount_msat)
        memo = _clean_memo(memo)
        if description_hash is not None:
            description_hash = _hex64(description_hash, "description_hash")
        if payment_hash is not None:
            payment_hash = _hex64(payment_hash, "payment_hash")
        expiry = self.settings.invoice_expiry if expiry is None else expiry
        if not isinstance(expiry, int) or isinstance(expiry, bool) or not 0 < expiry <= MAX_EXPIRY:
            raise InvalidRequest(f"expiry must be between 1 and {MAX_EXPIRY} seconds")

        async def op() -> Payment:
            pid = keys.new_alnum(24)
            preimage = None if payment_hash else secrets.token_hex(32)
            try:
                created = await self.backend.create_invoice(
                    label=pid, amount_msat=amount_msat, memo=memo,
                    description_hash=description_hash, expiry=expiry, preimage=preimage,
                    payment_hash=payment_hash)
            except BackendError as exc:
                raise (HoldInvoiceError if payment_hash else BackendFailure)(str(exc)) from exc
            async with self.store.transaction() as tx:
                await self._claim(tx, wallet_id, idempotency, [pid])
                try:
                    await repo.insert_payment(
                        tx, id=pid, wallet_id=wallet_id, direction="in", kind="invoice",
                        status="pending", amount_msat=amount_msat or 0, fee_msat=0,
                        payment_hash=created.payment_hash, preimage=preimage,
                        bolt11=created.bolt11, memo=memo, description_hash=description_hash,
                        expires_at=created.expires_at, hold=payment_hash is not None,
                        extra=extra or {})
                except UniqueViolation as exc:
                    raise HoldInvoiceError("an invoice with this payment hash exists") from exc
                await repo.add_event(tx, "payment.created", pid, wallet_id)
            self._notify()
            return await self.get_payment(pid)

        return await self._idempotent(wallet_id, idempotency, op, lambda ps: ps[0])

    async def settle_incoming(self, settled: SettledInvoice) -> Payment | None:
        """Credit a payment the backend reports as received. Idempotent: a duplicate event
        (or a second worker) finds the invoice already settled and changes nothing."""
        async with self.store.transaction() as tx:
            result = await self._settle_incoming_tx(tx, settled)
            if settled.index:
                current = int(await repo.kv_get(tx, SETTLE_INDEX_KEY) or 0)
                if settled.index > current:
                    await repo.kv_set(tx, SETTLE_INDEX_KEY, str(settled.index))
        if result is not None:
            self._notify()
        return result

    async def _settle_incoming_tx(self, tx: Tx, s: SettledInvoice) -> Payment | None:
        row = await repo.invoice_row(tx, s.payment_hash)
        if row is None:
            return await self._receive_keysend(tx, s)
        # An invoice we marked expired ourselves can still have been paid at the node just
        # before: the node is the truth about money that arrived.
        changed = await tx.execute(
            "UPDATE payments SET status = 'success', amount_msat = ?, preimage = ?,"
            " settled_at = ?, updated_at = ?, failure_reason = NULL"
            " WHERE id = ? AND (status = 'pending' OR (status = 'failed'"
            " AND failure_reason = 'expired'))",
            (s.amount_msat, s.preimage, now(), now(), row["id"]))
        if changed != 1:
            return None
        await ledger.post(tx, ledger.LIGHTNING, row["wallet_id"], s.amount_msat, row["id"])
        await repo.add_event(tx, "payment.succeeded", row["id"], row["wallet_id"])
        log.info("invoice.settled", payment_id=row["id"], amount_msat=s.amount_msat)
        return await repo.payment(tx, row["id"])

    async def _receive_keysend(self, tx: Tx, s: SettledInvoice) -> Payment | None:
        """A spontaneous payment: credit the wallet named by TLV 696969, if any."""
        if await tx.fetchone("SELECT 1 FROM payments WHERE payment_hash = ? AND direction = 'in'",
                             (s.payment_hash,)):
            return None  # already credited
        target = s.custom_records.get(WALLET_TLV, b"").decode("utf-8", "replace").strip()
        row = await tx.fetchone("SELECT id FROM wallets WHERE id = ? OR lnpay_id = ?",
                                (target, target)) if target else None
        if row is None:
            log.warning("keysend.unattributed", payment_hash=s.payment_hash,
                        amount_msat=s.amount_msat)
            return None
        pid = keys.new_alnum(24)
        await repo.insert_payment(
            tx, id=pid, wallet_id=row["id"], direction="in", kind="keysend", status="success",
            amount_msat=s.amount_msat, fee_msat=0, payment_hash=s.payment_hash,
            preimage=s.preimage, settled_at=now(),
            custom_records={str(k): v.hex() for k, v in s.custom_records.items()})
        await ledger.post(tx, ledger.LIGHTNING, row["id"], s.amount_msat, pid)
        await repo.add_event(tx, "payment.succeeded", pid, row["id"])
        return await repo.payment(tx, pid)

    async def fund_wallet(self, wallet_id: str, amount_msat: int) -> Payment:
        """Simulated network only: an external payer pays a fresh invoice of the wallet."""
        external_pay = getattr(self.backend, "external_pay", None)
        if external_pay is None:
            raise InvalidRequest("funding is only possible with the simulated backend")
        invoice = await self.create_invoice(wallet_id, amount_msat=amount_msat,
                                            memo="Funding from the simulated network")
        try:
            await external_pay(invoice.bolt11)
        except BackendError as exc:
            raise BackendFailure(str(exc)) from exc
        # The settled-invoice stream would credit it too; settlement is idempotent.
        await self.settle_incoming(SettledInvoice(
            payment_hash=invoice.payment_hash, amount_msat=amount_msat,
            preimage=invoice.preimage, index=0))
        return await self.get_payment(invoice.id)

    # -- hold invoices -----------------------------------------------------------------------

    async def _hold_invoice(self, wallet_id: str, payment_hash: str) -> dict[str, Any]:
        row = await repo.invoice_row(self.store, payment_hash)
        if row is None or row["wallet_id"] != wallet_id or not row["hold"]:
            raise NotFound("hold invoice not found in this wallet")
        if row["status"] != "pending":
            raise HoldInvoiceError(f"hold invoice is already {row['status']}")
        return row

    async def settle_hold_invoice(self, wallet_id: str, preimage: str) -> Payment:
        preimage = _hex64(preimage, "preimage")
        row = await self._hold_invoice(wallet_id, sha256_hex(preimage))
        if row["peer_payment_id"]:  # paid from a wallet of this gateway
            async with self.store.transaction() as tx:
                payer = await repo.payment_row(tx, row["peer_payment_id"])
                if not await _cas(tx, payer["id"], "success", preimage=preimage,
                                  settled_at=now()):
                    raise HoldInvoiceError("hold invoice payment is no longer pending")
                await ledger.post_pending(tx, payer["reservation_id"], payer["amount_msat"])
                await _cas(tx, row["id"], "success", preimage=preimage, settled_at=now())
                await repo.add_event(tx, "payment.succeeded", payer["id"], payer["wallet_id"])
                await repo.add_event(tx, "payment.succeeded", row["id"], wallet_id)
            self._notify()
            return await self.get_payment(row["id"])
        try:
            await self.backend.settle_hold_invoice(preimage)
        except BackendError as exc:
            raise HoldInvoiceError(str(exc)) from exc
        if row["amount_msat"]:
            # Credit now: a hold plugin's settlement need not appear on the node's settled
            # invoice stream (CLN's hold plugins keep their own invoices). A stream event for
            # it later is a duplicate and changes nothing.
            await self.settle_incoming(SettledInvoice(payment_hash=row["payment_hash"],
                                                      amount_msat=row["amount_msat"],
                                                      preimage=preimage, index=0))
            return await self.get_payment(row["id"])
        # Amountless: only the node knows what arrived; the settlement follower credits it.
        return await self.wait_for_payment(row["id"], self.settings.pay_wait_seconds)

    async def cancel_hold_invoice(self, wallet_id: str, payment_hash: str) -> Payment:
        payment_hash = _hex64(payment_hash, "payment_hash")
        row = await self._hold_invoice(wallet_id, payment_hash)
        if not row["peer_payment_id"]:
            try:
                await self.backend.cancel_hold_invoice(payment_hash)
            except BackendError as exc:
                raise HoldInvoiceError(str(exc)) from exc
        async with self.store.transaction() as tx:
            if row["peer_payment_id"]:
                payer = await repo.payment_row(tx, row["peer_payment_id"])
                if await _cas(tx, payer["id"], "failed", failure_reason="hold invoice cancelled"):
                    await ledger.void_pending(tx, payer["reservation_id"])
                    await repo.add_event(tx, "payment.failed", payer["id"], payer["wallet_id"])
            if await _cas(tx, row["id"], "failed", failure_reason="cancelled"):
                await repo.add_event(tx, "payment.failed", row["id"], wallet_id)
        self._notify()
        return await self.get_payment(row["id"])

    # -- sending -----------------------------------------------------------------------------

    async def pay_invoice(self, wallet_id: str, bolt11: str, *, amount_msat: int | None = None,
                          memo: str | None = None, extra: dict | None = None,
                          idempotency: Idempotency | None = None,
                          wait: float | None = None) -> Payment:
        """Pay a BOLT11 invoice from the wallet. Returns the payer's payment (success, or
        pending if the outcome is not known within `wait` seconds; None waits for it).
        Raises PaymentFailed when the network definitely refused it."""
        await self.get_wallet(wallet_id)
        inv = self._payable(bolt11)
        if inv.amount_msat is None:
            if amount_msat is None:
                raise AmountlessInvoice("amount required for a zero-amount invoice")
            amount = self.check_amount(amount_msat)
        else:
            amount = self.check_amount(inv.amount_msat)
            if amount_msat is not None and amount_msat != inv.amount_msat:
                raise InvalidAmount("amount does not match the invoice amount")
        memo = _clean_memo(memo if memo is not None else (inv.description or ""))

        async def op() -> Payment:
            invoice = await repo.invoice_row(self.store, inv.payment_hash)
            if invoice is not None:
                return await self._pay_internal(wallet_id, inv, invoice, amount, memo, extra,
                                                idempotency)
            if inv.payee and inv.payee == await self.node_pubkey():
                raise InvoiceNotPayable("invoice of this gateway's node is unknown or deleted")
            payment = await self._reserve_outgoing(
                wallet_id, kind="bolt11", amount=amount, payment_hash=inv.payment_hash,
                bolt11=inv.bolt11, memo=memo, destination=inv.payee,
                description_hash=inv.description_hash, extra=extra, idempotency=idempotency)
            call = self.backend.pay_invoice(label=payment.id, bolt11=inv.bolt11,
                                            amount_msat=amount, fee_limit_msat=payment.fee_msat)
            return await self._dispatch(payment, call, wait)

        return await self._idempotent(wallet_id, idempotency, op,
                                      lambda ps: _outcome(ps[0]))

    async def keysend(self, wallet_id: str, destination: str, amount_msat: int, *,
                      custom_records: dict[int, bytes] | None = None, memo: str = "",
                      extra: dict | None = None, idempotency: Idempotency | None = None,
                      wait: float | None = None) -> Payment:
        """Spontaneous payment to a node pubkey, with optional TLV records (type > 65535
        for application records)."""
        await self.get_wallet(wallet_id)
        destination = (destination or "").strip().lower() if isinstance(destination, str) else ""
        if not PUBKEY.match(destination):
            raise InvalidDestination("invalid destination pubkey")
        amount = self.check_amount(amount_msat)
        records = _check_records(custom_records or {})
        memo = _clean_memo(memo)

        async def op() -> Payment:
            if destination == await self.node_pubkey():
                return await self._keysend_internal(wallet_id, amount, records, memo, extra,
                                                    idempotency)
            preimage = secrets.token_hex(32)
            payment = await self._reserve_outgoing(
                wallet_id, kind="keysend", amount=amount, payment_hash=sha256_hex(preimage),
                bolt11=None, memo=memo, destination=destination, description_hash=None,
                extra=extra, idempotency=idempotency,
                custom_records={str(k): v.hex() for k, v in records.items()})
            call = self.backend.keysend(label=payment.id, destination=destination,
                                        amount_msat=amount, fee_limit_msat=payment.fee_msat,
                                        preimage=preimage, custom_records=records)
            return await self._dispatch(payment, call, wait)

        return await self._idempotent(wallet_id, idempotency, op, lambda ps: _outcome(ps[0]))

    async def transfer(self, from_wallet_id: str, to_wallet_id: str, amount_msat: int, *,
                       memo: str = "", extra: dict | None = None,
                       idempotency: Idempotency | None = None) -> tuple[Payment, Payment]:
        """Move funds between two wallets of this gateway. Returns (outgoing, incoming)."""
        await self.get_wallet(from_wallet_id)
        await self.get_wallet(to_wallet_id)
        if from_wallet_id == to_wallet_id:
            raise InvalidRequest("cannot transfer to the same wallet")
        amount = self.check_amount(amount_msat)
        memo = _clean_memo(memo)

        async def op() -> tuple[Payment, Payment]:
            out_id, in_id = keys.new_alnum(24), keys.new_alnum(24)
            preimage = secrets.token_hex(32)
            common = dict(kind="transfer", status="success", amount_msat=amount, fee_msat=0,
                          payment_hash=sha256_hex(preimage), preimage=preimage, memo=memo,
                          internal=True, settled_at=now(), extra=extra or {})
            async with self.store.transaction() as tx:
                await self._claim(tx, from_wallet_id, idempotency, [out_id, in_id])
                await ledger.post(tx, from_wallet_id, to_wallet_id, amount, out_id)
                await repo.insert_payment(tx, id=out_id, wallet_id=from_wallet_id,
                                          direction="out", peer_wallet_id=to_wallet_id,
                                          peer_payment_id=in_id, **common)
                await repo.insert_payment(tx, id=in_id, wallet_id=to_wallet_id, direction="in",
                                          peer_wallet_id=from_wallet_id, peer_payment_id=out_id,
                                          **common)
                await repo.add_event(tx, "payment.succeeded", out_id, from_wallet_id)
                await repo.add_event(tx, "payment.succeeded", in_id, to_wallet_id)
            self._notify()
            return await self.get_payment(out_id), await self.get_payment(in_id)

        return await self._idempotent(from_wallet_id, idempotency, op, lambda ps: (ps[0], ps[1]))

    async def _reserve_outgoing(self, wallet_id: str, *, kind: str, amount: int,
                                payment_hash: str, bolt11: str | None, memo: str,
                                destination: str | None, description_hash: str | None,
                                extra: dict | None, idempotency: Idempotency | None,
                                custom_records: dict[str, str] | None = None) -> Payment:
        """Phase one: hold amount + fee reserve and record the pending payment, atomically."""
        reserve = self.fee_reserve(amount)
        pid = keys.new_alnum(24)
        # In flight from the moment it is committed: the reconciler must not take it for one
        # that never reached the node before _dispatch has sent it (the caller's task owns it).
        self._inflight.add(pid)
        try:
            return await self._reserve_outgoing_tx(
                pid, wallet_id, kind=kind, amount=amount, reserve=reserve,
                payment_hash=payment_hash, bolt11=bolt11, memo=memo, destination=destination,
                description_hash=description_hash, extra=extra, idempotency=idempotency,
                custom_records=custom_records)
        except BaseException:
            self._inflight.discard(pid)
            raise

    async def _reserve_outgoing_tx(self, pid: str, wallet_id: str, *, kind: str, amount: int,
                                   reserve: int, payment_hash: str, bolt11: str | None,
                                   memo: str, destination: str | None,
                                   description_hash: str | None, extra: dict | None,
                                   idempotency: Idempotency | None,
                                   custom_records: dict[str, str] | None) -> Payment:
        async with self.store.transaction() as tx:
            await self._claim(tx, wallet_id, idempotency, [pid])
            try:
                await repo.insert_payment(
                    tx, id=pid, wallet_id=wallet_id, direction="out", kind=kind,
                    status="pending", amount_msat=amount, fee_msat=reserve,
                    payment_hash=payment_hash, bolt11=bolt11, memo=memo,
                    destination=destination, description_hash=description_hash,
                    custom_records=custom_records, extra=extra or {})
            except UniqueViolation:
                await self._raise_already_paid(tx, payment_hash)
            try:
                reservation = await ledger.reserve(tx, wallet_id, ledger.LIGHTNING,
                                                   amount + reserve, pid)
            except InsufficientBalance as exc:
                if exc.balance_msat >= amount:
                    raise FeeReserveRequired(balance_msat=exc.balance_msat,
                                             needed_msat=amount + reserve,
                                             reserve_msat=reserve) from None
                raise InsufficientBalance(balance_msat=exc.balance_msat,
                                          needed_msat=amount + reserve) from None
            await tx.execute("UPDATE payments SET reservation_id = ? WHERE id = ?",
                             (reservation, pid))
            await repo.add_event(tx, "payment.created", pid, wallet_id)
        self._notify()
        return await self.get_payment(pid)

    async def _raise_already_paid(self, tx: Tx, payment_hash: str) -> None:
        live = await repo.live_outgoing(tx, payment_hash)
        if live is not None and live.status == "pending":
            raise PaymentInFlight("payment is still pending", payment=live)
        raise AlreadyPaid("invoice already paid", payment=live)

    async def _dispatch(self, payment: Payment, call: Awaitable[PayResult],
                        wait: float | None) -> Payment:
        """Run the backend call in its own task so a client hanging up cannot cancel a payment
        in flight; answer after `wait` seconds at most."""
        self._inflight.add(payment.id)

        async def run() -> Payment:
            try:
                try:
                    result = await call
                except BackendError as exc:
                    result = PayResult(PayStatus.UNKNOWN, reason=str(exc))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a backend bug must not lose track of the money
                    log.exception("backend.pay_crashed", payment_id=payment.id)
                    result = PayResult(PayStatus.UNKNOWN, reason=str(exc))
                return await self.apply_outgoing_result(payment.id, result)
            finally:
                self._inflight.discard(payment.id)

        task = self.spawn(run())
        try:
            if wait is None:
                done = await asyncio.shield(task)
            else:
                done = await asyncio.wait_for(asyncio.shield(task), wait)
        except asyncio.TimeoutError:
            done = await self.get_payment(payment.id)
        return _outcome(done)

    async def apply_outgoing_result(self, payment_id: str, result: PayResult) -> Payment:
        """Phase two: post the amount and the real fee, or void, compare-and-set on pending.
        PENDING and UNKNOWN change nothing: the reservation stays until the backend knows."""
        if result.status in (PayStatus.SETTLED, PayStatus.FAILED):
            async with self.store.transaction() as tx:
                row = await repo.payment_row(tx, payment_id)
                if result.status is PayStatus.SETTLED:
                    held = row["amount_msat"] + row["fee_msat"]
                    fee = max(0, int(result.fee_msat))
                    if row["amount_msat"] + fee > held:
                        log.error("backend.fee_over_cap", payment_id=payment_id, fee_msat=fee)
                        fee = held - row["amount_msat"]
                    # A node that drew its own keysend preimage paid another hash.
                    rehash = ({"payment_hash": result.payment_hash}
                              if result.payment_hash not in (None, row["payment_hash"]) else {})
                    if await _cas(tx, payment_id, "success", preimage=result.preimage,
                                  fee_msat=fee, settled_at=now(), **rehash):
                        await ledger.post_pending(tx, row["reservation_id"],
                                                  row["amount_msat"] + fee)
                        await repo.add_event(tx, "payment.succeeded", payment_id,
                                             row["wallet_id"])
                        log.info("payment.succeeded", payment_id=payment_id, fee_msat=fee)
                elif await _cas(tx, payment_id, "failed",
                                failure_reason=result.reason or "payment failed"):
                    await ledger.void_pending(tx, row["reservation_id"])
                    await repo.add_event(tx, "payment.failed", payment_id, row["wallet_id"])
                    log.info("payment.failed", payment_id=payment_id, reason=result.reason)
            self._notify()
        return await self.get_payment(payment_id)

    async def _pay_internal(self, wallet_id: str, inv: DecodedInvoice, invoice: dict[str, Any],
                            amount: int, memo: str, extra: dict | None,
                            idempotency: Idempotency | None) -> Payment:
        if invoice["status"] == "success":
            raise AlreadyPaid("internal invoice already paid")
        if invoice["status"] == "failed":
            raise InvoiceNotPayable(f"invoice is {invoice['failure_reason'] or 'cancelled'}")
        if invoice["expires_at"] is not None and invoice["expires_at"] <= now():
            raise InvoiceExpired("invoice expired")
        if (invoice["bolt11"] or "").lower() != inv.bolt11:
            raise InvalidInvoice("invalid invoice: bolt11 changed")
        if invoice["hold"] and (invoice["peer_payment_id"] or await self._held_at_node(inv)):
            raise PaymentInFlight("hold invoice already accepted a payment")
        pid = keys.new_alnum(24)
        hold = bool(invoice["hold"])
        async with self.store.transaction() as tx:
            await self._claim(tx, wallet_id, idempotency, [pid])
            try:
                await repo.insert_payment(
                    tx, id=pid, wallet_id=wallet_id, direction="out", kind="bolt11",
                    status="pending" if hold else "success", amount_msat=amount, fee_msat=0,
                    payment_hash=inv.payment_hash, bolt11=inv.bolt11, memo=memo,
                    preimage=None if hold else invoice["preimage"],
                    settled_at=None if hold else now(), internal=True,
                    destination=inv.payee, description_hash=inv.description_hash,
                    peer_wallet_id=invoice["wallet_id"], peer_payment_id=invoice["id"],
                    extra=extra or {})
            except UniqueViolation:
                await self._raise_already_paid(tx, inv.payment_hash)
            if hold:
                # The payee decides: settle posts the reservation, cancel voids it.
                reservation = await ledger.reserve(tx, wallet_id, invoice["wallet_id"], amount,
                                                   pid)
                await tx.execute("UPDATE payments SET reservation_id = ? WHERE id = ?",
                                 (reservation, pid))
                claimed = await tx.execute(
                    "UPDATE payments SET peer_payment_id = ?, peer_wallet_id = ?,"
                    " internal = 1, updated_at = ? WHERE id = ? AND status = 'pending'"
                    " AND peer_payment_id IS NULL", (pid, wallet_id, now(), invoice["id"]))
                await repo.add_event(tx, "payment.created", pid, wallet_id)
            else:
                await ledger.post(tx, wallet_id, invoice["wallet_id"], amount, pid)
                claimed = await tx.execute(
                    "UPDATE payments SET status = 'success', amount_msat = ?, settled_at = ?,"
                    " updated_at = ?, internal = 1, peer_wallet_id = ?, peer_payment_id = ?"
                    " WHERE id = ? AND status = 'pending'",
                    (amount, now(), now(), wallet_id, pid, invoice["id"]))
                await repo.add_event(tx, "payment.succeeded", pid, wallet_id)
                await repo.add_event(tx, "payment.succeeded", invoice["id"],
                                     invoice["wallet_id"])
            if claimed != 1:
                raise AlreadyPaid("internal invoice already paid")
        self._notify()
        # The invoice also exists at the node: make sure nobody can pay it there too (a hold
        # invoice's HTLC accepted meanwhile from outside is failed back to its payer).
        with contextlib.suppress(Exception):
            if hold:
                await self.backend.cancel_hold_invoice(inv.payment_hash)
            else:
                await self.backend.cancel_invoice(inv.payment_hash)
        return await self.get_payment(pid)

    async def _held_at_node(self, inv: DecodedInvoice) -> bool:
        """Has an outside payer's HTLC already been accepted on this hold invoice?"""
        try:
            return await self.backend.invoice_state(inv.payment_hash) is InvoiceState.ACCEPTED
        except BackendError:
            return False

    async def _keysend_internal(self, wallet_id: str, amount: int, records: dict[int, bytes],
                                memo: str, extra: dict | None,
                                idempotency: Idempotency | None) -> Payment:
        target = records.get(WALLET_TLV, b"").decode("utf-8", "replace").strip()
        row = await self.store.fetchone("SELECT id FROM wallets WHERE id = ? OR lnpay_id = ?",
                                        (target, target)) if target else None
        if row is None:
            raise InvalidDestination(
                "Internal keysend payments require the custom record 696969 to be present.")
        preimage = secrets.token_hex(32)
        out_id, in_id = keys.new_alnum(24), keys.new_alnum(24)
        hexrecords = {str(k): v.hex() for k, v in records.items()}
        common = dict(kind="keysend", status="success", amount_msat=amount, fee_msat=0,
                      payment_hash=sha256_hex(preimage), preimage=preimage, memo=memo,
                      internal=True, settled_at=now(), custom_records=hexrecords,
                      destination=await self.node_pubkey())
        async with self.store.transaction() as tx:
            await self._claim(tx, wallet_id, idempotency, [out_id])
            await ledger.post(tx, wallet_id, row["id"], amount, out_id)
            await repo.insert_payment(tx, id=out_id, wallet_id=wallet_id, direction="out",
                                      peer_wallet_id=row["id"], peer_payment_id=in_id,
                                      extra=extra or {}, **common)
            await repo.insert_payment(tx, id=in_id, wallet_id=row["id"], direction="in",
                                      peer_wallet_id=wallet_id, peer_payment_id=out_id, **common)
            await repo.add_event(tx, "payment.succeeded", out_id, wallet_id)
            await repo.add_event(tx, "payment.succeeded", in_id, row["id"])
        self._notify()
        return await self.get_payment(out_id)

    async def expire_invoices(self) -> int:
        """Mark unpaid ordinary invoices past their expiry failed ('expired')."""
        rows = await self.store.fetchall(
            "SELECT id, wallet_id FROM payments WHERE status = 'pending' AND direction = 'in'"
            " AND kind = 'invoice' AND hold = 0 AND expires_at <= ?", (now(),))
        count = 0
        for row in rows:
            async with self.store.transaction() as tx:
                if await _cas(tx, row["id"], "failed", failure_reason="expired"):
                    await repo.add_event(tx, "payment.failed", row["id"], row["wallet_id"])
                    count += 1
        if count:
            self._notify()
        return count

    async def reconcile(self) -> int:
        """Ask the backend about every outgoing payment still pending that no task of this
        process is driving; apply what it now knows. Returns how many became terminal."""
        rows = await self.store.fetchall(
            "SELECT id, payment_hash, created_at FROM payments WHERE status = 'pending'"
            " AND direction = 'out' AND internal = 0 ORDER BY seq")
        finished = 0
        for row in rows:
            if row["id"] in self._inflight:
                continue
            try:
                result = await self.backend.payment_status(row["payment_hash"])
            except BackendError as exc:
                log.warning("reconcile.backend_error", payment_id=row["id"], error=str(exc))
                continue
            if (result.status is PayStatus.NOT_FOUND
                    and now() - row["created_at"] >= self.settings.unsent_payment_grace):
                # Reserved, then the process died before the request reached the node.
                result = PayResult(PayStatus.FAILED, reason="the payment never reached the node")
            if result.status in (PayStatus.SETTLED, PayStatus.FAILED):
                await self.apply_outgoing_result(row["id"], result)
                finished += 1
        return finished


async def _cas(tx: Tx, payment_id: str, status: str, **fields: Any) -> bool:
    """Move a pending payment to a terminal status; False if it was not pending any more."""
    fields["updated_at"] = now()
    sets = ", ".join(f"{k} = ?" for k in fields)
    return await tx.execute(
        f"UPDATE payments SET status = ?, {sets} WHERE id = ? AND status = 'pending'",
        (status, *fields.values(), payment_id)) == 1


def _outcome(payment: Payment) -> Payment:
    if payment.status == "failed" and payment.direction == "out":
        raise PaymentFailed(payment.failure_reason or "payment failed", payment=payment)
    return payment


def _hex64(value: Any, name: str) -> str:
    if not isinstance(value, str) or not HEX64.match(value.lower()):
        raise InvalidRequest(f"{name} must be 64 hex characters")
    return value.lower()


def _clean_memo(memo: Any) -> str:
    if memo is None:
        return ""
    if not isinstance(memo, str):
        raise InvalidRequest("memo must be a string")
    if len(memo) > MAX_MEMO:
        raise InvalidRequest(f"memo longer than {MAX_MEMO} characters")
    return memo


def _check_records(records: dict[int, bytes]) -> dict[int, bytes]:
    checked: dict[int, bytes] = {}
    for key, value in records.items():
        if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key < 2**64:
            raise InvalidRequest(f"custom record type {key!r} is not a 64-bit unsigned integer")
        if key < 65536:
            raise InvalidRequest(f"custom record type {key} is reserved (must be >= 65536)")
        if not isinstance(value, (bytes, bytearray)):
            raise InvalidRequest(f"custom record {key} value must be bytes")
        checked[key] = bytes(value)
    return checked
