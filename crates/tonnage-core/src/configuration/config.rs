//! A configuration: which charts, which environment, and the user's overrides, addressed by
//! each chart's own values paths exactly as `helm --set` would. Kept apart from the catalog;
//! applying it is pure and deterministic.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::base::values::{self, get_path, parse_path, set_path, typed_value, Seg};
#[cfg(test)]
use crate::model::catalog::key_index::field_kind_by_scan;
pub use crate::model::catalog::key_index::{field_kind, FieldKind};
#[cfg(test)]
use crate::model::catalog::path_covers;
use crate::model::catalog::{Catalog, Chart};

/// What the user chose. `overrides` maps chart id -> values path -> value.
///
/// `options` holds planning choices that are not chart values, by key: the cloud and node type
/// for node fit, prices, expected users, Qdrant vector counts... (see `capacity`). They travel
/// with the configuration (share links, autosave) but never reach a values file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    pub stacks: Vec<String>,
    pub env: String,
    #[serde(default)]
    pub overrides: BTreeMap<String, BTreeMap<String, Value>>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Who set each override (chart id -> values path -> [`Origin`]), beside `overrides`: the
    /// user, an imported values file or a share link. An override without an entry has an
    /// unknown origin (a configuration saved before origins were recorded). Never in a share
    /// link (its format is frozen): a decoded link marks its overrides [`Origin::Link`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub origins: BTreeMap<String, BTreeMap<String, Origin>>,
}

/// Who set an override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The user: the editor, a review fix, `--set` on the command line.
    User,
    /// A share link the user opened.
    Link,
    /// An imported values file ([`crate::outputs::import::ImportReport::apply`]), with its file
    /// name when the front end knows it.
    Import {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
    },
}

