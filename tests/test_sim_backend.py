"""The simulated Lightning network: real BOLT11, scripted outcomes, crash-safe state, control API."""
from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import bolt11
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from backends.base import BackendError, InvoiceState, PayResult, PayStatus
from backends.sim import SimBackend
from backends.sim_http import sim_routes

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parent.parent


def sha256(hex_str: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_str)).hexdigest()


def preimage(n: int) -> str:
    return f"{n:064x}"


@pytest_asyncio.fixture
async def sim():
    backend = SimBackend()
    await backend.start()
    yield backend
    await backend.stop()


@pytest_asyncio.fixture
async def client(sim):
    app = Starlette(routes=sim_routes(sim))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
        yield c


async def gateway_invoice(sim, label="inv-1", amount_msat=21_000, **kw):
    args = dict(label=label, amount_msat=amount_msat, memo="coffee", description_hash=None,
                expiry=600)
    if "payment_hash" not in kw:
        kw.setdefault("preimage", hashlib.sha256(label.encode()).hexdigest())
    return await sim.create_invoice(**args, **kw)


async def pay(sim, bolt11_str, *, amount_msat=0, fee_limit_msat=1_000, label="pay-1"):
    payment = sim.pay_invoice(label=label, bolt11=bolt11_str, amount_msat=amount_msat,
                              fee_limit_msat=fee_limit_msat)
    return await asyncio.wait_for(payment, 2.0)  # a payment that never resolves fails the test


async def next_settled(stream, timeout=2.0):
    return await asyncio.wait_for(stream.__anext__(), timeout)


# -- invoices are real, signed BOLT11 -------------------------------------------------------------


@pytest.mark.parametrize(
    "network,prefix",
    [("regtest", "lnbcrt"), ("signet", "lntbs"), ("testnet", "lntb"), ("bitcoin", "lnbc")],
)
async def test_gateway_invoice_decodes_with_amount_hash_network_and_payee(network, prefix):
    sim = SimBackend(network=network)
    pre = preimage(7)
    created = await sim.create_invoice(label="a", amount_msat=21_001, memo="coffee",
                                       description_hash=None, expiry=600, preimage=pre)
    decoded = bolt11.decode(created.bolt11)

    assert created.bolt11.startswith(prefix + "210010p1")  # 21001 msat = 210010 pico-BTC
    assert decoded.currency == prefix[2:]
    assert decoded.amount_msat == 21_001
    assert decoded.payment_hash == created.payment_hash == sha256(pre)
    assert decoded.description == "coffee"
    assert decoded.expiry == 600 and created.expires_at == decoded.date + 600
    assert decoded.min_final_cltv_expiry == 18
    assert len(decoded.payment_secret) == 64
    assert decoded.features.readable["payment_secret"] == "required"
    assert decoded.signature.recover_public_key() == await sim.node_pubkey()
    assert decoded.signature.verify(await sim.node_pubkey())


async def test_amountless_invoice_with_description_hash(sim):
    desc_hash = sha256("00")
    created = await sim.create_invoice(label="a", amount_msat=None, memo="", expiry=60,
                                       description_hash=desc_hash, payment_hash=sha256("01"))
    decoded = bolt11.decode(created.bolt11)
    assert decoded.amount_msat is None
    assert decoded.description_hash == desc_hash and decoded.description is None
    assert decoded.payment_hash == sha256("01")


async def test_node_keys_follow_the_seed():
    a, b, c = SimBackend(seed="x"), SimBackend(seed="x"), SimBackend(seed="y")
    assert await a.node_pubkey() == await b.node_pubkey() != await c.node_pubkey()
    assert [n["pubkey"] for n in a.external_nodes()] == [n["pubkey"] for n in b.external_nodes()]
    assert len({n["pubkey"] for n in a.external_nodes()} | {await a.node_pubkey()}) == 4


