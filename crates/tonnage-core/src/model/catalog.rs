//! The catalog: one YAML file per chart (see `catalog/SCHEMA.md`), embedded at compile time,
//! parsed raw, then validated into [`Chart`]s. A wrong file is reported with its file name, the
//! path inside it and the problem.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::base::values::{get_path, parse_path};

pub mod audit_facts;
pub mod key_index;
pub mod render;
pub mod render_facts;
pub mod users_sizing;

/// The embedded catalog files, in display order: (file name, contents).
pub const FILES: &[(&str, &str)] = &[
    (
        "cauldron-infra.yaml",
        include_str!("../../catalog/cauldron-infra.yaml"),
    ),
    (
        "cauldron-frappe.yaml",
        include_str!("../../catalog/cauldron-frappe.yaml"),
    ),
    ("rhesis.yaml", include_str!("../../catalog/rhesis.yaml")),
    ("caracal.yaml", include_str!("../../catalog/caracal.yaml")),
    (
        "rae-memory.yaml",
        include_str!("../../catalog/rae-memory.yaml"),
    ),
];

/// The same files as compact JSON, made from the YAML by `build.rs` (no comments, no
/// indentation, and without [`DOCUMENTATION_ONLY`] fields and `render` sections, which have
/// files of their own: [`audit_facts`], [`render_facts`]): what [`Catalog::builtin`] reads, so
/// the page embeds no YAML and starts without a YAML parser. A test checks that each gives the
/// chart its YAML gives, those fields aside.
const JSON_FILES: &[(&str, &str)] = &[
    (
        "cauldron-infra.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-infra.json")),
    ),
    (
        "cauldron-frappe.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-frappe.json")),
    ),
    (
        "rhesis.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/rhesis.json")),
    ),
    (
        "caracal.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/caracal.json")),
    ),
    (
        "rae-memory.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/rae-memory.json")),
    ),
];

/// The index of the embedded file a chart was read from (`JSON_FILES`, and the render and audit
/// facts' files in the same order); `None` (the default) for a chart parsed from YAML.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Embedded(Option<u16>);

/// Each of the embedded JSON files `build.rs` writes beside a chart's (its `what`: render or
/// audit facts), parsed. A file that does not read is a build defect: it panics, naming it.
fn parse_embedded<T: serde::de::DeserializeOwned>(files: &[(&str, &str)], what: &str) -> Vec<T> {
    files
        .iter()
        .map(|(file, text)| match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => panic!("embedded {what} of {file} are unreadable: {e}"),
        })
        .collect()
}

/// Fields of a catalog file that only document it (the guide's claims, notes): read and
/// validated by [`Catalog::load`], left out of the embedded JSON [`Catalog::builtin`] reads,
/// since nothing reads them at run time and the page's first load would carry them.
pub const DOCUMENTATION_ONLY: &[&str] = &["claims", "notes", "audit"];

/// A catalog file that could not be loaded: names the file, the path inside it, the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub file: String,
    pub path: String,
    pub problem: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.problem)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.problem)
        }
    }
}

impl std::error::Error for CatalogError {}

/// Helm chart metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartMeta {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub repository: Option<String>,
    pub namespace: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub users: Option<String>,
    /// The chart's own values file for this environment (`values-prod.yaml`): then `values` is
    /// its content and the preset is that file as it is; the bundle references it from the
    /// chart checkout instead of writing it.
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default = "empty_map")]
    pub values: Value,
    /// The chart's values with these laid over them, once worked out ([`Chart::preset`]).
    #[serde(skip)]
    preset: PresetMemo,
}

fn empty_map() -> Value {
    Value::Mapping(Default::default())
}

/// An environment's preset (the chart's values merged with the environment's), worked out on
/// first use and kept for the life of the catalog: it is catalog data, the same for every
/// configuration of that environment, and the plan, the values bundle and the manifests all
/// start from it. A clone starts empty and works it out again, so a chart cloned and then changed
/// never sees a preset of the original; it takes no part in comparisons, and catalogs are not
/// changed in place after loading.
type PresetMemo = Derived<Value>;

/// Catalog data worked out from a chart on first use and kept ([`PresetMemo`], the index of
/// [`crate::configuration::config::field_kind`]). A clone starts empty and works it out again; it takes no
/// part in comparisons.
struct Derived<T>(OnceLock<T>);

impl<T> Default for Derived<T> {
    fn default() -> Self {
        Derived(OnceLock::new())
    }
}

impl<T> Clone for Derived<T> {
    fn clone(&self) -> Self {
        Derived::default()
    }
}

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for Derived<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Derived")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub name: String,
    pub port: u16,
}

/// One probe: exactly one of the three forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    #[serde(default)]
    pub http_get: Option<String>,
    #[serde(default)]
    pub port: Option<String>,
    /// An HTTP probe's scheme where the template writes one (`HTTPS`).
    #[serde(default)]
    pub scheme: Option<String>,
    #[serde(default)]
    pub tcp_socket: Option<String>,
    #[serde(default)]
    pub exec: Option<Vec<String>>,
    /// With `exec`: the command's last argument is a script the file's authors wrote (what a
    /// shell's `-c` runs), never copied: the manifests print a placeholder naming this file.
    #[serde(default)]
    pub script: Option<String>,
    /// The timings the chart's template writes (a chart with `render` facts: absent ones are
    /// left out, as the template leaves them; without: Tonnage's defaults).
    #[serde(default)]
    pub initial_delay_seconds: Option<i32>,
    #[serde(default)]
    pub period_seconds: Option<i32>,
    #[serde(default)]
    pub timeout_seconds: Option<i32>,
    #[serde(default)]
    pub failure_threshold: Option<i32>,
    #[serde(default)]
    pub success_threshold: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    #[serde(default)]
    pub liveness: Option<Probe>,
    #[serde(default)]
    pub readiness: Option<Probe>,
    /// A startup probe, where the chart's files write one.
    #[serde(default)]
    pub startup: Option<Probe>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Security {
    #[serde(default)]
    pub run_as_user: Option<i64>,
    #[serde(default)]
    pub fs_group: Option<i64>,
    #[serde(default)]
    pub read_only_root_filesystem: bool,
    #[serde(default)]
    pub writable_paths: Vec<String>,
}

/// A condition on a value (`enabled_when`): the value at `path` equals `equals`, or differs from
/// `not_equals` (an absent value differs from everything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledWhen {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<Value>,
}

impl EnabledWhen {
    /// Whether the condition holds for the value in effect (`None`: absent or null).
    pub fn holds(&self, v: Option<&Value>) -> bool {
        if let Some(e) = &self.equals {
            if v != Some(e) {
                return false;
            }
        }
        match &self.not_equals {
            Some(n) => v != Some(n),
            None => true,
        }
    }

    /// Whether the condition holds in a values tree (a null value counts as absent).
    pub fn holds_in(&self, values: &Value) -> bool {
        self.holds(crate::base::values::lookup(values, &self.path).filter(|v| !v.is_null()))
    }

    /// The value that makes the condition hold, when it is an equality.
    pub fn wanted(&self) -> Option<&Value> {
        self.equals.as_ref()
    }
}

/// A container beside the component's main one in every pod (a metrics exporter...): its
/// resources count in the pod's figures while it is enabled. Or, with `list`, the values list
/// of the user's own containers the template adds there (Bitnami `primary.sidecars`): each
/// element's `resources` counts. With `init`, init containers (the chart's own, such as
/// Bitnami's `volumePermissions`, or a list): they run before the others, so they count as
/// Kubernetes' effective pod request does ([`crate::compute::plan`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    /// The container's name in the rendered pod (empty for a `list`).
    #[serde(default)]
    pub name: String,
    /// Values path of a list of container objects the template prints as they are (a
    /// `list` entry names no container, resources or switch of its own).
    #[serde(default)]
    pub list: Option<String>,
    /// An init container (or a list of them).
    #[serde(default)]
    pub init: bool,
    /// Values path of its resources map (requests, limits).
    #[serde(default)]
    pub resources: Option<String>,
    /// Values path of a bool that adds it.
    #[serde(default)]
    pub enabled: Option<String>,
    #[serde(default)]
    pub enabled_when: Vec<EnabledWhen>,
    /// Conditions of which at least one must hold (when any are given): a template's `or`.
    #[serde(default)]
    pub enabled_any: Vec<EnabledWhen>,
}