/// Bad user input, naming what was given and what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    UnknownStack {
        given: String,
        valid: Vec<String>,
    },
    NoStack,
    UnknownEnv {
        given: String,
        stacks: Vec<String>,
        valid: Vec<String>,
    },
    BadSet {
        given: String,
        problem: String,
    },
    UnknownPath {
        stack: String,
        path: String,
        suggestions: Vec<String>,
    },
    AmbiguousPath {
        path: String,
        stacks: Vec<String>,
    },
    BadValue {
        stack: String,
        path: String,
        value: String,
        problem: String,
    },
    /// A key the chart reads that Tonnage does not model (catalog `unmodelled`).
    Unmodelled {
        stack: String,
        path: String,
        key: String,
        why: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownStack { given, valid } => write!(
                f,
                "unknown stack {given:?}; valid stacks: {}",
                valid.join(", ")
            ),
            ConfigError::NoStack => write!(f, "no stack chosen; pass at least one --stack"),
            ConfigError::UnknownEnv { given, stacks, valid } => write!(
                f,
                "unknown environment {given:?} for {}; valid environments: {}",
                stacks.join(" + "),
                valid.join(", ")
            ),
            ConfigError::BadSet { given, problem } => {
                write!(f, "invalid --set {given:?}: {problem}")
            }
            ConfigError::UnknownPath { stack, path, suggestions } => {
                write!(f, "unknown values path {path:?} for stack {stack}")?;
                if suggestions.is_empty() {
                    write!(f, "; run `tonnage stacks --paths` to list the valid paths")
                } else {
                    write!(f, "; did you mean: {}", suggestions.join(", "))
                }
            }
            ConfigError::AmbiguousPath { path, stacks } => write!(
                f,
                "values path {path:?} exists in several stacks ({}); prefix it with the stack, e.g. {}:{path}",
                stacks.join(", "),
                stacks[0]
            ),
            ConfigError::BadValue { stack, path, value, problem } => {
                write!(f, "invalid value {value:?} for {stack}:{path}: {problem}")
            }
            ConfigError::Unmodelled { stack, path, key, why } => write!(
                f,
                "{stack}:{path} is not supported: Tonnage does not model the chart's key {key} \
                 ({why}), so its plan and manifests would not be what Helm renders with it"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Configuration {
    /// A validated configuration with no overrides.
    pub fn new(catalog: &Catalog, stacks: &[&str], env: &str) -> Result<Self, ConfigError> {
        if stacks.is_empty() {
            return Err(ConfigError::NoStack);
        }
        let mut ids = Vec::new();
        for s in stacks {
            if catalog.chart(s).is_none() {
                return Err(ConfigError::UnknownStack {
                    given: s.to_string(),
                    valid: catalog.chart_ids().iter().map(|s| s.to_string()).collect(),
                });
            }
            if !ids.iter().any(|i: &String| i == s) {
                ids.push(s.to_string());
            }
        }
        // Keep catalog order so `--stack b --stack a` and `--stack a --stack b` plan alike.
        let order = catalog.chart_ids();
        ids.sort_by_key(|id| order.iter().position(|o| o == id));
        let charts: Vec<&Chart> = ids.iter().filter_map(|i| catalog.chart(i)).collect();
        if !charts.iter().all(|c| c.environment(env).is_some()) {
            let mut valid: Vec<String> = charts[0]
                .environments
                .iter()
                .map(|e| e.id.clone())
                .filter(|e| charts.iter().all(|c| c.environment(e).is_some()))
                .collect();
            valid.dedup();
            return Err(ConfigError::UnknownEnv {
                given: env.to_string(),
                stacks: ids.clone(),
                valid,
            });
        }
        Ok(Configuration {
            stacks: ids,
            env: env.to_string(),
            overrides: BTreeMap::new(),
            options: BTreeMap::new(),
            origins: BTreeMap::new(),
        })
    }

    /// Apply one `--set` argument (`[STACK:]PATH=VALUE`, several separated by commas, as Helm
    /// reads them), typed like Helm, each checked against the chart.
    pub fn set_str(&mut self, catalog: &Catalog, text: &str) -> Result<(), ConfigError> {
        self.set_helm(catalog, text, false)
    }

    /// [`Self::set_str`] for `--set-string`: every value (and list item) is text.
    pub fn set_string_str(&mut self, catalog: &Catalog, text: &str) -> Result<(), ConfigError> {
        self.set_helm(catalog, text, true)
    }

    /// One `--set` argument as Helm reads it ([`values::parse_set`]: `a=1,b=2`, `{x,y}` lists,
    /// backslash escapes), each assignment `PATH=VALUE` or `STACK:PATH=VALUE`, set in order.
    /// On an error nothing of the argument is set.
    fn set_helm(
        &mut self,
        catalog: &Catalog,
        text: &str,
        strings: bool,
    ) -> Result<(), ConfigError> {
        let bad = |problem: String| ConfigError::BadSet {
            given: text.to_string(),
            problem,
        };
        let assignments = values::parse_set(text, strings).map_err(|e| {
            bad(format!(
                "{}; expected PATH=VALUE (or STACK:PATH=VALUE)",
                e.problem
            ))
        })?;
        if assignments.is_empty() {
            return Err(bad("expected PATH=VALUE (or STACK:PATH=VALUE)".into()));
        }
        let mut next = self.clone();
        for a in assignments {
            let (stack, path) = match a.lhs.split_once(':') {
                Some((s, p)) => (Some(s), p),
                None => (None, a.lhs.as_str()),
            };
            let segs = parse_path(path).map_err(|e| bad(e.to_string()))?;
            // The path as the rest of the product writes it (`a\.b`, `l[0]`).
            let path = values::format_path(&segs);
            let stack = match stack {
                Some(s) => {
                    if !next.stacks.iter().any(|x| x == s) {
                        return Err(ConfigError::UnknownStack {
                            given: s.to_string(),
                            valid: next.stacks.clone(),
                        });
                    }
                    s.to_string()
                }
                None => next.resolve_stack(catalog, &path)?,
            };
            next.set(catalog, &stack, &path, a.value)?;
        }
        *self = next;
        Ok(())
    }

    fn resolve_stack(&self, catalog: &Catalog, path: &str) -> Result<String, ConfigError> {
        let owners: Vec<String> = self
            .stacks
            .iter()
            .filter(|s| catalog.chart(s).is_some_and(|c| path_known(c, path)))
            .cloned()
            .collect();
        match owners.len() {
            1 => Ok(owners[0].clone()),
            0 => Err(ConfigError::UnknownPath {
                stack: self.stacks.join(" + "),
                path: path.to_string(),
                // A path of an earlier catalog first: the chart's real key for it.
                suggestions: self
                    .stacks
                    .iter()
                    .filter_map(|s| catalog.chart(s))
                    .filter_map(|c| c.migrate(path).and_then(|(to, _)| to))
                    .chain(
                        self.stacks
                            .iter()
                            .filter_map(|s| catalog.chart(s))
                            .flat_map(|c| suggest(c, path)),
                    )
                    .take(5)
                    .collect(),
            }),
            _ => Err(ConfigError::AmbiguousPath {
                path: path.to_string(),
                stacks: owners,
            }),
        }
    }

    /// Set one override (already typed), checking the path and the value; the user's
    /// ([`Origin::User`]).
    pub fn set(
        &mut self,
        catalog: &Catalog,
        stack: &str,
        path: &str,
        value: Value,
    ) -> Result<(), ConfigError> {
        self.set_from(catalog, stack, path, value, Origin::User)
    }

    /// [`Self::set`] for an override that `origin` sets (an imported file, a link): the one
    /// checked entry point, recording who set it.
    pub fn set_from(
        &mut self,
        catalog: &Catalog,
        stack: &str,
        path: &str,
        value: Value,
        origin: Origin,
    ) -> Result<(), ConfigError> {
        let chart = catalog
            .chart(stack)
            .filter(|_| self.stacks.iter().any(|s| s == stack))
            .ok_or_else(|| ConfigError::UnknownStack {
                given: stack.to_string(),
                valid: self.stacks.clone(),
            })?;
        if let Some(u) = chart.unmodelled_key(path) {
            return Err(ConfigError::Unmodelled {
                stack: stack.to_string(),
                path: path.to_string(),
                key: u.path.clone(),
                why: u.why.clone(),
            });
        }
        if !path_known(chart, path) {
            // A path of an earlier catalog: name the chart's real key first.
            let mut suggestions = suggest(chart, path);
            if let Some((Some(to), _)) = chart.migrate(path) {
                suggestions.retain(|s| s != &to);
                suggestions.insert(0, to);
            }
            return Err(ConfigError::UnknownPath {
                stack: stack.to_string(),
                path: path.to_string(),
                suggestions,
            });
        }
        check_value(chart, path, &value).map_err(|problem| ConfigError::BadValue {
            stack: stack.to_string(),
            path: path.to_string(),
            value: values::display_value(&value),
            problem,
        })?;
        // Normalise quantities to canonical text so equal configurations compare equal.
        let value = match (field_kind(chart, path), &value) {
            (FieldKind::Quantity, v) if !v.is_null() => match values::quantity_of(v) {
                Ok(q) => Value::String(q.to_string()),
                Err(_) => value,
            },
            _ => value,
        };
        self.overrides
            .entry(stack.to_string())
            .or_default()
            .insert(path.to_string(), value);
        self.origins
            .entry(stack.to_string())
            .or_default()
            .insert(path.to_string(), origin);
        Ok(())
    }

    /// Who set the override at `path` of `stack`, or the one covering it or below it (the
    /// first in path order); `None` when no override touches it or its origin is unknown.
    pub fn origin_of(&self, stack: &str, path: &str) -> Option<&Origin> {
        let origins = self.origins.get(stack)?;
        let ov = self.overrides.get(stack)?;
        if ov.contains_key(path) {
            return origins.get(path);
        }
        ov.keys()
            .filter(|k| {
                crate::model::catalog::path_covers(k, path)
                    || crate::model::catalog::path_covers(path, k)
            })
            .find_map(|k| origins.get(k))
    }

    /// Whether an override of `stack` sets `path`, covers it or lies below it (the value there
    /// is an override's, not the preset's nor an external endpoint's).
    pub fn is_overridden(&self, stack: &str, path: &str) -> bool {
        self.overrides
            .get(stack)
            .is_some_and(|ov| overrides_touch(ov, path))
    }

    /// Mark every override as set by `origin` (a decoded link's).
    pub fn mark_all(&mut self, origin: &Origin) {
        self.origins = self
            .overrides
            .iter()
            .map(|(stack, ov)| {
                let marks = ov.keys().map(|p| (p.clone(), origin.clone())).collect();
                (stack.clone(), marks)
            })
            .collect();
    }

    /// Take the origins `saved` records for the overrides this configuration has (one restored
    /// from a saved copy through [`Self::set`]); an override `saved` has no origin for gets an
    /// unknown one, as in the saved copy.
    pub fn restore_origins(&mut self, saved: &BTreeMap<String, BTreeMap<String, Origin>>) {
        self.origins = self
            .overrides
            .iter()
            .map(|(stack, ov)| {
                let marks: BTreeMap<String, Origin> = ov
                    .keys()
                    .filter_map(|p| {
                        let o = saved.get(stack)?.get(p)?;
                        Some((p.clone(), o.clone()))
                    })
                    .collect();
                (stack.clone(), marks)
            })
            .filter(|(_, m)| !m.is_empty())
            .collect();
    }

    /// Remove every override of `stack` (with its origins).
    pub fn unset_chart(&mut self, stack: &str) {
        self.overrides.remove(stack);
        self.origins.remove(stack);
    }

    /// Remove every override (with its origins).
    pub fn clear_overrides(&mut self) {
        self.overrides.clear();
        self.origins.clear();
    }

    /// Set one option as a front end takes it (`--option KEY=VALUE`), checked: an external
    /// endpoint (`external.<chart>.<component>`, [`crate::configuration::external::check_option`]) or a
    /// planning option ([`crate::model::options::check_option`]). An empty endpoint removes it.
    pub fn set_option(
        &mut self,
        catalog: &Catalog,
        key: &str,
        value: &str,
    ) -> Result<(), crate::model::options::OptionError> {
        if key.starts_with(crate::configuration::external::PREFIX) {
            crate::configuration::external::check_option(catalog, key, value)?;
            if value.trim().is_empty() {
                self.options.remove(key);
                return Ok(());
            }
        } else {
            crate::model::options::check_option(key, value)?;
        }
        self.options
            .insert(key.to_string(), value.trim().to_string());
        Ok(())
    }

    /// Set one override as a user does (the editor, a review fix): [`Self::set`], then drop
    /// it if it equals the preset's value there ([`Self::drop_if_preset`]), so the change count
    /// and the share link stay minimal. On an error nothing changes.
    pub fn set_dropping_preset(
        &mut self,
        catalog: &Catalog,
        stack: &str,
        path: &str,
        value: Value,
    ) -> Result<(), ConfigError> {
        self.set(catalog, stack, path, value)?;
        self.drop_if_preset(catalog, stack, path);
        Ok(())
    }

    /// Drop the override of `path` in `stack` when it equals the preset's value there (a
    /// quantity by amount: `1024Mi` is `1Gi`); returns whether it was dropped.
    pub fn drop_if_preset(&mut self, catalog: &Catalog, stack: &str, path: &str) -> bool {
        let Some(chart) = catalog.chart(stack) else {
            return false;
        };
        let same = self
            .overrides
            .get(stack)
            .and_then(|m| m.get(path))
            .is_some_and(|v| same_as_preset(chart, chart.preset(&self.env), path, v));
        same && self.unset(stack, path)
    }

    /// Remove an override; returns whether there was one.
    pub fn unset(&mut self, stack: &str, path: &str) -> bool {
        if let Some(o) = self.origins.get_mut(stack) {
            o.remove(path);
            if o.is_empty() {
                self.origins.remove(stack);
            }
        }
        let Some(m) = self.overrides.get_mut(stack) else {
            return false;
        };
        let had = m.remove(path).is_some();
        if m.is_empty() {
            self.overrides.remove(stack);
        }
        had
    }

    /// The changes from the preset, in stack and path order: what the preset has at each
    /// overridden path (`None`: not set) and the value in effect, as text (the printed
    /// report's list).
    pub fn changes_from_preset(&self, catalog: &Catalog) -> Vec<Change> {
        let mut out = Vec::new();
        for stack in &self.stacks {
            let (Some(chart), Some(overrides)) = (catalog.chart(stack), self.overrides.get(stack))
            else {
                continue;
            };
            let preset = chart.preset(&self.env);
            for (path, value) in overrides {
                out.push(Change {
                    stack: stack.clone(),
                    path: path.clone(),
                    preset: values::lookup(preset, path).map(values::display_value),
                    value: values::display_value(value),
                });
            }
        }
        out
    }

    pub fn override_count(&self) -> usize {
        self.overrides.values().map(|m| m.len()).sum()
    }

    /// The chart's values in effect: values.yaml, then the environment, then the overrides,
    /// then the external endpoints of `options` written where the chart connects to them
    /// ([`crate::configuration::external::apply`]).
    pub fn effective_values(&self, chart: &Chart) -> Value {
        self.effective(chart).into_owned()
    }

    /// [`Self::effective_values`], borrowed when the configuration changes nothing of the
    /// environment's preset for this chart (no override of it, no external endpoint written into
    /// it): then it is the chart's preset itself ([`Chart::preset`]), not a copy. For readers of
    /// the values (the plan, the manifests, the values bundle).
    pub fn effective<'c>(&self, chart: &'c Chart) -> Cow<'c, Value> {
        let overridden = self
            .overrides
            .get(&chart.id)
            .is_some_and(|ov| !ov.is_empty());
        if !overridden && crate::configuration::external::writes(chart, &self.options).is_empty() {
            return Cow::Borrowed(chart.preset(&self.env));
        }
        let mut v = self.preset_values(chart);
        if let Some(ov) = self.overrides.get(&chart.id) {
            for (path, value) in ov {
                if let Ok(segs) = parse_path(path) {
                    set_path(&mut v, &segs, value.clone());
                }
            }
        }
        crate::configuration::external::apply(chart, &self.options, &mut v);
        Cow::Owned(v)
    }

    /// The chart's values for the chosen environment without the user's overrides.
    pub fn preset_values(&self, chart: &Chart) -> Value {
        chart.preset(&self.env).clone()
    }

    /// Which layer the value at `path` comes from (an external endpoint is the user's).
    pub fn source_of(&self, chart: &Chart, path: &str) -> Layer {
        if let Some(ov) = self.overrides.get(&chart.id) {
            if overrides_touch(ov, path) {
                return Layer::User;
            }
        }
        if crate::configuration::external::writes_path(chart, &self.options, path) {
            return Layer::User;
        }
        match chart.environment(&self.env) {
            Some(env) if values::lookup(&env.values, path).is_some() => Layer::Environment,
            _ => Layer::Chart,
        }
    }
}