async def test_same_label_returns_the_same_invoice(sim):
    first = await gateway_invoice(sim, label="pay_1")
    again = await sim.create_invoice(label="pay_1", amount_msat=5, memo="other",
                                     description_hash=None, expiry=60, preimage=preimage(99))
    assert again == first


async def test_create_invoice_refuses_bad_requests(sim):
    await gateway_invoice(sim, label="one", preimage=preimage(1))
    with pytest.raises(BackendError, match="already exists"):
        await gateway_invoice(sim, label="two", preimage=preimage(1))
    with pytest.raises(BackendError, match="exactly one"):
        await gateway_invoice(sim, label="three", preimage=preimage(3), payment_hash=sha256("03"))
    with pytest.raises(BackendError, match="preimage"):
        await gateway_invoice(sim, label="four", preimage="zz")
    with pytest.raises(BackendError, match="amount"):
        await gateway_invoice(sim, label="five", amount_msat=-1)


# -- external payers pay the gateway; the settled stream --------------------------------------------


async def test_external_payment_settles_and_is_streamed(sim):
    created = await gateway_invoice(sim)
    stream = sim.settled_invoices(0)
    paid = await sim.external_pay(created.bolt11)

    assert paid == {"payment_hash": created.payment_hash, "amount_msat": 21_000,
                    "status": "settled"}
    settled = await next_settled(stream)
    assert (settled.payment_hash, settled.amount_msat, settled.index) == (
        created.payment_hash, 21_000, 1)
    assert sha256(settled.preimage) == created.payment_hash
    assert await sim.invoice_state(created.payment_hash) is InvoiceState.SETTLED
    with pytest.raises(BackendError, match="already paid"):
        await sim.external_pay(created.bolt11)


async def test_external_payment_refusals(sim):
    cancelled = await gateway_invoice(sim, label="c")
    await sim.cancel_invoice(cancelled.payment_hash)
    assert await sim.invoice_state(cancelled.payment_hash) is InvoiceState.CANCELLED
    with pytest.raises(BackendError, match="cancelled"):
        await sim.external_pay(cancelled.bolt11)

    anyamount = await gateway_invoice(sim, label="z", amount_msat=None)
    with pytest.raises(BackendError, match="zero-amount"):
        await sim.external_pay(anyamount.bolt11)
    assert (await sim.external_pay(anyamount.bolt11, 777))["amount_msat"] == 777

    with pytest.raises(BackendError, match="invalid bolt11"):
        await sim.external_pay("lnbcrt1garbage")
    external = await sim.create_external_invoice(amount_msat=1000)
    with pytest.raises(BackendError, match="not an invoice of the gateway"):
        await sim.external_pay(external["bolt11"])


async def test_expired_invoice_is_cancelled_and_unpayable(sim):
    created = await sim.create_invoice(label="e", amount_msat=1000, memo="", description_hash=None,
                                       expiry=1, preimage=preimage(5))
    assert await sim.invoice_state(created.payment_hash) is InvoiceState.OPEN
    sim._conn().execute("UPDATE invoices SET expires_at = expires_at - 5")  # time passes
    assert await sim.invoice_state(created.payment_hash) is InvoiceState.CANCELLED
    with pytest.raises(BackendError, match="expired"):
        await sim.external_pay(created.bolt11)
    assert await sim.invoice_state("ab" * 32) is InvoiceState.UNKNOWN


async def test_external_keysend_is_streamed_with_its_records(sim):
    stream = sim.settled_invoices(0)
    sent = await sim.external_keysend(5_000, {696969: b"wal_abc"})
    got = await next_settled(stream)
    assert got == sent
    assert got.custom_records == {696969: b"wal_abc"} and got.amount_msat == 5_000
    assert sha256(got.preimage) == got.payment_hash


