"""LNPay dialect over HTTP: each endpoint's success and error bodies, in LNPay's shapes."""
from __future__ import annotations

import base64
import hashlib
import json

import bech32
import pytest

from tests.lnpay_helpers import assert_error, external_invoice, keys_of, pay_from_outside


@pytest.fixture
async def alice(wallet_factory):
    created = await wallet_factory("alice", sat=1000)
    return keys_of(created) | {"user_id": created.user.id}


@pytest.fixture
async def bob(wallet_factory):
    return keys_of(await wallet_factory("bob"))


def H(k: dict, kind: str = "pak") -> dict:
    return {"X-Api-Key": k[kind]}


async def balance(client, k) -> int:
    resp = await client.get(f"/v1/wallet/{k['wakr']}", headers=H(k))
    return resp.json()["balance"]


# -- wallets ---------------------------------------------------------------------------------

async def test_get_wallet_shape_and_fields(client, alice):
    resp = await client.get(f"/v1/wallet/{alice['wakr']}", headers=H(alice))
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] == alice["wal"] and body["balance"] == 1000
    assert body["user_label"] == "alice" and body["balance_msat"] is None
    assert body["statusType"] == {"type": "wallet", "name": "active", "display_name": "Active"}
    assert body["walletType"]["name"] == "generic_wallet"
    resp = await client.get(f"/v1/wallet/{alice['wal']}?fields=balance,id",
                            headers=H(alice, "sak"))
    assert resp.json() == {"id": alice["wal"], "balance": 1000}


async def test_create_wallet_returns_keys_by_role(client, alice):
    resp = await client.post("/v1/wallet", headers=H(alice, "sak"),
                             json={"user_label": "second"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["id"].startswith("wal_") and body["balance"] == 0
    roles = body["access_keys"]
    assert set(roles) == {"Wallet Admin", "Wallet Invoice", "Wallet Read",
                          "Wallet LNURL Withdraw"}
    prefixes = {"Wallet Admin": "waka_", "Wallet Invoice": "waki_", "Wallet Read": "wakr_",
                "Wallet LNURL Withdraw": "waklw_"}
    for role, prefix in prefixes.items():
        assert len(roles[role]) == 1 and roles[role][0].startswith(prefix)
    # the new wallet belongs to the same account: its keys pair with alice's pak
    resp = await client.get(f"/v1/wallet/{roles['Wallet Read'][0]}", headers=H(alice))
    assert resp.json()["id"] == body["id"]
    listed = await client.get("/v1/wallets", headers=H(alice, "sak"))
    assert [w["id"] for w in listed.json()] == [alice["wal"], body["id"]]
    assert listed.headers["x-pagination-total-count"] == "2"
    # form body without a Content-Type, and the Yii required message
    resp = await client.post("/v1/wallet", headers=H(alice, "sak"), content=b"user_label=third")
    assert resp.status_code == 201 and resp.json()["user_label"] == "third"
    assert_error(await client.post("/v1/wallet", headers=H(alice, "sak"), json={}), 400,
                 "User Label cannot be blank.")


# -- invoices --------------------------------------------------------------------------------

async def test_invoice_then_paid_from_outside(client, alice, app):
    resp = await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice),
                             json={"num_satoshis": 21, "memo": "coffee",
                                   "passThru": {"ticketId": "556"}})
    assert resp.status_code == 201, resp.text
    lntx = resp.json()
    assert lntx["id"].startswith("lntx_") and len(lntx["id"]) == 29
    assert lntx["num_satoshis"] == 21 and lntx["memo"] == "coffee"
    assert lntx["settled"] == 0 and lntx["payment_preimage"] is None
    assert lntx["payment_request"].startswith("lnbcrt210n1")
    assert lntx["expiry"] == 86400 and lntx["expires_at"] == lntx["created_at"] + 86400
    assert lntx["passThru"] == {"ticketId": "556", "wallet_id": alice["wal"]}
    await pay_from_outside(client, lntx["payment_request"])
    await app.state.gateway.wait_for_payment(lntx["id"][5:], 5)  # the settlement stream
    resp = await client.get(f"/v1/lntx/{lntx['id']}", headers=H(alice))
    paid = resp.json()
    assert paid["settled"] == 1 and paid["settled_at"] >= lntx["created_at"]
    assert hashlib.sha256(bytes.fromhex(paid["payment_preimage"])).hexdigest() == \
        paid["r_hash_decoded"]
    assert await balance(client, alice) == 1021
    resp = await client.get(f"/v1/lntx/{lntx['id']}?fields=num_satoshis,settled",
                            headers=H(alice))
    assert resp.json() == {"num_satoshis": 21, "settled": 1}


