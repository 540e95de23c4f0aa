"""Circuit compiler: quantized IR -> inference-proof circuit (circuits/inference.md).

`zkml.compiler.circuit` (standard library only) holds the circuit description and its
canonical JSON; `zkml.compiler.build` fuses the IR's ops into gadgets and lays out the
model stack. Import `compile_circuit` from `zkml.compiler.build`: this package's
`__init__` stays free of numpy so that parsing a circuit is cheap.
"""

from zkml.compiler.circuit import Circuit, CircuitFormatError, Gadget, ModelStack, StackTensor

__all__ = ["Circuit", "CircuitFormatError", "Gadget", "ModelStack", "StackTensor"]