/// Where a component's settings live in the chart's values tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentValues {
    #[serde(default)]
    pub enabled: Option<String>,
    /// Conditions that must all hold for the workload to be rendered (a list: serde's untagged
    /// "one or many" would put its buffering code in the page's first load).
    #[serde(default)]
    pub enabled_when: Vec<EnabledWhen>,
    #[serde(default)]
    pub replicas: Option<String>,
    #[serde(default)]
    pub replicas_fixed: Option<i64>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub resources: Option<String>,
    #[serde(default)]
    pub resources_preset: Option<String>,
    #[serde(default)]
    pub autoscaling: Option<String>,
    #[serde(default)]
    pub persistence: Option<String>,
    /// Other containers of the pod whose resources count (metrics exporters...).
    #[serde(default)]
    pub sidecars: Vec<Sidecar>,
    /// Volume claim templates, when the StatefulSet has several (or their names matter): each
    /// counts per replica while enabled. Instead of `persistence`.
    #[serde(default)]
    pub claim_templates: Vec<ClaimTemplate>,
}

/// How a component keeps its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Persistence {
    None,
    /// One volume claim per replica (StatefulSet volumeClaimTemplates).
    PerReplica,
    /// Mounts the chart-level shared volume with this id (counted once).
    Shared(String),
}

impl<'de> Deserialize<'de> for Persistence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "none" => Ok(Persistence::None),
            "per-replica" => Ok(Persistence::PerReplica),
            _ => match s.strip_prefix("shared:") {
                Some(id) if !id.is_empty() => Ok(Persistence::Shared(id.to_string())),
                _ => Err(serde::de::Error::custom(format!(
                    "unknown persistence {s:?}: expected none, per-replica or shared:<volume id>"
                ))),
            },
        }
    }
}

impl Persistence {
    pub fn label(&self) -> String {
        match self {
            Persistence::None => "none".into(),
            Persistence::PerReplica => "per-replica".into(),
            Persistence::Shared(v) => format!("shared:{v}"),
        }
    }
}

pub const ROLES: &[&str] = &[
    "database",
    "timeseries-database",
    "vector-store",
    "cache",
    "queue",
    "broker",
    "coordination",
    "frontend",
    "app",
    "gateway",
    "adapter",
    "worker",
    "consumer",
    "scheduler",
    "realtime",
    "ml",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub summary: String,
    pub kind: WorkloadKind,
    /// `metadata.name` of the workload the real chart renders (release name = chart id).
    #[serde(default)]
    pub workload: Option<String>,
    /// Another `metadata.name` while conditions hold (a Bitnami primary is `<release>-postgresql`
    /// standalone and `<release>-postgresql-primary` with replication): the first that holds.
    #[serde(default)]
    pub workload_when: Vec<WorkloadWhen>,
    /// With raw manifests: the repository file that holds the workload.
    #[serde(default)]
    pub manifest: Option<String>,
    /// The main container's name in the pod (a patch's target).
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub init_containers: Vec<InitContainer>,
    #[serde(default)]
    pub hpa: Option<ManifestObject>,
    #[serde(default)]
    pub pdb: Option<ManifestObject>,
    #[serde(default)]
    pub service_monitor: Option<ManifestObject>,
    pub image: String,
    #[serde(default)]
    pub security: Option<Security>,
    #[serde(default)]
    pub ports: Vec<Port>,
    #[serde(default)]
    pub probes: Probes,
    #[serde(default)]
    pub depends_on: Vec<String>,
    pub persistence: Persistence,
    #[serde(default)]
    pub values: ComponentValues,
    /// How the chart's templates write the component's objects ([`render::ComponentRender`]):
    /// read it with [`Component::render`] (for the embedded catalog it is not here, see
    /// [`render_facts`]). Not read on wasm32, like `claims` (see [`Chart::render`]).
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    render: Option<render::ComponentRender>,
    /// Where [`Component::render`] finds it ([`render_facts`]).
    #[serde(skip)]
    render_split: render_facts::Split,
}

/// How replicas of one component are kept apart. One rule for the rendered manifests and the
/// node-fit simulation, so both tell the same story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AntiAffinity {
    /// `requiredDuringScheduling...`: replicas must land on different nodes. StatefulSets: two
    /// replicas of a database, broker or quorum member on one node fail together.
    Required,
    /// `preferredDuringScheduling...`: spread when possible (stateless replicas).
    Preferred,
}

impl Component {
    /// Whether the chart renders the workload for these values: its `enabled` switch (default
    /// on) and every `enabled_when`. One rule for the plan, the manifests and the overlay.
    pub fn is_rendered(&self, values: &Value) -> bool {
        self.values
            .enabled
            .as_deref()
            .is_none_or(|p| crate::base::values::bool_at(values, p, true))
            && self.values.enabled_when.iter().all(|w| w.holds_in(values))
    }

    /// `metadata.name` of the workload the real chart renders for these effective values.
    pub fn workload_name<'a>(&'a self, values: &Value) -> Option<&'a str> {
        self.workload_when
            .iter()
            .find(|w| w.when.iter().all(|c| c.holds_in(values)))
            .map(|w| w.workload.as_str())
            .or(self.workload.as_deref())
    }

    /// `metadata.name` of the Service clients connect to: the name the template fixes (`render.
    /// service`, cauldron-infra's `timescaledb`), else the workload's.
    pub fn service_name<'a>(&'a self, values: &Value) -> Option<&'a str> {
        self.render()
            .and_then(|r| r.service.as_deref())
            .or_else(|| self.workload_name(values))
    }

    /// Whether the component holds data of its own (a database, a broker...).
    pub fn is_stateful(&self) -> bool {
        self.kind == WorkloadKind::StatefulSet || self.persistence != Persistence::None
    }

    /// The anti-affinity its replicas get when there is more than one.
    pub fn anti_affinity(&self) -> AntiAffinity {
        if self.kind == WorkloadKind::StatefulSet {
            AntiAffinity::Required
        } else {
            AntiAffinity::Preferred
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedVolume {
    pub id: String,
    pub name: String,
    pub values: String,
    pub used_by: Vec<String>,
    /// `metadata.name` of the PersistentVolumeClaim the real chart renders.
    #[serde(default)]
    pub claim: Option<String>,
    /// The chart's pods mount the claim whether or not its `enabled` renders it: with it off, they
    /// stay Pending (review rule `claim-not-rendered`).
    #[serde(default)]
    pub always_mounted: bool,
    /// The labels the chart's claim template adds to its common ones (catalog `render`).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub path: String,
    pub label: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub help: String,
}

/// How the chart points its components at one dependency (`connections` in the catalog file):
/// the values paths an external endpoint is written to when the dependency is replaced by a
/// service outside the configuration (option `external.<chart>.<component>`, see
/// [`crate::configuration::external`]), or why the chart has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The dependency as components name it in `depends_on`: `id` or `<chart id>/<id>`.
    pub target: String,
    /// Values path of the host name the chart connects to (a string).
    #[serde(default)]
    pub host: Option<String>,
    /// Values path of the port (an integer); written only when the endpoint gives a port.
    #[serde(default)]
    pub port: Option<String>,
    /// Instead of `host`: why the chart has no parameter for this dependency's address.
    #[serde(default)]
    pub unsupported: Option<String>,
}

impl Connection {
    /// The target as (chart id, component id); `chart` is the id of the chart declaring it.
    pub fn target_of<'a>(&'a self, chart: &'a str) -> (&'a str, &'a str) {
        match self.target.split_once('/') {
            Some((other, id)) => (other, id),
            None => (chart, self.target.as_str()),
        }
    }
}

/// Where the real chart lives (`real_chart`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealChart {
    /// `owner/name` on GitHub.
    pub repository: String,
    pub commit: String,
    /// The chart's folder in the repository.
    pub path: String,
    /// `helm` (the chart renders the stack) or `kustomize` (raw manifests, sized by an overlay).
    #[serde(default = "helm")]
    pub deploy: String,
    /// With `kustomize`: which raw manifests of the repository the overlay builds on.
    #[serde(default)]
    pub manifests: Option<RawManifests>,
}

/// The raw manifests a `kustomize` chart deploys from (`real_chart.manifests`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifests {
    /// Folder of the repository checkout under CHARTS_DIR.
    pub checkout: String,
    /// Files listed in the overlay whatever the values.
    #[serde(default)]
    pub always: Vec<String>,
    /// Files of the repository the overlay does not use, and why.
    #[serde(default)]
    pub not_used: Vec<NotUsed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotUsed {
    pub path: String,
    pub why: String,
}

/// An object of a shared manifest file that belongs to one component (`hpa`, `pdb`,
/// `service_monitor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestObject {
    pub name: String,
    pub manifest: String,
    /// Values path of its settings, where the chart has one.
    #[serde(default)]
    pub values: Option<String>,
}

/// An init container of the rendered pod (no figures of its own unless `resources` is given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitContainer {
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
}

impl ClaimTemplate {
    /// Whether the StatefulSet has this template for these values (`enabled`, default on).
    pub fn is_on(&self, values: &Value) -> bool {
        self.enabled
            .as_deref()
            .is_none_or(|p| crate::base::values::bool_at(values, p, true))
    }
}

/// The claim a Bitnami-style persistence map (`<map>.existingClaim`) names instead of a
/// template of its own, if any.
pub fn existing_claim<'v>(values: &'v Value, persistence: &str) -> Option<&'v str> {
    crate::base::values::lookup_in(values, persistence, "existingClaim")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A workload name that applies while all `when` conditions hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadWhen {
    pub when: Vec<EnabledWhen>,
    pub workload: String,
}

impl Sidecar {
    /// Whether the chart adds this container for these values: its `enabled` switch (default
    /// off) and every `enabled_when`. One rule for the plan, the manifests and the overlay.
    pub fn is_on(&self, values: &Value) -> bool {
        self.enabled
            .as_deref()
            .is_none_or(|p| crate::base::values::bool_at(values, p, false))
            && self.enabled_when.iter().all(|w| w.holds_in(values))
            && (self.enabled_any.is_empty() || self.enabled_any.iter().any(|w| w.holds_in(values)))
    }
}

/// One volume claim template of a StatefulSet (`values.claim_templates`): a claim per replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimTemplate {
    /// `metadata.name` of the template.
    pub name: String,
    /// Its position in `volumeClaimTemplates` (patch target).
    #[serde(default)]
    pub index: usize,
    /// Values path of its size.
    pub size: String,
    /// Values path of a bool that keeps it (absent: always).
    #[serde(default)]
    pub enabled: Option<String>,
    #[serde(default)]
    pub storage_class: Option<String>,
}

fn helm() -> String {
    "helm".into()
}

/// Values under `key` configure another chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subchart {
    pub key: String,
    pub chart: String,
    #[serde(default)]
    pub repository: Option<String>,
    pub version: String,
    /// Values path of the bool that installs it.
    #[serde(default)]
    pub enabled: Option<String>,
    /// `false`: a dependency of this chart (its `charts/`). `true`: the bundle installs it as a
    /// release of its own, `<chart id>-<key>`, whose values are the subtree under `key`.
    #[serde(default)]
    pub release: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removed {
    pub path: String,
    pub why: String,
}

/// A figure or behaviour the guide states that the real chart does not deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideClaim {
    pub id: String,
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    /// The guide's words.
    pub guide: String,
    /// Where in the guide.
    pub source: String,
    /// What the chart really does.
    pub chart: String,
    #[serde(default)]
    pub guide_value: Option<String>,
    #[serde(default)]
    pub chart_value: Option<String>,
    /// The component whose workload figure the claim is about (the audit shows the plan's
    /// figure and the difference in totals).
    #[serde(default)]
    pub component: Option<String>,
    /// Which figure: `replicas` or `storage` (per replica) of `component`, or `totals` (the
    /// chart's totals at baseline, against the guide's `totals`).
    #[serde(default)]
    pub figure: Option<String>,
    /// The guide's totals, for `figure: totals` (e.g. a table's Total row).
    #[serde(default)]
    pub totals: Option<GuideTotals>,
    /// Conditions on the values in effect that must all hold for the claim to apply (e.g. the
    /// manifest it is about is applied); empty: always.
    #[serde(default)]
    pub when: Vec<EnabledWhen>,
    /// What the hardening overlay adds that delivers the guide's words (e.g. the missing
    /// PodDisruptionBudgets): the audit offers it as the fix. Absent: no overlay delivers it.
    #[serde(default)]
    pub hardening: Option<String>,
}

/// The totals a guide states for an environment (Kubernetes quantities, as the guide gives them;
/// a figure it leaves out is absent). The audit compares them with the plan's baseline totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideTotals {
    #[serde(default)]
    pub replicas: Option<i64>,
    #[serde(default)]
    pub cpu_requests: Option<String>,
    #[serde(default)]
    pub cpu_limits: Option<String>,
    #[serde(default)]
    pub memory_requests: Option<String>,
    #[serde(default)]
    pub memory_limits: Option<String>,
    #[serde(default)]
    pub storage: Option<String>,
}

impl GuideTotals {
    /// The quantities with their names, in the order the audit prints them.
    pub fn quantities(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("cpu_requests", self.cpu_requests.as_deref()),
            ("cpu_limits", self.cpu_limits.as_deref()),
            ("memory_requests", self.memory_requests.as_deref()),
            ("memory_limits", self.memory_limits.as_deref()),
            ("storage", self.storage.as_deref()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    pub path: String,
    #[serde(default)]
    pub env: Option<String>,
    pub reason: String,
}

/// One chart of the catalog, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub source: String,
    pub chart: ChartMeta,
    #[serde(default)]
    pub requires: Vec<String>,
    pub values: Value,
    pub environments: Vec<Environment>,
    pub components: Vec<Component>,
    #[serde(default)]
    pub volumes: Vec<SharedVolume>,
    #[serde(default)]
    pub settings: Vec<Setting>,
    /// Where the chart's values point at each dependency that can be switched off or left out.
    #[serde(default)]
    pub connections: Vec<Connection>,
    #[serde(default)]
    pub assumptions: Vec<Assumption>,
    /// Documentation only ([`DOCUMENTATION_ONLY`]): not read on wasm32, where the embedded
    /// JSON leaves it out and the deserializer would only add to the page's first load.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    pub notes: Vec<String>,
    /// The guide's replicas by expected users, if it gives them (see `capacity`).
    #[serde(default)]
    pub users_sizing: Option<users_sizing::UsersSizing>,
    /// Where the real chart is: the truth for keys, defaults and template behaviour.
    #[serde(default)]
    pub real_chart: Option<RealChart>,
    /// Charts the values under a key go to (Bitnami dependencies, or releases of their own).
    #[serde(default)]
    pub subcharts: Vec<Subchart>,
    /// Keys the chart's templates read that neither its values.yaml nor an environment file
    /// declares (`nameOverride`, `serviceAccount.create`...): `--set` accepts them and what is
    /// below them, as `helm --set` does ([`crate::config::path_known`]).
    #[serde(default)]
    pub template_reads: Vec<String>,
    /// Keys the chart's own files set that no template reads: the bundle never writes them.
    #[serde(default)]
    pub dead: Vec<String>,
    /// Paths of earlier catalogs that now live under the chart's real key (old links, imports).
    #[serde(default)]
    pub moved: Vec<Moved>,
    /// Paths of earlier catalogs with no meaning for the real chart: dropped with the reason.
    #[serde(default)]
    pub removed: Vec<Removed>,
    /// Keys the chart reads that Tonnage does not model (a user's sidecar list, a Bitnami
    /// `master.kind`, `fullnameOverride`...): `--set` of one (or of a path below it) is an
    /// error naming the key and why, never a plan or manifests that differ from the render.
    #[serde(default)]
    pub unmodelled: Vec<Removed>,
    /// What the guide states that the chart does not deliver. Documentation only
    /// ([`DOCUMENTATION_ONLY`]): not read on wasm32 (see `notes`).
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    pub claims: Vec<GuideClaim>,
    /// The facts the chart audit needs ([`audit_facts::ChartAudit`]). Left out of the embedded
    /// chart JSON like `claims`; the audit reads both with [`Chart::audit_facts`].
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    pub audit: audit_facts::ChartAudit,
    /// How the chart's templates write its objects ([`render::ChartRender`]); absent, the
    /// manifests keep Tonnage's own layout. Read it with [`Chart::render`]: for the embedded
    /// catalog it is not here but in a file of its own ([`render_facts`]). Not read on wasm32,
    /// where the embedded JSON leaves it out and its deserializer (about 20 KB gzip of code) would
    /// only add to the page's first load; the worker reads the facts through [`render_facts`].
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    render: Option<render::ChartRender>,
    /// Which embedded file the chart was read from ([`Catalog::builtin`]), where
    /// [`Chart::render`] and [`Chart::audit_facts`] find its facts ([`render_facts`],
    /// [`audit_facts`]); none for a chart parsed from YAML, which holds its own.
    #[serde(skip)]
    embedded: Embedded,
    /// The index [`crate::configuration::config::field_kind`] looks paths up in, built on first use.
    #[serde(skip)]
    kinds: Derived<key_index::KindIndex>,
}

impl Chart {
    /// The chart's paths by kind ([`crate::configuration::config::field_kind`]), indexed on first use.
    pub(crate) fn kinds(&self) -> &key_index::KindIndex {
        self.kinds.0.get_or_init(|| key_index::KindIndex::new(self))
    }

    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }

    pub fn environment(&self, id: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.id == id)
    }

    /// The values a configuration of environment `env` starts from: the chart's values with the
    /// environment's laid over them by Helm's merge ([`crate::base::values::merge`]), or the chart's
    /// values when it has no such environment. Merged on first use, then kept ([`PresetMemo`]).
    pub fn preset(&self, env: &str) -> &Value {
        match self.environment(env) {
            Some(e) => e.preset.0.get_or_init(|| {
                let mut v = self.values.clone();
                crate::base::values::merge(&mut v, &e.values);
                v
            }),
            None => &self.values,
        }
    }

    /// The subchart whose values `path` sets (the path is under its key).
    pub fn subchart_of(&self, path: &str) -> Option<&Subchart> {
        self.subcharts.iter().find(|s| path_covers(&s.key, path))
    }

    /// Whether no template reads `path` (it is, or is under, a `dead` key).
    pub fn is_dead(&self, path: &str) -> bool {
        self.dead.iter().any(|d| path_covers(d, path))
    }

    /// The `unmodelled` entry that covers `path`, if any.
    pub fn unmodelled_key(&self, path: &str) -> Option<&Removed> {
        self.unmodelled.iter().find(|u| path_covers(&u.path, path))
    }

    /// Where an earlier catalog's `path` lives now, and why: the real key (with the rest of
    /// the path kept), or `None` when it was dropped. `None` when the path is not an old one.
    pub fn migrate(&self, path: &str) -> Option<(Option<String>, &str)> {
        if let Some(m) = self.moved.iter().find(|m| path_covers(&m.from, path)) {
            let to = format!("{}{}", m.to, &path[m.from.len()..]);
            return Some((Some(to), m.why.as_str()));
        }
        self.removed
            .iter()
            .find(|r| path_covers(&r.path, path))
            .map(|r| (None, r.why.as_str()))
    }

    /// Whether the bundle installs the chart from raw manifests with a kustomize overlay.
    pub fn is_kustomize(&self) -> bool {
        self.real_chart
            .as_ref()
            .is_some_and(|r| r.deploy == "kustomize")
    }

    pub fn volume(&self, id: &str) -> Option<&SharedVolume> {
        self.volumes.iter().find(|v| v.id == id)
    }

    /// The chart's connection to component `id` of chart `stack`, if it declares one.
    pub fn connection(&self, stack: &str, id: &str) -> Option<&Connection> {
        self.connections
            .iter()
            .find(|c| c.target_of(&self.id) == (stack, id))
    }

    /// The assumption covering `path` in the given layer (`None` = the chart's values.yaml).
    pub fn assumption(&self, env: Option<&str>, path: &str) -> Option<&Assumption> {
        // The path first: it refuses most assumptions at their first byte.
        self.assumptions
            .iter()
            .find(|a| path_covers(&a.path, path) && a.env.as_deref() == env)
    }
}

/// The values paths a probe's `exec` argument refers to as `{{ .Values.<path> }}` (Helm's
/// spelling; the rendered manifest has the value in effect there), in order; an error for any
/// other `{{ ... }}`.
pub fn value_refs(text: &str) -> Vec<Result<&str, String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            out.push(Err(format!("unclosed {{{{ in {text:?}")));
            break;
        };
        let inner = after[..j].trim();
        out.push(match inner.strip_prefix(".Values.") {
            Some(p) if !p.is_empty() && !p.contains(char::is_whitespace) => Ok(p),
            _ => Err(format!(
                "{{{{ {inner} }}}} in {text:?}: only {{{{ .Values.<path> }}}} is supported"
            )),
        });
        rest = &after[j + 2..];
    }
    out
}

/// Whether `prefix` is `path` or one of its ancestors (`a.b` covers `a.b.c`, not `a.bc`).
pub fn path_covers(prefix: &str, path: &str) -> bool {
    // Cheap refusals first: this runs for every assumption of every figure the plan reads.
    let (p, q) = (prefix.as_bytes(), path.as_bytes());
    if q.len() < p.len() || p.first().is_some_and(|c| q.first() != Some(c)) {
        return false;
    }
    path == prefix
        || (path.starts_with(prefix)
            && matches!(path.as_bytes().get(prefix.len()), Some(b'.') | Some(b'[')))
}

/// The whole catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub charts: Vec<Chart>,
}

impl Catalog {
    /// The embedded catalog, read once from the JSON `build.rs` makes of the YAML files. It is
    /// not validated again here: the test `embedded_json_gives_the_charts_the_yaml_gives` checks that it equals
    /// [`Catalog::load`] of the same YAML files (parsed *and* validated), so validating at every
    /// start would only repeat that test in every browser (and put the validation code and
    /// its messages, about 25 KB of wasm, into the page's first load). A failure here is a
    /// build defect; callers that want the error use [`Catalog::load`].
    ///
    /// The charts' `render` facts are not in that JSON: [`Chart::render`] and
    /// [`Component::render`] read them on first use from a file of their own
    /// ([`render_facts`]), which only manifest rendering links (not the page). The audit's
    /// facts likewise ([`Chart::audit_facts`], [`audit_facts`]): only these charts have the
    /// key indexes the probes recorded of the real charts.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let mut charts: Vec<Chart> = JSON_FILES
                .iter()
                .map(|(file, text)| match serde_json::from_str::<Chart>(text) {
                    Ok(c) => c,
                    Err(e) => panic!("embedded catalog {file} is unreadable: {e}"),
                })
                .collect();
            render_facts::mark(&mut charts);
            Catalog { charts }
        })
    }

    /// Parse and validate catalog files given as (file name, contents).
    pub fn load(files: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
        Catalog::load_with(files, parse_chart)
    }

    /// [`Catalog::load`] with the given parser of one file (YAML, or the embedded JSON).
    fn load_with(
        files: &[(&str, &str)],
        parse: fn(&str, &str) -> Result<Chart, CatalogError>,
    ) -> Result<Catalog, CatalogError> {
        let mut charts = Vec::with_capacity(files.len());
        for (file, text) in files {
            charts.push(parse(file, text)?);
        }
        let catalog = Catalog { charts };
        for (file, _) in files {
            let chart = catalog
                .charts
                .iter()
                .find(|c| format!("{}.yaml", c.id) == *file);
            if let Some(chart) = chart {
                validate_cross(&catalog, chart, file)?;
            }
        }
        Ok(catalog)
    }

    pub fn chart(&self, id: &str) -> Option<&Chart> {
        self.charts.iter().find(|c| c.id == id)
    }

    pub fn chart_ids(&self) -> Vec<&str> {
        self.charts.iter().map(|c| c.id.as_str()).collect()
    }
}

