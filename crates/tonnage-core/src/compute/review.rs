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
    /// Where the value came from: the chart's values.yaml, its environment file or the guide's
    /// preset, or an override (the user, an imported file, a link).
    pub origin: String,
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

fn requests_and_limits(ctx: &mut Ctx<'_>) {
    for (chart, c, cp) in ctx.running() {
        let Some(r) = c.values.resources.as_deref() else {
            continue;
        };
        let (req, lim) = (cp.requests, cp.limits);
        for (what, rq, lm, text) in [
            (
                "CPU",
                req.cpu_millicores,
                lim.cpu_millicores,
                human_cpu as fn(i64) -> String,
            ),
            (
                "memory",
                req.memory_bytes,
                lim.memory_bytes,
                human_bytes as fn(i64) -> String,
            ),
        ] {
            if lm > 0 && rq > lm {
                let (path, value) = if what == "CPU" {
                    (format!("{r}.limits.cpu"), cpu_text(rq))
                } else {
                    (format!("{r}.limits.memory"), mem_text(rq))
                };
                ctx.push(
                    Severity::Error,
                    "request-above-limit",
                    &chart.id,
                    Some(&c.id),
                    format!(
                        "{} requests {} {what}, above its limit of {}",
                        c.name,
                        text(rq),
                        text(lm)
                    ),
                    "Kubernetes rejects a pod whose request is above its limit (the API requires \
                     request <= limit for every resource), so the workload would not start. \
                     Source: Kubernetes API validation of container resources."
                        .into(),
                    fix(
                        format!(
                            "Raise the {what} limit to the request ({})",
                            display_value(&value)
                        ),
                        vec![set(&chart.id, &path, value)],
                    ),
                );
            }
        }
        let mut missing = Vec::new();
        let mut sets = Vec::new();
        if lim.cpu_millicores <= 0 {
            missing.push("CPU");
            if req.cpu_millicores > 0 {
                sets.push(set(
                    &chart.id,
                    &format!("{r}.limits.cpu"),
                    cpu_text(req.cpu_millicores.saturating_mul(2)),
                ));
            }
        }
        if lim.memory_bytes <= 0 {
            missing.push("memory");
            if req.memory_bytes > 0 {
                sets.push(set(
                    &chart.id,
                    &format!("{r}.limits.memory"),
                    mem_text(req.memory_bytes.saturating_mul(2)),
                ));
            }
        }
        if !missing.is_empty() {
            let complete = sets.len() == missing.len();
            ctx.push(
                Severity::Warning,
                "missing-limit",
                &chart.id,
                Some(&c.id),
                format!("{} has no {} limit", c.name, missing.join(" or ")),
                format!(
                    "Without a memory limit a leak can take the node's memory and get other pods \
                     evicted; without a CPU limit one pod can starve its neighbours. Polaris, \
                     kube-score, kube-linter and checkov all require requests and limits. \
                     Source: {FACTS}, \"Validating rendered manifests\"."
                ),
                if complete {
                    fix(
                        "Set the limits to twice the requests (the guides' usual ratio)",
                        sets,
                    )
                } else {
                    None
                },
            );
        }
    }
}

/// A replica component that makes `c` highly available: same chart, depends on `c`, stateful,
/// enabled with replicas (a Bitnami primary's read replicas, a Redis master's replicas).
fn has_replica_component(ctx: &Ctx<'_>, chart: &Chart, c: &Component) -> bool {
    chart.components.iter().any(|o| {
        o.id != c.id
            && o.depends_on.iter().any(|d| d == &c.id)
            && o.is_stateful()
            && o.role == c.role
            && ctx
                .planned(&chart.id, &o.id)
                .is_some_and(|p| p.enabled && p.replicas.baseline > 0)
    })
}

fn single_replica_stateful(ctx: &mut Ctx<'_>) {
    if !is_production(&ctx.config.env) {
        return;
    }
    for (chart, c, cp) in ctx.running() {
        // Data of its own: a StatefulSet or a claim per replica. A pod on a shared volume (Frappe's
        // scheduler on the sites volume) keeps nothing a second replica would protect.
        // A Deployment with a standalone claim of its own (rhesis's postgres, cauldron's
        // TimescaleDB) keeps data too, but a second replica would mount the same ReadWriteOnce
        // claim: no replica fix for it.
        let own_claim = match &c.persistence {
            Persistence::Shared(id) => chart
                .volume(id)
                .is_some_and(|v| v.used_by.len() == 1 && v.used_by[0] == c.id),
            _ => false,
        };
        let own_data = c.kind == WorkloadKind::StatefulSet
            || c.persistence == Persistence::PerReplica
            || own_claim;
        // A read replica of another component (Bitnami's readReplicas) is a copy, not the only one.
        let copy_of_another = c.depends_on.iter().any(|d| {
            chart
                .component(d)
                .is_some_and(|o| o.role == c.role && o.id != c.id)
        });
        if !own_data
            || copy_of_another
            || cp.replicas.baseline != 1
            || has_replica_component(ctx, chart, c)
        {
            continue;
        }
        let fix_ = if own_claim {
            None
        } else if let Some(p) = &c.values.replicas {
            fix(
                "Run 3 replicas (check the chart's clustering settings: replicas of a data \
                 service only share data in its cluster or replication mode)",
                vec![set(&chart.id, p, Value::from(3))],
            )
        } else {
            // A Bitnami primary: its read replicas are another component switched on by a value.
            chart
                .components
                .iter()
                .filter(|o| o.depends_on.iter().any(|d| d == &c.id) && o.role == c.role)
                .find_map(|o| {
                    o.values
                        .enabled_when
                        .iter()
                        .find_map(|w| Some((w, w.wanted()?)))
                })
                .and_then(|(w, want)| {
                    fix(
                        format!("Turn on replication: {}={}", w.path, display_value(want)),
                        vec![set(&chart.id, &w.path, want.clone())],
                    )
                })
        };
        let no_knob = if fix_.is_none() {
            " The chart has no replica setting for it: accept the risk (with backups and a \
             tested restore) or use a managed service."
        } else {
            ""
        };
        ctx.push(
            Severity::Warning,
            "single-replica-stateful",
            &chart.id,
            Some(&c.id),
            format!(
                "{} keeps data and runs a single replica in {}",
                c.name, ctx.config.env
            ),
            format!(
                "A node failure, drain or upgrade takes the only copy offline until the pod is \
                 rescheduled and its volume reattached; production data services usually run 3 \
                 (a quorum that survives one failure).{no_knob} Source: {FACTS}, \"Vendor sizing \
                 guidance\" (RabbitMQ, Kafka, ZooKeeper: 3 nodes)."
            ),
            fix_,
        );
    }
}

/// A running component whose chart mounts a standalone claim always (`always_mounted`) while
/// the claim's `enabled` stops the chart rendering it: Kubernetes never schedules the pod.
fn claims_not_rendered(ctx: &mut Ctx<'_>) {
    for (chart, c, _) in ctx.running() {
        let Persistence::Shared(id) = &c.persistence else {
            continue;
        };
        let Some(vol) = chart.volume(id).filter(|v| v.always_mounted) else {
            continue;
        };
        let path = format!("{}.enabled", vol.values);
        if ctx.get(&chart.id, &path) != Some(&Value::Bool(false)) {
            continue;
        }
        let claim = vol.claim.clone().unwrap_or_else(|| vol.id.clone());
        ctx.push(
            Severity::Error,
            "claim-not-rendered",
            &chart.id,
            Some(&c.id),
            format!(
                "{} mounts the claim {claim}, which {path}=false stops the chart rendering:                  the pod will stay Pending",
                c.name
            ),
            format!(
                "The chart's {} template always mounts PersistentVolumeClaim {claim}; only the                  claim itself follows {path}. Without it the scheduler cannot place the pod. Keep                  the volume (its size is in the plan), or switch the component off. Source: the                  real chart's templates (catalog: volumes[].always_mounted).",
                c.kind.as_str()
            ),
            fix(
                format!("Keep the volume: {path}=true"),
                vec![set(&chart.id, &path, Value::Bool(true))],
            ),
        );
    }
}

fn rabbitmq_even(ctx: &mut Ctx<'_>) {
    for (chart, c, cp) in ctx.running() {
        let n = cp.replicas.baseline;
        if !is_kind(c, "rabbitmq") || n <= 0 || n % 2 != 0 {
            continue;
        }
        let fix_ = c.values.replicas.as_ref().and_then(|p| {
            fix(
                format!("Run {} nodes", n + 1),
                vec![set(&chart.id, p, Value::from(n + 1))],
            )
        });
        ctx.push(
            Severity::Warning,
            "rabbitmq-even-nodes",
            &chart.id,
            Some(&c.id),
            format!("RabbitMQ runs {n} nodes, an even number"),
            format!(
                "Quorum queues need a majority: {n} nodes tolerate {} failure(s), as many as {} \
                 nodes do, so the extra node adds cost but no fault tolerance (3 nodes tolerate 1, \
                 5 tolerate 2). Source: {FACTS}, RabbitMQ (cluster-operator production example).",
                (n - 1) / 2,
                n - 1
            ),
            fix_,
        );
    }
}

