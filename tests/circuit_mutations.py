"""The schema-generated mutation corpus of circuit descriptions (circuits/README.md).

`generate()` reads `circuits/circuit.schema.json` and walks valid circuits (one per
producer op from `circuits/vectors/inference.json`, an ArgMax one and the demo
model's compiled circuit from `artifacts/digits_mlp.vk`); for every field the schema
describes it derives documents that break exactly one rule: the field out of its range
by one, of a wrong type, missing, an unknown extra key, an unknown op, a reference to a
later gadget, a list too short or too long, plus a few rules across fields. Each case is
a base id and an RFC 6902 patch (`add`, `replace`, `remove`) with the rule it breaks.
Deterministic: the same schema and bases give the same corpus, byte for byte.

    python tests/circuit_mutations.py        # rewrites circuits/vectors/circuit_mutations.json

`cargo test` (rust/core/tests/circuit_schema.rs) and pytest
(tests/test_circuit_schema.py) check that every parser rejects every case.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "circuits" / "circuit.schema.json"
CORPUS = ROOT / "circuits" / "vectors" / "circuit_mutations.json"
VECTORS = ROOT / "circuits" / "vectors" / "inference.json"
DEMO_KEY = ROOT / "artifacts" / "digits_mlp.vk"
#: Lists are grown past their maximum only when the patch stays this small.
MAX_GROWN_LEN = 80

__all__ = ["load_schema", "bound", "check_document", "apply_patch", "canonical",
           "bases", "generate", "write"]


def load_schema() -> dict:
    """The circuit schema as a dict."""
    return json.loads(SCHEMA.read_text())


def canonical(doc: object) -> bytes:
    """Canonical JSON (inference.md section 6)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("ascii")


def bound(schema: dict, b: int | str | None) -> int | None:
    """An inclusive bound: an integer, or a limit name with an optional sign and +-1
    (`"-MAX_FRAC_BITS"`, `"MAX_DIVISOR-1"`, `"1-MAX_ABS_BOUND"`); None is unbounded."""
    if b is None or isinstance(b, int):
        return b
    m = re.fullmatch(r"(-|1-)?([A-Z_]+)(-1)?", b)
    if m is None:
        raise ValueError(f"bad bound {b!r}")
    v = schema["limits"][m.group(2)]["value"]
    if m.group(1) == "-":
        v = -v
    elif m.group(1) == "1-":
        v = 1 - v
    return v - 1 if m.group(3) else v


def _enum_values(schema: dict, spec: dict) -> list:
    vals = spec["values"]
    return schema["limits"][vals]["values"] if isinstance(vals, str) else vals


def check_document(schema: dict, doc: object) -> list[str]:
    """Where `doc` breaks the schema's per-field rules (types, ranges, keys, list
    lengths, references to earlier gadgets); rules across fields are not checked."""
    errors: list[str] = []
    _check_object(schema, schema["document"], doc, "", {"gadget": None}, errors)
    return errors


def _check_object(schema: dict, kind: str, v: object, path: str, ctx: dict,
                  errors: list[str]) -> None:
    spec = schema["objects"][kind]
    _check_fields(schema, spec["fields"], spec.get("optional", {}), v, path, ctx, errors)


def _check_fields(schema: dict, fields: dict, optional: dict, v: object, path: str,
                  ctx: dict, errors: list[str], extra_keys: tuple[str, ...] = ()) -> None:
    if not isinstance(v, dict):
        errors.append(f"{path}: not an object")
        return
    keys = set(v) - set(extra_keys)
    if not set(fields) <= keys or not keys <= set(fields) | set(optional):
        errors.append(f"{path}: keys {sorted(keys)}")
        return
    for name, f in {**fields, **optional}.items():
        if name in v:
            _check_value(schema, f, v[name], f"{path}/{name}", ctx, errors)


