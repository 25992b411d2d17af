//! The Kubernetes objects each chart would create for a configuration, as YAML: what
//! `helm template` would print, built from typed k8s-openapi objects (never untyped maps), with
//! two small typed structs of our own for the CRDs (ServiceMonitor, ExternalSecret).
//!
//! Every figure is read from [`Configuration::effective_values`] through the component's
//! `values` paths of the catalog, with the same rules as [`crate::plan`] (presets, a missing
//! request defaulting to the limit, HPA minimum as the baseline, sidecars counted in their pod,
//! every claim template per replica, standalone claims once), so the manifests and the plan
//! agree; a test parses the YAML back and checks the sums against the plan, per workload and in
//! total. The chart-specific parts (secrets, ConfigMaps, Ingress, network policies, monitoring)
//! read the real charts' keys and render what their templates render, in Tonnage's own layout;
//! they are not yet the charts' exact output.
//!
//! Release name = chart id; workloads are named as the real chart names them (the catalog's
//! `workload` / `workload_when`), else `<release>-<component>`; a StatefulSet's headless
//! Service is `<workload>-headless` (or its own Service: `render.service_headless`). Namespace =
//! the catalog's namespace (or the values' at `render.namespace`). The Bitnami charts
//! (`bitnami/`) are named, labelled and laid out exactly as their templates do it.
//!
//! Total: never panics; a missing or malformed figure leaves its field out. Deterministic:
//! charts in configuration (catalog) order, then Helm's install order of kinds, then name.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet, StatefulSetSpec,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMap, ConfigMapEnvSource, ConfigMapKeySelector,
    ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvFromSource, EnvVar,
    EnvVarSource, ExecAction, HTTPGetAction, Lifecycle, Namespace, ObjectFieldSelector,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PodAffinityTerm, PodAntiAffinity, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SeccompProfile, Secret, SecretEnvSource, SecretKeySelector,
    SecretVolumeSource, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec,
    TCPSocketAction, TopologySpreadConstraint, Volume, VolumeMount, VolumeResourceRequirements,
    WeightedPodAffinityTerm,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, IPBlock, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyEgressRule,
    NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
    ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::base::archive::OutFile;
use crate::base::quantity::Quantity;
use crate::base::values::{display_value, lookup, quantity_of};
use crate::compute::plan::bitnami_preset;
use crate::configuration::config::Configuration;
use crate::model::catalog::render::{
    ChartRender, ComponentRender, EnvEntry, KeyRef, PodLabels, TargetPort,
};
use crate::model::catalog::{
    AntiAffinity, Catalog, Chart, Component, Persistence, Probe as CatalogProbe, Sidecar,
    WorkloadKind,
};

/// One rendered Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The chart (release) that creates it.
    pub chart: String,
    pub kind: String,
    pub name: String,
    /// The object as one YAML document (no `---`).
    pub yaml: String,
}

impl Manifest {
    /// `<chart>/templates/<kind-lowercase>-<name>.yaml`, as `helm template --output-dir` lays
    /// files out (one object per file here).
    pub fn path(&self) -> String {
        let mut out = String::new();
        self.push_path(&mut out);
        out
    }

    /// Appends [`Self::path`].
    fn push_path(&self, out: &mut String) {
        out.reserve(self.chart.len() + self.kind.len() + self.name.len() + 17);
        out.push_str(&self.chart);
        out.push_str("/templates/");
        out.extend(self.kind.chars().map(|c| c.to_ascii_lowercase()));
        out.push('-');
        out.push_str(&self.name);
        out.push_str(".yaml");
    }
}

/// One file per object: `<chart>/templates/<kind-lowercase>-<name>.yaml`.
pub fn per_object_files(ms: &[Manifest]) -> Vec<OutFile> {
    ms.iter().map(|m| OutFile::new(m.path(), &m.yaml)).collect()
}

/// One `<chart>.yaml` per chart: its objects as `---`-separated documents, each preceded by a
/// `# Source:` comment as `helm template` prints.
pub fn multi_doc_files(ms: &[Manifest]) -> Vec<OutFile> {
    let mut order: Vec<&str> = Vec::new();
    for m in ms {
        if !order.contains(&m.chart.as_str()) {
            order.push(&m.chart);
        }
    }
    order
        .into_iter()
        .map(|chart| {
            let text = multi_doc(ms.iter().filter(|m| m.chart == chart));
            OutFile::new(format!("{chart}.yaml"), text)
        })
        .collect()
}

/// The objects as one multi-document YAML stream (`---` before each document).
pub fn multi_doc<'a>(ms: impl IntoIterator<Item = &'a Manifest>) -> String {
    let ms: Vec<&Manifest> = ms.into_iter().collect();
    // Its size: the documents, their paths and the separators (40 bytes covers those).
    let size = ms
        .iter()
        .map(|m| m.yaml.len() + m.chart.len() + m.kind.len() + m.name.len() + 40)
        .sum();
    let mut out = String::with_capacity(size);
    for m in ms {
        out.push_str("---\n# Source: ");
        m.push_path(&mut out);
        out.push('\n');
        out.push_str(&m.yaml);
        if !m.yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Helm's install order of kinds (`releaseutil.InstallOrder`); kinds it does not know (the
/// CRDs) come last, by name.
const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Role",
    "RoleBinding",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Ingress",
];

fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

// ---------------------------------------------------------------------------------------------
// Per-chart modules: what a chart's templates do that its catalog's data cannot express

mod bitnami;
mod caracal;
mod cauldron_frappe;
mod cauldron_infra;
mod plain;
mod qdrant;
mod rae_memory;

/// What a chart's templates do beyond the catalog's data (its `render` facts and values
/// paths), in one small module per chart. Every hook defaults to nothing.
trait ChartModule {
    /// A component's container environment and init containers, before the catalog's
    /// `render` facts (which may replace them) are applied.
    fn workload(&self, _ctx: &Ctx, _c: &Component, _x: &mut Extras) {}
    /// The Secrets the chart renders: name and keys (placeholder values).
    fn secrets(&self, _ctx: &Ctx) -> Vec<(String, Vec<(&'static str, String)>)> {
        Vec::new()
    }
    /// The ConfigMaps the chart renders while any of its workloads does: name and data.
    fn config_maps(&self, _ctx: &Ctx) -> Vec<(String, BTreeMap<String, String>)> {
        Vec::new()
    }
    /// Objects beside the workloads' (a Namespace, PodDisruptionBudgets, more Services).
    fn objects(&self, _ctx: &Ctx, _sink: &mut Sink, _works: &[Work]) {}
}

/// The one dispatch point: the module of a chart that has one.
fn chart_module(chart: &str) -> Option<&'static dyn ChartModule> {
    match chart {
        "caracal" => Some(&caracal::Caracal),
        "cauldron-frappe" => Some(&cauldron_frappe::CauldronFrappe),
        "cauldron-infra" => Some(&cauldron_infra::CauldronInfra),
        "rae-memory" => Some(&rae_memory::RaeMemory),
        _ => None,
    }
}

/// The Kubernetes objects each chart of the configuration would create.
pub fn render(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    let mut all = Vec::new();
    for id in &config.stacks {
        all.extend(render_stack(catalog, config, id));
    }
    all
}

/// The objects of one chart of the configuration: [`render`]'s items for that chart, in the
/// same order (empty when the configuration or the catalog lacks it). For previews of one file.
pub fn render_stack(catalog: &Catalog, config: &Configuration, id: &str) -> Vec<Manifest> {
    render_chart_of(catalog, config, id, true).plain
}

/// What hardens each chart of the configuration beyond what its templates render: the objects
/// the charts lack (PodDisruptionBudgets for workloads with more than one replica). They are
/// never in [`render`], which stays what Helm renders; the bundle lays them out as a kustomize
/// overlay over that render ([`hardening_overlay`]).
pub fn render_hardening(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    config
        .stacks
        .iter()
        .flat_map(|id| render_both(catalog, config, id).hardening)
        .collect()
}

/// The hardening overlay's patches: per workload, a strategic-merge patch (the workload's kind
/// and name, `yaml` the partial object) giving resources to the containers the chart leaves
/// without (its init containers) and, for a chart whose templates are known, what Tonnage
/// adds to its pods beyond them (restricted security contexts, anti-affinity and spread, no
/// token, no service links, Recreate for a ReadWriteOnce volume): only what the chart leaves
/// out.
pub fn render_patches(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    config
        .stacks
        .iter()
        .flat_map(|id| render_both(catalog, config, id).patches)
        .collect()
}

/// What `kubectl kustomize` builds from the hardening overlay: the plain render with the
/// patches applied, then the added objects. What checkov checks.
pub fn render_hardened(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    let mut out = Vec::new();
    for id in &config.stacks {
        let r = render_both(catalog, config, id);
        for mut m in r.plain {
            for p in r
                .patches
                .iter()
                .filter(|p| p.kind == m.kind && p.name == m.name)
            {
                m.yaml = apply_patch(&m.yaml, &p.yaml);
            }
            out.push(m);
        }
        out.extend(r.hardening);
    }
    out
}

/// A patch of [`render_patches`] applied as kustomize applies it (a strategic merge: maps key
/// by key, containers by name). The object's text is written anew.
fn apply_patch(object: &str, patch: &str) -> String {
    let (Ok(mut obj), Ok(patch)) = (
        serde_yaml::from_str::<Value>(object),
        serde_yaml::from_str::<Value>(patch),
    ) else {
        return object.to_string();
    };
    plain::merge(&mut obj, &patch);
    to_yaml(&obj)
}

/// A kustomize overlay (`<dir>/kustomization.yaml`, `<dir>/<chart>.yaml` per chart with
/// hardening objects, `<dir>/patches/...` per patched workload) whose base is the plain render
/// at `base` (paths relative to the overlay folder): `kubectl apply -k <dir>` installs the
/// render and the hardening together.
pub fn hardening_overlay(
    dir: &str,
    base: &[String],
    hardening: &[Manifest],
    patches: &[Manifest],
) -> Vec<OutFile> {
    // One file per chart; each object says it is the overlay's, not a template's.
    let mut own: Vec<OutFile> = Vec::new();
    for m in hardening {
        let path = format!("{dir}/{}.yaml", m.chart);
        let doc = format!(
            "---\n# Hardening: {} {} (added by the overlay, not by the chart's templates)\n{}",
            m.kind, m.name, m.yaml
        );
        match own.iter_mut().find(|f| f.path == path) {
            Some(f) => f.contents.push_str(&doc),
            None => own.push(OutFile::new(path, doc)),
        }
    }
    let patch_files: Vec<OutFile> = patches
        .iter()
        .map(|p| {
            let kind = p.kind.to_ascii_lowercase();
            OutFile::new(
                format!("{dir}/patches/{}-{kind}-{}.yaml", p.chart, p.name),
                &p.yaml,
            )
        })
        .collect();
    let mut k = String::from(
        "# The hardening overlay: the charts' render as Helm prints it (the base), plus what the\n\
         # charts lack. Build with `kubectl kustomize --load-restrictor LoadRestrictionsNone`.\n\
         apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for r in base
        .iter()
        .cloned()
        .chain(own.iter().map(|f| f.path[dir.len() + 1..].to_string()))
    {
        k.push_str("  - ");
        k.push_str(&r);
        k.push('\n');
    }
    if !patch_files.is_empty() {
        k.push_str("patches:\n");
        for f in &patch_files {
            k.push_str("  - path: ");
            k.push_str(&f.path[dir.len() + 1..]);
            k.push('\n');
        }
    }
    let mut out = vec![OutFile::new(format!("{dir}/kustomization.yaml"), k)];
    out.extend(own);
    out.extend(patch_files);
    out
}

/// One chart's render: the plain objects, the hardening objects and patches.
#[derive(Default)]
struct Rendered {
    plain: Vec<Manifest>,
    hardening: Vec<Manifest>,
    patches: Vec<Manifest>,
}

fn render_both(catalog: &Catalog, config: &Configuration, id: &str) -> Rendered {
    render_chart_of(catalog, config, id, false)
}

/// [`render_both`]; `plain_only`: without the hardening (its lists left empty).
fn render_chart_of(
    catalog: &Catalog,
    config: &Configuration,
    id: &str,
    plain_only: bool,
) -> Rendered {
    let mut all = Rendered::default();
    if let Some(chart) = catalog
        .chart(id)
        .filter(|_| config.stacks.iter().any(|s| s == id))
    {
        let values = config.effective(chart);
        // The namespace the chart's files take from the values (catalog `render.namespace`).
        let namespace = chart
            .render()
            .and_then(|r| r.namespace.as_ref())
            .and_then(|n| lookup(&values, &n.values))
            .and_then(scalar_text)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| chart.chart.namespace.clone());
        let ctx = Ctx {
            chart,
            values,
            release: chart.id.clone(),
            namespace,
            chart_label: format!("{}-{}", chart.chart.name, chart.chart.version),
            labels: Rc::default(),
        };
        let mut sink = Sink::new(&chart.id, Rc::clone(&ctx.labels));
        sink.plain_only = plain_only;
        if let Some(r) = chart.render() {
            sink.object_labels.clone_from(&r.object_labels);
        }
        render_chart(&ctx, &mut sink);
        all = sink.finish();
    }
    all
}

// ---------------------------------------------------------------------------------------------
// Reading the values tree

/// A values path for the [`Ctx`] readers: its text, or a prefix and what follows its dot
/// (`(p, "size")` for `{p}.size`), which is looked up without building the text
/// ([`crate::values::lookup_in`]): the readers run for every figure of every object.
trait ValuesPath {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value>;
}

impl ValuesPath for &str {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        lookup(root, self)
    }
}

impl ValuesPath for &String {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        lookup(root, self)
    }
}

impl<P: AsRef<str>> ValuesPath for (P, &str) {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        crate::values::lookup_in(root, self.0.as_ref(), self.1)
    }
}

struct Ctx<'a> {
    chart: &'a Chart,
    values: Cow<'a, Value>,
    release: String,
    namespace: String,
    /// The `helm.sh/chart` label: `<chart name>-<version>`.
    chart_label: String,
    /// Label maps to reuse, shared with the [`Sink`].
    labels: Rc<LabelMaps>,
}

impl Ctx<'_> {
    /// The value at `path`, `None` when absent or null (as the plan reads it).
    fn get(&self, path: impl ValuesPath) -> Option<&Value> {
        path.find(&self.values).filter(|v| !v.is_null())
    }

    /// A scalar as text; `None` when absent, null, a map or a list, or empty.
    fn text(&self, path: impl ValuesPath) -> Option<String> {
        match self.get(path)? {
            Value::Mapping(_) | Value::Sequence(_) => None,
            v => Some(display_value(v)).filter(|s| !s.is_empty()),
        }
    }

    /// The plan's reading of a bool: a bool, or the string "true"; else `default`.
    fn bool_at(&self, path: impl ValuesPath, default: bool) -> bool {
        match self.get(path) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => default,
        }
    }

    /// The plan's reading of a count: an integer or a numeric string, at least 0.
    fn count_at(&self, path: impl ValuesPath, default: i64) -> i64 {
        match self.get(path) {
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(default)
                .max(0),
            None => default,
        }
    }

    fn int_at(&self, path: impl ValuesPath) -> Option<i64> {
        self.get(path).and_then(Value::as_i64)
    }

    /// A non-negative quantity, `None` when absent or malformed.
    fn quantity_at(&self, path: impl ValuesPath) -> Option<Quantity> {
        self.get(path)
            .and_then(|v| quantity_of(v).ok())
            .filter(|q| !q.is_negative())
    }

    fn list(&self, path: impl ValuesPath) -> Vec<&Value> {
        match self.get(path) {
            Some(Value::Sequence(s)) => s.iter().filter(|v| !v.is_null()).collect(),
            _ => Vec::new(),
        }
    }

    /// A map of scalars as text (annotations), in the tree's order.
    fn string_map(&self, path: impl ValuesPath) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(Value::Mapping(m)) = self.get(path) {
            for (k, v) in m {
                if v.is_null() || v.is_mapping() || v.is_sequence() {
                    continue;
                }
                out.insert(display_value(k), display_value(v));
            }
        }
        out
    }

    fn has(&self, path: impl ValuesPath) -> bool {
        self.get(path).is_some()
    }

    /// [`Self::text`], but `None` for a key no template of the real chart reads (`dead`).
    fn live_text(&self, path: &str) -> Option<String> {
        if self.chart.is_dead(path) {
            None
        } else {
            self.text(path)
        }
    }

    fn component(&self, id: &str) -> Option<&Component> {
        self.chart.component(id)
    }
}

/// Text of a value in a sequence or map entry.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null | Value::Mapping(_) | Value::Sequence(_) => None,
        v => Some(display_value(v)).filter(|s| !s.is_empty()),
    }
}

fn entry<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_mapping()
        .and_then(|m| m.get(key))
        .filter(|v| !v.is_null())
}

// ---------------------------------------------------------------------------------------------
// Output collection

struct Sink {
    chart: String,
    /// The objects pushed: kind, name, where their text is in `yaml`'s.
    items: Vec<(String, String, std::ops::Range<usize>)>,
    /// The hardening objects (what the chart lacks: [`render_hardening`]), likewise.
    hardening: Vec<(String, String, std::ops::Range<usize>)>,
    /// The hardening patches ([`render_patches`]): target kind and name, the partial object.
    patches: Vec<Manifest>,
    /// Secrets to render: name -> key -> placeholder value.
    secrets: BTreeMap<String, BTreeMap<String, String>>,
    yaml: crate::base::yaml::serialize::Writer,
    /// Where the label maps of the objects written go back to.
    labels: Rc<LabelMaps>,
    /// Labels added last to one object (`<Kind>/<name>`, catalog `render.object_labels`).
    object_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Only the plain render is wanted ([`render`], [`render_stack`]): the hardening objects and
    /// patches are not built (the page renders the plain objects on every edit).
    plain_only: bool,
}

impl Sink {
    fn new(chart: &str, labels: Rc<LabelMaps>) -> Self {
        Sink {
            chart: chart.to_string(),
            items: Vec::new(),
            hardening: Vec::new(),
            patches: Vec::new(),
            secrets: BTreeMap::new(),
            yaml: crate::base::yaml::serialize::Writer::default(),
            labels,
            object_labels: BTreeMap::new(),
            plain_only: false,
        }
    }

    fn push<T: Serialize + GiveLabels>(&mut self, kind: &str, name: &str, obj: T) {
        self.push_to(false, kind, name, obj);
    }

    /// An object the chart does not render that hardens what it does: the overlay's.
    fn push_hardening<T: Serialize + GiveLabels>(&mut self, kind: &str, name: &str, obj: T) {
        self.push_to(true, kind, name, obj);
    }