async def test_invoice_form_body_and_passthru_string(client, alice):
    # PyPI Lnpay 1.0: form data, passThru as a JSON string; no Content-Type means form
    resp = await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice),
                             data={"num_satoshis": "5", "passThru": '{"order": 7}',
                                   "expiry": "600"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["passThru"] == {"order": 7, "wallet_id": alice["wal"]}
    assert resp.json()["expiry"] == 600
    resp = await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice),
                             content=b"num_satoshis=3&memo=raw")
    assert resp.status_code == 201 and resp.json()["memo"] == "raw"


async def test_invoice_errors(client, alice):
    url = f"/v1/wallet/{alice['waki']}/invoice"
    assert_error(await client.post(url, headers=H(alice), data={"passThru": "{nope"}), 400,
                 "passThru data must be valid json")
    assert_error(await client.post(url, headers=H(alice), json={"num_satoshis": "ten"}), 400,
                 "Num Satoshis must be an integer.")
    assert_error(await client.post(url, headers=H(alice), json={"num_satoshis": -1}), 400,
                 "Num Satoshis must be no less than 0.")
    assert_error(await client.post(url, headers={**H(alice), "Content-Type":
                                                 "application/json"}, content=b"{"), 400)


async def test_amountless_and_description_hash_invoices(client, alice, app):
    gw = app.state.gateway
    resp = await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice), json={})
    assert resp.status_code == 201
    assert gw.decode_invoice(resp.json()["payment_request"]).amount_msat is None
    digest = hashlib.sha256(b"{metadata}").digest()
    resp = await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice),
                             json={"num_satoshis": 2, "memo": "ignored",
                                   "description_hash": base64.b64encode(digest).decode()})
    assert resp.status_code == 201, resp.text
    decoded = gw.decode_invoice(resp.json()["payment_request"])
    assert decoded.description_hash == digest.hex()
    assert_error(await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice),
                                   json={"description_hash": "abc"}), 400)


# -- withdraw --------------------------------------------------------------------------------

async def test_withdraw_external_invoice(client, alice):
    ext = await external_invoice(client, 100, memo="pizza")
    resp = await client.post(f"/v1/wallet/{alice['waka']}/withdraw", headers=H(alice),
                             json={"payment_request": ext["bolt11"],
                                   "passThru": {"ticketId": "23"}})
    assert resp.status_code == 201, resp.text
    wtx = resp.json()
    assert wtx["id"].startswith("wtx_") and wtx["num_satoshis"] == -100
    assert wtx["wtxType"] == {"layer": "ln", "name": "ln_withdrawal",
                              "display_name": "LN Withdrawal"}
    assert wtx["walletTransactionType"] == wtx["wtxType"]
    assert wtx["wal"]["id"] == wtx["wallet"]["id"] == wtx["wallet_id"] == alice["wal"]
    assert wtx["wal"]["balance"] == 900
    assert wtx["passThru"] == {"method": "api", "ticketId": "23"}
    lntx = wtx["lnTx"]
    assert "passThru" not in lntx
    assert lntx["num_satoshis"] == 100 and lntx["settled"] == 1 and lntx["memo"] == "pizza"
    assert lntx["payment_request"] == ext["bolt11"]
    assert lntx["r_hash_decoded"] == ext["payment_hash"]
    assert lntx["id"] == "lntx_" + wtx["id"][4:]
    looked_up = await client.get(f"/v1/lntx/{lntx['id']}", headers=H(alice))
    assert looked_up.json()["payment_preimage"] == lntx["payment_preimage"]


async def test_withdraw_pays_another_wallets_invoice(client, alice, bob):
    inv = await client.post(f"/v1/wallet/{bob['waki']}/invoice", headers=H(bob),
                            json={"num_satoshis": 40})
    resp = await client.post(f"/v1/wallet/{alice['waka']}/withdraw", headers=H(alice),
                             data={"payment_request": inv.json()["payment_request"]})
    assert resp.status_code == 201, resp.text
    assert await balance(client, bob) == 40 and await balance(client, alice) == 960
    got = await client.get(f"/v1/lntx/{inv.json()['id']}", headers=H(bob))
    assert got.json()["settled"] == 1
    assert_error(await client.post(f"/v1/wallet/{alice['waka']}/withdraw", headers=H(alice),
                                   json={"payment_request": inv.json()["payment_request"]}),
                 400, "invoice is already paid")


