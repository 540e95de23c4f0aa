//! General pooling window models of `inference.json` (circuits/conv.md section 5):
//! honest proofs for batch 1 and 3, cheating-prover cases on batch 1
//! (support/window_cheats.rs) that the Python verifier must reject.

use serde_json::Value;
use zkml_core::inference::testkit_window::{win_1d, win_avg, win_stem};
use zkml_core::pcs::hyrax::Hyrax;

use crate::vectors_common::{family_models, Cases, Run};

pub fn window_models(h: &Hyrax) -> Vec<Value> {
    let models = vec![
        ("win_stem", win_stem(31), 31u64),
        ("win_avg", win_avg(32), 32),
        ("win_1d", win_1d(33), 33),
    ];
    family_models(h, models, |r: &Run, _| -> Cases {
        crate::window_cheats::cheats_with_reasons(r.m, r.c, r.input)
            .into_iter()
            .map(|(case, why, cols)| (case, false, why, r.prove(cols, &r.out)))
            .collect()
    })
}
