import tomllib
from pathlib import Path

import pytest

from gateway.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_documents_every_setting():
    example = tomllib.loads((ROOT / "config.example.toml").read_text())
    assert set(example) == set(Settings.__struct_fields__)
    assert load_settings(str(ROOT / "config.example.toml"), environ={}) == Settings()


def test_precedence_file_env_flags(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('port = 9000\nhost = "0.0.0.0"\nfee_reserve_percent = 2.5\n')
    s = load_settings(str(cfg), {"host": "127.0.0.2"},
                      environ={"LNGATE_PORT": "9100", "LNGATE_LNBITS_ALLOW_NEW_ACCOUNTS": "false"})
    assert (s.port, s.host, s.fee_reserve_percent) == (9100, "127.0.0.2", 2.5)
    assert s.lnbits_allow_new_accounts is False


def test_unknown_setting_and_bad_database_url_are_errors(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("prot = 1\n")
    with pytest.raises(ValueError, match="prot"):
        load_settings(str(cfg), environ={})
    with pytest.raises(ValueError, match="unsupported database"):
        Settings(database="mysql://x").sqlite_path()