def _check_value(schema: dict, f: dict, v: object, path: str, ctx: dict,
                 errors: list[str]) -> None:
    t = f["type"]
    if v is None and f.get("nullable"):
        return
    if t == "int":
        lo, hi = bound(schema, f["min"]), bound(schema, f["max"])
        if type(v) is not int or (lo is not None and v < lo) or (hi is not None and v > hi):
            errors.append(f"{path}: {v!r} not an integer in [{lo}, {hi}]")
    elif t == "bool":
        if type(v) is not bool:
            errors.append(f"{path}: not a bool")
    elif t in ("string", "tensor"):
        if not isinstance(v, str) or (not v and (t == "tensor" or f.get("nonempty"))):
            errors.append(f"{path}: not a (non-empty) string")
    elif t == "enum":
        if not any(type(v) is type(e) and v == e for e in _enum_values(schema, f)):
            errors.append(f"{path}: {v!r} not one of the values")
    elif t == "ref":
        if not (v == "input" or (type(v) is int and 0 <= v < ctx["gadget"])):
            errors.append(f"{path}: {v!r} is not \"input\" or an earlier gadget")
    elif t in ("list", "pair"):
        n = (2, 2) if t == "pair" else (bound(schema, f["len"][0]), bound(schema, f["len"][1]))
        if not isinstance(v, list) or len(v) < n[0] or (n[1] is not None and len(v) > n[1]):
            errors.append(f"{path}: not a list of {n} entries")
            return
        for k, e in enumerate(v):
            item = f["items"][k] if t == "pair" else f["items"]
            if item["type"] == "object" and item["object"] == "gadget":
                ctx = {**ctx, "gadget": k}
            _check_value(schema, item, e, f"{path}/{k}", ctx, errors)
    elif t == "object":
        _check_object(schema, f["object"], v, path, ctx, errors)
    elif t == "producer":
        op = v.get("op") if isinstance(v, dict) else None
        if op not in schema["producers"]:
            errors.append(f"{path}: unknown op {op!r}")
            return
        _check_fields(schema, schema["producers"][op]["fields"], {}, v, path, ctx, errors,
                      ("op",))
    else:
        raise ValueError(f"unknown type {t}")


def apply_patch(doc: object, patch: list[dict]) -> object:
    """`doc` with an RFC 6902 patch of `add`, `replace` and `remove` operations applied
    (a copy; `doc` is unchanged)."""
    out = copy.deepcopy(doc)
    for op in patch:
        *parents, last = [p.replace("~1", "/").replace("~0", "~")
                          for p in op["path"].split("/")[1:]]
        node = out
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            idx = len(node) if last == "-" else int(last)
            if op["op"] == "add":
                node.insert(idx, op["value"])
            elif op["op"] == "replace":
                node[idx] = op["value"]
            else:
                del node[idx]
        elif op["op"] == "remove":
            del node[last]
        else:
            node[last] = op["value"]
    return out


def _demo_circuit() -> dict:
    """The compiled demo model's circuit: the JSON inside its verifying key, behind a
    u32 big-endian length (inference.md section 7)."""
    key = DEMO_KEY.read_bytes()
    start = key.index(b'{"format":"zkml-circuit"')
    n = int.from_bytes(key[start - 4:start], "big")
    return json.loads(key[start:start + n])


def bases() -> dict[str, dict]:
    """The valid circuits mutated: per producer op the first vector model that has it,
    the first ArgMax vector model, and the demo model's compiled circuit."""
    models = json.loads(VECTORS.read_text())["models"]
    chosen: dict[str, dict] = {}
    ops_done: set[str] = set()
    for i, m in enumerate(models):
        doc = json.loads(m["circuit"])
        ops = {g["producer"]["op"] for g in doc["gadgets"]}
        argmax_new = doc["output"]["argmax"] and not any(
            d["output"]["argmax"] for d in chosen.values())
        if ops - ops_done or argmax_new:
            chosen[f"inference/{i}"] = doc
            ops_done |= ops
    chosen["digits_mlp"] = _demo_circuit()
    return chosen


