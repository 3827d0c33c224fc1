"""Core throughput and the cost of history: does a balance read or a first page of payments
stay flat as a wallet's history grows? (It must: balances are running totals, lists are
index range scans.)

Run: `python -m bench ledger` (or `make bench`). Prints one line per figure.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
import time

from gateway.app import make_gateway
from gateway.config import Settings
from gateway.ledger import check_invariants


async def _per_op_ms(fn, n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


async def run(history_sizes=(100, 2_000, 10_000)) -> dict[str, float]:
    d = tempfile.mkdtemp(prefix="lngate-bench-")
    gw = make_gateway(Settings(database=f"sqlite:///{d}/bench.db", sim_state=f"{d}/sim.db",
                               reconcile_interval=3600))
    await gw.start()
    results: dict[str, float] = {}
    try:
        a = await gw.create_wallet("a")
        b = await gw.create_wallet("b")
        await gw.fund_wallet(a.wallet.id, gw.settings.max_payment_msat)

        n = 300
        t = time.perf_counter()
        for _ in range(n):
            inv = await gw.create_invoice(b.wallet.id, amount_msat=1_000)
            await gw.pay_invoice(a.wallet.id, inv.bolt11)
        results["internal invoice+payment pairs/s"] = n / (time.perf_counter() - t)

        k = 2_000  # BOLT11 decoding sits on every payment's path
        t = time.perf_counter()
        for _ in range(k):
            gw.decode_invoice(inv.bolt11)
        results["bolt11 decode µs"] = (time.perf_counter() - t) / k * 1e6

        async def burst(k: int) -> None:
            await asyncio.gather(*[gw.transfer(a.wallet.id, b.wallet.id, 1) for _ in range(k)])

        t = time.perf_counter()
        await burst(1_000)
        results["concurrent transfers/s (1000 at once)"] = 1_000 / (time.perf_counter() - t)

        done = 2 * n + 1_000
        for size in history_sizes:
            while done < size:
                step = min(500, size - done)
                await burst(step)
                done += step
            results[f"balance read ms @ {done} payments"] = await _per_op_ms(
                lambda: gw.get_wallet(a.wallet.id), 200)
            results[f"first page (20) ms @ {done} payments"] = await _per_op_ms(
                lambda: gw.list_payments(a.wallet.id, limit=20), 100)
        assert await check_invariants(gw.store) == []
    finally:
        await gw.stop()
    return results


def main() -> None:
    for name, value in asyncio.run(run()).items():
        print(f"{name:45s} {value:9.2f}")