async def test_withdraw_errors(client, alice, bob):
    url = f"/v1/wallet/{alice['waka']}/withdraw"
    assert_error(await client.post(url, headers=H(alice), json={}), 400,
                 "Payment Request cannot be blank.")
    big = await external_invoice(client, 5000)
    assert_error(await client.post(url, headers=H(alice), json={"payment_request": big["bolt11"]}),
                 400, "Invoice too large :) Max balance: 1000")
    resp = await client.post("/sim/v1/invoices", json={"amount_msat": 0})
    assert_error(await client.post(url, headers=H(alice),
                                   json={"payment_request": resp.json()["bolt11"]}),
                 400, "Cannot process any amount invoices")
    failing = await external_invoice(client, 10, outcome="fail",
                                     reason="Failure reason: FAILURE_REASON_NO_ROUTE")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"payment_request": failing["bolt11"]}),
                 400, "Failure reason: FAILURE_REASON_NO_ROUTE")
    assert_error(await client.post(url, headers=H(alice), json={"payment_request": "lnbc1xyz"}),
                 400)
    assert_error(await client.post(url, headers=H(alice),
                                   json={"payment_request": "x", "passThru": "[1"}),
                 400, "passThru data must be valid json")
    assert await balance(client, alice) == 1000  # nothing left the wallet


async def test_routing_fee_shows_as_network_fee_wtx(client, alice):
    ext = await external_invoice(client, 100, fee_msat=1500)
    resp = await client.post(f"/v1/wallet/{alice['waka']}/withdraw", headers=H(alice),
                             json={"payment_request": ext["bolt11"]})
    assert resp.status_code == 201
    assert resp.json()["lnTx"]["fee_msat"] == 1500
    rows = (await client.get(f"/v1/wallet/{alice['wakr']}/transactions", headers=H(alice))).json()
    fee, withdrawal = rows[0], rows[1]
    assert fee["wtxType"]["name"] == "network_fee" and fee["num_satoshis"] == -2
    assert fee["lnTx"] is None
    assert withdrawal["id"] == resp.json()["id"] and withdrawal["num_satoshis"] == -100
    assert (await client.get(f"/v1/wallet/{alice['wakr']}", headers=H(alice))).json()[
        "balance"] == 898  # 1000 - 100 - 1.5 (msat balance 898500)


# -- keysend ---------------------------------------------------------------------------------

async def sim_node(client) -> str:
    return (await client.get("/sim/v1/nodes")).json()["nodes"][0]["pubkey"]


async def test_keysend_to_sim_node(client, alice):
    pubkey = await sim_node(client)
    resp = await client.post(f"/v1/wallet/{alice['waka']}/keysend", headers=H(alice),
                             json={"dest_pubkey": pubkey, "num_satoshis": 2,
                                   "custom_records": {"696969": "test record",
                                                      "7629169": {"podcast": "x"}},
                                   "passThru": {"ticketId": "23"}})
    assert resp.status_code == 201, resp.text
    wtx = resp.json()
    assert wtx["num_satoshis"] == -2 and wtx["wtxType"]["name"] == "ln_withdrawal"
    assert wtx["user_label"] == f"2 keysend to {pubkey}"
    lntx = wtx["lnTx"]
    assert lntx["payment_request"] == f"{pubkey}:2" and lntx["is_keysend"] == 1
    assert lntx["dest_pubkey"] == pubkey
    assert lntx["custom_records"]["696969"] == "test record"
    assert json.loads(lntx["custom_records"]["7629169"]) == {"podcast": "x"}
    assert lntx["custom_records"]["5482373484"] == lntx["payment_preimage"]
    assert wtx["passThru"]["method"] == "api" and wtx["passThru"]["ticketId"] == "23"


async def test_keysend_to_own_node_with_wallet_tlv(client, alice, bob):
    gateway_pubkey = (await client.get("/sim/v1/nodes")).json()["gateway"]["pubkey"]
    resp = await client.post(f"/v1/wallet/{alice['waklw']}/keysend", headers=H(alice),
                             json={"dest_pubkey": gateway_pubkey, "num_satoshis": 7,
                                   "custom_records": {"696969": bob["wal"]}})
    assert resp.status_code == 201, resp.text
    assert await balance(client, bob) == 7
    rows = (await client.get(f"/v1/wallet/{bob['wakr']}/transactions", headers=H(bob))).json()
    assert rows[0]["num_satoshis"] == 7 and rows[0]["wtxType"]["name"] == "ln_deposit"
    assert rows[0]["lnTx"]["payment_request"] == "keysend"


