"""OpenAPI 3.1 description of the Alby dialect, served at /openapi/alby.json."""
from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad arguments (code 8) or a refused payment (code 2)"),
    "401": _json(_ref("AuthError"), "Missing, unknown or revoked token, or a missing scope"),
    "500": _json(_ref("Error"), "Payment failed (code 10) or server error (code 6)"),
}

LIST_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "items", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 25}},
    {"name": "q[since]", "in": "query", "schema": {"type": "string"},
     "description": "identifier of an invoice: only newer ones"},
    {"name": "q[before]", "in": "query", "schema": {"type": "string"},
     "description": "identifier of an invoice: only older ones"},
    {"name": "q[created_at_gt]", "in": "query", "schema": {"type": "integer"},
     "description": "unix seconds"},
    {"name": "q[created_at_lt]", "in": "query", "schema": {"type": "integer"},
     "description": "unix seconds"},
]


def _op(summary: str, scope: str | None, ok: dict[str, Any], *, body: str | None = None,
        params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": [{"bearer": [scope] if scope else []}],
        "responses": {"200": _json(ok, "OK"), **ERRORS},
    }
    if scope:
        op["description"] = f"Scope needed: `{scope}`"
    if body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(body)}}}
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


INT, STR, BOOL = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
NSTR = {"type": ["string", "null"]}
RECORDS = {"type": "object", "additionalProperties": {"type": "string"}}

KEYSEND_SENT = _obj({"amount": INT, "fee": INT, "description": STR, "destination": STR,
                     "custom_records": RECORDS, "payment_hash": STR, "payment_preimage": STR})

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": BOOL, "code": INT, "message": STR, "detail": STR},
                  ["error", "code", "message"]),
    "AuthError": _obj({"status": INT, "error": STR}, ["status", "error"]),
    "Balance": _obj({"balance": INT, "currency": STR, "unit": STR}),
    "NewInvoice": _obj({"amount": {"type": "integer", "minimum": 0,
                                   "description": "sats; 0 for an any-amount invoice"},
                        "description": STR, "memo": STR,
                        "description_hash": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                        "comment": STR, "metadata": {"type": "object"}, "payer_name": STR,
                        "payer_email": STR, "payer_pubkey": STR, "currency": STR}, ["amount"]),
    "Invoice": _obj({
        "amount": INT, "value": INT, "fee": INT, "boostagram": {"type": ["object", "null"]},
        "comment": NSTR, "created_at": STR, "creation_date": INT, "currency": STR,
        "custom_records": {**RECORDS, "description": "values base64"},
        "description": STR, "description_hash": NSTR, "destination_pubkey": NSTR,
        "error_message": NSTR, "expires_at": NSTR, "expiry": {"type": ["integer", "null"]},
        "identifier": STR, "keysend": BOOL, "keysend_message": NSTR, "memo": STR,
        "metadata": {"type": ["object", "null"]}, "payer_name": NSTR, "payer_email": NSTR,
        "payer_pubkey": NSTR, "payment_hash": STR, "payment_request": NSTR, "preimage": NSTR,
        "r_hash_str": STR, "settled": BOOL, "settled_at": NSTR,
        "state": {"enum": ["open", "settled", "error"]},
        "type": {"enum": ["incoming", "outgoing"]}}),
    "Decoded": _obj({"currency": STR, "created_at": INT, "expiry": INT, "payee": STR,
                     "msatoshi": INT, "amount": INT, "description": STR,
                     "description_hash": NSTR, "payment_hash": STR,
                     "min_final_cltv_expiry": {"type": ["integer", "null"]}, "payee_alias": STR,
                     "route_hints": {"type": "array"}}),
    "PayBolt11": _obj({"invoice": STR, "amount": {"type": "integer",
                                                  "description": "sats, zero-amount invoices"}},
                      ["invoice"]),
    "PaymentSent": _obj({"amount": INT, "description": STR, "description_hash": STR,
                         "destination": STR, "fee": INT, "payment_hash": STR,
                         "payment_preimage": STR, "payment_request": STR}),
    "Keysend": _obj({"amount": {"type": "integer", "minimum": 1}, "destination": STR,
                     "memo": STR,
                     "custom_records": {**RECORDS, "description": "TLV type -> plain string"},
                     "customRecords": {**RECORDS, "deprecated": True}},
                    ["amount", "destination"]),
    "KeysendSent": KEYSEND_SENT,
    "MultiKeysend": _obj({"keysends": {"type": "array", "minItems": 1,
                                       "items": _ref("Keysend")}}, ["keysends"]),
    "MultiKeysendSent": _obj({"keysends": {"type": "array", "items": _obj({
        "keysend": KEYSEND_SENT, "error": _ref("Error")})}}),
    "User": _obj({"identifier": STR, "email": STR, "name": STR, "avatar": NSTR,
                  "wallet_configured": BOOL, "keysend_pubkey": STR, "keysend_custom_key": STR,
                  "keysend_custom_value": STR, "lightning_address": NSTR,
                  "nostr_pubkey": NSTR}),
    "Value4Value": _obj({"keysend_pubkey": STR, "keysend_custom_key": STR,
                         "keysend_custom_value": STR, "lightning_address": NSTR}),
    "Summary": _obj({"balance": INT, "boostagrams_count": INT, "currency": STR,
                     "invoices_count": INT, "last_invoice_at": NSTR,
                     "transactions_count": INT, "unit": STR}),
}

