"""The CLN backend against the fake lightningd: wire shapes (checked against CLN's own JSON
schemas), outcome mapping for every error code, faults (disconnects, silence, replays),
fallbacks for older nodes, hold invoices through the plugin, start-up checks."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from pathlib import Path

import jsonschema
import pytest

from backends.base import BackendError, HoldInvoicesUnsupported, InvoiceState, PayStatus
from backends.cln import ClnBackend, keysend_label
from backends.cln_rpc import ClnRpc
from backends.sim import SimBackend
from tests.fake_lightningd import FakeLightningd, short_socket_dir

SPECS = Path(os.environ.get("LNGATE_CLN_SPECS", "/work/shared/specs/cln"))


def sha(hex_str: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_str)).hexdigest()


class Node:
    def __init__(self, tmp_path: Path, **fake_options) -> None:
        self.world = SimBackend(state_path=str(tmp_path / "world.db"))
        self.socket = os.path.join(short_socket_dir(), "lightning-rpc")
        self.fake = FakeLightningd(self.socket, self.world, **fake_options)
        self.backend = ClnBackend(self.socket)
        self.backend.pay_timeout = 1.0
        self.backend.wait_timeout = 1

    async def start(self) -> "Node":
        await self.fake.start()
        await self.backend.start()
        return self

    async def stop(self) -> None:
        await self.backend.stop()
        await self.fake.stop()
        await self.world.stop()

    async def invoice(self, amount_msat=10_000, **script) -> dict:
        return await self.world.create_external_invoice(amount_msat=amount_msat, **script)

    async def pay(self, ext: dict, fee_limit_msat: int = 2_000):
        return await self.backend.pay_invoice(label=secrets.token_hex(8), bolt11=ext["bolt11"],
                                              amount_msat=ext["amount_msat"] or 1_000,
                                              fee_limit_msat=fee_limit_msat)


@pytest.fixture
async def node(tmp_path):
    n = await Node(tmp_path).start()
    yield n
    await n.stop()


# -- wire shapes ---------------------------------------------------------------------------------

_INTEGER_TYPES = {"u64", "u32", "u16", "u8", "msat", "integer", "sat", "number", "blockheight"}
_STANDARD = {"string", "integer", "number", "boolean", "object", "array", "null"}


def _plain(schema):
    """CLN's schemas use their own type names (msat, hash, pubkey, u64...): map to JSON ones."""
    if isinstance(schema, list):
        return [_plain(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _plain(v) for k, v in schema.items()
           if k not in ("added", "deprecated") and not (k == "description" and isinstance(v, list))}
    t = out.get("type")
    if isinstance(t, str) and t not in _STANDARD:
        out["type"] = "integer" if t in _INTEGER_TYPES else "string"
    if t == "number":
        out["type"] = "number"
    return out


def check_schema(command: str, reply: dict) -> None:
    schema = json.loads((SPECS / "schemas" / f"{command}.json").read_text())["response"]
    jsonschema.Draft202012Validator(_plain(schema)).validate(reply)


needs_specs = pytest.mark.skipif(not (SPECS / "schemas").is_dir(), reason="CLN specs not found")


@needs_specs
async def test_replies_match_cln_schemas_and_samples(node):
    rpc = ClnRpc(node.socket)
    try:
        replies = {"getinfo": await rpc.call("getinfo")}
        pre = secrets.token_hex(32)
        replies["invoice"] = await rpc.call("invoice", {"amount_msat": 5000, "label": "a",
                                                        "description": "d", "preimage": pre})
        await node.world.external_pay(replies["invoice"]["bolt11"])
        replies["listinvoices"] = await rpc.call("listinvoices", {"label": "a"})
        replies["waitanyinvoice"] = await rpc.call("waitanyinvoice", {"lastpay_index": 0})
        ext = await node.invoice(7000, fee_msat=1)
        replies["xpay"] = await rpc.call("xpay", {"invstring": ext["bolt11"]})
        replies["listpays"] = await rpc.call("listpays", {"payment_hash": ext["payment_hash"]})
        replies["listsendpays"] = await rpc.call("listsendpays",
                                                 {"payment_hash": ext["payment_hash"]})
        ext2 = await node.invoice(5000)
        replies["pay"] = await rpc.call("pay", {"bolt11": ext2["bolt11"]})
        replies["xkeysend"] = await rpc.call("xkeysend", {
            "destination": node.world.nodes[0].pubkey, "amount_msat": 3000,
            "extratlvs": {"133773310": "6869"}})
        replies["decode"] = await rpc.call("decode", {"string": ext["bolt11"]})
        replies["delinvoice"] = await rpc.call("delinvoice", {"label": "a", "status": "paid"})
    finally:
        await rpc.close()
    for command, reply in replies.items():
        check_schema(command, reply)
    # Same field sets as the captures from a real v26.06 node.
    for command, sample in [("getinfo", "getinfo"), ("xpay", "xpay"), ("xkeysend", "xkeysend"),
                            ("waitanyinvoice", "waitanyinvoice_lastpay0")]:
        real = json.loads((SPECS / "samples" / f"{sample}.json").read_text())
        assert set(replies[command]) >= set(real) - {"address"}, command
    assert replies["listpays"]["pays"][0]["preimage"] == ext["preimage"]
    assert replies["xpay"]["amount_sent_msat"] - replies["xpay"]["amount_msat"] == 1


async def test_errors_are_cln_shaped(node):
    rpc = ClnRpc(node.socket)
    try:
        await rpc.call("invoice", {"amount_msat": 1, "label": "x", "description": ""})
        for params, code in [({"amount_msat": 1, "label": "x", "description": ""}, 900),
                             ({"amount_msat": -1, "label": "y", "description": ""}, -32602)]:
            with pytest.raises(BackendError) as exc:
                await rpc.call("invoice", params)
            assert exc.value.code == code
        with pytest.raises(BackendError) as exc:
            await rpc.call("keysend", {"destination": node.world.nodes[0].pubkey,
                                       "amount_msat": 1})
        assert exc.value.code == -32601 and "deprecated" in exc.value.message
        with pytest.raises(BackendError) as exc:
            await rpc.call("waitanyinvoice", {"lastpay_index": 0, "timeout": 0})
        assert exc.value.code == 904
    finally:
        await rpc.close()


# -- start-up ------------------------------------------------------------------------------------

async def test_start_reads_network_and_detects_commands(node):
    b = node.backend
    assert (b.network, b.pubkey) == ("regtest", node.world.gateway.pubkey)
    assert {"xpay", "xkeysend"} <= b.commands and b.hold_plugin == "boltz"


async def test_missing_socket_is_a_clear_error(tmp_path):
    backend = ClnBackend(str(tmp_path / "nope" / "lightning-rpc"))
    with pytest.raises(BackendError, match="does not exist"):
        await backend.start()
    with pytest.raises(BackendError, match="--cln-rpc"):
        ClnBackend("")


async def test_not_ready_node_is_a_clear_error(node):
    node.fake.fail_next("getinfo", -5, "lightningd is shutting down")
    fresh = ClnBackend(node.socket)
    with pytest.raises(BackendError, match="not ready"):
        await fresh.start()
    await fresh.stop()


async def test_invoice_for_another_network_is_refused_before_the_node(node):
    from tests.helpers import foreign_invoice

    result = await node.backend.pay_invoice(label="x", bolt11=foreign_invoice("bitcoin"),
                                            amount_msat=10_000, fee_limit_msat=100)
    assert result.status is PayStatus.FAILED and "network" in result.reason
    assert node.fake.methods("xpay") == []


# -- invoices ------------------------------------------------------------------------------------

async def test_invoice_params_and_retry_by_label(node):
    pre = secrets.token_hex(32)
    kw = dict(label="pid-1", amount_msat=21_000, memo="coffee", description_hash=None,
              expiry=900, preimage=pre)
    first = await node.backend.create_invoice(**kw)
    [sent] = node.fake.methods("invoice")
    assert sent["label"] == "pid-1" and sent["preimage"] == pre and sent["expiry"] == 900
    assert sent["exposeprivatechannels"] is True and first.payment_hash == sha(pre)
    # a retry after a lost reply finds the same invoice (label = the gateway's payment id)
    node.fake.drop_next("invoice", execute=True)
    kw2 = {**kw, "label": "pid-2", "preimage": secrets.token_hex(32)}
    again = await node.backend.create_invoice(**kw2)
    assert again == await node.backend.create_invoice(**kw2)
    assert again.payment_hash == sha(kw2["preimage"])
    assert (await node.backend.create_invoice(**kw)) == first


async def test_description_hash_uses_deschashonly_or_createinvoice(node):
    memo = '[["text/plain","lnurl"]]'
    created = await node.backend.create_invoice(
        label="a", amount_msat=1000, memo=memo, description_hash=sha(memo.encode().hex()),
        expiry=600, preimage=secrets.token_hex(32))
    assert node.fake.methods("invoice")[0]["deschashonly"] is True
    only_hash = secrets.token_hex(32)
    other = await node.backend.create_invoice(
        label="b", amount_msat=None, memo="", description_hash=only_hash, expiry=600,
        preimage=secrets.token_hex(32))
    import bolt11
    assert bolt11.decode(other.bolt11).description_hash == only_hash
    assert bolt11.decode(other.bolt11).payee == node.world.gateway.pubkey
    assert bolt11.decode(created.bolt11).description_hash == sha(memo.encode().hex())


async def test_invoice_state_and_cancel(node):
    pre = secrets.token_hex(32)
    inv = await node.backend.create_invoice(label="c", amount_msat=1000, memo="",
                                            description_hash=None, expiry=600, preimage=pre)
    assert await node.backend.invoice_state(inv.payment_hash) is InvoiceState.OPEN
    await node.backend.cancel_invoice(inv.payment_hash)
    assert await node.backend.invoice_state(inv.payment_hash) is InvoiceState.UNKNOWN
    with pytest.raises(BackendError):
        await node.world.external_pay(inv.bolt11)


# -- settled-invoice stream --------------------------------------------------------------------

async def _paid_invoices(node, n):
    out = []
    for i in range(n):
        inv = await node.backend.create_invoice(label=f"s{i}", amount_msat=1000 + i, memo="",
                                                description_hash=None, expiry=600,
                                                preimage=secrets.token_hex(32))
        await node.world.external_pay(inv.bolt11)
        out.append(inv)
    return out


async def test_stream_resumes_from_index_and_ignores_replays(node):
    invoices = await _paid_invoices(node, 3)
    stream = node.backend.settled_invoices(1)
    node.fake.replay_next_settlement(2)  # the node answers twice with already-seen invoices
    got = [await asyncio.wait_for(stream.__anext__(), 5) for _ in range(2)]
    assert [(s.index, s.payment_hash) for s in got] == [
        (2, invoices[1].payment_hash), (3, invoices[2].payment_hash)]
    assert got[0].amount_msat == 1001 and sha(got[0].preimage) == got[0].payment_hash
    # idle long-polls time out (904) and continue; a new payment then arrives
    nxt = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(1.3)
    inv = await node.backend.create_invoice(label="late", amount_msat=5, memo="",
                                            description_hash=None, expiry=600,
                                            preimage=secrets.token_hex(32))
    await node.world.external_pay(inv.bolt11)
    assert (await asyncio.wait_for(nxt, 5)).payment_hash == inv.payment_hash
    await stream.aclose()


async def test_stream_survives_a_lost_connection(node):
    stream = node.backend.settled_invoices(0)
    nxt = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.1)
    node.fake.disconnect_all()
    with pytest.raises(BackendError):
        await asyncio.wait_for(nxt, 5)  # the core's follower logs it and reopens from its index
    [inv] = await _paid_invoices(node, 1)
    again = node.backend.settled_invoices(0)
    assert (await asyncio.wait_for(again.__anext__(), 5)).payment_hash == inv.payment_hash
    await again.aclose()