    fn push_to<T: Serialize + GiveLabels>(
        &mut self,
        hardening: bool,
        kind: &str,
        name: &str,
        mut obj: T,
    ) {
        if hardening && self.plain_only {
            return;
        }
        if let Some(extra) = self.object_labels.get(&format!("{kind}/{name}")) {
            let labels = obj.meta_mut().labels.get_or_insert_with(BTreeMap::new);
            labels.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        // Serialising these plain structs cannot fail; if it ever did, the object is left out
        // rather than aborting the whole rendering. Written straight to text (`base::yaml::serialize`): the
        // same text as `to_yaml(&serde_yaml::to_value(obj))`, which tests check on every object.
        if let Ok(range) = self.yaml.append(&obj) {
            #[cfg(test)]
            assert_eq!(
                Some(&self.yaml.texts()[range.clone()]),
                serde_yaml::to_value(&obj)
                    .map(|v| to_yaml(&v))
                    .as_deref()
                    .ok(),
                "{kind} {name}"
            );
            let list = if hardening {
                &mut self.hardening
            } else {
                &mut self.items
            };
            list.push((kind.to_string(), name.to_string(), range));
        }
        obj.give_labels(&self.labels);
    }

    /// The chart's objects, the hardening objects and patches.
    fn finish(self) -> Rendered {
        let texts = self.yaml.texts();
        let chart = &self.chart;
        let manifests = |items: Vec<(String, String, std::ops::Range<usize>)>| {
            let mut out: Vec<Manifest> = items
                .into_iter()
                .map(|(kind, name, range)| Manifest {
                    chart: chart.clone(),
                    kind,
                    name,
                    yaml: texts[range].to_string(),
                })
                .collect();
            out.sort_by(|a, b| {
                (kind_rank(&a.kind), &a.kind, &a.name).cmp(&(kind_rank(&b.kind), &b.kind, &b.name))
            });
            out.dedup_by(|a, b| a.kind == b.kind && a.name == b.name);
            out
        };
        Rendered {
            plain: manifests(self.items),
            hardening: manifests(self.hardening),
            patches: self.patches,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// YAML text

/// An object as block-style YAML that means the same to YAML 1.1 readers (Kubernetes'
/// sigs.k8s.io/yaml, which reads `yes`, `on`, `no` as booleans) as to YAML 1.2 ones, multi-line
/// strings (scripts, JSON in ConfigMaps) as literal blocks: the core's one writer.
pub use crate::base::yaml::to_yaml_blocks as to_yaml;

/// The placeholder every rendered Secret carries instead of a password.
pub const PLACEHOLDER: &str = "CHANGE_ME";

/// Where a container reads a credential from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SecretRef {
    name: String,
    key: String,
}

/// A credential: the existing Secret named at `existing` (and its key at `existing_key`) when
/// set, else `default_secret`/`key`, which is then rendered with a placeholder value.
fn credential(
    ctx: &Ctx,
    sink: &mut Sink,
    existing: Option<&str>,
    existing_key: Option<&str>,
    default_secret: &str,
    key: &str,
    placeholder: &str,
) -> SecretRef {
    if let Some(name) = existing.and_then(|p| ctx.text(p)) {
        let key = existing_key
            .and_then(|p| ctx.text(p))
            .unwrap_or_else(|| key.to_string());
        return SecretRef { name, key };
    }
    sink.secrets
        .entry(default_secret.to_string())
        .or_default()
        .insert(key.to_string(), placeholder.to_string());
    SecretRef {
        name: default_secret.to_string(),
        key: key.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Labels and metadata

/// The component's own labels where the chart's templates write them (catalog `render`): a
/// component's (in a selector, its `selector` where given), or for a shared volume the first
/// component that mounts it.
fn own_labels<'a>(ctx: &Ctx<'a>, id: &str, selector: bool) -> Option<&'a BTreeMap<String, String>> {
    match ctx.chart.component(id) {
        Some(c) => c.render().map(|r| match &r.selector {
            Some(s) if selector => s,
            _ => &r.labels,
        }),
        None => ctx.chart.volume(id).map(|v| &v.labels),
    }
}

/// `{release}`, `{chart}` and `{name}` (the chart's name, or `nameOverride`: the name helper)
/// of a catalog `render` label.
fn fill_label<'s>(ctx: &'s Ctx, v: &'s str) -> &'s str {
    match v {
        "{release}" => &ctx.release,
        "{chart}" => &ctx.chart_label,
        "{name}" => ctx
            .get("nameOverride")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or(&ctx.chart.chart.name),
        v => v,
    }
}

/// Labels as the chart's templates write them (catalog `render`): the component's, then the
/// chart's (`labels`, or `selector` for a selector and pod template).
fn chart_labels(
    ctx: &Ctx,
    render: &ChartRender,
    component: Option<&str>,
    selector: bool,
) -> BTreeMap<String, String> {
    let common = if selector {
        &render.selector
    } else {
        &render.labels
    };
    let own = component.and_then(|c| own_labels(ctx, c, selector));
    let mut pairs: Vec<(&str, &str)> = own
        .into_iter()
        .flatten()
        .chain(common)
        .map(|(k, v)| (k.as_str(), fill_label(ctx, v)))
        .collect();
    // A component the chart's templates do not write (a subchart's) keeps Tonnage's component
    // label, so that its selector stays its own.
    if let Some(c) = component.filter(|c| own.is_none() && ctx.chart.component(c).is_some()) {
        pairs.insert(0, ("app.kubernetes.io/component", c));
    }
    // The values' labels (`global.labels`) come last and win, as in the helper's YAML.
    let from: Vec<(String, String)> = match render.labels_from.as_deref().filter(|_| !selector) {
        Some(p) => ctx.string_map(p).into_iter().collect(),
        None => Vec::new(),
    };
    pairs.retain(|(k, _)| !from.iter().any(|(f, _)| f == k));
    pairs.extend(from.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    ctx.labels.map(&pairs)
}

/// The templates' facts for a component's objects: its release's where it is another chart's
/// release (`render.release`), else the chart's.
fn chart_render<'a>(ctx: &Ctx<'a>, component: Option<&str>) -> Option<&'a ChartRender> {
    component
        .and_then(|id| ctx.chart.component(id))
        .and_then(|c| c.render()?.release.as_ref())
        .or(ctx.chart.render())
}

fn labels(ctx: &Ctx, component: Option<&str>) -> BTreeMap<String, String> {
    if let Some(r) = chart_render(ctx, component) {
        return chart_labels(ctx, r, component, false);
    }
    // The application the release belongs to: the guides give each stack its own namespace
    // (both Cauldron charts share `cauldron`), so the namespace names it.
    let common = [
        ("app.kubernetes.io/name", ctx.chart.chart.name.as_str()),
        ("app.kubernetes.io/instance", ctx.release.as_str()),
        ("app.kubernetes.io/part-of", ctx.namespace.as_str()),
        ("app.kubernetes.io/managed-by", "Helm"),
        ("helm.sh/chart", ctx.chart_label.as_str()),
    ];
    match component {
        Some(c) => {
            let [a, b, d, e, f] = common;
            ctx.labels
                .map(&[a, b, ("app.kubernetes.io/component", c), d, e, f])
        }
        None => ctx.labels.map(&common),
    }
}

fn selector_labels(ctx: &Ctx, component: &str) -> BTreeMap<String, String> {
    if let Some(r) = chart_render(ctx, Some(component)) {
        return chart_labels(ctx, r, Some(component), true);
    }
    ctx.labels.map(&[
        ("app.kubernetes.io/name", ctx.chart.chart.name.as_str()),
        ("app.kubernetes.io/instance", ctx.release.as_str()),
        ("app.kubernetes.io/component", component),
    ])
}

/// Label maps of the objects already written, for the next ones: label maps are the commonest
/// allocation of a rendering (a map and two strings per label, several maps per object), so
/// once an object is written its maps come back here ([`Sink::push`]) and [`Self::map`] fills
/// one with the labels the next object needs instead of allocating a new one. Only memory is
/// reused: every label is written again, and one rendering's maps are not kept after it.
#[derive(Default)]
struct LabelMaps(std::cell::RefCell<Vec<BTreeMap<String, String>>>);

impl LabelMaps {
    /// At most this many maps wait for reuse.
    const KEEP: usize = 32;

    /// A map of exactly `labels`: a returned one with the same keys, its values rewritten, or a
    /// new one.
    fn map(&self, labels: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut kept = self.0.borrow_mut();
        let same_keys = kept.iter().position(|m| {
            m.len() == labels.len() && labels.iter().all(|(k, _)| m.contains_key(*k))
        });
        match same_keys {
            Some(i) => {
                let mut m = kept.swap_remove(i);
                for (k, v) in labels {
                    if let Some(old) = m.get_mut(*k) {
                        if old != v {
                            old.clear();
                            old.push_str(v);
                        }
                    }
                }
                m
            }
            None => labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Takes back a map an object no longer needs.
    fn give(&self, m: Option<BTreeMap<String, String>>) {
        let mut kept = self.0.borrow_mut();
        if let Some(m) = m.filter(|_| kept.len() < Self::KEEP) {
            kept.push(m);
        }
    }

    fn give_selector(&self, s: Option<&mut LabelSelector>) {
        if let Some(s) = s {
            self.give(s.match_labels.take());
        }
    }

    fn give_meta(&self, m: Option<&mut ObjectMeta>) {
        if let Some(m) = m {
            self.give(m.labels.take());
        }
    }

    /// A pod template's labels and the selectors of its affinity and spread constraints.
    fn give_pod(&self, t: &mut PodTemplateSpec) {
        self.give_meta(t.metadata.as_mut());
        let Some(spec) = t.spec.as_mut() else { return };
        if let Some(anti) = spec
            .affinity
            .as_mut()
            .and_then(|a| a.pod_anti_affinity.as_mut())
        {
            for term in anti
                .required_during_scheduling_ignored_during_execution
                .iter_mut()
                .flatten()
            {
                self.give_selector(term.label_selector.as_mut());
            }
            for w in anti
                .preferred_during_scheduling_ignored_during_execution
                .iter_mut()
                .flatten()
            {
                self.give_selector(w.pod_affinity_term.label_selector.as_mut());
            }
        }
        for c in spec.topology_spread_constraints.iter_mut().flatten() {
            self.give_selector(c.label_selector.as_mut());
        }
    }
}

/// An object whose label maps [`LabelMaps`] can take back once it is written.
trait GiveLabels {
    fn give_labels(&mut self, to: &LabelMaps);
    /// The object's metadata.
    fn meta_mut(&mut self) -> &mut ObjectMeta;
}

macro_rules! give_metadata_labels {
    ($($t:ty),*) => {$(
        impl GiveLabels for $t {
            fn give_labels(&mut self, to: &LabelMaps) {
                to.give_meta(Some(&mut self.metadata));
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    )*};
}

give_metadata_labels!(
    PersistentVolumeClaim,
    ServiceAccount,
    Secret,
    HorizontalPodAutoscaler,
    Role,
    RoleBinding,
    ConfigMap,
    Ingress,
    ExternalSecret,
    Namespace
);

impl GiveLabels for Deployment {
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        to.give_selector(Some(&mut self.spec.selector));
        to.give_pod(&mut self.spec.template);
    }
}

impl GiveLabels for StatefulSet {
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        let spec = &mut self.spec;
        to.give_selector(Some(&mut spec.selector));
        to.give_pod(&mut spec.template);
        for claim in spec.volume_claim_templates.iter_mut().flatten() {
            to.give_meta(Some(&mut claim.metadata));
        }
    }
}

impl GiveLabels for Service {
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        to.give(self.spec.as_mut().and_then(|s| s.selector.take()));
    }
}

impl GiveLabels for PodDisruptionBudget {
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        to.give_selector(self.spec.as_mut().and_then(|s| s.selector.as_mut()));
    }
}

impl GiveLabels for NetworkPolicy {
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        let Some(spec) = self.spec.as_mut() else {
            return;
        };
        to.give_selector(spec.pod_selector.as_mut());
        let ingress = spec
            .ingress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.from.iter_mut());
        let egress = spec
            .egress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.to.iter_mut());
        for peer in ingress.chain(egress).flatten() {
            to.give_selector(peer.pod_selector.as_mut());
        }
    }
}

impl GiveLabels for ServiceMonitor {
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        to.give_selector(Some(&mut self.spec.selector));
    }
}

fn meta(ctx: &Ctx, name: &str, component: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(ctx.namespace.clone()),
        labels: Some(labels(ctx, component)),
        ..Default::default()
    }
}

fn match_labels(l: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(l),
        ..Default::default()
    }
}

fn component_selector(ctx: &Ctx, component: &str) -> LabelSelector {
    match_labels(selector_labels(ctx, component))
}

/// A DNS-1123 label from arbitrary text (volume names).
fn dns_label(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "x".into()
    } else {
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Components: what the values say about each one

/// The image families whose containers need their own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    BitnamiPostgres,
    BitnamiRedis,
    BitnamiRabbitmq,
    Postgres,
    Redis,
    Qdrant,
    Kafka,
    Zookeeper,
    Frappe,
    App,
}

/// Split `repo[:tag]` at the tag's colon (a registry port's colon comes before a slash).
fn split_image(image: &str) -> (&str, Option<&str>) {
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (image, None),
    }
}

fn family(c: &Component) -> Family {
    let (repo, _) = split_image(&c.image);
    let bitnami = repo.contains("bitnami");
    let last = repo.rsplit('/').next().unwrap_or(repo);
    match last {
        "postgresql" if bitnami => Family::BitnamiPostgres,
        "redis" if bitnami => Family::BitnamiRedis,
        "rabbitmq" if bitnami => Family::BitnamiRabbitmq,
        "postgres" | "postgresql" | "timescaledb" => Family::Postgres,
        "redis" => Family::Redis,
        "qdrant" => Family::Qdrant,
        "cp-kafka" | "kafka" => Family::Kafka,
        "cp-zookeeper" | "zookeeper" => Family::Zookeeper,
        // cauldron-frappe runs Frappe's bench image (frappe/bench).
        "erpnext" | "frappe" => Family::Frappe,
        "bench" if repo.contains("frappe") => Family::Frappe,
        _ => Family::App,
    }
}

/// Where the image keeps its data (the first claim or the shared volume is mounted there).
fn data_path(f: Family) -> &'static str {
    match f {
        Family::BitnamiPostgres => "/bitnami/postgresql",
        Family::BitnamiRedis => "/bitnami/redis/data",
        Family::BitnamiRabbitmq => "/bitnami/rabbitmq/mnesia",
        Family::Postgres => "/var/lib/postgresql/data",
        Family::Redis => "/data",
        Family::Qdrant => "/qdrant/storage",
        Family::Kafka => "/var/lib/kafka/data",
        Family::Zookeeper => "/var/lib/zookeeper/data",
        Family::Frappe => "/home/frappe/frappe-bench/sites",
        Family::App => "/data",
    }
}

/// Where a claim template after the first is mounted (`values.claim_templates`).
fn claim_path(name: &str) -> String {
    match name {
        // Zookeeper's transaction log (cp-zookeeper's dataLogDir).
        "zookeeper-log" => "/var/lib/zookeeper/log".into(),
        // The Qdrant chart's snapshots volume.
        "qdrant-snapshots" => "/qdrant/snapshots".into(),
        // Bitnami Redis Sentinel's configuration volume.
        "sentinel-data" => "/opt/bitnami/redis-sentinel/etc".into(),
        other => format!("/mnt/{}", dns_label(other)),
    }
}

/// Replicas that must stay up for the system to keep a quorum (PDB minAvailable).
fn is_quorum(c: &Component) -> bool {
    matches!(
        family(c),
        Family::Zookeeper | Family::Kafka | Family::BitnamiRabbitmq
    )
}

/// The component's key in the values tree: the first segment of its image path (the Bitnami
/// subchart key), else of its resources path.
fn base(c: &Component) -> String {
    let v = &c.values;
    let p = v
        .image
        .as_deref()
        .filter(|p| p.contains('.'))
        .or(v.resources.as_deref())
        .unwrap_or("");
    p.split('.').next().unwrap_or("").to_string()
}

/// The values prefix of the component's own settings: the parent of its image map
/// (`database.postgresql` for `database.postgresql.image`, `frappe` for `frappe.image`), else of
/// its resources map (`web` for `web.resources`).
fn own_prefix(c: &Component) -> Option<&str> {
    let v = &c.values;
    v.image
        .as_deref()
        .and_then(|p| p.strip_suffix(".image"))
        .or_else(|| {
            v.resources
                .as_deref()
                .and_then(|r| r.strip_suffix(".resources"))
        })
}

/// The values prefix that holds the component's resources map's siblings (`web` for
/// `web.resources`, `consumers.ledgerWriter` for `consumers.ledgerWriter.resources`).
fn settings_prefix(c: &Component) -> Option<&str> {
    c.values
        .resources
        .as_deref()
        .and_then(|r| r.strip_suffix(".resources"))
}

/// Whether the component belongs to a chart installed from the chart's values under a subchart
/// key (Bitnami's PostgreSQL in cauldron-infra, RAE's PostgreSQL/Redis/Qdrant releases): the
/// chart's own pod settings do not reach it.
fn in_subchart(ctx: &Ctx, c: &Component) -> bool {
    c.values
        .image
        .as_deref()
        .or(c.values.resources.as_deref())
        .is_some_and(|p| ctx.chart.subchart_of(p).is_some())
}

/// The name of a component's workload and client Service: the workload the real chart renders
/// (catalog `workload` / `workload_when`), else `<release>-<component>`.
fn object_name(ctx: &Ctx, c: &Component) -> String {
    match c.workload_name(&ctx.values) {
        Some(n) => n.to_string(),
        None => format!("{}-{}", ctx.release, c.id),
    }
}

fn headless_name(name: &str) -> String {
    format!("{name}-headless")
}

/// The HPA of a component, as the plan reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hpa {
    min: i64,
    max: i64,
    cpu: Option<i64>,
    memory: Option<i64>,
}

/// A per-replica volume of a StatefulSet: a claim template, or what replaces it.
struct Claim {
    /// The claim template's (and the pod volume's) name.
    name: String,
    /// Where the main container mounts it.
    path: String,
    /// The claim's size; `None` while switched off or sized 0 (an emptyDir takes its place).
    size: Option<Quantity>,
    storage_class: Option<String>,
    /// An existing claim to mount instead of a template (Bitnami `existingClaim`).
    existing: Option<String>,
}

/// A container beside the main one (`values.sidecars`), while enabled.
struct Side<'a> {
    sc: &'a Sidecar,
    image: String,
    pull_policy: String,
    requests: BTreeMap<String, K8sQuantity>,
    limits: BTreeMap<String, K8sQuantity>,
}

/// One enabled component with the figures the plan counts.
struct Work<'a> {
    c: &'a Component,
    family: Family,
    name: String,
    /// spec.replicas: replicas, or the HPA minimum.
    replicas: i64,
    hpa: Option<Hpa>,
    requests: BTreeMap<String, K8sQuantity>,
    limits: BTreeMap<String, K8sQuantity>,
    /// Per-replica volumes: the persistence map's claim, then `values.claim_templates`.
    claims: Vec<Claim>,
    sidecars: Vec<Side<'a>>,
    image: String,
    pull_policy: String,
}

impl Work<'_> {
    /// Replicas at the HPA maximum (or spec.replicas).
    fn peak(&self) -> i64 {
        self.hpa.map_or(self.replicas, |h| h.max)
    }

    /// Whether a claim template holds the data (Redis's append-only file is then worth it).
    fn persisted(&self) -> bool {
        self.claims
            .first()
            .is_some_and(|c| c.size.is_some() || c.existing.is_some())
    }
}

fn k8s_q(q: Quantity) -> K8sQuantity {
    // `q.to_string()`: the Display of a quantity is its canonical text.
    K8sQuantity(q.canonical())
}

/// One container's requests and limits from the resources map at `res`, exactly as the plan
/// counts them: the explicit figures (a missing request defaults to the limit, as Kubernetes
/// does), or the Bitnami preset at `preset` when none is set.
fn container_resources(
    ctx: &Ctx,
    res: &str,
    preset: Option<&str>,
) -> (BTreeMap<String, K8sQuantity>, BTreeMap<String, K8sQuantity>) {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    let rc = ctx.quantity_at((res, "requests.cpu"));
    let rm = ctx.quantity_at((res, "requests.memory"));
    let lc = ctx.quantity_at((res, "limits.cpu"));
    let lm = ctx.quantity_at((res, "limits.memory"));
    let preset = preset
        .and_then(|p| ctx.get(p))
        .and_then(Value::as_str)
        .and_then(bitnami_preset);
    if let (true, Some((pr, pl))) = (
        rc.is_none() && rm.is_none() && lc.is_none() && lm.is_none(),
        preset,
    ) {
        // sizing-facts.md: Bitnami resourcesPreset table (bitnami/common _resources.tpl).
        requests.insert(
            "cpu".into(),
            k8s_q(Quantity::from_millis(pr.cpu_millicores)),
        );
        requests.insert(
            "memory".into(),
            k8s_q(Quantity::from_bytes(pr.memory_bytes)),
        );
        limits.insert(
            "cpu".into(),
            k8s_q(Quantity::from_millis(pl.cpu_millicores)),
        );
        limits.insert(
            "memory".into(),
            k8s_q(Quantity::from_bytes(pl.memory_bytes)),
        );
        return (requests, limits);
    }
    // As the chart writes them: a request left out stays out (the API server defaults it to
    // the limit, which is what the plan counts).
    for (key, q) in [("cpu", rc), ("memory", rm)] {
        if let Some(q) = q {
            requests.insert(key.to_string(), k8s_q(q));
        }
    }
    for (key, q) in [("cpu", lc), ("memory", lm)] {
        if let Some(q) = q {
            limits.insert(key.to_string(), k8s_q(q));
        }
    }
    (requests, limits)
}

/// `repository:tag` (with `registry/` first, Bitnami's layout) and the pull policy of the image
/// map at `path`; `fallback` (the catalog's image) when the map names no repository.
fn image_at(ctx: &Ctx, path: Option<&str>, fallback: &str) -> (String, String) {
    let mut image = fallback.to_string();
    let mut pull = None;
    if let Some(p) = path {
        let repo = ctx.text((p, "repository"));
        let (_, catalog_tag) = split_image(fallback);
        let tag = ctx.text((p, "tag")).or(catalog_tag.map(str::to_string));
        let registry = ctx.text((p, "registry"));
        if let Some(repo) = repo {
            image = match registry {
                Some(r) => format!("{r}/{repo}"),
                None => repo,
            };
            if let Some(t) = tag {
                image = format!("{image}:{t}");
            }
        }
        pull = ctx.text((p, "pullPolicy"));
    }
    let pull = pull
        .or_else(|| ctx.live_text("global.imagePullPolicy"))
        .unwrap_or_else(|| "IfNotPresent".into());
    (image, pull)
}

fn image_of(ctx: &Ctx, c: &Component) -> (String, String) {
    // Rhesis keeps its application images under `images.<component>`.
    let own = format!("images.{}", c.id);
    let path = c.values.image.as_deref().or_else(|| {
        lookup(&ctx.chart.values, &format!("{own}.repository"))
            .is_some()
            .then_some(own.as_str())
    });
    image_at(ctx, path, &c.image)
}

/// The per-replica volumes of a component, as the plan counts them: the persistence map's claim
/// (`data`; none with an existing claim), then each claim template.
fn claims(ctx: &Ctx, c: &Component, family: Family) -> Vec<Claim> {
    let v = &c.values;
    let mut out: Vec<Claim> = Vec::new();
    let next_path = |out: &Vec<Claim>, name: &str| {
        if out.is_empty() {
            data_path(family).to_string()
        } else {
            claim_path(name)
        }
    };
    if let (Persistence::PerReplica, Some(p)) = (&c.persistence, &v.persistence) {
        let on = ctx.bool_at((p, "enabled"), true);
        let existing = crate::catalog::existing_claim(&ctx.values, p).map(str::to_string);
        let path = next_path(&out, "data");
        out.push(Claim {
            name: "data".into(),
            path,
            size: if on && existing.is_none() {
                ctx.quantity_at((p, "size")).filter(|q| q.value() > 0)
            } else {
                None
            },
            storage_class: storage_class(ctx, Some(p)),
            existing: existing.filter(|_| on),
        });
    }
    for t in &v.claim_templates {
        let on = t.is_on(&ctx.values);
        let path = next_path(&out, &t.name);
        let storage_class = t
            .storage_class
            .as_deref()
            .and_then(|p| ctx.text(p))
            .or_else(|| ctx.text("global.storageClass"));
        out.push(Claim {
            name: dns_label(&t.name),
            path,
            size: if on {
                ctx.quantity_at(t.size.as_str()).filter(|q| q.value() > 0)
            } else {
                None
            },
            storage_class,
            existing: None,
        });
    }
    out
}

/// The component's sidecars that are on, with their figures (as the plan counts them).
fn sidecars<'a>(ctx: &Ctx, c: &'a Component, main_image: &str) -> Vec<Side<'a>> {
    let mut out = Vec::new();
    for sc in c.values.sidecars.iter().filter(|sc| sc.is_on(&ctx.values)) {
        let (requests, limits) = match &sc.resources {
            Some(res) => container_resources(ctx, res, None),
            None => Default::default(),
        };
        // The exporter's image map sits beside its resources (`metrics.image`).
        let image_path = sc
            .resources
            .as_deref()
            .and_then(|r| r.strip_suffix(".resources"))
            .map(|p| format!("{p}.image"));
        let (image, pull_policy) = image_at(ctx, image_path.as_deref(), main_image);
        out.push(Side {
            sc,
            image,
            pull_policy,
            requests,
            limits,
        });
    }
    out
}

fn work<'a>(ctx: &Ctx, c: &'a Component) -> Work<'a> {
    let v = &c.values;
    let replicas = match (&v.replicas, v.replicas_fixed) {
        (Some(p), _) => ctx.count_at(p, 1),
        (None, Some(n)) => n,
        (None, None) => 1,
    };
    let hpa = v.autoscaling.as_ref().and_then(|a| {
        if !ctx.bool_at((a, "enabled"), false) {
            return None;
        }
        // As the plan reads them (and the charts render them): a minimum left out or under 1
        // is 1; a maximum as written, even below the minimum (which the review flags).
        let min = ctx.count_at((a, "minReplicas"), 1).max(1);
        let max = ctx.count_at((a, "maxReplicas"), min);
        // Bitnami's Redis names its targets targetCPU / targetMemory.
        Some(Hpa {
            min,
            max,
            cpu: ctx
                .int_at((a, "targetCPUUtilizationPercentage"))
                .or_else(|| ctx.int_at((a, "targetCPU"))),
            memory: ctx
                .int_at((a, "targetMemoryUtilizationPercentage"))
                .or_else(|| ctx.int_at((a, "targetMemory"))),
        })
    });
    let (requests, limits) = match &v.resources {
        Some(res) => container_resources(ctx, res, v.resources_preset.as_deref()),
        None => Default::default(),
    };
    let family = family(c);
    let (image, pull_policy) = image_of(ctx, c);
    Work {
        c,
        family,
        name: object_name(ctx, c),
        replicas: hpa.map_or(replicas, |h| h.min),
        hpa,
        requests,
        limits,
        claims: claims(ctx, c, family),
        sidecars: sidecars(ctx, c, &image),
        image,
        pull_policy,
    }
}

fn i32_of(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(if n < 0 { 0 } else { i32::MAX })
}

fn storage_class(ctx: &Ctx, persistence_path: Option<&str>) -> Option<String> {
    persistence_path
        .and_then(|p| ctx.text((p, "storageClass")))
        .or_else(|| ctx.text("global.storageClass"))
}

