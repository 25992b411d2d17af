//! Core benchmarks (divan): how long each step of the core takes for every chart, for all five
//! charts together, and for synthetic charts of 10, 100 and 1,000 components generated here (so
//! the growth with size shows: it should be linear).
//!
//! Run with `cargo bench -p tonnage-core --bench core` (or `scripts/bench`, which also runs the
//! browser benchmark). Figures, not pass/fail: BENCHMARKS.md records them and the budgets.
//!
//! Each case is a chart id, `all` (the five charts in one configuration, as the page shows them
//! when every stack is ticked), or `synthetic-N`. Real charts use their `prod` preset with every
//! component's replicas overridden (so share links and values diffs carry something);
//! synthetic charts their `prod` preset, with every component's replicas overridden too.
//! `all_presets` is the budget figure: values bundle plus manifests for all 17 chart x
//! environment presets, natively, in one go.

use std::sync::OnceLock;
use std::time::Duration;

use divan::{black_box, Bencher};
use serde_yaml::Value;
use tonnage_core::archive::{tar_gz, zip, OutFile};
use tonnage_core::bundle::{values_bundle, BundleOptions};
use tonnage_core::catalog::{parse_chart, FILES};
use tonnage_core::manifests::{multi_doc_files, render};
use tonnage_core::{plan, share, Catalog, Configuration};

fn main() {
    divan::Divan::default()
        .sample_count(30)
        .max_time(Duration::from_millis(800))
        .config_with_args()
        .main();
}

const CASES: &[&str] = &[
    "cauldron-infra",
    "cauldron-frappe",
    "rhesis",
    "caracal",
    "rae-memory",
    "all",
    "synthetic-10",
    "synthetic-100",
    "synthetic-1000",
];

/// A synthetic chart of `n` components, written as catalog YAML so that loading it runs the
/// real parser and validation. Components vary like real ones: every third autoscales, every
/// fourth is a StatefulSet with a claim per replica, every fifth names an image in values; each
/// depends on the one before. Two environments overlay replicas and resources.
pub fn synthetic_yaml(n: usize) -> String {
    let mut y = String::new();
    y.push_str(&format!(
        "id: synthetic\nname: Synthetic {n}\nsummary: A generated chart of {n} components for benchmarks.\n\
         source: crates/tonnage-core/benches/core.rs\nchart:\n  name: synthetic\n  version: \"1.0.0\"\n\
         \x20 repository: https://charts.example.com\n  namespace: synthetic\n"
    ));
    y.push_str("values:\n  global:\n    imagePullPolicy: IfNotPresent\n");
    for i in 0..n {
        let c = format!("c{i:04}");
        y.push_str(&format!(
            "  {c}:\n    enabled: true\n    replicas: {}\n    resources:\n      requests:\n        cpu: \"{}m\"\n        memory: \"{}Mi\"\n      limits:\n        cpu: \"{}m\"\n        memory: \"{}Mi\"\n",
            1 + i % 3,
            100 + (i % 7) * 50,
            128 + (i % 5) * 64,
            200 + (i % 7) * 100,
            256 + (i % 5) * 128
        ));
        if i % 3 == 0 {
            y.push_str(&format!(
                "    autoscaling:\n      enabled: true\n      minReplicas: {}\n      maxReplicas: {}\n      targetCPUUtilizationPercentage: 70\n",
                1 + i % 2,
                4 + i % 5
            ));
        }
        if i % 4 == 0 {
            y.push_str(&format!(
                "    persistence:\n      enabled: true\n      size: \"{}Gi\"\n",
                1 + i % 10
            ));
        }
        if i % 5 == 0 {
            y.push_str(&format!(
                "    image:\n      repository: example/{c}\n      tag: \"1.{i}\"\n"
            ));
        }
    }
    y.push_str("environments:\n");
    for (env, factor) in [("dev", 1), ("prod", 2)] {
        y.push_str(&format!(
            "  - id: {env}\n    name: {env}\n    summary: generated\n    values:\n"
        ));
        for i in (0..n).step_by(2) {
            y.push_str(&format!(
                "      c{i:04}:\n        replicas: {}\n        resources:\n          requests:\n            memory: \"{}Mi\"\n",
                factor * (1 + i % 3),
                factor * 256
            ));
        }
    }
    y.push_str("components:\n");
    for i in 0..n {
        let c = format!("c{i:04}");
        let stateful = i % 4 == 0;
        y.push_str(&format!(
            "  - id: {c}\n    name: Component {i}\n    role: {}\n    summary: generated component {i}\n\
             \x20   kind: {}\n    image: example/{c}:1.0\n    security:\n      run_as_user: 1000\n      fs_group: 1000\n\
             \x20     read_only_root_filesystem: true\n      writable_paths: [/tmp]\n\
             \x20   ports:\n      - {{ name: http, port: {} }}\n\
             \x20   probes:\n      liveness: {{ http_get: /healthz, port: http }}\n      readiness: {{ tcp_socket: http }}\n",
            if stateful { "database" } else { "app" },
            if stateful { "StatefulSet" } else { "Deployment" },
            8000 + i % 1000
        ));
        if i > 0 {
            y.push_str(&format!("    depends_on: [c{:04}]\n", i - 1));
        }
        y.push_str(&format!(
            "    persistence: {}\n    values:\n      enabled: {c}.enabled\n      replicas: {c}.replicas\n      resources: {c}.resources\n",
            if stateful { "per-replica" } else { "none" }
        ));
        if i % 3 == 0 {
            y.push_str(&format!("      autoscaling: {c}.autoscaling\n"));
        }
        if stateful {
            y.push_str(&format!("      persistence: {c}.persistence\n"));
        }
        if i % 5 == 0 {
            y.push_str(&format!("      image: {c}.image\n"));
        }
    }
    // Each dependency can be switched off, so the catalog needs a connection for it.
    if n > 1 {
        y.push_str("connections:\n");
        for i in 0..n - 1 {
            y.push_str(&format!(
                "  - target: c{i:04}\n    unsupported: generated chart, no address key\n"
            ));
        }
    }
    y
}

