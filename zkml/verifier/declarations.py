"""Final checks declared as data (circuits/checks.md).

A gadget states what it checks as expressions over named *claims*:

- a `Claim` is one value: `committed` when the prover sends it (an acc-eval, a later
  message, a sumcheck-eval, a LogUp leaf; hidden under a commitment once proofs hide,
  circuits/zk.md), or public when the verifier computes it from the statement, the
  circuit and the challenges (`public(...)`: an eq, a mask, a wiring evaluation, the
  public input's MLE);
- an `Expr` is a sum of terms, each a public coefficient times a product of any number
  of factors (claims, or sums themselves: a linear form of committed claims is one
  committed factor); Python's `+`, `-`, `*`, `<<` build it and never evaluate it, and
  there is no `%`, so a gadget cannot compute on a committed value by mistake;
- a `Check` is `expr == 0` (or `expr != 0`) under a stable dotted id
  (`gadget.<op>.<check>`, listed in circuits/soundness.md).

A `Backend` evaluates declarations (`evaluate`, `run_check`). The clear backend
(`CLEAR`) is today's verifier: field arithmetic mod r, raising `VerificationError` with
the check's id. A commitment backend (circuits/zk.md; a mock in the tests) sees
committed claims only as handles: it adds them, scales them by public integers and
multiplies two of them only through `product` (a proof of product), so swapping the
backend changes no gadget.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zkml.errors import VerificationError
from zkml.verifier.field import R

__all__ = ["Claim", "Expr", "Check", "Backend", "ClearBackend", "CLEAR", "ClaimStream",
           "public", "as_expr", "evaluate", "run_check", "zero_check", "nonzero_check",
           "linear", "ZERO", "NONZERO"]

#: the kinds of a check
ZERO, NONZERO = "zero", "nonzero"

Operand = "Claim | Expr | int"


class _Algebra:
    """The operators shared by claims and expressions: they build an `Expr`."""

    __slots__ = ()

    def __add__(self, other: Any) -> Expr:
        return _sum(self, other, 1)

    def __radd__(self, other: Any) -> Expr:
        return _sum(other, self, 1)

    def __sub__(self, other: Any) -> Expr:
        return _sum(self, other, R - 1)

    def __rsub__(self, other: Any) -> Expr:
        return _sum(other, self, R - 1)

    def __neg__(self) -> Expr:
        return as_expr(self).scaled(R - 1)

    def __mul__(self, other: Any) -> Expr:
        return _product(self, other)

    def __rmul__(self, other: Any) -> Expr:
        return _product(other, self)

    def __lshift__(self, k: int) -> Expr:
        """Times 2^k (a public shift)."""
        return as_expr(self).scaled(pow(2, k, R))


class Claim(_Algebra):
    """One named value: committed (sent by the prover) or public (the verifier's own).

    Only a backend reads a committed claim's value (`Backend.load`); the value a clear
    verification holds is an int, a commitment backend's may be opaque.
    """

    __slots__ = ("name", "committed", "_value")

    def __init__(self, name: str, value: Any, committed: bool = True) -> None:
        self.name = name
        self.committed = committed
        self._value = value

    @property
    def value(self) -> int:
        """A public claim's value (a committed one is read by a backend only)."""
        if self.committed:
            raise TypeError(f"claim {self.name} is committed: only a backend reads it")
        return self._value

    def __repr__(self) -> str:
        return f"Claim({self.name}{'' if self.committed else ', public'})"


def public(name: str, value: int) -> Claim:
    """A public value the verifier computes (named for the schedule, circuits/checks.md)."""
    return Claim(name, value % R, committed=False)


Term = tuple[int, tuple["Claim | Expr", ...]]


class Expr(_Algebra):
    """A sum of terms `coeff * prod(factors)` (coefficients public, mod r)."""

    __slots__ = ("terms", "_committed")

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self.terms = terms
        self._committed: bool | None = None

    @property
    def committed(self) -> bool:
        """Whether any factor is a committed claim (else the value is public)."""
        if self._committed is None:
            self._committed = any(f.committed for _, fs in self.terms for f in fs)
        return self._committed

    def scaled(self, c: int) -> Expr:
        """c * self, distributed over the terms (a public scale keeps a form linear)."""
        c %= R
        return Expr(tuple((a * c % R, fs) for a, fs in self.terms))

    def single(self) -> Term | None:
        """The one term of a one-term expression, else None."""
        return self.terms[0] if len(self.terms) == 1 else None

    def __repr__(self) -> str:
        return f"Expr({len(self.terms)} terms)"


def as_expr(v: Any) -> Expr:
    """An int, a claim or an expression as an expression."""
    if isinstance(v, Expr):
        return v
    if isinstance(v, Claim):
        return Expr(((1, (v,)),))
    if isinstance(v, int):
        return Expr(((v % R, ()),))
    raise TypeError(f"not a claim, an expression or an int: {type(v).__name__}")


def _sum(a: Any, b: Any, sign: int) -> Expr:
    eb = as_expr(b)
    return Expr(as_expr(a).terms + (eb.terms if sign == 1 else eb.scaled(sign).terms))


def _product(a: Any, b: Any) -> Expr:
    """a * b without expanding: one-term sides merge their factors, a constant scales."""
    if isinstance(a, int):
        return as_expr(b).scaled(a)
    if isinstance(b, int):
        return as_expr(a).scaled(b)
    ea, eb = as_expr(a), as_expr(b)
    ta, tb = ea.single(), eb.single()
    if ta is not None and not ta[1]:
        return eb.scaled(ta[0])
    if tb is not None and not tb[1]:
        return ea.scaled(tb[0])
    fa = ta[1] if ta is not None else (ea,)
    fb = tb[1] if tb is not None else (eb,)
    ca = ta[0] if ta is not None else 1
    cb = tb[0] if tb is not None else 1
    return Expr(((ca * cb % R, fa + fb),))


def linear(coeffs: Iterable[tuple[int, Any]], const: int = 0) -> Expr:
    """const + sum c_k x_k as one expression."""
    terms: list[Term] = [(const % R, ())] if const % R else []
    for c, x in coeffs:
        terms.extend(as_expr(x).scaled(c).terms)
    return Expr(tuple(terms))


@dataclass(frozen=True)
class Check:
    """`expr == 0` (kind ZERO) or `expr != 0` (kind NONZERO, proven through a committed
    inverse under hiding), with its id and the message a rejection carries."""

    id: str
    expr: Expr
    kind: str
    message: str
    gadget: int | None = None


def zero_check(check_id: str, expr: Any, message: str, gadget: int | None = None) -> Check:
    """The check `expr == 0`."""
    return Check(check_id, as_expr(expr), ZERO, message, gadget)


def nonzero_check(check_id: str, expr: Any, message: str, gadget: int | None = None
                  ) -> Check:
    """The check `expr != 0`."""
    return Check(check_id, as_expr(expr), NONZERO, message, gadget)


class Backend(Protocol):
    """What evaluates declarations. Handles are whatever `load` returns: they support
    `h + h`, `h - h`, `h + int` and `h * int` only; a product of two goes through
    `product`."""

    def seal(self, value: int) -> Any:
        """How a committed claim's value is held (the clear backend: the int)."""
        ...

    def load(self, claim: Claim) -> Any:
        """A committed claim's handle."""
        ...

    def product(self, a: Any, b: Any) -> Any:
        """The handle of a * b (under hiding: a new commitment and a proof of product)."""
        ...

    def assert_zero(self, value: Any, check: Check) -> None:
        """Require a committed value to be 0 (under hiding: one linear check)."""
        ...

    def assert_nonzero(self, value: Any, check: Check) -> None:
        """Require a committed value to be non-zero (under hiding: a committed inverse
        and a proof of product `value * inv == 1`)."""
        ...

    def reveal(self, value: Any, use: str) -> int:
        """The int a part of the verifier not yet declared needs (the batched sumcheck's
        claims, the stack openings): circuits/zk.md says what replaces each use."""
        ...


def evaluate(e: Any, backend: Backend) -> Any:
    """The value of an expression: an int when it is public, else a handle."""
    e = as_expr(e)
    const, acc = 0, None
    for coeff, factors in e.terms:
        pub, handles = coeff, []
        for f in factors:
            if not f.committed:
                pub = pub * (f._value if isinstance(f, Claim) else evaluate(f, backend)) % R
            elif isinstance(f, Claim):
                handles.append(backend.load(f))
            else:
                handles.append(evaluate(f, backend))
        if not handles:
            const += pub
            continue
        h = handles[0]
        for other in handles[1:]:
            h = backend.product(h, other)
        h = h * pub
        acc = h if acc is None else acc + h
    if acc is None:
        return const % R
    return acc + const % R if const % R else acc


def run_check(check: Check, backend: Backend) -> None:
    """Evaluate one check through `backend` (a public check is decided in the clear)."""
    v = evaluate(check.expr, backend)
    if not check.expr.committed:
        CLEAR.assert_zero(v, check) if check.kind == ZERO else CLEAR.assert_nonzero(v, check)
    elif check.kind == ZERO:
        backend.assert_zero(v, check)
    else:
        backend.assert_nonzero(v, check)


class ClearBackend:
    """Today's verifier: every value an int mod r, a failed check a VerificationError
    carrying the check's id."""

    def seal(self, value: int) -> int:
        return value

    def load(self, claim: Claim) -> int:
        return claim._value

    def product(self, a: int, b: int) -> int:
        return a * b % R

    def assert_zero(self, value: int, check: Check) -> None:
        if value % R:
            raise VerificationError(check.message, check=check.id)

    def assert_nonzero(self, value: int, check: Check) -> None:
        if not value % R:
            raise VerificationError(check.message, check=check.id)

    def reveal(self, value: int, use: str) -> int:
        return value % R


#: the clear backend (stateless, shared)
CLEAR = ClearBackend()


class ClaimStream(Iterator[Claim]):
    """The committed claims of one message, in the order sent: entry j of message
    `label` is the claim `label[j]` (circuits/checks.md names them so)."""

    __slots__ = ("label", "_vals", "_pos", "_backend")

    def __init__(self, label: str, values: Sequence[int], backend: Backend, start: int = 0
                 ) -> None:
        self.label = label
        self._vals = values
        self._pos = start
        self._backend = backend

    def __iter__(self) -> ClaimStream:
        return self

    def __next__(self) -> Claim:
        if self._pos >= len(self._vals):
            raise StopIteration
        j = self._pos
        self._pos += 1
        return Claim(f"{self.label}[{j}]", self._backend.seal(self._vals[j]))
