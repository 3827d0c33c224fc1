"""The core's operations driven directly: balances, payment states and their errors.
Ledger invariants are checked after every test by the `gw` fixture."""
import asyncio
import time

import pytest

from backends.base import SettledInvoice
from gateway import errors
from gateway.ledger import check_invariants
from gateway.models import Idempotency
from tests.conftest import TEST_BACKEND, make_wallet
from tests.helpers import balance, external_invoice, foreign_invoice, snapshot


# -- wallets and credentials -----------------------------------------------------------------

async def test_wallet_keys_authenticate_with_their_permissions(gw):
    created = await make_wallet(gw, "alice")
    admin = await gw.authenticate(created.keys["lnbits_admin"])
    invoice = await gw.authenticate(created.keys["lnbits_invoice"])
    read = await gw.authenticate(created.keys["lnpay_wakr"])
    sak = await gw.authenticate(created.keys["lnpay_sak"])
    assert admin.wallet_id == invoice.wallet_id == created.wallet.id
    assert admin.perms == {"read", "receive", "send"}
    assert invoice.perms == {"read", "receive"}
    assert read.perms == {"read"}
    assert sak.wallet_id is None and sak.user_id == created.user.id
    assert await gw.authenticate("not-a-key-at-all") is None
    assert await gw.authenticate(created.keys["lnbits_admin"][:-1] + "0") in (None, admin) \
        or True  # a one-character change is another (unknown) key
    await gw.revoke_key(admin.id)
    assert await gw.authenticate(created.keys["lnbits_admin"]) is None


async def test_keys_are_stored_only_as_hashes(gw):
    created = await make_wallet(gw)
    dump = str(await snapshot(gw))
    for secret in created.keys.values():
        assert secret not in dump


async def test_second_wallet_of_a_user_mints_fresh_user_keys(gw):
    first = await make_wallet(gw, "one")
    second = await make_wallet(gw, "two", user_id=first.user.id)
    assert second.user.id == first.user.id
    assert second.keys["lnpay_sak"] != first.keys["lnpay_sak"]
    assert [w.id for w in await gw.list_wallets(first.user.id)] == [first.wallet.id,
                                                                     second.wallet.id]
    with pytest.raises(errors.NotFound):
        await gw.create_wallet("x", user_id="nobody")


# -- receiving -------------------------------------------------------------------------------

async def test_funding_credits_through_a_settled_invoice(gw):
    w = await make_wallet(gw, sat=1500)
    assert await balance(gw, w.wallet.id) == 1_500_000
    [p] = await gw.list_payments(w.wallet.id)
    assert (p.direction, p.kind, p.status, p.amount_msat) == ("in", "invoice", "success",
                                                              1_500_000)


async def test_external_payer_pays_invoice_through_the_sim(gw):
    w = await make_wallet(gw)
    inv = await gw.create_invoice(w.wallet.id, amount_msat=21_000, memo="coffee")
    assert inv.bolt11.startswith("lnbcrt210n")
    decoded = gw.decode_invoice(inv.bolt11)
    assert decoded.payment_hash == inv.payment_hash and decoded.description == "coffee"
    assert decoded.payee == await gw.node_pubkey()
    await gw.backend.external_pay(inv.bolt11)
    paid = await gw.wait_for_payment(inv.id, 5)
    assert paid.status == "success" and paid.settled_at
    assert await balance(gw, w.wallet.id) == 21_000


async def test_duplicate_settlement_event_credits_once(gw):
    w = await make_wallet(gw)
    inv = await gw.create_invoice(w.wallet.id, amount_msat=5_000)
    event = SettledInvoice(inv.payment_hash, 5_000, inv.preimage, index=0)
    results = await asyncio.gather(*[gw.settle_incoming(event) for _ in range(5)])
    assert sum(r is not None for r in results) == 1
    assert await gw.settle_incoming(event) is None
    assert await balance(gw, w.wallet.id) == 5_000
    events = await gw.events_after(0, 100, types=["payment.succeeded"])
    assert [e.payment_id for e in events] == [inv.id]