async def test_keysend_async_header(client, alice):
    pubkey = await sim_node(client)
    resp = await client.post(f"/v1/wallet/{alice['waka']}/keysend",
                             headers={**H(alice), "X-LNPAY-ASYNC": "1"},
                             json={"dest_pubkey": pubkey, "num_satoshis": 3})
    assert resp.status_code == 201
    body = resp.json()
    assert set(body) == {"success", "id"} and body["success"] == 1
    app_gw = client._transport.app.state.gateway  # wait for the background send
    payment = await app_gw.wait_for_payment(body["id"][5:], 5)
    assert payment.status == "success"


async def test_keysend_errors(client, alice):
    url = f"/v1/wallet/{alice['waka']}/keysend"
    pubkey = await sim_node(client)
    assert_error(await client.post(url, headers=H(alice), json={"num_satoshis": 1}), 400,
                 "Dest Pubkey cannot be blank.")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_pubkey": "02ab", "num_satoshis": 1}), 400,
                 "Dest Pubkey should contain 66 characters.")
    assert_error(await client.post(url, headers=H(alice), json={"dest_pubkey": pubkey}), 400,
                 "Num Satoshis cannot be blank.")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_pubkey": pubkey, "num_satoshis": 1,
                                         "custom_records": {"34349334": "x", "100": "y"}}),
                 400, "custom_records keys must be integers greater than 65536.")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_pubkey": pubkey, "num_satoshis": 5000}),
                 400, "Invoice too large :) Max balance: 1000")
    unknown = "02" + "ab" * 32
    resp = await client.post(url, headers=H(alice), json={"dest_pubkey": unknown,
                                                           "num_satoshis": 1})
    body = assert_error(resp, 400)
    assert "no route" in body["message"]
    assert await balance(client, alice) == 1000


# -- transfer --------------------------------------------------------------------------------

async def test_transfer(client, alice, bob):
    resp = await client.post(f"/v1/wallet/{alice['waka']}/transfer", headers=H(alice),
                             json={"dest_wallet_id": bob["wal"], "num_satoshis": 30,
                                   "memo": "rent", "lnPayParams": {"a": 1}})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"wtx_transfer_in", "wtx_transfer_out"}
    into, out = body["wtx_transfer_in"], body["wtx_transfer_out"]
    assert into["num_satoshis"] == 30 and out["num_satoshis"] == -30
    assert into["wtxType"]["name"] == "ln_transfer_in"
    assert out["wtxType"]["name"] == "ln_transfer_out"
    assert into["lnTx"] is None and out["lnTx"] is None
    assert into["user_label"] == "rent" and into["wal"]["id"] == bob["wal"]
    assert out["passThru"] == {"lnPayParams": {"a": 1}, "dest_wallet_id": bob["wal"],
                               "source_wallet_id": alice["wal"]}
    assert await balance(client, bob) == 30 and await balance(client, alice) == 970
    assert_error(await client.get(f"/v1/lntx/lntx_{out['id'][4:]}", headers=H(alice)), 401,
                 "LnTx not found")


async def test_transfer_errors(client, alice, bob):
    url = f"/v1/wallet/{alice['waka']}/transfer"
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_wallet_id": bob["wal"], "num_satoshis": 5000}),
                 400, "Insufficient balance in source wallet")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_wallet_id": alice["wal"], "num_satoshis": 1}),
                 400, "Source and destination wallets cannot be the same!")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_wallet_id": "wal_nope", "num_satoshis": 1}),
                 400, "Invalid dest wallet id")
    assert_error(await client.post(url, headers=H(alice), json={"num_satoshis": 1}), 400,
                 "Dest Wallet Id cannot be blank.")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_wallet_id": bob["wal"], "num_satoshis": 1,
                                         "lnPayParams": "{x"}),
                 400, "Invalid lnPayParams json specified")
    assert_error(await client.post(url, headers=H(alice),
                                   json={"dest_wallet_id": bob["wal"], "num_satoshis": 1,
                                         "passThru": "{x"}),
                 400, "Invalid passThru json specified")