fn kafka(ctx: &mut Ctx<'_>) {
    const FACTORS: [&str; 3] = [
        "defaultReplicationFactor",
        "offsetsTopicReplicationFactor",
        "transactionStateLogReplicationFactor",
    ];
    const MIN_ISR: [(&str, &str); 2] = [
        ("minInsyncReplicas", "defaultReplicationFactor"),
        (
            "transactionStateLogMinIsr",
            "transactionStateLogReplicationFactor",
        ),
    ];
    let prod = is_production(&ctx.config.env);
    for (chart, c, cp) in ctx.running() {
        if c.id != "kafka" && !c.image.contains("kafka") {
            continue;
        }
        let brokers = cp.replicas.baseline;
        let (Some(rp), true) = (c.values.replicas.as_deref(), brokers > 0) else {
            continue;
        };
        let prefix = rp
            .rsplit_once('.')
            .map_or(String::new(), |(p, _)| format!("{p}."));
        let key = |k: &str| format!("{prefix}config.{k}");
        let known: BTreeMap<&str, i64> = FACTORS
            .iter()
            .chain(MIN_ISR.iter().map(|(isr, _)| isr))
            .filter_map(|k| ctx.int(&chart.id, &key(k)).map(|v| (*k, v)))
            .collect();
        let factor = |k: &str| known.get(k).copied();

        // Replication factors the brokers cannot satisfy.
        let over: Vec<(&str, i64)> = FACTORS
            .iter()
            .filter_map(|k| factor(k).filter(|rf| *rf > brokers).map(|rf| (*k, rf)))
            .collect();
        if let Some(max_rf) = over.iter().map(|(_, rf)| *rf).max() {
            let fix_ = if prod {
                fix(
                    format!("Run {max_rf} brokers"),
                    vec![set(&chart.id, rp, Value::from(max_rf))],
                )
            } else {
                let mut sets: Vec<_> = over
                    .iter()
                    .map(|(k, _)| set(&chart.id, &key(k), Value::from(brokers)))
                    .collect();
                for (isr, rf) in MIN_ISR {
                    let new_rf = factor(rf).map(|f| f.min(brokers));
                    if let (Some(m), Some(f)) = (factor(isr), new_rf) {
                        if m > f || (m == f && f > 1) {
                            sets.push(set(&chart.id, &key(isr), Value::from((f - 1).max(1))));
                        }
                    }
                }
                fix(format!("Lower the replication factors to {brokers}"), sets)
            };
            ctx.push(
                Severity::Error,
                "kafka-replication-factor",
                &chart.id,
                Some(&c.id),
                format!(
                    "{brokers} broker(s) cannot hold the replication factor(s) {}",
                    over.iter()
                        .map(|(k, rf)| format!("{}={rf}", key(k)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "A replication factor above the broker count cannot be satisfied: creating \
                     the topics (the internal offsets and transaction topics included) fails. \
                     Source: {FACTS}, Kafka."
                ),
                fix_,
            );
        }

        // min.insync.replicas against its replication factor.
        for (isr, rf_key) in MIN_ISR {
            let (Some(m), Some(rf)) = (factor(isr), factor(rf_key)) else {
                continue;
            };
            let rf = rf.min(brokers);
            let severity = if m > rf {
                Severity::Error
            } else if m == rf && rf > 1 {
                Severity::Warning
            } else {
                continue;
            };
            let target = (rf - 1).max(1);
            ctx.push(
                severity,
                "kafka-min-insync",
                &chart.id,
                Some(&c.id),
                format!(
                    "{} is {m} with {} copies per partition ({} {}, {brokers} brokers)",
                    key(isr),
                    rf,
                    key(rf_key),
                    factor(rf_key).unwrap_or(rf)
                ),
                format!(
                    "{} Replication factor 3 with min.insync.replicas 2 is the usual production \
                     setting. Source: {FACTS}, Kafka.",
                    if severity == Severity::Error {
                        "More in-sync replicas than copies can never be met: every write with \
                         acks=all fails."
                    } else {
                        "With min.insync.replicas equal to the copies, one broker down (a node \
                         failure or a rolling upgrade) stops writes."
                    }
                ),
                fix(
                    format!("Set {} to {target}", key(isr)),
                    vec![set(&chart.id, &key(isr), Value::from(target))],
                ),
            );
        }
    }
}

fn zookeeper(ctx: &mut Ctx<'_>) {
    if !is_production(&ctx.config.env) {
        return;
    }
    for (chart, c, cp) in ctx.running() {
        let n = cp.replicas.baseline;
        if !is_kind(c, "zookeeper") || n >= 3 || n <= 0 {
            continue;
        }
        let fix_ = c.values.replicas.as_ref().and_then(|p| {
            fix(
                "Run 3 ZooKeeper nodes",
                vec![set(&chart.id, p, Value::from(3))],
            )
        });
        ctx.push(
            Severity::Warning,
            "zookeeper-quorum",
            &chart.id,
            Some(&c.id),
            format!("ZooKeeper runs {n} node(s) in {}", ctx.config.env),
            format!(
                "ZooKeeper needs a majority of its ensemble: with fewer than 3 nodes losing one \
                 stops Kafka's coordination. Run at least 3 ZooKeeper nodes (or 3 KRaft \
                 controllers). Source: {FACTS}, Kafka."
            ),
            fix_,
        );
    }
}

fn hpa(ctx: &mut Ctx<'_>) {
    for (chart, c, _) in ctx.running() {
        let Some(a) = c.values.autoscaling.as_deref() else {
            continue;
        };
        if ctx.bool_at(&chart.id, &format!("{a}.enabled")) != Some(true) {
            continue;
        }
        let min_p = format!("{a}.minReplicas");
        let max_p = format!("{a}.maxReplicas");
        let (min, max) = (ctx.int(&chart.id, &min_p), ctx.int(&chart.id, &max_p));
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                ctx.push(
                    Severity::Error,
                    "hpa-min-above-max",
                    &chart.id,
                    Some(&c.id),
                    format!(
                        "{} autoscaling: minReplicas {min} is above maxReplicas {max}",
                        c.name
                    ),
                    "Kubernetes rejects a HorizontalPodAutoscaler whose minReplicas is above \
                     maxReplicas, so the install fails. Source: Kubernetes API validation of \
                     HorizontalPodAutoscaler (autoscaling/v2)."
                        .into(),
                    fix(
                        format!("Set maxReplicas to {min}"),
                        vec![set(&chart.id, &max_p, Value::from(min))],
                    ),
                );
            }
        }
        let (Some(rp), Some(min)) = (c.values.replicas.as_deref(), min) else {
            continue;
        };
        let Some(replicas) = ctx.int(&chart.id, rp) else {
            continue;
        };
        if replicas != min {
            ctx.push(
                Severity::Warning,
                "hpa-replicas-mismatch",
                &chart.id,
                Some(&c.id),
                format!(
                    "{} autoscaling is on (min {min}) while {rp} is {replicas}",
                    c.name
                ),
                "With the HPA on, the HPA owns the replica count: the plan counts minReplicas as \
                 baseline, and a chart that still renders `replicas` resets the Deployment on \
                 every helm upgrade until the HPA scales it back. Keep the two equal. Source: \
                 Kubernetes HorizontalPodAutoscaler documentation (migrating Deployments to \
                 autoscaling)."
                    .into(),
                fix(
                    format!("Set {rp} to {min}"),
                    vec![set(&chart.id, rp, Value::from(min))],
                ),
            );
        }
    }
}