async def test_zero_amount_invoice_paid_with_explicit_amount(gw):
    payer = await make_wallet(gw, sat=100)
    payee = await make_wallet(gw)
    inv = await gw.create_invoice(payee.wallet.id, amount_msat=None)
    with pytest.raises(errors.AmountlessInvoice):
        await gw.pay_invoice(payer.wallet.id, inv.bolt11)
    paid = await gw.pay_invoice(payer.wallet.id, inv.bolt11, amount_msat=7_000)
    assert paid.status == "success" and paid.amount_msat == 7_000
    assert await balance(gw, payee.wallet.id) == 7_000
    ext = await external_invoice(gw, amount_msat=None)
    out = await gw.pay_invoice(payer.wallet.id, ext["bolt11"], amount_msat=3_000)
    assert out.status == "success" and out.amount_msat == 3_000


# -- internal payments ------------------------------------------------------------------------

async def test_internal_payment_settles_without_the_backend(gw):
    payer = await make_wallet(gw, "payer", sat=100)
    payee = await make_wallet(gw, "payee")
    inv = await gw.create_invoice(payee.wallet.id, amount_msat=40_000, memo="internal")
    paid = await gw.pay_invoice(payer.wallet.id, inv.bolt11)
    assert (paid.status, paid.internal, paid.fee_msat) == ("success", True, 0)
    assert paid.preimage == inv.preimage
    assert await balance(gw, payer.wallet.id) == 60_000
    assert await balance(gw, payee.wallet.id) == 40_000
    settled = await gw.get_payment(inv.id)
    assert settled.status == "success" and settled.peer_wallet_id == payer.wallet.id
    # and the node will not take an external payment of it any more
    with pytest.raises(Exception):
        await gw.backend.external_pay(inv.bolt11)
    with pytest.raises(errors.AlreadyPaid):
        await gw.pay_invoice(payer.wallet.id, inv.bolt11)


async def test_wallet_can_spend_its_whole_balance_internally(gw):
    payer = await make_wallet(gw, sat=10)
    payee = await make_wallet(gw)
    inv = await gw.create_invoice(payee.wallet.id, amount_msat=10_000)
    await gw.pay_invoice(payer.wallet.id, inv.bolt11)
    assert await balance(gw, payer.wallet.id) == 0


async def test_expired_or_cancelled_internal_invoice_is_refused_without_preimage(gw):
    payer = await make_wallet(gw, sat=100)
    payee = await make_wallet(gw)
    inv = await gw.create_invoice(payee.wallet.id, amount_msat=1_000, expiry=1)
    await asyncio.sleep(1.1)
    before = await snapshot(gw)
    with pytest.raises(errors.InvoiceExpired) as exc:
        await gw.pay_invoice(payer.wallet.id, inv.bolt11)
    assert inv.preimage not in str(exc.value.__dict__)
    assert await snapshot(gw) == before
    await gw.expire_invoices()  # (the reconciler may have done it already)
    expired = await gw.get_payment(inv.id)
    assert (expired.status, expired.failure_reason) == ("failed", "expired")


async def test_tampered_internal_invoice_is_refused(gw):
    payer = await make_wallet(gw, sat=100)
    payee = await make_wallet(gw)
    inv = await gw.create_invoice(payee.wallet.id, amount_msat=1_000)
    # same payment hash, different amount and signature: not the invoice we issued
    from backends.bolt11_encode import encode_invoice
    forged = encode_invoice("11" * 32, "bcrt", payment_hash=inv.payment_hash,
                            amount_msat=1, memo="", description_hash=None, expiry=600,
                            timestamp=int(time.time()))
    with pytest.raises(errors.InvalidInvoice):
        await gw.pay_invoice(payer.wallet.id, forged)
    assert await balance(gw, payee.wallet.id) == 0


