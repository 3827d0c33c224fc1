"""`python -m bench [ledger|cln ...]`: run the named benchmarks (all by default)."""
import sys

from bench import cln_rpc, ledger

SUITES = {"ledger": ledger.main, "cln": cln_rpc.main}

for name in sys.argv[1:] or list(SUITES):
    print(f"# {name}")
    SUITES[name]()
