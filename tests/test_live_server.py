"""The server as a user starts it: a process answering HTTP, and the CLI beside it."""
import httpx


def test_health_and_cli_wallet(live_server):
    health = httpx.get(f"{live_server.url}/health", timeout=5)
    assert health.status_code == 200
    assert health.json()["backend"] == "sim"
    created = live_server.wallet("alice", sat=2500)
    assert created["balance_msat"] == 2_500_000
    assert set(created["lnbits"]) == {"admin_key", "invoice_key"}
    assert created["lnpay"]["wallet_id"].startswith("wal_")
    assert created["lnpay"]["admin_key"].startswith("waka_")
    assert created["lnpay"]["secret_key"].startswith("sak_")
    assert created["alby"]["token"]
    shown = live_server.cli("wallet", "show", created["id"])
    assert shown["balance_msat"] == 2_500_000
    listed = live_server.cli("wallet", "list")
    assert created["id"] in [w["id"] for w in listed]
    # a key is shown once: nothing the CLI prints later contains it
    assert created["lnbits"]["admin_key"] not in str(listed)


def test_imported_legacy_lnpay_key_works_over_http(live_server):
    """Migrating from LNPay: an old wi_ key, registered by hash, authenticates as an invoice
    key and is refused where an invoice key is refused."""
    import subprocess

    from tests.conftest import LNGATE
    created = live_server.wallet("legacy", sat=10)
    legacy = "wi_Opnn4kLegacyInvoiceKey1234"
    out = subprocess.run([LNGATE, "key", "import", "--kind", "lnpay_waki", "--wallet",
                          created["id"], "--database", live_server.database, "--json"],
                         input=legacy + "\n", capture_output=True, text=True, timeout=60,
                         env=live_server.env)
    assert out.returncode == 0, out.stderr
    assert legacy not in out.stdout
    pak = {"X-Api-Key": created["lnpay"]["public_key"]}
    got = httpx.get(f"{live_server.url}/v1/wallet/{legacy}", headers=pak, timeout=5)
    assert got.status_code == 200 and got.json()["id"] == created["lnpay"]["wallet_id"]
    refused = httpx.post(f"{live_server.url}/v1/wallet/{legacy}/withdraw", headers=pak,
                         json={"payment_request": "lnbcrt1"}, timeout=5)
    assert refused.status_code == 401
    assert refused.json()["message"].startswith("wi_ access key provided does not permission")
    again = subprocess.run([LNGATE, "key", "import", "--kind", "lnpay_waki", "--wallet",
                            created["id"], "--database", live_server.database],
                           input=legacy + "\n", capture_output=True, text=True, timeout=60,
                           env=live_server.env)
    assert again.returncode == 1 and "already registered" in again.stderr