async def test_stream_replays_after_index_then_follows_live(sim):
    for i in range(3):
        await sim.external_pay((await gateway_invoice(sim, label=f"l{i}")).bolt11)
    stream = sim.settled_invoices(1)
    assert [(await next_settled(stream)).index for _ in range(2)] == [2, 3]

    waiting = asyncio.ensure_future(next_settled(stream))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await sim.external_keysend(1_000, {})
    assert (await waiting).index == 4
    # nothing is yielded twice
    with pytest.raises(asyncio.TimeoutError):
        await next_settled(stream, timeout=0.05)


# -- hold invoices --------------------------------------------------------------------------------


async def test_hold_invoice_accept_then_settle(sim):
    pre = preimage(42)
    created = await gateway_invoice(sim, label="h", payment_hash=sha256(pre))
    stream = sim.settled_invoices(0)

    with pytest.raises(BackendError, match="not paid yet"):
        await sim.settle_hold_invoice(pre)
    assert (await sim.external_pay(created.bolt11))["status"] == "accepted"
    assert await sim.invoice_state(created.payment_hash) is InvoiceState.ACCEPTED
    with pytest.raises(BackendError, match="already paid"):
        await sim.external_pay(created.bolt11)
    with pytest.raises(BackendError, match="no hold invoice"):
        await sim.settle_hold_invoice(preimage(43))
    with pytest.raises(asyncio.TimeoutError):  # accepted is not settled (a timeout ends a stream)
        await next_settled(sim.settled_invoices(0), timeout=0.05)

    await sim.settle_hold_invoice(pre)
    settled = await next_settled(stream)
    assert (settled.payment_hash, settled.preimage, settled.amount_msat, settled.index) == (
        created.payment_hash, pre, 21_000, 1)
    assert await sim.invoice_state(created.payment_hash) is InvoiceState.SETTLED
    await sim.settle_hold_invoice(pre)  # a retry is harmless
    with pytest.raises(BackendError, match="already settled"):
        await sim.cancel_hold_invoice(created.payment_hash)


async def test_hold_invoice_cancel_open_and_accepted(sim):
    open_ = await gateway_invoice(sim, label="h1", payment_hash=sha256(preimage(1)))
    accepted = await gateway_invoice(sim, label="h2", payment_hash=sha256(preimage(2)))
    await sim.external_pay(accepted.bolt11)
    for created in (open_, accepted):
        await sim.cancel_hold_invoice(created.payment_hash)
        assert await sim.invoice_state(created.payment_hash) is InvoiceState.CANCELLED
    with pytest.raises(BackendError, match="cancelled"):
        await sim.settle_hold_invoice(preimage(2))
    with pytest.raises(BackendError, match="not a hold invoice"):
        await sim.cancel_hold_invoice((await gateway_invoice(sim, label="o")).payment_hash)


# -- paying external nodes: every scripted outcome ------------------------------------------------


async def test_succeed_after_delay_with_fee(sim):
    ext = await sim.create_external_invoice(amount_msat=50_000, outcome="succeed", delay_ms=80,
                                            fee_msat=12, node=2)
    assert bolt11.decode(ext["bolt11"]).payee == sim.external_nodes()[2]["pubkey"]
    started = time.monotonic()
    result = await pay(sim, ext["bolt11"], fee_limit_msat=12)
    assert time.monotonic() - started >= 0.075
    assert result == PayResult(PayStatus.SETTLED, preimage=ext["preimage"], fee_msat=12)
    assert await sim.payment_status(ext["payment_hash"]) == result
    # paying again is "already paid": same answer, no second payment
    assert await pay(sim, ext["bolt11"], label="pay-2") == result
    assert (await sim.external_invoice(ext["payment_hash"]))["payment"]["label"] == "pay-1"


async def test_fee_above_limit_fails_before_sending(sim):
    ext = await sim.create_external_invoice(amount_msat=50_000, fee_msat=13)
    result = await pay(sim, ext["bolt11"], fee_limit_msat=12)
    assert result.status is PayStatus.FAILED and "fee exceeds maximum" in result.reason
    # nothing left the node, so a retry with a bigger budget goes through
    assert (await pay(sim, ext["bolt11"], fee_limit_msat=13)).status is PayStatus.SETTLED


