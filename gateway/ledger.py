"""Double-entry ledger operations on an open write transaction.

Every balance change in lngate is one of these four operations. Each appends to the
`transfers` journal and adjusts the running totals of exactly two accounts, so a balance
read is one row, never a sum over history. Wallet accounts are debited with a conditional
UPDATE that only matches while the balance stays non-negative, which is what makes
concurrent spending from one wallet safe in one process or many.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .errors import InsufficientBalance, LngateError
from .store import Store, Tx

LIGHTNING = "system:lightning"  # the outside world: money that came from / went to the network

_BALANCE = "credits_posted - debits_posted - debits_pending"


class LedgerError(LngateError):
    """A ledger rule would be broken: a bug in the caller, never a user error."""


async def ensure_system_accounts(tx: Tx) -> None:
    await tx.execute("INSERT OR IGNORE INTO accounts (id, kind) VALUES (?, 'system')", (LIGHTNING,))


async def open_wallet_account(tx: Tx, wallet_id: str) -> None:
    await tx.execute("INSERT INTO accounts (id, kind) VALUES (?, 'wallet')", (wallet_id,))


async def balance(tx: Tx | Store, account: str) -> int:
    row = await tx.fetchone(f"SELECT {_BALANCE} AS b FROM accounts WHERE id = ?", (account,))
    if row is None:
        raise LedgerError(f"no ledger account {account}")
    return row["b"]


async def _debit(tx: Tx, account: str, amount: int, column: str) -> None:
    changed = await tx.execute(
        f"UPDATE accounts SET {column} = {column} + ? "
        f"WHERE id = ? AND (kind = 'system' OR {_BALANCE} >= ?)",
        (amount, account, amount))
    if changed != 1:
        have = await balance(tx, account)
        raise InsufficientBalance(balance_msat=have, needed_msat=amount)


async def _credit(tx: Tx, account: str, amount: int, column: str) -> None:
    if await tx.execute(f"UPDATE accounts SET {column} = {column} + ? WHERE id = ?",
                        (amount, account)) != 1:
        raise LedgerError(f"no ledger account {account}")


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise LedgerError(f"ledger amount must be a non-negative integer, got {amount!r}")


async def post(tx: Tx, debit: str, credit: str, amount: int, payment_id: str | None) -> int:
    """Move `amount` at once. Raises InsufficientBalance if a wallet debit would overdraw."""
    _check_amount(amount)
    await _debit(tx, debit, amount, "debits_posted")
    await _credit(tx, credit, amount, "credits_posted")
    return await tx.insert(
        "INSERT INTO transfers (phase, debit_account, credit_account, amount, payment_id, created_at)"
        " VALUES ('posted', ?, ?, ?, ?, ?)", (debit, credit, amount, payment_id, int(time.time())))


async def reserve(tx: Tx, debit: str, credit: str, amount: int, payment_id: str | None) -> int:
    """Hold `amount` (first phase). Returns the pending transfer's id."""
    _check_amount(amount)
    await _debit(tx, debit, amount, "debits_pending")
    await _credit(tx, credit, amount, "credits_pending")
    return await tx.insert(
        "INSERT INTO transfers (phase, debit_account, credit_account, amount, payment_id, created_at)"
        " VALUES ('pending', ?, ?, ?, ?, ?)", (debit, credit, amount, payment_id, int(time.time())))


@dataclass(frozen=True)
class _Pending:
    id: int
    debit: str
    credit: str
    amount: int
    payment_id: str | None


async def _pending(tx: Tx, pending_id: int) -> _Pending:
    row = await tx.fetchone(
        "SELECT id, debit_account, credit_account, amount, payment_id FROM transfers "
        "WHERE id = ? AND phase = 'pending'", (pending_id,))
    if row is None:
        raise LedgerError(f"no pending transfer {pending_id}")
    return _Pending(row["id"], row["debit_account"], row["credit_account"], row["amount"],
                    row["payment_id"])


