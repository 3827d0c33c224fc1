"""Settings: defaults, then a TOML file, then LNGATE_<NAME> environment variables, then flags."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import msgspec


class Settings(msgspec.Struct, kw_only=True):
    # server
    host: str = "127.0.0.1"
    port: int = 8080
    database: str = "sqlite:///./data/lngate.db"
    log_level: str = "info"
    log_format: str = "console"  # "console" or "json"
    # Lightning backend
    backend: str = "sim"  # "sim" or "cln"
    network: str = "regtest"  # sim only; the CLN backend reads it from getinfo
    sim_state: str = ""  # sim state file; default: beside the SQLite database
    sim_seed: str = "lngate-sim"
    cln_rpc: str = ""  # path of lightningd's lightning-rpc socket
    # money rules
    fee_reserve_min_msat: int = 2000  # external payments reserve max(min, percent of amount)
    fee_reserve_percent: float = 1.0
    max_payment_msat: int = 10_000_000_000  # 10M sat per payment, in or out
    invoice_expiry: int = 3600  # default seconds
    pay_wait_seconds: float = 5.0  # how long a pay request waits before answering "pending"
    reconcile_interval: float = 30.0  # seconds between checks of in-flight payments
    unsent_payment_grace: float = 120.0  # node has no record this long after start: never sent
    # public deployment limits
    max_body_bytes: int = 1_000_000
    rate_limit_per_minute: int = 0  # requests per caller per minute on dialect paths; 0 = off
    rate_limit_burst: int = 0  # requests a caller may send at once; 0 = rate_limit_per_minute
    # dialects
    lnbits_allow_new_accounts: bool = True
    webhook_timeout: float = 10.0
    webhook_max_attempts: int = 8

    def sqlite_path(self) -> str:
        prefix = "sqlite:///"
        if not self.database.startswith(prefix):
            raise ValueError(f"unsupported database URL {self.database!r}: expected sqlite:///PATH")
        return self.database[len(prefix):]

    def sim_state_path(self) -> str:
        if self.sim_state:
            return self.sim_state
        db = self.sqlite_path()
        if db == ":memory:":
            return ":memory:"
        return str(Path(db).with_suffix(".sim.db"))


def _coerce(name: str, raw: str) -> Any:
    field_type = Settings.__annotations__[name]
    if field_type == "int":
        return int(raw)
    if field_type == "float":
        return float(raw)
    if field_type == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def load_settings(config_file: str | None = None, overrides: dict[str, Any] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    values: dict[str, Any] = {}
    if config_file:
        with open(config_file, "rb") as fh:
            values.update(tomllib.load(fh))
    env = os.environ if environ is None else environ
    for name in Settings.__struct_fields__:
        key = f"LNGATE_{name.upper()}"
        if key in env:
            values[name] = _coerce(name, env[key])
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    unknown = set(values) - set(Settings.__struct_fields__)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    return msgspec.convert(values, Settings, strict=False)
