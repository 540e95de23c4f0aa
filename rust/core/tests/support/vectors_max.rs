//! Models of `inference.json` for circuits/max.md (`max2`: Max, Min, Abs): honest
//! proofs for batch 1 and 3, and cheating-prover cases on batch 1 that the Python
//! verifier must reject (tests/verifier/test_max2_verifier.py names the check each
//! one fails).

use serde_json::Value;
use zkml_core::inference::testkit::{witness_edited, Requantized};
use zkml_core::inference::testkit_max::minmax;
use zkml_core::pcs::hyrax::Hyrax;

use crate::vectors_common::{family_models, Cases, Run};

pub fn max_models(h: &Hyrax) -> Vec<Value> {
    family_models(h, vec![("minmax", minmax(71), 71u64)], max_cases)
}

/// The first entry where `A` and `B` differ (one of them is 0, the other positive).
fn split(p: &Requantized) -> usize {
    (0..p.z.len())
        .find(|&i| p.extra[0][i] != p.extra[1][i])
        .unwrap()
}

fn max_cases(r: &Run, _name: &str) -> Cases {
    let (c, m) = (r.c, r.m);
    let edited = |g: usize, f: &dyn Fn(&mut Requantized)| {
        let (cols, out) = witness_edited(c, &m.model_stack, r.input, r.batch, g, f);
        r.prove(cols, &out)
    };
    // Gadget 2 is max(h, k) (shift 0, no clamp reached: z = acc), gadget 3 the min.
    vec![
        (
            "max2: z the smaller operand",
            false,
            "logup.group-sum: A = z - X or B = z - Y is negative",
            edited(2, &|p| {
                let i = split(p);
                let gap = p.extra[0][i] + p.extra[1][i];
                p.z[i] -= gap;
                p.extra[0][i] -= gap;
                p.extra[1][i] -= gap;
            }),
        ),
        (
            "min2: z the larger operand",
            false,
            "logup.group-sum: the differences of a min are X - acc, Y - acc: one is negative",
            edited(3, &|p| {
                // acc = 2 q + rem - 1 (shift 1); the larger operand is acc + |X - Y|
                let i = (0..p.z.len())
                    .find(|&i| {
                        let gap = p.extra[0][i] + p.extra[1][i];
                        gap > 0 && p.ep[i] == 0 && p.em[i] == 0 && p.z[i] + gap <= 50
                    })
                    .unwrap();
                let gap = p.extra[0][i] + p.extra[1][i];
                let acc = 2 * p.z[i] + p.rem[i] - 1 + gap;
                p.z[i] = (acc + 1).div_euclid(2);
                p.rem[i] = (acc + 1).rem_euclid(2);
                p.extra[0][i] -= gap;
                p.extra[1][i] -= gap;
            }),
        ),
        (
            "max2: both differences non-zero",
            false,
            "inference.final: z = max + 1 with A, B both raised keeps the linear checks; A B != 0 (the prover's rounds imply the claim, so the final check sees it)",
            edited(2, &|p| {
                let i = (0..p.z.len()).find(|&i| p.z[i] < 127).unwrap();
                p.z[i] += 1;
                p.extra[0][i] += 1;
                p.extra[1][i] += 1;
            }),
        ),
        (
            "max2: A zeroed where x is the smaller",
            false,
            "gadget.max2.relation-x: acc != X + A at the acc point",
            edited(2, &|p| {
                let i = (0..p.z.len()).find(|&i| p.extra[0][i] > 0).unwrap();
                p.extra[0][i] = 0;
            }),
        ),
        (
            "max2: B zeroed where y is the smaller",
            false,
            "gadget.max2.relation-y: acc != Y + B at the acc point",
            edited(2, &|p| {
                let i = (0..p.z.len()).find(|&i| p.extra[1][i] > 0).unwrap();
                p.extra[1][i] = 0;
            }),
        ),
        (
            "abs: output moved",
            false,
            "gadget.max2.relation-x: z + 1 with A, B honest",
            edited(4, &|p| {
                let i = (0..p.z.len()).find(|&i| p.z[i] < 127).unwrap();
                p.z[i] += 1;
            }),
        ),
    ]
}
