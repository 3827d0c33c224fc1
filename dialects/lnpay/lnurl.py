"""Disposable LNURL-withdraw links (LUD-03), as LNPay's `lnurl/withdraw` + `lnurl-process`.

The one-time token (`ott`) is random; only an HMAC of it (keyed with a secret kept in the core's
state) names the stored offer, so neither the token nor any access key is stored in the clear.
The encoded URL names the wallet by its public `wal_` id rather than by an access key (LNPay put
the key there). Redemption pays through the core with an Idempotency-Key derived from the token,
so two racing callbacks cannot both pay: the second replays the first or is refused.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from gateway.service import Gateway
from gateway.keys import new_alnum

SECRET_STATE = "lnpay.lnurlw.secret"
OFFER_STATE = "lnpay.lnurlw.offer."
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def bech32_encode(hrp: str, data: bytes) -> str:
    """Bech32 (BIP-173 checksum) without the 90-character limit, as LNURL uses it."""
    acc, bits, words = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[w] for w in words + checksum)


def encode_lnurl(url: str) -> str:
    return bech32_encode("lnurl", url.encode()).upper()


async def _secret(gw: Gateway) -> bytes:
    secret = await gw.get_state(SECRET_STATE)
    if secret is None:
        await gw.set_state(SECRET_STATE, secrets.token_hex(32))
        secret = await gw.get_state(SECRET_STATE)
    return bytes.fromhex(secret or "")


async def token_digest(gw: Gateway, ott: str) -> str:
    return hmac.new(await _secret(gw), ott.encode(), hashlib.sha256).hexdigest()


async def issue(gw: Gateway, offer: dict[str, Any]) -> str:
    """Store an offer (wallet, credential, amounts, memo, passThru); return its token."""
    ott = new_alnum(12)
    digest = await token_digest(gw, ott)
    await gw.set_state(OFFER_STATE + digest, json.dumps({**offer, "used": False}))
    return ott


async def lookup(gw: Gateway, ott: str) -> tuple[str, dict[str, Any]] | None:
    if not ott or len(ott) > 64:
        return None
    digest = await token_digest(gw, ott)
    stored = await gw.get_state(OFFER_STATE + digest)
    return (digest, json.loads(stored)) if stored else None


async def mark_used(gw: Gateway, digest: str, offer: dict[str, Any]) -> None:
    await gw.set_state(OFFER_STATE + digest, json.dumps({**offer, "used": True}))
