//! Importing an existing values file (`my-values.yaml`, a bundle's `values-<env>.yaml`) into a
//! configuration.
//!
//! A values file means what `helm install -f FILE` makes of it: the chart's values.yaml with the
//! file merged on top. Import expresses that as overrides on the configuration's preset (the
//! chart's values with its environment): every leaf of the file is checked against the chart
//! and compared with the preset (overrides where it differs, unchanged otherwise, unknown paths,
//! invalid values); and where the environment changes a value the file leaves alone, an
//! override restores values.yaml's default (listed in `restored`), so the configuration deploys
//! what the file would. Lists are taken whole at the list's path (Helm replaces lists whole);
//! maps are walked down to their leaves.
//!
//! That is [`ImportMode::Replace`]. A partial file (three keys someone wants to try) means
//! something else: `helm upgrade --reuse-values -f FILE`, the file merged onto what the
//! configuration deploys now. [`ImportMode::Merge`] compares the file with the configuration's
//! effective values, restores nothing and keeps the chart's other overrides. The report says
//! which mode it was read in, and, for Replace, which of the user's overrides it would drop.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::base::values::{display_value, format_path, get_path, quantity_of, Seg};
use crate::base::values_diff::values_diff;
use crate::configuration::config::{
    field_kind, path_known, ConfigError, Configuration, FieldKind, Origin,
};
use crate::model::catalog::{Catalog, Chart};

/// How an imported file meets the configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// The file stands in for the environment's values file (`helm install -f FILE`): the
    /// chart's overrides become the file's, and what the environment sets and the file leaves
    /// out falls back to values.yaml.
    #[default]
    Replace,
    /// The file is merged onto the current configuration (`helm upgrade --reuse-values -f
    /// FILE`): its values that differ from what is deployed now become overrides; everything
    /// else stays as it is.
    Merge,
}

/// What a values file would change, by values path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The mode the file was read in; [`ImportReport::apply`] follows it.
    #[serde(default)]
    pub mode: ImportMode,
    /// Path -> value (as [`Configuration::set`] stores it: quantities canonical), only where it
    /// differs from the preset (the chart's values with the configuration's environment), in file
    /// order.
    pub overrides: Vec<(String, Value)>,
    /// Paths the chart does not know ([`path_known`] is false), in file order. A whole unknown
    /// map is one entry.
    pub unknown: Vec<String>,
    /// (path, problem): a known path with a value the chart cannot take (a malformed quantity,
    /// a replica count that is not a whole number...).
    pub invalid: Vec<(String, String)>,
    /// Leaves equal to the preset.
    pub unchanged: usize,
    /// Paths the environment preset changes and the file does not set: the file keeps
    /// values.yaml's default there, so `overrides` holds that default for them too.
    /// Always empty in [`ImportMode::Merge`].
    pub restored: Vec<String>,
    /// The chart's current overrides that applying would lose without the file naming them
    /// ([`ImportMode::Replace`] only: the file does not set them, and values.yaml's default
    /// does not restore the same value), so the page can say so before the user applies.
    #[serde(default)]
    pub dropped: Vec<String>,
    /// The imported file's name, when the front end knows it (an upload, a CLI argument): the
    /// audit says "set by the imported values file NAME" of the overrides it sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// A values file that cannot be read: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub chart: String,
    /// 1-based; 0 when the problem has no place in the file.
    pub line: usize,
    /// 1-based; 0 when the problem has no place in the file.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "values file for {}: {}", self.chart, self.message)
        } else {
            write!(
                f,
                "values file for {}: line {} column {}: {}",
                self.chart, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ImportError {}

impl ImportReport {
    /// Apply the file. [`ImportMode::Replace`]: the chart's previous overrides are replaced by
    /// [`ImportReport::overrides`], so the configuration deploys what values.yaml, the
    /// environment and the file would. [`ImportMode::Merge`]: each override is set on top of
    /// the chart's others, and one that equals the preset drops the user's override there.
    /// Each goes through [`Configuration::set`] (checked, quantities canonical). All or
    /// nothing: on an error `config` is unchanged. Returns the number of overrides applied.
    pub fn apply(
        &self,
        catalog: &Catalog,
        config: &mut Configuration,
        chart_id: &str,
    ) -> Result<usize, ConfigError> {
        let mut next = config.clone();
        let origin = Origin::Import {
            file: self.file.clone(),
        };
        match self.mode {
            ImportMode::Replace => {
                next.unset_chart(chart_id);
                for (path, value) in &self.overrides {
                    next.set_from(catalog, chart_id, path, value.clone(), origin.clone())?;
                }
            }
            ImportMode::Merge => {
                for (path, value) in &self.overrides {
                    next.set_from(catalog, chart_id, path, value.clone(), origin.clone())?;
                    next.drop_if_preset(catalog, chart_id, path);
                }
            }
        }
        *config = next;
        Ok(self.overrides.len())
    }

    /// Nothing to import: no override, no unknown path, no invalid value.
    /// (A file that restates the preset exactly imports nothing.)
    pub fn is_empty(&self) -> bool {
        self.overrides.is_empty() && self.unknown.is_empty() && self.invalid.is_empty()
    }
}

/// serde_yaml's message without its trailing " at line L column C" (the error carries them).
fn bare_message(e: &serde_yaml::Error) -> String {
    let text = e.to_string();
    match (e.location(), text.rfind(" at line ")) {
        (Some(_), Some(i)) => text[..i].to_string(),
        _ => text,
    }
}

/// The first line of the document's content (skipping blank lines, comments and `---`).
fn first_content(text: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t.trim_end() == "---" {
            continue;
        }
        return (i + 1, line.len() - t.len() + 1);
    }
    (1, 1)
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Read a values file for `chart_id` and compare it with the configuration's preset for that
/// chart ([`ImportMode::Replace`]). Empty text or a YAML null document imports nothing; a top
/// level that is not a map is an error, as is YAML that does not parse (with serde_yaml's line
/// and column).
pub fn import_values(
    catalog: &Catalog,
    config: &Configuration,
    chart_id: &str,
    text: &str,
) -> Result<ImportReport, ImportError> {
    import_values_as(catalog, config, chart_id, text, ImportMode::Replace)
}

/// [`import_values`] in either mode: [`ImportMode::Merge`] compares the file with the
/// configuration's effective values for the chart (preset and the user's overrides) and
/// restores nothing.
pub fn import_values_as(
    catalog: &Catalog,
    config: &Configuration,
    chart_id: &str,
    text: &str,
    mode: ImportMode,
) -> Result<ImportReport, ImportError> {
    let error = |line, column, message: String| ImportError {
        chart: chart_id.to_string(),
        line,
        column,
        message,
    };
    let Some(chart) = catalog.chart(chart_id) else {
        return Err(error(
            0,
            0,
            format!(
                "unknown chart {chart_id:?}; valid charts: {}",
                catalog.chart_ids().join(", ")
            ),
        ));
    };
    if !config.stacks.iter().any(|s| s == chart_id) {
        return Err(error(
            0,
            0,
            format!(
                "chart {chart_id} is not in the configuration (stacks: {}); add it first",
                config.stacks.join(", ")
            ),
        ));
    }
    let doc: Value = serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        error(line, column, bare_message(&e))
    })?;
    let doc = match doc {
        Value::Tagged(t) => t.value,
        other => other,
    };
    let mut report = ImportReport {
        mode,
        ..ImportReport::default()
    };
    match &doc {
        Value::Null => return Ok(report),
        Value::Mapping(m) if m.is_empty() => return Ok(report),
        Value::Mapping(_) => {}
        other => {
            let (line, column) = first_content(text);
            return Err(error(
                line,
                column,
                format!(
                    "the top level must be a map of values (like `backend:`), not {}",
                    kind_name(other)
                ),
            ));
        }
    }
    // What a leaf is compared with: the preset (Replace) or what is deployed now (Merge).
    let preset = match mode {
        ImportMode::Replace => config.preset_values(chart),
        ImportMode::Merge => config.effective(chart).into_owned(),
    };
    let mut walker = Walker {
        catalog,
        chart,
        preset: &preset,
        scratch: config.clone(),
        seen: Vec::new(),
        report: &mut report,
    };
    walker.walk(&mut Vec::new(), &doc);
    if mode == ImportMode::Merge {
        return Ok(report);
    }
    // Where the environment differs from values.yaml and the file says nothing, the file keeps
    // values.yaml's value: restore it. An environment that is the chart's own values file
    // (`values-prod.yaml`) stays: the install applies that file before the imported one.
    let file_env = chart
        .environment(&config.env)
        .is_some_and(|e| e.file.is_some());
    let restore_from = if file_env { &preset } else { &chart.values };
    let env_changes = values_diff(restore_from, &preset);
    let mut changed = Vec::new();
    leaves(&env_changes, &mut Vec::new(), &mut changed);
    for segs in changed {
        // A subtree installed as a release of its own, or a key no template reads, is not in the
        // chart's file: the file says nothing of it, and nothing is restored.
        let path = crate::base::values::format_path(&segs);
        if chart.subchart_of(&path).is_some_and(|s| s.release) || chart.is_dead(&path) {
            continue;
        }
        if walker
            .seen
            .iter()
            .any(|s| s.starts_with(&segs) || segs.starts_with(s))
        {
            continue;
        }
        let default = get_path(&chart.values, &segs)
            .cloned()
            .unwrap_or(Value::Null);
        walker.restore(&segs, default);
    }
    // The user's overrides of the chart that applying would lose without the file naming
    // them: not set by the file, and not restored to the same value.
    if let Some(own) = config.overrides.get(chart_id) {
        let kept = |p: &String, v: &Value| {
            report
                .overrides
                .iter()
                .any(|(q, w)| q == p && (w == v || !report.restored.contains(q)))
        };
        report.dropped = own
            .iter()
            .filter(|(p, v)| !kept(p, v))
            .map(|(p, _)| p.clone())
            .collect();
    }
    Ok(report)
}

