//! The keys the bundle's kustomize overlay reads, for each chart deployed from raw manifests
//! (`real_chart.deploy: kustomize`, Caracal): `tests/data/overlay-keys/<chart>.yaml`, which
//! `build.rs` embeds for the chart audit. The raw manifests read no values: a key the overlay
//! does not read reaches nothing deployed, whatever the chart's own templates (not installed)
//! do with it.
//!
//! Found as `scripts/record-real-helm --keys` finds the keys a chart's templates read: every
//! leaf of the chart's values, of its environment overlays and of the recorded cases' overrides
//! (`tests/data/real-helm/cases/<chart>.yaml`) is changed one at a time (a boolean flipped, a
//! number + 1, a quantity-like string doubled, another string + `-probe`, a list + one element,
//! a map replaced by `{probe: probe}`, null -> `probe`) on top of each environment preset and
//! each recorded case, and the overlay's files are written and compared with the unchanged
//! ones. A key is read if any configuration's overlay moves.
//!
//! The test fails when the file differs from what the overlay does now, naming the keys that
//! changed side; `OVERLAY_KEYS_UPDATE=1 cargo test -p tonnage-core --test overlay_keys` rewrites
//! it (review the diff like any record).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_yaml::Value;
use tonnage_core::catalog::{Catalog, Chart};
use tonnage_core::config::Configuration;
use tonnage_core::kustomize::overlay_files;
use tonnage_core::values::{leaf_paths, lookup, parse_path, set_path};

#[derive(Debug, Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    env: String,
    #[serde(default)]
    set: BTreeMap<String, String>,
}

/// `tests/data/overlay-keys/<chart>.yaml`.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct OverlayKeys {
    reads: Vec<String>,
    dead: Vec<String>,
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(rel)
}

/// A value changed as the real-Helm probe changes it (`scripts/record-real-helm`'s `mutate`);
/// a zero quantity becomes 1 (doubled it would not move).
fn mutate(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Number((i + 1).into()),
            (None, Some(f)) => Value::Number((f + 1.0).into()),
            _ => Value::String("probe".into()),
        },
        Value::String(s) => Value::String(doubled(s).unwrap_or_else(|| format!("{s}-probe"))),
        Value::Sequence(items) => {
            let mut items = items.clone();
            items.push(
                items
                    .last()
                    .cloned()
                    .unwrap_or(Value::String("probe".into())),
            );
            Value::Sequence(items)
        }
        Value::Mapping(_) => {
            let mut m = serde_yaml::Mapping::new();
            m.insert("probe".into(), "probe".into());
            Value::Mapping(m)
        }
        _ => Value::String("probe".into()),
    }
}

