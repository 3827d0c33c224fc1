"""Regressions for what the reliability suites found, each as the smallest case that shows it."""
import asyncio
import hashlib

from tests.conftest import make_wallet
from tests.helpers import balance


async def credited(gw, wallet_id: str, amount: int) -> bool:
    for _ in range(100):
        if await balance(gw, wallet_id) == amount:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_hold_invoice_credits_what_the_node_received(gw):
    """An amountless hold invoice paid with 99 msat was credited 0 (its row's amount): the
    node's settlement event is the truth. (A fixed-amount one is credited its face value at
    once, since a CLN hold plugin's settlement need not reach the invoice stream.)"""
    w = await make_wallet(gw)
    for amount, paid in ((None, 99), (1_000, 1_000)):
        preimage = hashlib.sha256(f"{amount}".encode()).hexdigest()
        h = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        inv = await gw.create_invoice(w.wallet.id, amount_msat=amount, payment_hash=h)
        before = await balance(gw, w.wallet.id)
        await gw.backend.external_pay(inv.bolt11, amount_msat=paid)
        settled = await gw.settle_hold_invoice(w.wallet.id, preimage)
        assert settled.status == "success" and settled.amount_msat == paid
        assert await credited(gw, w.wallet.id, before + paid)
