"""@getalby/sdk 8.0.3, unchanged, against a real `lngate serve` (tests/clients/alby/sdk_run.mjs)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from alby_support import UNKNOWN_PUBKEY

pytestmark = pytest.mark.clients

CLIENT_DIR = Path(__file__).parent / "clients" / "alby"
INSTALL = Path(__file__).parent / "clients" / "install-alby.sh"


@pytest.fixture(scope="session")
def alby_sdk() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the Alby SDK test")
    subprocess.run(["bash", str(INSTALL)], check=True, timeout=300)
    return CLIENT_DIR


def test_sdk_against_live_server(alby_sdk, live_server):
    payer = live_server.wallet("sdk-payer", sat=5000)
    payee = live_server.wallet("sdk-payee")
    readonly = live_server.cli("token", "create", "--wallet", payer["id"], "--scopes",
                               "balance:read")
    env = {**os.environ, "LNGATE_URL": live_server.url, "PAYER_TOKEN": payer["alby"]["token"],
           "PAYEE_TOKEN": payee["alby"]["token"], "READONLY_TOKEN": readonly["token"],
           "UNKNOWN_PUBKEY": UNKNOWN_PUBKEY}
    run = subprocess.run(["node", "sdk_run.mjs"], cwd=alby_sdk, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, f"{run.stderr}\n--- server log ---\n{live_server.logs()[-3000:]}"
    s = json.loads(run.stdout.strip().splitlines()[-1])

    assert s["start_balance"] == 5000
    assert s["paid"] == {"amount": 100, "fee": 0}  # internal: no routing fee
    assert s["multi"][0] == 1 and s["multi"][1] == "error 10" and s["multi"][2] == 3
    # incoming, newest first: 3 paging invoices, boostagram 5, v4v keysend 21, the first 100
    assert s["incoming"] == [3, 2, 1, 5, 21, 100]
    assert s["boostagram"] == "lngate-test"
    # 100 + 10 + 1 + 3 + 21 + 5 + 1 + 2 + 3 sent; the two failed keysends are not listed
    assert s["outgoing"] == 9
    assert s["all_payee"] == 6
    assert s["payee_balance"] == 100 + 21 + 5 + 6
    assert s["payee_summary"]["boostagrams_count"] == 1
    assert s["payee_summary"]["invoices_count"] == 6
    spent = 100 + 10 + 1 + 3 + 21 + 5 + 6
    assert 5000 - spent - 3 <= s["end_balance"] <= 5000 - spent  # keysend fees: < 1 sat each
    assert s["bad_invoice"] == [400, 8, "Bad arguments"]
    assert s["scope_error"] == [401, "Token does not have the right scope for operation: "
                                     "token scope balance:read, endpoint scope invoices:create"]
    assert s["unknown_invoice"] == [400, 8]
