//! The catalog's `audit` section: facts about a real chart that the chart audit
//! ([`crate::compute::review`]'s audit rules) needs and the values tree cannot say: which key a
//! dead setting meant, which values a container needs non-empty, which commands the templates
//! print as one string, which host values must name another chart's Service, which workloads the
//! templates give no probes or anti-affinity, and which configurations the chart refuses to
//! render. Each fact names its source in the real chart (file and line or section).
//!
//! The facts and the guide's `claims` are not part of the page's first load: `build.rs` writes
//! them to a JSON file of their own per chart, with the chart's key indexes (below). The facts
//! belong to a chart, never to a chart id: [`super::Catalog::builtin`] marks each embedded chart
//! with the file it was read from (`render_facts::mark`, which reads nothing; the audit's file
//! is in the same order), and [`Chart::audit_facts`] reads it on first use (only the audit calls it, in the CLI and the page's worker). A chart parsed from
//! YAML ([`super::Catalog::load`]) has only what its own file states (`claims`, `audit`) and no
//! key index, even when it reuses a built-in chart's id. [`validate`] checks the `audit` section
//! when [`super::Catalog::load`] reads the YAML.

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

/// A key index: which values keys change what gets deployed (`reads`) and which do not (`dead`),
/// found by probing: every leaf of the chart's values and environment files changed one at a
/// time on each preset (and each recorded override case), and the output compared. A path of a
/// list's element is written with its index (`hosts[0].host`).
///
/// Two probes write one: real Helm's render of the real chart
/// (`tests/data/real-helm/<chart>/keys.yaml`, `scripts/record-real-helm --keys`), and, for a chart
/// deployed from raw manifests, the bundle's kustomize overlay
/// (`tests/data/overlay-keys/<chart>.yaml`, the test `overlay_keys`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbedKeys {
    #[serde(default)]
    pub reads: Vec<String>,
    #[serde(default)]
    pub dead: Vec<String>,
}

/// What the audit reads of one embedded chart (`<chart>.audit.json`): its guide claims, its
/// `audit` section and, where they were probed, the key indexes (`build.rs` adds them from the
/// probes' files).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditFile {
    #[serde(default)]
    claims: Vec<GuideClaim>,
    #[serde(default)]
    audit: ChartAudit,
    /// Real Helm's probe of the real chart's templates.
    #[serde(default)]
    keys: Option<ProbedKeys>,
    /// The probe of the bundle's kustomize overlay (a chart deployed from raw manifests).
    #[serde(default)]
    overlay: Option<ProbedKeys>,
}

/// The audit's facts about one chart, as [`Chart::audit_facts`] gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AuditFacts<'a> {
    /// What the guide states that the chart does not deliver.
    pub claims: &'a [GuideClaim],
    /// The catalog's `audit` section.
    pub audit: &'a ChartAudit,
    /// The keys real Helm's probe found the chart's templates read (`keys.yaml`); `None` for a
    /// chart never probed, and for every chart parsed from YAML (the probe was of the built-in).
    pub keys: Option<&'a ProbedKeys>,
    /// For a chart deployed from raw manifests: the keys the bundle's overlay reads (the only
    /// way a value reaches those manifests); `None` as `keys`.
    pub overlay: Option<&'a ProbedKeys>,
}

impl<'a> AuditFacts<'a> {
    /// The index that says whether a key reaches what gets deployed: the overlay's for a chart
    /// deployed from raw manifests (its chart's templates are not installed), else real Helm's.
    pub fn deployed(&self, chart: &Chart) -> Option<&'a ProbedKeys> {
        if chart.is_kustomize() {
            self.overlay
        } else {
            self.keys
        }
    }
}

/// The facts of the embedded catalog, in the order of the embedded chart JSON
/// (`super::JSON_FILES`; a test checks the names agree).
const AUDIT_FILES: &[(&str, &str)] = &[
    (
        "cauldron-infra.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-infra.audit.json")),
    ),
    (
        "cauldron-frappe.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-frappe.audit.json")),
    ),
    (
        "rhesis.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/rhesis.audit.json")),
    ),
    (
        "caracal.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/caracal.audit.json")),
    ),
    (
        "rae-memory.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/rae-memory.audit.json")),
    ),
];

/// The embedded facts, read once. A file that does not read is a build defect (the test
/// `embedded_audit_facts_are_the_yamls` reads them all).
fn embedded() -> &'static [AuditFile] {
    static FACTS: OnceLock<Vec<AuditFile>> = OnceLock::new();
    FACTS.get_or_init(|| super::parse_embedded(AUDIT_FILES, "audit facts"))
}

impl Chart {
    /// The facts the chart audit reads: for an embedded chart, its file's (claims, `audit`,
    /// key indexes); for a chart parsed from YAML, what that YAML states (claims, `audit`) and
    /// no key index.
    pub fn audit_facts(&self) -> AuditFacts<'_> {
        match self.embedded.0.and_then(|i| embedded().get(usize::from(i))) {
            Some(f) => AuditFacts {
                claims: &f.claims,
                audit: &f.audit,
                keys: f.keys.as_ref(),
                overlay: f.overlay.as_ref(),
            },
            None => AuditFacts {
                claims: &self.claims,
                audit: &self.audit,
                keys: None,
                overlay: None,
            },
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{Catalog, FILES};

    /// Each embedded chart gives the claims and `audit` its YAML gives; the key indexes are the
    /// embedded charts' alone (the probes were of them), never a loaded chart's.
    #[test]
    fn embedded_audit_facts_are_the_yamls() {
        assert_eq!(
            AUDIT_FILES.iter().map(|f| f.0).collect::<Vec<_>>(),
            super::super::JSON_FILES
                .iter()
                .map(|f| f.0)
                .collect::<Vec<_>>()
        );
        let loaded = Catalog::load(FILES).unwrap_or_else(|e| panic!("{e}"));
        let builtin = Catalog::builtin();
        assert_eq!(loaded.charts.len(), builtin.charts.len());
        for (from_yaml, embedded) in loaded.charts.iter().zip(&builtin.charts) {
            assert_eq!(from_yaml.embedded, super::super::Embedded::default());
            assert!(embedded.claims.is_empty(), "{}", embedded.id);
            assert_eq!(embedded.audit, ChartAudit::default(), "{}", embedded.id);
            let (a, b) = (from_yaml.audit_facts(), embedded.audit_facts());
            assert_eq!(a.claims, b.claims, "{}", embedded.id);
            assert_eq!(a.audit, b.audit, "{}", embedded.id);
            assert!(a.keys.is_none() && a.overlay.is_none(), "{}", embedded.id);
            // Every embedded chart was probed with real Helm; one deployed from raw manifests
            // through its overlay too.
            assert!(
                b.keys.is_some_and(|k| !k.reads.is_empty()),
                "{}",
                embedded.id
            );
            assert_eq!(
                b.overlay.is_some(),
                embedded.is_kustomize(),
                "{}",
                embedded.id
            );
            assert_eq!(
                b.deployed(embedded).map(|k| k as *const ProbedKeys),
                if embedded.is_kustomize() {
                    b.overlay
                } else {
                    b.keys
                }
                .map(|k| k as *const ProbedKeys),
                "{}",
                embedded.id
            );
        }
        // Not a comparison of nothing with nothing.
        assert!(builtin
            .charts
            .iter()
            .all(|c| !c.audit_facts().claims.is_empty()));
    }
}
