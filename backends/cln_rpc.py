"""A small asyncio JSON-RPC 2.0 client for lightningd's unix socket.

One connection carries many calls at once: lightningd answers in completion order, each reply
ends with a blank line and carries the request id, so a reader task matches replies to futures.
A slow `xpay` or a `waitanyinvoice` long-poll therefore costs a future, not a thread
(pyln-client opens a socket per call and blocks its thread; see bench/cln_rpc.py).

Errors are split by what they mean for a payment: `RpcNotSent` (the request never reached
lightningd: nothing can have happened), `RpcConnectionLost` / `RpcTimeout` (it may have been
executed: ask again later), `RpcError` (lightningd answered with a JSON-RPC error).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
from typing import Any

from backends.base import BackendError

READ_CHUNK = 1 << 16
MAX_REPLY_BYTES = 256 << 20  # a full listinvoices on a busy node is large; refuse worse


class RpcError(BackendError):
    """lightningd (or a plugin) answered with an error object."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.method = method
        self.code = int(error.get("code", -1))
        self.message = str(error.get("message", ""))
        self.data = error.get("data")
        super().__init__(f"{method}: {self.message} (code {self.code})")


class RpcTransportError(BackendError):
    pass


class RpcNotSent(RpcTransportError):
    """The request was never written: lightningd cannot have acted on it."""


class RpcConnectionLost(RpcTransportError):
    """The connection closed after the request was written: the outcome is unknown."""


class RpcTimeout(RpcTransportError):
    """No answer in time; the command may still be running inside lightningd."""


class ClnRpc:
    """Multiplexed calls over one unix-socket connection, reconnecting on the next call."""

    def __init__(self, path: str, *, prefix: str = "lngate") -> None:
        self.path = path
        self.prefix = prefix
        self._ids = itertools.count(1)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task | None = None
        self._pending: dict[str, tuple[str, asyncio.Future]] = {}
        self._connect_lock = asyncio.Lock()

    async def _ensure_connected(self) -> asyncio.StreamWriter:
        async with self._connect_lock:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            if not os.path.exists(self.path):
                raise RpcNotSent(f"lightningd RPC socket {self.path} does not exist "
                                 "(is lightningd running? check --cln-rpc / LNGATE_CLN_RPC)")
            try:
                reader, writer = await asyncio.open_unix_connection(self.path, limit=READ_CHUNK)
            except OSError as exc:
                raise RpcNotSent(f"cannot connect to lightningd at {self.path}: {exc}") from exc
            self._reader, self._writer = reader, writer
            self._reader_task = asyncio.get_running_loop().create_task(
                self._read_loop(reader, writer))
            return writer

    async def _read_loop(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        decoder = json.JSONDecoder()
        buf = ""
        try:
            while True:
                chunk = await reader.read(READ_CHUNK)
                if not chunk:
                    break
                buf += chunk.decode()
                if len(buf) > MAX_REPLY_BYTES:
                    break
                # Every reply ends with "\n\n"; only then is a decode attempt worth it.
                while "\n\n" in buf:
                    text = buf.lstrip()
                    try:
                        message, end = decoder.raw_decode(text)
                    except json.JSONDecodeError:
                        break  # the blank line was inside a reply that is still arriving
                    buf = text[end:]
                    self._dispatch(message)
        except (OSError, UnicodeDecodeError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            if self._writer is writer:
                self._fail_all(f"connection to lightningd at {self.path} lost")

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict) or "id" not in message:
            return  # a notification (progress/message); we do not subscribe to any
        entry = self._pending.pop(str(message["id"]), None)
        if entry is None:
            return  # an answer we stopped waiting for (timeout)
        method, future = entry
        if future.done():
            return
        if "error" in message and message["error"] is not None:
            future.set_exception(RpcError(method, message["error"]))
        else:
            future.set_result(message.get("result"))

    def _fail_all(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        for method, future in pending.values():
            if not future.done():
                future.set_exception(RpcConnectionLost(f"{method}: {reason}"))
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def call(self, method: str, params: dict[str, Any] | None = None, *,
                   filter: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
        """Run one command; `None`-valued params are left out, as lightningd expects."""
        writer = await self._ensure_connected()
        request_id = f"{self.prefix}:{method}#{next(self._ids)}"
        request: dict[str, Any] = {
            "jsonrpc": "2.0", "id": request_id, "method": method,
            "params": {k: v for k, v in (params or {}).items() if v is not None},
        }
        if filter is not None:
            request["filter"] = filter
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (method, future)
        try:
            writer.write(json.dumps(request).encode())
            await writer.drain()
        except (OSError, RuntimeError) as exc:
            self._pending.pop(request_id, None)
            # Part of the request may have gone out; lightningd only acts on a whole object,
            # but we cannot know how much it read: treat as lost, not as never sent.
            raise RpcConnectionLost(f"{method}: writing to lightningd failed: {exc}") from exc
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            raise RpcTimeout(f"{method}: no answer from lightningd within {timeout} s") from None
        finally:
            self._pending.pop(request_id, None)

    async def close(self) -> None:
        writer, task = self._writer, self._reader_task
        self._writer = None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass
        if task is not None:
            task.cancel()
            try:
                await task
            except BaseException:
                pass
        self._fail_all("client closed")
