"""Padmé padding lengths (Nikitin et al., PETS 2019).

Must never: pad below the input length. Overhead stays under 12 % and the
padded length reveals only O(log log L) bits of L.
"""

from __future__ import annotations


def padme(length: int) -> int:
    """The Padmé length for `length` bytes (lengths ≤ 2 are unchanged)."""
    if length < 0:
        raise ValueError("negative length")
    if length <= 2:
        return length
    e = length.bit_length() - 1  # floor(log2 L)
    s = e.bit_length()  # floor(log2 E) + 1
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask
