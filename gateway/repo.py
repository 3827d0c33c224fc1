"""Row <-> record conversion and the read queries the core shares. No business rules here."""
from __future__ import annotations

import json
import time
from typing import Any, Iterable, Sequence

from .models import Credential, Event, Payment, User, Wallet
from .store import Store, Tx

PAYMENT_COLUMNS = (
    "seq, id, wallet_id, direction, kind, status, amount_msat, fee_msat, payment_hash, preimage,"
    " bolt11, memo, description_hash, expires_at, created_at, updated_at, settled_at, internal,"
    " hold, destination, custom_records, peer_wallet_id, peer_payment_id, failure_reason, extra,"
    " reservation_id")

WALLET_SELECT = (
    "SELECT w.*, a.credits_posted - a.debits_posted - a.debits_pending AS balance_msat"
    " FROM wallets w JOIN accounts a ON a.id = w.id")


def now() -> int:
    return int(time.time())


def to_payment(row: dict[str, Any]) -> Payment:
    return Payment(
        id=row["id"], wallet_id=row["wallet_id"], direction=row["direction"], kind=row["kind"],
        status=row["status"], amount_msat=row["amount_msat"], fee_msat=row["fee_msat"],
        payment_hash=row["payment_hash"], created_at=row["created_at"],
        updated_at=row["updated_at"], memo=row["memo"], bolt11=row["bolt11"],
        preimage=row["preimage"], description_hash=row["description_hash"],
        expires_at=row["expires_at"], settled_at=row["settled_at"],
        internal=bool(row["internal"]), hold=bool(row["hold"]), destination=row["destination"],
        custom_records=json.loads(row["custom_records"] or "{}"),
        peer_wallet_id=row["peer_wallet_id"], failure_reason=row["failure_reason"],
        extra=json.loads(row["extra"] or "{}"), seq=row["seq"])


def to_wallet(row: dict[str, Any]) -> Wallet:
    return Wallet(id=row["id"], user_id=row["user_id"], name=row["name"],
                  lnpay_id=row["lnpay_id"], created_at=row["created_at"],
                  updated_at=row["updated_at"], balance_msat=row["balance_msat"])


def to_credential(row: dict[str, Any]) -> Credential:
    return Credential(id=row["id"], kind=row["kind"], user_id=row["user_id"],
                      wallet_id=row["wallet_id"], perms=frozenset(json.loads(row["perms"])),
                      created_at=row["created_at"], revoked=row["revoked_at"] is not None)


def to_user(row: dict[str, Any]) -> User:
    return User(id=row["id"], created_at=row["created_at"])


async def wallet(db: Store | Tx, wallet_id: str) -> Wallet | None:
    row = await db.fetchone(f"{WALLET_SELECT} WHERE w.id = ?", (wallet_id,))
    return to_wallet(row) if row else None


async def payment(db: Store | Tx, payment_id: str) -> Payment | None:
    row = await db.fetchone(f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?", (payment_id,))
    return to_payment(row) if row else None


async def payment_row(db: Store | Tx, payment_id: str) -> dict[str, Any] | None:
    return await db.fetchone(f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?",
                             (payment_id,))


async def invoice_row(db: Store | Tx, payment_hash: str) -> dict[str, Any] | None:
    """The incoming invoice issued by this gateway for a payment hash, if any."""
    return await db.fetchone(
        f"SELECT {PAYMENT_COLUMNS} FROM payments"
        " WHERE payment_hash = ? AND direction = 'in' AND kind = 'invoice'", (payment_hash,))


async def live_outgoing(db: Store | Tx, payment_hash: str) -> Payment | None:
    row = await db.fetchone(
        f"SELECT {PAYMENT_COLUMNS} FROM payments"
        " WHERE payment_hash = ? AND direction = 'out' AND status <> 'failed'", (payment_hash,))
    return to_payment(row) if row else None


SQL_INT_MAX = 2**63 - 1


def sql_int(value: int) -> int:
    """An integer bound SQLite can bind (it has no integers past 64 bits): clamped."""
    return max(-SQL_INT_MAX - 1, min(SQL_INT_MAX, int(value)))


def payment_filters(wallet_id: str | None, *, direction: str | None = None,
                    statuses: Iterable[str] | None = None, kinds: Iterable[str] | None = None,
                    since: int | None = None, until: int | None = None,
                    payment_hash: str | None = None, after_seq: int | None = None,
                    before_seq: int | None = None,
                    fee_paid: bool | None = None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if fee_paid is not None:
        clauses.append("fee_msat > 0" if fee_paid else "fee_msat = 0")
    for column, values in (("status", statuses), ("kind", kinds)):
        if values is not None:
            values = list(values)
            clauses.append(f"{column} IN ({', '.join('?' * len(values)) or 'NULL'})")
            params += values
    # One `column op ?` clause per given value; integers clamped to SQLite's range. The seq
    # cursors select rows inserted after / before a given payment (keyset pagination).
    for clause, value in (("wallet_id = ?", wallet_id), ("direction = ?", direction or None),
                          ("payment_hash = ?", payment_hash),
                          ("created_at >= ?", since), ("created_at < ?", until),
                          ("seq > ?", after_seq), ("seq < ?", before_seq)):
        if value is not None:
            clauses.append(clause)
            params.append(sql_int(value) if isinstance(value, int) else value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


async def insert_payment(tx: Tx, **fields: Any) -> None:
    fields.setdefault("created_at", now())
    fields.setdefault("updated_at", fields["created_at"])
    for key in ("custom_records", "extra"):
        fields[key] = json.dumps(fields.get(key) or {}, separators=(",", ":"))
    for key in ("internal", "hold"):
        fields[key] = int(bool(fields.get(key)))
    columns = ", ".join(fields)
    await tx.execute(f"INSERT INTO payments ({columns}) VALUES ({', '.join('?' * len(fields))})",
                     tuple(fields.values()))


async def add_event(tx: Tx, type_: str, payment_id: str, wallet_id: str) -> None:
    await tx.execute("INSERT INTO events (type, payment_id, wallet_id, created_at)"
                     " VALUES (?, ?, ?, ?)", (type_, payment_id, wallet_id, now()))


async def events_after(db: Store, after_id: int, limit: int,
                       types: Sequence[str] | None = None) -> list[Event]:
    sql = "SELECT * FROM events WHERE id > ?"
    params: list[Any] = [after_id]
    if types:
        sql += f" AND type IN ({', '.join('?' * len(types))})"
        params += list(types)
    rows = await db.fetchall(sql + " ORDER BY id LIMIT ?", (*params, limit))
    return [Event(id=r["id"], type=r["type"], payment_id=r["payment_id"],
                  wallet_id=r["wallet_id"], created_at=r["created_at"]) for r in rows]


async def kv_get(db: Store | Tx, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM kv WHERE key = ?", (key,))
    return row["value"] if row else None


async def kv_set(tx: Tx, key: str, value: str) -> None:
    await tx.execute("INSERT INTO kv (key, value) VALUES (?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
