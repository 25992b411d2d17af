//! The plan against what real Helm renders from the real charts.
//!
//! `tests/data/real-helm/<chart>/<case>.yaml` are facts recorded by `scripts/record-real-helm`:
//! the real chart at the guide's commit rendered by real Helm (the Helm v4 SDK) with the values
//! bundle of a configuration, applied as its install script applies it, reduced to the figures
//! of every workload and claim. Every record is checked here, per workload and in totals: the
//! numbers quoted in a review must be what really gets deployed. `keys.yaml` lists the keys each
//! chart's templates read (found by probing: one key changed, what moved); every key the bundle
//! writes for a recorded configuration must be one of them.

use std::collections::BTreeMap;
use std::path::PathBuf;

mod records;

use records::{data_dir, record_files, RecordConfig};
use serde::Deserialize;
use serde_yaml::Value;
use tonnage_core::bundle::{values_bundle, BundleOptions};
use tonnage_core::catalog::Catalog;
use tonnage_core::config::Configuration;
use tonnage_core::plan::{plan, Plan};
use tonnage_core::quantity::Quantity;

#[derive(Debug, Deserialize)]
struct Record {
    chart: String,
    case: String,
    config: RecordConfig,
    #[serde(default)]
    workloads: Vec<Workload>,
    #[serde(default)]
    claims: Vec<Claim>,
    totals: Totals,
}

#[derive(Debug, Deserialize)]
struct Workload {
    release: String,
    kind: String,
    name: String,
    #[serde(default)]
    replicas: Option<i64>,
    #[serde(default)]
    hpa: Option<Hpa>,
    #[serde(default)]
    containers: Vec<Container>,
    /// Sorted by name: the pod's order matters only with a restartable one (`restart_policy`),
    /// which no record has yet beside another init container (checked in [`pod_figures`]).
    #[serde(default)]
    init_containers: Vec<Container>,
    #[serde(default)]
    claim_templates: Vec<ClaimTemplate>,
}

#[derive(Debug, Deserialize)]
struct Hpa {
    min: i64,
    max: i64,
}

#[derive(Debug, Deserialize)]
struct Container {
    name: String,
    #[serde(default)]
    requests: BTreeMap<String, String>,
    #[serde(default)]
    limits: BTreeMap<String, String>,
    /// An init container's `restartPolicy` (`Always`: it keeps running, a sidecar).
    #[serde(default)]
    restart_policy: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ClaimTemplate {
    size: String,
}

#[derive(Debug, Deserialize)]
struct Claim {
    #[allow(dead_code)]
    name: String,
    size: String,
}

#[derive(Debug, Deserialize)]
struct Totals {
    baseline: Total,
    peak: Total,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
struct Total {
    pods: i64,
    cpu_requests_m: i64,
    memory_requests_bytes: i64,
    cpu_limits_m: i64,
    memory_limits_bytes: i64,
    storage_bytes: i64,
}

#[derive(Debug, Deserialize)]
struct Keys {
    reads: Vec<String>,
    #[serde(default)]
    dead: Vec<String>,
}

fn q(s: &str) -> Quantity {
    s.parse()
        .unwrap_or_else(|e| panic!("record holds a bad quantity {s:?}: {e}"))
}

/// One container's [requests cpu, requests memory, limits cpu, limits memory]: a request left
/// out is its limit (Kubernetes' defaulting), a limit left out is 0.
fn container_figures(c: &Container) -> [i64; 4] {
    let get = |m: &BTreeMap<String, String>, k: &str| m.get(k).map(|s| q(s));
    let lc = get(&c.limits, "cpu");
    let lm = get(&c.limits, "memory");
    let rc = get(&c.requests, "cpu").or(lc);
    let rm = get(&c.requests, "memory").or(lm);
    [
        rc.map_or(0, |x| x.milli_value()),
        rm.map_or(0, |x| x.value()),
        lc.map_or(0, |x| x.milli_value()),
        lm.map_or(0, |x| x.value()),
    ]
}

/// One pod's requests and limits as Kubernetes counts them (resourcehelper `PodRequests` /
/// `PodLimits`): the containers add up; each init container runs alone beside the restartable
/// init containers started before it (which run beside the containers too); the pod takes the
/// larger, figure by figure.
fn pod_figures(w: &Workload) -> [i64; 4] {
    let restartable = w
        .init_containers
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .count();
    assert!(
        restartable == 0 || w.init_containers.len() == 1,
        "{}: the record's init containers are sorted by name; with a restartable one among \
         several, their order in the pod matters (record it)",
        w.name
    );
    let mut running = [0i64; 4];
    for c in &w.containers {
        let f = container_figures(c);
        (0..4).for_each(|k| running[k] += f[k]);
    }
    let mut sidecars = [0i64; 4];
    let mut peak = [0i64; 4];
    for c in &w.init_containers {
        let f = container_figures(c);
        for k in 0..4 {
            if c.restart_policy.as_deref() == Some("Always") {
                running[k] += f[k];
                sidecars[k] += f[k];
                peak[k] = peak[k].max(sidecars[k]);
            } else {
                peak[k] = peak[k].max(f[k] + sidecars[k]);
            }
        }
        let _ = &c.name;
    }
    [0, 1, 2, 3].map(|k| running[k].max(peak[k]))
}

fn records() -> Vec<(PathBuf, Record)> {
    let mut out = Vec::new();
    let dir = data_dir();
    let mut charts: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/real-helm exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "cases"))
        .collect();
    charts.sort();
    for c in charts {
        let files = record_files(&c);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let r: Record =
                serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            out.push((f, r));
        }
    }
    out
}

fn configure(catalog: &Catalog, r: &Record) -> Configuration {
    records::configure(catalog, &r.chart, &r.case, &r.config)
}

fn plan_totals(p: &Plan) -> (Total, Total) {
    let t = |x: &tonnage_core::plan::Total| Total {
        pods: x.replicas,
        cpu_requests_m: x.requests.cpu_millicores,
        memory_requests_bytes: x.requests.memory_bytes,
        cpu_limits_m: x.limits.cpu_millicores,
        memory_limits_bytes: x.limits.memory_bytes,
        storage_bytes: x.storage_bytes,
    };
    (t(&p.totals.baseline), t(&p.totals.peak))
}

/// Differences between a record and the plan of its configuration, one line each.
fn differences(catalog: &Catalog, r: &Record) -> Vec<String> {
    let mut out = Vec::new();
    let config = configure(catalog, r);
    let p = plan(catalog, &config);
    let chart = catalog.chart(&r.chart).unwrap();
    let values = config.effective_values(chart);
    let mut matched = Vec::new();
    for w in &r.workloads {
        let comp = chart.components.iter().find(|c| {
            c.workload_name(&values) == Some(w.name.as_str()) && c.kind.as_str() == w.kind
        });
        let Some(comp) = comp else {
            out.push(format!(
                "{} {}/{} (release {}) is rendered but no component plans it",
                r.case, w.kind, w.name, w.release
            ));
            continue;
        };
        matched.push(comp.id.clone());
        let cp = p.components.iter().find(|c| c.id == comp.id).unwrap();
        let replicas = w.replicas.unwrap_or(1);
        let (base, peak) = match &w.hpa {
            Some(h) => (h.min, h.max),
            None => (replicas, replicas),
        };
        if (cp.replicas.baseline, cp.replicas.peak) != (base, peak) {
            out.push(format!(
                "{} {}: replicas plan {}/{}, real {base}/{peak}",
                r.case, comp.id, cp.replicas.baseline, cp.replicas.peak
            ));
        }
        let [rc, rm, lc, lm] = pod_figures(w);
        let planned = [
            cp.requests.cpu_millicores,
            cp.requests.memory_bytes,
            cp.limits.cpu_millicores,
            cp.limits.memory_bytes,
        ];
        if planned != [rc, rm, lc, lm] {
            out.push(format!(
                "{} {}: per pod requests/limits plan {planned:?}, real {:?}",
                r.case,
                comp.id,
                [rc, rm, lc, lm]
            ));
        }
        let per_replica: i64 = w.claim_templates.iter().map(|c| q(&c.size).value()).sum();
        if cp.storage_bytes != per_replica {
            out.push(format!(
                "{} {}: storage per replica plan {}, real {per_replica}",
                r.case, comp.id, cp.storage_bytes
            ));
        }
    }
    for cp in p.components.iter().filter(|c| !matched.contains(&c.id)) {
        if cp.replicas.baseline != 0 || cp.replicas.peak != 0 {
            out.push(format!(
                "{} {}: planned with {} replicas, but real Helm renders no {}",
                r.case,
                cp.id,
                cp.replicas.baseline,
                chart
                    .component(&cp.id)
                    .and_then(|c| c.workload.clone())
                    .unwrap_or_else(|| "workload (the component names none)".into())
            ));
        }
    }
    let claims: i64 = r.claims.iter().map(|c| q(&c.size).value()).sum();
    let planned_claims: i64 = p.volumes.iter().map(|v| v.storage_bytes).sum();
    if claims != planned_claims {
        out.push(format!(
            "{}: standalone claims plan {planned_claims} bytes, real {claims}",
            r.case
        ));
    }
    let (b, k) = plan_totals(&p);
    if b != r.totals.baseline {
        out.push(format!(
            "{}: baseline plan {b:?}, real {:?}",
            r.case, r.totals.baseline
        ));
    }
    if k != r.totals.peak {
        out.push(format!(
            "{}: peak plan {k:?}, real {:?}",
            r.case, r.totals.peak
        ));
    }
    out
}

