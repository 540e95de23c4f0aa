"""A small pure-Python prover for the zk building blocks, for tests only: commitments
with known openings, the prover's side of declarations over commitments (a backend whose
handles are (value, blinder) pairs, so it visits products in exactly the verifier's
order) and the batched proof of product (circuits/sigma.md 7) with the tail around it.
Randomness comes from a seeded `random.Random`: fine for tests, never for proofs."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from zkml.verifier.declarations import Check, Claim
from zkml.verifier.encoding import enc_fr, enc_g1
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


def prove_tail(gens: Gens, t: Transcript, zeros: list[Opened],
               witnesses: list[tuple[Opened, Opened, Opened]], rng: random.Random,
               x_vector: list[int] | None = None) -> bytes:
    """A tail without dot products (zk.md 5.5), after the caller absorbed `"zk-products"`:
    `V_x`, `V_y`, `tau` over the zero checks' openings, the batched proof of product."""
    pp = ProductBatchProver(gens, witnesses, rng, x_vector) if witnesses else None
    vectors = pp.commit(t) if pp else []
    lam = t.squeeze("zk-linear")
    tau = sum(pow(lam, i, R) * z.t for i, z in enumerate(zeros)) % R
    t.absorb_fr("zk-linear-blinder", tau)
    first = pp.first() if pp else []
    t.absorb_points("sigma-first", first)
    c = t.squeeze("sigma-c")
    responses = pp.respond(c) if pp else []
    t.absorb_frs("sigma-responses", responses)
    t.squeeze("sigma-merge")
    return (b"".join(map(enc_g1, vectors)) + enc_fr(tau) + b"".join(map(enc_g1, first))
            + b"".join(map(enc_fr, responses)))


class ProductBatchProver:
    """The batched proof of product (sigma.md 7) for `(x, y, z)` openings, in the phases a
    hiding proof's tail interleaves: `commit` (V_x, V_y, then delta and gamma), `first`
    (the six first messages, after `"zk-linear"`), `respond` (after `"sigma-c"`).
    `x_vector`, for cheating tests, is the vector V_x commits instead of the x values
    (the rest of the proof made honestly for it)."""

    def __init__(self, gens: Gens, witnesses: list[tuple[Opened, Opened, Opened]],
                 rng: random.Random, x_vector: list[int] | None = None) -> None:
        self.gens, self.w, self.rng = gens, witnesses, rng
        self.x = x_vector if x_vector is not None else [x.v for x, _, _ in witnesses]
        self.y = [y.v for _, y, _ in witnesses]

    def _vec(self, v: list[int], blind: int) -> G1Point:
        return msm([*self.gens.g[:len(v)], self.gens.h], [*v, blind])

    def commit(self, t: Transcript) -> list[G1Point]:
        """V_x, V_y, absorbed; delta and gamma squeezed."""
        self.s = [self.rng.randrange(R), self.rng.randrange(R)]
        self.vectors = [self._vec(self.x, self.s[0]), self._vec(self.y, self.s[1])]
        t.absorb_points("zk-product-vectors", self.vectors)
        self.delta, self.gamma = t.squeeze("zk-product-link"), t.squeeze("zk-product-batch")
        return self.vectors

    def first(self) -> list[G1Point]:
        """D_x, D_y, B_x, B_y, T_1, T_0."""
        m, rng = len(self.w), self.rng
        self.dx = [rng.randrange(R) for _ in range(m)]
        self.dy = [rng.randrange(R) for _ in range(m)]
        self.r = [rng.randrange(R) for _ in range(6)]
        ds, gs = _powers(self.delta, m), _powers(self.gamma, m)
        t1 = sum(g * (a * y + x * b) for g, a, b, x, y in
                 zip(gs, self.dx, self.dy, self.x, self.y, strict=True))
        t0 = sum(g * a * b for g, a, b in zip(gs, self.dx, self.dy, strict=True))
        ge, h = self.gens.g_e, self.gens.h
        return [self._vec(self.dx, self.r[0]), self._vec(self.dy, self.r[1]),
                msm([ge, h], [_dot(ds, self.dx), self.r[2]]),
                msm([ge, h], [_dot(ds, self.dy), self.r[3]]),
                msm([ge, h], [t1 % R, self.r[4]]), msm([ge, h], [t0 % R, self.r[5]])]

    def respond(self, c: int) -> list[int]:
        """f_x, f_y, then the five blinder responses."""
        m = len(self.w)
        ds, gs = _powers(self.delta, m), _powers(self.gamma, m)
        tx = _dot(ds, [x.t for x, _, _ in self.w])
        ty = _dot(ds, [y.t for _, y, _ in self.w])
        tz = _dot(gs, [z.t for _, _, z in self.w])
        r = self.r
        out = [d + c * x for d, x in zip(self.dx, self.x, strict=True)]
        out += [d + c * y for d, y in zip(self.dy, self.y, strict=True)]
        out += [r[0] + c * self.s[0], r[1] + c * self.s[1], r[2] + c * tx, r[3] + c * ty,
                r[5] + c * r[4] + c * c * tz]
        return [v % R for v in out]


def _powers(a: int, n: int) -> list[int]:
    return [pow(a, i, R) for i in range(n)]


def _dot(a: list[int], b: list[int]) -> int:
    return sum(x * y for x, y in zip(a, b, strict=True)) % R
