"""The client's fixed-point update of one layer (circuits/unlearning.md sections 3-4):
Group OBS per affected block in float64, then the fine grid, the rounding to the weight
grid with its remainders, and the exact integer residual, checked against the bounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from zkml.errors import InputError
from zkml.unlearn.files import small_blas
from zkml.unlearn.obs import solve_block
from zkml.unlearn.params import FIELD_BITS, Bounds, Formats, bounds, guarantee
from zkml.unlearn.request import Request

__all__ = ["BlockWitness", "LayerUpdate", "solve_layer"]


@dataclass
class BlockWitness:
    """One affected block's witness (integers; lists of B entries, `mu` and `eta` of
    rank entries). `r` is zero on the fixed (masked or padding) coordinates."""

    o: int
    j: int
    delta_f: list[int]
    q: list[int]
    rem: list[int]
    mu: list[int]
    r: list[int]
    eta: list[int]
    free: int

    def to_json(self) -> dict:
        """The block as a JSON object (its fields by name)."""
        return {"o": self.o, "j": self.j, "delta_f": self.delta_f, "q": self.q,
                "rem": self.rem, "mu": self.mu, "r": self.r, "eta": self.eta,
                "free": self.free}


@dataclass
class LayerUpdate:
    """The updated weight rows (d_out, d_in), the witness and the bounds it meets."""

    theta_new: np.ndarray
    formats: Formats
    bounds: Bounds
    blocks: list[BlockWitness] = field(default_factory=list)


def _split_matvec(xt: np.ndarray, v: np.ndarray) -> np.ndarray:
    """`xt @ v` exactly for int64 `xt` (|x| < 2^15) and |v| < 2^62, as Python ints: v in
    two 31-bit halves keeps every partial sum of a 2^16-sample product below 2^63."""
    lo = v & ((1 << 31) - 1)
    hi = v >> 31
    return (xt @ hi).astype(object) * (1 << 31) + (xt @ lo).astype(object)


def solve_layer(req: Request, theta: np.ndarray, x: np.ndarray, s: np.ndarray,
                b_x: int, f_x: int, b_w: int, f_w: int) -> LayerUpdate:
    """The update of `theta` ((d_out, d_in) int64 weights at 2^-f_w, b_w bits) from the
    layer inputs `x` ((N_all, d_in) int64 at 2^-f_x) with sample weights `s` (0/1).
    InputError when a bound of section 4 fails (|r| > T, |eta| > T_U, mu too wide, or
    theta' outside b_w bits): nothing is written then."""
    n = int(s.sum())
    if b_x > 16:  # _split_matvec's exactness argument needs |x| < 2^15
        raise InputError(f"the layer's input has {b_x} bits; unlearning supports at most 16")
    if n < req.min_n:
        raise InputError(f"the request needs at least {req.min_n} samples weighted in; the "
                         f"data has {n}")
    fm = Formats(b_x, f_x, b_w, f_w, n, req.block, req.rank, req.k, req.f_u)
    bd = bounds(fm, req.lam, req.tau, req.mu_max)
    if bd.acc_residual >= FIELD_BITS:
        # a relation whose terms reach r / 2 could hold mod r without holding over the
        # integers (soundness.md rule 3): such a request states nothing
        raise InputError(f"the request's parameters (lambda {float(req.lam):g}, tau "
                         f"{float(req.tau):g}, mu_max {float(req.mu_max):g}) make the "
                         f"statement's integers reach 2^{bd.acc_residual}, past the field's "
                         f"2^{FIELD_BITS}: the provider must lower them")
    bsz = req.block
    cols = req.blocks_per_row * bsz
    xs = np.zeros((int(s.sum()), cols), dtype=np.int64)
    xs[:, :req.d_in] = x[s.astype(bool)]
    th = np.zeros((req.d_out, cols), dtype=np.int64)
    th[:, :req.d_in] = theta
    new = th.copy()
    out = LayerUpdate(theta.copy(), fm, bd)
    with small_blas():
        for b, (o, j) in enumerate(req.affected()):
            sl = slice(j * bsz, (j + 1) * bsz)
            wit = _block(req, bd, xs[:, sl], th[o, sl], req.block_mask(o, j),
                         np.arange(bsz) + j * bsz >= req.d_in, req.u[b], n, o, j)
            new[o, sl] = th[o, sl] + np.array(wit.q, dtype=np.int64)
            out.blocks.append(wit)
    lo, hi = -(1 << (b_w - 1)), (1 << (b_w - 1)) - 1
    if new.min() < lo or new.max() > hi:
        raise InputError(_format_refusal(req, th, new, b_w))
    out.theta_new = new[:, :req.d_in]
    return out


def _format_refusal(req: Request, theta: np.ndarray, new: np.ndarray, b_w: int) -> str:
    """One line: how far the update leaves the format and what each side can change."""
    top = max(int(np.abs(theta).max()), 1)
    shift = int(np.abs(new - theta).max()) / top
    reserved = top < 1 << (b_w - 2)
    fix = ("the provider must raise lambda (zkml unlearn request --lambda, now "
           f"{float(req.lam):g}; the compensation shrinks as lambda grows)") if reserved \
        else (f"compile the model with the layer's extra bit reserved (--unlearnable "
              f"{req.weight}; unlearnable=[{req.weight!r}] in Python; circuits/unlearning.md "
              f"7), or ask the provider for a larger --lambda (now {float(req.lam):g})")
    return (f"the update moves a weight of {req.weight} by {shift:.2g} times the layer's "
            f"largest weight and leaves its {b_w}-bit format ("
            f"{'the reserved bit absorbs less than 1x' if reserved else 'no bit reserved'}); "
            f"{fix}")


def _block(req: Request, bd: Bounds, xb: np.ndarray, theta: np.ndarray, masked: np.ndarray,
           pad: np.ndarray, u: np.ndarray, n: int, o: int, j: int) -> BlockWitness:
    one = 1 << req.k
    fixed = masked | pad
    xtx = xb.T @ xb                      # < N 2^30 per entry: exact in int64 and float64
    f = xtx.astype(np.float64) + float(n * bd.lam_int) * np.eye(req.block)
    d_fixed = np.where(masked, -theta * one, 0).astype(np.float64)
    d, mu = solve_block(f, d_fixed, fixed, u.astype(np.float64))
    delta = np.floor(d + 0.5).astype(np.int64)
    delta[fixed] = np.where(masked, -theta * one, 0)[fixed]
    mu_i = np.floor(mu + 0.5).astype(np.int64)
    q = np.floor_divide(delta + one // 2, one) if req.k else delta
    rem = delta + one // 2 - q * one if req.k else np.zeros_like(delta)
    # r = N lam delta + X^T (X delta) + U mu, exactly (Python ints past 2^63)
    xd = xb @ delta                      # < 2^(6 + 15 + b_w + k): int64
    r = _split_matvec(xb.T, xd) + delta.astype(object) * (n * bd.lam_int)
    r = r + u.astype(object) @ mu_i.astype(object)
    r = np.where(fixed, 0, r)
    eta = u.T @ delta
    _check(abs(max(r, key=abs)) <= bd.t, f"block ({o}, {j}): residual {max(r, key=abs)} "
           f"beyond T = {bd.t}; the request's tau ({float(req.tau):g}) is too small for "
           "this data: the provider must raise --tau")
    _check(int(np.abs(eta).max(initial=0)) <= bd.t_u,
           f"block ({o}, {j}): |U^T delta| = {int(np.abs(eta).max())} beyond T_U = {bd.t_u}")
    _check(int(np.abs(mu_i).max(initial=0)) < 1 << (bd.mu_bits - 1),
           f"block ({o}, {j}): mu needs more than the request's {bd.mu_bits} bits: "
           f"the provider must raise --mu-max (now {float(req.mu_max):g})")
    return BlockWitness(o, j, delta.tolist(), q.tolist(), rem.tolist(), mu_i.tolist(),
                        [int(v) for v in r], eta.tolist(), int((~fixed).sum()))


def _check(ok: bool, msg: str) -> None:
    if not ok:
        raise InputError(msg)


def layer_guarantee(up: LayerUpdate, lam: Fraction, tau: Fraction,
                    mu_max: Fraction) -> dict[str, float]:
    """The guarantee of section 6 per block (the largest) and over the layer (root of the
    sum of squares of the blocks' bounds), in real weight units."""
    per = [guarantee(up.formats, lam, tau, b.free, mu_max, None) for b in up.blocks
           if b.free]
    if not per:
        return {"block_max": 0.0, "layer": 0.0}
    return {"block_max": max(g["total"] for g in per),
            "layer": float(np.sqrt(sum(g["total"] ** 2 for g in per)))}
