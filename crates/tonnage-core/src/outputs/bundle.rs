//! The values bundle: what a configuration deploys, as files Helm and helmfile read, for the real
//! charts (the catalog's `real_chart`: repository, commit, folder).
//!
//! For each chart of the configuration (catalog order):
//! - `<chart>/values-<env>.yaml`: only what the environment preset and the user's overrides
//!   change from the chart's own `values.yaml` (which the chart has; the bundle never writes
//!   over it), as a structural diff such that Helm's merge (maps key by key, lists whole, `null`
//!   deletes a default: shared/reference/sizing-facts.md, "Helm merges values files left to
//!   right") gives the configuration's effective values. Where the preset is the chart's own
//!   environment file (`values-prod.yaml` in the chart folder), install.sh applies that file from
//!   the chart checkout first and the diff is from it. Keys no template reads (`dead`) are never
//!   written.
//! - `<chart>-<key>/values-<env>.yaml` for a subchart installed as a release of its own
//!   (`subcharts[].release`: rae-memory's PostgreSQL, Redis and Qdrant): that subtree whole.
//! - For a chart deployed from raw manifests (`real_chart.deploy: kustomize`): the overlay
//!   ([`crate::outputs::kustomize`]); its values file stays for when the chart renders the stack.
//!
//! Then `helmfile.yaml` and `install.sh` (the same releases in dependency order, `requires`
//! first) and a `README.md` with the plan's totals, the assumptions, how to install and the
//! Secrets the values reference.
//!
//! YAML is written by [`to_yaml`], a small block-style emitter that quotes every string a YAML 1.1
//! reader (Helm's sigs.k8s.io/yaml) could take for something else (`yes`, `on`, `0755`, `1e3`...),
//! so each file means the same to Helm as to the core. No randomness: generated passwords come
//! from the caller ([`BundleOptions::passwords`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_yaml::{Mapping, Value};

use crate::base::archive::OutFile;
use crate::base::values::{parse_path, set_path};
use crate::base::values_diff::{diff_yaml, values_diff};
use crate::base::yaml::node::{Key, Node};
use crate::base::yaml::to_yaml;
use crate::compute::plan;
use crate::configuration::config::Configuration;
pub use crate::configuration::credentials::credential_paths;
use crate::model::catalog::{Catalog, Chart};

mod readme;

/// Choices for [`values_bundle`] that are not part of the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleOptions {
    /// (chart id, values path) -> a password the caller generated (the browser uses
    /// `crypto.getRandomValues`, only when the user asks). Applied on top of the effective values
    /// when the path is one of [`credential_paths`]; anything else is ignored.
    pub passwords: BTreeMap<(String, String), String>,
}

/// Helm repositories the guides name (`helm repo add`), by chart id: (repo name, URL, where).
/// Local charts with Bitnami subcharts need the Bitnami repository to build their dependencies.
const GUIDE_REPOS: &[(&str, &str, &str)] = &[
    // seed 000, "Installation": helm repo add bitnami https://charts.bitnami.com/bitnami
    (
        "cauldron-infra",
        "bitnami",
        "https://charts.bitnami.com/bitnami",
    ),
    // seed 001, "Installation": the same Bitnami repository (common helpers)
    (
        "cauldron-frappe",
        "bitnami",
        "https://charts.bitnami.com/bitnami",
    ),
    // The guides of caracal (seed 003) and rae-memory (seed 004) add repositories
    // (charts.caracal.dev, charts.rae.memory) that serve no chart the catalog was checked
    // against: those stacks install from a checkout of their repository at the catalog's commit.
];

/// Text for a comment line: one line, no control characters.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The bundle

/// The charts of the configuration in catalog order (unknown ids skipped, no duplicates).
fn charts_of<'a>(catalog: &'a Catalog, config: &Configuration) -> Vec<&'a Chart> {
    catalog
        .charts
        .iter()
        .filter(|c| config.stacks.contains(&c.id))
        .collect()
}

/// Install order: a chart after the charts it `requires` (those in the configuration), catalog
/// order otherwise. A cycle (not in a valid catalog) falls back to catalog order.
fn install_order<'a>(charts: &[&'a Chart]) -> Vec<&'a Chart> {
    let mut left: Vec<&Chart> = charts.to_vec();
    let mut done: Vec<&Chart> = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left.iter().position(|c| {
            c.requires
                .iter()
                .all(|r| done.iter().any(|d| d.id == *r) || !charts.iter().any(|o| o.id == *r))
        });
        done.push(left.remove(ready.unwrap_or(0)));
    }
    done
}

/// A file-name-safe form of an environment id (catalog ids already are).
fn file_safe(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if t.is_empty() {
        "env".into()
    } else {
        t
    }
}

/// How to refer to a chart: (`chart:` for helmfile relative to the bundle folder, the chart for
/// `helm` in install.sh, repository to add). Local paths are the guide's, relative to the folder
/// the guide runs `helm install` from, which holds the bundle folder.
struct ChartRef {
    /// As the catalog gives it (`caracal/caracal` for a repository chart).
    given: String,
    helmfile: String,
    shell: String,
    local: bool,
    repo: Option<(String, String)>,
}

fn chart_ref(chart: &Chart) -> ChartRef {
    let repo_url = chart.chart.repository.clone().unwrap_or_default();
    let remote = repo_url.contains("://");
    if remote {
        let name = GUIDE_REPOS
            .iter()
            .find(|(_, _, url)| *url == repo_url)
            .map(|(_, n, _)| n.to_string())
            .unwrap_or_else(|| repo_name_from_url(&repo_url, &chart.id));
        let r = format!("{name}/{}", chart.chart.name);
        return ChartRef {
            given: r.clone(),
            helmfile: r.clone(),
            shell: sh_quote(&r),
            local: false,
            repo: Some((name, repo_url)),
        };
    }
    let given = if repo_url.is_empty() {
        format!("./{}", chart.chart.name)
    } else {
        repo_url
    };
    if given.starts_with('/') {
        return ChartRef {
            given: given.clone(),
            helmfile: given.clone(),
            shell: sh_quote(&given),
            local: true,
            repo: None,
        };
    }
    let rel = given.strip_prefix("./").unwrap_or(&given).to_string();
    ChartRef {
        given,
        helmfile: format!("../{rel}"),
        shell: format!("\"$CHARTS_DIR\"/{}", sh_quote(&rel)),
        local: true,
        repo: None,
    }
}

/// A repository name from its URL when no guide names one: the first host label that is not
/// `charts`/`www`/`helm`, else the chart id.
fn repo_name_from_url(url: &str, fallback: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    host.split('.')
        .find(|l| !matches!(*l, "charts" | "www" | "helm" | ""))
        .filter(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| fallback.to_string())
}

/// Single-quote for sh unless the word is plainly safe.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// One chart's values, worked out once.
struct ChartValues<'a> {
    chart: &'a Chart,
    env_file: String,
    /// The chart's own values file for the environment (`values-prod.yaml` in the chart
    /// folder), applied before `env_file` when the preset is that file.
    chart_file: Option<String>,
    /// The releases of `release: true` subcharts that are switched on: (release name, key,
    /// values file).
    releases: Vec<(String, &'a crate::model::catalog::Subchart, String)>,
    /// Paths the user set that the bundle does not write: no template reads them.
    dropped: Vec<String>,
    effective: Cow<'a, Value>,
    /// [`credential_paths`] of `effective` (the same before and after the generated passwords
    /// are set: they replace strings at these paths, and the search looks only at keys, at the
    /// kind of their values and at the `existing*Secret` beside them).
    creds: Vec<String>,
    /// The keys of `effective` that name a Secret (the README's), found on the same walk as
    /// `creds` (the generated passwords change no such key).
    secret_hits: Vec<readme::SecretHit>,
    generated: Vec<String>,
    overrides: Vec<String>,
    /// External endpoints written into the values: "<target> = <endpoint> -> <paths>".
    endpoints: Vec<String>,
}

fn chart_values<'a>(
    chart: &'a Chart,
    config: &Configuration,
    opts: &BundleOptions,
) -> ChartValues<'a> {
    let mut effective = config.effective(chart);
    let mut secret_hits = Vec::new();
    let creds = crate::configuration::credentials::credential_paths_and(
        chart,
        &effective,
        |segs, key, v, parent| {
            secret_hits.extend(readme::secret_hit(chart, segs, key, v, parent));
        },
    );
    let mut generated = Vec::new();
    for ((id, path), pw) in &opts.passwords {
        if *id != chart.id || !creds.contains(path) {
            continue;
        }
        if let Ok(segs) = parse_path(path) {
            set_path(effective.to_mut(), &segs, Value::String(pw.clone()));
            generated.push(path.clone());
        }
    }
    let overrides = config
        .overrides
        .get(&chart.id)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let endpoints = crate::configuration::external::writes(chart, &config.options)
        .into_iter()
        .map(|(c, e, w)| {
            let paths: Vec<String> = w.into_iter().map(|(p, _)| p).collect();
            format!("{} = {e} -> {}", c.target, paths.join(", "))
        })
        .collect();
    let env = file_safe(&config.env);
    let chart_file = chart.environment(&config.env).and_then(|e| e.file.clone());
    let releases = chart
        .subcharts
        .iter()
        .filter(|s| s.release)
        .filter(|s| {
            s.enabled.as_deref().is_none_or(|p| {
                crate::base::values::lookup(&effective, p) != Some(&Value::Bool(false))
            })
        })
        .map(|s| {
            let name = format!("{}-{}", chart.id, s.key);
            let file = format!("{name}/values-{env}.yaml");
            (name, s, file)
        })
        .collect();
    let dropped = config
        .overrides
        .get(&chart.id)
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|p| chart.is_dead(p))
        .cloned()
        .collect();
    ChartValues {
        chart,
        env_file: format!("{}/values-{env}.yaml", chart.id),
        chart_file,
        releases,
        dropped,
        effective,
        creds,
        secret_hits,
        generated,
        overrides,
        endpoints,
    }
}

/// `tree` without what the chart's own values file must not get: the keys no template reads
/// (`dead`) and the subtrees installed as releases of their own. The rule [`chart_file_yaml`]
/// follows without copying the trees; tests check the files against it.
#[cfg(test)]
fn writable(chart: &Chart, tree: &Value) -> Value {
    let mut t = tree.clone();
    for p in chart.dead.iter().map(String::as_str).chain(
        chart
            .subcharts
            .iter()
            .filter(|s| s.release)
            .map(|s| s.key.as_str()),
    ) {
        if let Ok(segs) = parse_path(p) {
            crate::base::values::remove_path(&mut t, &segs);
        }
    }
    t
}

/// The tree the chart's bundle file is a difference from: the chart's values, and the chart's
/// own environment file when the preset is that file (the install applies it first).
fn base_of<'c>(chart: &'c Chart, config: &Configuration) -> &'c Value {
    match chart.environment(&config.env) {
        Some(e) if e.file.is_some() => chart.preset(&config.env),
        _ => &chart.values,
    }
}

fn env_yaml(cv: &ChartValues<'_>, config: &Configuration) -> String {
    let chart = cv.chart;
    let mut out = String::new();
    match chart.environment(&config.env) {
        Some(env) => {
            let _ = writeln!(
                out,
                "# {} ({}): environment {} ({}).",
                comment_text(&chart.name),
                chart.id,
                env.id,
                comment_text(&env.name)
            );
            match &env.file {
                Some(f) => {
                    let _ = writeln!(
                        out,
                        "# Preset: the chart's own {}, applied first from the chart folder (-f <chart>/{} -f this file).",
                        comment_text(f),
                        comment_text(f)
                    );
                }
                None if !env.source.is_empty() => {
                    let _ = writeln!(
                        out,
                        "# Preset: the guide's figures in the chart's keys ({}).",
                        comment_text(&env.source)
                    );
                }
                None => {}
            }
        }
        None => {
            let _ = writeln!(
                out,
                "# {} ({}): the chart has no environment {:?}; no preset applied.",
                comment_text(&chart.name),
                chart.id,
                comment_text(&config.env)
            );
        }
    }
    let _ = writeln!(
        out,
        "# Only what differs from the chart's values.yaml{}. Helm merges the files in order: maps key by",
        if cv.chart_file.is_some() { " and that file" } else { "" }
    );
    let _ = writeln!(out, "# key, lists replaced whole, null deletes a default.");
    if cv.overrides.is_empty() && cv.endpoints.is_empty() {
        let _ = writeln!(
            out,
            "# Your overrides: none; everything below is the preset."
        );
    } else if cv.overrides.is_empty() {
        let _ = writeln!(out, "# Your overrides: none.");
    } else {
        let _ = writeln!(
            out,
            "# Your overrides ({}); everything else below is the preset:",
            cv.overrides.len()
        );
        for p in &cv.overrides {
            let _ = writeln!(out, "#   {}", comment_text(p));
        }
    }
    if !cv.dropped.is_empty() {
        let _ = writeln!(
            out,
            "# Not written ({}): no template of the chart reads them:",
            cv.dropped.len()
        );
        for p in &cv.dropped {
            let _ = writeln!(out, "#   {}", comment_text(p));
        }
    }
    if !cv.endpoints.is_empty() {
        let _ = writeln!(
            out,
            "# External endpoints ({}) replacing switched-off dependencies; everything else below is the preset:",
            cv.endpoints.len()
        );
        for e in &cv.endpoints {
            let _ = writeln!(out, "#   {}", comment_text(e));
        }
    }
    if !cv.generated.is_empty() {
        let _ = writeln!(
            out,
            "# Generated passwords ({}); keep this file private:",
            cv.generated.len()
        );
        for p in &cv.generated {
            let _ = writeln!(out, "#   {}", comment_text(p));
        }
    }
    let _ = writeln!(out, "# Generated by Tonnage.");
    out.push_str(&chart_file_yaml(
        chart,
        base_of(chart, config),
        &cv.effective,
    ));
    out
}

/// `diff_yaml(&writable(chart, base), &writable(chart, target))` without copying the two whole
/// trees: the difference is worked out first (it holds only what changed), then what the chart's
/// file must not get is taken out of it.
fn chart_file_yaml(chart: &Chart, base: &Value, target: &Value) -> String {
    let excluded = chart.dead.iter().map(String::as_str).chain(
        chart
            .subcharts
            .iter()
            .filter(|s| s.release)
            .map(|s| s.key.as_str()),
    );
    pruned_diff_yaml(base, target, excluded)
}

/// `to_yaml(&d)` of `d = values_diff(base, target)` after [`remove_pruning`] of each `excluded`
/// path (`{}` when nothing is left); the diff is built as [`Node`] entries, borrowing `target`.
fn pruned_diff_yaml<'p>(
    base: &Value,
    target: &Value,
    excluded: impl Iterator<Item = &'p str> + Clone,
) -> String {
    if excluded.clone().next().is_none() {
        return diff_yaml(base, target);
    }
    let mut d = match (base, target) {
        (Value::Mapping(b), Value::Mapping(t)) => crate::base::values_diff::diff_entries(b, t),
        // The diff is the target whole.
        (_, Value::Mapping(t)) => t
            .iter()
            .map(|(k, v)| (Key::Value(k), Node::Val(v)))
            .collect(),
        // Not a map: nothing to take out.
        _ => return to_yaml(&values_diff(base, target)),
    };
    for p in excluded {
        if let Ok(segs) = parse_path(p) {
            remove_pruning(&mut d, &segs);
        }
    }
    if d.is_empty() {
        "{}\n".to_string()
    } else {
        crate::base::yaml::node::to_yaml(&Node::Map(d))
    }
}

/// Remove the map entry at `segs` and then each map on the way that the removal left empty
/// (a diff's branch whose only changes were taken out). Maps that were empty before stay. As
/// a `serde_yaml::Mapping` removes an entry: the last entry takes its place.
fn remove_pruning<'v>(m: &mut Vec<(Key<'v>, Node<'v>)>, segs: &[crate::base::values::Seg]) {
    use crate::base::values::Seg;
    let Some((Seg::Key(k), rest)) = segs.split_first() else {
        return;
    };
    let Some(i) = m
        .iter()
        .position(|(key, _)| matches!(key, Key::Value(Value::String(s)) if s == k))
    else {
        return;
    };
    if rest.is_empty() {
        m.swap_remove(i);
        return;
    }
    let child = &mut m[i].1;
    // A map the diff holds whole: its entries, to take one out.
    if let Node::Val(Value::Mapping(whole)) = child {
        if !whole.is_empty() {
            let whole: &'v Mapping = whole;
            *child = Node::Map(
                whole
                    .iter()
                    .map(|(k, v)| (Key::Value(k), Node::Val(v)))
                    .collect(),
            );
        }
    }
    let emptied = match child {
        Node::Map(c) if !c.is_empty() => {
            remove_pruning(c, rest);
            c.is_empty()
        }
        _ => false,
    };
    if emptied {
        m.swap_remove(i);
    }
}

/// The values file of a subchart installed as a release of its own: the whole subtree under its
/// key (the catalog holds only keys the subchart reads), without the switch that installs it.
fn release_yaml(
    cv: &ChartValues<'_>,
    sub: &crate::model::catalog::Subchart,
    config: &Configuration,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} ({}): the {} chart {} installed as its own release, {}-{} ({}).",
        comment_text(&cv.chart.name),
        cv.chart.id,
        comment_text(&sub.chart),
        comment_text(&sub.version),
        cv.chart.id,
        sub.key,
        comment_text(&config.env)
    );
    let _ = writeln!(
        out,
        "# The chart {} has no templates for it; these are the values under `{}` in Tonnage's",
        cv.chart.id, sub.key
    );
    let _ = writeln!(
        out,
        "# configuration, in that chart's own keys. Generated by Tonnage."
    );
    let generated: Vec<&String> = cv
        .generated
        .iter()
        .filter(|p| crate::model::catalog::path_covers(&sub.key, p))
        .collect();
    if !generated.is_empty() {
        let _ = writeln!(
            out,
            "# Generated passwords ({}); keep this file private:",
            generated.len()
        );
        for p in generated {
            let _ = writeln!(out, "#   {}", comment_text(p));
        }
    }
    let mut tree = crate::base::values::lookup(&cv.effective, &sub.key)
        .cloned()
        .unwrap_or(Value::Mapping(Mapping::new()));
    if let Value::Mapping(m) = &mut tree {
        m.remove("enabled");
    }
    // Keys the subchart's templates do not read (`dead`) are not written either.
    for d in &cv.chart.dead {
        if let Some(rest) = d.strip_prefix(&format!("{}.", sub.key)) {
            if let Ok(segs) = parse_path(rest) {
                crate::base::values::remove_path(&mut tree, &segs);
            }
        }
    }
    // Text the chart's authors wrote (a script...) is a placeholder in the catalog: never
    // written, or it would replace the real text.
    let mut left_out = Vec::new();
    drop_placeholders(&mut tree, &mut String::new(), &mut left_out);
    for p in &left_out {
        let _ = writeln!(
            out,
            "# Not written: {}.{p} is text of the chart's values.yaml that Tonnage does not copy; pass it",
            sub.key
        );
        let _ = writeln!(
            out,
            "#   from your checkout of {} if you need it.",
            cv.chart.id
        );
    }
    out.push_str(&to_yaml(&tree));
    out
}

