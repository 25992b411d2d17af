//! The catalog's `audit` section: facts about a real chart that the chart audit
//! ([`crate::compute::review`]'s audit rules) needs and the values tree cannot say: which key a
//! dead setting meant, which values a container needs non-empty, which commands the templates
//! print as one string, which host values must name another chart's Service, which workloads the
//! templates give no probes or anti-affinity, and which configurations the chart refuses to
//! render. Each fact names its source in the real chart (file and line or section).
//!
//! The facts and the guide's `claims` are not part of the page's first load: `build.rs` writes
//! them to a JSON file of their own per chart, which [`facts`] reads on first use (only the
//! audit calls it, in the CLI and the page's worker). [`validate`] checks them when
//! [`super::Catalog::load`] reads the YAML.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use super::{path_covers, CatalogError, Chart, EnabledWhen, GuideClaim};

/// A dead key and the key the chart reads for the same intent (`reads`), when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadIntent {
    /// A path of the chart's `dead` list.
    pub dead: String,
    /// The key the templates read instead; absent when nothing in the chart does what the
    /// dead key meant (the fix is then not a value).
    #[serde(default)]
    pub reads: Option<String>,
    /// The value to set at `reads` when the dead key holds `true` (a switch meaning a mode:
    /// `replication.enabled: true` -> `architecture: replication`); absent: the dead key's value.
    #[serde(default)]
    pub value: Option<Value>,
    /// What the template does, with its source (file, line or section).
    pub why: String,
}

/// A value a container needs non-empty (a password written into a Secret key it reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Required {
    pub path: String,
    /// `<Secret name>/<key>` the value is written to.
    pub secret: String,
    /// The component whose container fails without it (an id of this chart's components).
    pub component: String,
    pub why: String,
}

/// A container command the templates print with Go's list formatting: one string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinedCommand {
    pub path: String,
    pub component: String,
    pub why: String,
}

/// A host value that must name the Service of another component (`chart/component`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceHost {
    pub host: String,
    /// `<chart id>/<component id>`: its Service is named as its workload (Bitnami's primary).
    pub target: String,
    pub why: String,
}

/// A component whose template has no probe, or no pod anti-affinity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lacks {
    pub component: String,
    pub why: String,
}

/// A configuration the chart refuses to render (a `fail` in its templates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Conditions that all hold when the chart refuses.
    pub when: Vec<EnabledWhen>,
    /// Real Helm's message, as it prints it.
    pub chart_message: String,
    /// Where the check is (file, template name).
    pub source: String,
    /// The safe way out, as values to set (never one that lowers availability).
    #[serde(default)]
    pub fix: BTreeMap<String, Value>,
}

/// The `audit` section of a catalog file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartAudit {
    #[serde(default)]
    pub dead_intent: Vec<DeadIntent>,
    #[serde(default)]
    pub required: Vec<Required>,
    #[serde(default)]
    pub joined_commands: Vec<JoinedCommand>,
    #[serde(default)]
    pub services: Vec<ServiceHost>,
    #[serde(default)]
    pub no_probes: Vec<Lacks>,
    #[serde(default)]
    pub no_anti_affinity: Vec<Lacks>,
    #[serde(default)]
    pub refuses: Vec<Refusal>,
}

/// The values keys real Helm's probe found the chart's templates read, and those it found dead
/// (`tests/data/real-helm/<chart>/keys.yaml`, written by `scripts/record-real-helm --keys`:
/// every leaf of the chart's values and environment files changed one at a time, rendered, and
/// compared). A path of a list's element is written with its index (`hosts[0].host`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbedKeys {
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub dead: Vec<String>,
}

/// What the audit reads of one chart: its guide claims, its `audit` section and, where the
/// chart's keys were probed, the key index (`build.rs` adds it from the probe's file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFacts {
    #[serde(default)]
    pub claims: Vec<GuideClaim>,
    #[serde(default)]
    pub audit: ChartAudit,
    #[serde(default)]
    pub keys: Option<ProbedKeys>,
}

/// The facts of the embedded catalog, by chart id, read once from the JSON `build.rs` writes.
const AUDIT_FILES: &[(&str, &str)] = &[
    (
        "cauldron-infra",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-infra.audit.json")),
    ),
    (
        "cauldron-frappe",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-frappe.audit.json")),
    ),
    (
        "rhesis",
        include_str!(concat!(env!("OUT_DIR"), "/rhesis.audit.json")),
    ),
    (
        "caracal",
        include_str!(concat!(env!("OUT_DIR"), "/caracal.audit.json")),
    ),
    (
        "rae-memory",
        include_str!(concat!(env!("OUT_DIR"), "/rae-memory.audit.json")),
    ),
];

