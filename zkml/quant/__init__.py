"""Fixed-point quantization and the integer reference executor.

circuits/quantization.md states the semantics; the modules:

- `ir`: the quantized IR (tensors with scale and bit bound, integer ops, constants);
- `rounding`, `kernels`, `tables`: integer primitives, window geometry, function tables;
- `executor`: the integer reference executor and its trace (the prover's witness);
- `precision`, `calibrate`, `lower`: bit-bound presets, calibration, float graph -> IR;
- `fidelity`: float (onnxruntime) vs quantized report;
- `container`, `compiled`: the versioned compiled-model file and `CompiledModel`.

Importing this package (or `executor`, `compiled`) never imports onnx or onnxruntime;
only `calibrate`, `lower` and `fidelity` belong to the compile path.
"""