// ---------------------------------------------------------------------------------------------
// Containers

fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.into()),
        ..Default::default()
    }
}

fn env_secret(name: &str, r: &SecretRef) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: r.name.clone(),
                key: r.key.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn env_field(name: &str, field: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: field.to_string(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn empty_dir(name: &str, memory: bool) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: memory.then(|| "Memory".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        ..Default::default()
    }
}

fn read_only_mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        read_only: Some(true),
        ..mount(name, path)
    }
}

fn config_map_volume(name: &str, config_map: &str, mode: Option<i32>) -> Volume {
    Volume {
        name: name.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.to_string(),
            default_mode: mode,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn secret_volume(name: &str, secret: &str) -> Volume {
    Volume {
        name: name.to_string(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.to_string()),
            default_mode: Some(0o440),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A catalog probe as a Kubernetes probe; `{{ .Values.<path> }}` in an `exec` argument becomes
/// the value in effect (shell-quoted unless it is a plain word).
fn probe(ctx: &Ctx, c: &Component, p: &CatalogProbe, liveness: bool, timeout: i32) -> Probe {
    let port_of = |name: &str| match name.parse::<i32>() {
        Ok(n) if !c.ports.iter().any(|x| x.name == name) => IntOrString::Int(n),
        _ => IntOrString::String(name.to_string()),
    };
    // A chart whose templates are known writes its own timings (the catalog's); else Tonnage's.
    let mut pr = if ctx.chart.render().is_some() {
        plain::probe_timings(p)
    } else {
        Probe {
            initial_delay_seconds: Some(if liveness { 30 } else { 5 }),
            period_seconds: Some(10),
            timeout_seconds: Some(timeout),
            failure_threshold: Some(if liveness { 6 } else { 3 }),
            ..Default::default()
        }
    };
    if let Some(path) = &p.http_get {
        let port = p
            .port
            .as_deref()
            .or(c.ports.first().map(|x| x.name.as_str()))
            .unwrap_or("http");
        pr.http_get = Some(HTTPGetAction {
            path: Some(path.clone()),
            port: port_of(port),
            scheme: p.scheme.clone(),
            ..Default::default()
        });
    } else if let Some(port) = &p.tcp_socket {
        pr.tcp_socket = Some(TCPSocketAction {
            port: port_of(port),
            ..Default::default()
        });
    } else if let Some(cmd) = &p.exec {
        pr.exec = Some(ExecAction {
            command: Some(cmd.iter().map(|a| fill_values(ctx, a)).collect()),
        });
    }
    pr
}

/// `text` with each `{{ .Values.<path> }}` replaced by the value in effect (see
/// [`crate::catalog::value_refs`]; the catalog's tests check the paths).
fn fill_values(ctx: &Ctx, text: &str) -> String {
    if !text.contains("{{") {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let (Some(i), Some(j)) = (rest.find("{{"), rest.find("}}")) {
        if j < i {
            break;
        }
        out.push_str(&rest[..i]);
        let inner = rest[i + 2..j].trim();
        let v = inner
            .strip_prefix(".Values.")
            .and_then(|p| ctx.text(p))
            .unwrap_or_default();
        let plain = !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:/".contains(&b));
        out.push_str(&if plain { v } else { sh_quote(&v) });
        rest = &rest[j + 2..];
    }
    out.push_str(rest);
    out
}

/// The restricted container security context, where the catalog's `security` allows it.
fn container_security(ctx: &Ctx, c: &Component) -> SecurityContext {
    let mut sc = SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    if let Some(s) = &c.security {
        if let Some(uid) = s.run_as_user {
            sc.run_as_non_root = Some(true);
            sc.run_as_user = Some(uid);
        }
        sc.read_only_root_filesystem = Some(read_only_root(ctx, c));
    }
    sc
}

/// The root filesystem is read-only when the image allows it and the chart does not switch it
/// off (`securityContext.readOnlyRootFilesystem`, RAE's own pods; not its releases' pods).
fn read_only_root(ctx: &Ctx, c: &Component) -> bool {
    c.security
        .as_ref()
        .is_some_and(|s| s.read_only_root_filesystem)
        && (in_subchart(ctx, c) || ctx.bool_at("securityContext.readOnlyRootFilesystem", true))
}

fn pod_security(c: &Component) -> PodSecurityContext {
    let mut sc = PodSecurityContext {
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    if let Some(s) = &c.security {
        if let Some(uid) = s.run_as_user {
            sc.run_as_non_root = Some(true);
            sc.run_as_user = Some(uid);
        }
        sc.fs_group = s.fs_group;
    }
    sc
}

/// Small fixed resources for the init containers: below every main container, so the pod's
/// effective request (max of the largest init container and the sum of the main containers)
/// is the main containers' sum the plan counts.
fn init_resources() -> ResourceRequirements {
    let q = |s: &str| K8sQuantity(s.to_string());
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), q("10m")),
            ("memory".to_string(), q("16Mi")),
        ])),
        limits: Some(BTreeMap::from([
            ("cpu".to_string(), q("50m")),
            ("memory".to_string(), q("32Mi")),
        ])),
        ..Default::default()
    }
}

/// What a component's container and pod need beyond the common parts.
#[derive(Default)]
struct Extras {
    env: Vec<EnvVar>,
    env_from: Vec<EnvFromSource>,
    command: Option<Vec<String>>,
    args: Option<Vec<String>>,
    volumes: Vec<Volume>,
    mounts: Vec<VolumeMount>,
    init: Vec<Container>,
    /// A ServiceAccount of its own (with RBAC): its token is mounted.
    service_account: Option<String>,
    /// The main container's lifecycle hooks (the Qdrant chart's preStop).
    lifecycle: Option<Lifecycle>,
    /// Probes for a component the catalog gives none (it serves no port): used only where the
    /// catalog's `probes` has no entry.
    liveness: Option<Probe>,
    readiness: Option<Probe>,
}

/// An `env` list of the values (`memoryApi.env`, Rhesis's `backend.env`...) as the chart passes
/// it through: entries with a name and a value or a `valueFrom`; malformed entries are left out.
fn env_list(ctx: &Ctx, path: &str) -> Vec<EnvVar> {
    ctx.list(path)
        .into_iter()
        .filter_map(|e| {
            let name = entry(e, "name").and_then(scalar_text)?;
            if let Some(from) = entry(e, "valueFrom") {
                let from: EnvVarSource = serde_yaml::from_value(from.clone()).ok()?;
                return Some(EnvVar {
                    name,
                    value_from: Some(from),
                    ..Default::default()
                });
            }
            Some(EnvVar {
                name,
                value: entry(e, "value").and_then(scalar_text),
                ..Default::default()
            })
        })
        .collect()
}

/// Where a plain PostgreSQL or Redis image (the chart's own templates or manifests) reads its
/// password when the values name no existing Secret: the chart's own Secret and key.
fn own_password(ctx: &Ctx, c: &Component, family: Family) -> SecretRef {
    let (name, key) = match (ctx.chart.id.as_str(), family) {
        // k8s/v03/secret.yaml: Secret caracal-secrets, keys DB_PASSWORD and REDIS_PASSWORD.
        ("caracal", Family::Redis) => ("caracal-secrets".to_string(), "REDIS_PASSWORD"),
        ("caracal", _) => ("caracal-secrets".to_string(), "DB_PASSWORD"),
        // templates/secret.yaml: Secret cauldron-secrets, TimescaleDB's key timescale-password.
        ("cauldron-infra", Family::Postgres) => {
            ("cauldron-secrets".to_string(), "timescale-password")
        }
        (_, Family::Redis) => (format!("{}-{}", ctx.release, c.id), "redis-password"),
        _ => (format!("{}-{}", ctx.release, c.id), "postgresql-password"),
    };
    SecretRef {
        name,
        key: key.into(),
    }
}

/// A plain image's password: the existing Secret at `<prefix>.auth.existingSecret` (its key at
/// `<prefix>.auth.secretKeys.password`, Rhesis), else the chart's own Secret (with a placeholder).
fn plain_password(ctx: &Ctx, sink: &mut Sink, c: &Component, family: Family) -> SecretRef {
    let own = own_password(ctx, c, family);
    let p = own_prefix(c).unwrap_or_default();
    if let Some(name) = ctx.text((p, "auth.existingSecret")) {
        let key = ctx.text((p, "auth.secretKeys.password")).unwrap_or(own.key);
        return SecretRef { name, key };
    }
    credential(ctx, sink, None, None, &own.name, &own.key, PLACEHOLDER)
}

fn extras(ctx: &Ctx, sink: &mut Sink, w: &Work) -> Extras {
    let c = w.c;
    let b = base(c);
    let mut x = Extras::default();
    // The Service that names the pods: the workload's own where it has one.
    let pods_service = match own_service(c) {
        Some(_) => w.name.clone(),
        None => headless_name(&w.name),
    };
    let headless = format!("{pods_service}.{}.svc.cluster.local", ctx.namespace);
    match w.family {
        Family::BitnamiPostgres => {
            let secret_name = format!("{}-{b}", ctx.release);
            let existing = format!("{b}.auth.existingSecret");
            let cred = |sink: &mut Sink, key: &str| {
                credential(
                    ctx,
                    sink,
                    Some(&existing),
                    None,
                    &secret_name,
                    key,
                    PLACEHOLDER,
                )
            };
            x.env.push(env("BITNAMI_DEBUG", "false"));
            x.env.push(env("POSTGRESQL_PORT_NUMBER", "5432"));
            x.env
                .push(env("POSTGRESQL_VOLUME_DIR", data_path(w.family)));
            x.env.push(env("PGDATA", "/bitnami/postgresql/data"));
            let pg = cred(sink, "postgres-password");
            x.env.push(env_secret("POSTGRES_POSTGRES_PASSWORD", &pg));
            if let Some(u) = ctx.text((&b, "auth.username")) {
                x.env.push(env("POSTGRES_USER", u));
                let p = cred(sink, "password");
                x.env.push(env_secret("POSTGRES_PASSWORD", &p));
            }
            if let Some(d) = ctx.text((&b, "auth.database")) {
                x.env.push(env("POSTGRES_DATABASE", d));
            }
            let read = c.id.ends_with("-read");
            if ctx.text((&b, "architecture")).as_deref() == Some("replication") {
                x.env.push(env(
                    "POSTGRES_REPLICATION_MODE",
                    if read { "slave" } else { "master" },
                ));
                if let Some(u) = ctx.text((&b, "auth.replicationUsername")) {
                    x.env.push(env("POSTGRES_REPLICATION_USER", u));
                }
                let rp = cred(sink, "replication-password");
                x.env.push(env_secret("POSTGRES_REPLICATION_PASSWORD", &rp));
                if read {
                    let primary = depends_on_family(ctx, c, Family::BitnamiPostgres)
                        .map(|p| object_name(ctx, p))
                        .unwrap_or_default();
                    x.env.push(env("POSTGRES_MASTER_HOST", primary));
                    x.env.push(env("POSTGRES_MASTER_PORT_NUMBER", "5432"));
                }
            }
            // The primary runs /docker-entrypoint-initdb.d on its first start: the ConfigMap
            // `primary.initdb.scriptsConfigMap` names (cauldron-infra: postgres-init-scripts,
            // its own template), else Bitnami's own from `primary.initdb.scripts` (RAE).
            if !read {
                if let Some(cm) = bitnami_init_scripts(ctx, &b).map(|(name, _)| name) {
                    x.volumes
                        .push(config_map_volume("custom-init-scripts", &cm, None));
                    x.mounts.push(read_only_mount(
                        "custom-init-scripts",
                        "/docker-entrypoint-initdb.d",
                    ));
                }
            }
        }
        Family::BitnamiRedis => {
            x.env.push(env("BITNAMI_DEBUG", "false"));
            x.env.push(env("REDIS_PORT_NUMBER", "6379"));
            let auth = ctx.bool_at((&b, "auth.enabled"), true);
            let secret = if auth {
                Some(credential(
                    ctx,
                    sink,
                    Some(&format!("{b}.auth.existingSecret")),
                    Some(&format!("{b}.auth.existingSecretPasswordKey")),
                    &format!("{}-{b}", ctx.release),
                    "redis-password",
                    PLACEHOLDER,
                ))
            } else {
                None
            };
            x.env
                .push(env("ALLOW_EMPTY_PASSWORD", if auth { "no" } else { "yes" }));
            if let Some(s) = &secret {
                x.env.push(env_secret("REDIS_PASSWORD", s));
            }
            match depends_on_family(ctx, c, Family::BitnamiRedis) {
                Some(master) => {
                    let m = object_name(ctx, master);
                    x.env.push(env("REDIS_REPLICATION_MODE", "replica"));
                    x.env.push(env(
                        "REDIS_MASTER_HOST",
                        format!(
                            "{m}-0.{}.{}.svc.cluster.local",
                            headless_name(&m),
                            ctx.namespace
                        ),
                    ));
                    x.env.push(env("REDIS_MASTER_PORT_NUMBER", "6379"));
                    if let Some(s) = &secret {
                        x.env.push(env_secret("REDIS_MASTER_PASSWORD", s));
                    }
                }
                None => x.env.push(env("REDIS_REPLICATION_MODE", "master")),
            }
        }
        Family::BitnamiRabbitmq => {
            let secret_name = format!("{}-{b}", ctx.release);
            let pw = credential(
                ctx,
                sink,
                Some(&format!("{b}.auth.existingPasswordSecret")),
                None,
                &secret_name,
                "rabbitmq-password",
                PLACEHOLDER,
            );
            let cookie = credential(
                ctx,
                sink,
                Some(&format!("{b}.auth.existingErlangSecret")),
                None,
                &secret_name,
                "rabbitmq-erlang-cookie",
                PLACEHOLDER,
            );
            x.env.push(env("BITNAMI_DEBUG", "false"));
            x.env.push(env_field("MY_POD_NAME", "metadata.name"));
            x.env
                .push(env_field("MY_POD_NAMESPACE", "metadata.namespace"));
            x.env.push(env("K8S_SERVICE_NAME", headless_name(&w.name)));
            x.env.push(env(
                "K8S_ADDRESS_TYPE",
                ctx.text((&b, "clustering.addressType"))
                    .unwrap_or_else(|| "hostname".into()),
            ));
            x.env.push(env(
                "RABBITMQ_FORCE_BOOT",
                if ctx.bool_at((&b, "clustering.forceBoot"), false) {
                    "yes"
                } else {
                    "no"
                },
            ));
            x.env.push(env(
                "RABBITMQ_NODE_NAME",
                format!(
                    "rabbit@$(MY_POD_NAME).{}.$(MY_POD_NAMESPACE).svc.cluster.local",
                    headless_name(&w.name)
                ),
            ));
            x.env.push(env("RABBITMQ_USE_LONGNAME", "true"));
            if let Some(ph) = ctx.text((&b, "clustering.partitionHandling")) {
                x.env.push(env("RABBITMQ_CLUSTER_PARTITION_HANDLING", ph));
            }
            if let Some(u) = ctx.text((&b, "auth.username")) {
                x.env.push(env("RABBITMQ_USERNAME", u));
            }
            x.env.push(env_secret("RABBITMQ_PASSWORD", &pw));
            x.env.push(env_secret("RABBITMQ_ERL_COOKIE", &cookie));
            let mut plugins = vec!["rabbitmq_management", "rabbitmq_peer_discovery_k8s"];
            if ctx.bool_at((&b, "metrics.enabled"), false) {
                plugins.push("rabbitmq_prometheus");
            }
            x.env.push(env("RABBITMQ_PLUGINS", plugins.join(",")));
            if ctx.bool_at((&b, "clustering.enabled"), true) {
                // Peer discovery reads the headless Service's endpoints: RBAC and a token.
                x.service_account = Some(w.name.clone());
            }
        }
        Family::Postgres => {
            let p = own_prefix(c).unwrap_or_default();
            let user = ctx
                .text((p, "auth.username"))
                .unwrap_or_else(|| "postgres".into());
            let pw = plain_password(ctx, sink, c, w.family);
            x.env.push(env("POSTGRES_USER", user));
            x.env.push(env_secret("POSTGRES_PASSWORD", &pw));
            if let Some(d) = ctx.text((p, "auth.database")) {
                x.env.push(env("POSTGRES_DB", d));
            }
            // A subdirectory, so a fresh volume's lost+found does not stop initdb.
            x.env.push(env("PGDATA", "/var/lib/postgresql/data/pgdata"));
        }
        Family::Redis => {
            let p = own_prefix(c).unwrap_or_default();
            // Rhesis switches the password with `redis.auth.enabled`; Caracal's values only
            // carry one (`redis.auth.password`); cauldron-infra's Frappe instances have none.
            let auth = match ctx.get((p, "auth.enabled")) {
                Some(_) => ctx.bool_at((p, "auth.enabled"), false),
                None => ctx.has((p, "auth.password")) || ctx.has((p, "auth.existingSecret")),
            };
            let mut args = Vec::new();
            if auth {
                let pw = plain_password(ctx, sink, c, w.family);
                x.env.push(env_secret("REDIS_PASSWORD", &pw));
                args.push("--requirepass".to_string());
                args.push("$(REDIS_PASSWORD)".to_string());
            }
            if w.persisted() {
                args.push("--appendonly".into());
                args.push("yes".into());
            }
            if !args.is_empty() {
                x.args = Some(args);
            }
        }
        Family::Qdrant => {
            x.env.push(env("QDRANT__SERVICE__HTTP_PORT", "6333"));
            x.env.push(env("QDRANT__SERVICE__GRPC_PORT", "6334"));
            if read_only_root(ctx, c) {
                // Qdrant writes its init marker into the working directory unless told.
                x.env
                    .push(env("QDRANT_INIT_FILE_PATH", "/tmp/.qdrant-initialized"));
            }
        }
        Family::Kafka => {
            if let Some(zk) = ctx
                .chart
                .components
                .iter()
                .find(|z| family(z) == Family::Zookeeper)
            {
                x.env.push(env(
                    "KAFKA_ZOOKEEPER_CONNECT",
                    format!("{}:2181", object_name(ctx, zk)),
                ));
            }
            x.env
                .push(env("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:9092"));
            x.env
                .push(env("KAFKA_LOG_DIRS", "/var/lib/kafka/data/logs"));
            if let Some(Value::Mapping(m)) = ctx.get((&b, "config")) {
                for (k, v) in m {
                    if let (Some(k), Some(v)) = (k.as_str(), scalar_text(v)) {
                        x.env.push(env(&format!("KAFKA_{}", screaming_snake(k)), v));
                    }
                }
            }
            let script = format!(
                "export KAFKA_BROKER_ID=\"${{HOSTNAME##*-}}\" \
                 KAFKA_ADVERTISED_LISTENERS=\"PLAINTEXT://${{HOSTNAME}}.{headless}:9092\" && \
                 exec /etc/confluent/docker/run"
            );
            x.command = Some(vec!["sh".into(), "-c".into(), script]);
        }
        Family::Zookeeper => {
            x.env.push(env("ZOOKEEPER_CLIENT_PORT", "2181"));
            x.env.push(env("ZOOKEEPER_TICK_TIME", "2000"));
            x.env.push(env("ZOOKEEPER_INIT_LIMIT", "5"));
            x.env.push(env("ZOOKEEPER_SYNC_LIMIT", "2"));
            let n = w.replicas.clamp(1, 255);
            let servers: Vec<String> = (0..n)
                .map(|i| format!("{}-{i}.{headless}:2888:3888", w.name))
                .collect();
            x.env.push(env("ZOOKEEPER_SERVERS", servers.join(";")));
            let script = "export ZOOKEEPER_SERVER_ID=$(( ${HOSTNAME##*-} + 1 )) && \
                          exec /etc/confluent/docker/run"
                .to_string();
            x.command = Some(vec!["sh".into(), "-c".into(), script]);
        }
        // Its env and init containers: the chart's module; its ConfigMap's mounts and the
        // command: the catalog's `render` (the templates').
        Family::Frappe => {}
        Family::App => {
            if let Some(p) = own_prefix(c) {
                x.env = env_list(ctx, &format!("{p}.env"));
            }
        }
    }
    if let Some(m) = chart_module(&ctx.chart.id) {
        m.workload(ctx, c, &mut x);
    }
    if let Some(r) = c.render() {
        template_env(ctx, r, &mut x);
    }
    x
}

/// The environment, `envFrom` and ConfigMap volumes as the chart's template writes them
/// (catalog `render`): the template's own entries replace Tonnage's, text the chart's authors
/// wrote is a placeholder naming its template.
fn template_env(ctx: &Ctx, r: &ComponentRender, x: &mut Extras) {
    if let Some(entries) = &r.env {
        x.env = template_env_list(ctx, entries);
        if let Some(p) = &r.env_values {
            x.env.extend(env_list(ctx, p));
        }
    }
    // Given, they replace the module's (RAE's Celery worker loads a ConfigMap no key names).
    if !r.env_from.is_empty() {
        x.env_from = env_from(ctx, r);
    }
    if !r.config_volumes.is_empty() {
        x.volumes.clear();
        x.mounts.clear();
    }
    for v in &r.config_volumes {
        let name = v.config_map.replace("{release}", &ctx.release);
        x.volumes.push(config_map_volume(&v.name, &name, v.mode));
        x.mounts
            .extend(v.path.as_deref().map(|p| mount(&v.name, p)));
        for m in &v.mounts {
            x.mounts.push(VolumeMount {
                sub_path: Some(m.sub_path.clone()),
                ..mount(&v.name, &m.path)
            });
        }
    }
    for d in &r.empty_dirs {
        x.volumes.push(empty_dir(&d.name, false));
        x.mounts.push(mount(&d.name, &d.path));
    }
    if r.command.is_some() {
        x.command.clone_from(&r.command);
        x.args.clone_from(&r.args);
    }
    if let Some(p) = &r.command_inline {
        x.command = ctx.get(p.as_str()).map(inline_list);
        x.args.clone_from(&r.args);
    }
    for init in &mut x.init {
        if let Some(entries) = r.init_env.get(&init.name) {
            init.env = Some(template_env_list(ctx, entries)).filter(|e| !e.is_empty());
            init.resources = None;
        }
    }
}

