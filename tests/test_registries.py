"""The gadget registries are found, not written: `zkml.compiler.producers` collects each
module's records (`PRODUCERS`, their witness hooks with them) and lowerings (`LOWERINGS`),
`zkml.verifier.gadgets` each module's check classes (`GADGETS`); an op declared twice
fails the import, and so does a gadget module lowering an op the compiler lowers itself."""

from __future__ import annotations

import types

import pytest

from zkml.compiler import build, producers
from zkml.compiler.producers import LOWERINGS, PRODUCERS
from zkml.compiler.producers import max2 as max2_module
from zkml.compiler.producers.base import Producer
from zkml.verifier import gadgets
from zkml.verifier.gadgets import GADGETS
from zkml.verifier.gadgets.base import GadgetCheck


def _module(name: str, **attrs: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def _class(base: type, module: str, **attrs: object) -> type:
    """A subclass of `base` defined, as far as discovery can tell, in `module`."""
    return type("Declared", (base,), {"__module__": module, **attrs})


def test_prover_and_verifier_find_the_same_ops():
    assert set(PRODUCERS) == set(GADGETS)
    assert {"dense", "conv", "max2", "rearrange", "winmax"} <= set(PRODUCERS)


def test_every_record_declares_its_op_and_has_a_witness_hook():
    for op, cls in PRODUCERS.items():
        assert cls.op == op
        assert cls.witness is not Producer.witness, f"{op} has no witness hook"


def test_every_check_class_names_its_op():
    for op, cls in GADGETS.items():
        assert cls.OP == op and cls.__dict__["OP"] == op


def test_a_gadget_modules_lowering_joins_the_compilers_table():
    assert LOWERINGS == {"max2": max2_module.lower_max2}
    assert build._HANDLERS["max2"] is max2_module.lower_max2


def test_a_record_declared_twice_fails(monkeypatch):
    first = _class(Producer, "fake.first", op="dense")
    modules = [_module("fake.first", Dense=first),
               # a class imported from another module is that module's, not declared again
               _module("fake.importer", Dense=first),
               _module("fake.second", Dense=_class(Producer, "fake.second", op="dense"))]
    monkeypatch.setattr(producers, "_modules", lambda: modules)
    with pytest.raises(RuntimeError, match="fake.second: circuit op 'dense' is already "
                                           "declared by fake.first"):
        producers._collect()
    # a base class without an op of its own declares nothing
    monkeypatch.setattr(producers, "_modules", lambda: modules[:2] + [
        _module("fake.base", Base=_class(Producer, "fake.base"))])
    assert producers._collect() == ({"dense": first}, {})


def test_a_lowering_declared_twice_fails(monkeypatch):
    def lower(s: object, op: object) -> None:
        return None

    modules = [_module("fake.a", LOWERINGS={"max2": lower}),
               _module("fake.b", LOWERINGS={"max2": lower})]
    monkeypatch.setattr(producers, "_modules", lambda: modules)
    with pytest.raises(RuntimeError, match="fake.b: lowering of IR op 'max2' is already "
                                           "declared by"):
        producers._collect()


def test_a_gadget_module_may_not_lower_an_op_the_compiler_lowers(monkeypatch):
    monkeypatch.setattr(build, "LOWERINGS", {**LOWERINGS, "matmul": lambda s, op: None})
    with pytest.raises(RuntimeError, match=r"lowered both .*\['matmul'\]"):
        build._lowering_table()


def test_a_check_declared_twice_fails(monkeypatch):
    first = _class(GadgetCheck, "fake.first", OP="max2")
    modules = [_module("fake.first", Max2=first), _module("fake.importer", Max2=first),
               _module("fake.second", Max2=_class(GadgetCheck, "fake.second", OP="max2"))]
    monkeypatch.setattr(gadgets, "_modules", lambda: modules)
    with pytest.raises(RuntimeError, match="fake.second: circuit op 'max2' is already "
                                           "checked by fake.first"):
        gadgets._collect()
    monkeypatch.setattr(gadgets, "_modules", lambda: modules[:2])
    assert gadgets._collect() == {"max2": first}