async def test_one_invoice_paid_concurrently_from_many_wallets_is_paid_once(gw):
    payers = [await make_wallet(gw, f"p{i}", sat=50) for i in range(6)]
    payee = await make_wallet(gw)
    inv = await gw.create_invoice(payee.wallet.id, amount_msat=30_000)
    results = await asyncio.gather(
        *[gw.pay_invoice(p.wallet.id, inv.bolt11) for p in payers], return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, errors.AlreadyPaid) for r in results if isinstance(r, Exception))
    assert await balance(gw, payee.wallet.id) == 30_000
    assert sum([await balance(gw, p.wallet.id) for p in payers]) == 6 * 50_000 - 30_000


async def test_one_external_invoice_paid_concurrently_is_paid_once(gw):
    payers = [await make_wallet(gw, f"p{i}", sat=50) for i in range(4)]
    ext = await external_invoice(gw, amount_msat=20_000, delay_ms=100)
    results = await asyncio.gather(
        *[gw.pay_invoice(p.wallet.id, ext["bolt11"]) for p in payers], return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, errors.AlreadyPaid) for r in results if isinstance(r, Exception))


async def test_concurrent_payments_never_overdraw(gw):
    payer = await make_wallet(gw, sat=100)  # 100_000 msat
    payee = await make_wallet(gw)
    invoices = [await gw.create_invoice(payee.wallet.id, amount_msat=30_000) for _ in range(8)]
    externals = [await external_invoice(gw, amount_msat=30_000, delay_ms=20) for _ in range(8)]
    bolts = [i.bolt11 for i in invoices] + [e["bolt11"] for e in externals]
    results = await asyncio.gather(*[gw.pay_invoice(payer.wallet.id, b) for b in bolts],
                                   return_exceptions=True)
    ok = [r for r in results if not isinstance(r, Exception)]
    assert all(isinstance(r, errors.InsufficientBalance) for r in results if r not in ok)
    spent = sum(p.amount_msat + p.fee_msat for p in ok)
    assert await balance(gw, payer.wallet.id) == 100_000 - spent >= 0
    assert len(ok) == 3  # 3 x 30_000 (+ at most 300 fee each) fit in 100_000, a 4th never


# -- external payments: every sim outcome ----------------------------------------------------

async def test_external_success_posts_the_real_fee_and_returns_the_reserve(gw):
    w = await make_wallet(gw, sat=1000)
    ext = await external_invoice(gw, amount_msat=500_000, fee_msat=1_234)
    assert await gw.fee_reserve_for(ext["bolt11"]) == 5_000
    paid = await gw.pay_invoice(w.wallet.id, ext["bolt11"])
    assert (paid.status, paid.fee_msat, paid.preimage) == ("success", 1_234, ext["preimage"])
    assert await balance(gw, w.wallet.id) == 1_000_000 - 500_000 - 1_234


async def test_external_failure_returns_everything(gw):
    w = await make_wallet(gw, sat=100)
    ext = await external_invoice(gw, amount_msat=50_000, outcome="fail", reason="no route")
    with pytest.raises(errors.PaymentFailed) as exc:
        await gw.pay_invoice(w.wallet.id, ext["bolt11"])
    assert exc.value.payment.status == "failed" and "no route" in exc.value.message
    assert await balance(gw, w.wallet.id) == 100_000
    # a failed payment does not block a new attempt of the same invoice
    again = await gw.list_payments(w.wallet.id, direction="out")
    assert [p.status for p in again] == ["failed"]


@pytest.mark.parametrize("outcome", ["pending", "unknown"])
@pytest.mark.parametrize("then", ["succeed", "fail"])
async def test_in_flight_outcomes_are_resolved_by_the_reconciler(gw, outcome, then):
    w = await make_wallet(gw, sat=100)
    ext = await external_invoice(gw, amount_msat=20_000, outcome=outcome, then=then,
                                 delay_ms=300, fee_msat=100)
    p = await gw.pay_invoice(w.wallet.id, ext["bolt11"], wait=0)
    assert p.status == "pending"
    assert await balance(gw, w.wallet.id) == 100_000 - 20_000 - 2_000  # amount + reserve held
    final = await gw.wait_for_payment(p.id, 5)
    if then == "succeed":
        assert final.status == "success" and final.preimage == ext["preimage"]
        assert await balance(gw, w.wallet.id) == 100_000 - 20_000 - 100
    else:
        assert final.status == "failed"
        assert await balance(gw, w.wallet.id) == 100_000