# -- outgoing payments: outcome mapping ---------------------------------------------------------

async def test_pay_success_posts_fee_and_uses_xpay_with_maxfee(node):
    ext = await node.invoice(50_000, fee_msat=7)
    result = await node.pay(ext, fee_limit_msat=500)
    assert (result.status, result.preimage, result.fee_msat) == (
        PayStatus.SETTLED, ext["preimage"], 7)
    [sent] = node.fake.methods("xpay")
    assert sent["maxfee"] == 500 and "amount_msat" not in sent
    # paying again: CLN says 219 "already paid", which is a success with the known preimage
    again = await node.pay(ext)
    assert again.status is PayStatus.SETTLED and again.preimage == ext["preimage"]


async def test_zero_amount_invoice_sends_amount(node):
    ext = await node.invoice(None)
    result = await node.backend.pay_invoice(label="z", bolt11=ext["bolt11"], amount_msat=4_000,
                                            fee_limit_msat=100)
    assert result.status is PayStatus.SETTLED
    assert node.fake.methods("xpay")[0]["amount_msat"] == 4_000


@pytest.mark.parametrize("code", [203, 205, 206, 207, 210, -32602])
async def test_definite_failure_codes(node, code):
    node.fake.fail_next("xpay", code, f"failure {code}")
    result = await node.pay(await node.invoice())
    assert result.status is PayStatus.FAILED and f"failure {code}" in result.reason


@pytest.mark.parametrize("code", [-1, -4, -5, 200, 204, 209, 211, 215, 216])
async def test_other_codes_are_unknown(node, code):
    node.fake.fail_next("xpay", code, "who knows")
    assert (await node.pay(await node.invoice())).status is PayStatus.UNKNOWN


async def test_201_with_care(node):
    ext = await node.invoice()
    node.fake.fail_next("xpay", 201, "already paid with different amount")
    assert (await node.pay(ext)).status is PayStatus.FAILED  # nothing at the node for the hash
    assert (await node.pay(ext)).status is PayStatus.SETTLED
    node.fake.fail_next("xpay", 201, "already paid with different amount")
    assert (await node.pay(ext)).status is PayStatus.UNKNOWN  # the node paid it: reconcile


async def test_scripted_failures_map_to_failed(node):
    for script in [dict(outcome="fail", reason="WIRE_INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS"),
                   dict(fee_msat=5_000)]:
        result = await node.pay(await node.invoice(**script), fee_limit_msat=100)
        assert result.status is PayStatus.FAILED


async def test_disconnect_during_pay_is_unknown_then_reconciled(node):
    ext = await node.invoice(outcome="pending", delay_ms=200)
    node.fake.drop_next("xpay", execute=True)
    result = await node.pay(ext)
    assert result.status is PayStatus.UNKNOWN
    assert (await node.backend.payment_status(ext["payment_hash"])).status is PayStatus.PENDING
    await asyncio.sleep(0.3)
    settled = await node.backend.payment_status(ext["payment_hash"])
    assert settled.status is PayStatus.SETTLED and settled.preimage == ext["preimage"]


