"""Helpers for the Alby dialect tests: wallets with tokens, sim-side invoices and nodes."""
from __future__ import annotations

import secrets
import time

import httpx

from backends.bolt11_encode import CURRENCY_BY_NETWORK, encode_invoice
from backends.sim import SimNode


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


def foreign_invoice(network: str = "bitcoin", amount_msat: int | None = 10_000,
                    timestamp: int | None = None, expiry: int = 3600) -> str:
    """A validly signed invoice from a node the sim does not know."""
    node = SimNode.derive("elsewhere", "x", "x")
    return encode_invoice(node.private_key, CURRENCY_BY_NETWORK[network],
                          payment_hash=secrets.token_hex(32), amount_msat=amount_msat,
                          memo="foreign", description_hash=None, expiry=expiry,
                          timestamp=timestamp or int(time.time()))


UNKNOWN_PUBKEY = "02" + "ab" * 32  # well-formed, but no node in the simulated network
