//! Thin PyO3 layer over `zkml-core`, built by maturin as the private `zkml._native`.
//!
//! Tables arrive as numpy int64 arrays (quantized values, the fast commit path) or
//! as bytes of 32-byte big-endian field elements; points as such bytes. A core error
//! is raised as the `zkml.errors.ProverError` subclass of its variant (`error_class`)
//! with the core's message and its check id (`exc.check`). Proving runs with the GIL
//! released.

use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use zkml_core::encoding::{Reader, Writer};
use zkml_core::field::{fr_to_bytes, from_i64, Fr};
use zkml_core::mle::evaluate;
use zkml_core::pcs::batch::StackClaims;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::pcs::{Pcs, Shape};
use zkml_core::proofs::{
    prove_batch_opening as core_batch, prove_product_sumcheck as core_product, CommittedStack,
};

/// The caller's arguments do not fit (as the core's `Error::InvalidArgument`).
fn prover_error(py: Python<'_>, msg: String) -> PyErr {
    zkml_error(py, "ProverArgumentError", msg, None)
}

/// The `zkml.errors` class of a core error: one per variant (zkml/errors.py).
fn error_class(e: &zkml_core::Error) -> &'static str {
    match e {
        zkml_core::Error::InvalidArgument(_) => "ProverArgumentError",
        zkml_core::Error::Format { .. } => "ProverFormatError",
        zkml_core::Error::Rejected { .. } | zkml_core::Error::Sumcheck { .. } => "ProverCheckError",
    }
}

fn core_err(py: Python<'_>, e: zkml_core::Error) -> PyErr {
    zkml_error(py, error_class(&e), e.to_string(), e.check())
}

/// `zkml.errors.<class>(msg, check=check)`; a ValueError if zkml.errors is missing.
fn zkml_error(py: Python<'_>, class: &str, msg: String, check: Option<&str>) -> PyErr {
    let made = py
        .import("zkml.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|cls| {
            let kwargs = PyDict::new(py);
            kwargs.set_item("check", check)?;
            cls.call((msg.as_str(),), Some(&kwargs))
        });
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(_) => PyValueError::new_err(msg),
    }
}

/// A table: numpy int64 array or bytes of 32-byte big-endian field elements.
fn table_from_py(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Fr>> {
    if let Ok(arr) = obj.extract::<PyReadonlyArray1<'_, i64>>() {
        return Ok(arr.as_slice()?.iter().map(|v| from_i64(*v)).collect());
    }
    let bytes: &[u8] = obj
        .extract()
        .map_err(|_| prover_error(py, "table must be an int64 numpy array or bytes".into()))?;
    frs_from_bytes(py, bytes)
}

fn frs_from_bytes(py: Python<'_>, bytes: &[u8]) -> PyResult<Vec<Fr>> {
    if !bytes.len().is_multiple_of(32) {
        return Err(prover_error(
            py,
            "field element bytes must be a multiple of 32".into(),
        ));
    }
    let mut r = Reader::new(bytes);
    (0..bytes.len() / 32)
        .map(|_| r.fr("field element").map_err(|e| core_err(py, e)))
        .collect()
}

fn shape_for(py: Python<'_>, len: usize, log_cols: Option<usize>) -> PyResult<Shape> {
    if !len.is_power_of_two() {
        return Err(prover_error(
            py,
            format!("table length {len} is not a power of two"),
        ));
    }
    let n = len.trailing_zeros() as usize;
    Shape::new(n, log_cols.unwrap_or_else(|| Shape::square(n).log_cols))
        .map_err(|e| core_err(py, e))
}

fn hyrax_for(seed: Option<&[u8]>) -> Hyrax {
    seed.map_or_else(Hyrax::default, Hyrax::with_seed)
}

