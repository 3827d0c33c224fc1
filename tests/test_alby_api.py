"""The Alby Wallet API dialect over HTTP: each endpoint's answers and error bodies."""
from __future__ import annotations

import base64
import hashlib
import time

import pytest

from alby_support import (UNKNOWN_PUBKEY, alby_wallet, external_invoice, foreign_invoice,
                          sim_node_pubkeys)

NOT_ENOUGH = "not enough balance. Make sure you have at least 1% reserved for potential fees"


def assert_error(r, status: int, code: int, message: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] is True and body["code"] == code, body
    if message is not None:
        assert body["message"] == message
    return body


async def balance(client, headers) -> int:
    r = await client.get("/balance", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["balance"]


# -- account -------------------------------------------------------------------------------

async def test_balance_in_sats(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=1234)
    r = await client.get("/balance", headers=h)
    assert r.status_code == 200
    assert r.json() == {"balance": 1234, "currency": "BTC", "unit": "sat"}


async def test_user_endpoints(client, wallet_factory, app):
    created, h = await alby_wallet(wallet_factory, "Kwinten", sat=500)
    node = await app.state.gateway.node_pubkey()
    v4v = (await client.get("/user/value4value", headers=h)).json()
    assert v4v == {"keysend_pubkey": node, "keysend_custom_key": "696969",
                   "keysend_custom_value": created.wallet.id, "lightning_address": None}
    me = (await client.get("/user/me", headers=h)).json()
    assert me["identifier"] == created.wallet.id and me["name"] == "Kwinten"
    assert me["keysend_pubkey"] == node and me["keysend_custom_value"] == created.wallet.id
    summary = (await client.get("/user/summary", headers=h)).json()
    assert summary["balance"] == 500 and summary["unit"] == "sat"
    assert summary["invoices_count"] == 1  # the funding invoice
    assert summary["transactions_count"] == 1
    assert summary["last_invoice_at"].endswith("Z")
    assert summary["boostagrams_count"] == 0


async def test_value4value_details_receive_a_keysend(client, wallet_factory):
    """What /user/value4value hands out is enough for another wallet to pay this one."""
    _, payee = await alby_wallet(wallet_factory, "payee")
    _, payer = await alby_wallet(wallet_factory, "payer", sat=1000)
    v4v = (await client.get("/user/value4value", headers=payee)).json()
    boost = '{"action":"boost","app_name":"test","value_msat_total":21000}'
    r = await client.post("/payments/keysend", headers=payer, json={
        "destination": v4v["keysend_pubkey"], "amount": 21, "memo": "boost",
        "custom_records": {v4v["keysend_custom_key"]: v4v["keysend_custom_value"],
                           "7629169": boost}})
    assert r.status_code == 200, r.text
    assert r.json()["custom_records"]["7629169"] == boost
    assert await balance(client, payee) == 21
    incoming = (await client.get("/invoices/incoming", headers=payee)).json()
    assert incoming[0]["keysend"] is True and incoming[0]["type"] == "incoming"
    assert incoming[0]["boostagram"]["app_name"] == "test"
    assert base64.b64decode(incoming[0]["custom_records"]["7629169"]).decode() == boost
    summary = (await client.get("/user/summary", headers=payee)).json()
    assert summary["boostagrams_count"] == 1


# -- invoices ------------------------------------------------------------------------------

async def test_create_invoice(client, wallet_factory, app):
    _, h = await alby_wallet(wallet_factory)
    r = await client.post("/invoices", headers=h,
                          json={"amount": 21, "description": "coffee", "comment": "thanks",
                                "payer_name": "bumi"})
    assert r.status_code == 200, r.text
    inv = r.json()
    assert inv["payment_request"].startswith("lnbcrt210n")
    assert len(inv["payment_hash"]) == 64 and inv["r_hash_str"] == inv["payment_hash"]
    assert inv["amount"] == 21 and inv["memo"] == "coffee" and inv["type"] == "incoming"
    assert inv["settled"] is False and inv["state"] == "open" and inv["preimage"] is None
    assert inv["expires_at"].endswith("Z") and inv["expiry"] == 3600
    assert inv["destination_pubkey"] == await app.state.gateway.node_pubkey()
    assert inv["comment"] == "thanks" and inv["payer_name"] == "bumi"
    got = (await client.get(f"/invoices/{inv['payment_hash']}", headers=h)).json()
    assert got["identifier"] == inv["identifier"] and got["comment"] == "thanks"


async def test_create_invoice_any_amount_memo_and_description_hash(client, wallet_factory, app):
    _, h = await alby_wallet(wallet_factory)
    r = await client.post("/invoices", headers=h, json={"amount": 0, "memo": "tip jar"})
    assert r.status_code == 200
    decoded = app.state.gateway.decode_invoice(r.json()["payment_request"])
    assert decoded.amount_msat is None and decoded.description == "tip jar"
    dh = hashlib.sha256(b"metadata").hexdigest()
    r = await client.post("/invoices", headers=h, json={"amount": 5, "description_hash": dh})
    assert r.status_code == 200
    assert app.state.gateway.decode_invoice(r.json()["payment_request"]).description_hash == dh
    assert r.json()["description_hash"] == dh


@pytest.mark.parametrize("body", [
    {}, {"amount": -1}, {"amount": "10"}, {"amount": 1.5}, {"amount": 10, "memo": 5},
    {"amount": 10, "description_hash": "not-hex"}, [1, 2],
])
async def test_create_invoice_bad_arguments(client, wallet_factory, body):
    _, h = await alby_wallet(wallet_factory)
    assert_error(await client.post("/invoices", headers=h, json=body), 400, 8, "Bad arguments")


async def test_create_invoice_bad_json_and_limit(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory)
    r = await client.post("/invoices", headers=h, content=b"{amount: 1")
    assert_error(r, 400, 8, "Bad arguments")
    r = await client.post("/invoices", headers=h, json={"amount": 10_000_001})
    assert_error(r, 400, 2, "max receive amount exceeded. please contact support for further "
                            "assistance.")


async def test_get_invoice_errors(client, wallet_factory):
    other, oh = await alby_wallet(wallet_factory, "other")
    _, h = await alby_wallet(wallet_factory)
    inv = (await client.post("/invoices", headers=oh, json={"amount": 1})).json()
    # another wallet's invoice is as unknown as a made-up hash: lndhub.go answers 400 code 8
    for path in (f"/invoices/{inv['payment_hash']}", f"/invoices/{'0' * 64}", "/invoices/xyz"):
        assert_error(await client.get(path, headers=h), 400, 8, "Bad arguments")


# -- paying --------------------------------------------------------------------------------

async def test_pay_another_wallets_invoice(client, wallet_factory):
    _, payee = await alby_wallet(wallet_factory, "payee")
    _, payer = await alby_wallet(wallet_factory, "payer", sat=1000)
    inv = (await client.post("/invoices", headers=payee,
                             json={"amount": 100, "description": "Alby invoice"})).json()
    r = await client.post("/payments/bolt11", headers=payer,
                          json={"invoice": inv["payment_request"]})
    assert r.status_code == 200, r.text
    paid = r.json()
    assert paid["amount"] == 100 and paid["fee"] == 0 and paid["description"] == "Alby invoice"
    assert paid["payment_hash"] == inv["payment_hash"]
    assert paid["payment_request"] == inv["payment_request"]
    assert hashlib.sha256(bytes.fromhex(paid["payment_preimage"])).hexdigest() == \
        inv["payment_hash"]
    assert await balance(client, payer) == 900 and await balance(client, payee) == 100
    received = (await client.get(f"/invoices/{inv['payment_hash']}", headers=payee)).json()
    assert received["settled"] is True and received["state"] == "settled"
    assert received["preimage"] == paid["payment_preimage"] and received["settled_at"]
    sent = (await client.get(f"/invoices/{inv['payment_hash']}", headers=payer)).json()
    assert sent["type"] == "outgoing" and sent["settled"] is True
    # paying it again fails as a payment, and costs nothing
    again = await client.post("/payments/bolt11", headers=payer,
                              json={"invoice": inv["payment_request"]})
    assert_error(again, 500, 10)
    assert await balance(client, payer) == 900


async def test_pay_external_invoice_reports_fee(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=1000)
    ext = await external_invoice(client, 200_000, fee_msat=1500, memo="outside")
    r = await client.post("/payments/bolt11", headers=h, json={"invoice": ext["bolt11"]})
    assert r.status_code == 200, r.text
    assert r.json()["fee"] == 2 and r.json()["amount"] == 200  # 1.5 sat fee rounds up
    assert r.json()["destination"] and r.json()["payment_preimage"]
    assert await balance(client, h) == 1000 - 200 - 2  # 1.5 sat paid, shown floor


async def test_pay_zero_amount_invoice(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=1000)
    ext = await external_invoice(client, None)
    r = await client.post("/payments/bolt11", headers=h, json={"invoice": ext["bolt11"]})
    assert_error(r, 400, 8, "Bad arguments")
    r = await client.post("/payments/bolt11", headers=h,
                          json={"invoice": ext["bolt11"], "amount": 0})
    assert_error(r, 400, 8, "Bad arguments")
    r = await client.post("/payments/bolt11", headers=h,
                          json={"invoice": ext["bolt11"], "amount": 50})
    assert r.status_code == 200 and r.json()["amount"] == 50


async def test_amount_is_ignored_for_invoices_with_an_amount(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=1000)
    ext = await external_invoice(client, 30_000)
    r = await client.post("/payments/bolt11", headers=h,
                          json={"invoice": ext["bolt11"], "amount": 999})
    assert r.status_code == 200 and r.json()["amount"] == 30


async def test_pay_errors(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=100)
    big = await external_invoice(client, 200_000)
    assert_error(await client.post("/payments/bolt11", headers=h, json={"invoice": big["bolt11"]}),
                 400, 2, NOT_ENOUGH)
    failing = await external_invoice(client, 10_000, outcome="fail", reason="no route found")
    r = await client.post("/payments/bolt11", headers=h, json={"invoice": failing["bolt11"]})
    assert_error(r, 500, 10, "no route found")
    r = await client.post("/payments/bolt11", headers=h, json={"invoice": foreign_invoice()})
    assert_error(r, 400, 2, "incorrect network")
    stale = foreign_invoice("regtest", timestamp=int(time.time()) - 7200, expiry=60)
    assert_error(await client.post("/payments/bolt11", headers=h, json={"invoice": stale}),
                 400, 2, "invoice expired")
    for body in ({"invoice": "lnbcrt1garbage"}, {}, {"invoice": 5}):
        assert_error(await client.post("/payments/bolt11", headers=h, json=body), 400, 8,
                     "Bad arguments")
    assert await balance(client, h) == 100


async def test_pay_idempotency_key(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=1000)
    ext = await external_invoice(client, 100_000)
    headers = {**h, "Idempotency-Key": "order-17"}
    first = await client.post("/payments/bolt11", headers=headers, json={"invoice": ext["bolt11"]})
    second = await client.post("/payments/bolt11", headers=headers,
                               json={"invoice": ext["bolt11"]})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert await balance(client, h) == 900
    other = await external_invoice(client, 5_000)
    r = await client.post("/payments/bolt11", headers=headers, json={"invoice": other["bolt11"]})
    assert_error(r, 400, 8, "Bad arguments")


async def test_create_invoice_idempotency_key(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory)
    headers = {**h, "Idempotency-Key": "inv-1"}
    first = await client.post("/invoices", headers=headers, json={"amount": 5})
    second = await client.post("/invoices", headers=headers, json={"amount": 5})
    assert first.json()["payment_hash"] == second.json()["payment_hash"]


# -- keysend -------------------------------------------------------------------------------

async def test_keysend_to_sim_node(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=1000)
    dest = (await sim_node_pubkeys(client))[0]
    r = await client.post("/payments/keysend", headers=h, json={
        "destination": dest, "amount": 10, "memo": "m",
        "customRecords": {"696969": "x"}, "custom_records": {"696969": "x"}})
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["amount"] == 10 and sent["destination"] == dest and sent["description"] == "m"
    assert sent["custom_records"] == {"696969": "x"}
    assert hashlib.sha256(bytes.fromhex(sent["payment_preimage"])).hexdigest() == \
        sent["payment_hash"]
    out = (await client.get("/invoices/outgoing", headers=h)).json()
    assert out[0]["payment_hash"] == sent["payment_hash"] and out[0]["keysend"] is True
    assert out[0]["custom_records"] == {"696969": base64.b64encode(b"x").decode()}
    assert await balance(client, h) == 1000 - 10 - sent["fee"]


async def test_keysend_deprecated_custom_records_alone(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=100)
    dest = (await sim_node_pubkeys(client))[1]
    r = await client.post("/payments/keysend", headers=h, json={
        "destination": dest, "amount": 1, "customRecords": {"5482373484": "hello"}})
    assert r.status_code == 200 and r.json()["custom_records"] == {"5482373484": "hello"}


async def test_keysend_errors(client, wallet_factory, app):
    _, h = await alby_wallet(wallet_factory, sat=100)
    node = await app.state.gateway.node_pubkey()
    dest = (await sim_node_pubkeys(client))[0]
    cases = [
        ({"destination": dest, "amount": 0}, 400, 8, "Bad arguments"),
        ({"destination": dest, "amount": 1.5}, 400, 8, "Bad arguments"),
        ({"destination": dest}, 400, 8, "Bad arguments"),
        ({"destination": dest, "amount": 1, "custom_records": {"abc": "x"}}, 400, 8, None),
        ({"destination": dest, "amount": 1, "custom_records": {"696969": 5}}, 400, 8, None),
        ({"destination": "03zz", "amount": 1}, 400, 2, "invalid destination pubkey"),
        ({"destination": node, "amount": 1}, 400, 8,
         "Internal keysend payments require the custom record 696969 to be present."),
        ({"destination": dest, "amount": 101}, 400, 2, NOT_ENOUGH),
    ]
    for body, status, code, message in cases:
        assert_error(await client.post("/payments/keysend", headers=h, json=body),
                     status, code, message)
    r = await client.post("/payments/keysend", headers=h,
                          json={"destination": UNKNOWN_PUBKEY, "amount": 1})
    body = assert_error(r, 500, 10)
    assert "no route" in body["message"]
    assert await balance(client, h) == 100


async def test_multi_keysend_one_unknown_destination(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=1000)
    a, b = (await sim_node_pubkeys(client))[:2]
    r = await client.post("/payments/keysend/multi", headers=h, json={"keysends": [
        {"destination": a, "amount": 5, "custom_records": {"696969": "alice"}},
        {"destination": UNKNOWN_PUBKEY, "amount": 7, "custom_records": {"696969": "nobody"}},
        {"destination": b, "amount": 3},
    ]})
    assert r.status_code == 200, r.text
    first, failed, third = r.json()["keysends"]
    assert "error" not in first and first["keysend"]["amount"] == 5
    assert first["keysend"]["custom_records"] == {"696969": "alice"}
    assert failed["error"]["error"] is True and failed["error"]["code"] == 10
    assert failed["keysend"]["destination"] == UNKNOWN_PUBKEY
    assert failed["keysend"]["custom_records"] == {"696969": "nobody"}
    assert failed["keysend"]["amount"] == 0 and len(failed["keysend"]["payment_hash"]) == 64
    assert third["keysend"]["destination"] == b and third["keysend"]["payment_preimage"]
    fees = first["keysend"]["fee"] + third["keysend"]["fee"]
    assert await balance(client, h) == 1000 - 8 - fees


async def test_multi_keysend_all_failed_and_invalid(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory, sat=100)
    r = await client.post("/payments/keysend/multi", headers=h, json={"keysends": [
        {"destination": UNKNOWN_PUBKEY, "amount": 1},
        {"destination": "02" + "cd" * 32, "amount": 1}]})
    assert r.status_code == 500
    assert [k["error"]["code"] for k in r.json()["keysends"]] == [10, 10]
    dest = (await sim_node_pubkeys(client))[0]
    for body in ({"keysends": []}, {"keysends": [{"destination": dest, "amount": 1},
                                                  {"destination": dest, "amount": 0}]}, {}):
        assert_error(await client.post("/payments/keysend/multi", headers=h, json=body),
                     400, 8, "Bad arguments")
    assert await balance(client, h) == 100


# -- history -------------------------------------------------------------------------------

async def _settled_incoming(client, payer, payee, n: int) -> list[str]:
    hashes = []
    for i in range(n):
        inv = (await client.post("/invoices", headers=payee,
                                 json={"amount": i + 1, "description": f"n{i}"})).json()
        r = await client.post("/payments/bolt11", headers=payer,
                              json={"invoice": inv["payment_request"]})
        assert r.status_code == 200
        hashes.append(inv["payment_hash"])
    return hashes


async def test_lists_and_paging(client, wallet_factory):
    _, payee = await alby_wallet(wallet_factory, "payee")
    _, payer = await alby_wallet(wallet_factory, "payer", sat=1000)
    hashes = await _settled_incoming(client, payer, payee, 5)
    await client.post("/invoices", headers=payee, json={"amount": 9})  # open: not "incoming"
    newest_first = hashes[::-1]
    incoming = (await client.get("/invoices/incoming", headers=payee)).json()
    assert [i["payment_hash"] for i in incoming] == newest_first
    assert all(i["settled"] and i["type"] == "incoming" for i in incoming)
    page2 = (await client.get("/invoices/incoming?page=2&items=2", headers=payee)).json()
    assert [i["payment_hash"] for i in page2] == newest_first[2:4]
    cursor = incoming[2]["identifier"]
    since = (await client.get(f"/invoices/incoming?q[since]={cursor}", headers=payee)).json()
    assert [i["payment_hash"] for i in since] == newest_first[:2]
    before = (await client.get("/invoices/incoming", params={"q[before]": cursor, "items": 1},
                               headers=payee)).json()
    assert [i["payment_hash"] for i in before] == newest_first[3:4]
    outgoing = (await client.get("/invoices/outgoing", headers=payer)).json()
    assert [o["payment_hash"] for o in outgoing] == newest_first
    assert all(o["type"] == "outgoing" for o in outgoing)
    everything = (await client.get("/invoices", headers=payee)).json()
    assert len(everything) == 6 and everything[0]["state"] == "open"
    assert (await client.get("/invoices/incoming", headers=payer)).json()[0]["amount"] == 1000


async def test_list_created_at_bounds_and_bad_queries(client, wallet_factory):
    _, payee = await alby_wallet(wallet_factory, "payee")
    _, payer = await alby_wallet(wallet_factory, "payer", sat=100)
    await _settled_incoming(client, payer, payee, 2)
    now = int(time.time())
    assert len((await client.get(f"/invoices/incoming?q[created_at_gt]={now - 60}",
                                 headers=payee)).json()) == 2
    assert (await client.get(f"/invoices/incoming?q[created_at_gt]={now + 1}",
                             headers=payee)).json() == []
    assert (await client.get(f"/invoices/incoming?q[created_at_lt]={now - 60}",
                             headers=payee)).json() == []
    for query in ("page=0", "items=0", "items=abc", "q[since]=nope", "q[created_at_gt]=x"):
        assert_error(await client.get(f"/invoices/incoming?{query}", headers=payee),
                     400, 8, "Bad arguments")
    # another wallet's identifier is no cursor here
    theirs = (await client.get("/invoices/outgoing", headers=payer)).json()[0]["identifier"]
    assert_error(await client.get(f"/invoices?q[since]={theirs}", headers=payee), 400, 8)


# -- decode --------------------------------------------------------------------------------

async def test_decode(client, wallet_factory):
    _, h = await alby_wallet(wallet_factory)
    ext = await external_invoice(client, 21_000, memo="decode me")
    r = await client.get(f"/decode/bolt11/{ext['bolt11']}", headers=h)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["amount"] == 21 and d["msatoshi"] == 21_000 and d["description"] == "decode me"
    assert d["currency"] == "bcrt" and d["payment_hash"] == ext["payment_hash"]
    assert d["expiry"] > 0 and d["created_at"] > 0 and len(d["payee"]) == 66
    assert_error(await client.get("/decode/bolt11/lnbcrt1nonsense", headers=h), 400, 8,
                 "Bad arguments")


# -- shape of everything else --------------------------------------------------------------

@pytest.mark.parametrize("method,path,status", [
    ("GET", "/invoices/a/b", 404), ("GET", "/payments/nope", 404), ("GET", "/payments", 404),
    ("GET", "/user/nobody", 404), ("GET", "/decode/bolt12/x", 404), ("GET", "/user", 404),
    ("DELETE", "/balance", 405), ("PUT", "/invoices", 405), ("GET", "/payments/bolt11", 405),
    ("POST", "/invoices/incoming", 405), ("GET", "/payments/keysend/multi", 405),
])
async def test_unknown_routes_and_methods_answer_json(client, method, path, status):
    r = await client.request(method, path)
    assert_error(r, status, 8)


async def test_unexpected_error_is_code_6(client, wallet_factory, app, monkeypatch):
    _, h = await alby_wallet(wallet_factory)

    async def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.state.gateway, "get_wallet", boom)
    r = await client.get("/balance", headers=h)
    body = assert_error(r, 500, 6, "Something went wrong. Please try again later")
    assert "fire" not in r.text and "detail" not in body