async def test_idempotency_key_passes_through(client, alice, bob):
    url = f"/v1/wallet/{alice['waka']}/transfer"
    headers = {**H(alice), "Idempotency-Key": "rent-2024-05"}
    body = {"dest_wallet_id": bob["wal"], "num_satoshis": 10}
    first = await client.post(url, headers=headers, json=body)
    again = await client.post(url, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json()["wtx_transfer_out"]["id"] == again.json()["wtx_transfer_out"]["id"]
    assert await balance(client, bob) == 10
    assert_error(await client.post(url, headers=headers, json={**body, "num_satoshis": 11}), 409)


# -- history ---------------------------------------------------------------------------------

async def test_transactions_paginate_newest_first(client, alice, bob):
    for n in range(1, 6):
        await client.post(f"/v1/wallet/{alice['waka']}/transfer", headers=H(alice),
                          json={"dest_wallet_id": bob["wal"], "num_satoshis": n})
    await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice),
                      json={"num_satoshis": 9})  # unpaid: not a wtx
    url = f"/v1/wallet/{alice['wakr']}/transactions"
    resp = await client.get(url, headers=H(alice), params={"per-page": 2, "page": 2})
    assert resp.status_code == 200
    assert [w["num_satoshis"] for w in resp.json()] == [-3, -2]
    assert resp.headers["x-pagination-total-count"] == "6"  # 5 transfers + the funding
    assert resp.headers["x-pagination-page-count"] == "3"
    assert resp.headers["x-pagination-current-page"] == "2"
    assert resp.headers["x-pagination-per-page"] == "2"
    full = (await client.get(url, headers=H(alice))).json()
    assert [w["num_satoshis"] for w in full] == [-5, -4, -3, -2, -1, 1000]
    assert full[-1]["wtxType"]["name"] == "ln_deposit"
    # past the last page Yii shows the last page
    last = await client.get(url, headers=H(alice), params={"per-page": 4, "page": 9})
    assert last.headers["x-pagination-current-page"] == "2"
    assert [w["num_satoshis"] for w in last.json()] == [-1, 1000]
    limited = await client.get(url, headers=H(alice), params={"fields": "id,num_satoshis"})
    assert all(set(w) == {"id", "num_satoshis"} for w in limited.json())


async def test_account_wide_transactions(client, alice, app):
    second = await app.state.gateway.create_wallet("second", user_id=alice["user_id"])
    await client.post(f"/v1/wallet/{alice['waka']}/transfer", headers=H(alice),
                      json={"dest_wallet_id": second.wallet.lnpay_id, "num_satoshis": 4})
    resp = await client.get("/v1/wallet-transactions", headers=H(alice, "sak"))
    assert resp.status_code == 200
    rows = resp.json()
    assert [(w["wal"]["id"], w["num_satoshis"]) for w in rows][:2] in (
        [(second.wallet.lnpay_id, 4), (alice["wal"], -4)],
        [(alice["wal"], -4), (second.wallet.lnpay_id, 4)])
    assert resp.headers["x-pagination-per-page"] == "20"
    assert resp.headers["x-pagination-total-count"] == "3"


async def test_lntx_is_private_to_its_account(client, alice, bob):
    inv = (await client.post(f"/v1/wallet/{alice['waki']}/invoice", headers=H(alice),
                             json={"num_satoshis": 1})).json()
    assert (await client.get(f"/v1/lntx/{inv['id']}", headers=H(alice, "sak"))).status_code == 200
    assert_error(await client.get(f"/v1/lntx/{inv['id']}", headers=H(bob)), 401,
                 "LnTx not found")
    assert_error(await client.get("/v1/lntx/lntx_nope", headers=H(alice)), 401, "LnTx not found")


# -- LNURL-withdraw --------------------------------------------------------------------------

def decode_lnurl(value: str) -> str:
    hrp, data = bech32.bech32_decode(value.lower())
    assert hrp == "lnurl"
    return bytes(bech32.convertbits(data, 5, 8, False)).decode()


