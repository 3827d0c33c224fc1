"""The OpenAPI document of this dialect, served at /openapi/lnbits.json. A test keeps its paths
and methods equal to the routes actually mounted."""
from __future__ import annotations

from typing import Any

ERROR = {"type": "object", "properties": {"detail": {}}, "required": ["detail"]}
PAYMENT_ERROR = {"type": "object", "required": ["detail", "status"], "properties": {
    "detail": {"type": "string"},
    "status": {"type": "string", "enum": ["failed", "pending", "success"]}}}
PAYMENT = {"type": "object", "properties": {
    **{k: {"type": "string"} for k in (
        "checking_id", "payment_hash", "wallet_id", "bolt11", "payment_request", "status",
        "memo", "expiry", "time", "created_at", "updated_at")},
    **{k: {"type": "string", "nullable": True} for k in (
        "webhook", "webhook_status", "preimage", "tag", "extension", "external_id",
        "fiat_provider")},
    "amount": {"type": "integer", "description": "msat; negative when outgoing"},
    "fee": {"type": "integer", "description": "msat; negative (paid) on outgoing"},
    "labels": {"type": "array", "items": {"type": "string"}},
    "extra": {"type": "object"}}}
CREATE = {"type": "object", "properties": {
    "out": {"type": "boolean", "default": True},
    "amount": {"type": "number", "minimum": 0, "description": "sats, truncated"},
    "unit": {"type": "string", "default": "sat"},
    "memo": {"type": "string", "maxLength": 640},
    "description_hash": {"type": "string"}, "unhashed_description": {"type": "string"},
    "expiry": {"type": "integer"}, "webhook": {"type": "string"}, "extra": {"type": "object"},
    "payment_hash": {"type": "string", "description": "makes a hold invoice"},
    "internal": {"type": "boolean"}, "labels": {"type": "array", "items": {"type": "string"}},
    "external_id": {"type": "string", "maxLength": 256},
    "bolt11": {"type": "string", "description": "the invoice to pay (out: true)"}}}

# (method, path, summary, auth, request schema, success status, success schema)
OPERATIONS: list[tuple[str, str, str, str, dict | None, int, dict]] = [
    ("post", "/account", "Create a wallet (and its user); returns its keys", "none",
     {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
     200, {"type": "object"}),
    ("get", "/wallet", "Wallet name and balance (msat); id with the admin key", "invoice", None,
     200, {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                            "balance": {"type": "integer"}}}),
    ("patch", "/wallet", "Update the wallet (name)", "admin",
     {"type": "object", "properties": {"name": {"type": "string"}}}, 200, {"type": "object"}),
    ("put", "/wallet/{new_name}", "Rename the wallet", "admin", None, 200, {"type": "object"}),
    ("post", "/payments", "Create an invoice (out: false) or pay one (out: true)", "invoice",
     CREATE, 201, PAYMENT),
    ("get", "/payments", "Payments (success and pending), newest first", "invoice", None, 200,
     {"type": "array", "items": PAYMENT}),
    ("get", "/payments/paginated", "Payments with a total", "invoice", None, 200,
     {"type": "object", "properties": {"data": {"type": "array", "items": PAYMENT},
                                       "total": {"type": "integer"}}}),
    ("get", "/payments/history", "Income, spending and balance per hour/day/month", "invoice",
     None, 200, {"type": "array"}),
    ("get", "/payments/stats/count", "Payment counts by status/tag/extension/wallet_id",
     "invoice", None, 200, {"type": "array"}),
    ("get", "/payments/stats/wallets", "Per-wallet totals", "invoice", None, 200,
     {"type": "array"}),
    ("get", "/payments/stats/daily", "Daily totals", "invoice", None, 200, {"type": "array"}),
    ("get", "/payments/stats/breakdown", "Totals per tag", "invoice", None, 200,
     {"type": "array"}),
    ("get", "/payments/fee-reserve", "Fee reserve (msat) held to pay an invoice", "none", None,
     200, {"type": "object", "properties": {"fee_reserve": {"type": "integer"}}}),
    ("post", "/payments/decode", "Decode a BOLT11 invoice or an LNURL", "none",
     {"type": "object", "properties": {"data": {"type": "string"},
                                       "filter_fields": {"type": "array"}}}, 200,
     {"type": "object"}),
    ("post", "/payments/settle", "Settle a hold invoice with its preimage", "admin",
     {"type": "object", "properties": {"preimage": {"type": "string"}}}, 200,
     {"type": "object"}),
    ("post", "/payments/cancel", "Cancel a hold invoice", "admin",
     {"type": "object", "properties": {"payment_hash": {"type": "string"}}}, 200,
     {"type": "object"}),
    ("patch", "/payments/extra", "Add keys to a settled payment's extra", "admin",
     {"type": "object", "properties": {"payment_hash": {"type": "string"},
                                       "extra": {"type": "object"}}}, 200, PAYMENT),
    ("put", "/payments/{ident}/labels", "Set a payment's labels", "admin",
     {"type": "object", "properties": {"labels": {"type": "array"}}}, 200, {"type": "object"}),
    ("get", "/payments/{ident}", "Status of a payment by payment_hash or checking_id (key "
     "optional; with the owner's key, details)", "optional", None, 200,
     {"type": "object", "properties": {"paid": {"type": "boolean"}, "preimage": {},
                                       "status": {"type": "string"}, "details": PAYMENT}}),
    ("put", "/payments/{ident}", "Settle a hold invoice (body: preimage)", "admin",
     {"type": "object", "properties": {"preimage": {"type": "string"}}}, 200, ERROR),
    ("delete", "/payments/{ident}", "Cancel a hold invoice", "admin", None, 200, ERROR),
]

AUTH_NOTE = {"none": "no key", "invoice": "invoice or admin key", "admin": "admin key",
             "optional": "key optional"}


def document(prefix: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, auth, request, status, schema in OPERATIONS:
        op: dict[str, Any] = {
            "summary": summary, "description": f"Auth: {AUTH_NOTE[auth]}.",
            "responses": {
                str(status): {"description": "OK", "content": {
                    "application/json": {"schema": schema}}},
                "400": {"description": "Invalid request (validation errors: a list detail)",
                        "content": {"application/json": {"schema": ERROR}}},
            }}
        if auth in ("invoice", "admin"):
            op["security"] = [{"ApiKeyHeader": []}, {"ApiKeyQuery": []}]
            op["responses"]["401"] = {"description": "No Api Key provided."}
            op["responses"]["404"] = {"description": "Wallet not found."}
        if auth == "admin":
            op["responses"]["403"] = {"description": "Invalid adminkey."}
        if method == "post" and path == "/payments":
            op["responses"]["520"] = {"description": "Payment or invoice failure", "content": {
                "application/json": {"schema": PAYMENT_ERROR}}}
            op["parameters"] = [{"name": "Idempotency-Key", "in": "header", "required": False,
                                 "schema": {"type": "string"}}]
        if request is not None:
            op["requestBody"] = {"content": {"application/json": {"schema": request}}}
        paths.setdefault(prefix + path, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "lngate: LNbits wallet API", "version": "1.6.2-compatible"},
        "paths": paths,
        "components": {"securitySchemes": {
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "ApiKeyQuery": {"type": "apiKey", "in": "query", "name": "api-key"}}},
    }
