"""Alby tokens: bearer auth, the scope matrix, and the CLI that mints and revokes tokens."""
from __future__ import annotations

import asyncio
import json

import pytest

from alby_support import bearer
from gateway import cli
from gateway.keys import ALBY_SCOPES

INVALID = {"status": 401, "error": "invalid access token"}
HASH = "ab" * 32
INVOICE = ("lnbcrt1u1p3d23dkpp58r92m0s0vyfdnd3caxhzgvu006dajv9r8pcspknhvezw26t9e8qsdq5g9kxy7fqd9h8"
           "vmmfvdjscqzpgxqyz5vqsp59efe44rg6cjl3xwh9glgx4ztcgwtg5l8uhry2v9v7s0zn2wpaz2s9qyyssq2z7")

# (method, path, json body, the scopes that open it)
ENDPOINTS = [
    ("GET", "/balance", None, {"balance:read"}),
    ("GET", "/user/summary", None, {"balance:read"}),
    ("GET", "/user/me", None, {"account:read"}),
    ("GET", "/user/value4value", None, {"account:read"}),
    ("POST", "/invoices", {"amount": 1}, {"invoices:create"}),
    ("GET", "/invoices", None, {"invoices:read"}),
    ("GET", "/invoices/incoming", None, {"invoices:read"}),
    ("GET", "/invoices/outgoing", None, {"transactions:read"}),
    ("GET", f"/invoices/{HASH}", None, {"invoices:read", "invoices:create"}),
    ("POST", "/payments/bolt11", {"invoice": INVOICE}, {"payments:send"}),
    ("POST", "/payments/keysend", {"destination": "02" + HASH, "amount": 1}, {"payments:send"}),
    ("POST", "/payments/keysend/multi",
     {"keysends": [{"destination": "02" + HASH, "amount": 1}]}, {"payments:send"}),
]
ALL_ENDPOINTS = ENDPOINTS + [("GET", f"/decode/bolt11/{INVOICE}", None, set())]


async def token_with(app, wallet_id: str, scopes) -> str:
    gw = app.state.gateway
    wallet = await gw.get_wallet(wallet_id)
    minted = await gw.mint_key("alby_token", user_id=wallet.user_id, wallet_id=wallet_id,
                               perms=sorted(scopes))
    return minted.secret


@pytest.mark.parametrize("method,path,body,needed", ENDPOINTS,
                         ids=[f"{m} {p[:24]}" for m, p, _, _ in ENDPOINTS])
async def test_scope_matrix(client, app, wallet_factory, method, path, body, needed):
    created = await wallet_factory(sat=10)
    for scope in sorted(ALBY_SCOPES):
        token = await token_with(app, created.wallet.id, [scope])
        r = await client.request(method, path, headers=bearer(token), json=body)
        if scope in needed:
            assert r.status_code != 401, (scope, r.text)
        else:
            assert r.status_code == 401, (scope, r.text)
            endpoint_scope = sorted(needed, key=lambda s: s != "invoices:read")[0]
            assert r.json() == {"status": 401, "error": (
                "Token does not have the right scope for operation: token scope "
                f"{scope}, endpoint scope {endpoint_scope}")}
    # every scope except the needed ones still opens nothing
    rest = ALBY_SCOPES - needed
    token = await token_with(app, created.wallet.id, rest)
    r = await client.request(method, path, headers=bearer(token), json=body)
    assert r.status_code == 401
    assert r.json()["error"].startswith(
        f"Token does not have the right scope for operation: token scope {' '.join(sorted(rest))}")


@pytest.mark.parametrize("method,path,body,needed", ALL_ENDPOINTS,
                         ids=[f"{m} {p[:24]}" for m, p, _, _ in ALL_ENDPOINTS])
async def test_bad_tokens_everywhere(client, app, wallet_factory, method, path, body, needed):
    created = await wallet_factory(sat=10)
    revoked = await app.state.gateway.mint_key("alby_token", user_id=created.user.id,
                                               wallet_id=created.wallet.id)
    await app.state.gateway.revoke_key(revoked.credential.id)
    for headers in ({}, {"Authorization": ""}, bearer("nope"), bearer("x" * 48),
                    {"Authorization": f"Basic {created.keys['alby_token']}"},
                    {"Authorization": created.keys["alby_token"]},
                    bearer(created.keys["lnbits_admin"]), bearer(created.keys["lnpay_waka"]),
                    bearer(revoked.secret)):
        r = await client.request(method, path, headers=headers, json=body)
        assert r.status_code == 401, (headers, r.text)
        assert r.json() == INVALID