@pytest.mark.parametrize("reason", ["", "WIRE_TEMPORARY_CHANNEL_FAILURE"])
async def test_fail_after_delay_with_reason(sim, reason):
    ext = await sim.create_external_invoice(amount_msat=1_000, outcome="fail", delay_ms=30,
                                            reason=reason)
    started = time.monotonic()
    result = await pay(sim, ext["bolt11"])
    assert time.monotonic() - started >= 0.025
    expected = reason or "WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS"
    assert result == PayResult(PayStatus.FAILED, reason=expected)
    assert await sim.payment_status(ext["payment_hash"]) == result


@pytest.mark.parametrize("then,status", [("succeed", PayStatus.SETTLED), ("fail", PayStatus.FAILED)])
async def test_pending_resolves_after_delay(sim, then, status):
    ext = await sim.create_external_invoice(amount_msat=1_000, outcome="pending", delay_ms=60,
                                            then=then)
    assert (await pay(sim, ext["bolt11"])).status is PayStatus.PENDING
    assert (await sim.payment_status(ext["payment_hash"])).status is PayStatus.PENDING
    assert (await pay(sim, ext["bolt11"], label="again")).status is PayStatus.PENDING  # in flight
    await asyncio.sleep(0.07)
    assert (await sim.payment_status(ext["payment_hash"])).status is status


async def test_pending_without_delay_waits_for_the_control_api(sim):
    ext = await sim.create_external_invoice(amount_msat=1_000, outcome="pending")
    assert (await pay(sim, ext["bolt11"])).status is PayStatus.PENDING
    await asyncio.sleep(0.02)
    assert (await sim.payment_status(ext["payment_hash"])).status is PayStatus.PENDING
    await sim.resolve_external_payment(ext["payment_hash"], succeed=True)
    assert await sim.payment_status(ext["payment_hash"]) == PayResult(
        PayStatus.SETTLED, preimage=ext["preimage"])


@pytest.mark.parametrize("then,status", [("succeed", PayStatus.SETTLED), ("fail", PayStatus.FAILED)])
async def test_unknown_reports_unknown_while_the_truth_moves_on(sim, then, status):
    ext = await sim.create_external_invoice(amount_msat=1_000, outcome="unknown", delay_ms=40,
                                            then=then)
    result = await pay(sim, ext["bolt11"])
    assert result.status is PayStatus.UNKNOWN and result.reason
    assert (await sim.payment_status(ext["payment_hash"])).status is PayStatus.PENDING
    await asyncio.sleep(0.05)
    assert (await sim.payment_status(ext["payment_hash"])).status is status


async def test_hold_outcome_stays_in_flight_until_failed(sim):
    ext = await sim.create_external_invoice(amount_msat=1_000, outcome="hold")
    assert (await pay(sim, ext["bolt11"])).status is PayStatus.PENDING
    await sim.resolve_external_payment(ext["payment_hash"], succeed=False, reason="held too long")
    assert await sim.payment_status(ext["payment_hash"]) == PayResult(
        PayStatus.FAILED, reason="held too long")
    with pytest.raises(BackendError, match="nothing in flight"):
        await sim.resolve_external_payment(ext["payment_hash"], succeed=True)


async def test_control_api_wakes_a_waiting_payer(sim):
    ext = await sim.create_external_invoice(amount_msat=1_000, outcome="succeed", delay_ms=5_000)
    paying = asyncio.ensure_future(pay(sim, ext["bolt11"]))
    await asyncio.sleep(0.02)
    await sim.resolve_external_payment(ext["payment_hash"], succeed=False)
    result = await asyncio.wait_for(paying, 0.5)
    assert result.status is PayStatus.FAILED