/// The `envFrom` sources of the catalog's `render.env_from` that the values name.
fn env_from(ctx: &Ctx, r: &ComponentRender) -> Vec<EnvFromSource> {
    r.env_from
        .iter()
        .filter_map(|f| {
            let literal = f.config_map.clone();
            if let Some(name) =
                literal.or_else(|| f.config_map_at.as_ref().and_then(|p| ctx.text(p)))
            {
                return Some(EnvFromSource {
                    config_map_ref: Some(ConfigMapEnvSource {
                        name,
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            let name = f.secret_at.as_ref().and_then(|p| ctx.text(p))?;
            Some(EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name,
                    ..Default::default()
                }),
                ..Default::default()
            })
        })
        .collect()
}

/// A values list as a template prints it inline (`command: {{ .Values.x }}`): Go writes
/// `[a b c]`, which YAML reads as a flow list: one item, the words joined by spaces (more
/// where a word holds a comma). A scalar is one item.
fn inline_list(v: &Value) -> Vec<String> {
    let joined = match v {
        Value::Sequence(items) => items
            .iter()
            .map(|i| scalar_text(i).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" "),
        v => return scalar_text(v).into_iter().collect(),
    };
    joined
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Environment entries as the chart's template writes them (catalog `render.env`).
fn template_env_list(ctx: &Ctx, entries: &[EnvEntry]) -> Vec<EnvVar> {
    let key_ref = |k: &KeyRef| {
        let name = match (&k.name_at, &k.name) {
            (Some(p), _) => ctx.text(p)?,
            (None, Some(n)) => n.clone(),
            (None, None) => return None,
        };
        let key = match (&k.key_at, &k.key) {
            (Some(p), _) => ctx.text(p)?,
            (None, Some(k)) => k.clone(),
            (None, None) => return None,
        };
        Some((name, key))
    };
    entries
        .iter()
        .filter_map(|e| {
            if let Some(v) = &e.value {
                return Some(env(&e.name, v.as_str()));
            }
            if let Some(p) = &e.values {
                return Some(env(&e.name, ctx.text(p).unwrap_or_default()));
            }
            if let Some(t) = &e.template {
                return Some(env(&e.name, template_placeholder(t)));
            }
            if let Some(f) = &e.field {
                return Some(env_field(&e.name, f));
            }
            if let Some(p) = &e.pods {
                let n = ctx.count_at(p.count.as_str(), 1).clamp(1, 255);
                let list: Vec<String> = (0..n)
                    .map(|i| format!("{}{i}{}", p.prefix, p.suffix))
                    .collect();
                return Some(env(&e.name, list.join(&p.sep)));
            }
            if let Some((name, key)) = e.secret.as_ref().and_then(key_ref) {
                return Some(env_secret(&e.name, &SecretRef { name, key }));
            }
            let (name, key) = e.config_map.as_ref().and_then(key_ref)?;
            Some(EnvVar {
                name: e.name.clone(),
                value_from: Some(EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name,
                        key,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            })
        })
        .collect()
}

/// The one-line value that stands for text the chart's authors wrote in a template: the
/// bundle's render.sh prints the real value with `helm template`.
pub fn template_placeholder(template: &str) -> String {
    format!("(written by the chart's {template}: run render.sh for the complete value)")
}

/// The component of `family` that `c` depends on in the same chart (a replica's primary).
fn depends_on_family<'a>(ctx: &Ctx<'a>, c: &Component, family_of: Family) -> Option<&'a Component> {
    c.depends_on
        .iter()
        .filter_map(|d| ctx.chart.component(d))
        .find(|d| family(d) == family_of)
}

fn screaming_snake(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_uppercase() && !out.is_empty() {
            out.push('_');
        }
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_uppercase());
        } else {
            out.push('_');
        }
    }
    out
}

/// The kebab-case of a camelCase key (`openaiApiKey` -> `openai-api-key`).
fn kebab(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_uppercase() && !out.is_empty() {
            out.push('-');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// The init-scripts ConfigMap a Bitnami PostgreSQL primary mounts, and whether Bitnami renders
/// it itself: `<key>.primary.initdb.scriptsConfigMap` (another template's, `false`), else
/// `<fullname>-init-scripts` from a non-empty `<key>.primary.initdb.scripts` (`true`).
fn bitnami_init_scripts(ctx: &Ctx, b: &str) -> Option<(String, bool)> {
    if let Some(name) = ctx.text((b, "primary.initdb.scriptsConfigMap")) {
        return Some((name, false));
    }
    match ctx.get((b, "primary.initdb.scripts")) {
        Some(Value::Mapping(m)) if !m.is_empty() => {
            Some((format!("{}-{b}-init-scripts", ctx.release), true))
        }
        _ => None,
    }
}

/// Shared volumes in effect: volume id -> the claim to mount (None: an emptyDir). The claim is
/// the standalone PersistentVolumeClaim the chart renders (catalog `claim`, else
/// `<release>-<volume>`), created while a user is enabled and the volume's `enabled` holds.
fn shared_claims(ctx: &Ctx, works: &[Work], sink: &mut Sink) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    for vol in &ctx.chart.volumes {
        let users: Vec<&Work> = works
            .iter()
            .filter(|w| vol.used_by.contains(&w.c.id))
            .collect();
        if users.is_empty() {
            continue;
        }
        let on = ctx.bool_at((&vol.values, "enabled"), true);
        let size = ctx
            .quantity_at((&vol.values, "size"))
            .filter(|q| q.value() > 0);
        let claim = match (on, size) {
            (true, Some(size)) => {
                let name = vol
                    .claim
                    .clone()
                    .unwrap_or_else(|| format!("{}-{}", ctx.release, vol.id));
                let mode = ctx
                    .text((&vol.values, "accessMode"))
                    .unwrap_or_else(|| "ReadWriteOnce".into());
                let pvc = PersistentVolumeClaim {
                    metadata: meta(ctx, &name, Some(&vol.id)),
                    spec: Some(PersistentVolumeClaimSpec {
                        access_modes: Some(vec![mode]),
                        storage_class_name: storage_class(ctx, Some(&vol.values)),
                        resources: Some(VolumeResourceRequirements {
                            requests: Some(BTreeMap::from([("storage".to_string(), k8s_q(size))])),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                sink.push("PersistentVolumeClaim", &name, pvc);
                Some(name)
            }
            // The chart's pods mount its claim even when it does not render it (they stay
            // Pending: review rule `claim-not-rendered`).
            _ if vol.always_mounted => vol.claim.clone(),
            _ => None,
        };
        out.insert(vol.id.clone(), claim);
    }
    out
}
fn pod_affinity(ctx: &Ctx, w: &Work) -> (Option<Affinity>, Option<Vec<TopologySpreadConstraint>>) {
    if w.peak() <= 1 {
        return (None, None);
    }
    let term = PodAffinityTerm {
        label_selector: Some(component_selector(ctx, &w.c.id)),
        topology_key: "kubernetes.io/hostname".into(),
        ..Default::default()
    };
    let anti = match w.c.anti_affinity() {
        AntiAffinity::Required => PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![term]),
            ..Default::default()
        },
        AntiAffinity::Preferred => PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: term,
                },
            ]),
            ..Default::default()
        },
    };
    let spread = TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "topology.kubernetes.io/zone".into(),
        when_unsatisfiable: "ScheduleAnyway".into(),
        label_selector: Some(component_selector(ctx, &w.c.id)),
        ..Default::default()
    };
    (
        Some(Affinity {
            pod_anti_affinity: Some(anti),
            ..Default::default()
        }),
        Some(vec![spread]),
    )
}

/// The pod template of a component (and the claim templates of a StatefulSet).
fn pod_template(
    ctx: &Ctx,
    sink: &mut Sink,
    w: &Work,
    shared: &BTreeMap<String, Option<String>>,
) -> (PodTemplateSpec, Vec<PersistentVolumeClaim>) {
    let c = w.c;
    let mut x = extras(ctx, sink, w);
    let mut volumes = std::mem::take(&mut x.volumes);
    let mut mounts = std::mem::take(&mut x.mounts);
    let mut templates = Vec::new();

    // Per-replica volumes: a claim template each, an existing claim, or (off) an emptyDir: the
    // data then lives as long as the pod.
    for claim in &w.claims {
        mounts.push(mount(&claim.name, &claim.path));
        match (&claim.existing, claim.size) {
            (Some(existing), _) => volumes.push(Volume {
                name: claim.name.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: existing.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            (None, Some(size)) if c.kind == WorkloadKind::StatefulSet => {
                templates.push(PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        name: Some(claim.name.clone()),
                        labels: Some(selector_labels(ctx, &c.id)),
                        ..Default::default()
                    },
                    spec: Some(PersistentVolumeClaimSpec {
                        access_modes: Some(vec!["ReadWriteOnce".into()]),
                        storage_class_name: claim.storage_class.clone(),
                        resources: Some(VolumeResourceRequirements {
                            requests: Some(BTreeMap::from([("storage".to_string(), k8s_q(size))])),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            _ => volumes.push(empty_dir(&claim.name, false)),
        }
    }
    if let Persistence::Shared(id) = &c.persistence {
        let r = c.render();
        let name = r
            .and_then(|r| r.data_volume.clone())
            .unwrap_or_else(|| dns_label(id));
        mounts.push(VolumeMount {
            sub_path: r.and_then(|r| r.data_sub_path.clone()),
            ..mount(&name, data_path(w.family))
        });
        volumes.push(match shared.get(id).cloned().flatten() {
            Some(claim) => Volume {
                name: name.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim,
                    ..Default::default()
                }),
                ..Default::default()
            },
            None => empty_dir(&name, false),
        });
    }

    // Writable paths of a read-only root filesystem: an emptyDir each.
    if read_only_root(ctx, c) {
        if let Some(s) = &c.security {
            for p in &s.writable_paths {
                if mounts.iter().any(|m| &m.mount_path == p) {
                    continue;
                }
                let name = format!("w-{}", dns_label(p));
                let name: String = name.chars().take(63).collect();
                if volumes.iter().any(|v| v.name == name) {
                    continue;
                }
                volumes.push(empty_dir(&name, p == "/dev/shm"));
                mounts.push(mount(&name, p));
            }
        }
    }

    let timeout = if ctx.chart.id == "rhesis" {
        10 // Rhesis guide, Key Optimizations: probe timeouts raised from 1s to 10s.
    } else {
        5
    };
    let ports: Vec<ContainerPort> = c
        .ports
        .iter()
        .map(|p| ContainerPort {
            name: Some(p.name.clone()),
            container_port: i32::from(p.port),
            protocol: (!ctx.chart.render().is_some_and(|r| r.bare_container_ports))
                .then(|| "TCP".into()),
            ..Default::default()
        })
        .collect();
    let main = Container {
        name: c.container.clone().unwrap_or_else(|| c.id.clone()),
        image: Some(w.image.clone()),
        image_pull_policy: Some(w.pull_policy.clone()),
        command: x.command.take(),
        args: x.args.take(),
        env: (!x.env.is_empty()).then(|| std::mem::take(&mut x.env)),
        env_from: (!x.env_from.is_empty()).then(|| std::mem::take(&mut x.env_from)),
        ports: (!ports.is_empty()).then_some(ports),
        resources: Some(ResourceRequirements {
            requests: (!w.requests.is_empty()).then(|| w.requests.clone()),
            limits: (!w.limits.is_empty()).then(|| w.limits.clone()),
            ..Default::default()
        }),
        liveness_probe: match &c.probes.liveness {
            Some(p) => tune_probe(ctx, c, probe(ctx, c, p, true, timeout), "livenessProbe"),
            None => x.liveness.take(),
        },
        readiness_probe: match &c.probes.readiness {
            Some(p) => tune_probe(ctx, c, probe(ctx, c, p, false, timeout), "readinessProbe"),
            None => x.readiness.take(),
        },
        startup_probe: c
            .probes
            .startup
            .as_ref()
            .map(|p| probe(ctx, c, p, false, timeout)),
        security_context: Some(container_security(ctx, c)),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        lifecycle: x.lifecycle.take(),
        ..Default::default()
    };
    let mut containers = vec![main];
    containers.extend(w.sidecars.iter().map(|s| sidecar_container(ctx, w, s)));
    let (affinity, spread) = pod_affinity(ctx, w);
    let spec = PodSpec {
        service_account_name: x.service_account.clone(),
        automount_service_account_token: Some(x.service_account.is_some()),
        enable_service_links: Some(false),
        security_context: Some(pod_security(c)),
        affinity,
        topology_spread_constraints: spread,
        init_containers: (!x.init.is_empty()).then(|| std::mem::take(&mut x.init)),
        containers,
        volumes: (!volumes.is_empty()).then_some(volumes),
        ..Default::default()
    };
    // A chart whose templates are known labels its pods with the selector's labels alone
    // (unless its `render.pod_labels` says they carry the object's).
    let pod_labels = if ctx
        .chart
        .render()
        .is_some_and(|r| r.pod_labels == PodLabels::Selector)
    {
        selector_labels(ctx, &c.id)
    } else {
        labels(ctx, Some(&c.id))
    };
    let template = PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(pod_labels),
            ..Default::default()
        }),
        spec: Some(spec),
    };
    (template, templates)
}

/// A probe as the chart's `<prefix>.livenessProbe` / `readinessProbe` map has it, where the
/// chart has one (cauldron-frappe's `frappe.livenessProbe`): `enabled` false drops it, its
/// timings replace Tonnage's.
fn tune_probe(ctx: &Ctx, c: &Component, mut p: Probe, key: &str) -> Option<Probe> {
    let Some(prefix) = own_prefix(c) else {
        return Some(p);
    };
    let path = format!("{prefix}.{key}");
    if !matches!(ctx.get(&path), Some(Value::Mapping(_))) {
        return Some(p);
    }
    if !ctx.bool_at((&path, "enabled"), true) {
        return None;
    }
    for (field, slot) in [
        ("initialDelaySeconds", &mut p.initial_delay_seconds),
        ("periodSeconds", &mut p.period_seconds),
        ("timeoutSeconds", &mut p.timeout_seconds),
        ("failureThreshold", &mut p.failure_threshold),
        ("successThreshold", &mut p.success_threshold),
    ] {
        if let Some(n) = ctx.int_at((&path, field)).filter(|n| *n > 0) {
            *slot = Some(i32_of(n));
        }
    }
    Some(p)
}

/// A probe of a sidecar: an HTTP GET, a TCP connect or a command.
fn sidecar_probe(
    liveness: bool,
    http: Option<(&str, &str)>,
    tcp: Option<&str>,
    exec: Option<&str>,
) -> Probe {
    Probe {
        initial_delay_seconds: Some(if liveness { 30 } else { 5 }),
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        failure_threshold: Some(if liveness { 6 } else { 3 }),
        http_get: http.map(|(path, port)| HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String(port.into()),
            ..Default::default()
        }),
        tcp_socket: tcp.map(|port| TCPSocketAction {
            port: IntOrString::String(port.into()),
            ..Default::default()
        }),
        exec: exec.map(|cmd| ExecAction {
            command: Some(vec!["sh".into(), "-c".into(), cmd.into()]),
        }),
        ..Default::default()
    }
}

/// A sidecar container (`values.sidecars`) with its figures. The Bitnami exporters and Sentinel
/// get their charts' ports and probes (postgres-exporter: HTTP on http-metrics 9187;
/// redis-exporter: TCP on metrics 9121; Sentinel: its ping script).
fn sidecar_container(ctx: &Ctx, w: &Work, s: &Side) -> Container {
    let port = |name: &str, n: i32| {
        Some(vec![ContainerPort {
            name: Some(name.into()),
            container_port: n,
            protocol: Some("TCP".into()),
            ..Default::default()
        }])
    };
    let (ports, liveness, readiness) = match (s.sc.name.as_str(), w.family) {
        ("metrics", Family::BitnamiPostgres) => (
            port("http-metrics", 9187),
            Some(sidecar_probe(true, Some(("/", "http-metrics")), None, None)),
            Some(sidecar_probe(
                false,
                Some(("/", "http-metrics")),
                None,
                None,
            )),
        ),
        ("metrics", Family::BitnamiRedis) => (
            port("metrics", 9121),
            Some(sidecar_probe(true, None, Some("metrics"), None)),
            Some(sidecar_probe(false, None, Some("metrics"), None)),
        ),
        ("sentinel", _) => (
            None,
            Some(sidecar_probe(
                true,
                None,
                None,
                Some("/health/ping_sentinel.sh 5"),
            )),
            Some(sidecar_probe(
                false,
                None,
                None,
                Some("/health/ping_sentinel.sh 1"),
            )),
        ),
        _ => (None, None, None),
    };
    // The exporters reach the database in the same pod, with the Bitnami chart's Secret.
    let b = base(w.c);
    let bitnami_secret = ctx
        .text((&b, "auth.existingSecret"))
        .unwrap_or_else(|| format!("{}-{b}", ctx.release));
    let mut env_vars = Vec::new();
    match (s.sc.name.as_str(), w.family) {
        ("metrics", Family::BitnamiPostgres) => {
            env_vars.push(env(
                "DATA_SOURCE_URI",
                "127.0.0.1:5432/postgres?sslmode=disable",
            ));
            env_vars.push(env("DATA_SOURCE_USER", "postgres"));
            let r = SecretRef {
                name: bitnami_secret,
                key: "postgres-password".into(),
            };
            env_vars.push(env_secret("DATA_SOURCE_PASS", &r));
        }
        ("metrics", Family::BitnamiRedis) => {
            env_vars.push(env("REDIS_ADDR", "redis://127.0.0.1:6379"));
            if ctx.bool_at((&b, "auth.enabled"), true) {
                let r = SecretRef {
                    name: bitnami_secret,
                    key: ctx
                        .text((&b, "auth.existingSecretPasswordKey"))
                        .unwrap_or_else(|| "redis-password".into()),
                };
                env_vars.push(env_secret("REDIS_PASSWORD", &r));
            }
        }
        _ => {}
    }
    Container {
        name: s.sc.name.clone(),
        image: Some(s.image.clone()),
        image_pull_policy: Some(s.pull_policy.clone()),
        env: (!env_vars.is_empty()).then_some(env_vars),
        ports,
        resources: Some(ResourceRequirements {
            requests: (!s.requests.is_empty()).then(|| s.requests.clone()),
            limits: (!s.limits.is_empty()).then(|| s.limits.clone()),
            ..Default::default()
        }),
        liveness_probe: liveness,
        readiness_probe: readiness,
        security_context: Some(container_security(ctx, w.c)),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The chart

fn render_chart(ctx: &Ctx, sink: &mut Sink) {
    let works: Vec<Work> = ctx
        .chart
        .components
        .iter()
        .filter(|c| c.is_rendered(&ctx.values))
        .map(|c| work(ctx, c))
        .collect();

    chart_secrets(ctx, sink);
    let shared = shared_claims(ctx, &works, sink);
    for w in works.iter().filter(|w| !bitnami::renders(ctx, w)) {
        render_workload(ctx, sink, w, &shared);
    }
    bitnami::render(ctx, sink, &works);
    rbac(ctx, sink, &works);
    config_maps(ctx, sink, &works);
    ingress(ctx, sink, &works);
    monitoring(ctx, sink, &works);
    if let Some(m) = chart_module(&ctx.chart.id) {
        m.objects(ctx, sink, &works);
    }

    let secrets = std::mem::take(&mut sink.secrets);
    for (name, data) in secrets {
        let obj = Secret {
            metadata: ObjectMeta {
                annotations: Some(BTreeMap::from([(
                    "tonnage/placeholder".to_string(),
                    format!("replace every {PLACEHOLDER} value before installing"),
                )])),
                ..meta(ctx, &name, None)
            },
            type_: Some("Opaque".into()),
            string_data: Some(data),
            ..Default::default()
        };
        sink.push("Secret", &name, obj);
    }
}

/// The Secrets the chart's own templates (or manifests) create, every value a placeholder:
/// those of the charts' modules (cauldron-infra's cauldron-secrets, cauldron-frappe's, Caracal's
/// caracal-secrets, RAE's).
fn chart_secrets(ctx: &Ctx, sink: &mut Sink) {
    if let Some(m) = chart_module(&ctx.chart.id) {
        for (name, data) in m.secrets(ctx) {
            add_secret(sink, name, data);
        }
    }
}

fn add_secret(sink: &mut Sink, name: String, data: Vec<(&str, String)>) {
    let entry = sink.secrets.entry(name).or_default();
    for (k, v) in data {
        entry.insert(k.to_string(), v);
    }
}

fn service_ports(ctx: &Ctx, c: &Component) -> Vec<ServicePort> {
    let by_number = c
        .render()
        .and_then(|r| r.target_port)
        .or(chart_render(ctx, Some(&c.id)).map(|r| r.target_port))
        == Some(TargetPort::Number);
    // A port number the template reads from the values (catalog `render.service_ports`).
    let port_at = |name: &str| {
        let path = c.render()?.service_ports.get(name)?;
        i32::try_from(ctx.int_at(path.as_str())?).ok()
    };
    c.ports
        .iter()
        .map(|p| ServicePort {
            name: Some(p.name.clone()),
            port: port_at(&p.name).unwrap_or(i32::from(p.port)),
            target_port: Some(if by_number {
                IntOrString::Int(i32::from(p.port))
            } else {
                IntOrString::String(p.name.clone())
            }),
            protocol: Some("TCP".into()),
            ..Default::default()
        })
        .collect()
}

/// The type of a component's client Service: `<prefix>.service.type` of its own settings
/// (`memoryApi.service.type`, cauldron-frappe's shared `frappe.service.type`), else ClusterIP.
fn service_type(ctx: &Ctx, c: &Component) -> Option<String> {
    [settings_prefix(c), own_prefix(c)]
        .into_iter()
        .flatten()
        .find_map(|p| ctx.live_text(&format!("{p}.service.type")))
}

/// A workload's `spec.replicas`: the HPA minimum under an HPA (what the plan counts), unless
/// the chart's files keep the values' count beside it (catalog `render.hpa_keeps_replicas`).
fn spec_replicas(ctx: &Ctx, w: &Work) -> i64 {
    let keeps = ctx.chart.render().is_some_and(|r| r.hpa_keeps_replicas);
    match (&w.c.values.replicas, w.hpa) {
        (Some(p), Some(_)) if keeps => ctx.count_at(p.as_str(), 1),
        _ => w.replicas,
    }
}

/// Whether the component has one Service of its own (catalog `render.service_headless`), and
/// whether it is headless.
fn own_service(c: &Component) -> Option<bool> {
    c.render().and_then(|r| r.service_headless)
}

fn render_workload(
    ctx: &Ctx,
    sink: &mut Sink,
    w: &Work,
    shared: &BTreeMap<String, Option<String>>,
) {
    let c = w.c;
    let (mut template, claims) = pod_template(ctx, sink, w, shared);
    // A chart whose templates are known: its pod as they write it, Tonnage's hardening a patch.
    let hardening = plain::split(ctx, c, &mut template);
    // A ReadWriteOnce shared volume cannot be mounted by old and new pods on two nodes.
    let rwo = c.kind == WorkloadKind::Deployment
        && matches!(&c.persistence, Persistence::Shared(id)
        if ctx.chart.volume(id).is_some_and(|v| {
            ctx.text((&v.values, "accessMode")).as_deref() == Some("ReadWriteOnce")
        }));
    // The patch never changes a strategy the template writes.
    let written_strategy = c.render().is_some_and(|r| r.strategy.is_some());
    let recreate_patch = rwo && hardening.is_some() && !written_strategy;
    let patch = Hardening {
        pod: hardening.unwrap_or_default(),
        recreate: recreate_patch,
    };
    resource_patch(ctx, sink, c, &w.name, &template, patch);
    let selector = component_selector(ctx, &c.id);
    // Left out where the template lets the HPA set it.
    let unset = w.hpa.is_some() && c.render().is_some_and(|r| r.replicas_unset_under_hpa);
    let replicas = (!unset).then(|| i32_of(spec_replicas(ctx, w)));
    match c.kind {
        WorkloadKind::Deployment => {
            let obj = Deployment {
                metadata: meta(ctx, &w.name, Some(&c.id)),
                spec: DeploymentSpec {
                    replicas,
                    selector,
                    template,
                    strategy: c
                        .render()
                        .and_then(|r| r.strategy.clone())
                        .or_else(|| (rwo && !recreate_patch).then(|| "Recreate".into()))
                        .map(|t| DeploymentStrategy {
                            type_: Some(t),
                            rolling_update: c
                                .render()
                                .and_then(|r| r.rolling_update.as_ref())
                                .map(plain::rolling_update),
                        }),
                    ..Default::default()
                },
                ..Default::default()
            };
            sink.push("Deployment", &w.name, obj);
        }
        WorkloadKind::StatefulSet => {
            // One Service of its own (catalog `render.service_headless`), else a headless one.
            let own = own_service(c).is_some();
            let headless = if own {
                w.name.clone()
            } else {
                headless_name(&w.name)
            };
            let r = c.render();
            let obj = StatefulSet {
                metadata: meta(ctx, &w.name, Some(&c.id)),
                spec: StatefulSetSpec {
                    replicas,
                    selector,
                    pod_management_policy: r.and_then(|r| r.pod_management_policy.clone()),
                    update_strategy: r.and_then(|r| r.update_strategy.clone()).map(|t| {
                        StatefulSetUpdateStrategy {
                            type_: Some(t),
                            ..Default::default()
                        }
                    }),
                    service_name: Some(headless.clone()),
                    template,
                    volume_claim_templates: (!claims.is_empty()).then_some(claims),
                    ..Default::default()
                },
                ..Default::default()
            };
            sink.push("StatefulSet", &w.name, obj);
            let mut metadata = meta(ctx, &headless, Some(&c.id));
            if let (Some(l), Some(r)) = (metadata.labels.as_mut(), c.render()) {
                l.extend(r.headless_labels.clone());
            }
            let svc = (!own).then(|| Service {
                metadata,
                spec: Some(ServiceSpec {
                    cluster_ip: Some("None".into()),
                    publish_not_ready_addresses: Some(true),
                    ports: Some(service_ports(ctx, c)),
                    selector: Some(selector_labels(ctx, &c.id)),
                    ..Default::default()
                }),
                ..Default::default()
            });
            if let Some(svc) = svc {
                sink.push("Service", &headless, svc);
            }
        }
    }
    // The Service clients connect to (named as the template names it, catalog `render`).
    if !c.ports.is_empty() {
        let name = c.service_name(&ctx.values).unwrap_or(&w.name);
        let svc = Service {
            metadata: meta(ctx, name, Some(&c.id)),
            spec: Some(ServiceSpec {
                type_: Some(service_type(ctx, c).unwrap_or_else(|| "ClusterIP".into())),
                cluster_ip: (own_service(c) == Some(true)).then(|| "None".into()),
                ports: Some(service_ports(ctx, c)),
                selector: Some(selector_labels(ctx, &c.id)),
                ..Default::default()
            }),
            ..Default::default()
        };
        sink.push("Service", name, svc);
    }
    if let Some(h) = w.hpa {
        hpa(ctx, sink, w, h);
    }
    // A budget of the chart's own files (catalog `pdb`) while on: the overlay adds none.
    let own_pdb = c
        .pdb
        .as_ref()
        .and_then(|p| p.values.as_deref())
        .is_some_and(|p| ctx.bool_at((p, "enabled"), false));
    if w.replicas > 1 && !own_pdb {
        let (min_available, max_unavailable) = if is_quorum(c) {
            (Some(IntOrString::Int(i32_of(w.replicas / 2 + 1))), None)
        } else {
            (None, Some(IntOrString::Int(1)))
        };
        let pdb = PodDisruptionBudget {
            metadata: meta(ctx, &w.name, Some(&c.id)),
            spec: Some(PodDisruptionBudgetSpec {
                min_available,
                max_unavailable,
                selector: Some(component_selector(ctx, &c.id)),
                ..Default::default()
            }),
            ..Default::default()
        };
        sink.push_hardening("PodDisruptionBudget", &w.name, pdb);
    }
}

/// What the hardening patch adds to a workload beyond init resources: the pod spec's fields
/// the chart's templates leave out ([`plain::split`]) and the Recreate strategy.
struct Hardening {
    pod: serde_yaml::Mapping,
    recreate: bool,
}

/// The hardening patch of a workload: Tonnage's small init figures ([`init_resources`]) for
/// each init container the chart writes without resources, and `h`.
fn resource_patch(
    ctx: &Ctx,
    sink: &mut Sink,
    c: &Component,
    name: &str,
    t: &PodTemplateSpec,
    h: Hardening,
) {
    if sink.plain_only {
        return;
    }
    let bare: Vec<Value> = t
        .spec
        .iter()
        .flat_map(|s| s.init_containers.iter().flatten())
        .filter(|i| i.resources.is_none())
        .filter_map(|i| {
            let res = serde_yaml::to_value(init_resources()).ok()?;
            let mut m = serde_yaml::Mapping::new();
            m.insert("name".into(), i.name.clone().into());
            m.insert("resources".into(), res);
            Some(Value::Mapping(m))
        })
        .collect();
    let mut pod = Value::Mapping(h.pod);
    if !bare.is_empty() {
        let mut init = serde_yaml::Mapping::new();
        init.insert("initContainers".into(), Value::Sequence(bare));
        plain::merge(&mut pod, &Value::Mapping(init));
    }
    if pod.as_mapping().is_none_or(|m| m.is_empty()) && !h.recreate {
        return;
    }
    let api = "apps/v1";
    let mut meta = serde_yaml::Mapping::new();
    meta.insert("name".into(), name.into());
    meta.insert("namespace".into(), ctx.namespace.clone().into());
    let mut template = serde_yaml::Mapping::new();
    template.insert("spec".into(), pod);
    let mut spec = serde_yaml::Mapping::new();
    if h.recreate {
        let mut strategy = serde_yaml::Mapping::new();
        strategy.insert("type".into(), "Recreate".into());
        spec.insert("strategy".into(), Value::Mapping(strategy));
    }
    spec.insert("template".into(), Value::Mapping(template));
    let mut obj = serde_yaml::Mapping::new();
    obj.insert("apiVersion".into(), api.into());
    obj.insert("kind".into(), c.kind.as_str().into());
    obj.insert("metadata".into(), Value::Mapping(meta));
    obj.insert("spec".into(), Value::Mapping(spec));
    sink.patches.push(Manifest {
        chart: sink.chart.clone(),
        kind: c.kind.as_str().to_string(),
        name: name.to_string(),
        yaml: to_yaml(&Value::Mapping(obj)),
    });
}

/// An autoscaler's target: average utilization of a resource (`cpu`, `memory`) in percent.
fn utilization_metric(name: &str, pct: i64) -> MetricSpec {
    MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: name.into(),
            target: MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(i32_of(pct)),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

fn hpa(ctx: &Ctx, sink: &mut Sink, w: &Work, h: Hpa) {
    let metric = utilization_metric;
    let mut metrics = Vec::new();
    if let Some(p) = h.cpu {
        metrics.push(metric("cpu", p));
    }
    if let Some(p) = h.memory {
        metrics.push(metric("memory", p));
    }
    // RAE's Celery worker HPA (templates/hpa-celery-worker.yaml): scale down 50% per 60s after
    // 300s of stabilization; scale up by the larger of 100% and 2 pods per 30s (selectPolicy
    // Max; the guide says "max 2 pods at once").
    let behavior = (ctx.chart.id == "rae-memory" && w.c.id == "celery-worker").then(|| {
        let policy = |type_: &str, value: i32, period: i32| HPAScalingPolicy {
            type_: type_.into(),
            value,
            period_seconds: period,
        };
        HorizontalPodAutoscalerBehavior {
            scale_up: Some(HPAScalingRules {
                stabilization_window_seconds: Some(0),
                policies: Some(vec![policy("Percent", 100, 30), policy("Pods", 2, 30)]),
                select_policy: Some("Max".into()),
                ..Default::default()
            }),
            scale_down: Some(HPAScalingRules {
                stabilization_window_seconds: Some(300),
                policies: Some(vec![policy("Percent", 50, 60)]),
                ..Default::default()
            }),
        }
    });
    // The manifests' own HPA name where they have one (Caracal's caracal-gateway-hpa).
    let name =
        w.c.hpa
            .as_ref()
            .map_or(w.name.as_str(), |h| h.name.as_str());
    let obj = HorizontalPodAutoscaler {
        metadata: meta(ctx, name, Some(&w.c.id)),
        spec: HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: w.c.kind.as_str().into(),
                name: w.name.clone(),
            },
            min_replicas: Some(i32_of(h.min)),
            max_replicas: i32_of(h.max),
            metrics: (!metrics.is_empty()).then_some(metrics),
            behavior,
        },
        ..Default::default()
    };
    sink.push("HorizontalPodAutoscaler", name, obj);
}

fn role(ctx: &Ctx, sink: &mut Sink, name: &str, component: &str, rules: Vec<PolicyRule>) {
    let sa = ServiceAccount {
        metadata: meta(ctx, name, Some(component)),
        automount_service_account_token: Some(false),
        ..Default::default()
    };
    sink.push("ServiceAccount", name, sa);
    let r = Role {
        metadata: meta(ctx, name, Some(component)),
        rules: Some(rules),
    };
    sink.push("Role", name, r);
    let rb = RoleBinding {
        metadata: meta(ctx, name, Some(component)),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "Role".into(),
            name: name.to_string(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: name.to_string(),
            namespace: Some(ctx.namespace.clone()),
            ..Default::default()
        }]),
    };
    sink.push("RoleBinding", name, rb);
}

