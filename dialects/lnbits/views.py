"""The core's records in LNbits' JSON: Payment and Wallet objects, ISO-8601 times, msat."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from gateway.models import Payment, Wallet

NS = "lnbits"  # our key inside Payment.extra


def iso(ts: int | None, *, tz: bool = True) -> str | None:
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.isoformat() if tz else moment.replace(tzinfo=None).isoformat()


def meta(payment: Payment) -> dict[str, Any]:
    """This dialect's metadata of a payment (webhook, labels, user extra, ...)."""
    value = payment.extra.get(NS)
    return value if isinstance(value, dict) else {}


def checking_id(payment: Payment) -> str:
    # LNbits names the payer's side of an internal payment apart from the payee's invoice.
    if payment.is_out and payment.internal:
        return f"internal_{payment.payment_hash}"
    return payment.payment_hash


def payment_json(payment: Payment, *, fresh: bool = False) -> dict[str, Any]:
    """A Payment object. `fresh`: as in the create response (expiry without a timezone)."""
    m = meta(payment)
    labels = list(m.get("labels") or [])
    if payment.failure_reason == "expired" and "expired" not in labels:
        labels.append("expired")
    extra = dict(m.get("extra") or {})
    if payment.hold:
        extra["hold_invoice"] = True
        if payment.status == "failed" and payment.direction == "in":
            extra["hold_invoice_cancelled"] = True
    fee = -payment.fee_msat if payment.is_out else 0
    return {
        "checking_id": checking_id(payment),
        "payment_hash": payment.payment_hash,
        "wallet_id": payment.wallet_id,
        "amount": payment.signed_amount_msat,
        "fee": fee,
        "bolt11": payment.bolt11 or "",
        "payment_request": payment.bolt11 or "",
        "fiat_provider": None,
        "status": payment.status,
        "memo": payment.memo,
        "expiry": iso(payment.expires_at, tz=not fresh),
        "webhook": m.get("webhook"),
        "webhook_status": m.get("webhook_status"),
        "preimage": payment.preimage,
        "tag": m.get("tag"),
        "extension": m.get("extension"),
        "time": iso(payment.created_at),
        "created_at": iso(payment.created_at),
        "updated_at": iso(payment.updated_at),
        "labels": labels,
        "extra": extra,
        "external_id": m.get("external_id"),
    }


def wallet_json(wallet: Wallet, *, adminkey: str | None = None,
                inkey: str | None = None) -> dict[str, Any]:
    """LNbits' full Wallet object. Keys are shown only when the caller holds them: the core
    keeps only their hashes."""
    return {
        "id": wallet.id, "user": wallet.user_id, "wallet_type": "lightning",
        "adminkey": adminkey, "inkey": inkey, "name": wallet.name, "shared_wallet_id": None,
        "deleted": False, "created_at": iso(wallet.created_at),
        "updated_at": iso(wallet.updated_at), "currency": None, "lightning_address": None,
        "balance_msat": wallet.balance_msat,
        "extra": {"icon": "flash_on", "color": "primary", "pinned": False, "shared_with": []},
        "stored_paylinks": {"links": []}, "share_permissions": [],
    }
