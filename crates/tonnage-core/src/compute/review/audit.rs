//! The chart audit: what the real chart will do with a configuration that nobody in the review
//! knows. Settings no template reads (`dead-setting`), the guide's figures the chart does not
//! deliver (`guide-vs-chart`), what will not start or not work (`required-value-empty`,
//! `rwo-volume-multi-node`, `command-one-string`, `host-not-service`, `values-refused`) and
//! missing safety the existing rules do not cover (`missing-probes`, `no-anti-affinity`).
//!
//! Every finding carries its evidence: the key, where its value came from, the guide's words with
//! their section, what the template does with its source. The facts come from the catalog
//! (`dead`, `claims`, `volumes`, and the `audit` section), read from the chart itself
//! ([`Chart::audit_facts`]: an embedded chart's file with the probes' key indexes, or what a
//! loaded chart's own YAML states), never by chart id nor from code that knows a chart. A fix
//! never lowers safety: it never offers fewer replicas, brokers or in-sync replicas, nor a
//! smaller volume, than the chart runs now.

use serde_yaml::Value;

use super::{fix, is_production, set, Ctx, Evidence, Fix, Severity};
use crate::base::quantity::{human_bytes, human_cpu};
use crate::base::values::{display_value, leaf_paths, lookup, quantity_of};
use crate::configuration::config::{Layer, Origin};
use crate::model::catalog::audit_facts::{AuditFacts, DeadIntent, ProbedKeys};
use crate::model::catalog::{path_covers, Chart, GuideClaim, GuideTotals};

/// The hardening overlay's words, the fix of the missing-safety rules.
const HARDENING: &str = "the hardening overlay (issue 21: patches over the chart's rendered \
                         workloads)";

/// Run every audit rule on the context (after the review's rules, whose findings it reads).
pub(super) fn run(ctx: &mut Ctx<'_>) {
    dead_settings(ctx);
    unread_settings(ctx);
    guide_vs_chart(ctx);
    required_values(ctx);
    rwo_volumes(ctx);
    joined_commands(ctx);
    hosts_not_services(ctx);
    missing_probes(ctx);
    no_anti_affinity(ctx);
    values_refused(ctx);
}

impl Ctx<'_> {
    /// Where the value at `path` came from, in words: "set by you", "set by the link you
    /// opened", "set by the imported values file", "set by values-prod.yaml (...)"...
    fn origin(&self, chart: &Chart, path: &str) -> String {
        let env = &self.config.env;
        match self.config.source_of(chart, path) {
            Layer::User if self.config.is_overridden(&chart.id, path) => {
                match self.config.origin_of(&chart.id, path) {
                    Some(Origin::User) => "set by you".into(),
                    Some(Origin::Link) => "set by the link you opened".into(),
                    Some(Origin::Import { file: None }) => "set by the imported values file".into(),
                    Some(Origin::Import { file: Some(f) }) => {
                        format!("set by the imported values file {f}")
                    }
                    None => "set by an override (saved before Tonnage recorded whether you, an \
                             imported file or a link set it)"
                        .into(),
                }
            }
            Layer::User => "set by an external endpoint (an external.* option)".into(),
            Layer::Environment => match chart.environment(env).and_then(|e| e.file.as_deref()) {
                Some(file) => format!("set by {file} (the chart's own {env} file)"),
                None => {
                    format!("set by the {env} preset (the guide's figures in the chart's keys)")
                }
            },
            Layer::Chart => "set by values.yaml (the chart's defaults)".into(),
        }
    }

    /// Where the value at `path` came from, as an id for tools (the JSON's `set_by`): `user`,
    /// `link`, `import`, `override` (an override of unknown origin), `external`, `environment`,
    /// `chart`.
    fn set_by(&self, chart: &Chart, path: &str) -> &'static str {
        match self.config.source_of(chart, path) {
            Layer::User if self.config.is_overridden(&chart.id, path) => {
                match self.config.origin_of(&chart.id, path) {
                    Some(Origin::User) => "user",
                    Some(Origin::Link) => "link",
                    Some(Origin::Import { .. }) => "import",
                    None => "override",
                }
            }
            Layer::User => "external",
            Layer::Environment => "environment",
            Layer::Chart => "chart",
        }
    }

    /// Evidence about the value at `path` of `chart`, with what the chart does.
    fn evidence(&self, chart: &Chart, path: &str, what: &str) -> Evidence {
        Evidence {
            key: path.to_string(),
            value: self.get(&chart.id, path).map(one_line),
            origin: self.origin(chart, path),
            set_by: Some(self.set_by(chart, path).to_string()),
            guide: None,
            guide_source: None,
            chart: Some(what.to_string()),
        }
    }

    fn is_running(&self, stack: &str, component: &str) -> bool {
        self.planned(stack, component).is_some_and(|p| p.enabled)
    }
}

/// A value on one line: a scalar as `--set` writes it, a list or map as compact JSON (cut at
/// 120 characters).
fn one_line(v: &Value) -> String {
    match v {
        Value::Sequence(_) | Value::Mapping(_) => {
            let s = serde_json::to_string(v).unwrap_or_default();
            match s.char_indices().nth(120) {
                Some((i, _)) => format!("{}...", &s[..i]),
                None => s,
            }
        }
        _ => display_value(v),
    }
}

/// A fix in words only: nothing to set (the page offers no Apply for it).
fn words(label: String) -> Option<Fix> {
    Some(Fix {
        label,
        sets: Vec::new(),
        options: Vec::new(),
    })
}

/// The charts of the configuration, in its order.
fn stacks<'a>(ctx: &Ctx<'a>) -> Vec<&'a Chart> {
    ctx.config
        .stacks
        .iter()
        .filter_map(|s| ctx.catalog.chart(s))
        .collect()
}

/// The guide claim about `path`, if the catalog records one for this environment.
fn claim_about<'f>(claims: &'f [GuideClaim], path: &str, env: &str) -> Option<&'f GuideClaim> {
    claims
        .iter()
        .find(|c| c.path.as_deref() == Some(path) && c.env.as_deref().is_none_or(|e| e == env))
}

/// A number or quantity, for the "never lower" check: (value, is_quantity).
fn magnitude(v: &Value) -> Option<i128> {
    if let Some(n) = v.as_i64() {
        return Some(i128::from(n));
    }
    quantity_of(v).ok().map(|q| q.nanos())
}

/// Whether setting `new` where `old` is in effect would lower a count or a size.
fn lowers(old: Option<&Value>, new: &Value) -> bool {
    match (old.and_then(magnitude), magnitude(new)) {
        (Some(o), Some(n)) => n < o,
        _ => false,
    }
}

fn dead_settings(ctx: &mut Ctx<'_>) {
    for chart in stacks(ctx) {
        let facts = chart.audit_facts();
        let deployed = facts.deployed(chart);
        for dead in &chart.dead {
            // Set by the preset or an override: the chart's own values.yaml defaults are the
            // chart's business, not a choice anyone in the review made.
            if ctx.config.source_of(chart, dead) == Layer::Chart {
                continue;
            }
            // The probe's word over the catalog's: a key the probe found read is not reported
            // (the test `catalog_dead_keys_agree_with_the_probes` keeps them in step).
            if deployed.is_some_and(|k| read_at_or_below(k, dead)) {
                continue;
            }
            let Some(value) = ctx.get(&chart.id, dead).cloned() else {
                continue;
            };
            let intent = facts.audit.dead_intent.iter().find(|d| &d.dead == dead);
            // What the chart does: the intent's words; for a chart deployed from raw manifests,
            // with the probes that show it (its own templates are not what gets deployed).
            let probed = (chart.is_kustomize() && deployed.is_some())
                .then(|| unread_words(chart, &facts, dead));
            let is_probed = probed.is_some();
            let what = match (intent, probed) {
                (Some(i), Some(p)) => format!("{}; {p}", i.why),
                (Some(i), None) => i.why.clone(),
                (None, Some(p)) => p,
                (None, None) if deployed.is_some() => "no template reads it (the catalog's dead \
                                                       keys, each probed by rendering the real \
                                                       chart with the key changed: nothing moves)"
                    .to_string(),
                (None, None) => "no template reads it, as the catalog's dead keys state (no \
                                 probe of this chart backs it)"
                    .to_string(),
            };
            let mut ev = ctx.evidence(chart, dead, &what);
            if let Some(c) = claim_about(facts.claims, dead, &ctx.config.env) {
                ev.guide = Some(c.guide.clone());
                ev.guide_source = Some(c.source.clone());
            }
            let (fix_, note, delivered) = match intent {
                Some(i) => dead_fix(ctx, chart, i, &value),
                None => (None, String::new(), true),
            };
            let source = match (intent, is_probed) {
                (_, true) => "; probed through the bundle's overlay and with real Helm",
                (Some(_), false) => "",
                (None, false) => ", catalog dead keys",
            };
            let explanation = match intent {
                Some(i) => format!(
                    "The setting has no effect: {}.{note} Source: the real chart ({}){source}.",
                    i.why,
                    real_chart(chart)
                ),
                None => format!(
                    "The setting has no effect; nothing depends on it. Source: the real chart \
                     ({}){source}.",
                    real_chart(chart)
                ),
            };
            push_dead(ctx, chart, &value, ev, delivered, explanation, fix_);
        }
    }
}

/// Whether the index found a key at or below `path` read (list indexes aside): the catalog's
/// dead key `path` is then contradicted. A read key above it (a list probed whole) is not.
fn read_at_or_below(keys: &ProbedKeys, path: &str) -> bool {
    let p = any_index(path);
    keys.reads.iter().any(|k| path_covers(&p, &any_index(k)))
}

