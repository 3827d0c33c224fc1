"""A fake lightningd: Core Lightning's JSON-RPC over a real unix socket, for CI without a node.

Its Lightning "world" is a `backends.sim.SimBackend` (external nodes with scripted outcomes,
BOLT11 signing, a state file that survives restarts); this module translates CLN commands onto it
and answers in CLN v26.06's wire shapes (`specs/cln/samples`) and error codes. Like lightningd,
it answers requests on one connection in completion order, ends every reply with a blank line,
and lets a command outlive the connection that sent it (a payment goes on after a disconnect).

Fault injection (Python methods): `fail_next`, `drop_next` (close the connection, optionally after
starting the command), `hang_next` (never answer), `replay_next_settlement`, `remove_command`.
Run standalone for restart tests: `python -m tests.fake_lightningd --socket PATH --state PATH`.
"""
from __future__ import annotations

import argparse
import asyncio
import atexit
import hashlib
import json
import os
import shutil
import secrets
import signal
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import bolt11 as bolt11_lib
import msgspec

from backends.base import BackendError, PayStatus
from backends.cln import ClnBackend
from backends.sim import CURRENCY_BY_NETWORK, SimBackend

VERSION = "v26.06.6"
DEFAULT_INVOICE_EXPIRY = 604800
HOLD_EXPIRY = 86400

# Commands whose replies the tests check against specs/cln/schemas.
CORE_COMMANDS = [
    "getinfo", "help", "invoice", "createinvoice", "listinvoices", "delinvoice", "waitanyinvoice",
    "xpay", "pay", "xkeysend", "keysend", "listpays", "listsendpays", "decode", "deprecations",
]
BOLTZ_HOLD_COMMANDS = ["holdinvoice", "settleholdinvoice", "cancelholdinvoice", "listholdinvoices"]
DEPRECATED = {"keysend"}  # v26.06: answers -32601 unless deprecated APIs are enabled