fn err(file: &str, path: impl Into<String>, problem: impl Into<String>) -> CatalogError {
    CatalogError {
        file: file.to_string(),
        path: path.into(),
        problem: problem.into(),
    }
}

/// Parse one file (raw serde parse, then semantic checks that need only this file).
pub fn parse_chart(file: &str, text: &str) -> Result<Chart, CatalogError> {
    let de = serde_yaml::Deserializer::from_str(text);
    let chart: Chart = match serde_path_to_error_lite(de) {
        Ok(c) => c,
        Err((path, problem)) => return Err(err(file, path, problem)),
    };
    validate_local(file, &chart)?;
    Ok(chart)
}

/// [`parse_chart`] for the JSON form `build.rs` makes of a catalog file (the test that the
/// JSON and the YAML agree).
#[cfg(test)]
fn parse_chart_json(file: &str, text: &str) -> Result<Chart, CatalogError> {
    let chart: Chart = serde_json::from_str(text).map_err(|e| {
        let at = format!("line {} column {}", e.line(), e.column());
        err(file, at, e.to_string())
    })?;
    validate_local(file, &chart)?;
    Ok(chart)
}

/// serde_yaml reports the line and column of a problem; turn that into our error shape.
fn serde_path_to_error_lite(de: serde_yaml::Deserializer<'_>) -> Result<Chart, (String, String)> {
    Chart::deserialize(de).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        (at, e.to_string())
    })
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_path(
    file: &str,
    chart: &Chart,
    at: &str,
    path: &str,
    env: Option<&Environment>,
) -> Result<(), CatalogError> {
    let segs = parse_path(path).map_err(|e| err(file, at, e.to_string()))?;
    let in_base = get_path(&chart.values, &segs).is_some();
    let in_env = env.is_some_and(|e| get_path(&e.values, &segs).is_some());
    if in_base || in_env {
        Ok(())
    } else {
        Err(err(
            file,
            at,
            format!("path {path:?} does not exist in values"),
        ))
    }
}

/// [`check_path`] for a sidecar's paths, where a path below a subchart's key may be one the
/// catalog leaves out (the subchart's default applies: Helm passes the key on).
fn check_sidecar_path(file: &str, chart: &Chart, at: &str, path: &str) -> Result<(), CatalogError> {
    if chart.subchart_of(path).is_some_and(|s| s.key != path) {
        parse_path(path).map_err(|e| err(file, at, e.to_string()))?;
        return Ok(());
    }
    check_path(file, chart, at, path, None)
}