#[test]
fn the_plan_is_what_real_helm_renders() {
    let catalog = Catalog::builtin();
    let records = records();
    assert!(
        !records.is_empty(),
        "no records in {}",
        data_dir().display()
    );
    let mut failures = Vec::new();
    let mut per_chart: BTreeMap<String, usize> = BTreeMap::new();
    for (path, r) in &records {
        assert_eq!(
            path.file_stem().and_then(|s| s.to_str()),
            Some(r.case.as_str()),
            "{}",
            path.display()
        );
        *per_chart.entry(r.chart.clone()).or_default() += 1;
        for d in differences(catalog, r) {
            failures.push(format!("{}: {d}", r.chart));
        }
    }
    println!("records checked per chart: {per_chart:?}");
    assert!(
        failures.is_empty(),
        "{} differences between the plan and real Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Leaf paths of a values tree as Helm merges it (maps walked; lists and scalars whole).
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, child) in m {
                let key = k
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{k:?}"));
                // Keys written as values paths write them (a `.` inside a key escaped).
                let mut next = at.clone();
                if !next.is_empty() {
                    next.push('.');
                }
                tonnage_core::values::push_key(&mut next, &key);
                leaves(child, next, out);
            }
        }
        _ if !at.is_empty() => out.push(at),
        _ => {}
    }
}

fn covers(prefix: &str, path: &str) -> bool {
    path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'.'))
}

#[test]
fn every_key_the_bundle_writes_is_read_by_the_chart() {
    let catalog = Catalog::builtin();
    let mut failures = Vec::new();
    for (_, r) in records() {
        // A stack deployed from raw manifests (caracal) installs no values file: the bundle keeps
        // the chart's values file, unused, for when the chart renders the stack (issue 20), and
        // its overlay's figures are checked by the records themselves.
        if catalog.chart(&r.chart).is_some_and(|c| c.is_kustomize()) {
            continue;
        }
        let keys_file = data_dir().join(&r.chart).join("keys.yaml");
        let Ok(text) = std::fs::read_to_string(&keys_file) else {
            failures.push(format!("{}: no keys.yaml", r.chart));
            continue;
        };
        let keys: Keys = serde_yaml::from_str(&text).unwrap();
        let config = configure(catalog, &r);
        let chart = catalog.chart(&r.chart).unwrap();
        for f in values_bundle(catalog, &config, &BundleOptions::default()) {
            if !f.path.ends_with(".yaml") || f.path == "helmfile.yaml" || !f.path.contains('/') {
                continue;
            }
            let Ok(tree) = serde_yaml::from_str::<Value>(&f.contents) else {
                failures.push(format!("{}: {} is not YAML", r.case, f.path));
                continue;
            };
            // A release of its own (`<chart>-<key>/...`) writes that subchart's keys.
            let dir = f.path.split('/').next().unwrap_or_default();
            let prefix = chart
                .subcharts
                .iter()
                .find(|s| s.release && dir == format!("{}-{}", chart.id, s.key))
                .map(|s| s.key.clone());
            let mut written = Vec::new();
            leaves(&tree, String::new(), &mut written);
            for w in written {
                let path = match &prefix {
                    Some(p) => format!("{p}.{w}"),
                    None => w,
                };
                let read = keys
                    .reads
                    .iter()
                    .any(|k| covers(k, &path) || covers(&path, k));
                if !read {
                    failures.push(format!(
                        "{}/{}: {} writes {path}, which no template reads",
                        r.chart, r.case, f.path
                    ));
                }
            }
        }
    }
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `moved` and `removed` name paths of earlier catalogs: never a key the chart's templates read
/// (share links migrate them whether or not the chart still has the key).
#[test]
fn old_paths_are_never_keys_the_chart_reads() {
    let catalog = Catalog::builtin();
    let mut failures = Vec::new();
    for chart in &catalog.charts {
        let Ok(text) = std::fs::read_to_string(data_dir().join(&chart.id).join("keys.yaml")) else {
            continue;
        };
        let keys: Keys = serde_yaml::from_str(&text).unwrap();
        let old = chart
            .moved
            .iter()
            .map(|m| &m.from)
            .chain(chart.removed.iter().map(|r| &r.path));
        for p in old {
            if let Some(k) = keys.reads.iter().find(|k| covers(k, p) || covers(p, k)) {
                failures.push(format!("{}: old path {p} is the read key {k}", chart.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The chart audit reads the probed key index embedded by `build.rs` (the dead-setting rule):
/// it is `keys.yaml` as recorded, for every chart that has one, and nothing for the others.
#[test]
fn the_audit_embeds_every_probed_key_index() {
    let catalog = Catalog::builtin();
    for chart in &catalog.charts {
        let embedded = chart.audit_facts().keys;
        match std::fs::read_to_string(data_dir().join(&chart.id).join("keys.yaml")) {
            Ok(text) => {
                let keys: Keys = serde_yaml::from_str(&text).unwrap();
                let e = embedded.unwrap_or_else(|| panic!("{}: no keys", chart.id));
                assert_eq!(
                    (&e.reads, &e.dead),
                    (&keys.reads, &keys.dead),
                    "{}",
                    chart.id
                );
            }
            Err(_) => assert!(embedded.is_none(), "{}", chart.id),
        }
    }
}
