//! Review: findings on a configuration, each with a stable rule id, the reason and its source,
//! and where possible a fix as `--set` overrides (or planning options) that resolves it.
//!
//! [`review`] is deterministic (errors first, then warnings, then notes; within a severity in
//! configuration order of stacks and catalog order of components) and total: it never panics,
//! and bad planning options become a finding. The rules are listed in [`RULES`]; each test in
//! this module triggers one rule and shows a configuration that does not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::base::quantity::{human_bytes, human_cpu, Quantity};
use crate::base::values::{display_value, get_path, leaf_paths, parse_path};
use crate::compute::capacity::{self, NodeSpec, Planning, INSTANCE_TYPES};
use crate::compute::plan::{self, ComponentPlan, Plan, Resources};
use crate::configuration::config::{ConfigError, Configuration};
use crate::configuration::external;
use crate::model::catalog::{path_covers, Catalog, Chart, Component, Persistence, WorkloadKind};

mod audit;
mod format;
mod rules;

pub use format::{
    counts, evidence_lines, fix_args, json, markdown, markdown_at, set_arg, table, who,
};
pub(crate) use rules::is_default_secret;
use rules::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The configuration would fail: Kubernetes rejects it, or it cannot run as planned.
    Error,
    /// It runs, with a risk a reviewer should accept or fix.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Overrides that resolve a finding: values as `helm --set` would set them, and planning
/// options (e.g. a larger node type). A fix with neither is advice in words (its label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub label: String,
    /// (stack, values path, value).
    pub sets: Vec<(String, String, Value)>,
    /// (option key, value) for [`Configuration::options`].
    pub options: Vec<(String, String)>,
}

impl Fix {
    /// Apply the fix as the user accepting it does, in one step: each value through
    /// [`Configuration::set_dropping_preset`] (a value equal to the preset removes the
    /// override), then the planning options ([`Configuration::set_fix_option`]: a built-in node
    /// type replaces a custom shape). On an error `config` is unchanged.
    pub fn apply(&self, catalog: &Catalog, config: &mut Configuration) -> Result<(), ConfigError> {
        apply_fix(catalog, config, self).map(|_| ())
    }
}

/// What a finding rests on: the key, where its value came from, the guide's words and what the
/// real chart's template does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The values path (or `<Secret>/<key>`, a Service name) the evidence is about.
    pub key: String,
    /// The value in effect, as `--set` writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where the value came from, in words: "set by you", "set by the link you opened", "set by
    /// the imported values file", "set by values-prod.yaml (the chart's own prod file)", "set by
    /// values.yaml (the chart's defaults)"; or "from the chart's template", "from the guide" for
    /// evidence about no value.
    pub origin: String,
    /// The same as an id for tools: `user`, `link`, `import`, `override` (an override whose
    /// origin was not recorded), `external` (an external endpoint), `environment`, `chart`;
    /// absent for evidence about no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_by: Option<String>,
    /// The guide's words, and their section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide_source: Option<String>,
    /// What the template does, with its source in the real chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
}

/// A finding as the review makes it; it reads back from its serde JSON (the page's worker sends
/// the chart audit's), its rule id matched against [`RULES`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable rule id (see [`RULES`]).
    pub rule: &'static str,
    pub stack: String,
    pub component: Option<String>,
    pub message: String,
    /// Why it matters, ending with its source.
    pub explanation: String,
    pub fix: Option<Fix>,
    /// What the finding rests on (the chart audit's rules fill it; empty for the others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// Every rule: (id, what it checks).
