"""Precision presets: the bit bounds that trade fidelity against circuit size.

Activations are range-checked in every proof (one 8- or 16-bit limb lookup each), so
their width sets the proof's lookup cost; weights are committed once and only widen
the accumulators; table bits set the size of each nonlinear function table (2^bits
entries, paid once per proof per table).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from zkml.errors import InputError

__all__ = ["Precision", "PRESETS", "DEFAULT_PRECISION", "resolve_precision"]


@dataclass(frozen=True)
class Precision:
    """Bit bounds used when quantizing.

    Attributes:
        name: preset name (or "custom").
        activation_bits: signed width of every activation and of the inputs.
        weight_bits: signed width of weights and constant multipliers.
        table_bits: signed width of a function table's input (table size 2^table_bits).
        multiplier_bits: fractional bits of fixed-point multipliers (LeakyRelu alpha).
    """

    name: str
    activation_bits: int
    weight_bits: int
    table_bits: int
    multiplier_bits: int = 16

    def __post_init__(self) -> None:
        for field_name in ("activation_bits", "weight_bits", "table_bits", "multiplier_bits"):
            value = getattr(self, field_name)
            if not 2 <= value <= 24:
                raise InputError(f"precision {field_name}={value} must be between 2 and 24")
        if self.table_bits > self.activation_bits:
            raise InputError("precision table_bits may not exceed activation_bits")

    def to_json(self) -> dict:
        return asdict(self)


PRESETS: dict[str, Precision] = {
    # 8-bit activations: one 8-bit range-check limb per value, 256-entry tables.
    "small": Precision("small", 8, 8, 8, 8),
    # 16-bit activations (one 16-bit limb), 12-bit weights, 4096-entry tables.
    "balanced": Precision("balanced", 16, 12, 12, 16),
    # 24-bit activations (two limbs), 16-bit weights, 65536-entry tables.
    "high": Precision("high", 24, 16, 16, 16),
}
DEFAULT_PRECISION = "balanced"


def resolve_precision(precision: str | Precision | None) -> Precision:
    """A preset by name (small, balanced, high), a Precision, or the default."""
    if precision is None:
        return PRESETS[DEFAULT_PRECISION]
    if isinstance(precision, Precision):
        return precision
    if precision in PRESETS:
        return PRESETS[precision]
    raise InputError(
        f"unknown precision {precision!r}; choose one of: {', '.join(PRESETS)}"
    )