INVOICES = {"type": "array", "items": _ref("Invoice")}

PATHS: dict[str, Any] = {
    "/balance": {"get": _op("Wallet balance in sats", "balance:read", _ref("Balance"))},
    "/user/me": {"get": _op("Account information", "account:read", _ref("User"))},
    "/user/value4value": {"get": _op("Keysend details to receive value4value payments",
                                     "account:read", _ref("Value4Value"))},
    "/user/summary": {"get": _op("Account summary", "balance:read", _ref("Summary"))},
    "/invoices": {
        "get": _op("Incoming and outgoing invoices (not failed), newest first",
                   "invoices:read", INVOICES, params=LIST_PARAMS),
        "post": _op("Create an invoice", "invoices:create", _ref("Invoice"), body="NewInvoice"),
    },
    "/invoices/incoming": {"get": _op("Settled incoming invoices, newest first",
                                      "invoices:read", INVOICES, params=LIST_PARAMS)},
    "/invoices/outgoing": {"get": _op("Settled and in-flight outgoing payments, newest first",
                                      "transactions:read", INVOICES, params=LIST_PARAMS)},
    "/invoices/{payment_hash}": {"get": _op(
        "One invoice or payment by its hash (unknown: 400 code 8)", "invoices:read",
        _ref("Invoice"), params=[_path_param("payment_hash")])},
    "/decode/bolt11/{bolt11}": {"get": _op("Decode a BOLT11 invoice (any valid token)", None,
                                           _ref("Decoded"), params=[_path_param("bolt11")])},
    "/payments/bolt11": {"post": _op("Pay a BOLT11 invoice", "payments:send",
                                     _ref("PaymentSent"), body="PayBolt11")},
    "/payments/keysend": {"post": _op("Keysend payment", "payments:send", _ref("KeysendSent"),
                                      body="Keysend")},
    "/payments/keysend/multi": {"post": _op(
        "Several keysend payments; 200 if any succeeded, 500 if all failed", "payments:send",
        _ref("MultiKeysendSent"), body="MultiKeysend")},
}

IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "maxLength": 255},
               "description": "Replays the first answer for a repeated request"}
for _item in PATHS.values():
    if "post" in _item:
        _item["post"]["parameters"] = [IDEMPOTENCY]


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "lngate: Alby Wallet API dialect", "version": "1",
                 "description": "api.getalby.com's wallet endpoints, mounted at the root. "
                                "Errors: `{error, code, message}`; auth errors "
                                "`{status, error}`."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
