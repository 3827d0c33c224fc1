"""Shared bits of the LNPay dialect tests."""
from __future__ import annotations

import httpx

ERROR_KEYS = {"name", "message", "code", "status"}


def keys_of(created) -> dict[str, str]:
    k = created.keys
    return {"sak": k["lnpay_sak"], "pak": k["lnpay_pak"], "waka": k["lnpay_waka"],
            "waki": k["lnpay_waki"], "wakr": k["lnpay_wakr"], "waklw": k["lnpay_waklw"],
            "wal": created.wallet.lnpay_id}


def assert_error(resp: httpx.Response, status: int, message: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == 0 and body["status"] == status
    if message is not None:
        assert body["message"] == message, body
    return body


async def external_invoice(client: httpx.AsyncClient, sat: int, **script) -> dict:
    resp = await client.post("/sim/v1/invoices", json={"amount_msat": sat * 1000, **script})
    assert resp.status_code == 201, resp.text
    return resp.json()


async def pay_from_outside(client: httpx.AsyncClient, bolt11: str) -> None:
    resp = await client.post("/sim/v1/pay", json={"bolt11": bolt11})
    assert resp.status_code == 200, resp.text
