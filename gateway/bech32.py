"""Bech32 (BIP-173) decoding as BOLT11 uses it: no 90-character limit, checksum constant 1.

`decode` hands back the human-readable part and the data part (checksum removed) as two
views of the same 5-bit words: `values` (a bytes object, one word per byte) and `digits`
(the same words as base-32 digits "0".."v", so that `int(digits[i:j], 32)` reads any run of
words as one big-endian integer in a single C call).
"""
from __future__ import annotations

import re

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_DIGITS = "0123456789abcdefghijklmnopqrstuv"

MAX_HRP_LENGTH = 83  # BIP-173; BOLT11 lifts only the limit on the whole string

_BAD_CHAR = re.compile(r"[^\x21-\x7e]")
# character -> 5-bit value; 0xff marks a byte that is not in the charset
_VALUE_OF = bytearray(b"\xff" * 256)
for _i, _c in enumerate(CHARSET):
    _VALUE_OF[ord(_c)] = _i
_VALUE_OF = bytes(_VALUE_OF)
# 5-bit value -> base-32 digit understood by int(..., 32)
_DIGIT_OF = bytes.maketrans(bytes(range(32)), _DIGITS.encode())

_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(ValueError):
    pass


def _step(chk: int, value: int) -> int:
    top = chk >> 25
    chk = (chk & 0x1FFFFFF) << 5 ^ value
    for i in range(5):
        if (top >> i) & 1:
            chk ^= _GENERATOR[i]
    return chk


# The checksum step is linear over GF(2), so three words can be folded in at once: the top 15
# bits of the 30-bit state contribute _TRIPLE[top], the low 15 bits simply shift up by 15.
# (Built from the 15 single-bit entries by linearity: T[x] = T[x without its low bit] ^ T[low bit].)
def _triple_table() -> tuple[int, ...]:
    table = [0] * (1 << 15)
    for bit in range(15):
        table[1 << bit] = _step(_step(_step(1 << (bit + 15), 0), 0), 0)
    for x in range(1, 1 << 15):
        low = x & -x
        if x != low:
            table[x] = table[x ^ low] ^ table[low]
    return tuple(table)


_TRIPLE = _triple_table()


def polymod(values: bytes | list[int], chk: int = 1) -> int:
    start = len(values) % 3
    for i in range(start):
        chk = _step(chk, values[i])
    table = _TRIPLE
    for a, b, c in zip(values[start::3], values[start + 1::3], values[start + 2::3]):
        chk = table[chk >> 15] ^ ((chk & 0x7FFF) << 15) ^ (a << 10) ^ (b << 5) ^ c
    return chk


def hrp_expand(hrp: str) -> bytes:
    raw = hrp.encode("ascii")
    return bytes(c >> 5 for c in raw) + b"\x00" + bytes(c & 31 for c in raw)


def decode(bech: str) -> tuple[str, bytes, bytes]:
    """(hrp, values, digits) of a bech32 string, checksum verified and stripped.

    Raises Bech32Error on anything malformed: characters outside printable ASCII, mixed case,
    no separator, an empty or overlong human-readable part, a data character outside the
    charset, fewer than six checksum characters, or a wrong checksum.
    """
    if _BAD_CHAR.search(bech):
        raise Bech32Error("invalid character (bech32 is printable ASCII only)")
    lower = bech.lower()
    if lower != bech and bech.upper() != bech:
        raise Bech32Error("mixed upper and lower case")
    pos = lower.rfind("1")
    if pos < 1:
        raise Bech32Error("no human-readable part / separator '1'")
    if pos > MAX_HRP_LENGTH:
        raise Bech32Error("human-readable part too long")
    if len(lower) - pos - 1 < 6:
        raise Bech32Error("too short for a checksum")
    hrp = lower[:pos]
    values = lower[pos + 1:].encode("ascii").translate(_VALUE_OF)
    if b"\xff" in values:
        raise Bech32Error("invalid character in data part")
    if polymod(values, polymod(hrp_expand(hrp))) != 1:
        raise Bech32Error("bad checksum")
    values = values[:-6]
    return hrp, values, values.translate(_DIGIT_OF)