async def test_zero_amount_external_invoice_uses_the_given_amount(sim):
    ext = await sim.create_external_invoice(amount_msat=None)
    assert bolt11.decode(ext["bolt11"]).amount_msat is None
    result = await pay(sim, ext["bolt11"], amount_msat=0)
    assert result.status is PayStatus.FAILED and "zero-amount" in result.reason
    assert (await pay(sim, ext["bolt11"], amount_msat=3_210)).status is PayStatus.SETTLED
    assert (await sim.external_invoice(ext["payment_hash"]))["payment"]["amount_msat"] == 3_210


async def test_unpayable_invoices_fail_with_a_reason(sim):
    own = await gateway_invoice(sim)
    other_net = await SimBackend(network="signet").create_external_invoice(amount_msat=1_000)
    stranger = await SimBackend(seed="elsewhere").create_external_invoice(amount_msat=1_000)
    unknown_hash = await SimBackend().create_external_invoice(amount_msat=1_000)  # same node keys
    cases = {
        "garbage": ("not an invoice", "invalid bolt11"),
        "other network": (other_net["bolt11"], "signet"),
        "own node": (own.bolt11, "no route"),
        "unknown payee": (stranger["bolt11"], "no route"),
        "unknown hash": (unknown_hash["bolt11"], "WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS"),
    }
    for name, (invoice, reason) in cases.items():
        result = await pay(sim, invoice)
        assert result.status is PayStatus.FAILED, name
        assert reason in result.reason, name


async def test_payment_status_of_a_hash_never_paid_is_not_found(sim):
    assert await sim.payment_status("cd" * 32) == PayResult(PayStatus.NOT_FOUND,
                                                            reason="payment not found")


# -- keysend --------------------------------------------------------------------------------------


async def test_keysend_to_external_node_settles():
    sim = SimBackend(keysend_fee_msat=3)
    node = sim.external_nodes()[1]["pubkey"]
    pre = preimage(11)
    args = dict(label="k", destination=node, amount_msat=9_000, preimage=pre,
                custom_records={696969: b"x"})
    refused = await sim.keysend(fee_limit_msat=2, **args)
    assert refused.status is PayStatus.FAILED and "fee exceeds maximum" in refused.reason

    result = await sim.keysend(fee_limit_msat=3, **args)
    assert result == PayResult(PayStatus.SETTLED, preimage=pre, fee_msat=3)
    assert await sim.payment_status(sha256(pre)) == result


async def test_keysend_to_unknown_node_fails(sim):
    for destination in ("02" + "ab" * 32, await sim.node_pubkey(), "nonsense"):
        result = await sim.keysend(label="k", destination=destination, amount_msat=1_000,
                                   fee_limit_msat=10, preimage=preimage(12), custom_records={})
        assert result.status is PayStatus.FAILED and "no route" in result.reason
    assert (await sim.payment_status(sha256(preimage(12)))).reason == "payment not found"


# -- persistence ----------------------------------------------------------------------------------


async def test_state_survives_reopening(tmp_path):
    path = str(tmp_path / "sim.sqlite")
    first = SimBackend(state_path=path)
    ordinary = await gateway_invoice(first, label="o")
    hold_pre = preimage(77)
    hold = await gateway_invoice(first, label="h", payment_hash=sha256(hold_pre))
    await first.external_pay(ordinary.bolt11)
    await first.external_pay(hold.bolt11)
    ext = await first.create_external_invoice(amount_msat=2_000, outcome="pending", delay_ms=150)
    await pay(first, ext["bolt11"])
    await first.stop()

    second = SimBackend(state_path=path)
    assert await second.node_pubkey() == await first.node_pubkey()
    assert await gateway_invoice(second, label="o") == ordinary  # label still known
    assert await second.invoice_state(hold.payment_hash) is InvoiceState.ACCEPTED
    assert (await second.payment_status(ext["payment_hash"])).status is PayStatus.PENDING
    await second.settle_hold_invoice(hold_pre)
    stream = second.settled_invoices(0)
    assert [(await next_settled(stream)).payment_hash for _ in range(2)] == [
        ordinary.payment_hash, hold.payment_hash]
    await asyncio.sleep(0.16)
    assert await second.payment_status(ext["payment_hash"]) == PayResult(
        PayStatus.SETTLED, preimage=ext["preimage"])
    await second.stop()


