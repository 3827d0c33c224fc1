"""Versioned migrations. Append a new entry to MIGRATIONS; never edit an applied one."""

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);
CREATE TABLE wallets (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    lnpay_id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX wallets_user ON wallets(user_id);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    wallet_id TEXT REFERENCES wallets(id),
    perms TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX credentials_wallet ON credentials(wallet_id);
CREATE INDEX credentials_user ON credentials(user_id);

-- Running totals per ledger account (TigerBeetle style). A wallet's balance is
-- credits_posted - debits_posted - debits_pending and may never go below zero.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('wallet', 'system')),
    debits_posted INTEGER NOT NULL DEFAULT 0,
    credits_posted INTEGER NOT NULL DEFAULT 0,
    debits_pending INTEGER NOT NULL DEFAULT 0,
    credits_pending INTEGER NOT NULL DEFAULT 0,
    CHECK (kind = 'system' OR credits_posted - debits_posted - debits_pending >= 0)
);

-- The append-only journal. 'pending' holds funds; exactly one 'post' or 'void' row may
-- later resolve it (unique index), 'posted' moves funds at once.
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    phase TEXT NOT NULL CHECK (phase IN ('posted', 'pending', 'post', 'void')),
    debit_account TEXT NOT NULL REFERENCES accounts(id),
    credit_account TEXT NOT NULL REFERENCES accounts(id),
    amount INTEGER NOT NULL CHECK (amount >= 0),
    pending_id INTEGER REFERENCES transfers(id),
    payment_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX transfers_resolved_once ON transfers(pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX transfers_payment ON transfers(payment_id);

CREATE TABLE payments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    wallet_id TEXT NOT NULL REFERENCES wallets(id),
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'success', 'failed')),
    amount_msat INTEGER NOT NULL CHECK (amount_msat >= 0),
    fee_msat INTEGER NOT NULL DEFAULT 0,
    payment_hash TEXT NOT NULL,
    preimage TEXT,
    bolt11 TEXT,
    memo TEXT NOT NULL DEFAULT '',
    description_hash TEXT,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    settled_at INTEGER,
    internal INTEGER NOT NULL DEFAULT 0,
    hold INTEGER NOT NULL DEFAULT 0,
    destination TEXT,
    custom_records TEXT NOT NULL DEFAULT '{}',
    peer_wallet_id TEXT,
    peer_payment_id TEXT,
    failure_reason TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    reservation_id INTEGER REFERENCES transfers(id)
);
CREATE INDEX payments_wallet ON payments(wallet_id, seq);
CREATE INDEX payments_hash ON payments(payment_hash);
CREATE INDEX payments_pending_out ON payments(status, direction) WHERE status = 'pending';
-- One invoice per payment hash, and at most one live (pending or paid) outgoing payment
-- per payment hash across all wallets: the same invoice cannot be paid twice.
CREATE UNIQUE INDEX payments_one_invoice ON payments(payment_hash)
    WHERE direction = 'in' AND kind = 'invoice';
CREATE UNIQUE INDEX payments_one_live_out ON payments(payment_hash)
    WHERE direction = 'out' AND status <> 'failed';

-- The outbox: one row per payment state change, written in the same transaction.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    wallet_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE idempotency (
    wallet_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (wallet_id, key)
);

CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""),
]
