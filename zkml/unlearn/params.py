"""The bounds of the unlearning statement as formulas (circuits/unlearning.md section 4).

Every bound is a function of public quantities only: the layer input's format (`b_x`
bits at scale `2^-f_x`), the weight's format (`b_w` bits at `2^-f_w`), the request's
parameters (lambda, tau, k, B, rank, `f_U`) and the number N of samples weighted in. The
client's apply checks its witness against them; the future verifier derives them the
same way, from the request and the key's circuit, never from the proof.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Formats", "Bounds", "bounds", "lambda_int", "guarantee", "mu_scale_exp", "t_u",
           "FIELD_BITS"]

#: log2 of BN254's scalar field size, rounded down: every accumulator must stay far below.
FIELD_BITS = 253


@dataclass(frozen=True)
class Formats:
    """The public formats the statement's integers live in.

    Attributes:
        b_x, f_x: the layer input's signed bit width and fractional bits.
        b_w, f_w: the layer weight's signed bit width and fractional bits.
        n: samples weighted in (`sum_i [y_i != c]`, or every sample).
        block: B, weights per block (one output row's consecutive inputs).
        rank: columns of U per block.
        k: fine-grid bits below the weight's LSB.
        f_u: fractional bits of U's integers (|U| <= 1, so `f_u <= 15` in 16 bits).
    """

    b_x: int
    f_x: int
    b_w: int
    f_w: int
    n: int
    block: int
    rank: int
    k: int
    f_u: int


@dataclass(frozen=True)
class Bounds:
    """The statement's integer bounds and the widths its accumulators reach (bits)."""

    lam_int: int        # lambda at scale 2^-(2 f_x): N*lam_int*delta_f shares X^T X delta_f's scale
    t: int              # |r| <= T
    t_u: int            # |eta| <= T_U
    mu_bits: int        # mu in [-2^(mu_bits-1), 2^(mu_bits-1))
    delta_bits: int     # |delta_f| < 2^delta_bits (fine grid)
    acc_x_delta: int    # bits of |X delta_f| (one sample, B terms)
    acc_xtx_delta: int  # bits of |X^T X delta_f| (N samples)
    acc_lambda: int     # bits of |N lam_int delta_f|
    acc_u_mu: int       # bits of |U mu|
    acc_residual: int   # bits of the largest term of the residual equation, plus 2 for the sum


def _bits(v: int | Fraction) -> int:
    """Bits of a nonnegative magnitude bound: the least b with v < 2^b."""
    v = math.ceil(v)
    return max(1, int(v).bit_length())


def lambda_int(lam: Fraction, f_x: int) -> int:
    """lambda at the residual's scale: `round_half_up(lambda * 2^(2 f_x))`, at least 1."""
    return max(1, math.floor(lam * Fraction(2) ** (2 * f_x) + Fraction(1, 2)))


def t_u(block: int, f_u: int) -> int:
    """T_U = ceil(sqrt(B) 2^(f_u - 1)): |U_c^T e| for a rounding error |e_i| <= 1/2 and a
    column of Euclidean norm <= 1 (so L1 norm <= sqrt(B)), at U's integer scale."""
    return math.ceil(math.sqrt(block) * 2 ** (f_u - 1)) + block  # + B: U's own rounding


def mu_scale_exp(fm: Formats) -> int:
    """mu's integers are `mu_real * N * 2^(2 f_x + f_w + k - f_u)`: this exponent."""
    return 2 * fm.f_x + fm.f_w + fm.k - fm.f_u


def bounds(fm: Formats, lam: Fraction, tau: Fraction, mu_max: Fraction = Fraction(0)) -> Bounds:
    """Every bound of section 4 for these formats and the request's lambda, tau and mu
    bound (`mu_max` in real units; 0 means the worst case the formats allow)."""
    lam_i = lambda_int(lam, fm.f_x)
    # T: tau in real units at the residual's scale N 2^(2 f_x + f_w + k).
    t = math.floor(tau * fm.n * Fraction(2) ** (2 * fm.f_x + fm.f_w + fm.k))
    x_max = 1 << (fm.b_x - 1)
    # theta' and theta both fit b_w bits, so |delta| < 2^b_w weight LSBs.
    delta_bits = fm.b_w + fm.k
    d_max = 1 << delta_bits
    x_delta = fm.block * x_max * d_max
    xtx_delta = fm.n * x_max * x_delta
    lam_term = fm.n * lam_i * d_max
    # |U mu|_2 <= |(N lam I + X^T X) delta_f|_2 + |r|_2 and U's columns have norm
    # 2^f_u (orthonormal up to rounding): |mu_c| <= sqrt(B) (lam_term + xtx_delta + T) / 2^f_u.
    if mu_max > 0:  # the request's bound in real units, at the integers' scale
        mu_max = math.ceil(mu_max * fm.n * Fraction(2) ** mu_scale_exp(fm)) + 1
    else:
        mu_max = math.isqrt(fm.block) + 1
        mu_max = mu_max * (lam_term + xtx_delta + t) // (1 << fm.f_u) + 1
    mu_bits = _bits(mu_max) + 1
    u_mu = fm.rank * (1 << fm.f_u) * (1 << (mu_bits - 1))
    acc = max(xtx_delta, lam_term, u_mu, t)
    return Bounds(lam_i, t, t_u(fm.block, fm.f_u), mu_bits, delta_bits, _bits(x_delta),
                  _bits(xtx_delta), _bits(lam_term), _bits(u_mu), _bits(acc) + 2)


def guarantee(fm: Formats, lam: Fraction, tau: Fraction, coords: int,
              mu_max: Fraction = Fraction(0), b: Bounds | None = None) -> dict[str, float]:
    """The distance bound of circuits/unlearning.md section 6 for one block of `coords`
    unmasked coordinates, in real weight units: `||delta - delta*|| <= (||rho|| +
    sqrt(||rho||^2 + 4 lambda |eta^T dmu|)) / (2 lambda)` plus the rounding term
    `sqrt(coords) 2^-(f_w + 1)`, with `||rho|| <= sqrt(coords) tau` and `|eta^T dmu|`
    bounded by the request's T_U and the mu range."""
    b = b or bounds(fm, lam, tau, mu_max)
    lam_f = b.lam_int / 2.0 ** (2 * fm.f_x)          # the lambda the statement uses
    rho = math.sqrt(coords) * float(tau)
    # eta at scale 2^-(f_u + f_w + k); mu's real value is mu_int / (N 2^(2f_x+f_w+k-f_u)),
    # and a difference of two admissible multipliers is at most twice the range.
    eta_real = b.t_u * 2.0 ** -(fm.f_u + fm.f_w + fm.k)
    dmu_real = 2.0 ** b.mu_bits / (fm.n * 2.0 ** mu_scale_exp(fm))
    cross = fm.rank * eta_real * dmu_real
    stationarity = (rho + math.sqrt(rho * rho + 4 * lam_f * cross)) / (2 * lam_f)
    rounding = math.sqrt(coords) * 2.0 ** -(fm.f_w + 1)
    return {"stationarity": stationarity, "rounding": rounding,
            "total": stationarity + rounding}
