"""The real LNPay clients, unchanged, against a real `lngate serve`: npm lnpay 1.1.4, npm
lnpay-js 0.1.2, PyPI lnpay-py 0.1.0 and PyPI Lnpay 1.0 (whose hard-coded URL is redirected by a
requests transport adapter in the driving process). Each runs the same story: balance, invoice,
withdraw of another wallet's invoice, keysend to a sim node, transfer, transactions with
pagination, lntx lookup, and a failure surfaced with LNPay's message."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.clients

HERE = Path(__file__).resolve().parent / "clients"
CLIENT_DIR = HERE / "lnpay"
PYTHON = CLIENT_DIR / ".venv" / "bin" / "python"


@pytest.fixture(scope="session")
def lnpay_clients():
    subprocess.run(["bash", str(HERE / "install-lnpay.sh")], check=True, timeout=900)
    return CLIENT_DIR


@pytest.fixture
def story(live_server):
    """A funded payer and a payee; the payee shares the payer's account (pak_) when asked."""
    def make(same_account: bool) -> dict[str, str]:
        payer = live_server.wallet("payer", sat=1000)
        payee = live_server.wallet("payee", user=payer["user"] if same_account else None)
        nodes = httpx.get(f"{live_server.url}/sim/v1/nodes", timeout=5).json()
        p, q = payer["lnpay"], payee["lnpay"]
        return {"LNGATE_URL": live_server.url, "KEYSEND_PUBKEY": nodes["nodes"][0]["pubkey"],
                "PAYER_SAK": p["secret_key"], "PAYER_PAK": p["public_key"],
                "PAYER_WAKA": p["admin_key"], "PAYER_WAKI": p["invoice_key"],
                "PAYER_WAKR": p["read_key"], "PAYER_WAL": p["wallet_id"],
                "PAYEE_SAK": q["secret_key"], "PAYEE_WAKI": q["invoice_key"],
                "PAYEE_WAL": q["wallet_id"], "PAYEE_ID": payee["id"]}
    return make