async def test_never_answering_node_is_unknown(node):
    ext = await node.invoice()
    node.fake.hang_next("xpay", execute=False)
    result = await node.pay(ext)
    assert result.status is PayStatus.UNKNOWN and "no answer" in result.reason
    # nothing was recorded: the backend says so and never calls it failed (the core decides,
    # after a grace period, that a payment the node never saw was never sent)
    assert (await node.backend.payment_status(ext["payment_hash"])).status is PayStatus.NOT_FOUND


async def test_pending_payment_later_fails(node):
    ext = await node.invoice(outcome="pending")
    assert (await node.pay(ext)).status is PayStatus.UNKNOWN  # pay_timeout passed
    assert (await node.backend.payment_status(ext["payment_hash"])).status is PayStatus.PENDING
    await node.world.resolve_external_payment(ext["payment_hash"], succeed=False)
    assert (await node.backend.payment_status(ext["payment_hash"])).status is PayStatus.FAILED


async def test_unreachable_socket_means_not_sent(node):
    await node.fake.stop()
    result = await node.pay(await node.invoice())
    assert result.status is PayStatus.FAILED and "not sent" in result.reason


async def test_node_without_xpay_falls_back_to_pay(node):
    node.fake.remove_command("xpay")
    node.backend.commands = set()  # `help` unavailable: learn from -32601
    ext = await node.invoice(9_000, fee_msat=2)
    result = await node.pay(ext, fee_limit_msat=300)
    assert (result.status, result.fee_msat) == (PayStatus.SETTLED, 2)
    [sent] = node.fake.methods("pay")
    assert sent["bolt11"] == ext["bolt11"] and sent["maxfee"] == 300