/// What a case benchmarks on: its catalog, its configuration, the files it generates and its
/// share link.
struct Fixture {
    catalog: &'static Catalog,
    /// (file name, text) the catalog is loaded from.
    files: Vec<(String, String)>,
    config: Configuration,
    outputs: Vec<OutFile>,
    link: String,
}

fn build_fixture(case: &str) -> Fixture {
    let (catalog, files, stacks): (&'static Catalog, Vec<(String, String)>, Vec<String>) =
        if let Some(n) = case.strip_prefix("synthetic-") {
            let n: usize = n.parse().expect("synthetic-<n>");
            let text = synthetic_yaml(n);
            let files = vec![("synthetic.yaml".to_string(), text)];
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let catalog = Catalog::load(&refs).unwrap_or_else(|e| panic!("synthetic chart: {e}"));
            (
                Box::leak(Box::new(catalog)),
                files,
                vec!["synthetic".into()],
            )
        } else {
            let builtin = Catalog::builtin();
            let ids: Vec<String> = if case == "all" {
                builtin.charts.iter().map(|c| c.id.clone()).collect()
            } else {
                vec![case.to_string()]
            };
            let files = FILES
                .iter()
                .filter(|(f, _)| ids.iter().any(|id| format!("{id}.yaml") == *f))
                .map(|(f, t)| (f.to_string(), t.to_string()))
                .collect();
            (builtin, files, ids)
        };
    let ids: Vec<&str> = stacks.iter().map(String::as_str).collect();
    let mut config = Configuration::new(catalog, &ids, "prod").expect("prod preset");
    for id in &ids {
        let chart = catalog.chart(id).expect("chart");
        for c in &chart.components {
            if let Some(path) = &c.values.replicas {
                config
                    .set(catalog, id, path, Value::from(3))
                    .unwrap_or_else(|e| panic!("{id} {path}: {e}"));
            }
        }
    }
    let outputs = generate(catalog, &config);
    let link = share::encode(catalog, &config);
    Fixture {
        catalog,
        files,
        config,
        outputs,
        link,
    }
}

/// Every file the app previews and downloads: the values bundle and one manifest stream per
/// chart.
fn generate(catalog: &Catalog, config: &Configuration) -> Vec<OutFile> {
    let mut files = values_bundle(catalog, config, &BundleOptions::default());
    files.extend(multi_doc_files(&render(catalog, config)));
    files
}

/// The case's fixture, built on first use (so running one benchmark builds only its cases).
fn fixture(case: &str) -> &'static Fixture {
    static ALL: [OnceLock<Fixture>; 9] = [const { OnceLock::new() }; 9];
    let i = CASES.iter().position(|c| *c == case).expect("a known case");
    ALL[i].get_or_init(|| build_fixture(case))
}

#[divan::bench(args = CASES)]
fn catalog_load(b: Bencher, case: &str) {
    let f = fixture(case);
    let refs: Vec<(&str, &str)> = f
        .files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    if refs.len() == 1 && !case.starts_with("synthetic") {
        // One builtin chart: its cross-chart checks need the others, so parse and check it alone.
        b.bench(|| parse_chart(black_box(refs[0].0), black_box(refs[0].1)).expect("chart"));
    } else {
        b.bench(|| Catalog::load(black_box(&refs)).expect("catalog"));
    }
}

#[divan::bench(name = "plan", args = CASES)]
fn plan_(b: Bencher, case: &str) {
    let f = fixture(case);
    b.bench(|| plan(f.catalog, black_box(&f.config)));
}

