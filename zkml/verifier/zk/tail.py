"""The tail of a hiding proof (circuits/zk.md 5.5) after `"zk-products"`: the batched proof
of product's vectors `V_x`, `V_y` with `delta`, `gamma` (sigma.md 7), the one linear
check's `tau` (`"zk-linear"`), the sigma batch (the batched proof of product, then one
proof of dot product per stack), and the ONE merged check: `E_0 = sum_i lambda^i F_i -
tau H`, then every sigma equation in batch order, folded by powers of `"sigma-merge"` into
one MSM.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkml.errors import VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.linear import linear_equation
from zkml.verifier.zk.products import (
    Triple,
    absorb_vectors,
    product_equations,
    read_product_sigma,
    read_vectors,
)
from zkml.verifier.zk.sigma import Gens, Statement, equations, fold, read_batch

__all__ = ["verify_tail"]


def verify_tail(gens: Gens, t: Transcript, r: Reader, linear: Sequence[Form],
                triples: Sequence[Triple], dots: Sequence[Statement]) -> None:
    """Read the tail from `r` (the caller checks that `r` is then exhausted): `V_x`, `V_y`
    when there are products, `tau`, the batched proof of `triples`, the proofs of `dots`;
    run the one merged check; raises VerificationError (`zk.merged`) unless it is the
    identity. `gens` has at least `len(triples)` generators."""
    vectors = read_vectors(r) if triples else None
    ch = absorb_vectors(t, vectors) if vectors is not None else None
    tau = r.fr("zk-linear-blinder")
    e0 = linear_equation(t, linear, tau, gens.h)
    prod = read_product_sigma(r, vectors, len(triples)) if vectors is not None else None
    proofs = read_batch(r, dots)
    t.absorb_points("sigma-first", [*(prod.first if prod else ()),
                                    *(q for p in proofs for q in p.first)])
    c = t.squeeze("sigma-c")
    t.absorb_frs("sigma-responses", [*(prod.responses() if prod else ()),
                                     *(v for p in proofs for v in p.responses)])
    rho = t.squeeze("sigma-merge")
    eqs = [e0]
    if prod is not None and ch is not None:
        eqs += product_equations(gens, triples, prod, ch, c)
    eqs += [e for s, p in zip(dots, proofs, strict=True) for e in equations(gens, s, p, c)]
    if fold(eqs, rho) is not None:
        raise VerificationError("the merged check of a hiding proof fails", check="zk.merged")
