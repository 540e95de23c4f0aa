//! The checks a verifier makes on a witness (inference.md, conv.md, nonlinear.md),
//! run on the integer witness without a proof: limb ranges, then every gadget's
//! relation at a random point. There is no Rust inference verifier (the Python
//! verifier checks the vectors); these checks show the witness satisfies what it
//! relies on, and that each cheating witness breaks the relation its case names.

use ark_ff::{Field, One, Zero};
use zkml_core::field::powers;
use zkml_core::field::{from_i64, pow2, Fr};
use zkml_core::inference::circuit::{Circuit, ColumnKind, Producer, TensorRef};
use zkml_core::inference::gadgets::{self, Ctx, Instance};
use zkml_core::inference::rowops::{half, rowdiv_instance, rowmax_instance, suffix};
use zkml_core::inference::spatial::window_point;
use zkml_core::inference::spatialsum::{lt, spatial_dims};
use zkml_core::inference::tensors::{combine_evals, model_table, tensor_table, Columns};
use zkml_core::inference::testkit::TestModel;
use zkml_core::inference::window;
use zkml_core::inference::{acc_from_evals, table};
use zkml_core::inference::{combine, matmul, rearrange};
use zkml_core::logup;
use zkml_core::mle::evaluate;
use zkml_core::sumcheck::{self, SumcheckProver};
use zkml_core::testing::rand_frs;
use zkml_core::transcript::Transcript;
use zkml_core::wiring::{wire_eval, Axis};

fn ensure(ok: bool, what: String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what)
    }
}

