"""The gadget check interface of an inference proof (inference.md sections 4-5).

One `GadgetCheck` subclass per gadget op, naming its op in `OP` (which is all it takes to
be found: `zkml.verifier.gadgets.GADGETS` collects the classes of the package's modules),
declares what the gadget sends and checks it:

- `acc_count`: how many acc-evals it sends at its acc point `r_g`;
- `messages`: the messages it sends right after its acc-evals (label, length);
- `instances`: the batched-sumcheck instances it contributes (group `dense` or
  `zerocheck`, variables, how many sumcheck-evals each sends);
- `relation`: its checks at the acc point (after the common checks of `check_acc`),
  setting `claim` when its dense-group instance reduces `acc(r_g)`;
- `after_acc`: the transcript steps of its messages (and their checks);
- `claim_of` / `value`: each instance's claim and final-check value;
- `parse`: its producer object in the circuit (strict, records.py's readers) into its
  op's frozen record (`RECORD`, defined next to the parser), and the circuit-level facts
  its record fixes: `extra_columns`, `lookup_table`, `padded_output`, `READS_MODEL`.

Every check and value is declared as data (`zkml.verifier.declarations`, circuits/
checks.md): claims arrive as `Claim`s, a value is an `Expr` over them, a check is handed
to `RunContext.declare` under its id (`gadget.<op>.<check>`), and the driver evaluates
them through the run's backend (`RunContext.settle`). The driver (`inference.py`) walks
these declarations in the transcript order; it has no per-op branches. A check object
holds one verification's state of one gadget.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from zkml.errors import VerificationError
from zkml.verifier.declarations import (
    CLEAR,
    Backend,
    Check,
    Claim,
    ClaimStream,
    Expr,
    as_expr,
    linear,
    public,
    run_check,
    zero_check,
)
from zkml.verifier.field import eq_eval
from zkml.verifier.layout import Layout, slot_bits
from zkml.verifier.records import Gadget, Producer
from zkml.verifier.spatial import input_mle

if TYPE_CHECKING:
    from zkml.verifier.circuit import Circuit
    from zkml.verifier.records import Column, ColumnSpec, GadgetFields
    from zkml.verifier.transcript import Transcript

__all__ = ["DENSE", "ZEROCHECK", "OUTPUT", "Instance", "InstanceOwner", "Claims",
           "RunContext", "GadgetCheck", "Point"]

#: the groups of the batched sumcheck, in instance order
DENSE, ZEROCHECK, OUTPUT = "dense", "zerocheck", "output"

#: an opening claim: a stack point and its value (an int; a form under hiding)
Point = tuple[tuple[int, ...], Any]

Vals = Iterator[Claim]


class InstanceOwner(Protocol):
    """What owns a sumcheck instance: its claim and its final-check value."""

    def claim_of(self, inst: Instance) -> Expr | int:
        """The instance's claimed sum (declared over the claims)."""
        ...

    def value(self, ctx: RunContext, inst: Instance, s: list[int], vals: Vals) -> Expr:
        """The instance's summand at the sumcheck point `s` (reads its sumcheck-evals)."""
        ...


@dataclass(frozen=True, eq=False)
class Instance:
    """One instance of the batched sumcheck.

    `name` says which of its owner's instances it is (`part` the concat / rearrange part
    it reduces), `num_vars` its variables and `evals` how many sumcheck-evals it sends.
    """

    owner: InstanceOwner
    gadget: int
    name: str
    group: str
    num_vars: int
    evals: int
    part: int = 0


@dataclass
class Claims:
    """The opening claims a verification collects: witness-stack claims, then the model
    stack's in the order sent (tables' leaf evals, biases, weights)."""

    witness: list[Point] = field(default_factory=list)
    tables: list[Point] = field(default_factory=list)
    biases: list[Point] = field(default_factory=list)
    weights: list[Point] = field(default_factory=list)

    def model(self) -> tuple[Point, ...]:
        """The model stack's claims in the order they are opened."""
        return tuple(self.tables + self.biases + self.weights)