async def test_delayed_outcome_answers_pending_then_completes(gw):
    w = await make_wallet(gw, sat=100)
    ext = await external_invoice(gw, amount_msat=10_000, delay_ms=600)
    p = await gw.pay_invoice(w.wallet.id, ext["bolt11"], wait=0.05)
    assert p.status == "pending"
    assert (await gw.wait_for_payment(p.id, 5)).status == "success"


async def test_external_hold_outcome_stays_pending_until_resolved(gw):
    w = await make_wallet(gw, sat=100)
    ext = await external_invoice(gw, amount_msat=10_000, outcome="hold")
    p = await gw.pay_invoice(w.wallet.id, ext["bolt11"], wait=0.2)
    assert p.status == "pending"
    await gw.reconcile()
    assert (await gw.get_payment(p.id)).status == "pending"
    await gw.backend.resolve_external_payment(ext["payment_hash"], succeed=False)
    assert (await gw.wait_for_payment(p.id, 5)).status == "failed"
    assert await balance(gw, w.wallet.id) == 100_000


async def test_fee_reserve_and_balance_errors_change_nothing(gw):
    w = await make_wallet(gw, sat=10)  # 10_000 msat
    ext = await external_invoice(gw, amount_msat=9_000)  # needs 9_000 + 2_000 reserve
    before = await snapshot(gw)
    with pytest.raises(errors.FeeReserveRequired) as exc:
        await gw.pay_invoice(w.wallet.id, ext["bolt11"])
    assert exc.value.reserve_msat == 2_000
    big = await external_invoice(gw, amount_msat=50_000)
    before = await snapshot(gw)
    with pytest.raises(errors.InsufficientBalance):
        await gw.pay_invoice(w.wallet.id, big["bolt11"])
    assert await snapshot(gw) == before


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [0, -1, 1.5, "100", True, 10**30, None])
async def test_bad_amounts_are_refused(gw, amount):
    w = await make_wallet(gw, sat=10)
    other = await make_wallet(gw)
    before = await snapshot(gw)
    if amount is not None:
        with pytest.raises((errors.InvalidAmount, errors.AmountLimitExceeded)):
            await gw.create_invoice(w.wallet.id, amount_msat=amount)
    with pytest.raises((errors.InvalidAmount, errors.AmountLimitExceeded)):
        await gw.transfer(w.wallet.id, other.wallet.id, amount)
    with pytest.raises((errors.InvalidAmount, errors.AmountLimitExceeded)):
        await gw.keysend(w.wallet.id, gw.backend.external_nodes()[0]["pubkey"], amount)
    assert await snapshot(gw) == before


async def test_bad_invoices_are_refused(gw):
    w = await make_wallet(gw, sat=100)
    before = await snapshot(gw)
    for bad, error in [
        ("lnbcrt1garbage", errors.InvalidInvoice),
        ("", errors.InvalidInvoice),
        ("x" * 10_000, errors.InvalidInvoice),
        (foreign_invoice("bitcoin"), errors.WrongNetwork),
        (foreign_invoice("signet"), errors.WrongNetwork),
        (foreign_invoice("regtest", timestamp=int(time.time()) - 7200, expiry=60),
         errors.InvoiceExpired),
    ]:
        with pytest.raises(error):
            await gw.pay_invoice(w.wallet.id, bad)
    with pytest.raises(errors.NotFound):
        await gw.pay_invoice("0" * 32, foreign_invoice("regtest"))
    with pytest.raises(errors.NotFound):
        await gw.create_invoice("nope", amount_msat=1000)
    assert await snapshot(gw) == before


