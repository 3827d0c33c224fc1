"""Core records in LNPay's shapes: Wallet (`wal_`), LnTx (`lntx_`), WalletTransaction (`wtx_`).

Ids derive from the core's payment ids (`lntx_<id>`, `wtx_<id>`), so lookups need no table of
their own. A settled external payment with a routing fee also shows a separate `network_fee`
wtx (`wtx_<id>fee`), as LNPay booked fees apart from the withdrawal.
"""
from __future__ import annotations

from typing import Any, Iterable

from gateway.models import Payment, Wallet

PREIMAGE_RECORD = "5482373484"  # keysend: the sender's record holding the preimage
LN_NODE_ID = "lnod_lngate"
STATUS_ACTIVE = {"type": "wallet", "name": "active", "display_name": "Active"}
WALLET_TYPE = {"name": "generic_wallet", "display_name": "Generic Wallet"}

WTX_TYPES = {
    "ln_deposit": "LN Deposit",
    "ln_withdrawal": "LN Withdrawal",
    "ln_transfer_in": "Transfer In",
    "ln_transfer_out": "Transfer Out",
    "network_fee": "LN Routing Fees",
}


def lntx_id(payment: Payment) -> str:
    return "lntx_" + payment.id


def wtx_id(payment: Payment) -> str:
    return "wtx_" + payment.id


def payment_id_from(public_id: str, prefix: str) -> str | None:
    rest = public_id[len(prefix):] if public_id.startswith(prefix) else ""
    return rest if len(rest) == 24 and rest.isalnum() else None


def wallet_view(wallet: Wallet) -> dict[str, Any]:
    return {
        "id": wallet.lnpay_id,
        "created_at": wallet.created_at,
        "updated_at": wallet.updated_at,
        "user_label": wallet.name,
        "balance": wallet.balance_msat // 1000,
        "balance_msat": None,  # LNPay never filled it
        "statusType": dict(STATUS_ACTIVE),
        "walletType": dict(WALLET_TYPE),
        "default_lnurlpay_id": None,
    }


def lnpay_extra(payment: Payment) -> dict[str, Any]:
    return payment.extra.get("lnpay") or {}


def _record_text(hex_value: str) -> str:
    """Custom record values are strings in LNPay; show UTF-8 text when the bytes are text."""
    try:
        text = bytes.fromhex(hex_value).decode("utf-8")
    except ValueError:
        return hex_value
    return text if text.isprintable() else hex_value


def _custom_records(payment: Payment) -> dict[str, str] | None:
    if payment.kind != "keysend":
        return None
    records = {k: _record_text(v) for k, v in payment.custom_records.items()}
    if payment.status == "success" and payment.preimage:
        records[PREIMAGE_RECORD] = payment.preimage
    return records or None


def lntx_view(payment: Payment, node_pubkey: str, *, pass_thru: bool = True) -> dict[str, Any]:
    settled = payment.status == "success"
    sats = payment.amount_msat // 1000
    keysend = payment.kind == "keysend"
    if keysend:
        request = f"{payment.destination}:{sats}" if payment.is_out else "keysend"
    else:
        request = payment.bolt11 or ""
    expiry = (payment.expires_at - payment.created_at) if payment.expires_at else None
    view: dict[str, Any] = {
        "id": lntx_id(payment),
        "created_at": payment.created_at,
        "ln_node_id": LN_NODE_ID,
        "dest_pubkey": payment.destination if payment.is_out else node_pubkey,
        "payment_request": request,
        "r_hash_decoded": payment.payment_hash,
        "memo": payment.memo,
        "description_hash": lnpay_extra(payment).get("description_hash"),
        "payment_addr": None,
        "num_satoshis": sats,
        "fee_msat": payment.fee_msat if (settled and payment.is_out) else 0,
        "expiry": expiry if expiry is not None else (432000 if keysend else None),
        "expires_at": payment.expires_at,
        "payment_preimage": payment.preimage if settled else None,
        "settled": 1 if settled else 0,
        "settled_at": payment.settled_at if settled else None,
        "is_keysend": 1 if keysend else None,
        "is_amp": None,
        "custom_records": _custom_records(payment),
    }
    if pass_thru:
        view["passThru"] = lnpay_extra(payment).get("passThru")
    return view


def _wtx_type(payment: Payment) -> str:
    if payment.kind == "transfer":
        return "ln_transfer_out" if payment.is_out else "ln_transfer_in"
    return "ln_withdrawal" if payment.is_out else "ln_deposit"


def _type_view(name: str) -> dict[str, str]:
    return {"layer": "ln", "name": name, "display_name": WTX_TYPES[name]}


def _wtx(*, id: str, created_at: int, num_satoshis: int, user_label: str, wallet: Wallet,
         type_name: str, lntx: dict | None, pass_thru: Any) -> dict[str, Any]:
    wal = wallet_view(wallet)
    kind = _type_view(type_name)
    # Both the current serializer's names (wal, wtxType) and the older relation names
    # (wallet, walletTransactionType, wallet_id) that older SDK docs show.
    return {"id": id, "created_at": created_at, "num_satoshis": num_satoshis,
            "user_label": user_label, "wallet_id": wallet.lnpay_id, "wal": wal,
            "wallet": wal, "wtxType": kind, "walletTransactionType": dict(kind),
            "lnTx": lntx, "passThru": pass_thru}


def wtx_view(payment: Payment, wallet: Wallet, node_pubkey: str) -> dict[str, Any]:
    extra = lnpay_extra(payment)
    is_transfer = payment.kind == "transfer"
    sats = payment.amount_msat // 1000
    return _wtx(
        id=wtx_id(payment), created_at=payment.settled_at or payment.created_at,
        num_satoshis=-sats if payment.is_out else sats,
        user_label=extra.get("user_label") or payment.memo, wallet=wallet,
        type_name=_wtx_type(payment),
        lntx=None if is_transfer else lntx_view(payment, node_pubkey, pass_thru=False),
        pass_thru=extra.get("wtxPassThru", extra.get("passThru")))


def fee_wtx_view(payment: Payment, wallet: Wallet) -> dict[str, Any] | None:
    """The separate routing-fee entry of a settled external payment, if it paid a fee."""
    if not (payment.is_out and payment.status == "success" and payment.fee_msat > 0):
        return None
    fee_sats = -(-payment.fee_msat // 1000)  # a fee of any msat costs at least one sat here
    return _wtx(id=wtx_id(payment) + "fee", created_at=payment.settled_at or payment.created_at,
                num_satoshis=-fee_sats, user_label=f"Routing fee for {lntx_id(payment)}",
                wallet=wallet, type_name="network_fee", lntx=None,
                pass_thru={"fee_msat": payment.fee_msat, "lntx_id": lntx_id(payment)})


def wtx_rows(payments: Iterable[Payment], wallets: dict[str, Wallet],
             node_pubkey: str) -> list[dict[str, Any]]:
    """Settled payments, newest first, as wtx entries (a fee entry comes before its payment,
    being booked after it)."""
    rows: list[dict[str, Any]] = []
    for payment in payments:
        wallet = wallets[payment.wallet_id]
        fee = fee_wtx_view(payment, wallet)
        if fee is not None:
            rows.append(fee)
        rows.append(wtx_view(payment, wallet, node_pubkey))
    return rows


def limit_fields(value: Any, fields: str | None) -> Any:
    """`?fields=a,b`: keep only those top-level keys (Yii's REST serializer)."""
    if not fields:
        return value
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    if isinstance(value, list):
        return [limit_fields(v, fields) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in wanted}
    return value
