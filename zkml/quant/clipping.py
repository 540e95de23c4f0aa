"""What quantizing a user's float input clipped, and the strict refusal of it.

A proof's input is the user's floats quantized at the input scale `2^-f` into `b`-bit
integers: round half up, then saturate (`zkml.quant.rounding.quantize_float`). Two
ranges matter, per model input:

- the *representable* range `[-2^(b-1), 2^(b-1) - 1] * 2^-f`: a value outside it is
  saturated to the bound, so the proof is about another number than the user's. That is
  *clipping*: always reported (`ClippingWarning`), refused with `strict` (`InputError`).
- the *calibrated* range `[-m, m]`, `m` the largest magnitude of that input over the
  calibration set (recorded at compile time in the fidelity report's `inputs`,
  `zkml.quant.calibrate.input_ranges`). The compiler picks the finest power-of-two scale
  whose range holds `m`, so for a one-input model the representable range is at most
  about twice as wide (several inputs share the coarsest scale, so it can be far wider).
  A value between the two ranges is kept as it is, but the layers after it were scaled
  for the calibration set and may saturate: it is reported (`outside_calibration`), not
  refused, since no input value changed.

`clip_report` measures both; `ClipReport` carries the counts, the extremes seen and both
ranges in float units, and can warn, refuse, describe itself in one line per input and
turn into JSON. `zkml.statement.quantize_rows` is the one entry point that prove, verify's
expected input and the dry run use. Importing this module does not import numpy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zkml.errors import ClippingWarning, InputError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["InputClip", "ClipReport", "clip_report", "require_finite", "calibrated_ranges"]


def _label(name: str | None) -> str:
    return "input" if name is None else f"input \"{name}\""


def _interval(lo: float, hi: float) -> str:
    return f"[{lo:.6g}, {hi:.6g}]"


@dataclass(frozen=True)
class InputClip:
    """One model input's values against its ranges (all in float units).

    Attributes:
        name: the model input's name (None when only the verifying key is known).
        total: values given for this input.
        below, above: values saturated at the low / high end of the representable range.
        outside_calibration: values beyond the calibrated range (clipped ones included);
            0 when the calibrated range is unknown.
        min_seen, max_seen: the smallest and largest value given.
        representable: the closed range the input's fixed-point format holds.
        calibrated: the largest magnitude seen on the calibration set, or None.
    """

    name: str | None
    total: int
    below: int
    above: int
    outside_calibration: int
    min_seen: float
    max_seen: float
    representable: tuple[float, float]
    calibrated: float | None = None

    @property
    def clipped(self) -> int:
        """Values that saturation changed."""
        return self.below + self.above

    @property
    def largest(self) -> float:
        """The given value of largest magnitude (with its sign)."""
        return self.min_seen if abs(self.min_seen) > abs(self.max_seen) else self.max_seen

    def describe(self) -> str:
        """The clipping warning for this input (empty when nothing was clipped)."""
        if not self.clipped:
            return ""
        return (f"{_label(self.name)}: {self.clipped} of {self.total} values outside the "
                f"representable range {_interval(*self.representable)} were clipped "
                f"(largest {self.largest:.6g})")

    def note(self) -> str:
        """A note on values beyond the calibrated range but not clipped (else empty)."""
        kept = self.outside_calibration - self.clipped
        if self.calibrated is None or kept <= 0:
            return ""
        # a magnitude, not [min, max]: the scale and the layers after it are symmetric
        return (f"{_label(self.name)}: {kept} of {self.total} values beyond the largest "
                f"calibrated magnitude {self.calibrated:.6g} (largest {self.largest:.6g}) "
                "are kept, but the layers after it were scaled for the calibration set and "
                "may saturate on them")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field and the clipped count."""
        return {"name": self.name, "total": self.total, "clipped": self.clipped,
                "below": self.below, "above": self.above,
                "outside_calibration": self.outside_calibration,
                "min": self.min_seen, "max": self.max_seen,
                "representable": list(self.representable), "calibrated_max_abs": self.calibrated}


