"""Key material never appears in the database file (only hashes), in the server log, or in error
bodies, and keys are compared by hash lookup plus a constant-time compare.

A real `lngate serve` process is driven through every mounted dialect with good keys (header
and query-string forms), wrong keys (one character off), keys of another dialect and keys
without the needed permission; then every byte the server wrote is searched for every key.
"""
from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import httpx
import pytest

from gateway import keys
from tests.conftest import make_wallet

ROOT = Path(__file__).resolve().parents[2]


def secrets_of(wallet: dict) -> list[str]:
    lnpay = {k: v for k, v in wallet["lnpay"].items() if k != "wallet_id"}
    return [*wallet["lnbits"].values(), *lnpay.values(), wallet["alby"]["token"]]


def off_by_one(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


def exercise_every_dialect(http: httpx.Client, a: dict, b: dict) -> list[httpx.Response]:
    """Good requests, then failing ones; returns every response."""
    seen: list[httpx.Response] = []

    def call(method: str, url: str, **kw) -> httpx.Response:
        r = http.request(method, url, **kw)
        assert r.status_code < 500, f"{method} {url}: {r.status_code} {r.text}"
        seen.append(r)
        return r

    lnbits_a, lnbits_b = a["lnbits"], b["lnbits"]
    # LNbits: invoice by b, paid by a (header), balance read with the key in the query string
    inv = call("POST", "/api/v1/payments", headers={"X-Api-Key": lnbits_b["invoice_key"]},
               json={"out": False, "amount": 5, "memo": "secrets"}).json()
    paid = [call("POST", "/api/v1/payments", headers={"X-Api-Key": lnbits_a["admin_key"]},
                 json={"out": True, "bolt11": inv["bolt11"]})]
    call("GET", f"/api/v1/wallet?api-key={lnbits_a['invoice_key']}")
    # LNPay: keys in the path, the account key in a header and in ?access-token=
    la, lb = a["lnpay"], b["lnpay"]
    inv = call("POST", f"/v1/wallet/{lb['invoice_key']}/invoice",
               headers={"X-Api-Key": lb["secret_key"]}, json={"num_satoshis": 4}).json()
    paid += [call("POST", f"/v1/wallet/{la['admin_key']}/withdraw",
         headers={"X-Api-Key": la["secret_key"]},
                  json={"payment_request": inv.get("payment_request", "")})]
    call("GET", f"/v1/wallet/{la['read_key']}?access-token={la['secret_key']}")
    # Alby
    inv = call("POST", "/invoices", headers={"Authorization": f"Bearer {b['alby']['token']}"},
               json={"amount": 3}).json()
    paid += [call("POST", "/payments/bolt11",
                  headers={"Authorization": f"Bearer {a['alby']['token']}"},
                  json={"invoice": inv.get("payment_request", "")})]
    assert [r.status_code for r in paid] == [201, 201, 200], [r.text for r in paid]
    call("GET", "/balance", headers={"Authorization": f"Bearer {a['alby']['token']}"})

    # -- failing: wrong keys, another dialect's keys, too little permission -------------------
    for key in secrets_of(a):
        wrong = off_by_one(key)
        call("GET", "/api/v1/wallet", headers={"X-Api-Key": wrong})
        call("GET", f"/api/v1/wallet?api-key={wrong}")
        call("GET", f"/v1/wallet/{wrong}", headers={"X-Api-Key": la["secret_key"]})
        call("GET", f"/v1/wallet/{la['read_key']}?access-token={wrong}")
        call("GET", "/balance", headers={"Authorization": f"Bearer {wrong}"})
        # the right key at the wrong door
        call("GET", "/api/v1/wallet", headers={"X-Api-Key": key})
        call("GET", "/balance", headers={"Authorization": f"Bearer {key}"})
        call("GET", f"/v1/wallet/{key}", headers={"X-Api-Key": key})
    call("POST", "/api/v1/payments", headers={"X-Api-Key": lnbits_a["invoice_key"]},
         json={"out": True, "bolt11": inv.get("payment_request", "")})
    call("POST", f"/v1/wallet/{la['read_key']}/withdraw", headers={"X-Api-Key": la["public_key"]},
         json={"payment_request": "lnbcrt1garbage"})
    call("POST", "/payments/bolt11", headers={"Authorization": f"Bearer {a['alby']['token']}"},
         json={"invoice": "lnbcrt1garbage"})
    return seen


def written_bytes(database: str) -> dict[str, bytes]:
    """Every file the server's store and the sim wrote beside the database."""
    db = Path(database[len("sqlite:///"):])
    return {p.name: p.read_bytes() for p in db.parent.iterdir()
            if p.name.startswith(db.stem) or p.suffix in (".db", ".db-wal", ".db-shm")}


def test_keys_never_leave_as_plain_text(live_server):
    a = live_server.wallet("secret-a", sat=50)
    b = live_server.wallet("secret-b", sat=50)
    with httpx.Client(base_url=live_server.url, timeout=20) as http:
        responses = exercise_every_dialect(http, a, b)
    minted = secrets_of(a) + secrets_of(b)
    presented_wrong = [off_by_one(k) for k in secrets_of(a)]
    errors = [r for r in responses if r.status_code >= 400]
    assert len(errors) >= 8 * len(secrets_of(a))  # the failing requests did fail
    echoed = 0
    for r in errors:
        sent = str(r.request.url) + str(r.request.headers) + r.request.content.decode()
        for key in minted + presented_wrong:
            assert key not in str(r.headers)
            if key in sent:  # LNPay answers "Wallet not found: <the path key you sent>"
                echoed += key in r.text
                continue
            assert key not in r.text, f"error body of {r.request.url.path} names another key"

    files = written_bytes(live_server.database)
    assert any(name.endswith("-wal") for name in files) or len(files) >= 2
    blob = b"".join(files.values())
    assert keys.key_hash(a["lnbits"]["admin_key"]).encode() in blob  # we read the right files
    for key in minted + presented_wrong:
        assert key.encode() not in blob, "a key is stored in plain text"
    log = live_server.logs()
    assert "http.request" in log  # the requests were logged, without their keys
    for key in minted + presented_wrong:
        assert key not in log, "a key appears in the server log"


async def test_authentication_looks_up_the_hash_and_compares_in_constant_time(gw, monkeypatch):
    created = await make_wallet(gw)
    secret = created.keys["lnbits_admin"]
    digest = hashlib.sha256(secret.encode()).hexdigest()
    queries: list[tuple] = []
    compared: list[tuple] = []
    fetchone = gw.store.fetchone
    constant_time = hmac.compare_digest

    async def spy_fetchone(sql, params=()):
        queries.append((sql, tuple(params)))
        return await fetchone(sql, params)

    def spy_compare(x, y):
        compared.append((x, y))
        return constant_time(x, y)

    monkeypatch.setattr(gw.store, "fetchone", spy_fetchone)
    monkeypatch.setattr("gateway.service.hmac.compare_digest", spy_compare)
    assert (await gw.authenticate(secret)).wallet_id == created.wallet.id
    assert await gw.authenticate(off_by_one(secret)) is None
    lookups = [q for q in queries if "credentials" in q[0]]
    assert lookups and all(params == (keys.key_hash(k),) for (_, params), k
                           in zip(lookups, [secret, off_by_one(secret)]))
    assert all(secret not in str(params) for _, params in queries)
    assert compared == [(digest, digest)]  # the found row's hash, compared constant-time


@pytest.mark.parametrize("dialect", sorted(p.name for p in (ROOT / "dialects").iterdir()
                                           if p.is_dir() and not p.name.startswith("_")))
def test_dialects_check_keys_only_through_the_core(dialect):
    """No dialect reads the credentials table or hashes/compares keys itself: every key goes
    through gw.authenticate (hash lookup + hmac.compare_digest)."""
    sources = {p.name: p.read_text() for p in (ROOT / "dialects" / dialect).glob("*.py")}
    for name, text in sources.items():
        assert "FROM credentials" not in text and "key_hash" not in text, f"{dialect}/{name}"
    assert any(".authenticate(" in text for text in sources.values()), dialect
