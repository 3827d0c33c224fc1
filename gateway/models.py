"""Plain records the core hands to dialects. Amounts in millisatoshi, times in unix seconds."""
from __future__ import annotations

import enum
from typing import Any

import msgspec


class Perm(enum.StrEnum):
    READ = "read"  # balance, history, invoice status
    RECEIVE = "receive"  # create invoices
    SEND = "send"  # pay, keysend, transfer, settle/cancel hold invoices


ALL_PERMS = frozenset({Perm.READ, Perm.RECEIVE, Perm.SEND})


class Status(enum.StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


class Kind(enum.StrEnum):
    INVOICE = "invoice"  # incoming BOLT11 invoice
    BOLT11 = "bolt11"  # outgoing payment of a BOLT11 invoice
    KEYSEND = "keysend"  # outgoing spontaneous payment (incoming keysend: direction in)
    TRANSFER = "transfer"  # wallet-to-wallet on this gateway
    FUNDING = "funding"  # credited from the simulated network by the operator


class User(msgspec.Struct, frozen=True):
    id: str
    created_at: int


class Wallet(msgspec.Struct, frozen=True):
    id: str
    user_id: str
    name: str
    lnpay_id: str  # LNPay's public "wal_" identifier
    created_at: int
    updated_at: int
    balance_msat: int = 0


class Credential(msgspec.Struct, frozen=True):
    """A key as resolved by `Gateway.authenticate`. The key itself is never stored."""

    id: str
    kind: str  # e.g. "lnbits_admin", "lnpay_waki", "lnpay_sak", "alby_token"
    user_id: str
    wallet_id: str | None  # None for account-level keys (LNPay sak_/pak_)
    perms: frozenset[str]
    created_at: int
    revoked: bool = False

    def can(self, perm: str) -> bool:
        return not self.revoked and str(perm) in self.perms


class MintedKey(msgspec.Struct, frozen=True):
    credential: Credential
    secret: str  # shown once


class Payment(msgspec.Struct, frozen=True):
    """One wallet's side of a movement of money. An internal payment is two rows."""

    id: str
    wallet_id: str
    direction: str  # "in" | "out"
    kind: str  # Kind
    status: str  # Status
    amount_msat: int  # always positive
    fee_msat: int  # fee reserve while pending, the real routing fee once settled
    payment_hash: str
    created_at: int
    updated_at: int
    memo: str = ""
    bolt11: str | None = None
    preimage: str | None = None  # only set once known to the wallet's owner (see views)
    description_hash: str | None = None
    expires_at: int | None = None
    settled_at: int | None = None
    internal: bool = False
    hold: bool = False
    destination: str | None = None  # payee node pubkey
    custom_records: dict[str, str] = {}  # TLV type (decimal) -> value (hex)
    peer_wallet_id: str | None = None  # the other wallet of an internal payment / transfer
    failure_reason: str | None = None
    extra: dict[str, Any] = {}  # dialect-owned metadata (webhook, passThru, labels, ...)
    seq: int = 0  # global insertion order

    @property
    def is_out(self) -> bool:
        return self.direction == "out"

    @property
    def signed_amount_msat(self) -> int:
        return -self.amount_msat if self.is_out else self.amount_msat


class DecodedInvoice(msgspec.Struct, frozen=True):
    bolt11: str
    network: str
    payment_hash: str
    amount_msat: int | None
    timestamp: int
    expiry: int
    payee: str
    description: str | None = None
    description_hash: str | None = None
    payment_secret: str | None = None
    min_final_cltv_expiry: int | None = None
    features: dict[str, str] = {}
    route_hints: list[Any] = []
    signature: str = ""

    @property
    def expires_at(self) -> int:
        return self.timestamp + self.expiry


class Event(msgspec.Struct, frozen=True):
    id: int
    type: str  # "payment.created" | "payment.succeeded" | "payment.failed"
    payment_id: str
    wallet_id: str
    created_at: int


class Idempotency(msgspec.Struct, frozen=True):
    """An Idempotency-Key as a dialect passes it: the key plus a digest of the request."""

    key: str
    fingerprint: str
