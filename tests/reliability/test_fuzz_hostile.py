"""Hand-written hostile input through every dialect's money endpoints: deep JSON, invalid UTF-8,
huge, negative and fractional amounts, odd JSON values, BOLT11 for another network. Each answer is
a client error in the dialect's own shape (never an unexpected 5xx), and no money moves."""
from __future__ import annotations

import pytest

from tests.helpers import foreign_invoice
from tests.reliability import figures
from tests.reliability.http_support import (alby_error, alby_server_error, lnbits_error,
                                            lnbits_server_error, lnpay_error,
                                            lnpay_server_error)

HUGE_AND_ODD = [-1, -0.5, 0.5, 10**30, 2**63, 2**64, -(2**63), 1e308, -1e308, "1e400", "NaN",
                "-0", "", " ", None, [], {}, True, "１２", "0x10", 1e-9]

RAW_BODIES = [
    b"[" * 50_000 + b"]" * 50_000,  # deep arrays
    b'{"a":' * 20_000 + b"1" + b"}" * 20_000,  # deep objects
    b'{"amount": 1, "memo": "\xff\xfe\xfd"}',  # invalid UTF-8 inside a string
    b"\xff\xfe{\x00}",  # not UTF-8 at all
    b"\xef\xbb\xbf{}",  # a BOM
    b'{"amount": NaN}', b'{"amount": Infinity}',
    b'{"amount": ' + b"9" * 5000 + b"}",  # an integer too long for int()
    b'{"amount": 1e99999}',
    b'{"amount": 1, "amount": -5}',  # duplicate keys
    b"null", b"[]", b'"text"', b"12", b"{", b"",
]


class Dialect:
    def __init__(self, name, headers, shape, server_error, endpoints):
        self.name, self.headers, self.shape, self.server_error = name, headers, shape, server_error
        self.endpoints = endpoints  # path -> body template: {"amount": X} with X to replace

    def check(self, r, where):
        try:
            body = r.json()
        except ValueError:
            raise AssertionError(f"{where}: not JSON: {r.status_code} {r.text[:200]}") from None
        assert not self.server_error(r.status_code, body), (where, r.status_code, body)
        if r.status_code >= 400:
            assert self.shape(r.status_code, body), (where, r.status_code, body)
        figures.add("hostile_cases")


def dialects(w, other, pubkey):
    k = w.keys
    waka, waki = k["lnpay_waka"], k["lnpay_waki"]
    return [
        Dialect("lnbits", {"X-Api-Key": k["lnbits_admin"]}, lnbits_error, lnbits_server_error, {
            "/api/v1/payments": lambda v: {"out": False, "amount": v},
            "/api/v1/payments#pay": lambda v: {"out": True, "bolt11": v},
            "/api/v1/payments#amount": lambda v: {"out": True, "bolt11": "lnbcrt1", "amount": v},
        }),
        Dialect("lnpay", {"X-Api-Key": k["lnpay_sak"]}, lnpay_error, lnpay_server_error, {
            f"/v1/wallet/{waki}/invoice": lambda v: {"num_satoshis": v},
            f"/v1/wallet/{waka}/withdraw": lambda v: {"payment_request": v},
            f"/v1/wallet/{waka}/keysend": lambda v: {"dest_pubkey": pubkey, "num_satoshis": v},
            f"/v1/wallet/{waka}/transfer": lambda v: {"dest_wallet_id": other.wallet.lnpay_id,
                                                      "num_satoshis": v},
        }),
        Dialect("alby", {"Authorization": f"Bearer {k['alby_token']}"}, alby_error,
                alby_server_error, {
            "/invoices": lambda v: {"amount": v},
            "/payments/bolt11": lambda v: {"invoice": v},
            "/payments/keysend": lambda v: {"amount": v, "destination": pubkey},
            "/payments/keysend/multi": lambda v: {"keysends": [{"amount": v,
                                                                "destination": pubkey}]},
        }),
    ]


@pytest.fixture
async def setup(client, wallet_factory):
    w = await wallet_factory("target", sat=5000)
    other = await wallet_factory("other", sat=0)
    pubkey = (await client.get("/sim/v1/nodes")).json()["nodes"][0]["pubkey"]
    return w, other, dialects(w, other, pubkey)


async def balances(client, w, other):
    out = []
    for who in (w, other):
        r = await client.get("/api/v1/wallet", headers={"X-Api-Key": who.keys["lnbits_admin"]})
        out.append(r.json()["balance"])
    return out


async def test_odd_json_values_where_amounts_and_invoices_go(client, setup):
    w, other, ds = setup
    before = await balances(client, w, other)
    for d in ds:
        for path, template in d.endpoints.items():
            for value in HUGE_AND_ODD:
                r = await client.post(path.split("#")[0], json=template(value), headers=d.headers)
                d.check(r, f"{d.name} {path} {value!r}")
                if r.status_code < 300:
                    assert "invoice" in path or path == "/api/v1/payments", (path, value, r.text)
    assert await balances(client, w, other) == before