/// Whether an override covers `path` or lies below it: `ov.keys().any(|k| path_covers(k, path)
/// || path_covers(path, k))`, by lookups in the sorted map instead of a scan, so planning stays
/// linear in the number of overrides.
fn overrides_touch(ov: &BTreeMap<String, Value>, path: &str) -> bool {
    ov.contains_key(path) || overrides_overlap(ov, path)
}

/// Whether an override other than `path` itself covers `path` or lies below it:
/// `ov.keys().any(|k| k != path && (path_covers(k, path) || path_covers(path, k)))`, by lookups
/// in the sorted map.
pub(crate) fn overrides_overlap(ov: &BTreeMap<String, Value>, path: &str) -> bool {
    use std::ops::Bound;
    if ov.is_empty() {
        return false;
    }
    // An override at a prefix of `path` that ends before a `.` or `[`.
    let covering = path
        .bytes()
        .enumerate()
        .filter(|(_, b)| matches!(b, b'.' | b'['))
        .map(|(i, _)| &path[..i])
        .any(|k| ov.contains_key(k));
    // An override below `path`: the first key at or after `path.` / `path[` starts with it.
    let below = |sep: char| {
        let lo = format!("{path}{sep}");
        ov.range::<str, _>((Bound::Included(lo.as_str()), Bound::Unbounded))
            .next()
            .is_some_and(|(k, _)| k.starts_with(&lo))
    };
    covering || below('.') || below('[')
}

/// The layers a value can come from, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Chart,
    Environment,
    User,
}

/// A path the user may set: any path of the chart's values (or one of its environments),
/// including a key below a leaf map such as a new annotation.
pub fn path_known(chart: &Chart, path: &str) -> bool {
    let Ok(segs) = parse_path(path) else {
        return false;
    };
    // A subchart's keys go to the subchart as `helm --set` passes them: the catalog holds only
    // the ones the plan reads, not the subchart's whole values file.
    if chart.subchart_of(path).is_some_and(|s| s.key != path) {
        return true;
    }
    // Keys the templates read that no values file declares (`nameOverride`...).
    if chart
        .template_reads
        .iter()
        .any(|k| crate::model::catalog::path_covers(k, path))
    {
        return true;
    }
    let trees = std::iter::once(&chart.values).chain(chart.environments.iter().map(|e| &e.values));
    for tree in trees {
        if get_path(tree, &segs).is_some() {
            return true;
        }
        // A new key inside an existing map that is a free-form dictionary (annotations, labels,
        // configMap...), or a new list element.
        if let Some((last, parent)) = segs.split_last() {
            if let Some(p) = get_path(tree, parent) {
                let open_map = p.is_mapping() && is_free_form(parent);
                let list = p.is_sequence() && matches!(last, Seg::Index(_));
                if open_map || list {
                    return true;
                }
            }
        }
    }
    false
}

fn is_free_form(parent: &[Seg]) -> bool {
    matches!(parent.last(), Some(Seg::Key(k)) if matches!(k.as_str(),
        "annotations" | "labels" | "nodeSelector" | "configMap" | "extraEnv" | "env" | "podAnnotations" | "podLabels" | "keys"))
}