/// The checks a verifier makes, on a witness: limb ranges (LogUp), then every
/// gadget's relation at a random point. `Err` names the first failure.
pub fn check_relations(
    m: &TestModel,
    input: &[i64],
    cols_i: &[Vec<i64>],
    batch: usize,
    seed: u64,
) -> Result<(), String> {
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let specs = c.columns();
    for (s, col) in specs.iter().zip(cols_i) {
        ensure(
            col.iter().all(|v| (0..1i64 << s.width).contains(v)),
            format!("range: column {s:?}"),
        )?;
    }
    let cols = Columns::new(&c, cols_i);
    let model: Vec<Fr> = m.model_stack.iter().map(|v| from_i64(*v)).collect();
    let tensor_at = |t: TensorRef, p: &[Fr]| evaluate(&tensor_table(&c, &cols, t, input, batch), p);
    let r: Vec<Vec<Fr>> = (0..c.gadgets.len())
        .map(|g| rand_frs(c.gadget_vars(g, batch), seed + 100 + g as u64))
        .collect();
    let gammas: Vec<Option<Fr>> = (0..c.gadgets.len())
        .map(|g| {
            matches!(c.gadgets[g].producer, Producer::Winmax(_))
                .then(|| rand_frs(1, seed + 300 + g as u64)[0])
        })
        .collect();
    let cx = Ctx {
        c: &c,
        cols: &cols,
        model: &model,
        input,
        b: batch,
    };
    let insts = gadgets::dense_instances(&cx, &r, &gammas).unwrap();
    let mut insts = insts.into_iter();
    for (g, gad) in c.gadgets.iter().enumerate() {
        let own: Vec<usize> = (0..specs.len())
            .filter(|&i| {
                specs[i].gadget == g
                    && !matches!(
                        specs[i].kind,
                        ColumnKind::D | ColumnKind::RowDiff | ColumnKind::RowSel
                    )
            })
            .collect();
        let evals: Vec<Fr> = own
            .iter()
            .map(|&ci| evaluate(&cols.tables[ci], &r[g]))
            .collect();
        let acc = acc_from_evals(gad, &specs, &own, &evals, c.limb_bits);
        let pick = |kind: ColumnKind| -> Fr {
            let e: Vec<Fr> = cols
                .of(g, kind)
                .iter()
                .map(|&ci| evaluate(&cols.tables[ci], &r[g]))
                .collect();
            combine_evals(&e, 0, c.limb_bits)
        };
        if gad.divisor > 1 {
            let d1 = Fr::from(gad.divisor - 1);
            ensure(
                pick(ColumnKind::Rem) + pick(ColumnKind::Remc) == d1,
                format!("gadget {g}: rem + remc == d - 1"),
            )?;
        }
        match &gad.producer {
            Producer::Dense(_) | Producer::Conv(_) => {
                let (x, weight, bias, bias_shift) = match &gad.producer {
                    Producer::Dense(p) => (p.x, &p.weight, &p.bias, &p.bias_shift),
                    Producer::Conv(p) => (p.x, &p.weight, &p.bias, &p.bias_shift),
                    _ => unreachable!(),
                };
                let (_, r_o, _) = matmul::split_point(&c, g, &r[g]);
                let bv = bias.as_ref().map_or(Fr::zero(), |n| {
                    evaluate(model_table(&model, c.tensor(n).unwrap()), r_o) * pow2(*bias_shift)
                });
                // Run the instance and check its final value as the verifier does,
                // with the wiring MLE evaluated by `wire_eval` (O(log) per axis).
                let mut inst = insts.next().unwrap();
                let claim = acc - bv;
                let n = inst.num_vars();
                let (proof, _) = sumcheck::prove(&mut Transcript::new(b"t"), &mut inst, claim);
                let (s, fin) =
                    sumcheck::verify(&mut Transcript::new(b"t"), "conv", claim, n, 2, &proof)
                        .map_err(|e| format!("gadget {g}: {e}"))?;
                let (r_low, r_o, r_b) = matmul::split_point(&c, g, &r[g]);
                let wtab = model_table(&model, c.tensor(weight).unwrap());
                let cat = |a: &[&[Fr]]| a.concat();
                let expect = match gad.producer.geom() {
                    None => tensor_at(x, &cat(&[&s, r_b])) * evaluate(wtab, &cat(&[&s, r_o])),
                    Some(geo) => {
                        let [ls2, ls1, lk2, lk1, _] = geo.conv_vars();
                        let (sx, rest) = s.split_at(ls2);
                        let (sy, rest) = rest.split_at(ls1);
                        let (sj, rest) = rest.split_at(lk2);
                        let (si, sc) = rest.split_at(lk1);
                        let (r_x, r_y) = r_low.split_at(geo.out_vars().0);
                        evaluate(wtab, &cat(&[sj, si, sc, r_o]))
                            * tensor_at(x, &cat(&[sx, sy, sc, r_b]))
                            * wire_eval(&geo.axes[0], r_y, si, sy).unwrap()
                            * wire_eval(&geo.axes[1], r_x, sj, sx).unwrap()
                    }
                };
                ensure(fin == expect, format!("gadget {g}: instance final value"))?;
            }
            Producer::Add(p) => {
                let (x, y, signs, lshifts) = (p.x, p.y, p.signs, p.lshifts);
                // A row value y is read at (r_grp, r_b) (nonlinear.md sections 6, 12).
                let ry = suffix(&r[g], c.tensor_vars(y, batch));
                let v = from_i64(signs[0]) * pow2(lshifts[0]) * tensor_at(x, &r[g])
                    + from_i64(signs[1]) * pow2(lshifts[1]) * tensor_at(y, ry);
                ensure(acc == v, format!("gadget {g}: add"))?;
            }
            Producer::Rowmax(rm) => {
                let (x, n) = (&rm.x, &rm.n);
                // P S(1/2.., r_grp, r_b) == 1, then the zerocheck with the verifier's
                // final (nonlinear.md sections 7, 12; m = log2 P).
                let si = cols.of(g, ColumnKind::RowSel)[0];
                let m = rm.group.trailing_zeros() as usize;
                let mut p = vec![half(); m];
                p.extend_from_slice(&r[g]);
                let centre = pow2(m as u32) * evaluate(&cols.tables[si], &p);
                ensure(
                    centre == Fr::one(),
                    format!("gadget {g}: rowmax sum S == 1"),
                )?;
                let nv = c.tensor_vars(*x, batch);
                let (tau, beta) = (rand_frs(nv, seed + 300 + g as u64), rand_frs(1, seed)[0]);
                let inst = rowmax_instance(&c, &cols, (input, batch), (g, rm), &tau, beta).unwrap();
                let (fin, s) = run_zerocheck(inst, format!("gadget {g}: rowmax zerocheck"))?;
                let lim = |kind| {
                    let e: Vec<Fr> = cols
                        .of(g, kind)
                        .iter()
                        .map(|&ci| evaluate(&cols.tables[ci], &s))
                        .collect();
                    combine_evals(&e, 0, c.limb_bits)
                };
                let (d, sel) = (lim(ColumnKind::RowDiff), lim(ColumnKind::RowSel));
                let mask = lt(&s[..m], *n);
                let zb = tensor_at(TensorRef::Gadget(g), suffix(&s, c.gadget_vars(g, batch)));
                let expect = eq_eval(&tau, &s)
                    * (d - mask * zb
                        + mask * tensor_at(*x, &s)
                        + beta * (sel - mask * sel)
                        + beta * beta * sel * d);
                ensure(fin == expect, format!("gadget {g}: rowmax zerocheck final"))?;
            }
            Producer::Rowdiv(rd) => {
                let (x, y, lshift) = (&rd.x, &rd.y, rd.lshift);
                let yr = tensor_at(*y, suffix(&r[g], c.tensor_vars(*y, batch)));
                ensure(
                    pick(ColumnKind::DivRem) + pick(ColumnKind::DivRemc)
                        == Fr::from(2u64) * yr - Fr::one(),
                    format!("gadget {g}: rowdiv R + Rc == 2 y_b - 1"),
                )?;
                let nv = c.gadget_vars(g, batch);
                let (tau, beta) = (rand_frs(nv, seed + 400 + g as u64), rand_frs(1, seed)[0]);
                let inst = rowdiv_instance(&c, &cols, (input, batch), (g, rd), &tau, beta).unwrap();
                let (fin, s) = run_zerocheck(inst, format!("gadget {g}: rowdiv zerocheck"))?;
                let lim = |kind| {
                    let e: Vec<Fr> = cols
                        .of(g, kind)
                        .iter()
                        .map(|&ci| evaluate(&cols.tables[ci], &s))
                        .collect();
                    combine_evals(&e, 0, c.limb_bits)
                };
                let z = from_i64(gad.lo) + lim(ColumnKind::U);
                let (ep, em) = (lim(ColumnKind::Ep), lim(ColumnKind::Em));
                let yb = tensor_at(*y, suffix(&s, c.tensor_vars(*y, batch)));
                let two = Fr::from(2u64);
                let expect = eq_eval(&tau, &s)
                    * (pow2(lshift + 1) * tensor_at(*x, &s) + yb
                        - two * yb * (z + ep - em)
                        - lim(ColumnKind::DivRem)
                        + beta * (z - from_i64(gad.hi)) * ep
                        + beta * beta * (z - from_i64(gad.lo)) * em);
                ensure(fin == expect, format!("gadget {g}: rowdiv zerocheck final"))?;
            }
            Producer::Sumpool(p) => {
                let s: Fr = (0..gad.producer.windows())
                    .map(|w| tensor_at(p.x, &window_point(&p.geo, &r[g], w)))
                    .sum();
                ensure(acc == pow2(p.bits) * s, format!("gadget {g}: sumpool"))?;
            }
            Producer::Spatialsum(p) => {
                let (x, lshift) = (&p.x, &p.lshift);
                // nonlinear.md section 2: the instance's claim is acc(r_g); its final
                // value is 2^l M(s) X(s, r_g), M from lt.
                let mut inst = insts.next().unwrap();
                let n = inst.num_vars();
                let (proof, _) = sumcheck::prove(&mut Transcript::new(b"t"), &mut inst, acc);
                let (s, fin) =
                    sumcheck::verify(&mut Transcript::new(b"t"), "ssum", acc, n, 2, &proof)
                        .map_err(|e| format!("gadget {g}: spatialsum instance: {e}"))?;
                let (s1, s2) = spatial_dims(&p.in_shape);
                let (sx, sy) = s.split_at(s2.next_power_of_two().trailing_zeros() as usize);
                let xp: Vec<Fr> = s.iter().chain(&r[g]).copied().collect();
                let expect = pow2(*lshift) * lt(sx, s2) * lt(sy, s1) * tensor_at(*x, &xp);
                ensure(
                    fin == expect,
                    format!("gadget {g}: spatialsum instance final"),
                )?;
            }
            Producer::Addconst(p) => {
                let (x, lshift) = (&p.x, &p.lshift);
                // nonlinear.md section 10: acc == 2^l X(r_g) + C(r_f).
                let t = c.tensor(&p.c).unwrap();
                let r_f = &r[g][..t.cols_pad().trailing_zeros() as usize];
                let cv = evaluate(model_table(&model, t), r_f);
                ensure(
                    acc == pow2(*lshift) * tensor_at(*x, &r[g]) + cv,
                    format!("gadget {g}: addconst acc == 2^l X(r_g) + C(r_f)"),
                )?;
            }
            Producer::Concat(p) => {
                // nonlinear.md section 11: sum_k E_k == acc(r_g); per part, the
                // instance's final is W~_k(r_c, (), s) X_k(r_s, s, r_b).
                let (parts, geo) = (&p.parts, &p.geo);
                let e = combine::concat_parts(&c, &cols, (input, batch), p, &r[g]).unwrap();
                ensure(
                    e.iter().copied().sum::<Fr>() == acc,
                    format!("gadget {g}: concat sum_k E_k == acc(r_g)"),
                )?;
                let ls = geo.spatial.trailing_zeros() as usize;
                let lc = geo.channels.next_power_of_two().trailing_zeros() as usize;
                let (r_s, rest) = r[g].split_at(ls);
                let (r_c, r_b) = rest.split_at(lc);
                for (k, x) in parts.iter().enumerate() {
                    let mut inst = insts.next().unwrap();
                    let n = inst.num_vars();
                    let (proof, _) = sumcheck::prove(&mut Transcript::new(b"t"), &mut inst, e[k]);
                    let (s, fin) =
                        sumcheck::verify(&mut Transcript::new(b"t"), "cat", e[k], n, 2, &proof)
                            .map_err(|e| format!("gadget {g}: concat instance {k}: {e}"))?;
                    let xp: Vec<Fr> = [r_s, &s, r_b].concat();
                    let w = wire_eval(&geo.axis(k).unwrap(), r_c, &[], &s).unwrap();
                    ensure(
                        fin == w * tensor_at(*x, &xp),
                        format!("gadget {g}: concat instance {k} final"),
                    )?;
                }
            }
            Producer::Rearrange(p) => {
                // rearrange.md: sum_k E_k == acc(r_g); per part, the instance's final
                // is Sel_k(r_o, s) X_k(s, r_b) with Sel_k the verifier's sum (section 4).
                let (parts, map) = (&p.parts, &p.map);
                let e = rearrange::rearrange_parts(&c, &cols, (input, batch), p, &r[g]).unwrap();
                ensure(
                    e.iter().copied().sum::<Fr>() == acc,
                    format!("gadget {g}: rearrange sum_k E_k == acc(r_g)"),
                )?;
                let (r_o, r_b) = r[g].split_at(map.out_pad.trailing_zeros() as usize);
                for (k, x) in parts.iter().enumerate() {
                    let mut inst = insts.next().unwrap();
                    let n = inst.num_vars();
                    let (proof, _) = sumcheck::prove(&mut Transcript::new(b"t"), &mut inst, e[k]);
                    let (s, fin) =
                        sumcheck::verify(&mut Transcript::new(b"t"), "rea", e[k], n, 2, &proof)
                            .map_err(|e| format!("gadget {g}: rearrange instance {k}: {e}"))?;
                    let xv = tensor_at(*x, &[&s[..], r_b].concat());
                    ensure(
                        fin == map.sel_eval(k, r_o, &s) * xv,
                        format!("gadget {g}: rearrange instance {k} final"),
                    )?;
                }
            }
            Producer::Mul(p) => {
                let (x, y) = (&p.x, &p.y);
                // nonlinear.md section 8: claim acc(r_g), degree 3, final
                // eq(r_g, s) X(s) Y(s).
                let mut inst = insts.next().unwrap();
                let n = inst.num_vars();
                let (proof, _) = sumcheck::prove(&mut Transcript::new(b"t"), &mut inst, acc);
                let (s, fin) =
                    sumcheck::verify(&mut Transcript::new(b"t"), "mul", acc, n, 3, &proof)
                        .map_err(|e| format!("gadget {g}: mul instance: {e}"))?;
                let expect = eq_eval(&r[g], &s) * tensor_at(*x, &s) * tensor_at(*y, &s);
                ensure(fin == expect, format!("gadget {g}: mul instance final"))?;
            }
            Producer::Maxpool(p) => {
                let (x, geo) = (&p.x, &p.geo);
                let k = gad.producer.windows();
                let mut sel = Fr::zero();
                for w in 0..k {
                    let xw = tensor_at(*x, &window_point(geo, &r[g], w));
                    ensure(
                        pick(ColumnKind::PoolDiff(w)) == acc - xw,
                        format!("gadget {g}: D_{w}"),
                    )?;
                    sel += pick(ColumnKind::PoolSel(w));
                }
                ensure(sel == Fr::one(), format!("gadget {g}: sum S"))?;
                let len = 1 << c.gadget_vars(g, batch);
                for i in 0..len {
                    let dot: Fr = (0..k)
                        .map(|w| {
                            let s = cols.combine(&cols.of(g, ColumnKind::PoolSel(w)), 0, len)[i];
                            s * cols.combine(&cols.of(g, ColumnKind::PoolDiff(w)), 0, len)[i]
                        })
                        .sum();
                    ensure(dot.is_zero(), format!("gadget {g}: S D != 0 at {i}"))?;
                }
            }
            Producer::Winsum(_) | Producer::Winmax(_) => {
                let inst_a = insts.next().unwrap();
                let inst_b = gammas[g].map(|_| insts.next().unwrap());
                let ctx = (&c, &cols, input, batch);
                check_window(ctx, g, &r[g], acc, gammas[g], (inst_a, inst_b), seed)?;
            }
            _ => {}
        }
    }
    let tm = table::multiplicities(&c, cols_i, input, batch);
    check_tables(m, input, cols_i, batch, &tm, seed)
}

