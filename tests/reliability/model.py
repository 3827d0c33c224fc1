"""A small pure-Python reference model of lngate's money: wallet balances, money held for
payments in flight, and what came in from / went out to the Lightning network.

The stateful test applies every operation to the model and to the real core, then demands
that both agree. The model knows nothing about SQL, the journal or the backend; it is the
arithmetic a user would do on paper.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


FEE_RESERVE_MIN_MSAT = 2000  # Settings defaults the test runs with
FEE_RESERVE_PERCENT = 1.0


def fee_reserve(amount_msat: int) -> int:
    return max(FEE_RESERVE_MIN_MSAT, math.ceil(amount_msat * FEE_RESERVE_PERCENT / 100))


@dataclass
class Outgoing:
    """A payment the gateway sent (or tried to send) from one of its wallets."""
    id: str
    wallet: str
    amount: int
    held: int  # amount + fee reserve while pending (amount only for internal ones)
    status: str = "pending"  # pending | success | failed
    fee: int = 0  # the real fee once it succeeded
    external: bool = True
    # For an external payment in flight: what it becomes, and whether the network already
    # decided (a due outcome is applied by the next reconcile).
    fate: str | None = None  # "succeed" | "fail"
    due: bool = False
    timed: bool = False  # due by the clock (after a small delay) rather than by a control call
    scripted_fee: int = 0
    payment_hash: str = ""


@dataclass
class Invoice:
    """An invoice issued by the gateway for one of its wallets."""
    id: str
    wallet: str
    amount: int | None
    bolt11: str
    payment_hash: str
    preimage: str | None  # for a hold invoice the model keeps the preimage the payee chose
    hold: bool
    status: str = "pending"  # pending | success | failed (the gateway's view)
    accepted_externally: bool = False  # hold invoice whose HTLC the node holds
    paid_by: str | None = None  # the internal payer's payment id, for a hold invoice
    received: int = 0


@dataclass
class Model:
    balances: dict[str, int] = field(default_factory=dict)  # available msat per wallet
    held: dict[str, int] = field(default_factory=dict)  # reserved for payments in flight
    received_from_network: int = 0
    sent_to_network: int = 0  # amounts + fees of external payments that succeeded
    unattributed_keysends: int = 0  # arrived at the node, credited to nobody
    outgoing: dict[str, Outgoing] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)

    # -- wallets ----------------------------------------------------------------------------

    def open_wallet(self, wallet_id: str) -> None:
        self.balances[wallet_id] = 0
        self.held[wallet_id] = 0

    def can_spend(self, wallet: str, amount: int) -> bool:
        return self.balances[wallet] >= amount

    def spend_error(self, wallet: str, amount: int, reserve: int) -> str | None:
        """The error the core must answer for spending `amount` + `reserve`, if any."""
        if self.balances[wallet] >= amount + reserve:
            return None
        if reserve and self.balances[wallet] >= amount:
            return "FeeReserveRequired"
        return "InsufficientBalance"

    # -- money in ---------------------------------------------------------------------------

    def receive(self, wallet: str, amount: int) -> None:
        self.balances[wallet] += amount
        self.received_from_network += amount

    def move(self, payer: str, payee: str, amount: int) -> None:
        assert self.balances[payer] >= amount
        self.balances[payer] -= amount
        self.balances[payee] += amount

    # -- two-phase outgoing -----------------------------------------------------------------

    def hold(self, p: Outgoing) -> None:
        assert self.balances[p.wallet] >= p.held
        self.balances[p.wallet] -= p.held
        self.held[p.wallet] += p.held
        self.outgoing[p.id] = p

    def settle(self, p: Outgoing, fee: int, payee: str | None = None) -> None:
        """Post amount + fee; the rest of the reservation returns to the payer."""
        assert p.status == "pending" and p.amount + fee <= p.held
        self.held[p.wallet] -= p.held
        self.balances[p.wallet] += p.held - p.amount - fee
        p.status, p.fee = "success", fee
        if payee is None:
            self.sent_to_network += p.amount + fee
        else:
            self.balances[payee] += p.amount

    def void(self, p: Outgoing) -> None:
        assert p.status == "pending"
        self.held[p.wallet] -= p.held
        self.balances[p.wallet] += p.held
        p.status = "failed"

    def record_failed(self, p: Outgoing) -> None:
        """An external payment the network refused at once: recorded, nothing charged."""
        p.status = "failed"
        self.outgoing[p.id] = p

    def record_settled(self, p: Outgoing, fee: int) -> None:
        self.hold(p)
        self.settle(p, fee)

    def in_flight(self) -> list[Outgoing]:
        return [p for p in self.outgoing.values() if p.status == "pending" and p.external]

    def reconcile(self) -> list[Outgoing]:
        """What a reconcile pass finishes: every payment the network already decided."""
        done = [p for p in self.in_flight() if p.due]
        for p in done:
            if p.fate == "succeed":
                self.settle(p, p.scripted_fee)
            else:
                self.void(p)
        return done

    # -- the books as a whole ---------------------------------------------------------------

    def wallet_total(self) -> int:
        """Everything the wallets own, held or not."""
        return sum(self.balances.values()) + sum(self.held.values())

    def conserved(self) -> bool:
        return self.wallet_total() == self.received_from_network - self.sent_to_network
