"""The zero-knowledge building blocks of the verifier (circuits/sigma.md, circuits/zk.md
section 5): linear forms over a proof's commitments (`forms`), the sigma proofs
(`sigma`), the committed sumcheck (`sumcheck`) and the one linear check (`linear`)."""
