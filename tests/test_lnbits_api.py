"""The LNbits dialect through the real ASGI app: each endpoint's success and LNbits' error
shapes as measured against LNbits 1.6.2 (specs/lnbits.md)."""
from __future__ import annotations

import asyncio
import hashlib
import secrets

import pytest

API = "/api/v1"


def keys(created) -> tuple[dict, dict]:
    """(admin headers, invoice headers) of a CreatedWallet."""
    return ({"X-Api-Key": created.keys["lnbits_admin"]},
            {"X-Api-Key": created.keys["lnbits_invoice"]})


async def invoice(client, headers, amount=100, **body):
    r = await client.post(f"{API}/payments", headers=headers,
                          json={"out": False, "amount": amount, **body})
    assert r.status_code == 201, r.text
    return r.json()


async def external_invoice(client, amount_msat=10_000, **script):
    r = await client.post("/sim/v1/invoices", json={"amount_msat": amount_msat, **script})
    assert r.status_code == 201, r.text
    return r.json()


# -- auth -----------------------------------------------------------------------------------

async def test_auth_missing_unknown_wrong_kind(client, wallet_factory):
    w = await wallet_factory("a", sat=10)
    admin, inv = keys(w)
    r = await client.get(f"{API}/wallet")
    assert (r.status_code, r.json()) == (401, {"detail": "No Api Key provided."})
    r = await client.get(f"{API}/wallet", headers={"X-Api-Key": "0" * 32})
    assert (r.status_code, r.json()) == (404, {"detail": "Wallet not found."})
    # another dialect's key of the same wallet is not an LNbits key
    r = await client.get(f"{API}/wallet", headers={"X-Api-Key": w.keys["lnpay_waka"]})
    assert (r.status_code, r.json()) == (404, {"detail": "Wallet not found."})
    r = await client.put(f"{API}/wallet/new", headers=inv)
    assert (r.status_code, r.json()) == (403, {"detail": "Invalid adminkey."})
    # Bearer is not a wallet key
    r = await client.get(f"{API}/wallet",
                         headers={"Authorization": f"Bearer {w.keys['lnbits_admin']}"})
    assert r.status_code == 401


async def test_key_in_any_header_case_or_query(client, wallet_factory):
    w = await wallet_factory("a", sat=10)
    r = await client.get(f"{API}/wallet", headers={"x-api-key": w.keys["lnbits_invoice"]})
    assert r.json() == {"name": "a", "balance": 10_000}
    r = await client.get(f"{API}/wallet", params={"api-key": w.keys["lnbits_admin"]})
    assert r.json() == {"id": w.wallet.id, "name": "a", "balance": 10_000}


# -- accounts and wallets ---------------------------------------------------------------------

async def test_create_account_then_use_its_keys(client):
    r = await client.post(f"{API}/account", json={"name": "shop"})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "shop" and body["balance_msat"] == 0
    assert len(body["adminkey"]) == 32 and len(body["inkey"]) == 32
    r = await client.get(f"{API}/wallet", headers={"X-Api-Key": body["adminkey"]})
    assert r.json() == {"id": body["id"], "name": "shop", "balance": 0}
    r = await client.post(f"{API}/account")
    assert r.status_code == 400 and r.json()["detail"][0]["loc"] == ["body"]


async def test_account_creation_can_be_switched_off(client, app):
    app.state.gateway.settings.lnbits_allow_new_accounts = False
    try:
        r = await client.post(f"{API}/account", json={"name": "x"})
        assert (r.status_code, r.json()) == (400, {"detail": "Account creation is disabled."})
    finally:
        app.state.gateway.settings.lnbits_allow_new_accounts = True


async def test_rename_put_and_patch(client, wallet_factory):
    w = await wallet_factory("old", sat=1)
    admin, _ = keys(w)
    r = await client.put(f"{API}/wallet/newer", headers=admin)
    assert r.json() == {"id": w.wallet.id, "name": "newer", "balance": 1000}
    r = await client.patch(f"{API}/wallet", headers=admin, json={"name": "patched"})
    assert r.status_code == 200 and r.json()["name"] == "patched"
    r = await client.patch(f"{API}/wallet", headers=admin, json={"name": ""})  # keeps the name
    assert r.json()["name"] == "patched" and r.json()["id"] == w.wallet.id


