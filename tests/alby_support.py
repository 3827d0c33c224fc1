"""Helpers for the Alby dialect tests: wallets with tokens, sim-side invoices and nodes."""
from __future__ import annotations


import httpx

from tests.helpers import foreign_invoice  # noqa: F401  (re-exported for the Alby tests)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def alby_wallet(wallet_factory, name: str = "w", sat: int = 0):
    """(created wallet, auth headers of its all-scope Alby token)."""
    created = await wallet_factory(name, sat=sat)
    return created, bearer(created.keys["alby_token"])


async def external_invoice(client: httpx.AsyncClient, amount_msat: int | None = 10_000,
                           **script) -> dict:
    r = await client.post("/sim/v1/invoices", json={"amount_msat": amount_msat, **script})
    assert r.status_code == 201, r.text
    return r.json()


async def sim_node_pubkeys(client: httpx.AsyncClient) -> list[str]:
    r = await client.get("/sim/v1/nodes")
    return [n["pubkey"] for n in r.json()["nodes"]]


UNKNOWN_PUBKEY = "02" + "ab" * 32  # well-formed, but no node in the simulated network