/// Whether a catalog value is a placeholder for text the chart's authors wrote (`<source: what
/// it is>`), which the catalog does not copy.
fn is_placeholder(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() > 2 && s.starts_with('<') && s.ends_with('>'))
}

fn drop_placeholders(v: &mut Value, at: &mut String, out: &mut Vec<String>) {
    if let Value::Mapping(m) = v {
        let keys: Vec<Value> = m.keys().cloned().collect();
        for k in keys {
            let name = k.as_str().map(str::to_string).unwrap_or_default();
            let len = at.len();
            if !at.is_empty() {
                at.push('.');
            }
            crate::base::values::push_key(at, &name);
            let remove = m.get(&k).is_some_and(is_placeholder);
            if remove {
                m.remove(&k);
                out.push(at.clone());
            } else if let Some(child) = m.get_mut(&k) {
                drop_placeholders(child, at, out);
            }
            at.truncate(len);
        }
    }
}

fn helmfile_yaml(
    order: &[&ChartValues<'_>],
    releases_in_order: &[Release],
    config: &Configuration,
) -> String {
    let mut repos: Vec<(String, String)> = Vec::new();
    let mut add_repo = |name: &str, url: &str| {
        if !repos.iter().any(|(n, _)| n == name) {
            repos.push((name.to_string(), url.to_string()));
        }
    };
    for cv in order {
        for (id, name, url) in GUIDE_REPOS {
            if *id == cv.chart.id {
                add_repo(name, url);
            }
        }
        if let Some((n, u)) = chart_ref(cv.chart)
            .repo
            .filter(|_| !cv.chart.is_kustomize())
        {
            add_repo(&n, &u);
        }
        for (_, sub, _) in &cv.releases {
            if let Some(u) = &sub.repository {
                add_repo(&repo_name_from_url(u, &sub.chart), u);
            }
        }
    }
    let mut releases = Vec::new();
    for r in releases_in_order {
        let mut m = Mapping::new();
        m.insert("name".into(), r.name.clone().into());
        m.insert("namespace".into(), r.namespace.clone().into());
        m.insert("chart".into(), r.chart_helmfile.clone().into());
        m.insert("version".into(), r.version.clone().into());
        if !r.needs.is_empty() {
            m.insert(
                "needs".into(),
                Value::Sequence(r.needs.iter().map(|n| Value::from(n.clone())).collect()),
            );
        }
        if r.wait {
            // Releases that others need: wait until ready before installing those.
            m.insert("wait".into(), Value::Bool(true));
        }
        m.insert(
            "values".into(),
            Value::Sequence(
                r.values
                    .iter()
                    .map(|(h, _)| Value::from(h.clone()))
                    .collect(),
            ),
        );
        releases.push(Value::Mapping(m));
    }
    let mut top = Mapping::new();
    if !repos.is_empty() {
        top.insert(
            "repositories".into(),
            Value::Sequence(
                repos
                    .into_iter()
                    .map(|(n, u)| {
                        let mut m = Mapping::new();
                        m.insert("name".into(), n.into());
                        m.insert("url".into(), u.into());
                        Value::Mapping(m)
                    })
                    .collect(),
            ),
        );
    }
    top.insert("releases".into(), Value::Sequence(releases));

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# helmfile for {} ({}). Generated by Tonnage. Run from this folder: helmfile apply",
        comment_text(&config.stacks.join(" + ")),
        comment_text(&config.env)
    );
    if order.iter().any(|cv| chart_ref(cv.chart).local) {
        let _ = writeln!(
            out,
            "# Local charts are the guides' paths, taken from the folder that holds this bundle's folder"
        );
        let _ = writeln!(
            out,
            "# (helmfile resolves them relative to this file); edit chart: if yours are elsewhere."
        );
    }
    for cv in order {
        for req in &cv.chart.requires {
            if !order.iter().any(|o| o.chart.id == *req) {
                let _ = writeln!(
                    out,
                    "# {} requires {}, which is not in this bundle: install it first.",
                    cv.chart.id,
                    comment_text(req)
                );
            }
        }
    }
    out.push_str(&to_yaml(&Value::Mapping(top)));
    out
}

/// One `helm upgrade --install` of the bundle (a helmfile release).
struct Release {
    name: String,
    title: String,
    namespace: String,
    chart_helmfile: String,
    chart_shell: String,
    version: String,
    local: bool,
    /// Values files in order: (helmfile path relative to the bundle, install.sh word).
    values: Vec<(String, String)>,
    /// helmfile `needs`: `<namespace>/<release>`.
    needs: Vec<String>,
    wait: bool,
}

