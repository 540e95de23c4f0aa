//! General pooling windows (circuits/conv.md section 5): the reference witness of
//! each window model satisfies every relation the verifier checks (tests/support/
//! relations.rs, wiring values by `wire_eval`), proofs are produced for batch 1 and
//! 3, each cheating witness of the vectors breaks its relation, and the prover's
//! tap-weighted wiring tables match a naive oracle.

use zkml_core::field::Fr;
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::testkit::TestModel;
use zkml_core::inference::testkit_window::{win_1d, win_avg, win_stem};
use zkml_core::inference::window::{pos, tap_sums};
use zkml_core::mle::eq_table;
use zkml_core::testing::{rand_frs, rand_small};
use zkml_core::wiring::Axis;

#[path = "support/relations.rs"]
mod relations;
#[path = "support/window_cheats.rs"]
mod window_cheats;
use relations::{check_relations, relations_hold};

#[path = "support/runs.rs"]
mod runs;
use runs::proofs_are_produced;

fn models() -> Vec<(&'static str, TestModel)> {
    vec![
        ("win_stem", win_stem(1)),
        ("win_avg", win_avg(2)),
        ("win_1d", win_1d(3)),
    ]
}

#[test]
fn window_relations_hold_at_random_points() {
    relations_hold(&models(), 7, 7);
}

#[test]
fn window_proofs_are_produced_for_every_model_and_batch() {
    for (name, batch, size) in proofs_are_produced(&models()) {
        println!("{name} batch {batch}: {size} bytes");
    }
}

#[test]
fn window_cheats_break_the_named_relation() {
    for (name, m) in models() {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let input = rand_small(c.input.features, 8, 5);
        for (case, _, cols) in window_cheats::cheats_with_reasons(&m, &c, &input) {
            let err = check_relations(&m, &input, &cols, 1, 9);
            assert!(err.is_err(), "{name}: {case} accepted");
            println!("{name}: {case}: {}", err.unwrap_err());
        }
    }
}

/// `sum_i c_i sum_y eq(r, y) Wire(y, i, x)` by enumeration.
fn naive_tap_sums(a: &Axis, r: &[Fr], coef: &[Fr]) -> Vec<Fr> {
    let e = eq_table(r);
    (0..a.n_in.next_power_of_two())
        .map(|x| {
            let mut s = Fr::from(0u64);
            for (y, ey) in e.iter().enumerate() {
                for (i, ci) in coef.iter().enumerate() {
                    if pos(a, y, i) == Some(x) {
                        s += *ci * ey;
                    }
                }
            }
            s
        })
        .collect()
}

#[test]
fn tap_weighted_tables_match_a_naive_oracle() {
    // (n_out, n_in, k, s, d, p)
    for (n, ax) in [
        (5usize, 9usize, 3usize, 2usize, 1usize, 1usize),
        (7, 7, 3, 1, 1, 1),
        (6, 12, 3, 2, 2, 2),
        (3, 10, 4, 3, 2, 0),
        (1, 1, 1, 1, 1, 0),
        (4, 5, 5, 1, 1, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let (no, ni, k, s, d, p) = ax;
        let a = Axis::new(no, ni, k, s, d, p).unwrap();
        let r = rand_frs(a.vars().0, 40 + n as u64);
        let coef = rand_frs(k, 50 + n as u64);
        assert_eq!(
            tap_sums(&a, &r, &coef).unwrap(),
            naive_tap_sums(&a, &r, &coef),
            "{ax:?}"
        );
    }
}
