"""The LNbits dialect: LNbits' wallet API (`/api/v1/...`) over the core.

Auth by wallet key (`X-Api-Key` or `?api-key=`), errors as `{"detail": ...}`, payment failures
as 520 `{"detail", "status"}`, amounts in msat on the way out and sats on the way in.
"""
from __future__ import annotations

from dialects.base import Dialect
from gateway.service import Gateway

from . import listing, payments, wallets
from .auth import presented_key
from .errors import app_error
from .openapi import document
from .routing import fallback
from .webhooks import WebhookWorker

PREFIX = "/api/v1"


def build(gw: Gateway) -> Dialect:
    # Fixed paths before `/payments/{ident}`: the listing routes go first.
    routes = (wallets.routes(gw, PREFIX) + listing.routes(gw, PREFIX)
              + payments.routes(gw, PREFIX))
    routes.append(fallback(PREFIX, list(routes)))
    return Dialect(name="lnbits", routes=routes, openapi=document(PREFIX),
                   background=[WebhookWorker(gw).run], prefixes=(PREFIX,),
                   error_response=app_error, presented_key=presented_key)
