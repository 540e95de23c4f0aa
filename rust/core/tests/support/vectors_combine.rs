//! Models of `inference.json` for circuits/nonlinear.md sections 10 and 11 (adding
//! a constant, channel concatenation): honest proofs for batch 1 and 3, and
//! cheating-prover cases on batch 1 that the Python verifier must reject.

use serde_json::Value;
use zkml_core::inference::parts::set_part_skew;
use zkml_core::inference::testkit_combine::{concat_cnn, concat_flat, gelu};
use zkml_core::pcs::hyrax::Hyrax;

use crate::vectors_common::{family_models, Cases, Run};

pub fn combine_models(h: &Hyrax) -> Vec<Value> {
    let models = vec![
        ("concat_cnn", concat_cnn(61), 61u64),
        ("concat_flat", concat_flat(62), 62),
        ("gelu", gelu(63), 63),
    ];
    family_models(h, models, combine_cases)
}

fn combine_cases(r: &Run, name: &str) -> Cases {
    let mut cases: Cases = Vec::new();
    match name {
        "concat_cnn" => {
            // Gadget 2: the concat of the two conv branches ([3, 5, 5] and [5, 5, 5]).
            cases.push((
                "concat output changed",
                false,
                "concat: sum_k E_k != acc(r_g)",
                r.bump(2),
            ));
            set_part_skew(7);
            let skewed = r.prove(r.cols.clone(), &r.out);
            set_part_skew(0);
            cases.push((
                "wrong E_k split",
                false,
                "concat part instance: E_1 + 7, E_2 - 7 (sum kept) fail the parts' sumchecks",
                skewed,
            ));
        }
        "concat_flat" => {
            // Gadget 0 adds a per-feature constant to 2 x; gadget 2 concatenates.
            cases.push((
                "addconst of the input changed",
                false,
                "addconst: acc != 2^l X(r_g) + C(r_f)",
                r.bump(0),
            ));
            cases.push((
                "flat concat output changed",
                false,
                "concat: sum_k E_k != acc(r_g)",
                r.bump(2),
            ));
        }
        "gelu" => {
            // Gadget 2: a = erf + 127 after the table.
            cases.push((
                "addconst output changed",
                false,
                "addconst: acc != 2^l X(r_g) + C(r_f)",
                r.bump(2),
            ));
        }
        _ => {}
    }
    cases
}
