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