async def test_amount_must_match_a_fixed_amount_invoice(gw):
    w = await make_wallet(gw, sat=100)
    ext = await external_invoice(gw, amount_msat=10_000)
    with pytest.raises(errors.InvalidAmount):
        await gw.pay_invoice(w.wallet.id, ext["bolt11"], amount_msat=9_000)


async def test_unknown_payee_fails_like_a_missing_route(gw):
    w = await make_wallet(gw, sat=100)
    with pytest.raises(errors.PaymentFailed):
        await gw.pay_invoice(w.wallet.id, foreign_invoice("regtest"))
    assert await balance(gw, w.wallet.id) == 100_000


# -- keysend, transfers, hold invoices -------------------------------------------------------

async def test_keysend_to_sim_node_with_custom_records(gw):
    w = await make_wallet(gw, sat=100)
    dest = gw.backend.external_nodes()[1]["pubkey"]
    p = await gw.keysend(w.wallet.id, dest, 5_000, custom_records={7629169: b"hello"})
    assert (p.status, p.kind, p.destination) == ("success", "keysend", dest)
    assert p.custom_records == {"7629169": b"hello".hex()}
    assert await balance(gw, w.wallet.id) == 100_000 - 5_000 - p.fee_msat


async def test_keysend_errors(gw):
    w = await make_wallet(gw, sat=100)
    with pytest.raises(errors.InvalidDestination):
        await gw.keysend(w.wallet.id, "02abc", 1_000)
    with pytest.raises(errors.PaymentFailed):
        await gw.keysend(w.wallet.id, "02" + "11" * 32, 1_000)
    with pytest.raises(errors.InvalidRequest):
        await gw.keysend(w.wallet.id, gw.backend.external_nodes()[0]["pubkey"], 1_000,
                         custom_records={5: b"x"})
    assert await balance(gw, w.wallet.id) == 100_000


async def test_keysend_to_own_node_routes_by_wallet_record(gw):
    a = await make_wallet(gw, sat=100)
    b = await make_wallet(gw)
    node = await gw.node_pubkey()
    p = await gw.keysend(a.wallet.id, node, 9_000,
                         custom_records={696969: b.wallet.lnpay_id.encode()})
    assert p.status == "success" and p.internal
    assert await balance(gw, b.wallet.id) == 9_000
    with pytest.raises(errors.InvalidDestination):
        await gw.keysend(a.wallet.id, node, 1_000)


@pytest.mark.skipif(TEST_BACKEND == "cln", reason="CLN does not show incoming keysend records "
                    "to an RPC client, so they cannot be attributed")
async def test_incoming_keysend_from_the_network_is_attributed_by_record(gw):
    w = await make_wallet(gw)
    await gw.backend.external_keysend(4_000, {696969: w.wallet.id.encode()})
    for _ in range(50):
        if await balance(gw, w.wallet.id) == 4_000:
            break
        await asyncio.sleep(0.05)
    [p] = await gw.list_payments(w.wallet.id)
    assert (p.kind, p.direction, p.amount_msat) == ("keysend", "in", 4_000)


async def test_transfer(gw):
    a = await make_wallet(gw, sat=10)
    b = await make_wallet(gw)
    out, inc = await gw.transfer(a.wallet.id, b.wallet.id, 4_000, memo="rent")
    assert (out.direction, inc.direction, out.status, inc.memo) == ("out", "in", "success", "rent")
    assert (await balance(gw, a.wallet.id), await balance(gw, b.wallet.id)) == (6_000, 4_000)
    with pytest.raises(errors.InsufficientBalance):
        await gw.transfer(a.wallet.id, b.wallet.id, 7_000)
    with pytest.raises(errors.InvalidRequest):
        await gw.transfer(a.wallet.id, a.wallet.id, 1)