/// Leaf paths of a tree as Helm sees them: maps walked, lists and scalars whole.
fn leaves(v: &Value, segs: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, child) in m {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => display_value(other),
                };
                segs.push(Seg::Key(key));
                leaves(child, segs, out);
                segs.pop();
            }
        }
        _ => {
            if !segs.is_empty() {
                out.push(segs.clone());
            }
        }
    }
}

struct Walker<'a> {
    catalog: &'a Catalog,
    chart: &'a Chart,
    preset: &'a Value,
    /// A copy of the configuration, used to check values with [`Configuration::set`].
    scratch: Configuration,
    /// Every path the file sets (known or not).
    seen: Vec<Vec<Seg>>,
    report: &'a mut ImportReport,
}

impl Walker<'_> {
    fn trees(&self) -> impl Iterator<Item = &Value> {
        std::iter::once(&self.chart.values).chain(self.chart.environments.iter().map(|e| &e.values))
    }

    fn walk(&mut self, segs: &mut Vec<Seg>, v: &Value) {
        match v {
            Value::Mapping(m) if !m.is_empty() => {
                if !segs.is_empty() {
                    let is_map = self
                        .trees()
                        .any(|t| get_path(t, segs).is_some_and(Value::is_mapping));
                    if !is_map {
                        // A new key of a free-form map (annotations...) takes a map whole; any
                        // other map the chart does not have is unknown as a whole.
                        let path = format_path(segs);
                        if path_known(self.chart, &path) {
                            self.leaf(segs, v);
                        } else {
                            self.seen.push(segs.clone());
                            self.report.unknown.push(path);
                        }
                        return;
                    }
                }
                for (k, child) in m {
                    let key = match k {
                        Value::String(s) => s.clone(),
                        other => display_value(other),
                    };
                    segs.push(Seg::Key(key));
                    self.walk(segs, child);
                    segs.pop();
                }
            }
            Value::Tagged(t) => self.walk(segs, &t.value),
            _ => self.leaf(segs, v),
        }
    }

    fn leaf(&mut self, segs: &[Seg], v: &Value) {
        self.seen.push(segs.to_vec());
        let path = format_path(segs);
        if !path_known(self.chart, &path) {
            self.report.unknown.push(path);
            return;
        }
        let kind = field_kind(self.chart, &path);
        let value = yaml11_bool(kind, v);
        let chart_id = self.chart.id.as_str();
        if let Err(e) = self
            .scratch
            .set(self.catalog, chart_id, &path, value.clone())
        {
            let problem = match e {
                ConfigError::BadValue { problem, .. } => problem,
                other => other.to_string(),
            };
            self.report.invalid.push((path, problem));
            return;
        }
        // What `set` stored: quantities canonical.
        let stored = self
            .scratch
            .overrides
            .get(chart_id)
            .and_then(|m| m.get(&path))
            .cloned()
            .unwrap_or(value);
        if same(kind, get_path(self.preset, segs), &stored) {
            self.report.unchanged += 1;
        } else {
            self.report.overrides.push((path, stored));
        }
    }
}

