"""Shared fixtures: a started Gateway on a temporary SQLite file with the simulated network,
the ASGI app around it, and an HTTP client that drives the real app in-process."""
from __future__ import annotations

import contextlib
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


@pytest.fixture
async def gw(settings) -> AsyncIterator[Gateway]:
    gateway = make_gateway(settings)
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
    application = build_app(settings)
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
