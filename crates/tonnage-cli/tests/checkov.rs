//! checkov's Kubernetes checks on the hardened render of every chart's prod preset.
//!
//! `tonnage render --what hardening --out -` prints what the hardening overlay builds to (the
//! plain render, what Helm renders, with the overlay's patches applied, and the objects it
//! adds), written to one file; `checkov -d DIR --framework
//! kubernetes --skip-download --compact --quiet -o json` (PyPI; scripts/requirements.txt,
//! installed into the venv by scripts/setup) runs its best-practice checks on them. Every
//! failed check must be in the allow-list `tests/data/checkov-allowlist.txt` (reasons in
//! docs/checkov-allowlist.md), and every allow-list entry must still be needed. Pass and fail
//! counts per chart are printed. Ignored by default: `scripts/test` runs them (level `checkov`)
//! with the venv on PATH.
//!
//! An object whose template writes no namespace (as `helm template` prints it) is checked in
//! the namespace it is installed in: the chart's, as `helm install --namespace` and
//! `kubectl apply -n` put it there ([`installed_in`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;
use tonnage_core::Catalog;

mod support;
use support::*;

const ALLOWLIST: &str = include_str!("data/checkov-allowlist.txt");
const DOC: &str = include_str!("../../../docs/checkov-allowlist.md");

/// One allow-list line: a check, optionally narrowed to a chart or one object.
#[derive(Debug)]
struct Allowed {
    check: String,
    scope: Option<String>,
    reason: String,
}

impl Allowed {
    fn key(&self) -> String {
        match &self.scope {
            Some(s) => format!("{}@{s}", self.check),
            None => self.check.clone(),
        }
    }

    fn covers(&self, check: &str, chart: &str, resource: &str) -> bool {
        self.check == check
            && self
                .scope
                .as_deref()
                .is_none_or(|s| s == chart || s == resource)
    }
}

fn allowlist() -> Vec<Allowed> {
    let mut out = Vec::new();
    for line in ALLOWLIST.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, reason) = line
            .split_once(char::is_whitespace)
            .unwrap_or_else(|| panic!("allow-list line without a reason: {line:?}"));
        let (check, scope) = match id.split_once('@') {
            Some((c, s)) => (c.to_string(), Some(s.to_string())),
            None => (id.to_string(), None),
        };
        assert!(
            check.starts_with("CKV_K8S_") || check.starts_with("CKV2_K8S_"),
            "not a checkov Kubernetes check id: {line:?}"
        );
        out.push(Allowed {
            check,
            scope,
            reason: reason.trim().to_string(),
        });
    }
    out
}

/// What checkov says about a directory.
struct Report {
    /// The summary's count of passed checks.
    passed: u64,
    /// (check id, resource, passed): every failed check, and the passed ones too unless
    /// `--quiet` left them out.
    verdicts: Vec<(String, String, bool)>,
}

fn run_checkov(bin: &Path, dir: &Path, quiet: bool) -> Report {
    let mut cmd = Command::new(bin);
    cmd.arg("-d").arg(dir).args([
        "--framework",
        "kubernetes",
        "--skip-download",
        "--compact",
        "-o",
        "json",
    ]);
    if quiet {
        cmd.arg("--quiet");
    }
    let o = cmd.output().expect("run checkov");
    // Exit 1 means failed checks; anything else but 0 is checkov itself failing.
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "checkov on {}: exit {:?}\n{stdout}{}",
        dir.display(),
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("checkov output is not JSON ({e}): {stdout}"));
    // One report per framework: an object, or a list of them.
    let reports = match json {
        Value::Array(v) => v,
        other => vec![other],
    };
    let mut out = Vec::new();
    let mut passed = 0;
    for r in &reports {
        passed += r["summary"]["passed"].as_u64().unwrap_or(0);
        assert_eq!(
            r["summary"]["parsing_errors"].as_u64(),
            Some(0),
            "checkov could not parse some files in {}",
            dir.display()
        );
        for (key, passed) in [("passed_checks", true), ("failed_checks", false)] {
            for c in r["results"][key].as_array().into_iter().flatten() {
                out.push((
                    c["check_id"].as_str().unwrap_or_default().to_string(),
                    c["resource"].as_str().unwrap_or_default().to_string(),
                    passed,
                ));
            }
        }
    }
    Report {
        passed,
        verdicts: out,
    }
}

#[test]
fn the_allowlist_is_documented() {
    let list = allowlist();
    assert!(!list.is_empty());
    for a in &list {
        assert!(
            DOC.contains(&format!("`{}`", a.key())),
            "docs/checkov-allowlist.md does not explain `{}`",
            a.key()
        );
        assert!(a.reason.len() > 20, "{}: the reason is too short", a.key());
    }
    // And the document lists nothing the test does not allow.
    for line in DOC.lines().filter(|l| l.starts_with("| `CKV")) {
        let key = line.split('`').nth(1).unwrap_or_default();
        assert!(
            list.iter().any(|a| a.key() == key),
            "docs/checkov-allowlist.md lists `{key}`, the allow-list file does not"
        );
    }
}