/// Up to five known paths that look like `path` (same last key, or a shared prefix).
pub fn suggest(chart: &Chart, path: &str) -> Vec<String> {
    let leaves = values::leaf_paths(&chart.values);
    let last = path.rsplit('.').next().unwrap_or(path).to_ascii_lowercase();
    let mut scored: Vec<(usize, &String)> = leaves
        .iter()
        .map(|l| {
            let l_last = l.rsplit('.').next().unwrap_or(l).to_ascii_lowercase();
            let d = edit_distance(&l.to_ascii_lowercase(), &path.to_ascii_lowercase());
            let bonus = if l_last == last { 0 } else { 3 };
            (d + bonus, l)
        })
        .collect();
    scored.sort();
    let cutoff = path.len().max(4) / 2 + 3;
    scored
        .into_iter()
        .filter(|(d, _)| *d <= cutoff)
        .take(5)
        .map(|(_, l)| l.clone())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn check_value(chart: &Chart, path: &str, value: &Value) -> Result<(), String> {
    if value.is_null() {
        return Ok(()); // Helm: null deletes the default.
    }
    check_container_lists(chart, path, value)?;
    match field_kind(chart, path) {
        FieldKind::Quantity => {
            let q = values::quantity_of(value).map_err(|e| {
                match value
                    .as_str()
                    .and_then(crate::base::quantity::suggest_quantity)
                {
                    Some(fix) => format!("{e}; did you mean {fix}?"),
                    None => e.to_string(),
                }
            })?;
            if q.is_negative() {
                return Err("a resource quantity cannot be negative".into());
            }
            Ok(())
        }
        FieldKind::Count => match value.as_i64() {
            Some(n) if (0..=10_000).contains(&n) => Ok(()),
            _ => Err("expected a whole number of replicas from 0 to 10000".into()),
        },
        FieldKind::Percent => match value.as_i64() {
            Some(n) if (1..=100).contains(&n) => Ok(()),
            _ => Err("expected a whole percentage from 1 to 100".into()),
        },
        FieldKind::Bool => {
            if value.is_bool() {
                Ok(())
            } else {
                Err("expected true or false".into())
            }
        }
        FieldKind::Integer => {
            if value.as_i64().is_some() {
                Ok(())
            } else {
                Err("expected a whole number".into())
            }
        }
        FieldKind::Text | FieldKind::Any => Ok(()),
    }
}

/// The lists of the user's own containers that a chart's templates print as given (catalog
/// `sidecars` with a `list`: Bitnami's `primary.sidecars`, `master.initContainers`...), where
/// `value` set at `path` lands in one: a list of container objects, each a map with its name;
/// their resources quantities; no template action (`{{ ... }}`), which the chart renders
/// with `tpl` and Tonnage would not evaluate.
fn check_container_lists(chart: &Chart, path: &str, value: &Value) -> Result<(), String> {
    let lists = chart
        .components
        .iter()
        .flat_map(|c| &c.values.sidecars)
        .filter_map(|s| s.list.as_deref());
    for list in lists {
        if crate::model::catalog::path_covers(list, path) {
            let rest = &path[list.len()..];
            let element = rest
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .is_some_and(|i| i.bytes().all(|b| b.is_ascii_digit()));
            if rest.is_empty() {
                check_containers(value)?;
            } else if element {
                check_container(value)?;
            } else {
                no_template_action(value)?;
            }
        } else if crate::model::catalog::path_covers(path, list) {
            let rest = list[path.len()..].trim_start_matches('.');
            if let Some(v) = values::lookup(value, rest).filter(|v| !v.is_null()) {
                check_containers(v).map_err(|e| format!("{rest}: {e}"))?;
            }
        }
    }
    Ok(())
}

fn check_containers(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, c)| check_container(c).map_err(|e| format!("container {i}: {e}"))),
        _ => Err("expected a list of containers (maps with a name), as the chart prints it".into()),
    }
}

fn check_container(value: &Value) -> Result<(), String> {
    let Value::Mapping(m) = value else {
        return Err("expected a container: a map with its name".into());
    };
    if m.get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err("a container needs a name".into());
    }
    if let Some(Value::Mapping(res)) = m.get("resources") {
        for side in ["requests", "limits"] {
            let Some(Value::Mapping(q)) = res.get(side) else {
                continue;
            };
            for (k, v) in q.iter().filter(|(_, v)| !v.is_null()) {
                let name = values::display_value(k);
                match values::quantity_of(v) {
                    Ok(q) if q.is_negative() => {
                        return Err(format!(
                            "resources.{side}.{name}: a resource quantity cannot be negative"
                        ))
                    }
                    Ok(_) => {}
                    Err(e) => return Err(format!("resources.{side}.{name}: {e}")),
                }
            }
        }
    }
    no_template_action(value)
}

fn no_template_action(value: &Value) -> Result<(), String> {
    let found = match value {
        Value::String(s) => s.contains("{{"),
        Value::Sequence(items) => return items.iter().try_for_each(no_template_action),
        Value::Mapping(m) => {
            return m
                .iter()
                .try_for_each(|(k, v)| no_template_action(k).and_then(|()| no_template_action(v)))
        }
        _ => false,
    };
    if found {
        Err("holds a template action ({{ ... }}): the chart renders it with tpl, which Tonnage does not evaluate".into())
    } else {
        Ok(())
    }
}

/// One change from the preset ([`Configuration::changes_from_preset`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub stack: String,
    pub path: String,
    pub preset: Option<String>,
    pub value: String,
}

/// One editable setting of a component, for forms: what it is and where it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Stable key within the component: `enabled`, `replicas`, `requests.cpu`, ...
    pub key: &'static str,
    pub label: &'static str,
    /// The chart's values path (`helm --set` path).
    pub path: String,
    pub kind: FieldKind,
}

/// The editable settings of a component, in form order. Only settings the chart exposes.
pub fn component_fields(c: &crate::model::catalog::Component) -> Vec<Field> {
    let v = &c.values;
    let mut out = Vec::new();
    let mut push = |key, label, path: String, kind| {
        out.push(Field {
            key,
            label,
            path,
            kind,
        })
    };
    if let Some(p) = &v.enabled {
        push("enabled", "Enabled", p.clone(), FieldKind::Bool);
    }
    if let Some(p) = &v.replicas {
        push("replicas", "Replicas", p.clone(), FieldKind::Count);
    }
    if let Some(r) = &v.resources {
        push(
            "requests.cpu",
            "CPU request",
            format!("{r}.requests.cpu"),
            FieldKind::Quantity,
        );
        push(
            "limits.cpu",
            "CPU limit",
            format!("{r}.limits.cpu"),
            FieldKind::Quantity,
        );
        push(
            "requests.memory",
            "Memory request",
            format!("{r}.requests.memory"),
            FieldKind::Quantity,
        );
        push(
            "limits.memory",
            "Memory limit",
            format!("{r}.limits.memory"),
            FieldKind::Quantity,
        );
    }
    match (&c.persistence, &v.persistence) {
        (crate::model::catalog::Persistence::PerReplica, Some(p)) => push(
            "storage",
            "Storage / replica",
            format!("{p}.size"),
            FieldKind::Quantity,
        ),
        (crate::model::catalog::Persistence::PerReplica, None) if !v.claim_templates.is_empty() => {
            push(
                "storage",
                "Storage / replica",
                v.claim_templates[0].size.clone(),
                FieldKind::Quantity,
            )
        }
        (crate::model::catalog::Persistence::Shared(_), Some(p)) => push(
            "storage",
            "Storage (one claim)",
            format!("{p}.size"),
            FieldKind::Quantity,
        ),
        _ => {}
    }
    if let Some(a) = &v.autoscaling {
        push(
            "autoscaling.enabled",
            "Autoscaling",
            format!("{a}.enabled"),
            FieldKind::Bool,
        );
        push(
            "autoscaling.min",
            "HPA min",
            format!("{a}.minReplicas"),
            FieldKind::Count,
        );
        push(
            "autoscaling.max",
            "HPA max",
            format!("{a}.maxReplicas"),
            FieldKind::Count,
        );
        push(
            "autoscaling.target",
            "HPA CPU target %",
            format!("{a}.targetCPUUtilizationPercentage"),
            FieldKind::Percent,
        );
    }
    out
}

