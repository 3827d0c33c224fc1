"""A simulated Lightning network: the gateway's own node plus three external nodes.

The gateway runs on it by default, and it turns the gateway into a local mock for integration
tests. Everything a real node would remember lives in one small SQLite file, so a restart (even
after kill -9) reports the same truth, and a second process (the CLI) can act on the same network
while the server runs.

Invoices are real BOLT11 strings signed with keys derived from `seed`, so they stay verifiable
across restarts. Outgoing payments to external nodes follow an outcome scripted on the payee's
invoice (succeed, fail, pending, unknown, hold). The outcome and the moment it takes effect are
written when the payment starts; from then on a payment's state is a function of the file and the
clock, which is what makes a crash harmless.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator

import bolt11 as bolt11_lib
from bolt11 import Bolt11
from coincurve import PrivateKey

from backends.bolt11_encode import (
    CURRENCY_BY_NETWORK,
    NETWORK_BY_CURRENCY,
    encode_invoice,
)
from backends.base import (
    BackendError,
    CreatedInvoice,
    InvoiceState,
    PayResult,
    PayStatus,
    SettledInvoice,
)

EXTERNAL_NODE_COUNT = 3
OUTCOMES = ("succeed", "fail", "pending", "unknown", "hold")
THEN_OUTCOMES = ("succeed", "fail")
DEFAULT_FAIL_REASON = "WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS"
DEFAULT_EXTERNAL_EXPIRY = 3600
# Settlements written by another process (the CLI) are only seen by polling the file.
POLL_SECONDS = 0.5

_HEX32 = re.compile(r"[0-9a-f]{64}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (       -- issued by the gateway's node
    payment_hash   TEXT PRIMARY KEY,
    label          TEXT NOT NULL UNIQUE,
    bolt11         TEXT,                     -- NULL for an incoming keysend
    preimage       TEXT,                     -- NULL for a hold invoice until it is settled
    hold           INTEGER NOT NULL,
    amount_msat    INTEGER,                  -- NULL: any amount
    received_msat  INTEGER,
    state          TEXT NOT NULL,            -- open | accepted | settled | cancelled
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    settle_index   INTEGER UNIQUE,
    settled_at     INTEGER,
    custom_records TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS external_invoices (  -- issued by an external sim node, with a script
    payment_hash   TEXT PRIMARY KEY,
    node           INTEGER NOT NULL,
    bolt11         TEXT NOT NULL,
    preimage       TEXT NOT NULL,
    amount_msat    INTEGER,
    memo           TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    delay_ms       INTEGER NOT NULL,
    fee_msat       INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    then_outcome   TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (       -- outgoing, one row per hash (a retry replaces a failure)
    payment_hash   TEXT PRIMARY KEY,
    label          TEXT NOT NULL,
    kind           TEXT NOT NULL,            -- bolt11 | keysend
    destination    TEXT NOT NULL,
    amount_msat    INTEGER NOT NULL,
    fee_msat       INTEGER NOT NULL,         -- charged only if it settles
    preimage       TEXT NOT NULL,            -- the sim is the payee, so it knows; told once settled
    status         TEXT NOT NULL,            -- pending | settled | failed
    reason         TEXT NOT NULL,            -- failure text, if it fails
    resolution     TEXT,                     -- succeed | fail: what `pending` becomes at resolve_at_ms
    resolve_at_ms  INTEGER,                  -- NULL: pending until the control API resolves it
    started_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
);
"""


class SimNotFound(BackendError):
    """The control API was asked about an invoice the sim does not know."""


class _Refused(Exception):
    """An outgoing payment fails before anything leaves the node."""


@dataclass(frozen=True)
class SimNode:
    alias: str
    private_key: str  # hex
    pubkey: str  # hex, compressed

    @classmethod
    def derive(cls, seed: str, name: str, alias: str) -> SimNode:
        key = hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()
        pubkey = PrivateKey.from_hex(key).public_key.format(compressed=True).hex()
        return cls(alias=alias, private_key=key, pubkey=pubkey)

    def public(self) -> dict[str, str]:
        return {"pubkey": self.pubkey, "alias": self.alias}


