"""The Alby Wallet API (api.getalby.com, served by lndhub.go /v2 behind Alby's gateway)."""
from __future__ import annotations

from dialects.base import Dialect
from gateway.service import Gateway

from .auth import bearer_token
from .errors import app_error
from .openapi import document
from .routes import AlbyApi

# Alby's paths sit at the root; these are the ones it owns.
PREFIXES = ("/balance", "/invoices", "/payments", "/user", "/decode")


def build(gw: Gateway) -> Dialect:
    return Dialect(name="alby", routes=AlbyApi(gw).routes(), openapi=document(),
                   prefixes=PREFIXES, error_response=app_error, presented_key=bearer_token)