/// Commit to a table; returns the commitment bytes (`Vec<G1>`, circuits/hyrax.md).
#[pyfunction]
#[pyo3(signature = (table, log_cols=None, seed=None))]
fn commit<'py>(
    py: Python<'py>,
    table: &Bound<'py, PyAny>,
    log_cols: Option<usize>,
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let bytes = if let Ok(arr) = table.extract::<PyReadonlyArray1<'_, i64>>() {
        let values = arr.as_slice()?.to_vec();
        let shape = shape_for(py, values.len(), log_cols)?;
        py.detach(|| hyrax.commit_small(shape, &values))
    } else {
        let t = table_from_py(py, table)?;
        let shape = shape_for(py, t.len(), log_cols)?;
        py.detach(|| hyrax.commit(shape, &t))
    }
    .map(|c| {
        let mut w = Writer::new();
        Hyrax::write_commitment(&c, &mut w);
        w.finish()
    })
    .map_err(|e| core_err(py, e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// `(table, log_cols or None, [point bytes, ...])` as Python passes it.
type StackArg<'py> = (Bound<'py, PyAny>, Option<usize>, Vec<Vec<u8>>);

/// Prove a `pcs-batch-opening` artifact. `stacks` is a list of
/// `(table, log_cols or None, [point bytes, ...])`; the claimed values are the
/// table's evaluations at the points.
#[pyfunction]
#[pyo3(signature = (stacks, seed=None))]
fn prove_batch_opening<'py>(
    py: Python<'py>,
    stacks: Vec<StackArg<'py>>,
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let mut inputs = Vec::with_capacity(stacks.len());
    for (table, log_cols, points) in &stacks {
        let t = table_from_py(py, table)?;
        let shape = shape_for(py, t.len(), *log_cols)?;
        let pts = points
            .iter()
            .map(|p| frs_from_bytes(py, p))
            .collect::<PyResult<Vec<_>>>()?;
        if pts.is_empty() || pts.iter().any(|p| p.len() != shape.num_vars) {
            return Err(prover_error(
                py,
                format!("each point needs {} coordinates", shape.num_vars),
            ));
        }
        inputs.push((shape, t, pts));
    }
    let out = py.detach(|| -> zkml_core::Result<Vec<u8>> {
        let committed = inputs
            .iter()
            .map(|(shape, t, pts)| {
                let mut claims = StackClaims::default();
                for z in pts {
                    claims.push(z.clone(), evaluate(t, z));
                }
                Ok(CommittedStack {
                    shape: *shape,
                    commitment: hyrax.commit(*shape, t)?,
                    claims,
                })
            })
            .collect::<zkml_core::Result<Vec<_>>>()?;
        let pairs: Vec<(&CommittedStack, &[Fr])> = committed
            .iter()
            .zip(&inputs)
            .map(|(c, (_, t, _))| (c, t.as_slice()))
            .collect();
        Ok(core_batch(&hyrax, &pairs))
    });
    let bytes = out.map_err(|e| core_err(py, e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Prove a `product-sumcheck` artifact: `sum_x f(x) g(x)` for committed f, g.
#[pyfunction]
#[pyo3(signature = (f, g, log_cols=None, seed=None))]
fn prove_product_sumcheck<'py>(
    py: Python<'py>,
    f: &Bound<'py, PyAny>,
    g: &Bound<'py, PyAny>,
    log_cols: Option<usize>,
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let f = table_from_py(py, f)?;
    let g = table_from_py(py, g)?;
    if f.len() != g.len() {
        return Err(prover_error(py, "f and g differ in length".into()));
    }
    let shape = shape_for(py, f.len(), log_cols)?;
    let bytes = py
        .detach(|| core_product(&hyrax, shape, &f, &g))
        .map_err(|e| core_err(py, e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Prove a kind-3 inference artifact (circuits/inference.md). `columns` are the
/// witness limb columns in circuit order; `inputs`/`outputs` the quantized statement.
#[pyfunction]
#[pyo3(signature = (circuit_json, model_stack, columns, batch, inputs, outputs, vk_digest, seed=None))]
#[allow(clippy::too_many_arguments)]
fn prove_inference<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    model_stack: PyReadonlyArray1<'py, i64>,
    columns: Vec<PyReadonlyArray1<'py, i64>>,
    batch: usize,
    inputs: PyReadonlyArray1<'py, i64>,
    outputs: PyReadonlyArray1<'py, i64>,
    vk_digest: &[u8],
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let args = InferenceArgs {
        circuit_json,
        model_stack,
        columns,
        batch,
        inputs,
        outputs,
        vk_digest,
    };
    args.prove(py, seed, zkml_core::inference::prove)
}

/// Prove a kind-5 hiding inference artifact (circuits/zk_inference.md): kind 3's
/// arguments, the key's digest (kind 6, or kind 4), and `model_blinds`, the model
/// stack's row blinders as bytes of 32-byte big-endian field elements, one per row of
/// the circuit's `model_stack` shape (all zero for a kind-4 key), and the statement's
/// `visibility` word (0 public input, 1 private input, 2 committed input with its
/// owner's row blinders `input_blinds`, bytes like `model_blinds`; bit 3 a committed
/// output with its row blinders `output_blinds`; zk_inference.md 1).
/// The proof's own blinders come from the operating system.
#[pyfunction]
#[pyo3(signature = (circuit_json, model_stack, columns, batch, inputs, outputs, vk_digest, model_blinds, seed=None, visibility=0, input_blinds=None, output_blinds=None))]
#[allow(clippy::too_many_arguments)]
fn prove_hiding_inference<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    model_stack: PyReadonlyArray1<'py, i64>,
    columns: Vec<PyReadonlyArray1<'py, i64>>,
    batch: usize,
    inputs: PyReadonlyArray1<'py, i64>,
    outputs: PyReadonlyArray1<'py, i64>,
    vk_digest: &[u8],
    model_blinds: &[u8],
    seed: Option<&[u8]>,
    visibility: u32,
    input_blinds: Option<&[u8]>,
    output_blinds: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let blinds = frs_from_bytes(py, model_blinds)?;
    let in_blinds = frs_from_bytes(py, input_blinds.unwrap_or_default())?;
    let out_blinds = frs_from_bytes(py, output_blinds.unwrap_or_default())?;
    let args = InferenceArgs {
        circuit_json,
        model_stack,
        columns,
        batch,
        inputs,
        outputs,
        vk_digest,
    };
    args.prove(py, seed, |hyrax, inp| {
        let vis = (visibility, in_blinds.as_slice(), out_blinds.as_slice());
        zkml_core::zk_inference::prove(hyrax, inp, &blinds, vis.0, vis.1, vis.2)
    })
}

/// The arguments every inference prover takes, as Python passes them.
struct InferenceArgs<'py, 'a> {
    circuit_json: &'a [u8],
    model_stack: PyReadonlyArray1<'py, i64>,
    columns: Vec<PyReadonlyArray1<'py, i64>>,
    batch: usize,
    inputs: PyReadonlyArray1<'py, i64>,
    outputs: PyReadonlyArray1<'py, i64>,
    vk_digest: &'a [u8],
}

impl<'py> InferenceArgs<'py, '_> {
    /// Run `prove` on the arguments with the GIL released; its bytes or its error.
    fn prove(
        self,
        py: Python<'py>,
        seed: Option<&[u8]>,
        prove: impl FnOnce(&Hyrax, zkml_core::inference::InferenceInput<'_>) -> zkml_core::Result<Vec<u8>>
            + Send,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let hyrax = hyrax_for(seed);
        let digest: [u8; 32] = self
            .vk_digest
            .try_into()
            .map_err(|_| prover_error(py, "vk_digest must be 32 bytes".into()))?;
        let cols: Vec<Vec<i64>> = self
            .columns
            .iter()
            .map(|c| c.as_slice().map(|s| s.to_vec()))
            .collect::<Result<_, _>>()?;
        let model = self.model_stack.as_slice()?;
        let x = self.inputs.as_slice()?;
        let y = self.outputs.as_slice()?;
        let circuit_json = self.circuit_json;
        let batch = self.batch;
        let out = py.detach(|| {
            prove(
                &hyrax,
                zkml_core::inference::InferenceInput {
                    circuit_json,
                    model_stack: model,
                    columns: cols,
                    batch,
                    input: x,
                    output: y,
                    vk_digest: digest,
                },
            )
        });
        let bytes = out.map_err(|e| core_err(py, e))?;
        Ok(PyBytes::new(py, &bytes))
    }
}

/// Build the kind-4 verifying key of a model (commitments and the model stack's
/// well-formedness proof, circuits/inference.md section 7).
#[pyfunction]
#[pyo3(signature = (circuit_json, model_stack, seed=None))]
fn build_verifying_key<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    model_stack: PyReadonlyArray1<'py, i64>,
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let model = model_stack.as_slice()?;
    let out = py.detach(|| {
        zkml_core::inference::model_key::build_verifying_key(&hyrax, circuit_json, model)
    });
    let bytes = out.map_err(|e| core_err(py, e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Build the kind-6 (hiding) verifying key of a model (circuits/zk_inference.md section
/// 4): `C_P` blinded by `model_blinders` (bytes of 32-byte big-endian field elements,
/// one per model-stack row, from `draw_model_blinders`), everything else hidden with
/// fresh blinders.
#[pyfunction]
#[pyo3(signature = (circuit_json, model_stack, model_blinders, seed=None))]
fn build_hiding_verifying_key<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    model_stack: PyReadonlyArray1<'py, i64>,
    model_blinders: &[u8],
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let model = model_stack.as_slice()?;
    let blinders = frs_from_bytes(py, model_blinders)?;
    let out = py.detach(|| {
        zkml_core::zk_key::build_hiding_verifying_key(&hyrax, circuit_json, model, &blinders)
    });
    let bytes = out.map_err(|e| core_err(py, e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Fresh row blinders for a model of `circuit_json` (one per model-stack row, as bytes
/// of 32-byte big-endian field elements): drawn once when the model is compiled and
/// kept with it (secret), never in a key.
#[pyfunction]
#[pyo3(signature = (circuit_json, seed=None))]
fn draw_model_blinders<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let blinders = zkml_core::zk_key::draw_model_blinders(&hyrax, circuit_json)
        .map_err(|e| core_err(py, e))?;
    let bytes: Vec<u8> = blinders.iter().flat_map(fr_to_bytes).collect();
    Ok(PyBytes::new(py, &bytes))
}

/// Fresh row blinders for a committed input of `batch` rows (zk_inference.md 1.4), as
/// bytes of 32-byte big-endian field elements: drawn once by the input's owner.
#[pyfunction]
#[pyo3(signature = (circuit_json, batch, seed=None))]
fn draw_input_blinders<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    batch: usize,
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let blinders = zkml_core::zk_inference::draw_input_blinders(&hyrax, circuit_json, batch)
        .map_err(|e| core_err(py, e))?;
    let bytes: Vec<u8> = blinders.iter().flat_map(fr_to_bytes).collect();
    Ok(PyBytes::new(py, &bytes))
}

/// A committed input's row commitments (zk_inference.md 1.4) for `inputs` (B rows)
/// and the owner's `input_blinds`, as `Vec<G1>` bytes: what a committed-input proof's
/// statement carries.
#[pyfunction]
#[pyo3(signature = (circuit_json, inputs, batch, input_blinds, seed=None))]
fn hiding_input_commitment<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    inputs: PyReadonlyArray1<'py, i64>,
    batch: usize,
    input_blinds: &[u8],
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let blinds = frs_from_bytes(py, input_blinds)?;
    let x = inputs.as_slice()?;
    let rows = zkml_core::zk_inference::input_commitment(&hyrax, circuit_json, x, batch, &blinds)
        .map_err(|e| core_err(py, e))?;
    let mut w = Writer::new();
    w.points(&rows);
    Ok(PyBytes::new(py, &w.finish()))
}

/// Fresh row blinders for a committed output of `batch` rows (zk_inference.md 1.6), as
/// bytes of 32-byte big-endian field elements: drawn once per output, kept by its owner.
#[pyfunction]
#[pyo3(signature = (circuit_json, batch, seed=None))]
fn draw_output_blinders<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    batch: usize,
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let blinders = zkml_core::zk_inference::draw_output_blinders(&hyrax, circuit_json, batch)
        .map_err(|e| core_err(py, e))?;
    let bytes: Vec<u8> = blinders.iter().flat_map(fr_to_bytes).collect();
    Ok(PyBytes::new(py, &bytes))
}

/// A committed output's row commitments (zk_inference.md 1.6) for `outputs` (B rows)
/// and the owner's `output_blinds`, as `Vec<G1>` bytes: what a committed-output proof's
/// statement carries.
#[pyfunction]
#[pyo3(signature = (circuit_json, outputs, batch, output_blinds, seed=None))]
fn hiding_output_commitment<'py>(
    py: Python<'py>,
    circuit_json: &[u8],
    outputs: PyReadonlyArray1<'py, i64>,
    batch: usize,
    output_blinds: &[u8],
    seed: Option<&[u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    let hyrax = hyrax_for(seed);
    let blinds = frs_from_bytes(py, output_blinds)?;
    let y = outputs.as_slice()?;
    let rows = zkml_core::zk_inference::output_commitment(&hyrax, circuit_json, y, batch, &blinds)
        .map_err(|e| core_err(py, e))?;
    let mut w = Writer::new();
    w.points(&rows);
    Ok(PyBytes::new(py, &w.finish()))
}

/// Validate a circuit description (circuits/inference.md section 6) with the core's
/// parser, the prover side's one parser; raises `zkml.compiler.circuit.CircuitFormatError`
/// with the core's message.
#[pyfunction]
fn parse_circuit(py: Python<'_>, circuit_json: &[u8]) -> PyResult<()> {
    match zkml_core::inference::circuit::Circuit::parse(circuit_json) {
        Ok(_) => Ok(()),
        Err(e) => Err(
            match py
                .import("zkml.compiler.circuit")
                .and_then(|m| m.getattr("CircuitFormatError"))
            {
                Ok(cls) => PyErr::from_type(cls.cast_into()?, e.to_string()),
                Err(_) => PyValueError::new_err(e.to_string()),
            },
        ),
    }
}

/// Number of threads the prover uses.
#[pyfunction]
fn num_threads() -> usize {
    rayon::current_num_threads()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(commit, m)?)?;
    m.add_function(wrap_pyfunction!(prove_batch_opening, m)?)?;
    m.add_function(wrap_pyfunction!(prove_product_sumcheck, m)?)?;
    m.add_function(wrap_pyfunction!(prove_inference, m)?)?;
    m.add_function(wrap_pyfunction!(prove_hiding_inference, m)?)?;
    m.add_function(wrap_pyfunction!(build_verifying_key, m)?)?;
    m.add_function(wrap_pyfunction!(build_hiding_verifying_key, m)?)?;
    m.add_function(wrap_pyfunction!(draw_model_blinders, m)?)?;
    m.add_function(wrap_pyfunction!(draw_input_blinders, m)?)?;
    m.add_function(wrap_pyfunction!(hiding_input_commitment, m)?)?;
    m.add_function(wrap_pyfunction!(draw_output_blinders, m)?)?;
    m.add_function(wrap_pyfunction!(hiding_output_commitment, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(parse_circuit, m)?)?;
    Ok(())
}