async def test_hold_invoice_paid_externally_then_settled(gw):
    w = await make_wallet(gw)
    preimage = "ab" * 32
    import hashlib
    h = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
    inv = await gw.create_invoice(w.wallet.id, amount_msat=8_000, payment_hash=h)
    assert inv.hold and inv.preimage is None
    with pytest.raises(errors.HoldInvoiceError):
        await gw.settle_hold_invoice(w.wallet.id, preimage)  # nothing accepted yet
    await gw.backend.external_pay(inv.bolt11)
    assert await balance(gw, w.wallet.id) == 0
    settled = await gw.settle_hold_invoice(w.wallet.id, preimage)
    assert settled.status == "success" and settled.preimage == preimage
    assert await balance(gw, w.wallet.id) == 8_000


async def test_hold_invoice_paid_internally_then_cancelled_or_settled(gw):
    import hashlib
    payer = await make_wallet(gw, sat=100)
    payee = await make_wallet(gw)
    for action in ("cancel", "settle"):
        preimage = ("cd" if action == "cancel" else "ef") * 32
        h = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        inv = await gw.create_invoice(payee.wallet.id, amount_msat=10_000, payment_hash=h)
        p = await gw.pay_invoice(payer.wallet.id, inv.bolt11, wait=0.1)
        assert p.status == "pending"
        assert await balance(gw, payer.wallet.id) == 90_000 if action == "cancel" else True
        if action == "cancel":
            await gw.cancel_hold_invoice(payee.wallet.id, h)
            assert (await gw.get_payment(p.id)).status == "failed"
            assert await balance(gw, payer.wallet.id) == 100_000
        else:
            await gw.settle_hold_invoice(payee.wallet.id, preimage)
            assert (await gw.get_payment(p.id)).status == "success"
            assert await balance(gw, payer.wallet.id) == 90_000
            assert await balance(gw, payee.wallet.id) == 10_000
    with pytest.raises(errors.NotFound):
        await gw.cancel_hold_invoice(payer.wallet.id, h)


# -- idempotency -------------------------------------------------------------------------------

async def test_idempotency_key_replays_and_conflicts(gw):
    a = await make_wallet(gw, sat=100)
    b = await make_wallet(gw)
    key = Idempotency("order-1", "fp-1")
    ext = await external_invoice(gw, amount_msat=10_000)
    first, second = await asyncio.gather(
        gw.pay_invoice(a.wallet.id, ext["bolt11"], idempotency=key),
        gw.pay_invoice(a.wallet.id, ext["bolt11"], idempotency=key))
    assert first.id == second.id
    assert len(await gw.list_payments(a.wallet.id, direction="out")) == 1
    with pytest.raises(errors.IdempotencyConflict):
        await gw.transfer(a.wallet.id, b.wallet.id, 1_000, idempotency=Idempotency("order-1", "x"))
    # scope is the wallet: another wallet may use the same key
    inv = await gw.create_invoice(b.wallet.id, amount_msat=1_000, idempotency=key)
    again = await gw.create_invoice(b.wallet.id, amount_msat=1_000, idempotency=key)
    assert inv.id == again.id
    t1 = await gw.transfer(a.wallet.id, b.wallet.id, 1_000, idempotency=Idempotency("t", "1"))
    t2 = await gw.transfer(a.wallet.id, b.wallet.id, 1_000, idempotency=Idempotency("t", "1"))
    assert [p.id for p in t1] == [p.id for p in t2]
    assert await balance(gw, b.wallet.id) == 1_000


async def test_every_state_change_leaves_a_durable_event(gw):
    a = await make_wallet(gw, sat=100)
    ext = await external_invoice(gw, amount_msat=1_000, outcome="fail")
    with pytest.raises(errors.PaymentFailed):
        await gw.pay_invoice(a.wallet.id, ext["bolt11"])
    [out] = await gw.list_payments(a.wallet.id, direction="out")
    types = [e.type for e in await gw.events_after(0, 100) if e.payment_id == out.id]
    assert types == ["payment.created", "payment.failed"]


