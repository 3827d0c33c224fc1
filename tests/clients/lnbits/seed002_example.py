"""Steps three and four of the "Simple Python example of a service accounts system" in the
LNbits API reference (seed 002), unchanged but for where the base URL and keys come from.

Steps one and two of that example call the User Manager *extension*
(/usermanager/api/v1/...) to mint a user; lngate has no extensions, so the keys come from
`lngate wallet create` (or POST /api/v1/account) instead.

Usage: LNBITS_URL=... NEW_USER_INVOICE_KEY=... MANAGER_KEY=... python seed002_example.py
"""
import os

import requests, json

base_url = os.environ["LNBITS_URL"]
manager_key = os.environ["MANAGER_KEY"]
new_user_invoice_key = os.environ["NEW_USER_INVOICE_KEY"]

################################################################################
# Create invoice for user                                                      #
################################################################################

amount = 1000 # in sats
memo = "Payment/Tip from service/game XXXXX"
data = {"out": False, "amount": amount, "memo": memo}
headers = {"X-Api-Key":new_user_invoice_key, "Content-type":"application/json"}

post_return = requests.post(base_url+"/api/v1/payments",
                            data=json.dumps(data),
                            headers=headers)

payment_hash = post_return.json()["payment_hash"]
payment_request = post_return.json()["payment_request"]

print("\nThird step: create invoice from user.")
print("Invoice hash:", payment_hash)
print("Invoice request (bolt11):", payment_request)


################################################################################
# Pay invoice to the user wallet (still on your service)                       #
################################################################################

data = {"out": True, "bolt11": payment_request}
headers = {"X-Api-Key": manager_key, "Content-type": "application/json"}

post_return = requests.post(base_url+"/api/v1/payments",
                            data=json.dumps(data),
                            headers=headers)

print("\nFourth step: pay invoice to the user.")
if post_return.status_code == 201:
  payment_hash = post_return.json()["payment_hash"]
  print("Payment successfull.")
  print("Invoice hash:", payment_hash)
else:
  print("Error!", post_return.json()["message"])
