//! The rendered manifests against the Kubernetes OpenAPI schemas, offline, with
//! `kubernetes-validate --strict` (PyPI; scripts/requirements.txt, installed into the venv by
//! scripts/setup). For every chart and environment, the plain render (`tonnage render --what
//! manifests`: one file per object, what Helm renders) and the hardened one (`--what hardening
//! --out -`: what the hardening overlay builds to, patches applied and its objects added) are
//! validated for Kubernetes 1.29, 1.33 and 1.37. Custom resources (ServiceMonitor,
//! ExternalSecret) have no bundled schema and only warn; every built-in object must pass.
//! Ignored by default: `scripts/test` runs them with the venv on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use tonnage_core::Catalog;

mod support;
use support::*;

const VERSIONS: &[&str] = &["1.29.0", "1.33.0", "1.37.0"];
const CUSTOM_KINDS: &[&str] = &["servicemonitor", "externalsecret"];

fn is_custom(p: &Path) -> bool {
    let name = p.file_name().unwrap_or_default().to_string_lossy();
    CUSTOM_KINDS
        .iter()
        .any(|k| name.starts_with(&format!("{k}-")))
}

/// Validate the files for every version; returns the failures as text.
fn validate(bin: &Path, files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for v in VERSIONS {
        let o = Command::new(bin)
            .args(["--strict", "-k", v])
            .args(files)
            .output()
            .expect("run kubernetes-validate");
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        if !o.status.success() {
            failures.push(format!("{v}: exit {:?}\n{stdout}{stderr}", o.status.code()));
            continue;
        }
        // Every built-in object must be reported as passed, not merely skipped.
        for f in files.iter().filter(|f| !is_custom(f)) {
            let shown = f.to_string_lossy();
            let passed = stdout
                .lines()
                .any(|l| l.contains(shown.as_ref()) && l.contains("passed"));
            if !passed {
                failures.push(format!(
                    "{v}: {shown} not reported as passed\n{stdout}{stderr}"
                ));
            }
        }
    }
    failures
}

#[test]
#[ignore = "needs the venv from scripts/setup: run scripts/test"]
fn every_chart_and_environment_validates_strictly() {
    let bin = tool("kubernetes-validate");
    let mut failures = Vec::new();
    let mut count = 0;
    for chart in &Catalog::builtin().charts {
        for env in &chart.environments {
            let dir = scratch(&format!("{}-{}", chart.id, env.id));
            let mut files = render_manifests(&dir, &[&chart.id], &env.id, &[]);
            files.push(render_hardened(
                &dir.join("hardened"),
                &[&chart.id],
                &env.id,
                &[],
            ));
            count += files.len();
            for f in validate(&bin, &files) {
                failures.push(format!("{} {}: {f}", chart.id, env.id));
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    assert!(count > 100, "only {count} objects rendered");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the venv from scripts/setup: run scripts/test"]
fn infra_and_frappe_together_validate_strictly() {
    let bin = tool("kubernetes-validate");
    let dir = scratch("cauldron");
    let stacks = ["cauldron-infra", "cauldron-frappe"];
    let mut files = render_manifests(&dir, &stacks, "prod", &[]);
    files.push(render_hardened(&dir.join("hardened"), &stacks, "prod", &[]));
    let failures = validate(&bin, &files);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the venv from scripts/setup: run scripts/test"]
fn the_validator_rejects_a_broken_object() {
    // The check above must be able to fail: an unknown field under --strict.
    let bin = tool("kubernetes-validate");
    let dir = scratch("broken");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let f = dir.join("deployment-broken.yaml");
    std::fs::write(
        &f,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  replicas: 1\n  \
         bogus: true\n  selector:\n    matchLabels: {a: b}\n  template:\n    metadata:\n      \
         labels: {a: b}\n    spec:\n      containers:\n      - name: c\n        image: x:1\n",
    )
    .expect("write");
    let failures = validate(&bin, &[f]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!failures.is_empty(), "an unknown field must fail --strict");
}
