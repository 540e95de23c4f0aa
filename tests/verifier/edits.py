"""Message edits for the verifier's tamper tests (tests only)."""

from __future__ import annotations

from zkml.verifier.field import R


def bump(i: int = 0):
    """An edit that adds 1 (mod r) to entry `i` of a message vector."""

    def f(v):
        v = list(v)
        v[i] = (v[i] + 1) % R
        return v

    return f
