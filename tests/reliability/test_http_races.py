"""Races over real HTTP against `lngate serve` processes, through every dialect.

Each race fires its requests at once (httpx.AsyncClient, one connection per request), then the
server is stopped and the books are checked on its database file: ledger invariants, no wallet
below zero, and every balance equal to what the successful answers add up to.
`make test` runs each race once; `make test-long` runs LNGATE_RACE_ROUNDS more rounds (default 5).
"""
from __future__ import annotations

import asyncio
import os
import random

import pytest

from tests.conftest import start_server, stop_server
from tests.reliability import figures
from tests.reliability.http_support import (DIALECTS, Lnpay, Outcome, http_client,
                                            ledger_problems, sim_invoice, sim_pubkey,
                                            wallet_balances)

FUND_SAT = 1000
LONG_ROUNDS = int(os.environ.get("LNGATE_RACE_ROUNDS", "5"))
# round 0 is the fast run; the others are the long run's
ROUNDS = [0] + [pytest.param(i, marks=pytest.mark.slow) for i in range(1, LONG_ROUNDS + 1)]


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path, extra_env={"LNGATE_PAY_WAIT_SECONDS": "20"})
    yield srv
    if srv.process.poll() is None:
        stop_server(srv)


async def wallets(server, n: int, sat: int = FUND_SAT) -> list[dict]:
    """n wallets made by the CLI (processes writing the server's database as it runs)."""
    return list(await asyncio.gather(*(asyncio.to_thread(server.wallet, f"w{i}", sat=sat)
                                       for i in range(n))))


async def books_after(server) -> dict[str, int]:
    """Stop the server; check the books on its file; the balances it leaves behind."""
    stop_server(server)
    assert await ledger_problems(server.database) == []
    balances = await wallet_balances(server.database)
    assert min(balances.values()) >= 0
    return balances


def count(outcomes: list[Outcome]) -> int:
    figures.add("http_race_requests", len(outcomes))
    return sum(o.ok for o in outcomes)


@pytest.mark.parametrize("round_", ROUNDS)
async def test_concurrent_pays_from_one_wallet_never_overdraw(server, round_):
    """Per dialect, 50 pays of 30-sat internal invoices at once from a 1000-sat wallet: exactly
    33 succeed (no fee reserve on internal payments), the rest are refused for balance. One more
    wallet is drained through all three dialects at once."""
    amount, n = 30, 50
    payee, *payers = await wallets(server, 5)
    plan = [(d, payers[i], [d]) for i, d in enumerate(DIALECTS)] + [(None, payers[3], DIALECTS)]
    async with http_client(server.url) as c:
        invoices = {i: await asyncio.gather(*(DIALECTS[0].invoice(c, payee, amount)
                                              for _ in range(n))) for i in range(len(plan))}
        races = []
        for i, (_, payer, via) in enumerate(plan):
            races.append(asyncio.gather(*(via[k % len(via)].pay(c, payer, bolt11)
                                          for k, bolt11 in enumerate(invoices[i]))))
        results = await asyncio.gather(*races)
        affordable = FUND_SAT // amount
        for (_, payer, via), outcomes in zip(plan, results):
            assert count(outcomes) == affordable, [o.text for o in outcomes if not o.ok][:3]
            for k, o in enumerate(outcomes):
                assert o.ok or via[k % len(via)].refused_for_balance(o), o.text
            for d in DIALECTS:  # every dialect reports the same balance
                assert await d.balance_msat(c, payer) == (FUND_SAT - affordable * amount) * 1000
        spent = len(plan) * affordable * amount * 1000
        assert await DIALECTS[0].balance_msat(c, payee) == FUND_SAT * 1000 + spent
    figures.add("http_races", len(plan))
    balances = await books_after(server)
    assert balances[payee["id"]] == FUND_SAT * 1000 + spent
    assert sum(balances.values()) == 5 * FUND_SAT * 1000  # nothing lost or created


@pytest.mark.parametrize("round_", ROUNDS)
async def test_external_pays_from_one_wallet_hold_the_fee_reserve(server, round_):
    """20 pays of 100-sat external invoices (the network takes 50 ms) at once from a 1000-sat
    wallet: each holds 100 sat + a 2 sat fee reserve while in flight, so 9 or 10 succeed,
    never more than the balance covers."""
    amount, n = 100, 20
    payers = await wallets(server, 3)
    async with http_client(server.url) as c:
        results = []
        for d, payer in zip(DIALECTS, payers):
            bolts = [(await sim_invoice(c, amount, delay_ms=50))["bolt11"] for _ in range(n)]
            results.append(asyncio.gather(*(d.pay(c, payer, b) for b in bolts)))
        results = await asyncio.gather(*results)
        for d, payer, outcomes in zip(DIALECTS, payers, results):
            ok = count(outcomes)
            assert FUND_SAT * 1000 // (amount * 1000 + 2000) <= ok <= FUND_SAT // amount
            assert all(o.ok or d.refused_for_balance(o) for o in outcomes), \
                [o.text for o in outcomes]
            assert await d.balance_msat(c, payer) == (FUND_SAT - ok * amount) * 1000
    figures.add("http_races", 3)
    await books_after(server)