async def test_openapi_document(client):
    r = await client.get("/openapi/alby.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    expected = {"/balance": {"get"}, "/user/me": {"get"}, "/user/value4value": {"get"},
                "/user/summary": {"get"}, "/invoices": {"get", "post"},
                "/invoices/incoming": {"get"}, "/invoices/outgoing": {"get"},
                "/invoices/{payment_hash}": {"get"}, "/decode/bolt11/{bolt11}": {"get"},
                "/payments/bolt11": {"post"}, "/payments/keysend": {"post"},
                "/payments/keysend/multi": {"post"}}
    assert {p: set(ops) for p, ops in doc["paths"].items()} == expected
    refs = {v["$ref"].rsplit("/", 1)[1] for v in _refs(doc)}
    assert refs <= set(doc["components"]["schemas"])


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


async def test_payment_still_in_flight(client, wallet_factory, app):
    """An answer that does not come within pay_wait_seconds: 200 without a preimage; the
    payment shows as open in the lists until the network decides."""
    app.state.gateway.settings.pay_wait_seconds = 0.2
    _, h = await alby_wallet(wallet_factory, sat=1000)
    ext = await external_invoice(client, 100_000, outcome="pending")
    r = await client.post("/payments/bolt11", headers=h, json={"invoice": ext["bolt11"]})
    assert r.status_code == 200, r.text
    assert "payment_preimage" not in r.json() and r.json()["payment_hash"] == ext["payment_hash"]
    listed = (await client.get("/invoices/outgoing", headers=h)).json()
    assert listed[0]["state"] == "open" and listed[0]["settled"] is False
    assert (await client.post(f"/sim/v1/invoices/{ext['payment_hash']}/settle",
                              json={})).status_code == 200
    gw = app.state.gateway
    [out] = await gw.list_payments((await gw.find_payment(ext["payment_hash"])).wallet_id,
                                   direction="out")
    assert (await gw.wait_for_payment(out.id, 5)).status == "success"
    got = (await client.get(f"/invoices/{ext['payment_hash']}", headers=h)).json()
    assert got["settled"] is True and got["preimage"] == ext["preimage"]
