"""Regressions for what the reliability suites found, each as the smallest case that shows it."""
import asyncio
import hashlib

import pytest

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
    if gw.backend.name != "sim":
        pytest.skip("hold invoices on Core Lightning need an amount")
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


async def test_reconciler_leaves_alone_a_payment_between_reserve_and_send(gw, monkeypatch):
    """The crash test (LNGATE_CRASH_SEED=104) saw a pay answered "the payment never reached
    the node": the reconciler ran between the reservation's commit and the backend call, found
    no record at the node and refunded it; then the call went out and the network settled it,
    so money left that the ledger had given back."""
    gw.settings.unsent_payment_grace = 0
    w = await make_wallet(gw, sat=100)
    ext = await gw.backend.create_external_invoice(amount_msat=10_000, fee_msat=5)
    read = gw.get_payment

    async def reconcile_first(payment_id):  # the reconciler wakes up right in the window
        await gw.reconcile()
        return await read(payment_id)

    monkeypatch.setattr(gw, "get_payment", reconcile_first)
    paid = await gw.pay_invoice(w.wallet.id, ext["bolt11"])
    assert paid.status == "success"
    assert await balance(gw, w.wallet.id) == 100_000 - 10_000 - 5