/// The embedded audit facts of a chart (empty for a chart the catalog does not embed). A test
/// checks they equal what [`super::Catalog::load`] reads (and validates) from the YAML.
pub fn facts(chart_id: &str) -> &'static AuditFacts {
    static FACTS: OnceLock<BTreeMap<&'static str, AuditFacts>> = OnceLock::new();
    static EMPTY: AuditFacts = AuditFacts {
        claims: Vec::new(),
        audit: ChartAudit {
            dead_intent: Vec::new(),
            required: Vec::new(),
            joined_commands: Vec::new(),
            services: Vec::new(),
            no_probes: Vec::new(),
            no_anti_affinity: Vec::new(),
            refuses: Vec::new(),
        },
        keys: None,
    };
    FACTS
        .get_or_init(|| {
            AUDIT_FILES
                .iter()
                .map(|(id, text)| match serde_json::from_str(text) {
                    Ok(f) => (*id, f),
                    Err(e) => panic!("embedded audit facts of {id} are unreadable: {e}"),
                })
                .collect()
        })
        .get(chart_id)
        .unwrap_or(&EMPTY)
}

/// Check a chart's `audit` section (and its claims' `when` conditions): every path is one the
/// chart knows, every component exists, every dead intent names a `dead` key, every text is
/// non-empty.
pub fn validate(file: &str, chart: &Chart) -> Result<(), CatalogError> {
    let a = &chart.audit;
    let e = |at: String, problem: String| CatalogError {
        file: file.to_string(),
        path: at,
        problem,
    };
    let known = |path: &str| {
        crate::base::values::lookup(&chart.values, path).is_some()
            || chart
                .environments
                .iter()
                .any(|env| crate::base::values::lookup(&env.values, path).is_some())
            || chart.subchart_of(path).is_some()
            || chart.template_reads.iter().any(|k| path_covers(k, path))
    };
    let component = |at: String, id: &str| {
        if chart.component(id).is_some() {
            Ok(())
        } else {
            Err(e(at, format!("no component {id:?} in this chart")))
        }
    };
    let text = |at: String, t: &str| {
        if t.trim().is_empty() {
            Err(e(at, "must say what the chart does and where".into()))
        } else {
            Ok(())
        }
    };
    for (i, d) in a.dead_intent.iter().enumerate() {
        let at = format!("audit.dead_intent[{i}]");
        if !chart.dead.iter().any(|x| x == &d.dead) {
            return Err(e(
                format!("{at}.dead"),
                format!("{:?} is not in the chart's dead list", d.dead),
            ));
        }
        if let Some(r) = &d.reads {
            if !known(r) || chart.is_dead(r) {
                return Err(e(
                    format!("{at}.reads"),
                    format!("{r:?} is not a key the chart reads"),
                ));
            }
        }
        text(format!("{at}.why"), &d.why)?;
    }
    for (i, r) in a.required.iter().enumerate() {
        let at = format!("audit.required[{i}]");
        if !known(&r.path) {
            return Err(e(
                format!("{at}.path"),
                format!("unknown path {:?}", r.path),
            ));
        }
        component(format!("{at}.component"), &r.component)?;
        text(format!("{at}.secret"), &r.secret)?;
        text(format!("{at}.why"), &r.why)?;
    }
    for (i, j) in a.joined_commands.iter().enumerate() {
        let at = format!("audit.joined_commands[{i}]");
        if !known(&j.path) {
            return Err(e(
                format!("{at}.path"),
                format!("unknown path {:?}", j.path),
            ));
        }
        component(format!("{at}.component"), &j.component)?;
        text(format!("{at}.why"), &j.why)?;
    }
    for (i, s) in a.services.iter().enumerate() {
        let at = format!("audit.services[{i}]");
        if !known(&s.host) {
            return Err(e(
                format!("{at}.host"),
                format!("unknown path {:?}", s.host),
            ));
        }
        if !s.target.contains('/') {
            return Err(e(
                format!("{at}.target"),
                format!("{:?}: expected <chart id>/<component id>", s.target),
            ));
        }
        text(format!("{at}.why"), &s.why)?;
    }
    for (name, list) in [
        ("no_probes", &a.no_probes),
        ("no_anti_affinity", &a.no_anti_affinity),
    ] {
        for (i, l) in list.iter().enumerate() {
            let at = format!("audit.{name}[{i}]");
            component(format!("{at}.component"), &l.component)?;
            text(format!("{at}.why"), &l.why)?;
        }
    }
    for (i, c) in chart.claims.iter().enumerate() {
        for (k, w) in c.when.iter().enumerate() {
            if !known(&w.path) {
                return Err(e(
                    format!("claims[{i}].when[{k}].path"),
                    format!("unknown path {:?}", w.path),
                ));
            }
        }
    }
    for (i, r) in a.refuses.iter().enumerate() {
        let at = format!("audit.refuses[{i}]");
        if r.when.is_empty() {
            return Err(e(
                format!("{at}.when"),
                "needs at least one condition".into(),
            ));
        }
        for (k, w) in r.when.iter().enumerate() {
            if !known(&w.path) {
                return Err(e(
                    format!("{at}.when[{k}].path"),
                    format!("unknown path {:?}", w.path),
                ));
            }
        }
        for p in r.fix.keys() {
            if !known(p) {
                return Err(e(format!("{at}.fix"), format!("unknown path {p:?}")));
            }
        }
        text(format!("{at}.chart_message"), &r.chart_message)?;
        text(format!("{at}.source"), &r.source)?;
    }
    Ok(())
}