pub const RULES: &[(&str, &str)] = &[
    ("invalid-option", "a planning option cannot be read"),
    (
        "request-above-limit",
        "a CPU or memory request above its limit",
    ),
    ("missing-limit", "a component without a CPU or memory limit"),
    (
        "single-replica-stateful",
        "a stateful component with one replica in production",
    ),
    ("rabbitmq-even-nodes", "an even number of RabbitMQ nodes"),
    (
        "kafka-replication-factor",
        "a Kafka replication factor above the broker count",
    ),
    (
        "kafka-min-insync",
        "Kafka min.insync.replicas at or above the replication factor",
    ),
    (
        "zookeeper-quorum",
        "fewer than 3 ZooKeeper nodes in production",
    ),
    (
        "hpa-min-above-max",
        "an HPA whose minReplicas is above maxReplicas",
    ),
    (
        "hpa-replicas-mismatch",
        "an HPA on while the replica count says otherwise",
    ),
    (
        "pdb-anti-affinity",
        "replicas without a PodDisruptionBudget or anti-affinity",
    ),
    (
        "pod-fits-no-node",
        "a pod larger than a node of the chosen type",
    ),
    (
        "default-password",
        "a default or CHANGE_ME password in production",
    ),
    (
        "qdrant-memory",
        "Qdrant memory below vectors x dimensions x 4 B x 1.5",
    ),
    (
        "redis-save-headroom",
        "a persistent Redis without memory for a save (2x rule)",
    ),
    (
        "dependency-disabled",
        "a component whose dependency is switched off or not installed, with no external endpoint",
    ),
    (
        "external-endpoint-unused",
        "an external endpoint for a component that is deployed",
    ),
    (
        "claim-not-rendered",
        "a pod that mounts a claim the chart does not render (it stays Pending)",
    ),
    (
        "dead-setting",
        "a key set by the preset, an import, a link or the user that no template reads",
    ),
    (
        "guide-vs-chart",
        "a figure or behaviour the guide states that the chart does not deliver",
    ),
    (
        "required-value-empty",
        "a password or Secret key a container needs, left empty",
    ),
    (
        "rwo-volume-multi-node",
        "a ReadWriteOnce claim mounted by pods that may land on different nodes",
    ),
    (
        "command-one-string",
        "a container command the chart renders as one string",
    ),
    (
        "host-not-service",
        "a host value that does not name the Service it should reach",
    ),
    (
        "missing-probes",
        "a workload the chart renders without probes",
    ),
    (
        "no-anti-affinity",
        "replicas the chart renders without pod anti-affinity",
    ),
    (
        "values-refused",
        "a configuration the real chart refuses to render",
    ),
];

/// [`Finding`] as JSON carries it: the rule id as text, matched against [`RULES`] on reading.
#[derive(Deserialize)]
struct FindingJson {
    severity: Severity,
    rule: String,
    stack: String,
    component: Option<String>,
    message: String,
    explanation: String,
    fix: Option<Fix>,
    #[serde(default)]
    evidence: Vec<Evidence>,
}

impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Finding, D::Error> {
        Finding::try_from(FindingJson::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<FindingJson> for Finding {
    type Error = String;
    fn try_from(f: FindingJson) -> Result<Finding, String> {
        let rule = RULES
            .iter()
            .find(|(r, _)| *r == f.rule)
            .map(|(r, _)| *r)
            .ok_or_else(|| format!("unknown rule id {:?}", f.rule))?;
        Ok(Finding {
            severity: f.severity,
            rule,
            stack: f.stack,
            component: f.component,
            message: f.message,
            explanation: f.explanation,
            fix: f.fix,
            evidence: f.evidence,
        })
    }
}

fn rule_index(rule: &str) -> usize {
    RULES
        .iter()
        .position(|(r, _)| *r == rule)
        .unwrap_or(RULES.len())
}

/// Environments reviewed as production.
pub fn is_production(env: &str) -> bool {
    matches!(env, "prod" | "production" | "enterprise")
}

const FACTS: &str = "Tonnage's sizing facts (shared/reference/sizing-facts.md)";

struct Ctx<'a> {
    catalog: &'a Catalog,
    config: &'a Configuration,
    plan: Plan,
    values: BTreeMap<String, Value>,
    out: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    fn chart(&self, stack: &str) -> Option<&'a Chart> {
        self.catalog.chart(stack)
    }

    fn get(&self, stack: &str, path: &str) -> Option<&Value> {
        let segs = parse_path(path).ok()?;
        get_path(self.values.get(stack)?, &segs).filter(|v| !v.is_null())
    }

    fn int(&self, stack: &str, path: &str) -> Option<i64> {
        let v = self.get(stack, path)?;
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    }

    fn bool_at(&self, stack: &str, path: &str) -> Option<bool> {
        match self.get(stack, path)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    fn planned(&self, stack: &str, id: &str) -> Option<&ComponentPlan> {
        self.plan
            .components
            .iter()
            .find(|c| c.stack == stack && c.id == id)
    }

    /// Enabled components with their plan, in configuration and catalog order.
    fn running(&self) -> Vec<(&'a Chart, &'a Component, ComponentPlan)> {
        let mut v = Vec::new();
        for cp in &self.plan.components {
            if !cp.enabled {
                continue;
            }
            let Some(chart) = self.chart(&cp.stack) else {
                continue;
            };
            if let Some(c) = chart.component(&cp.id) {
                v.push((chart, c, cp.clone()));
            }
        }
        v
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        stack: &str,
        component: Option<&str>,
        message: String,
        explanation: String,
        fix: Option<Fix>,
    ) {
        self.push_evidence(
            severity,
            rule,
            stack,
            component,
            message,
            explanation,
            fix,
            Vec::new(),
        );
    }

    /// [`Self::push`] with the finding's evidence (the chart audit's rules).
    #[allow(clippy::too_many_arguments)]
    fn push_evidence(
        &mut self,
        severity: Severity,
        rule: &'static str,
        stack: &str,
        component: Option<&str>,
        message: String,
        explanation: String,
        fix: Option<Fix>,
        evidence: Vec<Evidence>,
    ) {
        self.out.push(Finding {
            severity,
            rule,
            stack: stack.to_string(),
            component: component.map(str::to_string),
            message,
            explanation,
            fix,
            evidence,
        });
    }
}

fn set(stack: &str, path: &str, value: Value) -> (String, String, Value) {
    (stack.to_string(), path.to_string(), value)
}

fn fix(label: impl Into<String>, sets: Vec<(String, String, Value)>) -> Option<Fix> {
    Some(Fix {
        label: label.into(),
        sets,
        options: Vec::new(),
    })
}

fn cpu_text(m: i64) -> Value {
    Value::String(Quantity::from_millis(m).to_string())
}

fn mem_text(b: i64) -> Value {
    Value::String(Quantity::from_bytes(b).to_string())
}

/// The values path a component's settings hang from: the parent of its resources path
/// (`redis-cache.master.resources` -> `redis-cache.master`).
fn base_of(c: &Component) -> Option<String> {
    let r = c.values.resources.as_deref()?;
    r.rsplit_once('.').map(|(p, _)| p.to_string())
}

fn is_kind(c: &Component, name: &str) -> bool {
    c.id.contains(name) || c.image.contains(name)
}

/// Review a configuration: every rule of [`RULES`] but the chart audit's ([`audit`]), in a
/// deterministic order. What the page computes on every edit.
pub fn review(catalog: &Catalog, config: &Configuration) -> Vec<Finding> {
    let mut ctx = Ctx::new(catalog, config);
    review_rules(&mut ctx);
    sorted(catalog, config, ctx.out)
}

/// The chart audit alone ([`audit`]'s rules), in the review's order: what the page's worker
/// computes beside [`review`] (its facts are not part of the page's first load).
pub fn audit_findings(catalog: &Catalog, config: &Configuration) -> Vec<Finding> {
    let mut ctx = Ctx::new(catalog, config);
    audit::run(&mut ctx);
    sorted(catalog, config, ctx.out)
}

/// [`review`] and the chart audit together, in one order: the CLI, the printed report.
pub fn review_with_audit(catalog: &Catalog, config: &Configuration) -> Vec<Finding> {
    let mut ctx = Ctx::new(catalog, config);
    review_rules(&mut ctx);
    audit::run(&mut ctx);
    sorted(catalog, config, ctx.out)
}

/// The page's list: [`review`]'s findings and the worker's [`audit_findings`], in the review's
/// order.
pub fn merged(
    catalog: &Catalog,
    config: &Configuration,
    review: &[Finding],
    audit: &[Finding],
) -> Vec<Finding> {
    sorted(catalog, config, [review, audit].concat())
}

/// One change a fix made: what, from what, to what (values as `--set` writes them; `None`: not
/// set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub stack: Option<String>,
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "(not set)".into());
        match &self.stack {
            Some(s) => write!(
                f,
                "{s}: {} {} -> {}",
                self.key,
                v(&self.before),
                v(&self.after)
            ),
            None => write!(f, "{} {} -> {}", self.key, v(&self.before), v(&self.after)),
        }
    }
}

