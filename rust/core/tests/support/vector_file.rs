//! Vector files in `circuits/vectors/`: checked against what the prover produces, or
//! written with `ZKML_WRITE_VECTORS=1` (`make vectors`).

use std::path::PathBuf;

use serde_json::Value;

/// Check `circuits/vectors/<name>` against `value` (pretty JSON and a newline), or write it.
pub fn check_or_write(name: &str, value: Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../circuits/vectors")
        .join(name);
    let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
    if std::env::var("ZKML_WRITE_VECTORS").is_ok() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{name} missing: run `make vectors`"));
    assert!(
        have == text,
        "{name} differs from what the prover produces: run `make vectors` and review"
    );
}