async def test_lnurl_withdraw_one_time(client, alice, bob):
    resp = await client.get(f"/v1/wallet/{alice['waka']}/lnurl/withdraw", headers=H(alice),
                            params={"num_satoshis": 25, "memo": "SatsBack"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"lnurl", "ott"} and body["lnurl"].startswith("LNURL1")
    url = decode_lnurl(body["lnurl"])
    assert url.startswith(f"http://lngate.test/v1/wallet/{alice['wal']}/lnurl-process?ott=")
    assert alice["waka"] not in url  # the link never carries a key
    path = url.removeprefix("http://lngate.test")
    offer = (await client.get(path)).json()
    assert offer["tag"] == "withdrawRequest" and offer["maxWithdrawable"] == 25000
    assert offer["minWithdrawable"] == 25000 and offer["defaultDescription"] == "SatsBack"
    callback = offer["callback"].removeprefix("http://lngate.test")
    wrong = (await client.post(f"/v1/wallet/{bob['waki']}/invoice", headers=H(bob),
                               json={"num_satoshis": 24})).json()["payment_request"]
    resp = await client.get(f"{callback}&k1={offer['k1']}&pr={wrong}")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ERROR", "reason": "Requested invoice (25000) and invoice"
                                                        " generated (24000) do not match."}
    inv = (await client.post(f"/v1/wallet/{bob['waki']}/invoice", headers=H(bob),
                             json={"num_satoshis": 25})).json()["payment_request"]
    resp = await client.get(f"{callback}&k1={offer['k1']}&pr={inv}")
    assert resp.status_code == 201 and resp.json() == {"status": "OK"}
    assert await balance(client, bob) == 25 and await balance(client, alice) == 975
    again = await client.get(f"{callback}&k1={offer['k1']}&pr={inv}")
    assert again.status_code == 200 and again.json()["status"] == "ERROR"
    assert again.json()["reason"].startswith("LNURL is no longer valid: ")
    rows = (await client.get(f"/v1/wallet/{alice['wakr']}/transactions", headers=H(alice))
            ).json()
    assert rows[0]["passThru"]["method"] == "lnurl"


async def test_lnurl_callback_refuses_unknown_tokens(client, alice):
    resp = await client.get(f"/v1/wallet/{alice['wal']}/lnurl-process",
                            params={"ott": "guessed12345"})
    assert resp.status_code == 200 and resp.json()["status"] == "ERROR"


# -- routing, errors, CORS, OpenAPI ----------------------------------------------------------

async def test_unknown_routes_and_methods(client, alice):
    assert_error(await client.get("/v1/nothing/here"), 404, "Page not found.")
    assert_error(await client.post("/v1/paywall", json={}), 404, "Page not found.")
    resp = await client.put(f"/v1/wallet/{alice['waka']}/withdraw", headers=H(alice))
    assert_error(resp, 405)
    assert resp.headers["allow"] == "POST"
    assert_error(await client.get("/v1/wallet/bad-key!"), 404, "Page not found.")


async def test_unexpected_exception_is_lnpay_500(client, alice, monkeypatch):
    from dialects.lnpay import views

    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "wallet_view", boom)
    assert_error(await client.get(f"/v1/wallet/{alice['wakr']}", headers=H(alice)), 500,
                 "An internal server error occurred.")


async def test_cors_preflight(client, alice):
    resp = await client.options(f"/v1/wallet/{alice['waka']}/withdraw",
                                headers={"Origin": "https://shop.example",
                                         "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": "x-api-key,content-type"})
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "*"
    assert resp.headers["access-control-allow-headers"] == "x-api-key,content-type"
    assert "POST" in resp.headers["access-control-allow-methods"]
    resp = await client.get(f"/v1/wallet/{alice['wakr']}",
                            headers={**H(alice), "Origin": "https://shop.example"})
    assert resp.headers["access-control-allow-origin"] == "*"


async def test_openapi_document_covers_every_route(client, app):
    resp = await client.get("/openapi/lnpay.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["openapi"].startswith("3.")
    from starlette.routing import Mount
    dialect = next(d for d in app.state.dialects if d.name == "lnpay")
    mount = next(r for r in dialect.routes if isinstance(r, Mount))
    served = {"/v1" + r.path for r in mount.routes if "{rest" not in r.path}
    documented = {p.replace("{key}", "{key}") for p in doc["paths"]}
    assert served == documented
    assert set(doc["components"]["schemas"]["Error"]["required"]) == {"name", "message", "code",
                                                                      "status"}


async def test_keys_in_paths_stay_out_of_the_request_log(client, alice, monkeypatch):
    import gateway.app

    lines = []

    class Recorder:
        def info(self, event, **fields):
            lines.append((event, fields))

    monkeypatch.setattr(gateway.app, "log", Recorder())
    await client.get(f"/v1/wallet/{alice['wakr']}", headers=H(alice))
    assert [f["path"] for e, f in lines if e == "http.request"] == ["/v1/wallet/{key}"]
    assert alice["wakr"] not in repr(lines)
