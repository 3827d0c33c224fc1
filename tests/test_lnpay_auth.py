"""LNPay dialect: who may call what. Every key kind on every endpoint, and LNPay's exact 401s."""
from __future__ import annotations

import base64

import pytest

from dialects.lnpay.auth import PAK_WALLET_KEY, SAK_ONLY
from dialects.lnpay.errors import INVALID_CREDENTIALS
from tests.lnpay_helpers import assert_error, keys_of

# endpoint -> (method, path suffix, LNPay permission)
ENDPOINTS = {
    "view": ("GET", "", "wallet_read"),
    "transactions": ("GET", "/transactions", "wallet_read"),
    "invoice": ("POST", "/invoice", "wallet_deposit"),
    "withdraw": ("POST", "/withdraw", "wallet_withdraw"),
    "keysend": ("POST", "/keysend", "wallet_withdraw"),
    "lnurl": ("GET", "/lnurl/withdraw", "wallet_withdraw"),
    "transfer": ("POST", "/transfer", "wallet_transfer"),
}
ALLOWED = {
    "waka": {"view", "transactions", "invoice", "withdraw", "keysend", "lnurl", "transfer"},
    "waki": {"view", "transactions", "invoice"},
    "wakr": {"view", "transactions"},
    "waklw": {"view", "transactions", "withdraw", "keysend", "lnurl"},
}


@pytest.fixture
async def alice(wallet_factory):
    return keys_of(await wallet_factory("alice", sat=100))


async def call(client, endpoint, path_key, api_key):
    method, suffix, _ = ENDPOINTS[endpoint]
    # empty bodies: an allowed call stops at validation (400), a denied one at auth (401)
    return await client.request(method, f"/v1/wallet/{path_key}{suffix}",
                                headers={"X-Api-Key": api_key}, json={} if method == "POST"
                                else None)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("wallet_key", sorted(ALLOWED))
async def test_pak_with_each_wallet_key(client, alice, endpoint, wallet_key):
    resp = await call(client, endpoint, alice[wallet_key], alice["pak"])
    if endpoint in ALLOWED[wallet_key]:
        assert resp.status_code in (200, 201, 400), resp.text
    else:
        perm = ENDPOINTS[endpoint][2]
        assert_error(resp, 401, f"{wallet_key}_ access key provided does not permission to do"
                                f" this: {perm}")
        assert resp.headers["www-authenticate"] == 'Basic realm="api"'


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("path", ["wal", "waki", "wakr"])
async def test_sak_may_do_everything_on_its_wallets(client, alice, endpoint, path):
    resp = await call(client, endpoint, alice[path], alice["sak"])
    assert resp.status_code in (200, 201, 400), resp.text


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
async def test_pak_cannot_name_a_wallet_by_id(client, alice, endpoint):
    assert_error(await call(client, endpoint, alice["wal"], alice["pak"]), 401, PAK_WALLET_KEY)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
async def test_another_accounts_wallet_is_not_found(client, alice, wallet_factory, endpoint):
    bob = keys_of(await wallet_factory("bob"))
    for path in (bob["wal"], bob["waka"]):
        assert_error(await call(client, endpoint, path, alice["sak"]), 401,
                     f"Wallet not found: {path}")
        assert_error(await call(client, endpoint, path, alice["pak"]), 401, PAK_WALLET_KEY)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
async def test_missing_or_wrong_api_key(client, alice, endpoint):
    method, suffix, _ = ENDPOINTS[endpoint]
    url = f"/v1/wallet/{alice['waka']}{suffix}"
    assert_error(await client.request(method, url), 401, INVALID_CREDENTIALS)
    for wrong in ("sak_nope", alice["waka"], ""):  # a wallet key is no account key
        resp = await client.request(method, url, headers={"X-Api-Key": wrong})
        assert_error(resp, 401, INVALID_CREDENTIALS)


async def test_three_ways_to_present_the_account_key(client, alice):
    url = f"/v1/wallet/{alice['wakr']}"
    for headers, params in (({"x-api-key": alice["pak"]}, None),
                            ({"X-API-KEY": alice["sak"]}, None),
                            ({}, {"access-token": alice["pak"]})):
        resp = await client.get(url, headers=headers, params=params)
        assert resp.status_code == 200, resp.text
        assert resp.json()["id"] == alice["wal"]
    # HTTP Basic: the username is the key; PyPI Lnpay sends it as the password too
    for password in ("", alice["pak"], "anything"):
        token = base64.b64encode(f"{alice['pak']}:{password}".encode()).decode()
        resp = await client.get(url, headers={"Authorization": f"Basic {token}"})
        assert resp.status_code == 200, resp.text
    bad = base64.b64encode(b"pak_unknown:pak_unknown").decode()
    assert_error(await client.get(url, headers={"Authorization": f"Basic {bad}"}), 401,
                 INVALID_CREDENTIALS)


