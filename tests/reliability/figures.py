"""Counters for RELIABILITY.md: how many operations, payments and crashes a run exercised.
Set LNGATE_RELIABILITY_FIGURES=path to have them written there (JSON) when the run ends."""
from __future__ import annotations

import atexit
import json
import os
from collections import Counter

counts: Counter[str] = Counter()


def add(name: str, n: int = 1) -> None:
    counts[name] += n


def _write() -> None:
    path = os.environ.get("LNGATE_RELIABILITY_FIGURES")
    if path and counts:
        with open(path, "w") as fh:
            json.dump(dict(sorted(counts.items())), fh, indent=2)


atexit.register(_write)
