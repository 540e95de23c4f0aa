//! Honest kind-6 keys pass the Rust check; dishonest ones (an entry out of range with a
//! forged multiplicity, nonzero padding, a wrong leaf commitment) fail the merged check.

use ark_ec::CurveGroup;
use ark_ff::Zero;

use super::check::check_hiding_key;
use super::*;
use crate::encoding::Reader;
use crate::inference::model_key::build_verifying_key;
use crate::inference::testkit::{mlp_full, TestModel};

fn model() -> (TestModel, KeyStacks, Vec<Fr>) {
    let m = mlp_full(&[6, 8, 5], false, false, None, 1);
    let ks = KeyStacks::new(&m.circuit_json, &m.model_stack).unwrap();
    let blinders = Blinds::from_seed([5; 32], [0; 32]).draw_n(ks.shape.rows());
    (m, ks, blinders)
}

fn seeded(m: &TestModel, model: &[i64], blinders: &[Fr], cheat: &Cheat) -> Vec<u8> {
    let h = Hyrax::default();
    build_hiding_verifying_key_seeded(&h, &m.circuit_json, model, blinders, [3; 32], cheat).unwrap()
}

fn check(key: &[u8]) -> std::result::Result<(), &'static str> {
    check_hiding_key(&Hyrax::default(), key).map_err(|e| e.check().unwrap_or("none"))
}

#[test]
fn honest_keys_pass_and_hide() {
    let (m, ks, blinders) = model();
    let key = seeded(&m, &m.model_stack, &blinders, &Cheat::default());
    assert_eq!(check(&key), Ok(()));
    assert_eq!(
        key,
        seeded(&m, &m.model_stack, &blinders, &Cheat::default())
    );
    let h = Hyrax::default();
    let a = build_hiding_verifying_key(&h, &m.circuit_json, &m.model_stack, &blinders).unwrap();
    let b = build_hiding_verifying_key(&h, &m.circuit_json, &m.model_stack, &blinders).unwrap();
    assert_eq!((check(&a), check(&b)), (Ok(()), Ok(())));
    assert_ne!(a, b, "fresh blinders per key");
    // C_P is the blinded model commitment, the same in both keys.
    let com = blinded_model_commitment(&h, ks.shape, &m.model_stack, &blinders).unwrap();
    let mut r = Reader::new(&a);
    crate::artifact::read_header(&mut r).unwrap();
    let len = r.u32("len").unwrap() as usize;
    r.take(len, "circuit").unwrap();
    Shape::read(&mut r).unwrap();
    assert_eq!(r.points(ks.shape.rows(), "C_P").unwrap(), com.rows);
    // and not the clear one: a zero row commits to rho_i H.
    let clear = h.commit_small(ks.shape, &m.model_stack).unwrap();
    assert!(com.rows.iter().zip(&clear.rows).all(|(x, y)| x != y));
    let gens = Gens::new(&h.seed_digest, 0);
    assert_eq!(
        com.rows[0],
        (clear.rows[0] + gens.h * blinders[0]).into_affine()
    );
}

#[test]
fn a_wrong_blinder_count_is_refused() {
    let (m, ks, blinders) = model();
    let h = Hyrax::default();
    let short = &blinders[1..];
    let e = build_hiding_verifying_key(&h, &m.circuit_json, &m.model_stack, short);
    assert!(matches!(e, Err(Error::InvalidArgument(_))));
    assert!(blinded_model_commitment(&h, ks.shape, &m.model_stack, short).is_err());
    assert_eq!(
        draw_model_blinders(&h, &m.circuit_json).unwrap().len(),
        ks.shape.rows()
    );
}

#[test]
fn an_entry_out_of_range_fails_even_with_a_forged_multiplicity() {
    let (m, ks, blinders) = model();
    let t0 = &ks.circuit.model_stack.tensors[0];
    let top = 1i64 << (ks.range_bits - 1);
    for bad in [top, -top - 1] {
        let mut model = m.model_stack.clone();
        model[t0.offset] = bad;
        let z = padding_indicator(&ks.circuit);
        let mut mult = range_multiplicities(&model, &z, ks.range_bits);
        // count the entry at the nearest table end, as if it were in range
        let end = if bad > 0 { mult.len() - 1 } else { 0 };
        mult[end] += 1;
        let cheat = Cheat {
            multiplicities: Some(mult),
            ..Cheat::default()
        };
        assert_eq!(
            check(&seeded(&m, &model, &blinders, &cheat)),
            Err("zk.merged")
        );
        let honest = Cheat::default();
        assert_eq!(
            check(&seeded(&m, &model, &blinders, &honest)),
            Err("zk.merged")
        );
    }
}

