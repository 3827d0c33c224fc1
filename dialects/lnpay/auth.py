"""Who is calling and on which wallet, decided as LNPay's ApiController did.

An account key (`sak_` secret, `pak_` public) authenticates the request: `X-Api-Key` header,
`?access-token=`, or HTTP Basic with the key as username (any password). The wallet is named in
the path: by a wallet access key (`waka_` admin, `waki_` invoice, `wakr_` read, `waklw_` LNURL
withdraw; keys imported from LNPay with the legacy `wa_`/`wi_`/`wr_` prefixes carry the kind of
their new equivalent), or, with a `sak_` only, by the wallet id `wal_...`. A `sak_` may do
everything on its own wallets; otherwise the path key's role must allow the action.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from starlette.requests import Request

from gateway.models import Credential, Perm, Wallet
from gateway.service import Gateway
from gateway import errors as core

from .errors import unauthorized

SAK, PAK = "lnpay_sak", "lnpay_pak"
ROLE_NAMES = {"lnpay_waka": "Wallet Admin", "lnpay_waki": "Wallet Invoice",
              "lnpay_wakr": "Wallet Read", "lnpay_waklw": "Wallet LNURL Withdraw"}
WALLET_KINDS = frozenset(ROLE_NAMES)

# LNPay permission -> (wallet key kinds whose role holds it, the core permission it needs)
PERMISSIONS: dict[str, tuple[frozenset[str], str]] = {
    "wallet_read": (WALLET_KINDS, Perm.READ),
    "wallet_deposit": (frozenset({"lnpay_waka", "lnpay_waki"}), Perm.RECEIVE),
    "wallet_withdraw": (frozenset({"lnpay_waka", "lnpay_waklw"}), Perm.SEND),
    "wallet_transfer": (frozenset({"lnpay_waka"}), Perm.SEND),
}

PAK_WALLET_KEY = ("Invalid Wallet Access Key. Keys prefixed with waka_, waki_, wakr, waklw are"
                  " valid when using pak_")
SAK_ONLY = "This resource can only be access with secret access key."


@dataclass(frozen=True)
class Access:
    account: Credential  # the sak_/pak_ that authenticated the request
    wallet: Wallet
    wallet_key: Credential | None  # None when the path named the wallet by its wal_ id


def presented_key(request: Request) -> str | None:
    """The account key, from the first auth method present (Yii CompositeAuth order)."""
    header = request.headers.get("x-api-key")
    if header is not None:
        return header.strip()
    token = request.query_params.get("access-token")
    if token is not None:
        return token.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return ""
        return decoded.partition(":")[0]  # the username is the key; the password is ignored
    return None


async def account(gw: Gateway, request: Request) -> Credential:
    cred = await gw.authenticate(presented_key(request))
    if cred is None or cred.kind not in (SAK, PAK):
        raise unauthorized()
    return cred


async def require_sak(gw: Gateway, request: Request) -> Credential:
    cred = await account(gw, request)
    if cred.kind != SAK:
        raise unauthorized(SAK_ONLY)
    return cred


def key_prefix(key: str) -> str:
    head, sep, _ = key.partition("_")
    return head + sep


async def wallet_access(gw: Gateway, request: Request, path_key: str, perm: str) -> Access:
    """Authenticate, resolve the wallet named in the path, and check `perm` on it."""
    cred = await account(gw, request)
    kinds, core_perm = PERMISSIONS[perm]
    wallet, wallet_key = await _resolve(gw, cred, path_key)
    if cred.kind == SAK:
        if not cred.can(core_perm):
            raise unauthorized(f"{key_prefix(path_key)} access key provided does not"
                               f" permission to do this: {perm}")
        return Access(cred, wallet, wallet_key)
    assert wallet_key is not None
    if wallet_key.kind not in kinds or not wallet_key.can(core_perm):
        raise unauthorized(f"{key_prefix(path_key)} access key provided does not permission"
                           f" to do this: {perm}")
    return Access(cred, wallet, wallet_key)


async def _resolve(gw: Gateway, cred: Credential,
                   path_key: str) -> tuple[Wallet, Credential | None]:
    not_found = unauthorized(PAK_WALLET_KEY if cred.kind == PAK else f"Wallet not found: {path_key}")
    if cred.kind == SAK and path_key.startswith(("wal_", "w_", "walx_")):
        try:
            wallet = await gw.find_wallet_by_lnpay_id(path_key)
        except core.NotFound:
            wallet = None
        if wallet is not None and wallet.user_id == cred.user_id:
            return wallet, None
    key = await gw.authenticate(path_key)
    if key is None or key.kind not in WALLET_KINDS or key.user_id != cred.user_id \
            or key.wallet_id is None:
        raise not_found
    try:
        return await gw.get_wallet(key.wallet_id), key
    except core.NotFound:
        raise not_found from None