def run(command: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run(command, capture_output=True, text=True, timeout=120,
                         cwd=str(CLIENT_DIR), env={**os.environ, **env})
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_story(seen: dict, env: dict, *, invoice_memo: str) -> None:
    """What every client must have seen; amounts in sats."""
    assert seen["balance"]["id"] == env["PAYER_WAL"] and seen["balance"]["balance"] == 1000
    invoice = seen["invoice"]
    assert invoice["id"].startswith("lntx_") and invoice["settled"] == 0
    assert invoice["num_satoshis"] == 40 and invoice["memo"] == invoice_memo
    withdraw = seen["withdraw"]
    assert withdraw["id"].startswith("wtx_") and withdraw["num_satoshis"] == -40
    assert withdraw["wtxType"]["name"] == "ln_withdrawal"
    assert withdraw["lnTx"]["payment_request"] == invoice["payment_request"]
    assert withdraw["lnTx"]["settled"] == 1
    assert seen["paid_invoice"]["settled"] == 1
    assert seen["paid_invoice"]["payment_preimage"] == withdraw["lnTx"]["payment_preimage"]
    transfer = seen["transfer"]
    assert transfer["wtx_transfer_out"]["num_satoshis"] == -5
    assert transfer["wtx_transfer_in"]["num_satoshis"] == 5
    assert [w["num_satoshis"] for w in seen["all"]] == [-5, -3, -40, 1000]
    assert [w["wtxType"]["name"] for w in seen["all"]] == [
        "ln_transfer_out", "ln_withdrawal", "ln_withdrawal", "ln_deposit"]
    assert seen["all"][1]["lnTx"]["is_keysend"] == 1
    assert seen["lntx"]["id"] == withdraw["lnTx"]["id"] and seen["lntx"]["settled"] == 1
    assert seen["after"]["balance"] == 952


def check_keysend(keysend: dict, env: dict) -> None:
    assert keysend["num_satoshis"] == -3
    assert keysend["lnTx"]["payment_request"] == f"{env['KEYSEND_PUBKEY']}:3"
    assert keysend["lnTx"]["custom_records"]["5482373484"] == keysend["lnTx"]["payment_preimage"]


def test_npm_lnpay(lnpay_clients, story):
    env = story(same_account=False)
    seen = run(["node", "npm_lnpay.js"], env)
    assert seen["all"]["pagination"]["total_count"] == "4"
    seen["all"] = seen["all"]["data"]  # getTransactions answers {data, pagination}
    check_story(seen, env, invoice_memo="npm lnpay")
    check_keysend(seen["keysend"], env)
    assert seen["keysend"]["lnTx"]["custom_records"]["696969"] == "npm keysend"
    assert seen["invoice"]["passThru"] == {"orderId": "n-1", "wallet_id": env["PAYEE_WAL"]}
    assert seen["withdraw"]["passThru"] == {"method": "api", "app": "npm"}
    assert seen["page2"]["pagination"] == {"total_count": "4", "page_count": "2",
                                           "current_page": "2", "per_page": "2"}
    assert [w["num_satoshis"] for w in seen["page2"]["data"]] == [-40, 1000]
    assert seen["error"] == "invoice is already paid"


def test_npm_lnpay_js(lnpay_clients, story):
    env = story(same_account=True)
    seen = run(["node", "lnpay_js.js"], env)
    check_story(seen, env, invoice_memo="lnpay-js")
    check_keysend(seen["keysend"], env)
    assert [w["num_satoshis"] for w in seen["page2"]] == [-40, 1000]
    assert seen["lnurl"]["lnurl"].startswith("LNURL1") and len(seen["lnurl"]["ott"]) == 12
    assert seen["error"] == {"name": "Bad Request", "message": "invoice is already paid",
                             "code": 0, "status": 400}


def test_pypi_lnpay_py(lnpay_clients, story, live_server):
    env = story(same_account=True)
    seen = run([str(PYTHON), "lnpay_py_drive.py"], env)
    check_story(seen, env, invoice_memo="lnpay-py")
    check_keysend(seen["keysend"], env)
    assert seen["invoice"]["passThru"] == {"ticketId": "py", "wallet_id": env["PAYEE_WAL"]}
    assert [w["num_satoshis"] for w in seen["page2"]] == [-40, 1000]
    assert seen["lnurl"]["lnurl"].startswith("LNURL1")
    assert seen["created"]["user_label"] == "made by lnpay-py"
    assert seen["created"]["access_keys"]["Wallet Admin"][0].startswith("waka_")
    assert seen["error"]["message"] == "invoice is already paid"


def test_pypi_lnpay_1_0(lnpay_clients, story):
    env = story(same_account=False)
    seen = run([str(PYTHON), "lnpay10_drive.py"], env)
    # its payee is a wallet it created itself (POST /v1/wallet, form body, Basic pak:pak)
    created = seen["created"]
    assert created["id"].startswith("wal_") and created["user_label"] == "made by Lnpay 1.0"
    env = {**env, "PAYEE_WAL": created["id"]}
    check_story(seen, env, invoice_memo="Lnpay 1.0")
    check_keysend(seen["keysend"], env)
    assert seen["keysend"]["lnTx"]["custom_records"]["696969"] == "form"
    # passThru arrived as a JSON string in a form body
    assert seen["invoice"]["passThru"] == {"ticketId": "556", "wallet_id": created["id"]}
    assert seen["withdraw"]["passThru"] == {"method": "api", "app": "py"}
    assert [w["num_satoshis"] for w in seen["page2"]] == [-40, 1000]
    assert seen["page2_headers"] == {"x-pagination-total-count": "4",
                                     "x-pagination-page-count": "2",
                                     "x-pagination-current-page": "2",
                                     "x-pagination-per-page": "2"}
    assert seen["error"]["message"] == "invoice is already paid"
    assert seen["payee_after"]["balance"] == 45