/// `2^m W~(r, ri, (1/2, ..))` or with `ri` and the centre swapped: a sum of the
/// wiring over one boolean part.
fn wsum(a: &Axis, ry: &[Fr], ri: Option<&[Fr]>, rx: Option<&[Fr]>) -> Fr {
    let (_, mk, mx) = a.vars();
    let centre = |m: usize| vec![half(); m];
    match (ri, rx) {
        (Some(ri), None) => pow2(mx as u32) * wire_eval(a, ry, ri, &centre(mx)).unwrap(),
        (None, Some(rx)) => pow2(mk as u32) * wire_eval(a, ry, &centre(mk), rx).unwrap(),
        _ => unreachable!(),
    }
}

fn bits(v: usize, n: usize) -> Vec<Fr> {
    (0..n).map(|k| Fr::from(((v >> k) & 1) as u64)).collect()
}

/// A window gadget's checks as the verifier makes them (conv.md section 5), every
/// wiring value from `wire_eval`: winsum's instance; winmax's `sum_t S_t`, instances
/// (a) and (b), and its zerocheck.
fn check_window(
    (c, cols, input, batch): (&Circuit, &Columns, &[i64], usize),
    g: usize,
    r_g: &[Fr],
    acc: Fr,
    gamma: Option<Fr>,
    (mut ia, ib): (Box<dyn Instance>, Option<Box<dyn Instance>>),
    seed: u64,
) -> Result<(), String> {
    let gad = &c.gadgets[g];
    let (Producer::Winsum(w) | Producer::Winmax(w)) = &gad.producer else {
        return Err(format!("gadget {g}: not a window gadget"));
    };
    let geo = &w.geo;
    let [a1, a2] = geo.axes;
    let (lt2, lt1) = geo.out_vars();
    let (r_x, rest) = r_g.split_at(lt2);
    let (r_y, r_cb) = rest.split_at(lt1);
    let tensor_at = |t: TensorRef, p: &[Fr]| evaluate(&tensor_table(c, cols, t, input, batch), p);
    let col_at = |kind: ColumnKind, p: &[Fr]| {
        let e: Vec<Fr> = cols
            .of(g, kind)
            .iter()
            .map(|&ci| evaluate(&cols.tables[ci], p))
            .collect();
        combine_evals(&e, 0, c.limb_bits)
    };
    let run = |inst: &mut Box<dyn Instance>, claim: Fr, deg: usize, what: &str| {
        let n = inst.num_vars();
        let (proof, _) = sumcheck::prove(&mut Transcript::new(b"w"), inst, claim);
        sumcheck::verify(&mut Transcript::new(b"w"), "w", claim, n, deg, &proof)
            .map_err(|e| format!("gadget {g}: {what}: {e}"))
    };
    let (mk1, mk2) = (a1.vars().1, a2.vars().1);
    let (k1, k2) = (a1.k, a2.k);
    // (sum_i c1_i W~_1(r_y, i, s_y')) (sum_j c2_j W~_2(r_x, j, s_x')), and the same for V.
    let ones = |n: usize| vec![Fr::one(); n];
    let (c1, c2) = match gamma {
        Some(gm) => (powers(gm.pow([k2 as u64]), k1), powers(gm, k2)),
        None => (ones(k1), ones(k2)),
    };
    let asum = |sy: &[Fr], sx: &[Fr]| {
        let p1: Fr = (0..k1)
            .map(|i| c1[i] * wire_eval(&a1, r_y, &bits(i, mk1), sy).unwrap())
            .sum();
        let p2: Fr = (0..k2)
            .map(|j| c2[j] * wire_eval(&a2, r_x, &bits(j, mk2), sx).unwrap())
            .sum();
        p1 * p2
    };
    let vsum = |sy: &[Fr], sx: &[Fr], cc1: &[Fr], cc2: &[Fr]| {
        let p1: Fr = (0..k1)
            .map(|i| cc1[i] * wsum(&a1, sy, Some(&bits(i, mk1)), None))
            .sum();
        let p2: Fr = (0..k2)
            .map(|j| cc2[j] * wsum(&a2, sx, Some(&bits(j, mk2)), None))
            .sum();
        p1 * p2
    };
    let ls2 = a2.vars().2;
    let Some(gm) = gamma else {
        // winsum: claim acc(r_g); final 2^l X(s, r_c, r_b) A_1(r_y, s_y') A_2(r_x, s_x').
        let (s, fin) = run(&mut ia, acc, 2, "winsum instance")?;
        let (sx, sy) = s.split_at(ls2);
        let xv = tensor_at(w.x, &[&s[..], r_cb].concat());
        let a = wsum(&a1, r_y, None, Some(sy)) * wsum(&a2, r_x, None, Some(sx));
        let expect = pow2(w.bits) * xv * a;
        debug_assert_eq!(a, asum(sy, sx));
        return ensure(fin == expect, format!("gadget {g}: winsum instance final"));
    };
    let k = gad.producer.windows();
    let ssum: Fr = (0..k).map(|t| col_at(ColumnKind::PoolSel(t), r_g)).sum();
    ensure(
        ssum == lt(r_y, a1.n_out) * lt(r_x, a2.n_out),
        format!("gadget {g}: sum S_t"),
    )?;
    let (ca, e) = window::winmax_claims(c, cols, (input, batch), (g, w), r_g, gm).unwrap();
    let dsum: Fr = (0..k)
        .map(|t| c1[t / k2] * c2[t % k2] * col_at(ColumnKind::PoolDiff(t), r_g))
        .sum();
    ensure(ca == e + dsum, format!("gadget {g}: claim (a)"))?;
    let (sa, fa) = run(&mut ia, ca, 3, "winmax (a)")?;
    let (sx, sy) = sa.split_at(lt2);
    let za = tensor_at(TensorRef::Gadget(g), &[&sa[..], r_cb].concat());
    let expect_a = eq_eval(&r_g[..lt2 + lt1], &sa) * za * vsum(sy, sx, &c1, &c2);
    ensure(fa == expect_a, format!("gadget {g}: winmax (a) final"))?;
    let (sb, fb) = run(&mut ib.unwrap(), e, 2, "winmax (b)")?;
    let (sx, sy) = sb.split_at(ls2);
    let expect_b = tensor_at(w.x, &[&sb[..], r_cb].concat()) * asum(sy, sx);
    ensure(fb == expect_b, format!("gadget {g}: winmax (b) final"))?;
    // Zerocheck: S_t D_t + beta S_t (1 - V_t) + beta^2 z (1 - Rg).
    let tb = rand_frs(c.gadget_vars(g, batch) + 1, seed + 500 + g as u64);
    let (tau, beta) = (&tb[1..], tb[0]);
    let zc = window::zerocheck_instance(c, cols, (input, batch), (g, w), tau, beta).unwrap();
    let (fin, s) = run_zerocheck(zc, format!("gadget {g}: winmax zerocheck"))?;
    let (sx, rest) = s.split_at(lt2);
    let sy = &rest[..lt1];
    let mut inner = Fr::zero();
    for t in 0..k {
        let (i, j) = (t / k2, t % k2);
        let v = wsum(&a1, sy, Some(&bits(i, mk1)), None) * wsum(&a2, sx, Some(&bits(j, mk2)), None);
        let st = col_at(ColumnKind::PoolSel(t), &s);
        inner += st * col_at(ColumnKind::PoolDiff(t), &s) + beta * st * (Fr::one() - v);
    }
    let rg = lt(sy, a1.n_out) * lt(sx, a2.n_out);
    inner += beta * beta * tensor_at(TensorRef::Gadget(g), &s) * (Fr::one() - rg);
    ensure(
        fin == eq_eval(tau, &s) * inner,
        format!("gadget {g}: winmax zerocheck final"),
    )
}

