"""BOLT11 encoding and signing, shared by the backends that mint invoices themselves."""
from __future__ import annotations

import secrets

import bolt11 as bolt11_lib
from bolt11 import Bolt11, Feature, Features, FeatureState, TagChar, Tags

CURRENCY_BY_NETWORK = {"bitcoin": "bc", "testnet": "tb", "signet": "tbs", "regtest": "bcrt"}
NETWORK_BY_CURRENCY = {currency: network for network, currency in CURRENCY_BY_NETWORK.items()}
MIN_FINAL_CLTV_EXPIRY = 18

# var_onion_optin and payment_secret are compulsory for every modern payer; basic_mpp is advertised
# the way CLN and LND do.
_FEATURES = Features.from_feature_list(
    {
        Feature.var_onion_optin: FeatureState.required,
        Feature.payment_secret: FeatureState.required,
        Feature.basic_mpp: FeatureState.supported,
    }
)


def encode_invoice(
    private_key: str,
    currency: str,
    *,
    payment_hash: str,
    amount_msat: int | None,
    memo: str,
    description_hash: str | None,
    expiry: int,
    timestamp: int,
) -> str:
    """A BOLT11 invoice signed with `private_key` (hex); the payee is recovered from the
    signature."""
    tags = Tags()
    tags.add(TagChar.payment_hash, payment_hash)
    tags.add(TagChar.payment_secret, secrets.token_hex(32))
    if description_hash:
        tags.add(TagChar.description_hash, description_hash)
    else:
        tags.add(TagChar.description, memo)
    tags.add(TagChar.expire_time, expiry)
    tags.add(TagChar.min_final_cltv_expiry, MIN_FINAL_CLTV_EXPIRY)
    tags.add(TagChar.features, _FEATURES)
    invoice = Bolt11(
        currency=currency,
        date=timestamp,
        tags=tags,
        amount_msat=bolt11_lib.MilliSatoshi(amount_msat) if amount_msat else None,
    )
    return bolt11_lib.encode(invoice, private_key=private_key)