fn rule(resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// RBAC where a component needs the API: RabbitMQ's Kubernetes peer discovery (Bitnami's
/// ServiceAccount, Role and RoleBinding: `get` endpoints, `create` events).
fn rbac(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    for w in works {
        if w.family == Family::BitnamiRabbitmq
            && !bitnami::renders(ctx, w)
            && ctx.bool_at((base(w.c), "clustering.enabled"), true)
        {
            let rules = vec![
                rule(&["endpoints"], &["get"]),
                rule(&["events"], &["create"]),
            ];
            role(ctx, sink, &w.name, &w.c.id, rules);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ConfigMaps

fn config_map(
    ctx: &Ctx,
    name: &str,
    component: Option<&str>,
    data: BTreeMap<String, String>,
) -> ConfigMap {
    ConfigMap {
        metadata: meta(ctx, name, component),
        data: Some(data),
        ..Default::default()
    }
}

/// A map of file name -> text of the values (init scripts), as the chart writes it into a
/// ConfigMap.
fn text_map(ctx: &Ctx, path: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Mapping(m)) = ctx.get(path) {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (scalar_text(k), scalar_text(v)) {
                out.insert(k, v);
            }
        }
    }
    out
}

fn config_maps(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    // cauldron-infra's templates/configmap.yaml: ConfigMap postgres-init-scripts holds
    // `postgresInitScripts.scripts` (file name -> SQL) while `postgresInitScripts.enabled`.
    if ctx.bool_at("postgresInitScripts.enabled", false) {
        let name = "postgres-init-scripts";
        let cm = config_map(
            ctx,
            name,
            None,
            text_map(ctx, "postgresInitScripts.scripts"),
        );
        sink.push("ConfigMap", name, cm);
    }
    // Bitnami PostgreSQL's own init-scripts ConfigMap (`primary.initdb.scripts`, RAE's release).
    for w in works {
        if w.family != Family::BitnamiPostgres
            || w.c.id.ends_with("-read")
            || bitnami::renders(ctx, w)
        {
            continue;
        }
        let b = base(w.c);
        if let Some((name, true)) = bitnami_init_scripts(ctx, &b) {
            let data = text_map(ctx, &format!("{b}.primary.initdb.scripts"));
            let cm = config_map(ctx, &name, Some(&w.c.id), data);
            sink.push("ConfigMap", &name, cm);
        }
    }
    if let Some(m) = chart_module(&ctx.chart.id).filter(|_| !works.is_empty()) {
        for (name, data) in m.config_maps(ctx) {
            let cm = config_map(ctx, &name, None, data);
            sink.push("ConfigMap", &name, cm);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ingress

/// The values map of the chart's Ingress: `frappe.ingress` (cauldron-frappe) or `ingress`
/// (RAE); none where the chart has no Ingress template (no such key, or a `dead` one: Rhesis,
/// Caracal).
fn ingress_prefix(ctx: &Ctx) -> Option<&'static str> {
    ["frappe.ingress", "ingress"].into_iter().find(|p| {
        lookup(&ctx.chart.values, &format!("{p}.enabled")).is_some() && !ctx.chart.is_dead(p)
    })
}

fn ingress(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    let Some(p) = ingress_prefix(ctx) else {
        return;
    };
    if !ctx.bool_at((p, "enabled"), false) {
        return;
    }
    let Some(front) = exposed(works) else {
        return;
    };
    let Some(port) = front.c.ports.first() else {
        return;
    };
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: front.name.clone(),
            port: Some(match ctx.chart.render().map(|r| r.ingress_port) {
                Some(TargetPort::Number) => ServiceBackendPort {
                    number: Some(i32::from(port.port)),
                    ..Default::default()
                },
                _ => ServiceBackendPort {
                    name: Some(port.name.clone()),
                    ..Default::default()
                },
            }),
        }),
        ..Default::default()
    };
    let mut rules = Vec::new();
    for h in ctx.list((p, "hosts")) {
        let host = entry(h, "host").and_then(scalar_text);
        let listed = entry(h, "paths")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        let mut paths: Vec<HTTPIngressPath> = listed
            .iter()
            .map(|p| HTTPIngressPath {
                path: Some(
                    entry(p, "path")
                        .and_then(scalar_text)
                        .unwrap_or_else(|| "/".into()),
                ),
                path_type: entry(p, "pathType")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| "Prefix".into()),
                backend: backend.clone(),
            })
            .collect();
        if paths.is_empty() {
            paths.push(HTTPIngressPath {
                path: Some("/".into()),
                path_type: "Prefix".into(),
                backend: backend.clone(),
            });
        }
        rules.push(IngressRule {
            host,
            http: Some(HTTPIngressRuleValue { paths }),
        });
    }
    let tls: Vec<IngressTLS> = ctx
        .list((p, "tls"))
        .into_iter()
        .map(|t| IngressTLS {
            secret_name: entry(t, "secretName").and_then(scalar_text),
            hosts: entry(t, "hosts")
                .and_then(Value::as_sequence)
                .map(|hs| hs.iter().filter_map(scalar_text).collect()),
        })
        .collect();
    let annotations = ctx.string_map((p, "annotations"));
    // cauldron-frappe names its Ingress after the web Service, RAE after the release.
    let name = if p == "frappe.ingress" {
        front.name.clone()
    } else {
        ctx.release.clone()
    };
    let obj = Ingress {
        metadata: ObjectMeta {
            annotations: (!annotations.is_empty()).then_some(annotations),
            // A chart whose templates are known labels its Ingress with its common labels.
            ..meta(
                ctx,
                &name,
                ctx.chart.render().is_none().then_some(front.c.id.as_str()),
            )
        },
        spec: Some(IngressSpec {
            ingress_class_name: ctx.text((p, "className")),
            rules: (!rules.is_empty()).then_some(rules),
            tls: (!tls.is_empty()).then_some(tls),
            default_backend: None,
        }),
        ..Default::default()
    };
    sink.push("Ingress", &name, obj);
}

/// The component an Ingress points at: the first with a port among frontends, gateways and apps.
fn exposed<'a, 'b>(works: &'b [Work<'a>]) -> Option<&'b Work<'a>> {
    ["frontend", "gateway", "app"].iter().find_map(|role| {
        works
            .iter()
            .find(|w| w.c.role == *role && !w.c.ports.is_empty())
    })
}

// ---------------------------------------------------------------------------------------------
// Network policies

fn np_port(port: i64, protocol: &str) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(i32_of(port))),
        protocol: Some(protocol.into()),
        ..Default::default()
    }
}

fn namespace_peer(name: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(match_labels(BTreeMap::from([(
            "kubernetes.io/metadata.name".to_string(),
            name.to_string(),
        )]))),
        ..Default::default()
    }
}

fn dns_egress() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![namespace_peer("kube-system")]),
        ports: Some(vec![np_port(53, "UDP"), np_port(53, "TCP")]),
    }
}

fn internet_443() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: "0.0.0.0/0".into(),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ports: Some(vec![np_port(443, "TCP")]),
    }
}

/// Ingress from `from` (on `ports`, or any port): one rule, or none when `from` is empty, since
/// a rule with an empty `from` admits every source, the opposite of "only from these".
fn ingress_from(
    from: Vec<NetworkPolicyPeer>,
    ports: Option<Vec<NetworkPolicyPort>>,
) -> Vec<NetworkPolicyIngressRule> {
    if from.is_empty() {
        return vec![];
    }
    vec![NetworkPolicyIngressRule {
        from: Some(from),
        ports,
    }]
}

