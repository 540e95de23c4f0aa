"""Fixed-point quantization and the integer reference executor.

circuits/quantization.md states the semantics; the modules:

- `ir`: the quantized IR (tensors with scale and bit bound, integer ops, constants);
- `rounding`, `tables`: integer primitives and function tables (window geometry is
  `zkml.geometry`, shared with the float reference of zkml.onnx_import);
- `executor`: the integer reference executor and its trace (the prover's witness);
- `precision`, `calibrate`, `lower`: bit-bound presets, calibration, float graph -> IR;
- `fidelity`: float (onnxruntime) vs quantized report;
- `container`, `compiled`: the versioned compiled-model file and `CompiledModel`.

Importing this package (or `executor`, `compiled`) never imports onnx or onnxruntime;
only `calibrate`, `lower` and `fidelity` belong to the compile path.
"""
