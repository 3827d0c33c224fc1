"""Key minting in each dialect's format, and hashing: only sha256 digests of keys are stored."""
from __future__ import annotations

import hashlib
import secrets
import string

from .models import Perm

_ALNUM = string.ascii_letters + string.digits

# kind -> (prefix, random length, alphabet, permissions, wallet-level?)
KEY_KINDS: dict[str, tuple[str, int, str, frozenset[str], bool]] = {
    "lnbits_admin": ("", 32, "hex", frozenset({Perm.READ, Perm.RECEIVE, Perm.SEND}), True),
    "lnbits_invoice": ("", 32, "hex", frozenset({Perm.READ, Perm.RECEIVE}), True),
    "lnpay_waka": ("waka_", 24, "alnum", frozenset({Perm.READ, Perm.RECEIVE, Perm.SEND}), True),
    "lnpay_waki": ("waki_", 24, "alnum", frozenset({Perm.READ, Perm.RECEIVE}), True),
    "lnpay_wakr": ("wakr_", 24, "alnum", frozenset({Perm.READ}), True),
    "lnpay_waklw": ("waklw_", 24, "alnum", frozenset({Perm.READ, Perm.SEND}), True),
    "lnpay_sak": ("sak_", 32, "alnum", frozenset({Perm.READ, Perm.RECEIVE, Perm.SEND}), False),
    "lnpay_pak": ("pak_", 32, "alnum", frozenset(), False),
    "alby_token": ("", 48, "alnum", frozenset(), True),  # Alby scopes are its permissions
}

WALLET_KEY_KINDS = [k for k, spec in KEY_KINDS.items() if spec[4]]
USER_KEY_KINDS = [k for k, spec in KEY_KINDS.items() if not spec[4]]

ALBY_SCOPES = frozenset({
    "account:read", "balance:read", "invoices:create", "invoices:read",
    "transactions:read", "payments:send",
})


def mint_secret(kind: str) -> str:
    prefix, length, alphabet, _, _ = KEY_KINDS[kind]
    if alphabet == "hex":
        return prefix + secrets.token_hex(length // 2)
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def default_perms(kind: str) -> frozenset[str]:
    if kind == "alby_token":
        return ALBY_SCOPES
    return frozenset(str(p) for p in KEY_KINDS[kind][3])


def key_hash(secret: str) -> str:
    # Keys carry >=128 bits of entropy, so a plain digest is enough (no per-key salt needed
    # for lookup by hash).
    return hashlib.sha256(secret.encode()).hexdigest()


def new_id(n: int = 32) -> str:
    return secrets.token_hex(n // 2)


def new_alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))