/// The releases of the bundle in install order: per chart, the subcharts it installs as
/// releases of their own, then the chart itself (which needs them).
fn releases_of(order: &[&ChartValues<'_>]) -> Vec<Release> {
    let required = required_in(order);
    let mut out = Vec::new();
    for cv in order {
        let chart = cv.chart;
        if chart.is_kustomize() {
            // Raw manifests with an overlay: not a Helm release (install.sh builds it).
            continue;
        }
        let ns = chart.chart.namespace.clone();
        let mut own_needs = Vec::new();
        for (name, sub, file) in &cv.releases {
            let repo = sub
                .repository
                .as_deref()
                .map(|u| repo_name_from_url(u, &sub.chart))
                .unwrap_or_else(|| sub.chart.clone());
            let r = format!("{repo}/{}", sub.chart);
            out.push(Release {
                name: name.clone(),
                title: format!("{} for {}", sub.chart, chart.name),
                namespace: ns.clone(),
                chart_shell: sh_quote(&r),
                chart_helmfile: r,
                version: sub.version.clone(),
                local: false,
                values: vec![(file.clone(), format!("\"$BUNDLE_DIR\"/{}", sh_quote(file)))],
                needs: Vec::new(),
                wait: true,
            });
            own_needs.push(format!("{ns}/{name}"));
        }
        let r = chart_ref(chart);
        let mut values = Vec::new();
        if let Some(f) = &cv.chart_file {
            values.push((
                format!("{}/{f}", r.helmfile),
                format!("{}/{}", r.shell, sh_quote(f)),
            ));
        }
        values.push((
            cv.env_file.clone(),
            format!("\"$BUNDLE_DIR\"/{}", sh_quote(&cv.env_file)),
        ));
        let mut needs: Vec<String> = chart
            .requires
            .iter()
            .filter_map(|req| order.iter().find(|o| o.chart.id == *req))
            .map(|o| format!("{}/{}", o.chart.chart.namespace, o.chart.id))
            .collect();
        needs.extend(own_needs);
        out.push(Release {
            name: chart.id.clone(),
            title: chart.name.clone(),
            namespace: ns,
            chart_helmfile: r.helmfile,
            chart_shell: r.shell,
            version: chart.chart.version.clone(),
            local: r.local,
            values,
            needs,
            wait: required.contains(&chart.id),
        });
    }
    out
}

fn required_in(order: &[&ChartValues<'_>]) -> BTreeSet<String> {
    order
        .iter()
        .flat_map(|cv| cv.chart.requires.iter())
        .filter(|r| order.iter().any(|o| o.chart.id == **r))
        .cloned()
        .collect()
}

fn install_sh(order: &[&ChartValues<'_>], releases: &[Release], config: &Configuration) -> String {
    script(order, releases, config, false)
}

/// render.sh: what install.sh installs, rendered with `helm template` (and the kustomize
/// overlays built) into `$OUT_DIR`: the complete manifests, with the text the charts' authors
/// wrote that Tonnage's manifests leave as placeholders.
fn render_sh(order: &[&ChartValues<'_>], releases: &[Release], config: &Configuration) -> String {
    script(order, releases, config, true)
}

fn script(
    order: &[&ChartValues<'_>],
    releases: &[Release],
    config: &Configuration,
    render: bool,
) -> String {
    let mut out = String::new();
    out.push_str("#!/usr/bin/env bash\n");
    if render {
        let _ = writeln!(
            out,
            "# Render {} ({}) as Helm would install it: `helm template` of each release of\n\
             # helmfile.yaml on your chart checkouts, one file per release in OUT_DIR (default:\n\
             # rendered/ beside this script). These are the complete manifests: Tonnage's own leave\n\
             # the charts' scripts, configuration files and composed values as placeholders.",
            comment_text(&config.stacks.join(" + ")),
            comment_text(&config.env)
        );
    } else {
        let _ = writeln!(
            out,
            "# Install {} ({}) with Helm: the releases of helmfile.yaml, in dependency order.",
            comment_text(&config.stacks.join(" + ")),
            comment_text(&config.env)
        );
    }
    out.push_str("# Generated by Tonnage.\n");
    out.push_str("set -euo pipefail\n\n");
    out.push_str("BUNDLE_DIR=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n");
    if render {
        out.push_str("OUT_DIR=\"${OUT_DIR:-$BUNDLE_DIR/rendered}\"\nmkdir -p \"$OUT_DIR\"\n");
    }
    let any_local = order.iter().any(|cv| chart_ref(cv.chart).local);
    if any_local {
        out.push_str(
            "# Local charts are the guides' paths, taken from CHARTS_DIR (default: the folder that\n# holds this bundle's folder).\n",
        );
        out.push_str("CHARTS_DIR=\"${CHARTS_DIR:-$BUNDLE_DIR/..}\"\n");
    }
    out.push('\n');
    let mut repos: Vec<(String, String)> = Vec::new();
    for cv in order {
        let mut add = |n: &str, u: &str| {
            if !repos.iter().any(|(x, _)| x == n) {
                repos.push((n.to_string(), u.to_string()));
            }
        };
        for (id, name, url) in GUIDE_REPOS {
            if *id == cv.chart.id {
                add(name, url);
            }
        }
        if let Some((n, u)) = chart_ref(cv.chart)
            .repo
            .filter(|_| !cv.chart.is_kustomize())
        {
            add(&n, &u);
        }
        for (_, sub, _) in &cv.releases {
            if let Some(u) = &sub.repository {
                add(&repo_name_from_url(u, &sub.chart), u);
            }
        }
    }
    if !repos.is_empty() {
        for (n, u) in &repos {
            let _ = writeln!(
                out,
                "helm repo add {} {} --force-update",
                sh_quote(n),
                sh_quote(u)
            );
        }
        out.push_str("helm repo update\n\n");
    }
    for r in releases {
        let _ = writeln!(out, "# {}", comment_text(&r.title));
        if r.local {
            let _ = writeln!(out, "helm dependency build {}", r.chart_shell);
        }
        let verb = if render {
            "template"
        } else {
            "upgrade --install"
        };
        let _ = writeln!(out, "helm {verb} {} {} \\", r.name, r.chart_shell);
        if !r.local {
            let _ = writeln!(out, "  --version {} \\", sh_quote(&r.version));
        }
        let create = if render { "" } else { " --create-namespace" };
        let _ = writeln!(out, "  --namespace {}{create} \\", sh_quote(&r.namespace));
        if r.wait && !render {
            out.push_str("  --wait --timeout 15m \\\n");
        }
        if render {
            // `helm template` prints the charts' test hooks (the Qdrant chart's test Pod and
            // ConfigMap), which an install never deploys (only `helm test` runs them).
            out.push_str("  --skip-tests \\\n");
        }
        let n = r.values.len();
        for (i, (_, sh)) in r.values.iter().enumerate() {
            let last = i + 1 == n;
            let tail = match (last, render) {
                (false, _) => " \\".to_string(),
                (true, true) => format!(" > \"$OUT_DIR\"/{}.yaml", r.name),
                (true, false) => String::new(),
            };
            let _ = writeln!(out, "  -f {sh}{tail}");
        }
        out.push('\n');
    }
    for cv in order.iter().filter(|cv| cv.chart.is_kustomize()) {
        let _ = writeln!(out, "# {}", comment_text(&cv.chart.name));
        out.push_str(&if render {
            crate::outputs::kustomize::render_sh_section(cv.chart)
        } else {
            crate::outputs::kustomize::install_sh_section(cv.chart)
        });
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The values bundle of a configuration: per chart (catalog order) `<chart>/values-<env>.yaml`
/// (with a kustomize chart's overlay before it, and the files of its subcharts installed as
/// releases of their own after it), then `helmfile.yaml`, `install.sh` (executable) and
/// `README.md`.
/// Deterministic; never panics (charts the catalog lacks are skipped).
pub fn values_bundle(
    catalog: &Catalog,
    config: &Configuration,
    opts: &BundleOptions,
) -> Vec<OutFile> {
    let charts = charts_of(catalog, config);
    let all: Vec<ChartValues<'_>> = charts
        .iter()
        .map(|c| chart_values(c, config, opts))
        .collect();
    let order: Vec<&ChartValues<'_>> = install_order(&charts)
        .into_iter()
        .filter_map(|c| all.iter().find(|cv| cv.chart.id == c.id))
        .collect();
    let mut files = Vec::new();
    for cv in &all {
        if cv.chart.is_kustomize() {
            files.extend(crate::outputs::kustomize::overlay_files(
                cv.chart,
                &cv.effective,
                config,
            ));
        }
        files.push(OutFile::new(cv.env_file.clone(), env_yaml(cv, config)));
        for (_, sub, file) in &cv.releases {
            files.push(OutFile::new(file.clone(), release_yaml(cv, sub, config)));
        }
    }
    // The releases once for the three files that list them.
    let releases = releases_of(&order);
    files.push(OutFile::new(
        "helmfile.yaml",
        helmfile_yaml(&order, &releases, config),
    ));
    files.push(OutFile::new("install.sh", install_sh(&order, &releases, config)).executable());
    files.push(OutFile::new("render.sh", render_sh(&order, &releases, config)).executable());
    let plan = plan::plan(catalog, config);
    files.push(OutFile::new(
        "README.md",
        readme::readme(catalog, config, &all, &order, &plan),
    ));
    files
}

/// One file of [`values_bundle`], computing only what that file needs: a chart's
/// `values-<env>.yaml` or a release's values file alone, the other files through the whole bundle. The
/// same bytes as the bundle's file of that path; `None` when the bundle has no such file. For
/// previews, which show one file at a time.
pub fn values_bundle_file(
    catalog: &Catalog,
    config: &Configuration,
    opts: &BundleOptions,
    path: &str,
) -> Option<OutFile> {
    for chart in charts_of(catalog, config) {
        let cv = chart_values(chart, config, opts);
        if cv.env_file == path {
            return Some(OutFile::new(path, env_yaml(&cv, config)));
        }
        for (_, sub, file) in &cv.releases {
            if file == path {
                return Some(OutFile::new(path, release_yaml(&cv, sub, config)));
            }
        }
    }
    values_bundle(catalog, config, opts)
        .into_iter()
        .find(|f| f.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::values::{merge, Seg};
    use crate::base::yaml::plain_ok;
    use crate::configuration::credentials::{
        at_path, from_existing_secret, is_chart_credential_key as is_credential_key, walk_keys, At,
    };
    use proptest::prelude::*;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    /// Helm treats a null map value as absent: compare trees as Helm sees them.
    fn strip_nulls(v: &Value) -> Value {
        match v {
            Value::Mapping(m) => Value::Mapping(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), strip_nulls(v)))
                    .collect(),
            ),
            Value::Sequence(s) => Value::Sequence(s.iter().map(strip_nulls).collect()),
            other => other.clone(),
        }
    }

    fn file<'a>(files: &'a [OutFile], path: &str) -> &'a OutFile {
        files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path} in the bundle"))
    }

    fn all_chart_envs() -> Vec<(&'static str, &'static str)> {
        cat()
            .charts
            .iter()
            .flat_map(|c| {
                c.environments
                    .iter()
                    .map(move |e| (c.id.as_str(), e.id.as_str()))
            })
            .collect()
    }

    fn joined(files: &[OutFile]) -> String {
        let mut s = String::new();
        for f in files {
            let x = if f.executable { " (executable)" } else { "" };
            let _ = writeln!(s, "--- {}{x} ---", f.path);
            s.push_str(&f.contents);
            if !f.contents.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }

    /// What Helm merges for the chart's release, as install.sh applies it: the chart's
    /// values.yaml (the catalog's tree), the chart's own environment file when the preset is that
    /// file, then the bundle's values-<env>.yaml read back from its text. Without the keys the
    /// bundle does not write (dead keys, subtrees installed as releases of their own).
    fn merged_files(files: &[OutFile], chart: &str, env: &str) -> Value {
        let c = cat().chart(chart).unwrap();
        let mut base = c.values.clone();
        if let Some(e) = c.environment(env).filter(|e| e.file.is_some()) {
            merge(&mut base, &e.values);
        }
        let overlay: Value =
            serde_yaml::from_str(&file(files, &format!("{chart}/values-{env}.yaml")).contents)
                .unwrap();
        merge(&mut base, &overlay);
        writable(c, &base)
    }

    #[test]
    fn one_file_is_the_bundles_file() {
        let mut configs: Vec<Configuration> = all_chart_envs()
            .into_iter()
            .map(|(c, e)| Configuration::new(cat(), &[c], e).unwrap())
            .collect();
        let mut both =
            Configuration::new(cat(), &["cauldron-infra", "cauldron-frappe"], "prod").unwrap();
        both.set_str(cat(), "cauldron-frappe:frappe.replicas.worker=7")
            .unwrap();
        configs.push(both);
        for c in &configs {
            let files = values_bundle(cat(), c, &BundleOptions::default());
            for f in &files {
                assert_eq!(
                    values_bundle_file(cat(), c, &BundleOptions::default(), &f.path).as_ref(),
                    Some(f),
                    "{}",
                    f.path
                );
            }
            assert_eq!(
                values_bundle_file(cat(), c, &BundleOptions::default(), "nope.yaml"),
                None
            );
        }
    }

    #[test]
    fn yaml_round_trips_every_catalog_tree() {
        for chart in &cat().charts {
            let text = to_yaml(&chart.values);
            assert_eq!(y(&text), chart.values, "{}", chart.id);
            for env in &chart.environments {
                assert_eq!(
                    y(&to_yaml(&env.values)),
                    env.values,
                    "{}/{}",
                    chart.id,
                    env.id
                );
            }
        }
    }

    #[test]
    fn yaml_quotes_what_yaml_1_1_would_misread() {
        let words = [
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "n",
            "true",
            "null",
            "~",
            "0755",
            "1e3",
            "1_000",
            "500m",
            "1.0",
            ".inf",
            "",
            " x",
            "x ",
            "a: b",
            "a:",
            "#x",
            "x #y",
            "- x",
            "@x",
            "*x",
            "&x",
            "!x",
            "%x",
            "multi\nline",
            "tab\there",
            "quote\"s",
            "back\\slash",
            "\u{2028}",
            "2001-12-14",
            "12:30",
        ];
        let mut m = Mapping::new();
        for (i, w) in words.iter().enumerate() {
            m.insert(Value::from(format!("k{i}")), Value::from(*w));
        }
        m.insert(Value::from("yes"), Value::from("plain words stay plain"));
        m.insert(
            Value::from("cert-manager.io/cluster-issuer"),
            Value::from("letsencrypt-prod"),
        );
        m.insert(
            Value::from("url"),
            Value::from("https://charts.bitnami.com/bitnami"),
        );
        let v = Value::Mapping(m);
        let text = to_yaml(&v);
        assert_eq!(y(&text), v, "{text}");
        for w in [
            "yes", "No", "ON", "off", "y", "n", "true", "null", "0755", "1e3", "1_000",
        ] {
            assert!(
                text.contains(&format!("\"{w}\"")),
                "{w} must be quoted:\n{text}"
            );
        }
        assert!(text.contains("\"yes\": plain words stay plain"), "{text}");
        assert!(
            text.contains("cert-manager.io/cluster-issuer: letsencrypt-prod"),
            "{text}"
        );
        assert!(
            text.contains("url: https://charts.bitnami.com/bitnami"),
            "{text}"
        );
    }

    #[test]
    fn yaml_block_layout() {
        let v = y("a: {b: 1, c: [x, {d: 2, e: [3]}, [4, 5]], f: {}, g: []}\nh: null\ni: 1.5");
        assert_eq!(
            to_yaml(&v),
            "a:\n  b: 1\n  c:\n    - x\n    - d: 2\n      e:\n        - 3\n    -\n      - 4\n      - 5\n  f: {}\n  g: []\nh: null\ni: 1.5\n"
        );
        assert_eq!(to_yaml(&y("{}")), "{}\n");
    }

    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6).prop_map(Value::from),
            "[ -~\\n\\t]{0,12}".prop_map(Value::from),
            prop::sample::select(vec!["yes", "on", "0x1F", "1e5", "~", "-", "? x", "a: b"])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
                prop::collection::vec(("[ -~]{0,8}", inner), 0..4).prop_map(|kv| {
                    Value::Mapping(kv.into_iter().map(|(k, v)| (Value::from(k), v)).collect())
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn yaml_round_trips_any_tree(v in tree()) {
            let text = to_yaml(&v);
            let back: Value = serde_yaml::from_str(&text).unwrap();
            prop_assert_eq!(back, v, "{}", text);
        }

        #[test]
        fn diff_then_merge_gives_the_target(b in tree(), t in tree()) {
            let d = values_diff(&b, &t);
            let mut m = b.clone();
            merge(&mut m, &d);
            prop_assert_eq!(strip_nulls(&m), strip_nulls(&t));
        }

        /// The diff written directly is the diff built, then written.
        #[test]
        fn diff_yaml_is_the_diff_written(
            (b, t) in (small_tree(), small_tree()),
            tweaks in prop::collection::vec((0usize..64, small_tree()), 0..4),
        ) {
            prop_assert_eq!(diff_yaml(&b, &t), to_yaml(&values_diff(&b, &t)));
            // A target that shares most of the base.
            let mut near = b.clone();
            for (i, v) in &tweaks {
                tweak(&mut near, *i, v.clone());
            }
            prop_assert_eq!(diff_yaml(&b, &near), to_yaml(&values_diff(&b, &near)));
        }

        /// The diff's entries with paths taken out are the diff built, then pruned as a
    /// `serde_yaml::Mapping` (whose removal puts the last entry in the removed one's place).
    #[test]
    fn pruned_diff_is_the_diff_built_then_pruned(
        (b, t) in (small_map(), small_map()),
        tweaks in prop::collection::vec((0usize..64, small_tree()), 0..4),
        paths in prop::collection::vec(
            prop::sample::select(vec!["a", "b", "c", "a.b", "a.c", "b.a", "c.c", "a.b.c", "b.a.a", "c[0]", "a.x"]),
            1..4,
        ),
    ) {
        let mut near = b.clone();
        for (i, v) in &tweaks {
            tweak(&mut near, *i, v.clone());
        }
        for (b, t) in [(&b, &t), (&b, &near), (&Value::Null, &t)] {
            let mut d = values_diff(b, t);
            for p in &paths {
                remove_pruning_value(&mut d, &parse_path(p).unwrap());
            }
            let want = match &d {
                Value::Mapping(m) if m.is_empty() => "{}\n".to_string(),
                _ => to_yaml(&d),
            };
            prop_assert_eq!(pruned_diff_yaml(b, t, paths.iter().copied()), want);
        }
    }

    /// The byte table decides as the rule written out character by character did.
        #[test]
        fn plain_ok_is_the_rule_char_by_char(
            s in prop_oneof![
                "[a-zA-Z_/][a-zA-Z0-9_./+@= :#-]{0,8}",
                "[ -~\\n\\té]{0,10}",
                prop::sample::select(vec!["yes", "No", "ON", "offf", "nulls", "y", "a: b", "a:b",
                    "a:", "a #b", "a  b", "a b", "a ", "/x", "_", "é"]).prop_map(String::from),
            ]
        ) {
            prop_assert_eq!(plain_ok(&s), plain_ok_by_char(&s), "{:?}", s);
        }
    }

    /// A map of [`small_tree`]s over the same few keys.
    fn small_map() -> impl Strategy<Value = Value> {
        prop::collection::vec(
            (prop::sample::select(vec!["a", "b", "c", "d"]), small_tree()),
            0..6,
        )
        .prop_map(|kv| Value::Mapping(kv.into_iter().map(|(k, v)| (Value::from(k), v)).collect()))
    }

    /// `remove_pruning` on a `serde_yaml::Value`, as the bundle did before it built the diff
    /// as nodes.
    fn remove_pruning_value(v: &mut Value, segs: &[Seg]) {
        let Some((first, rest)) = segs.split_first() else {
            return;
        };
        let Value::Mapping(m) = v else { return };
        let Seg::Key(k) = first else { return };
        if rest.is_empty() {
            m.remove(k.as_str());
            return;
        }
        let emptied = match m.get_mut(k.as_str()) {
            Some(child @ Value::Mapping(_))
                if child.as_mapping().is_some_and(|c| !c.is_empty()) =>
            {
                remove_pruning_value(child, rest);
                child.as_mapping().is_some_and(Mapping::is_empty)
            }
            _ => false,
        };
        if emptied {
            m.remove(k.as_str());
        }
    }

    /// Trees over a few keys and values, so that two of them share keys and subtrees; with
    /// nulls, empty maps and lists, and tagged maps.
    fn small_tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            Just(Value::from(1)),
            Just(Value::from("x")),
            Just(Value::Mapping(Mapping::new())),
            Just(Value::Sequence(Vec::new())),
            Just(y("!t {a: 1}")),
        ];
        leaf.prop_recursive(4, 48, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Sequence),
                prop::collection::vec(
                    (prop::sample::select(vec!["a", "b", "c", "d"]), inner),
                    0..4
                )
                .prop_map(|kv| {
                    Value::Mapping(kv.into_iter().map(|(k, v)| (Value::from(k), v)).collect())
                }),
            ]
        })
    }

    /// Replaces the `i`-th node (depth first, wrapping) of `v` by `new`.
    fn tweak(v: &mut Value, i: usize, new: Value) {
        fn count(v: &Value) -> usize {
            1 + match v {
                Value::Mapping(m) => m.values().map(count).sum(),
                Value::Sequence(s) => s.iter().map(count).sum(),
                _ => 0,
            }
        }
        fn at(v: &mut Value, i: &mut usize, new: &mut Option<Value>) {
            if *i == 0 {
                if let Some(n) = new.take() {
                    *v = n;
                }
                return;
            }
            *i -= 1;
            match v {
                Value::Mapping(m) => m.values_mut().for_each(|c| at(c, i, new)),
                Value::Sequence(s) => s.iter_mut().for_each(|c| at(c, i, new)),
                _ => {}
            }
        }
        let mut i = i % count(v);
        at(v, &mut i, &mut Some(new));
    }

    /// `plain_ok` as first written.
    fn plain_ok_by_char(s: &str) -> bool {
        let Some(first) = s.chars().next() else {
            return false;
        };
        if !(first.is_ascii_alphabetic() || first == '/' || first == '_') {
            return false;
        }
        let bytes = s.as_bytes();
        for (i, c) in bytes.iter().enumerate() {
            let next = bytes.get(i + 1).copied();
            let ok = match c {
                b'a'..=b'z'
                | b'A'..=b'Z'
                | b'0'..=b'9'
                | b'_'
                | b'.'
                | b'/'
                | b'-'
                | b'+'
                | b'@'
                | b'=' => true,
                b':' => matches!(next, Some(n) if n != b' '),
                b' ' => matches!(next, Some(n) if n != b' ' && n != b'#'),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        !["y", "n", "yes", "no", "true", "false", "on", "off", "null"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
    }

    #[test]
    fn walked_paths_are_set_paths() {
        let v = y("a:\n  b.c:\n    - {d: 1}\n    - [x, {e: 2}]\n  1: {f: 3}\n'': {g: 4}\n");
        let mut walked = Vec::new();
        walk_keys(&v, &mut Vec::new(), &mut |segs, _, _, _| {
            let owned: Vec<Seg> = segs
                .iter()
                .map(|s| match s {
                    At::Key(k) => Seg::Key(k.to_string()),
                    At::Index(i) => Seg::Index(*i),
                })
                .collect();
            assert_eq!(at_path(segs), crate::base::values::format_path(&owned));
            walked.push(at_path(segs));
        });
        assert_eq!(
            walked,
            [
                "a",
                "a.b\\.c",
                "a.b\\.c[0].d",
                "a.b\\.c[1][1].e",
                "a.1",
                "a.1.f",
                "",
                "g"
            ]
        );
    }

    /// The chart file's text is the diff of the two trees without the excluded keys, however it
    /// is worked out.
    #[test]
    fn chart_file_yaml_is_the_diff_of_the_writable_trees() {
        for (chart, env) in all_chart_envs() {
            let c = cat().chart(chart).unwrap();
            let mut config = Configuration::new(cat(), &[chart], env).unwrap();
            // Overrides of a dead key and of a release's subtree as well as a live one.
            for d in c.dead.iter().take(1) {
                let _ = config.set(cat(), chart, d, Value::from("changed"));
            }
            if let Some(sub) = c.subcharts.iter().find(|s| s.release) {
                let _ = config.set(
                    cat(),
                    chart,
                    &format!("{}.auth.username", sub.key),
                    Value::from("u"),
                );
            }
            let eff = config.effective_values(c);
            let base = base_of(c, &config);
            assert_eq!(
                serde_yaml::from_str::<Value>(&chart_file_yaml(c, base, &eff)).unwrap(),
                serde_yaml::from_str::<Value>(&diff_yaml(&writable(c, base), &writable(c, &eff)))
                    .unwrap(),
                "{chart}/{env}"
            );
        }
    }

    #[test]
    fn merge_of_the_files_gives_the_effective_values() {
        for (chart, env) in all_chart_envs() {
            let config = Configuration::new(cat(), &[chart], env).unwrap();
            let files = values_bundle(cat(), &config, &BundleOptions::default());
            let c = cat().chart(chart).unwrap();
            let effective = config.effective_values(c);
            assert_eq!(
                merged_files(&files, chart, env),
                strip_nulls(&writable(c, &effective)),
                "{chart}/{env}"
            );
            // The chart's own values.yaml is never written over: the chart has it.
            assert!(
                files.iter().all(|f| !f.path.ends_with("/values.yaml")),
                "{chart}/{env}"
            );
        }
    }

    #[test]
    fn merge_with_overrides_lists_and_nulls() {
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
        let cases: &[Case<'_>] = &[
            (
                "rae-memory",
                "prod",
                &[
                    ("memoryApi.replicaCount", "7"),
                    (
                        "ingress.hosts",
                        "[{host: a.example.com, paths: [{path: /, pathType: Prefix}]}]",
                    ),
                    ("ingress.annotations.example\\.com/team", "memory"),
                    ("qdrant.resources.limits", "null"),
                    ("externalSecrets", "null"),
                ],
            ),
            (
                "rhesis",
                "local",
                &[
                    ("backend.resources", "null"),
                    ("backend.resources.requests.cpu", "2"),
                    ("worker.replicas", "3"),
                ],
            ),
            (
                "cauldron-infra",
                "dev",
                &[
                    ("postgresql.architecture", "replication"),
                    ("postgresql.primary.persistence.size", "20480Mi"),
                ],
            ),
        ];
        for (chart, env, sets) in cases {
            let mut config = Configuration::new(cat(), &[chart], env).unwrap();
            for (p, v) in *sets {
                config.set(cat(), chart, p, y(v)).unwrap();
            }
            let files = values_bundle(cat(), &config, &BundleOptions::default());
            let c = cat().chart(chart).unwrap();
            let effective = config.effective_values(c);
            assert_eq!(
                merged_files(&files, chart, env),
                strip_nulls(&writable(c, &effective)),
                "{chart}/{env}"
            );
            let env_file = &file(&files, &format!("{chart}/values-{env}.yaml")).contents;
            for (p, _) in *sets {
                assert!(
                    env_file.contains(&format!("#   {p}\n")),
                    "{p} listed:\n{env_file}"
                );
            }
        }
    }

    #[test]
    fn a_key_the_environment_deletes_is_written_as_null() {
        let base = y("a: {b: 1, c: 2}\nl: [1, 2]\nk: x");
        let target = y("a: {b: 1}\nl: [1, 2, 3]\nn: {m: 1}");
        let d = values_diff(&base, &target);
        assert_eq!(d, y("a: {c: null}\nl: [1, 2, 3]\nn: {m: 1}\nk: null"));
        assert_eq!(values_diff(&base, &base), y("{}"));
    }

    #[test]
    fn snapshots_every_chart_and_environment() {
        for (chart, env) in all_chart_envs() {
            let config = Configuration::new(cat(), &[chart], env).unwrap();
            let files = values_bundle(cat(), &config, &BundleOptions::default());
            insta::assert_snapshot!(format!("bundle_{chart}_{env}"), joined(&files));
        }
    }

    #[test]
    fn snapshots_cauldron_together() {
        for env in ["dev", "staging", "prod"] {
            let config =
                Configuration::new(cat(), &["cauldron-frappe", "cauldron-infra"], env).unwrap();
            let files = values_bundle(cat(), &config, &BundleOptions::default());
            insta::assert_snapshot!(format!("bundle_cauldron_{env}"), joined(&files));
        }
    }

    #[test]
    fn bundle_is_deterministic() {
        let mut a =
            Configuration::new(cat(), &["cauldron-infra", "cauldron-frappe"], "prod").unwrap();
        a.set_str(cat(), "cauldron-infra:rabbitmq.replicaCount=5")
            .unwrap();
        let mut b =
            Configuration::new(cat(), &["cauldron-frappe", "cauldron-infra"], "prod").unwrap();
        b.set_str(cat(), "cauldron-infra:rabbitmq.replicaCount=5")
            .unwrap();
        let opts = BundleOptions::default();
        let x = values_bundle(cat(), &a, &opts);
        assert_eq!(x, values_bundle(cat(), &a, &opts));
        assert_eq!(x, values_bundle(cat(), &b, &opts));
        assert_eq!(
            crate::base::archive::zip(&x),
            crate::base::archive::zip(&values_bundle(cat(), &b, &opts))
        );
    }

    #[test]
    fn files_and_order() {
        let config =
            Configuration::new(cat(), &["cauldron-frappe", "cauldron-infra"], "dev").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "cauldron-infra/values-dev.yaml",
                "cauldron-frappe/values-dev.yaml",
                "helmfile.yaml",
                "install.sh",
                "render.sh",
                "README.md"
            ]
        );
        assert!(file(&files, "install.sh").executable);
        assert!(file(&files, "render.sh").executable);
        assert!(files
            .iter()
            .filter(|f| f.path != "install.sh" && f.path != "render.sh")
            .all(|f| !f.executable));
        // render.sh renders what install.sh installs, release by release, into $OUT_DIR.
        let render = &file(&files, "render.sh").contents;
        assert!(render.contains("helm template cauldron-infra "), "{render}");
        assert!(
            render.contains("> \"$OUT_DIR\"/cauldron-frappe.yaml"),
            "{render}"
        );
        assert!(!render.contains("upgrade --install"), "{render}");
        // What an install deploys: no test hooks (checked against the Helm SDK with
        // scripts/check-render-sh); one per release.
        assert_eq!(
            render.matches("  --skip-tests \\\n").count(),
            render.matches("helm template ").count(),
            "{render}"
        );
    }

    #[test]
    fn helmfile_releases_follow_requires() {
        let config =
            Configuration::new(cat(), &["cauldron-frappe", "cauldron-infra"], "prod").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let hf = y(&file(&files, "helmfile.yaml").contents);
        assert_eq!(
            hf["repositories"],
            y("[{name: bitnami, url: 'https://charts.bitnami.com/bitnami'}]")
        );
        let rel = hf["releases"].as_sequence().unwrap();
        assert_eq!(rel.len(), 2);
        assert_eq!(rel[0]["name"], y("cauldron-infra"));
        assert_eq!(rel[0]["chart"], y("../cauldron-infra"));
        assert_eq!(rel[0]["wait"], y("true"));
        assert_eq!(rel[1]["name"], y("cauldron-frappe"));
        assert_eq!(rel[1]["needs"], y("[cauldron/cauldron-infra]"));
        assert_eq!(rel[1]["version"], y("'0.1.0'"));
        for r in rel {
            let id = r["name"].as_str().unwrap();
            let values: Vec<&str> = r["values"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            // The prod preset is the chart's own values-prod.yaml: taken from the chart folder
            // (beside `chart:`), then the bundle's file of what differs from it.
            assert_eq!(
                values,
                [
                    format!("../{id}/values-prod.yaml"),
                    format!("{id}/values-prod.yaml")
                ]
            );
            assert!(files.iter().all(|f| f.path != values[0]), "{id}");
            assert!(files.iter().any(|f| f.path == values[1]), "{id}");
            assert_eq!(r["namespace"], y("cauldron"));
        }

        // rae-memory: the PostgreSQL, Redis and Qdrant charts are releases of their own, from
        // their repositories, installed (and waited for) before the chart that needs them.
        let config = Configuration::new(cat(), &["rae-memory"], "prod").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let hf = y(&file(&files, "helmfile.yaml").contents);
        let rel = hf["releases"].as_sequence().unwrap();
        let names: Vec<&str> = rel.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "rae-memory-postgresql",
                "rae-memory-redis",
                "rae-memory-qdrant",
                "rae-memory"
            ]
        );
        for (r, chart, version) in [
            (&rel[0], "bitnami/postgresql", "'12.5.9'"),
            (&rel[1], "bitnami/redis", "'17.11.8'"),
            (&rel[2], "qdrant/qdrant", "'1.17.0'"),
        ] {
            assert_eq!(r["chart"], y(chart));
            assert_eq!(r["version"], y(version));
            assert_eq!(r["wait"], y("true"));
            let name = r["name"].as_str().unwrap();
            assert_eq!(r["values"], y(&format!("['{name}/values-prod.yaml']")));
            assert!(files
                .iter()
                .any(|f| f.path == format!("{name}/values-prod.yaml")));
        }
        assert_eq!(
            rel[3]["needs"],
            y("[rae-memory/rae-memory-postgresql, rae-memory/rae-memory-redis, rae-memory/rae-memory-qdrant]")
        );
        assert_eq!(rel[3]["values"], y("['rae-memory/values-prod.yaml']"));
        let sh = &file(&files, "install.sh").contents;
        assert!(
            sh.contains("helm upgrade --install rae-memory-postgresql bitnami/postgresql \\\n  --version 12.5.9"),
            "{sh}"
        );
        let pg = sh
            .find("helm upgrade --install rae-memory-postgresql")
            .unwrap();
        let app = sh.find("helm upgrade --install rae-memory ").unwrap();
        assert!(pg < app, "{sh}");

        // caracal is raw manifests with a kustomize overlay: no Helm release.
        let config = Configuration::new(cat(), &["caracal"], "dev").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let hf = y(&file(&files, "helmfile.yaml").contents);
        assert_eq!(hf["releases"], y("[]"));
        let sh = &file(&files, "install.sh").contents;
        assert!(!sh.contains("helm upgrade --install"), "{sh}");
        assert!(sh.contains("kubectl kustomize"), "{sh}");
        assert!(file(&files, "caracal/kustomization.yaml")
            .contents
            .contains("kind: Kustomization"));
    }

    #[test]
    fn a_required_chart_outside_the_bundle_is_named_not_needed() {
        let config = Configuration::new(cat(), &["cauldron-frappe"], "dev").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let hf_text = &file(&files, "helmfile.yaml").contents;
        let hf = y(hf_text);
        assert!(hf["releases"][0].get("needs").is_none(), "{hf_text}");
        assert!(hf_text.contains("requires cauldron-infra"), "{hf_text}");
        assert!(file(&files, "README.md")
            .contents
            .contains("install it first"));
    }

    #[test]
    fn install_sh_is_strict_and_ordered() {
        let config =
            Configuration::new(cat(), &["cauldron-frappe", "cauldron-infra"], "staging").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let sh = &file(&files, "install.sh").contents;
        assert!(sh.starts_with("#!/usr/bin/env bash\n"), "{sh}");
        assert!(sh.contains("\nset -euo pipefail\n"), "{sh}");
        assert!(sh.contains("helm repo add bitnami https://charts.bitnami.com/bitnami"));
        let infra = sh.find("helm upgrade --install cauldron-infra").unwrap();
        let frappe = sh.find("helm upgrade --install cauldron-frappe").unwrap();
        assert!(infra < frappe, "{sh}");
        assert!(
            sh.contains("-f \"$BUNDLE_DIR\"/cauldron-frappe/values-staging.yaml"),
            "{sh}"
        );
        assert_eq!(sh.matches("--create-namespace").count(), 2);
    }

    #[test]
    fn readme_has_totals_assumptions_and_secrets() {
        let config = Configuration::new(cat(), &["rhesis"], "local").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let md = &file(&files, "README.md").contents;
        // seed 002 "Local Development Configuration" table: 2.35 / 4.7 cores requested / limit.
        assert!(
            md.contains("| baseline | 5 | 2.35 cores | 4.7 cores |"),
            "{md}"
        );
        assert!(md.contains("No figure of this plan rests on a catalog assumption."));
        let config = Configuration::new(cat(), &["cauldron-infra"], "dev").unwrap();
        let files = values_bundle(cat(), &config, &BundleOptions::default());
        let md = &file(&files, "README.md").contents;
        let p = plan::plan(cat(), &config);
        let n: usize = p.components.iter().map(|c| c.assumed.len()).sum::<usize>()
            + p.volumes.iter().map(|v| v.assumed.len()).sum::<usize>();
        assert!(n > 0);
        assert!(
            md.contains(&format!("{n} figures are catalog assumptions")),
            "{md}"
        );
        // The page lists `Plan::assumptions`: the same count as the README, shared volumes
        // included (the page once counted components only: 52 against the README's 53).
        assert_eq!(p.assumptions().len(), n);
        assert_eq!(p.assumption_count(), n);
        let mut with_volume_assumption = 0;
        for chart in &cat().charts {
            let mut stacks = vec![chart.id.as_str()];
            stacks.extend(chart.requires.iter().map(String::as_str));
            for env in &chart.environments {
                let Ok(config) = Configuration::new(cat(), &stacks, &env.id) else {
                    continue;
                };
                let p = plan::plan(cat(), &config);
                let n = p.assumptions().len();
                if n > 1 {
                    let md = readme_of(&config);
                    assert!(md.contains(&format!("{n} figures are catalog assumptions")));
                }
                with_volume_assumption +=
                    usize::from(p.volumes.iter().any(|v| !v.assumed.is_empty()));
            }
        }
        assert!(with_volume_assumption > 0);

        // Secrets: the real charts' prod files name none; named by overrides, they are listed
        // to be created first, in the release's namespace.
        let mut config = Configuration::new(cat(), &["cauldron-infra"], "prod").unwrap();
        let md = readme_of(&config);
        assert!(
            md.contains("The values name no existing Secret for credentials"),
            "{md}"
        );
        for s in [
            "postgresql.auth.existingSecret=cauldron-postgresql",
            "rabbitmq.auth.existingPasswordSecret=cauldron-rabbitmq",
            "redis.auth.existingSecret=cauldron-redis",
        ] {
            config.set_str(cat(), s).unwrap();
        }
        let md = readme_of(&config);
        for s in ["cauldron-postgresql", "cauldron-rabbitmq", "cauldron-redis"] {
            assert!(
                md.contains(&format!("| `{s}` | `cauldron` |")),
                "{s}:\n{md}"
            );
        }
        assert!(!md.contains("The values name no existing Secret"), "{md}");

        // Placeholders in effect are named: caracal's values.yaml passwords end in CHANGE_ME,
        // and its prod preset keeps them; set, they are no longer listed.
        let mut config = Configuration::new(cat(), &["caracal"], "prod").unwrap();
        let md = readme_of(&config);
        assert!(
            md.contains("Placeholder or default passwords (such as `CHANGE_ME`"),
            "{md}"
        );
        assert!(
            md.contains("- `caracal:postgresql.auth.password`\n"),
            "{md}"
        );
        assert!(md.contains("- `caracal:redis.auth.password`\n"), "{md}");
        config
            .set_str(cat(), "postgresql.auth.password=Zq8-v!r2-x")
            .unwrap();
        config
            .set_str(cat(), "redis.auth.password=Zq8-v!r2-y")
            .unwrap();
        let md = readme_of(&config);
        assert!(!md.contains("CHANGE_ME"), "{md}");
    }

    fn readme_of(config: &Configuration) -> String {
        let files = values_bundle(cat(), config, &BundleOptions::default());
        file(&files, "README.md").contents.clone()
    }

    #[test]
    fn credential_paths_are_found() {
        let c = cat().chart("cauldron-infra").unwrap();
        let paths = credential_paths(c, &c.values);
        // Bitnami's auth keys as the chart passes them, and the chart's own TimescaleDB
        // password (its three Frappe Redis Deployments take none).
        assert_eq!(
            paths,
            [
                "postgresql.auth.postgresPassword",
                "postgresql.auth.password",
                "postgresql.auth.replicationPassword",
                "timescaledb.auth.password",
                "rabbitmq.auth.password",
                "rabbitmq.auth.erlangCookie",
                "redis.auth.password",
            ]
        );
        assert!(paths.iter().all(|p| !p.contains("existing")), "{paths:?}");
        // An existing Secret beside a credential supplies it: no longer one to generate (the
        // Erlang cookie has a Secret key of its own).
        let mut config = Configuration::new(cat(), &["cauldron-infra"], "prod").unwrap();
        config
            .set_str(cat(), "postgresql.auth.existingSecret=pg")
            .unwrap();
        config
            .set_str(cat(), "rabbitmq.auth.existingPasswordSecret=rmq")
            .unwrap();
        assert_eq!(
            credential_paths(c, &config.effective_values(c)),
            [
                "timescaledb.auth.password",
                "rabbitmq.auth.erlangCookie",
                "redis.auth.password"
            ]
        );
        let rae = cat().chart("rae-memory").unwrap();
        let paths = credential_paths(rae, &rae.values);
        assert_eq!(
            paths,
            [
                "secrets.jwtSecret",
                "postgresql.auth.password",
                "redis.auth.password"
            ]
        );
        // Rhesis names its Secret rhesis-secrets beside the database password.
        let rhesis = cat().chart("rhesis").unwrap();
        let paths = credential_paths(rhesis, &rhesis.values);
        assert!(
            !paths
                .iter()
                .any(|p| p == "database.postgresql.auth.password"),
            "{paths:?}"
        );
        let m = y("existingPasswordSecret: s\nexistingErlangSecret: ''");
        let m = m.as_mapping().unwrap();
        assert!(from_existing_secret("password", m));
        assert!(!from_existing_secret("erlangCookie", m));
    }

    /// Whether a credential value is acceptable in a bundle Tonnage writes on its own: empty, or
    /// an obvious placeholder.
    fn harmless(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::String(s) => s.is_empty() || s.contains("CHANGE_ME"),
            _ => false,
        }
    }

    /// No bundle holds a password Tonnage made up: without generated passwords, every credential
    /// key of every file is empty, a marked placeholder, or the chart's own published default
    /// (its values.yaml holds it; a subchart installed as a release of its own gets the value
    /// the chart gives it, e.g. rae-memory's `postgresql.auth.password: changeme`).
    #[test]
    fn bundles_hold_no_password_of_their_own() {
        let mut violations = Vec::new();
        let mut defaults = 0;
        for (id, env) in all_chart_envs() {
            let chart = cat().chart(id).unwrap();
            let config = Configuration::new(cat(), &[id], env).unwrap();
            let files = values_bundle(cat(), &config, &BundleOptions::default());
            for f in files.iter().filter(|f| f.path.ends_with(".yaml")) {
                let v: Value = serde_yaml::from_str(&f.contents).unwrap();
                // Where the file's keys sit in the chart's values.
                let prefix = chart
                    .subcharts
                    .iter()
                    .filter(|s| s.release)
                    .find(|s| f.path.starts_with(&format!("{id}-{}/", s.key)))
                    .map(|s| format!("{}.", s.key))
                    .unwrap_or_default();
                walk_keys(&v, &mut Vec::new(), &mut |segs, key, v, _| {
                    if !is_credential_key(key) || harmless(v) {
                        return;
                    }
                    let path = format!("{prefix}{}", at_path(segs));
                    if crate::base::values::lookup(&chart.values, &path) == Some(v) {
                        defaults += 1;
                    } else {
                        violations.push(format!("{env}: {}: {path} = {v:?}", f.path));
                    }
                });
            }
        }
        assert!(violations.is_empty(), "{violations:#?}");
        assert!(defaults > 0, "the chart-default case is exercised");
    }

    /// Generated passwords (offered for every credential path, in prod too: the real charts'
    /// prod files name no existing Secret) are listed in the chart's file header and in the
    /// README, whose text never shows them, nor does helmfile.yaml or install.sh.
    #[test]
    fn generated_passwords_are_listed_and_never_shown() {
        for chart in &cat().charts {
            let config = Configuration::new(cat(), &[&chart.id], "prod").unwrap();
            let effective = config.effective_values(chart);
            let paths = credential_paths(chart, &effective);
            let mut opts = BundleOptions::default();
            for (i, p) in paths.iter().enumerate() {
                opts.passwords
                    .insert((chart.id.clone(), p.clone()), format!("Gen3rated-Pw-{i}"));
            }
            let files = values_bundle(cat(), &config, &opts);
            let env = &file(&files, &format!("{}/values-prod.yaml", chart.id)).contents;
            let md = &file(&files, "README.md").contents;
            if paths.is_empty() {
                assert!(!env.contains("# Generated passwords"), "{}", chart.id);
                continue;
            }
            assert!(
                env.contains(&format!(
                    "# Generated passwords ({}); keep this file private:\n",
                    paths.len()
                )),
                "{env}"
            );
            for p in &paths {
                assert!(env.contains(&format!("#   {p}\n")), "{p}: {env}");
                assert!(md.contains(&format!("- `{}:{p}`\n", chart.id)), "{p}: {md}");
            }
            for f in ["README.md", "helmfile.yaml", "install.sh"] {
                assert!(
                    !file(&files, f).contents.contains("Gen3rated-Pw"),
                    "{} {f}",
                    chart.id
                );
            }
            // Installed with Helm from the chart's own values file: the generated value is in
            // effect there.
            if !chart.is_kustomize() {
                let merged = merged_files(&files, &chart.id, "prod");
                for (i, p) in paths.iter().enumerate() {
                    if chart.subchart_of(p).is_some_and(|s| s.release) {
                        continue;
                    }
                    assert_eq!(
                        crate::base::values::lookup(&merged, p),
                        Some(&Value::from(format!("Gen3rated-Pw-{i}"))),
                        "{} {p}",
                        chart.id
                    );
                }
            }
        }
    }

    #[test]
    fn the_credential_check_can_fail() {
        assert!(!harmless(&Value::from("s3cr3t-Pa55")));
        assert!(harmless(&Value::from("caracal_dev_password_CHANGE_ME")));
        assert!(is_credential_key("postgresPassword") && is_credential_key("erlangCookie"));
        assert!(
            !is_credential_key("existingSecret") && !is_credential_key("existingSecretPasswordKey")
        );
    }

    #[test]
    fn generated_passwords_land_in_the_env_file_only_for_credentials() {
        let config = Configuration::new(cat(), &["caracal"], "dev").unwrap();
        let mut opts = BundleOptions::default();
        opts.passwords.insert(
            ("caracal".into(), "postgresql.auth.password".into()),
            "Gen3rated-Pw".into(),
        );
        opts.passwords.insert(
            ("caracal".into(), "gateway.replicaCount".into()),
            "not a credential".into(),
        );
        opts.passwords.insert(
            ("rhesis".into(), "postgresql.auth.password".into()),
            "not in the configuration".into(),
        );
        let files = values_bundle(cat(), &config, &opts);
        let env = &file(&files, "caracal/values-dev.yaml").contents;
        let v = y(env);
        assert_eq!(v["postgresql"]["auth"]["password"], y("Gen3rated-Pw"));
        assert!(env.contains("# Generated passwords (1); keep this file private:\n#   postgresql.auth.password\n"), "{env}");
        assert!(!env.contains("not a credential"));
        let md = &file(&files, "README.md").contents;
        assert!(
            md.contains("generated passwords: keep it private, and prefer moving them into\nSecrets:\n\n- `caracal:postgresql.auth.password`\n"),
            "{md}"
        );
        assert!(
            !md.contains("Gen3rated-Pw"),
            "README never shows a password"
        );
    }

    #[test]
    fn never_panics_on_odd_configurations() {
        let odd = Configuration {
            stacks: vec!["nope".into(), "rhesis".into(), "rhesis".into()],
            env: "../../etc".into(),
            overrides: BTreeMap::new(),
            options: BTreeMap::new(),
            origins: BTreeMap::new(),
        };
        let files = values_bundle(cat(), &odd, &BundleOptions::default());
        assert!(files.iter().all(|f| !f.path.contains("..")), "{files:?}");
        assert!(
            files
                .iter()
                .any(|f| f.path == "rhesis/values-------etc.yaml"),
            "{files:?}"
        );
        let empty = Configuration {
            stacks: vec![],
            env: "dev".into(),
            overrides: BTreeMap::new(),
            options: BTreeMap::new(),
            origins: BTreeMap::new(),
        };
        let files = values_bundle(cat(), &empty, &BundleOptions::default());
        assert_eq!(
            y(&file(&files, "helmfile.yaml").contents),
            y("releases: []")
        );
    }
}
