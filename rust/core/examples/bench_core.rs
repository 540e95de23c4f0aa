//! Prover micro-benchmarks for benchmarks/run.py: prints one JSON object.
//! Run: `cargo run --release -p zkml-core --example bench_core`.

use std::time::Instant;

use serde_json::json;
use zkml_core::field::{from_i64, Fr};
use zkml_core::mle::evaluate;
use zkml_core::pcs::batch::StackClaims;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::pcs::{Pcs, Shape};
use zkml_core::proofs::{prove_batch_opening, CommittedStack};
use zkml_core::sumcheck::{self, PairProduct};
use zkml_core::testing::{rand_frs, rand_small};
use zkml_core::transcript::Transcript;

/// Best of `reps` runs, in seconds.
fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let h = Hyrax::default();
    h.generators(1 << 10);
    let sizes: Vec<usize> = if quick { vec![16] } else { vec![16, 18, 20] };
    let mut commit = Vec::new();
    for &n in &sizes {
        let shape = Shape::square(n);
        for bits in [8u32, 16] {
            let v = rand_small(1 << n, bits, n as u64);
            let s = best(3, || h.commit_small(shape, &v).unwrap());
            commit.push(json!({"log_size": n, "values": format!("{bits}-bit"), "seconds": s}));
        }
        if n <= 18 || !quick {
            let v = rand_frs(1 << n, n as u64);
            let reps = if n >= 20 { 1 } else { 2 };
            let s = best(reps, || h.commit(shape, &v).unwrap());
            commit.push(json!({"log_size": n, "values": "full-field", "seconds": s}));
        }
    }

    let n = if quick { 16 } else { 20 };
    let f = rand_frs(1 << n, 1);
    let g = rand_frs(1 << n, 2);
    let claim: Fr = f.iter().zip(&g).map(|(a, b)| *a * b).sum();
    let sumcheck_s = best(5, || {
        let mut inst = PairProduct::new(&f[..], &g[..]).unwrap();
        sumcheck::prove(&mut Transcript::new(b"bench"), &mut inst, claim)
    });

    let shape = Shape::square(n);
    let table: Vec<Fr> = rand_small(1 << n, 8, 3).into_iter().map(from_i64).collect();
    let mut claims = StackClaims::default();
    for k in 0..8 {
        let z = rand_frs(n, 100 + k);
        let v = evaluate(&table, &z);
        claims.push(z, v);
    }
    let stack = CommittedStack {
        shape,
        commitment: h.commit(shape, &table).unwrap(),
        claims,
    };
    let open_s = best(5, || prove_batch_opening(&h, &[(&stack, &table)]));
    let proof_bytes = prove_batch_opening(&h, &[(&stack, &table)]).len();

    println!(
        "{}",
        json!({
            "threads": rayon::current_num_threads(),
            "commit": commit,
            "product_sumcheck": {"log_size": n, "seconds": sumcheck_s},
            "batched_opening": {"log_size": n, "claims": 8, "seconds": open_s, "artifact_bytes": proof_bytes},
        })
    );
}