/// The objects of the rendered `file` as a cluster holds them once applied with `-n namespace`:
/// each namespaced object without one gets it (a Namespace is cluster-scoped).
fn installed_in(file: &Path, namespace: &str) {
    let text = std::fs::read_to_string(file).expect("read the render");
    let mut out = String::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let mut v = serde_yaml::Value::deserialize(doc).expect("the render is YAML");
        if v.is_null() {
            continue;
        }
        let kind = v["kind"].as_str().unwrap_or_default().to_string();
        if let Some(meta) = v.get_mut("metadata").and_then(|m| m.as_mapping_mut()) {
            if kind != "Namespace" && !meta.contains_key("namespace") {
                meta.insert("namespace".into(), namespace.into());
            }
        }
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&v).expect("YAML"));
    }
    std::fs::write(file, out).expect("write the render");
}

#[test]
fn installed_objects_get_the_namespace_they_lack() {
    let dir = scratch("installed-in");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("a.yaml");
    std::fs::write(
        &file,
        "kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: b, namespace: x}\n---\nkind: Namespace\nmetadata: {name: n}\n",
    )
    .expect("write");
    installed_in(&file, "ns");
    let text = std::fs::read_to_string(&file).expect("read");
    let _ = std::fs::remove_dir_all(&dir);
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde_yaml::Value::deserialize(d).unwrap())
        .collect();
    assert_eq!(docs[0]["metadata"]["namespace"], "ns");
    assert_eq!(docs[1]["metadata"]["namespace"], "x");
    assert!(docs[2]["metadata"].get("namespace").is_none());
}

#[test]
#[ignore = "needs checkov from scripts/setup: run scripts/test"]
fn every_prod_preset_passes_checkov_but_the_allowlist() {
    let bin = tool("checkov");
    let list = allowlist();
    let mut used = vec![false; list.len()];
    let mut failures = Vec::new();
    let mut total = 0;
    for chart in &Catalog::builtin().charts {
        let env = "prod";
        assert!(chart.environment(env).is_some(), "{} has no prod", chart.id);
        let dir = scratch(&chart.id);
        let file = render_hardened(&dir, &[&chart.id], env, &[]);
        installed_in(&file, &chart.chart.namespace);
        let report = run_checkov(&bin, &dir, true);
        let _ = std::fs::remove_dir_all(&dir);
        let passed = report.passed;
        let mut allowed: BTreeMap<&str, usize> = BTreeMap::new();
        let mut failed = 0;
        let failed_checks: Vec<_> = report.verdicts.iter().filter(|v| !v.2).collect();
        for (check, resource, _) in failed_checks.iter().map(|v| (&v.0, &v.1, v.2)) {
            match list
                .iter()
                .position(|a| a.covers(check, &chart.id, resource))
            {
                Some(i) => {
                    used[i] = true;
                    *allowed.entry(check).or_default() += 1;
                }
                None => {
                    failed += 1;
                    failures.push(format!("{} {env}: {check} on {resource}", chart.id));
                }
            }
        }
        total += passed + failed_checks.len() as u64;
        let allowed_n: usize = allowed.values().sum();
        println!(
            "checkov {} {env}: {passed} passed, {failed} failed, {allowed_n} allowed ({})",
            chart.id,
            allowed
                .iter()
                .map(|(c, n)| format!("{c} x{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    assert!(total > 1000, "only {total} checks ran");
    for (a, used) in list.iter().zip(&used) {
        if !used {
            failures.push(format!(
                "allow-list entry {} is no longer needed: remove it",
                a.key()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs checkov from scripts/setup: run scripts/test"]
fn checkov_catches_a_privileged_container() {
    // The check above must be able to fail: a privileged container that runs as root.
    let bin = tool("checkov");
    let dir = scratch("broken");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("deployment-broken.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\n  namespace: x\n\
         spec:\n  replicas: 1\n  selector:\n    matchLabels: {a: b}\n  template:\n    \
         metadata:\n      labels: {a: b}\n    spec:\n      containers:\n      - name: c\n        \
         image: x:1\n        securityContext:\n          privileged: true\n",
    )
    .expect("write");
    let verdicts = run_checkov(&bin, &dir, true).verdicts;
    let _ = std::fs::remove_dir_all(&dir);
    let list = allowlist();
    let not_allowed: Vec<_> = verdicts
        .iter()
        .filter(|v| !v.2 && !list.iter().any(|a| a.covers(&v.0, "broken", &v.1)))
        .map(|v| v.0.as_str())
        .collect();
    assert!(not_allowed.contains(&"CKV_K8S_16"), "{not_allowed:?}");
}
