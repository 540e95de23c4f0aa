"""zkml: zero-knowledge proofs of quantized ML inference (Rust prover, pure-Python verifier)."""

__version__ = "0.1.0"
