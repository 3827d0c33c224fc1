"""Accounts and wallets: POST /account, GET /wallet, PUT /wallet/{name}, PATCH /wallet."""
from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from gateway.service import Gateway

from . import auth
from .errors import FieldError, LnbitsError, validation_error
from .fields import field, json_body, to_str
from .routing import endpoint, json
from .views import wallet_json


def routes(gw: Gateway, prefix: str) -> list[Route]:
    @endpoint
    async def create_account(request: Request):
        body = await json_body(request)
        name = field(body, "name", to_str)
        if name is None:
            raise validation_error(["body", "name"], FieldError("field required",
                                                                "value_error.missing"))
        if not gw.settings.lnbits_allow_new_accounts:
            raise LnbitsError(400, "Account creation is disabled.")
        created = await gw.create_wallet(name)
        return json(wallet_json(created.wallet, adminkey=created.keys["lnbits_admin"],
                                inkey=created.keys["lnbits_invoice"]))

    @endpoint
    async def get_wallet(request: Request):
        cred = await auth.invoice_key(gw, request)
        wallet = await gw.get_wallet(cred.wallet_id)
        body = {"name": wallet.name, "balance": wallet.balance_msat}
        if auth.is_admin(cred):
            body = {"id": wallet.id, **body}
        return json(body)

    @endpoint
    async def rename(request: Request):
        cred = await auth.admin_key(gw, request)
        wallet = await gw.rename_wallet(cred.wallet_id, request.path_params["new_name"])
        return json({"id": wallet.id, "name": wallet.name, "balance": wallet.balance_msat})

    @endpoint
    async def update(request: Request):
        cred = await auth.admin_key(gw, request)
        body = await json_body(request)
        name = field(body, "name", to_str)
        # LNbits keeps the old name for an empty one; icon, color, currency... are cosmetic.
        wallet = (await gw.rename_wallet(cred.wallet_id, name) if name
                  else await gw.get_wallet(cred.wallet_id))
        return json(wallet_json(wallet, adminkey=auth.presented_key(request)))

    return [
        Route(f"{prefix}/account", create_account, methods=["POST"]),
        Route(f"{prefix}/wallet", get_wallet, methods=["GET"]),
        Route(f"{prefix}/wallet", update, methods=["PATCH"]),
        Route(f"{prefix}/wallet/{{new_name}}", rename, methods=["PUT"]),
    ]
