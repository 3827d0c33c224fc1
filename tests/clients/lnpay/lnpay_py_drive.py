"""Drives PyPI lnpay-py 0.1.0, unchanged, against lngate (endpoint_url with a trailing slash).
Prints one JSON line of what the client saw."""
import json
import os

import lnpay_py
from lnpay_py.lntx import LNPayLnTx
from lnpay_py.utility_helpers import get_request, post_request
from lnpay_py.wallet import LNPayWallet

env = os.environ
lnpay_py.initialize(env["PAYER_PAK"], params={"endpoint_url": env["LNGATE_URL"] + "/v1/"})
payer, payer_read = LNPayWallet(env["PAYER_WAKA"]), LNPayWallet(env["PAYER_WAKR"])
payee = LNPayWallet(env["PAYEE_WAKI"])  # same account: pairs with the same pak_
seen = {}
seen["balance"] = payer_read.get_info()
seen["invoice"] = payee.create_invoice({"num_satoshis": 40, "memo": "lnpay-py",
                                        "passThru": {"ticketId": "py"}})
seen["withdraw"] = payer.pay_invoice({"payment_request": seen["invoice"]["payment_request"]})
seen["paid_invoice"] = LNPayLnTx(seen["invoice"]["id"]).get_info()
seen["keysend"] = post_request(f"wallet/{env['PAYER_WAKA']}/keysend",
                               {"dest_pubkey": env["KEYSEND_PUBKEY"], "num_satoshis": 3})
seen["transfer"] = payer.internal_transfer({"dest_wallet_id": env["PAYEE_WAL"],
                                            "num_satoshis": 5, "memo": "py"})
seen["all"] = payer_read.get_transactions()
seen["page2"] = get_request(f"wallet/{env['PAYER_WAKR']}/transactions?per-page=2&page=2")
seen["lntx"] = LNPayLnTx(seen["withdraw"]["lnTx"]["id"]).get_info()
seen["lnurl"] = payer.get_lnurl({"num_satoshis": 2})
seen["created"] = lnpay_py.create_wallet({"user_label": "made by lnpay-py"})
seen["error"] = payer.pay_invoice({"payment_request": seen["invoice"]["payment_request"]})
seen["after"] = payer_read.get_info()
print(json.dumps(seen))