/// Where a probe's index of a chart is recorded, for the evidence.
fn keys_file(chart: &Chart) -> String {
    format!("tests/data/real-helm/{}/keys.yaml", chart.id)
}

fn overlay_file(chart: &Chart) -> String {
    format!("tests/data/overlay-keys/{}.yaml", chart.id)
}

/// What the probes found of a key that does not reach what gets deployed, in words: real Helm's
/// render of the chart; for a chart deployed from raw manifests, the overlay and the chart's
/// own templates (which the bundle does not install).
fn unread_words(chart: &Chart, facts: &AuditFacts<'_>, path: &str) -> String {
    if !chart.is_kustomize() {
        return format!(
            "real Helm renders the chart the same with the key changed (the probe of every \
             preset and the recorded override cases, {})",
            keys_file(chart)
        );
    }
    let mut out = format!(
        "the bundle deploys the repository's raw manifests, which read no values, through its \
         kustomize overlay, and the overlay is the same with the key changed (the probe of \
         every preset and recorded case, {})",
        overlay_file(chart)
    );
    let templates = chart
        .real_chart
        .as_ref()
        .map_or_else(|| chart.chart.name.clone(), |r| r.path.clone());
    if let Some(keys) = facts.keys {
        let p = any_index(path);
        let read = keys.reads.iter().any(|k| {
            let k = any_index(k);
            path_covers(&k, &p) || path_covers(&p, &k)
        });
        out.push_str(&if read {
            format!(
                "; the chart's own templates ({templates}, which the bundle does not install) \
                 read it (real Helm's probe, {})",
                keys_file(chart)
            )
        } else {
            format!(
                "; nor do the chart's own templates ({templates}; real Helm's probe, {})",
                keys_file(chart)
            )
        });
    }
    out
}

/// A `dead-setting` finding about the key of `ev`: a warning while what the key meant is not
/// what the chart does, a note otherwise.
fn push_dead(
    ctx: &mut Ctx<'_>,
    chart: &Chart,
    value: &Value,
    ev: Evidence,
    delivered: bool,
    explanation: String,
    fix_: Option<Fix>,
) {
    let reader = if chart.is_kustomize() {
        "nothing the bundle deploys"
    } else {
        "no template of the chart"
    };
    let message = format!(
        "{}={} is {} but {reader} reads it",
        ev.key,
        one_line(value),
        ev.origin
    );
    let severity = if delivered {
        Severity::Info
    } else {
        Severity::Warning
    };
    ctx.push_evidence(
        severity,
        "dead-setting",
        &chart.id,
        None,
        message,
        explanation,
        fix_,
        vec![ev],
    );
}

/// Where a set key stands in the chart's probed key index.
enum Unread {
    /// The probe changed this key (or every key below it) and nothing moved.
    Probed,
    /// The chart declares no such key; the templates read `parent` key by key (its key
    /// `sibling` moves nothing) and none of their undeclared reads is it.
    Undeclared { parent: String, sibling: String },
    /// A path of an earlier Tonnage catalog (`moved` or `removed`), which no template reads.
    Old { why: String },
}

/// A path with every list index written `[]`, so that a path into any element matches the
/// probe's (which names the elements of the files it read: `hosts[0].host`).
fn any_index(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for ch in path.chars() {
        match ch {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' if in_index => in_index = false,
            _ if in_index => {}
            _ => out.push(ch),
        }
    }
    out
}

/// The path of the map holding `path`'s last key (`a.b` of `a.b.c`, `a` of `a[0]`).
fn parent_of(path: &str) -> Option<&str> {
    path.rfind(['.', '[']).map(|i| &path[..i])
}

/// Whether no template of `chart` reads the set key `path`, by the probed key index: `None`
/// when it is read, when the index cannot tell (a key of a subchart the probe did not render
/// key by key, a map the templates may print whole such as labels or annotations), or when
/// the chart was never probed.
fn unread(chart: &Chart, keys: &ProbedKeys, path: &str) -> Option<Unread> {
    let p = any_index(path);
    let touches = |k: &String| {
        let k = any_index(k);
        path_covers(&k, &p) || path_covers(&p, &k)
    };
    if keys.reads.iter().any(touches) || chart.template_reads.iter().any(|k| path_covers(k, path)) {
        return None;
    }
    if keys.dead.iter().any(touches) {
        return Some(Unread::Probed);
    }
    if let Some((_, why)) = chart.migrate(path) {
        return Some(Unread::Old {
            why: why.to_string(),
        });
    }
    // Not a key the probe saw. Below a subchart, its own templates read keys the parent's files
    // never set: unknown. Elsewhere the catalog lists every key the templates read that the
    // values do not declare (`template_reads`), so the key is unread where the nearest map the
    // probe saw is read key by key: one of its keys moves nothing (a map printed whole, such as
    // labels, moves with every key).
    if chart.subchart_of(path).is_some() {
        return None;
    }
    let mut at = p.as_str();
    while let Some(parent) = parent_of(at) {
        let below = |k: &String| path_covers(parent, &any_index(k));
        if keys.reads.iter().any(below) || keys.dead.iter().any(below) {
            let sibling = keys
                .dead
                .iter()
                .find(|d| parent_of(&any_index(d)) == Some(parent))?;
            return Some(Unread::Undeclared {
                parent: parent.to_string(),
                sibling: sibling.clone(),
            });
        }
        at = parent;
    }
    None
}

