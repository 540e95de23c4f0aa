"""Committed values as linear forms over a proof's points (circuits/zk.md 5.1).

A `Form` maps points to coefficients mod r: a commitment the prover sent is the form
`{C: 1}`, a public value `v` is `{G_e: v}`, and `+`, `-` and multiplication by a public
scalar act on the coefficients. Nothing is computed on the curve until a check turns
forms into `(scalar, point)` terms for the one merged MSM, so a proof's many linear
combinations cost field operations only.
"""

from __future__ import annotations

from collections.abc import Iterable

from zkml.verifier.field import R
from zkml.verifier.msm import G1Point

__all__ = ["Form"]


class Form:
    """A linear combination `sum_P c_P P` of points (coefficients mod r, zeros dropped)."""

    __slots__ = ("_c",)

    def __init__(self, coeffs: dict[G1Point, int] | None = None) -> None:
        self._c: dict[G1Point, int] = {}
        for p, c in (coeffs or {}).items():
            self._put(p, c)

    def _put(self, p: G1Point, c: int) -> None:
        if p is None:  # the identity contributes nothing whatever its coefficient
            return
        v = (self._c.get(p, 0) + c) % R
        if v:
            self._c[p] = v
        else:
            self._c.pop(p, None)

    @classmethod
    def _reduced(cls, acc: dict[G1Point, int]) -> Form:
        """The form of unreduced coefficients `acc` (no identity key): each reduced
        once, zeros dropped."""
        out = cls()
        c = out._c
        for p, v in acc.items():
            v %= R
            if v:
                c[p] = v
        return out

    @classmethod
    def of(cls, point: G1Point) -> Form:
        """The commitment `point` itself."""
        return cls({point: 1})

    @classmethod
    def combine(cls, pairs: Iterable[tuple[int, Form]]) -> Form:
        """`sum_k c_k F_k` (coefficients summed as integers, reduced once at the end:
        a proof's forms have thousands of terms)."""
        acc: dict[G1Point, int] = {}
        get = acc.get
        for c, f in pairs:
            for p, k in f._c.items():
                acc[p] = get(p, 0) + c * k
        return cls._reduced(acc)

    def __add__(self, other: Form) -> Form:
        return Form.combine(((1, self), (1, other)))

    def __sub__(self, other: Form) -> Form:
        return Form.combine(((1, self), (R - 1, other)))

    def scaled(self, c: int) -> Form:
        """`c F` for a public scalar `c`."""
        return Form._reduced({p: c * k for p, k in self._c.items()})

    def terms(self, c: int = 1) -> list[tuple[int, G1Point]]:
        """`c F` as `(scalar, point)` terms for an MSM."""
        return [(c * k % R, p) for p, k in self._c.items()]

    def __len__(self) -> int:
        return len(self._c)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Form) and self._c == other._c

    def __hash__(self) -> int:
        return hash(frozenset(self._c.items()))

    def __repr__(self) -> str:
        return f"Form({len(self._c)} points)"