async def test_payment_truth_survives_kill_9(tmp_path):
    path = str(tmp_path / "sim.sqlite")
    ext = await SimBackend(state_path=path).create_external_invoice(
        amount_msat=1_000, outcome="succeed", delay_ms=300, fee_msat=5)
    script = textwrap.dedent(f"""
        import asyncio, sys
        from backends.sim import SimBackend
        async def main():
            sim = SimBackend(state_path={path!r})
            task = asyncio.ensure_future(sim.pay_invoice(
                label="p", bolt11={ext["bolt11"]!r}, amount_msat=0, fee_limit_msat=10))
            await asyncio.sleep(0.05)
            print("paying", flush=True)
            await task
        asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline() == b"paying\n"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    after = SimBackend(state_path=path)
    assert (await after.payment_status(ext["payment_hash"])).status is PayStatus.PENDING
    assert (await pay(after, ext["bolt11"], label="retry")).status is PayStatus.PENDING
    await asyncio.sleep(0.3)
    assert await after.payment_status(ext["payment_hash"]) == PayResult(
        PayStatus.SETTLED, preimage=ext["preimage"], fee_msat=5)


async def test_stream_sees_settlements_from_another_process(tmp_path):
    path = str(tmp_path / "sim.sqlite")
    server, cli = SimBackend(state_path=path), SimBackend(state_path=path)
    server.poll_seconds = 0.05  # the only way to see another process's writes is to poll
    created = await gateway_invoice(server)
    stream = server.settled_invoices(0)
    waiting = asyncio.ensure_future(next_settled(stream))
    await asyncio.sleep(0.01)
    await cli.external_pay(created.bolt11)  # cli's change event does not reach the server
    assert (await waiting).payment_hash == created.payment_hash


# -- the control API ------------------------------------------------------------------------------


async def test_api_creates_and_shows_external_invoices(client, sim):
    response = await client.post("/sim/v1/invoices", json={
        "amount_msat": 10_000, "memo": "book", "outcome": "hold", "node": 1, "expiry": 120})
    assert response.status_code == 201
    body = response.json()
    decoded = bolt11.decode(body["bolt11"])
    assert decoded.amount_msat == 10_000 and decoded.description == "book"
    assert decoded.payment_hash == body["payment_hash"] == sha256(body["preimage"])
    assert decoded.payee == body["node_pubkey"] == sim.external_nodes()[1]["pubkey"]
    assert decoded.expiry == 120
    assert body["outcome"] == "hold" and body["payment"] is None

    await pay(sim, body["bolt11"])
    shown = (await client.get(f"/sim/v1/invoices/{body['payment_hash']}")).json()
    assert shown["payment"]["status"] == "pending"

    settled = await client.post(f"/sim/v1/invoices/{body['payment_hash']}/settle")
    assert settled.status_code == 200 and settled.json()["payment"]["status"] == "settled"
    assert (await sim.payment_status(body["payment_hash"])).preimage == body["preimage"]
    again = await client.post(f"/sim/v1/invoices/{body['payment_hash']}/fail")
    assert again.status_code == 400 and "nothing in flight" in again.json()["error"]


async def test_api_fail_endpoint_sets_the_reason(client, sim):
    body = (await client.post("/sim/v1/invoices", json={"amount_msat": 1, "outcome": "pending"})).json()
    await pay(sim, body["bolt11"])
    failed = await client.post(f"/sim/v1/invoices/{body['payment_hash']}/fail",
                               json={"reason": "WIRE_TEMPORARY_CHANNEL_FAILURE"})
    assert failed.json()["payment"]["reason"] == "WIRE_TEMPORARY_CHANNEL_FAILURE"
    assert await sim.payment_status(body["payment_hash"]) == PayResult(
        PayStatus.FAILED, reason="WIRE_TEMPORARY_CHANNEL_FAILURE")


@pytest.mark.parametrize("body,fragment", [
    ({"outcome": "explode"}, "outcome"),
    ({"amount_msat": -5}, "amount_msat"),
    ({"fee_msat": -1}, "fee_msat"),
    ({"delay_ms": "soon"}, "delay_ms"),
    ({"node": 3}, "node"),
    ({"then": "pending"}, "then"),
    ({"expiry": 0}, "expiry"),
    ({"colour": "red"}, "colour"),
])
async def test_api_rejects_bad_invoice_requests(client, body, fragment):
    response = await client.post("/sim/v1/invoices", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]


async def test_api_not_found_and_bad_json(client):
    missing = await client.get(f"/sim/v1/invoices/{'ef' * 32}")
    assert missing.status_code == 404 and "no external invoice" in missing.json()["error"]
    bad = await client.post("/sim/v1/pay", content=b"{nope")
    assert bad.status_code == 400 and "invalid JSON" in bad.json()["error"]


async def test_api_pays_gateway_invoices(client, sim):
    ordinary = await gateway_invoice(sim, label="o")
    hold = await gateway_invoice(sim, label="h", payment_hash=sha256(preimage(3)))
    anyamount = await gateway_invoice(sim, label="a", amount_msat=None)

    response = await client.post("/sim/v1/pay", json={"bolt11": ordinary.bolt11})
    assert response.status_code == 200
    assert response.json() == {"payment_hash": ordinary.payment_hash, "amount_msat": 21_000,
                               "status": "settled"}
    assert (await client.post("/sim/v1/pay", json={"bolt11": hold.bolt11})).json()["status"] == \
        "accepted"
    assert (await client.post("/sim/v1/pay", json={"bolt11": anyamount.bolt11,
                                                   "amount_msat": 42})).json()["amount_msat"] == 42

    again = await client.post("/sim/v1/pay", json={"bolt11": ordinary.bolt11})
    assert again.status_code == 400 and "already paid" in again.json()["error"]
    stranger = await SimBackend().create_invoice(
        label="x", amount_msat=1, memo="", description_hash=None, expiry=60, preimage=preimage(9))
    unknown = await client.post("/sim/v1/pay", json={"bolt11": stranger.bolt11})
    assert unknown.status_code == 404
    negative = await client.post("/sim/v1/pay", json={"bolt11": anyamount.bolt11,
                                                      "amount_msat": -1})
    assert negative.status_code == 400


async def test_api_keysend_reaches_the_stream(client, sim):
    stream = sim.settled_invoices(0)
    response = await client.post("/sim/v1/keysend", json={
        "amount_msat": 2_500, "custom_records": {"696969": "wal_Xyz", "5482373484": "hex:cafe",
                                              "7629169": "cafe"}})
    assert response.status_code == 200
    settled = await next_settled(stream)
    assert settled.amount_msat == 2_500 and settled.payment_hash == response.json()["payment_hash"]
    assert settled.custom_records == {696969: b"wal_Xyz", 5482373484: b"\xca\xfe",
                                      7629169: b"cafe"}

    for bad in ({"amount_msat": 0}, {"amount_msat": 1, "custom_records": {"tlv": "00"}},
                {"amount_msat": 1, "custom_records": {"65537": "hex:zz"}}):
        assert (await client.post("/sim/v1/keysend", json=bad)).status_code == 400


async def test_api_lists_nodes(client, sim):
    body = (await client.get("/sim/v1/nodes")).json()
    assert body["gateway"] == {"pubkey": await sim.node_pubkey(), "alias": "lngate-sim"}
    assert [n["pubkey"] for n in body["nodes"]] == [n["pubkey"] for n in sim.external_nodes()]
    assert len(body["nodes"]) == 3 and all(n["alias"] for n in body["nodes"])