async def test_bearer_scheme_is_case_insensitive_and_token_stays_out_of_logs(
        client, wallet_factory, capsys):
    created = await wallet_factory(sat=3)
    token = created.keys["alby_token"]
    r = await client.get("/balance", headers={"authorization": f"bearer  {token} "})
    assert r.status_code == 200 and r.json()["balance"] == 3
    assert token not in capsys.readouterr().out


async def test_token_sees_only_its_wallet(client, app, wallet_factory):
    a = await wallet_factory("a", sat=7)
    b = await wallet_factory("b", sat=9)
    assert (await client.get("/balance", headers=bearer(a.keys["alby_token"]))).json()[
        "balance"] == 7
    assert (await client.get("/balance", headers=bearer(b.keys["alby_token"]))).json()[
        "balance"] == 9


# -- CLI -------------------------------------------------------------------------------------

def run_cli(capsys, *args: str) -> tuple[int, dict | list | None, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 and out.out.strip() else None), out.err


def test_cli_token_lifecycle(tmp_path, capsys):
    db = ["--database", f"sqlite:///{tmp_path}/cli.db"]
    code, wallet, _ = run_cli(capsys, "wallet", "create", "--name", "shop", *db, "--json")
    assert code == 0 and wallet["alby"]["token"] and wallet["alby"]["token_id"]
    code, minted, _ = run_cli(capsys, "token", "create", "--wallet", wallet["id"], "--scopes",
                              "balance:read invoices:create", *db, "--json")
    assert code == 0
    assert minted["wallet"] == wallet["id"] and minted["scopes"] == ["balance:read",
                                                                     "invoices:create"]
    assert len(minted["token"]) >= 32
    code, listed, _ = run_cli(capsys, "token", "list", "--wallet", wallet["id"], *db, "--json")
    by_id = {c["id"]: c for c in listed}
    assert by_id[minted["id"]] == {"id": minted["id"], "kind": "alby_token",
                                   "perms": ["balance:read", "invoices:create"],
                                   "revoked": False}
    assert by_id[wallet["alby"]["token_id"]]["perms"] == sorted(ALBY_SCOPES)
    assert minted["token"] not in json.dumps(listed)  # keys are shown once
    code, revoked, _ = run_cli(capsys, "token", "revoke", minted["id"], *db, "--json")
    assert code == 0 and revoked == {"id": minted["id"], "revoked": True}
    code, listed, _ = run_cli(capsys, "token", "list", "--wallet", wallet["id"], *db, "--json")
    assert {c["id"]: c for c in listed}[minted["id"]]["revoked"] is True
    code, _, err = run_cli(capsys, "token", "revoke", minted["id"], *db, "--json")
    assert code == 1 and "already revoked" in err


def test_cli_token_create_refuses_bad_input(tmp_path, capsys):
    db = ["--database", f"sqlite:///{tmp_path}/cli.db"]
    _, wallet, _ = run_cli(capsys, "wallet", "create", "--name", "shop", *db, "--json")
    code, _, err = run_cli(capsys, "token", "create", "--wallet", wallet["id"], "--scopes",
                           "balance:read wallet:steal", *db, "--json")
    assert code == 1 and "wallet:steal" in err
    code, _, err = run_cli(capsys, "token", "create", "--wallet", wallet["id"], "--scopes",
                           " , ", *db, "--json")
    assert code == 1 and "scope" in err
    code, _, err = run_cli(capsys, "token", "create", "--wallet", "nope", *db, "--json")
    assert code == 1 and "not found" in err
    code, minted, _ = run_cli(capsys, "token", "create", "--wallet", wallet["id"], "--scopes",
                              "payments:send,balance:read", *db, "--json")
    assert code == 0 and minted["scopes"] == ["balance:read", "payments:send"]
    code, _, err = run_cli(capsys, "token", "list", "--wallet", "nope", *db, "--json")
    assert code == 1 and "not found" in err


async def test_cli_minted_token_works_over_http(tmp_path, capsys, client, app, wallet_factory):
    created = await wallet_factory(sat=5)
    # the CLI opens the same database the app uses
    db = ["--database", app.state.gateway.settings.database]
    code = await asyncio.to_thread(cli.main, ["token", "create", "--wallet", created.wallet.id,
                                              "--scopes", "balance:read", *db, "--json"])
    minted = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (await client.get("/balance", headers=bearer(minted["token"]))).json()["balance"] == 5
    r = await client.get("/invoices", headers=bearer(minted["token"]))
    assert r.status_code == 401