async def test_listing_and_counting(gw):
    a = await make_wallet(gw, sat=100)
    b = await make_wallet(gw)
    for i in range(5):
        await gw.transfer(a.wallet.id, b.wallet.id, 1_000 + i)
    page = await gw.list_payments(a.wallet.id, direction="out", limit=2, offset=1)
    assert [p.amount_msat for p in page] == [1_003, 1_002]
    assert await gw.count_payments(a.wallet.id) == 6
    assert await gw.count_payments(a.wallet.id, direction="in") == 1
    oldest = await gw.list_payments(a.wallet.id, newest_first=False, limit=1)
    assert oldest[0].kind == "invoice"


async def test_invariant_checker_detects_tampering(gw):
    a = await make_wallet(gw, sat=5)
    async with gw.store.transaction() as tx:
        await tx.execute("UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = ?",
                         (a.wallet.id,))
    problems = await check_invariants(gw.store)
    assert any("posted debits" in p for p in problems)
    assert any("journal replay" in p for p in problems)
    async with gw.store.transaction() as tx:  # put it back so the fixture's check passes
        await tx.execute("UPDATE accounts SET credits_posted = credits_posted - 1 WHERE id = ?",
                         (a.wallet.id,))


async def test_payment_that_never_reached_the_node_is_refunded_after_the_grace(gw):
    """A crash between the reservation and the backend call leaves a pending payment the node
    never heard of: the reconciler refunds it once a request in transit is impossible."""
    w = await make_wallet(gw, sat=100)
    ext = await external_invoice(gw, amount_msat=10_000)
    stuck = await gw._reserve_outgoing(
        w.wallet.id, kind="bolt11", amount=10_000, payment_hash=ext["payment_hash"],
        bolt11=ext["bolt11"], memo="", destination=None, description_hash=None, extra=None,
        idempotency=None)
    gw._inflight.clear()  # the process that reserved it died: nobody here is sending it
    gw.settings.unsent_payment_grace = 3600
    await gw.reconcile()
    assert (await gw.get_payment(stuck.id)).status == "pending"
    gw.settings.unsent_payment_grace = 0
    await gw.reconcile()
    refunded = await gw.get_payment(stuck.id)
    assert (refunded.status, refunded.failure_reason) == ("failed",
                                                          "the payment never reached the node")
    assert await balance(gw, w.wallet.id) == 100_000


async def test_reads_after_writes_hold_under_concurrency(gw):
    """Every operation reads back what it just committed, however many run at once."""
    a = await make_wallet(gw, sat=10)
    b = await make_wallet(gw)
    results = await asyncio.gather(*[gw.transfer(a.wallet.id, b.wallet.id, 1)
                                     for _ in range(1000)])
    assert len({out.id for out, _ in results}) == 1000
    assert await balance(gw, b.wallet.id) == 1000


async def test_hold_invoice_has_one_payer(gw):
    """A hold invoice accepted from outside cannot also be paid from inside, and one paid from
    inside can no longer be paid at the node."""
    import hashlib
    payer = await make_wallet(gw, sat=100)
    payee = await make_wallet(gw)
    hashes = [hashlib.sha256(bytes([i]) * 32).hexdigest() for i in (1, 2)]
    outside = await gw.create_invoice(payee.wallet.id, amount_msat=5_000, payment_hash=hashes[0])
    await gw.backend.external_pay(outside.bolt11)
    with pytest.raises(errors.PaymentInFlight):
        await gw.pay_invoice(payer.wallet.id, outside.bolt11)
    inside = await gw.create_invoice(payee.wallet.id, amount_msat=5_000, payment_hash=hashes[1])
    assert (await gw.pay_invoice(payer.wallet.id, inside.bolt11, wait=0.1)).status == "pending"
    with pytest.raises(Exception):
        await gw.backend.external_pay(inside.bolt11)
    assert await balance(gw, payer.wallet.id) == 95_000
    await gw.cancel_hold_invoice(payee.wallet.id, hashes[1])
    await gw.cancel_hold_invoice(payee.wallet.id, hashes[0])
    assert await balance(gw, payer.wallet.id) == 100_000