# -- create invoice ---------------------------------------------------------------------------

async def test_create_invoice_returns_full_payment(client, wallet_factory):
    w = await wallet_factory("a")
    _, inv = keys(w)
    p = await invoice(client, inv, amount=10.9, memo="hello", extra={"order": 7})
    assert p["amount"] == 10_000 and p["fee"] == 0 and p["status"] == "pending"
    assert p["checking_id"] == p["payment_hash"] and len(p["payment_hash"]) == 64
    assert p["payment_request"] == p["bolt11"] and p["bolt11"].startswith("lnbcrt100n")
    assert p["memo"] == "hello" and p["extra"] == {"order": 7} and p["labels"] == []
    assert p["wallet_id"] == w.wallet.id and p["webhook"] is None
    assert "+" not in p["expiry"] and p["time"].endswith("+00:00")
    assert hashlib.sha256(bytes.fromhex(p["preimage"])).hexdigest() == p["payment_hash"]
    # string amounts are coerced; the default memo is LNbits' site title
    p = await invoice(client, inv, amount="100")
    assert p["amount"] == 100_000 and p["memo"] == "LNbits"


@pytest.mark.parametrize("amount, status, detail", [
    (0, 520, "Amountless invoices not supported."),
    (0.5, 520, "Amountless invoices not supported."),  # LNbits issues an amountless invoice
    (10**12, 520, "Invoice amount 1000000000000 sats is too high. Max allowed: 10000000 sats."),
])
async def test_create_invoice_amount_refusals(client, wallet_factory, amount, status, detail):
    _, inv = keys(await wallet_factory("a"))
    r = await client.post(f"{API}/payments", headers=inv, json={"out": False, "amount": amount})
    assert r.status_code == status
    assert r.json() == {"detail": detail, "status": "failed"}


async def test_create_invoice_validation_errors(client, wallet_factory):
    _, inv = keys(await wallet_factory("a"))
    post = lambda body: client.post(f"{API}/payments", headers=inv, json=body)  # noqa: E731
    r = await post({"out": False, "amount": -5})
    assert r.status_code == 400
    assert r.json()["detail"][0] == {
        "loc": ["body", "amount"], "msg": "ensure this value is greater than or equal to 0",
        "type": "value_error.number.not_ge", "ctx": {"limit_value": 0}}
    r = await post({"out": False, "amount": "abc"})
    assert r.json()["detail"][0]["msg"] == "value is not a valid float"
    r = await post({"out": False, "amount": 1, "memo": "x" * 641})
    assert r.status_code == 400 and r.json()["detail"][0]["loc"] == ["body", "memo"]
    r = await post({"out": False, "amount": 1, "description_hash": "zz"})
    assert r.json() == {"detail": "'description_hash' must be a valid hex string"}
    r = await post({"out": False, "amount": 1, "unit": "USD"})
    assert r.json() == {"detail": "Could not get exchange rate for USD."}
    r = await post({"out": False, "amount": 1, "webhook": "ftp://x"})
    assert r.status_code == 400 and "is not allowed" in r.json()["detail"]
    r = await client.post(f"{API}/payments", headers=inv, content=b"not json")
    assert r.status_code == 400 and r.json()["detail"][0]["msg"] == "field required"


async def test_description_hash_and_unhashed_description(client, wallet_factory):
    _, inv = keys(await wallet_factory("a"))
    meta = '[["text/plain","hi"]]'.encode().hex()
    p = await invoice(client, inv, unhashed_description=meta)
    decoded = (await client.post(f"{API}/payments/decode", json={"data": p["bolt11"]})).json()
    assert decoded["description_hash"] == hashlib.sha256(bytes.fromhex(meta)).hexdigest()
    assert p["memo"] == ""


async def test_out_defaults_to_true(client, wallet_factory):
    admin, inv = keys(await wallet_factory("a"))
    r = await client.post(f"{API}/payments", headers=inv, json={"amount": 1})
    assert (r.status_code, r.json()) == (403, {"detail": "Invoice (or Admin) key required."})
    r = await client.post(f"{API}/payments", headers=admin, json={"amount": 1})
    assert (r.status_code, r.json()) == (400, {"detail": "Missing BOLT11 invoice"})


# -- pay --------------------------------------------------------------------------------------