def _now() -> int:
    return int(time.time())


def _now_ms() -> int:
    return int(time.time() * 1000)


def _sha256_hex(hex_str: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_str)).hexdigest()


def _check_hex32(value: str | None, what: str) -> str:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise BackendError(f"{what} must be 32 bytes of lowercase hex")
    return value


def _records_to_json(records: dict[int, bytes]) -> str:
    return json.dumps({str(k): v.hex() for k, v in sorted(records.items())})


def _records_from_json(text: str) -> dict[int, bytes]:
    return {int(k): bytes.fromhex(v) for k, v in json.loads(text).items()}


class SimBackend:
    """The Backend protocol over a simulated network; see the module docstring."""

    name = "sim"

    def __init__(
        self,
        network: str = "regtest",
        state_path: str = ":memory:",
        seed: str = "lngate-sim",
        *,
        keysend_fee_msat: int = 0,
    ) -> None:
        if network not in CURRENCY_BY_NETWORK:
            raise ValueError(f"unknown network {network!r}; one of {sorted(CURRENCY_BY_NETWORK)}")
        self.network = network
        self.currency = CURRENCY_BY_NETWORK[network]
        self.state_path = state_path
        self.keysend_fee_msat = keysend_fee_msat
        self.poll_seconds = POLL_SECONDS
        self.gateway = SimNode.derive(seed, "gateway", "lngate-sim")
        self.nodes = [
            SimNode.derive(seed, f"node{i}", f"sim-node{i}")
            for i in range(1, EXTERNAL_NODE_COUNT + 1)
        ]
        self._db: sqlite3.Connection | None = None
        # Replaced on every change: a waiter grabs the current one before reading the state, so a
        # change that lands in between still wakes it.
        self._changed = asyncio.Event()
        self._open()

    # -- lifecycle -------------------------------------------------------------------------------

    def _open(self) -> None:
        # Autocommit mode: every write below opens its own BEGIN IMMEDIATE transaction.
        db = sqlite3.connect(self.state_path, isolation_level=None, timeout=10.0)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=10000")
        db.executescript(_SCHEMA)
        self._db = db

    async def start(self) -> None:
        if self._db is None:
            self._open()

    async def stop(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._notify()  # lets open streams notice and end

    async def node_pubkey(self) -> str:
        return self.gateway.pubkey

    def external_nodes(self) -> list[dict[str, Any]]:
        return [{"index": i, **node.public()} for i, node in enumerate(self.nodes)]

    # -- storage helpers -------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise BackendError("the sim backend is stopped")
        return self._db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE serialises writers across processes."""
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self._conn().execute(sql, args).fetchone()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_change(self, changed: asyncio.Event, timeout: float) -> None:
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            pass

    def _decode(self, bolt11: str) -> Bolt11:
        """Decode and check the network; raises _Refused with a readable reason."""
        try:
            invoice = bolt11_lib.decode(bolt11.strip())
        except Exception as exc:  # the library raises many types for garbage input
            raise _Refused(f"invalid bolt11 invoice: {exc or type(exc).__name__}") from exc
        if invoice.currency != self.currency:
            other = NETWORK_BY_CURRENCY.get(invoice.currency, invoice.currency)
            raise _Refused(f"invoice is for {other}, this node runs on {self.network}")
        return invoice

    def _node_index(self, pubkey: str | None) -> int | None:
        for i, node in enumerate(self.nodes):
            if node.pubkey == pubkey:
                return i
        return None

    # -- the gateway's own invoices --------------------------------------------------------------

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
        existing = self._one("SELECT * FROM invoices WHERE label = ?", label)
        if existing is not None:  # a retry after a lost reply
            return CreatedInvoice(existing["bolt11"], existing["payment_hash"], existing["expires_at"])
        if (preimage is None) == (payment_hash is None):
            raise BackendError("exactly one of preimage (ordinary) or payment_hash (hold) is required")
        if preimage is not None:
            payment_hash = _sha256_hex(_check_hex32(preimage, "preimage"))
        _check_hex32(payment_hash, "payment_hash")
        if description_hash is not None:
            _check_hex32(description_hash, "description_hash")
        if amount_msat is not None and amount_msat <= 0:
            raise BackendError("amount_msat must be positive (or None for any amount)")
        if expiry <= 0:
            raise BackendError("expiry must be a positive number of seconds")

        now = _now()
        bolt11 = encode_invoice(
            self.gateway.private_key, self.currency, payment_hash=payment_hash, amount_msat=amount_msat,
            memo=memo, description_hash=description_hash, expiry=expiry, timestamp=now,
        )
        with self._write() as db:
            if db.execute("SELECT 1 FROM invoices WHERE payment_hash = ?", (payment_hash,)).fetchone():
                raise BackendError(f"an invoice with payment hash {payment_hash} already exists")
            db.execute(
                "INSERT INTO invoices (payment_hash, label, bolt11, preimage, hold, amount_msat,"
                " state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                (payment_hash, label, bolt11, preimage, preimage is None, amount_msat, now,
                 now + expiry),
            )
        return CreatedInvoice(bolt11, payment_hash, now + expiry)

    async def invoice_state(self, payment_hash: str) -> InvoiceState:
        row = self._one("SELECT state, expires_at FROM invoices WHERE payment_hash = ?", payment_hash)
        if row is None:
            return InvoiceState.UNKNOWN
        if row["state"] == "open" and row["expires_at"] <= _now():
            return InvoiceState.CANCELLED  # expired
        return InvoiceState(row["state"])

    async def cancel_invoice(self, payment_hash: str) -> None:
        # Best effort by contract: only an open invoice can be made unpayable; anything else is a no-op.
        with self._write() as db:
            db.execute(
                "UPDATE invoices SET state = 'cancelled' WHERE payment_hash = ? AND state = 'open'",
                (payment_hash,),
            )

    async def settle_hold_invoice(self, preimage: str) -> None:
        payment_hash = _sha256_hex(_check_hex32(preimage, "preimage"))
        with self._write() as db:
            row = self._hold_row(db, payment_hash)
            if row["state"] == "settled":
                return  # a retry after a lost reply
            if row["state"] != "accepted":
                raise BackendError(
                    f"hold invoice {payment_hash} cannot be settled in state {row['state']}"
                    + (" (not paid yet)" if row["state"] == "open" else "")
                )
            self._settle(db, payment_hash, preimage, row["received_msat"])
        self._notify()

    async def cancel_hold_invoice(self, payment_hash: str) -> None:
        with self._write() as db:
            row = self._hold_row(db, payment_hash)
            if row["state"] == "settled":
                raise BackendError(f"hold invoice {payment_hash} is already settled")
            db.execute(
                "UPDATE invoices SET state = 'cancelled' WHERE payment_hash = ?", (payment_hash,)
            )

    def _hold_row(self, db: sqlite3.Connection, payment_hash: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM invoices WHERE payment_hash = ?", (payment_hash,)).fetchone()
        if row is None:
            raise BackendError(f"no hold invoice with payment hash {payment_hash}")
        if not row["hold"]:
            raise BackendError(f"invoice {payment_hash} is not a hold invoice")
        return row

    def _settle(
        self, db: sqlite3.Connection, payment_hash: str, preimage: str, received_msat: int
    ) -> int:
        """Mark settled and give it the next stream index (inside the caller's transaction)."""
        index = db.execute("SELECT COALESCE(MAX(settle_index), 0) + 1 FROM invoices").fetchone()[0]
        db.execute(
            "UPDATE invoices SET state = 'settled', preimage = ?, received_msat = ?,"
            " settle_index = ?, settled_at = ? WHERE payment_hash = ?",
            (preimage, received_msat, index, _now(), payment_hash),
        )
        return index

    async def settled_invoices(self, after_index: int) -> AsyncIterator[SettledInvoice]:
        """Replay from the state file, then follow live; ends when the backend stops.

        Like any async generator, it is closed if a pending `__anext__` is cancelled (for example
        by `asyncio.wait_for`); open a new one from the last index seen.
        """
        last = after_index
        while self._db is not None:
            changed = self._changed
            for settled in self._settled_after(last):
                last = settled.index
                yield settled
            await self._wait_change(changed, self.poll_seconds)

    def _settled_after(self, index: int) -> list[SettledInvoice]:
        if self._db is None:
            return []
        rows = self._db.execute(
            "SELECT * FROM invoices WHERE settle_index > ? ORDER BY settle_index", (index,)
        ).fetchall()
        return [
            SettledInvoice(
                payment_hash=r["payment_hash"],
                amount_msat=r["received_msat"],
                preimage=r["preimage"],
                index=r["settle_index"],
                custom_records=_records_from_json(r["custom_records"]),
            )
            for r in rows
        ]

    # -- external payers paying the gateway (control API, CLI) -----------------------------------

    async def external_pay(self, bolt11: str, amount_msat: int | None = None) -> dict[str, Any]:
        """An external node pays one of the gateway's invoices: settled, or accepted if hold."""
        try:
            invoice = self._decode(bolt11)
        except _Refused as exc:
            raise BackendError(str(exc)) from None
        if invoice.payee != self.gateway.pubkey:
            raise BackendError("not an invoice of the gateway's node")
        payment_hash = invoice.payment_hash
        with self._write() as db:
            row = db.execute(
                "SELECT * FROM invoices WHERE payment_hash = ?", (payment_hash,)
            ).fetchone()
            if row is None:
                raise SimNotFound(f"the gateway node has no invoice with payment hash {payment_hash}")
            received = self._check_payable(row, amount_msat)
            if row["hold"]:
                db.execute(
                    "UPDATE invoices SET state = 'accepted', received_msat = ? WHERE payment_hash = ?",
                    (received, payment_hash),
                )
                status = "accepted"
            else:
                self._settle(db, payment_hash, row["preimage"], received)
                status = "settled"
        if status == "settled":
            self._notify()
        return {"payment_hash": payment_hash, "amount_msat": received, "status": status}

    @staticmethod
    def _check_payable(row: sqlite3.Row, amount_msat: int | None) -> int:
        """The amount the payer sends, or BackendError saying why the invoice cannot be paid."""
        state = row["state"]
        if state == "settled":
            raise BackendError("invoice already paid")
        if state == "accepted":
            raise BackendError("invoice already paid (held, waiting for settle or cancel)")
        if state == "cancelled":
            raise BackendError("invoice cancelled")
        if row["expires_at"] <= _now():
            raise BackendError("invoice expired")
        invoiced = row["amount_msat"]
        if invoiced is None:
            if amount_msat is None or amount_msat <= 0:
                raise BackendError("amount_msat is required to pay a zero-amount invoice")
            return amount_msat
        if amount_msat is not None and amount_msat < invoiced:
            raise BackendError(f"amount_msat {amount_msat} is less than the invoice's {invoiced}")
        return amount_msat if amount_msat is not None else invoiced

    async def external_keysend(
        self, amount_msat: int, custom_records: dict[int, bytes]
    ) -> SettledInvoice:
        """An external node keysends to the gateway: settled at once, with a fresh preimage."""
        if amount_msat <= 0:
            raise BackendError("amount_msat must be positive")
        preimage = secrets.token_hex(32)
        payment_hash = _sha256_hex(preimage)
        now = _now()
        with self._write() as db:
            db.execute(
                "INSERT INTO invoices (payment_hash, label, bolt11, preimage, hold, amount_msat,"
                " state, created_at, expires_at, custom_records)"
                " VALUES (?, ?, NULL, ?, 0, ?, 'open', ?, ?, ?)",
                (payment_hash, f"keysend-{payment_hash}", preimage, amount_msat, now, now,
                 _records_to_json(custom_records)),
            )
            index = self._settle(db, payment_hash, preimage, amount_msat)
        self._notify()
        return SettledInvoice(payment_hash, amount_msat, preimage, index, dict(custom_records))

    # -- external nodes' invoices (control API) --------------------------------------------------

    async def create_external_invoice(
        self,
        *,
        amount_msat: int | None,
        memo: str = "",
        outcome: str = "succeed",
        delay_ms: int = 0,
        fee_msat: int = 0,
        reason: str = "",
        then: str = "succeed",
        node: int = 0,
        expiry: int = DEFAULT_EXTERNAL_EXPIRY,
    ) -> dict[str, Any]:
        """An invoice of external node `node` whose payment will follow the scripted outcome."""
        self._check_script(amount_msat, outcome, delay_ms, fee_msat, then, node, expiry)
        preimage = secrets.token_hex(32)
        payment_hash = _sha256_hex(preimage)
        now = _now()
        bolt11 = encode_invoice(
            self.nodes[node].private_key, self.currency, payment_hash=payment_hash, amount_msat=amount_msat,
            memo=memo, description_hash=None, expiry=expiry, timestamp=now,
        )
        with self._write() as db:
            db.execute(
                "INSERT INTO external_invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (payment_hash, node, bolt11, preimage, amount_msat, memo, outcome, delay_ms,
                 fee_msat, reason or DEFAULT_FAIL_REASON, then, now, now + expiry),
            )
        return await self.external_invoice(payment_hash)

    @staticmethod
    def _check_script(
        amount_msat: int | None, outcome: str, delay_ms: int, fee_msat: int, then: str, node: int,
        expiry: int,
    ) -> None:
        if amount_msat is not None and amount_msat <= 0:
            raise BackendError("amount_msat must be positive, or null for a zero-amount invoice")
        if outcome not in OUTCOMES:
            raise BackendError(f"outcome must be one of {', '.join(OUTCOMES)}")
        if then not in THEN_OUTCOMES:
            raise BackendError(f"then must be one of {', '.join(THEN_OUTCOMES)}")
        if delay_ms < 0 or fee_msat < 0:
            raise BackendError("delay_ms and fee_msat must not be negative")
        if not 0 <= node < EXTERNAL_NODE_COUNT:
            raise BackendError(f"node must be between 0 and {EXTERNAL_NODE_COUNT - 1}")
        if expiry <= 0:
            raise BackendError("expiry must be a positive number of seconds")

    async def external_invoice(self, payment_hash: str) -> dict[str, Any]:
        """An external invoice, its script, and the state of the gateway's payment of it."""
        row = self._one("SELECT * FROM external_invoices WHERE payment_hash = ?", payment_hash)
        if row is None:
            raise SimNotFound(f"no external invoice with payment hash {payment_hash}")
        payment = self._one("SELECT * FROM payments WHERE payment_hash = ?", payment_hash)
        return {
            "bolt11": row["bolt11"],
            "payment_hash": payment_hash,
            "preimage": row["preimage"],
            "node": row["node"],
            "node_pubkey": self.nodes[row["node"]].pubkey,
            "amount_msat": row["amount_msat"],
            "memo": row["memo"],
            "outcome": row["outcome"],
            "delay_ms": row["delay_ms"],
            "fee_msat": row["fee_msat"],
            "reason": row["reason"],
            "then": row["then_outcome"],
            "created_at": row["created_at"],
            "expires_at": row["expires_at"],
            "payment": None if payment is None else self._payment_view(payment),
        }

    def _payment_view(self, row: sqlite3.Row) -> dict[str, Any]:
        result = self._result(row)
        return {
            "label": row["label"],
            "status": result.status.value,
            "amount_msat": row["amount_msat"],
            "fee_msat": result.fee_msat,
            "reason": result.reason,
            "started_at_ms": row["started_at_ms"],
            "resolve_at_ms": row["resolve_at_ms"] if row["status"] == "pending" else None,
        }

    async def resolve_external_payment(
        self, payment_hash: str, *, succeed: bool, reason: str | None = None
    ) -> dict[str, Any]:
        """Settle or fail the gateway's in-flight payment of an external invoice, now."""
        await self.external_invoice(payment_hash)  # SimNotFound for an unknown hash
        with self._write() as db:
            row = db.execute(
                "SELECT * FROM payments WHERE payment_hash = ?", (payment_hash,)
            ).fetchone()
            if row is None or self._result(row).status is not PayStatus.PENDING:
                state = "no payment" if row is None else f"the payment is {self._result(row).status.value}"
                raise BackendError(f"nothing in flight to resolve for {payment_hash}: {state}")
            db.execute(
                "UPDATE payments SET status = ?, reason = COALESCE(?, reason), updated_at_ms = ?"
                " WHERE payment_hash = ?",
                ("settled" if succeed else "failed", reason or None, _now_ms(), payment_hash),
            )
        self._notify()
        return await self.external_invoice(payment_hash)

    # -- outgoing payments -----------------------------------------------------------------------

    @staticmethod
    def _result(row: sqlite3.Row, now_ms: int | None = None) -> PayResult:
        """The truth about an outgoing payment: its row, read against the clock."""
        status = row["status"]
        if status == "pending" and row["resolve_at_ms"] is not None:
            if (now_ms if now_ms is not None else _now_ms()) >= row["resolve_at_ms"]:
                status = "settled" if row["resolution"] == "succeed" else "failed"
        if status == "settled":
            return PayResult(PayStatus.SETTLED, preimage=row["preimage"], fee_msat=row["fee_msat"])
        if status == "failed":
            return PayResult(PayStatus.FAILED, reason=row["reason"])
        return PayResult(PayStatus.PENDING)

    def _previous_attempt(self, db: sqlite3.Connection, payment_hash: str) -> PayResult | None:
        """The answer for a hash already paid or in flight; None if a (new) attempt may start."""
        row = db.execute("SELECT * FROM payments WHERE payment_hash = ?", (payment_hash,)).fetchone()
        if row is None:
            return None
        result = self._result(row)
        return None if result.status is PayStatus.FAILED else result

    async def payment_status(self, payment_hash: str) -> PayResult:
        row = self._one("SELECT * FROM payments WHERE payment_hash = ?", payment_hash)
        if row is None:  # nothing ever left the node for this hash
            return PayResult(PayStatus.NOT_FOUND, reason="payment not found")
        return self._result(row)

    async def pay_invoice(
        self, *, label: str, bolt11: str, amount_msat: int, fee_limit_msat: int
    ) -> PayResult:
        try:
            invoice = self._decode(bolt11)
            started = self._start_external_payment(label, invoice, amount_msat, fee_limit_msat)
        except _Refused as exc:
            return PayResult(PayStatus.FAILED, reason=str(exc))
        if isinstance(started, PayResult):
            return started
        outcome, resolve_at_ms = started
        if outcome in ("pending", "hold"):
            return PayResult(PayStatus.PENDING)
        if outcome == "unknown":
            return PayResult(PayStatus.UNKNOWN, reason="lost the connection to the node (simulated)")
        return await self._await_outcome(invoice.payment_hash, resolve_at_ms)

    def _start_external_payment(
        self, label: str, invoice: Bolt11, amount_msat: int, fee_limit_msat: int
    ) -> PayResult | tuple[str, int | None]:
        """Record a new attempt with its scripted fate; or the earlier answer for this hash."""
        payment_hash = invoice.payment_hash
        node = self._node_index(invoice.payee)
        if node is None:
            who = "the gateway's own node" if invoice.payee == self.gateway.pubkey else invoice.payee
            raise _Refused(f"no route to {who}")
        with self._write() as db:
            previous = self._previous_attempt(db, payment_hash)
            if previous is not None:  # already paid (no second charge) or still in flight
                return previous
            ext = db.execute(
                "SELECT * FROM external_invoices WHERE payment_hash = ? AND node = ?",
                (payment_hash, node),
            ).fetchone()
            if ext is None:
                raise _Refused(DEFAULT_FAIL_REASON)
            if ext["expires_at"] <= _now():
                raise _Refused("invoice expired")
            amount = ext["amount_msat"] or amount_msat
            if not amount or amount <= 0:
                raise _Refused("amount_msat is required to pay a zero-amount invoice")
            if ext["fee_msat"] > fee_limit_msat:
                raise _Refused(
                    f"fee exceeds maximum: route needs {ext['fee_msat']} msat, limit {fee_limit_msat}"
                )
            resolution, resolve_at_ms = self._plan(ext, _now_ms())
            self._insert_payment(
                db, payment_hash, label=label, kind="bolt11", destination=invoice.payee,
                amount_msat=amount, fee_msat=ext["fee_msat"], preimage=ext["preimage"],
                status="pending", reason=ext["reason"], resolution=resolution,
                resolve_at_ms=resolve_at_ms,
            )
        return ext["outcome"], resolve_at_ms

    @staticmethod
    def _plan(ext: sqlite3.Row, now_ms: int) -> tuple[str | None, int | None]:
        """(what the payment becomes, when) for an external invoice's scripted outcome."""
        outcome, delay, then = ext["outcome"], ext["delay_ms"], ext["then_outcome"]
        if outcome in ("succeed", "fail"):
            return outcome, now_ms + delay
        if outcome == "unknown":  # the payment went on while we lost track of it
            return then, now_ms + delay
        if outcome == "pending" and delay > 0:
            return then, now_ms + delay
        return None, None  # pending without delay, hold: until the control API says

    def _insert_payment(self, db: sqlite3.Connection, payment_hash: str, **cols: Any) -> None:
        now_ms = _now_ms()
        cols.update(payment_hash=payment_hash, started_at_ms=now_ms, updated_at_ms=now_ms)
        # REPLACE: a new attempt overwrites a failed one (callers checked there is no live one).
        db.execute(
            f"INSERT OR REPLACE INTO payments ({', '.join(cols)})"
            f" VALUES ({', '.join('?' for _ in cols)})",
            tuple(cols.values()),
        )

    async def _await_outcome(self, payment_hash: str, resolve_at_ms: int | None) -> PayResult:
        """Wait until the payment leaves `pending` (by the clock or the control API)."""
        while True:
            changed = self._changed
            result = await self.payment_status(payment_hash)
            if result.status is not PayStatus.PENDING:
                return result
            remaining = self.poll_seconds
            if resolve_at_ms is not None:
                remaining = min(max((resolve_at_ms - _now_ms()) / 1000, 0.001), remaining)
            await self._wait_change(changed, remaining)

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
        payment_hash = _sha256_hex(_check_hex32(preimage, "preimage"))
        if amount_msat <= 0:
            raise BackendError("amount_msat must be positive")
        node = self._node_index(destination.lower())
        if node is None:
            return PayResult(PayStatus.FAILED, reason=f"Unknown destination {destination}: no route")
        if self.keysend_fee_msat > fee_limit_msat:
            return PayResult(
                PayStatus.FAILED,
                reason=f"fee exceeds maximum: route needs {self.keysend_fee_msat} msat,"
                f" limit {fee_limit_msat}",
            )
        with self._write() as db:
            previous = self._previous_attempt(db, payment_hash)
            if previous is not None:
                return previous
            self._insert_payment(
                db, payment_hash, label=label, kind="keysend", destination=self.nodes[node].pubkey,
                amount_msat=amount_msat, fee_msat=self.keysend_fee_msat, preimage=preimage,
                status="settled", reason="", resolution=None, resolve_at_ms=None,
            )
        return PayResult(PayStatus.SETTLED, preimage=preimage, fee_msat=self.keysend_fee_msat)
