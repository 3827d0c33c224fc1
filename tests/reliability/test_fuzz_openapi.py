"""Schemathesis against each dialect's served OpenAPI document, in-process over ASGI, with the
dialect's credentials injected: valid and invalid requests alike must never get an unexpected
server error, and every non-2xx body must be JSON in the dialect's own error shape.

`make test` runs a few examples per operation; `make test-long` (slow) many more, with
LNGATE_FUZZ_EXAMPLES to raise it further. The books are checked once the app has stopped.
"""
from __future__ import annotations

import asyncio
import os
import random
from typing import Any, Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python import asgi

from gateway.app import build_app, make_gateway
from gateway.config import Settings
from tests.reliability import figures
from tests.reliability.http_support import (alby_error, alby_server_error, ledger_problems,
                                            lnbits_error, lnbits_server_error, lnpay_error,
                                            lnpay_server_error)

FAST_EXAMPLES = 4
LONG_EXAMPLES = int(os.environ.get("LNGATE_FUZZ_EXAMPLES", "60"))


# -- one app per dialect, with wallets whose keys go into the requests ------------------------

class Target:
    def __init__(self, name: str, tmp, keys: Callable[[dict], dict[str, str]],
                 path_keys: Callable[[dict], list[str]], shape, server_error) -> None:
        self.name, self.shape, self.server_error = name, shape, server_error
        self.settings = Settings(database=f"sqlite:///{tmp}/lngate.db",
                                 sim_state=str(tmp / "sim.db"), pay_wait_seconds=1.0,
                                 reconcile_interval=0.5)
        self.wallets = asyncio.run(self._wallets())
        self.headers = keys(self.wallets[0])
        self.path_keys = [k for w in self.wallets for k in path_keys(w)]
        self.app = BuiltOnFirstCall(lambda: build_app(self.settings))
        self.schema = schemathesis.openapi.from_asgi(f"/openapi/{name}.json", self.app)

    async def _wallets(self) -> list[dict]:
        gw = make_gateway(self.settings)
        await gw.start()
        try:
            out = []
            for name in ("fuzzed", "other"):
                created = await gw.create_wallet(name)
                await gw.fund_wallet(created.wallet.id, 50_000_000)
                out.append({**created.keys, "wal": created.wallet.lnpay_id})
            return out
        finally:
            await gw.stop()

    def prepare(self, case) -> None:
        case.headers = {**(case.headers or {}), **self.headers}
        for name in list(case.path_parameters or {}):
            # a real key half of the time, so the fuzzer gets past authentication
            if name in ("key", "access_key") and random.random() < 0.5:
                case.path_parameters[name] = random.choice(self.path_keys)

    def check(self, case, response) -> None:
        status = response.status_code
        where = f"{case.method} {case.formatted_path} -> {status}: {response.text[:300]}"
        try:
            body = response.json()
        except ValueError:
            body = None
        assert not self.server_error(status, body), where
        if status >= 400:
            content_type = (response.headers.get("content-type") or [""])[0]
            assert content_type.startswith("application/json"), where
            assert self.shape(status, body), where


class BuiltOnFirstCall:
    """Schemathesis runs the app (lifespan first) on its own event-loop thread; the sim keeps a
    sqlite3 connection bound to the thread that opened it, so the app is built there."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory
        self.app: Any = None

    async def __call__(self, scope, receive, send) -> None:
        if self.app is None:
            self.app = self.factory()
        await self.app(scope, receive, send)


TARGETS: dict[str, dict[str, Any]] = {
    "lnbits": dict(keys=lambda w: {"X-Api-Key": w["lnbits_admin"]}, path_keys=lambda w: [],
                   shape=lnbits_error, server_error=lnbits_server_error),
    "lnpay": dict(keys=lambda w: {"X-Api-Key": w["lnpay_sak"]},
                  path_keys=lambda w: [w["lnpay_waka"], w["lnpay_waki"], w["lnpay_wakr"], w["wal"]],
                  shape=lnpay_error, server_error=lnpay_server_error),
    "alby": dict(keys=lambda w: {"Authorization": f"Bearer {w['alby_token']}"},
                 path_keys=lambda w: [], shape=alby_error, server_error=alby_server_error),
}


def fuzz(target: Target, examples: int) -> int:
    cases = 0
    for result in target.schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @hsettings(max_examples=examples, deadline=None, database=None,
                       suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                nonlocal cases
                target.prepare(case)
                target.check(case, case.call())
                cases += 1

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to make invalid
    return cases


def run_dialect(name: str, tmp, examples: int) -> None:
    target = Target(name, tmp, **TARGETS[name])
    try:
        cases = fuzz(target, examples)
    finally:
        asgi.shutdown_lifespans()
    figures.add("fuzz_cases", cases)
    assert cases > 0
    assert asyncio.run(ledger_problems(target.settings.database)) == []


@pytest.mark.parametrize("name", ["lnbits", "alby", "lnpay"])
def test_fuzz_dialect_fast(name, tmp_path):
    run_dialect(name, tmp_path, FAST_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lnbits", "alby", "lnpay"])
def test_fuzz_dialect_long(name, tmp_path):
    run_dialect(name, tmp_path, LONG_EXAMPLES)
