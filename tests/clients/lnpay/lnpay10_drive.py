"""Drives PyPI Lnpay 1.0, unchanged. Its base URL https://lnpay.co/v1 is hard-coded inside
`Lnpay.Push`, so this process mounts a requests transport adapter that sends lnpay.co traffic
to lngate instead. Prints one JSON line of what the client saw."""
import json
import os

import requests
from requests.adapters import HTTPAdapter

import Lnpay

LNGATE = os.environ["LNGATE_URL"]


class ToLngate(HTTPAdapter):
    def send(self, request, *args, **kwargs):
        request.url = LNGATE + request.url[len("https://lnpay.co"):]
        return super().send(request, *args, **kwargs)


_session_init = requests.Session.__init__


def _init(self, *args, **kwargs):
    _session_init(self, *args, **kwargs)
    self.mount("https://lnpay.co/", ToLngate())


requests.Session.__init__ = _init

env = os.environ
Lnpay.Public().importkey(env["PAYER_PAK"])  # sent as HTTP Basic pak:pak
payer = Lnpay.Wallet()
payer.importkeys(env["PAYER_WAL"], env["PAYER_WAKA"], env["PAYER_WAKI"], env["PAYER_WAKR"])
seen = {}
seen["balance"] = payer.balance()
payee = Lnpay.Wallet()
seen["created"] = payee.create("made by Lnpay 1.0")  # form body, pak_ via Basic
payee.importkeys(seen["created"])
seen["invoice"] = payee.newinvoice(40, passthru={"ticketId": "556"}, memo="Lnpay 1.0")
seen["withdraw"] = payer.payinvoice(seen["invoice"]["payment_request"], passthru={"app": "py"})
seen["paid_invoice"] = Lnpay.Lntx().status(seen["invoice"]["id"])
seen["keysend"] = Lnpay.Push(f"/wallet/{env['PAYER_WAKA']}/keysend", method="POST",
                             data={"dest_pubkey": env["KEYSEND_PUBKEY"], "num_satoshis": 3,
                                   "custom_records": json.dumps({"696969": "form"})},
                             auth=payer.auth).json()
seen["transfer"] = payer.transfer(seen["created"]["id"], 5, memo="Lnpay 1.0")
seen["all"] = payer.transactions()
page = Lnpay.Push(f"/wallet/{env['PAYER_WAKR']}/transactions?per-page=2&page=2",
                  auth=payer.auth)
seen["page2"] = page.json()
seen["page2_headers"] = {k.lower(): v for k, v in page.headers.items()
                         if k.lower().startswith("x-pagination")}
seen["lntx"] = Lnpay.Lntx().status(seen["withdraw"]["lnTx"]["id"])
seen["error"] = payer.payinvoice(seen["invoice"]["payment_request"])
seen["payee_after"] = payee.balance()
seen["after"] = payer.balance()
print(json.dumps(seen))
