"""A small pure-Python prover for the zk building blocks, for tests only: commitments
with known openings, the prover's side of declarations over commitments (a backend whose
handles are (value, blinder) pairs, so it visits products in exactly the verifier's
order) and proofs of product (circuits/sigma.md 3). Randomness comes from a seeded
`random.Random`: fine for tests, never for proofs."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from zkml.verifier.declarations import Check, Claim
from zkml.verifier.field import R
from zkml.verifier.msm import G1Point, msm
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.sigma import Gens


@dataclass(frozen=True)
class Opened:
    """A committed value with its opening; `+`, `-`, `* int` act on both."""

    v: int
    t: int

    def _lift(self, o: Any) -> Opened:
        return o if isinstance(o, Opened) else Opened(o % R, 0)

    def __add__(self, o: Any) -> Opened:
        o = self._lift(o)
        return Opened((self.v + o.v) % R, (self.t + o.t) % R)

    __radd__ = __add__

    def __sub__(self, o: Any) -> Opened:
        o = self._lift(o)
        return Opened((self.v - o.v) % R, (self.t - o.t) % R)

    def __rsub__(self, o: Any) -> Opened:
        return self._lift(o) - self

    def __mul__(self, c: int) -> Opened:
        return Opened(self.v * c % R, self.t * c % R)

    __rmul__ = __mul__


def commit(gens: Gens, h: Opened) -> G1Point:
    """`v G_e + t H`."""
    return msm([gens.g_e, gens.h], [h.v, h.t])


class ProverBackend:
    """The prover's twin of CommittedBackend: products get fresh commitments (or the
    value `lie` says, for cheating tests), zero checks collect blinders."""

    def __init__(self, gens: Gens, rng: random.Random, lie: dict[int, int] | None = None
                 ) -> None:
        self.gens, self.rng, self.lie = gens, rng, lie or {}
        self.products: list[G1Point] = []
        self.witnesses: list[tuple[Opened, Opened, Opened]] = []
        self.zeros: list[Opened] = []

    def fresh(self, v: int) -> Opened:
        return Opened(v % R, self.rng.randrange(R))

    def seal(self, value: Opened) -> Opened:
        return value

    def load(self, claim: Claim) -> Opened:
        return claim._value

    def product(self, a: Opened, b: Opened) -> Opened:
        z = self.fresh(self.lie.get(len(self.products), a.v * b.v))
        self.products.append(commit(self.gens, z))
        self.witnesses.append((a, b, z))
        return z

    def assert_zero(self, value: Opened, check: Check) -> None:
        self.zeros.append(value)

    def assert_nonzero(self, value: Opened, check: Check) -> None:
        v = pow(value.v, -1, R) if value.v else 0
        inv = self.fresh(self.lie.get(len(self.products), v))
        self.products.append(commit(self.gens, inv))
        self.witnesses.append((value, inv, Opened(1, 0)))

    def reveal(self, value: Opened, use: str) -> int:
        raise TypeError(use)


def prove_products(gens: Gens, t: Transcript, witnesses: list[tuple[Opened, Opened, Opened]],
                   rng: random.Random) -> list[tuple[tuple[G1Point, ...], tuple[int, ...]]]:
    """A sigma batch of proofs of product (sigma.md 3, 4) for `(x, y, z)` openings."""
    firsts, nonces = [], []
    for x, _, _ in witnesses:
        b = [rng.randrange(R) for _ in range(5)]
        cx = commit(gens, x)
        firsts.append((msm([gens.g_e, gens.h], b[:2]), msm([gens.g_e, gens.h], b[2:4]),
                       msm([cx, gens.h], [b[2], b[4]])))
        nonces.append(b)
    t.absorb_points("sigma-first", [p for f in firsts for p in f])
    c = t.squeeze("sigma-c")
    out = []
    for (x, y, z), b, f in zip(witnesses, nonces, firsts, strict=True):
        resp = (b[0] + c * x.v, b[1] + c * x.t, b[2] + c * y.v, b[3] + c * y.t,
                b[4] + c * (z.t - x.t * y.v))
        out.append((f, tuple(v % R for v in resp)))
    t.absorb_frs("sigma-responses", [v for _, r in out for v in r])
    t.squeeze("sigma-merge")
    return out
