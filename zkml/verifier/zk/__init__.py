"""The zero-knowledge building blocks of the verifier (circuits/sigma.md, circuits/zk.md
section 5): linear forms over a proof's commitments (`forms`), the sigma proofs
(`sigma`), the committed sumcheck (`sumcheck`), the one linear check (`linear`), the
hiding opening (`opening`, 5.4), the proof's tail with the one merged check (`tail`, 5.5)
and the hiding LogUp-GKR (`logup`, 5.6)."""