async def test_malformed_bodies(client, setup):
    w, other, ds = setup
    before = await balances(client, w, other)
    for d in ds:
        for path in d.endpoints:
            for raw in RAW_BODIES:
                for ctype in ("application/json", "application/x-www-form-urlencoded"):
                    r = await client.post(path.split("#")[0], content=raw,
                                          headers={**d.headers, "Content-Type": ctype})
                    d.check(r, f"{d.name} {path} {raw[:30]!r} {ctype}")
                    assert r.status_code >= 400 or "invoice" in path, (path, raw[:40], r.text)
    assert await balances(client, w, other) == before


async def test_invalid_utf8_and_odd_bytes_in_paths_queries_and_keys(client, setup):
    w, other, ds = setup
    paths = {"lnbits": ["/api/v1/payments/%ff%fe", "/api/v1/payments?limit=%ff&offset=-1",
                        "/api/v1/wallet/%00", "/api/v1/payments/paginated?limit=99999999999999999999"],
             "lnpay": ["/v1/wallet/%ff%fe", "/v1/wallet/%ff/invoice", "/v1/lntx/%00",
                       f"/v1/wallet/{w.keys['lnpay_waka']}/transactions?page=%ff&per-page=-5"],
             "alby": ["/invoices/%ff%fe", "/decode/bolt11/%ff", "/invoices?page=0&items=%ff",
                      "/invoices/incoming?q[created_at_gt]=99999999999999999999999"]}
    for d in ds:
        for path in paths[d.name]:
            r = await client.get(path, headers=d.headers)
            d.check(r, f"{d.name} {path}")
        for key in (b"\xff\xfe", b"k" * 10_000, b"' OR 1=1 --", b"\x00"):
            hostile = {name: (b"Bearer " + key if name == "Authorization" else key)
                       for name in d.headers}
            r = await client.get(list(paths[d.name])[0], headers=hostile)
            d.check(r, f"{d.name} key {key[:10]!r}")
            assert r.status_code in (400, 401, 403, 404), (d.name, key[:10], r.text)


@pytest.mark.parametrize("network", ["bitcoin", "testnet", "signet"])
async def test_bolt11_for_another_network_is_refused_in_each_dialect(client, setup, network):
    w, other, ds = setup
    before = await balances(client, w, other)
    bolt11 = foreign_invoice(network, amount_msat=10_000)
    lnbits, lnpay, alby = ds
    r = await client.post("/api/v1/payments", headers=lnbits.headers,
                          json={"out": True, "bolt11": bolt11})
    assert r.status_code == 520 and r.json()["status"] == "failed"
    assert f"invoice is for {network}" in r.json()["detail"]
    r = await client.post(f"/v1/wallet/{w.keys['lnpay_waka']}/withdraw", headers=lnpay.headers,
                          json={"payment_request": bolt11})
    assert r.status_code == 400 and lnpay_error(400, r.json())
    assert network in r.json()["message"]
    r = await client.post("/payments/bolt11", headers=alby.headers, json={"invoice": bolt11})
    assert r.status_code == 400 and r.json()["message"] == "incorrect network"
    assert await balances(client, w, other) == before
    figures.add("hostile_cases", 3)


async def test_a_received_boostagram_nested_too_deep_does_not_break_the_payees_lists(
        client, wallet_factory):
    """A sender chooses the boostagram record: a JSON bomb in it must not make every later
    listing of the payee's invoices fail."""
    payee = await wallet_factory("payee")
    payer = await wallet_factory("payer", sat=1000)
    auth = {"Authorization": f"Bearer {payee.keys['alby_token']}"}
    v4v = (await client.get("/user/value4value", headers=auth)).json()
    r = await client.post("/payments/keysend", json={
        "destination": v4v["keysend_pubkey"], "amount": 21,
        "custom_records": {v4v["keysend_custom_key"]: v4v["keysend_custom_value"],
                           "7629169": "[" * 100_000}},
        headers={"Authorization": f"Bearer {payer.keys['alby_token']}"})
    assert r.status_code == 200, r.text
    for path in ("/invoices/incoming", "/invoices", "/user/summary"):
        r = await client.get(path, headers=auth)
        assert r.status_code == 200, (path, r.text)
    incoming = (await client.get("/invoices/incoming", headers=auth)).json()
    assert incoming[0]["amount"] == 21 and incoming[0]["boostagram"] is None


async def test_empty_keysend_destination_is_bad_arguments(client, wallet_factory):
    """lndhub.go validates `destination` as required: the whole request is refused (code 8),
    also inside a multi-keysend, before anything is tried."""
    w = await wallet_factory("ks", sat=100)
    auth = {"Authorization": f"Bearer {w.keys['alby_token']}"}
    for path, body in (("/payments/keysend", {"amount": 1, "destination": ""}),
                       ("/payments/keysend/multi",
                        {"keysends": [{"amount": 1, "destination": ""}]})):
        r = await client.post(path, headers=auth, json=body)
        assert r.status_code == 400 and r.json()["code"] == 8, r.text
