"""The LNPay dialect's OpenAPI document, served at /openapi/lnpay.json."""
from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"content": {"application/json": {"schema": schema},
                        "application/x-www-form-urlencoded": {"schema": schema}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
}
KEY_PARAM = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "wallet access key (waka_/waki_/wakr_/waklw_, legacy wa_/wi_/wr_),"
                            " or with a sak_ key the wallet id wal_..."}
FIELDS = {"name": "fields", "in": "query", "schema": {"type": "string"},
          "description": "comma-separated top-level fields to return"}
PAGE = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per-page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                       "maximum": 500}}]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"},
               "description": "replays the first response for the same key and body"}
PASS_THRU = {"description": "object, or a JSON string", "oneOf": [{"type": "object"},
                                                                 {"type": "string"}]}
PAGINATED = {f"X-Pagination-{h}": {"schema": {"type": "integer"}}
             for h in ("Total-Count", "Page-Count", "Current-Page", "Per-Page")}


def openapi_document() -> dict[str, Any]:
    wallet_ops = {
        "/v1/wallet": {"post": {
            "summary": "Create a wallet for the account (sak_ or pak_)",
            "requestBody": _body({"user_label": {"type": "string"}}, ["user_label"]),
            "responses": {"201": _json({"allOf": [_ref("Wallet"), {"type": "object",
                                        "properties": {"access_keys": {
                                            "type": "object", "additionalProperties": {
                                                "type": "array", "items": {"type": "string"}}}}}]},
                                       "wallet plus its access keys by role name, shown once"),
                          **ERRORS}}},
        "/v1/wallets": {"get": {
            "summary": "List the account's wallets (sak_ only)", "parameters": [*PAGE, FIELDS],
            "responses": {"200": {**_json({"type": "array", "items": _ref("Wallet")}, "wallets"),
                                  "headers": PAGINATED}, **ERRORS}}},
        "/v1/wallet/{key}": {"get": {
            "summary": "Wallet and balance (wallet_read)", "parameters": [KEY_PARAM, FIELDS],
            "responses": {"200": _json(_ref("Wallet"), "the wallet"), **ERRORS}}},
        "/v1/wallet/{key}/transactions": {"get": {
            "summary": "Settled wallet transactions, newest first (wallet_read)",
            "parameters": [KEY_PARAM, *PAGE, FIELDS],
            "responses": {"200": {**_json({"type": "array", "items": _ref("Wtx")}, "wtx list"),
                                  "headers": PAGINATED}, **ERRORS}}},
        "/v1/wallet/{key}/invoice": {"post": {
            "summary": "Generate an invoice (wallet_deposit)",
            "parameters": [KEY_PARAM, IDEMPOTENCY],
            "requestBody": _body({"num_satoshis": {"type": "integer", "minimum": 0},
                                  "memo": {"type": "string"},
                                  "description_hash": {"type": "string",
                                                       "description": "base64 (or hex)"},
                                  "expiry": {"type": "integer"}, "passThru": PASS_THRU}),
            "responses": {"201": _json(_ref("LnTx"), "the invoice"), **ERRORS}}},
        "/v1/wallet/{key}/withdraw": {"post": {
            "summary": "Pay a BOLT11 invoice (wallet_withdraw)",
            "parameters": [KEY_PARAM, IDEMPOTENCY],
            "requestBody": _body({"payment_request": {"type": "string"},
                                  "fee_limit_msat": {"type": "integer"},
                                  "passThru": PASS_THRU, "lnPayParams": PASS_THRU},
                                 ["payment_request"]),
            "responses": {"201": _json(_ref("Wtx"), "the ln_withdrawal wtx"), **ERRORS}}},
        "/v1/wallet/{key}/keysend": {"post": {
            "summary": "Keysend to a node (wallet_withdraw)",
            "parameters": [KEY_PARAM, IDEMPOTENCY,
                           {"name": "X-LNPAY-ASYNC", "in": "header",
                            "schema": {"type": "string"}}],
            "requestBody": _body({"dest_pubkey": {"type": "string", "minLength": 66,
                                                  "maxLength": 66},
                                  "num_satoshis": {"type": "integer", "minimum": 0},
                                  "custom_records": {"type": "object",
                                                     "additionalProperties": {"type": "string"},
                                                     "description": "keys: integers > 65536"},
                                  "passThru": PASS_THRU}, ["dest_pubkey", "num_satoshis"]),
            "responses": {"201": _json({"oneOf": [_ref("Wtx"), {
                "type": "object", "properties": {"success": {"type": "integer"},
                                                 "id": {"type": "string"}}}]},
                "the wtx, or {success, id} with X-LNPAY-ASYNC"), **ERRORS}}},
        "/v1/wallet/{key}/transfer": {"post": {
            "summary": "Transfer to another wallet of this gateway (wallet_transfer)",
            "parameters": [KEY_PARAM, IDEMPOTENCY],
            "requestBody": _body({"dest_wallet_id": {"type": "string"},
                                  "num_satoshis": {"type": "integer", "minimum": 0},
                                  "memo": {"type": "string"}, "passThru": PASS_THRU,
                                  "lnPayParams": PASS_THRU}, ["dest_wallet_id", "num_satoshis"]),
            "responses": {"201": _json({"type": "object", "properties": {
                "wtx_transfer_in": _ref("Wtx"), "wtx_transfer_out": _ref("Wtx")}},
                "both sides"), **ERRORS}}},
        "/v1/wallet/{key}/lnurl/withdraw": {"get": {
            "summary": "Disposable LNURL-withdraw link (wallet_withdraw)",
            "parameters": [KEY_PARAM,
                           {"name": "num_satoshis", "in": "query", "schema": {"type": "integer"}},
                           {"name": "memo", "in": "query", "schema": {"type": "string"}},
                           {"name": "passThru", "in": "query", "schema": {"type": "string"},
                            "description": "base64 JSON"}],
            "responses": {"200": _json({"type": "object", "properties": {
                "lnurl": {"type": "string"}, "ott": {"type": "string"}}}, "the link"),
                **ERRORS}}},
        "/v1/wallet/{key}/lnurl-process": {"get": {
            "summary": "LUD-03 callback (public; the link's one-time token authorizes)",
            "security": [],
            "parameters": [{"name": "key", "in": "path", "required": True,
                            "schema": {"type": "string"}, "description": "wal_ wallet id"},
                           {"name": "ott", "in": "query", "required": True,
                            "schema": {"type": "string"}},
                           {"name": "pr", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": _json({"type": "object"},
                                       "withdrawRequest, or {status: ERROR, reason}"),
                          "201": _json({"type": "object", "properties": {
                              "status": {"type": "string", "enum": ["OK"]}}}, "paid")}}},
        "/v1/lntx/{id}": {"get": {
            "summary": "An invoice or payment of the account",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^lntx_"}}, FIELDS],
            "responses": {"200": _json(_ref("LnTx"), "the LnTx"), **ERRORS}}},
        "/v1/wallet-transactions": {"get": {
            "summary": "Settled transactions of all the account's wallets (sak_ only)",
            "parameters": [*PAGE, FIELDS],
            "responses": {"200": {**_json({"type": "array", "items": _ref("Wtx")}, "wtx list"),
                                  "headers": PAGINATED}, **ERRORS}}},
    }
    named = {"type": "object", "properties": {"type": {"type": "string"},
                                               "name": {"type": "string"},
                                               "display_name": {"type": "string"}}}
    wallet = {"type": "object", "properties": {
        "id": {"type": "string", "pattern": "^wal_"}, "created_at": {"type": "integer"},
        "updated_at": {"type": "integer"}, "user_label": {"type": "string"},
        "balance": {"type": "integer", "description": "sats"},
        "balance_msat": {"type": "integer", "nullable": True},
        "statusType": named, "walletType": named,
        "default_lnurlpay_id": {"type": "string", "nullable": True}}}
    nullable_str = {"type": "string", "nullable": True}
    nullable_int = {"type": "integer", "nullable": True}
    lntx = {"type": "object", "properties": {
        "id": {"type": "string", "pattern": "^lntx_"}, "created_at": {"type": "integer"},
        "ln_node_id": {"type": "string"}, "dest_pubkey": nullable_str,
        "payment_request": {"type": "string",
                            "description": "bolt11; keysend sends: <pubkey>:<sats>"},
        "r_hash_decoded": {"type": "string"}, "memo": {"type": "string"},
        "description_hash": nullable_str, "payment_addr": nullable_str,
        "num_satoshis": {"type": "integer"}, "fee_msat": {"type": "integer"},
        "expiry": nullable_int, "expires_at": nullable_int, "payment_preimage": nullable_str,
        "settled": {"type": "integer", "enum": [0, 1]}, "settled_at": nullable_int,
        "is_keysend": nullable_int, "is_amp": nullable_int,
        "custom_records": {"type": "object", "nullable": True,
                           "additionalProperties": {"type": "string"}},
        "passThru": {"type": "object", "nullable": True}}}
    wtx_type = {"type": "object", "properties": {"layer": {"type": "string"},
                                                 "name": {"type": "string"},
                                                 "display_name": {"type": "string"}}}
    wtx = {"type": "object", "properties": {
        "id": {"type": "string", "pattern": "^wtx_"}, "created_at": {"type": "integer"},
        "num_satoshis": {"type": "integer", "description": "negative for debits"},
        "user_label": {"type": "string"}, "wallet_id": {"type": "string"},
        "wal": _ref("Wallet"), "wallet": _ref("Wallet"), "wtxType": wtx_type,
        "walletTransactionType": wtx_type,
        "lnTx": {"allOf": [_ref("LnTx")], "nullable": True},
        "passThru": {"type": "object", "nullable": True}}}
    error = {"type": "object", "required": ["name", "message", "code", "status"],
             "properties": {"name": {"type": "string"}, "message": {"type": "string"},
                            "code": {"type": "integer", "enum": [0]},
                            "status": {"type": "integer"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "lngate: LNPay v1 dialect", "version": "1.0.0",
                 "description": "LNPay's v1 wallet API on lngate. Authenticate with an account"
                                " key (sak_ or pak_) in X-Api-Key, ?access-token= or HTTP Basic"
                                " (username); name the wallet in the path."},
        "servers": [{"url": "/"}],
        "security": [{"apiKeyHeader": []}, {"accessToken": []}, {"basic": []}],
        "paths": wallet_ops,
        "components": {
            "securitySchemes": {
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "accessToken": {"type": "apiKey", "in": "query", "name": "access-token"},
                "basic": {"type": "http", "scheme": "basic"}},
            "schemas": {"Wallet": wallet, "LnTx": lntx, "Wtx": wtx, "Error": error},
            "responses": {
                "BadRequest": _json(_ref("Error"), "validation or payment failure"),
                "Unauthorized": _json(_ref("Error"), "bad key, unknown wallet, missing"
                                                     " permission")},
        },
    }