# -- keysend ----------------------------------------------------------------------------------

async def test_keysend_with_records_and_lookup_by_label(node):
    preimage = secrets.token_hex(32)
    dest = node.world.nodes[2].pubkey
    result = await node.backend.keysend(label="pid", destination=dest, amount_msat=3_000,
                                        fee_limit_msat=100, preimage=preimage,
                                        custom_records={7629169: b"podcast"})
    assert result.status is PayStatus.SETTLED and result.payment_hash == sha(result.preimage)
    [sent] = node.fake.methods("xkeysend")
    assert sent["extratlvs"] == {"7629169": b"podcast".hex()} and sent["maxfee"] == 100
    assert sent["label"] == keysend_label(sha(preimage), "pid")
    # after a restart (no memory), the core's hash still finds CLN's payment
    fresh = ClnBackend(node.socket)
    status = await fresh.payment_status(sha(preimage))
    assert status.status is PayStatus.SETTLED and status.payment_hash == result.payment_hash
    await fresh.stop()


async def test_keysend_falls_back_to_keysend_when_deprecations_allow(node):
    node.fake.remove_command("xkeysend")
    node.fake.deprecated_apis = True
    node.backend.commands.discard("xkeysend")
    result = await node.backend.keysend(label="k", destination=node.world.nodes[0].pubkey,
                                        amount_msat=1_000, fee_limit_msat=10,
                                        preimage=secrets.token_hex(32), custom_records={})
    assert result.status is PayStatus.SETTLED and node.fake.methods("keysend")


# -- hold invoices ------------------------------------------------------------------------------

async def test_hold_invoice_through_the_boltz_plugin(node):
    preimage = secrets.token_hex(32)
    created = await node.backend.create_invoice(label="h", amount_msat=8_000, memo="",
                                                description_hash=None, expiry=600,
                                                payment_hash=sha(preimage))
    assert node.fake.methods("holdinvoice") == [{"payment_hash": sha(preimage), "amount": 8_000}]
    assert await node.backend.invoice_state(sha(preimage)) is InvoiceState.OPEN
    await node.world.external_pay(created.bolt11)
    assert await node.backend.invoice_state(sha(preimage)) is InvoiceState.ACCEPTED
    await node.backend.settle_hold_invoice(preimage)
    assert await node.backend.invoice_state(sha(preimage)) is InvoiceState.SETTLED


async def test_hold_invoice_without_plugin_is_a_domain_error(tmp_path):
    n = await Node(tmp_path, hold_plugin=None).start()
    try:
        with pytest.raises(HoldInvoicesUnsupported, match="hold-invoice plugin"):
            await n.backend.create_invoice(label="h", amount_msat=1, memo="",
                                           description_hash=None, expiry=60,
                                           payment_hash=secrets.token_hex(32))
    finally:
        await n.stop()


async def test_many_calls_share_one_connection(node):
    exts = [await node.invoice(1_000 + i) for i in range(10)]
    results = await asyncio.gather(*(node.pay(e) for e in exts))
    assert all(r.status is PayStatus.SETTLED for r in results)
