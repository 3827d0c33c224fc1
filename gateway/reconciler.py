"""Background work that keeps the ledger in step with the Lightning backend."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from . import repo

if TYPE_CHECKING:
    from .service import Gateway

log = structlog.get_logger("lngate.reconciler")


async def follow_settlements(gw: "Gateway") -> None:
    """Credit every invoice the backend reports settled, resuming from the persisted index so
    a restart neither misses nor double-counts a payment."""
    from .service import SETTLE_INDEX_KEY

    while True:
        try:
            after = int(await repo.kv_get(gw.store, SETTLE_INDEX_KEY) or 0)
            async for settled in gw.backend.settled_invoices(after):
                await gw.settle_incoming(settled)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("settlements.stream_failed")
        await asyncio.sleep(1.0)


async def reconcile_forever(gw: "Gateway") -> None:
    """At start-up and then periodically: resolve in-flight payments, expire old invoices."""
    while True:
        try:
            await gw.reconcile()
            await gw.expire_invoices()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reconcile.failed")
        await asyncio.sleep(gw.settings.reconcile_interval)
