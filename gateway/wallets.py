"""Users, wallets and their credentials: the part of the core that moves no money.

Keys are minted in each dialect's format and shown once; only their sha256 is stored, looked
up by that digest and compared in constant time.
"""
from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any, Sequence

import structlog

from . import keys, ledger, repo
from .errors import Forbidden, InvalidRequest, NotFound
from .models import Credential, MintedKey, User, Wallet
from .repo import now
from .store import Store, Tx, UniqueViolation

log = structlog.get_logger("lngate.core")


@dataclass(frozen=True)
class CreatedWallet:
    wallet: Wallet
    user: User
    keys: dict[str, str]  # credential kind -> secret, shown once
    credentials: dict[str, Credential]


class WalletOps:
    store: Store

    async def create_wallet(self, name: str, user_id: str | None = None) -> CreatedWallet:
        name = _clean_name(name)
        async with self.store.transaction() as tx:
            if user_id is None:
                user = User(id=keys.new_id(), created_at=now())
                await tx.execute("INSERT INTO users (id, created_at) VALUES (?, ?)",
                                 (user.id, user.created_at))
            else:
                row = await tx.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
                if row is None:
                    raise NotFound(f"user {user_id} not found")
                user = repo.to_user(row)
            wallet_id = keys.new_id()
            ts = now()
            await tx.execute(
                "INSERT INTO wallets (id, user_id, name, lnpay_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (wallet_id, user.id, name, "wal_" + keys.new_alnum(14), ts, ts))
            await ledger.open_wallet_account(tx, wallet_id)
            minted = {}
            for kind in keys.WALLET_KEY_KINDS:
                minted[kind] = await self._mint(tx, kind, user.id, wallet_id, None)
            for kind in keys.USER_KEY_KINDS:
                minted[kind] = await self._mint(tx, kind, user.id, None, None)
            wallet = await repo.wallet(tx, wallet_id)
        log.info("wallet.created", wallet_id=wallet_id, user_id=user.id)
        return CreatedWallet(wallet=wallet, user=user,
                             keys={k: m.secret for k, m in minted.items()},
                             credentials={k: m.credential for k, m in minted.items()})

    async def get_user(self, user_id: str) -> User:
        row = await self.store.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        if row is None:
            raise NotFound(f"user {user_id} not found")
        return repo.to_user(row)

    async def get_wallet(self, wallet_id: str) -> Wallet:
        wallet = await repo.wallet(self.store, wallet_id)
        if wallet is None:
            raise NotFound(f"wallet {wallet_id} not found")
        return wallet

    async def find_wallet_by_lnpay_id(self, lnpay_id: str) -> Wallet:
        row = await self.store.fetchone(f"{repo.WALLET_SELECT} WHERE w.lnpay_id = ?", (lnpay_id,))
        if row is None:
            raise NotFound(f"wallet {lnpay_id} not found")
        return repo.to_wallet(row)

    async def list_wallets(self, user_id: str | None = None) -> list[Wallet]:
        if user_id is None:
            rows = await self.store.fetchall(f"{repo.WALLET_SELECT} ORDER BY w.rowid")
        else:
            rows = await self.store.fetchall(
                f"{repo.WALLET_SELECT} WHERE w.user_id = ? ORDER BY w.rowid",
                (user_id,))
        return [repo.to_wallet(r) for r in rows]

    async def rename_wallet(self, wallet_id: str, name: str) -> Wallet:
        name = _clean_name(name)
        async with self.store.transaction() as tx:
            if not await tx.execute("UPDATE wallets SET name = ?, updated_at = ? WHERE id = ?",
                                    (name, now(), wallet_id)):
                raise NotFound(f"wallet {wallet_id} not found")
            return await repo.wallet(tx, wallet_id)

    async def mint_key(self, kind: str, *, user_id: str, wallet_id: str | None = None,
                       perms: Sequence[str] | None = None) -> MintedKey:
        async with self.store.transaction() as tx:
            user_id = await self._key_owner(tx, kind, user_id, wallet_id)
            return await self._mint(tx, kind, user_id, wallet_id, perms)

    @staticmethod
    async def _key_owner(tx: Tx, kind: str, user_id: str, wallet_id: str | None) -> str:
        """Check a key kind fits its owner; return the owning user (the wallet's, if any)."""
        if kind not in keys.KEY_KINDS:
            raise InvalidRequest(f"unknown key kind {kind!r}")
        if keys.KEY_KINDS[kind][4] and wallet_id is None:
            raise InvalidRequest(f"a {kind} key belongs to a wallet")
        if wallet_id is not None:
            row = await tx.fetchone("SELECT user_id FROM wallets WHERE id = ?", (wallet_id,))
            if row is None:
                raise NotFound(f"wallet {wallet_id} not found")
            return row["user_id"]
        if await tx.fetchone("SELECT 1 FROM users WHERE id = ?", (user_id,)) is None:
            raise NotFound(f"user {user_id} not found")
        return user_id

    async def import_key(self, kind: str, secret: str, *, user_id: str,
                         wallet_id: str | None = None,
                         perms: Sequence[str] | None = None) -> Credential:
        """Register an existing key (e.g. one a provider issued before migrating here) as a
        credential of `kind`. Only its hash is stored, as for minted keys."""
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise InvalidRequest("an imported key must be 8 to 256 characters")
        async with self.store.transaction() as tx:
            user_id = await self._key_owner(tx, kind, user_id, wallet_id)
            try:
                minted = await self._mint(tx, kind, user_id, wallet_id, perms, secret=secret)
            except UniqueViolation:
                raise InvalidRequest("this key is already registered") from None
        return minted.credential

    async def _mint(self, tx: Tx, kind: str, user_id: str, wallet_id: str | None,
                    perms: Sequence[str] | None, secret: str | None = None) -> MintedKey:
        secret = secret or keys.mint_secret(kind)
        granted = frozenset(perms) if perms is not None else keys.default_perms(kind)
        cred = repo.to_credential({
            "id": keys.new_id(16), "kind": kind, "user_id": user_id, "wallet_id": wallet_id,
            "perms": json.dumps(sorted(granted)), "created_at": now(), "revoked_at": None})
        await tx.execute(
            "INSERT INTO credentials (id, key_hash, kind, user_id, wallet_id, perms, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cred.id, keys.key_hash(secret), kind, user_id, wallet_id,
             json.dumps(sorted(granted)), cred.created_at))
        return MintedKey(credential=cred, secret=secret)

    async def revoke_key(self, credential_id: str) -> None:
        async with self.store.transaction() as tx:
            if not await tx.execute(
                    "UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    (now(), credential_id)):
                raise NotFound(f"credential {credential_id} not found or already revoked")

    async def list_credentials(self, *, wallet_id: str | None = None,
                               user_id: str | None = None) -> list[Credential]:
        where, params = ("wallet_id = ?", (wallet_id,)) if wallet_id else ("user_id = ?", (user_id,))
        rows = await self.store.fetchall(
            f"SELECT * FROM credentials WHERE {where} ORDER BY created_at, id", params)
        return [repo.to_credential(r) for r in rows]

    async def authenticate(self, secret: str | None) -> Credential | None:
        """Resolve a presented key to its credential; None if unknown or revoked."""
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return None
        digest = keys.key_hash(secret)
        row = await self.store.fetchone("SELECT * FROM credentials WHERE key_hash = ?", (digest,))
        if row is None or not hmac.compare_digest(row["key_hash"], digest):
            return None
        cred = repo.to_credential(row)
        return None if cred.revoked else cred

    @staticmethod
    def require(cred: Credential | None, perm: str, wallet_id: str | None = None) -> Credential:
        """Raise Forbidden unless `cred` holds `perm` (on `wallet_id`, when given)."""
        if cred is None or not cred.can(perm):
            raise Forbidden(f"credential lacks permission {perm}")
        if wallet_id is not None and cred.wallet_id not in (None, wallet_id):
            raise Forbidden("credential belongs to another wallet")
        return cred


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidRequest("wallet name must be 1 to 200 characters")
    return name.strip()
