"""Limits a public deployment needs, each answered in the shape of the dialect that owns the path:
maximum body size (413), per-payment maximum, request rate per credential (429 + Retry-After)."""
from __future__ import annotations

import pytest

from gateway.config import Settings
from gateway.ratelimit import RateLimiter

MAX_SAT = 50
RATE = 5


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database=f"sqlite:///{tmp_path}/lngate.db", sim_state=str(tmp_path / "sim.db"),
                    reconcile_interval=0.2, pay_wait_seconds=2.0, max_body_bytes=4096,
                    max_payment_msat=MAX_SAT * 1000, rate_limit_per_minute=RATE)


def lnbits_h(c):
    return {"X-Api-Key": c.keys["lnbits_admin"]}


def lnpay_h(c):
    return {"X-Api-Key": c.keys["lnpay_sak"]}


def alby_h(c):
    return {"Authorization": f"Bearer {c.keys['alby_token']}"}


def is_lnbits(body):
    return set(body) == {"detail"}


def is_lnpay(body):
    return set(body) == {"name", "message", "code", "status"} and body["code"] == 0


def is_alby(body):
    return body.get("error") is True and isinstance(body.get("code"), int) and "message" in body


# -- body size -----------------------------------------------------------------------------

async def test_oversized_body_is_413_in_each_dialects_shape(client, wallet_factory):
    w = await wallet_factory("big", sat=MAX_SAT)
    big = b'{"memo": "' + b"x" * 10_000 + b'"}'
    cases = [
        ("/api/v1/payments", lnbits_h(w), is_lnbits),
        (f"/v1/wallet/{w.keys['lnpay_waki']}/invoice", lnpay_h(w), is_lnpay),
        ("/invoices", alby_h(w), is_alby),
        ("/nowhere", {}, is_lnbits),  # no dialect owns it: the app's default shape
    ]
    for path, headers, shape in cases:
        declared = await client.post(path, content=big,
                                     headers={**headers, "Content-Type": "application/json"})
        assert declared.status_code == 413, (path, declared.text)
        assert shape(declared.json()), (path, declared.json())

        async def chunks():  # no Content-Length: the limit counts the bytes as they arrive
            for _ in range(10):
                yield b"x" * 1000

        streamed = await client.post(path, content=chunks(), headers=headers)
        assert streamed.status_code == 413, (path, streamed.text)
        assert shape(streamed.json())
    # the books did not move
    r = await client.get("/api/v1/wallet", headers=lnbits_h(w))
    assert r.json()["balance"] == MAX_SAT * 1000


# -- unknown paths and methods outside the dialects' own catch-alls ---------------------------

async def test_app_level_404_and_405_are_json(client):
    r = await client.get("/no/such/thing")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    r = await client.post("/health")
    assert r.status_code == 405 and r.json() == {"detail": "Method Not Allowed"}
    r = await client.get("/balance/extra")  # Alby owns /balance: its shape
    assert r.status_code == 404 and is_alby(r.json())


# -- per-payment maximum ---------------------------------------------------------------------

async def test_per_payment_maximum_in_each_dialects_words(client, app, wallet_factory):
    w = await wallet_factory("max", sat=MAX_SAT)
    await app.state.gateway.fund_wallet(w.wallet.id, MAX_SAT * 1000)  # funding obeys it too
    over = MAX_SAT + 1
    # receive
    r = await client.post("/api/v1/payments", headers=lnbits_h(w), json={"out": False,
                                                                          "amount": over})
    assert r.status_code == 520
    assert r.json()["detail"] == (f"Invoice amount {over} sats is too high."
                                  f" Max allowed: {MAX_SAT} sats.")
    r = await client.post(f"/v1/wallet/{w.keys['lnpay_waki']}/invoice", headers=lnpay_h(w),
                          json={"num_satoshis": over})
    assert r.status_code == 400 and is_lnpay(r.json())
    assert str(MAX_SAT) in r.json()["message"]
    r = await client.post("/invoices", headers=alby_h(w), json={"amount": over})
    assert r.status_code == 400
    assert r.json()["message"].startswith("max receive amount exceeded")
    # send: an external invoice over the maximum
    inv = (await client.post("/sim/v1/invoices", json={"amount_msat": over * 1000})).json()
    r = await client.post("/api/v1/payments", headers=lnbits_h(w),
                          json={"out": True, "bolt11": inv["bolt11"]})
    assert r.status_code == 520 and f"Max allowed: {MAX_SAT} sats." in r.json()["detail"]
    r = await client.post(f"/v1/wallet/{w.keys['lnpay_waka']}/withdraw", headers=lnpay_h(w),
                          json={"payment_request": inv["bolt11"]})
    assert r.status_code == 400
    assert r.json()["message"] == f"Sends are limited to: {MAX_SAT} satoshi per request"
    r = await client.post("/payments/bolt11", headers=alby_h(w), json={"invoice": inv["bolt11"]})
    assert r.status_code == 400 and r.json()["message"].startswith("max send amount exceeded")
    # exactly the maximum passes
    r = await client.post("/invoices", headers=alby_h(w), json={"amount": MAX_SAT})
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/wallet", headers=lnbits_h(w))
    assert r.json()["balance"] == 2 * MAX_SAT * 1000


# -- request rate ----------------------------------------------------------------------------

async def test_rate_limit_per_credential_in_each_dialects_shape(client, wallet_factory):
    a = await wallet_factory("a", sat=10)
    b = await wallet_factory("b", sat=10)
    cases = [
        ("/api/v1/wallet", lnbits_h,
         lambda body: body == {"error": f"Rate limit exceeded: {RATE} per 1 minute"}),
        (f"/v1/wallet/{{waka}}", lnpay_h,
         lambda body: body == {"name": "Too Many Requests", "message": "Rate limit exceeded.",
                               "code": 0, "status": 429}),
        ("/balance", alby_h,
         lambda body: body == {"error": True, "code": 1, "message": "Too many requests"}),
    ]
    for path, headers, shape in cases:
        for who in (a, b):  # b has a bucket of its own
            url = path.replace("{waka}", who.keys["lnpay_waka"])
            for _ in range(RATE):
                r = await client.get(url, headers=headers(who))
                assert r.status_code == 200, (url, r.text)
            r = await client.get(url, headers=headers(who))
            assert r.status_code == 429, (url, r.text)
            assert shape(r.json()), r.json()
            assert 1 <= int(r.headers["Retry-After"]) <= 60 // RATE


async def test_unknown_keys_share_the_client_address_bucket(client):
    # random keys do not buy fresh buckets: unauthenticated callers count per address
    statuses = [(await client.get("/balance", headers={"Authorization": f"Bearer junk{i}xxxx"})
                 ).status_code for i in range(RATE + 1)]
    assert statuses == [401] * RATE + [429]
    # other dialects are other paths but the same address bucket
    r = await client.get("/api/v1/wallet", headers={"X-Api-Key": "nope"})
    assert r.status_code == 429 and "error" in r.json()


def test_token_bucket_refills_at_the_configured_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("k") == pytest.approx(1.0)
    now[0] += 0.5
    assert limiter.take("k") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.take("k") == 0.0
    assert limiter.take("other") == 0.0
    assert not RateLimiter(0).enabled and RateLimiter(0).take("k") == 0.0