async def test_internal_payment_between_wallets(client, wallet_factory):
    payee, payer = await wallet_factory("payee"), await wallet_factory("payer", sat=500)
    _, payee_inv = keys(payee)
    payer_admin, _ = keys(payer)
    p = await invoice(client, payee_inv, amount=200, memo="tip")
    r = await client.post(f"{API}/payments", headers=payer_admin,
                          json={"out": True, "bolt11": p["payment_request"], "extra": {"a": 1}})
    assert r.status_code == 201
    paid = r.json()
    assert paid["checking_id"] == f"internal_{p['payment_hash']}"
    assert paid["payment_hash"] == p["payment_hash"] and paid["status"] == "success"
    assert paid["amount"] == -200_000 and paid["fee"] == 0 and paid["extra"] == {"a": 1}
    assert paid["preimage"] == p["preimage"]
    # the payee sees it paid, without and with its key
    r = await client.get(f"{API}/payments/{p['payment_hash']}")
    assert r.json() == {"paid": True, "preimage": p["preimage"]}
    r = await client.get(f"{API}/payments/{p['checking_id']}", headers=payee_inv)
    assert r.json()["paid"] is True and r.json()["details"]["amount"] == 200_000
    assert (await client.get(f"{API}/wallet", headers=payee_inv)).json()["balance"] == 200_000
    assert (await client.get(f"{API}/wallet", headers=payer_admin)).json()["balance"] == 300_000
    # the payer finds its side by checking_id, the outgoing row wins for the bare hash
    r = await client.get(f"{API}/payments/{paid['checking_id']}", headers=payer_admin)
    assert r.json()["details"]["amount"] == -200_000
    r = await client.get(f"{API}/payments/{p['payment_hash']}")
    assert r.json()["paid"] is True
    # paying it again: LNbits' message, nothing moves
    r = await client.post(f"{API}/payments", headers=payer_admin,
                          json={"out": True, "bolt11": p["bolt11"]})
    assert r.status_code == 520 and r.json()["status"] in ("failed", "success")
    assert (await client.get(f"{API}/wallet", headers=payer_admin)).json()["balance"] == 300_000


async def test_pay_errors(client, wallet_factory):
    payee, payer = await wallet_factory("payee"), await wallet_factory("payer", sat=10)
    admin, _ = keys(payer)
    pay = lambda bolt11: client.post(f"{API}/payments", headers=admin,  # noqa: E731
                                     json={"out": True, "bolt11": bolt11})
    r = await pay("lnbcgarbage")
    assert (r.status_code, r.json()) == (520, {"detail": "Bolt11 decoding failed.",
                                               "status": "failed"})
    big = await invoice(client, keys(payee)[1], amount=50)
    r = await pay(big["bolt11"])
    assert r.json() == {"detail": "Insufficient balance.", "status": "failed"}
    ext = await external_invoice(client, amount_msat=20_000)
    r = await pay(ext["bolt11"])
    assert r.json() == {"detail": "Insufficient balance.", "status": "failed"}
    ext = await external_invoice(client, amount_msat=9_000)
    r = await pay(ext["bolt11"])
    assert r.json() == {"detail": "You must reserve at least (2  sat) to cover potential"
                                  " routing fees.", "status": "failed"}
    amountless = await external_invoice(client, amount_msat=None)
    r = await pay(amountless["bolt11"])
    assert r.json() == {"detail": "Amountless invoices not supported.", "status": "failed"}


async def test_pay_external_success_and_failure(client, wallet_factory):
    w = await wallet_factory("a", sat=100)
    admin, _ = keys(w)
    ok = await external_invoice(client, amount_msat=20_000, fee_msat=1000)
    r = await client.post(f"{API}/payments", headers=admin, json={"out": True,
                                                                  "bolt11": ok["bolt11"]})
    assert r.status_code == 201
    assert r.json()["checking_id"] == ok["payment_hash"] and r.json()["status"] == "success"
    assert r.json()["amount"] == -20_000 and r.json()["fee"] == -1000
    bad = await external_invoice(client, amount_msat=20_000, outcome="fail", reason="no route")
    r = await client.post(f"{API}/payments", headers=admin, json={"out": True,
                                                                  "bolt11": bad["bolt11"]})
    assert r.status_code == 520 and r.json()["status"] == "failed"
    assert r.json()["detail"].startswith("Payment failed")
    assert (await client.get(f"{API}/wallet", headers=admin)).json()["balance"] == 79_000


