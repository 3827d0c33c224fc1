"""The Alby Wallet API (api.getalby.com, served by lndhub.go /v2 behind Alby's gateway)."""
from __future__ import annotations

from dialects.base import Dialect
from gateway.service import Gateway

from .openapi import document
from .routes import AlbyApi


def build(gw: Gateway) -> Dialect:
    return Dialect(name="alby", routes=AlbyApi(gw).routes(), openapi=document())
