"""Core records -> Alby JSON objects. Amounts in sats, times ISO-8601 (and unix where Alby
sends unix), custom record values base64 in stored objects, as Alby's API and lndhub.go do."""
from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from gateway.models import DecodedInvoice, Payment
from gateway.invoices import CURRENCY_BY_NETWORK

BOOSTAGRAM_TLV = "7629169"  # bLIP-10 podcasting 2.0 metadata (JSON)
KEYSEND_MESSAGE_TLV = "34349334"  # free-text message (WhatSat)


def sats(msat: int) -> int:
    """Amounts round down: never show more than the wallet has."""
    return msat // 1000


def fee_sats(msat: int) -> int:
    """Fees round up: never show less than was paid."""
    return -(-msat // 1000)


def iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _record_bytes(value_hex: str) -> bytes:
    try:
        return bytes.fromhex(value_hex)
    except ValueError:
        return value_hex.encode()


def custom_records_b64(records: dict[str, str]) -> dict[str, str]:
    return {k: base64.b64encode(_record_bytes(v)).decode() for k, v in records.items()}


def _record_text(records: dict[str, str], key: str) -> str | None:
    if key not in records:
        return None
    return _record_bytes(records[key]).decode("utf-8", "replace")


def _boostagram(records: dict[str, str]) -> dict[str, Any] | None:
    text = _record_text(records, BOOSTAGRAM_TLV)
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # a sender's record: anything can be in it
        return None
    return parsed if isinstance(parsed, dict) else None


STATE = {"pending": "open", "success": "settled", "failed": "error"}


def invoice(p: Payment, node_pubkey: str | None = None) -> dict[str, Any]:
    """Alby's Invoice object, for lists, GET /invoices/{hash} and POST /invoices.
    `node_pubkey`: the gateway's node, the destination of what this wallet receives."""
    alby = p.extra.get("alby") or {}
    settled = p.status == "success"
    expiry = (p.expires_at - p.created_at) if p.expires_at else None
    body: dict[str, Any] = {
        "amount": sats(p.amount_msat),
        "boostagram": _boostagram(p.custom_records),
        "comment": alby.get("comment"),
        "created_at": iso(p.created_at),
        "creation_date": p.created_at,
        "currency": "btc",
        "custom_records": custom_records_b64(p.custom_records),
        "description": p.memo,
        "description_hash": p.description_hash,
        "destination_alias": None,
        "destination_pubkey": p.destination or (None if p.is_out else node_pubkey),
        "error_message": p.failure_reason if p.status == "failed" else None,
        "expires_at": iso(p.expires_at),
        "expiry": expiry,
        "fee": fee_sats(p.fee_msat) if settled and p.is_out else 0,
        "fiat_currency": None,
        "fiat_in_cents": None,
        "first_route_hint_alias": None,
        "first_route_hint_pubkey": None,
        "identifier": p.id,
        "keysend": p.kind == "keysend",
        "keysend_message": _record_text(p.custom_records, KEYSEND_MESSAGE_TLV),
        "memo": p.memo,
        "metadata": alby.get("metadata"),
        "payer_email": alby.get("payer_email"),
        "payer_name": alby.get("payer_name"),
        "payer_pubkey": alby.get("payer_pubkey"),
        "payment_hash": p.payment_hash,
        "payment_request": p.bolt11,
        "preimage": p.preimage if settled else None,
        "r_hash_str": p.payment_hash,
        "settled": settled,
        "settled_at": iso(p.settled_at) if settled else None,
        "state": STATE.get(p.status, p.status),
        "type": "outgoing" if p.is_out else "incoming",
        "value": sats(p.amount_msat),
    }
    return body


def payment_sent(p: Payment) -> dict[str, Any]:
    """POST /payments/bolt11 answer (lndhub.go: every field but `fee` omitted when empty)."""
    body: dict[str, Any] = {
        "amount": sats(p.amount_msat),
        "description": p.memo,
        "destination": p.destination,
        "fee": fee_sats(p.fee_msat) if p.status == "success" else 0,
        "payment_hash": p.payment_hash,
        "payment_preimage": p.preimage if p.status == "success" else None,
        "payment_request": p.bolt11,
    }
    if p.description_hash:
        body["description_hash"] = p.description_hash
    return {k: v for k, v in body.items() if v not in (None, "") or k == "fee"}


def keysend_sent(p: Payment, records: dict[str, str]) -> dict[str, Any]:
    """POST /payments/keysend answer; `custom_records` echoes the request's plain strings."""
    body: dict[str, Any] = {
        "amount": sats(p.amount_msat),
        "fee": fee_sats(p.fee_msat) if p.status == "success" else 0,
        "description": p.memo,
        "destination": p.destination,
        "custom_records": records,
        "payment_hash": p.payment_hash,
        "payment_preimage": p.preimage if p.status == "success" else None,
    }
    return {k: v for k, v in body.items() if v not in (None, "") or k in ("fee", "amount")}


def decoded(inv: DecodedInvoice) -> dict[str, Any]:
    """GET /decode/bolt11/{bolt11}."""
    return {
        "currency": CURRENCY_BY_NETWORK.get(inv.network, inv.network),
        "created_at": inv.timestamp,
        "expiry": inv.expiry,
        "payee": inv.payee,
        "msatoshi": inv.amount_msat or 0,
        "description": inv.description or "",
        "description_hash": inv.description_hash,
        "payment_hash": inv.payment_hash,
        "min_final_cltv_expiry": inv.min_final_cltv_expiry,
        "amount": sats(inv.amount_msat or 0),
        "payee_alias": "",
        "route_hints": inv.route_hints,
    }