@pytest.mark.parametrize("round_", ROUNDS)
async def test_one_invoice_paid_from_many_wallets_through_every_dialect_is_paid_once(
        server, round_):
    """An internal invoice and an external one, each paid at once by 12 wallets spread over the
    three dialects: one payment each, the others refused as already paid (or in flight)."""
    amount = 200
    payee, *payers = await wallets(server, 13)
    async with http_client(server.url) as c:
        internal = await DIALECTS[2].invoice(c, payee, amount)
        external = (await sim_invoice(c, amount, delay_ms=100))["bolt11"]
        for bolt11 in (internal, external):
            via = [DIALECTS[i % 3] for i in range(len(payers))]
            outcomes = await asyncio.gather(*(d.pay(c, w, bolt11) for d, w in zip(via, payers)))
            assert count(outcomes) == 1, [o.text for o in outcomes]
            assert all(o.ok or d.refused_as_paid(o) for d, o in zip(via, outcomes)), \
                [o.text for o in outcomes]
        paid = [w for w in payers if await DIALECTS[0].balance_msat(c, w) < FUND_SAT * 1000]
        assert len(paid) in (1, 2)  # the internal payer and the external one (maybe the same)
        assert await DIALECTS[0].balance_msat(c, payee) == (FUND_SAT + amount) * 1000
    figures.add("http_races", 2)
    balances = await books_after(server)
    assert sum(balances.values()) == (13 * FUND_SAT - amount) * 1000  # the external one left


@pytest.mark.parametrize("round_", ROUNDS)
async def test_transfer_withdraw_and_keysend_at_once_from_one_wallet(server, round_):
    """LNPay transfers, withdraws and keysends plus Alby keysends and LNbits pays, 10 of each
    at 40 sat, from one 1000-sat wallet at once: what succeeds fits the balance, the wallet
    ends at exactly the balance minus the successes, the receiver got exactly the transfers."""
    amount = 40
    payer, receiver = await wallets(server, 2)
    lnpay, lnbits, alby = Lnpay(), DIALECTS[0], DIALECTS[2]
    async with http_client(server.url) as c:
        pubkey = await sim_pubkey(c)
        bolts = [(await sim_invoice(c, amount, delay_ms=30))["bolt11"] for _ in range(20)]
        ops = ([("transfer", lnpay.transfer(c, payer, receiver, amount)) for _ in range(10)]
               + [("withdraw", lnpay.pay(c, payer, b)) for b in bolts[:10]]
               + [("keysend", lnpay.keysend(c, payer, pubkey, amount)) for _ in range(10)]
               + [("keysend", alby.keysend(c, payer, pubkey, amount)) for _ in range(10)]
               + [("pay", lnbits.pay(c, payer, b)) for b in bolts[10:]])
        random.shuffle(ops)
        outcomes = await asyncio.gather(*(op for _, op in ops))
        ok = count(outcomes)
        assert 0 < ok < len(ops)
        refusals = {"transfer": lnpay, "withdraw": lnpay, "keysend": None, "pay": lnbits}
        for (kind, _), o in zip(ops, outcomes):
            checker = refusals[kind]
            if not o.ok and checker is not None:
                assert checker.refused_for_balance(o), (kind, o.text)
            elif not o.ok:
                assert lnpay.refused_for_balance(o) or alby.refused_for_balance(o), o.text
        transfers = sum(o.ok for (kind, _), o in zip(ops, outcomes) if kind == "transfer")
        # the sim charges no routing fee: each success costs exactly its amount
        assert await lnbits.balance_msat(c, payer) == (FUND_SAT - ok * amount) * 1000
        assert await lnbits.balance_msat(c, receiver) == (FUND_SAT + transfers * amount) * 1000
    figures.add("http_races", 1)
    await books_after(server)


@pytest.mark.parametrize("round_", ROUNDS)
async def test_two_processes_on_one_database(tmp_path, round_):
    """Two `lngate serve` processes on one SQLite file: one invoice paid through both at once is
    paid once; one wallet's pays spread over both never overdraw (the conditional UPDATE holds
    across processes, not only a per-process lock)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_server(tmp_path / "a")
    second = start_server(tmp_path / "b", database=first.database)
    try:
        payee, drained, *payers = await wallets(first, 12)
        amount, n = 30, 50
        async with http_client(first.url) as one, http_client(second.url) as two:
            sides = [one, two]
            # one invoice, ten payers, both processes, all dialects
            bolt11 = await DIALECTS[0].invoice(one, payee, amount)
            via = [(sides[i % 2], DIALECTS[i % 3], w) for i, w in enumerate(payers)]
            outcomes = await asyncio.gather(*(d.pay(c, w, bolt11) for c, d, w in via))
            assert count(outcomes) == 1, [o.text for o in outcomes]
            assert all(o.ok or d.refused_as_paid(o) for (_, d, _), o in zip(via, outcomes))
            # one wallet, 50 pays over both processes
            bolts = await asyncio.gather(*(DIALECTS[0].invoice(two, payee, amount)
                                           for _ in range(n)))
            outcomes = await asyncio.gather(*(DIALECTS[k % 3].pay(sides[k % 2], drained, b)
                                              for k, b in enumerate(bolts)))
            affordable = FUND_SAT // amount
            assert count(outcomes) == affordable, [o.text for o in outcomes if not o.ok][:3]
            assert all(o.ok or DIALECTS[k % 3].refused_for_balance(o)
                       for k, o in enumerate(outcomes))
            for c in sides:
                assert await DIALECTS[0].balance_msat(c, drained) == \
                    (FUND_SAT - affordable * amount) * 1000
                assert await DIALECTS[1].balance_msat(c, payee) == \
                    (FUND_SAT + amount + affordable * amount) * 1000
        figures.add("http_races", 2)
        stop_server(second)
        balances = await books_after(first)
        assert sum(balances.values()) == 12 * FUND_SAT * 1000
    finally:
        for srv in (first, second):
            if srv.process.poll() is None:
                stop_server(srv)
