"""MLE of the 1-D convolution wiring predicate (circuits/wiring.md).

    Wire(y, i, x) = [y < n_out] [i < k] [x < n_in] [s y + d i = x + p]

is recognised by a digit-serial automaton read LSB first (carry and three `lt`
flags), so its MLE at a point is a forward pass over at most `8 (s + d + 1)` states
per bit: O(log n) field operations, never a table of size n_out * k * n_in. A 2-D
wiring is the product of two axes' values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError
from zkml.verifier.field import R

__all__ = ["Axis", "OpCounter", "wire_eval", "MAX_LEN", "MAX_STEP"]

#: Limits of wiring.md: lengths in [1, 2^24]; stride, dilation in [1, 2^16]; pad <= 2^16.
MAX_LEN = 1 << 24
MAX_STEP = 1 << 16

_Y, _I, _X = 1, 2, 4  # lt-flag bits of a state
_ACCEPT = (0, _Y | _I | _X)


def _log2_ceil(n: int) -> int:
    return (n - 1).bit_length()


@dataclass(frozen=True)
class Axis:
    """One spatial axis: output, input and kernel lengths, stride, dilation, begin pad.

    Construction validates the limits of wiring.md and raises ProofFormatError
    otherwise (axes come from a circuit description, whose bad values are format errors).
    """

    n_out: int
    n_in: int
    k: int
    stride: int = 1
    dilation: int = 1
    pad: int = 0

    def __post_init__(self) -> None:
        limits = (
            ("n_out", 1, MAX_LEN),
            ("n_in", 1, MAX_LEN),
            ("k", 1, MAX_LEN),
            ("stride", 1, MAX_STEP),
            ("dilation", 1, MAX_STEP),
            ("pad", 0, MAX_STEP),
        )
        for name, lo, hi in limits:
            v = getattr(self, name)
            if type(v) is not int:
                raise ProofFormatError(f"wiring: {name} must be an integer", check="wiring.limits")
            if not lo <= v <= hi:
                raise ProofFormatError(f"wiring: {name} = {v} outside [{lo}, {hi}]",
                                       check="wiring.limits")

    def vars(self) -> tuple[int, int, int]:
        """(m_y, m_k, m_x): ceil(log2) of n_out, k and n_in (0 for a length of 1)."""
        return _log2_ceil(self.n_out), _log2_ceil(self.k), _log2_ceil(self.n_in)

    def wire(self, y: int, i: int, x: int) -> bool:
        """The integer predicate Wire(y, i, x)."""
        return (
            0 <= y < self.n_out
            and 0 <= i < self.k
            and 0 <= x < self.n_in
            and self.stride * y + self.dilation * i == x + self.pad
        )

    def num_bits(self) -> int:
        """L = 1 + max(m_y, m_k, m_x, bitlen(p)); the 1 covers bitlen(2^m) = m + 1."""
        return 1 + max(*self.vars(), self.pad.bit_length())


@dataclass
class OpCounter:
    """Field operations performed: multiplications and additions/subtractions mod R."""

    mul: int = 0
    add: int = 0


States = dict[tuple[int, int], int]


def _sub_step(
    states: States,
    r: int | None,
    coef: int,
    n_t: int,
    flag: int,
    counter: OpCounter | None,
) -> States:
    """Bind one variable's bit t: carry += coef * b, update its lt flag.

    Weights are r for b = 1 and 1 - r for b = 0, as hi = v r and lo = v - hi (one
    multiplication per state); r None means the variable has no bit at t (b = 0,
    weight 1).
    """
    out: States = {}
    muls = adds = 0
    for (c, f), v in states.items():
        if r is None:
            branches: tuple[tuple[int, int], ...] = ((0, v),)
        else:
            hi = v * r % R
            branches = ((0, (v - hi) % R), (1, hi))
            muls += 1
            adds += 1
        for b, w in branches:
            lt = b < n_t or (b == n_t and f & flag)
            key = (c + coef * b, (f | flag) if lt else (f & ~flag))
            if key in out:
                out[key] = (out[key] + w) % R
                adds += 1
            else:
                out[key] = w
    if counter is not None:
        counter.mul += muls
        counter.add += adds
    return out


def wire_eval(
    axis: Axis,
    ry: Sequence[int],
    ri: Sequence[int],
    rx: Sequence[int],
    counter: OpCounter | None = None,
) -> int:
    """W~(ry, ri, rx), the MLE of the axis's wiring predicate (wiring.md).

    `ry`, `ri`, `rx` are points of lengths `axis.vars()` (LSB first, ints mod R);
    another length raises ProofFormatError. If `counter` is given, the field
    multiplications and additions performed are added to it.
    """
    if not isinstance(axis, Axis):
        raise ProofFormatError("wiring: axis must be an Axis", check="wiring.limits")
    for name, point, m in zip(("ry", "ri", "rx"), (ry, ri, rx), axis.vars(), strict=True):
        if len(point) != m:
            raise ProofFormatError(f"wiring: {name} has {len(point)} coordinates, axis needs {m}",
                                   check="wiring.point-length")
    variables = (
        ([v % R for v in ry], axis.stride, axis.n_out, _Y),
        ([v % R for v in ri], axis.dilation, axis.k, _I),
        ([v % R for v in rx], -1, axis.n_in, _X),
    )
    states: States = {(0, 0): 1}
    for t in range(axis.num_bits()):
        for point, coef, n, flag in variables:
            r = point[t] if t < len(point) else None
            states = _sub_step(states, r, coef, (n >> t) & 1, flag, counter)
        p_t = (axis.pad >> t) & 1
        # halving is injective on even carries: no two states merge, no additions
        states = {((c - p_t) // 2, f): v for (c, f), v in states.items() if (c - p_t) % 2 == 0}
    return states.get(_ACCEPT, 0)
