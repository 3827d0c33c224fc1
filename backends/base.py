"""The backend protocol: what the core needs from a Lightning node.

A backend never touches the store; the core persists anything a backend must remember
(for example the settled-invoice stream index) and hands it back on start.
Amounts are integer millisatoshi. Custom TLV record values are bytes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import AsyncIterator, Protocol


class PayStatus(enum.Enum):
    SETTLED = "settled"  # the payment reached its destination: preimage known
    FAILED = "failed"  # definitely failed: no money left the node
    PENDING = "pending"  # the node says it is still in flight
    UNKNOWN = "unknown"  # we could not tell (timeout, lost connection): ask again later
    # payment_status only: the node has no record of the hash. The core takes this as failed
    # once the payment is old enough that a request still on its way is impossible.
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class PayResult:
    status: PayStatus
    preimage: str | None = None  # hex, when SETTLED
    fee_msat: int = 0  # routing fee actually paid, when SETTLED
    reason: str = ""  # human-readable failure text, when FAILED / UNKNOWN
    # The hash the node actually paid, when it differs from the one the core chose (a node
    # that draws keysend preimages itself, like Core Lightning); None: the core's hash.
    payment_hash: str | None = None


@dataclass(frozen=True)
class CreatedInvoice:
    bolt11: str
    payment_hash: str  # hex
    expires_at: int  # unix seconds


@dataclass(frozen=True)
class SettledInvoice:
    """One incoming payment reported by the node's settled-invoice stream."""

    payment_hash: str
    amount_msat: int  # what was actually received
    preimage: str
    index: int  # monotonic position in the stream; persisted by the core
    custom_records: dict[int, bytes] = field(default_factory=dict)


class InvoiceState(enum.Enum):
    OPEN = "open"
    ACCEPTED = "accepted"  # hold invoice: HTLC held, waiting for settle/cancel
    SETTLED = "settled"
    CANCELLED = "cancelled"  # also expired / deleted
    UNKNOWN = "unknown"


class BackendError(Exception):
    """The node refused or could not answer a request (not a payment outcome)."""


class HoldInvoicesUnsupported(BackendError):
    pass


class Backend(Protocol):
    name: str
    network: str  # "regtest", "signet", "testnet", "bitcoin"

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def node_pubkey(self) -> str: ...

    async def create_invoice(
        self,
        *,
        label: str,
        amount_msat: int | None,
        memo: str,
        description_hash: str | None,
        expiry: int,
        preimage: str | None = None,
        payment_hash: str | None = None,
    ) -> CreatedInvoice:
        """Issue an invoice. Exactly one of preimage (ordinary) or payment_hash (hold) is set.

        `label` is the gateway's payment id, so a retry after a lost reply finds the same invoice.
        """

    async def cancel_invoice(self, payment_hash: str) -> None:
        """Best effort: make an unpaid ordinary invoice unpayable at the node."""

    async def settle_hold_invoice(self, preimage: str) -> None: ...

    async def cancel_hold_invoice(self, payment_hash: str) -> None: ...

    async def invoice_state(self, payment_hash: str) -> InvoiceState: ...

    async def pay_invoice(
        self, *, label: str, bolt11: str, amount_msat: int, fee_limit_msat: int
    ) -> PayResult:
        """Pay a BOLT11 invoice. `amount_msat` is only sent for zero-amount invoices' sake."""

    async def keysend(
        self,
        *,
        label: str,
        destination: str,
        amount_msat: int,
        fee_limit_msat: int,
        preimage: str,
        custom_records: dict[int, bytes],
    ) -> PayResult: ...

    async def payment_status(self, payment_hash: str) -> PayResult:
        """What the node now knows about an outgoing payment (for the reconciler)."""

    def settled_invoices(self, after_index: int) -> AsyncIterator[SettledInvoice]:
        """Every invoice settled with stream index > after_index, then new ones as they come."""