/// Apply a fix to a configuration in one step, as the page's Fix button does: each value through
/// [`Configuration::set`] (a value equal to the preset's removes the override instead), then the
/// planning options (an empty value removes one; a node type drops a custom node shape).
/// Returns what changed, in the values in effect and the options; nothing changes on an error.
pub fn apply_fix(
    catalog: &Catalog,
    config: &mut Configuration,
    fix: &Fix,
) -> Result<Vec<Change>, crate::configuration::config::ConfigError> {
    let mut next = config.clone();
    let mut changes = Vec::new();
    for (stack, path, value) in &fix.sets {
        let chart = catalog.chart(stack);
        let in_effect = |c: &Configuration| {
            chart.and_then(|ch| {
                crate::base::values::lookup(&c.effective_values(ch), path)
                    .filter(|v| !v.is_null())
                    .map(display_value)
            })
        };
        let before = in_effect(&next);
        next.set_dropping_preset(catalog, stack, path, value.clone())?;
        let after = in_effect(&next);
        if before != after {
            changes.push(Change {
                stack: Some(stack.clone()),
                key: path.clone(),
                before,
                after,
            });
        }
    }
    for (k, v) in &fix.options {
        let before = next.options.get(k).cloned();
        next.set_fix_option(k, v);
        let after = next.options.get(k).cloned();
        if before != after {
            changes.push(Change {
                stack: None,
                key: k.clone(),
                before,
                after,
            });
        }
    }
    *config = next;
    Ok(changes)
}

impl<'a> Ctx<'a> {
    fn new(catalog: &'a Catalog, config: &'a Configuration) -> Ctx<'a> {
        let mut values = BTreeMap::new();
        for s in &config.stacks {
            if let Some(chart) = catalog.chart(s) {
                values.insert(s.clone(), config.effective_values(chart));
            }
        }
        Ctx {
            catalog,
            config,
            plan: plan::plan(catalog, config),
            values,
            out: Vec::new(),
        }
    }
}

fn review_rules(ctx: &mut Ctx<'_>) {
    let config = ctx.config;
    let catalog = ctx.catalog;
    let planning = match Planning::from_options(&config.options) {
        Ok(p) => Some(p),
        Err(e) => {
            let stack = config.stacks.first().cloned().unwrap_or_default();
            ctx.push(
                Severity::Error,
                "invalid-option",
                &stack,
                None,
                e.to_string(),
                "Planning options (cloud, node type, prices, users, Qdrant vectors) must parse \
                 before node fit, cost and the sizing rules can run. Source: capacity::OPTION_KEYS."
                    .into(),
                None,
            );
            None
        }
    };
    for e in external::invalid_options(catalog, &config.options) {
        let stack = config.stacks.first().cloned().unwrap_or_default();
        ctx.push(
            Severity::Error,
            "invalid-option",
            &stack,
            None,
            e.to_string(),
            "An external endpoint is written into the values of the charts that depend on it; \
             it must name a component of the catalog and be host or host:port. Source: \
             external::check_option."
                .into(),
            None,
        );
    }
    requests_and_limits(ctx);
    single_replica_stateful(ctx);
    rabbitmq_even(ctx);
    kafka(ctx);
    zookeeper(ctx);
    hpa(ctx);
    pdb_anti_affinity(ctx);
    if let Some(node) = planning.as_ref().and_then(|p| p.node.as_ref()) {
        fits_no_node(ctx, node);
    }
    default_passwords(ctx);
    if let Some(p) = &planning {
        qdrant_memory(ctx, p);
    }
    redis_headroom(ctx);
    dependencies(ctx);
    claims_not_rendered(ctx);
}

/// Errors first, then warnings, then notes; within a severity in configuration order of stacks
/// and catalog order of components, then rule order.
fn sorted(catalog: &Catalog, config: &Configuration, mut out: Vec<Finding>) -> Vec<Finding> {
    let stack_pos = |s: &str| config.stacks.iter().position(|x| x == s);
    let comp_pos = |f: &Finding| {
        let c = f.component.as_deref()?;
        catalog
            .chart(&f.stack)?
            .components
            .iter()
            .position(|x| x.id == c)
    };
    out.sort_by_cached_key(|f| {
        (
            f.severity,
            stack_pos(&f.stack).unwrap_or(usize::MAX),
            comp_pos(f).unwrap_or(usize::MAX),
            rule_index(f.rule),
        )
    });
    out
}

#[cfg(test)]
mod tests;
