"""LNPay history pages: every page agrees with the whole list, routing-fee entries included,
for one wallet and across an account's wallets."""
from tests.lnpay_helpers import external_invoice, keys_of


async def _all_pages(client, path, headers, per_page):
    rows, page = [], 1
    while True:
        r = await client.get(path, headers=headers, params={"page": page, "per-page": per_page})
        assert r.status_code == 200, r.text
        rows += r.json()
        if page >= int(r.headers["X-Pagination-Page-Count"]):
            return rows, int(r.headers["X-Pagination-Total-Count"])
        page += 1


async def test_pages_cover_the_history_exactly(client, wallet_factory):
    a = await wallet_factory("a", sat=1000)
    b = await wallet_factory("b", sat=10, user_id=a.user.id)
    k = keys_of(a)
    h = {"X-Api-Key": k["sak"]}
    for i in range(5):  # external payments with a routing fee: two wtx each
        ext = await external_invoice(client, 10 + i, fee_msat=1_500)
        r = await client.post(f"/v1/wallet/{k['waka']}/withdraw", headers=h,
                              json={"payment_request": ext["bolt11"]})
        assert r.status_code == 201, r.text
        r = await client.post(f"/v1/wallet/{k['waka']}/transfer", headers=h,
                              json={"dest_wallet_id": b.wallet.lnpay_id, "num_satoshis": 1})
        assert r.status_code == 201, r.text
    path = f"/v1/wallet/{k['wakr']}/transactions"
    whole, total = await _all_pages(client, path, h, 500)
    assert total == len(whole) == 1 + 5 * 2 + 5
    assert sum(1 for row in whole if row["wtxType"]["name"] == "network_fee") == 5
    for per_page in (1, 2, 3, 7):
        paged, paged_total = await _all_pages(client, path, h, per_page)
        assert paged_total == total
        assert [row["id"] for row in paged] == [row["id"] for row in whole]
    account, account_total = await _all_pages(client, "/v1/wallet-transactions", h, 3)
    assert account_total == total + 1 + 5  # b's funding and its five transfers in
    seqs = [row["created_at"] for row in account]
    assert seqs == sorted(seqs, reverse=True)
