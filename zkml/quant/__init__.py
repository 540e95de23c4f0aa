"""Fixed-point quantization and the integer reference executor.

circuits/quantization.md states the semantics; the modules:

- `ops`: one home per op (or small family of ops), declaring everything about it: its
  float reference, lowering, IR attributes, integer executor and accumulator bound (its
  docstring is the recipe for a new op);
- `ir`: the quantized IR (tensors with scale and bit bound, integer ops, constants);
- `rounding`, `tables`: integer primitives and function tables (window geometry is
  `zkml.geometry`, shared by the float reference and the executor of an op);
- `executor`: the integer reference executor and its trace (the prover's witness);
- `precision`, `calibrate`, `lower`: bit-bound presets, calibration, float graph -> IR;
- `fidelity`: float (onnxruntime) vs quantized report;
- `container`, `compiled`: the versioned compiled-model file and `CompiledModel`.

Importing this package (or `executor`, `compiled`) never imports onnx or onnxruntime;
only `calibrate`, `lower` and `fidelity` belong to the compile path.
"""
