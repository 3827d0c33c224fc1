"""Test helpers shared by the core suites."""
from __future__ import annotations

import secrets
import time

from backends.bolt11_encode import CURRENCY_BY_NETWORK, encode_invoice
from backends.sim import SimNode
from gateway.service import Gateway

TABLES = ["users", "wallets", "credentials", "accounts", "transfers", "payments", "events",
          "idempotency"]


async def snapshot(gw: Gateway) -> dict[str, list]:
    """Every row of every table the core writes: equal snapshots mean nothing changed."""
    return {t: await gw.store.fetchall(f"SELECT * FROM {t} ORDER BY rowid") for t in TABLES}


async def balance(gw: Gateway, wallet_id: str) -> int:
    return (await gw.get_wallet(wallet_id)).balance_msat


async def external_invoice(gw: Gateway, amount_msat: int | None = 10_000, **script) -> dict:
    return await gw.backend.create_external_invoice(amount_msat=amount_msat, **script)


def foreign_invoice(network: str = "bitcoin", amount_msat: int | None = 10_000,
                    timestamp: int | None = None, expiry: int = 3600) -> str:
    """A validly signed invoice from a node the sim does not know."""
    node = SimNode.derive("elsewhere", "x", "x")
    return encode_invoice(node.private_key, CURRENCY_BY_NETWORK[network],
                          payment_hash=secrets.token_hex(32), amount_msat=amount_msat,
                          memo="foreign", description_hash=None, expiry=expiry,
                          timestamp=timestamp or int(time.time()))