/// A quantity-like string (`500m`, `10Gi`, `1.5`) with its number doubled.
fn doubled(s: &str) -> Option<String> {
    const SUFFIXES: &[&str] = &[
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "m", "k", "M", "G", "T", "P", "E", "",
    ];
    let suffix = SUFFIXES.iter().find(|x| s.ends_with(*x))?;
    let num = &s[..s.len() - suffix.len()];
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (num.contains('.') && !digits(frac)) {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let twice = if n == 0.0 { 1.0 } else { n * 2.0 };
    let text = if twice.fract() == 0.0 && twice < 1e15 {
        format!("{}", twice as i64)
    } else {
        format!("{twice}")
    };
    Some(format!("{text}{suffix}"))
}

/// The configurations probed: each environment preset, then each recorded case.
fn configurations(catalog: &Catalog, chart: &Chart) -> Vec<(String, Configuration)> {
    let mut out: Vec<(String, Configuration)> = chart
        .environments
        .iter()
        .map(|e| {
            let c = Configuration::new(catalog, &[chart.id.as_str()], &e.id).unwrap();
            (e.id.clone(), c)
        })
        .collect();
    let file = data(&format!("real-helm/cases/{}.yaml", chart.id));
    if let Ok(text) = std::fs::read_to_string(&file) {
        let cases: Cases =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in cases.cases.into_iter().filter(|c| !c.set.is_empty()) {
            let mut c = Configuration::new(catalog, &[chart.id.as_str()], &case.env).unwrap();
            for (k, v) in &case.set {
                c.set_str(catalog, &format!("{k}={v}"))
                    .unwrap_or_else(|e| panic!("{}/{}: --set {k}={v}: {e}", chart.id, case.id));
            }
            out.push((case.id, c));
        }
    }
    out
}

/// Every leaf path the chart's files and the probed configurations set.
fn probed_paths(chart: &Chart, configs: &[(String, Configuration)]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = leaf_paths(&chart.values).into_iter().collect();
    for e in &chart.environments {
        out.extend(leaf_paths(&e.values));
    }
    for (_, c) in configs {
        for (path, v) in c.overrides.get(&chart.id).into_iter().flatten() {
            match leaf_paths(v).as_slice() {
                [] => {
                    out.insert(path.clone());
                }
                below => out.extend(below.iter().map(|b| {
                    if b.starts_with('[') {
                        format!("{path}{b}")
                    } else {
                        format!("{path}.{b}")
                    }
                })),
            }
        }
    }
    out
}

/// The overlay's key index of a chart, probed now.
fn probe(catalog: &Catalog, chart: &Chart) -> OverlayKeys {
    let configs = configurations(catalog, chart);
    let bases: Vec<(Value, Vec<(String, String)>)> = configs
        .iter()
        .map(|(_, c)| {
            let values = c.effective_values(chart);
            let files = files_of(chart, &values, c);
            (values, files)
        })
        .collect();
    let mut keys = OverlayKeys::default();
    for path in probed_paths(chart, &configs) {
        let segs = parse_path(&path).unwrap_or_else(|e| panic!("{}: {path}: {e:?}", chart.id));
        let moved = configs.iter().zip(&bases).any(|((_, c), (values, files))| {
            let current = lookup(values, &path).cloned().unwrap_or(Value::Null);
            let mut changed = values.clone();
            set_path(&mut changed, &segs, mutate(&current));
            files_of(chart, &changed, c) != *files
        });
        if moved {
            keys.reads.push(path);
        } else {
            keys.dead.push(path);
        }
    }
    keys
}

fn files_of(chart: &Chart, values: &Value, c: &Configuration) -> Vec<(String, String)> {
    overlay_files(chart, values, c)
        .into_iter()
        .map(|f| (f.path, f.contents))
        .collect()
}

const HEADER: &str = "\
# Written by crates/tonnage-core/tests/overlay_keys.rs from the bundle's kustomize overlay
# (crates/tonnage-core/src/outputs/kustomize.rs): every leaf of the chart's values, its presets
# and the recorded cases' overrides (tests/data/real-helm/cases/) changed one at a time on each
# preset and case; `reads` moved the overlay's files, `dead` moved nothing. The raw manifests
# read no values, so these are the keys that reach what gets deployed. Never edit by hand:
# OVERLAY_KEYS_UPDATE=1 cargo test -p tonnage-core --test overlay_keys, and review the diff.
";

/// Each chart deployed from raw manifests has its overlay's key index, as the overlay reads
/// the keys now; no other chart has one.
#[test]
fn overlay_key_index_is_recorded() {
    let catalog = Catalog::builtin();
    let update = std::env::var_os("OVERLAY_KEYS_UPDATE").is_some();
    let mut failures = Vec::new();
    for chart in &catalog.charts {
        let file = data(&format!("overlay-keys/{}.yaml", chart.id));
        if !chart.is_kustomize() {
            assert!(
                !file.exists(),
                "{}: not deployed from raw manifests",
                chart.id
            );
            continue;
        }
        let now = probe(catalog, chart);
        // Not a probe of nothing: the sizing keys move the overlay, switched-off ones do not.
        assert!(now.reads.len() > 20 && !now.dead.is_empty(), "{now:?}");
        let text = format!("{HEADER}{}", serde_yaml::to_string(&now).unwrap());
        if update {
            std::fs::write(&file, &text).unwrap();
            continue;
        }
        let recorded: OverlayKeys = std::fs::read_to_string(&file)
            .map(|t| serde_yaml::from_str(&t).unwrap())
            .unwrap_or_default();
        if recorded != now {
            let was: BTreeSet<_> = recorded.reads.iter().collect();
            let is: BTreeSet<_> = now.reads.iter().collect();
            failures.push(format!(
                "{}: {} differs from what the overlay reads now (OVERLAY_KEYS_UPDATE=1 rewrites \
                 it); read now, not recorded so: {:?}; recorded read, not now: {:?}",
                chart.id,
                file.display(),
                is.difference(&was).collect::<Vec<_>>(),
                was.difference(&is).collect::<Vec<_>>(),
            ));
        }
        // The audit reads the same file (build.rs embeds it).
        assert_eq!(
            chart.audit_facts().overlay.map(|k| (&k.reads, &k.dead)),
            Some((&recorded.reads, &recorded.dead)),
            "{}",
            chart.id
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutate_changes_every_kind_of_value() {
    for (v, want) in [
        ("true", "false"),
        ("3", "4"),
        ("1.5", "2.5"),
        ("\"500m\"", "\"1000m\""),
        ("\"10Gi\"", "\"20Gi\""),
        ("\"0\"", "\"1\""),
        ("\"0.25\"", "\"0.5\""),
        ("\"info\"", "\"info-probe\""),
        ("\"1e3\"", "\"1e3-probe\""),
        ("~", "probe"),
    ] {
        let v: Value = serde_yaml::from_str(v).unwrap();
        assert_eq!(
            mutate(&v),
            serde_yaml::from_str::<Value>(want).unwrap(),
            "{v:?}"
        );
    }
    let list: Value = serde_yaml::from_str("[a]").unwrap();
    assert_eq!(
        mutate(&list),
        serde_yaml::from_str::<Value>("[a, a]").unwrap()
    );
    let map: Value = serde_yaml::from_str("{}").unwrap();
    assert_eq!(
        mutate(&map),
        serde_yaml::from_str::<Value>("{probe: probe}").unwrap()
    );
}
