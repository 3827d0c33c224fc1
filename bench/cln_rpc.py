"""pyln-client in a thread pool vs. the asyncio client (backends/cln_rpc.py), on the fake
lightningd's unix socket, from an asyncio server's point of view.

Measures: (1) a plain `getinfo` round trip; (2) a `getinfo` while N long-polls
(`waitanyinvoice`) are open — the situation of a gateway that follows settlements and has slow
payments in flight; (3) 20 concurrent calls. Run: `python -m bench` (or `make bench`).
"""
from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from pyln.client import LightningRpc

from backends.cln_rpc import ClnRpc
from backends.sim import SimBackend
from tests.fake_lightningd import FakeLightningd

LONG_POLLS = 6  # = the default executor's size on a 2-core machine: min(32, cpu + 4)


async def _timed(coro) -> float:
    t = time.perf_counter()
    await coro
    return (time.perf_counter() - t) * 1000


async def run() -> dict[str, float]:
    d = tempfile.mkdtemp(prefix="lnbench-")
    sock = os.path.join(d, "lightning-rpc")
    sim = SimBackend(state_path=os.path.join(d, "world.db"))
    fake = FakeLightningd(sock, sim)
    await fake.start()
    loop = asyncio.get_running_loop()
    pyln = LightningRpc(sock)
    pool = ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4))
    rpc = ClnRpc(sock)
    out: dict[str, float] = {}
    try:
        def pyln_call(method, **params):
            return loop.run_in_executor(pool, lambda: pyln.call(method, params or None))

        out["pyln getinfo median ms"] = statistics.median(
            [await _timed(pyln_call("getinfo")) for _ in range(50)])
        out["asyncio getinfo median ms"] = statistics.median(
            [await _timed(rpc.call("getinfo")) for _ in range(50)])

        polls = [pyln_call("waitanyinvoice", lastpay_index=10**6, timeout=3)
                 for _ in range(LONG_POLLS)]
        await asyncio.sleep(0.1)
        out[f"pyln getinfo behind {LONG_POLLS} long-polls ms"] = await _timed(pyln_call("getinfo"))
        await asyncio.gather(*polls, return_exceptions=True)

        apolls = [asyncio.ensure_future(rpc.call("waitanyinvoice",
                                                 {"lastpay_index": 10**6, "timeout": 3}))
                  for _ in range(LONG_POLLS)]
        await asyncio.sleep(0.1)
        out[f"asyncio getinfo behind {LONG_POLLS} long-polls ms"] = await _timed(
            rpc.call("getinfo"))
        await asyncio.gather(*apolls, return_exceptions=True)

        out["pyln 20 concurrent getinfo ms"] = await _timed(
            asyncio.gather(*(pyln_call("getinfo") for _ in range(20))))
        out["asyncio 20 concurrent getinfo ms"] = await _timed(
            asyncio.gather(*(rpc.call("getinfo") for _ in range(20))))
    finally:
        await rpc.close()
        pool.shutdown(wait=False)
        await fake.stop()
        await sim.stop()
    return out


def main() -> None:
    for name, value in asyncio.run(run()).items():
        print(f"{name:45s} {value:9.2f}")