/// Fields of [`component_fields`] that the chart ignores for these values, with why: the
/// storage size while the component's persistence is off or an existing claim replaces it, the
/// autoscaler's figures while autoscaling is off, the replica count while it is on. The plan
/// reads none of them (the same rules as `plan`), so a form shows them disabled rather than
/// let an edit count as a change that moves nothing.
pub fn inactive_fields(
    c: &crate::model::catalog::Component,
    values: &Value,
) -> Vec<(&'static str, String)> {
    use crate::base::values::bool_at;
    use crate::model::catalog::{existing_claim, Persistence};
    let v = &c.values;
    let mut out = Vec::new();
    match (&c.persistence, &v.persistence) {
        (Persistence::PerReplica | Persistence::Shared(_), Some(p)) => {
            if !bool_at(values, &format!("{p}.enabled"), true) {
                out.push(("storage", format!("persistence is off ({p}.enabled)")));
            } else if let Some(claim) = existing_claim(values, p) {
                out.push((
                    "storage",
                    format!("the existing claim {claim:?} is used ({p}.existingClaim)"),
                ));
            }
        }
        (Persistence::PerReplica, None) => {
            if let Some(t) = v.claim_templates.first().filter(|t| !t.is_on(values)) {
                let why = t.enabled.as_deref().unwrap_or("its switch");
                out.push(("storage", format!("the volume claim is off ({why})")));
            }
        }
        _ => {}
    }
    if let Some(a) = &v.autoscaling {
        let switch = format!("{a}.enabled");
        if bool_at(values, &switch, false) {
            if v.replicas.is_some() {
                out.push((
                    "replicas",
                    format!("autoscaling is on: HPA min and max set the replicas ({switch})"),
                ));
            }
        } else {
            for key in ["autoscaling.min", "autoscaling.max", "autoscaling.target"] {
                out.push((key, format!("autoscaling is off ({switch})")));
            }
        }
    }
    out
}

/// Parse what a user typed into a form field of the given kind into a values-tree value
/// (`Configuration::set` then checks it against the chart).
pub fn parse_field_input(kind: FieldKind, text: &str) -> Value {
    let t = text.trim();
    match kind {
        FieldKind::Quantity | FieldKind::Text => Value::String(t.to_string()),
        _ => typed_value(t),
    }
}

/// A problem with a combination of values that a form should show next to the field: a
/// request above its limit, an autoscaling minimum above its maximum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub stack: String,
    pub component: String,
    /// The [`Field::key`] the message belongs to.
    pub field: &'static str,
    pub message: String,
}

/// Cross-field checks of the values in effect, per component (enabled or not).
pub fn field_problems(catalog: &Catalog, config: &Configuration) -> Vec<FieldProblem> {
    config
        .stacks
        .iter()
        .filter_map(|s| catalog.chart(s))
        .flat_map(|chart| chart_field_problems(chart, &config.effective(chart)))
        .collect()
}

/// [`field_problems`] of one chart, given its values in effect (the page keeps each chart's
/// values and re-checks only the chart an edit changed).
pub fn chart_field_problems(chart: &Chart, values: &Value) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let quantity = |at: &str, rest: &str| {
        values::lookup_in(values, at, rest).and_then(|v| values::quantity_of(v).ok())
    };
    for c in &chart.components {
        let mut push = |field, message: String| {
            out.push(FieldProblem {
                stack: chart.id.clone(),
                component: c.id.clone(),
                field,
                message,
            })
        };
        if let Some(r) = &c.values.resources {
            for (what, req, lim) in [
                ("cpu", "requests.cpu", "limits.cpu"),
                ("memory", "requests.memory", "limits.memory"),
            ] {
                let rq = quantity(r, req);
                let lq = quantity(r, lim);
                if let (Some(rq), Some(lq)) = (rq, lq) {
                    if rq > lq {
                        push(
                            if what == "cpu" { "requests.cpu" } else { "requests.memory" },
                            format!("the {what} request {rq} is above its limit {lq}; Kubernetes rejects such a pod"),
                        );
                    }
                }
            }
        }
        if let Some(a) = &c.values.autoscaling {
            let min = values::lookup_in(values, a, "minReplicas").and_then(Value::as_i64);
            let max = values::lookup_in(values, a, "maxReplicas").and_then(Value::as_i64);
            if let (Some(min), Some(max)) = (min, max) {
                if min > max {
                    push(
                        "autoscaling.min",
                        format!("the autoscaling minimum {min} is above the maximum {max}; the HorizontalPodAutoscaler is rejected"),
                    );
                }
            }
        }
    }
    out
}

/// Whether `value` at `path` equals the preset's value there (a quantity by amount).
pub(crate) fn same_as_preset(chart: &Chart, preset: &Value, path: &str, value: &Value) -> bool {
    let Ok(segs) = parse_path(path) else {
        return false;
    };
    let Some(current) = get_path(preset, &segs) else {
        return false;
    };
    if current == value {
        return true;
    }
    field_kind(chart, path) == FieldKind::Quantity
        && !value.is_null()
        && matches!((values::quantity_of(current), values::quantity_of(value)), (Ok(a), Ok(b)) if a == b)
}

#[cfg(test)]
mod field_tests {
    use super::*;

