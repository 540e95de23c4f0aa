"""The tail of a hiding proof (circuits/zk.md 5.5) after `"zk-products"`: the one linear
check's `tau` (`"zk-linear"`), the sigma batch (every proof of product, then one proof of
dot product per stack), and the ONE merged check: `E_0 = sum_i lambda^i F_i - tau H`, then
every sigma equation in batch order, folded by powers of `"sigma-merge"` into one MSM.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkml.errors import VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.linear import linear_equation
from zkml.verifier.zk.sigma import Gens, Statement, batch_challenges, equations, fold, read_batch

__all__ = ["verify_tail"]


def verify_tail(gens: Gens, t: Transcript, r: Reader, linear: Sequence[Form],
                products: Sequence[Statement], dots: Sequence[Statement]) -> None:
    """Read `tau` and the sigma batch of `products` then `dots` from `r` (the caller
    checks that `r` is then exhausted), and run the one merged check; raises
    VerificationError (`zk.merged`) unless it is the identity."""
    tau = r.fr("zk-linear-blinder")
    e0 = linear_equation(t, linear, tau, gens.h)
    stmts = [*products, *dots]
    proofs = read_batch(r, stmts)
    c, rho = batch_challenges(t, stmts, proofs)
    eqs = [e0, *(e for s, p in zip(stmts, proofs, strict=True) for e in equations(gens, s, p, c))]
    if fold(eqs, rho) is not None:
        raise VerificationError("the merged check of a hiding proof fails", check="zk.merged")
