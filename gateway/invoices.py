"""BOLT11 decoding and validation, in one place for every dialect and backend.

The decoder is our own (see gateway/bech32.py for the bech32 layer): it reads every field
with plain integer arithmetic and checks the signature with libsecp256k1 via coincurve.
"""
from __future__ import annotations

import hashlib
import re

from coincurve import PublicKey
from coincurve.ecdsa import cdata_to_der, deserialize_compact, signature_normalize

from . import bech32
from .errors import InvalidInvoice
from .models import DecodedInvoice

CURRENCY_BY_NETWORK = {"bitcoin": "bc", "testnet": "tb", "signet": "tbs", "regtest": "bcrt"}
NETWORK_BY_CURRENCY = {v: k for k, v in CURRENCY_BY_NETWORK.items()}

MAX_BOLT11_LENGTH = 7089  # far above any real invoice; keeps hostile input cheap

DEFAULT_EXPIRY = 3600  # BOLT11 `x`
DEFAULT_MIN_FINAL_CLTV_EXPIRY = 18  # BOLT11 `c`
_MAX_INT_FIELD_BITS = 62  # x and c: anything wider cannot be stored or added to a timestamp

# longest first, so that "lnbcrt" is regtest and not mainnet with amount "rt"
_CURRENCIES = ("bcrt", "tbs", "bc", "tb")
_AMOUNT = re.compile(r"([0-9]+)([munp]?)")
# msat per unit of amount, and the divisor for pico-bitcoin (1p = 0.1 msat)
_MSAT_PER = {"": 100_000_000_000, "m": 100_000_000, "u": 100_000, "n": 100}

_TIMESTAMP_WORDS = 7  # 35 bits
_SIGNATURE_WORDS = 104  # 520 bits: 64-byte compact signature + recovery id

# tag types (5-bit values of the bech32 characters)
_P, _S, _D, _N, _H, _X, _C, _R, _9 = 1, 16, 13, 19, 23, 6, 24, 3, 5
_HOP_BITS = 264 + 64 + 32 + 32 + 16  # pubkey, short_channel_id, base fee, ppm fee, cltv delta

# BOLT9 feature names by feature index (bit // 2), as the `bolt11` library spells them
_FEATURE_NAMES = (
    "option_data_loss_protect", "initial_routing_sync", "option_upfront_shutdown_script",
    "gossip_queries", "var_onion_optin", "gossip_queries_ex", "option_static_remotekey",
    "payment_secret", "basic_mpp", "option_support_large_channel", "option_anchor_outputs",
    "option_anchors_zero_fee_htlc_tx", "option_route_blinding", "option_shutdown_anysegwit",
    "option_channel_type", "option_scid_alias", "option_payment_metadata", "option_zeroconf",
)


