"""Wallet-key authentication exactly as LNbits answers it.

A key comes from the `X-Api-Key` header (any case) or `?api-key=`. Each wallet has an admin key
(read/receive/send) and an invoice key (read/receive); an admin key passes wherever an invoice
key does. Only this dialect's key kinds resolve: another dialect's key is "not found" here.
"""
from __future__ import annotations

from starlette.requests import Request

from gateway.models import Credential, Perm
from gateway.service import Gateway

from .errors import LnbitsError

KINDS = ("lnbits_admin", "lnbits_invoice")


def presented_key(request: Request) -> str | None:
    return request.headers.get("x-api-key") or request.query_params.get("api-key")


async def lookup(gw: Gateway, request: Request) -> Credential | None:
    """The credential of the presented key, or None (no key, unknown key, other dialect)."""
    key = presented_key(request)
    if not key:
        return None
    cred = await gw.authenticate(key)
    if cred is None or cred.kind not in KINDS or cred.wallet_id is None:
        return None
    return cred


async def invoice_key(gw: Gateway, request: Request) -> Credential:
    """Either key of a wallet (read + receive)."""
    if not presented_key(request):
        raise LnbitsError(401, "No Api Key provided.")
    cred = await lookup(gw, request)
    if cred is None:
        raise LnbitsError(404, "Wallet not found.")
    if not (cred.can(Perm.READ) and cred.can(Perm.RECEIVE)):
        raise LnbitsError(403, "Invalid invoice key.")
    return cred


async def admin_key(gw: Gateway, request: Request) -> Credential:
    cred = await invoice_key(gw, request)
    if not cred.can(Perm.SEND):
        raise LnbitsError(403, "Invalid adminkey.")
    return cred


def is_admin(cred: Credential) -> bool:
    return cred.can(Perm.SEND)