/// Prove and verify a zerocheck instance with claim 0: `(final, point)`.
fn run_zerocheck<P: SumcheckProver>(mut inst: P, what: String) -> Result<(Fr, Vec<Fr>), String> {
    let n = inst.num_vars();
    let (proof, _) = sumcheck::prove(&mut Transcript::new(b"z"), &mut inst, Fr::zero());
    sumcheck::verify(&mut Transcript::new(b"z"), "zc", Fr::zero(), n, 3, &proof)
        .map(|(s, fin)| (fin, s))
        .map_err(|e| format!("{what}: {e}"))
}

fn eq_eval(a: &[Fr], b: &[Fr]) -> Fr {
    a.iter()
        .zip(b)
        .map(|(x, y)| *x * y + (Fr::one() - x) * (Fr::one() - y))
        .product()
}

/// The table gadgets' LogUp (nonlinear.md section 3) with multiplicities `tm`: the
/// trees' total is zero and each tree's final claims match the leaf evals.
pub fn check_tables(
    m: &TestModel,
    input: &[i64],
    cols_i: &[Vec<i64>],
    batch: usize,
    tm: &[Vec<i64>],
    seed: u64,
) -> Result<(), String> {
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let tgs = table::gadgets(&c);
    if tgs.is_empty() {
        return Ok(());
    }
    let cols = Columns::new(&c, cols_i);
    let model: Vec<Fr> = m.model_stack.iter().map(|v| from_i64(*v)).collect();
    let tensor_at = |t: TensorRef, p: &[Fr]| evaluate(&tensor_table(&c, &cols, t, input, batch), p);
    let ab = rand_frs(2, seed + 7);
    let (alpha, beta) = (ab[0], ab[1]);
    let tm: Vec<Vec<Fr>> = tm
        .iter()
        .map(|t| t.iter().map(|v| from_i64(*v)).collect())
        .collect();
    let trees = table::trees(&c, &tgs, &cols, &model, input, batch, (alpha, beta), &tm);
    let depths: Vec<usize> = trees
        .iter()
        .map(|(p, _)| p.len().trailing_zeros() as usize)
        .collect();
    let (proof, _) = logup::prove(&mut Transcript::new(b"t"), trees);
    // each table gadget's two trees balance on their own (lookup separation)
    let groups = vec![2; tgs.len()];
    let res = logup::verify(&mut Transcript::new(b"t"), &depths, &groups, &proof)
        .map_err(|e| format!("table LogUp: {e}"))?;
    for (k, tg) in tgs.iter().enumerate() {
        let (rho, p, q) = &res[2 * k];
        let (rho_t, pt, qt) = &res[2 * k + 1];
        let xv = tensor_at(tg.x, rho) - from_i64(tg.lo_x);
        let zv = tensor_at(TensorRef::Gadget(tg.g), rho);
        ensure(
            *p == Fr::one() && *q == alpha - xv - beta * zv,
            format!("table gadget {}: lookup leaves", tg.g),
        )?;
        let tt: Fr = rho_t
            .iter()
            .enumerate()
            .map(|(i, x)| Fr::from(2u64).pow([i as u64]) * x)
            .sum();
        let tv = evaluate(model_table(&model, &tg.tensor), rho_t);
        ensure(
            *pt == -evaluate(&tm[k], rho_t) && *qt == alpha - tt - beta * tv,
            format!("table gadget {}: table leaves", tg.g),
        )?;
    }
    Ok(())
}

/// The reference witness of every model satisfies every relation at batch 1 and 3
/// (input seed `seed + batch`, points from `point_seed`).
#[allow(dead_code)]
pub fn relations_hold(models: &[(&str, TestModel)], seed: u64, point_seed: u64) {
    for (name, m) in models {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        for batch in [1usize, 3] {
            let input = zkml_core::testing::rand_small(
                batch * c.input.features,
                c.input.bits,
                seed + batch as u64,
            );
            let (cols, _) =
                zkml_core::inference::testkit::witness(&c, &m.model_stack, &input, batch);
            if let Err(e) = check_relations(m, &input, &cols, batch, point_seed) {
                panic!("{name} batch {batch}: {e}");
            }
        }
    }
}