@dataclass
class RunContext:
    """The state of one verification shared by the gadget checks: the circuit, the
    layout for the proof's batch, the transcript, the public input, the claims, the
    backend that evaluates declared checks and the checks declared but not yet run."""

    circuit: Circuit
    layout: Layout
    transcript: Transcript
    x: Sequence[int]
    batch: int
    claims: Claims = field(default_factory=Claims)
    backend: Backend = CLEAR
    pending: list[Check] = field(default_factory=list)
    #: a hiding proof (circuits/zk_inference.md): every private message is one commitment
    #: per value and an opening claim's value is the form of the commitment it was sent as
    hiding: bool = False

    @property
    def c(self) -> Circuit:
        """The circuit (short name used by the per-op math modules)."""
        return self.circuit

    @property
    def lay(self) -> Layout:
        """The layout (short name used by the per-op math modules)."""
        return self.layout

    @property
    def limb_bits(self) -> int:
        """L of nonlinear.md 5."""
        return self.circuit.limb_bits

    @property
    def wclaims(self) -> list[Point]:
        """The witness stack's claims."""
        return self.claims.witness

    @property
    def table_claims(self) -> list[Point]:
        """The model stack's claims on table tensors."""
        return self.claims.tables

    @property
    def bias_claims(self) -> list[Point]:
        """The model stack's claims on biases."""
        return self.claims.biases

    @property
    def w_claims(self) -> list[Point]:
        """The model stack's claims on weights."""
        return self.claims.weights

    # --- claims ------------------------------------------------------------------

    def stream(self, label: str, values: Sequence[int], start: int = 0) -> ClaimStream:
        """The committed claims `label[j]`, j >= start, of one message (checks.md)."""
        return ClaimStream(label, values, self.backend, start)

    def absorb(self, label: str, message: Sequence) -> None:
        """Absorb a message a gadget sends (its acc-evals and the messages after them,
        the argmax-evals): its values in the clear, or under hiding the commitments sent
        in their place (circuits/zk_inference.md 1.1: `absorb_points` for `absorb_frs`)."""
        if self.hiding:
            self.transcript.absorb_points(label, message)
        else:
            self.transcript.absorb_frs(label, message)

    def opened(self, claim: Claim) -> Any:
        """A committed claim's value for a stack opening: the value in the clear, or
        under hiding the linear form of its commitment (circuits/zk.md 5.4)."""
        handle = self.backend.load(claim)
        if self.hiding:
            return handle.form
        return self.backend.reveal(handle, "opening")

    def take(self, cols: Sequence[Column], vals: Vals, z: Sequence[int]) -> list[Claim]:
        """Record claims column(z) = value for the next len(cols) claims of `vals`."""
        out = []
        for col in cols:
            v = next(vals)
            self.claims.witness.append((self.layout.column_point(col.index, z),
                                        self.opened(v)))
            out.append(v)
        return out

    def limbs(self, vals: Sequence[Claim]) -> Expr:
        """sum_j 2^(L j) vals[j] (L = the circuit's limb_bits), a linear form."""
        lb = self.circuit.limb_bits
        return linear((1 << (lb * j), v) for j, v in enumerate(vals))

    def model_claim(self, dest: list[Point], name: str, z: Sequence[int], v: Claim) -> None:
        """Record the model-stack claim tensor `name` at `z` = v in `dest`."""
        ms = self.circuit.model
        t = ms.tensors[name]
        dest.append(((*z, *slot_bits(t.offset, t.log_size, ms.num_vars)), self.opened(v)))

    def value(self, ref: int | None, vals: Vals, z: Sequence[int]) -> Expr:
        """A tensor's value at `z`: `lo` plus its u limbs (claims), or the public input's
        MLE (a public value); a private input's is its limbs too (zk_inference.md 1.3)."""
        c = self.circuit
        if ref is None and c.input_u:
            return c.input_lo + self.limbs(self.take(c.input_u, vals, z))
        if ref is None:
            return as_expr(public("X_in", input_mle(self.x, self.batch, c.input_features,
                                                    c.input_shape, list(z))))
        g = c.gadgets[ref]
        return g.lo + self.limbs(self.take(g.u, vals, z))

    # --- checks ------------------------------------------------------------------

    def declare(self, check: Check) -> None:
        """Hand a check to the driver (run at the next `settle`, in declaration order)."""
        self.pending.append(check)

    def require(self, check_id: str, expr: Expr | Claim | int, message: str,
                gadget: int | None = None) -> None:
        """Declare `expr == 0` under `check_id`."""
        self.declare(zero_check(check_id, expr, message, gadget))

    def settle(self) -> None:
        """Run every pending check through the backend (the driver's step)."""
        pending, self.pending = self.pending, []
        for check in pending:
            run_check(check, self.backend)


