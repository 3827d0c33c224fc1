"""Reading payments and events, and the small durable state dialects keep in the core."""
from __future__ import annotations

import asyncio
import json
from typing import Any, Sequence

from . import repo
from .errors import NotFound
from .models import Event, Payment
from .repo import now
from .store import Store


class ReadOps:
    store: Store

    async def wait_for_change(self, timeout: float) -> None:  # provided by Gateway
        raise NotImplementedError

    async def get_payment(self, payment_id: str) -> Payment:
        payment = await repo.payment(self.store, payment_id)
        if payment is None:
            raise NotFound(f"payment {payment_id} not found")
        return payment

    async def find_payment(self, payment_hash: str, *, wallet_id: str | None = None,
                           direction: str | None = None) -> Payment | None:
        """The payment with this hash (in the wallet, when given). When both sides of an
        internal payment match, the outgoing one wins, as LNbits does."""
        where, params = repo.payment_filters(wallet_id, direction=direction,
                                             payment_hash=payment_hash)
        row = await self.store.fetchone(
            f"SELECT {repo.PAYMENT_COLUMNS} FROM payments{where}"
            " ORDER BY direction = 'out' DESC, status <> 'failed' DESC, seq DESC LIMIT 1", params)
        return repo.to_payment(row) if row else None

    async def list_payments(self, wallet_id: str, *, direction: str | None = None,
                            statuses: Sequence[str] | None = None,
                            kinds: Sequence[str] | None = None, limit: int | None = None,
                            offset: int = 0, since: int | None = None, until: int | None = None,
                            newest_first: bool = True, after_seq: int | None = None,
                            before_seq: int | None = None) -> list[Payment]:
        """`after_seq` / `before_seq` page by cursor: only payments recorded after / before
        the one with that `seq`."""
        where, params = repo.payment_filters(wallet_id, direction=direction, statuses=statuses,
                                             kinds=kinds, since=since, until=until,
                                             after_seq=after_seq, before_seq=before_seq)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT {repo.PAYMENT_COLUMNS} FROM payments{where} ORDER BY seq {order}"
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if limit is None else max(0, repo.sql_int(limit)),
                   max(0, repo.sql_int(offset))]
        return [repo.to_payment(r) for r in await self.store.fetchall(sql, params)]

    async def count_payments(self, wallet_id: str, *, direction: str | None = None,
                             statuses: Sequence[str] | None = None,
                             kinds: Sequence[str] | None = None, since: int | None = None,
                             until: int | None = None, fee_paid: bool | None = None) -> int:
        """`fee_paid`: only payments that did (True) or did not (False) cost a fee."""
        where, params = repo.payment_filters(wallet_id, direction=direction, statuses=statuses,
                                             kinds=kinds, since=since, until=until,
                                             fee_paid=fee_paid)
        row = await self.store.fetchone(f"SELECT COUNT(*) AS n FROM payments{where}", params)
        return row["n"]

    async def update_payment_extra(self, payment_id: str, extra: dict[str, Any]) -> Payment:
        """Merge dialect metadata (labels, webhook status, ...) into a payment's `extra`."""
        async with self.store.transaction() as tx:
            row = await tx.fetchone("SELECT extra FROM payments WHERE id = ?", (payment_id,))
            if row is None:
                raise NotFound(f"payment {payment_id} not found")
            merged = {**json.loads(row["extra"] or "{}"), **extra}
            await tx.execute("UPDATE payments SET extra = ?, updated_at = ? WHERE id = ?",
                             (json.dumps(merged, separators=(",", ":")), now(), payment_id))
        return await self.get_payment(payment_id)

    async def wait_for_payment(self, payment_id: str, timeout: float) -> Payment:
        """Return the payment once terminal, or as it is when `timeout` seconds have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            payment = await self.get_payment(payment_id)
            remaining = deadline - loop.time()
            if payment.status != "pending" or remaining <= 0:
                return payment
            await self.wait_for_change(min(remaining, 0.5))

    async def events_after(self, after_id: int, limit: int = 100,
                           types: Sequence[str] | None = None) -> list[Event]:
        return await repo.events_after(self.store, after_id, limit, types)

    async def get_state(self, key: str) -> str | None:
        """Small durable values for dialects and workers (cursors, ...)."""
        return await repo.kv_get(self.store, key)

    async def set_state(self, key: str, value: str) -> None:
        async with self.store.transaction() as tx:
            await repo.kv_set(tx, key, value)