fn pdb_anti_affinity(ctx: &mut Ctx<'_>) {
    const PDB_SWITCHES: [&str; 3] = ["pdb.create", "pdb.enabled", "podDisruptionBudget.enabled"];
    let mut covered: Vec<(String, Vec<String>)> = Vec::new();
    for (chart, c, cp) in ctx.running() {
        // Tonnage's manifests add both from 2 running replicas (the baseline).
        if cp.replicas.baseline <= 1 {
            continue;
        }
        let base = base_of(c);
        let mut sets = Vec::new();
        let mut off = Vec::new();
        for prefix in base.iter().map(|b| format!("{b}.")).chain([String::new()]) {
            for sw in PDB_SWITCHES {
                let p = format!("{prefix}{sw}");
                if ctx.bool_at(&chart.id, &p) == Some(false) {
                    off.push(p.clone());
                    sets.push(set(&chart.id, &p, Value::Bool(true)));
                }
            }
            let p = format!("{prefix}podAntiAffinityPreset");
            if let Some(Value::String(s)) = ctx.get(&chart.id, &p) {
                if s.is_empty() || s == "none" {
                    off.push(p.clone());
                    sets.push(set(&chart.id, &p, Value::String("soft".into())));
                }
            }
        }
        if off.is_empty() {
            match covered.iter_mut().find(|(s, _)| *s == chart.id) {
                Some((_, list)) => list.push(c.id.clone()),
                None => covered.push((chart.id.clone(), vec![c.id.clone()])),
            }
            continue;
        }
        ctx.push(
            Severity::Warning,
            "pdb-anti-affinity",
            &chart.id,
            Some(&c.id),
            format!(
                "{} runs {} replicas with {} turned off",
                c.name,
                cp.replicas.baseline,
                off.join(", ")
            ),
            format!(
                "Without a PodDisruptionBudget a node drain can evict every replica at once; \
                 without anti-affinity they can share one node and fail together. Polaris, \
                 kube-score and kube-linter ask for both when replicas > 1. Source: {FACTS}, \
                 \"Validating rendered manifests\"."
            ),
            fix("Turn them back on", sets),
        );
    }
    for (stack, list) in covered {
        ctx.push(
            Severity::Info,
            "pdb-anti-affinity",
            &stack,
            None,
            format!(
                "{} run more than one replica: covered by a PodDisruptionBudget and pod \
                 anti-affinity",
                list.join(", ")
            ),
            format!(
                "Tonnage's rendered manifests give every component with more than one replica a \
                 PodDisruptionBudget and pod anti-affinity (required for StatefulSets, preferred \
                 otherwise; the node-fit simulation uses the same rule), and the chart's values \
                 have no switch that turns them off. A component that scales up from one replica \
                 gets the anti-affinity but no budget (a budget on one replica blocks drains). \
                 Source: {FACTS}, \"Validating rendered \
                 manifests\"."
            ),
            None,
        );
    }
}

fn fits_no_node(ctx: &mut Ctx<'_>, node: &NodeSpec) {
    let fit = capacity::fit(&ctx.plan, ctx.catalog, node);
    // Peak holds at least baseline's replicas; report each component once.
    let mut seen: Vec<(String, String)> = Vec::new();
    for u in fit.baseline.unplaced.iter().chain(&fit.peak.unplaced) {
        let key = (u.stack.clone(), u.component.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let bigger = INSTANCE_TYPES
            .iter()
            .filter(|t| t.cloud == node.cloud)
            .map(|t| {
                let mut n = NodeSpec::of_type(t);
                n.daemonset = node.daemonset;
                n.daemonset_pods = node.daemonset_pods;
                n
            })
            .filter(|n| capacity::no_fit_reason(n, u.requests).is_none())
            .min_by_key(|n| (n.hour_micro_usd, n.vcpu_millicores, n.name.clone()));
        let name = ctx
            .chart(&u.stack)
            .and_then(|ch| ch.component(&u.component))
            .map_or(u.component.clone(), |c| c.name.clone());
        ctx.push(
            Severity::Error,
            "pod-fits-no-node",
            &u.stack,
            Some(&u.component),
            format!(
                "{name} ({} replica(s)) fits on no {} node: {}",
                u.replicas, node.name, u.reason
            ),
            format!(
                "The scheduler places a pod only on a node whose allocatable (capacity minus the \
                 provider's reservations, the eviction threshold and the DaemonSets) covers its \
                 requests; this pod would stay Pending. Source: {}'s node reservations, {FACTS}, \
                 \"Node allocatable\".",
                node.cloud.label()
            ),
            bigger.map(|b| Fix {
                label: format!("Use {} nodes ({})", b.name, b.describe()),
                sets: Vec::new(),
                options: vec![("node_type".into(), b.name.clone())],
            }),
        );
    }
}

const WEAK_PASSWORDS: [&str; 12] = [
    "password",
    "changeme",
    "change_me",
    "admin",
    "secret",
    "root",
    "postgres",
    "redis",
    "guest",
    "default",
    "123456",
    "rabbitmq",
];

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    (k.contains("password") || k == "erlangcookie") && !k.contains("secret") && !k.ends_with("key")
}

/// Whether a credential's value is a placeholder or a published default (`CHANGE_ME`,
/// cauldron-infra's `please_change_in_env`, `guest`, `admin`...): one definition for the review
/// and the bundle's README.
pub(crate) fn is_default_secret(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    !v.is_empty()
        && (v.contains("change_me")
            || v.contains("changeme")
            || v.contains("change-me")
            || v.contains("change_in")
            || v.contains("please_change")
            || WEAK_PASSWORDS.contains(&v.as_str()))
}

fn default_passwords(ctx: &mut Ctx<'_>) {
    if !is_production(&ctx.config.env) {
        return;
    }
    let stacks = ctx.config.stacks.clone();
    for stack in stacks {
        let Some(chart) = ctx.chart(&stack) else {
            continue;
        };
        let Some(tree) = ctx.values.get(&stack) else {
            continue;
        };
        let mut found = Vec::new();
        for leaf in leaf_paths(tree) {
            let Ok(segs) = parse_path(&leaf) else {
                continue;
            };
            let Some(crate::values::Seg::Key(key)) = segs.last() else {
                continue;
            };
            if !is_secret_key(key) {
                continue;
            }
            let v = match get_path(tree, &segs) {
                Some(Value::String(v)) => v.clone(),
                Some(Value::Number(n)) => n.to_string(), // --set password=123456 is a number
                _ => continue,
            };
            if !is_default_secret(&v) {
                continue;
            }
            // Skip a switched-off part of the chart (any ancestor with enabled: false).
            let off = (1..segs.len()).any(|i| {
                let mut p = segs[..i].to_vec();
                p.push(crate::values::Seg::Key("enabled".into()));
                get_path(tree, &p) == Some(&Value::Bool(false))
            });
            if off {
                continue;
            }
            let parent = &segs[..segs.len() - 1];
            let parent_path = crate::values::format_path(parent);
            let candidates: &[&str] = if key.eq_ignore_ascii_case("erlangCookie") {
                &["existingErlangSecret"]
            } else {
                &["existingSecret", "existingPasswordSecret"]
            };
            let sibling = candidates.iter().find_map(|k| {
                let mut p = parent.to_vec();
                p.push(crate::values::Seg::Key((*k).to_string()));
                get_path(tree, &p).map(|v| (*k, v.clone()))
            });
            if let Some((_, Value::String(s))) = &sibling {
                if !s.is_empty() {
                    continue; // the Secret wins; the value in values is not used
                }
            }
            found.push((leaf.clone(), parent_path, sibling.map(|(k, _)| k)));
        }
        for (leaf, parent, sibling) in found {
            let comp = chart
                .components
                .iter()
                .find(|c| {
                    c.values
                        .enabled
                        .as_deref()
                        .and_then(|e| e.rsplit_once('.').map(|(p, _)| p))
                        .is_some_and(|p| path_covers(p, &leaf))
                })
                .map(|c| c.id.clone());
            let top = leaf.split('.').next().unwrap_or(&leaf).to_string();
            let fix_ = sibling.and_then(|k| {
                let secret = format!("{}-{top}", chart.chart.name);
                let prefix = if parent.is_empty() {
                    String::new()
                } else {
                    format!("{parent}.")
                };
                fix(
                    format!(
                        "Read it from Secret {secret} (create it before installing) and empty the \
                         value"
                    ),
                    vec![
                        set(&stack, &leaf, Value::String(String::new())),
                        set(&stack, &format!("{prefix}{k}"), Value::String(secret)),
                    ],
                )
            });
            ctx.push(
                Severity::Error,
                "default-password",
                &stack,
                comp.as_deref(),
                format!("{leaf} keeps a default value in {}", ctx.config.env),
                format!(
                    "A default password is published in the chart's documentation; in production \
                     anyone who can reach the service can use it. Take it from an existing \
                     Secret, or set a strong one with --set {stack}:{leaf}=... . Source: the \
                     chart's guide (\"change the default passwords\") and its values.yaml."
                ),
                fix_,
            );
        }
    }
}

