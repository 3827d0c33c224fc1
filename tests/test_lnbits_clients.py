"""Real LNbits clients against a real `lngate serve`: the PyPI client pylnbits 0.0.8 and the
Python example of the LNbits API reference (seed 002), both unchanged."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.clients

HERE = Path(__file__).resolve().parent / "clients"
PYTHON = HERE / "lnbits" / ".venv" / "bin" / "python"


@pytest.fixture(scope="session")
def lnbits_clients():
    subprocess.run(["bash", str(HERE / "install-lnbits.sh")], check=True, timeout=600)
    return PYTHON


def run(python, script: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), str(HERE / "lnbits" / script)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


def test_pylnbits_wallet_invoice_payment_status(lnbits_clients, live_server):
    payee, payer = live_server.wallet("payee"), live_server.wallet("payer", sat=1000)
    out = run(lnbits_clients, "pylnbits_drive.py", {
        "LNBITS_URL": live_server.url,
        "PAYEE_IN": payee["lnbits"]["invoice_key"], "PAYEE_ADMIN": payee["lnbits"]["admin_key"],
        "PAYER_IN": payer["lnbits"]["invoice_key"], "PAYER_ADMIN": payer["lnbits"]["admin_key"]})
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["payer_before"] == {"name": "payer", "balance": 1_000_000}
    assert seen["invoice"]["payment_request"].startswith("lnbcrt2500n")
    assert seen["unpaid"] == {"paid": False, "status": "pending", "preimage": None,
                              "details": seen["unpaid"]["details"]}
    assert seen["decoded_hash"] == seen["invoice"]["payment_hash"]
    assert seen["paid"]["payment_hash"] == seen["invoice"]["payment_hash"]
    assert seen["paid"]["status"] == "success"
    assert seen["status"]["paid"] is True
    assert seen["payee_after"]["balance"] == 250_000
    assert seen["payer_after"]["balance"] == 750_000
    assert [p["memo"] for p in seen["by_memo"]] == ["pylnbits tip"]
    assert len(seen["all"]) == 1


def test_seed_002_python_example(lnbits_clients, live_server):
    user, manager = live_server.wallet("user"), live_server.wallet("manager", sat=5000)
    out = run(lnbits_clients, "seed002_example.py", {
        "LNBITS_URL": live_server.url, "MANAGER_KEY": manager["lnbits"]["admin_key"],
        "NEW_USER_INVOICE_KEY": user["lnbits"]["invoice_key"]})
    assert out.returncode == 0, out.stderr
    assert "Payment successfull." in out.stdout
    shown = live_server.cli("wallet", "show", user["id"])
    assert shown["balance_msat"] == 1_000_000