impl Walker<'_> {
    /// Override `segs` with values.yaml's `default` where the preset differs from it.
    fn restore(&mut self, segs: &[Seg], default: Value) {
        let path = format_path(segs);
        let chart_id = self.chart.id.as_str();
        if self
            .scratch
            .set(self.catalog, chart_id, &path, default.clone())
            .is_err()
        {
            return; // values.yaml's own value: the catalog tests check these
        }
        let stored = self
            .scratch
            .overrides
            .get(chart_id)
            .and_then(|m| m.get(&path))
            .cloned()
            .unwrap_or(default);
        let kind = field_kind(self.chart, &path);
        if !same(kind, get_path(self.preset, segs), &stored) {
            self.report.restored.push(path.clone());
            self.report.overrides.push((path, stored));
        }
    }
}

/// Helm reads values files as YAML 1.1, where an unquoted `yes`/`on`/`off`... is a boolean;
/// serde_yaml (YAML 1.2) reads a string. For a boolean field, take the YAML 1.1 reading.
fn yaml11_bool(kind: FieldKind, v: &Value) -> Value {
    if kind != FieldKind::Bool {
        return v.clone();
    }
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("y" | "yes" | "on" | "true") => Value::Bool(true),
        Some("n" | "no" | "off" | "false") => Value::Bool(false),
        _ => v.clone(),
    }
}