fn qdrant_memory(ctx: &mut Ctx<'_>, planning: &Planning) {
    let (Some(vectors), Some(dims)) = (planning.qdrant_vectors, planning.qdrant_dimensions) else {
        return;
    };
    // vectors x dimensions x 4 bytes x 1.5 = x 6 bytes (qdrant.tech capacity planning).
    let needed = i128::from(vectors) * i128::from(dims) * 6;
    let needed = i64::try_from(needed).unwrap_or(i64::MAX);
    const GIB: i64 = 1 << 30;
    for (chart, c, cp) in ctx.running() {
        if !(is_kind(c, "qdrant") || c.role == "vector-store") {
            continue;
        }
        let have = if cp.limits.memory_bytes > 0 {
            cp.limits.memory_bytes
        } else {
            cp.requests.memory_bytes
        };
        if have >= needed {
            continue;
        }
        let target = needed.saturating_add(GIB - 1) / GIB * GIB;
        let fix_ = c.values.resources.as_deref().and_then(|r| {
            fix(
                format!(
                    "Give Qdrant {} (requests = limits)",
                    display_value(&mem_text(target))
                ),
                vec![
                    set(&chart.id, &format!("{r}.requests.memory"), mem_text(target)),
                    set(&chart.id, &format!("{r}.limits.memory"), mem_text(target)),
                ],
            )
        });
        ctx.push(
            Severity::Warning,
            "qdrant-memory",
            &chart.id,
            Some(&c.id),
            format!(
                "{} has {} of memory per replica; {vectors} vectors of {dims} dimensions need {}",
                c.name,
                human_bytes(have),
                human_bytes(needed)
            ),
            format!(
                "Qdrant keeps vectors in RAM: vectors x dimensions x 4 bytes x 1.5 (1M x 1024 \
                 dimensions is about 5.7 GiB), plus payload. Each replica is assumed to hold all \
                 vectors (one node, or a replication factor equal to the replicas); on-disk \
                 (mmap) vectors need less RAM but are slower. Source: {FACTS}, Qdrant \
                 (qdrant.tech capacity planning)."
            ),
            fix_,
        );
    }
}

fn redis_headroom(ctx: &mut Ctx<'_>) {
    for (chart, c, cp) in ctx.running() {
        // Its own claims, or a standalone claim it mounts.
        let persists = cp.storage_bytes > 0
            || ctx.plan.volumes.iter().any(|v| {
                v.stack == chart.id && v.enabled && v.storage_bytes > 0 && v.used_by.contains(&c.id)
            });
        if !is_kind(c, "redis") || !persists {
            continue;
        }
        let Resources {
            memory_bytes: req, ..
        } = cp.requests;
        let lim = cp.limits.memory_bytes;
        if lim <= 0 || req.saturating_mul(2) <= lim {
            continue;
        }
        let fix_ = c.values.resources.as_deref().and_then(|r| {
            let v = mem_text(req.saturating_mul(2));
            fix(
                format!("Raise the memory limit to {}", display_value(&v)),
                vec![set(&chart.id, &format!("{r}.limits.memory"), v)],
            )
        });
        ctx.push(
            Severity::Warning,
            "redis-save-headroom",
            &chart.id,
            Some(&c.id),
            format!(
                "{} persists to disk with a {} request and a {} limit: less than twice the data it \
                 may hold",
                c.name,
                human_bytes(req),
                human_bytes(lim)
            ),
            format!(
                "An RDB save or AOF rewrite forks Redis, and copy-on-write can need up to 2x the \
                 data's memory. Data can grow to the memory request, so a limit under twice the \
                 request risks an OOM kill during a save. Keep limit >= 2 x request (or cap \
                 maxmemory at half the limit). Source: {FACTS}, Redis."
            ),
            fix_,
        );
    }
}

