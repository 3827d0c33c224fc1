"""Every endpoint of every dialect times every kind of credential.

Kinds: none, malformed, unknown, read, invoice, admin, another wallet's admin ("other"), revoked.
The endpoints come from each dialect's served OpenAPI document, and the test fails when one has
no row in the table below, so a new endpoint cannot escape the matrix. Exactly the allowed
combinations get past authentication; the others get the dialect's auth refusal. No answer to a
caller other than the owner names the victim wallet's ids, hashes, invoices or preimages, and the
victim's books and records are the same after every foreign call as before.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from tests.reliability import figures

KINDS = ["none", "malformed", "unknown", "read", "invoice", "admin", "other", "revoked"]
OWNER = {"read", "invoice", "admin"}
LEVELS = {"read": {"read", "invoice", "admin"}, "invoice": {"invoice", "admin"},
          "admin": {"admin"}}


@dataclass
class Row:
    """`need`: public | read | invoice | admin | account (any account key of the user) |
    secret (the user's secret key). `victims`: the path or body names the victim's own
    resource, so another wallet's key may authenticate but must get nothing."""
    need: str
    path: str = ""
    body: Callable[[dict], Any] | None = None
    victims: bool = False


def allowed(row: Row, kind: str) -> bool:
    if row.need == "public":
        return True
    if kind == "other":
        return not row.victims  # its own wallet: allowed, on its own data
    if row.need in LEVELS:
        return kind in LEVELS[row.need]
    if row.need == "account":  # LNPay: pak_ or sak_ of the victim's user
        return kind in OWNER
    return kind == "admin"  # secret: the sak_ only


# -- per dialect: credentials, refusals, table -----------------------------------------------

LNBITS_REFUSALS = {"No Api Key provided.", "Wallet not found.", "Invalid adminkey.",
                   "Invalid invoice key.", "Invoice (or Admin) key required."}

LNBITS = {
    ("post", "/api/v1/account"): Row("public", body=lambda v: {"name": "new"}),
    ("get", "/api/v1/wallet"): Row("invoice"),
    ("patch", "/api/v1/wallet"): Row("admin", body=lambda v: {"name": "renamed"}),
    ("put", "/api/v1/wallet/{new_name}"): Row("admin", "/api/v1/wallet/renamed"),
    ("post", "/api/v1/payments"): Row("invoice", body=lambda v: {"out": False, "amount": 5}),
    ("get", "/api/v1/payments"): Row("invoice"),
    ("get", "/api/v1/payments/paginated"): Row("invoice"),
    ("get", "/api/v1/payments/history"): Row("invoice"),
    ("get", "/api/v1/payments/stats/count"): Row("invoice"),
    ("get", "/api/v1/payments/stats/wallets"): Row("invoice"),
    ("get", "/api/v1/payments/stats/daily"): Row("invoice"),
    ("get", "/api/v1/payments/stats/breakdown"): Row("invoice"),
    ("get", "/api/v1/payments/fee-reserve"): Row("public", "/api/v1/payments/fee-reserve?invoice={ext}"),
    ("post", "/api/v1/payments/decode"): Row("public", body=lambda v: {"data": v["ext"]}),
    ("post", "/api/v1/payments/settle"): Row("admin", body=lambda v: {"preimage": v["hold_preimage"]},
                                             victims=True),
    ("post", "/api/v1/payments/cancel"): Row("admin", body=lambda v: {"payment_hash": v["hold"]},
                                             victims=True),
    ("patch", "/api/v1/payments/extra"): Row("admin", body=lambda v: {
        "payment_hash": v["paid"], "extra": {"x": 1}}, victims=True),
    ("put", "/api/v1/payments/{ident}/labels"): Row("admin", "/api/v1/payments/{paid}/labels",
                                                    lambda v: {"labels": ["x"]}, victims=True),
    ("get", "/api/v1/payments/{ident}"): Row("public", "/api/v1/payments/{paid}"),
    ("put", "/api/v1/payments/{ident}"): Row("admin", "/api/v1/payments/{hold}",
                                             lambda v: {"preimage": v["hold_preimage"]}, victims=True),
    ("delete", "/api/v1/payments/{ident}"): Row("admin", "/api/v1/payments/{hold}", victims=True),
}

LNPAY = {
    ("post", "/v1/wallet"): Row("account", body=lambda v: {"user_label": "new"}),
    ("get", "/v1/wallets"): Row("secret"),
    ("get", "/v1/wallet-transactions"): Row("secret"),
    ("get", "/v1/lntx/{id}"): Row("account", "/v1/lntx/{lntx}", victims=True),
    ("get", "/v1/wallet/{key}"): Row("read", victims=True),
    ("get", "/v1/wallet/{key}/transactions"): Row("read", victims=True),
    ("post", "/v1/wallet/{key}/invoice"): Row("invoice", body=lambda v: {"num_satoshis": 5},
                                              victims=True),
    ("post", "/v1/wallet/{key}/withdraw"): Row("admin", body=lambda v: {
        "payment_request": v["fresh"]()}, victims=True),
    ("post", "/v1/wallet/{key}/keysend"): Row("admin", body=lambda v: {
        "dest_pubkey": v["pubkey"], "num_satoshis": 1}, victims=True),
    ("post", "/v1/wallet/{key}/transfer"): Row("admin", body=lambda v: {
        "dest_wallet_id": v["third_wal"], "num_satoshis": 1}, victims=True),
    ("get", "/v1/wallet/{key}/lnurl/withdraw"): Row("admin", victims=True),
    # LUD-03 callback: public by design (a one-time token authorizes it)
    ("get", "/v1/wallet/{key}/lnurl-process"): Row("public", "/v1/wallet/{wal}/lnurl-process?ott=x"),
}

ALBY = {
    ("get", "/balance"): Row("read"),
    ("get", "/user/me"): Row("read"),
    ("get", "/user/value4value"): Row("read"),
    ("get", "/user/summary"): Row("read"),
    ("get", "/invoices"): Row("read"),
    ("post", "/invoices"): Row("invoice", body=lambda v: {"amount": 5}),
    ("get", "/invoices/incoming"): Row("read"),
    ("get", "/invoices/outgoing"): Row("read"),
    ("get", "/invoices/{payment_hash}"): Row("read", "/invoices/{paid}", victims=True),
    ("get", "/decode/bolt11/{bolt11}"): Row("read", "/decode/bolt11/{ext}"),
    ("post", "/payments/bolt11"): Row("admin", body=lambda v: {"invoice": v["fresh"]()}),
    ("post", "/payments/keysend"): Row("admin", body=lambda v: {"amount": 1,
                                                                "destination": v["pubkey"]}),
    ("post", "/payments/keysend/multi"): Row("admin", body=lambda v: {
        "keysends": [{"amount": 1, "destination": v["pubkey"]}]}),
}


async def mint_revoked(gw, kind, wallet) -> str:
    minted = await gw.mint_key(kind, user_id=wallet.user.id,
                               wallet_id=None if kind == "lnpay_sak" else wallet.wallet.id)
    await gw.revoke_key(minted.credential.id)
    return minted.secret


async def mint(gw, kind, wallet, perms) -> str:
    return (await gw.mint_key(kind, user_id=wallet.user.id, wallet_id=wallet.wallet.id,
                              perms=perms)).secret


async def lnbits_creds(gw, victim, other):
    k = victim.keys
    return {
        "none": {}, "malformed": {"X-Api-Key": "%%% not a key %%%"},
        "unknown": {"X-Api-Key": secrets.token_hex(16)},
        "read": {"X-Api-Key": await mint(gw, "lnbits_invoice", victim, ["read"])},
        "invoice": {"X-Api-Key": k["lnbits_invoice"]}, "admin": {"X-Api-Key": k["lnbits_admin"]},
        "other": {"X-Api-Key": other.keys["lnbits_admin"]},
        "revoked": {"X-Api-Key": await mint_revoked(gw, "lnbits_admin", victim)},
    }


async def lnpay_creds(gw, victim, other):
    """(account key header, wallet key for the path)."""
    k = victim.keys
    waka = k["lnpay_waka"]
    return {
        "none": ({}, waka), "malformed": ({"X-Api-Key": "%%% not a key %%%"}, waka),
        "unknown": ({"X-Api-Key": "sak_" + secrets.token_hex(16)}, waka),
        "read": ({"X-Api-Key": k["lnpay_pak"]}, k["lnpay_wakr"]),
        "invoice": ({"X-Api-Key": k["lnpay_pak"]}, k["lnpay_waki"]),
        "admin": ({"X-Api-Key": k["lnpay_sak"]}, waka),
        "other": ({"X-Api-Key": other.keys["lnpay_sak"]}, waka),
        "revoked": ({"X-Api-Key": await mint_revoked(gw, "lnpay_sak", victim)}, waka),
    }


async def alby_creds(gw, victim, other):
    def bearer(token):
        return {"Authorization": f"Bearer {token}"}
    read = ["account:read", "balance:read", "invoices:read", "transactions:read"]
    return {
        "none": {}, "malformed": {"Authorization": "Bearer"},
        "unknown": bearer(secrets.token_urlsafe(36)),
        "read": bearer(await mint(gw, "alby_token", victim, read)),
        "invoice": bearer(await mint(gw, "alby_token", victim, read + ["invoices:create"])),
        "admin": bearer(victim.keys["alby_token"]), "other": bearer(other.keys["alby_token"]),
        "revoked": bearer(await mint_revoked(gw, "alby_token", victim)),
    }


def lnbits_refused(r) -> bool:
    return r.status_code in (401, 403, 404) and r.json().get("detail") in LNBITS_REFUSALS


def lnpay_refused(r) -> bool:
    return r.status_code == 401 and set(r.json()) == {"name", "message", "code", "status"}


def alby_refused(r) -> bool:
    body = r.json()
    return r.status_code == 401 and (set(body) == {"status", "error"} or body.get("code") == 1)


# -- the victim's world ----------------------------------------------------------------------

async def victim_world(client, gw, wallet_factory):
    victim = await wallet_factory("victim", sat=5000)
    other = await wallet_factory("other", sat=5000)
    third = await wallet_factory("third")
    vk = victim.keys
    # an invoice paid from outside, a hold invoice, an invoice made through LNPay
    r = await client.post("/api/v1/payments", headers={"X-Api-Key": vk["lnbits_admin"]},
                          json={"out": False, "amount": 21})
    paid = r.json()["payment_hash"]
    await client.post("/sim/v1/pay", json={"bolt11": r.json()["bolt11"]})
    hold_preimage = secrets.token_hex(32)
    hold = hashlib.sha256(bytes.fromhex(hold_preimage)).hexdigest()
    r = await client.post("/api/v1/payments", headers={"X-Api-Key": vk["lnbits_admin"]},
                          json={"out": False, "amount": 7, "payment_hash": hold})
    assert r.status_code == 201, r.text
    paid_preimage = (await gw.find_payment(paid, wallet_id=victim.wallet.id)).preimage
    r = await client.post(f"/v1/wallet/{vk['lnpay_waki']}/invoice",
                          headers={"X-Api-Key": vk["lnpay_sak"]}, json={"num_satoshis": 3})
    lntx = r.json()["id"]
    pool = [(await client.post("/sim/v1/invoices", json={"amount_msat": 1000})).json()["bolt11"]
            for _ in range(40)]
    values = {
        "paid": paid, "paid_preimage": paid_preimage, "hold": hold, "hold_preimage": hold_preimage, "lntx": lntx,
        "ext": pool.pop(), "fresh": pool.pop, "third_wal": third.wallet.lnpay_id,
        "wal": victim.wallet.lnpay_id,
        "pubkey": (await client.get("/sim/v1/nodes")).json()["nodes"][0]["pubkey"],
    }
    return victim, other, values


async def secrets_of(gw, wallet_id: str) -> set[str]:
    """What only the victim's owner may read: its ids and its payments' hashes/invoices/preimages."""
    wallet = await gw.get_wallet(wallet_id)
    found = {wallet.id, wallet.lnpay_id}
    for p in await gw.list_payments(wallet_id):
        found |= {x for x in (p.payment_hash, p.bolt11, p.preimage, p.id) if x}
    return found


async def state_of(gw, wallet_id: str):
    wallet = await gw.get_wallet(wallet_id)
    payments = [(p.id, p.status, p.amount_msat, p.extra, p.memo)
                for p in await gw.list_payments(wallet_id)]
    return wallet.name, wallet.balance_msat, payments


DIALECTS = {"lnbits": (LNBITS, lnbits_creds, lnbits_refused),
            "lnpay": (LNPAY, lnpay_creds, lnpay_refused),
            "alby": (ALBY, alby_creds, alby_refused)}


@pytest.mark.parametrize("dialect", ["lnbits", "alby", "lnpay"])
async def test_auth_matrix(client, app, wallet_factory, dialect):
    gw = app.state.gateway
    table, make_creds, refused = DIALECTS[dialect]
    doc = (await client.get(f"/openapi/{dialect}.json")).json()
    served = {(m, p) for p, ops in doc["paths"].items() for m in ops
              if m in ("get", "post", "put", "patch", "delete")}
    assert served == set(table), f"endpoints without a row: {served - set(table)}"

    victim, other, values = await victim_world(client, gw, wallet_factory)
    creds = await make_creds(gw, victim, other)
    private = await secrets_of(gw, victim.wallet.id)
    before = await state_of(gw, victim.wallet.id)
    # foreign callers first: the victim's state must not move; then the owner's keys
    order = [k for k in KINDS if k not in OWNER] + ["read", "invoice", "admin"]
    for kind in order:
        for (method, template), row in table.items():
            if dialect == "lnpay":
                headers, path_key = creds[kind]
            else:
                headers, path_key = creds[kind], None
            path = (row.path or template).replace("{key}", path_key or "")
            path = path.format(**{k: v for k, v in values.items() if isinstance(v, str)})
            body = row.body(values) if row.body else None
            r = await client.request(method.upper(), path, headers=headers, json=body)
            where = f"{dialect} {kind} {method.upper()} {path} -> {r.status_code} {r.text[:200]}"
            assert r.status_code < 500 or r.status_code == 520 or dialect == "alby" and \
                r.json().get("code") == 10, where
            if allowed(row, kind):
                assert not refused(r), where
            elif kind == "other":  # a valid key, someone else's resource: nothing for it
                assert r.status_code >= 400, where
            else:
                assert refused(r), where
            if kind not in OWNER:
                sent = path + str(body)
                leaked = [s for s in private if s in r.text and s not in sent]
                if (method, template) == ("get", "/api/v1/payments/{ident}"):
                    # LNbits hands the preimage of a paid hash to anyone who knows the hash
                    leaked = [s for s in leaked if s != values["paid_preimage"]]
                assert not leaked, (where, leaked)
            figures.add("auth_matrix_calls")
        if kind == order[len(KINDS) - len(OWNER) - 1]:
            assert await state_of(gw, victim.wallet.id) == before, "a foreign call moved it"
