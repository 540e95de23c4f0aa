"""JSON-level mutations of a verifying key's circuit description (tests only).

A key carries its circuit as canonical JSON behind a u32 length (inference.md 6-7).
`CircuitMutator(key).mutant(seed, index)` edits the parsed document (a number made huge,
negative, a float, a bool or null; a key dropped, added or renamed; a list emptied,
shortened or grown; a node replaced by deep nesting, a 5,000-digit integer, NaN or
1e400), or the JSON text itself (whitespace, unsorted or duplicate keys, a cut, an
invalid UTF-8 byte), or swaps in another model's circuit, and packs the result back into
the key with a correct length, so the length check alone cannot reject it. Deterministic
per (seed, key name, index) like mutate.Mutator.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence

from mutate import Artifact, Field, Mutant

__all__ = ["CircuitMutator", "circuit_field", "repack"]

#: Stands for raw text that json.dumps cannot write (deep nesting, huge integers, NaN).
_TOKEN = "@@fuzz@@"
_RAW_VALUES = ("9" * 5000, "-" + "9" * 5000, "1e400", "-1e400", "NaN", "Infinity",
               "1.0", "-0", "0.5", "1E2", "[" * 20 + "]" * 20, "[" * 100_000 + "]" * 100_000,
               '{"a":' * 1000 + "1" + "}" * 1000, '"\\ud800"', '"\\u0000"')
_VALUES = (0, 1, -1, 2, 7, 8, 16, 17, 31, 62, 63, 64, 65, 1 << 16, (1 << 20) + 1, 1 << 31,
           (1 << 32) + 1, 1 << 62, 1 << 63, 1 << 64, -(1 << 62), -(1 << 63), 1.5, 1e308,
           True, False, None, "", "x", "input", [], {}, [0], [1, 2, 3])


def circuit_field(key: Artifact) -> Field:
    """The traced span of the key's circuit JSON (after its u32 length)."""
    return next(f for f in key.fields if f.kind == "raw" and f.what == "circuit JSON")


def repack(key: bytes, span: Field, text: bytes) -> bytes:
    """`key` with its circuit JSON replaced by `text` behind a correct u32 length."""
    return key[: span.start - 4] + len(text).to_bytes(4, "big") + text + key[span.end :]


def _paths(node, path=()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _get(doc, path: tuple):
    for p in path:
        doc = doc[p]
    return doc


def _set(doc, path: tuple, value) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _near(v) -> list:
    """Values next to an integer the document holds: the off-by-one and sign edits."""
    if isinstance(v, bool) or not isinstance(v, int):
        return []
    return [v + 1, v - 1, -v, 2 * v, v + (1 << 32)]


class CircuitMutator:
    """Circuit-JSON mutants of one key; `others` are other models' keys (JSON swaps)."""

    def __init__(self, key: Artifact, others: Sequence[Artifact] = ()) -> None:
        self.key = key
        self.span = circuit_field(key)
        self.text = key.data[self.span.start : self.span.end]
        self.doc = json.loads(self.text)
        self.paths = _paths(self.doc)
        self.others = [circuit_doc for o in others
                       if (circuit_doc := o.data[circuit_field(o).start : circuit_field(o).end])
                       != self.text]

    def mutant(self, seed: int, index: int) -> Mutant:
        rng = random.Random(f"{seed}:{self.key.name}:json:{index}")
        op = rng.choice(("value", "value", "value", "raw", "drop", "add", "list", "text",
                         "swap" if self.others else "value"))
        if op in ("text", "swap"):
            detail, text = self._text(rng) if op == "text" else self._swap(rng)
        else:
            detail, text = self._doc_edit(rng, op)
        return Mutant(f"json-{op}", detail, repack(self.key.data, self.span, text))

    def _doc_edit(self, rng: random.Random, op: str) -> tuple[str, bytes]:
        doc = json.loads(self.text)
        path = rng.choice(self.paths[1:])
        raw = None
        if op == "value":
            value = rng.choice(list(_VALUES) + _near(_get(doc, path)))
            _set(doc, path, value)
            detail = f"{list(path)} = {value!r}"
        elif op == "raw":
            raw = rng.choice(_RAW_VALUES)
            _set(doc, path, _TOKEN)
            detail = f"{list(path)} = {raw[:24]}..({len(raw)} chars)"
        elif op == "drop":
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
            detail = f"{list(path)} dropped"
        elif op == "add":
            target = _get(doc, path[:-1])
            if isinstance(target, dict):
                target[rng.choice(("extra", "x", "op", "features", ""))] = rng.choice(_VALUES)
            else:
                target.insert(rng.randrange(len(target) + 1), rng.choice(_VALUES))
            detail = f"added beside {list(path)}"
        else:
            detail = self._list_edit(rng, doc)
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        if raw is not None:
            text = text.replace(json.dumps(_TOKEN), raw)
        return detail, text.encode()

    def _list_edit(self, rng: random.Random, doc) -> str:
        lists = [p for p in self.paths if isinstance(_get(doc, p), list)]
        path = rng.choice(lists)
        seq = _get(doc, path)
        how = rng.choice(("empty", "dup", "pop", "reverse", "grow"))
        if how == "empty" or not seq:
            seq.clear()
        elif how == "dup":
            seq.insert(rng.randrange(len(seq) + 1), json.loads(json.dumps(rng.choice(seq))))
        elif how == "pop":
            seq.pop(rng.randrange(len(seq)))
        elif how == "reverse":
            seq.reverse()
        else:
            seq.extend(json.loads(json.dumps(seq)) * rng.choice((1, 3)))
        return f"list {list(path)}: {how}"

    def _text(self, rng: random.Random) -> tuple[str, bytes]:
        t = self.text
        how = rng.choice(("spaces", "unsorted", "dupkey", "cut", "utf8", "char", "bom"))
        if how == "spaces":
            return how, json.dumps(self.doc, sort_keys=True, indent=1).encode()
        if how == "unsorted":
            return how, json.dumps(self.doc, separators=(",", ":")).encode()
        if how == "dupkey":  # the first key again with another value: last one wins in json
            return how, b"{" + t[1:].split(b",", 1)[0] + b"," + t[1:]
        if how == "cut":
            n = rng.randrange(len(t))
            return f"cut to {n}", t[:n]
        if how == "utf8":
            at = rng.randrange(len(t))
            return f"0xff at {at}", t[:at] + b"\xff" + t[at + 1 :]
        if how == "bom":
            return how, b"\xef\xbb\xbf" + t
        at = rng.randrange(len(t))
        c = rng.choice(b'{}[]",:0-1e.\\ ')
        return f"{chr(c)!r} at {at}", t[:at] + bytes([c]) + t[at + 1 :]

    def _swap(self, rng: random.Random) -> tuple[str, bytes]:
        i = rng.randrange(len(self.others))
        return f"another model's circuit #{i}", self.others[i]