fn network_policy(
    ctx: &Ctx,
    name: &str,
    component: Option<&str>,
    pod_selector: LabelSelector,
    types: Vec<String>,
    ingress: Vec<NetworkPolicyIngressRule>,
    egress: Vec<NetworkPolicyEgressRule>,
) -> NetworkPolicy {
    let has = |t: &str| types.iter().any(|x| x == t);
    let ingress = has("Ingress").then_some(ingress);
    let egress = has("Egress").then_some(egress);
    NetworkPolicy {
        metadata: meta(ctx, name, component),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pod_selector),
            policy_types: Some(types),
            ingress,
            egress,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Monitoring (Prometheus Operator ServiceMonitor)

/// `monitoring.coreos.com/v1` ServiceMonitor: the fields Tonnage sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitor {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ServiceMonitorSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    pub selector: LabelSelector,
    pub endpoints: Vec<ServiceMonitorEndpoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorEndpoint {
    pub port: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relabelings: Vec<RelabelConfig>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_relabelings: Vec<RelabelConfig>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelabelConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modulus: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// ServiceMonitors where the manifests have them: Caracal's k8s/servicemonitor.yaml (a
/// component's `service_monitor`, with `monitoring.prometheus.serviceMonitor.enabled`). RAE's
/// template is its module's.
fn monitoring(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    let on = !ctx
        .chart
        .is_dead("monitoring.prometheus.serviceMonitor.enabled")
        && ctx.bool_at("monitoring.prometheus.serviceMonitor.enabled", false);
    if !on {
        return;
    }
    for w in works {
        let Some(sm) = &w.c.service_monitor else {
            continue;
        };
        let name = sm.name.clone();
        let Some(first) = w.c.ports.first() else {
            continue;
        };
        let port =
            w.c.ports
                .iter()
                .find(|p| p.name == "metrics")
                .unwrap_or(first);
        let sm = ServiceMonitor {
            api_version: "monitoring.coreos.com/v1".into(),
            kind: "ServiceMonitor".into(),
            metadata: meta(ctx, &name, Some(&w.c.id)),
            spec: ServiceMonitorSpec {
                selector: component_selector(ctx, &w.c.id),
                endpoints: vec![ServiceMonitorEndpoint {
                    port: port.name.clone(),
                    path: Some("/metrics".into()),
                    interval: Some("30s".into()),
                    scrape_timeout: Some("10s".into()),
                    scheme: Some("http".into()),
                    relabelings: Vec::new(),
                    metric_relabelings: Vec::new(),
                }],
            },
        };
        sink.push("ServiceMonitor", &name, sm);
    }
}

// ---------------------------------------------------------------------------------------------
// External Secrets Operator

/// `external-secrets.io/v1beta1` ExternalSecret: the fields Tonnage sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecret {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ExternalSecretSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
    pub secret_store_ref: SecretStoreRef,
    pub target: ExternalSecretTarget,
    pub data: Vec<ExternalSecretData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStoreRef {
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretTarget {
    pub name: String,
    pub creation_policy: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretData {
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRef {
    pub key: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;
    use k8s_openapi::api::core::v1::PodSpec;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    fn config(stacks: &[&str], env: &str, sets: &[&str]) -> Configuration {
        let mut c = Configuration::new(cat(), stacks, env).unwrap();
        for s in sets {
            c.set_str(cat(), s).unwrap();
        }
        c
    }

    fn rendered(stacks: &[&str], env: &str, sets: &[&str]) -> Vec<Manifest> {
        render(cat(), &config(stacks, env, sets))
    }

    fn find<'a>(ms: &'a [Manifest], kind: &str, name: &str) -> Option<&'a Manifest> {
        ms.iter().find(|m| m.kind == kind && m.name == name)
    }

    fn typed<T: serde::de::DeserializeOwned>(m: &Manifest) -> T {
        serde_yaml::from_str(&m.yaml).unwrap_or_else(|e| panic!("{} {}: {e}", m.kind, m.name))
    }

    /// The pod spec of a Deployment or StatefulSet.
    fn pod_of(m: &Manifest) -> PodSpec {
        match m.kind.as_str() {
            "Deployment" => typed::<Deployment>(m).spec.template.spec,
            "StatefulSet" => typed::<StatefulSet>(m).spec.template.spec,
            other => panic!("{other} {} has no pod", m.name),
        }
        .unwrap()
    }

    fn every_chart_env() -> Vec<(String, String)> {
        cat()
            .charts
            .iter()
            .flat_map(|c| {
                c.environments
                    .iter()
                    .map(move |e| (c.id.clone(), e.id.clone()))
            })
            .collect()
    }

    #[test]
    fn golden_every_chart_and_environment() {
        for (chart, env) in every_chart_env() {
            let ms = rendered(&[&chart], &env, &[]);
            insta::assert_snapshot!(format!("{chart}-{env}"), multi_doc(&ms));
        }
    }

    /// The hardening overlay of every preset: its kustomization and the objects it adds.
    #[test]
    fn golden_hardening_every_chart_and_environment() {
        for (chart, env) in every_chart_env() {
            let c = config(&[&chart], &env, &[]);
            let hard = render_hardening(cat(), &c);
            let patches = render_patches(cat(), &c);
            let base = [format!("../manifests/{chart}.yaml")];
            let text: String = hardening_overlay("hardening", &base, &hard, &patches)
                .iter()
                .map(|f| format!("=== {}\n{}", f.path, f.contents))
                .collect();
            insta::assert_snapshot!(format!("hardening-{chart}-{env}"), text);
        }
    }

    #[test]
    fn golden_infra_and_frappe_together() {
        let ms = rendered(&["cauldron-frappe", "cauldron-infra"], "prod", &[]);
        let files = multi_doc_files(&ms);
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["cauldron-infra.yaml", "cauldron-frappe.yaml"]);
        insta::assert_snapshot!("cauldron-infra+cauldron-frappe-prod", multi_doc(&ms));
    }

    /// Figures summed from the rendered objects, parsed back into k8s-openapi types.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Sums {
        replicas: i64,
        req_cpu: i64,
        req_mem: i64,
        lim_cpu: i64,
        lim_mem: i64,
        storage: i64,
    }

    fn q(map: &Option<BTreeMap<String, K8sQuantity>>, key: &str, milli: bool) -> i64 {
        map.as_ref()
            .and_then(|m| m.get(key))
            .map(|x| {
                let q = Quantity::parse(&x.0).unwrap_or_else(|e| panic!("{e}"));
                if milli {
                    q.milli_value()
                } else {
                    q.value()
                }
            })
            .unwrap_or(0)
    }

    /// Adds `n` pods: every container counts (the main one and its sidecars). A request left
    /// out counts as its limit, as Kubernetes defaults it per container.
    fn add_pod(s: &mut Sums, pod: &PodSpec, n: i64) {
        s.replicas += n;
        for c in &pod.containers {
            let r = c.resources.clone().unwrap_or_default();
            let req = |key: &str, milli: bool| match q(&r.requests, key, milli) {
                0 => q(&r.limits, key, milli),
                v => v,
            };
            s.req_cpu += n * req("cpu", true);
            s.req_mem += n * req("memory", false);
            s.lim_cpu += n * q(&r.limits, "cpu", true);
            s.lim_mem += n * q(&r.limits, "memory", false);
        }
        // Kubernetes' effective request: max(sum of the main containers, largest init
        // container). The init containers must never be the larger.
        for i in pod.init_containers.iter().flatten() {
            let r = i.resources.clone().unwrap_or_default();
            let main_cpu: i64 = pod
                .containers
                .iter()
                .map(|c| {
                    q(
                        &c.resources.clone().unwrap_or_default().requests,
                        "cpu",
                        true,
                    )
                })
                .sum();
            assert!(q(&r.requests, "cpu", true) <= main_cpu);
        }
    }

    fn pvc_storage(p: &PersistentVolumeClaim) -> i64 {
        let r = p.spec.as_ref().and_then(|s| s.resources.clone());
        q(&r.and_then(|r| r.requests), "storage", false)
    }

    /// Baseline and peak sums of the rendered objects; checks spec.replicas = HPA minimum.
    /// Whether the chart's files keep a workload's own count beside its HPA (catalog
    /// `render.hpa_keeps_replicas`).
    fn hpa_keeps_replicas(chart: &str) -> bool {
        cat()
            .chart(chart)
            .and_then(|c| c.render())
            .is_some_and(|r| r.hpa_keeps_replicas)
    }

    /// A workload's baseline and peak replicas: spec.replicas, or under an HPA its minimum
    /// and maximum. spec.replicas is then the HPA minimum, unless the chart's files keep their
    /// own count (which the HPA scales from: [`assert_workloads`] checks it).
    fn under_hpa(m: &Manifest, n: i64, hpas: &BTreeMap<String, (i64, i64)>) -> (i64, i64) {
        match hpas.get(&m.name) {
            Some((min, max)) => {
                if !hpa_keeps_replicas(&m.chart) {
                    assert_eq!(n, *min, "{}: spec.replicas is the HPA minimum", m.name);
                }
                (*min, *max)
            }
            None => (n, n),
        }
    }

    /// The pods a workload runs at baseline: its `replicas`; left out (a template that lets
    /// the HPA set it), the HPA's minimum, which the HPA scales the API server's default 1 to.
    fn replicas_run(replicas: Option<i32>, hpa: Option<&(i64, i64)>) -> i64 {
        match (replicas, hpa) {
            (None, Some((min, _))) => *min,
            (n, _) => i64::from(n.unwrap_or(1)),
        }
    }

    fn sums(ms: &[Manifest]) -> (Sums, Sums) {
        let mut hpas: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for m in ms.iter().filter(|m| m.kind == "HorizontalPodAutoscaler") {
            let h: HorizontalPodAutoscaler = typed(m);
            hpas.insert(
                h.spec.scale_target_ref.name.clone(),
                (
                    i64::from(h.spec.min_replicas.unwrap_or(1)),
                    i64::from(h.spec.max_replicas),
                ),
            );
        }
        let (mut base, mut peak) = (Sums::default(), Sums::default());
        for m in ms {
            match m.kind.as_str() {
                "Deployment" => {
                    let d: Deployment = typed(m);
                    let n = replicas_run(d.spec.replicas, hpas.get(&m.name));
                    let pod = d.spec.template.spec.clone().unwrap_or_default();
                    let (n, p) = under_hpa(m, n, &hpas);
                    add_pod(&mut base, &pod, n);
                    add_pod(&mut peak, &pod, p);
                }
                "StatefulSet" => {
                    let s: StatefulSet = typed(m);
                    let n = replicas_run(s.spec.replicas, hpas.get(&m.name));
                    let pod = s.spec.template.spec.clone().unwrap_or_default();
                    let (n, p) = under_hpa(m, n, &hpas);
                    add_pod(&mut base, &pod, n);
                    add_pod(&mut peak, &pod, p);
                    // Every claim template, once per replica.
                    let claim: i64 = s
                        .spec
                        .volume_claim_templates
                        .iter()
                        .flatten()
                        .map(pvc_storage)
                        .sum();
                    base.storage += claim * n;
                    peak.storage += claim * p;
                }
                // Standalone claims, once.
                "PersistentVolumeClaim" => {
                    let p: PersistentVolumeClaim = typed(m);
                    base.storage += pvc_storage(&p);
                    peak.storage += pvc_storage(&p);
                }
                _ => {}
            }
        }
        (base, peak)
    }

    fn plan_sums(t: &crate::plan::Total) -> Sums {
        Sums {
            replicas: t.replicas,
            req_cpu: t.requests.cpu_millicores,
            req_mem: t.requests.memory_bytes,
            lim_cpu: t.limits.cpu_millicores,
            lim_mem: t.limits.memory_bytes,
            storage: t.storage_bytes,
        }
    }

    /// Whether a sidecar is on, read from the values independently of the rendering: its
    /// `enabled` bool (absent: on) and every `enabled_when`.
    fn sidecar_on(values: &Value, sc: &Sidecar) -> bool {
        let get = |p: &str| crate::values::lookup(values, p).filter(|v| !v.is_null());
        let on = sc
            .enabled
            .as_deref()
            .is_none_or(|p| matches!(get(p), Some(Value::Bool(true))));
        on && sc.enabled_when.iter().all(|w| w.holds(get(&w.path)))
    }

    /// Per enabled component of the plan: its workload is rendered with the catalog's kind and
    /// the name the real chart gives it, with the plan's replicas; its pod holds the main
    /// container and exactly the sidecars that are on, whose figures add up to the plan's per
    /// replica; its claim templates add up to the plan's storage per replica. Per enabled
    /// standalone volume: the PersistentVolumeClaim the chart names, with the plan's size.
    fn assert_workloads(c: &Configuration, ms: &[Manifest], p: &Plan) {
        for cp in p.components.iter().filter(|cp| cp.enabled) {
            let chart = cat().chart(&cp.stack).unwrap();
            let comp = chart.component(&cp.id).unwrap();
            let values = c.effective(chart);
            let name = comp
                .workload_name(&values)
                .map_or_else(|| format!("{}-{}", chart.id, comp.id), str::to_string);
            let kind = comp.kind.as_str();
            let m = ms
                .iter()
                .find(|m| m.chart == chart.id && m.kind == kind && m.name == name)
                .unwrap_or_else(|| panic!("{} {}: no {kind} {name}", cp.stack, cp.id));
            let (replicas, pod, claim) = match comp.kind {
                WorkloadKind::Deployment => {
                    let d: Deployment = typed(m);
                    (d.spec.replicas, d.spec.template.spec.unwrap(), 0)
                }
                WorkloadKind::StatefulSet => {
                    let s: StatefulSet = typed(m);
                    let claim = s
                        .spec
                        .volume_claim_templates
                        .iter()
                        .flatten()
                        .map(pvc_storage)
                        .sum();
                    (s.spec.replicas, s.spec.template.spec.unwrap(), claim)
                }
            };
            let at = format!("{} {} ({kind} {name})", cp.stack, cp.id);
            // Left out under an HPA, the HPA's minimum; under an HPA whose chart keeps its own
            // count, spec.replicas is the values' count and the baseline the HPA's minimum.
            let hpa = ms
                .iter()
                .filter(|h| h.chart == chart.id && h.kind == "HorizontalPodAutoscaler")
                .map(typed::<HorizontalPodAutoscaler>)
                .find(|h| h.spec.scale_target_ref.name == name)
                .map(|h| {
                    (
                        i64::from(h.spec.min_replicas.unwrap_or(1)),
                        i64::from(h.spec.max_replicas),
                    )
                });
            let baseline = match (hpa, &comp.values.replicas) {
                (Some((min, _)), Some(p)) if hpa_keeps_replicas(&chart.id) => {
                    let own = crate::values::lookup(&values, p).and_then(Value::as_i64);
                    assert_eq!(replicas.map(i64::from), own, "{at}: the values' count");
                    min
                }
                _ => replicas_run(replicas, hpa.as_ref()),
            };
            assert_eq!(baseline, cp.replicas.baseline, "{at}");
            let sidecars: Vec<&str> = pod.containers[1..]
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            let expected: Vec<&str> = comp
                .values
                .sidecars
                .iter()
                .filter(|sc| sidecar_on(&values, sc))
                .map(|sc| sc.name.as_str())
                .collect();
            assert_eq!(sidecars, expected, "{at}: sidecars");
            let mut s = Sums::default();
            add_pod(&mut s, &pod, 1);
            assert_eq!(
                (s.req_cpu, s.req_mem, s.lim_cpu, s.lim_mem),
                (
                    cp.requests.cpu_millicores,
                    cp.requests.memory_bytes,
                    cp.limits.cpu_millicores,
                    cp.limits.memory_bytes
                ),
                "{at}: per-pod requests and limits"
            );
            assert_eq!(claim, cp.storage_bytes, "{at}: claim templates per replica");
        }
        for vp in p
            .volumes
            .iter()
            .filter(|v| v.enabled && v.storage_bytes > 0)
        {
            let chart = cat().chart(&vp.stack).unwrap();
            let vol = chart.volume(&vp.id).unwrap();
            let name = vol
                .claim
                .clone()
                .unwrap_or_else(|| format!("{}-{}", chart.id, vol.id));
            let m = find(ms, "PersistentVolumeClaim", &name)
                .unwrap_or_else(|| panic!("{} {}: no claim {name}", vp.stack, vp.id));
            assert_eq!(pvc_storage(&typed(m)), vp.storage_bytes, "{name}");
        }
    }

    fn assert_agrees(stacks: &[&str], env: &str, sets: &[&str]) {
        let c = config(stacks, env, sets);
        let ms = render(cat(), &c);
        let p = crate::plan::plan(cat(), &c);
        let (base, peak) = sums(&ms);
        assert_eq!(
            base,
            plan_sums(&p.totals.baseline),
            "{stacks:?} {env} {sets:?} baseline"
        );
        assert_eq!(
            peak,
            plan_sums(&p.totals.peak),
            "{stacks:?} {env} {sets:?} peak"
        );
        assert_workloads(&c, &ms, &p);
    }

    #[test]
    fn manifests_agree_with_the_plan_for_every_chart_and_environment() {
        for (chart, env) in every_chart_env() {
            assert_agrees(&[&chart], &env, &[]);
        }
        assert_agrees(&["cauldron-infra", "cauldron-frappe"], "prod", &[]);
    }

    #[test]
    fn manifests_agree_with_the_plan_after_overrides() {
        assert_agrees(
            &["rhesis"],
            "prod",
            &["backend.replicas=4", "worker.enabled=false"],
        );
        // Rhesis's standalone Redis claim switched off: no claim, no storage.
        assert_agrees(&["rhesis"], "local", &["redis.persistence.enabled=false"]);
        assert_agrees(
            &["rae-memory"],
            "prod",
            &[
                "memoryApi.autoscaling.maxReplicas=30",
                "mlService.resources.requests.cpu=3",
                // An autoscaler's minimum under 1 is 1 (as rendered and planned).
                "celeryWorker.autoscaling.minReplicas=0",
            ],
        );
        // RAE's releases: PostgreSQL replication with exporters (sized), Qdrant's second
        // claim template, Redis with Sentinel (a sidecar and a second claim per node).
        assert_agrees(
            &["rae-memory"],
            "dev",
            &[
                "postgresql.architecture=replication",
                "postgresql.readReplicas.replicaCount=2",
                "postgresql.metrics.enabled=true",
                "postgresql.metrics.resources.requests.cpu=50m",
                "postgresql.metrics.resources.limits.memory=64Mi",
                "qdrant.snapshotPersistence.enabled=true",
                "redis.sentinel.enabled=true",
                "redis.sentinel.persistence.enabled=true",
                "redis.sentinel.resources.limits.cpu=100m",
            ],
        );
        // cauldron-infra: exporters with figures (a request left out defaults to the limit),
        // an existing claim (no template, no storage), the Bitnami Redis master persisted, the
        // Frappe Redis instances off.
        assert_agrees(
            &["cauldron-infra"],
            "dev",
            &[
                "redis.metrics.resources.limits.cpu=20m",
                "redis.metrics.resources.limits.memory=32Mi",
                "postgresql.primary.persistence.existingClaim=pg-data",
                "redis.master.persistence.enabled=true",
                "redisInstances.enabled=false",
            ],
        );
        assert_agrees(
            &["cauldron-frappe"],
            "staging",
            &["frappe.persistence.enabled=false", "frappe.replicas.web=5"],
        );
        // A request left out defaults to the limit.
        assert_agrees(
            &["caracal"],
            "staging",
            &["redis.resources.requests.memory=null"],
        );
        // Persistence off: no claim, no storage; Zookeeper's two templates go together.
        assert_agrees(
            &["caracal"],
            "prod",
            &[
                "kafka.persistence.enabled=false",
                "zookeeper.persistence.logSize=3Gi",
            ],
        );
        assert_agrees(
            &["caracal"],
            "dev",
            &["zookeeper.persistence.enabled=false"],
        );
        // Caracal's overlay keeps replicaCount beside the HPA: spec.replicas 1, baseline the
        // HPA minimum 3 (and 2 above a minimum of 1).
        assert_agrees(&["caracal"], "dev", &["gateway.autoscaling.enabled=true"]);
        assert_agrees(
            &["caracal"],
            "prod",
            &[
                "mcpAdapter.replicaCount=3",
                "mcpAdapter.autoscaling.minReplicas=1",
            ],
        );
    }

    #[test]
    fn the_agreement_check_can_fail() {
        let c = config(&["rhesis"], "prod", &[]);
        let mut ms = render(cat(), &c);
        let d = ms
            .iter_mut()
            .find(|m| m.kind == "Deployment" && m.name == "backend")
            .unwrap();
        d.yaml = d.yaml.replace("replicas: 3", "replicas: 2");
        let (base, _) = sums(&ms);
        assert_ne!(
            base,
            plan_sums(&crate::plan::plan(cat(), &c).totals.baseline)
        );
        // And the per-workload check catches a sidecar that is not rendered (its figures are
        // none, so the totals cannot tell).
        let c = config(&["cauldron-infra"], "prod", &[]);
        let mut ms = render(cat(), &c);
        let sts = ms
            .iter_mut()
            .find(|m| m.kind == "StatefulSet" && m.name == "cauldron-infra-postgresql-primary")
            .unwrap();
        let mut s: StatefulSet = typed(sts);
        s.spec
            .template
            .spec
            .as_mut()
            .unwrap()
            .containers
            .truncate(1);
        sts.yaml = serde_yaml::to_string(&s).unwrap();
        let p = crate::plan::plan(cat(), &c);
        assert_eq!(sums(&ms).0, plan_sums(&p.totals.baseline));
        let caught = std::panic::catch_unwind(|| assert_workloads(&c, &ms, &p));
        assert!(caught.is_err());
    }

    #[test]
    fn every_object_parses_back_into_its_type() {
        for (chart, env) in every_chart_env() {
            for m in rendered(&[&chart], &env, &[]) {
                match m.kind.as_str() {
                    "ServiceAccount" => drop(typed::<ServiceAccount>(&m)),
                    "Secret" => drop(typed::<Secret>(&m)),
                    "ConfigMap" => drop(typed::<ConfigMap>(&m)),
                    "PersistentVolumeClaim" => drop(typed::<PersistentVolumeClaim>(&m)),
                    "Role" => drop(typed::<Role>(&m)),
                    "RoleBinding" => drop(typed::<RoleBinding>(&m)),
                    "Service" => drop(typed::<Service>(&m)),
                    "Deployment" => drop(typed::<Deployment>(&m)),
                    "StatefulSet" => drop(typed::<StatefulSet>(&m)),
                    "HorizontalPodAutoscaler" => drop(typed::<HorizontalPodAutoscaler>(&m)),
                    "PodDisruptionBudget" => drop(typed::<PodDisruptionBudget>(&m)),
                    "Ingress" => drop(typed::<Ingress>(&m)),
                    "NetworkPolicy" => drop(typed::<NetworkPolicy>(&m)),
                    "ServiceMonitor" => drop(typed::<ServiceMonitor>(&m)),
                    "ExternalSecret" => drop(typed::<ExternalSecret>(&m)),
                    "Namespace" => drop(typed::<Namespace>(&m)),
                    other => panic!("unexpected kind {other}"),
                }
                let v: Value = serde_yaml::from_str(&m.yaml).unwrap();
                let labels = v["metadata"]["labels"].as_mapping().unwrap();
                // A chart whose templates are known (catalog `render`) carries its own labels.
                // A Bitnami chart's objects carry its common.labels.standard.
                let bitnami = labels
                    .get("helm.sh/chart")
                    .and_then(Value::as_str)
                    .is_some_and(|c| {
                        ["postgresql-", "redis-", "rabbitmq-"]
                            .iter()
                            .any(|p| c.starts_with(p))
                    });
                let keys: Vec<&str> = match cat().chart(&chart).unwrap().render() {
                    _ if bitnami => vec![
                        "app.kubernetes.io/name",
                        "app.kubernetes.io/instance",
                        "app.kubernetes.io/managed-by",
                        "helm.sh/chart",
                    ],
                    Some(r) => r.labels.keys().map(String::as_str).collect(),
                    None => vec![
                        "app.kubernetes.io/name",
                        "app.kubernetes.io/instance",
                        "app.kubernetes.io/part-of",
                        "app.kubernetes.io/managed-by",
                    ],
                };
                for key in keys {
                    assert!(
                        labels.contains_key(key),
                        "{} {} lacks {key}",
                        m.kind,
                        m.name
                    );
                }
                let namespace = Value::from(cat().chart(&chart).unwrap().chart.namespace.clone());
                if m.kind == "Namespace" {
                    // Cluster-scoped: the namespace itself, in none.
                    assert_eq!(v["metadata"]["name"], namespace);
                    assert!(v["metadata"]["namespace"].is_null());
                } else {
                    assert_eq!(v["metadata"]["namespace"], namespace);
                }
            }
        }
    }

    #[test]
    fn rendering_is_deterministic() {
        for (chart, env) in every_chart_env() {
            assert_eq!(
                rendered(&[&chart], &env, &[]),
                rendered(&[&chart], &env, &[])
            );
        }
        assert_eq!(
            rendered(&["cauldron-frappe", "cauldron-infra"], "dev", &[]),
            rendered(&["cauldron-infra", "cauldron-frappe"], "dev", &[])
        );
        let ms = rendered(&["caracal"], "prod", &[]);
        let ranks: Vec<(usize, &str)> = ms
            .iter()
            .map(|m| (kind_rank(&m.kind), m.name.as_str()))
            .collect();
        let mut sorted = ranks.clone();
        sorted.sort();
        assert_eq!(ranks, sorted, "kind order, then name");
    }

    #[test]
    fn files_follow_helm_template_layout() {
        // Rhesis names its objects without the release (templates/*-deployment.yaml,
        // *-pvc.yaml): Deployments backend and postgres, claim postgres-pvc.
        let ms = rendered(&["rhesis"], "dev", &[]);
        let files = per_object_files(&ms);
        assert_eq!(files.len(), ms.len());
        for path in [
            "rhesis/templates/deployment-backend.yaml",
            "rhesis/templates/deployment-postgres.yaml",
            "rhesis/templates/persistentvolumeclaim-postgres-pvc.yaml",
        ] {
            assert!(files.iter().any(|f| f.path == path), "{path}");
        }
        let multi = multi_doc_files(&ms);
        assert_eq!(multi.len(), 1);
        assert_eq!(multi[0].path, "rhesis.yaml");
        let docs = multi[0].contents.matches("\n---\n").count() + 1;
        assert_eq!(docs, ms.len());
        assert!(multi[0]
            .contents
            .starts_with("---\n# Source: rhesis/templates/"));
    }

    #[test]
    fn disabled_components_render_nothing() {
        let ms = rendered(&["rhesis"], "prod", &["worker.enabled=false"]);
        assert!(
            ms.iter().all(|m| !m.name.contains("worker")),
            "{:?}",
            ms.iter().map(|m| &m.name).collect::<Vec<_>>()
        );
        // cauldron-infra dev: Bitnami PostgreSQL standalone (no read replicas, the primary is
        // named without -primary).
        let ms = rendered(&["cauldron-infra"], "dev", &[]);
        assert!(find(&ms, "StatefulSet", "cauldron-infra-postgresql-read").is_none());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-postgresql").is_some());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-redis-replicas").is_none());
        // prod (values-prod.yaml: architecture replication for both Bitnami charts).
        let ms = rendered(&["cauldron-infra"], "prod", &[]);
        assert!(find(&ms, "StatefulSet", "cauldron-infra-postgresql-read").is_some());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-postgresql-primary").is_some());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-redis-replicas").is_some());
        assert!(find(&ms, "Deployment", "cauldron-infra-redis-cache").is_some());
        // The three Frappe Redis Deployments have one switch above their own.
        let ms = rendered(
            &["cauldron-infra"],
            "prod",
            &["redisInstances.enabled=false"],
        );
        for id in ["redis-cache", "redis-queue", "redis-socketio"] {
            assert!(
                ms.iter().all(|m| m.name != format!("cauldron-infra-{id}")),
                "{id}"
            );
        }
        // Sentinel replaces the Bitnami master and replicas with the -node StatefulSet.
        let ms = rendered(
            &["cauldron-infra"],
            "prod",
            &["redis.sentinel.enabled=true"],
        );
        assert!(find(&ms, "StatefulSet", "cauldron-infra-redis-master").is_none());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-redis-replicas").is_none());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-redis-node").is_some());
    }

    #[test]
    fn secrets_hold_placeholders_and_existing_secrets_are_referenced() {
        for (chart, env) in every_chart_env() {
            for m in rendered(&[&chart], &env, &[]) {
                if m.kind != "Secret" {
                    continue;
                }
                let s: Secret = typed(&m);
                assert!(s.data.is_none());
                for (k, v) in s.string_data.unwrap_or_default() {
                    assert!(v.contains(PLACEHOLDER), "{chart} {env} {}: {k}={v}", m.name);
                }
            }
        }
        // Bitnami PostgreSQL: its own Secret, unless auth.existingSecret names one.
        let ms = rendered(&["cauldron-infra"], "prod", &[]);
        assert!(find(&ms, "Secret", "cauldron-infra-postgresql").is_some());
        let ms = rendered(
            &["cauldron-infra"],
            "prod",
            &["postgresql.auth.existingSecret=cauldron-postgresql"],
        );
        assert!(find(&ms, "Secret", "cauldron-infra-postgresql").is_none());
        let sts = find(&ms, "StatefulSet", "cauldron-infra-postgresql-primary").unwrap();
        assert!(
            sts.yaml.contains("name: cauldron-postgresql"),
            "{}",
            sts.yaml
        );
        // cauldron-infra's own Secret: TimescaleDB's password.
        let ts = find(&ms, "Deployment", "cauldron-infra-timescaledb").unwrap();
        assert!(ts.yaml.contains("name: cauldron-secrets"), "{}", ts.yaml);
        assert!(ts.yaml.contains("key: timescale-password"), "{}", ts.yaml);
        assert!(find(&ms, "Secret", "cauldron-secrets").is_some());
        // cauldron-frappe: its own Secret for the admin password; the database password comes
        // from cauldron-infra's Secret (frappe.db.passwordSecret), which it does not render.
        let ms = rendered(&["cauldron-frappe"], "prod", &[]);
        let secrets: Vec<&str> = ms
            .iter()
            .filter(|m| m.kind == "Secret")
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(secrets, ["cauldron-frappe-secret"]);
        let web = find(&ms, "Deployment", "cauldron-frappe-web").unwrap();
        assert!(web.yaml.contains("name: cauldron-secrets"), "{}", web.yaml);
        assert!(web.yaml.contains("key: db-root-password"), "{}", web.yaml);
        // Rhesis: the existing Secret rhesis-secrets and its keys (secretKeys.*); none rendered.
        let ms = rendered(&["rhesis"], "local", &[]);
        assert!(ms.iter().all(|m| m.kind != "Secret"));
        let pg = find(&ms, "Deployment", "postgres").unwrap();
        assert!(pg.yaml.contains("name: rhesis-secrets"), "{}", pg.yaml);
        assert!(pg.yaml.contains("key: POSTGRES_PASSWORD"), "{}", pg.yaml);
        // RAE: rae-memory-secrets comes from the External Secrets Operator in prod.
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let es: ExternalSecret = typed(find(&ms, "ExternalSecret", "rae-memory-secrets").unwrap());
        assert_eq!(es.spec.secret_store_ref.name, "aws-secrets-manager");
        assert_eq!(es.spec.target.name, "rae-memory-secrets");
        assert_eq!(es.spec.data.len(), 7);
        assert_eq!(es.spec.data[0].secret_key, "database-url");
        assert_eq!(es.spec.data[0].remote_ref.key, "rae/database-url");
        assert!(find(&ms, "Secret", "rae-memory-secrets").is_none());
        let ms = rendered(&["rae-memory"], "dev", &[]);
        let s: Secret = typed(find(&ms, "Secret", "rae-memory-secrets").unwrap());
        let data = s.string_data.unwrap();
        assert_eq!(
            data["database-url"],
            format!("postgresql://rae:{PLACEHOLDER}@rae-memory-postgresql:5432/rae_memory")
        );
        assert!(ms.iter().all(|m| m.kind != "ExternalSecret"));
    }

    /// The resources map a container's figures come from: the component's, or its sidecar's.
    fn resources_path<'a>(comp: &'a Component, container: usize, name: &str) -> Option<&'a str> {
        if container == 0 {
            comp.values.resources.as_deref()
        } else {
            comp.values
                .sidecars
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| s.resources.as_deref())
        }
    }

    #[test]
    fn containers_carry_resources_probes_and_restricted_security() {
        for (chart_id, env) in every_chart_env() {
            let chart = cat().chart(&chart_id).unwrap();
            let values = config(&[&chart_id], &env, &[])
                .effective(chart)
                .into_owned();
            // Security is checked on what the hardening overlay builds: a chart whose templates
            // are known gets Tonnage's contexts from its patches, the others in the render.
            let hardened = render_hardened(cat(), &config(&[&chart_id], &env, &[]));
            for m in rendered(&[&chart_id], &env, &[]) {
                if m.kind != "Deployment" && m.kind != "StatefulSet" {
                    continue;
                }
                let pod = pod_of(&m);
                let hard_pod = pod_of(find(&hardened, &m.kind, &m.name).unwrap());
                let psc = hard_pod.security_context.clone().unwrap();
                assert_eq!(psc.run_as_non_root, Some(true), "{}", m.name);
                assert_eq!(psc.seccomp_profile.unwrap().type_, "RuntimeDefault");
                let v: Value = serde_yaml::from_str(&m.yaml).unwrap();
                let comp = chart
                    .components
                    .iter()
                    .find(|c| c.workload_name(&values) == Some(m.name.as_str()))
                    .or_else(|| {
                        v["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
                            .as_str()
                            .and_then(|id| chart.component(id))
                    })
                    .unwrap();
                for (i, c) in pod.containers.iter().enumerate() {
                    // Every figure the values give is on the container; a map the values
                    // leave empty (Bitnami's exporters, its read replicas' limits) stays empty.
                    let r = c.resources.clone().unwrap();
                    let res = resources_path(comp, i, &c.name);
                    for (kind, map) in [("requests", &r.requests), ("limits", &r.limits)] {
                        for key in ["cpu", "memory"] {
                            let given = res.is_some_and(|p| {
                                crate::values::lookup(&values, &format!("{p}.{kind}.{key}"))
                                    .is_some_and(|v| !v.is_null())
                            });
                            // A request the values leave out stays out, as Helm writes it.
                            let expect = given;
                            let has = map.as_ref().is_some_and(|m| m.contains_key(key));
                            assert_eq!(has, expect, "{} {}: {kind}.{key}", m.name, c.name);
                        }
                    }
                }
                for c in hard_pod
                    .containers
                    .iter()
                    .chain(hard_pod.init_containers.iter().flatten())
                {
                    let sc = c.security_context.clone().unwrap();
                    assert_eq!(sc.allow_privilege_escalation, Some(false));
                    assert_eq!(sc.capabilities.unwrap().drop.unwrap(), ["ALL"]);
                    let image = c.image.clone().unwrap();
                    assert!(image.contains(':'), "{image} has a tag");
                }
                // Init containers the chart's template writes without resources (catalog
                // `render.init_env`) have none in the plain render; Tonnage's own have both.
                let as_written =
                    |name: &str| comp.render().is_some_and(|r| r.init_env.contains_key(name));
                for c in pod.init_containers.iter().flatten() {
                    if as_written(&c.name) {
                        assert!(c.resources.is_none(), "{}", m.name);
                        continue;
                    }
                    let r = c.resources.clone().unwrap();
                    assert!(r.requests.is_some() && r.limits.is_some(), "{}", m.name);
                }
                let main = &pod.containers[0];
                assert_eq!(main.name, *comp.container.as_ref().unwrap_or(&comp.id));
                // Probes where the catalog has them (RAE's Celery worker: none, as its template).
                assert_eq!(
                    main.liveness_probe.is_some(),
                    comp.probes.liveness.is_some()
                );
                assert_eq!(
                    main.readiness_probe.is_some(),
                    comp.probes.readiness.is_some()
                );
                // Only RabbitMQ's peer discovery talks to the API: only its pods get a token
                // (and the Qdrant chart's pods, which run as its ServiceAccount).
                let rbac = pod
                    .service_account_name
                    .as_deref()
                    .is_some_and(|s| s.ends_with("rabbitmq") || s.ends_with("qdrant"));
                assert_eq!(
                    hard_pod.automount_service_account_token,
                    Some(rbac),
                    "{}",
                    m.name
                );
                // The plain render of a chart whose templates are known in every field the
                // records hold (tests/manifests_real.rs, EXTENDED) adds none of it.
                if ["rhesis", "cauldron-frappe"].contains(&chart.id.as_str()) {
                    assert!(
                        pod.affinity.is_none() && pod.automount_service_account_token.is_none()
                    );
                    assert!(pod.enable_service_links.is_none(), "{}", m.name);
                }
            }
        }
    }

    #[test]
    fn sidecars_render_as_containers_with_their_resources() {
        // cauldron-infra prod: postgres-exporter beside every PostgreSQL pod, redis-exporter
        // beside every Bitnami Redis pod; neither the chart nor Bitnami gives them resources.
        let ms = rendered(&["cauldron-infra"], "prod", &[]);
        for (name, port) in [
            ("cauldron-infra-postgresql-primary", 9187),
            ("cauldron-infra-postgresql-read", 9187),
            ("cauldron-infra-redis-master", 9121),
            ("cauldron-infra-redis-replicas", 9121),
        ] {
            let pod = pod_of(find(&ms, "StatefulSet", name).unwrap());
            assert_eq!(pod.containers.len(), 2, "{name}");
            let m = &pod.containers[1];
            assert_eq!(m.name, "metrics");
            assert!(m.image.as_deref().unwrap().contains("exporter"), "{name}");
            assert_eq!(m.ports.as_ref().unwrap()[0].container_port, port);
            let r = m.resources.clone().unwrap();
            assert!(r.requests.is_none() && r.limits.is_none(), "{name}");
        }
        // Switched off, the exporter goes; sized, it carries its figures.
        let ms = rendered(
            &["cauldron-infra"],
            "prod",
            &[
                "redis.metrics.enabled=false",
                "postgresql.metrics.resources.requests.cpu=50m",
                "postgresql.metrics.resources.limits.memory=64Mi",
            ],
        );
        let pod = pod_of(find(&ms, "StatefulSet", "cauldron-infra-redis-master").unwrap());
        assert_eq!(pod.containers.len(), 1);
        let pod = pod_of(find(&ms, "StatefulSet", "cauldron-infra-postgresql-primary").unwrap());
        let r = pod.containers[1].resources.clone().unwrap();
        assert_eq!(r.requests.unwrap()["cpu"].0, "50m");
        assert_eq!(r.limits.unwrap()["memory"].0, "64Mi");
        // Sentinel: a container of every -node pod, with its own claim template.
        let ms = rendered(
            &["rae-memory"],
            "prod",
            &[
                "redis.sentinel.enabled=true",
                "redis.sentinel.persistence.enabled=true",
            ],
        );
        let s: StatefulSet = typed(find(&ms, "StatefulSet", "rae-memory-redis-node").unwrap());
        let names: Vec<String> = s
            .spec
            .template
            .spec
            .unwrap()
            .containers
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["redis", "sentinel"]);
        let claims: Vec<String> = s
            .spec
            .volume_claim_templates
            .unwrap()
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect();
        // Bitnami Redis names its data claim redis-data (sentinel/statefulset.yaml).
        assert_eq!(claims, ["redis-data", "sentinel-data"]);
    }

    #[test]
    fn claim_templates_and_standalone_claims_are_the_charts() {
        // Caracal's Zookeeper: two claims per node (k8s/v03/zookeeper-statefulset.yaml).
        let ms = rendered(&["caracal"], "prod", &[]);
        let zk: StatefulSet = typed(find(&ms, "StatefulSet", "caracal-zookeeper").unwrap());
        let templates = zk.spec.volume_claim_templates.unwrap();
        let named: Vec<(String, i64)> = templates
            .iter()
            .map(|t| (t.metadata.name.clone().unwrap(), pvc_storage(t)))
            .collect();
        assert_eq!(
            named,
            [
                ("zookeeper-data".to_string(), 10 << 30),
                ("zookeeper-log".to_string(), 10 << 30)
            ]
        );
        let mounts: Vec<String> = zk.spec.template.spec.unwrap().containers[0]
            .volume_mounts
            .clone()
            .unwrap()
            .into_iter()
            .map(|m| m.mount_path)
            .collect();
        assert!(mounts.contains(&"/var/lib/zookeeper/log".to_string()));
        // Off: no template, the pod keeps an emptyDir under the same name.
        let ms = rendered(
            &["caracal"],
            "prod",
            &["zookeeper.persistence.enabled=false"],
        );
        let zk: StatefulSet = typed(find(&ms, "StatefulSet", "caracal-zookeeper").unwrap());
        assert!(zk.spec.volume_claim_templates.is_none());
        let volumes = zk.spec.template.spec.unwrap().volumes.unwrap();
        assert!(volumes
            .iter()
            .any(|v| v.name == "zookeeper-log" && v.empty_dir.is_some()));
        // Rhesis: Deployments with the standalone claims the chart names.
        let ms = rendered(&["rhesis"], "prod", &[]);
        for (deployment, claim, size) in [
            ("postgres", "postgres-pvc", 100i64 << 30),
            ("redis", "redis-pvc", 10 << 30),
        ] {
            let pvc: PersistentVolumeClaim =
                typed(find(&ms, "PersistentVolumeClaim", claim).unwrap());
            assert_eq!(pvc_storage(&pvc), size);
            let pod = pod_of(find(&ms, "Deployment", deployment).unwrap());
            assert!(pod.volumes.unwrap().iter().any(|v| v
                .persistent_volume_claim
                .as_ref()
                .is_some_and(|c| c.claim_name == claim)));
        }
        // cauldron-infra: TimescaleDB and Qdrant are Deployments with standalone claims.
        let ms = rendered(&["cauldron-infra"], "dev", &[]);
        for (deployment, claim) in [
            (
                "cauldron-infra-timescaledb",
                "cauldron-infra-timescaledb-data",
            ),
            ("cauldron-infra-qdrant", "cauldron-infra-qdrant-data"),
        ] {
            assert!(
                find(&ms, "Deployment", deployment).is_some(),
                "{deployment}"
            );
            assert!(
                find(&ms, "PersistentVolumeClaim", claim).is_some(),
                "{claim}"
            );
        }
        // An existing claim replaces the Bitnami primary's template.
        let ms = rendered(
            &["cauldron-infra"],
            "dev",
            &["postgresql.primary.persistence.existingClaim=pg-data"],
        );
        let s: StatefulSet = typed(find(&ms, "StatefulSet", "cauldron-infra-postgresql").unwrap());
        assert!(s.spec.volume_claim_templates.is_none());
        assert!(s
            .spec
            .template
            .spec
            .unwrap()
            .volumes
            .unwrap()
            .iter()
            .any(|v| v
                .persistent_volume_claim
                .as_ref()
                .is_some_and(|c| c.claim_name == "pg-data")));
    }

    #[test]
    fn read_only_root_gets_writable_empty_dirs() {
        let ms = rendered(&["rae-memory"], "dev", &[]);
        let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-api").unwrap());
        let pod = d.spec.template.spec.unwrap();
        let c = &pod.containers[0];
        assert_eq!(
            c.security_context
                .as_ref()
                .unwrap()
                .read_only_root_filesystem,
            Some(true)
        );
        let mounts = c.volume_mounts.clone().unwrap();
        assert!(mounts.iter().any(|m| m.mount_path == "/tmp"));
        let ms = rendered(
            &["rae-memory"],
            "dev",
            &["securityContext.readOnlyRootFilesystem=false"],
        );
        let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-api").unwrap());
        let c = &d.spec.template.spec.unwrap().containers[0];
        assert_eq!(
            c.security_context
                .as_ref()
                .unwrap()
                .read_only_root_filesystem,
            Some(false)
        );
        // The chart's securityContext is not passed to the Qdrant release.
        let s: StatefulSet = typed(find(&ms, "StatefulSet", "rae-memory-qdrant").unwrap());
        let c = &s.spec.template.spec.unwrap().containers[0];
        assert_ne!(
            c.security_context
                .as_ref()
                .and_then(|s| s.read_only_root_filesystem),
            Some(false)
        );
    }

    #[test]
    fn replicas_get_anti_affinity_spread_and_a_budget() {
        let ms = rendered(&["caracal"], "prod", &[]);
        // Anti-affinity and spread where the files write none: the hardened render's.
        let hardened = render_hardened(cat(), &config(&["caracal"], "prod", &[]));
        let kafka: StatefulSet = typed(find(&hardened, "StatefulSet", "caracal-kafka").unwrap());
        let pod = kafka.spec.template.spec.unwrap();
        let anti = pod.affinity.unwrap().pod_anti_affinity.unwrap();
        let req = anti
            .required_during_scheduling_ignored_during_execution
            .unwrap();
        assert_eq!(req[0].topology_key, "kubernetes.io/hostname");
        let spread = pod.topology_spread_constraints.unwrap();
        assert_eq!(spread[0].topology_key, "topology.kubernetes.io/zone");
        assert_eq!(spread[0].when_unsatisfiable, "ScheduleAnyway");
        // The plain render has the budgets of the chart's own files (k8s/pdb.yaml, catalog
        // `pdb`, switched on by their values); the others are hardening, in the overlay's objects.
        let own: Vec<&str> = ms
            .iter()
            .filter(|m| m.kind == "PodDisruptionBudget")
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(own, ["caracal-gateway-pdb", "caracal-mcp-adapter-pdb"]);
        let pdb: PodDisruptionBudget =
            typed(find(&ms, "PodDisruptionBudget", "caracal-gateway-pdb").unwrap());
        assert_eq!(pdb.spec.unwrap().min_available, Some(IntOrString::Int(2)));
        let hard = render_hardening(cat(), &config(&["caracal"], "prod", &[]));
        // Kafka is a quorum system: minAvailable 2 of 3.
        let pdb: PodDisruptionBudget =
            typed(find(&hard, "PodDisruptionBudget", "caracal-kafka").unwrap());
        assert_eq!(pdb.spec.unwrap().min_available, Some(IntOrString::Int(2)));
        let gw: Deployment = typed(find(&hardened, "Deployment", "caracal-gateway").unwrap());
        let anti = gw
            .spec
            .template
            .spec
            .unwrap()
            .affinity
            .unwrap()
            .pod_anti_affinity
            .unwrap();
        let pref = anti
            .preferred_during_scheduling_ignored_during_execution
            .unwrap();
        assert_eq!(pref[0].weight, 100);
        // A budget of its own: the overlay adds none beside it.
        assert!(find(&hard, "PodDisruptionBudget", "caracal-gateway").is_none());
        let pdb: PodDisruptionBudget =
            typed(find(&hard, "PodDisruptionBudget", "caracal-schema-registry").unwrap());
        assert_eq!(pdb.spec.unwrap().max_unavailable, Some(IntOrString::Int(1)));
        // One replica: no budget; the gateway's affinity is its file's (catalog
        // `anti_affinity`: preferred, by component), whatever its replicas, Kafka's none.
        let ms = rendered(&["caracal"], "dev", &[]);
        let hard = render_hardening(cat(), &config(&["caracal"], "dev", &[]));
        assert!(hard.iter().all(|m| m.kind != "PodDisruptionBudget"));
        let gw: Deployment = typed(find(&ms, "Deployment", "caracal-gateway").unwrap());
        let anti = gw
            .spec
            .template
            .spec
            .unwrap()
            .affinity
            .unwrap()
            .pod_anti_affinity
            .unwrap();
        assert!(anti
            .required_during_scheduling_ignored_during_execution
            .is_none());
        let term = &anti
            .preferred_during_scheduling_ignored_during_execution
            .unwrap()[0];
        assert_eq!(term.weight, 100);
        let expr = &term
            .pod_affinity_term
            .label_selector
            .as_ref()
            .unwrap()
            .match_expressions
            .as_ref()
            .unwrap()[0];
        assert_eq!(
            (expr.key.as_str(), expr.operator.as_str()),
            ("app.kubernetes.io/component", "In")
        );
        assert_eq!(expr.values.as_deref(), Some(&["gateway".to_string()][..]));
        let kafka: StatefulSet = typed(find(&ms, "StatefulSet", "caracal-kafka").unwrap());
        assert!(kafka.spec.template.spec.unwrap().affinity.is_none());
    }

    #[test]
    fn autoscalers_follow_the_values_and_the_rae_chart() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let h: HorizontalPodAutoscaler =
            typed(find(&ms, "HorizontalPodAutoscaler", "rae-memory-api").unwrap());
        assert_eq!(h.spec.scale_target_ref.name, "rae-memory-api");
        assert_eq!((h.spec.min_replicas, h.spec.max_replicas), (Some(5), 20));
        let cpu = &h.spec.metrics.as_ref().unwrap()[0];
        assert_eq!(
            cpu.resource.as_ref().unwrap().target.average_utilization,
            Some(60)
        );
        // The ML service's HPA (1-5) is on in the chart's values.yaml.
        assert!(find(&ms, "HorizontalPodAutoscaler", "rae-memory-ml-service").is_some());
        let h: HorizontalPodAutoscaler =
            typed(find(&ms, "HorizontalPodAutoscaler", "rae-memory-celery-worker").unwrap());
        let metrics = h.spec.metrics.unwrap();
        assert_eq!(metrics.len(), 2, "CPU 80% and memory 75%");
        assert_eq!(metrics[1].resource.as_ref().unwrap().name, "memory");
        // templates/hpa-celery-worker.yaml: scale up by the larger of 100% and 2 pods per 30s
        // (selectPolicy Max, not the guide's "max 2 pods at once": catalog claim
        // celery-scale-up), scale down 50% per 60s after 300s.
        let b = h.spec.behavior.unwrap();
        let up = b.scale_up.unwrap();
        assert_eq!(up.select_policy.as_deref(), Some("Max"));
        assert_eq!(up.policies.unwrap()[1].value, 2);
        let down = b.scale_down.unwrap();
        assert_eq!(down.stabilization_window_seconds, Some(300));
        let ms = rendered(&["rae-memory"], "dev", &[]);
        assert!(find(&ms, "HorizontalPodAutoscaler", "rae-memory-api").is_none());
        // Caracal's HPA keeps the manifest's name.
        let ms = rendered(&["caracal"], "prod", &[]);
        let h: HorizontalPodAutoscaler =
            typed(find(&ms, "HorizontalPodAutoscaler", "caracal-gateway-hpa").unwrap());
        assert_eq!(h.spec.scale_target_ref.name, "caracal-gateway");
    }

    #[test]
    fn rae_network_policies_are_the_templates_and_the_guides_rules_harden_the_rest() {
        // templates/networkpolicy.yaml: the API's and the ML service's, nothing else.
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let names: Vec<&str> = ms
            .iter()
            .filter(|m| m.kind == "NetworkPolicy")
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(names, ["rae-memory-api", "rae-memory-ml-service"]);
        let np: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-api").unwrap());
        let spec = np.spec.unwrap();
        let ports: BTreeSet<i32> = spec
            .egress
            .unwrap()
            .iter()
            .flat_map(|r| r.ports.clone().unwrap_or_default())
            .filter_map(|p| match p.port {
                Some(IntOrString::Int(n)) => Some(n),
                _ => None,
            })
            .collect();
        assert_eq!(
            ports,
            BTreeSet::from([53, 443, 5432, 6333, 6379, 8001, 8002])
        );
        let ingress = spec.ingress.unwrap();
        assert_eq!(ingress.len(), 2);
        let ml: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-ml-service").unwrap());
        let from = ml.spec.unwrap().ingress.unwrap()[0].from.clone().unwrap();
        // From every pod with the chart's selector labels (the template's rule, wider than
        // the guide's "only from API and Celery Worker").
        let every_pod = from[0].pod_selector.clone().unwrap().match_labels.unwrap();
        assert_eq!(
            every_pod,
            BTreeMap::from([
                (
                    "app.kubernetes.io/instance".to_string(),
                    "rae-memory".to_string()
                ),
                (
                    "app.kubernetes.io/name".to_string(),
                    "rae-memory".to_string()
                ),
            ])
        );
        // The guide's rules for the pods the templates leave open: the hardening overlay.
        let ms = render_hardening(cat(), &config(&["rae-memory"], "prod", &[]));
        assert!(find(&ms, "NetworkPolicy", "rae-memory-api").is_none());
        // The API's way to its stores, which the template's rule (the chart's own labels)
        // misses: to the Qdrant release's pods by their labels.
        let np: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-api-egress").unwrap());
        let spec = np.spec.unwrap();
        assert_eq!(spec.policy_types.unwrap(), ["Egress"]);
        let to_qdrant = spec
            .egress
            .unwrap()
            .into_iter()
            .find(|r| r.ports.as_ref().unwrap()[0].port == Some(IntOrString::Int(6333)))
            .unwrap();
        let labels = to_qdrant.to.unwrap()[0]
            .pod_selector
            .clone()
            .unwrap()
            .match_labels
            .unwrap();
        assert_eq!(labels["app.kubernetes.io/instance"], "rae-memory-qdrant");
        // A standalone PostgreSQL: only from the three app components, no outbound traffic.
        let db: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-postgresql").unwrap());
        let spec = db.spec.unwrap();
        assert_eq!(spec.egress, Some(vec![]), "no outbound traffic");
        assert_eq!(spec.ingress.unwrap()[0].from.as_ref().unwrap().len(), 3);
        // Redis master and replicas (Bitnami's default replication) reach each other.
        let np: NetworkPolicy =
            typed(find(&ms, "NetworkPolicy", "rae-memory-redis-replicas").unwrap());
        let spec = np.spec.unwrap();
        let egress = spec.egress.unwrap();
        assert_eq!(egress.len(), 2, "DNS and the other Redis pods");
        assert_eq!(egress[1].to.as_ref().unwrap().len(), 2);
        let c = config(&["rae-memory"], "prod", &["networkPolicy.enabled=false"]);
        assert!(render_hardened(cat(), &c)
            .iter()
            .all(|m| m.kind != "NetworkPolicy"));
        // The other charts have no NetworkPolicy template.
        for chart in ["cauldron-infra", "cauldron-frappe", "rhesis", "caracal"] {
            let env = if chart == "rhesis" { "local" } else { "prod" };
            assert!(rendered(&[chart], env, &[])
                .iter()
                .all(|m| m.kind != "NetworkPolicy"));
        }
    }

    #[test]
    fn frappe_config_init_containers_and_shared_volume() {
        let ms = rendered(&["cauldron-frappe"], "prod", &[]);
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "cauldron-frappe-config").unwrap());
        let data = cm.data.unwrap();
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "common_site_config.json",
                "entrypoint.sh",
                "scheduler-entrypoint.sh",
                "socketio-entrypoint.sh",
                "worker-entrypoint.sh"
            ]
        );
        let cfg: serde_json::Value =
            serde_json::from_str(&data["common_site_config.json"]).unwrap();
        // The chart's frappe.db.host "postgres" (values.yaml; no env file changes it) and
        // values-prod.yaml's frappe.bench.developerMode false.
        assert_eq!(cfg["db_host"], "postgres");
        assert_eq!(cfg["db_port"], 5432);
        assert_eq!(cfg["redis_queue"], "redis://redis-queue:6379/1");
        assert_eq!(cfg["developer_mode"], false);
        assert_eq!(cfg["socketio_port"], 9000);
        // The entrypoint scripts are the chart authors' text: a placeholder naming the template.
        assert_eq!(
            data["entrypoint.sh"],
            template_placeholder("templates/configmap.yaml")
        );
        // The sites volume: the chart's PVC cauldron-frappe-data, ReadWriteOnce in every file.
        let pvc: PersistentVolumeClaim =
            typed(find(&ms, "PersistentVolumeClaim", "cauldron-frappe-data").unwrap());
        let spec = pvc.spec.unwrap();
        assert_eq!(spec.access_modes.unwrap(), ["ReadWriteOnce"]);
        assert_eq!(
            pvc_storage(&typed(
                find(&ms, "PersistentVolumeClaim", "cauldron-frappe-data").unwrap()
            )),
            50 << 30
        );
        let web: Deployment = typed(find(&ms, "Deployment", "cauldron-frappe-web").unwrap());
        // ReadWriteOnce: the hardened Deployments recreate their pods; the chart writes no
        // strategy, so the plain render has none.
        assert!(web.spec.strategy.is_none());
        let hard = render_hardened(cat(), &config(&["cauldron-frappe"], "prod", &[]));
        let hard_web: Deployment = typed(find(&hard, "Deployment", "cauldron-frappe-web").unwrap());
        assert_eq!(
            hard_web.spec.strategy.unwrap().type_.as_deref(),
            Some("Recreate")
        );
        let pod = web.spec.template.spec.unwrap();
        let init = pod.init_containers.unwrap();
        let names: Vec<&str> = init.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["wait-for-db", "wait-for-redis"]);
        assert_eq!(init[0].image.as_deref(), Some("postgres:15-alpine"));
        assert!(init[1].command.as_ref().unwrap()[2].contains("'redis-socketio'"));
        let env: Vec<&str> = pod.containers[0]
            .env
            .iter()
            .flatten()
            .map(|e| e.name.as_str())
            .collect();
        assert!(
            env.contains(&"ADMIN_PASSWORD") && env.contains(&"DB_HOST"),
            "{env:?}"
        );
        // The apps as the template joins them (`name:branch`, entries run together).
        let apps = |name: &str| {
            pod.containers[0]
                .env
                .iter()
                .flatten()
                .find(|e| e.name == name)
                .and_then(|e| e.value.clone())
                .unwrap()
        };
        assert!(
            apps("STANDARD_APPS").contains("hrms:"),
            "{}",
            apps("STANDARD_APPS")
        );
        assert!(
            apps("CUSTOM_APPS").contains("https://github.com/seemslegit42/cauldron_lore.git"),
            "{}",
            apps("CUSTOM_APPS")
        );
        // frappe.livenessProbe / readinessProbe: the web container's probe timings.
        let live = pod.containers[0].liveness_probe.clone().unwrap();
        assert_eq!(live.initial_delay_seconds, Some(60));
        let ready = pod.containers[0].readiness_probe.clone().unwrap();
        assert_eq!(ready.failure_threshold, Some(6));
        let worker = pod_of(find(&ms, "Deployment", "cauldron-frappe-worker").unwrap());
        let queues = worker.containers[0]
            .env
            .iter()
            .flatten()
            .find(|e| e.name == "WORKER_QUEUES")
            .and_then(|e| e.value.clone());
        assert_eq!(queues.as_deref(), Some("default,short,long"));
        // The Ingress: named after the web Service, no Socket.IO route.
        let ing: Ingress = typed(find(&ms, "Ingress", "cauldron-frappe-web").unwrap());
        let spec = ing.spec.unwrap();
        assert_eq!(spec.ingress_class_name.as_deref(), Some("traefik"));
        assert_eq!(
            spec.tls.unwrap()[0].secret_name.as_deref(),
            Some("cauldron-prod-tls")
        );
        let rules = spec.rules.unwrap();
        let paths = &rules[0].http.as_ref().unwrap().paths;
        assert_eq!(paths.len(), 1);
        assert_eq!(
            paths[0].backend.service.as_ref().unwrap().name,
            "cauldron-frappe-web"
        );
        // The values move what they name: the database host, the wait-for-db switch (which
        // also drops wait-for-redis, nested in it), ReadWriteMany (no Recreate).
        let ms = rendered(
            &["cauldron-frappe"],
            "dev",
            &[
                "frappe.db.host=cauldron-infra-postgresql",
                "frappe.initContainers.waitForDb.enabled=false",
                "frappe.persistence.accessMode=ReadWriteMany",
                "frappe.livenessProbe.enabled=false",
            ],
        );
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "cauldron-frappe-config").unwrap());
        let cfg: serde_json::Value =
            serde_json::from_str(&cm.data.unwrap()["common_site_config.json"]).unwrap();
        assert_eq!(cfg["db_host"], "cauldron-infra-postgresql");
        let web: Deployment = typed(find(&ms, "Deployment", "cauldron-frappe-web").unwrap());
        assert!(web.spec.strategy.is_none());
        let sets = [
            "frappe.persistence.accessMode=ReadWriteMany",
            "frappe.initContainers.waitForDb.enabled=false",
        ];
        let hard = render_hardened(cat(), &config(&["cauldron-frappe"], "dev", &sets));
        let hard_web: Deployment = typed(find(&hard, "Deployment", "cauldron-frappe-web").unwrap());
        assert!(hard_web.spec.strategy.is_none());
        let pod = web.spec.template.spec.unwrap();
        assert!(pod.init_containers.is_none());
        assert!(pod.containers[0].liveness_probe.is_none());
        assert!(pod.containers[0].readiness_probe.is_some());
    }

    #[test]
    fn infra_init_scripts_come_from_the_charts_values() {
        // templates/configmap.yaml: ConfigMap postgres-init-scripts holds
        // postgresInitScripts.scripts; the Bitnami primary mounts the ConfigMap
        // postgresql.primary.initdb.scriptsConfigMap names (the same one).
        let ms = rendered(&["cauldron-infra"], "dev", &[]);
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "postgres-init-scripts").unwrap());
        let data = cm.data.unwrap();
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        assert_eq!(keys, ["00-extensions.sql", "01-schemas.sql"]);
        let pod = pod_of(find(&ms, "StatefulSet", "cauldron-infra-postgresql").unwrap());
        let v = pod
            .volumes
            .unwrap()
            .into_iter()
            .find(|v| v.name == "custom-init-scripts")
            .unwrap();
        assert_eq!(v.config_map.unwrap().name, "postgres-init-scripts");
        let ms = rendered(
            &["cauldron-infra"],
            "dev",
            &["postgresInitScripts.enabled=false"],
        );
        assert!(find(&ms, "ConfigMap", "postgres-init-scripts").is_none());
        // RAE's PostgreSQL release: its primary.initdb.scripts is text the chart's authors
        // wrote, which the release's values file leaves out (a placeholder in the catalog), so
        // real Helm renders no init-scripts ConfigMap and mounts none (tests/data/real-helm).
        let ms = rendered(&["rae-memory"], "dev", &[]);
        assert!(find(&ms, "ConfigMap", "rae-memory-postgresql-init-scripts").is_none());
        let pod = pod_of(find(&ms, "StatefulSet", "rae-memory-postgresql").unwrap());
        assert!(pod
            .volumes
            .unwrap()
            .iter()
            .all(|v| v.name != "custom-init-scripts"));
    }

    #[test]
    fn rae_monitoring_config_and_secret() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        // The chart has no ServiceAccount, Role or RoleBinding (catalog claim rbac); the
        // Qdrant release has its ServiceAccount, which its pods run as, and so has the Redis
        // release (Bitnami serviceaccount.yaml).
        let mut accounts: Vec<&str> = ms
            .iter()
            .filter(|m| matches!(m.kind.as_str(), "ServiceAccount" | "Role" | "RoleBinding"))
            .map(|m| m.name.as_str())
            .collect();
        accounts.sort_unstable();
        assert_eq!(accounts, ["rae-memory-qdrant", "rae-memory-redis"]);
        let qdrant = pod_of(find(&ms, "StatefulSet", "rae-memory-qdrant").unwrap());
        assert_eq!(
            qdrant.service_account_name.as_deref(),
            Some("rae-memory-qdrant")
        );
        // templates/servicemonitor.yaml: named after the release, scraping the API.
        let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
        assert_eq!(sm.spec.endpoints[0].port, "http");
        assert_eq!(sm.spec.endpoints[0].interval.as_deref(), Some("30s"));
        assert_eq!(sm.spec.endpoints[0].scrape_timeout.as_deref(), Some("10s"));
        assert!(sm.spec.endpoints[0].relabelings.is_empty());
        // No dashboard: monitoring.grafanaDashboard.enabled is read by no template.
        assert!(ms.iter().all(|m| !m.name.contains("dashboard")));
        // templates/configmap.yaml: fixed cost settings, the releases' Service URLs; the
        // Celery workers load it and read the chart's Secret.
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "rae-memory").unwrap());
        let data = cm.data.unwrap();
        assert_eq!(data["DEFAULT_DAILY_LIMIT"], "10.00");
        assert_eq!(data["QDRANT_URL"], "http://rae-memory-qdrant:6333");
        let worker = pod_of(find(&ms, "Deployment", "rae-memory-celery-worker").unwrap());
        let c = &worker.containers[0];
        assert_eq!(
            c.env_from.as_ref().unwrap()[0]
                .config_map_ref
                .as_ref()
                .unwrap()
                .name,
            "rae-memory"
        );
        assert!(c
            .command
            .as_ref()
            .unwrap()
            .contains(&"--concurrency=4".to_string()));
        // The API's env is memoryApi.env as it is (Secret rae-secrets, which no template
        // creates: catalog claim secret-hosts).
        let api = pod_of(find(&ms, "Deployment", "rae-memory-api").unwrap());
        let env = api.containers[0].env.clone().unwrap();
        assert_eq!(env[0].name, "DATABASE_URL");
        let from = env[0].value_from.as_ref().unwrap().secret_key_ref.as_ref();
        assert_eq!(from.unwrap().name, "rae-secrets");
        assert!(env
            .iter()
            .any(|e| e.name == "QDRANT_URL" && e.value.as_deref() == Some("http://qdrant:6333")));
        let ms = rendered(
            &["rae-memory"],
            "prod",
            &["monitoring.serviceMonitor.interval=15s"],
        );
        let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
        assert_eq!(sm.spec.endpoints[0].interval.as_deref(), Some("15s"));
        let ms = rendered(&["rae-memory"], "prod", &["monitoring.enabled=false"]);
        assert!(ms.iter().all(|m| m.kind != "ServiceMonitor"));
        // The ServiceMonitor carries the chart's labels and monitoring.serviceMonitor.labels.
        let ms = rendered(
            &["rae-memory"],
            "prod",
            &["monitoring.serviceMonitor.labels.release=prometheus"],
        );
        let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
        let labels = sm.metadata.labels.unwrap();
        assert_eq!(labels["release"], "prometheus");
        assert_eq!(labels["helm.sh/chart"], "rae-memory-2.0.0");
        assert!(!labels.contains_key("app.kubernetes.io/component"));
        let mut c = config(&["rae-memory"], "prod", &[]);
        let drop: Value = serde_yaml::from_str("[{action: drop, regex: go_.*}]").unwrap();
        c.set(
            cat(),
            "rae-memory",
            "monitoring.serviceMonitor.metricRelabelings",
            drop,
        )
        .unwrap();
        let ms = render(cat(), &c);
        let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
        let drop = &sm.spec.endpoints[0].metric_relabelings[0];
        assert_eq!(drop.action.as_deref(), Some("drop"));
        // Caracal: k8s/servicemonitor.yaml's two, with monitoring.prometheus.serviceMonitor.
        let ms = rendered(&["caracal"], "prod", &[]);
        let names: Vec<&str> = ms
            .iter()
            .filter(|m| m.kind == "ServiceMonitor")
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(names, ["caracal-gateway", "caracal-mcp-adapter"]);
        let ms = rendered(&["caracal"], "staging", &[]);
        assert!(ms.iter().all(|m| m.kind != "ServiceMonitor"));
    }

    #[test]
    fn yaml_reads_the_same_in_yaml_1_1() {
        let v: Value = serde_yaml::from_str(
            "a: {b: 'yes', c: 'no', d: 'on', e: '0755', f: '1', g: 'x: y'}\n\
             s: \"#!/bin/sh\\nset -e\\n  indented: yes # not a comment\\n\"\n\
             t: \"one\\ntwo\"\nu: \"two\\n\\n\"\nl: [\"p\\nq\\n\", {k: 'off'}]\ne: []\nm: {}\n",
        )
        .unwrap();
        let text = to_yaml(&v);
        let back: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
        for quoted in [
            "\"yes\"", "\"no\"", "\"on\"", "\"off\"", "\"0755\"", "\"1\"",
        ] {
            assert!(text.contains(quoted), "{quoted} in {text}");
        }
        assert!(text.contains("s: |\n  #!/bin/sh\n  set -e\n"), "{text}");
        assert!(text.contains("t: |-\n"), "{text}");
        // Every rendered RabbitMQ/Redis flag that YAML 1.1 would read as a boolean is quoted.
        let ms = rendered(&["cauldron-infra", "caracal"], "prod", &[]);
        for m in &ms {
            for line in m.yaml.lines() {
                let t = line.trim_start().trim_start_matches("- ");
                let value = t.split_once(": ").map_or(t, |(_, v)| v);
                assert!(
                    !matches!(value, "yes" | "no" | "on" | "off" | "y" | "n"),
                    "{} {}: {line}",
                    m.kind,
                    m.name
                );
            }
        }
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9.:/_-]{0,12}".prop_map(Value::String),
            Just(Value::String("1e400Gi".into())),
            Just(Value::Sequence(vec![Value::from(1)])),
            Just(Value::Mapping(Default::default())),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any values at any paths (bypassing the configuration's checks): no panic, and every
        /// object still parses.
        #[test]
        fn rendering_never_panics(chart in 0usize..5, env in 0usize..5, picks in proptest::collection::vec((any::<proptest::sample::Index>(), any_value()), 0..12)) {
            let chart = &cat().charts[chart % cat().charts.len()];
            let env = &chart.environments[env % chart.environments.len()];
            let mut c = Configuration::new(cat(), &[&chart.id], &env.id).unwrap();
            let leaves = crate::values::leaf_paths(&chart.values);
            for (i, v) in picks {
                let path = leaves[i.index(leaves.len())].clone();
                c.overrides.entry(chart.id.clone()).or_default().insert(path, v);
            }
            let ms = render(cat(), &c);
            for m in &ms {
                let _: Value = serde_yaml::from_str(&m.yaml).unwrap();
            }
        }
    }

    #[test]
    fn rae_workloads_are_their_templates() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        // templates/deployment-celery-worker.yaml: no probes, the chart's Celery command.
        let pod = pod_of(find(&ms, "Deployment", "rae-memory-celery-worker").unwrap());
        let c = &pod.containers[0];
        assert!(c.liveness_probe.is_none() && c.readiness_probe.is_none());
        assert_eq!(
            c.command.as_ref().unwrap()[..3],
            ["celery", "-A", "apps.memory_api.tasks.celery_app"]
        );
        // Replicas left out while the HPA is on (prod: API, ML service and worker), written
        // where it is off (the reranker has none).
        for name in ["api", "ml-service", "celery-worker"] {
            let d: Deployment =
                typed(find(&ms, "Deployment", &format!("rae-memory-{name}")).unwrap());
            assert_eq!(d.spec.replicas, None, "{name}");
        }
        let ms = rendered(
            &["rae-memory"],
            "prod",
            &[
                "mlService.autoscaling.enabled=false",
                "mlService.replicaCount=3",
            ],
        );
        let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-ml-service").unwrap());
        assert_eq!(d.spec.replicas, Some(3));
        // The emptyDirs the templates name: tmp and model-cache.
        let pod = d.spec.template.spec.unwrap();
        let volumes: Vec<&str> = pod
            .volumes
            .iter()
            .flatten()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(volumes, ["tmp", "model-cache"]);
        // The Qdrant release: its labels, its init container, its ConfigMap's two keys.
        let s: StatefulSet = typed(find(&ms, "StatefulSet", "rae-memory-qdrant").unwrap());
        let labels = s.metadata.labels.unwrap();
        assert_eq!(labels["app.kubernetes.io/instance"], "rae-memory-qdrant");
        assert_eq!(labels["helm.sh/chart"], "qdrant-1.17.0");
        assert_eq!(s.spec.pod_management_policy.as_deref(), Some("Parallel"));
        let pod = s.spec.template.spec.unwrap();
        let pre_stop = pod.containers[0]
            .lifecycle
            .clone()
            .unwrap()
            .pre_stop
            .unwrap();
        assert_eq!(pre_stop.exec.unwrap().command.unwrap(), ["sleep", "3"]);
        let init = pod.init_containers.unwrap();
        assert_eq!(init[0].name, "ensure-dir-ownership");
        assert_eq!(init[0].command.as_ref().unwrap()[2], "1000:3000");
        let env: Vec<&str> = pod.containers[0]
            .env
            .iter()
            .flatten()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(env, ["QDRANT_INIT_FILE_PATH"]);
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "rae-memory-qdrant").unwrap());
        let keys: Vec<String> = cm.data.unwrap().into_keys().collect();
        assert_eq!(keys, ["initialize.sh", "production.yaml"]);
        let headless: Service = typed(find(&ms, "Service", "rae-memory-qdrant-headless").unwrap());
        assert_eq!(
            headless.metadata.labels.unwrap()["app.kubernetes.io/component"],
            "cluster-discovery"
        );
        let port = headless.spec.unwrap().ports.unwrap()[0].target_port.clone();
        assert_eq!(port, Some(IntOrString::Int(6333)));
    }

    #[test]
    fn every_rae_pod_has_a_network_policy_and_empty_peer_lists_admit_nothing() {
        for sets in [
            &[][..],
            &[
                "postgresql.architecture=replication",
                "redis.sentinel.enabled=true",
            ][..],
        ] {
            // The chart's policies and the hardening overlay's together.
            let ms = render_hardened(cat(), &config(&["rae-memory"], "prod", sets));
            let policies: Vec<NetworkPolicy> = ms
                .iter()
                .filter(|m| m.kind == "NetworkPolicy")
                .map(typed)
                .collect();
            let covered = |pod: &BTreeMap<String, String>| {
                policies.iter().any(|np| {
                    let sel = np.spec.as_ref().unwrap().pod_selector.clone().unwrap();
                    let sel = sel.match_labels.unwrap_or_default();
                    !sel.is_empty() && sel.iter().all(|(k, v)| pod.get(k) == Some(v))
                })
            };
            for m in ms
                .iter()
                .filter(|m| m.kind == "Deployment" || m.kind == "StatefulSet")
            {
                let v: Value = serde_yaml::from_str(&m.yaml).unwrap();
                let pod: BTreeMap<String, String> =
                    serde_yaml::from_value(v["spec"]["template"]["metadata"]["labels"].clone())
                        .unwrap();
                assert!(
                    covered(&pod),
                    "{sets:?}: no NetworkPolicy selects {}",
                    m.name
                );
            }
        }
        let ms = render_hardening(cat(), &config(&["rae-memory"], "prod", &[]));
        let worker = find(&ms, "NetworkPolicy", "rae-memory-celery-worker").unwrap();
        let worker: NetworkPolicy = typed(worker);
        let spec = worker.spec.unwrap();
        assert_eq!(spec.ingress, Some(vec![]), "the worker serves nothing");
        assert!(spec.egress.unwrap().len() >= 6);
        // "Only from these" with none of them is no rule at all: a rule with an empty `from`
        // would admit every source.
        assert!(ingress_from(vec![], None).is_empty());
        let c = config(&["rae-memory"], "prod", &["celeryWorker.enabled=false"]);
        for m in render_hardened(cat(), &c)
            .iter()
            .filter(|m| m.kind == "NetworkPolicy")
        {
            let np: NetworkPolicy = typed(m);
            for rule in np.spec.unwrap().ingress.unwrap_or_default() {
                assert!(
                    rule.from.as_ref().is_none_or(|f| !f.is_empty()),
                    "{} admits every source",
                    m.name
                );
            }
        }
    }
}
