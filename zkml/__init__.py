"""zkml: zero-knowledge proofs of quantized ML inference (Rust prover, pure-Python verifier).

    import zkml
    compiled = zkml.compile("model.onnx", calibration="samples.npy")
    result = zkml.prove(compiled, x)
    verified = zkml.verify(result.proof, compiled.verifying_key)

The API (`compile`, `prove`, `verify`, `load`, `Verifier`, `CompiledModel`,
`ProofResult`, `VerifiedInference`) lives in `zkml.api`, the dry run (`check`,
`CheckResult`: what `prove` would prove, without proving) in `zkml.dry_run`, many proofs
on several cores (`verify_many`, `VerifierPool`) in `zkml.batch_verify`; each is loaded
on first use, so `import zkml` imports neither numpy nor onnx.
"""

__version__ = "0.1.0"

_API = {
    "compile": "zkml.api",
    "prove": "zkml.api",
    "verify": "zkml.api",
    "load": "zkml.api",
    "check": "zkml.dry_run",
    "CheckResult": "zkml.dry_run",
    "Verifier": "zkml.api",
    "ProofResult": "zkml.api",
    "VerifiedInference": "zkml.api",
    "open_output": "zkml.output_opening",
    "CompiledModel": "zkml.compiled_model",
    "verify_many": "zkml.batch_verify",
    "VerifierPool": "zkml.batch_verify",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'zkml' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
