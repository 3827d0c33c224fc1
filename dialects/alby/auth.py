"""Bearer tokens with Alby's scopes, checked the way Alby's API gateway checks them."""
from __future__ import annotations

from starlette.requests import Request

from gateway.models import Credential
from gateway.service import Gateway

from .errors import AuthError

ACCOUNT_READ = "account:read"
BALANCE_READ = "balance:read"
INVOICES_CREATE = "invoices:create"
INVOICES_READ = "invoices:read"
TRANSACTIONS_READ = "transactions:read"
PAYMENTS_SEND = "payments:send"

TOKEN_KIND = "alby_token"


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


async def authorize(gw: Gateway, request: Request, scopes: tuple[str, ...]) -> Credential:
    """The token's credential if it holds one of `scopes` (none needed when empty).

    Only Alby tokens count: another dialect's key sent as a bearer token is unknown here."""
    cred = await gw.authenticate(bearer_token(request))
    if cred is None or cred.kind != TOKEN_KIND or cred.wallet_id is None:
        raise AuthError()
    if scopes and not any(cred.can(scope) for scope in scopes):
        raise AuthError(
            "Token does not have the right scope for operation: token scope "
            f"{' '.join(sorted(cred.perms))}, endpoint scope {scopes[0]}")
    return cred
