"""Declarations evaluated over commitments (circuits/zk.md 5.3): the backend a hiding
verifier hands to the gadgets' declared checks instead of `CLEAR`.

A committed claim is a `Committed` handle around a linear form (zk.md 5.1). Sums and
public scales stay forms; a product of two committed values takes the next commitment of
the proof's `"zk-products"` message and records a triple of the batched proof of product
(sigma.md 7); `expr != 0` takes the next one as the inverse and records `expr * inv ==
1`; `expr == 0` becomes one entry of the linear check. The gadgets do not change: they
declare, this backend decides what each operation costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zkml.errors import ProofFormatError
from zkml.verifier.declarations import NONZERO, Check, Claim, ClearBackend, evaluate
from zkml.verifier.field import R
from zkml.verifier.msm import G1Point
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.products import Triple

__all__ = ["Committed", "CommittedBackend", "products_needed"]


class Committed:
    """A committed value as a form; `+`/`-` with handles or ints, `*` by an int only."""

    __slots__ = ("form", "_g_e")

    def __init__(self, form: Form, g_e: G1Point) -> None:
        self.form = form
        self._g_e = g_e

    def _lift(self, o: Any) -> Form:
        if isinstance(o, Committed):
            return o.form
        if isinstance(o, int):
            return Form({self._g_e: o % R})  # a public value: o G_e, blinder 0
        raise TypeError(f"a committed value cannot combine with {type(o).__name__}")

    def __add__(self, o: Any) -> Committed:
        return Committed(self.form + self._lift(o), self._g_e)

    __radd__ = __add__

    def __sub__(self, o: Any) -> Committed:
        return Committed(self.form - self._lift(o), self._g_e)

    def __rsub__(self, o: Any) -> Committed:
        return Committed(self._lift(o) - self.form, self._g_e)

    def __mul__(self, c: Any) -> Committed:
        if not isinstance(c, int):
            raise TypeError("a committed value is multiplied through a proof of product")
        return Committed(self.form.scaled(c), self._g_e)

    __rmul__ = __mul__


class CommittedBackend:
    """Evaluates declarations over commitments, collecting the linear check's forms
    (`linear`, with their ids) and the batched proof of product's triples (`triples`) in
    evaluation order, which is the order of `products` (the proof's `"zk-products"`
    points)."""

    def __init__(self, g_e: G1Point, products: Sequence[G1Point]) -> None:
        self._g_e = g_e
        self._products = list(products)
        self._next = 0
        self.linear: list[Form] = []
        self.linear_ids: list[str] = []
        self.triples: list[Triple] = []

    def _take(self, what: str) -> Form:
        if self._next >= len(self._products):
            raise ProofFormatError(f"zk-products ends before {what}", check="zk.products")
        p = self._products[self._next]
        self._next += 1
        return Form.of(p)

    def seal(self, value: G1Point | Form) -> Committed:
        """A commitment the prover sent (a point), or a form over such (a LogUp tree's
        `P`, `Q`, a sumcheck's final claim), as a handle."""
        return Committed(value if isinstance(value, Form) else Form.of(value), self._g_e)

    @property
    def g_e(self) -> G1Point:
        """The committed-scalar generator (a public value `v` is the form `v G_e`)."""
        return self._g_e

    @property
    def used(self) -> int:
        """How many `"zk-products"` points the evaluation has taken so far."""
        return self._next

    def load(self, claim: Claim) -> Committed:
        return claim._value

    def product(self, a: Committed, b: Committed) -> Committed:
        z = self._take("a product")
        self.triples.append(Triple(a.form, b.form, z))
        return Committed(z, self._g_e)

    def assert_zero(self, value: Committed, check: Check) -> None:
        self.linear.append(value.form)
        self.linear_ids.append(check.id)

    def assert_nonzero(self, value: Committed, check: Check) -> None:
        inv = self._take(f"the inverse of {check.id}")
        self.triples.append(Triple(value.form, inv, Form({self._g_e: 1})))

    def reveal(self, value: Committed, use: str) -> int:
        raise TypeError(f"{use}: a hiding verifier never reveals a committed value")

    def finish(self) -> None:
        """Every product commitment was used (a longer message is malformed)."""
        if self._next != len(self._products):
            raise ProofFormatError(f"{len(self._products) - self._next} unused zk-products",
                                   check="zk.products")


class _Counter(ClearBackend):
    """Counts the products an evaluation makes (every committed value is 0 here)."""

    def __init__(self) -> None:
        self.count = 0

    def load(self, claim: Claim) -> int:
        return 0

    def product(self, a: int, b: int) -> int:
        self.count += 1
        return 0


def products_needed(checks: Sequence[Check]) -> int:
    """How many `"zk-products"` points `checks` take (zk.md 5.5: the declarations fix the
    count, the message carries none): a product per committed factor after a term's
    first, an inverse per committed `!= 0`."""
    c = _Counter()
    for check in checks:
        if check.expr.committed:
            evaluate(check.expr, c)
            c.count += check.kind == NONZERO
    return c.count
