"""A small deterministic mutation engine for zkml artifact bytes (tests only).

`trace_fields` runs the verifier's strict parser over a valid artifact with its `Reader`
instrumented and records where every encoded item lies (u32 counts and lengths, Fr, G1,
`Ints`, raw spans such as the vk digest or the key's circuit JSON). The parser is only
an oracle for *where* fields are: the outcome of every mutant is judged by the tests.

`Mutator(target, partners).mutant(seed, index)` derives one mutant from its own RNG
(`Random(f"{seed}:{target.name}:{index}")`), so any single mutant reproduces from its
seed and index alone. Operators: bit flips, bytes set to interesting values, inserts,
deletes, truncation, extension, length edits of traced counts (to 0, 1, off by one,
huge, or consistent with an inserted or deleted element), field values (Fr at and above
r, G1 off the curve or at infinity, `Ints` out of range), and splices with other valid
artifacts (crossover at one offset, at the start of a field of the same name, or one
field swapped for the partner's). Circuit JSON mutations live in circuit_mutate.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from zkml.verifier.encoding import Reader
from zkml.verifier.field import P, R

__all__ = ["Field", "Artifact", "Mutant", "Mutator", "trace_fields", "OPERATORS"]

INTERESTING_BYTES = (0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE)
U32_MAX = (1 << 32) - 1


@dataclass(frozen=True)
class Field:
    """One item the parser read: `kind` is the Reader method (u8, u16, u32, count, fr,
    g1, ints, raw), `elem` the element size of a count (0 otherwise), `value` the u32
    value of a count or u32."""

    kind: str
    start: int
    size: int
    what: str
    elem: int = 0
    value: int = 0

    @property
    def end(self) -> int:
        return self.start + self.size


@dataclass(frozen=True)
class Artifact:
    """Valid artifact bytes with their traced fields; `name` says model, kind, batch."""

    name: str
    data: bytes
    fields: tuple[Field, ...]

    def of_kind(self, *kinds: str) -> list[Field]:
        return [f for f in self.fields if f.kind in kinds]


@dataclass(frozen=True)
class Mutant:
    """A mutated artifact and how it was made (printed when a test fails)."""

    op: str
    detail: str
    data: bytes


def _record(log: list[Field], target: bytes, kind: str, method: Callable) -> Callable:
    def wrapper(self: Reader, *args, **kwargs):
        start = self.position
        out = method(self, *args, **kwargs)
        if self._data == target:  # only the artifact being traced
            names = [a for a in args if isinstance(a, str)]
            what = names[0] if names else str(kwargs.get("what", kind))
            # a count's element size, an Ints' width: what a length edit scales by
            elem = args[0] if kind == "count" else args[1] if kind == "ints" else 0
            value = out if kind in ("count", "u32") else 0
            log.append(Field(kind, start, self.position - start, what, elem, value))
        return out

    return wrapper


@contextmanager
def _traced(log: list[Field], target: bytes):
    kinds = ("u8", "u16", "u32", "count", "fr", "g1", "ints", "raw")
    patches = [mock.patch.object(Reader, k, _record(log, target, k, getattr(Reader, k)))
               for k in kinds]
    for p in patches:
        p.start()
    try:
        yield
    finally:
        for p in reversed(patches):
            p.stop()


def trace_fields(data: bytes, parse: Callable[[bytes], object]) -> tuple[Field, ...]:
    """The fields `parse(data)` reads from `data`, outermost first at each offset (a
    count before the u32 it reads, an `Ints` before its count). `parse` must succeed."""
    log: list[Field] = []
    with _traced(log, data):
        parse(data)
    seen, out = set(), []
    # nested reads (count -> u32, fr -> raw) finish first: sort by start, widest first
    for f in sorted(log, key=lambda f: (f.start, -f.size)):
        key = (f.kind, f.start, f.size)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return tuple(out)


def _put(data: bytes, at: int, new: bytes, old_len: int | None = None) -> bytes:
    return data[:at] + new + data[at + (len(new) if old_len is None else old_len):]


def _junk(rng: random.Random, n: int) -> bytes:
    style = rng.randrange(3)
    if style == 0:
        return bytes(n)
    if style == 1:
        return b"\xff" * n
    return rng.randbytes(n)


class Mutator:
    """Mutants of `target`; `partners` (other valid artifacts) feed the splices."""

    def __init__(self, target: Artifact, partners: Sequence[Artifact] = ()) -> None:
        self.target = target
        self.partners = [p for p in partners if p.data != target.data]
        self.counts = target.of_kind("count", "u32")
        self.values = target.of_kind("fr", "g1", "ints")
        self.ops = [op for op, needs in _OP_NEEDS.items() if needs(self)]

    def _offset(self, rng: random.Random) -> int:
        """Half uniform, half inside a traced field: small header fields get hit too."""
        data = self.target.data
        if self.target.fields and rng.random() < 0.5:
            f = rng.choice(self.target.fields)
            return f.start + rng.randrange(max(1, f.size))
        return rng.randrange(len(data))

    def mutant(self, seed: int, index: int) -> Mutant:
        """Mutant `index` of the run `seed` (its own RNG: reproducible alone)."""
        return self.apply(random.Random(f"{seed}:{self.target.name}:{index}"))

    def apply(self, rng: random.Random) -> Mutant:
        """One mutant drawn with `rng` (an operator, then its arguments)."""
        return OPERATORS[rng.choice(self.ops)](self, rng)

    # --- byte-level operators -----------------------------------------------------------

    def bitflip(self, rng: random.Random) -> Mutant:
        at, bit = self._offset(rng), rng.randrange(8)
        d = self.target.data
        return Mutant("bitflip", f"byte {at} bit {bit}", _put(d, at, bytes([d[at] ^ 1 << bit])))

    def bitflips(self, rng: random.Random) -> Mutant:
        d = bytearray(self.target.data)
        spots = [(self._offset(rng), rng.randrange(8)) for _ in range(rng.randint(2, 8))]
        for at, bit in spots:
            d[at] ^= 1 << bit
        return Mutant("bitflips", f"(byte, bit) {spots}", bytes(d))

    def byteset(self, rng: random.Random) -> Mutant:
        at, v = self._offset(rng), rng.choice(INTERESTING_BYTES)
        n = rng.choice((1, 1, 2, 4))
        old = self.target.data[at:at + n]
        if old == bytes([v]) * len(old):  # the bytes already hold v: that is no mutant
            v ^= 0xFF
        return Mutant("byteset", f"bytes {at}..+{n} = {v:#04x}",
                      _put(self.target.data, at, bytes([v]) * n, n))

    def insert(self, rng: random.Random) -> Mutant:
        at, n = self._offset(rng), rng.choice((1, 2, 3, 4, 31, 32, 33, 64, 200))
        return Mutant("insert", f"{n} bytes at {at}", _put(self.target.data, at, _junk(rng, n), 0))

    def delete(self, rng: random.Random) -> Mutant:
        at, n = self._offset(rng), rng.choice((1, 2, 3, 4, 31, 32, 33, 64, 200))
        return Mutant("delete", f"{n} bytes at {at}", _put(self.target.data, at, b"", n))

    def truncate(self, rng: random.Random) -> Mutant:
        d = self.target.data
        if rng.random() < 0.5:  # at a field boundary: the parser's "need N more" paths
            n = rng.choice(self.target.fields).start if self.target.fields else 0
        else:
            n = rng.randrange(len(d))
        return Mutant("truncate", f"to {n} bytes", d[:n])

    def extend(self, rng: random.Random) -> Mutant:
        d, n = self.target.data, rng.choice((1, 4, 32, 64, 1000))
        tail = d[-n:] if rng.random() < 0.3 else _junk(rng, n)
        return Mutant("extend", f"{n} bytes appended", d + tail)

    # --- structure-aware operators (traced fields) --------------------------------------

    def length(self, rng: random.Random) -> Mutant:
        """A u32 count or length set to 0, 1, off by one, huge, or what fits the rest."""
        f = rng.choice(self.counts)
        v, left = f.value, len(self.target.data) - f.end
        cands = [0, 1, v - 1, v + 1, 2 * v, v + (1 << 31), U32_MAX, (1 << 31) - 1, 1 << 31,
                 1 << 16, (1 << 20) + 1, 1 << 30, 31, 32, 33]
        if f.elem:
            cands += [left // f.elem, left // f.elem + 1]
        new = rng.choice([c for c in cands if 0 <= c <= U32_MAX and c != v] or [v ^ 1])
        return Mutant("length", f"{f.what} @ {f.start}: {v} -> {new}",
                      _put(self.target.data, f.start, new.to_bytes(4, "big")))

    def length_consistent(self, rng: random.Random) -> Mutant:
        """A count moved by one together with its vector (an element copied or dropped),
        so only the statement's fixed count, not the bytes left, can catch it."""
        f = rng.choice([c for c in self.counts if c.kind == "count" and c.elem])
        d, first = self.target.data, f.end
        if f.value == 0 or rng.random() < 0.5:
            elem = d[first : first + f.elem] if f.value else _junk(rng, f.elem)
            new, body = f.value + 1, elem + d[first:]
        else:
            new, body = f.value - 1, d[first + f.elem :]
        data = d[: f.start] + new.to_bytes(4, "big") + body
        return Mutant("length+body", f"{f.what} @ {f.start}: {f.value} -> {new}", data)

    def value(self, rng: random.Random) -> Mutant:
        """An Fr at or above r, a G1 off the curve / at infinity / negated, an Int at the
        ends of its width."""
        f = rng.choice(self.values)
        d = self.target.data
        if f.kind == "fr":
            v = rng.choice((0, 1, R - 1, R, R + 1, (1 << 256) - 1, P, rng.randrange(R)))
            return Mutant("fr", f"{f.what} @ {f.start} = {v:#x}",
                          _put(d, f.start, v.to_bytes(32, "big")))
        if f.kind == "g1":
            x, y = int.from_bytes(d[f.start : f.start + 32], "big"), int.from_bytes(
                d[f.start + 32 : f.end], "big")
            pts = [(0, 0), (1, 2), (1, 1), (P, y), (x, P), (x, (P - y) % P), (x, y + P),
                   (0, 1), ((1 << 256) - 1, y)]
            px, py = rng.choice([q for q in pts if q[0] < 1 << 256 and q[1] < 1 << 256])
            return Mutant("g1", f"{f.what} @ {f.start} = ({px:#x}, {py:#x})",
                          _put(d, f.start, px.to_bytes(32, "big") + py.to_bytes(32, "big")))
        width, n = f.elem, (f.size - 4) // max(1, f.elem)
        if n == 0:
            return self.length(rng)
        at = f.start + 4 + width * rng.randrange(n)
        v = rng.choice((b"\x7f" + b"\xff" * (width - 1), b"\x80" + bytes(width - 1),
                        b"\xff" * width, rng.randbytes(width)))
        return Mutant("ints", f"{f.what} element @ {at} = {v.hex()}", _put(d, at, v))

    # --- splices ------------------------------------------------------------------------

    def splice(self, rng: random.Random) -> Mutant:
        """Another valid artifact's bytes joined to this one's: at one offset, at the
        start of a field of the same name in both, or one field swapped."""
        other = rng.choice(self.partners)
        d, o = self.target.data, other.data
        mode = rng.randrange(3)
        if mode == 0:
            at = rng.randrange(min(len(d), len(o)) + 1)
            pair = (d, o) if rng.random() < 0.5 else (o, d)
            return Mutant("splice", f"{other.name}: crossover at {at}", pair[0][:at] + pair[1][at:])
        mine = {f.what: f for f in self.target.fields}
        common = [f for f in other.fields if f.what in mine and f.kind == mine[f.what].kind]
        if not common:
            at = rng.randrange(len(d))
            return Mutant("splice", f"{other.name}: its head to {at}", o[:at] + d[at:])
        theirs = rng.choice(common)
        f = mine[theirs.what]
        if mode == 1:
            return Mutant("splice", f"{other.name}: from field {f.what!r}",
                          d[: f.start] + o[theirs.start :])
        return Mutant("splice", f"{other.name}: field {f.what!r} swapped",
                      d[: f.start] + o[theirs.start : theirs.end] + d[f.end :])


_OP_NEEDS: dict[str, Callable[[Mutator], bool]] = {
    "bitflip": lambda m: True,
    "bitflips": lambda m: True,
    "byteset": lambda m: True,
    "insert": lambda m: True,
    "delete": lambda m: True,
    "truncate": lambda m: True,
    "extend": lambda m: True,
    "length": lambda m: bool(m.counts),
    "length_consistent": lambda m: any(c.kind == "count" and c.elem for c in m.counts),
    "value": lambda m: bool(m.values),
    "splice": lambda m: bool(m.partners),
}

OPERATORS: dict[str, Callable[[Mutator, random.Random], Mutant]] = {
    "bitflip": Mutator.bitflip,
    "bitflips": Mutator.bitflips,
    "byteset": Mutator.byteset,
    "insert": Mutator.insert,
    "delete": Mutator.delete,
    "truncate": Mutator.truncate,
    "extend": Mutator.extend,
    "length": Mutator.length,
    "length_consistent": Mutator.length_consistent,
    "value": Mutator.value,
    "splice": Mutator.splice,
}
