"""BOLT11 decoding and validation, in one place for every dialect and backend."""
from __future__ import annotations

import bolt11

from .errors import InvalidInvoice
from .models import DecodedInvoice

CURRENCY_BY_NETWORK = {"bitcoin": "bc", "testnet": "tb", "signet": "tbs", "regtest": "bcrt"}
NETWORK_BY_CURRENCY = {v: k for k, v in CURRENCY_BY_NETWORK.items()}

MAX_BOLT11_LENGTH = 7089  # far above any real invoice; keeps hostile input cheap


def decode(bolt11_str: str) -> DecodedInvoice:
    if not isinstance(bolt11_str, str) or not bolt11_str.strip():
        raise InvalidInvoice("missing BOLT11 invoice")
    text = bolt11_str.strip()
    if text.lower().startswith("lightning:"):
        text = text[len("lightning:"):]
    if len(text) > MAX_BOLT11_LENGTH:
        raise InvalidInvoice("BOLT11 invoice too long")
    try:
        inv = bolt11.decode(text)
    except Exception as exc:  # the library raises many unrelated exception types
        raise InvalidInvoice(f"cannot decode BOLT11 invoice: {exc}") from exc
    network = NETWORK_BY_CURRENCY.get(inv.currency)
    if network is None:
        raise InvalidInvoice(f"unknown BOLT11 currency prefix {inv.currency!r}")
    features = {}
    if inv.features:
        try:
            features = {k: str(v) for k, v in inv.features.readable().items()}
        except Exception:
            features = {}
    route_hints = [[r._asdict() for r in hint.routes] for hint in (inv.route_hints or [])]
    return DecodedInvoice(
        bolt11=text.lower(),
        network=network,
        payment_hash=inv.payment_hash,
        amount_msat=int(inv.amount_msat) if inv.amount_msat else None,
        timestamp=int(inv.date),
        expiry=int(inv.expiry),
        payee=inv.payee or "",
        description=inv.description,
        description_hash=inv.description_hash,
        payment_secret=inv.payment_secret,
        min_final_cltv_expiry=inv.min_final_cltv_expiry,
        features=features,
        route_hints=route_hints,
        signature=inv.signature.hex if inv.signature else "",
    )
