"""Per-invoice webhooks: LNbits' body and headers, webhook_status recorded, retries with
backoff, and a durable queue that survives a restart."""
from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conftest import free_port
from dialects.lnbits.webhooks import STATE_KEY, WebhookWorker

API = "/api/v1"


@pytest.fixture
async def receiver():
    """A tiny HTTP server on 127.0.0.1 that answers 500 once, then 200, and keeps what came."""
    got: list[tuple[dict, bytes]] = []

    async def hook(request: Request):
        got.append((dict(request.headers), await request.body()))
        return JSONResponse({}, status_code=500 if len(got) == 1 else 200)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", hook,
                                                                   methods=["POST"])]),
                                           host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}/hook", got
    server.should_exit = True
    await task


async def test_webhook_delivered_after_a_failed_attempt(client, wallet_factory, receiver):
    url, got = receiver
    payee, payer = await wallet_factory("payee"), await wallet_factory("payer", sat=50)
    inv = {"X-Api-Key": payee.keys["lnbits_invoice"]}
    created = (await client.post(f"{API}/payments", headers=inv, json={
        "out": False, "amount": 21, "memo": "hooked", "webhook": url})).json()
    assert created["webhook"] == url and created["webhook_status"] is None
    r = await client.post(f"{API}/payments", headers={"X-Api-Key": payer.keys["lnbits_admin"]},
                          json={"out": True, "bolt11": created["bolt11"]})
    assert r.status_code == 201
    for _ in range(100):  # first attempt answers 500, the retry comes ~2 s later
        if len(got) >= 2:
            break
        await asyncio.sleep(0.05)
    assert len(got) == 2
    headers, raw = got[1]
    assert headers["user-agent"].startswith("LNbits/")
    assert headers["content-type"] == "application/json"
    payment = json.loads(json.loads(raw))  # LNbits double-encodes the Payment JSON
    assert payment["payment_hash"] == created["payment_hash"]
    assert payment["status"] == "success" and payment["amount"] == 21_000
    assert payment["preimage"] == created["preimage"] and payment["webhook_status"] is None
    for _ in range(50):
        details = (await client.get(f"{API}/payments/{created['payment_hash']}",
                                    headers=inv)).json()["details"]
        if details["webhook_status"] == "200":
            break
        await asyncio.sleep(0.05)
    assert details["webhook_status"] == "200"
    await asyncio.sleep(0.3)
    assert len(got) == 2  # delivered once, never again


async def _paid_invoice_with_webhook(gw, url: str):
    payee = await gw.create_wallet("payee")
    payer = await gw.create_wallet("payer")
    await gw.fund_wallet(payer.wallet.id, 10_000)
    invoice = await gw.create_invoice(payee.wallet.id, amount_msat=1000,
                                      extra={"lnbits": {"webhook": url}})
    await gw.pay_invoice(payer.wallet.id, invoice.bolt11)
    return invoice


async def test_queue_survives_a_restart_and_is_not_repeated(gw):
    sent: list[str] = []

    def down(request):
        raise httpx.ConnectError("refused", request=request)

    def up(request):
        sent.append(json.loads(json.loads(request.content))["payment_hash"])
        return httpx.Response(200)

    invoice = await _paid_invoice_with_webhook(gw, "http://hooks.example/x")
    first = WebhookWorker(gw, transport=httpx.MockTransport(down), backoff=0.01)
    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as c:
        await first.step(c)
    assert (await gw.get_payment(invoice.id)).extra["lnbits"]["webhook_status"] == "-1"
    state = json.loads(await gw.get_state(STATE_KEY))
    assert state["queue"][invoice.id]["attempts"] == 1

    # "restart": a new worker reads the cursor and the owed delivery from durable state
    await asyncio.sleep(0.02)
    for _ in range(2):
        async with httpx.AsyncClient(transport=httpx.MockTransport(up)) as c:
            await WebhookWorker(gw, backoff=0.01).step(c)
    assert sent == [invoice.payment_hash]
    assert (await gw.get_payment(invoice.id)).extra["lnbits"]["webhook_status"] == "200"
    assert json.loads(await gw.get_state(STATE_KEY))["queue"] == {}


async def test_gives_up_after_max_attempts(gw):
    gw.settings.webhook_max_attempts = 2
    calls = []

    def failing(request):
        calls.append(1)
        return httpx.Response(503)

    invoice = await _paid_invoice_with_webhook(gw, "http://hooks.example/y")
    worker = WebhookWorker(gw, backoff=0.01)
    async with httpx.AsyncClient(transport=httpx.MockTransport(failing)) as c:
        for _ in range(4):
            await worker.step(c)
            await asyncio.sleep(0.03)
    assert len(calls) == 2
    assert (await gw.get_payment(invoice.id)).extra["lnbits"]["webhook_status"] == "503"
    assert json.loads(await gw.get_state(STATE_KEY))["queue"] == {}


async def test_only_paid_incoming_invoices_with_a_webhook(gw):
    calls = []
    payee = await gw.create_wallet("payee")
    await gw.create_invoice(payee.wallet.id, amount_msat=1000,
                            extra={"lnbits": {"webhook": "http://hooks.example/unpaid"}})
    await gw.fund_wallet(payee.wallet.id, 5000)  # paid, but no webhook
    async with httpx.AsyncClient(transport=httpx.MockTransport(
            lambda r: calls.append(r) or httpx.Response(200))) as c:
        await WebhookWorker(gw).step(c)
    assert calls == []