fn dependencies(ctx: &mut Ctx<'_>) {
    // ((stack, missing chart), dependents, targets)
    type Missing = ((String, String), Vec<String>, Vec<String>);
    let mut missing: Vec<Missing> = Vec::new();
    let options = &ctx.config.options;
    for (chart, c, _) in ctx.running() {
        for d in &c.depends_on {
            let (other, id) = match d.split_once('/') {
                Some((o, i)) => (o, i),
                None => (chart.id.as_str(), d.as_str()),
            };
            let conn = chart.connection(other, id);
            let endpoint = external::endpoint(options, other, id).and_then(Result::ok);
            // An endpoint written into this chart's values replaces the dependency.
            if endpoint.is_some() && conn.is_some_and(|x| x.host.is_some()) {
                continue;
            }
            if !ctx.config.stacks.iter().any(|s| s == other) {
                let key = (chart.id.clone(), other.to_string());
                let entry = match missing.iter_mut().find(|(k, _, _)| *k == key) {
                    Some(e) => e,
                    None => {
                        missing.push((key, Vec::new(), Vec::new()));
                        let last = missing.len() - 1;
                        &mut missing[last]
                    }
                };
                if !entry.1.contains(&c.id) {
                    entry.1.push(c.id.clone());
                }
                if !entry.2.iter().any(|t| t == id) {
                    entry.2.push(id.to_string());
                }
                continue;
            }
            let Some(target_chart) = ctx.chart(other) else {
                continue;
            };
            let Some(target) = target_chart.component(id) else {
                continue;
            };
            if ctx.planned(other, id).is_none_or(|p| p.enabled) {
                continue;
            }
            let mut sets = Vec::new();
            if let Some(e) = &target.values.enabled {
                sets.push(set(other, e, Value::Bool(true)));
            }
            for w in &target.values.enabled_when {
                if let Some(want) = w.wanted() {
                    sets.push(set(other, &w.path, want.clone()));
                }
            }
            let where_ = if other == chart.id {
                String::new()
            } else {
                format!(" ({other})")
            };
            let key = external::option_key(other, id);
            let instead = match conn {
                Some(x) if x.host.is_some() => format!(
                    "or give the external service's address (a managed database or broker) as \
                     host:port in the option {key} (on the page: the field under the switched-off \
                     component), which Tonnage writes into {}, and account for that service's \
                     capacity and cost outside this plan",
                    external::describe(chart, x)
                ),
                Some(x) => {
                    let given = match &endpoint {
                        Some(e) => format!(" (the endpoint {e} given is recorded but not written)"),
                        None => String::new(),
                    };
                    format!(
                        "an external endpoint cannot replace it in {}{given}: {}",
                        chart.id,
                        x.unsupported.as_deref().unwrap_or_default()
                    )
                }
                None => "an external endpoint cannot replace it: the catalog declares no \
                         connection for it"
                    .to_string(),
            };
            ctx.push(
                Severity::Error,
                "dependency-disabled",
                &chart.id,
                Some(&c.id),
                format!(
                    "{} depends on {}{where_}, which is switched off",
                    c.name, target.name
                ),
                format!(
                    "{} needs {} to work and cannot start without it. Switch it back on, {instead}. \
                     Source: the catalog's depends_on and connections, from the chart's guide.",
                    c.name, target.name
                ),
                if sets.is_empty() {
                    None
                } else {
                    fix(format!("Switch {} back on", target.name), sets)
                },
            );
        }
    }
    for ((stack, other), dependents, targets) in missing {
        ctx.push(
            Severity::Info,
            "dependency-disabled",
            &stack,
            None,
            format!(
                "{} depend on {other} ({}), which is not in this configuration",
                dependents.join(", "),
                targets.join(", ")
            ),
            format!(
                "Install {other} first (add it to the configuration to plan both together), or \
                 point {stack} at external endpoints for {} (options {}); their capacity and cost \
                 are not in this plan. Source: the catalog's depends_on and requires, from the \
                 chart's guide.",
                targets.join(", "),
                targets
                    .iter()
                    .map(|t| external::option_key(&other, t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        );
    }
    endpoints_bypassing(ctx);
}

/// An external endpoint written into a chart's values while the component it replaces is
/// deployed: the dependants point away from it, which is running for nothing.
fn endpoints_bypassing(ctx: &mut Ctx<'_>) {
    for (key, value) in &ctx.config.options {
        let Some((stack, id)) = external::split_key(key) else {
            continue;
        };
        if value.trim().is_empty() || !ctx.planned(stack, id).is_some_and(|p| p.enabled) {
            continue;
        }
        let Some(Ok(e)) = external::endpoint(&ctx.config.options, stack, id) else {
            continue;
        };
        let users: Vec<String> = external::dependants(ctx.catalog, &ctx.config.stacks, stack, id)
            .into_iter()
            .filter(|(_, c)| c.host.is_some())
            .map(|(ch, c)| external::describe(ch, c))
            .collect();
        if users.is_empty() {
            continue;
        }
        let name = ctx
            .chart(stack)
            .and_then(|ch| ch.component(id))
            .map_or(id, |c| c.name.as_str())
            .to_string();
        ctx.push(
            Severity::Warning,
            "external-endpoint-unused",
            stack,
            Some(id),
            format!("{name} is deployed, yet its dependants point at the external endpoint {e}"),
            format!(
                "The option {key} writes {e} into {}, so nothing uses the deployed {name}, which \
                 the plan still counts. Remove the endpoint, or switch {name} off. Source: the \
                 catalog's connections.",
                users.join("; ")
            ),
            Some(Fix {
                label: "Remove the external endpoint".into(),
                sets: Vec::new(),
                options: vec![(key.clone(), String::new())],
            }),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// `--set STACK:PATH=VALUE` for a fix's override.
pub fn set_arg(stack: &str, path: &str, value: &Value) -> String {
    format!("--set {stack}:{path}={}", display_value(value))
}

/// (errors, warnings, infos).
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

/// `stack/component`, or the stack for a finding about the chart as a whole.
pub fn who(f: &Finding) -> String {
    match &f.component {
        Some(c) => format!("{}/{c}", f.stack),
        None => f.stack.clone(),
    }
}

/// The findings as text for a terminal.
pub fn table(findings: &[Finding]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in findings {
        let who = who(f);
        let _ = writeln!(
            out,
            "{:<8} {who}  [{}]",
            f.severity.as_str().to_ascii_uppercase(),
            f.rule
        );
        let _ = writeln!(out, "         {}", f.message);
        let _ = writeln!(out, "         why: {}", f.explanation);
        for e in &f.evidence {
            for line in evidence_lines(e) {
                let _ = writeln!(out, "         {line}");
            }
        }
        if let Some(fix) = &f.fix {
            let args = fix_args(fix);
            if args.is_empty() {
                let _ = writeln!(out, "         fix: {}", fix.label);
            } else {
                let _ = writeln!(out, "         fix: {}: {}", fix.label, args.join(" "));
            }
        }
        out.push('\n');
    }
    let (e, w, i) = counts(findings);
    let _ = writeln!(out, "{e} error(s), {w} warning(s), {i} note(s)");
    out
}

/// A fix as command-line arguments (`--set`, `--node-type`, `--option`); none for a fix in words.
pub fn fix_args(fix: &Fix) -> Vec<String> {
    let mut args: Vec<String> = fix.sets.iter().map(|(s, p, v)| set_arg(s, p, v)).collect();
    args.extend(fix.options.iter().map(|(k, v)| match k.as_str() {
        "node_type" => format!("--node-type {v}"),
        _ => format!("--option {k}={v}"),
    }));
    args
}

/// One piece of evidence as labelled lines (`evidence: KEY = VALUE (ORIGIN)`, `guide:`,
/// `chart:`), shared by the text and Markdown writers and the printed report.
pub fn evidence_lines(e: &Evidence) -> Vec<String> {
    let mut lines = vec![match &e.value {
        Some(v) => format!("evidence: {} = {v} (from {})", e.key, e.origin),
        None => format!("evidence: {} (from {})", e.key, e.origin),
    }];
    if let Some(g) = &e.guide {
        match &e.guide_source {
            Some(src) => lines.push(format!("  guide: \"{g}\" ({src})")),
            None => lines.push(format!("  guide: \"{g}\"")),
        }
    }
    if let Some(c) = &e.chart {
        lines.push(format!("  chart: {c}"));
    }
    lines
}

/// The findings as Markdown: a summary line, then one section per finding with its reason,
/// evidence and fix.
pub fn markdown(findings: &[Finding]) -> String {
    markdown_at(findings, 1)
}

/// [`markdown`] with its title at heading `level` (1: `#`), the findings one level below: the
/// section of a longer document (the printed report).
pub fn markdown_at(findings: &[Finding], level: usize) -> String {
    use std::fmt::Write as _;
    let (e, w, i) = counts(findings);
    let h = "#".repeat(level.max(1));
    let mut out = format!("{h} Review\n\n{e} error(s), {w} warning(s), {i} note(s)\n");
    let esc = |s: &str| s.replace('|', "\\|");
    for f in findings {
        let who = who(f);
        let _ = write!(
            out,
            "\n{h}# {} `{}` {who}\n\n{}\n\n{}\n",
            f.severity.as_str(),
            f.rule,
            f.message,
            f.explanation
        );
        if !f.evidence.is_empty() {
            out.push_str("\n| key | value | from | guide | chart |\n|---|---|---|---|---|\n");
            for ev in &f.evidence {
                let guide = match (&ev.guide, &ev.guide_source) {
                    (Some(g), Some(s)) => format!("\"{g}\" ({s})"),
                    (Some(g), None) => format!("\"{g}\""),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} |",
                    esc(&ev.key),
                    esc(ev.value.as_deref().unwrap_or("")),
                    esc(&ev.origin),
                    esc(&guide),
                    esc(ev.chart.as_deref().unwrap_or(""))
                );
            }
        }
        if let Some(fix) = &f.fix {
            let args = fix_args(fix);
            if args.is_empty() {
                let _ = writeln!(out, "\nFix: {}", fix.label);
            } else {
                let _ = writeln!(out, "\nFix: {}: `{}`", fix.label, args.join(" "));
            }
        }
    }
    out
}

/// The findings as JSON: `{"findings": [...], "summary": {"errors", "warnings", "infos"}}`.
/// A finding with evidence carries `"evidence": [{key, value?, origin, guide?, guide_source?,
/// chart?}]`.
pub fn json(findings: &[Finding]) -> String {
    let list: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut o = serde_json::json!({
                "severity": f.severity.as_str(),
                "rule": f.rule,
                "stack": f.stack,
                "component": f.component,
                "message": f.message,
                "explanation": f.explanation,
                "fix": f.fix.as_ref().map(|x| serde_json::json!({
                    "label": x.label,
                    "sets": x.sets.iter().map(|(s, p, v)| serde_json::json!({
                        "stack": s,
                        "path": p,
                        "value": serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                        "arg": set_arg(s, p, v),
                    })).collect::<Vec<_>>(),
                    "options": x.options.iter().map(|(k, v)| serde_json::json!({
                        "key": k, "value": v,
                    })).collect::<Vec<_>>(),
                })),
            });
            if !f.evidence.is_empty() {
                o["evidence"] = serde_json::to_value(&f.evidence).unwrap_or_default();
            }
            o
        })
        .collect();
    let (e, w, i) = counts(findings);
    let v = serde_json::json!({
        "findings": list,
        "summary": { "errors": e, "warnings": w, "infos": i },
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    fn config(
        stacks: &[&str],
        env: &str,
        sets: &[&str],
        options: &[(&str, &str)],
    ) -> Configuration {
        let mut c = Configuration::new(cat(), stacks, env).unwrap();
        for s in sets {
            c.set_str(cat(), s).unwrap();
        }
        for (k, v) in options {
            c.options.insert(k.to_string(), v.to_string());
        }
        c
    }

    fn run(stacks: &[&str], env: &str, sets: &[&str], options: &[(&str, &str)]) -> Vec<Finding> {
        review(cat(), &config(stacks, env, sets, options))
    }

    fn with<'a>(f: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
        f.iter().filter(|x| x.rule == rule).collect()
    }

    /// Apply a finding's fix (as the page and the CLI do) to the configuration it came from and
    /// review again.
    fn fixed(
        stacks: &[&str],
        env: &str,
        sets: &[&str],
        options: &[(&str, &str)],
        finding: &Finding,
    ) -> Vec<Finding> {
        let mut c = config(stacks, env, sets, options);
        let fix = finding.fix.as_ref().expect("a fix");
        fix.apply(cat(), &mut c).unwrap();
        review(cat(), &c)
    }

    #[test]
    fn rules_are_unique_and_all_tested_ids() {
        for (i, (r, _)) in RULES.iter().enumerate() {
            assert!(!RULES[..i].iter().any(|(x, _)| x == r), "{r}");
        }
    }

    #[test]
    fn request_above_limit() {
        let sets = ["backend.resources.requests.cpu=3"];
        let f = run(&["rhesis"], "prod", &sets, &[]);
        let hits = with(&f, "request-above-limit");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Error);
        assert_eq!(hits[0].component.as_deref(), Some("backend"));
        assert!(hits[0]
            .message
            .contains("3 cores CPU, above its limit of 2 cores"));
        let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "request-above-limit").is_empty());
        assert!(with(&run(&["rhesis"], "prod", &[], &[]), "request-above-limit").is_empty());
    }

    #[test]
    fn missing_limit() {
        let sets = ["worker.resources.limits.memory=null"];
        let f = run(&["rhesis"], "prod", &sets, &[]);
        let hits = with(&f, "missing-limit");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(hits[0].message.contains("no memory limit"));
        let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "missing-limit").is_empty());
        assert!(with(&run(&["rhesis"], "prod", &[], &[]), "missing-limit").is_empty());
    }

    #[test]
    fn single_replica_stateful() {
        // Caracal prod: 3 brokers, 3 ZooKeeper nodes, but one PostgreSQL and one Redis.
        let f = run(
            &["caracal"],
            "prod",
            &[
                "kafka.replicaCount=1",
                "kafka.config.defaultReplicationFactor=1",
                "kafka.config.minInsyncReplicas=1",
                "kafka.config.offsetsTopicReplicationFactor=1",
                "kafka.config.transactionStateLogReplicationFactor=1",
                "kafka.config.transactionStateLogMinIsr=1",
            ],
            &[],
        );
        let hits = with(&f, "single-replica-stateful");
        let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(comps, ["postgresql", "redis", "kafka"]);
        let kafka = hits
            .iter()
            .find(|h| h.component.as_deref() == Some("kafka"))
            .unwrap();
        assert_eq!(
            kafka.fix.as_ref().unwrap().sets,
            [set("caracal", "kafka.replicaCount", Value::from(3))]
        );
        // postgresql has no replica knob: no fix, and the explanation says so.
        let pg = hits[0];
        assert!(pg.fix.is_none() && pg.explanation.contains("no replica setting"));
        // Not in dev; and a Bitnami primary with read replicas is covered.
        assert!(with(
            &run(&["caracal"], "dev", &[], &[]),
            "single-replica-stateful"
        )
        .is_empty());
        // Frappe's scheduler mounts the shared sites volume: no data of its own.
        let frappe = run(&["cauldron-frappe"], "prod", &[], &[]);
        assert!(
            with(&frappe, "single-replica-stateful").is_empty(),
            "{frappe:?}"
        );
        // cauldron-infra prod: the chart's values-prod.yaml turns replication on, and the
        // Bitnami primary has its read replica (postgresql.readReplicas.replicaCount, Bitnami's
        // default 1: the file's replication.readReplicas is read by no template).
        let infra = run(&["cauldron-infra"], "prod", &[], &[]);
        let comps: Vec<_> = with(&infra, "single-replica-stateful")
            .iter()
            .filter_map(|h| h.component.clone())
            .collect();
        assert!(
            !comps.iter().any(|c| c == "postgresql"),
            "postgresql has read replicas in prod: {comps:?}"
        );
        // Standalone in prod: the fix turns replication on.
        let sets = ["postgresql.architecture=standalone"];
        let infra = run(&["cauldron-infra"], "prod", &sets, &[]);
        let pg = with(&infra, "single-replica-stateful")
            .into_iter()
            .find(|h| h.component.as_deref() == Some("postgresql"))
            .unwrap();
        assert_eq!(
            pg.fix.as_ref().unwrap().sets,
            [set(
                "cauldron-infra",
                "postgresql.architecture",
                Value::from("replication")
            )]
        );
        let after = fixed(&["cauldron-infra"], "prod", &sets, &[], pg);
        assert!(!with(&after, "single-replica-stateful")
            .iter()
            .any(|h| h.component.as_deref() == Some("postgresql")));
    }

    #[test]
    fn rabbitmq_even_nodes() {
        let sets = ["rabbitmq.replicaCount=2"];
        let f = run(&["cauldron-infra"], "prod", &sets, &[]);
        let hits = with(&f, "rabbitmq-even-nodes");
        assert_eq!(hits.len(), 1);
        assert!(hits[0]
            .explanation
            .contains("tolerate 0 failure(s), as many as 1 nodes"));
        let after = fixed(&["cauldron-infra"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "rabbitmq-even-nodes").is_empty());
        assert!(with(
            &run(&["cauldron-infra"], "prod", &[], &[]),
            "rabbitmq-even-nodes"
        )
        .is_empty());
    }

    #[test]
    fn kafka_replication_factor_above_brokers() {
        // Staging keeps RF 3 / min ISR 2; two brokers cannot hold 3 copies.
        let sets = ["kafka.replicaCount=2"];
        let f = run(&["caracal"], "staging", &sets, &[]);
        let hits = with(&f, "kafka-replication-factor");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Error);
        assert!(
            hits[0].message.starts_with(
                "2 broker(s) cannot hold the replication factor(s) \
                 kafka.config.defaultReplicationFactor=3"
            ),
            "{}",
            hits[0].message
        );
        // Outside production the fix lowers the factors (and min ISR with them).
        let after = fixed(&["caracal"], "staging", &sets, &[], hits[0]);
        assert!(with(&after, "kafka-replication-factor").is_empty());
        assert!(with(&after, "kafka-min-insync").is_empty(), "{after:?}");
        // In production it adds brokers.
        let f = run(&["caracal"], "prod", &sets, &[]);
        let h = with(&f, "kafka-replication-factor");
        assert_eq!(
            h[0].fix.as_ref().unwrap().sets,
            [set("caracal", "kafka.replicaCount", Value::from(3))]
        );
        for env in ["dev", "staging", "prod"] {
            assert!(with(
                &run(&["caracal"], env, &[], &[]),
                "kafka-replication-factor"
            )
            .is_empty());
        }
    }

    #[test]
    fn kafka_min_insync() {
        let sets = ["kafka.config.minInsyncReplicas=3"];
        let f = run(&["caracal"], "prod", &sets, &[]);
        let hits = with(&f, "kafka-min-insync");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Warning);
        let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "kafka-min-insync").is_empty());
        let f = run(
            &["caracal"],
            "prod",
            &["kafka.config.minInsyncReplicas=4"],
            &[],
        );
        assert_eq!(with(&f, "kafka-min-insync")[0].severity, Severity::Error);
        // One broker, RF 1, min ISR 1 (dev) is a single copy by design: no finding.
        for env in ["dev", "staging", "prod"] {
            assert!(with(&run(&["caracal"], env, &[], &[]), "kafka-min-insync").is_empty());
        }
    }

    #[test]
    fn zookeeper_quorum() {
        let sets = ["zookeeper.replicaCount=1"];
        let f = run(&["caracal"], "prod", &sets, &[]);
        let hits = with(&f, "zookeeper-quorum");
        assert_eq!(hits.len(), 1);
        let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "zookeeper-quorum").is_empty());
        assert!(with(&run(&["caracal"], "prod", &[], &[]), "zookeeper-quorum").is_empty());
        assert!(with(&run(&["caracal"], "dev", &[], &[]), "zookeeper-quorum").is_empty());
    }

    #[test]
    fn hpa_min_above_max() {
        let sets = ["gateway.autoscaling.minReplicas=12"];
        let f = run(&["caracal"], "prod", &sets, &[]);
        let hits = with(&f, "hpa-min-above-max");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Error);
        let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "hpa-min-above-max").is_empty());
        assert!(with(&run(&["caracal"], "prod", &[], &[]), "hpa-min-above-max").is_empty());
    }

    #[test]
    fn hpa_replicas_mismatch() {
        let sets = ["gateway.replicaCount=5"];
        let f = run(&["caracal"], "prod", &sets, &[]);
        let hits = with(&f, "hpa-replicas-mismatch");
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("min 3") && hits[0].message.contains("is 5"));
        let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "hpa-replicas-mismatch").is_empty());
        // Autoscaling off: replicaCount rules alone.
        let off = [
            "gateway.replicaCount=5",
            "gateway.autoscaling.enabled=false",
        ];
        assert!(with(
            &run(&["caracal"], "prod", &off, &[]),
            "hpa-replicas-mismatch"
        )
        .is_empty());
        for env in ["dev", "staging", "prod"] {
            assert!(with(&run(&["caracal"], env, &[], &[]), "hpa-replicas-mismatch").is_empty());
        }
        // rae-memory's values.yaml turns the ML service's HPA on (1-5) beside replicaCount 2,
        // which the Deployment then ignores; the prod guide's replicaCount 3 is ignored too
        // (the catalog's claims ml-replicas, ml-replicas-prod). Dev sets replicaCount 1 = min.
        assert!(with(
            &run(&["rae-memory"], "dev", &[], &[]),
            "hpa-replicas-mismatch"
        )
        .is_empty());
        for (env, n) in [("staging", 2), ("prod", 3)] {
            let f = run(&["rae-memory"], env, &[], &[]);
            let hits = with(&f, "hpa-replicas-mismatch");
            let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
            assert_eq!(comps, ["ml-service"], "{env}");
            assert!(
                hits[0].message.contains("(min 1)")
                    && hits[0]
                        .message
                        .contains(&format!("mlService.replicaCount is {n}")),
                "{}",
                hits[0].message
            );
        }
    }

    #[test]
    fn pdb_anti_affinity_is_covered_info() {
        let f = run(&["rhesis"], "prod", &[], &[]);
        let hits = with(&f, "pdb-anti-affinity");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Info);
        assert!(hits[0].message.starts_with("frontend, backend, worker run"));
        // One replica each: nothing to cover.
        assert!(with(&run(&["rhesis"], "local", &[], &[]), "pdb-anti-affinity").is_empty());
    }

    /// A chart whose values turn its PodDisruptionBudget off gets a warning with a fix. No
    /// embedded chart has such a switch, so the test loads a modified copy.
    #[test]
    fn pdb_switched_off_is_a_warning() {
        let text = crate::catalog::FILES[2].1.replacen(
            "  backend:\n    enabled: true\n",
            "  backend:\n    enabled: true\n    pdb:\n      create: false\n",
            1,
        );
        assert!(text.contains("create: false"));
        let files: Vec<(&str, &str)> = crate::catalog::FILES
            .iter()
            .map(|(n, t)| {
                if *n == "rhesis.yaml" {
                    (*n, text.as_str())
                } else {
                    (*n, *t)
                }
            })
            .collect();
        let catalog = Catalog::load(&files).unwrap();
        let c = Configuration::new(&catalog, &["rhesis"], "prod").unwrap();
        let f = review(&catalog, &c);
        let hits = with(&f, "pdb-anti-affinity");
        let warn = hits
            .iter()
            .find(|h| h.severity == Severity::Warning)
            .unwrap();
        assert_eq!(warn.component.as_deref(), Some("backend"));
        assert_eq!(
            warn.fix.as_ref().unwrap().sets,
            [set("rhesis", "backend.pdb.create", Value::Bool(true))]
        );
        let info = hits.iter().find(|h| h.severity == Severity::Info).unwrap();
        assert!(
            info.message.starts_with("frontend, worker run"),
            "{}",
            info.message
        );
    }

    #[test]
    fn pod_fits_no_node() {
        let sets = [
            "backend.resources.requests.cpu=6",
            "backend.resources.limits.cpu=8",
        ];
        let opts = [("cloud", "gke"), ("node_type", "e2-standard-4")];
        let f = run(&["rhesis"], "prod", &sets, &opts);
        let hits = with(&f, "pod-fits-no-node");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Error);
        assert!(hits[0]
            .message
            .contains("requests 6 cores CPU, a e2-standard-4 node offers 3.72 cores"));
        // The cheapest GKE type that holds 6 cores (+ overhead) is e2-standard-8.
        assert_eq!(
            hits[0].fix.as_ref().unwrap().options,
            [("node_type".to_string(), "e2-standard-8".to_string())]
        );
        let after = fixed(&["rhesis"], "prod", &sets, &opts, hits[0]);
        assert!(with(&after, "pod-fits-no-node").is_empty());
        // Without a node choice the rule does not run; a default plan fits.
        assert!(with(&run(&["rhesis"], "prod", &sets, &[]), "pod-fits-no-node").is_empty());
        assert!(with(&run(&["rhesis"], "prod", &[], &opts), "pod-fits-no-node").is_empty());
    }

    #[test]
    fn default_password_in_prod() {
        // rae-memory's values.yaml gives the Bitnami PostgreSQL and Redis the password
        // `changeme`, and its prod preset keeps it; each has an existingSecret beside it.
        let f = run(&["rae-memory"], "prod", &[], &[]);
        let hits = with(&f, "default-password");
        let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(comps, ["postgresql", "redis"], "{hits:?}");
        assert!(hits.iter().all(|h| h.severity == Severity::Error));
        assert_eq!(
            hits[0].fix.as_ref().unwrap().sets,
            [
                set("rae-memory", "postgresql.auth.password", Value::from("")),
                set(
                    "rae-memory",
                    "postgresql.auth.existingSecret",
                    Value::from("rae-memory-postgresql")
                ),
            ]
        );
        let after = fixed(&["rae-memory"], "prod", &[], &[], hits[0]);
        let left: Vec<_> = with(&after, "default-password")
            .iter()
            .filter_map(|h| h.component.clone())
            .collect();
        assert_eq!(left, ["redis"]);
        // The Secret set, the value is unused.
        let sets = ["postgresql.auth.existingSecret=rae-pg"];
        let f = run(&["rae-memory"], "prod", &sets, &[]);
        assert!(
            !with(&f, "default-password")
                .iter()
                .any(|h| h.component.as_deref() == Some("postgresql")),
            "the Secret is set, so the value is unused"
        );
        // A weak word counts too, and a number; a real password does not.
        let redis_hits = |sets: &[&str]| {
            with(&run(&["rae-memory"], "prod", sets, &[]), "default-password")
                .iter()
                .filter(|h| h.component.as_deref() == Some("redis"))
                .count()
        };
        assert_eq!(redis_hits(&["redis.auth.password=admin"]), 1);
        assert_eq!(
            redis_hits(&["redis.auth.password=123456"]),
            1,
            "a number is a password too"
        );
        assert_eq!(
            redis_hits(&["redis.auth.password=Zq8-v!r2"]),
            0,
            "a real password is not flagged"
        );
        // Caracal's values.yaml passwords end in CHANGE_ME; the chart has no existingSecret
        // key (the raw manifests' Secret caracal-secrets holds them), so no fix is offered.
        let f = run(&["caracal"], "prod", &[], &[]);
        let hits = with(&f, "default-password");
        let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(comps, ["postgresql", "redis"]);
        assert!(hits.iter().all(|h| h.fix.is_none()));
        let strong = [
            "postgresql.auth.password=Zq8-v!r2-a",
            "redis.auth.password=Zq8-v!r2-b",
        ];
        assert!(with(&run(&["caracal"], "prod", &strong, &[]), "default-password").is_empty());
        // Dev keeps its defaults without a finding.
        for s in ["caracal", "rae-memory"] {
            assert!(with(&run(&[s], "dev", &[], &[]), "default-password").is_empty());
        }
        // The other charts' prod: Rhesis reads its passwords from Secret rhesis-secrets;
        // Frappe's values.yaml admin password is `admin`, cauldron-infra's RabbitMQ password
        // `guest`, its PostgreSQL and TimescaleDB passwords the published
        // `please_change_in_env` (the charts' prod files keep them all).
        assert!(with(&run(&["rhesis"], "prod", &[], &[]), "default-password").is_empty());
        let f = run(&["cauldron-frappe"], "prod", &[], &[]);
        let hits = with(&f, "default-password");
        assert_eq!(hits.len(), 1);
        assert!(hits[0]
            .message
            .starts_with("frappe.site.adminPassword keeps a default"));
        let f = run(&["cauldron-infra"], "prod", &[], &[]);
        let hits = with(&f, "default-password");
        let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(comps, ["postgresql", "timescaledb", "rabbitmq"]);
        let hits: Vec<_> = hits
            .into_iter()
            .filter(|h| h.component.as_deref() == Some("rabbitmq"))
            .collect();
        assert_eq!(
            hits[0].fix.as_ref().unwrap().sets[1],
            set(
                "cauldron-infra",
                "rabbitmq.auth.existingPasswordSecret",
                Value::from("cauldron-infra-rabbitmq")
            )
        );
    }

    #[test]
    fn qdrant_memory() {
        // 1M x 1024 dims x 6 B = 6144000000 B (5.72 GiB) > rae-memory prod's 8Gi limit? No:
        // 8 GiB holds it. 2M vectors need 12288000000 B (11.44 GiB) > 8 GiB.
        let opts = [("qdrant.vectors", "2000000"), ("qdrant.dimensions", "1024")];
        let f = run(&["rae-memory"], "prod", &[], &opts);
        let hits = with(&f, "qdrant-memory");
        assert_eq!(hits.len(), 1, "{f:?}");
        assert!(
            hits[0].message.contains("need 11.44 GiB"),
            "{}",
            hits[0].message
        );
        assert_eq!(
            hits[0].fix.as_ref().unwrap().sets[1],
            set(
                "rae-memory",
                "qdrant.resources.limits.memory",
                Value::from("12Gi")
            )
        );
        let after = fixed(&["rae-memory"], "prod", &[], &opts, hits[0]);
        assert!(with(&after, "qdrant-memory").is_empty());
        let opts = [("qdrant.vectors", "1000000"), ("qdrant.dimensions", "1024")];
        assert!(with(&run(&["rae-memory"], "prod", &[], &opts), "qdrant-memory").is_empty());
        assert!(with(&run(&["rae-memory"], "prod", &[], &[]), "qdrant-memory").is_empty());
    }

    #[test]
    fn redis_save_headroom() {
        let sets = ["redis.resources.requests.memory=1536Mi"];
        let f = run(&["rhesis"], "prod", &sets, &[]);
        let hits = with(&f, "redis-save-headroom");
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].fix.as_ref().unwrap().sets,
            [set(
                "rhesis",
                "redis.resources.limits.memory",
                Value::from("3Gi")
            )]
        );
        let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "redis-save-headroom").is_empty());
        // Without persistence a save never happens.
        let off = [
            "redis.resources.requests.memory=1536Mi",
            "redis.persistence.enabled=false",
        ];
        assert!(with(&run(&["rhesis"], "prod", &off, &[]), "redis-save-headroom").is_empty());
        assert!(with(&run(&["rhesis"], "prod", &[], &[]), "redis-save-headroom").is_empty());
    }

    #[test]
    fn claim_not_rendered() {
        // Rhesis mounts redis-pvc whatever redis.persistence.enabled says (seed 002's local
        // table has no Redis volume; the chart cannot run without one).
        let sets = ["redis.persistence.enabled=false"];
        let f = run(&["rhesis"], "dev", &sets, &[]);
        let hits = with(&f, "claim-not-rendered");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].component.as_deref(), Some("redis"));
        assert_eq!(hits[0].severity, Severity::Error);
        let after = fixed(&["rhesis"], "dev", &sets, &[], hits[0]);
        assert!(with(&after, "claim-not-rendered").is_empty());
        // Every preset keeps its volumes; Redis switched off mounts nothing.
        for env in ["local", "dev", "staging", "prod", "enterprise"] {
            assert!(with(&run(&["rhesis"], env, &[], &[]), "claim-not-rendered").is_empty());
        }
        let off = ["redis.persistence.enabled=false", "redis.enabled=false"];
        assert!(with(&run(&["rhesis"], "dev", &off, &[]), "claim-not-rendered").is_empty());
        // cauldron-infra's TimescaleDB and Qdrant Deployments too; Frappe falls back to an
        // emptyDir (no finding).
        let f = run(
            &["cauldron-infra"],
            "prod",
            &["qdrant.persistence.enabled=false"],
            &[],
        );
        assert_eq!(with(&f, "claim-not-rendered").len(), 1);
        let f = run(
            &["cauldron-frappe"],
            "prod",
            &["frappe.persistence.enabled=false"],
            &[],
        );
        assert!(with(&f, "claim-not-rendered").is_empty());
    }

    #[test]
    fn dependency_disabled() {
        let sets = ["redis.enabled=false"];
        let f = run(&["rhesis"], "prod", &sets, &[]);
        let hits = with(&f, "dependency-disabled");
        let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(comps, ["backend", "worker"]);
        let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
        assert!(with(&after, "dependency-disabled").is_empty());
        assert!(with(&run(&["rhesis"], "prod", &[], &[]), "dependency-disabled").is_empty());
    }

    #[test]
    fn dependency_across_charts() {
        // Both charts: infra's redis-queue switched off is an error for frappe's components.
        let stacks = ["cauldron-infra", "cauldron-frappe"];
        let sets = ["cauldron-infra:redisInstances.queue.enabled=false"];
        let f = run(&stacks, "prod", &sets, &[]);
        let hits = with(&f, "dependency-disabled");
        assert!(hits.iter().all(|h| h.severity == Severity::Error));
        assert!(
            hits[0]
                .explanation
                .contains("option external.cauldron-infra.redis-queue"),
            "{}",
            hits[0].explanation
        );
        assert!(
            hits[0]
                .explanation
                .contains("cauldron-frappe: frappe.redis.queueHost and frappe.redis.port"),
            "{}",
            hits[0].explanation
        );
        assert!(hits
            .iter()
            .any(|h| h.stack == "cauldron-frappe" && h.component.as_deref() == Some("web")));
        let after = fixed(&stacks, "prod", &sets, &[], hits[0]);
        assert!(with(&after, "dependency-disabled").is_empty());
        assert!(with(&run(&stacks, "prod", &[], &[]), "dependency-disabled").is_empty());
        // Frappe alone: one note that cauldron-infra's services must come from elsewhere.
        let f = run(&["cauldron-frappe"], "prod", &[], &[]);
        let hits = with(&f, "dependency-disabled");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Info);
        assert!(
            hits[0]
                .message
                .contains("cauldron-infra (postgresql, redis-cache, redis-queue, redis-socketio)"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn an_external_endpoint_satisfies_a_disabled_dependency() {
        let stacks = ["cauldron-infra", "cauldron-frappe"];
        let sets = ["cauldron-infra:postgresql.enabled=false"];
        let f = run(&stacks, "prod", &sets, &[]);
        let hits = with(&f, "dependency-disabled");
        let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        // All four Frappe Deployments wait for PostgreSQL in their init containers (socketio
        // too); infra's read replicas go off with their primary.
        assert_eq!(
            comps,
            ["web", "worker", "scheduler", "socketio"],
            "{hits:?}"
        );
        assert!(hits.iter().all(|h| h.severity == Severity::Error));
        let ext = [("external.cauldron-infra.postgresql", "db.example.com:5432")];
        let f = run(&stacks, "prod", &sets, &ext);
        assert!(with(&f, "dependency-disabled").is_empty(), "{f:?}");
        assert!(with(&f, "external-endpoint-unused").is_empty());
        // A malformed endpoint does not count, and is an invalid option.
        let bad = [(
            "external.cauldron-infra.postgresql",
            "db.example.com:5432/frappe",
        )];
        let f = run(&stacks, "prod", &sets, &bad);
        assert_eq!(with(&f, "dependency-disabled").len(), 4);
        let inv = with(&f, "invalid-option");
        assert_eq!(inv.len(), 1);
        assert!(
            inv[0]
                .message
                .contains("external.cauldron-infra.postgresql=\"db.example.com:5432/frappe\""),
            "{}",
            inv[0].message
        );
        // Frappe alone: an endpoint per infra service replaces the note about cauldron-infra.
        let all = [
            ("external.cauldron-infra.postgresql", "db.example.com"),
            ("external.cauldron-infra.redis-cache", "cache.example.com"),
            ("external.cauldron-infra.redis-queue", "queue.example.com"),
        ];
        let f = run(&["cauldron-frappe"], "prod", &[], &all);
        let hits = with(&f, "dependency-disabled");
        assert_eq!(hits.len(), 1);
        assert!(
            hits[0].message.contains("cauldron-infra (redis-socketio)"),
            "{}",
            hits[0].message
        );
        assert!(hits[0]
            .explanation
            .contains("options external.cauldron-infra.redis-socketio"));
    }

    #[test]
    fn an_endpoint_the_chart_cannot_take_keeps_the_error() {
        // Caracal's guide has no address parameter for Zookeeper: Kafka still cannot start.
        let sets = ["zookeeper.enabled=false"];
        let ext = [("external.caracal.zookeeper", "zk.example.com:2181")];
        let f = run(&["caracal"], "prod", &sets, &ext);
        let hits = with(&f, "dependency-disabled");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].component.as_deref(), Some("kafka"));
        assert_eq!(hits[0].severity, Severity::Error);
        let why = &hits[0].explanation;
        assert!(why.contains("cannot replace it in caracal"), "{why}");
        assert!(
            why.contains("zk.example.com:2181 given is recorded but not written"),
            "{why}"
        );
        assert!(why.contains("documents no Zookeeper parameters"), "{why}");
    }

    #[test]
    fn external_endpoint_unused() {
        let stacks = ["cauldron-infra", "cauldron-frappe"];
        let ext = [("external.cauldron-infra.redis-cache", "cache.example.com")];
        let f = run(&stacks, "prod", &[], &ext);
        let hits = with(&f, "external-endpoint-unused");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].stack, "cauldron-infra");
        assert_eq!(hits[0].component.as_deref(), Some("redis-cache"));
        assert!(hits[0]
            .explanation
            .contains("cauldron-frappe: frappe.redis.cacheHost"));
        let after = fixed(&stacks, "prod", &[], &ext, hits[0]);
        assert!(with(&after, "external-endpoint-unused").is_empty());
        assert!(with(&after, "dependency-disabled").is_empty());
        // Switched off, the endpoint is what the dependants need.
        let off = ["cauldron-infra:redisInstances.cache.enabled=false"];
        let f = run(&stacks, "prod", &off, &ext);
        assert!(with(&f, "external-endpoint-unused").is_empty());
        assert!(with(&f, "dependency-disabled").is_empty());
        assert!(with(&run(&stacks, "prod", &[], &[]), "external-endpoint-unused").is_empty());
    }

    #[test]
    fn invalid_option_is_a_finding() {
        let f = run(&["rhesis"], "prod", &[], &[("cloud", "gcp")]);
        let hits = with(&f, "invalid-option");
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("cloud=\"gcp\""));
        assert!(with(
            &run(&["rhesis"], "prod", &[], &[("cloud", "gke")]),
            "invalid-option"
        )
        .is_empty());
    }

    #[test]
    fn findings_are_sorted_and_deterministic() {
        let cat = cat();
        for chart in &cat.charts {
            for env in &chart.environments {
                let c = config(&[&chart.id], &env.id, &[], &[("cloud", "eks")]);
                let a = review(cat, &c);
                assert_eq!(a, review(cat, &c));
                assert!(a.windows(2).all(|w| w[0].severity <= w[1].severity));
                assert!(a.iter().all(|f| RULES.iter().any(|(r, _)| *r == f.rule)));
            }
        }
    }

    #[test]
    fn output_formats() {
        let f = run(&["caracal"], "staging", &["kafka.replicaCount=2"], &[]);
        let t = table(&f);
        insta::assert_snapshot!("caracal_staging_two_brokers", t);
        assert!(
            t.contains("ERROR    caracal/kafka  [kafka-replication-factor]"),
            "{t}"
        );
        assert!(t.contains("fix: Lower the replication factors to 2: --set caracal:kafka.config.defaultReplicationFactor=2"), "{t}");
        let j: serde_json::Value = serde_json::from_str(&json(&f)).unwrap();
        assert_eq!(j["summary"]["errors"], 1);
        assert_eq!(j["findings"][0]["rule"], "kafka-replication-factor");
        assert_eq!(j["findings"][0]["fix"]["sets"][0]["value"], 2);
    }
}