/// One edit as the page makes it: a replica count changed, then the plan and the effective
/// values recomputed.
#[divan::bench(args = CASES)]
fn edit(b: Bencher, case: &str) {
    let f = fixture(case);
    let stack = f.config.stacks[0].clone();
    let chart = f.catalog.chart(&stack).expect("chart");
    let path = chart
        .components
        .iter()
        .find_map(|c| c.values.replicas.clone())
        .expect("a replicas path");
    let mut n = 0i64;
    b.bench_local(|| {
        n = (n + 1) % 5;
        let mut c = f.config.clone();
        c.set(f.catalog, &stack, &path, Value::from(n + 1))
            .expect("set");
        let p = plan(f.catalog, &c);
        let v: Vec<Value> = c
            .stacks
            .iter()
            .filter_map(|s| f.catalog.chart(s))
            .map(|ch| c.effective_values(ch))
            .collect();
        (p, v)
    });
}

#[divan::bench(args = CASES)]
fn values_rendering(b: Bencher, case: &str) {
    let f = fixture(case);
    let opts = BundleOptions::default();
    b.bench(|| values_bundle(f.catalog, black_box(&f.config), &opts));
}

#[divan::bench(args = CASES)]
fn manifest_rendering(b: Bencher, case: &str) {
    let f = fixture(case);
    b.bench(|| multi_doc_files(&render(f.catalog, black_box(&f.config))));
}

#[divan::bench(args = CASES)]
fn archive_zip(b: Bencher, case: &str) {
    let f = fixture(case);
    b.bench(|| zip(black_box(&f.outputs)));
}

#[divan::bench(args = CASES)]
fn archive_tar_gz(b: Bencher, case: &str) {
    let f = fixture(case);
    b.bench(|| tar_gz(black_box(&f.outputs)));
}

#[divan::bench(args = CASES)]
fn link_encode(b: Bencher, case: &str) {
    let f = fixture(case);
    b.bench(|| share::encode(f.catalog, black_box(&f.config)));
}

#[divan::bench(args = CASES)]
fn link_decode(b: Bencher, case: &str) {
    let f = fixture(case);
    b.bench(|| share::decode(f.catalog, black_box(&f.link)).expect("decode"));
}

/// The budget figure: values bundle and manifests of every chart x environment preset (17).
#[divan::bench]
fn all_presets(b: Bencher) {
    let catalog = Catalog::builtin();
    let configs: Vec<Configuration> = catalog
        .charts
        .iter()
        .flat_map(|ch| {
            ch.environments.iter().map(move |e| {
                Configuration::new(catalog, &[ch.id.as_str()], &e.id).expect("preset")
            })
        })
        .collect();
    assert_eq!(configs.len(), 17, "chart x environment presets");
    b.bench(|| {
        configs
            .iter()
            .map(|c| generate(catalog, black_box(c)).len())
            .sum::<usize>()
    });
}

/// What the page derives from the configuration after one edit, step by step (the real charts
/// and `all`): where an edit's time goes before the DOM.
mod per_edit {
    use super::*;
    use tonnage_core::manifests::{multi_doc, render_stack};
    use tonnage_core::{config, diagram, review, textdiff};

    const CASES: &[&str] = &["cauldron-infra", "all"];

    #[divan::bench(args = CASES)]
    fn effective_values(b: Bencher, case: &str) {
        let f = fixture(case);
        b.bench(|| {
            f.config
                .stacks
                .iter()
                .filter_map(|s| f.catalog.chart(s))
                .map(|ch| f.config.effective_values(ch))
                .collect::<Vec<_>>()
        });
    }

    #[divan::bench(args = CASES)]
    fn field_problems(b: Bencher, case: &str) {
        let f = fixture(case);
        b.bench(|| config::field_problems(f.catalog, black_box(&f.config)));
    }

    #[divan::bench(args = CASES)]
    fn review(b: Bencher, case: &str) {
        let f = fixture(case);
        b.bench(|| review::review(f.catalog, black_box(&f.config)));
    }

    #[divan::bench(args = CASES)]
    fn diagram(b: Bencher, case: &str) {
        let f = fixture(case);
        let p = plan(f.catalog, &f.config);
        b.bench(|| diagram::layout(f.catalog, black_box(&f.config), &p));
    }

    #[divan::bench(args = CASES)]
    fn autosave_json(b: Bencher, case: &str) {
        let f = fixture(case);
        b.bench(|| serde_json::to_string(black_box(&f.config)).expect("json"));
    }

    /// The Files preview of cauldron-infra's manifests: that chart rendered, and diffed
    /// against the preset's text.
    #[divan::bench(args = CASES)]
    fn preview_manifests(b: Bencher, case: &str) {
        let f = fixture(case);
        let mut preset = f.config.clone();
        preset.overrides.clear();
        let old = multi_doc(&render_stack(f.catalog, &preset, "cauldron-infra"));
        b.bench(|| {
            let new = multi_doc(&render_stack(
                f.catalog,
                black_box(&f.config),
                "cauldron-infra",
            ));
            textdiff::changed_lines(&old, &new)
        });
    }
}
