"""Property-based stateful test of the core against the reference model (tests/reliability/model.py).

Hypothesis draws sequences of operations — invoices, external pay-ins, internal payments, hold
invoices settled or cancelled, external payments with every sim outcome, keysends both ways,
transfers, idempotent replays and conflicts, duplicate settlement events — and runs each on a
fresh Gateway (temporary SQLite file, simulated network) and on the model. After every step the
ledger invariants hold, every balance equals the model's, every payment has the model's status,
and no msat was created or lost.

The gateway runs without its background tasks: the test plays the settlement follower and the
reconciler itself, at chosen moments, so every run of a seed is the same run.
Reproduce a long-run failure with LNGATE_MODEL_SEED=<seed> (printed on failure).
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, seed as use_seed, settings, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, get_state_machine_test, initialize,
                                 invariant, precondition, rule)

from backends.base import BackendError, SettledInvoice
from gateway import errors
from gateway.app import make_gateway
from gateway.config import Settings
from gateway.ledger import LIGHTNING, check_invariants
from gateway.models import Idempotency
from gateway.service import SETTLE_INDEX_KEY, WALLET_TLV, fingerprint
from tests.helpers import snapshot
from tests.reliability import figures
from tests.reliability.model import Invoice, Model, Outgoing, fee_reserve

KEYSEND_FEE_MSAT = 7  # the sim charges this per keysend; the model knows it
AMOUNTS = st.integers(1, 80_000) | st.sampled_from([1, 999, 2_000, 10_000, 200_000])
IDEM_KEYS = st.none() | st.sampled_from(["order-1", "order-2", "order-3"])
# Errors that must leave the database exactly as it was.
REJECTIONS = {"InsufficientBalance", "FeeReserveRequired", "AlreadyPaid", "PaymentInFlight",
              "InvoiceNotPayable", "IdempotencyConflict", "HoldInvoiceError",
              "InvalidDestination"}

# External payment scripts: (outcome, then, delay_ms range, how the test waits)
SCRIPTS = [
    ("succeed", "succeed", 0),
    ("succeed", "succeed", 25),  # delayed: the backend call takes a while
    ("fail", "succeed", 0),
    ("fail", "succeed", 25),
    ("pending", "succeed", 25),  # in flight, the network decides after a delay
    ("pending", "fail", 25),
    ("pending", "succeed", 0),  # in flight until the control API resolves it
    ("unknown", "succeed", 0),  # the node lost track; the network already decided
    ("unknown", "fail", 0),
    ("unknown", "succeed", 25),
    ("unknown", "fail", 25),
    ("hold", "succeed", 0),  # held by the payee until the control API says
]


@dataclass
class IdemRecord:
    wallet: str
    key: str
    fingerprint: str
    call: Callable[[Idempotency], Any]  # the operation, given its Idempotency
    ids: list[str]


@dataclass
class External:
    """An invoice of an external sim node, with its scripted fate."""
    bolt11: str
    payment_hash: str
    amount: int
    outcome: str
    then: str
    delay_ms: int
    fee: int
    last_attempt: str | None = None


def payment_ids(result: Any) -> list[str]:
    if isinstance(result, errors.PaymentFailed):
        return [result.payment.id]
    if isinstance(result, tuple):
        return [p.id for p in result]
    return [result.id]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.mkdtemp(prefix="lngate-model-")
        self.gw = make_gateway(Settings(
            database=f"sqlite:///{self.dir}/lngate.db", sim_state=f"{self.dir}/sim.db",
            reconcile_interval=3600.0, pay_wait_seconds=0.01))
        self.run(self.gw.open())  # no background tasks: the test is the follower/reconciler
        self.gw.backend.keysend_fee_msat = KEYSEND_FEE_MSAT
        self.model = Model()
        self.wallets: list[str] = []
        self.idem: dict[tuple[str, str], IdemRecord] = {}
        self.externals: list[External] = []
        self.node_state: dict[str, str] = {}  # payment hash -> the sim node's invoice state
        figures.add("model_examples")

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        try:
            self.run(self.gw.stop())
        finally:
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------

    def attempt(self, coro: Any, expected: str | None) -> Any:
        """Run a core operation; its outcome must be the one the model predicts (`expected` is
        an error class name or None for success). A rejection must change nothing."""
        figures.add("model_operations")
        before = self.run(snapshot(self.gw)) if expected in REJECTIONS else None
        try:
            result = self.run(coro)
        except errors.LngateError as exc:
            got = type(exc).__name__
            assert got in str(expected).split("|"), \
                f"core raised {got} ({exc}); model expected {expected}"
            if before is not None:
                assert self.run(snapshot(self.gw)) == before, f"rejected {got} changed the DB"
            return exc
        assert expected is None or "None" in expected.split("|"), \
            f"core succeeded; model expected {expected}"
        return result

    def pick_wallet(self, data: st.DataObject, label: str = "wallet") -> str:
        return data.draw(st.sampled_from(self.wallets), label=label)

    def idempotent(self, wallet: str, key: str | None, fp: str,
                   call: Callable[[Idempotency | None], Any]) -> tuple[bool, Idempotency | None]:
        """If `key` was used before in this wallet, run `call` as a replay (same request) or a
        conflict (another request) and report it handled."""
        if key is None:
            return False, None
        idem = Idempotency(key, fp)
        record = self.idem.get((wallet, key))
        if record is None:
            return False, idem
        if record.fingerprint != fp:
            self.attempt(call(idem), "IdempotencyConflict")
        else:
            self.replay(record)
        return True, idem

    def remember(self, wallet: str, idem: Idempotency | None, call: Callable, result: Any) -> None:
        if idem is not None:
            self.idem[(wallet, idem.key)] = IdemRecord(wallet, idem.key, idem.fingerprint, call,
                                                       payment_ids(result))

    def replay(self, record: IdemRecord) -> None:
        failed = any(self.model.outgoing.get(pid, None) is not None
                     and self.model.outgoing[pid].status == "failed" for pid in record.ids)
        before = self.run(snapshot(self.gw))
        result = self.attempt(record.call(Idempotency(record.key, record.fingerprint)),
                              "PaymentFailed" if failed else None)
        assert payment_ids(result) == record.ids, "a replay answered other payments"
        assert self.run(snapshot(self.gw)) == before, "a replay changed the database"
        figures.add("model_replays")

    async def settle_dispatches(self) -> None:
        """Let every backend call the core started finish (payments answered early)."""
        while self.gw._tasks:
            await asyncio.gather(*list(self.gw._tasks))

    async def drain_settlements(self) -> None:
        """What the settlement follower does: credit what the node settled since the index."""
        after = int(await self.gw.get_state(SETTLE_INDEX_KEY) or 0)
        for settled in self.gw.backend._settled_after(after):
            await self.gw.settle_incoming(settled)

    def new_wallet(self) -> None:
        created = self.run(self.gw.create_wallet(f"w{len(self.wallets)}"))
        self.wallets.append(created.wallet.id)
        self.model.open_wallet(created.wallet.id)

    # -- wallets and money in ------------------------------------------------------------------

    @initialize()
    def three_wallets(self) -> None:
        for _ in range(3):
            self.new_wallet()

    @precondition(lambda self: len(self.wallets) < 5)
    @rule()
    def create_wallet(self) -> None:
        self.new_wallet()

    @rule(data=st.data(), amount=st.integers(1, 400_000))
    def fund(self, data: st.DataObject, amount: int) -> None:
        wallet = self.pick_wallet(data)
        p = self.attempt(self.gw.fund_wallet(wallet, amount), None)
        self.model.receive(wallet, amount)
        self.model.invoices[p.id] = Invoice(p.id, wallet, amount, p.bolt11, p.payment_hash,
                                            p.preimage, hold=False, status="success",
                                            received=amount)
        self.node_state[p.payment_hash] = "settled"

    @rule(data=st.data(), amount=st.none() | AMOUNTS, hold=st.booleans(), key=IDEM_KEYS)
    def create_invoice(self, data: st.DataObject, amount: int | None, hold: bool,
                       key: str | None) -> None:
        wallet = self.pick_wallet(data)
        preimage = secrets.token_hex(32) if hold else None
        payment_hash = hashlib.sha256(bytes.fromhex(preimage)).hexdigest() if hold else None

        def call(idem: Idempotency | None) -> Any:
            return self.gw.create_invoice(wallet, amount_msat=amount, payment_hash=payment_hash,
                                          idempotency=idem)

        handled, idem = self.idempotent(wallet, key, fingerprint("invoice", amount, hold), call)
        if handled:
            return
        p = self.attempt(call(idem), None)
        self.remember(wallet, idem, call, p)
        self.model.invoices[p.id] = Invoice(p.id, wallet, amount, p.bolt11, p.payment_hash,
                                            preimage if hold else p.preimage, hold=hold)
        self.node_state[p.payment_hash] = "open"

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data(), over=st.sampled_from([0, 0, 0, 1, 500]))
    def external_pay_in(self, data: st.DataObject, over: int) -> None:
        """An outside payer pays one of the gateway's invoices at the node."""
        inv = data.draw(st.sampled_from(list(self.model.invoices.values())), label="invoice")
        amount = (inv.amount + over) if inv.amount else data.draw(AMOUNTS, label="amount")
        figures.add("model_operations")
        try:
            self.run(self.gw.backend.external_pay(inv.bolt11, amount_msat=amount))
        except BackendError:
            assert self.node_state[inv.payment_hash] != "open", "the node refused an open invoice"
        else:
            assert self.node_state[inv.payment_hash] == "open", "the node took a closed invoice"
            if inv.hold:
                self.node_state[inv.payment_hash] = "accepted"
                inv.accepted_externally, inv.received = True, amount
            else:
                self.node_state[inv.payment_hash] = "settled"
                assert inv.status == "pending"
                inv.status, inv.received = "success", amount
                self.model.receive(inv.wallet, amount)
        self.run(self.drain_settlements())

    @rule(data=st.data(), amount=AMOUNTS, attributed=st.booleans())
    def external_keysend_in(self, data: st.DataObject, amount: int, attributed: bool) -> None:
        wallet = self.pick_wallet(data)
        records = {WALLET_TLV: wallet.encode()} if attributed else {}
        figures.add("model_operations")
        self.run(self.gw.backend.external_keysend(amount, records))
        self.run(self.drain_settlements())
        if attributed:
            self.model.receive(wallet, amount)
        else:
            self.model.unattributed_keysends += amount

    @precondition(lambda self: any(i.status == "success" for i in self.model.invoices.values()))
    @rule(data=st.data())
    def duplicate_settlement_events(self, data: st.DataObject) -> None:
        """The node repeats its whole settlement stream, and one event arrives three times at
        once: nothing may be credited again."""
        figures.add("model_operations")
        replayed = self.gw.backend._settled_after(0)
        for settled in replayed:
            assert self.run(self.gw.settle_incoming(settled)) is None
        paid = [i for i in self.model.invoices.values() if i.status == "success"]
        inv = data.draw(st.sampled_from(paid), label="invoice")
        event = SettledInvoice(inv.payment_hash, inv.received, inv.preimage, index=0)

        async def three_at_once() -> list:
            return await asyncio.gather(*[self.gw.settle_incoming(event) for _ in range(3)])

        results = self.run(three_at_once())
        assert results == [None, None, None]
        figures.add("model_duplicate_events", len(replayed) + 3)

    # -- hold invoices -----------------------------------------------------------------------

    def holds(self) -> list[Invoice]:
        return [i for i in self.model.invoices.values() if i.hold]

    @precondition(lambda self: self.holds())
    @rule(data=st.data())
    def settle_hold_invoice(self, data: st.DataObject) -> None:
        inv = data.draw(st.sampled_from(self.holds()), label="hold invoice")
        if inv.status != "pending":
            expected = "HoldInvoiceError"
        elif inv.paid_by is None and not self.node_state[inv.payment_hash] == "accepted":
            expected = "HoldInvoiceError"  # nothing to settle yet
        else:
            expected = None
        self.attempt(self.gw.settle_hold_invoice(inv.wallet, inv.preimage), expected)
        if expected:
            return
        inv.status = "success"
        if inv.paid_by is not None:
            self.model.settle(self.model.outgoing[inv.paid_by], 0, payee=inv.wallet)
        else:  # credited from the node's settlement event: what the payer really sent
            # (a fixed-amount one is credited its face value at once, see settle_hold_invoice)
            self.node_state[inv.payment_hash] = "settled"
            inv.received = inv.amount or inv.received
            self.model.receive(inv.wallet, inv.received)
            self.run(self.drain_settlements())

    @precondition(lambda self: self.holds())
    @rule(data=st.data())
    def cancel_hold_invoice(self, data: st.DataObject) -> None:
        inv = data.draw(st.sampled_from(self.holds()), label="hold invoice")
        expected = None if inv.status == "pending" else "HoldInvoiceError"
        self.attempt(self.gw.cancel_hold_invoice(inv.wallet, inv.payment_hash), expected)
        if expected:
            return
        inv.status = "failed"
        if inv.paid_by is not None:
            self.model.void(self.model.outgoing[inv.paid_by])
        else:
            self.node_state[inv.payment_hash] = "cancelled"

    # -- paying ------------------------------------------------------------------------------

    @precondition(lambda self: self.model.invoices)
    @rule(data=st.data(), key=IDEM_KEYS)
    def internal_pay(self, data: st.DataObject, key: str | None) -> None:
        """A wallet pays an invoice of this gateway (possibly its own, possibly paid already)."""
        payer = self.pick_wallet(data, "payer")
        inv = data.draw(st.sampled_from(list(self.model.invoices.values())), label="invoice")
        amount = None if inv.amount else data.draw(AMOUNTS, label="amount")

        def call(idem: Idempotency | None) -> Any:
            return self.gw.pay_invoice(payer, inv.bolt11, amount_msat=amount, idempotency=idem)

        handled, idem = self.idempotent(payer, key, fingerprint("pay", inv.bolt11, amount), call)
        if handled:
            return
        value = inv.amount or amount
        if inv.status == "success":
            expected = "AlreadyPaid"
        elif inv.status == "failed":
            expected = "InvoiceNotPayable"
        elif inv.hold and (inv.paid_by is not None
                           or self.node_state[inv.payment_hash] == "accepted"):
            expected = "PaymentInFlight"  # a hold invoice has one payer, inside or outside
        else:
            expected = self.model.spend_error(payer, value, 0)
        result = self.attempt(call(idem), expected)
        if expected:
            return
        self.remember(payer, idem, call, result)
        p = Outgoing(result.id, payer, value, held=value, external=False)
        self.model.hold(p)
        if inv.hold:
            assert result.status == "pending"
            inv.paid_by = p.id
            self.node_state[inv.payment_hash] = "cancelled"  # no outside payer can join
        else:
            assert result.status == "success"
            self.model.settle(p, 0, payee=inv.wallet)
            inv.status, inv.received = "success", value
            if self.node_state[inv.payment_hash] == "open":
                self.node_state[inv.payment_hash] = "cancelled"  # the gateway closes it there

    @rule(data=st.data(), amount=AMOUNTS, script=st.sampled_from(SCRIPTS),
          fee=st.sampled_from([0, 1, 150, 2_000, 5_000]), wait_zero=st.booleans(),
          key=IDEM_KEYS)
    def external_pay(self, data: st.DataObject, amount: int, script: tuple, fee: int,
                     wait_zero: bool, key: str | None) -> None:
        payer = self.pick_wallet(data, "payer")
        outcome, then, delay = script
        node = data.draw(st.integers(0, 2), label="node")
        ext = self.run(self.gw.backend.create_external_invoice(
            amount_msat=amount, outcome=outcome, then=then, delay_ms=delay, fee_msat=fee,
            node=node))
        self.externals.append(External(ext["bolt11"], ext["payment_hash"], amount, outcome,
                                       then, delay, fee))
        self.pay_external(payer, self.externals[-1], wait_zero, key)

    @precondition(lambda self: self.externals)
    @rule(data=st.data(), wait_zero=st.booleans())
    def external_pay_again(self, data: st.DataObject, wait_zero: bool) -> None:
        """Pay an external invoice again: refused while in flight or once paid, a new attempt
        after a failure."""
        payer = self.pick_wallet(data, "payer")
        ext = data.draw(st.sampled_from(self.externals), label="external invoice")
        self.pay_external(payer, ext, wait_zero, None)

    def pay_external(self, payer: str, ext: External, wait_zero: bool, key: str | None) -> None:
        def call(idem: Idempotency | None) -> Any:
            return self.gw.pay_invoice(payer, ext.bolt11, idempotency=idem,
                                       wait=0.0 if wait_zero else None)

        handled, idem = self.idempotent(payer, key, fingerprint("pay", ext.bolt11), call)
        if handled:
            return
        last = self.model.outgoing.get(ext.last_attempt or "")
        reserve = fee_reserve(ext.amount)
        if last is not None and last.status == "pending":
            expected = "PaymentInFlight"
        elif last is not None and last.status == "success":
            expected = "AlreadyPaid"
        else:
            expected = self.model.spend_error(payer, ext.amount, reserve)
        refused = ext.fee > reserve  # the route costs more than the cap: fails at once
        fails_now = refused or (ext.outcome == "fail" and ext.delay_ms == 0)
        if expected is None and (refused or ext.outcome == "fail") and not wait_zero:
            expected = "PaymentFailed"
        if expected is None and wait_zero and fails_now:
            # "Answer after 0 s at most": the backend's immediate refusal may or may not be
            # recorded by the time the answer is read; both answers are right.
            expected = "PaymentFailed|None"
        result = self.attempt(call(idem), expected)
        if expected in REJECTIONS:
            return
        self.remember(payer, idem, call, result)
        payment = result.payment if isinstance(result, errors.PaymentFailed) else result
        if wait_zero:  # answered at once; the backend call goes on in its task
            assert payment.status in ("pending", "failed" if fails_now else "pending")
            self.run(self.settle_dispatches())
            payment = self.run(self.gw.get_payment(payment.id))
        p = Outgoing(payment.id, payer, ext.amount, held=ext.amount + reserve,
                     scripted_fee=ext.fee, payment_hash=ext.payment_hash)
        ext.last_attempt = p.id
        figures.add("model_external_payments")
        if refused or ext.outcome == "fail":
            self.model.record_failed(p)
        elif ext.outcome == "succeed":
            self.model.record_settled(p, ext.fee)
        else:
            self.model.hold(p)
            p.fate = None if ext.outcome == "hold" else ext.then
            if ext.outcome == "pending" and ext.delay_ms == 0:
                p.fate = None
            p.timed = ext.delay_ms > 0
            p.due = ext.outcome == "unknown" and ext.delay_ms == 0
        assert payment.status == self.model.outgoing[p.id].status, \
            f"payment is {payment.status}, model says {self.model.outgoing[p.id].status}"

    @precondition(lambda self: any(p.fate is None for p in self.model.in_flight()))
    @rule(data=st.data(), succeed=st.booleans())
    def network_resolves_held_payment(self, data: st.DataObject, succeed: bool) -> None:
        held = [p for p in self.model.in_flight() if p.fate is None]
        p = data.draw(st.sampled_from(held), label="payment")
        figures.add("model_operations")
        self.run(self.gw.backend.resolve_external_payment(p.payment_hash, succeed=succeed))
        p.fate, p.due = ("succeed" if succeed else "fail"), True

    @rule()
    def reconcile(self) -> None:
        """The reconciler runs once the network decided every timed payment."""
        timed = [p for p in self.model.in_flight() if p.timed and not p.due]
        for p in timed:
            view = self.run(self.gw.backend.external_invoice(p.payment_hash))["payment"]
            wait_ms = view["resolve_at_ms"] - time.time() * 1000 if view["resolve_at_ms"] else 0
            if wait_ms > 0:
                time.sleep(wait_ms / 1000 + 0.002)
            p.due = True
        finished = self.run(self.gw.reconcile())
        figures.add("model_operations")
        assert finished == len(self.model.reconcile())

    @rule(data=st.data(), amount=AMOUNTS, node=st.integers(0, 2))
    def keysend_external(self, data: st.DataObject, amount: int, node: int) -> None:
        payer = self.pick_wallet(data, "payer")
        dest = self.gw.backend.external_nodes()[node]["pubkey"]
        reserve = fee_reserve(amount)
        expected = self.model.spend_error(payer, amount, reserve)
        result = self.attempt(self.gw.keysend(payer, dest, amount,
                                              custom_records={7629169: b"model"}), expected)
        if expected is None:
            assert result.status == "success" and result.fee_msat == KEYSEND_FEE_MSAT
            self.model.record_settled(Outgoing(result.id, payer, amount, amount + reserve),
                                      KEYSEND_FEE_MSAT)

    @rule(data=st.data(), amount=AMOUNTS, named=st.booleans())
    def keysend_internal(self, data: st.DataObject, amount: int, named: bool) -> None:
        payer, payee = self.pick_wallet(data, "payer"), self.pick_wallet(data, "payee")
        records = {WALLET_TLV: payee.encode()} if named else {}
        expected = self.model.spend_error(payer, amount, 0) if named else "InvalidDestination"
        node = self.run(self.gw.node_pubkey())
        result = self.attempt(self.gw.keysend(payer, node, amount, custom_records=records),
                              expected)
        if expected is None:
            p = Outgoing(result.id, payer, amount, held=amount, external=False)
            self.model.hold(p)
            self.model.settle(p, 0, payee=payee)

    @rule(data=st.data(), amount=AMOUNTS, key=IDEM_KEYS)
    def transfer(self, data: st.DataObject, amount: int, key: str | None) -> None:
        payer = self.pick_wallet(data, "payer")
        payee = data.draw(st.sampled_from([w for w in self.wallets if w != payer]), "payee")

        def call(idem: Idempotency | None) -> Any:
            return self.gw.transfer(payer, payee, amount, idempotency=idem)

        handled, idem = self.idempotent(payer, key, fingerprint("transfer", payee, amount), call)
        if handled:
            return
        expected = self.model.spend_error(payer, amount, 0)
        result = self.attempt(call(idem), expected)
        if expected is None:
            self.remember(payer, idem, call, result)
            p = Outgoing(result[0].id, payer, amount, held=amount, external=False)
            self.model.hold(p)
            self.model.settle(p, 0, payee=payee)

    @precondition(lambda self: self.idem)
    @rule(data=st.data(), same=st.booleans())
    def replay_idempotent_request(self, data: st.DataObject, same: bool) -> None:
        record = data.draw(st.sampled_from(list(self.idem.values())), label="idempotent request")
        if same:
            self.replay(record)
        else:
            other = Idempotency(record.key, record.fingerprint[::-1])
            self.attempt(record.call(other), "IdempotencyConflict")

    # -- after every step ------------------------------------------------------------------

    @invariant()
    def books_agree_with_the_model(self) -> None:
        assert self.run(check_invariants(self.gw.store)) == []
        m = self.model
        accounts = {r["id"]: r for r in self.run(self.gw.store.fetchall("SELECT * FROM accounts"))}
        for w in self.wallets:
            a = accounts[w]
            wallet = self.run(self.gw.get_wallet(w))
            assert wallet.balance_msat == m.balances[w], f"balance of {w}"
            assert a["debits_pending"] == m.held[w], f"held in {w}"
        owned = sum(accounts[w]["credits_posted"] - accounts[w]["debits_posted"]
                    for w in self.wallets)
        world = accounts[LIGHTNING]
        # Money is neither created nor destroyed: what the wallets own came from the network
        # and what left went to it.
        assert owned == m.wallet_total() == m.received_from_network - m.sent_to_network
        assert world["debits_posted"] - world["credits_posted"] == owned
        rows = {r["id"]: r for r in self.run(self.gw.store.fetchall(
            "SELECT id, status, amount_msat, fee_msat FROM payments"))}
        for p in m.outgoing.values():
            row = rows[p.id]
            assert row["status"] == p.status, f"payment {p.id} is {row['status']}, not {p.status}"
            assert row["amount_msat"] == p.amount
            if p.status == "success":
                assert row["fee_msat"] == p.fee
        for inv in m.invoices.values():
            assert rows[inv.id]["status"] == inv.status, f"invoice {inv.id}"
        figures.add("model_steps")


FAST = settings(max_examples=25, stateful_step_count=30, derandomize=True, database=None,
                deadline=None, print_blob=True,
                suppress_health_check=list(HealthCheck))
LONG = settings(FAST, max_examples=int(os.environ.get("LNGATE_MODEL_EXAMPLES", 250)),
                stateful_step_count=60, derandomize=False)
LONG_SEEDS = [int(s) for s in os.environ.get("LNGATE_MODEL_SEED", "1,2,3,4").split(",")]


def test_core_agrees_with_the_model():
    get_state_machine_test(LedgerMachine, settings=FAST)()


@pytest.mark.slow
@pytest.mark.parametrize("seed", LONG_SEEDS)
def test_core_agrees_with_the_model_long(seed):
    test = use_seed(seed)(get_state_machine_test(LedgerMachine, settings=LONG))
    try:
        test()
    except BaseException as exc:
        exc.add_note(f"reproduce with: LNGATE_MODEL_SEED={seed} make test-long "
                     f"PYTEST_ARGS='-k model_long'")
        raise