class RpcFailure(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def error(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


class _Drop(Exception):
    """Close the client's connection without answering."""


@dataclass
class Fault:
    kind: str  # error | drop | hang
    execute: bool  # run the command anyway (its effects happen, the answer is lost)
    code: int = -1
    message: str = ""
    data: Any = None


def _now() -> int:
    return int(time.time())


def _msat(value: Any) -> int | None:
    """CLN's msat input: an integer, or a string with msat/sat suffix; 'any' -> None."""
    if value is None or value == "any":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.endswith("msat") and text[:-4].isdigit():
        return int(text[:-4])
    if text.endswith("sat") and text[:-3].isdigit():
        return int(text[:-3]) * 1000
    if text.isdigit():
        return int(text)
    raise RpcFailure(-32602, f"amount_msat: should be a millisatoshi amount: invalid token '{text}'")


class FakeLightningd:
    def __init__(self, socket_path: str, sim: SimBackend, *, hold_plugin: str | None = "boltz",
                 deprecated_apis: bool = False) -> None:
        self.socket_path = socket_path
        self.sim = sim
        self.hold_plugin = hold_plugin
        self.deprecated_apis = deprecated_apis
        self.removed: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._faults: dict[str, list[Fault]] = {}
        self._replay = 0
        self._server: asyncio.AbstractServer | None = None
        self._background: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections: set[asyncio.Task] = set()
        self.blockheight = 108

    # -- fault injection -------------------------------------------------------------------

    def fail_next(self, method: str, code: int, message: str = "injected failure",
                  data: Any = None, *, execute: bool = False) -> None:
        self._faults.setdefault(method, []).append(Fault("error", execute, code, message, data))

    def drop_next(self, method: str, *, execute: bool = True) -> None:
        self._faults.setdefault(method, []).append(Fault("drop", execute))

    def hang_next(self, method: str, *, execute: bool = True) -> None:
        self._faults.setdefault(method, []).append(Fault("hang", execute))

    def replay_next_settlement(self, times: int = 1) -> None:
        """The next waitanyinvoice answers with an invoice at or below lastpay_index."""
        self._replay += times

    def remove_command(self, *names: str) -> None:
        """Behave like an older node (or one without a plugin)."""
        self.removed.update(names)

    def disconnect_all(self) -> None:
        for writer in list(self._writers):
            writer.close()

    def methods(self, name: str) -> list[dict[str, Any]]:
        return [params for method, params in self.calls if method == name]

    # -- server ----------------------------------------------------------------------------

    async def start(self) -> None:
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        self._server = await asyncio.start_unix_server(self._serve, path=self.socket_path)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self.disconnect_all()
            if self._connections:
                await asyncio.wait(list(self._connections), timeout=2)
            self._server = None
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            try:
                await task
            except BaseException:
                pass
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:  # ended by closing its writer, never cancelled (asyncio logs that)
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        lock = asyncio.Lock()
        decoder = json.JSONDecoder()
        buf = ""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buf += chunk.decode()
                while True:
                    text = buf.lstrip()
                    if not text:
                        buf = ""
                        break
                    try:
                        request, end = decoder.raw_decode(text)
                    except json.JSONDecodeError:
                        buf = text
                        break
                    buf = text[end:]
                    self._spawn(self._answer(request, writer, lock))
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, request: dict[str, Any], writer: asyncio.StreamWriter,
                      lock: asyncio.Lock) -> None:
        method = request.get("method", "")
        params = request.get("params") or {}
        self.calls.append((method, params))
        faults = self._faults.get(method)
        fault = faults.pop(0) if faults else None
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        if fault is not None:
            if fault.execute:
                self._spawn(self._run(method, params))  # outlives this connection, as in CLN
            if fault.kind == "drop":
                writer.close()
                return
            if fault.kind == "hang":
                return
            reply["error"] = RpcFailure(fault.code, fault.message, fault.data).error()
        else:
            try:
                reply["result"] = await self._run(method, params)
            except RpcFailure as exc:
                reply["error"] = exc.error()
            except _Drop:
                writer.close()
                return
        async with lock:
            if writer.is_closing():
                return
            try:
                writer.write(json.dumps(reply).encode() + b"\n\n")
                await writer.drain()
            except (ConnectionError, OSError):
                pass

    async def _run(self, method: str, params: Any) -> Any:
        handler: Callable[[dict[str, Any]], Awaitable[Any]] | None = getattr(
            self, "rpc_" + method.replace("-", "_"), None)
        if handler is None or method not in self._commands():
            raise RpcFailure(-32601, f"Unknown command '{method}'")
        if method in DEPRECATED and not self.deprecated_apis:
            raise RpcFailure(-32601, f'Command "{method}" is deprecated')
        if isinstance(params, list):
            raise RpcFailure(-32602, "the fake only takes named parameters")
        try:
            return await handler(params)
        except BackendError as exc:
            raise RpcFailure(-1, str(exc)) from exc

    def _commands(self) -> list[str]:
        names = CORE_COMMANDS + (BOLTZ_HOLD_COMMANDS if self.hold_plugin == "boltz" else [])
        return [name for name in names if name not in self.removed]

    # -- world helpers -----------------------------------------------------------------------

    def _db(self):
        return self.sim._conn()

    def _invoice_rows(self, where: str, args: tuple) -> list[Any]:
        # Hold invoices belong to the hold plugin (its own DB), cancelled ones were deleted.
        return self._db().execute(
            "SELECT rowid AS created_index, * FROM invoices WHERE hold = 0"
            f" AND state <> 'cancelled' AND {where} ORDER BY rowid", args).fetchall()

    def _invoice_entry(self, row: Any) -> dict[str, Any]:
        status = {"open": "unpaid", "settled": "paid", "accepted": "unpaid"}[row["state"]]
        if status == "unpaid" and row["expires_at"] <= _now():
            status = "expired"
        entry: dict[str, Any] = {"label": row["label"]}
        if row["bolt11"]:
            entry["bolt11"] = row["bolt11"]
            decoded = bolt11_lib.decode(row["bolt11"])
            if decoded.description is not None:
                entry["description"] = decoded.description
        else:
            entry["description"] = "keysend"
        entry["payment_hash"] = row["payment_hash"]
        if row["amount_msat"] is not None:
            entry["amount_msat"] = row["amount_msat"]
        entry["status"] = status
        if status == "paid":
            entry.update(pay_index=row["settle_index"], amount_received_msat=row["received_msat"],
                         paid_at=row["settled_at"], payment_preimage=row["preimage"])
        entry["expires_at"] = row["expires_at"]
        entry["created_index"] = row["created_index"]
        entry["updated_index"] = row["settle_index"] or row["created_index"]
        return entry

    # -- node ------------------------------------------------------------------------------

    async def rpc_getinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.sim.gateway.pubkey, "alias": "fake-lightningd",
            "color": self.sim.gateway.pubkey[:6], "num_peers": len(self.sim.nodes),
            "num_pending_channels": 0, "num_active_channels": len(self.sim.nodes),
            "num_inactive_channels": 0, "address": [],
            "binding": [{"type": "local socket", "socket": self.socket_path}],
            "version": VERSION, "blockheight": self.blockheight, "network": self.sim.network,
            "fees_collected_msat": 0,
            "lightning-dir": os.path.dirname(self.socket_path),
            "our_features": {"init": "800898880a8a59a1", "node": "808898880a8a59a1",
                             "channel": "", "invoice": "02000002024100"},
        }

    async def rpc_help(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"help": [{"command": name, "category": "plugin" if name in BOLTZ_HOLD_COMMANDS
                          else "payment"} for name in self._commands()],
                "format-hint": "simple"}

    async def rpc_deprecations(self, params: dict[str, Any]) -> dict[str, Any]:
        self.deprecated_apis = bool(params.get("enable"))
        return {}

    # -- invoices --------------------------------------------------------------------------

    async def rpc_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        for name in ("amount_msat", "label", "description"):
            if name not in params:
                raise RpcFailure(-32602, f"missing required parameter: {name}")
        amount = _msat(params["amount_msat"])
        if amount is not None and amount <= 0:
            raise RpcFailure(-32602, "amount_msat: should be positive msat or 'any'")
        label = str(params["label"])
        if self._db().execute("SELECT 1 FROM invoices WHERE label = ?", (label,)).fetchone():
            raise RpcFailure(900, f"Duplicate label '{label}'")
        preimage = params.get("preimage") or secrets.token_hex(32)
        payment_hash = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        if self._db().execute("SELECT 1 FROM invoices WHERE payment_hash = ?",
                              (payment_hash,)).fetchone():
            raise RpcFailure(901, "preimage already used")
        description = str(params["description"])
        deschash = (hashlib.sha256(description.encode()).hexdigest()
                    if params.get("deschashonly") else None)
        created = await self.sim.create_invoice(
            label=label, amount_msat=amount, memo=description, description_hash=deschash,
            expiry=int(params.get("expiry", DEFAULT_INVOICE_EXPIRY)), preimage=preimage)
        decoded = bolt11_lib.decode(created.bolt11)
        row = self._invoice_rows("payment_hash = ?", (created.payment_hash,))[0]
        return {"payment_hash": created.payment_hash, "expires_at": created.expires_at,
                "bolt11": created.bolt11, "payment_secret": decoded.payment_secret,
                "created_index": row["created_index"]}

    async def rpc_createinvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        label, preimage = str(params["label"]), params["preimage"]
        if self._db().execute("SELECT 1 FROM invoices WHERE label = ?", (label,)).fetchone():
            raise RpcFailure(900, f"Duplicate label '{label}'")
        try:
            parsed = bolt11_lib.decode(params["invstring"])
        except Exception as exc:
            raise RpcFailure(-32602, f"invstring: Unparsable invoice: {exc}") from exc
        if hashlib.sha256(bytes.fromhex(preimage)).hexdigest() != parsed.payment_hash:
            raise RpcFailure(-32602, "preimage does not match invoice payment_hash")
        created = await self.sim.create_invoice(
            label=label, amount_msat=int(parsed.amount_msat) if parsed.amount_msat else None,
            memo=parsed.description or "", description_hash=parsed.description_hash,
            expiry=int(parsed.expiry), preimage=preimage)
        return self._invoice_entry(self._invoice_rows("payment_hash = ?",
                                                      (created.payment_hash,))[0])

    async def rpc_listinvoices(self, params: dict[str, Any]) -> dict[str, Any]:
        if "label" in params:
            rows = self._invoice_rows("label = ?", (str(params["label"]),))
        elif "payment_hash" in params:
            rows = self._invoice_rows("payment_hash = ?", (params["payment_hash"],))
        elif "index" in params:
            rows = self._invoice_rows("COALESCE(settle_index, rowid) >= ?",
                                      (int(params.get("start", 0)),))[: params.get("limit")]
        else:
            rows = self._invoice_rows("1", ())
        return {"invoices": [self._invoice_entry(r) for r in rows]}

    async def rpc_delinvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        rows = self._invoice_rows("label = ?", (str(params["label"]),))
        if not rows:
            raise RpcFailure(905, "Unknown invoice")
        entry = self._invoice_entry(rows[0])
        if entry["status"] != params.get("status"):
            raise RpcFailure(906, f"Invoice status is {entry['status']} not {params.get('status')}",
                             {"current_status": entry["status"],
                              "expected_status": params.get("status")})
        self._db().execute("UPDATE invoices SET state = 'cancelled' WHERE label = ?",
                           (entry["label"],))
        return entry

    async def rpc_waitanyinvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        last = int(params.get("lastpay_index") or 0)
        if last < 0:
            raise RpcFailure(-32602, "lastpay_index: should be an unsigned 64 bit integer")
        timeout = params.get("timeout")
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        if self._replay and last > 0:
            self._replay -= 1
            rows = self._invoice_rows("settle_index IS NOT NULL AND settle_index <= ?", (last,))
            if rows:
                return self._invoice_entry(rows[-1])
        while True:
            changed = self.sim._changed
            rows = self._invoice_rows("settle_index > ?", (last,))
            if rows:
                return self._invoice_entry(min(rows, key=lambda r: r["settle_index"]))
            remaining = 0.2 if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                raise RpcFailure(904, "Timed out")
            try:
                await asyncio.wait_for(changed.wait(), min(remaining, 0.2))
            except asyncio.TimeoutError:
                pass

    # -- outgoing payments -----------------------------------------------------------------

    def _decode_for_payment(self, text: Any) -> bolt11_lib.Bolt11:
        try:
            invoice = bolt11_lib.decode(str(text).strip())
        except Exception as exc:
            raise RpcFailure(-32602, f"Invalid bolt11 invoice: {exc}") from exc
        if invoice.currency != CURRENCY_BY_NETWORK[self.sim.network]:
            raise RpcFailure(-32602, f"Invalid bolt11 invoice: Invoice is for network "
                                     f"{invoice.currency}, not {self.sim.network}")
        return invoice

    def _payment_row(self, payment_hash: str) -> Any:
        return self._db().execute("SELECT rowid AS created_index, * FROM payments"
                                  " WHERE payment_hash = ?", (payment_hash,)).fetchone()

    async def _settled_or_raise(self, payment_hash: str) -> tuple[str, int, int]:
        """Wait like xpay until the world resolves the payment; (preimage, amount, fee)."""
        while True:
            changed = self.sim._changed
            result = await self.sim.payment_status(payment_hash)
            if result.status is PayStatus.SETTLED:
                row = self._payment_row(payment_hash)
                return result.preimage or "", row["amount_msat"], result.fee_msat
            if result.status is PayStatus.FAILED:
                raise self._failure(result.reason)
            try:
                await asyncio.wait_for(changed.wait(), 0.05)
            except asyncio.TimeoutError:
                pass

    @staticmethod
    def _failure(reason: str) -> RpcFailure:
        """CLN's code for the world's refusal; the message carries the world's reason verbatim
        (a scripted failure text is what the dialect tests look for)."""
        text = reason.lower()
        if "no route" in text or "unknown destination" in text:
            return RpcFailure(205, reason)
        if "fee exceeds" in text:
            return RpcFailure(206, reason, {"fee": None})
        if "expired" in text:
            return RpcFailure(207, reason, {"now": _now()})
        if "amount_msat" in text or "invalid bolt11" in text:
            return RpcFailure(-32602, reason)
        return RpcFailure(203, reason, {"failcodename": reason})

    async def _pay(self, bolt11: str, amount: Any, maxfee: Any, label: str) -> dict[str, Any]:
        invoice = self._decode_for_payment(bolt11)
        amount_msat = _msat(amount)
        if invoice.amount_msat and amount_msat is not None:
            raise RpcFailure(-32602, "amount_msat parameter unnecessary")
        if not invoice.amount_msat and amount_msat is None:
            raise RpcFailure(-32602, "amount_msat parameter required")
        amount_msat = int(invoice.amount_msat) if invoice.amount_msat else amount_msat
        fee_cap = _msat(maxfee)
        if fee_cap is None:
            fee_cap = max(amount_msat // 100, 5000)
        previous = await self.sim.payment_status(invoice.payment_hash)
        if previous.status is PayStatus.SETTLED:
            raise RpcFailure(219, "Already paid this invoice successfully")
        result = await self.sim.pay_invoice(label=label, bolt11=bolt11, amount_msat=amount_msat,
                                            fee_limit_msat=fee_cap)
        if result.status is PayStatus.FAILED:
            raise self._failure(result.reason)
        if result.status is PayStatus.UNKNOWN:
            raise _Drop()  # the world lost track of us; the payment goes on
        preimage, amount_msat, fee = await self._settled_or_raise(invoice.payment_hash)
        return {"payment_preimage": preimage, "payment_hash": invoice.payment_hash,
                "destination": invoice.payee, "amount_msat": amount_msat,
                "amount_sent_msat": amount_msat + fee}

    async def rpc_xpay(self, params: dict[str, Any]) -> dict[str, Any]:
        allowed = {"invstring", "amount_msat", "maxfee", "layers", "retry_for", "partial_msat",
                   "maxdelay", "payer_note", "label", "localinvreqid"}
        unknown = set(params) - allowed
        if unknown or "invstring" not in params:
            raise RpcFailure(-32602, f"unknown or missing parameter: {sorted(unknown) or 'invstring'}")
        paid = await self._pay(params["invstring"], params.get("amount_msat"),
                               params.get("maxfee"), str(params.get("label", "")))
        return {"payment_preimage": paid["payment_preimage"], "amount_msat": paid["amount_msat"],
                "amount_sent_msat": paid["amount_sent_msat"], "failed_parts": 0,
                "successful_parts": 1}

    async def rpc_pay(self, params: dict[str, Any]) -> dict[str, Any]:
        bolt11 = params.get("bolt11") or params.get("invstring")
        if bolt11 is None:
            raise RpcFailure(-32602, "missing required parameter: bolt11")
        paid = await self._pay(bolt11, params.get("amount_msat"), params.get("maxfee"),
                               str(params.get("label", "")))
        return {**paid, "created_at": time.time(), "parts": 1, "status": "complete"}

    async def _keysend(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = _msat(params.get("amount_msat"))
        if not params.get("destination") or amount is None or amount <= 0:
            raise RpcFailure(-32602, "destination and a positive amount_msat are required")
        fee_cap = _msat(params.get("maxfee"))
        if fee_cap is None:
            fee_cap = max(amount // 100, 5000)
        records = {int(k): bytes.fromhex(v) for k, v in (params.get("extratlvs") or {}).items()}
        preimage = secrets.token_hex(32)  # lightningd draws the keysend preimage
        result = await self.sim.keysend(
            label=str(params.get("label", "")), destination=params["destination"],
            amount_msat=amount, fee_limit_msat=fee_cap, preimage=preimage,
            custom_records=records)
        if result.status is PayStatus.FAILED:
            raise self._failure(result.reason)
        return {"payment_preimage": result.preimage, "amount_msat": amount,
                "amount_sent_msat": amount + result.fee_msat,
                "payment_hash": hashlib.sha256(bytes.fromhex(result.preimage)).hexdigest(),
                "destination": params["destination"]}

    async def rpc_xkeysend(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = await self._keysend(params)
        return {"payment_preimage": sent["payment_preimage"], "amount_msat": sent["amount_msat"],
                "amount_sent_msat": sent["amount_sent_msat"], "failed_parts": 0,
                "successful_parts": 1}

    async def rpc_keysend(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = await self._keysend(params)
        return {**sent, "created_at": time.time(), "parts": 1, "status": "complete"}

    async def _sendpay_rows(self, where: str, args: tuple) -> list[dict[str, Any]]:
        rows = self._db().execute(f"SELECT rowid AS created_index, * FROM payments WHERE {where}"
                                  " ORDER BY rowid", args).fetchall()
        out = []
        for row in rows:
            result = await self.sim.payment_status(row["payment_hash"])
            status = {PayStatus.SETTLED: "complete", PayStatus.FAILED: "failed"}.get(
                result.status, "pending")
            out.append((row, status, result))
        return out

    async def rpc_listsendpays(self, params: dict[str, Any]) -> dict[str, Any]:
        if "payment_hash" in params:
            rows = await self._sendpay_rows("payment_hash = ?", (params["payment_hash"],))
        elif "index" in params:
            rows = await self._sendpay_rows("rowid >= ?", (int(params.get("start", 0)),))
            rows = rows[: params.get("limit")]
        else:
            rows = await self._sendpay_rows("1", ())
        payments = []
        for row, status, result in rows:
            part = {"created_index": row["created_index"], "id": row["created_index"],
                    "payment_hash": row["payment_hash"], "groupid": 1,
                    "updated_index": row["created_index"], "partid": 1,
                    "destination": row["destination"], "amount_msat": row["amount_msat"],
                    "amount_sent_msat": row["amount_msat"] + row["fee_msat"],
                    "created_at": row["started_at_ms"] // 1000, "status": status}
            if row["label"]:
                part["label"] = row["label"]
            if status == "complete":
                part.update(completed_at=row["updated_at_ms"] // 1000,
                            payment_preimage=result.preimage)
            payments.append(part)
        return {"payments": payments}

    async def rpc_listpays(self, params: dict[str, Any]) -> dict[str, Any]:
        if "payment_hash" in params:
            rows = await self._sendpay_rows("payment_hash = ?", (params["payment_hash"],))
        else:
            rows = await self._sendpay_rows("1", ())
        pays = []
        for row, status, result in rows:
            pay: dict[str, Any] = {"payment_hash": row["payment_hash"], "status": status,
                                   "destination": row["destination"],
                                   "created_at": row["started_at_ms"] // 1000,
                                   "created_index": row["created_index"],
                                   "updated_index": row["created_index"]}
            if row["label"]:
                pay["label"] = row["label"]
            if status == "complete":
                pay.update(completed_at=row["updated_at_ms"] // 1000, preimage=result.preimage,
                           amount_msat=row["amount_msat"],
                           amount_sent_msat=row["amount_msat"] + result.fee_msat,
                           number_of_parts=1)
            pays.append(pay)
        return {"pays": pays}

    async def rpc_decode(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("string", ""))
        if text.lower().startswith("lightning:"):
            text = text[10:]
        try:
            inv = bolt11_lib.decode(text)
        except Exception as exc:
            raise RpcFailure(-32602, f"string: unknown format: {exc}") from exc
        out: dict[str, Any] = {
            "type": "bolt11 invoice", "valid": True, "currency": inv.currency,
            "created_at": int(inv.date), "expiry": int(inv.expiry), "payee": inv.payee,
            "payment_hash": inv.payment_hash, "signature": inv.signature.hex if inv.signature else "",
            "min_final_cltv_expiry": inv.min_final_cltv_expiry or 18,
        }
        if inv.amount_msat:
            out["amount_msat"] = int(inv.amount_msat)
        if inv.description_hash:
            out["description_hash"] = inv.description_hash
        else:
            out["description"] = inv.description or ""
        if inv.payment_secret:
            out["payment_secret"] = inv.payment_secret
        return out

    # -- BoltzExchange/hold plugin -------------------------------------------------------------

    async def rpc_holdinvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        payment_hash, amount = params.get("payment_hash"), params.get("amount")
        if not isinstance(payment_hash, str) or not isinstance(amount, int):
            raise RpcFailure(-32602, "invalid params: payment_hash and amount are required")
        created = await self.sim.create_invoice(
            label=f"hold-{payment_hash}", amount_msat=amount, memo="", description_hash=None,
            expiry=HOLD_EXPIRY, payment_hash=payment_hash)
        return {"bolt11": created.bolt11}

    async def rpc_settleholdinvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        await self.sim.settle_hold_invoice(params["preimage"])
        return {}

    async def rpc_cancelholdinvoice(self, params: dict[str, Any]) -> dict[str, Any]:
        await self.sim.cancel_hold_invoice(params["payment_hash"])
        return {}

    async def rpc_listholdinvoices(self, params: dict[str, Any]) -> dict[str, Any]:
        rows = self._db().execute(
            "SELECT rowid AS id, * FROM invoices WHERE hold = 1 AND payment_hash = ?",
            (params.get("payment_hash"),)).fetchall()
        states = {"open": "unpaid", "accepted": "accepted", "settled": "paid",
                  "cancelled": "cancelled"}
        out = []
        for row in rows:
            entry = {"id": row["id"], "payment_hash": row["payment_hash"],
                     "invoice": row["bolt11"], "state": states[row["state"]],
                     "created_at": row["created_at"], "htlcs": []}
            if row["state"] == "settled":
                entry["preimage"] = row["preimage"]
            out.append(entry)
        return {"holdinvoices": out}


async def _main() -> None:
    parser = argparse.ArgumentParser(description="A fake lightningd over a simulated network")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--state", required=True, help="the simulated network's state file")
    parser.add_argument("--network", default="regtest")
    parser.add_argument("--seed", default="lngate-sim")
    parser.add_argument("--hold-plugin", default="boltz", choices=["boltz", "none"])
    args = parser.parse_args()
    sim = SimBackend(network=args.network, state_path=args.state, seed=args.seed)
    fake = FakeLightningd(args.socket, sim,
                          hold_plugin=None if args.hold_plugin == "none" else args.hold_plugin)
    await fake.start()
    print(f"fake lightningd listening on {args.socket}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await fake.stop()
    await sim.stop()


if __name__ == "__main__":
    asyncio.run(_main())


# -- test harness: the CLN backend on a fake node, with the fake's world for tests --------------

class WorldClnBackend(ClnBackend):
    """The production CLN backend, talking to an in-process fake lightningd; everything the sim
    control API and `Gateway.fund_wallet` need (external payers and payees) is delegated to the
    fake's world. Test-only: production never sees `external_pay`."""

    def __init__(self, fake: FakeLightningd) -> None:
        super().__init__(fake.socket_path)
        self.fake = fake
        self.world = fake.sim

    def __getattr__(self, name: str) -> Any:
        if name in ("fake", "world"):
            raise AttributeError(name)
        return getattr(self.world, name)

    async def start(self) -> None:
        if self.fake._server is None:
            await self.world.start()
            await self.fake.start()
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        await self.fake.stop()
        await self.world.stop()


def short_socket_dir() -> str:
    """Unix socket paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    Removed when the process exits."""
    path = tempfile.mkdtemp(prefix="lnfake-")
    atexit.register(shutil.rmtree, path, True)
    return path


def world_backend(settings: Any, **fake_options: Any) -> WorldClnBackend:
    world = SimBackend(network=settings.network, state_path=settings.sim_state_path(),
                       seed=settings.sim_seed)
    fake = FakeLightningd(os.path.join(short_socket_dir(), "lightning-rpc"), world,
                          **fake_options)
    backend = WorldClnBackend(fake)
    # Fast enough for tests, same semantics: idle long-polls end and restart.
    backend.wait_timeout = 2
    backend.pay_timeout = 10.0
    return backend


def cln_gateway_on_fake(settings: Any, **fake_options: Any) -> Any:
    from gateway.service import Gateway
    from gateway.store import open_store

    backend = world_backend(settings, **fake_options)
    cln_settings = msgspec.structs.replace(settings, backend="cln",
                                           cln_rpc=backend.fake.socket_path)
    return Gateway(open_store(settings.database), backend, cln_settings)


def mount_world_routes(app: Any) -> None:
    """The sim control API over the fake's world, ahead of the dialects' catch-alls."""
    from backends.sim_http import sim_routes

    app.router.routes[0:0] = sim_routes(app.state.gateway.backend)
