"""A mock commitment backend for the declared checks (tests only; circuits/checks.md,
circuits/zk.md).

It stands where P8's hiding backend will: a committed claim is an opaque `Handle` that
supports `+`, `-` and multiplication by a public int only; a product of two handles goes
through `MockCommitments.product` (a stub proof of product, recorded), `assert_zero`
records one linear check and `assert_nonzero` a committed inverse with its proof of
product. The values stay inside the mock so a test can confirm that an honest proof's
checks hold and a tampered claim's fail (raising VerificationError with the check's id,
as the clear backend does). Each handle carries its provenance: the claims it was built
from, and those that reach it linearly (not through a product).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from zkml.errors import VerificationError
from zkml.verifier.declarations import Check, Claim
from zkml.verifier.field import R


class Sealed:
    """A committed claim's value as the mock holds it: no arithmetic, no int()."""

    __slots__ = ("_v",)

    def __init__(self, v: int) -> None:
        self._v = v

    def __repr__(self) -> str:
        return "Sealed(...)"


class Handle:
    """An opaque commitment: sums, differences and public scales only."""

    __slots__ = ("_v", "lin", "all")

    def __init__(self, v: int, lin: frozenset, all_: frozenset) -> None:
        self._v = v % R
        self.lin = lin
        self.all = all_

    def __add__(self, other: object) -> Handle:
        if isinstance(other, Handle):
            return Handle(self._v + other._v, self.lin | other.lin, self.all | other.all)
        if isinstance(other, int):
            return Handle(self._v + other, self.lin, self.all)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: object) -> Handle:
        if isinstance(other, Handle | int):
            return self + other * (R - 1)
        return NotImplemented

    def __rsub__(self, other: object) -> Handle:
        if isinstance(other, int):
            return self * (R - 1) + other
        return NotImplemented

    def __mul__(self, other: object) -> Handle:
        if isinstance(other, Handle):
            raise TypeError("a product of two commitments needs backend.product")
        if isinstance(other, int):
            c = other % R
            return Handle(self._v * c, self.lin if c else frozenset(), self.all)
        return NotImplemented

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        raise TypeError("a commitment has no truth value")

    def __int__(self) -> int:
        raise TypeError("a commitment cannot be read")

    __index__ = __int__

    def __repr__(self) -> str:
        return "Handle(...)"


@dataclass
class Recorded:
    """One recorded linear (or non-zero) check: its id, gadget and provenance."""

    id: str
    gadget: int | None
    kind: str
    lin: frozenset
    all: frozenset


@dataclass
class MockCommitments:
    """The mock backend (module doc). `tamper` adds a delta to named claims' values."""

    tamper: dict[str, int] = field(default_factory=dict)
    checks: list[Recorded] = field(default_factory=list)
    products: list[frozenset] = field(default_factory=list)
    inverses: list[str] = field(default_factory=list)
    reveals: Counter = field(default_factory=Counter)

    def seal(self, value: int) -> Sealed:
        return Sealed(value)

    def load(self, claim: Claim) -> Handle:
        sealed = claim._value
        assert isinstance(sealed, Sealed), f"{claim.name} was not sealed by this backend"
        name = frozenset((claim.name,))
        return Handle(sealed._v + self.tamper.get(claim.name, 0), name, name)

    def product(self, a: Handle, b: Handle) -> Handle:
        assert isinstance(a, Handle) and isinstance(b, Handle)
        self.products.append(a.all | b.all)
        return Handle(a._v * b._v, frozenset(), a.all | b.all)

    def _record(self, h: Handle, check: Check) -> None:
        assert isinstance(h, Handle), f"{check.id}: a committed check evaluated to a non-handle"
        self.checks.append(Recorded(check.id, check.gadget, check.kind, h.lin, h.all))

    def assert_zero(self, h: Handle, check: Check) -> None:
        self._record(h, check)
        if h._v:
            raise VerificationError(check.message, check=check.id)

    def assert_nonzero(self, h: Handle, check: Check) -> None:
        self._record(h, check)
        self.inverses.append(check.id)
        self.products.append(h.all)  # h * inv == 1
        if not h._v:
            raise VerificationError(check.message, check=check.id)

    def reveal(self, h: Handle | int, use: str) -> int:
        self.reveals[use] += 1
        return h._v if isinstance(h, Handle) else h % R
