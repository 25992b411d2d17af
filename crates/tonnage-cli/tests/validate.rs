//! The rendered manifests against the Kubernetes OpenAPI schemas, offline, with
//! `kubernetes-validate --strict` (PyPI; scripts/requirements.txt, installed into the venv by
//! scripts/setup). For every chart and environment, `tonnage render --what hardening` writes
//! the plain render (one file per object: what Helm renders) and the hardening overlay's
//! objects (hardening/<chart>.yaml), and `--out -` what the overlay builds to (patches
//! applied), all validated for Kubernetes 1.29, 1.33 and 1.37 (the overlay's kustomization.yaml
//! and its partial patch objects are kustomize's input, not objects). Custom resources
//! (ServiceMonitor, ExternalSecret) have no bundled schema and only warn; every built-in object
//! must pass. Ignored by default: `scripts/test` runs them with the venv on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use tonnage_core::Catalog;

const VERSIONS: &[&str] = &["1.29.0", "1.33.0", "1.37.0"];
const CUSTOM_KINDS: &[&str] = &["servicemonitor", "externalsecret"];

fn validator() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kubernetes-validate"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "kubernetes-validate is not on PATH: run `bash scripts/setup` and \
                 `source scripts/setup` (or scripts/test), which install it from \
                 scripts/requirements.txt into the tools venv"
            )
        })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tonnage-validate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn render(dir: &Path, stacks: &[&str], env: &str) -> Vec<PathBuf> {
    let mut args = vec!["render"];
    for s in stacks {
        args.extend(["--stack", s]);
    }
    let out = dir.to_string_lossy().to_string();
    args.extend(["--env", env, "--what", "hardening", "--out", &out]);
    let o = Command::new(env!("CARGO_BIN_EXE_tonnage"))
        .args(&args)
        .output()
        .expect("run tonnage");
    assert!(
        o.status.success(),
        "tonnage {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read rendered dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "kustomization.yaml")
                && !p.parent().is_some_and(|d| d.ends_with("patches"))
            {
                files.push(p);
            }
        }
    }
    // The overlay's patches are partial objects: what they build to is validated instead.
    args.pop();
    args.push("-");
    let o = Command::new(env!("CARGO_BIN_EXE_tonnage"))
        .args(&args)
        .output()
        .expect("run tonnage");
    assert!(o.status.success(), "tonnage {args:?}");
    let hardened = dir.join("hardened.yaml");
    std::fs::write(&hardened, &o.stdout).expect("write the hardened render");
    files.push(hardened);
    files.sort();
    assert!(!files.is_empty(), "{stacks:?} {env}: nothing rendered");
    files
}

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
    let bin = validator();
    let mut failures = Vec::new();
    let mut count = 0;
    for chart in &Catalog::builtin().charts {
        for env in &chart.environments {
            let dir = scratch(&format!("{}-{}", chart.id, env.id));
            let files = render(&dir, &[&chart.id], &env.id);
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
    let bin = validator();
    let dir = scratch("cauldron");
    let files = render(&dir, &["cauldron-infra", "cauldron-frappe"], "prod");
    let failures = validate(&bin, &files);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the venv from scripts/setup: run scripts/test"]
fn the_validator_rejects_a_broken_object() {
    // The check above must be able to fail: an unknown field under --strict.
    let bin = validator();
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
