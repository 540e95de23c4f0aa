"""A reference circuit with its verifying key, for the verifier tests (tests only)."""

from __future__ import annotations

from collections.abc import Callable

from reference_inference import Witness, prove_inference, vk_artifact

from zkml.verifier import VerifyingKey, verify_inference


class KeyedModel:
    """A circuit document, its model-stack tensors and table, and `inputs(batch)`; the key
    is built once. `prove(batch, **kw)` runs the reference prover (`kw`: its cheat hooks),
    `witness(batch, **kw)` builds the reference witness."""

    def __init__(self, doc: dict, tensors, table: list[int],
                 inputs: Callable[[int], list]) -> None:
        self.doc, self.tensors, self.table, self.inputs = doc, tensors, table, inputs
        self.vk_bytes = vk_artifact(doc, table)
        self.vk = VerifyingKey.from_bytes(self.vk_bytes)

    def prove(self, batch: int = 1, **kw) -> bytes:
        return prove_inference(self.doc, self.tensors, self.table, self.inputs(batch),
                               self.vk_bytes, **kw)

    def prove_as(self, doc: dict, batch: int = 1, tensors: dict | None = None, **kw) -> bytes:
        """The reference prover run on another circuit document `doc` (and model tensors,
        if given) under this model's key: a cheating prover whose witness and messages
        follow a wiring or weights other than the key's."""
        return prove_inference(doc, self.tensors if tensors is None else tensors, self.table,
                               self.inputs(batch), self.vk_bytes, **kw)

    def witness(self, batch: int = 1, **kw) -> Witness:
        return Witness(self.doc, self.tensors, self.inputs(batch), **kw)

    def check_honest(self, batch: int) -> None:
        """An honest proof verifies, and its statement holds the witness's real output."""
        st = verify_inference(self.prove(batch), self.vk)
        wit = self.witness(batch)
        out = self.doc["output"]
        assert st.batch == batch
        assert st.output == tuple(tuple(wit.z[out["gadget"]][b][: out["features"]])
                                  for b in range(batch))
