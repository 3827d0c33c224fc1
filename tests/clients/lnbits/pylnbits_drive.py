"""Drive lngate with the PyPI client pylnbits 0.0.8 and print what it saw as one JSON line.

Usage: LNBITS_URL=... PAYEE_IN=... PAYEE_ADMIN=... PAYER_IN=... PAYER_ADMIN=...
       python pylnbits_drive.py
"""
import asyncio
import json
import os

from aiohttp.client import ClientSession
from pylnbits.config import Config
from pylnbits.user_wallet import UserWallet


async def main() -> None:
    url = os.environ["LNBITS_URL"]
    payee_cfg = Config(in_key=os.environ["PAYEE_IN"], admin_key=os.environ["PAYEE_ADMIN"],
                       lnbits_url=url)
    payer_cfg = Config(in_key=os.environ["PAYER_IN"], admin_key=os.environ["PAYER_ADMIN"],
                       lnbits_url=url)
    seen = {}
    async with ClientSession() as session:
        payee, payer = UserWallet(payee_cfg, session), UserWallet(payer_cfg, session)
        seen["payer_before"] = await payer.get_wallet_details()
        invoice = await payee.create_invoice(False, 250, "pylnbits tip", None)
        seen["invoice"] = invoice
        seen["unpaid"] = await payee.check_invoice(invoice["payment_hash"])
        seen["decoded_hash"] = await payee.get_payhash(invoice["payment_request"])
        seen["paid"] = await payer.pay_invoice(True, invoice["payment_request"])
        seen["status"] = await payee.check_invoice(invoice["payment_hash"])
        seen["payee_after"] = await payee.get_wallet_details()
        seen["payer_after"] = await payer.get_wallet_details()
        seen["by_memo"] = await payee.get_invoicesbymemo("pylnbits%20tip")
        seen["all"] = await payee.get_invoices()
    print(json.dumps(seen))


asyncio.run(main())
