//! The real-Helm records (`tests/data/real-helm/<chart>/<case>.yaml`), shared by the tests that
//! read them: where they are, which files are records, and the configuration a record names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tonnage_core::catalog::Catalog;
use tonnage_core::config::Configuration;

/// A record's configuration: the environment preset and the `--set` overrides on it.
#[derive(Debug, Deserialize)]
pub struct RecordConfig {
    pub env: String,
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

/// `tests/data/real-helm`, or the directory `REAL_HELM_RECORDS` names: records written by
/// `scripts/record-real-helm --out-dir DIR` for cases that are not committed (an unseen-cases
/// check runs the same comparisons on them).
pub fn data_dir() -> PathBuf {
    match std::env::var_os("REAL_HELM_RECORDS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/real-helm"),
    }
}

/// A chart's record files, sorted (`keys.yaml` is not a record).
pub fn record_files(chart_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(chart_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", chart_dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml")
                && p.file_name().is_some_and(|n| n != "keys.yaml")
        })
        .collect();
    files.sort();
    files
}

/// The configuration of a record: its chart, environment and `--set` overrides.
pub fn configure(
    catalog: &Catalog,
    chart: &str,
    case: &str,
    config: &RecordConfig,
) -> Configuration {
    let mut c = Configuration::new(catalog, &[chart], &config.env)
        .unwrap_or_else(|e| panic!("{chart}/{case}: {e}"));
    for (k, v) in &config.set {
        c.set_str(catalog, &format!("{k}={v}"))
            .unwrap_or_else(|e| panic!("{chart}/{case}: --set {k}={v}: {e}"));
    }
    c
}
