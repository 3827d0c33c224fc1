"""The same money operations through each dialect's HTTP API, for the race suites: a wallet is
the JSON `lngate wallet create --json` prints (every dialect's keys)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway import repo
from gateway.ledger import check_invariants
from gateway.store.sqlite import SQLiteStore


# -- the dialects' error shapes and what counts as a server error ----------------------------

def lnbits_error(status: int, body: Any) -> bool:
    if status == 429:
        return isinstance(body, dict) and set(body) == {"error"}
    # the decode endpoint answers {"message": ...} like LNbits
    return isinstance(body, dict) and ("detail" in body or set(body) == {"message"})


def lnpay_error(status: int, body: Any) -> bool:
    return (isinstance(body, dict) and set(body) == {"name", "message", "code", "status"}
            and body["status"] == status and body["code"] == 0)


def alby_error(status: int, body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if set(body) == {"keysends"}:  # a multi-keysend whose every part failed: each in Alby's shape
        return status == 500 and all(alby_error(400, k["error"]) for k in body["keysends"])
    if set(body) == {"status", "error"}:  # the API gateway's auth errors
        return status in (401, 403) and body["status"] == status
    return body.get("error") is True and isinstance(body.get("code"), int) and "message" in body


def lnbits_server_error(status: int, body: Any) -> bool:
    return status >= 500 and status != 520  # 520: LNbits' payment failure, money did not move


def lnpay_server_error(status: int, body: Any) -> bool:
    return status >= 500 and not (status == 500 and isinstance(body, dict) and body.get(
        "message", "").endswith("for unknown reason"))


def alby_server_error(status: int, body: Any) -> bool:
    # code 10: the payment failed (lndhub.go's 500); code 6 is "Something went wrong"
    if isinstance(body, dict) and set(body) == {"keysends"}:
        return False  # every keysend of a multi-keysend failed; alby_error checks each
    return status >= 500 and not (isinstance(body, dict) and body.get("code") == 10)


@dataclass
class Outcome:
    ok: bool
    status: int
    body: dict

    @property
    def text(self) -> str:
        return str(self.body)


def _outcome(r: httpx.Response, ok_status: int) -> Outcome:
    return Outcome(r.status_code == ok_status, r.status_code, r.json())


class Lnbits:
    name = "lnbits"

    @staticmethod
    def h(w):
        return {"X-Api-Key": w["lnbits"]["admin_key"]}

    async def pay(self, c, w, bolt11) -> Outcome:
        r = await c.post("/api/v1/payments", headers=self.h(w), json={"out": True, "bolt11": bolt11})
        return _outcome(r, 201)

    async def invoice(self, c, w, sat) -> str:
        r = await c.post("/api/v1/payments", headers=self.h(w), json={"out": False, "amount": sat})
        assert r.status_code == 201, r.text
        return r.json()["bolt11"]

    async def balance_msat(self, c, w) -> int:
        r = await c.get("/api/v1/wallet", headers=self.h(w))
        assert r.status_code == 200, r.text
        return r.json()["balance"]

    @staticmethod
    def refused_for_balance(o: Outcome) -> bool:
        return o.status == 520 and (o.body["detail"] == "Insufficient balance."
                                    or o.body["detail"].startswith("You must reserve"))

    @staticmethod
    def refused_as_paid(o: Outcome) -> bool:
        return o.status == 520 and o.body["detail"] in (
            "Internal invoice already paid.", "Payment already paid.", "Payment is still pending.")


class Lnpay:
    name = "lnpay"

    @staticmethod
    def h(w):
        return {"X-Api-Key": w["lnpay"]["secret_key"]}

    async def pay(self, c, w, bolt11) -> Outcome:
        r = await c.post(f"/v1/wallet/{w['lnpay']['admin_key']}/withdraw", headers=self.h(w),
                         json={"payment_request": bolt11})
        return _outcome(r, 201)

    async def keysend(self, c, w, pubkey, sat) -> Outcome:
        r = await c.post(f"/v1/wallet/{w['lnpay']['admin_key']}/keysend", headers=self.h(w),
                         json={"dest_pubkey": pubkey, "num_satoshis": sat})
        return _outcome(r, 201)

    async def transfer(self, c, w, dest, sat) -> Outcome:
        r = await c.post(f"/v1/wallet/{w['lnpay']['admin_key']}/transfer", headers=self.h(w),
                         json={"dest_wallet_id": dest["lnpay"]["wallet_id"], "num_satoshis": sat})
        return _outcome(r, 201)

    async def invoice(self, c, w, sat) -> str:
        r = await c.post(f"/v1/wallet/{w['lnpay']['invoice_key']}/invoice", headers=self.h(w),
                         json={"num_satoshis": sat})
        assert r.status_code == 201, r.text
        return r.json()["payment_request"]

    async def balance_msat(self, c, w) -> int:
        r = await c.get(f"/v1/wallet/{w['lnpay']['read_key']}", headers=self.h(w))
        assert r.status_code == 200, r.text
        return r.json()["balance"] * 1000

    @staticmethod
    def refused_for_balance(o: Outcome) -> bool:
        return o.status == 400 and (o.body["message"].startswith("Invoice too large :)")
                                    or o.body["message"] == "Insufficient balance in source wallet")

    @staticmethod
    def refused_as_paid(o: Outcome) -> bool:
        return o.status == 400 and o.body["message"] in ("invoice is already paid",
                                                         "payment is in transition")


class Alby:
    name = "alby"

    @staticmethod
    def h(w):
        return {"Authorization": f"Bearer {w['alby']['token']}"}

    async def pay(self, c, w, bolt11) -> Outcome:
        r = await c.post("/payments/bolt11", headers=self.h(w), json={"invoice": bolt11})
        return _outcome(r, 200)

    async def keysend(self, c, w, pubkey, sat) -> Outcome:
        r = await c.post("/payments/keysend", headers=self.h(w),
                         json={"destination": pubkey, "amount": sat})
        return _outcome(r, 200)

    async def invoice(self, c, w, sat) -> str:
        r = await c.post("/invoices", headers=self.h(w), json={"amount": sat})
        assert r.status_code == 200, r.text
        return r.json()["payment_request"]

    async def balance_msat(self, c, w) -> int:
        r = await c.get("/balance", headers=self.h(w))
        assert r.status_code == 200, r.text
        return r.json()["balance"] * 1000

    @staticmethod
    def refused_for_balance(o: Outcome) -> bool:
        return o.status == 400 and o.body["code"] == 2 and o.body["message"].startswith(
            "not enough balance")

    @staticmethod
    def refused_as_paid(o: Outcome) -> bool:
        return o.status == 500 and o.body["code"] == 10


DIALECTS = [Lnbits(), Lnpay(), Alby()]


def http_client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=60,
                             limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))


async def sim_invoice(c: httpx.AsyncClient, sat: int, **script) -> dict:
    r = await c.post("/sim/v1/invoices", json={"amount_msat": sat * 1000, **script})
    assert r.status_code == 201, r.text
    return r.json()


async def sim_pubkey(c: httpx.AsyncClient) -> str:
    return (await c.get("/sim/v1/nodes")).json()["nodes"][0]["pubkey"]


async def ledger_problems(database_url: str) -> list[str]:
    """Open the stopped server's database and check the books."""
    store = SQLiteStore(database_url.removeprefix("sqlite:///"))
    await store.open()
    try:
        return await check_invariants(store)
    finally:
        await store.close()


async def wallet_balances(database_url: str) -> dict[str, int]:
    store = SQLiteStore(database_url.removeprefix("sqlite:///"))
    await store.open()
    try:
        rows = await store.fetchall(repo.WALLET_SELECT)
        return {r["id"]: repo.to_wallet(r).balance_msat for r in rows}
    finally:
        await store.close()


def db_file(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))