async def test_expired_internal_invoice_is_not_payable_and_preimage_stays_secret(
        client, wallet_factory):
    payee, payer = await wallet_factory("payee"), await wallet_factory("payer", sat=100)
    _, inv = keys(payee)
    admin, _ = keys(payer)
    p = await invoice(client, inv, amount=10, expiry=1)
    await asyncio.sleep(1.1)
    for _ in range(2):  # before and after a status read has marked it failed
        r = await client.post(f"{API}/payments", headers=admin,
                              json={"out": True, "bolt11": p["bolt11"]})
        assert r.status_code == 520 and r.json()["status"] == "failed"
        assert p["preimage"] not in r.text
        r = await client.get(f"{API}/payments/{p['payment_hash']}", headers=inv)
        assert r.json()["paid"] is False and r.json()["status"] == "failed"
        assert "expired" in r.json()["details"]["labels"]
    assert (await client.get(f"{API}/wallet", headers=admin)).json()["balance"] == 100_000


async def test_idempotency_key_passes_through(client, wallet_factory):
    payee, payer = await wallet_factory("payee"), await wallet_factory("payer", sat=100)
    _, inv = keys(payee)
    admin, _ = keys(payer)
    h = {**inv, "Idempotency-Key": "k1"}
    a = (await client.post(f"{API}/payments", headers=h, json={"out": False, "amount": 5})).json()
    b = (await client.post(f"{API}/payments", headers=h, json={"out": False, "amount": 5})).json()
    assert a["payment_hash"] == b["payment_hash"]
    r = await client.post(f"{API}/payments", headers=h, json={"out": False, "amount": 6})
    assert r.status_code == 400
    h = {**admin, "Idempotency-Key": "pay-1"}
    body = {"out": True, "bolt11": a["bolt11"]}
    first = await client.post(f"{API}/payments", headers=h, json=body)
    second = await client.post(f"{API}/payments", headers=h, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json()["checking_id"] == second.json()["checking_id"]
    assert (await client.get(f"{API}/wallet", headers=admin)).json()["balance"] == 95_000


# -- status and listing ----------------------------------------------------------------------

async def test_status_shapes(client, wallet_factory):
    w, other = await wallet_factory("a"), await wallet_factory("b")
    _, inv = keys(w)
    p = await invoice(client, inv, amount=3)
    r = await client.get(f"{API}/payments/{p['payment_hash']}")
    assert r.json() == {"paid": False, "preimage": None}
    r = await client.get(f"{API}/payments/{p['payment_hash']}", headers=inv)
    body = r.json()
    assert (body["paid"], body["status"], body["preimage"]) == (False, "pending", None)
    assert body["details"]["checking_id"] == p["payment_hash"]
    r = await client.get(f"{API}/payments/{p['payment_hash']}", headers=keys(other)[1])
    assert (r.status_code, r.json()) == (404, {"detail": "Payment does not exist."})
    r = await client.get(f"{API}/payments/{'0' * 64}")
    assert r.status_code == 404
    r = await client.get(f"{API}/payments/nothex")
    assert r.status_code == 404


async def test_list_paginated_and_filters(client, wallet_factory):
    w = await wallet_factory("a", sat=50)
    admin, inv = keys(w)
    for amount in (1, 2, 3):
        await invoice(client, inv, amount=amount, memo=f"m{amount}")
    bad = await external_invoice(client, amount_msat=1000, outcome="fail")
    await client.post(f"{API}/payments", headers=admin, json={"out": True,
                                                              "bolt11": bad["bolt11"]})
    rows = (await client.get(f"{API}/payments", headers=inv)).json()
    assert isinstance(rows, list) and len(rows) == 4  # funding + 3 invoices; failed is hidden
    assert [r["memo"] for r in rows[:3]] == ["m3", "m2", "m1"]
    assert (await client.get(f"{API}/payments", headers=inv,
                             params={"status": "failed"})).json() == []
    rows = (await client.get(f"{API}/payments", headers=inv,
                             params={"limit": 2, "offset": 1})).json()
    assert [r["memo"] for r in rows] == ["m2", "m1"]
    rows = (await client.get(f"{API}/payments", headers=inv, params={"memo": "m2"})).json()
    assert [r["amount"] for r in rows] == [2000]
    r = await client.get(f"{API}/payments", headers=inv, params={"limit": "x"})
    assert r.status_code == 400 and r.json()["detail"][0]["loc"] == ["query", "limit"]
    page = (await client.get(f"{API}/payments/paginated", headers=inv,
                             params={"limit": 2})).json()
    assert page["total"] == 5 and len(page["data"]) == 2
    page = (await client.get(f"{API}/payments/paginated", headers=inv,
                             params={"status": "failed"})).json()
    assert page["total"] == 1 and page["data"][0]["status"] == "failed"


async def test_history_and_stats(client, wallet_factory):
    payee, payer = await wallet_factory("payee"), await wallet_factory("payer", sat=100)
    _, inv = keys(payee)
    admin, payer_inv = keys(payer)
    p = await invoice(client, inv, amount=40)
    await client.post(f"{API}/payments", headers=admin, json={"out": True, "bolt11": p["bolt11"]})
    hist = (await client.get(f"{API}/payments/history", headers=payer_inv)).json()
    assert hist == [{"date": hist[0]["date"], "income": 100_000, "spending": 40_000,
                     "balance": 60_000}]
    for group in ("hour", "month"):
        r = await client.get(f"{API}/payments/history", headers=inv, params={"group": group})
        assert r.json()[0]["income"] == 40_000
    r = await client.get(f"{API}/payments/history", headers=inv, params={"group": "decade"})
    assert r.status_code == 400
    counts = (await client.get(f"{API}/payments/stats/count", headers=payer_inv)).json()
    assert counts == [{"field": "success", "total": 2, "status": "success", "count": 2}]
    daily = (await client.get(f"{API}/payments/stats/daily", headers=payer_inv)).json()
    assert daily[0]["count_in"] == 1 and daily[0]["count_out"] == 1
    assert daily[0]["balance"] == 60_000 and daily[0]["count"] == 2
    stats = (await client.get(f"{API}/payments/stats/wallets", headers=admin)).json()
    assert stats[0]["wallet_id"] == payer.wallet.id and stats[0]["balance"] == 60_000
    assert stats[0]["total_income"] == 100_000 and stats[0]["total_spending"] == 40_000
    breakdown = (await client.get(f"{API}/payments/stats/breakdown", headers=inv)).json()
    assert breakdown == [{"tag": None, "is_fiat": False, "payments_count": 1,
                          "total": 40_000}]
    r = await client.get(f"{API}/payments/stats/count")
    assert r.status_code == 401


async def test_labels_and_extra(client, wallet_factory):
    payee, payer = await wallet_factory("payee"), await wallet_factory("payer", sat=10)
    admin, inv = keys(payee)
    p = await invoice(client, inv, amount=1)
    r = await client.put(f"{API}/payments/{p['payment_hash']}/labels", headers=admin,
                         json={"labels": ["shop", "vip"]})
    assert r.json() == {"success": True, "message": "Payment labels updated."}
    r = await client.put(f"{API}/payments/{p['payment_hash']}/labels", headers=inv,
                         json={"labels": []})
    assert r.status_code == 403
    r = await client.patch(f"{API}/payments/extra", headers=admin,
                           json={"payment_hash": p["payment_hash"], "extra": {"x": 1}})
    assert r.status_code == 400  # only once paid
    await client.post(f"{API}/payments", headers=keys(payer)[0],
                      json={"out": True, "bolt11": p["bolt11"]})
    r = await client.patch(f"{API}/payments/extra", headers=admin,
                           json={"payment_hash": p["payment_hash"], "extra": {"shipped": 1}})
    assert r.json()["extra"] == {"shipped": 1} and r.json()["labels"] == ["shop", "vip"]
    r = await client.patch(f"{API}/payments/extra", headers=admin,
                           json={"payment_hash": p["payment_hash"], "extra": {"shipped": 2}})
    assert r.json() == {"detail": "Extra keys already exist: shipped."}


# -- hold invoices ---------------------------------------------------------------------------

async def test_hold_invoice_settle_and_cancel_both_styles(client, wallet_factory):
    w, payer = await wallet_factory("a"), await wallet_factory("payer", sat=100)
    admin, inv = keys(w)
    payer_admin, _ = keys(payer)
    for style in ("lnbits", "seed"):
        preimage = secrets.token_hex(32)
        phash = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        p = await invoice(client, inv, amount=10, payment_hash=phash)
        assert p["extra"] == {"hold_invoice": True} and p["preimage"] is None
        r = await client.post(f"{API}/payments", headers=payer_admin,
                              json={"out": True, "bolt11": p["bolt11"]})
        assert r.status_code == 201 and r.json()["status"] == "pending"
        if style == "lnbits":
            r = await client.post(f"{API}/payments/settle", headers=admin,
                                  json={"preimage": preimage})
            assert r.json()["ok"] is True and r.json()["preimage"] == preimage
        else:
            r = await client.put(f"{API}/payments/{phash}", headers=admin,
                                 json={"preimage": preimage})
            assert r.json() == {"detail": "Payment settled"}
        r = await client.get(f"{API}/payments/{phash}", headers=inv)
        assert r.json()["paid"] is True
    # cancel, both ways
    for style in ("lnbits", "seed"):
        phash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        await invoice(client, inv, amount=10, payment_hash=phash)
        if style == "lnbits":
            r = await client.post(f"{API}/payments/cancel", headers=admin,
                                  json={"payment_hash": phash})
            assert r.json()["ok"] is True
        else:
            r = await client.delete(f"{API}/payments/{phash}", headers=admin)
            assert r.json() == {"detail": "Payment cancelled"}
        r = await client.get(f"{API}/payments/{phash}", headers=inv)
        assert r.json()["status"] == "failed"
        assert r.json()["details"]["extra"]["hold_invoice_cancelled"] is True
    r = await client.post(f"{API}/payments/cancel", headers=admin, json={"payment_hash": "1" * 64})
    assert (r.status_code, r.json()) == (
        404, {"detail": "Payment does not exist or does not belong to this wallet."})
    r = await client.post(f"{API}/payments/settle", headers=inv, json={"preimage": "1" * 64})
    assert r.status_code == 403
    r = await client.put(f"{API}/payments/{'1' * 64}", headers=admin)
    assert r.status_code == 400
    assert (await client.get(f"{API}/wallet", headers=admin)).json()["balance"] == 20_000


# -- decode, fee reserve, unknown routes, OpenAPI --------------------------------------------

async def test_decode_and_fee_reserve(client, wallet_factory):
    _, inv = keys(await wallet_factory("a"))
    p = await invoice(client, inv, amount=1000, memo="d")
    d = (await client.post(f"{API}/payments/decode", json={"data": p["bolt11"]})).json()
    assert d["payment_hash"] == p["payment_hash"] and d["amount_msat"] == 1_000_000
    assert d["description"] == "d" and d["currency"] == "bcrt"
    d = (await client.post(f"{API}/payments/decode",
                           json={"data": p["bolt11"], "filter_fields": ["amount_msat"]})).json()
    assert d == {"amount_msat": 1_000_000}
    r = await client.post(f"{API}/payments/decode", json={"data": "nonsense"})
    assert r.status_code == 400 and r.json()["message"].startswith("Failed to decode")
    ext = await external_invoice(client, amount_msat=1_000_000)
    r = await client.get(f"{API}/payments/fee-reserve", params={"invoice": ext["bolt11"]})
    assert r.json() == {"fee_reserve": 10_000}
    amountless = await external_invoice(client, amount_msat=None)
    r = await client.get(f"{API}/payments/fee-reserve", params={"invoice": amountless["bolt11"]})
    assert (r.status_code, r.json()) == (400, {"detail": "Invoice has no amount."})


async def test_unknown_route_and_method_are_json(client):
    r = await client.get(f"{API}/nope")
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    r = await client.delete(f"{API}/wallet")
    assert (r.status_code, r.json()) == (405, {"detail": "Method Not Allowed"})


async def test_openapi_matches_mounted_routes(client, app):
    doc = (await client.get("/openapi/lnbits.json")).json()
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    dialect = next(d for d in app.state.dialects if d.name == "lnbits")
    mounted = {(m, r.path) for r in dialect.routes if "{rest:path}" not in r.path
               for m in r.methods if m != "HEAD"}
    assert documented == mounted