async def _release(tx: Tx, p: _Pending, phase: str, amount: int) -> int:
    # The unique index on pending_id makes a second resolution fail here, before totals move.
    transfer_id = await tx.insert(
        "INSERT INTO transfers (phase, debit_account, credit_account, amount, pending_id,"
        " payment_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (phase, p.debit, p.credit, amount, p.id, p.payment_id, int(time.time())))
    await tx.execute("UPDATE accounts SET debits_pending = debits_pending - ? WHERE id = ?",
                     (p.amount, p.debit))
    await tx.execute("UPDATE accounts SET credits_pending = credits_pending - ? WHERE id = ?",
                     (p.amount, p.credit))
    return transfer_id


async def post_pending(tx: Tx, pending_id: int, amount: int) -> int:
    """Second phase: post `amount` (at most what was held); the rest returns to the debit side."""
    _check_amount(amount)
    p = await _pending(tx, pending_id)
    if amount > p.amount:
        raise LedgerError(f"cannot post {amount} from a reservation of {p.amount}")
    transfer_id = await _release(tx, p, "post", amount)
    await tx.execute("UPDATE accounts SET debits_posted = debits_posted + ? WHERE id = ?",
                     (amount, p.debit))
    await tx.execute("UPDATE accounts SET credits_posted = credits_posted + ? WHERE id = ?",
                     (amount, p.credit))
    return transfer_id


async def void_pending(tx: Tx, pending_id: int) -> int:
    """Second phase, failure: release the whole reservation."""
    p = await _pending(tx, pending_id)
    return await _release(tx, p, "void", 0)


async def check_invariants(store: Store) -> list[str]:
    """Return every broken ledger invariant (empty when the books are sound)."""
    problems: list[str] = []
    totals = await store.fetchone(
        "SELECT COALESCE(SUM(debits_posted),0) dp, COALESCE(SUM(credits_posted),0) cp,"
        " COALESCE(SUM(debits_pending),0) dq, COALESCE(SUM(credits_pending),0) cq FROM accounts")
    if totals["dp"] != totals["cp"]:
        problems.append(f"posted debits {totals['dp']} != posted credits {totals['cp']}")
    if totals["dq"] != totals["cq"]:
        problems.append(f"pending debits {totals['dq']} != pending credits {totals['cq']}")
    negative = await store.fetchall(
        f"SELECT id, {_BALANCE} AS b FROM accounts WHERE kind = 'wallet' AND {_BALANCE} < 0")
    problems += [f"wallet {r['id']} below zero: {r['b']}" for r in negative]
    # Replay the journal and compare with the running totals.
    replay: dict[str, list[int]] = {}
    for t in await store.fetchall(
            "SELECT t.phase, t.debit_account d, t.credit_account c, t.amount a,"
            " p.amount held FROM transfers t LEFT JOIN transfers p ON p.id = t.pending_id"):
        d = replay.setdefault(t["d"], [0, 0, 0, 0])
        c = replay.setdefault(t["c"], [0, 0, 0, 0])
        if t["phase"] in ("posted", "post"):
            d[0] += t["a"]
            c[1] += t["a"]
        if t["phase"] == "pending":
            d[2] += t["a"]
            c[3] += t["a"]
        if t["phase"] in ("post", "void"):
            d[2] -= t["held"]
            c[3] -= t["held"]
        if t["phase"] == "post" and t["a"] > t["held"]:
            problems.append(f"post of {t['a']} exceeds its reservation of {t['held']}")
    for acc in await store.fetchall("SELECT * FROM accounts"):
        expect = replay.get(acc["id"], [0, 0, 0, 0])
        have = [acc["debits_posted"], acc["credits_posted"], acc["debits_pending"],
                acc["credits_pending"]]
        if expect != have:
            problems.append(f"account {acc['id']} totals {have} != journal replay {expect}")
    dup = await store.fetchall(
        "SELECT pending_id FROM transfers WHERE pending_id IS NOT NULL"
        " GROUP BY pending_id HAVING COUNT(*) > 1")
    problems += [f"reservation {r['pending_id']} resolved more than once" for r in dup]
    # A pending payment holds exactly one open reservation; a terminal one holds none.
    open_res = await store.fetchall(
        "SELECT p.id, p.status FROM payments p JOIN transfers t ON t.id = p.reservation_id"
        " WHERE NOT EXISTS (SELECT 1 FROM transfers r WHERE r.pending_id = t.id)"
        " AND p.status <> 'pending'")
    problems += [f"{r['status']} payment {r['id']} still holds a reservation" for r in open_res]
    return problems