def decode(bolt11_str: str) -> DecodedInvoice:
    if not isinstance(bolt11_str, str) or not bolt11_str.strip():
        raise InvalidInvoice("missing BOLT11 invoice")
    text = bolt11_str.strip()
    if text.lower().startswith("lightning:"):
        text = text[len("lightning:"):]
    if len(text) > MAX_BOLT11_LENGTH:
        raise InvalidInvoice("BOLT11 invoice too long")
    try:
        hrp, values, digits = bech32.decode(text)
    except bech32.Bech32Error as exc:
        raise InvalidInvoice(f"cannot decode BOLT11 invoice: {exc}") from exc
    currency, amount_msat = _parse_hrp(hrp)

    end = len(values) - _SIGNATURE_WORDS
    if end < _TIMESTAMP_WORDS:
        raise InvalidInvoice("BOLT11 invoice too short for a timestamp and a signature")
    timestamp = int(digits[:_TIMESTAMP_WORDS], 32)

    payment_hash = payment_secret = description = description_hash = payee_field = None
    expiry = min_final_cltv = features = None
    route_hints: list[list[dict]] = []

    pos = _TIMESTAMP_WORDS
    while pos < end:
        if end - pos < 3:
            raise InvalidInvoice("truncated tagged field")
        tag = values[pos]
        length = values[pos + 1] * 32 + values[pos + 2]
        start = pos + 3
        pos = start + length
        if pos > end:
            raise InvalidInvoice(f"tagged field {bech32.CHARSET[tag]!r} runs into the signature")
        # BOLT11: skip p, h, s, n fields of the wrong length, unknown fields, and every field
        # after the first of its kind (r excepted: each r field is one route hint; d and h
        # exclude each other, first one wins)
        if tag == _P:
            if length == 52 and payment_hash is None:
                payment_hash = _bytes(digits, start, length).hex()
        elif tag == _S:
            if length == 52 and payment_secret is None:
                payment_secret = _bytes(digits, start, length).hex()
        elif tag == _H:
            if length == 52 and description_hash is None and description is None:
                description_hash = _bytes(digits, start, length).hex()
        elif tag == _N:
            if length == 53 and payee_field is None:
                payee_field = _bytes(digits, start, length)
        elif tag == _D:
            if description is None and description_hash is None:
                try:
                    description = _bytes(digits, start, length).decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidInvoice("BOLT11 description is not valid UTF-8") from None
        elif tag == _X:
            if expiry is None:
                expiry = _uint(digits, start, length, "x (expiry)")
        elif tag == _C:
            if min_final_cltv is None:
                min_final_cltv = _uint(digits, start, length, "c (min_final_cltv_expiry)")
        elif tag == _9:
            if features is None:
                features = _features(digits, start, length)
        elif tag == _R:
            route_hints.append(_route_hint(digits, start, length))
        # f (fallback address), m (metadata), t and unknown tags: not exposed, skipped

    if payment_hash is None:
        raise InvalidInvoice("BOLT11 invoice has no payment hash")

    signature = int(digits[end:], 32).to_bytes(65, "big")
    pad = (-5 * end) % 8
    signed = (int(digits[:end], 32) << pad).to_bytes((5 * end + pad) // 8, "big")
    msg_hash = hashlib.sha256(hrp.encode("ascii") + signed).digest()
    payee = _check_signature(signature, msg_hash, payee_field)

    return DecodedInvoice(
        bolt11=text.lower(),
        network=NETWORK_BY_CURRENCY[currency],
        payment_hash=payment_hash,
        amount_msat=amount_msat,
        timestamp=timestamp,
        expiry=DEFAULT_EXPIRY if expiry is None else expiry,
        payee=payee,
        description=description,
        description_hash=description_hash,
        payment_secret=payment_secret,
        min_final_cltv_expiry=(DEFAULT_MIN_FINAL_CLTV_EXPIRY if min_final_cltv is None
                               else min_final_cltv),
        features=features or {},
        route_hints=route_hints,
        signature=signature[:64].hex(),
    )


def _parse_hrp(hrp: str) -> tuple[str, int | None]:
    if not hrp.startswith("ln"):
        raise InvalidInvoice(f"not a BOLT11 invoice: prefix {hrp!r} does not start with 'ln'")
    for currency in _CURRENCIES:
        if hrp.startswith(currency, 2):
            break
    else:
        raise InvalidInvoice(f"unknown BOLT11 currency prefix in {hrp!r}")
    amount = hrp[2 + len(currency):]
    if not amount:
        return currency, None
    m = _AMOUNT.fullmatch(amount)
    if m is None:
        raise InvalidInvoice(f"malformed BOLT11 amount {amount!r}")
    number, multiplier = int(m[1]), m[2]
    if multiplier == "p":
        if number % 10:
            raise InvalidInvoice(f"BOLT11 amount {amount!r} is not a whole number of msat")
        msat = number // 10
    else:
        msat = number * _MSAT_PER[multiplier]
    # a zero amount is an amountless invoice, as the bolt11 library (and eclair) read it
    return currency, msat or None


def _bytes(digits: bytes, start: int, length: int) -> bytes:
    """The field's words as bytes, dropping the zero padding that fills the last word."""
    if not length:
        return b""
    nbits = 5 * length
    return (int(digits[start:start + length], 32) >> (nbits % 8)).to_bytes(nbits // 8, "big")


def _uint(digits: bytes, start: int, length: int, name: str) -> int:
    value = int(digits[start:start + length], 32) if length else 0
    if value.bit_length() > _MAX_INT_FIELD_BITS:
        raise InvalidInvoice(f"BOLT11 field {name} out of range")
    return value


def _features(digits: bytes, start: int, length: int) -> dict[str, str]:
    """Set feature bits as {name: "required" | "supported"}; bit 0 is the least significant
    bit of the field, even bits are required, odd bits supported."""
    bits = int(digits[start:start + length], 32) if length else 0
    features: dict[str, str] = {}
    while bits:
        low = bits & -bits
        bits ^= low
        bit = low.bit_length() - 1
        index = bit >> 1
        name = _FEATURE_NAMES[index] if index < len(_FEATURE_NAMES) else f"extra_{index}"
        if features.get(name) != "required":  # both bits set: the even (required) bit rules
            features[name] = "supported" if bit & 1 else "required"
    return features


def _route_hint(digits: bytes, start: int, length: int) -> list[dict]:
    nbits = 5 * length
    hops = nbits // _HOP_BITS
    if not hops:
        return []
    raw = (int(digits[start:start + length], 32) >> (nbits - hops * _HOP_BITS)).to_bytes(
        hops * _HOP_BITS // 8, "big")
    route = []
    for i in range(0, len(raw), _HOP_BITS // 8):
        scid = int.from_bytes(raw[i + 33:i + 41], "big")
        route.append({
            "public_key": raw[i:i + 33].hex(),
            "short_channel_id": f"{scid >> 40}x{(scid >> 16) & 0xFFFFFF}x{scid & 0xFFFF}",
            "base_fee": int.from_bytes(raw[i + 41:i + 45], "big"),
            "ppm_fee": int.from_bytes(raw[i + 45:i + 49], "big"),
            "cltv_expiry_delta": int.from_bytes(raw[i + 49:i + 51], "big"),
        })
    return route


def _check_signature(signature: bytes, msg_hash: bytes, payee: bytes | None) -> str:
    """The payee's node id: the `n` field if present (and the signature must verify against
    it), else the key recovered from the signature."""
    if payee is not None:
        try:
            key = PublicKey(payee)
            # libsecp256k1 only verifies low-S signatures; BOLT11 does not require low S
            _, sig = signature_normalize(deserialize_compact(signature[:64]))
            ok = key.verify(cdata_to_der(sig), msg_hash, hasher=None)
        except ValueError:
            ok = False
        if not ok:
            raise InvalidInvoice("BOLT11 signature does not match the payee (n field)")
        return payee.hex()
    if signature[64] > 3:
        raise InvalidInvoice("BOLT11 signature has an invalid recovery id")
    try:
        key = PublicKey.from_signature_and_message(signature, msg_hash, hasher=None)
    except ValueError:
        raise InvalidInvoice("BOLT11 signature is invalid: no public key recovers from it") \
            from None
    return key.format(compressed=True).hex()