    /// Every path below `v`, as `a.b.c` / `a[0]`.
    fn leaf_paths(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Mapping(m) => {
                for (k, v) in m {
                    if let Some(k) = k.as_str() {
                        let p = if at.is_empty() {
                            k.to_string()
                        } else {
                            format!("{at}.{k}")
                        };
                        out.push(p.clone());
                        leaf_paths(v, p, out);
                    }
                }
            }
            Value::Sequence(items) => {
                for (i, v) in items.iter().enumerate() {
                    let p = format!("{at}[{i}]");
                    out.push(p.clone());
                    leaf_paths(v, p, out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_kind_index_agrees_with_a_scan_of_the_components() {
        let cat = Catalog::builtin();
        let mut checked = 0;
        for chart in &cat.charts {
            let mut paths = Vec::new();
            leaf_paths(&chart.values, String::new(), &mut paths);
            for env in &chart.environments {
                leaf_paths(chart.preset(&env.id), String::new(), &mut paths);
            }
            for c in &chart.components {
                let v = &c.values;
                for p in [&v.resources, &v.replicas, &v.autoscaling, &v.persistence]
                    .into_iter()
                    .flatten()
                {
                    paths.push(p.clone());
                    for rest in [
                        "requests.cpu",
                        "limits.memory",
                        "minReplicas",
                        "maxReplicas",
                        "targetCPUUtilizationPercentage",
                        "targetMemory",
                        "size",
                        "size.x",
                        "[0]",
                        "",
                    ] {
                        paths.push(format!("{p}.{rest}"));
                        paths.push(format!("{p}{rest}"));
                    }
                }
            }
            for vol in &chart.volumes {
                paths.push(format!("{}.size", vol.values));
            }
            for p in &paths {
                assert_eq!(
                    field_kind(chart, p),
                    field_kind_by_scan(chart, p),
                    "{} {p}",
                    chart.id
                );
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    proptest::proptest! {
        /// Random paths made of the pieces of the catalog's paths.
        #[test]
        fn the_kind_index_agrees_with_the_scan_on_any_path(
            chart in 0usize..5,
            pieces in proptest::collection::vec(0usize..14, 1..6),
            seps in proptest::collection::vec(0usize..3, 6),
        ) {
            const PIECES: [&str; 14] = [
                "resources", "requests", "cpu", "limits", "memory", "replicaCount",
                "autoscaling", "minReplicas", "targetCPUUtilizationPercentage", "persistence",
                "size", "postgresql", "primary", "0",
            ];
            let cat = Catalog::builtin();
            let chart = &cat.charts[chart % cat.charts.len()];
            let mut path = String::new();
            for (i, p) in pieces.iter().enumerate() {
                if i > 0 {
                    path.push_str([".", "[", "."][seps[i]]);
                }
                path.push_str(PIECES[*p]);
            }
            proptest::prop_assert_eq!(field_kind(chart, &path), field_kind_by_scan(chart, &path));
        }
    }

    #[test]
    fn component_fields_follow_the_catalog() {
        let cat = Catalog::builtin();
        let rae = cat.chart("rae-memory").unwrap();
        let api = rae.component("memory-api").unwrap();
        let keys: Vec<_> = component_fields(api).iter().map(|f| f.key).collect();
        assert!(keys.contains(&"autoscaling.max"), "{keys:?}");
        let max = component_fields(api)
            .into_iter()
            .find(|f| f.key == "autoscaling.max")
            .unwrap();
        assert_eq!(max.path, "memoryApi.autoscaling.maxReplicas");
        let rhesis = cat.chart("rhesis").unwrap();
        let pg = rhesis.component("postgresql").unwrap();
        assert!(component_fields(pg).iter().any(|f| f.key == "storage"));
        assert!(
            !component_fields(pg).iter().any(|f| f.key == "replicas"),
            "fixed replicas are not editable"
        );
    }

    #[test]
    fn field_problems_catch_request_above_limit_and_min_above_max() {
        let cat = Catalog::builtin();
        let mut c = Configuration::new(cat, &["rae-memory"], "prod").unwrap();
        assert!(
            field_problems(cat, &c).is_empty(),
            "{:?}",
            field_problems(cat, &c)
        );
        c.set_str(cat, "memoryApi.resources.requests.cpu=3")
            .unwrap();
        c.set_str(cat, "memoryApi.autoscaling.minReplicas=30")
            .unwrap();
        let p = field_problems(cat, &c);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].field, "requests.cpu");
        assert!(p[0].message.contains("above its limit"));
        assert_eq!(p[1].field, "autoscaling.min");
    }

    #[test]
    fn field_input_is_typed_by_kind() {
        assert_eq!(parse_field_input(FieldKind::Count, " 3 "), Value::from(3));
        assert_eq!(
            parse_field_input(FieldKind::Quantity, "2Gi"),
            Value::from("2Gi")
        );
        assert_eq!(
            parse_field_input(FieldKind::Bool, "true"),
            Value::Bool(true)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_touch_is_the_scan_it_replaces() {
        let keys = [
            "a", "a.b", "a.b.c", "a[0]", "a[0].x", "ab", "a.bc", "b.c", "c\\.d.e", "c", "a.b[2]",
        ];
        let paths = [
            "a", "a.b", "a.b.c", "a.b.c.d", "a[0]", "a[1]", "ab", "a.bc", "b", "b.c.d", "c",
            "c\\.d", "c\\.d.e", "x", "a.b[2].y", "",
        ];
        // Every subset of up to three keys, against every path.
        for i in 0..keys.len() {
            for j in i..keys.len() {
                for k in j..keys.len() {
                    let ov: BTreeMap<String, Value> = [keys[i], keys[j], keys[k]]
                        .iter()
                        .map(|k| (k.to_string(), Value::Null))
                        .collect();
                    for p in paths {
                        let scan = ov.keys().any(|k| path_covers(k, p) || path_covers(p, k));
                        assert_eq!(overrides_touch(&ov, p), scan, "{ov:?} {p}");
                        let others = ov
                            .keys()
                            .any(|k| k != p && (path_covers(k, p) || path_covers(p, k)));
                        assert_eq!(overrides_overlap(&ov, p), others, "{ov:?} {p}");
                    }
                }
            }
        }
    }

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    #[test]
    fn unknown_stack_lists_valid() {
        let e = Configuration::new(cat(), &["nope"], "dev").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("\"nope\"") && s.contains("rhesis") && s.contains("caracal"),
            "{s}"
        );
    }

    #[test]
    fn unknown_env_lists_valid() {
        let e = Configuration::new(cat(), &["rhesis"], "qa").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("\"qa\"") && s.contains("local") && s.contains("enterprise"),
            "{s}"
        );
    }

    #[test]
    fn set_is_typed_and_checked() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        c.set_str(cat(), "backend.replicas=4").unwrap();
        assert_eq!(c.overrides["rhesis"]["backend.replicas"], Value::from(4));
        let e = c.set_str(cat(), "backend.replicas=lots").unwrap_err();
        assert!(e.to_string().contains("\"lots\""), "{e}");
        let e = c
            .set_str(cat(), "backend.resources.requests.memory=2Gx")
            .unwrap_err();
        assert!(e.to_string().contains("2Gx"), "{e}");
        let e = c.set_str(cat(), "backend.replicaz=2").unwrap_err();
        assert!(
            e.to_string().contains("backend.replicas"),
            "suggests the right path: {e}"
        );
        let e = c.set_str(cat(), "no-equals-sign").unwrap_err();
        assert!(e.to_string().contains("PATH=VALUE"), "{e}");
        // Several assignments in one argument, as `helm --set` takes them; on an error in any
        // of them, none is set.
        c.set_str(cat(), "backend.replicas=5,worker.replicas=6")
            .unwrap();
        assert_eq!(c.overrides["rhesis"]["worker.replicas"], Value::from(6));
        let before = c.clone();
        let e = c
            .set_str(cat(), "backend.replicas=2,worker.replicas=many")
            .unwrap_err();
        assert!(e.to_string().contains("\"many\""), "{e}");
        assert_eq!(c, before);
        // `--set-string` keeps text as text; here the chart checks it is a whole number.
        assert!(c.set_string_str(cat(), "backend.replicas=3").is_err());
    }

    /// A key the chart reads that Tonnage does not model (catalog `unmodelled`) is refused with
    /// the key and the reason, also below it (a sidecar list's fields); every entry is a key
    /// the chart really has (it would be accepted otherwise), and no preset sets one.
    #[test]
    fn keys_tonnage_does_not_model_are_refused_by_name() {
        for chart in &cat().charts {
            for u in &chart.unmodelled {
                assert!(path_known(chart, &u.path), "{}: {}", chart.id, u.path);
                for env in &chart.environments {
                    assert!(
                        crate::base::values::lookup(&env.values, &u.path).is_none(),
                        "{} {}: {}",
                        chart.id,
                        env.id,
                        u.path
                    );
                }
            }
        }
        let mut c = Configuration::new(cat(), &["cauldron-infra"], "prod").unwrap();
        let before = c.clone();
        for set in [
            "redis.master.kind=Deployment",
            "rabbitmq.sidecars[0].resources.requests.cpu=300m",
            "fullnameOverride=infra",
            "rabbitmq.volumePermissions.enabled=true",
        ] {
            let e = c.set_str(cat(), set).unwrap_err();
            let key = set.split(['=', '[']).next().unwrap();
            assert!(
                matches!(&e, ConfigError::Unmodelled { key: k, .. } if k == key),
                "{set}: {e}"
            );
            assert!(e.to_string().contains(key), "{e}");
        }
        assert_eq!(c, before);
        // RAE's Qdrant release: its user sidecars.
        let mut c = Configuration::new(cat(), &["rae-memory"], "prod").unwrap();
        assert!(c
            .set_str(cat(), "qdrant.sidecarContainers[0].name=x")
            .is_err());
    }

    /// The user's own container lists of the Bitnami charts (`primary.sidecars`...) are
    /// modelled: `--set` takes them element by element as Helm does, typed (a resource figure
    /// is a quantity), and a whole list is checked: container maps with a name, quantities,
    /// no template action; the charts' init switches are bools.
    #[test]
    fn the_bitnami_container_lists_are_set_and_checked() {
        let mut c = Configuration::new(cat(), &["cauldron-infra"], "prod").unwrap();
        c.set_str(
            cat(),
            "postgresql.primary.sidecars[0].name=shipper,postgresql.primary.sidecars[0].resources.requests.cpu=0.2",
        )
        .unwrap();
        assert_eq!(
            c.overrides["cauldron-infra"]["postgresql.primary.sidecars[0].resources.requests.cpu"],
            Value::from("200m"),
            "a quantity, normalised"
        );
        let e = c
            .set_str(
                cat(),
                "redis.replica.initContainers[0].resources.limits.memory=5Gb",
            )
            .unwrap_err();
        assert!(e.to_string().contains("5Gi"), "{e}");
        let e = c
            .set_str(cat(), "postgresql.volumePermissions.enabled=yes")
            .unwrap_err();
        assert!(matches!(e, ConfigError::BadValue { .. }), "{e}");
        c.set_str(
            cat(),
            "redis.sysctl.enabled=true,redis.volumePermissions.enabled=true",
        )
        .unwrap();
        let list = |text: &str| -> Value { serde_yaml::from_str(text).unwrap() };
        let good = list("[{name: shipper, image: 'fluent/fluent-bit:2.1', resources: {requests: {cpu: 200m, memory: 256Mi}}}]");
        c.set(
            cat(),
            "cauldron-infra",
            "redis.master.sidecars",
            good.clone(),
        )
        .unwrap();
        for (path, bad, why) in [
            ("redis.master.sidecars", "{name: x}", "a list"),
            ("redis.master.sidecars", "[{image: x}]", "name"),
            (
                "redis.master.sidecars",
                "[{name: x, resources: {limits: {cpu: lots}}}]",
                "resources.limits.cpu",
            ),
            (
                "redis.master.sidecars",
                "[{name: x, image: '{{ .Values.image }}'}]",
                "template action",
            ),
            (
                "redis.master.sidecars[0]",
                "{name: x, args: ['{{ .Release.Name }}']}",
                "template action",
            ),
            (
                "redis.master.sidecars[0].image",
                "'{{ .Values.x }}'",
                "template action",
            ),
            (
                "redis.master",
                "{sidecars: [{image: x}]}",
                "sidecars: container 0",
            ),
        ] {
            let e = c.set(cat(), "cauldron-infra", path, list(bad)).unwrap_err();
            assert!(e.to_string().contains(why), "{path} {bad}: {e}");
        }
        assert_eq!(c.overrides["cauldron-infra"]["redis.master.sidecars"], good);
        // RAE installs the same charts as releases of their own: the same keys.
        let mut r = Configuration::new(cat(), &["rae-memory"], "prod").unwrap();
        r.set_str(cat(), "postgresql.readReplicas.initContainers[0].name=wait")
            .unwrap();
    }

    #[test]
    fn keys_templates_read_beyond_the_values_are_accepted() {
        let mut c = Configuration::new(cat(), &["cauldron-infra"], "prod").unwrap();
        let chart = cat().chart("cauldron-infra").unwrap();
        assert!(chart
            .template_reads
            .iter()
            .any(|k| k == "serviceAccount.create"));
        c.set_str(
            cat(),
            "serviceAccount.create=true,serviceAccount.name=infra",
        )
        .unwrap();
        assert_eq!(
            c.overrides["cauldron-infra"]["serviceAccount.name"],
            Value::from("infra")
        );
        // A key nothing reads or declares is still refused, with the nearest known keys.
        let e = c.set_str(cat(), "serviceAcount.create=true").unwrap_err();
        assert!(matches!(e, ConfigError::UnknownPath { .. }), "{e}");
    }

    #[test]
    fn quantities_are_canonicalised() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        c.set_str(cat(), "backend.resources.requests.memory=2048Mi")
            .unwrap();
        assert_eq!(
            c.overrides["rhesis"]["backend.resources.requests.memory"],
            Value::from("2Gi")
        );
    }

    #[test]
    fn storage_is_inactive_while_persistence_is_off() {
        let chart = cat().chart("rhesis").unwrap();
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        let comp = chart
            .components
            .iter()
            .find(|comp| {
                component_fields(comp).iter().any(|f| f.key == "storage")
                    && comp.values.persistence.is_some()
            })
            .expect("a component with a persistence switch");
        let p = comp.values.persistence.clone().unwrap();
        let inactive = |c: &Configuration| inactive_fields(comp, &c.effective_values(chart));
        assert!(!inactive(&c).iter().any(|(k, _)| *k == "storage"));
        c.set(cat(), "rhesis", &format!("{p}.enabled"), Value::Bool(false))
            .unwrap();
        let off = inactive(&c);
        let (_, why) = off
            .iter()
            .find(|(k, _)| *k == "storage")
            .expect("storage off");
        assert!(why.contains("persistence is off"), "{why}");
        // The plan agrees: no storage for it.
        let plan = crate::compute::plan::plan(cat(), &c);
        let row = plan.components.iter().find(|r| r.id == comp.id).unwrap();
        assert_eq!(row.storage_bytes, 0);
    }

    #[test]
    fn autoscaler_fields_are_inactive_while_autoscaling_is_off() {
        let chart = cat().chart("rhesis").unwrap();
        let c = Configuration::new(cat(), &["rhesis"], "local").unwrap();
        let values = c.effective_values(chart);
        for comp in chart
            .components
            .iter()
            .filter(|x| x.values.autoscaling.is_some())
        {
            let a = comp.values.autoscaling.as_ref().unwrap();
            let on = crate::base::values::bool_at(&values, &format!("{a}.enabled"), false);
            let keys: Vec<_> = inactive_fields(comp, &values)
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            assert_eq!(keys.contains(&"autoscaling.max"), !on, "{}", comp.id);
        }
    }

    #[test]
    fn changes_from_preset_name_both_values() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        assert!(c.changes_from_preset(cat()).is_empty());
        c.set_str(cat(), "backend.replicas=7").unwrap();
        let ch = c.changes_from_preset(cat());
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].path, "backend.replicas");
        assert_eq!(ch[0].value, "7");
        let preset = values::lookup(
            cat().chart("rhesis").unwrap().preset("prod"),
            "backend.replicas",
        )
        .map(values::display_value);
        assert_eq!(ch[0].preset, preset);
        assert_ne!(ch[0].preset.as_deref(), Some("7"));
    }

