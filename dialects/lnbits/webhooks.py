"""Per-invoice webhooks, delivered from the core's durable event log.

LNbits POSTs the paid invoice's Payment object to its `webhook` once it succeeds. We follow
`payment.succeeded` events with a cursor kept in the core's durable state, together with the
queue of deliveries still owed, in ONE state value: a restart neither loses a delivery nor
repeats one that was recorded. Unlike LNbits (which never retries), a failed delivery is
retried with exponential backoff up to `webhook_max_attempts`. Each attempt's outcome is
recorded as LNbits does, in `webhook_status` ("200", "500", "-1" for no answer).
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import structlog

from gateway.errors import NotFound
from gateway.models import Payment
from gateway.service import Gateway

from .views import NS, meta, payment_json

log = structlog.get_logger("lngate.lnbits.webhook")

STATE_KEY = "lnbits.webhooks"
USER_AGENT = "LNbits/1.6.2"
IDLE_WAIT = 5.0


class WebhookWorker:
    def __init__(self, gw: Gateway, *, transport: httpx.AsyncBaseTransport | None = None,
                 backoff: float = 2.0, max_backoff: float = 600.0) -> None:
        self.gw = gw
        self.transport = transport
        self.backoff = backoff
        self.max_backoff = max_backoff

    async def run(self) -> None:
        async with httpx.AsyncClient(transport=self.transport, follow_redirects=False,
                                     timeout=self.gw.settings.webhook_timeout) as client:
            while True:
                try:
                    wait = await self.step(client)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook.step_failed")
                    wait = IDLE_WAIT
                await self.gw.wait_for_change(wait)

    async def _load(self) -> dict[str, Any]:
        raw = await self.gw.get_state(STATE_KEY)
        state = json.loads(raw) if raw else {}
        return {"cursor": state.get("cursor", 0), "queue": state.get("queue", {})}

    async def _save(self, state: dict[str, Any]) -> None:
        await self.gw.set_state(STATE_KEY, json.dumps(state, separators=(",", ":")))

    async def step(self, client: httpx.AsyncClient) -> float:
        """Queue the webhooks of newly paid invoices, attempt those due; seconds to sleep."""
        state = await self._load()
        while events := await self.gw.events_after(state["cursor"], types=["payment.succeeded"]):
            for event in events:
                payment = await self.gw.get_payment(event.payment_id)
                if _owes_webhook(payment):
                    state["queue"].setdefault(payment.id, {"attempts": 0, "next": 0})
            state["cursor"] = events[-1].id
            await self._save(state)
        now = time.time()
        due = [pid for pid, item in state["queue"].items() if item["next"] <= now]
        if due:
            results = await asyncio.gather(*(self._deliver(client, pid) for pid in due))
            for pid, ok in zip(due, results):
                item = state["queue"][pid]
                item["attempts"] += 1
                if ok or item["attempts"] >= self.gw.settings.webhook_max_attempts:
                    del state["queue"][pid]
                else:
                    delay = min(self.max_backoff, self.backoff * 2 ** (item["attempts"] - 1))
                    item["next"] = time.time() + delay
            await self._save(state)
        pending = [item["next"] for item in state["queue"].values()]
        return max(0.05, min(pending) - time.time()) if pending else IDLE_WAIT

    async def _deliver(self, client: httpx.AsyncClient, payment_id: str) -> bool:
        try:
            payment = await self.gw.get_payment(payment_id)
        except NotFound:
            return True
        url = meta(payment).get("webhook")
        if not url or _delivered(meta(payment)):  # e.g. recorded just before a restart
            return True
        body = payment_json(payment)
        body["webhook_status"] = None
        # LNbits sends `json=payment.json()`: a JSON string holding the Payment JSON.
        content = json.dumps(json.dumps(body))
        try:
            response = await client.post(url, content=content, headers={
                "Content-Type": "application/json", "User-Agent": USER_AGENT})
            status = str(response.status_code)
            ok = response.is_success
        except httpx.HTTPError as exc:
            status, ok = "-1", False
            log.info("webhook.unreachable", payment_id=payment_id, error=type(exc).__name__)
        await self.gw.update_payment_extra(payment.id, {NS: {**meta(payment),
                                                             "webhook_status": status}})
        log.info("webhook.delivered" if ok else "webhook.failed", payment_id=payment_id,
                 status=status)
        return ok


def _owes_webhook(payment: Payment) -> bool:
    m = meta(payment)
    return payment.direction == "in" and bool(m.get("webhook")) and not _delivered(m)


def _delivered(m: dict[str, Any]) -> bool:
    status = m.get("webhook_status")
    return isinstance(status, str) and status.startswith("2")
