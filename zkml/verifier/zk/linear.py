"""The one linear check of a hiding proof (circuits/zk.md 5.3): every `expr == 0` over
committed values is a form that must commit to zero; all of them are folded by powers of
`"zk-linear"` and proved by the revealed folded blinder `tau`."""

from __future__ import annotations

from collections.abc import Sequence

from zkml.verifier.field import R
from zkml.verifier.msm import G1Point
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form

__all__ = ["linear_equation"]


def linear_equation(t: Transcript, forms: Sequence[Form], tau: int, h: G1Point
                    ) -> list[tuple[int, G1Point]]:
    """Squeeze `lambda`, absorb `tau`, and return `sum_i lambda^i F_i - tau H` as MSM
    terms (the identity iff every form commits to zero, but with probability about
    len(forms) / r)."""
    lam = t.squeeze("zk-linear")
    t.absorb_fr("zk-linear-blinder", tau)
    folded = Form.combine((pow(lam, i, R), f) for i, f in enumerate(forms))
    return [*folded.terms(), ((R - tau) % R, h)]