/// Whether the file's value is what the preset already has: equal values, equal quantities
/// (`1000m` = `1`), or a null where the preset has nothing.
fn same(kind: FieldKind, preset: Option<&Value>, value: &Value) -> bool {
    let preset = preset.filter(|p| !p.is_null());
    match preset {
        None => value.is_null(),
        Some(p) if p == value => true,
        Some(p) => {
            kind == FieldKind::Quantity
                && matches!((quantity_of(p), quantity_of(value)), (Ok(a), Ok(b)) if a == b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::plan::{plan, Plan};
    use crate::model::catalog::Persistence;
    use crate::outputs::bundle::{values_bundle, BundleOptions};
    use proptest::prelude::*;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    fn env_file(config: &Configuration, chart: &str) -> String {
        let files = values_bundle(cat(), config, &BundleOptions::default());
        let path = format!("{chart}/values-{}.yaml", config.env);
        files
            .into_iter()
            .find(|f| f.path == path)
            .map(|f| f.contents)
            .unwrap_or_else(|| panic!("no {path}"))
    }

    /// Values as Helm and Kubernetes see them: a null map value is absent, and quantities
    /// are equal whatever their spelling (`1000m` = `1`).
    fn strip_nulls(v: &Value) -> Value {
        match v {
            Value::Mapping(m) => Value::Mapping(
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), strip_nulls(v)))
                    .collect(),
            ),
            Value::Sequence(s) => Value::Sequence(s.iter().map(strip_nulls).collect()),
            Value::String(s) => match s.parse::<crate::base::quantity::Quantity>() {
                Ok(q) => Value::String(q.to_string()),
                Err(_) => v.clone(),
            },
            other => other.clone(),
        }
    }

    /// The figures of a plan (not its env, nor which layer each figure came from).
    fn figures(p: &Plan) -> String {
        let mut s = format!("{:?}\n", p.totals);
        for c in &p.components {
            s += &format!(
                "{}/{} {} {:?} {:?} {:?} {:?} {}\n",
                c.stack,
                c.id,
                c.enabled,
                c.replicas,
                c.autoscaling,
                c.requests,
                c.limits,
                c.storage_bytes
            );
        }
        for v in &p.volumes {
            s += &format!("{}/{} {} {}\n", v.stack, v.id, v.enabled, v.storage_bytes);
        }
        s
    }

    /// Whether `path` is a key of the chart's own values file in the bundle: not under a
    /// subchart installed as a release of its own (rae-memory's PostgreSQL, Redis and Qdrant),
    /// whose values travel in that release's file.
    fn in_chart_file(chart: &Chart, path: &str) -> bool {
        !chart.subchart_of(path).is_some_and(|s| s.release)
    }

    /// The chart's own part of its values, as Helm sees them ([`strip_nulls`]).
    fn own_values(chart: &Chart, v: &Value) -> Value {
        let mut v = v.clone();
        if let Value::Mapping(m) = &mut v {
            for s in chart.subcharts.iter().filter(|s| s.release) {
                m.remove(s.key.as_str());
            }
        }
        strip_nulls(&v)
    }

    /// [`figures`] of the components the chart's own values file sizes: all of them and the
    /// totals, unless a subchart is a release of its own.
    fn own_figures(chart: &Chart, p: &Plan) -> String {
        if !chart.subcharts.iter().any(|s| s.release) {
            return figures(p);
        }
        let mut p = p.clone();
        p.components.retain(|c| {
            chart
                .component(&c.id)
                .and_then(|k| k.values.resources.as_deref())
                .is_none_or(|r| in_chart_file(chart, r))
        });
        p.totals = Default::default();
        figures(&p)
    }

    fn rhesis(env: &str) -> Configuration {
        Configuration::new(cat(), &["rhesis"], env).unwrap()
    }

    /// The overrides that come from the file itself (not restored defaults).
    fn own(r: &ImportReport) -> Vec<(String, Value)> {
        r.overrides
            .iter()
            .filter(|(p, _)| !r.restored.contains(p))
            .cloned()
            .collect()
    }

    #[test]
    fn a_generated_env_file_imports_nothing_onto_its_env() {
        for chart in &cat().charts {
            for env in &chart.environments {
                let config = Configuration::new(cat(), &[&chart.id], &env.id).unwrap();
                let text = env_file(&config, &chart.id);
                let r = import_values(cat(), &config, &chart.id, &text).unwrap();
                assert!(r.is_empty(), "{}/{}: {r:?}", chart.id, env.id);
                assert!(r.restored.is_empty());
                let leaves = {
                    let mut out = Vec::new();
                    leaves(
                        &serde_yaml::from_str(&text).unwrap(),
                        &mut Vec::new(),
                        &mut out,
                    );
                    out.len()
                };
                assert_eq!(r.unchanged, leaves, "{}/{}", chart.id, env.id);
            }
        }
    }

    /// Between environments whose presets are the guide's figures (no chart file of their
    /// own: the bundle's file then holds the whole preset), a file reproduces its plan: the
    /// figures and values its chart's file holds (a subchart installed as a release of its own
    /// has a file of its own).
    #[test]
    fn an_env_file_onto_another_env_reproduces_its_plan() {
        for chart in &cat().charts {
            let guide_envs = || chart.environments.iter().filter(|e| e.file.is_none());
            for a in guide_envs() {
                let ca = Configuration::new(cat(), &[&chart.id], &a.id).unwrap();
                let text = env_file(&ca, &chart.id);
                for b in guide_envs() {
                    let mut cb = Configuration::new(cat(), &[&chart.id], &b.id).unwrap();
                    let r = import_values(cat(), &cb, &chart.id, &text).unwrap();
                    assert!(r.unknown.is_empty() && r.invalid.is_empty(), "{r:?}");
                    if a.id == b.id {
                        assert!(r.overrides.is_empty(), "{r:?}");
                    }
                    r.apply(cat(), &mut cb, &chart.id).unwrap();
                    assert_eq!(
                        own_values(chart, &cb.effective_values(chart)),
                        own_values(chart, &ca.effective_values(chart)),
                        "{}: {} file onto {}",
                        chart.id,
                        a.id,
                        b.id
                    );
                    assert_eq!(
                        own_figures(chart, &plan(cat(), &cb)),
                        own_figures(chart, &plan(cat(), &ca)),
                        "{}: {} file onto {}",
                        chart.id,
                        a.id,
                        b.id
                    );
                }
            }
        }
        // The environment's own changes that the file leaves alone are restored.
        let r = import_values(
            cat(),
            &rhesis("prod"),
            "rhesis",
            "backend:\n  replicas: 2\n",
        )
        .unwrap();
        assert_eq!(r.overrides[0], ("backend.replicas".into(), Value::from(2)));
        assert!(r.restored.iter().any(|p| p == "frontend.replicas"), "{r:?}");
    }

    /// A partial file merged onto a configuration with the user's own overrides: only what
    /// differs from what is deployed now becomes an override, nothing is restored, the user's
    /// other overrides stay, and a value equal to the preset drops the user's override there.
    /// Replace on the same configuration says which of the user's overrides it would drop.
    #[test]
    fn a_partial_file_merges_onto_the_configuration() {
        let mut c = rhesis("prod");
        c.set(cat(), "rhesis", "worker.replicas", Value::from(7))
            .unwrap();
        c.set(cat(), "rhesis", "frontend.replicas", Value::from(4))
            .unwrap();
        let preset_backend = get_path(
            &c.preset_values(cat().chart("rhesis").unwrap()),
            &crate::base::values::parse_path("backend.replicas").unwrap(),
        )
        .cloned()
        .unwrap();
        // backend.replicas changes, worker.replicas restates the user's 7, frontend.replicas
        // goes back to the preset's value.
        let preset_frontend = get_path(
            &c.preset_values(cat().chart("rhesis").unwrap()),
            &crate::base::values::parse_path("frontend.replicas").unwrap(),
        )
        .cloned()
        .unwrap();
        let text = format!(
            "backend:\n  replicas: 6\nworker:\n  replicas: 7\nfrontend:\n  replicas: {}\n",
            display_value(&preset_frontend)
        );
        let r = import_values_as(cat(), &c, "rhesis", &text, ImportMode::Merge).unwrap();
        assert_eq!(r.mode, ImportMode::Merge);
        assert!(r.restored.is_empty() && r.dropped.is_empty(), "{r:?}");
        assert_eq!(r.unchanged, 1, "{r:?}");
        assert_eq!(
            r.overrides,
            [
                ("backend.replicas".to_string(), Value::from(6)),
                ("frontend.replicas".to_string(), preset_frontend.clone()),
            ]
        );
        let mut merged = c.clone();
        r.apply(cat(), &mut merged, "rhesis").unwrap();
        let own = &merged.overrides["rhesis"];
        assert_eq!(own.get("backend.replicas"), Some(&Value::from(6)));
        assert_eq!(own.get("worker.replicas"), Some(&Value::from(7)));
        assert_eq!(own.get("frontend.replicas"), None, "{own:?}");
        assert_ne!(preset_backend, Value::from(6));

        // Replace: the file stands in for the environment's file; it sets worker.replicas
        // again, and frontend.replicas to the preset's value: the user's 4 is dropped...
        let r = import_values(cat(), &c, "rhesis", &text).unwrap();
        assert_eq!(r.mode, ImportMode::Replace);
        assert_eq!(r.dropped, ["frontend.replicas"], "{r:?}");
        // ...and a file that leaves both out drops both, and says so.
        let r = import_values(cat(), &c, "rhesis", "backend:\n  replicas: 6\n").unwrap();
        assert_eq!(r.dropped, ["frontend.replicas", "worker.replicas"], "{r:?}");
        let mut replaced = c.clone();
        r.apply(cat(), &mut replaced, "rhesis").unwrap();
        assert_ne!(
            replaced.overrides["rhesis"].get("worker.replicas"),
            Some(&Value::from(7))
        );
    }

    #[test]
    fn unknown_paths_are_listed() {
        let text = "backend:\n  replicaz: 3\n  replicas: 4\nnope:\n  deep:\n    x: 1\nfrontend:\n  resources:\n    requests:\n      gpu: 1\n";
        let r = import_values(cat(), &rhesis("local"), "rhesis", text).unwrap();
        assert_eq!(
            r.unknown,
            [
                "backend.replicaz",
                "nope",
                "frontend.resources.requests.gpu"
            ]
        );
        assert_eq!(own(&r), [("backend.replicas".into(), Value::from(4))]);
    }

    #[test]
    fn bad_values_are_invalid_not_errors() {
        let text = "backend:\n  replicas: lots\n  resources:\n    requests:\n      memory: 2Gx\n      cpu: 750m\n";
        let r = import_values(cat(), &rhesis("local"), "rhesis", text).unwrap();
        let paths: Vec<&str> = r.invalid.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            ["backend.replicas", "backend.resources.requests.memory"]
        );
        assert!(r.invalid[1].1.contains("2Gx"), "{:?}", r.invalid);
        assert_eq!(
            own(&r),
            [(
                "backend.resources.requests.cpu".to_string(),
                Value::from("750m")
            )]
        );
    }

    #[test]
    fn yaml_errors_carry_line_and_column() {
        let text = "backend:\n  replicas: 2\n   resources: {\n";
        let e = import_values(cat(), &rhesis("local"), "rhesis", text).unwrap_err();
        assert_eq!((e.line, e.column), (3, 13), "{e}");
        let s = e.to_string();
        assert!(
            s.starts_with("values file for rhesis: line 3 column 13: "),
            "{s}"
        );
        assert!(!s.contains(" at line "), "location said once: {s}");

        let e = import_values(cat(), &rhesis("local"), "rhesis", "a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.line, 1, "the map holding the duplicate: {e}");
        assert!(e.message.contains("duplicate"), "{e}");
    }

    #[test]
    fn top_level_must_be_a_map() {
        let e =
            import_values(cat(), &rhesis("local"), "rhesis", "# values\n\n- a\n- b\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(
            e.to_string(),
            "values file for rhesis: line 3 column 1: the top level must be a map of values (like `backend:`), not a list"
        );
        assert!(import_values(cat(), &rhesis("local"), "rhesis", "42").is_err());
    }

    #[test]
    fn empty_and_null_documents_import_nothing() {
        for text in ["", "   \n", "# just a comment\n", "null\n", "~", "---\n"] {
            let r = import_values(cat(), &rhesis("local"), "rhesis", text).unwrap();
            assert_eq!(r, ImportReport::default(), "{text:?}");
        }
    }

    #[test]
    fn charts_outside_the_configuration_are_refused() {
        let e = import_values(cat(), &rhesis("local"), "caracal", "a: 1").unwrap_err();
        assert!(e.to_string().contains("not in the configuration"), "{e}");
        let e = import_values(cat(), &rhesis("local"), "nope", "a: 1").unwrap_err();
        assert!(e.to_string().contains("rae-memory"), "{e}");
    }

    #[test]
    fn equal_quantities_are_unchanged_and_stored_canonical() {
        // rhesis local sets backend requests cpu "500m" and limits cpu "1000m".
        let text = "backend:\n  resources:\n    requests:\n      cpu: 0.5\n    limits:\n      cpu: \"1\"\n      memory: 2048Mi\n";
        let r = import_values(cat(), &rhesis("local"), "rhesis", text).unwrap();
        assert_eq!(r.unchanged, 3, "{r:?}");
        assert!(own(&r).is_empty(), "{r:?}");
        let r = import_values(
            cat(),
            &rhesis("local"),
            "rhesis",
            "backend:\n  resources:\n    limits:\n      memory: 3072Mi\n",
        )
        .unwrap();
        assert_eq!(
            own(&r),
            [(
                "backend.resources.limits.memory".to_string(),
                Value::from("3Gi")
            )]
        );
    }

    #[test]
    fn lists_whole_nulls_and_yaml_1_1_booleans() {
        let mut config = Configuration::new(cat(), &["rae-memory"], "dev").unwrap();
        let text = "ingress:\n  enabled: off\n  hosts:\n    - host: x.example.com\n      paths: [{path: /, pathType: Prefix}]\n  annotations:\n    example.com/team: memory\nrerankerService: null\n";
        let r = import_values(cat(), &config, "rae-memory", text).unwrap();
        let paths: Vec<&str> = r.overrides.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"ingress.enabled"), "{r:?}");
        assert!(paths.contains(&"ingress.hosts"), "lists whole: {r:?}");
        assert!(
            paths.contains(&"ingress.annotations.example\\.com/team"),
            "{r:?}"
        );
        assert!(paths.contains(&"rerankerService"), "null deletes: {r:?}");
        let enabled = r
            .overrides
            .iter()
            .find(|(p, _)| p == "ingress.enabled")
            .unwrap();
        assert_eq!(enabled.1, Value::Bool(false));
        assert!(r.unknown.is_empty() && r.invalid.is_empty(), "{r:?}");
        let n = r.apply(cat(), &mut config, "rae-memory").unwrap();
        assert_eq!(n, r.overrides.len());
        let p = plan(cat(), &config);
        let reranker = p.components.iter().find(|c| c.id == "reranker").unwrap();
        assert_eq!(
            reranker.requests.cpu_millicores, 0,
            "reranker values deleted"
        );
    }

    #[test]
    fn apply_replaces_the_charts_overrides_and_is_all_or_nothing() {
        let mut config = rhesis("local");
        config.set_str(cat(), "worker.replicas=9").unwrap();
        let r = import_values(cat(), &config, "rhesis", "backend:\n  replicas: 2\n").unwrap();
        r.apply(cat(), &mut config, "rhesis").unwrap();
        let ov = &config.overrides["rhesis"];
        assert!(!ov.contains_key("worker.replicas"), "replaced: {ov:?}");
        assert_eq!(ov["backend.replicas"], Value::from(2));
        assert_eq!(ov.len(), r.overrides.len());

        let before = config.clone();
        let bad = ImportReport {
            overrides: vec![
                ("backend.replicas".into(), Value::from(5)),
                ("backend.replicas".into(), Value::from("many")),
            ],
            ..ImportReport::default()
        };
        assert!(bad.apply(cat(), &mut config, "rhesis").is_err());
        assert_eq!(config, before);
    }

    /// Paths of component replicas, resources and storage, with values to try.
    fn sizing_paths(chart: &Chart) -> Vec<(String, Vec<Value>)> {
        let counts: Vec<Value> = [0, 1, 2, 3, 5].into_iter().map(Value::from).collect();
        let cpus: Vec<Value> = ["100m", "0.5", "1", "1500m", "2"]
            .into_iter()
            .map(Value::from)
            .collect();
        let mems: Vec<Value> = ["256Mi", "1Gi", "1536Mi", "3Gi", "1G"]
            .into_iter()
            .map(Value::from)
            .collect();
        let sizes: Vec<Value> = ["1Gi", "10Gi", "100Gi", "500G"]
            .into_iter()
            .map(Value::from)
            .collect();
        let mut out = Vec::new();
        for c in &chart.components {
            let v = &c.values;
            if let Some(p) = &v.replicas {
                out.push((p.clone(), counts.clone()));
            }
            if let Some(a) = &v.autoscaling {
                out.push((format!("{a}.minReplicas"), counts[1..].to_vec()));
                out.push((format!("{a}.maxReplicas"), counts[1..].to_vec()));
            }
            if let Some(r) = &v.resources {
                for k in ["requests", "limits"] {
                    out.push((format!("{r}.{k}.cpu"), cpus.clone()));
                    out.push((format!("{r}.{k}.memory"), mems.clone()));
                }
                out.push((format!("{r}.limits"), vec![Value::Null]));
            }
            if let (Persistence::PerReplica, Some(p)) = (&c.persistence, &v.persistence) {
                out.push((format!("{p}.size"), sizes.clone()));
            }
        }
        for vol in &chart.volumes {
            out.push((format!("{}.size", vol.values), sizes.clone()));
        }
        out
    }

    fn scenario() -> impl Strategy<Value = (usize, usize, usize, Vec<(usize, usize)>)> {
        (
            0..cat().charts.len(),
            0usize..5,
            0usize..5,
            prop::collection::vec((0usize..200, 0usize..5), 0..8),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn overrides_survive_bundle_and_import((ci, ea, eb, picks) in scenario()) {
            let chart = &cat().charts[ci];
            let envs = &chart.environments;
            let a = &envs[ea % envs.len()].id;
            // Onto another environment only where the file holds the whole preset (the guide's
            // figures): a bundle file for a chart's own environment file is layered on that file.
            let b = match envs[ea % envs.len()].file {
                Some(_) => a,
                None => &envs[eb % envs.len()].id,
            };
            let b = match chart.environment(b).and_then(|e| e.file.as_ref()) {
                Some(_) => a,
                None => b,
            };
            // What the chart's own file carries (see in_chart_file).
            let paths: Vec<_> = sizing_paths(chart)
                .into_iter()
                .filter(|(p, _)| in_chart_file(chart, p))
                .collect();
            let mut ca = Configuration::new(cat(), &[&chart.id], a).unwrap();
            for (pi, vi) in picks {
                let (p, vals) = &paths[pi % paths.len()];
                ca.set(cat(), &chart.id, p, vals[vi % vals.len()].clone()).unwrap();
            }
            let text = env_file(&ca, &chart.id);
            let mut cb = Configuration::new(cat(), &[&chart.id], b).unwrap();
            let r = import_values(cat(), &cb, &chart.id, &text).unwrap();
            prop_assert!(r.unknown.is_empty() && r.invalid.is_empty(), "{:?}", r);
            r.apply(cat(), &mut cb, &chart.id).unwrap();
            prop_assert_eq!(
                own_figures(chart, &plan(cat(), &cb)),
                own_figures(chart, &plan(cat(), &ca)),
                "{}",
                text
            );
            // The same values as Helm sees them, not only the same figures.
            prop_assert_eq!(
                own_values(chart, &cb.effective_values(chart)),
                own_values(chart, &ca.effective_values(chart))
            );
        }
    }
}