#[test]
fn nonzero_padding_and_wrong_leaf_commitments_fail() {
    let (m, ks, blinders) = model();
    let t0 = &ks.circuit.model_stack.tensors[0];
    assert!(t0.cols < t0.cols_pad());
    let mut padded = m.model_stack.clone();
    padded[t0.offset + t0.cols] = 1;
    let honest = Cheat::default();
    assert_eq!(
        check(&seeded(&m, &padded, &blinders, &honest)),
        Err("zk.merged")
    );
    for j in 0..2 {
        let mut shift = [Fr::zero(); 2];
        shift[j] = Fr::from(1u64);
        let cheat = Cheat {
            leaf_shift: shift,
            ..Cheat::default()
        };
        let key = seeded(&m, &m.model_stack, &blinders, &cheat);
        assert_eq!(check(&key), Err("zk.merged"));
    }
    // the model's own blinders are part of C_P: other blinders, another commitment
    let key = seeded(&m, &m.model_stack, &blinders, &honest);
    let mut other = blinders.clone();
    other[0] += Fr::from(1u64);
    let key2 = seeded(&m, &m.model_stack, &other, &honest);
    assert_eq!(check(&key2), Ok(()));
    assert_ne!(key, key2);
}

#[test]
fn a_kind_4_key_is_not_a_kind_6_key() {
    let (m, _, _) = model();
    let mut k4 = build_verifying_key(&Hyrax::default(), &m.circuit_json, &m.model_stack).unwrap();
    assert_eq!(check(&k4), Err("proof.header-kind"));
    k4[6] = Kind::HidingVerifyingKey as u8;
    assert!(check(&k4).is_err());
}

#[test]
fn leaf_checks_hold_in_the_clear_for_the_honest_values_only() {
    let (m, ks, _) = model();
    let z = padding_indicator(&ks.circuit);
    let (alpha, beta) = (Fr::from(1000u64), Fr::from(77u64));
    let p_fr = to_fr(&m.model_stack);
    let m_fr = to_fr(&range_multiplicities(&m.model_stack, &z, ks.range_bits));
    let trees = wf_trees(&ks, &p_fr, &z, &m_fr, alpha, beta);
    let points: Vec<Vec<Fr>> = trees
        .iter()
        .enumerate()
        .map(|(i, (p, _))| {
            (0..p.len().trailing_zeros())
                .map(|k| Fr::from(3 + 5 * i as u64 + k as u64))
                .collect()
        })
        .collect();
    let mut values = BTreeMap::new();
    for (i, ((p, q), pt)) in trees.iter().zip(&points).enumerate() {
        values.insert(result_name("P", i), evaluate(p, pt));
        values.insert(result_name("Q", i), evaluate(q, pt));
    }
    values.insert(leaf_eval_name(0), evaluate(&p_fr, &points[0]));
    values.insert(leaf_eval_name(1), evaluate(&m_fr, &points[1]));
    let lp = LeafPublic::new(&ks, &z, (alpha, beta), &points);
    let checks = leaf_checks(&lp, &|n| values.get(n).copied());
    let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    let want = ["key.range-leaves", "key.table-leaves", "key.padding-leaves"];
    assert_eq!(ids, want.iter().flat_map(|i| [*i, *i]).collect::<Vec<_>>());
    assert!(checks.iter().all(|c| c.holds() == Some(true)));
    assert_eq!(crate::zk::declared::products_needed(&checks).unwrap(), 0);
    values.insert(
        leaf_eval_name(0),
        evaluate(&p_fr, &points[0]) + Fr::from(1u64),
    );
    let checks = leaf_checks(&lp, &|n| values.get(n).copied());
    assert_eq!(checks[1].holds(), Some(false));
}