fn validate_local(file: &str, chart: &Chart) -> Result<(), CatalogError> {
    if format!("{}.yaml", chart.id) != file {
        return Err(err(
            file,
            "id",
            format!("chart id {:?} does not match the file name", chart.id),
        ));
    }
    if !chart.values.is_mapping() {
        return Err(err(
            file,
            "values",
            "must be a map (the chart's values.yaml)",
        ));
    }
    if chart.environments.is_empty() {
        return Err(err(
            file,
            "environments",
            "at least one environment is needed",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, e) in chart.environments.iter().enumerate() {
        let at = format!("environments[{i}]");
        if !is_id(&e.id) || !seen.insert(e.id.as_str()) {
            return Err(err(
                file,
                format!("{at}.id"),
                format!("{:?} is not a unique lowercase id", e.id),
            ));
        }
        if !e.values.is_mapping() {
            return Err(err(file, format!("{at}.values"), "must be a map"));
        }
        for leaf in crate::base::values::leaf_paths(&e.values) {
            // A chart's own environment file is taken as it is; a guide's overlay may set keys
            // values.yaml lacks only for a subchart (passed through) or as a dead one (`dead`).
            if e.file.is_some() || chart.subchart_of(&leaf).is_some() || chart.is_dead(&leaf) {
                continue;
            }
            check_path(file, chart, &format!("{at}.values.{leaf}"), &leaf, None)?;
        }
    }
    if let Some(p) = chart.render.as_ref().and_then(|r| r.labels_from.as_deref()) {
        check_path(file, chart, "render.labels_from", p, None)?;
    }
    if let Some(r) = &chart.render {
        if let Some(n) = &r.namespace {
            check_path(file, chart, "render.namespace.values", &n.values, None)?;
        }
        for (i, cm) in r.config_maps.iter().enumerate() {
            for (key, p) in &cm.values {
                if !cm.keys.contains(key) {
                    return Err(err(
                        file,
                        format!("render.config_maps[{i}].values.{key}"),
                        "is not one of its keys",
                    ));
                }
                check_path(file, chart, &format!("render.config_maps[{i}]"), p, None)?;
            }
        }
    }
    for (i, key) in chart.template_reads.iter().enumerate() {
        let at = format!("template_reads[{i}]");
        let segs = crate::base::values::parse_path(key).map_err(|e| err(file, &at, e.problem))?;
        let trees =
            std::iter::once(&chart.values).chain(chart.environments.iter().map(|e| &e.values));
        if trees
            .into_iter()
            .any(|t| crate::base::values::get_path(t, &segs).is_some())
        {
            return Err(err(
                file,
                at,
                format!("{key:?} is declared in the values; list only keys they lack"),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, c) in chart.components.iter().enumerate() {
        let at = format!("components[{i}]");
        if !is_id(&c.id) || !seen.insert(c.id.as_str()) {
            return Err(err(
                file,
                format!("{at}.id"),
                format!("{:?} is not a unique lowercase id", c.id),
            ));
        }
        if !ROLES.contains(&c.role.as_str()) {
            return Err(err(
                file,
                format!("{at}.role"),
                format!(
                    "unknown role {:?}; expected one of {}",
                    c.role,
                    ROLES.join(", ")
                ),
            ));
        }
        if let Some(r) = &c.render {
            for (j, e) in r
                .env
                .iter()
                .flatten()
                .chain(r.init_env.values().flatten())
                .enumerate()
            {
                if e.sources() != 1 {
                    return Err(err(
                        file,
                        format!("{at}.render.env[{j}]"),
                        format!(
                            "{:?} needs exactly one of value, values, template, secret, config_map, field, pods",
                            e.name
                        ),
                    ));
                }
                if !e.refs_complete() {
                    return Err(err(
                        file,
                        format!("{at}.render.env[{j}]"),
                        format!(
                            "{:?}: a secret or config_map names its object by exactly one of \
                             name_at, name and its key by exactly one of key_at, key",
                            e.name
                        ),
                    ));
                }
            }
            for p in r.paths() {
                check_path(file, chart, &format!("{at}.render"), p, None)?;
            }
        }
        let v = &c.values;
        let paths = [
            ("enabled", &v.enabled),
            ("replicas", &v.replicas),
            ("image", &v.image),
            ("resources", &v.resources),
            ("resources_preset", &v.resources_preset),
            ("autoscaling", &v.autoscaling),
            ("persistence", &v.persistence),
        ];
        for (field, p) in paths {
            if let Some(p) = p {
                check_path(file, chart, &format!("{at}.values.{field}"), p, None)?;
            }
        }
        for (j, w) in v.enabled_when.iter().enumerate() {
            check_path(
                file,
                chart,
                &format!("{at}.values.enabled_when[{j}].path"),
                &w.path,
                None,
            )?;
            if w.equals.is_none() == w.not_equals.is_none() {
                return Err(err(
                    file,
                    format!("{at}.values.enabled_when[{j}]"),
                    "needs exactly one of equals and not_equals",
                ));
            }
        }
        for (j, sc) in v.sidecars.iter().enumerate() {
            let at = format!("{at}.values.sidecars[{j}]");
            if sc.name.is_empty() == sc.list.is_none() {
                return Err(err(file, &at, "needs exactly one of name and list"));
            }
            if sc.list.is_some() && (sc.resources.is_some() || sc.enabled.is_some()) {
                return Err(err(
                    file,
                    &at,
                    "a list's containers carry their own resources; it takes no resources or enabled",
                ));
            }
            // A subchart's key the catalog leaves out holds the subchart's default there (no
            // containers, switched off, no resources), as Helm passes it on.
            for (field, p) in [
                ("list", &sc.list),
                ("resources", &sc.resources),
                ("enabled", &sc.enabled),
            ] {
                if let Some(p) = p {
                    check_sidecar_path(file, chart, &format!("{at}.{field}"), p)?;
                }
            }
            let conditions = sc.enabled_when.iter().map(|w| ("enabled_when", w));
            let any = sc.enabled_any.iter().map(|w| ("enabled_any", w));
            for (k, (field, w)) in conditions.chain(any).enumerate() {
                check_sidecar_path(file, chart, &format!("{at}.{field}[{k}].path"), &w.path)?;
                if w.equals.is_none() == w.not_equals.is_none() {
                    return Err(err(
                        file,
                        format!("{at}.{field}[{k}]"),
                        "needs exactly one of equals and not_equals",
                    ));
                }
            }
        }
        if v.replicas.is_some() == v.replicas_fixed.is_some() {
            return Err(err(
                file,
                format!("{at}.values"),
                "exactly one of replicas and replicas_fixed is needed",
            ));
        }
        if v.resources.is_none() {
            return Err(err(
                file,
                format!("{at}.values.resources"),
                "missing: every component needs requests and limits",
            ));
        }
        if let Some(r) = &v.resources {
            // A real chart may leave requests or limits out (Bitnami's empty `resources`): the
            // map must exist; the figures it holds must be quantities.
            check_path(file, chart, &format!("{at}.values.resources"), r, None)?;
            for sub in [
                "requests.cpu",
                "requests.memory",
                "limits.cpu",
                "limits.memory",
            ] {
                let p = format!("{r}.{sub}");
                let segs = parse_path(&p).map_err(|e| err(file, &at, e.to_string()))?;
                if let Some(q) = get_path(&chart.values, &segs) {
                    crate::base::values::quantity_of(q)
                        .map_err(|e| err(file, format!("values.{p}"), e.to_string()))?;
                }
            }
        }
        if let Some(a) = &v.autoscaling {
            for sub in ["enabled", "minReplicas", "maxReplicas"] {
                check_path(
                    file,
                    chart,
                    &format!("{at}.values.autoscaling"),
                    &format!("{a}.{sub}"),
                    None,
                )?;
            }
        }
        match (&c.persistence, &v.persistence) {
            (Persistence::PerReplica, None) if !v.claim_templates.is_empty() => {
                for (j, t) in v.claim_templates.iter().enumerate() {
                    let at = format!("{at}.values.claim_templates[{j}]");
                    check_path(file, chart, &format!("{at}.size"), &t.size, None)?;
                    if let Some(p) = &t.enabled {
                        check_path(file, chart, &format!("{at}.enabled"), p, None)?;
                    }
                }
            }
            (Persistence::PerReplica, None) => {
                return Err(err(
                    file,
                    format!("{at}.values.persistence"),
                    "per-replica persistence needs a values path with size",
                ));
            }
            (Persistence::PerReplica, Some(p)) => {
                check_path(
                    file,
                    chart,
                    &format!("{at}.values.persistence"),
                    &format!("{p}.size"),
                    None,
                )?;
            }
            (Persistence::Shared(id), _) if chart.volume(id).is_none() => {
                return Err(err(
                    file,
                    format!("{at}.persistence"),
                    format!("no shared volume {id:?} in volumes"),
                ));
            }
            _ => {}
        }
        for (j, port) in c.ports.iter().enumerate() {
            if port.port == 0 {
                return Err(err(
                    file,
                    format!("{at}.ports[{j}].port"),
                    "port 0 is not a port",
                ));
            }
        }
        for (which, probe) in [
            ("liveness", &c.probes.liveness),
            ("readiness", &c.probes.readiness),
            ("startup", &c.probes.startup),
        ] {
            let Some(p) = probe else { continue };
            let forms =
                p.http_get.is_some() as u8 + p.tcp_socket.is_some() as u8 + p.exec.is_some() as u8;
            if forms != 1 {
                return Err(err(
                    file,
                    format!("{at}.probes.{which}"),
                    "needs exactly one of http_get, tcp_socket, exec",
                ));
            }
            if p.script.is_some() && p.exec.is_none() {
                return Err(err(
                    file,
                    format!("{at}.probes.{which}.script"),
                    "a script is the last argument of an exec command: needs exec",
                ));
            }
            for arg in p.exec.iter().flatten() {
                for r in value_refs(arg) {
                    let path = r.map_err(|e| err(file, format!("{at}.probes.{which}.exec"), e))?;
                    check_path(
                        file,
                        chart,
                        &format!("{at}.probes.{which}.exec"),
                        path,
                        None,
                    )?;
                }
            }
            let port = p.port.as_ref().or(p.tcp_socket.as_ref());
            if let Some(port) = port {
                if !c.ports.iter().any(|x| &x.name == port) && port.parse::<u16>().is_err() {
                    return Err(err(
                        file,
                        format!("{at}.probes.{which}"),
                        format!("port {port:?} is not one of the component's ports"),
                    ));
                }
            }
        }
    }
    for (i, vol) in chart.volumes.iter().enumerate() {
        let at = format!("volumes[{i}]");
        check_path(
            file,
            chart,
            &format!("{at}.values"),
            &format!("{}.size", vol.values),
            None,
        )?;
        for u in &vol.used_by {
            if chart.component(u).is_none() {
                return Err(err(
                    file,
                    format!("{at}.used_by"),
                    format!("no component {u:?}"),
                ));
            }
        }
    }
    for (i, s) in chart.settings.iter().enumerate() {
        check_path(file, chart, &format!("settings[{i}].path"), &s.path, None)?;
    }
    validate_connections(file, chart)?;
    audit_facts::validate(file, chart)?;
    if let Some(r) = &chart.real_chart {
        if r.deploy != "helm" && r.deploy != "kustomize" {
            return Err(err(
                file,
                "real_chart.deploy",
                format!("unknown deploy {:?}: expected helm or kustomize", r.deploy),
            ));
        }
    }
    for (i, sc) in chart.subcharts.iter().enumerate() {
        if !is_id(&sc.key) || chart.subcharts[..i].iter().any(|o| o.key == sc.key) {
            return Err(err(
                file,
                format!("subcharts[{i}].key"),
                format!("{:?} is not a unique lowercase key", sc.key),
            ));
        }
        if let Some(p) = &sc.enabled {
            check_path(file, chart, &format!("subcharts[{i}].enabled"), p, None)?;
        }
    }
    for (i, m) in chart.moved.iter().enumerate() {
        if parse_path(&m.from).is_err() || parse_path(&m.to).is_err() {
            return Err(err(
                file,
                format!("moved[{i}]"),
                "from and to must be values paths",
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, c) in chart.claims.iter().enumerate() {
        if !is_id(&c.id) || !seen.insert(c.id.as_str()) {
            return Err(err(
                file,
                format!("claims[{i}].id"),
                format!("{:?} is not a unique lowercase id", c.id),
            ));
        }
        if let Some(e) = &c.env {
            if chart.environment(e).is_none() {
                return Err(err(
                    file,
                    format!("claims[{i}].env"),
                    format!("no environment {e:?}"),
                ));
            }
        }
        if let Some(id) = &c.component {
            if chart.component(id).is_none() {
                return Err(err(
                    file,
                    format!("claims[{i}].component"),
                    format!("no component {id:?}"),
                ));
            }
        }
        if c.hardening.as_deref().is_some_and(|h| h.trim().is_empty()) {
            return Err(err(
                file,
                format!("claims[{i}].hardening"),
                "must say what the hardening overlay adds",
            ));
        }
        match (c.figure.as_deref(), &c.totals) {
            (Some("totals"), Some(t)) if c.component.is_none() => {
                for (name, q) in t.quantities() {
                    if let Some(Err(e)) = q.map(crate::base::quantity::parse) {
                        return Err(err(
                            file,
                            format!("claims[{i}].totals.{name}"),
                            e.to_string(),
                        ));
                    }
                }
            }
            (Some("totals"), _) => {
                return Err(err(
                    file,
                    format!("claims[{i}].figure"),
                    "totals: needs `totals` and no component",
                ));
            }
            (_, Some(_)) => {
                return Err(err(
                    file,
                    format!("claims[{i}].totals"),
                    "only with figure: totals",
                ));
            }
            (Some(f), None) => {
                if !matches!(f, "replicas" | "storage") || c.component.is_none() {
                    return Err(err(
                        file,
                        format!("claims[{i}].figure"),
                        format!("{f:?}: expected replicas or storage, with a component"),
                    ));
                }
            }
            (None, None) => {}
        }
    }
    for (i, a) in chart.assumptions.iter().enumerate() {
        let env = match &a.env {
            None => None,
            Some(id) => Some(chart.environment(id).ok_or_else(|| {
                err(
                    file,
                    format!("assumptions[{i}].env"),
                    format!("no environment {id:?}"),
                )
            })?),
        };
        check_path(file, chart, &format!("assumptions[{i}].path"), &a.path, env)?;
    }
    Ok(())
}

/// `connections`: each names a dependency some component has, with a host path (a string in
/// values) and optionally a port path (an integer), or an `unsupported` reason; and every
/// dependency that can be missing (in another chart, or switched off on its own) has one.
fn validate_connections(file: &str, chart: &Chart) -> Result<(), CatalogError> {
    // Sets and a map, so that validation stays linear-logarithmic in the components.
    let needed: BTreeSet<&str> = chart
        .components
        .iter()
        .flat_map(|c| c.depends_on.iter().map(String::as_str))
        .collect();
    let by_id: std::collections::BTreeMap<&str, &Component> = chart
        .components
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    let mut seen = BTreeSet::new();
    for (i, c) in chart.connections.iter().enumerate() {
        let at = format!("connections[{i}]");
        if !seen.insert(c.target_of(&chart.id)) {
            return Err(err(
                file,
                format!("{at}.target"),
                format!("{:?} has more than one entry", c.target),
            ));
        }
        if !needed.contains(c.target.as_str()) {
            return Err(err(
                file,
                format!("{at}.target"),
                format!(
                    "no component depends on {:?} (the target must be a depends_on entry)",
                    c.target
                ),
            ));
        }
        match (&c.host, &c.port, &c.unsupported) {
            (Some(_), _, None) => {}
            (None, None, Some(r)) if !r.trim().is_empty() => {}
            (None, None, Some(_)) => {
                return Err(err(
                    file,
                    format!("{at}.unsupported"),
                    "the reason is empty",
                ))
            }
            _ => {
                return Err(err(
                    file,
                    &at,
                    "needs host (and optionally port) or unsupported, not both",
                ))
            }
        }
        for (field, path, want_int) in [("host", &c.host, false), ("port", &c.port, true)] {
            let Some(path) = path else { continue };
            let where_ = format!("{at}.{field}");
            check_path(file, chart, &where_, path, None)?;
            let segs = parse_path(path).map_err(|e| err(file, &where_, e.to_string()))?;
            let v = get_path(&chart.values, &segs);
            let ok = match v {
                None => true, // only in an environment: checked by check_path
                Some(v) if want_int => v.as_u64().is_some_and(|n| (1..=65535).contains(&n)),
                Some(v) => v.is_string(),
            };
            if !ok {
                return Err(err(
                    file,
                    where_,
                    format!(
                        "{path:?} must hold {} in values",
                        if want_int {
                            "a port number (an integer from 1 to 65535)"
                        } else {
                            "a host name (a string)"
                        }
                    ),
                ));
            }
        }
    }
    for (i, c) in chart.components.iter().enumerate() {
        for (j, d) in c.depends_on.iter().enumerate() {
            let can_go = match d.split_once('/') {
                Some(_) => true,
                None => by_id.get(d.as_str()).is_some_and(|t| {
                    let switchable =
                        t.values.enabled.is_some() || !t.values.enabled_when.is_empty();
                    // A replica switched off with its primary (same `enabled` path) never runs
                    // without it.
                    switchable && t.values.enabled != c.values.enabled
                }),
            };
            let (stack, id) = match d.split_once('/') {
                Some((s, x)) => (s, x),
                None => (chart.id.as_str(), d.as_str()),
            };
            if can_go && !seen.contains(&(stack, id)) {
                return Err(err(
                    file,
                    format!("components[{i}].depends_on[{j}]"),
                    format!(
                        "{d:?} can be switched off or left out but has no connections entry: add \
                         one with the values paths that point {} at it (host, port), or \
                         unsupported: <why the chart has none>",
                        c.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn validate_cross(catalog: &Catalog, chart: &Chart, file: &str) -> Result<(), CatalogError> {
    for (i, r) in chart.requires.iter().enumerate() {
        if catalog.chart(r).is_none() {
            return Err(err(
                file,
                format!("requires[{i}]"),
                format!("no chart {r:?} in the catalog"),
            ));
        }
    }
    for (i, c) in chart.components.iter().enumerate() {
        for (j, d) in c.depends_on.iter().enumerate() {
            let ok = match d.split_once('/') {
                Some((other, comp)) => catalog
                    .chart(other)
                    .is_some_and(|o| o.component(comp).is_some()),
                None => chart.component(d).is_some(),
            };
            if !ok {
                return Err(err(
                    file,
                    format!("components[{i}].depends_on[{j}]"),
                    format!("no component {d:?}"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::quantity::Quantity;

    #[test]
    fn embedded_json_gives_the_charts_the_yaml_gives() {
        assert_eq!(JSON_FILES.len(), FILES.len());
        for ((file, yaml), (json_file, json)) in FILES.iter().zip(JSON_FILES) {
            assert_eq!(file, json_file);
            let mut from_yaml = parse_chart(file, yaml).unwrap_or_else(|e| panic!("{e}"));
            let from_json = parse_chart_json(file, json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(DOCUMENTATION_ONLY, ["claims", "notes", "audit"]);
            assert!(
                from_json.claims.is_empty() && from_json.notes.is_empty(),
                "{file}"
            );
            // The audit's facts come from a JSON file of their own (audit_facts::tests checks
            // them).
            from_yaml.claims.clear();
            from_yaml.notes.clear();
            from_yaml.audit = Default::default();
            // The render facts too (render_facts::tests checks them).
            assert!(from_json.render.is_none(), "{file}");
            without_render(&mut from_yaml);
            assert_eq!(from_yaml, from_json, "{file}");
            // Whole trees, including number kinds (1 and 1.0 differ in YAML and in JSON).
            assert_eq!(
                format!("{:?}", from_yaml.values),
                format!("{:?}", from_json.values),
                "{file}"
            );
            assert!(json.len() < yaml.len(), "{file}: JSON is not smaller");
        }
        let mut loaded = Catalog::load(FILES).unwrap();
        for c in &mut loaded.charts {
            c.claims.clear();
            c.notes.clear();
            c.audit = Default::default();
            without_render(c);
        }
        // The embedded charts say where their render and audit facts are; the loaded ones hold
        // theirs.
        render_facts::mark(&mut loaded.charts);
        assert_eq!(Catalog::builtin(), &loaded);
    }

    /// A chart parsed from YAML as the embedded JSON has it: without its render sections.
    fn without_render(chart: &mut Chart) {
        chart.render = None;
        for c in &mut chart.components {
            c.render = None;
        }
    }

    #[test]
    fn builtin_catalog_loads() {
        let c = Catalog::load(FILES).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.chart_ids(),
            [
                "cauldron-infra",
                "cauldron-frappe",
                "rhesis",
                "caracal",
                "rae-memory"
            ]
        );
        for chart in &c.charts {
            for env in ["dev", "staging", "prod"] {
                assert!(chart.environment(env).is_some(), "{} lacks {env}", chart.id);
            }
        }
    }

    #[test]
    fn error_names_file_path_and_problem() {
        let bad = FILES[2].1.replacen("role: app", "role: wizard", 1);
        let e = Catalog::load(&[("rhesis.yaml", &bad)]).unwrap_err();
        assert_eq!(e.file, "rhesis.yaml");
        assert!(e.path.starts_with("components["), "{e}");
        assert!(e.to_string().contains("unknown role \"wizard\""), "{e}");
    }

    #[test]
    fn unknown_field_is_reported_with_location() {
        let bad = format!("{}\nbogus: 1\n", FILES[2].1);
        let e = Catalog::load(&[("rhesis.yaml", &bad)]).unwrap_err();
        assert!(e.to_string().contains("bogus"), "{e}");
        assert!(e.path.contains("line"), "{e}");
    }

    #[test]
    fn dangling_values_path_is_reported() {
        let bad = FILES[2].1.replacen(
            "resources: backend.resources",
            "resources: backend.resourcez",
            1,
        );
        let e = Catalog::load(&[("rhesis.yaml", &bad)]).unwrap_err();
        assert!(e.to_string().contains("backend.resourcez"), "{e}");
    }

    fn load_frappe(text: &str) -> Result<Catalog, CatalogError> {
        Catalog::load(&[FILES[0], ("cauldron-frappe.yaml", text)])
    }

    #[test]
    fn connections_are_validated() {
        let frappe = FILES[1].1;
        assert!(load_frappe(frappe).is_ok());
        let cases = [
            (
                "    host: frappe.db.host\n",
                "    host: frappe.db.hots\n",
                "connections[0].host",
                "path \"frappe.db.hots\" does not exist in values",
            ),
            (
                "    port: frappe.db.port\n",
                "    port: frappe.db.name\n",
                "connections[0].port",
                "must hold a port number",
            ),
            (
                "    host: frappe.db.host\n",
                "    host: frappe.db.port\n",
                "connections[0].host",
                "must hold a host name (a string)",
            ),
            (
                "  - target: cauldron-infra/postgresql\n",
                "  - target: cauldron-infra/timescaledb\n",
                "connections[0].target",
                "no component depends on \"cauldron-infra/timescaledb\"",
            ),
            (
                "  - target: cauldron-infra/redis-cache\n",
                "  - target: cauldron-infra/postgresql\n",
                "connections[1].target",
                "has more than one entry",
            ),
            (
                "    host: frappe.redis.cacheHost\n",
                "    host: frappe.redis.cacheHost\n    unsupported: no key\n",
                "connections[1]",
                "needs host (and optionally port) or unsupported, not both",
            ),
        ];
        for (from, to, path, problem) in cases {
            assert!(frappe.contains(from), "{from}");
            let e = load_frappe(&frappe.replacen(from, to, 1)).unwrap_err();
            assert_eq!(e.file, "cauldron-frappe.yaml", "{e}");
            assert_eq!(e.path, path, "{e}");
            assert!(e.problem.contains(problem), "{e}");
        }
        // Every dependency that can go away needs an entry.
        let entry = "  - target: cauldron-infra/redis-socketio\n    host: frappe.redis.socketioHost\n    port: frappe.redis.port\n";
        assert!(frappe.contains(entry));
        let e = load_frappe(&frappe.replacen(entry, "", 1)).unwrap_err();
        assert_eq!(e.path, "components[0].depends_on[3]", "{e}");
        assert!(
            e.problem
                .contains("\"cauldron-infra/redis-socketio\" can be switched off or left out but has no connections entry"),
            "{e}"
        );
        // A probe's {{ .Values.path }} must name a value (cauldron-infra's TimescaleDB probes
        // run pg_isready as the configured user; the Frappe chart's probes name no value).
        let infra = FILES[0].1;
        let probe = "{{ .Values.timescaledb.auth.username }}";
        assert!(infra.contains(probe));
        assert!(Catalog::load(&[FILES[0]]).is_ok());
        let bad = infra.replacen(probe, "{{ .Values.timescaledb.auth.usernme }}", 1);
        let e = Catalog::load(&[("cauldron-infra.yaml", &bad)]).unwrap_err();
        let timescaledb = Catalog::builtin()
            .chart("cauldron-infra")
            .unwrap()
            .components
            .iter()
            .position(|c| c.id == "timescaledb")
            .unwrap();
        assert_eq!(
            e.path,
            format!("components[{timescaledb}].probes.liveness.exec"),
            "{e}"
        );
        assert!(e.problem.contains("timescaledb.auth.usernme"), "{e}");
    }

    #[test]
    fn value_refs_in_probe_commands() {
        assert_eq!(
            value_refs("wait-for-it {{ .Values.a.b }}:{{.Values.c}} -t 1"),
            [Ok("a.b"), Ok("c")]
        );
        assert!(value_refs("no template").is_empty());
        assert!(value_refs("{{ .Release.Name }}")[0]
            .as_ref()
            .unwrap_err()
            .contains("only {{ .Values.<path> }} is supported"));
        assert!(value_refs("{{ .Values.a")[0]
            .as_ref()
            .unwrap_err()
            .contains("unclosed"));
    }

    #[test]
    fn path_covers_is_segment_aware() {
        assert!(path_covers("a.b", "a.b"));
        assert!(path_covers("a.b", "a.b.c"));
        assert!(!path_covers("a.b", "a.bc"));
        assert!(path_covers("a", "a[0]"));
    }

    #[test]
    fn quantity_type_is_used_for_resources() {
        // Every resource figure (main container and sidecars) in every chart and environment
        // parses as a quantity. A real chart may leave a map empty (Bitnami's `resources: {}`:
        // no requests, no limits), so a figure is checked where it is set.
        let c = Catalog::builtin();
        let mut checked = 0;
        for chart in &c.charts {
            let trees = std::iter::once(("values.yaml", &chart.values)).chain(
                chart
                    .environments
                    .iter()
                    .map(|e| (e.id.as_str(), chart.preset(&e.id))),
            );
            for (env, tree) in trees {
                for comp in &chart.components {
                    let r = comp.values.resources.as_deref().unwrap();
                    let maps = std::iter::once(r).chain(
                        comp.values
                            .sidecars
                            .iter()
                            .filter_map(|s| s.resources.as_deref()),
                    );
                    for map in maps {
                        for sub in [
                            "requests.cpu",
                            "requests.memory",
                            "limits.cpu",
                            "limits.memory",
                        ] {
                            let segs = parse_path(&format!("{map}.{sub}")).unwrap();
                            let Some(v) = get_path(tree, &segs).filter(|v| !v.is_null()) else {
                                continue;
                            };
                            let _q: Quantity = crate::base::values::quantity_of(v)
                                .unwrap_or_else(|e| panic!("{} {env} {map}.{sub}: {e}", chart.id));
                            checked += 1;
                        }
                    }
                }
            }
        }
        // Most maps are filled in: the loop above did read figures (Rhesis alone has 5
        // components x 4 figures x 5 trees).
        assert!(checked > 300, "{checked}");
    }
}