class _Gen:
    """Walks one base circuit along the schema and collects cases; `seen` keeps one
    set of mutations per schema position across bases."""

    def __init__(self, schema: dict, seen: set[str]) -> None:
        self.schema = schema
        self.seen = seen
        self.cases: list[dict] = []
        self.base = ""
        self.doc: dict = {}

    def add(self, rule: str, why: str, patch: list[dict]) -> None:
        self.cases.append({"base": self.base, "rule": rule, "why": why, "patch": patch})

    def replace(self, path: str, value: object, rule: str, why: str) -> None:
        self.add(rule, f"{path}: {why}", [{"op": "replace", "path": path, "value": value}])

    def first(self, key: str) -> bool:
        """True the first time a schema position is met (its mutations are made then)."""
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def run(self, base: str, doc: dict) -> None:
        self.base, self.doc = base, doc
        self.fields(self.schema["objects"]["circuit"], doc, "", "circuit", -1)

    def fields(self, spec: dict, v: dict, path: str, key: str, gadget: int,
               op: str | None = None) -> None:
        if self.first(f"{key}:keys"):
            for name in spec["fields"]:
                self.add("missing", f"{path}/{name} missing",
                         [{"op": "remove", "path": f"{path}/{name}"}])
            self.add("extra", f"{path}/extra: unknown key",
                     [{"op": "add", "path": f"{path}/extra", "value": 0}])
            if op is not None:
                self.add("missing", f"{path}/op missing", [{"op": "remove", "path": f"{path}/op"}])
                self.replace(f"{path}/op", "nop", "op", "unknown op")
                self.replace(f"{path}/op", op.upper(), "op", "ops are lowercase")
            elif path:
                self.replace(path, [], "type", "not an object")
        for name, f in {**spec["fields"], **spec.get("optional", {})}.items():
            if name in v:
                self.value(f, v[name], f"{path}/{name}", f"{key}.{name}", gadget)

    def value(self, f: dict, v: object, path: str, key: str, gadget: int) -> None:
        t = f["type"]
        if v is None:
            if self.first(f"{key}:null"):
                self.replace(path, 1, "type", "an integer where null or a " + t + " belongs")
            return
        if t == "producer":
            p = self.schema["producers"][v["op"]]
            self.fields(p, v, path, f"producer.{v['op']}", gadget, v["op"])
            return
        if t == "object":
            self.fields(self.schema["objects"][f["object"]], v, path, f["object"], gadget)
            return
        if t in ("list", "pair"):
            self.list(f, v, path, key, gadget)
            return
        if not self.first(key):
            return
        if not f.get("nullable") and t != "bool":
            self.replace(path, None, "type", "null")
        getattr(self, f"scalar_{t}")(f, v, path, gadget)

    def scalar_int(self, f: dict, v: int, path: str, gadget: int) -> None:
        lo, hi = bound(self.schema, f["min"]), bound(self.schema, f["max"])
        if lo is not None:
            self.replace(path, lo - 1, "range", f"{lo - 1} < min {f['min']}")
        if hi is not None:
            self.replace(path, hi + 1, "range", f"{hi + 1} > max {f['max']}")
        self.replace(path, str(v), "type", "a string for an integer")
        self.replace(path, float(v), "type", "a float for an integer")
        self.replace(path, v != 1, "type", "a bool for an integer")

    def scalar_bool(self, f: dict, v: bool, path: str, gadget: int) -> None:
        self.replace(path, int(v), "type", "an integer for a bool")
        self.replace(path, str(v).lower(), "type", "a string for a bool")
        self.replace(path, None, "type", "null for a bool")

    def scalar_string(self, f: dict, v: str, path: str, gadget: int) -> None:
        self.replace(path, 1, "type", "an integer for a string")
        if f.get("nonempty"):
            self.replace(path, "", "range", "empty string")

    def scalar_tensor(self, f: dict, v: str, path: str, gadget: int) -> None:
        self.replace(path, 1, "type", "an integer for a tensor name")
        self.replace(path, "", "range", "empty tensor name")
        self.replace(path, v + "#unknown", "ref", "names no model tensor")

    def scalar_enum(self, f: dict, v: object, path: str, gadget: int) -> None:
        vals = _enum_values(self.schema, f)
        if type(v) is int:
            for w in (max(vals) + 1, min(vals) - 1, sum(vals) // len(vals) + 1):
                if w not in vals:
                    self.replace(path, w, "enum", f"{w} not in {vals}")
            self.replace(path, str(v), "type", "a string for an integer")
        elif type(v) is bool:
            self.replace(path, not v, "enum", f"{not v} not in {vals}")
            self.replace(path, 1, "type", "an integer for a bool")
        else:
            self.replace(path, v.upper(), "enum", "not in the values")
            self.replace(path, 1, "type", "an integer for a string")

    def scalar_ref(self, f: dict, v: object, path: str, gadget: int) -> None:
        self.replace(path, gadget, "ref", "the gadget itself (not an earlier one)")
        self.replace(path, len(self.doc["gadgets"]), "ref", "a gadget past the last")
        self.replace(path, -1, "ref", "a negative index")
        self.replace(path, "Input", "ref", "not \"input\"")
        self.replace(path, float(gadget - 1) if gadget else 0.0, "type", "a float index")
        self.replace(path, True, "type", "a bool for a reference")

    def list(self, f: dict, v: list, path: str, key: str, gadget: int) -> None:
        pair = f["type"] == "pair"
        lo, hi = (2, 2) if pair else (bound(self.schema, f["len"][0]),
                                      bound(self.schema, f["len"][1]))
        if self.first(f"{key}:len"):
            if not f.get("nullable"):
                self.replace(path, None, "type", "null for a list")
            self.replace(path, 1, "type", "an integer for a list")
            if lo:
                self.replace(path, v[:lo - 1], "len", f"{lo - 1} entries < {f.get('len', 2)}")
            if hi is not None and hi + 1 <= MAX_GROWN_LEN:
                grown = v + [v[-1]] * (hi + 1 - len(v))
                self.replace(path, grown, "len", f"{hi + 1} entries > max")
        for k, e in enumerate(v):
            item = f["items"][k] if pair else f["items"]
            if item["type"] == "object" and item["object"] == "gadget":
                gadget = k
            self.value(item, e, f"{path}/{k}", f"{key}[{k if pair else ''}]", gadget)

    def cross(self) -> None:
        """Rules across fields, made once on the first base that allows them."""
        d, n = self.doc, len(self.doc["gadgets"])
        out = d["output"]
        if self.first("cross:output"):
            self.replace("/output/gadget", n, "cross", "output names no gadget")
            self.replace("/output/features", out["features"] + 1, "cross",
                         "output features differ from the gadget's")
        if not out["argmax"] and self.first("cross:argmax_last"):
            self.add("cross", "/output/argmax_last: true without argmax",
                     [{"op": "add", "path": "/output/argmax_last", "value": True}])
        ms = d["model_stack"]
        if len(ms["tensors"]) > 1 and self.first("cross:stack"):
            self.replace("/model_stack/tensors/1/name", ms["tensors"][0]["name"], "cross",
                         "duplicate tensor name")
            self.replace("/model_stack/log_cols", ms["num_vars"] + 1, "cross",
                         "log_cols > num_vars")
            self.replace("/model_stack/tensors/0/offset", 1 << ms["num_vars"], "cross",
                         "slot outside the stack")
            self.replace("/model_stack/tensors/1/offset", ms["tensors"][0]["offset"], "cross",
                         "slots overlap")
        g0 = d["gadgets"][0]
        if self.first("cross:gadget"):
            self.replace("/gadgets/0/lo", g0["hi"] + 1, "cross", "lo > hi")
            self.replace("/gadgets/0/features", g0["features"] + 1, "cross",
                         "features differ from the producer's width")
        shifted = [i for i, g in enumerate(d["gadgets"]) if g["shift"] > 0]
        if shifted and self.first("cross:divisor"):
            self.replace(f"/gadgets/{shifted[0]}/divisor", 3, "cross",
                         "a divisor with a nonzero shift")
        shape = d["input"]["shape"]
        if shape is not None and self.first("cross:input_shape"):
            self.replace("/input/shape/0", shape[0] + 1, "cross",
                         "shape does not multiply to the features")
        if self.first("cross:depth"):
            nested: list = []
            for _ in range(self.schema["limits"]["MAX_JSON_DEPTH"]["value"]):
                nested = [nested]
            self.replace("/gadgets/0/source", nested, "depth",
                         "nested deeper than MAX_JSON_DEPTH")
        if self.first("cross:model_stack_claim"):
            self.replace("/gadgets", [d["gadgets"][0] | {"producer": {"op": "identity",
                                                                      "x": "input"}}],
                         "cross", "no gadget reads the model stack")


def generate() -> dict:
    """The corpus: the schema's version, the base circuits (canonical JSON text) and the
    cases in generation order."""
    schema = load_schema()
    seen: set[str] = set()
    gen = _Gen(schema, seen)
    docs = bases()
    for name, doc in docs.items():
        problems = check_document(schema, doc)
        if problems:
            raise ValueError(f"base {name} breaks the schema: {problems[:3]}")
        gen.run(name, doc)
        gen.cross()
    return {"schema_version": schema["schema_version"],
            "bases": {k: canonical(v).decode() for k, v in docs.items()},
            "cases": gen.cases}


def write(corpus: dict) -> str:
    """The corpus file's text: one case per line."""
    bases_txt = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}"
                           for k, v in corpus["bases"].items())
    cases_txt = ",\n".join(f"  {json.dumps(c, sort_keys=True)}" for c in corpus["cases"])
    return (f'{{"schema_version": {corpus["schema_version"]},\n"bases": {{\n{bases_txt}\n}},\n'
            f'"cases": [\n{cases_txt}\n]}}\n')


if __name__ == "__main__":
    text = write(generate())
    CORPUS.write_text(text)
    print(f"{CORPUS.relative_to(ROOT)}: {text.count(chr(10)) } lines, {len(text)} bytes")