    #[test]
    fn near_miss_unit_names_the_fix() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        let e = c
            .set_str(cat(), "backend.resources.requests.memory=5Gb")
            .unwrap_err();
        let ConfigError::BadValue { problem, .. } = &e else {
            panic!("{e}")
        };
        assert!(problem.ends_with("; did you mean 5Gi?"), "{problem}");
        // No near miss: the grammar, as before.
        let e = c
            .set_str(cat(), "backend.resources.requests.memory=abc")
            .unwrap_err();
        assert!(e.to_string().contains("expected a number"), "{e}");
        assert!(c.overrides.is_empty());
    }

    #[test]
    fn stack_prefix_and_ambiguity() {
        let mut c =
            Configuration::new(cat(), &["cauldron-infra", "cauldron-frappe"], "dev").unwrap();
        c.set_str(
            cat(),
            "cauldron-infra:postgresql.primary.persistence.size=20Gi",
        )
        .unwrap();
        let e = c.set_str(cat(), "nope:a=1").unwrap_err();
        assert!(matches!(e, ConfigError::UnknownStack { .. }));
    }

    /// Who set each override follows the override: set, set_from, unset, a whole chart, the
    /// credentials filter, JSON (the autosave) and a restore from a saved copy.
    #[test]
    fn origins_follow_the_overrides() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        c.set_str(cat(), "backend.replicas=7").unwrap();
        assert_eq!(
            c.origin_of("rhesis", "backend.replicas"),
            Some(&Origin::User)
        );
        let imported = Origin::Import {
            file: Some("values-mine.yaml".into()),
        };
        c.set_from(
            cat(),
            "rhesis",
            "backend.replicas",
            8.into(),
            imported.clone(),
        )
        .unwrap();
        assert_eq!(c.origin_of("rhesis", "backend.replicas"), Some(&imported));
        // Below an override, or covering one: the override's origin.
        assert_eq!(c.origin_of("rhesis", "backend"), Some(&imported));
        assert!(c.is_overridden("rhesis", "backend"));
        // An edit by the user makes it the user's.
        c.set_str(cat(), "backend.replicas=9").unwrap();
        assert_eq!(
            c.origin_of("rhesis", "backend.replicas"),
            Some(&Origin::User)
        );
        assert!(c.unset("rhesis", "backend.replicas"));
        assert!(c.origins.is_empty(), "{:?}", c.origins);
        // A credential left out of the autosave takes its origin with it.
        c.set_str(cat(), "backend.replicas=7").unwrap();
        c.set_from(
            cat(),
            "rhesis",
            "database.postgresql.auth.password",
            "s3cret".into(),
            Origin::Link,
        )
        .unwrap();
        assert_eq!(
            c.origin_of("rhesis", "database.postgresql.auth.password"),
            Some(&Origin::Link)
        );
        let saved = c.without_credentials();
        assert!(saved
            .origins
            .values()
            .all(|m| m.keys().all(|p| !p.contains("password"))));
        // JSON keeps them; a saved copy without any gives unknown origins.
        let back: Configuration =
            serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
        assert_eq!(back, saved);
        let mut restored = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        restored.set_str(cat(), "backend.replicas=7").unwrap();
        restored.restore_origins(&BTreeMap::new());
        assert_eq!(restored.origin_of("rhesis", "backend.replicas"), None);
        restored.restore_origins(&saved.origins);
        assert_eq!(
            restored.origin_of("rhesis", "backend.replicas"),
            Some(&Origin::User)
        );
        restored.mark_all(&Origin::Link);
        assert_eq!(
            restored.origin_of("rhesis", "backend.replicas"),
            Some(&Origin::Link)
        );
        restored.clear_overrides();
        assert!(restored.origins.is_empty() && restored.overrides.is_empty());
    }

    #[test]
    fn effective_values_layer_in_order() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        let chart = cat().chart("rhesis").unwrap();
        let segs = parse_path("backend.replicas").unwrap();
        assert_eq!(
            get_path(&c.effective_values(chart), &segs),
            Some(&Value::from(3))
        );
        assert_eq!(c.source_of(chart, "backend.replicas"), Layer::Environment);
        c.set_str(cat(), "backend.replicas=7").unwrap();
        assert_eq!(
            get_path(&c.effective_values(chart), &segs),
            Some(&Value::from(7))
        );
        assert_eq!(c.source_of(chart, "backend.replicas"), Layer::User);
        assert!(c.unset("rhesis", "backend.replicas"));
        assert_eq!(c.override_count(), 0);
    }

    /// The kept preset, borrowed or copied, is the merge worked out afresh: the chart's values,
    /// the environment's, the overrides, the external endpoints; for every chart and environment
    /// (and an environment the chart lacks), with and without overrides and endpoints.
    #[test]
    fn effective_values_are_the_layers_merged_afresh() {
        fn afresh(c: &Configuration, chart: &Chart) -> Value {
            let mut v = chart.values.clone();
            if let Some(env) = chart.environment(&c.env) {
                crate::base::values::merge(&mut v, &env.values);
            }
            for (path, value) in c.overrides.get(&chart.id).into_iter().flatten() {
                set_path(&mut v, &parse_path(path).unwrap(), value.clone());
            }
            crate::configuration::external::apply(chart, &c.options, &mut v);
            v
        }
        for chart in &cat().charts {
            let envs = chart.environments.iter().map(|e| e.id.as_str());
            for env in envs.chain(["no-such-env"]) {
                let mut c = Configuration {
                    stacks: vec![chart.id.clone()],
                    env: env.to_string(),
                    overrides: BTreeMap::new(),
                    options: BTreeMap::new(),
                    origins: BTreeMap::new(),
                };
                let preset = afresh(&c, chart);
                assert_eq!(&preset, chart.preset(env), "{} {env}", chart.id);
                assert!(matches!(c.effective(chart), Cow::Borrowed(_)));
                assert_eq!(c.effective_values(chart), preset);
                assert_eq!(c.preset_values(chart), preset);
                for comp in &chart.components {
                    if let Some(p) = &comp.values.replicas {
                        c.overrides
                            .entry(chart.id.clone())
                            .or_default()
                            .insert(p.clone(), Value::from(9));
                    }
                }
                for conn in &chart.connections {
                    let (stack, id) = conn.target_of(&chart.id);
                    c.options.insert(
                        crate::configuration::external::option_key(stack, id),
                        "db.example.com:5432".into(),
                    );
                }
                let want = afresh(&c, chart);
                assert_ne!(
                    want, preset,
                    "{} {env}: the test changes something",
                    chart.id
                );
                assert_eq!(c.effective(chart).as_ref(), &want, "{} {env}", chart.id);
                // The preset kept is not changed by the copies made from it.
                assert_eq!(chart.preset(env), &preset, "{} {env}", chart.id);
            }
        }
    }

    #[test]
    fn set_dropping_preset_keeps_only_changes() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        c.set_dropping_preset(cat(), "rhesis", "backend.replicas", Value::from(5))
            .unwrap();
        assert_eq!(c.overrides["rhesis"]["backend.replicas"], Value::from(5));
        // Back to the preset's 3: the override goes.
        c.set_dropping_preset(cat(), "rhesis", "backend.replicas", Value::from(3))
            .unwrap();
        assert!(c.overrides.is_empty(), "{:?}", c.overrides);
        // A quantity equal to the preset's 2Gi by amount is no change either.
        let mem = "backend.resources.requests.memory";
        c.set_dropping_preset(cat(), "rhesis", mem, Value::from("2048Mi"))
            .unwrap();
        assert!(c.overrides.is_empty(), "{:?}", c.overrides);
        c.set_dropping_preset(cat(), "rhesis", mem, Value::from("3Gi"))
            .unwrap();
        assert_eq!(c.override_count(), 1);
        // A bad value changes nothing and names the path.
        let before = c.clone();
        let e = c
            .set_dropping_preset(cat(), "rhesis", "backend.replicas", Value::from("lots"))
            .unwrap_err();
        assert!(e.to_string().contains("backend.replicas"), "{e}");
        assert_eq!(c, before);
    }

    #[test]
    fn without_credentials_is_the_share_links_definition() {
        let mut c = Configuration::new(cat(), &["rhesis"], "prod").unwrap();
        c.set(cat(), "rhesis", "backend.replicas", Value::from(4))
            .unwrap();
        let secret = values::leaf_paths(&cat().chart("rhesis").unwrap().values)
            .into_iter()
            .find(|p| crate::configuration::credentials::is_credential(p, &Value::from("x")))
            .expect("rhesis has a credential path");
        c.overrides
            .get_mut("rhesis")
            .unwrap()
            .insert(secret.clone(), Value::from("hunter2"));
        c.options.insert("users".into(), "500".into());
        let kept = c.without_credentials();
        assert!(!kept.overrides["rhesis"].contains_key(&secret));
        assert!(kept.overrides["rhesis"].contains_key("backend.replicas"));
        assert_eq!(kept.options, c.options);
    }
}