/// Every values path the configuration sets in `chart` beyond its values.yaml: the environment
/// overlay's leaves and the overrides' (lists whole), sorted.
fn set_paths(ctx: &Ctx<'_>, chart: &Chart) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(env) = chart.environment(&ctx.config.env) {
        out.extend(leaf_paths(&env.values));
    }
    for (path, v) in ctx.config.overrides.get(&chart.id).into_iter().flatten() {
        match leaf_paths(v).as_slice() {
            [] => out.push(path.clone()),
            below => out.extend(below.iter().map(|b| {
                if b.starts_with('[') {
                    format!("{path}{b}")
                } else {
                    format!("{path}.{b}")
                }
            })),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Dead settings beyond the catalog's `dead` list: every key the preset, an imported file, a
/// link or the user sets that the probed key index says nothing deployed reads (no template;
/// for a chart deployed from raw manifests, not the bundle's overlay). A chart without an index
/// (one parsed from YAML: the probes were of the built-in charts) gets nothing here.
fn unread_settings(ctx: &mut Ctx<'_>) {
    for chart in stacks(ctx) {
        let facts = chart.audit_facts();
        let Some(keys) = facts.deployed(chart) else {
            continue;
        };
        let raw = chart.is_kustomize();
        for path in set_paths(ctx, chart) {
            // The catalog's dead keys have their own finding (with what they meant).
            if chart.is_dead(&path) || ctx.config.source_of(chart, &path) == Layer::Chart {
                continue;
            }
            let Some(value) = ctx.get(&chart.id, &path).cloned() else {
                continue;
            };
            let Some(why) = unread(chart, keys, &path) else {
                continue;
            };
            let what = match &why {
                Unread::Probed => unread_words(chart, &facts, &path),
                Unread::Old { why } => format!(
                    "it is a path of an earlier Tonnage catalog ({})",
                    why.trim_end_matches('.')
                ),
                Unread::Undeclared { parent, sibling } if raw => format!(
                    "the chart's values declare no such key, and the bundle's kustomize overlay \
                     reads {parent} key by key (changing {sibling} moves nothing, {})",
                    overlay_file(chart)
                ),
                Unread::Undeclared { parent, sibling } => format!(
                    "the chart's values declare no such key, it is none \
                     of the keys the templates read without declaring them, and the templates \
                     read {parent} key by key (changing {sibling} moves nothing)"
                ),
            };
            // A known rename (the catalog's `moved`): the key the chart reads for it.
            let intent = chart.migrate(&path).and_then(|(to, why)| {
                Some(DeadIntent {
                    dead: path.clone(),
                    reads: Some(to?),
                    value: None,
                    why: why.to_string(),
                })
            });
            let (fix_, note, delivered) = match &intent {
                Some(i) => dead_fix(ctx, chart, i, &value),
                None => (None, String::new(), true),
            };
            let (reader, probe) = if raw {
                (
                    "nothing deployed",
                    "probed through the bundle's overlay and with real Helm",
                )
            } else {
                ("no template", "probed with real Helm")
            };
            let ev = ctx.evidence(chart, &path, &format!("{reader} reads it: {what}"));
            let explanation = format!(
                "The setting has no effect: {what}.{note} Source: the real chart ({}), {probe}.",
                real_chart(chart)
            );
            push_dead(ctx, chart, &value, ev, delivered, explanation, fix_);
        }
    }
}

/// The fix of a dead setting with a known intent: set the key the chart reads, unless it already
/// holds that value or the change would lower a count or a size. Also says why there is none,
/// and whether the chart already does what the key meant.
fn dead_fix(
    ctx: &Ctx<'_>,
    chart: &Chart,
    i: &DeadIntent,
    value: &Value,
) -> (Option<Fix>, String, bool) {
    let Some(reads) = &i.reads else {
        return (
            None,
            " The chart has no key that does what it meant: change the chart, or accept what it \
             renders."
                .into(),
            false,
        );
    };
    let target = match &i.value {
        Some(v) if value == &Value::Bool(true) => v.clone(),
        Some(_) => return (None, String::new(), true),
        None => value.clone(),
    };
    let current = ctx.get(&chart.id, reads);
    if current == Some(&target) {
        return (
            None,
            format!(
                " The chart already gets it from {reads}={}.",
                display_value(&target)
            ),
            true,
        );
    }
    if lowers(current, &target) {
        return (
            None,
            format!(
                " {reads} is {} already, more than {}: a fix never lowers it.",
                current.map(display_value).unwrap_or_default(),
                display_value(&target)
            ),
            false,
        );
    }
    (
        fix(
            format!(
                "Set the key the chart reads: {reads}={}",
                display_value(&target)
            ),
            vec![set(&chart.id, reads, target)],
        ),
        String::new(),
        false,
    )
}

/// What renders the workloads: the chart's templates, or the repository's raw manifests for a
/// chart deployed through a kustomize overlay (`real_chart.deploy: kustomize`, Caracal).
fn what_deploys(chart: &Chart) -> &'static str {
    if deploys_raw(chart) {
        "the repository's raw manifests"
    } else {
        "the chart's template"
    }
}

fn deploys_raw(chart: &Chart) -> bool {
    chart
        .real_chart
        .as_ref()
        .is_some_and(|r| r.deploy == "kustomize")
}

fn real_chart(chart: &Chart) -> String {
    match &chart.real_chart {
        Some(r) => format!(
            "{} {} at {}",
            r.repository,
            r.path,
            &r.commit[..r.commit.len().min(7)]
        ),
        None => chart.chart.name.clone(),
    }
}

fn guide_vs_chart(ctx: &mut Ctx<'_>) {
    let env = ctx.config.env.clone();
    for chart in stacks(ctx) {
        let facts = chart.audit_facts();
        for c in facts.claims {
            if c.env.as_deref().is_some_and(|e| e != env) {
                continue;
            }
            let applies = ctx
                .values
                .get(&chart.id)
                .is_some_and(|values| c.when.iter().all(|w| w.holds_in(values)));
            if !applies {
                continue;
            }
            let (figures, severity, plan_part) = match (&c.totals, &c.guide_value, &c.chart_value) {
                (Some(t), _, _) => totals_difference(ctx, chart, t),
                (None, Some(g), Some(h)) => (
                    format!(": the guide says {g}, the chart gives {h}"),
                    Severity::Warning,
                    plan_difference(ctx, chart, c),
                ),
                _ => (
                    String::new(),
                    Severity::Info,
                    plan_difference(ctx, chart, c),
                ),
            };
            let ev = Evidence {
                key: c.path.clone().unwrap_or_else(|| "-".into()),
                value: c
                    .path
                    .as_deref()
                    .and_then(|p| ctx.get(&chart.id, p))
                    .map(one_line),
                origin: match &c.path {
                    Some(p) if ctx.get(&chart.id, p).is_some() => ctx.origin(chart, p),
                    _ => "from the guide".into(),
                },
                set_by: c
                    .path
                    .as_deref()
                    .filter(|p| ctx.get(&chart.id, p).is_some())
                    .map(|p| ctx.set_by(chart, p).to_string()),
                guide: Some(c.guide.clone()),
                guide_source: Some(c.source.clone()),
                chart: Some(c.chart.clone()),
            };
            ctx.push_evidence(
                severity,
                "guide-vs-chart",
                &chart.id,
                c.component.as_deref(),
                format!("The guide and the chart differ ({}){figures}", c.id),
                format!(
                    "The guide: \"{}\" ({}). The chart: {}.{plan_part} The plan counts what the \
                     chart renders. Source: the catalog's claims, from the real chart ({}).",
                    c.guide,
                    c.source,
                    c.chart.trim_end_matches('.'),
                    real_chart(chart)
                ),
                c.hardening
                    .as_deref()
                    .and_then(|h| words(format!("{h} with {HARDENING}"))),
                vec![ev],
            );
        }
    }
}

/// One figure of a guide's totals beside the plan's, in the figure's unit.
struct TotalRow {
    what: &'static str,
    guide: i64,
    plan: i64,
    show: fn(i64) -> String,
}

/// A guide's totals (`figure: totals`) against the chart's baseline totals in the plan: the
/// message's figures, the severity (a warning when one differs) and the explanation's part with
/// the difference.
fn totals_difference(ctx: &Ctx<'_>, chart: &Chart, t: &GuideTotals) -> (String, Severity, String) {
    let Some((_, totals)) = ctx
        .plan
        .stack_totals()
        .into_iter()
        .find(|(id, _)| id == &chart.id)
    else {
        return (String::new(), Severity::Info, String::new());
    };
    let b = totals.baseline;
    let mut rows: Vec<TotalRow> = Vec::new();
    if let Some(n) = t.replicas {
        rows.push(TotalRow {
            what: "pods",
            guide: n,
            plan: b.replicas,
            show: |n| n.to_string(),
        });
    }
    for (name, q) in t.quantities() {
        let Some(q) = q.and_then(|s| crate::base::quantity::parse(s).ok()) else {
            continue;
        };
        let (cpu, bytes) = (q.milli_value(), q.value());
        rows.push(match name {
            "cpu_requests" => TotalRow {
                what: "CPU requested",
                guide: cpu,
                plan: b.requests.cpu_millicores,
                show: human_cpu,
            },
            "cpu_limits" => TotalRow {
                what: "CPU limit",
                guide: cpu,
                plan: b.limits.cpu_millicores,
                show: human_cpu,
            },
            "memory_requests" => TotalRow {
                what: "memory requested",
                guide: bytes,
                plan: b.requests.memory_bytes,
                show: human_bytes,
            },
            "memory_limits" => TotalRow {
                what: "memory limit",
                guide: bytes,
                plan: b.limits.memory_bytes,
                show: human_bytes,
            },
            _ => TotalRow {
                what: "storage",
                guide: bytes,
                plan: b.storage_bytes,
                show: human_bytes,
            },
        });
    }
    let list = |pick: fn(&TotalRow) -> i64| {
        rows.iter()
            .map(|r| format!("{} {}", (r.show)(pick(r)), r.what))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let differs: Vec<String> = rows
        .iter()
        .filter(|r| r.guide != r.plan)
        .map(|r| {
            let d = r.plan.saturating_sub(r.guide);
            let sign = if d < 0 { "-" } else { "+" };
            format!("{sign}{} {}", (r.show)(d.saturating_abs()), r.what)
        })
        .collect();
    let (severity, diff) = if differs.is_empty() {
        (Severity::Info, "the same".to_string())
    } else {
        (Severity::Warning, differs.join(", "))
    };
    (
        format!(
            ": the guide's total is {}, the plan's {}",
            list(|r| r.guide),
            list(|r| r.plan)
        ),
        severity,
        format!(" The plan's total at baseline, less the guide's: {diff}."),
    )
}

/// " The plan: ...; the guide's figure would add ... ." for a claim about a workload figure.
fn plan_difference(ctx: &Ctx<'_>, chart: &Chart, c: &GuideClaim) -> String {
    let (Some(id), Some(figure)) = (&c.component, &c.figure) else {
        return String::new();
    };
    let Some(cp) = ctx.planned(&chart.id, id) else {
        return String::new();
    };
    // The guide's figure: its value if it is one, else what the preset sets at the claim's path
    // (a dead key holds the guide's intent, e.g. postgresql.persistence.size: 50Gi).
    let from_path = || {
        c.path
            .as_deref()
            .and_then(|p| lookup(ctx.values.get(&chart.id)?, p))
            .cloned()
    };
    let parse = |s: &str| -> Option<Value> { serde_yaml::from_str(s.trim()).ok() };
    let guide = c
        .guide_value
        .as_deref()
        .and_then(parse)
        .filter(|v| magnitude(v).is_some())
        .or_else(from_path);
    let n = cp.replicas.baseline;
    match figure.as_str() {
        "replicas" => {
            let Some(g) = guide.as_ref().and_then(Value::as_i64) else {
                return format!(" The plan: {n} replica(s).");
            };
            let d = g - n;
            format!(
                " The plan: {n} replica(s); the guide's {g} would add {d} x ({} CPU, {} memory, \
                 {} storage) = {} CPU, {} memory and {} storage to the totals.",
                human_cpu(cp.requests.cpu_millicores),
                human_bytes(cp.requests.memory_bytes),
                human_bytes(cp.storage_bytes),
                human_cpu(d * cp.requests.cpu_millicores),
                human_bytes(d * cp.requests.memory_bytes),
                human_bytes(d * cp.storage_bytes),
            )
        }
        _ => {
            let per = human_bytes(cp.storage_bytes);
            let Some(g) = guide
                .as_ref()
                .and_then(|v| quantity_of(v).ok())
                .map(|q| q.value())
            else {
                return format!(" The plan: {per} per replica, {n} replica(s).");
            };
            let d = (g - cp.storage_bytes) * n;
            format!(
                " The plan: {per} per replica x {n} replica(s); the guide's {} would change the \
                 storage total by {}{}.",
                human_bytes(g),
                if d < 0 { "-" } else { "+" },
                human_bytes(d.abs())
            )
        }
    }
}

fn required_values(ctx: &mut Ctx<'_>) {
    for chart in stacks(ctx) {
        for r in &chart.audit_facts().audit.required {
            if !ctx.is_running(&chart.id, &r.component) {
                continue;
            }
            let empty = match ctx.get(&chart.id, &r.path) {
                None => true,
                Some(Value::String(s)) => s.trim().is_empty(),
                Some(_) => false,
            };
            if !empty {
                continue;
            }
            let name = chart
                .component(&r.component)
                .map_or(r.component.as_str(), |c| &c.name);
            ctx.push_evidence(
                Severity::Error,
                "required-value-empty",
                &chart.id,
                Some(&r.component),
                format!(
                    "{} will not start: {} is empty ({})",
                    name, r.path, r.secret
                ),
                format!(
                    "{}. Set a password (the values bundle can generate one), or keep the \
                     chart's Secret filled another way. Source: the real chart ({}).",
                    r.why,
                    real_chart(chart)
                ),
                None,
                vec![ctx.evidence(chart, &r.path, &r.why)],
            );
        }
    }
}

fn rwo_volumes(ctx: &mut Ctx<'_>) {
    for chart in stacks(ctx) {
        for vol in &chart.volumes {
            let mode_path = format!("{}.accessMode", vol.values);
            if ctx.get(&chart.id, &mode_path).and_then(Value::as_str) != Some("ReadWriteOnce") {
                continue;
            }
            if ctx.bool_at(&chart.id, &format!("{}.enabled", vol.values)) == Some(false) {
                continue;
            }
            let users: Vec<(String, i64)> = vol
                .used_by
                .iter()
                .filter_map(|id| {
                    let p = ctx.planned(&chart.id, id).filter(|p| p.enabled)?;
                    Some((p.name.clone(), p.replicas.peak))
                })
                .collect();
            let pods: i64 = users.iter().map(|(_, n)| n).sum();
            if pods <= 1 {
                continue;
            }
            let claim = vol.claim.clone().unwrap_or_else(|| vol.id.clone());
            let who = users
                .iter()
                .map(|(n, r)| format!("{n} x{r}"))
                .collect::<Vec<_>>()
                .join(", ");
            let what = format!(
                "PersistentVolumeClaim {claim} is mounted by {who} (catalog volumes[{}].used_by)",
                vol.id
            );
            ctx.push_evidence(
                Severity::Warning,
                "rwo-volume-multi-node",
                &chart.id,
                None,
                format!(
                    "{} pods mount the ReadWriteOnce claim {claim}: pods on a second node will \
                     not start",
                    pods
                ),
                format!(
                    "A ReadWriteOnce volume attaches to one node; a pod the scheduler places on \
                     another node waits in ContainerCreating (Multi-Attach error). {what}. \
                     ReadWriteMany needs a storage class that offers it (NFS, EFS, Azure \
                     Files, CephFS). Source: Kubernetes persistent volume access modes; the real \
                     chart ({}).",
                    real_chart(chart)
                ),
                fix(
                    format!("Share the volume across nodes: {mode_path}=ReadWriteMany"),
                    vec![set(
                        &chart.id,
                        &mode_path,
                        Value::String("ReadWriteMany".into()),
                    )],
                ),
                vec![ctx.evidence(chart, &mode_path, &what)],
            );
        }
    }
}

fn joined_commands(ctx: &mut Ctx<'_>) {
    for chart in stacks(ctx) {
        for j in &chart.audit_facts().audit.joined_commands {
            if !ctx.is_running(&chart.id, &j.component) {
                continue;
            }
            let Some(Value::Sequence(items)) = ctx.get(&chart.id, &j.path) else {
                continue;
            };
            if items.len() < 2 {
                continue;
            }
            let name = chart
                .component(&j.component)
                .map_or(j.component.as_str(), |c| &c.name);
            ctx.push_evidence(
                Severity::Error,
                "command-one-string",
                &chart.id,
                Some(&j.component),
                format!(
                    "{name} will not start: its command ({} words) is rendered as one string",
                    items.len()
                ),
                format!(
                    "{}. No value fixes it: the template must print the list as YAML (toYaml). \
                     Source: the real chart ({}).",
                    j.why,
                    real_chart(chart)
                ),
                None,
                vec![ctx.evidence(chart, &j.path, &j.why)],
            );
        }
    }
}

fn hosts_not_services(ctx: &mut Ctx<'_>) {
    for chart in stacks(ctx) {
        for s in &chart.audit_facts().audit.services {
            let Some((tc, tid)) = s.target.split_once('/') else {
                continue;
            };
            let (Some(target_chart), Some(values)) = (ctx.catalog.chart(tc), ctx.values.get(tc))
            else {
                continue;
            };
            if !ctx.is_running(tc, tid) {
                continue;
            }
            let Some(comp) = target_chart.component(tid) else {
                continue;
            };
            let Some(service) = comp.service_name(values) else {
                continue;
            };
            let ns = &target_chart.chart.namespace;
            let host = ctx
                .get(&chart.id, &s.host)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let same_ns = chart.chart.namespace == *ns;
            let accepted = [
                format!("{service}.{ns}"),
                format!("{service}.{ns}.svc"),
                format!("{service}.{ns}.svc.cluster.local"),
            ];
            if (same_ns && host == service) || accepted.contains(&host) {
                continue;
            }
            let want = if same_ns {
                service.to_string()
            } else {
                accepted[2].clone()
            };
            let what = format!(
                "{}; {tc} renders the Service {service} in namespace {ns}",
                s.why
            );
            ctx.push_evidence(
                Severity::Error,
                "host-not-service",
                &chart.id,
                None,
                format!(
                    "{}={host:?} does not name {tc}'s {} Service ({service}): it will not connect",
                    s.host, comp.name
                ),
                format!(
                    "{what}. A name no Service has does not resolve in the cluster, so the pods \
                     wait or fail at start. Source: the real charts ({}; {}).",
                    real_chart(chart),
                    real_chart(target_chart)
                ),
                fix(
                    format!("Point it at the Service: {}={want}", s.host),
                    vec![set(&chart.id, &s.host, Value::String(want.clone()))],
                ),
                vec![ctx.evidence(chart, &s.host, &what)],
            );
        }
    }
}

fn missing_probes(ctx: &mut Ctx<'_>) {
    let prod = is_production(&ctx.config.env);
    for chart in stacks(ctx) {
        for l in &chart.audit_facts().audit.no_probes {
            if !ctx.is_running(&chart.id, &l.component) {
                continue;
            }
            let name = chart
                .component(&l.component)
                .map_or(l.component.as_str(), |c| &c.name);
            ctx.push_evidence(
                if prod {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                "missing-probes",
                &chart.id,
                Some(&l.component),
                format!("{name} runs without liveness or readiness probes"),
                format!(
                    "{}. A hung process is never restarted and a pod that is not ready still \
                     gets traffic; Polaris, kube-score and kube-linter flag it. The chart has \
                     no key for probes. Source: the real chart ({}); {FACTS_VALIDATING}.",
                    l.why,
                    real_chart(chart)
                ),
                words(format!("Add probes with {HARDENING}")),
                vec![Evidence {
                    key: format!("{}/{}", chart.id, l.component),
                    value: None,
                    origin: format!("from {}", what_deploys(chart)),
                    set_by: None,
                    guide: None,
                    guide_source: None,
                    chart: Some(l.why.clone()),
                }],
            );
        }
    }
}

const FACTS_VALIDATING: &str =
    "Tonnage's sizing facts (shared/reference/sizing-facts.md), \"Validating rendered manifests\"";

fn no_anti_affinity(ctx: &mut Ctx<'_>) {
    let prod = is_production(&ctx.config.env);
    for chart in stacks(ctx) {
        for l in &chart.audit_facts().audit.no_anti_affinity {
            let Some(cp) = ctx.planned(&chart.id, &l.component).filter(|p| p.enabled) else {
                continue;
            };
            let (base, peak) = (cp.replicas.baseline, cp.replicas.peak);
            // Covered by the review's own rule (it warns when the values turn it off).
            let covered = ctx.out.iter().any(|f| {
                f.rule == "pdb-anti-affinity"
                    && f.severity == Severity::Warning
                    && f.stack == chart.id
                    && f.component.as_deref() == Some(l.component.as_str())
            });
            if peak <= 1 || covered {
                continue;
            }
            let name = chart
                .component(&l.component)
                .map_or(l.component.as_str(), |c| &c.name);
            let count = if base == peak {
                format!("{base} replicas")
            } else {
                format!("{base} to {peak} replicas")
            };
            ctx.push_evidence(
                if prod {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                "no-anti-affinity",
                &chart.id,
                Some(&l.component),
                format!(
                    "{name} runs {count} with no pod anti-affinity in {}",
                    if deploys_raw(chart) {
                        "the repository's raw manifests"
                    } else {
                        "the chart"
                    }
                ),
                format!(
                    "{}. The scheduler may put every replica on one node, which then takes them \
                     all down together. Tonnage's own manifests add anti-affinity; the real \
                     chart installed from the values bundle does not. Source: the real chart \
                     ({}); {FACTS_VALIDATING}.",
                    l.why,
                    real_chart(chart)
                ),
                words(format!("Spread the replicas with {HARDENING}")),
                vec![Evidence {
                    key: format!("{}/{}", chart.id, l.component),
                    value: Some(count),
                    origin: format!("from {}", what_deploys(chart)),
                    set_by: None,
                    guide: None,
                    guide_source: None,
                    chart: Some(l.why.clone()),
                }],
            );
        }
    }
}

fn values_refused(ctx: &mut Ctx<'_>) {
    for chart in stacks(ctx) {
        for r in &chart.audit_facts().audit.refuses {
            let holds = ctx
                .values
                .get(&chart.id)
                .is_some_and(|values| r.when.iter().all(|w| w.holds_in(values)));
            if !holds {
                continue;
            }
            let evidence: Vec<Evidence> = r
                .when
                .iter()
                .filter(|w| w.equals.is_some())
                .map(|w| ctx.evidence(chart, &w.path, &r.source))
                .collect();
            let given = evidence
                .iter()
                .map(|e| format!("{}={}", e.key, e.value.as_deref().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(", ");
            let sets: Vec<_> = r
                .fix
                .iter()
                .filter(|(p, v)| !lowers(ctx.get(&chart.id, p), v))
                .map(|(p, v)| set(&chart.id, p, v.clone()))
                .collect();
            let label = sets
                .iter()
                .map(|(_, p, v)| format!("{p}={}", display_value(v)))
                .collect::<Vec<_>>()
                .join(", ");
            ctx.push_evidence(
                Severity::Error,
                "values-refused",
                &chart.id,
                None,
                format!("helm refuses to render {} with {given}", chart.name),
                format!(
                    "Real Helm stops with: {} Nothing is installed. Source: {}.",
                    r.chart_message, r.source
                ),
                if sets.is_empty() {
                    None
                } else {
                    fix(format!("Use the mode the chart accepts: {label}"), sets)
                },
                evidence,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{review_with_audit, Finding};
    use super::*;
    use crate::configuration::config::Configuration;
    use crate::model::catalog::Catalog;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    fn config(stacks: &[&str], env: &str, sets: &[&str]) -> Configuration {
        let mut c = Configuration::new(cat(), stacks, env).unwrap();
        for s in sets {
            c.set_str(cat(), s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        c
    }

    fn run(stacks: &[&str], env: &str, sets: &[&str]) -> Vec<Finding> {
        review_with_audit(cat(), &config(stacks, env, sets))
    }

    fn with<'a>(f: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
        f.iter().filter(|x| x.rule == rule).collect()
    }

    fn about<'a>(f: &'a [Finding], rule: &str, key: &str) -> Vec<&'a Finding> {
        with(f, rule)
            .into_iter()
            .filter(|x| x.evidence.iter().any(|e| e.key == key))
            .collect()
    }

    /// Apply a finding's fix to the configuration it came from and review again.
    fn fixed(stacks: &[&str], env: &str, sets: &[&str], finding: &Finding) -> Vec<Finding> {
        let mut c = config(stacks, env, sets);
        let fix = finding.fix.as_ref().expect("a fix");
        assert!(!fix.sets.is_empty(), "{fix:?}");
        for (s, p, v) in &fix.sets {
            c.set(cat(), s, p, v.clone()).unwrap();
        }
        review_with_audit(cat(), &c)
    }

    #[test]
    fn dead_setting_from_the_env_file_with_the_key_the_chart_reads() {
        let f = run(&["cauldron-infra"], "prod", &[]);
        let hits = about(&f, "dead-setting", "postgresql.persistence.size");
        assert_eq!(hits.len(), 1, "{hits:?}");
        let h = hits[0];
        assert_eq!(h.severity, Severity::Warning);
        let ev = &h.evidence[0];
        assert_eq!(ev.value.as_deref(), Some("50Gi"));
        assert_eq!(
            ev.origin,
            "set by values-prod.yaml (the chart's own prod file)"
        );
        assert_eq!(ev.set_by.as_deref(), Some("environment"));
        assert!(ev
            .chart
            .as_deref()
            .unwrap()
            .contains("primary.persistence.size"));
        assert!(ev.guide.is_some() && ev.guide_source.is_some(), "{ev:?}");
        let fix = h.fix.as_ref().unwrap();
        assert_eq!(
            fix.sets,
            vec![set(
                "cauldron-infra",
                "postgresql.primary.persistence.size",
                Value::String("50Gi".into())
            )]
        );
        // After the fix the key is still dead, but the chart does what it meant: a note.
        let after = fixed(&["cauldron-infra"], "prod", &[], h);
        let again = about(&after, "dead-setting", "postgresql.persistence.size");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].severity, Severity::Info);
        assert!(again[0].fix.is_none());
        assert!(
            again[0].explanation.contains("already gets it"),
            "{}",
            again[0].explanation
        );
        // replication.enabled means architecture=replication, which prod already sets.
        let r = about(&f, "dead-setting", "postgresql.replication.enabled");
        assert_eq!(r.len(), 1);
        assert!(r[0].fix.is_none());
        // qdrant.replicaCount: no key does it, no fix.
        let q = about(&f, "dead-setting", "qdrant.replicaCount");
        assert_eq!(q.len(), 1);
        assert!(q[0].fix.is_none() && q[0].explanation.contains("no key"));
    }

    #[test]
    fn dead_setting_never_shrinks_and_names_an_override() {
        // dev's file sets 5Gi, the chart reads 10Gi: shown, no fix (a fix never shrinks).
        let f = run(&["cauldron-infra"], "dev", &[]);
        let hits = about(&f, "dead-setting", "postgresql.persistence.size");
        assert_eq!(hits.len(), 1);
        assert!(hits[0].fix.is_none(), "{:?}", hits[0].fix);
        assert!(hits[0].explanation.contains("never lowers"));
        // The user's own dead key.
        let f = run(&["cauldron-infra"], "dev", &["qdrant.replicaCount=3"]);
        let q = about(&f, "dead-setting", "qdrant.replicaCount");
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].evidence[0].origin, "set by you");
        // Not triggered: the chart's own values.yaml defaults nobody chose.
        let f = run(&["cauldron-infra"], "dev", &[]);
        assert!(about(&f, "dead-setting", "qdrant.replicaCount").is_empty());
        assert!(with(&run(&["caracal"], "dev", &[]), "dead-setting").is_empty());
    }

    /// A configuration saved with overrides Tonnage's checks no longer accept (an older
    /// autosave): the only way a key the chart does not declare is set.
    fn saved(stack: &str, env: &str, overrides: &str) -> Configuration {
        serde_json::from_str(&format!(
            r#"{{"stacks":["{stack}"],"env":"{env}","overrides":{{"{stack}":{overrides}}},"options":{{}}}}"#
        ))
        .unwrap()
    }

    /// Dead settings from the probed key index, beyond the catalog's `dead` list.
    #[test]
    fn dead_setting_from_the_probed_key_index() {
        // A key the chart declares and the probe found dead, set by the user: no key reads the
        // password (the pod takes it from the existing Secret), so no fix.
        let f = run(
            &["rhesis"],
            "prod",
            &["database.postgresql.auth.password=s3cret"],
        );
        let hits = about(&f, "dead-setting", "database.postgresql.auth.password");
        assert_eq!(hits.len(), 1, "{hits:?}");
        let ev = &hits[0].evidence[0];
        assert_eq!(ev.origin, "set by you");
        assert!(ev
            .chart
            .as_deref()
            .unwrap()
            .contains("real-helm/rhesis/keys.yaml"));
        assert!(hits[0].fix.is_none());
        // The preset's own file: values-local.yaml sets secrets.enabled, which only a helper
        // no template includes reads.
        let f = run(&["rhesis"], "local", &[]);
        assert_eq!(about(&f, "dead-setting", "secrets.enabled").len(), 1);
        // Not triggered: keys the templates read (set by the user or the preset), the catalog's
        // own dead keys (one finding each, from the `dead` list), a label in a map the templates
        // print whole, a key of a subchart the probe did not render key by key.
        let f = run(&["rhesis"], "prod", &["backend.replicas=4"]);
        assert!(about(&f, "dead-setting", "backend.replicas").is_empty());
        assert!(
            with(&f, "dead-setting").is_empty(),
            "{:?}",
            with(&f, "dead-setting")
        );
        let f = run(&["cauldron-infra"], "prod", &[]);
        assert_eq!(about(&f, "dead-setting", "qdrant.replicaCount").len(), 1);
        let sets = [
            "global.labels.team=payments",
            "postgresql.primary.nodeSelector.zone=a",
        ];
        let f = run(&["cauldron-infra"], "dev", &sets);
        for p in ["global.labels.team", "postgresql.primary.nodeSelector.zone"] {
            assert!(about(&f, "dead-setting", p).is_empty(), "{p}");
        }
    }

    /// Caracal deploys the repository's raw manifests through the bundle's overlay: a key
    /// reaches them only if the overlay reads it, whatever the chart's one template (not
    /// installed) does; the evidence names both probes.
    #[test]
    fn dead_setting_of_a_chart_deployed_from_raw_manifests() {
        let facts = cat().chart("caracal").unwrap().audit_facts();
        let (keys, overlay) = (facts.keys.unwrap(), facts.overlay.unwrap());
        let helm_reads = |p: &str| keys.reads.iter().any(|k| k == p);
        let overlay_reads = |p: &str| overlay.reads.iter().any(|k| k == p);
        // Set by the user, read by the chart's ConfigMap template, not by the overlay: dead.
        assert!(helm_reads("postgresql.service.port") && !overlay_reads("postgresql.service.port"));
        let f = run(&["caracal"], "prod", &["postgresql.service.port=5433"]);
        let hits = about(&f, "dead-setting", "postgresql.service");
        assert_eq!(hits.len(), 1, "{:?}", with(&f, "dead-setting"));
        assert!(hits[0]
            .message
            .contains("nothing the bundle deploys reads it"));
        let ev = hits[0].evidence[0].chart.as_deref().unwrap();
        assert!(
            ev.contains("tests/data/real-helm/caracal/keys.yaml"),
            "{ev}"
        );
        assert!(ev.contains("tests/data/overlay-keys/caracal.yaml"), "{ev}");
        assert!(
            ev.contains("which the bundle does not install) read it"),
            "{ev}"
        );
        // Set by a link, read by nothing: dead, with what the key meant and both probes.
        let mut c = config(&["caracal"], "prod", &[]);
        c.set_from(
            cat(),
            "caracal",
            "networkPolicy.enabled",
            Value::Bool(true),
            crate::configuration::config::Origin::Link,
        )
        .unwrap();
        let f = review_with_audit(cat(), &c);
        let hits = about(&f, "dead-setting", "networkPolicy");
        assert_eq!(hits.len(), 1, "{:?}", with(&f, "dead-setting"));
        assert_eq!(hits[0].evidence[0].origin, "set by the link you opened");
        let ev = hits[0].evidence[0].chart.as_deref().unwrap();
        assert!(ev.starts_with("no NetworkPolicy manifest"), "{ev}");
        assert!(ev.contains("nor do the chart's own templates"), "{ev}");
        assert!(ev.contains("keys.yaml"), "{ev}");
        // Read by the overlay (it sizes the raw manifests), though the chart's template does not
        // read it: not reported.
        assert!(!helm_reads("gateway.replicaCount") && overlay_reads("gateway.replicaCount"));
        let sets = [
            "gateway.replicaCount=4",
            "gateway.autoscaling.enabled=false",
        ];
        assert!(with(&run(&["caracal"], "prod", &sets), "dead-setting").is_empty());
    }

    /// The catalog's `dead` keys agree with the probes: none has a key the probe found read
    /// at or below it; for a chart deployed from raw manifests they are exactly the keys the
    /// overlay does not read (the bundle and Tonnage's manifests leave them out).
    #[test]
    fn catalog_dead_keys_agree_with_the_probes() {
        for chart in &cat().charts {
            let facts = chart.audit_facts();
            let keys = facts
                .deployed(chart)
                .expect("every built-in chart is probed");
            for d in &chart.dead {
                assert!(!read_at_or_below(keys, d), "{}: {d} is read", chart.id);
            }
            if chart.is_kustomize() {
                for k in &keys.dead {
                    assert!(chart.is_dead(k), "{}: {k} is not in `dead`", chart.id);
                }
            }
        }
    }

    /// A key the chart does not declare, in a map its templates read key by key, and an earlier
    /// catalog's path with the key the chart reads for it.
    #[test]
    fn dead_setting_undeclared_and_renamed_keys() {
        let c = saved("cauldron-infra", "dev", r#"{"qdrant.replicas":2}"#);
        let f = review_with_audit(cat(), &c);
        let hits = about(&f, "dead-setting", "qdrant.replicas");
        assert_eq!(hits.len(), 1, "{:?}", with(&f, "dead-setting"));
        assert!(
            hits[0].evidence[0]
                .chart
                .as_deref()
                .unwrap()
                .contains("read qdrant key by key (changing qdrant.replicaCount moves nothing)"),
            "{:?}",
            hits[0].evidence
        );
        // A map printed whole (labels), or one whose every key is read: the index cannot tell.
        let c = saved(
            "cauldron-infra",
            "dev",
            r#"{"global.labels.team":"x","qdrant.persistence.class":"ssd"}"#,
        );
        assert!(with(&review_with_audit(cat(), &c), "dead-setting")
            .iter()
            .all(|h| h.evidence[0].key.starts_with("global.environment")
                || h.evidence[0].key.starts_with("postgresql.persistence")));
        // The old name of Frappe's web replicas: the fix sets the chart's key.
        let c = saved("cauldron-frappe", "dev", r#"{"web.replicaCount":3}"#);
        let f = review_with_audit(cat(), &c);
        let hits = about(&f, "dead-setting", "web.replicaCount");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Warning);
        assert!(hits[0].evidence[0]
            .chart
            .as_deref()
            .unwrap()
            .contains("earlier Tonnage catalog (replicas of cauldron-frappe-web)"));
        let fix = hits[0].fix.as_ref().unwrap();
        assert_eq!(
            fix.sets,
            vec![set(
                "cauldron-frappe",
                "frappe.replicas.web",
                Value::Number(3.into())
            )]
        );
        // Once the chart's key holds it: a note, no fix.
        let mut c = c;
        super::super::apply_fix(cat(), &mut c, fix).unwrap();
        let again = about(
            &review_with_audit(cat(), &c),
            "dead-setting",
            "web.replicaCount",
        )
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].severity, Severity::Info);
        assert!(again[0].fix.is_none());
    }

    #[test]
    fn any_index_and_parent_of() {
        assert_eq!(
            any_index("ingress.hosts[12].paths[0].path"),
            "ingress.hosts[].paths[].path"
        );
        assert_eq!(any_index("a.b"), "a.b");
        assert_eq!(parent_of("a.b.c"), Some("a.b"));
        assert_eq!(parent_of("a[0]"), Some("a"));
        assert_eq!(parent_of("a"), None);
    }

    /// A dead key of cauldron-infra that dev leaves alone (not in the catalog's `removed`, so a
    /// link keeps it), and a value for it.
    const DEAD: &str = "global.imagePullPolicy";
    const DEAD_VALUE: &str = "Always";

    /// The dead-setting finding about [`DEAD`] in `c`.
    fn dead_finding(c: &Configuration) -> Finding {
        let f = review_with_audit(cat(), c);
        let hits = about(&f, "dead-setting", DEAD);
        assert_eq!(hits.len(), 1, "{hits:?}");
        hits[0].clone()
    }

    /// Its evidence's (origin, set_by), and that the message and every writer say the origin.
    fn origin_said(h: &Finding) -> (String, String) {
        let ev = &h.evidence[0];
        assert!(
            h.message
                .contains(&format!("{DEAD}={DEAD_VALUE} is {} but", ev.origin)),
            "{}",
            h.message
        );
        let one = vec![h.clone()];
        for text in [
            super::super::table(&one),
            super::super::markdown(&one),
            super::super::json(&one),
        ] {
            assert!(text.contains(&ev.origin), "{text}");
        }
        let set_by = ev.set_by.clone().unwrap_or_default();
        assert!(
            super::super::json(&one).contains(&format!("\"set_by\": \"{set_by}\"")),
            "{set_by}"
        );
        (ev.origin.clone(), set_by)
    }

    #[test]
    fn dead_setting_says_who_set_the_key() {
        use crate::outputs::{import, share};
        let stacks = ["cauldron-infra"];
        let said = |c: &Configuration| origin_said(&dead_finding(c));
        // The user in the editor (or on the command line).
        let mut user = config(&stacks, "dev", &[]);
        user.set_dropping_preset(cat(), "cauldron-infra", DEAD, DEAD_VALUE.into())
            .unwrap();
        assert_eq!(said(&user), ("set by you".into(), "user".into()));
        // A link the user opened: every override of a link is the link's.
        let link = share::decode(cat(), &share::encode(cat(), &user)).unwrap();
        assert_eq!(
            said(&link),
            ("set by the link you opened".into(), "link".into())
        );
        let plain = share::decode_without_yaml(cat(), &share::encode(cat(), &user)).unwrap();
        assert_eq!(plain, link);
        // An imported values file, replacing the chart's overrides or merged onto them.
        let file = format!("global:\n  imagePullPolicy: {DEAD_VALUE}\n");
        for mode in [import::ImportMode::Replace, import::ImportMode::Merge] {
            let mut c = config(&stacks, "dev", &[]);
            let report =
                import::import_values_as(cat(), &c, "cauldron-infra", &file, mode).unwrap();
            report.apply(cat(), &mut c, "cauldron-infra").unwrap();
            assert_eq!(
                said(&c),
                ("set by the imported values file".into(), "import".into()),
                "{mode:?}"
            );
            // Named where the front end knows the file's name.
            let mut named = config(&stacks, "dev", &[]);
            let mut report = report.clone();
            report.file = Some("my-values.yaml".into());
            report.apply(cat(), &mut named, "cauldron-infra").unwrap();
            assert_eq!(
                said(&named).0,
                "set by the imported values file my-values.yaml"
            );
            // The user editing an imported key makes it the user's.
            named
                .set_dropping_preset(cat(), "cauldron-infra", DEAD, DEAD_VALUE.into())
                .unwrap();
            assert_eq!(said(&named).1, "user");
        }
        // A configuration saved before origins were recorded: an override, origin unknown.
        let old: Configuration = serde_json::from_str(
            r#"{"stacks":["cauldron-infra"],"env":"dev",
                "overrides":{"cauldron-infra":{"global.imagePullPolicy":"Always"}},"options":{}}"#,
        )
        .unwrap();
        let (words, id) = said(&old);
        assert_eq!(id, "override");
        assert!(
            words.starts_with("set by an override (saved before"),
            "{words}"
        );
        // A saved configuration keeps its origins through JSON (the autosave, undo).
        let back: Configuration =
            serde_json::from_str(&serde_json::to_string(&link).unwrap()).unwrap();
        assert_eq!(back, link);
        // The environment's own file.
        let prod = config(&stacks, "prod", &[]);
        let f = review_with_audit(cat(), &prod);
        let ev = &about(&f, "dead-setting", "postgresql.persistence.size")[0].evidence[0];
        assert_eq!(
            (ev.origin.as_str(), ev.set_by.as_deref()),
            (
                "set by values-prod.yaml (the chart's own prod file)",
                Some("environment")
            )
        );
    }

    /// Caracal deploys the repository's raw manifests (k8s/*.yaml, k8s/v03/*.yaml): the audit's
    /// facts about them, each triggered and each left quiet.
    #[test]
    fn caracal_raw_manifests_missing_probes() {
        let f = run(&["caracal"], "prod", &[]);
        let hits = with(&f, "missing-probes");
        let who: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(who, ["ledger-writer", "metrics-aggregator", "audit-logger"]);
        assert!(hits.iter().all(|h| h.severity == Severity::Warning));
        assert!(hits[0].evidence[0]
            .chart
            .as_deref()
            .unwrap()
            .contains("k8s/v03/ledger-writer-deployment.yaml"));
        // A note outside production; nothing for a consumer switched off.
        let dev = run(&["caracal"], "dev", &[]);
        assert!(with(&dev, "missing-probes")
            .iter()
            .all(|h| h.severity == Severity::Info));
        let off = run(
            &["caracal"],
            "prod",
            &["consumers.ledgerWriter.enabled=false"],
        );
        let who: Vec<_> = with(&off, "missing-probes")
            .iter()
            .filter_map(|h| h.component.clone())
            .collect();
        assert_eq!(who, ["metrics-aggregator", "audit-logger"]);
    }

    #[test]
    fn caracal_raw_manifests_no_anti_affinity() {
        let f = run(&["caracal"], "prod", &[]);
        let hits = with(&f, "no-anti-affinity");
        let who: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(who, ["zookeeper", "kafka", "schema-registry"]);
        assert!(hits.iter().all(|h| h.severity == Severity::Warning));
        assert!(
            hits[1].message.contains("Kafka runs 3 replicas"),
            "{}",
            hits[1].message
        );
        // The gateway, MCP adapter and consumers carry their own anti-affinity: not listed. One
        // Schema Registry replica has nothing to spread.
        let one = run(&["caracal"], "prod", &["schemaRegistry.replicaCount=1"]);
        let who: Vec<_> = with(&one, "no-anti-affinity")
            .iter()
            .filter_map(|h| h.component.clone())
            .collect();
        assert_eq!(who, ["zookeeper", "kafka"]);
    }

    #[test]
    fn caracal_empty_database_password_will_not_start() {
        let f = run(&["caracal"], "dev", &["postgresql.auth.password="]);
        let hits = with(&f, "required-value-empty");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].severity, Severity::Error);
        assert_eq!(hits[0].component.as_deref(), Some("postgresql"));
        assert!(hits[0].message.contains("caracal-secrets/DB_PASSWORD"));
        assert_eq!(hits[0].evidence[0].origin, "set by you");
        // The default password (a default-password error in prod, but it starts), or no
        // PostgreSQL at all.
        assert!(with(&run(&["caracal"], "dev", &[]), "required-value-empty").is_empty());
        let off = run(
            &["caracal"],
            "dev",
            &["postgresql.auth.password=", "postgresql.enabled=false"],
        );
        assert!(with(&off, "required-value-empty").is_empty());
    }

    #[test]
    fn caracal_dead_settings_say_what_the_raw_manifests_do() {
        let f = run(
            &["caracal"],
            "prod",
            &["gateway.tls.enabled=false", "networkPolicy.enabled=true"],
        );
        let tls = about(&f, "dead-setting", "gateway.tls.enabled");
        assert_eq!(tls.len(), 1, "{tls:?}");
        assert_eq!(tls[0].severity, Severity::Warning);
        assert!(tls[0].fix.is_none());
        assert!(tls[0].evidence[0]
            .chart
            .as_deref()
            .unwrap()
            .contains("caracal-tls"));
        assert!(tls[0]
            .explanation
            .contains("no key that does what it meant"));
        let np = about(&f, "dead-setting", "networkPolicy");
        assert_eq!(np.len(), 1, "{np:?}");
        assert!(np[0].evidence[0]
            .chart
            .as_deref()
            .unwrap()
            .contains("no NetworkPolicy manifest"));
        // The presets set no dead key.
        for env in ["dev", "staging", "prod"] {
            assert!(with(&run(&["caracal"], env, &[]), "dead-setting").is_empty());
        }
    }

    #[test]
    fn guide_vs_chart_shows_the_plan_and_the_totals_difference() {
        let f = run(&["cauldron-infra"], "prod", &[]);
        let hits: Vec<_> = with(&f, "guide-vs-chart")
            .into_iter()
            .filter(|h| h.message.contains("(qdrant-replicas)"))
            .collect();
        assert_eq!(hits.len(), 1);
        let h = hits[0];
        assert_eq!(h.severity, Severity::Warning);
        assert_eq!(h.component.as_deref(), Some("qdrant"));
        assert!(h.message.contains("the guide says 2, the chart gives 1"));
        assert!(h
            .explanation
            .contains("The plan: 1 replica(s); the guide's 2 would add 1 x"));
        let ev = &h.evidence[0];
        assert!(ev
            .guide_source
            .as_deref()
            .unwrap()
            .contains("Scaling Considerations"));
        // The storage claim: 50Gi meant, 10Gi planned: +40 GiB on the primary.
        let s: Vec<_> = with(&f, "guide-vs-chart")
            .into_iter()
            .filter(|h| h.message.contains("(postgresql-persistence-size)"))
            .collect();
        assert!(
            s[0].explanation.contains("by +40 GiB"),
            "{}",
            s[0].explanation
        );
        // A prod claim is not shown in dev.
        let dev = run(&["cauldron-infra"], "dev", &[]);
        assert!(with(&dev, "guide-vs-chart")
            .iter()
            .all(|h| !h.message.contains("(qdrant-replicas)")));
    }

    /// A guide's Total row against the plan's totals: the guide's, the plan's and the
    /// difference; quiet in another environment, and a note once the plan equals the guide.
    #[test]
    fn guide_totals_beside_the_plans() {
        let f = run(&["rhesis"], "prod", &[]);
        let hits: Vec<_> = with(&f, "guide-vs-chart")
            .into_iter()
            .filter(|h| h.message.contains("(prod-total-row)"))
            .collect();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].severity, Severity::Warning);
        assert!(
            hits[0]
                .message
                .contains("the guide's total is 12 pods, 6.5 cores CPU requested"),
            "{}",
            hits[0].message
        );
        assert!(hits[0]
            .message
            .contains("the plan's 12 pods, 8 cores CPU requested"));
        assert!(
            hits[0]
                .explanation
                .contains("less the guide's: +1.5 cores CPU requested, +4 cores CPU limit"),
            "{}",
            hits[0].explanation
        );
        // The plan follows the configuration: one worker less is 0.5 cores less.
        let f = run(&["rhesis"], "prod", &["worker.replicas=4"]);
        let h = with(&f, "guide-vs-chart")
            .into_iter()
            .find(|h| h.message.contains("(prod-total-row)"))
            .unwrap();
        assert!(
            h.explanation.contains("+1 core CPU requested"),
            "{}",
            h.explanation
        );
        // Not shown in another environment.
        let dev = run(&["rhesis"], "dev", &[]);
        assert!(with(&dev, "guide-vs-chart")
            .iter()
            .all(|h| !h.message.contains("(prod-total-row)")));
        // Figures the plan meets (prod's pods and storage): a note.
        let c = config(&["rhesis"], "prod", &[]);
        let t = crate::model::catalog::GuideTotals {
            replicas: Some(12),
            storage: Some("110Gi".into()),
            ..Default::default()
        };
        let ctx = super::super::Ctx::new(cat(), &c);
        let chart = cat().chart("rhesis").unwrap();
        let (msg, sev, diff) = totals_difference(&ctx, chart, &t);
        assert_eq!(sev, Severity::Info, "{msg}");
        assert!(diff.contains("the same"), "{diff}");
    }

    /// A claim the hardening overlay delivers offers it as the fix (words: nothing to set).
    #[test]
    fn guide_claim_with_the_hardening_fix() {
        let f = run(&["caracal"], "prod", &[]);
        let pdb: Vec<_> = with(&f, "guide-vs-chart")
            .into_iter()
            .filter(|h| h.message.contains("(pod-disruption-budgets)"))
            .collect();
        assert_eq!(pdb.len(), 1);
        assert_eq!(pdb[0].severity, Severity::Warning);
        let fix = pdb[0].fix.as_ref().unwrap();
        assert!(fix.sets.is_empty() && fix.label.contains("hardening overlay"));
        assert!(pdb[0].evidence[0]
            .chart
            .as_deref()
            .unwrap()
            .contains("k8s/pdb.yaml holds two budgets"));
        // A claim no overlay delivers has no fix; prod's recommendations are not shown in dev.
        let graf = with(&f, "guide-vs-chart")
            .into_iter()
            .find(|h| h.message.contains("(grafana-dashboards)"))
            .unwrap();
        assert!(graf.fix.is_none());
        let dev = run(&["caracal"], "dev", &[]);
        assert!(with(&dev, "guide-vs-chart")
            .iter()
            .all(|h| !h.message.contains("(pod-disruption-budgets)")));
        // A claim with `when`: only while the manifest it is about is applied.
        let version = |f: &[Finding]| {
            with(f, "guide-vs-chart")
                .iter()
                .filter(|h| h.message.contains("(kubernetes-version)"))
                .count()
        };
        assert_eq!(version(&f), 1);
        assert_eq!(version(&dev), 0);
        let off = run(&["caracal"], "prod", &["gateway.autoscaling.enabled=false"]);
        assert_eq!(version(&off), 0);
    }

    #[test]
    fn required_value_empty() {
        let sets = ["timescaledb.auth.password="];
        let f = run(&["cauldron-infra"], "dev", &sets);
        let hits = with(&f, "required-value-empty");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].severity, Severity::Error);
        assert_eq!(hits[0].component.as_deref(), Some("timescaledb"));
        assert!(hits[0]
            .message
            .contains("cauldron-secrets/timescale-password"));
        assert_eq!(hits[0].evidence[0].value.as_deref(), Some(""));
        assert!(with(
            &run(&["cauldron-infra"], "dev", &[]),
            "required-value-empty"
        )
        .is_empty());
        let off = ["timescaledb.auth.password=", "timescaledb.enabled=false"];
        assert!(with(
            &run(&["cauldron-infra"], "dev", &off),
            "required-value-empty"
        )
        .is_empty());
    }

    #[test]
    fn rwo_volume_multi_node() {
        let f = run(&["cauldron-frappe"], "dev", &[]);
        let hits = with(&f, "rwo-volume-multi-node");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(
            hits[0].message.starts_with("4 pods mount"),
            "{}",
            hits[0].message
        );
        let after = fixed(&["cauldron-frappe"], "dev", &[], hits[0]);
        assert!(with(&after, "rwo-volume-multi-node").is_empty());
        // One pod on the volume: nothing to say.
        let one = [
            "frappe.replicas.worker=0",
            "frappe.scheduler.enabled=false",
            "frappe.socketio.enabled=false",
        ];
        let f = run(&["cauldron-frappe"], "dev", &one);
        assert!(with(&f, "rwo-volume-multi-node").is_empty());
    }

    #[test]
    fn command_one_string() {
        let f = run(&["cauldron-infra"], "dev", &[]);
        let hits = with(&f, "command-one-string");
        assert_eq!(hits.len(), 3, "{hits:?}");
        assert!(hits
            .iter()
            .all(|h| h.severity == Severity::Error && h.fix.is_none()));
        let one = ["redisInstances.cache.command={redis-server}"];
        let f = run(&["cauldron-infra"], "dev", &one);
        let hits = with(&f, "command-one-string");
        assert_eq!(hits.len(), 2);
        assert!(hits
            .iter()
            .all(|h| h.component.as_deref() != Some("redis-cache")));
    }

    #[test]
    fn host_not_service() {
        let stacks = ["cauldron-infra", "cauldron-frappe"];
        let f = run(&stacks, "dev", &[]);
        let hits = with(&f, "host-not-service");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].stack, "cauldron-frappe");
        assert!(hits[0].message.contains("(cauldron-infra-postgresql)"));
        let after = fixed(&stacks, "dev", &[], hits[0]);
        assert!(with(&after, "host-not-service").is_empty());
        // prod's replication names the primary's Service.
        let f = run(&stacks, "prod", &[]);
        let hits = with(&f, "host-not-service");
        assert!(hits[0]
            .message
            .contains("(cauldron-infra-postgresql-primary)"));
        // A fully qualified name is accepted; Frappe alone has nothing to compare with.
        let fq = ["cauldron-frappe:frappe.db.host=cauldron-infra-postgresql.cauldron.svc"];
        assert!(with(&run(&stacks, "dev", &fq), "host-not-service").is_empty());
        assert!(with(&run(&["cauldron-frappe"], "dev", &[]), "host-not-service").is_empty());
    }

    #[test]
    fn missing_probes() {
        let f = run(&["cauldron-frappe"], "prod", &[]);
        let hits = with(&f, "missing-probes");
        let ids: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(ids, ["worker", "scheduler", "socketio"]);
        assert!(hits.iter().all(|h| h.severity == Severity::Warning));
        let fix = hits[0].fix.as_ref().unwrap();
        assert!(fix.sets.is_empty() && fix.label.contains("hardening overlay"));
        let f = run(&["cauldron-frappe"], "dev", &[]);
        assert!(with(&f, "missing-probes")
            .iter()
            .all(|h| h.severity == Severity::Info));
        assert!(with(&run(&["rhesis"], "prod", &[]), "missing-probes").is_empty());
    }

    #[test]
    fn no_anti_affinity() {
        let f = run(&["rhesis"], "prod", &[]);
        let hits = with(&f, "no-anti-affinity");
        let ids: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(ids, ["frontend", "backend", "worker"], "{hits:?}");
        assert!(hits[0]
            .fix
            .as_ref()
            .unwrap()
            .label
            .contains("hardening overlay"));
        let one = [
            "frontend.replicas=1",
            "backend.replicas=1",
            "worker.replicas=1",
        ];
        assert!(with(&run(&["rhesis"], "prod", &one), "no-anti-affinity").is_empty());
    }

    #[test]
    fn values_refused() {
        let sets = ["redis.sentinel.enabled=true"];
        let f = run(&["cauldron-infra"], "dev", &sets);
        let hits = with(&f, "values-refused");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].severity, Severity::Error);
        assert!(hits[0]
            .explanation
            .contains("Using redis sentinel on standalone mode"));
        assert_eq!(hits[0].evidence.len(), 2);
        let after = fixed(&["cauldron-infra"], "dev", &sets, hits[0]);
        assert!(with(&after, "values-refused").is_empty());
        assert!(with(&run(&["cauldron-infra"], "dev", &[]), "values-refused").is_empty());
        // rae-memory's redis release.
        let sets = [
            "redis.sentinel.enabled=true",
            "redis.architecture=standalone",
        ];
        let f = run(&["rae-memory"], "prod", &sets);
        assert_eq!(with(&f, "values-refused").len(), 1);
        let off = [
            "redis.sentinel.enabled=true",
            "redis.architecture=standalone",
            "redis.enabled=false",
        ];
        assert!(with(&run(&["rae-memory"], "prod", &off), "values-refused").is_empty());
    }

    #[test]
    fn apply_fix_says_what_changed_and_findings_read_back_from_json() {
        let mut c = config(&["cauldron-infra"], "prod", &[]);
        let f = review_with_audit(cat(), &c);
        let h = about(&f, "dead-setting", "postgresql.persistence.size")[0].clone();
        let changes = super::super::apply_fix(cat(), &mut c, h.fix.as_ref().unwrap()).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].to_string(),
            "cauldron-infra: postgresql.primary.persistence.size 10Gi -> 50Gi"
        );
        // Back to the preset's value: the override goes, the change says so.
        let back = Fix {
            label: "back".into(),
            sets: vec![set(
                "cauldron-infra",
                "postgresql.primary.persistence.size",
                Value::String("10Gi".into()),
            )],
            options: Vec::new(),
        };
        let changes = super::super::apply_fix(cat(), &mut c, &back).unwrap();
        assert_eq!(changes[0].after.as_deref(), Some("10Gi"));
        assert_eq!(c.override_count(), 0);
        // The worker sends the audit as JSON; the page reads it back whole.
        let audit = super::super::audit_findings(cat(), &c);
        let text = serde_json::to_string(&audit).unwrap();
        let back: Vec<Finding> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, audit);
        assert!(serde_json::from_str::<Finding>(
            r#"{"severity":"info","rule":"no-such-rule","stack":"x","component":null,"message":"","explanation":"","fix":null}"#
        )
        .is_err());
    }

    /// No fix of the audit (the findings with evidence) lowers a count or a size below what is in
    /// effect, in any preset.
    #[test]
    fn fixes_never_lower_safety() {
        for chart in &cat().charts {
            for env in &chart.environments {
                let c = config(&[chart.id.as_str()], &env.id, &[]);
                let values = c.effective_values(chart);
                for f in review_with_audit(cat(), &c) {
                    let Some(fix) = f.fix.as_ref().filter(|_| !f.evidence.is_empty()) else {
                        continue;
                    };
                    for (_, p, v) in &fix.sets {
                        assert!(
                            !lowers(lookup(&values, p), v),
                            "{} {}: {f:?}",
                            chart.id,
                            env.id
                        );
                    }
                }
            }
        }
    }

    /// A catalog file without its top-level sections `names` (each up to the next top-level key).
    fn without_sections(yaml: &str, names: &[&str]) -> String {
        let mut out = String::new();
        let mut skipping = false;
        for line in yaml.lines() {
            if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
                skipping = names
                    .iter()
                    .any(|n| line.strip_prefix(n).is_some_and(|r| r.starts_with(':')));
            }
            if !skipping {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// Audit facts belong to the chart, not to its id: a catalog loaded from YAML that reuses a
    /// built-in id has only what its own file states (its claims, `audit`, `dead`), never the
    /// built-in's key index, claims or `audit` section.
    #[test]
    fn a_user_catalog_with_a_builtin_id_gets_only_its_own_facts() {
        let yaml = crate::model::catalog::FILES
            .iter()
            .find(|f| f.0 == "rhesis.yaml")
            .unwrap()
            .1;
        let sets = ["database.postgresql.auth.password=s3cret"];
        let review_of = |catalog: &Catalog| {
            let mut c = Configuration::new(catalog, &["rhesis"], "prod").unwrap();
            for s in sets {
                c.set_str(catalog, s).unwrap();
            }
            review_with_audit(catalog, &c)
        };
        let builtin = run(&["rhesis"], "prod", &sets);
        // Another chart under the built-in id: no claims, no audit section.
        let other =
            Catalog::load(&[("rhesis.yaml", &without_sections(yaml, &["claims", "audit"]))])
                .unwrap();
        let mine = review_of(&other);
        for rule in ["dead-setting", "guide-vs-chart", "no-anti-affinity"] {
            assert!(!with(&builtin, rule).is_empty(), "built-in: {rule}");
            assert!(
                with(&mine, rule).is_empty(),
                "{rule}: {:?}",
                with(&mine, rule)
            );
        }
        // The built-in's YAML itself, loaded: its own claims and `audit` (what the file states),
        // but not the probe's key index, which is of the built-in chart only.
        let same = review_of(&Catalog::load(&[("rhesis.yaml", yaml)]).unwrap());
        assert_eq!(
            with(&same, "guide-vs-chart"),
            with(&builtin, "guide-vs-chart")
        );
        assert_eq!(
            with(&same, "no-anti-affinity"),
            with(&builtin, "no-anti-affinity")
        );
        assert_eq!(
            about(
                &builtin,
                "dead-setting",
                "database.postgresql.auth.password"
            )
            .len(),
            1
        );
        assert!(with(&same, "dead-setting").is_empty(), "{same:?}");
        // The dead keys a user catalog declares are its own statement: reported, without a
        // claim that a probe backs them.
        let declared = yaml.replacen("dead:\n", "dead:\n  - global.imagePullPolicy\n", 1);
        let declared = Catalog::load(&[("rhesis.yaml", &declared)]).unwrap();
        let c = Configuration::new(&declared, &["rhesis"], "prod").unwrap();
        let f = review_with_audit(&declared, &c);
        let hits = about(&f, "dead-setting", "global.imagePullPolicy");
        assert_eq!(hits.len(), 1, "{:?}", with(&f, "dead-setting"));
        assert!(hits[0].evidence[0]
            .chart
            .as_deref()
            .unwrap()
            .contains("no probe of this chart backs it"));
    }

    #[test]
    fn review_of_every_preset() {
        for chart in &cat().charts {
            for env in &chart.environments {
                let f = run(&[chart.id.as_str()], &env.id, &[]);
                insta::assert_snapshot!(
                    format!("review_{}_{}", chart.id, env.id),
                    super::super::table(&f)
                );
            }
        }
    }
}