async def test_sak_only_endpoints(client, alice):
    for path in ("/v1/wallets", "/v1/wallet-transactions"):
        assert_error(await client.get(path, headers={"X-Api-Key": alice["pak"]}), 401,
                     SAK_ONLY)
        assert_error(await client.get(path), 401, INVALID_CREDENTIALS)
        resp = await client.get(path, headers={"X-Api-Key": alice["sak"]})
        assert resp.status_code == 200


async def test_revoked_keys_stop_working(client, app, wallet_factory):
    created = await wallet_factory("w", sat=10)
    k = keys_of(created)
    gw = app.state.gateway
    creds = {c.kind: c for c in await gw.list_credentials(wallet_id=created.wallet.id)}
    await gw.revoke_key(creds["lnpay_wakr"].id)
    assert_error(await client.get(f"/v1/wallet/{k['wakr']}", headers={"X-Api-Key": k["pak"]}),
                 401, PAK_WALLET_KEY)
    assert (await client.get(f"/v1/wallet/{k['waki']}", headers={"X-Api-Key": k["pak"]})
            ).status_code == 200


async def test_imported_legacy_keys_act_as_their_new_kind(client, app, wallet_factory):
    """wa_/wi_/wr_ keys a migrating LNPay user brings are registered with gw.import_key."""
    created = await wallet_factory("legacy", sat=50)
    k = keys_of(created)
    gw = app.state.gateway
    legacy = {"wa_": "lnpay_waka", "wi_": "lnpay_waki", "wr_": "lnpay_wakr"}
    secrets_ = {}
    for prefix, kind in legacy.items():
        secret = prefix + "Opnn4kGOGBMnfCLFXtsDnjTb"
        cred = await gw.import_key(kind, secret, user_id=created.user.id,
                                   wallet_id=created.wallet.id)
        assert cred.kind == kind and cred.wallet_id == created.wallet.id
        secrets_[prefix] = secret
    headers = {"X-Api-Key": k["pak"]}
    for secret in secrets_.values():
        resp = await client.get(f"/v1/wallet/{secret}", headers=headers)
        assert resp.status_code == 200 and resp.json()["balance"] == 50
    resp = await client.post(f"/v1/wallet/{secrets_['wi_']}/invoice", headers=headers,
                             json={"num_satoshis": 1})
    assert resp.status_code == 201
    assert_error(await client.post(f"/v1/wallet/{secrets_['wi_']}/withdraw", headers=headers,
                                   json={"payment_request": "lnbc1"}), 401,
                 "wi_ access key provided does not permission to do this: wallet_withdraw")
    assert_error(await client.post(f"/v1/wallet/{secrets_['wr_']}/invoice", headers=headers,
                                   json={}), 401,
                 "wr_ access key provided does not permission to do this: wallet_deposit")
    resp = await client.post(f"/v1/wallet/{secrets_['wa_']}/withdraw", headers=headers, json={})
    assert_error(resp, 400, "Payment Request cannot be blank.")


async def test_import_key_core_rules(gw):
    """gw.import_key: the generic core addition used to bring LNPay keys along."""
    from gateway.errors import InvalidRequest, NotFound
    from gateway.keys import key_hash

    created = await gw.create_wallet("w")
    cred = await gw.import_key("lnpay_wakr", "wr_legacyKey12345", user_id=created.user.id,
                               wallet_id=created.wallet.id)
    assert (await gw.authenticate("wr_legacyKey12345")).id == cred.id
    row = await gw.store.fetchone("SELECT key_hash FROM credentials WHERE id = ?", (cred.id,))
    assert row["key_hash"] == key_hash("wr_legacyKey12345")  # only the hash is stored
    with pytest.raises(InvalidRequest):  # the same key twice
        await gw.import_key("lnpay_wakr", "wr_legacyKey12345", user_id=created.user.id,
                            wallet_id=created.wallet.id)
    with pytest.raises(InvalidRequest):
        await gw.import_key("lnpay_nope", "wr_otherKey123456", user_id=created.user.id)
    with pytest.raises(InvalidRequest):  # a wallet key needs its wallet
        await gw.import_key("lnpay_waka", "wa_otherKey123456", user_id=created.user.id)
    with pytest.raises(InvalidRequest):
        await gw.import_key("lnpay_sak", "short", user_id=created.user.id)
    with pytest.raises(NotFound):
        await gw.import_key("lnpay_sak", "sak_imported12345", user_id="nobody")
    account = await gw.import_key("lnpay_sak", "sak_imported12345", user_id=created.user.id)
    assert account.wallet_id is None and account.can("send")
