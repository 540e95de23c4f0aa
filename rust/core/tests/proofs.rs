//! Completeness and soundness of the foundation's proof kinds (circuits/proofs.md),
//! through the Rust verifier. The Python verifier runs the same attacks in pytest.

use zkml_core::field::{from_i64, Fr};
use zkml_core::mle::evaluate;
use zkml_core::pcs::batch::StackClaims;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::pcs::{Pcs, Shape};
use zkml_core::proofs::{
    prove_batch_opening, prove_product_sumcheck, verify_artifact, CommittedStack, Verified,
};
use zkml_core::testing::{assert_bit_flips_rejected, rand_frs, rand_small};

/// The id of the check that rejected `bytes` (circuits/soundness.md, "Check ids").
fn rejected_at(h: &Hyrax, bytes: &[u8]) -> Option<&'static str> {
    verify_artifact(h, bytes).err().and_then(|e| e.check())
}

fn small_table(n: usize, bits: u32, seed: u64) -> Vec<Fr> {
    rand_small(1 << n, bits, seed)
        .into_iter()
        .map(from_i64)
        .collect()
}

fn stack(hyrax: &Hyrax, shape: Shape, table: &[Fr], points: Vec<Vec<Fr>>) -> CommittedStack {
    let mut claims = StackClaims::default();
    for z in points {
        let v = evaluate(table, &z);
        claims.push(z, v);
    }
    CommittedStack {
        shape,
        commitment: hyrax.commit(shape, table).unwrap(),
        claims,
    }
}

fn two_stack_proof(hyrax: &Hyrax) -> (Vec<u8>, Vec<Vec<Fr>>) {
    let s0 = Shape::square(8);
    let s1 = Shape::new(5, 1).unwrap();
    let t0 = small_table(8, 8, 1);
    let t1 = rand_frs(1 << 5, 2);
    let mut sel = rand_frs(8, 3);
    sel[6] = Fr::from(1u64);
    sel[7] = Fr::from(0u64);
    let a = stack(hyrax, s0, &t0, vec![rand_frs(8, 4), sel, rand_frs(8, 5)]);
    let b = stack(hyrax, s1, &t1, vec![rand_frs(5, 6)]);
    (
        prove_batch_opening(hyrax, &[(&a, &t0), (&b, &t1)]),
        vec![t0, t1],
    )
}

#[test]
fn batch_opening_complete_for_several_shapes() {
    let h = Hyrax::default();
    for (n, c, k) in [
        (0usize, 0usize, 1usize),
        (1, 1, 2),
        (6, 3, 4),
        (9, 2, 8),
        (12, 6, 3),
    ] {
        let shape = Shape::new(n, c).unwrap();
        let table = small_table(n, 16, n as u64);
        let pts = (0..k).map(|i| rand_frs(n, 100 + i as u64)).collect();
        let s = stack(&h, shape, &table, pts);
        let bytes = prove_batch_opening(&h, &[(&s, &table)]);
        assert!(verify_artifact(&h, &bytes).is_ok(), "shape {n}/{c}");
    }
    let (bytes, _) = two_stack_proof(&h);
    match verify_artifact(&h, &bytes) {
        Ok(Verified::BatchOpening(stacks)) => assert_eq!(stacks.len(), 2),
        _ => panic!("two stacks rejected"),
    }
}

#[test]
fn wrong_value_point_commitment_or_seed_rejected() {
    let h = Hyrax::default();
    let shape = Shape::square(6);
    let table = small_table(6, 8, 7);
    let z0 = rand_frs(6, 8);
    let z1 = rand_frs(6, 9);
    let honest = stack(&h, shape, &table, vec![z0.clone(), z1.clone()]);
    assert!(verify_artifact(&h, &prove_batch_opening(&h, &[(&honest, &table)])).is_ok());

    // Wrong opened value: the honest prover run on a false claim.
    let mut bad = stack(&h, shape, &table, vec![z0.clone(), z1.clone()]);
    bad.claims.values[1] += Fr::from(1u64);
    let proof = prove_batch_opening(&h, &[(&bad, &table)]);
    assert_eq!(rejected_at(&h, &proof), Some("batch-open.combination"));

    // Swapped points: each value claimed at the other's point.
    let mut swapped = stack(&h, shape, &table, vec![z0, z1]);
    swapped.claims.points.swap(0, 1);
    let proof = prove_batch_opening(&h, &[(&swapped, &table)]);
    assert_eq!(rejected_at(&h, &proof), Some("batch-open.combination"));

    // Commitment to another table, opening computed on the claimed one.
    let other = small_table(6, 8, 99);
    let mut wrong_com = stack(&h, shape, &table, vec![rand_frs(6, 10)]);
    wrong_com.commitment = h.commit(shape, &other).unwrap();
    let proof = prove_batch_opening(&h, &[(&wrong_com, &table)]);
    assert_eq!(rejected_at(&h, &proof), Some("hyrax.opening"));

    // Generators from another seed.
    let h2 = Hyrax::with_seed(b"another seed");
    let s2 = stack(&h2, shape, &table, vec![rand_frs(6, 11)]);
    let bytes = prove_batch_opening(&h2, &[(&s2, &table)]);
    assert!(verify_artifact(&h2, &bytes).is_ok());
    assert_eq!(rejected_at(&h, &bytes), Some("proof.generator-seed"));
}

#[test]
fn every_byte_of_a_proof_is_bound() {
    let h = Hyrax::default();
    let (bytes, _) = two_stack_proof(&h);
    assert_bit_flips_rejected(&bytes, &[], |b| verify_artifact(&h, b).map(|_| ()));
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(rejected_at(&h, &longer), Some("proof.trailing-bytes"));
    for cut in [0, 4, 7, bytes.len() / 2, bytes.len() - 1] {
        assert_eq!(
            rejected_at(&h, &bytes[..cut]),
            Some("proof.truncated"),
            "cut {cut}"
        );
    }
}

#[test]
fn product_sumcheck_complete_and_sound() {
    let h = Hyrax::default();
    for n in [1usize, 4, 9] {
        let shape = Shape::square(n);
        let f = small_table(n, 8, 20 + n as u64);
        let g = rand_frs(1 << n, 30 + n as u64);
        let bytes = prove_product_sumcheck(&h, shape, &f, &g).unwrap();
        let want: Fr = f.iter().zip(&g).map(|(a, b)| *a * b).sum();
        match verify_artifact(&h, &bytes) {
            Ok(Verified::ProductSum(sigma)) => assert_eq!(sigma, want),
            _ => panic!("product sumcheck rejected for n = {n}"),
        }
        if n == 4 {
            assert_bit_flips_rejected(&bytes, &[], |b| verify_artifact(&h, b).map(|_| ()));
        }
    }
}