@dataclass(frozen=True)
class ClipReport:
    """What quantizing an input did to each model input (`InputClip`, input order)."""

    inputs: tuple[InputClip, ...]

    @property
    def below(self) -> int:
        """Values saturated at the low end, over every input."""
        return sum(c.below for c in self.inputs)

    @property
    def above(self) -> int:
        """Values saturated at the high end, over every input."""
        return sum(c.above for c in self.inputs)

    @property
    def count(self) -> int:
        """Values clipped, over every input."""
        return self.below + self.above

    @property
    def total(self) -> int:
        """Values given, over every input."""
        return sum(c.total for c in self.inputs)

    @property
    def outside_calibration(self) -> int:
        """Values beyond their input's calibrated range (clipped ones included)."""
        return sum(c.outside_calibration for c in self.inputs)

    def lines(self) -> list[str]:
        """One clipping warning per input that was clipped."""
        return [c.describe() for c in self.inputs if c.clipped]

    def notes(self) -> list[str]:
        """One note per input with kept values beyond its calibrated range."""
        return [n for n in (c.note() for c in self.inputs) if n]

    def describe(self) -> str:
        """Every clipping warning on one line (empty when nothing was clipped)."""
        return "; ".join(self.lines())

    def warn(self, stacklevel: int = 2) -> None:
        """Issue one `ClippingWarning` per clipped input (`stacklevel` as for
        `warnings.warn`, counted from the caller of this method)."""
        for line in self.lines():
            warnings.warn(line, ClippingWarning, stacklevel=stacklevel + 1)

    def refuse(self) -> None:
        """Raise InputError naming the first clipped input and its count (strict mode);
        return when nothing was clipped."""
        for c in self.inputs:
            if c.clipped:
                raise InputError(
                    f"{_label(c.name)}: {c.clipped} of {c.total} values lie outside the "
                    f"representable range {_interval(*c.representable)} (largest "
                    f"{c.largest:.6g}) and would be clipped; refused (strict): rescale the "
                    "input, or recompile with calibration data that covers it")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary: totals and one entry per input."""
        return {"clipped": self.count, "total": self.total,
                "outside_calibration": self.outside_calibration,
                "inputs": [c.to_json() for c in self.inputs]}


Parts = Sequence[tuple[str | None, int]]


def _columns(parts: Parts) -> list[tuple[str | None, int, int]]:
    """(name, first column, end column) of each input in the row."""
    out, start = [], 0
    for name, width in parts:
        out.append((name, start, start + width))
        start += width
    return out


def require_finite(rows: np.ndarray, parts: Parts) -> None:
    """Raise InputError naming the first input with NaN or infinite values, and how many."""
    import numpy as np

    for name, a, b in _columns(parts):
        bad = int(np.count_nonzero(~np.isfinite(rows[:, a:b])))
        if bad:
            raise InputError(f"{_label(name)}: {bad} of {rows[:, a:b].size} values are "
                             "non-finite (NaN or infinity); inputs must be finite numbers")


def clip_report(rows: np.ndarray, frac_bits: int, bits: int, parts: Parts,
                calibrated: Mapping[str, float] | None = None) -> ClipReport:
    """Measure finite float `rows` (one column block per input, `parts` = (name, width)
    in order) against the representable range at scale `2^-frac_bits` and `bits` bits and
    against each input's calibrated largest magnitude (`calibrated`, by name)."""
    import numpy as np

    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    rep = (math.ldexp(lo, -frac_bits), math.ldexp(hi, -frac_bits))
    x = np.asarray(rows, dtype=np.float64)
    # quantize_float's own rounding before its saturation: exactly what leaves the range
    y = np.floor(np.ldexp(x, frac_bits) + 0.5)
    clips = []
    for name, a, b in _columns(parts):
        xs, ys = x[:, a:b], y[:, a:b]
        m = None if calibrated is None or name is None else calibrated.get(name)
        outside = 0 if m is None else int(np.count_nonzero(np.abs(xs) > m))
        clips.append(InputClip(name, int(xs.size), int(np.count_nonzero(ys < lo)),
                               int(np.count_nonzero(ys > hi)), outside,
                               float(xs.min()) if xs.size else 0.0,
                               float(xs.max()) if xs.size else 0.0, rep, m))
    return ClipReport(tuple(clips))


def calibrated_ranges(fidelity: Mapping[str, Any] | None) -> dict[str, float]:
    """Each input's calibrated largest magnitude, from a fidelity report's `inputs`
    (compiled models written before it was recorded have none: an empty dict). Entries
    that are not finite non-negative numbers are ignored: the file is read, not trusted."""
    out: dict[str, float] = {}
    inputs = (fidelity or {}).get("inputs")
    if not isinstance(inputs, Mapping):
        return out
    for name, entry in inputs.items():
        value = entry.get("max_abs") if isinstance(entry, Mapping) else None
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value) and value >= 0:
            out[str(name)] = float(value)
    return out
