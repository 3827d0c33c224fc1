"""Shared fixtures: a started Gateway on a temporary SQLite file with the simulated network,
the ASGI app around it, and an HTTP client that drives the real app in-process."""
from __future__ import annotations

import contextlib
import os
from typing import AsyncIterator

import httpx
import pytest

from gateway.app import build_app, make_gateway
from gateway.config import Settings
from gateway.ledger import check_invariants
from gateway.service import CreatedWallet, Gateway


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database=f"sqlite:///{tmp_path}/lngate.db",
                    sim_state=str(tmp_path / "sim.db"), reconcile_interval=0.2,
                    pay_wait_seconds=2.0)


# LNGATE_TEST_BACKEND=cln runs every gw/app test on the CLN backend against a fake lightningd
# (tests/fake_lightningd.py) whose world is the sim; the default is the sim itself.
TEST_BACKEND = os.environ.get("LNGATE_TEST_BACKEND", "sim")


def make_test_gateway(settings: Settings) -> Gateway:
    if TEST_BACKEND == "cln":
        from tests.fake_lightningd import cln_gateway_on_fake

        return cln_gateway_on_fake(settings)
    return make_gateway(settings)


@pytest.fixture
async def gw(settings) -> AsyncIterator[Gateway]:
    gateway = make_test_gateway(settings)
    await gateway.start()
    try:
        yield gateway
        # Every test that touched money leaves sound books behind.
        assert await check_invariants(gateway.store) == []
    finally:
        await gateway.stop()


@pytest.fixture
async def app(settings):
    """The full ASGI app with its lifespan running (gateway started, dialect jobs running)."""
    application = build_app(settings, make_test_gateway(settings))
    if TEST_BACKEND == "cln":
        from tests.fake_lightningd import mount_world_routes

        mount_world_routes(application)
    async with application.router.lifespan_context(application):
        yield application
        assert await check_invariants(application.state.gateway.store) == []


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lngate.test") as c:
        yield c


async def make_wallet(gw: Gateway, name: str = "w", sat: int = 0,
                      user_id: str | None = None) -> CreatedWallet:
    created = await gw.create_wallet(name, user_id=user_id)
    if sat:
        await gw.fund_wallet(created.wallet.id, sat * 1000)
    return created


@pytest.fixture
def wallet_factory(request):
    """`await wallet_factory(sat=1000)` on whichever gateway the test uses (gw or app)."""
    async def factory(name: str = "w", sat: int = 0, user_id: str | None = None):
        if "app" in request.fixturenames:
            gateway = request.getfixturevalue("app").state.gateway
        else:
            gateway = request.getfixturevalue("gw")
        return await make_wallet(gateway, name, sat, user_id)
    return factory


@contextlib.asynccontextmanager
async def sim_client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client for the sim control API of a gateway started without the app."""
    from starlette.applications import Starlette

    from backends.sim_http import sim_routes

    transport = httpx.ASGITransport(app=Starlette(routes=sim_routes(gateway.backend)))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as c:
        yield c


# -- a real server process, for driving third-party clients over real HTTP -----------------

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LNGATE = str(Path(sys.executable).parent / "lngate")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    database: str
    env: dict
    process: subprocess.Popen
    log_path: Path

    def cli(self, *args: str) -> dict | list:
        """Run `lngate ARGS --json` on this server's database and parse its output."""
        out = subprocess.run([LNGATE, *args, "--database", self.database, "--json"],
                             env=self.env, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"lngate {' '.join(args)} failed: {out.stderr}")
        return json.loads(out.stdout)

    def wallet(self, name: str = "w", sat: int = 0, user: str | None = None) -> dict:
        args = ["wallet", "create", "--name", name]
        if sat:
            args += ["--fund-sat", str(sat)]
        if user:
            args += ["--user", user]
        return self.cli(*args)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(tmp: Path, extra_env: dict | None = None,
                 database: str | None = None) -> LiveServer:
    """`database`: another server's, to run several processes on one database."""
    port = free_port()
    database = database or f"sqlite:///{tmp}/lngate.db"
    env = {**os.environ, "LNGATE_RECONCILE_INTERVAL": "0.5", **(extra_env or {})}
    log_path = tmp / "server.log"
    proc = subprocess.Popen([LNGATE, "serve", "--port", str(port), "--database", database],
                            env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
                            cwd=str(ROOT))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("server did not start")
    return LiveServer(url=url, database=database, env=env, process=proc, log_path=log_path)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """`lngate serve` as a subprocess on a free port, with its own database."""
    server = start_server(tmp_path_factory.mktemp("live"))
    yield server
    stop_server(server)
