"""Restarts with real processes: `lngate serve --backend cln` on a fake lightningd subprocess.

The server is killed (SIGKILL) with a payment in flight; the payment resolves in the fake's
world while the gateway is down; after a restart the reconciler settles or refunds it from what
`listpays` says, and an invoice settled before the restart is not credited a second time.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from backends.sim import SimBackend
from tests.conftest import LNGATE, ROOT, free_port
from tests.fake_lightningd import short_socket_dir


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Stack:
    def __init__(self, tmp) -> None:
        self.tmp = tmp
        self.socket = os.path.join(short_socket_dir(), "lightning-rpc")
        self.state = str(tmp / "world.db")
        self.database = f"sqlite:///{tmp}/lngate.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LNGATE_RECONCILE_INTERVAL": "0.3",
                    "LNGATE_CLN_RPC": self.socket, "LNGATE_PAY_WAIT_SECONDS": "0.5"}
        self.fake: subprocess.Popen | None = None
        self.server: subprocess.Popen | None = None

    def start_fake(self) -> None:
        self.fake = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_lightningd", "--socket", self.socket,
             "--state", self.state], cwd=str(ROOT), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        wait_for(lambda: os.path.exists(self.socket), what="fake lightningd socket")

    def start_server(self) -> None:
        log = (self.tmp / "server.log").open("a")
        self.server = subprocess.Popen(
            [LNGATE, "serve", "--backend", "cln", "--port", str(self.port),
             "--database", self.database], env=self.env, cwd=str(ROOT), stdout=log,
            stderr=subprocess.STDOUT)
        wait_for(self._healthy, what="lngate serve")

    def _healthy(self) -> bool:
        if self.server.poll() is not None:
            raise AssertionError((self.tmp / "server.log").read_text())
        try:
            return httpx.get(f"{self.url}/health", timeout=1).json()["backend"] == "cln"
        except httpx.HTTPError:
            return False

    def kill_server(self) -> None:
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(10)

    def stop(self) -> None:
        for proc in (self.server, self.fake):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)

    def cli(self, *args: str) -> str:
        out = subprocess.run([LNGATE, *args, "--database", self.database, "--backend", "cln",
                              "--json"], env=self.env, capture_output=True, text=True,
                             timeout=60, cwd=str(ROOT))
        assert out.returncode == 0, out.stderr
        return out.stdout


@pytest.fixture
def stack(tmp_path):
    s = Stack(tmp_path)
    s.start_fake()
    yield s
    s.stop()


def world(stack: Stack) -> SimBackend:
    """The fake's world, opened from this process too (the state file is shared)."""
    return SimBackend(state_path=stack.state)


def lnbits(stack: Stack, key: str) -> httpx.Client:
    return httpx.Client(base_url=f"{stack.url}/api/v1", headers={"X-Api-Key": key}, timeout=10)


def balance(api: httpx.Client) -> int:
    return api.get("/wallet").json()["balance"]


@pytest.mark.parametrize("then", ["succeed", "fail"])
def test_kill_with_payment_in_flight_then_reconcile_after_restart(stack, then):
    import json

    stack.start_server()
    wallet = json.loads(stack.cli("wallet", "create", "--name", "w"))
    api = lnbits(stack, wallet["lnbits"]["admin_key"])
    sim = world(stack)
    try:
        # Funding: an external payer pays the wallet's invoice; the stream credits it.
        inv = api.post("/payments", json={"out": False, "amount": 100, "memo": "fund"}).json()
        asyncio.run(sim.external_pay(inv["bolt11"] if "bolt11" in inv else inv["payment_request"]))
        wait_for(lambda: balance(api) == 100_000, what="funding credited")

        ext = asyncio.run(sim.create_external_invoice(amount_msat=20_000, outcome="pending",
                                                      fee_msat=50))
        paid = api.post("/payments", json={"out": True, "bolt11": ext["bolt11"]})
        assert paid.status_code in (200, 201), paid.text
        assert balance(api) == 100_000 - 20_000 - 2_000  # amount + fee reserve held

        stack.kill_server()  # the xpay call dies with it; the payment goes on in the node
        asyncio.run(sim.resolve_external_payment(ext["payment_hash"], succeed=then == "succeed"))
        stack.start_server()

        expected = 100_000 - 20_000 - 50 if then == "succeed" else 100_000
        wait_for(lambda: balance(api) == expected, what=f"reconciled ({then})")
        status = api.get(f"/payments/{ext['payment_hash']}").json()
        assert status["paid"] is (then == "succeed")
        # The funding invoice, settled before both restarts, was credited exactly once.
        time.sleep(1.0)
        assert balance(api) == expected
    finally:
        asyncio.run(sim.stop())


def test_invoice_paid_while_gateway_is_down_is_credited_once(stack):
    import json

    stack.start_server()
    wallet = json.loads(stack.cli("wallet", "create", "--name", "w"))
    api = lnbits(stack, wallet["lnbits"]["admin_key"])
    sim = world(stack)
    try:
        first = api.post("/payments", json={"out": False, "amount": 10, "memo": "a"}).json()
        second = api.post("/payments", json={"out": False, "amount": 20, "memo": "b"}).json()
        asyncio.run(sim.external_pay(first["bolt11"]))
        wait_for(lambda: balance(api) == 10_000, what="first credited")
        stack.kill_server()
        asyncio.run(sim.external_pay(second["bolt11"]))  # paid while the gateway is down
        stack.start_server()
        wait_for(lambda: balance(api) == 30_000, what="second credited after restart")
        stack.kill_server()
        stack.start_server()  # a third start replays nothing
        time.sleep(1.0)
        assert balance(api) == 30_000
    finally:
        asyncio.run(sim.stop())