def _acc_value(g: Gadget, cv: dict) -> Expr:
    """acc from z, e+, e-, rem (relation R1; nonlinear.md 1 for a divisor d > 1)."""
    q = cv["z"] + cv["ep"] - cv["em"]
    if g.divisor > 1:
        return g.divisor * q + cv["rem"] - g.divisor // 2
    if g.shift == 0:
        return q
    return (q << g.shift) + cv["rem"] - (1 << (g.shift - 1))


def _own_values(ctx: RunContext, g: Gadget, vals: Vals, z: list[int]) -> dict:
    """The gadget's own columns at `z` in column order: u, v, rem, remc, ep, em as limb
    values, then each own group of the producer's (`cv[key]`, its limbs' claims)."""
    cv: dict = {k: ctx.limbs(ctx.take(getattr(g, k), vals, z))
                for k in ("u", "v", "rem", "remc", "ep", "em")}
    cv["z"] = g.lo + cv["u"]
    for grp in g.extra:
        if grp.own:
            cv[grp.key] = ctx.take(grp.columns, vals, z)
    return cv


class GadgetCheck:
    """The verifier's check of one gadget (module doc); subclasses override what differs.

    The defaults: acc-evals are the own columns then x's u limbs, no messages after them,
    no dense-group instance, and a zerocheck instance when the gadget has excess columns.
    """

    #: the circuit op it checks (each concrete check class names its own)
    OP = ""
    #: the op's producer record (parsed by `parse`)
    RECORD: type[Producer] = Producer
    #: True when the gadget always takes part in the zerocheck loop
    ALWAYS_ZEROCHECK = False
    #: the name of its zerocheck-group instance
    ZEROCHECK_NAME = "zerocheck"
    #: True when its tensor carries spatial padding (it cannot be the output gadget)
    PADDED_OUTPUT = False
    #: True when its producer reads a model-stack tensor (a weight, table or constant)
    READS_MODEL = False

    def __init__(self, circuit: Circuit, g: Gadget) -> None:
        # fail closed: the checks below read the fields of this op's record only
        if type(g.producer) is not self.RECORD:
            raise VerificationError(f"gadget {g.index}: a {type(g.producer).__name__} is "
                                    f"not a {self.RECORD.__name__}")
        self.c, self.g = circuit, g
        self.p = g.producer
        #: acc(r_g) or what its dense-group instance reduces (set by `relation`)
        self.claim: Expr | int = 0
        self.point: list[int] = []
        self.cv: dict = {}
        self.tau: list[int] = []
        self.beta = 0
        self.extra: list[list[int]] = []

    @staticmethod
    def parse(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
        """Strictly parse and check the gadget's producer object into its `RECORD`
        (records.py's readers); each op's class sets its own."""
        raise NotImplementedError

    @staticmethod
    def extra_columns(p: Producer, gf: GadgetFields, fv: int) -> list[ColumnSpec]:
        """Its column groups after u, v, rem, remc, ep, em (`fv`: the gadget's feature
        variables); a key ending in a number is one window's (`Gadget.numbered`)."""
        return []

    @staticmethod
    def lookup_table(p: Producer) -> int:
        """t of the lookup table it owns (nonlinear.md 3: its `t_g` column of 2^t
        entries); 0 when it owns none."""
        return 0

    @classmethod
    def padded_output(cls, g: Gadget) -> str | None:
        """Why its statement would carry padding as the output gadget (None: it would
        not), after "output.gadget L is a "."""
        return f"{g.op} gadget" if cls.PADDED_OUTPUT else None

    # --- declarations: what the gadget sends --------------------------------------

    def acc_count(self) -> int:
        """How many acc-evals the gadget sends."""
        return len(self.g.own) + len(self.c.u_of(self.p.x))

    def messages(self) -> tuple[tuple[str, int], ...]:
        """The messages sent right after its acc-evals: (label, number of Fr)."""
        return ()

    def instances(self, lay: Layout) -> list[Instance]:
        """Its batched-sumcheck instances, dense group first, in order."""
        return self.dense_instances(lay) + self.zerocheck_instances(lay)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """Its dense-group instances (none by default)."""
        return []

    def zerocheck_instances(self, lay: Layout) -> list[Instance]:
        """The generic excess-column zerocheck (inference.md 4) when it has ep / em."""
        g = self.g
        if not (g.ep or g.em or self.ALWAYS_ZEROCHECK):
            return []
        nv = lay.axes(self.zerocheck_feature_vars()).num_vars
        return [self.instance(ZEROCHECK, self.ZEROCHECK_NAME, nv, self.zerocheck_evals())]

    def zerocheck_feature_vars(self) -> int:
        """The feature variables of its zerocheck (and of tau_g)."""
        return self.g.log_features

    def zerocheck_evals(self) -> int:
        """Sumcheck-evals of its zerocheck instance: u, ep, em limbs."""
        g = self.g
        return len(g.u) + len(g.ep) + len(g.em)

    def instance(self, group: str, name: str, nv: int, evals: int, part: int = 0
                 ) -> Instance:
        """An instance owned by this check."""
        return Instance(self, self.g.index, name, group, nv, evals, part)

    def lookup_trees(self) -> int:
        """How many LogUp trees the gadget owns after the range group's two (a table
        gadget: its lookup tree and its table tree, nonlinear.md 3)."""
        return 0

    def leaf_count(self) -> int:
        """How many logup-leaf-evals the gadget sends (after the range group's)."""
        return 0

    # --- the checks ------------------------------------------------------------------

    def check_id(self, name: str) -> str:
        """The id of its check `name`: `gadget.<op>.<name>` (circuits/soundness.md)."""
        return f"gadget.{self.g.op}.{name}"

    def require(self, ctx: RunContext, name: str, expr: Expr | Claim | int,
                message: str) -> None:
        """Declare its check `name`: `expr == 0` (the message after `gadget <i>: `)."""
        g = self.g
        ctx.require(self.check_id(name), expr, f"gadget {g.index}: {message}", g.index)

    def check_acc(self, ctx: RunContext, r: list[int], evals: Vals) -> None:
        """Declare its acc-evals' checks at its point `r` (inference.md 4: z + v = hi,
        the divisor's rem + remc = d - 1, then the op's relation)."""
        g, vals = self.g, evals
        self.point = r
        cv = self.cv = _own_values(ctx, g, vals, r)
        if g.v:
            self.require(ctx, "z-plus-v", cv["z"] + cv["v"] - g.hi,
                         "z + v != hi at the acc point")
        if g.divisor > 1:
            self.require(ctx, "rem-plus-remc", cv["rem"] + cv["remc"] - (g.divisor - 1),
                         f"rem + remc != d - 1 (divisor {g.divisor}) at the acc point")
        self.relation(ctx, r, vals, _acc_value(g, cv))

    def check_leaves(self, ctx: RunContext, trees: Sequence[tuple[list[int], int, int]],
                     roots: Iterator[Claim], alpha: int, beta: int, vals: Iterator[Claim]
                     ) -> None:
        """Declare its checks of its LogUp trees (`lookup_trees` of them, with their
        roots P, Q next in `roots`) from its leaf evals in `vals` (none by default)."""

    def relation(self, ctx: RunContext, r: list[int], vals: Vals, acc: Expr) -> None:
        """The op's relation at the acc point (identity: acc == X(r))."""
        self.require(ctx, "relation", acc - ctx.value(self.p.x, vals, r),
                     "identity accumulator mismatch")

    def after_acc(self, ctx: RunContext) -> None:
        """The transcript steps of the messages after its acc-evals (`self.extra`)."""

    def claim_of(self, inst: Instance) -> Expr | int:
        """Its instances' claims: `self.claim` (dense), 0 (zerocheck)."""
        return 0 if inst.group == ZEROCHECK else self.claim

    def value(self, ctx: RunContext, inst: Instance, s: list[int], vals: Vals) -> Expr:
        """An instance's final-check value at `s`, reading its sumcheck-evals."""
        if inst.group == ZEROCHECK:
            return self.zerocheck_value(ctx, s, vals)
        return self.dense_value(ctx, inst, s, vals)

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int], vals: Vals
                    ) -> Expr:
        """A dense-group instance's value (gadgets with such instances override it)."""
        raise VerificationError(f"gadget {self.g.index}: no instance {inst.name}")

    def eq_tau(self, s: list[int]) -> Claim:
        """eq(tau_g, s), the public weight of its zerocheck."""
        return public(f"g{self.g.index}.eq(tau,s)", eq_eval(self.tau, s))

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Vals) -> Expr:
        """The generic zerocheck's final value eq(tau, s) [(z - hi) e+ + beta u e-]."""
        g = self.g
        u = ctx.limbs(ctx.take(g.u, vals, s))
        ep = ctx.limbs(ctx.take(g.ep, vals, s))
        em = ctx.limbs(ctx.take(g.em, vals, s))
        z = g.lo + u
        term: Expr | int = (z - g.hi) * ep if g.ep else 0
        if g.em:
            term = term + self.beta * u * em
        return self.eq_tau(s) * term
