//! The Kubernetes objects each chart would create for a configuration, as YAML: what
//! `helm template` would print, built from typed k8s-openapi objects (never untyped maps), with
//! two small typed structs of our own for the CRDs (ServiceMonitor, ExternalSecret).
//!
//! Every figure is read from [`Configuration::effective_values`] through the component's
//! `values` paths of the catalog, with the same rules as [`crate::plan`] (presets, a missing
//! request defaulting to the limit, HPA minimum as the baseline), so the manifests and the plan
//! agree; a test parses the YAML back and checks the sums against the plan's totals.
//!
//! Release name = chart id; component objects are `<release>-<component>`, except where the
//! chart's clients or guide address a Bitnami-style name (`-master`, `-replicas`, `-primary`) or
//! the guide names the object (Caracal's `caracal-postgres`). Namespace = the catalog's namespace.
//!
//! Total: never panics; a missing or malformed figure leaves its field out. Deterministic:
//! charts in configuration (catalog) order, then Helm's install order of kinds, then name.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMap, ConfigMapEnvSource, ConfigMapVolumeSource, Container,
    ContainerPort, EmptyDirVolumeSource, EnvFromSource, EnvVar, EnvVarSource, ExecAction,
    HTTPGetAction, ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodAffinityTerm, PodAntiAffinity, PodSecurityContext,
    PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, Secret,
    SecretKeySelector, SecretVolumeSource, SecurityContext, Service, ServiceAccount, ServicePort,
    ServiceSpec, TCPSocketAction, TopologySpreadConstraint, Volume, VolumeMount,
    VolumeResourceRequirements, WeightedPodAffinityTerm,
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
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::archive::OutFile;
use crate::catalog::{
    AntiAffinity, Catalog, Chart, Component, Persistence, Probe as CatalogProbe, WorkloadKind,
};
use crate::config::{Configuration, Layer};
use crate::plan::bitnami_preset;
use crate::quantity::Quantity;
use crate::values::{display_value, lookup, quantity_of};

mod yaml_out;

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
    let mut all = Vec::new();
    if let Some(chart) = catalog
        .chart(id)
        .filter(|_| config.stacks.iter().any(|s| s == id))
    {
        let ctx = Ctx {
            catalog,
            chart,
            config,
            values: config.effective(chart),
            release: chart.id.clone(),
            namespace: chart.chart.namespace.clone(),
            chart_label: format!("{}-{}", chart.chart.name, chart.chart.version),
            labels: Rc::default(),
        };
        let mut sink = Sink::new(&chart.id, Rc::clone(&ctx.labels));
        render_chart(&ctx, &mut sink);
        let mut items = sink.finish();
        items.sort_by(|a, b| {
            (kind_rank(&a.kind), &a.kind, &a.name).cmp(&(kind_rank(&b.kind), &b.kind, &b.name))
        });
        items.dedup_by(|a, b| a.kind == b.kind && a.name == b.name);
        all.extend(items);
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
    catalog: &'a Catalog,
    chart: &'a Chart,
    config: &'a Configuration,
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
    /// Secrets to render: name -> key -> placeholder value.
    secrets: BTreeMap<String, BTreeMap<String, String>>,
    yaml: yaml_out::Writer,
    /// Where the label maps of the objects written go back to.
    labels: Rc<LabelMaps>,
}

impl Sink {
    fn new(chart: &str, labels: Rc<LabelMaps>) -> Self {
        Sink {
            chart: chart.to_string(),
            items: Vec::new(),
            secrets: BTreeMap::new(),
            yaml: yaml_out::Writer::default(),
            labels,
        }
    }

    fn push<T: Serialize + GiveLabels>(&mut self, kind: &str, name: &str, mut obj: T) {
        // Serialising these plain structs cannot fail; if it ever did, the object is left out
        // rather than aborting the whole rendering. Written straight to text (`yaml_out`): the
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
            self.items.push((kind.to_string(), name.to_string(), range));
        }
        obj.give_labels(&self.labels);
    }

    fn finish(self) -> Vec<Manifest> {
        let texts = self.yaml.texts();
        self.items
            .into_iter()
            .map(|(kind, name, range)| Manifest {
                chart: self.chart.clone(),
                kind,
                name,
                yaml: texts[range].to_string(),
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// YAML text

/// An object as block-style YAML that means the same to YAML 1.1 readers (Kubernetes'
/// sigs.k8s.io/yaml, which reads `yes`, `on`, `no` as booleans) as to YAML 1.2 ones: scalars are
/// written by [`crate::bundle::to_yaml`], which quotes anything ambiguous; multi-line strings
/// (scripts, JSON in ConfigMaps) as literal blocks so they stay readable.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Mapping(m) if !m.is_empty() => yaml_map(m, 0, false, &mut out),
        Value::Sequence(s) if !s.is_empty() => yaml_seq(s, 0, &mut out),
        other => {
            yaml_scalar(other, &mut out);
            out.push('\n');
        }
    }
    out
}

fn yaml_scalar(v: &Value, out: &mut String) {
    crate::bundle::push_yaml_trimmed(out, v);
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Appends a literal block (`|` or `|-`, then the lines at `ind` spaces) for a multi-line
/// string, when one reads back exactly; `false` (and nothing appended) otherwise.
fn push_literal_block(out: &mut String, s: &str, ind: usize) -> bool {
    // (Bytes, not chars: this runs for every string of every object.)
    let bytes = s.as_bytes();
    if !bytes.contains(&b'\n') || s.ends_with("\n\n") || s.starts_with([' ', '\n']) {
        return false;
    }
    // No control character but line breaks and tabs, and none of the characters YAML 1.1
    // counts as line breaks or a BOM. Byte by byte while the text is ASCII (scripts and
    // configuration files, often long), character by character otherwise.
    let ok = if s.is_ascii() {
        !bytes
            .iter()
            .any(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
    } else {
        s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
            && !s.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '\r'])
    };
    if !ok {
        return false;
    }
    let body = s.strip_suffix('\n');
    out.push_str(if body.is_some() { "|\n" } else { "|-\n" });
    for line in body.unwrap_or(s).split('\n') {
        if !line.is_empty() {
            indent(out, ind);
            out.push_str(line);
        }
        out.push('\n');
    }
    true
}

fn yaml_value(v: &Value, ind: usize, out: &mut String) {
    match v {
        Value::Mapping(c) if !c.is_empty() => {
            out.push('\n');
            yaml_map(c, ind + 2, false, out);
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            yaml_seq(s, ind + 2, out);
        }
        Value::String(s) => {
            out.push(' ');
            if !push_literal_block(out, s, ind + 2) {
                yaml_scalar(v, out);
                out.push('\n');
            }
        }
        other => {
            out.push(' ');
            yaml_scalar(other, out);
            out.push('\n');
        }
    }
}

fn yaml_map(m: &serde_yaml::Mapping, ind: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, ind);
        }
        yaml_scalar(k, out);
        out.push(':');
        yaml_value(v, ind, out);
    }
}

fn yaml_seq(s: &[Value], ind: usize, out: &mut String) {
    for item in s {
        indent(out, ind);
        out.push('-');
        match item {
            Value::Mapping(m) if !m.is_empty() => {
                out.push(' ');
                yaml_map(m, ind + 2, true, out);
            }
            other => yaml_value(other, ind, out),
        }
    }
}

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

fn labels(ctx: &Ctx, component: Option<&str>) -> BTreeMap<String, String> {
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
}

macro_rules! give_metadata_labels {
    ($($t:ty),*) => {$(
        impl GiveLabels for $t {
            fn give_labels(&mut self, to: &LabelMaps) {
                to.give_meta(Some(&mut self.metadata));
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
    ExternalSecret
);

impl GiveLabels for Deployment {
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        to.give_selector(Some(&mut self.spec.selector));
        to.give_pod(&mut self.spec.template);
    }
}

impl GiveLabels for StatefulSet {
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
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        to.give(self.spec.as_mut().and_then(|s| s.selector.take()));
    }
}

impl GiveLabels for PodDisruptionBudget {
    fn give_labels(&mut self, to: &LabelMaps) {
        to.give_meta(Some(&mut self.metadata));
        to.give_selector(self.spec.as_mut().and_then(|s| s.selector.as_mut()));
    }
}

impl GiveLabels for NetworkPolicy {
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
        "erpnext" | "frappe" => Family::Frappe,
        _ => Family::App,
    }
}

/// Where the image keeps its data (the claim or the shared volume is mounted there).
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

/// Replicas that must stay up for the system to keep a quorum (PDB minAvailable).
fn is_quorum(ctx: &Ctx, c: &Component) -> bool {
    match family(c) {
        Family::Zookeeper | Family::Kafka | Family::BitnamiRabbitmq => true,
        Family::Qdrant => ctx.bool_at((base(c), "config.cluster.enabled"), false),
        _ => false,
    }
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

/// The values prefix that holds the component's own settings (`web` for `web.resources`,
/// `consumers.ledgerWriter` for `consumers.ledgerWriter.resources`).
fn settings_prefix(c: &Component) -> Option<String> {
    c.values
        .resources
        .as_deref()
        .and_then(|r| r.strip_suffix(".resources"))
        .map(str::to_string)
}

/// The name of a component's workload and client Service.
fn object_name(ctx: &Ctx, c: &Component) -> String {
    let r = &ctx.release;
    match family(c) {
        Family::BitnamiRedis => match c.id.strip_suffix("-replica") {
            Some(master) => format!("{r}-{master}-replicas"),
            None => format!("{r}-{}-master", c.id),
        },
        Family::BitnamiPostgres if !c.id.ends_with("-read") => {
            let arch = ctx.text((base(c), "architecture"));
            if arch.as_deref() == Some("replication") {
                format!("{r}-{}-primary", c.id)
            } else {
                format!("{r}-{}", c.id)
            }
        }
        // The Caracal guide addresses svc/caracal-postgres and pod caracal-postgres-0.
        Family::Postgres if ctx.chart.id == "caracal" && c.id == "postgresql" => {
            format!("{r}-postgres")
        }
        _ => format!("{r}-{}", c.id),
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
    /// Per-replica claim (volumeClaimTemplates), when persistence is on with a size.
    claim: Option<Quantity>,
    image: String,
    pull_policy: String,
}

impl Work<'_> {
    /// Replicas at the HPA maximum (or spec.replicas).
    fn peak(&self) -> i64 {
        self.hpa.map_or(self.replicas, |h| h.max)
    }
}

fn enabled(ctx: &Ctx, c: &Component) -> bool {
    let v = &c.values;
    let mut on = match &v.enabled {
        Some(p) => ctx.bool_at(p, true),
        None => true,
    };
    if let Some(w) = &v.enabled_when {
        on &= ctx.get(&w.path) == Some(&w.equals);
    }
    on
}

fn k8s_q(q: Quantity) -> K8sQuantity {
    // `q.to_string()`: the Display of a quantity is its canonical text.
    K8sQuantity(q.canonical())
}

/// Requests and limits exactly as the plan counts them: the explicit figures (a missing request
/// defaults to the limit, as Kubernetes does), or the Bitnami preset when none is set.
fn resources(
    ctx: &Ctx,
    c: &Component,
) -> (BTreeMap<String, K8sQuantity>, BTreeMap<String, K8sQuantity>) {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    let Some(res) = &c.values.resources else {
        return (requests, limits);
    };
    let rc = ctx.quantity_at((&res, "requests.cpu"));
    let rm = ctx.quantity_at((&res, "requests.memory"));
    let lc = ctx.quantity_at((&res, "limits.cpu"));
    let lm = ctx.quantity_at((&res, "limits.memory"));
    let preset = c
        .values
        .resources_preset
        .as_ref()
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
    for (key, q) in [("cpu", rc.or(lc)), ("memory", rm.or(lm))] {
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

fn image_of(ctx: &Ctx, c: &Component) -> (String, String) {
    let mut image = c.image.clone();
    let mut pull = None;
    if let Some(p) = &c.values.image {
        let repo = ctx.text((&p, "repository"));
        let (_, catalog_tag) = split_image(&c.image);
        let tag = ctx.text((&p, "tag")).or(catalog_tag.map(str::to_string));
        let registry = ctx.text((&p, "registry"));
        if let Some(repo) = repo {
            image = match registry {
                Some(r) => format!("{r}/{repo}"),
                None => repo,
            };
            if let Some(t) = tag {
                image = format!("{image}:{t}");
            }
        }
        pull = ctx.text((&p, "pullPolicy"));
    }
    let pull = pull
        .or_else(|| ctx.text("global.imagePullPolicy"))
        .unwrap_or_else(|| "IfNotPresent".into());
    (image, pull)
}

fn work<'a>(ctx: &Ctx, c: &'a Component) -> Work<'a> {
    let v = &c.values;
    let replicas = match (&v.replicas, v.replicas_fixed) {
        (Some(p), _) => ctx.count_at(p, 1),
        (None, Some(n)) => n,
        (None, None) => 1,
    };
    let hpa = v.autoscaling.as_ref().and_then(|a| {
        if !ctx.bool_at((&a, "enabled"), false) {
            return None;
        }
        let min = ctx.count_at((&a, "minReplicas"), replicas.max(1));
        let max = ctx.count_at((&a, "maxReplicas"), min).max(min);
        Some(Hpa {
            min,
            max,
            cpu: ctx.int_at((&a, "targetCPUUtilizationPercentage")),
            memory: ctx.int_at((&a, "targetMemoryUtilizationPercentage")),
        })
    });
    let claim = match (&c.persistence, &v.persistence) {
        (Persistence::PerReplica, Some(p)) if ctx.bool_at((&p, "enabled"), true) => {
            ctx.quantity_at((&p, "size")).filter(|q| q.value() > 0)
        }
        _ => None,
    };
    let (requests, limits) = resources(ctx, c);
    let (image, pull_policy) = image_of(ctx, c);
    Work {
        c,
        family: family(c),
        name: object_name(ctx, c),
        replicas: hpa.map_or(replicas, |h| h.min),
        hpa,
        requests,
        limits,
        claim,
        image,
        pull_policy,
    }
}

fn i32_of(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(if n < 0 { 0 } else { i32::MAX })
}

fn storage_class(ctx: &Ctx, persistence_path: Option<&str>) -> Option<String> {
    persistence_path
        .and_then(|p| ctx.text((&p, "storageClass")))
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
    let mut pr = Probe {
        initial_delay_seconds: Some(if liveness { 30 } else { 5 }),
        period_seconds: Some(10),
        timeout_seconds: Some(timeout),
        failure_threshold: Some(if liveness { 6 } else { 3 }),
        ..Default::default()
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
/// off (`securityContext.readOnlyRootFilesystem`, RAE).
fn read_only_root(ctx: &Ctx, c: &Component) -> bool {
    c.security
        .as_ref()
        .is_some_and(|s| s.read_only_root_filesystem)
        && ctx.bool_at("securityContext.readOnlyRootFilesystem", true)
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
    /// Data volume: set when the component has one that is not a claim template.
    data_volume: Option<Volume>,
    /// Probes for a component the catalog gives none (it serves no port): used only where the
    /// catalog's `probes` has no entry.
    liveness: Option<Probe>,
    readiness: Option<Probe>,
}

fn frappe_env(ctx: &Ctx, sink: &mut Sink, web: bool) -> Vec<EnvVar> {
    let secret = ctx.release.clone();
    let mut e = Vec::new();
    if let Some(site) = ctx.text("site.name") {
        e.push(env("SITE_NAME", site));
    }
    let db = credential(
        ctx,
        sink,
        Some("database.existingSecret"),
        Some("database.existingSecretPasswordKey"),
        &secret,
        "db-root-password",
        PLACEHOLDER,
    );
    e.push(env_secret("DB_ROOT_PASSWORD", &db));
    if web {
        let admin = credential(
            ctx,
            sink,
            Some("site.existingSecret"),
            None,
            &secret,
            "admin-password",
            PLACEHOLDER,
        );
        e.push(env_secret("ADMIN_PASSWORD", &admin));
    }
    for which in ["cache", "queue", "socketio"] {
        let r = credential(
            ctx,
            sink,
            Some(&format!("redis.{which}.existingSecret")),
            Some(&format!("redis.{which}.existingSecretPasswordKey")),
            &secret,
            &format!("redis-{which}-password"),
            PLACEHOLDER,
        );
        e.push(env_secret(
            &format!("REDIS_{}_PASSWORD", which.to_ascii_uppercase()),
            &r,
        ));
    }
    e
}

/// Frappe's init containers: wait for PostgreSQL and the Redis instances with a small loop.
fn frappe_init(ctx: &Ctx, c: &Component) -> Vec<Container> {
    let mut out = Vec::new();
    let image = |p: &str| -> Option<String> {
        let repo = ctx.text((&p, "image.repository"))?;
        Some(match ctx.text((&p, "image.tag")) {
            Some(t) => format!("{repo}:{t}"),
            None => repo,
        })
    };
    let security = SecurityContext {
        run_as_non_root: c
            .security
            .as_ref()
            .and_then(|s| s.run_as_user)
            .map(|_| true),
        read_only_root_filesystem: Some(true),
        ..container_security(ctx, c)
    };
    let p = "initContainers.waitForDb";
    if ctx.bool_at((&p, "enabled"), false) {
        if let (Some(img), Some(host)) = (image(p), ctx.text("database.host")) {
            let port = ctx.text("database.port").unwrap_or_else(|| "5432".into());
            let script = format!(
                "until pg_isready -h {} -p {}; do echo waiting for PostgreSQL; sleep 2; done",
                sh_quote(&host),
                sh_quote(&port)
            );
            out.push(Container {
                name: "wait-for-db".into(),
                image: Some(img),
                image_pull_policy: Some("IfNotPresent".into()),
                command: Some(vec!["sh".into(), "-c".into(), script]),
                resources: Some(init_resources()),
                security_context: Some(security.clone()),
                ..Default::default()
            });
        }
    }
    let p = "initContainers.waitForRedis";
    if ctx.bool_at((&p, "enabled"), false) {
        if let Some(img) = image(p) {
            let mut script = String::new();
            for which in ["cache", "queue", "socketio"] {
                let Some(host) = ctx.text(&format!("redis.{which}.host")) else {
                    continue;
                };
                let port = ctx
                    .text(&format!("redis.{which}.port"))
                    .unwrap_or_else(|| "6379".into());
                if !script.is_empty() {
                    script.push_str("; ");
                }
                script.push_str(&format!(
                    "until nc -z {h} {p}; do echo waiting for {h}; sleep 2; done",
                    h = sh_quote(&host),
                    p = sh_quote(&port)
                ));
            }
            if !script.is_empty() {
                out.push(Container {
                    name: "wait-for-redis".into(),
                    image: Some(img),
                    image_pull_policy: Some("IfNotPresent".into()),
                    command: Some(vec!["sh".into(), "-c".into(), script]),
                    resources: Some(init_resources()),
                    security_context: Some(security),
                    ..Default::default()
                });
            }
        }
    }
    out
}

/// RAE's application Secret (the guide's `kubectl create secret generic rae-secrets`).
const RAE_SECRET: &str = "rae-secrets";

fn rae_env(ctx: &Ctx, sink: &mut Sink) -> (Vec<EnvVar>, Vec<EnvFromSource>) {
    let secret = RAE_SECRET;
    let external = ctx.bool_at("externalSecrets.enabled", false);
    let mut e = Vec::new();
    let pg = ctx
        .component("postgresql")
        .map(|c| object_name(ctx, c))
        .unwrap_or_default();
    let redis = ctx
        .component("redis")
        .map(|c| object_name(ctx, c))
        .unwrap_or_default();
    let user = ctx.text("postgresql.auth.username").unwrap_or_default();
    let db = ctx.text("postgresql.auth.database").unwrap_or_default();
    let keys = [
        (
            "DATABASE_URL",
            "database-url",
            format!("postgresql://{user}:{PLACEHOLDER}@{pg}:5432/{db}"),
        ),
        (
            "REDIS_URL",
            "redis-url",
            format!("redis://:{PLACEHOLDER}@{redis}:6379/0"),
        ),
        ("OPENAI_API_KEY", "openai-api-key", PLACEHOLDER.to_string()),
        (
            "ANTHROPIC_API_KEY",
            "anthropic-api-key",
            PLACEHOLDER.to_string(),
        ),
    ];
    for (name, key, placeholder) in keys {
        let r = if external {
            // The ExternalSecret creates rae-secrets.
            SecretRef {
                name: secret.into(),
                key: key.into(),
            }
        } else {
            credential(ctx, sink, None, None, secret, key, &placeholder)
        };
        e.push(env_secret(name, &r));
    }
    let from = vec![EnvFromSource {
        config_map_ref: Some(ConfigMapEnvSource {
            name: format!("{}-config", ctx.release),
            ..Default::default()
        }),
        ..Default::default()
    }];
    (e, from)
}

fn extras(ctx: &Ctx, sink: &mut Sink, w: &Work) -> Extras {
    let c = w.c;
    let b = base(c);
    let mut x = Extras::default();
    let headless = format!(
        "{}.{}.svc.cluster.local",
        headless_name(&w.name),
        ctx.namespace
    );
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
            if ctx.text((&b, "architecture")).as_deref() == Some("replication") {
                let read = c.id.ends_with("-read");
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
                    let primary =
                        c.id.strip_suffix("-read")
                            .and_then(|id| ctx.component(id))
                            .map(|p| object_name(ctx, p))
                            .unwrap_or_default();
                    x.env.push(env("POSTGRES_MASTER_HOST", primary));
                    x.env.push(env("POSTGRES_MASTER_PORT_NUMBER", "5432"));
                }
            }
            // cauldron-infra: the initialization scripts ConfigMap (Bitnami runs
            // /docker-entrypoint-initdb.d on first start of the primary).
            if !c.id.ends_with("-read") && ctx.bool_at("initdb.enabled", false) {
                let cm = init_scripts_name(ctx, &b);
                x.volumes
                    .push(config_map_volume("initdb-scripts", &cm, None));
                x.mounts.push(read_only_mount(
                    "initdb-scripts",
                    "/docker-entrypoint-initdb.d",
                ));
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
            match c.id.strip_suffix("-replica").and_then(|m| ctx.component(m)) {
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
            let user = ctx
                .text((&b, "auth.username"))
                .unwrap_or_else(|| "postgres".into());
            let secret = match ctx.chart.id.as_str() {
                // The Caracal guide reads its credentials from Secret caracal-secrets.
                "caracal" => format!("{}-secrets", ctx.release),
                _ => format!("{}-{}", ctx.release, c.id),
            };
            let pw = credential(
                ctx,
                sink,
                Some(&format!("{b}.auth.existingSecret")),
                None,
                &secret,
                "postgresql-password",
                PLACEHOLDER,
            );
            x.env.push(env("POSTGRES_USER", user));
            x.env.push(env_secret("POSTGRES_PASSWORD", &pw));
            if let Some(d) = ctx.text((&b, "auth.database")) {
                x.env.push(env("POSTGRES_DB", d));
            }
            // A subdirectory, so a fresh volume's lost+found does not stop initdb.
            x.env.push(env("PGDATA", "/var/lib/postgresql/data/pgdata"));
        }
        Family::Redis => {
            let mut args = Vec::new();
            if ctx.has((&b, "auth.password")) || ctx.has((&b, "auth.existingSecret")) {
                let pw = credential(
                    ctx,
                    sink,
                    Some(&format!("{b}.auth.existingSecret")),
                    None,
                    &format!("{}-secrets", ctx.release),
                    "redis-password",
                    PLACEHOLDER,
                );
                x.env.push(env_secret("REDIS_PASSWORD", &pw));
                args.push("--requirepass".to_string());
                args.push("$(REDIS_PASSWORD)".to_string());
            }
            if w.claim.is_some() {
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
            if ctx.bool_at((&b, "config.cluster.enabled"), false) {
                let p2p = ctx
                    .text((&b, "config.cluster.p2p.port"))
                    .unwrap_or_else(|| "6335".into());
                x.env.push(env("QDRANT__CLUSTER__ENABLED", "true"));
                x.env.push(env("QDRANT__CLUSTER__P2P__PORT", p2p.clone()));
                // As the official chart's initialize.sh: pod 0 starts the Raft cluster, the
                // others join it.
                let first = format!("http://{}-0.{headless}:{p2p}", w.name);
                let script = format!(
                    "if [ \"${{HOSTNAME##*-}}\" = 0 ]; then exec ./entrypoint.sh --uri {first}; \
                     else exec ./entrypoint.sh --bootstrap {first} --uri \"http://${{HOSTNAME}}.{headless}:{p2p}\"; fi"
                );
                x.command = Some(vec!["sh".into(), "-c".into(), script]);
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
        Family::Frappe => {
            x.env = frappe_env(ctx, sink, c.role == "app");
            x.volumes.push(config_map_volume(
                "frappe-config",
                &format!("{}-config", ctx.release),
                Some(0o555),
            ));
            x.mounts
                .push(read_only_mount("frappe-config", "/opt/cauldron"));
            let script = match c.role.as_str() {
                "app" => "entrypoint.sh",
                "worker" => "worker-entrypoint.sh",
                "scheduler" => "scheduler-entrypoint.sh",
                _ => "socketio-entrypoint.sh",
            };
            x.command = Some(vec!["bash".into(), format!("/opt/cauldron/{script}")]);
            x.init = frappe_init(ctx, c);
        }
        Family::App => match ctx.chart.id.as_str() {
            "rae-memory" => {
                let (e, from) = rae_env(ctx, sink);
                x.env = e;
                x.env_from = from;
                if c.id == "memory-api" && ctx.bool_at("serviceAccount.create", true) {
                    x.service_account = Some(format!("{}-api", ctx.release));
                }
                if c.id == "celery-worker" {
                    let mut args: Vec<String> = [
                        "celery",
                        "-A",
                        "apps.memory_api.celery_app",
                        "worker",
                        "--loglevel=info",
                    ]
                    .into_iter()
                    .map(String::from)
                    .collect();
                    if let Some(n) = ctx.text("celeryWorker.concurrency") {
                        args.push(format!("--concurrency={n}"));
                    }
                    if let Some(n) = ctx.text("celeryWorker.maxTasksPerChild") {
                        args.push(format!("--max-tasks-per-child={n}"));
                    }
                    x.command = Some(args);
                    let (liveness, readiness) = celery_probes("apps.memory_api.celery_app");
                    x.liveness = Some(liveness);
                    x.readiness = Some(readiness);
                }
            }
            "caracal" => caracal_extras(ctx, sink, c, &mut x),
            _ => {}
        },
    }
    x
}

/// A Celery worker serves no port, so its probes ask the worker itself through the broker:
/// `celery inspect ping` addressed to this pod's node (`celery@<hostname>`, Celery's default
/// node name), as the Apache Airflow chart probes its Celery workers. A worker that lost its
/// broker or hangs stops answering. The command starts a Python interpreter, hence the long
/// period and timeout.
fn celery_probes(app: &str) -> (Probe, Probe) {
    let command = vec![
        "sh".to_string(),
        "-c".to_string(),
        format!(
            "exec celery -A {} inspect ping -d \"celery@${{HOSTNAME}}\" --timeout 10",
            sh_quote(app)
        ),
    ];
    let probe = |initial, period, failures| Probe {
        exec: Some(ExecAction {
            command: Some(command.clone()),
        }),
        initial_delay_seconds: Some(initial),
        period_seconds: Some(period),
        timeout_seconds: Some(20),
        failure_threshold: Some(failures),
        ..Default::default()
    };
    (probe(30, 60, 5), probe(10, 30, 3))
}

fn caracal_extras(ctx: &Ctx, sink: &mut Sink, c: &Component, x: &mut Extras) {
    let secrets = format!("{}-secrets", ctx.release);
    let name = |id: &str| ctx.component(id).map(|c| object_name(ctx, c));
    let uses = |id: &str| c.depends_on.iter().any(|d| d == id);
    if uses("postgresql") {
        // The guide's `caracal db init` environment: DB_HOST, DB_PORT, DB_NAME, DB_USER,
        // DB_PASSWORD.
        if let Some(host) = name("postgresql") {
            x.env.push(env("DB_HOST", host));
        }
        x.env.push(env("DB_PORT", "5432"));
        if let Some(d) = ctx.text("postgresql.auth.database") {
            x.env.push(env("DB_NAME", d));
        }
        if let Some(u) = ctx.text("postgresql.auth.username") {
            x.env.push(env("DB_USER", u));
        }
        let pw = credential(
            ctx,
            sink,
            Some("postgresql.auth.existingSecret"),
            None,
            &secrets,
            "postgresql-password",
            PLACEHOLDER,
        );
        x.env.push(env_secret("DB_PASSWORD", &pw));
    }
    if uses("redis") {
        if let Some(host) = name("redis") {
            x.env.push(env("REDIS_HOST", host));
        }
        x.env.push(env("REDIS_PORT", "6379"));
        let pw = credential(
            ctx,
            sink,
            Some("redis.auth.existingSecret"),
            None,
            &secrets,
            "redis-password",
            PLACEHOLDER,
        );
        x.env.push(env_secret("REDIS_PASSWORD", &pw));
    }
    if uses("kafka") {
        if let Some(k) = name("kafka") {
            x.env
                .push(env("KAFKA_BOOTSTRAP_SERVERS", format!("{k}:9092")));
        }
    }
    if c.id == "gateway" && ctx.bool_at("gateway.tls.enabled", false) {
        if let Some(s) = ctx.text("gateway.tls.secretName") {
            // server.crt, server.key, ca.crt and jwt_public.pem (the guide's caracal-tls).
            x.volumes.push(secret_volume("tls", &s));
            x.mounts.push(read_only_mount("tls", "/etc/caracal/tls"));
        }
    }
    if c.id == "ledger-writer" {
        if let Some(s) = ctx.text("consumers.ledgerWriter.merkle.signingKeySecretName") {
            // merkle_signing_key.pem (the guide's caracal-merkle-keys).
            x.volumes.push(secret_volume("merkle-keys", &s));
            x.mounts
                .push(read_only_mount("merkle-keys", "/etc/caracal/keys"));
        }
    }
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

fn init_scripts_name(ctx: &Ctx, b: &str) -> String {
    ctx.text((&b, "primary.initdb.scriptsConfigMap"))
        .unwrap_or_else(|| format!("{}-postgres-init-scripts", ctx.release))
}

/// Shared volumes in effect: volume id -> the claim to mount (None: an emptyDir).
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
                if let Some(existing) = ctx.text((&vol.values, "existingClaim")) {
                    Some(existing)
                } else {
                    let name = format!("{}-{}", ctx.release, vol.id);
                    let mode = ctx
                        .text((&vol.values, "accessMode"))
                        .unwrap_or_else(|| "ReadWriteOnce".into());
                    let pvc = PersistentVolumeClaim {
                        metadata: meta(ctx, &name, Some(&vol.id)),
                        spec: Some(PersistentVolumeClaimSpec {
                            access_modes: Some(vec![mode]),
                            storage_class_name: storage_class(ctx, Some(&vol.values)),
                            resources: Some(VolumeResourceRequirements {
                                requests: Some(BTreeMap::from([(
                                    "storage".to_string(),
                                    k8s_q(size),
                                )])),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        ..Default::default()
                    };
                    sink.push("PersistentVolumeClaim", &name, pvc);
                    Some(name)
                }
            }
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
    let mut claims = Vec::new();
    let data = data_path(w.family);

    match &c.persistence {
        Persistence::PerReplica => {
            mounts.push(mount("data", data));
            match w.claim {
                Some(size) => {
                    let p = c.values.persistence.as_deref();
                    claims.push(PersistentVolumeClaim {
                        metadata: ObjectMeta {
                            name: Some("data".into()),
                            labels: Some(selector_labels(ctx, &c.id)),
                            ..Default::default()
                        },
                        spec: Some(PersistentVolumeClaimSpec {
                            access_modes: Some(vec!["ReadWriteOnce".into()]),
                            storage_class_name: storage_class(ctx, p),
                            resources: Some(VolumeResourceRequirements {
                                requests: Some(BTreeMap::from([(
                                    "storage".to_string(),
                                    k8s_q(size),
                                )])),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        ..Default::default()
                    });
                }
                // Persistence off: the data lives as long as the pod.
                None => volumes.push(empty_dir("data", false)),
            }
        }
        Persistence::Shared(id) => {
            mounts.push(mount(&dns_label(id), data));
            volumes.push(match shared.get(id).cloned().flatten() {
                Some(claim) => Volume {
                    name: dns_label(id),
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: claim,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                None => empty_dir(&dns_label(id), false),
            });
        }
        Persistence::None => {}
    }
    if let Some(v) = x.data_volume.take() {
        volumes.push(v);
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
            protocol: Some("TCP".into()),
            ..Default::default()
        })
        .collect();
    let container = Container {
        name: c.id.clone(),
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
        liveness_probe: c
            .probes
            .liveness
            .as_ref()
            .map(|p| probe(ctx, c, p, true, timeout))
            .or(x.liveness.take()),
        readiness_probe: c
            .probes
            .readiness
            .as_ref()
            .map(|p| probe(ctx, c, p, false, timeout))
            .or(x.readiness.take()),
        security_context: Some(container_security(ctx, c)),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Default::default()
    };
    let (affinity, spread) = pod_affinity(ctx, w);
    let sa = x
        .service_account
        .clone()
        .or_else(|| chart_service_account(ctx));
    let spec = PodSpec {
        service_account_name: sa,
        automount_service_account_token: Some(x.service_account.is_some()),
        enable_service_links: Some(false),
        security_context: Some(pod_security(c)),
        affinity,
        topology_spread_constraints: spread,
        init_containers: (!x.init.is_empty()).then(|| std::mem::take(&mut x.init)),
        containers: vec![container],
        volumes: (!volumes.is_empty()).then_some(volumes),
        ..Default::default()
    };
    let template = PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(ctx, Some(&c.id))),
            ..Default::default()
        }),
        spec: Some(spec),
    };
    (template, claims)
}

/// The chart's own ServiceAccount, when the chart creates one.
fn chart_service_account(ctx: &Ctx) -> Option<String> {
    ctx.bool_at("serviceAccount.create", true)
        .then(|| ctx.release.clone())
}

// ---------------------------------------------------------------------------------------------
// The chart

fn render_chart(ctx: &Ctx, sink: &mut Sink) {
    let works: Vec<Work> = ctx
        .chart
        .components
        .iter()
        .filter(|c| enabled(ctx, c))
        .map(|c| work(ctx, c))
        .collect();

    if let Some(sa) = chart_service_account(ctx) {
        let obj = ServiceAccount {
            metadata: meta(ctx, &sa, None),
            automount_service_account_token: Some(false),
            ..Default::default()
        };
        sink.push("ServiceAccount", &sa, obj);
    }

    let shared = shared_claims(ctx, &works, sink);
    for w in &works {
        render_workload(ctx, sink, w, &shared);
    }
    rbac(ctx, sink, &works);
    config_maps(ctx, sink, &works);
    ingress(ctx, sink, &works);
    network_policies(ctx, sink, &works);
    monitoring(ctx, sink, &works);
    external_secrets(ctx, sink, &works);

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

fn service_ports(c: &Component) -> Vec<ServicePort> {
    c.ports
        .iter()
        .map(|p| ServicePort {
            name: Some(p.name.clone()),
            port: i32::from(p.port),
            target_port: Some(IntOrString::String(p.name.clone())),
            protocol: Some("TCP".into()),
            ..Default::default()
        })
        .collect()
}

fn render_workload(
    ctx: &Ctx,
    sink: &mut Sink,
    w: &Work,
    shared: &BTreeMap<String, Option<String>>,
) {
    let c = w.c;
    let (template, claims) = pod_template(ctx, sink, w, shared);
    let selector = component_selector(ctx, &c.id);
    let replicas = Some(i32_of(w.replicas));
    match c.kind {
        WorkloadKind::Deployment => {
            // A ReadWriteOnce shared volume cannot be mounted by old and new pods on two nodes.
            let rwo = matches!(&c.persistence, Persistence::Shared(id)
            if ctx.chart.volume(id).is_some_and(|v| {
                ctx.text((&v.values, "accessMode")).as_deref() == Some("ReadWriteOnce")
            }));
            let obj = Deployment {
                metadata: meta(ctx, &w.name, Some(&c.id)),
                spec: DeploymentSpec {
                    replicas,
                    selector,
                    template,
                    strategy: rwo.then(|| DeploymentStrategy {
                        type_: Some("Recreate".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                ..Default::default()
            };
            sink.push("Deployment", &w.name, obj);
        }
        WorkloadKind::StatefulSet => {
            let headless = headless_name(&w.name);
            let obj = StatefulSet {
                metadata: meta(ctx, &w.name, Some(&c.id)),
                spec: StatefulSetSpec {
                    replicas,
                    selector,
                    service_name: Some(headless.clone()),
                    template,
                    volume_claim_templates: (!claims.is_empty()).then_some(claims),
                    ..Default::default()
                },
                ..Default::default()
            };
            sink.push("StatefulSet", &w.name, obj);
            let svc = Service {
                metadata: meta(ctx, &headless, Some(&c.id)),
                spec: Some(ServiceSpec {
                    cluster_ip: Some("None".into()),
                    publish_not_ready_addresses: Some(true),
                    ports: Some(service_ports(c)),
                    selector: Some(selector_labels(ctx, &c.id)),
                    ..Default::default()
                }),
                ..Default::default()
            };
            sink.push("Service", &headless, svc);
        }
    }
    // The Service clients connect to.
    if !c.ports.is_empty() {
        let type_ = settings_prefix(c)
            .and_then(|p| ctx.text((&p, "service.type")))
            .unwrap_or_else(|| "ClusterIP".into());
        let svc = Service {
            metadata: meta(ctx, &w.name, Some(&c.id)),
            spec: Some(ServiceSpec {
                type_: Some(type_),
                ports: Some(service_ports(c)),
                selector: Some(selector_labels(ctx, &c.id)),
                ..Default::default()
            }),
            ..Default::default()
        };
        sink.push("Service", &w.name, svc);
    }
    if let Some(h) = w.hpa {
        hpa(ctx, sink, w, h);
    }
    if w.replicas > 1 {
        let (min_available, max_unavailable) = if is_quorum(ctx, c) {
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
        sink.push("PodDisruptionBudget", &w.name, pdb);
    }
}

fn hpa(ctx: &Ctx, sink: &mut Sink, w: &Work, h: Hpa) {
    let metric = |name: &str, pct: i64| MetricSpec {
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
    };
    let mut metrics = Vec::new();
    if let Some(p) = h.cpu {
        metrics.push(metric("cpu", p));
    }
    if let Some(p) = h.memory {
        metrics.push(metric("memory", p));
    }
    // RAE guide, Celery Workers, Worker Behavior: "Scale-up: 100% increase per 30s (max 2 pods
    // at once); Scale-down: 50% decrease per 60s (300s stabilization)".
    let behavior = (ctx.chart.id == "rae-memory" && w.c.id == "celery-worker").then(|| {
        let policy = |type_: &str, value: i32, period: i32| HPAScalingPolicy {
            type_: type_.into(),
            value,
            period_seconds: period,
        };
        HorizontalPodAutoscalerBehavior {
            scale_up: Some(HPAScalingRules {
                policies: Some(vec![policy("Percent", 100, 30), policy("Pods", 2, 30)]),
                select_policy: Some("Min".into()),
                ..Default::default()
            }),
            scale_down: Some(HPAScalingRules {
                stabilization_window_seconds: Some(300),
                policies: Some(vec![policy("Percent", 50, 60)]),
                ..Default::default()
            }),
        }
    });
    let obj = HorizontalPodAutoscaler {
        metadata: meta(ctx, &w.name, Some(&w.c.id)),
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
    sink.push("HorizontalPodAutoscaler", &w.name, obj);
}

fn role(ctx: &Ctx, sink: &mut Sink, name: &str, component: &str, rules: Vec<PolicyRule>) {
    let annotations = if ctx.chart.id == "rae-memory" {
        Some(ctx.string_map("serviceAccount.annotations")).filter(|m| !m.is_empty())
    } else {
        None
    };
    let sa = ServiceAccount {
        metadata: ObjectMeta {
            annotations,
            ..meta(ctx, name, Some(component))
        },
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

/// RBAC where a component needs the API: RAE's memory API (its guide's "minimal RBAC": get and
/// list on configmaps, and on secrets narrowed here to `get` of the app's own Secret
/// `rae-secrets` by name, so the API's token cannot read the database passwords or any other
/// Secret of the namespace; checkov CKV2_K8S_5) and RabbitMQ's Kubernetes peer discovery.
fn rbac(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    for w in works {
        let rae_api = w.family == Family::App
            && ctx.chart.id == "rae-memory"
            && w.c.id == "memory-api"
            && ctx.bool_at("serviceAccount.create", true);
        let rabbit = w.family == Family::BitnamiRabbitmq
            && ctx.bool_at((base(w.c), "clustering.enabled"), true);
        if rae_api {
            let name = format!("{}-api", ctx.release);
            let rules = vec![
                PolicyRule {
                    resource_names: Some(vec![RAE_SECRET.to_string()]),
                    ..rule(&["secrets"], &["get"])
                },
                rule(&["configmaps"], &["get", "list"]),
            ];
            role(ctx, sink, &name, &w.c.id, rules);
        } else if rabbit {
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

fn config_maps(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    for w in works {
        if w.family == Family::BitnamiPostgres
            && !w.c.id.ends_with("-read")
            && ctx.bool_at("initdb.enabled", false)
        {
            let name = init_scripts_name(ctx, &base(w.c));
            let cm = config_map(ctx, &name, Some(&w.c.id), init_scripts(ctx));
            sink.push("ConfigMap", &name, cm);
        }
    }
    if works.iter().any(|w| w.family == Family::Frappe) {
        let name = format!("{}-config", ctx.release);
        let cm = config_map(ctx, &name, None, frappe_config(ctx));
        sink.push("ConfigMap", &name, cm);
    }
    if ctx.chart.id == "rae-memory" && works.iter().any(|w| w.family == Family::App) {
        let name = format!("{}-config", ctx.release);
        let cm = config_map(ctx, &name, None, rae_config(ctx));
        sink.push("ConfigMap", &name, cm);
    }
}

fn sql_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// cauldron-infra's PostgreSQL initialization: extensions, module schemas, extra databases
/// (guide 000, "PostgreSQL Initialization"), from `initdb.*`.
fn init_scripts(ctx: &Ctx) -> BTreeMap<String, String> {
    let items =
        |p: &str| -> Vec<String> { ctx.list(p).into_iter().filter_map(scalar_text).collect() };
    let mut data = BTreeMap::new();
    let mut ext = String::from("-- Extensions (initdb.extensions)\n");
    for e in items("initdb.extensions") {
        ext.push_str(&format!(
            "CREATE EXTENSION IF NOT EXISTS {};\n",
            sql_ident(&e)
        ));
    }
    data.insert("01-extensions.sql".to_string(), ext);
    let mut sch = String::from("-- Schemas of the Cauldron modules (initdb.schemas)\n");
    for s in items("initdb.schemas") {
        sch.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {};\n", sql_ident(&s)));
    }
    data.insert("02-schemas.sql".to_string(), sch);
    let mut dbs = String::from(
        "-- Additional databases (initdb.databases); CREATE DATABASE has no IF NOT EXISTS\n",
    );
    for d in items("initdb.databases") {
        dbs.push_str(&format!(
            "SELECT {} WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {})\\gexec\n",
            sql_literal(&format!("CREATE DATABASE {}", sql_ident(&d))),
            sql_literal(&d)
        ));
    }
    data.insert("03-databases.sql".to_string(), dbs);
    data
}

/// Frappe's ConfigMap: common_site_config.json and the four entrypoint scripts (guide 001,
/// "ConfigMap for Configuration").
fn frappe_config(ctx: &Ctx) -> BTreeMap<String, String> {
    let mut cfg = serde_json::Map::new();
    if let Some(Value::Mapping(m)) = ctx.get("commonSiteConfig") {
        for (k, v) in m {
            if let (Some(k), Ok(v)) = (k.as_str(), serde_json::to_value(v)) {
                cfg.insert(k.to_string(), v);
            }
        }
    }
    let db_host = ctx.text("database.host").unwrap_or_default();
    let db_port = ctx.int_at("database.port").unwrap_or(5432);
    let db_name = ctx.text("database.name").unwrap_or_else(|| "frappe".into());
    let db_user = ctx
        .text("database.rootUser")
        .unwrap_or_else(|| "postgres".into());
    let site = ctx.text("site.name").unwrap_or_default();
    if let Some(t) = ctx.text("database.type") {
        cfg.insert("db_type".into(), t.into());
    }
    cfg.insert("db_host".into(), db_host.clone().into());
    cfg.insert("db_port".into(), db_port.into());
    if !site.is_empty() {
        cfg.insert("default_site".into(), site.clone().into());
    }
    let redis = |which: &str| -> (String, String) {
        (
            ctx.text(&format!("redis.{which}.host")).unwrap_or_default(),
            ctx.text(&format!("redis.{which}.port"))
                .unwrap_or_else(|| "6379".into()),
        )
    };
    for which in ["cache", "queue", "socketio"] {
        let (h, p) = redis(which);
        cfg.insert(format!("redis_{which}"), format!("redis://{h}:{p}").into());
    }
    if let Some(p) = ctx.int_at("socketio.service.port") {
        cfg.insert("socketio_port".into(), p.into());
    }
    let json = serde_json::to_string_pretty(&serde_json::Value::Object(cfg)).unwrap_or_default();

    // Every script: the config from this ConfigMap, the Redis URLs with their passwords from the
    // Secret, and the custom apps fetched into this pod's bench.
    let mut prelude = String::from(
        "#!/bin/bash\n\
         set -euo pipefail\n\
         cd /home/frappe/frappe-bench\n\
         cp /opt/cauldron/common_site_config.json sites/common_site_config.json\n",
    );
    for which in ["cache", "queue", "socketio"] {
        let (h, p) = redis(which);
        prelude.push_str(&format!(
            "bench set-config -g redis_{which} \"redis://:${{REDIS_{}_PASSWORD}}@\"{}\n",
            which.to_ascii_uppercase(),
            sh_quote(&format!("{h}:{p}"))
        ));
    }
    let custom: Vec<(String, String, String)> = ctx
        .list("customApps")
        .into_iter()
        .filter_map(|a| {
            Some((
                entry(a, "name").and_then(scalar_text)?,
                entry(a, "repo").and_then(scalar_text)?,
                entry(a, "branch")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| "main".into()),
            ))
        })
        .collect();
    if !custom.is_empty() {
        prelude.push_str(
            "# Custom Cauldron apps (customApps); bake them into the image for production\n",
        );
    }
    for (name, repo, branch) in &custom {
        prelude.push_str(&format!(
            "[ -d apps/{n} ] || bench get-app --skip-assets --branch {b} {r}\n",
            n = sh_quote(name),
            b = sh_quote(branch),
            r = sh_quote(repo)
        ));
    }
    prelude.push_str("ls -1 apps > sites/apps.txt\n");

    let web_port = ctx
        .component("web")
        .and_then(|c| c.ports.first())
        .map_or(8000, |p| p.port);
    let mut web = prelude.clone();
    web.push_str("# Create the site on first start (database.*, site.*, apps, customApps)\n");
    web.push_str("if [ ! -f \"sites/${SITE_NAME}/site_config.json\" ]; then\n");
    let mut new_site = format!(
        "  bench new-site \"${{SITE_NAME}}\" --db-type postgres --db-host {} --db-port {} \
         --db-name {} --db-root-username {} --db-root-password \"${{DB_ROOT_PASSWORD}}\" \
         --admin-password \"${{ADMIN_PASSWORD}}\"",
        sh_quote(&db_host),
        db_port,
        sh_quote(&db_name),
        sh_quote(&db_user)
    );
    for app in ctx.list("apps") {
        if let Some(n) = entry(app, "name")
            .and_then(scalar_text)
            .or_else(|| scalar_text(app))
        {
            new_site.push_str(&format!(" --install-app {}", sh_quote(&n)));
        }
    }
    web.push_str(&new_site);
    web.push('\n');
    for (name, _, _) in &custom {
        web.push_str(&format!(
            "  bench --site \"${{SITE_NAME}}\" install-app {}\n",
            sh_quote(name)
        ));
    }
    web.push_str("fi\n");
    web.push_str(&format!(
        "exec gunicorn --chdir=/home/frappe/frappe-bench/sites --bind=0.0.0.0:{web_port} \
         --threads=4 --workers=2 --worker-class=gthread --worker-tmp-dir=/dev/shm \
         --timeout=120 --preload frappe.app:application\n"
    ));
    let queues: Vec<String> = ctx
        .list("worker.queues")
        .into_iter()
        .filter_map(scalar_text)
        .collect();
    let queues = if queues.is_empty() {
        "default,short,long".to_string()
    } else {
        queues.join(",")
    };
    let worker = format!("{prelude}exec bench worker --queue {}\n", sh_quote(&queues));
    let scheduler = format!("{prelude}exec bench schedule\n");
    let socketio =
        format!("{prelude}exec node /home/frappe/frappe-bench/apps/frappe/socketio.js\n");
    BTreeMap::from([
        ("common_site_config.json".to_string(), format!("{json}\n")),
        ("entrypoint.sh".to_string(), web),
        ("worker-entrypoint.sh".to_string(), worker),
        ("scheduler-entrypoint.sh".to_string(), scheduler),
        ("socketio-entrypoint.sh".to_string(), socketio),
    ])
}

/// RAE's ConfigMap: the `configMap` keys, with the cost-control keys taken from `cost.*` when
/// the environment or the user changed those (the settings edit `cost.*`).
fn rae_config(ctx: &Ctx) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    if let Some(Value::Mapping(m)) = ctx.get("configMap") {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (k.as_str(), scalar_text(v)) {
                data.insert(k.to_string(), v);
            }
        }
    }
    for (key, path) in [
        ("ENABLE_COST_TRACKING", "cost.enableTracking"),
        ("DEFAULT_DAILY_LIMIT", "cost.defaultDailyLimit"),
        ("DEFAULT_MONTHLY_LIMIT", "cost.defaultMonthlyLimit"),
        ("BUDGET_WARNING_THRESHOLD", "cost.warningThreshold"),
    ] {
        let changed = ctx.config.source_of(ctx.chart, path) != Layer::Chart;
        if changed || !data.contains_key(key) {
            if let Some(v) = ctx.text(path) {
                data.insert(key.to_string(), v);
            }
        }
    }
    data
}

// ---------------------------------------------------------------------------------------------
// Ingress

fn ingress(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    if !ctx.bool_at("ingress.enabled", false) {
        return;
    }
    let Some(front) = exposed(works) else {
        return;
    };
    let Some(port) = front.c.ports.first() else {
        return;
    };
    let backend = |w: &Work, port: &str| IngressBackend {
        service: Some(IngressServiceBackend {
            name: w.name.clone(),
            port: Some(ServiceBackendPort {
                name: Some(port.to_string()),
                ..Default::default()
            }),
        }),
        ..Default::default()
    };
    // Frappe: Socket.IO is served under /socket.io on the same host.
    let realtime = works
        .iter()
        .find(|w| w.c.role == "realtime" && !w.c.ports.is_empty());
    let mut rules = Vec::new();
    for h in ctx.list("ingress.hosts") {
        let host = entry(h, "host").and_then(scalar_text);
        let mut paths = Vec::new();
        if let Some(rt) = realtime {
            if let Some(p) = rt.c.ports.first() {
                paths.push(HTTPIngressPath {
                    path: Some("/socket.io".into()),
                    path_type: "Prefix".into(),
                    backend: backend(rt, &p.name),
                });
            }
        }
        let listed = entry(h, "paths")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for p in &listed {
            paths.push(HTTPIngressPath {
                path: Some(
                    entry(p, "path")
                        .and_then(scalar_text)
                        .unwrap_or_else(|| "/".into()),
                ),
                path_type: entry(p, "pathType")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| "Prefix".into()),
                backend: backend(front, &port.name),
            });
        }
        if listed.is_empty() {
            paths.push(HTTPIngressPath {
                path: Some("/".into()),
                path_type: "Prefix".into(),
                backend: backend(front, &port.name),
            });
        }
        rules.push(IngressRule {
            host,
            http: Some(HTTPIngressRuleValue { paths }),
        });
    }
    let tls: Vec<IngressTLS> = ctx
        .list("ingress.tls")
        .into_iter()
        .map(|t| IngressTLS {
            secret_name: entry(t, "secretName").and_then(scalar_text),
            hosts: entry(t, "hosts")
                .and_then(Value::as_sequence)
                .map(|hs| hs.iter().filter_map(scalar_text).collect()),
        })
        .collect();
    let annotations = ctx.string_map("ingress.annotations");
    let obj = Ingress {
        metadata: ObjectMeta {
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..meta(ctx, &ctx.release, Some(&front.c.id))
        },
        spec: Some(IngressSpec {
            ingress_class_name: ctx.text("ingress.className"),
            rules: (!rules.is_empty()).then_some(rules),
            tls: (!tls.is_empty()).then_some(tls),
            default_backend: None,
        }),
        ..Default::default()
    };
    sink.push("Ingress", &ctx.release, obj);
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

fn network_policies(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    if !ctx.bool_at("networkPolicy.enabled", false) || works.is_empty() {
        return;
    }
    if ctx.chart.id == "rae-memory" {
        rae_network_policies(ctx, sink, works);
        return;
    }
    // Default deny for the release's pods, then traffic within the release (and the releases it
    // works with: cauldron-frappe uses cauldron-infra's PostgreSQL and Redis), and DNS.
    let release_pods = match_labels(BTreeMap::from([(
        "app.kubernetes.io/instance".to_string(),
        ctx.release.clone(),
    )]));
    let mut related: BTreeSet<String> = BTreeSet::from([ctx.release.clone()]);
    related.extend(ctx.chart.requires.iter().cloned());
    for other in &ctx.catalog.charts {
        if other.requires.contains(&ctx.release) {
            related.insert(other.id.clone());
        }
    }
    let peers = vec![NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "app.kubernetes.io/instance".into(),
                operator: "In".into(),
                values: Some(related.into_iter().collect()),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }];
    let both = vec!["Ingress".to_string(), "Egress".to_string()];
    let name = format!("{}-default-deny", ctx.release);
    let deny = network_policy(
        ctx,
        &name,
        None,
        release_pods.clone(),
        both.clone(),
        vec![],
        vec![],
    );
    sink.push("NetworkPolicy", &name, deny);
    let name = format!("{}-allow-release", ctx.release);
    let mut egress = vec![
        NetworkPolicyEgressRule {
            to: Some(peers.clone()),
            ports: None,
        },
        dns_egress(),
    ];
    // External endpoints (`crate::external`) live outside the cluster: allow their ports.
    let mut external_ports: Vec<i64> = crate::external::writes(ctx.chart, &ctx.config.options)
        .iter()
        .filter_map(|(c, _, _)| c.port.as_deref().and_then(|p| ctx.int_at(p)))
        .collect();
    external_ports.sort_unstable();
    external_ports.dedup();
    if !external_ports.is_empty() {
        egress.push(NetworkPolicyEgressRule {
            to: None,
            ports: Some(
                external_ports
                    .into_iter()
                    .map(|p| np_port(p, "TCP"))
                    .collect(),
            ),
        });
    }
    let allow = network_policy(
        ctx,
        &name,
        None,
        release_pods,
        both,
        vec![NetworkPolicyIngressRule {
            from: Some(peers),
            ports: None,
        }],
        egress,
    );
    sink.push("NetworkPolicy", &name, allow);
    // What is reached from outside the release: the component behind the Ingress or a
    // LoadBalancer/NodePort Service on its ports, and metrics ports scraped by Prometheus.
    let mut open: BTreeMap<String, (String, Vec<i64>)> = BTreeMap::new();
    if ctx.bool_at("ingress.enabled", false) {
        for w in works
            .iter()
            .filter(|w| w.c.role == "realtime" && !w.c.ports.is_empty())
            .chain(exposed(works))
        {
            let e = open
                .entry(w.c.id.clone())
                .or_insert((w.name.clone(), vec![]));
            e.1.extend(w.c.ports.first().map(|p| i64::from(p.port)));
        }
    }
    for w in works {
        let type_ = settings_prefix(w.c).and_then(|p| ctx.text((&p, "service.type")));
        if matches!(type_.as_deref(), Some("LoadBalancer" | "NodePort")) {
            let e = open
                .entry(w.c.id.clone())
                .or_insert((w.name.clone(), vec![]));
            e.1.extend(w.c.ports.iter().map(|p| i64::from(p.port)));
        }
    }
    for (w, port) in scraped(ctx, works) {
        let e = open
            .entry(w.c.id.clone())
            .or_insert((w.name.clone(), vec![]));
        e.1.push(port);
    }
    for (component, (name, mut ports)) in open {
        ports.sort_unstable();
        ports.dedup();
        let name = format!("{name}-external");
        let np = network_policy(
            ctx,
            &name,
            Some(&component),
            component_selector(ctx, &component),
            vec!["Ingress".into()],
            vec![NetworkPolicyIngressRule {
                from: None,
                ports: Some(ports.into_iter().map(|p| np_port(p, "TCP")).collect()),
            }],
            vec![],
        );
        sink.push("NetworkPolicy", &name, np);
    }
}

/// RAE's network rules exactly as its guide lists them (Security, Network Policies).
fn rae_network_policies(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    let types: Vec<String> = {
        let listed: Vec<String> = ctx
            .list("networkPolicy.policyTypes")
            .into_iter()
            .filter_map(scalar_text)
            .filter(|t| t == "Ingress" || t == "Egress")
            .collect();
        if listed.is_empty() {
            vec!["Ingress".into(), "Egress".into()]
        } else {
            listed
        }
    };
    let find = |id: &str| works.iter().find(|w| w.c.id == id);
    let pod = |id: &str| NetworkPolicyPeer {
        pod_selector: Some(component_selector(ctx, id)),
        ..Default::default()
    };
    let port_of = |id: &str, guide: i64| {
        ctx.component(id)
            .and_then(|c| c.ports.first())
            .map_or(guide, |p| i64::from(p.port))
    };
    // The API's way out, shared by the Celery worker (the same image and code): DNS; to
    // PostgreSQL (5432), Redis (6379), Qdrant (6333); to ML Service (8001), Reranker (8002);
    // to internet (443) for LLM APIs.
    let app_egress = || {
        let mut egress = vec![dns_egress()];
        for (id, guide) in [
            ("postgresql", 5432),
            ("redis", 6379),
            ("qdrant", 6333),
            ("ml-service", 8001),
            ("reranker", 8002),
        ] {
            if find(id).is_some() {
                egress.push(NetworkPolicyEgressRule {
                    to: Some(vec![pod(id)]),
                    ports: Some(vec![np_port(port_of(id, guide), "TCP")]),
                });
            }
        }
        egress.push(internet_443());
        egress
    };
    if let Some(api) = find("memory-api") {
        let api_port = port_of("memory-api", 8000);
        let ingress = vec![
            // From ingress-nginx namespace (port 8000).
            NetworkPolicyIngressRule {
                from: Some(vec![namespace_peer("ingress-nginx")]),
                ports: Some(vec![np_port(api_port, "TCP")]),
            },
            // From same namespace pods (ML service, Celery, etc.).
            NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(LabelSelector::default()),
                    ..Default::default()
                }]),
                ports: None,
            },
        ];
        let np = network_policy(
            ctx,
            &api.name,
            Some("memory-api"),
            component_selector(ctx, "memory-api"),
            types.clone(),
            ingress,
            app_egress(),
        );
        sink.push("NetworkPolicy", &api.name, np);
    }
    // The guide lists no rules for the Celery worker and the reranker; without a policy their
    // pods would take any traffic (checkov CKV2_K8S_6). The worker serves nothing (no ingress)
    // and reaches what the API reaches.
    if let Some(worker) = find("celery-worker") {
        let np = network_policy(
            ctx,
            &worker.name,
            Some("celery-worker"),
            component_selector(ctx, "celery-worker"),
            types.clone(),
            vec![],
            app_egress(),
        );
        sink.push("NetworkPolicy", &worker.name, np);
    }
    // The reranker is called by the API (the API's egress, port 8002) and, like the ML
    // service, downloads its model: DNS and internet (443).
    if let Some(reranker) = find("reranker") {
        let from: Vec<NetworkPolicyPeer> = ["memory-api", "celery-worker"]
            .iter()
            .filter(|id| find(id).is_some())
            .map(|id| pod(id))
            .collect();
        let np = network_policy(
            ctx,
            &reranker.name,
            Some("reranker"),
            component_selector(ctx, "reranker"),
            types.clone(),
            ingress_from(from, Some(vec![np_port(port_of("reranker", 8002), "TCP")])),
            vec![dns_egress(), internet_443()],
        );
        sink.push("NetworkPolicy", &reranker.name, np);
    }
    if let Some(ml) = find("ml-service") {
        // Only from API and Celery Worker (port 8001); DNS; internet (443) for model downloads.
        let from: Vec<NetworkPolicyPeer> = ["memory-api", "celery-worker"]
            .iter()
            .filter(|id| find(id).is_some())
            .map(|id| pod(id))
            .collect();
        let np = network_policy(
            ctx,
            &ml.name,
            Some("ml-service"),
            component_selector(ctx, "ml-service"),
            types.clone(),
            ingress_from(
                from,
                Some(vec![np_port(port_of("ml-service", 8001), "TCP")]),
            ),
            vec![dns_egress(), internet_443()],
        );
        sink.push("NetworkPolicy", &ml.name, np);
    }
    // Database/Storage: only from API, ML Service, Celery Worker; no outbound traffic.
    for id in ["postgresql", "redis", "qdrant"] {
        let Some(w) = find(id) else { continue };
        let from: Vec<NetworkPolicyPeer> = ["memory-api", "ml-service", "celery-worker"]
            .iter()
            .filter(|id| find(id).is_some())
            .map(|id| pod(id))
            .collect();
        let np = network_policy(
            ctx,
            &w.name,
            Some(id),
            component_selector(ctx, id),
            vec!["Ingress".into(), "Egress".into()],
            ingress_from(from, None),
            vec![],
        );
        sink.push("NetworkPolicy", &w.name, np);
    }
}

// ---------------------------------------------------------------------------------------------
// Monitoring (Prometheus Operator ServiceMonitor, Grafana dashboard)

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
    pub scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relabelings: Vec<RelabelConfig>,
}

/// A Prometheus relabel rule (`monitoring.coreos.com/v1` RelabelConfig).
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

/// The components Prometheus scrapes, with their metrics port.
fn scraped<'a, 'b>(ctx: &Ctx, works: &'b [Work<'a>]) -> Vec<(&'b Work<'a>, i64)> {
    let mut out = Vec::new();
    match ctx.chart.id.as_str() {
        "rae-memory" => {
            if ctx.bool_at("monitoring.enabled", false)
                && ctx.bool_at("monitoring.serviceMonitor.enabled", false)
            {
                if let Some(w) = works.iter().find(|w| w.c.id == "memory-api") {
                    if let Some(p) = w.c.ports.first() {
                        out.push((w, i64::from(p.port)));
                    }
                }
            }
        }
        _ => {
            if ctx.bool_at("monitoring.prometheus.serviceMonitor.enabled", false) {
                for w in works {
                    if let Some(p) = w.c.ports.iter().find(|p| p.name == "metrics") {
                        out.push((w, i64::from(p.port)));
                    }
                }
            }
        }
    }
    out
}

fn monitoring(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    let targets = scraped(ctx, works);
    let (interval, relabelings) = if ctx.chart.id == "rae-memory" {
        (
            ctx.text("monitoring.serviceMonitor.interval"),
            ctx.get("monitoring.serviceMonitor.relabelings")
                .cloned()
                .and_then(|v| serde_yaml::from_value::<Vec<RelabelConfig>>(v).ok())
                .unwrap_or_default(),
        )
    } else {
        (None, Vec::new())
    };
    for (w, port) in &targets {
        let port_name =
            w.c.ports
                .iter()
                .find(|p| i64::from(p.port) == *port)
                .map(|p| p.name.clone())
                .unwrap_or_default();
        let sm = ServiceMonitor {
            api_version: "monitoring.coreos.com/v1".into(),
            kind: "ServiceMonitor".into(),
            metadata: meta(ctx, &w.name, Some(&w.c.id)),
            spec: ServiceMonitorSpec {
                selector: component_selector(ctx, &w.c.id),
                endpoints: vec![ServiceMonitorEndpoint {
                    port: port_name,
                    path: Some("/metrics".into()),
                    interval: interval.clone(),
                    scheme: None,
                    relabelings: relabelings.clone(),
                }],
            },
        };
        sink.push("ServiceMonitor", &w.name, sm);
    }
    let dashboard = match ctx.chart.id.as_str() {
        "rae-memory" => {
            ctx.bool_at("monitoring.enabled", false)
                && ctx.bool_at("monitoring.grafanaDashboard.enabled", false)
        }
        _ => !targets.is_empty(),
    };
    if dashboard {
        let name = format!("{}-grafana-dashboard", ctx.release);
        let mut cm = config_map(
            ctx,
            &name,
            None,
            BTreeMap::from([(format!("{}.json", ctx.release), dashboard_json(ctx))]),
        );
        if let Some(l) = cm.metadata.labels.as_mut() {
            // The Grafana sidecar's default label for dashboards to import.
            l.insert("grafana_dashboard".into(), "1".into());
        }
        sink.push("ConfigMap", &name, cm);
    }
}

/// A small Grafana dashboard: one time-series panel per metric the guide names.
fn dashboard_json(ctx: &Ctx) -> String {
    let panels: Vec<(&str, String)> = match ctx.chart.id.as_str() {
        // RAE guide, Monitoring & Observability: Prometheus Metrics.
        "rae-memory" => vec![
            ("Request rate", "sum(rate(rae_api_requests_total[5m]))".into()),
            (
                "Request latency p95",
                "histogram_quantile(0.95, sum(rate(rae_api_request_duration_seconds_bucket[5m])) by (le))"
                    .into(),
            ),
            (
                "Memory operations",
                "sum(rate(rae_memory_operations_total[5m]))".into(),
            ),
            ("LLM cost", "sum(increase(rae_llm_cost_total[1h]))".into()),
            ("Budget remaining", "min(rae_budget_remaining)".into()),
            ("Search cache hit ratio", "avg(rae_search_cache_hit_ratio)".into()),
        ],
        _ => vec![
            (
                "Request rate",
                format!(
                    "sum(rate(http_requests_total{{namespace=\"{}\"}}[5m]))",
                    ctx.namespace
                ),
            ),
            (
                "CPU by pod",
                format!(
                    "sum(rate(container_cpu_usage_seconds_total{{namespace=\"{}\"}}[5m])) by (pod)",
                    ctx.namespace
                ),
            ),
            (
                "Memory by pod",
                format!(
                    "sum(container_memory_working_set_bytes{{namespace=\"{}\"}}) by (pod)",
                    ctx.namespace
                ),
            ),
        ],
    };
    let panels: Vec<serde_json::Value> = panels
        .into_iter()
        .enumerate()
        .map(|(i, (title, expr))| {
            let i = i64::try_from(i).unwrap_or(0);
            serde_json::json!({
                "id": i + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i / 2) * 8},
                "targets": [{"expr": expr, "refId": "A"}],
            })
        })
        .collect();
    let dash = serde_json::json!({
        "title": ctx.chart.name,
        "uid": ctx.release,
        "schemaVersion": 39,
        "tags": [ctx.release],
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{
            "name": "datasource",
            "type": "datasource",
            "query": "prometheus",
        }]},
        "panels": panels,
    });
    serde_json::to_string_pretty(&dash).unwrap_or_default() + "\n"
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

/// RAE: with `externalSecrets.enabled`, the app Secret rae-secrets comes from the store (guide,
/// External Secrets Operator): `keys.databaseUrl` -> key `database-url`, and so on.
fn external_secrets(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    if ctx.chart.id != "rae-memory"
        || !ctx.bool_at("externalSecrets.enabled", false)
        || !works.iter().any(|w| w.family == Family::App)
    {
        return;
    }
    let mut data = Vec::new();
    if let Some(Value::Mapping(m)) = ctx.get("externalSecrets.keys") {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (k.as_str(), scalar_text(v)) {
                data.push(ExternalSecretData {
                    secret_key: kebab(k),
                    remote_ref: RemoteRef { key: v },
                });
            }
        }
    }
    let name = RAE_SECRET;
    let es = ExternalSecret {
        api_version: "external-secrets.io/v1beta1".into(),
        kind: "ExternalSecret".into(),
        metadata: meta(ctx, name, None),
        spec: ExternalSecretSpec {
            refresh_interval: ctx.text("externalSecrets.refreshInterval"),
            secret_store_ref: SecretStoreRef {
                name: ctx
                    .text("externalSecrets.secretStore")
                    .unwrap_or_else(|| "aws-secrets-manager".into()),
                kind: ctx
                    .text("externalSecrets.secretStoreKind")
                    .unwrap_or_else(|| "SecretStore".into()),
            },
            target: ExternalSecretTarget {
                name: name.into(),
                creation_policy: "Owner".into(),
            },
            data,
        },
    };
    sink.push("ExternalSecret", name, es);
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;
    use proptest::prelude::*;

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

    fn add_pod(s: &mut Sums, pod: &PodSpec, n: i64) {
        s.replicas += n;
        for c in &pod.containers {
            let r = c.resources.clone().unwrap_or_default();
            s.req_cpu += n * q(&r.requests, "cpu", true);
            s.req_mem += n * q(&r.requests, "memory", false);
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
                    let n = i64::from(d.spec.replicas.unwrap_or(1));
                    let pod = d.spec.template.spec.clone().unwrap_or_default();
                    let p = match hpas.get(&m.name) {
                        Some((min, max)) => {
                            assert_eq!(n, *min, "{}: spec.replicas is the HPA minimum", m.name);
                            *max
                        }
                        None => n,
                    };
                    add_pod(&mut base, &pod, n);
                    add_pod(&mut peak, &pod, p);
                }
                "StatefulSet" => {
                    let s: StatefulSet = typed(m);
                    let n = i64::from(s.spec.replicas.unwrap_or(1));
                    let pod = s.spec.template.spec.clone().unwrap_or_default();
                    assert!(!hpas.contains_key(&m.name));
                    add_pod(&mut base, &pod, n);
                    add_pod(&mut peak, &pod, n);
                    let claim: i64 = s
                        .spec
                        .volume_claim_templates
                        .iter()
                        .flatten()
                        .map(pvc_storage)
                        .sum();
                    base.storage += claim * n;
                    peak.storage += claim * n;
                }
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

    fn assert_agrees(stacks: &[&str], env: &str, sets: &[&str]) {
        let c = config(stacks, env, sets);
        let ms = render(cat(), &c);
        let p = crate::plan::plan(cat(), &c);
        let (base, peak) = sums(&ms);
        assert_eq!(
            base,
            plan_sums(&p.totals.baseline),
            "{stacks:?} {env} baseline"
        );
        assert_eq!(peak, plan_sums(&p.totals.peak), "{stacks:?} {env} peak");
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
        assert_agrees(
            &["rae-memory"],
            "prod",
            &[
                "memoryApi.autoscaling.maxReplicas=30",
                "mlService.resources.requests.cpu=3",
            ],
        );
        // A Bitnami preset: no explicit resources.
        assert_agrees(
            &["cauldron-infra"],
            "dev",
            &[
                "postgresql.primary.resources.requests.cpu=null",
                "postgresql.primary.resources.requests.memory=null",
                "postgresql.primary.resources.limits.cpu=null",
                "postgresql.primary.resources.limits.memory=null",
                "redis-cache.master.persistence.enabled=true",
            ],
        );
        // A request left out defaults to the limit.
        assert_agrees(
            &["caracal"],
            "staging",
            &["redis.resources.requests.memory=null"],
        );
        // Persistence off: no claim, no storage.
        assert_agrees(&["caracal"], "prod", &["kafka.persistence.enabled=false"]);
    }

    #[test]
    fn the_agreement_check_can_fail() {
        let c = config(&["rhesis"], "prod", &[]);
        let mut ms = render(cat(), &c);
        let d = ms
            .iter_mut()
            .find(|m| m.kind == "Deployment" && m.name == "rhesis-backend")
            .unwrap();
        d.yaml = d.yaml.replace("replicas: 3", "replicas: 2");
        let (base, _) = sums(&ms);
        assert_ne!(
            base,
            plan_sums(&crate::plan::plan(cat(), &c).totals.baseline)
        );
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
                    other => panic!("unexpected kind {other}"),
                }
                let v: Value = serde_yaml::from_str(&m.yaml).unwrap();
                let labels = v["metadata"]["labels"].as_mapping().unwrap();
                for key in [
                    "app.kubernetes.io/name",
                    "app.kubernetes.io/instance",
                    "app.kubernetes.io/part-of",
                    "app.kubernetes.io/managed-by",
                ] {
                    assert!(
                        labels.contains_key(key),
                        "{} {} lacks {key}",
                        m.kind,
                        m.name
                    );
                }
                assert_eq!(
                    v["metadata"]["namespace"],
                    Value::from(cat().chart(&chart).unwrap().chart.namespace.clone())
                );
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
        let ms = rendered(&["rhesis"], "dev", &[]);
        let files = per_object_files(&ms);
        assert_eq!(files.len(), ms.len());
        assert!(files
            .iter()
            .any(|f| f.path == "rhesis/templates/deployment-rhesis-backend.yaml"));
        assert!(files
            .iter()
            .any(|f| f.path == "rhesis/templates/statefulset-rhesis-postgresql.yaml"));
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
        let ms = rendered(&["cauldron-infra"], "dev", &[]);
        assert!(find(&ms, "StatefulSet", "cauldron-infra-postgresql-read").is_none());
        let ms = rendered(&["cauldron-infra"], "prod", &[]);
        assert!(find(&ms, "StatefulSet", "cauldron-infra-postgresql-read").is_some());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-postgresql-primary").is_some());
        assert!(find(&ms, "StatefulSet", "cauldron-infra-redis-cache-replicas").is_some());
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
        let ms = rendered(&["cauldron-infra"], "prod", &[]);
        assert!(find(&ms, "Secret", "cauldron-infra-postgresql").is_none());
        let sts = find(&ms, "StatefulSet", "cauldron-infra-postgresql-primary").unwrap();
        assert!(
            sts.yaml.contains("name: cauldron-postgresql"),
            "{}",
            sts.yaml
        );
        let ms = rendered(&["cauldron-infra"], "dev", &[]);
        assert!(find(&ms, "Secret", "cauldron-infra-postgresql").is_some());
        let ms = rendered(&["cauldron-frappe"], "prod", &[]);
        assert!(ms.iter().all(|m| m.kind != "Secret"));
        // RAE: rae-secrets comes from the External Secrets Operator in prod.
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let es: ExternalSecret = typed(find(&ms, "ExternalSecret", "rae-secrets").unwrap());
        assert_eq!(es.spec.secret_store_ref.name, "aws-secrets-manager");
        assert_eq!(es.spec.target.name, "rae-secrets");
        assert_eq!(es.spec.data[0].secret_key, "database-url");
        assert_eq!(es.spec.data[0].remote_ref.key, "rae/database-url");
        assert!(find(&ms, "Secret", "rae-secrets").is_none());
        let ms = rendered(&["rae-memory"], "dev", &[]);
        assert!(find(&ms, "Secret", "rae-secrets").is_some());
        assert!(ms.iter().all(|m| m.kind != "ExternalSecret"));
    }

    #[test]
    fn containers_carry_resources_probes_and_restricted_security() {
        for (chart, env) in every_chart_env() {
            for m in rendered(&[&chart], &env, &[]) {
                let pod = match m.kind.as_str() {
                    "Deployment" => typed::<Deployment>(&m).spec.template.spec,
                    "StatefulSet" => typed::<StatefulSet>(&m).spec.template.spec,
                    _ => continue,
                }
                .unwrap();
                let psc = pod.security_context.clone().unwrap();
                assert_eq!(psc.run_as_non_root, Some(true), "{}", m.name);
                assert_eq!(psc.seccomp_profile.unwrap().type_, "RuntimeDefault");
                for c in pod
                    .containers
                    .iter()
                    .chain(pod.init_containers.iter().flatten())
                {
                    let r = c.resources.clone().unwrap();
                    assert!(r.requests.is_some() && r.limits.is_some(), "{}", m.name);
                    let sc = c.security_context.clone().unwrap();
                    assert_eq!(sc.allow_privilege_escalation, Some(false));
                    assert_eq!(sc.capabilities.unwrap().drop.unwrap(), ["ALL"]);
                    let image = c.image.clone().unwrap();
                    assert!(image.contains(':'), "{image} has a tag");
                }
                let main = &pod.containers[0];
                let comp = cat().chart(&chart).unwrap().component(&main.name).unwrap();
                // The Celery worker serves no port: its probes ping it through the broker.
                let celery = main.name == "celery-worker";
                assert_eq!(
                    main.liveness_probe.is_some(),
                    comp.probes.liveness.is_some() || celery
                );
                assert_eq!(
                    main.readiness_probe.is_some(),
                    comp.probes.readiness.is_some() || celery
                );
                let rbac = pod
                    .service_account_name
                    .as_deref()
                    .is_some_and(|s| s == "rae-memory-api" || s.ends_with("rabbitmq"));
                assert_eq!(
                    pod.automount_service_account_token,
                    Some(rbac),
                    "{}",
                    m.name
                );
            }
        }
    }

    #[test]
    fn read_only_root_gets_writable_empty_dirs() {
        let ms = rendered(&["rae-memory"], "dev", &[]);
        let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-memory-api").unwrap());
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
        let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-memory-api").unwrap());
        let c = &d.spec.template.spec.unwrap().containers[0];
        assert_eq!(
            c.security_context
                .as_ref()
                .unwrap()
                .read_only_root_filesystem,
            Some(false)
        );
    }

    #[test]
    fn replicas_get_anti_affinity_spread_and_a_budget() {
        let ms = rendered(&["caracal"], "prod", &[]);
        let kafka: StatefulSet = typed(find(&ms, "StatefulSet", "caracal-kafka").unwrap());
        let pod = kafka.spec.template.spec.unwrap();
        let anti = pod.affinity.unwrap().pod_anti_affinity.unwrap();
        let req = anti
            .required_during_scheduling_ignored_during_execution
            .unwrap();
        assert_eq!(req[0].topology_key, "kubernetes.io/hostname");
        let spread = pod.topology_spread_constraints.unwrap();
        assert_eq!(spread[0].topology_key, "topology.kubernetes.io/zone");
        assert_eq!(spread[0].when_unsatisfiable, "ScheduleAnyway");
        // Kafka is a quorum system: minAvailable 2 of 3.
        let pdb: PodDisruptionBudget =
            typed(find(&ms, "PodDisruptionBudget", "caracal-kafka").unwrap());
        assert_eq!(pdb.spec.unwrap().min_available, Some(IntOrString::Int(2)));
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
        let pref = anti
            .preferred_during_scheduling_ignored_during_execution
            .unwrap();
        assert_eq!(pref[0].weight, 100);
        let pdb: PodDisruptionBudget =
            typed(find(&ms, "PodDisruptionBudget", "caracal-gateway").unwrap());
        assert_eq!(pdb.spec.unwrap().max_unavailable, Some(IntOrString::Int(1)));
        // One replica: no budget, no affinity.
        let ms = rendered(&["caracal"], "dev", &[]);
        assert!(ms.iter().all(|m| m.kind != "PodDisruptionBudget"));
        let gw: Deployment = typed(find(&ms, "Deployment", "caracal-gateway").unwrap());
        assert!(gw.spec.template.spec.unwrap().affinity.is_none());
    }

    #[test]
    fn autoscalers_follow_the_values_and_the_rae_guide() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let h: HorizontalPodAutoscaler =
            typed(find(&ms, "HorizontalPodAutoscaler", "rae-memory-memory-api").unwrap());
        assert_eq!((h.spec.min_replicas, h.spec.max_replicas), (Some(5), 20));
        let cpu = &h.spec.metrics.as_ref().unwrap()[0];
        assert_eq!(
            cpu.resource.as_ref().unwrap().target.average_utilization,
            Some(60)
        );
        let h: HorizontalPodAutoscaler =
            typed(find(&ms, "HorizontalPodAutoscaler", "rae-memory-celery-worker").unwrap());
        let metrics = h.spec.metrics.unwrap();
        assert_eq!(metrics.len(), 2, "CPU 80% and memory 75%");
        assert_eq!(metrics[1].resource.as_ref().unwrap().name, "memory");
        let b = h.spec.behavior.unwrap();
        let up = b.scale_up.unwrap();
        assert_eq!(up.select_policy.as_deref(), Some("Min"));
        assert_eq!(up.policies.unwrap()[1].value, 2);
        let down = b.scale_down.unwrap();
        assert_eq!(down.stabilization_window_seconds, Some(300));
        let ms = rendered(&["rae-memory"], "dev", &[]);
        assert!(find(&ms, "HorizontalPodAutoscaler", "rae-memory-memory-api").is_none());
    }

    #[test]
    fn rae_network_policies_are_the_guides_rules() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let np: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-memory-api").unwrap());
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
        assert_eq!(from.len(), 2, "only from the API and the Celery worker");
        let db: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-postgresql").unwrap());
        let spec = db.spec.unwrap();
        assert_eq!(spec.egress, Some(vec![]), "no outbound traffic");
        assert_eq!(spec.ingress.unwrap()[0].from.as_ref().unwrap().len(), 3);
        let ms = rendered(&["rae-memory"], "prod", &["networkPolicy.enabled=false"]);
        assert!(ms.iter().all(|m| m.kind != "NetworkPolicy"));
    }

    #[test]
    fn other_charts_deny_by_default_when_asked() {
        let ms = rendered(&["caracal"], "prod", &[]);
        let deny: NetworkPolicy =
            typed(find(&ms, "NetworkPolicy", "caracal-default-deny").unwrap());
        let spec = deny.spec.unwrap();
        assert_eq!(spec.ingress, Some(vec![]));
        assert_eq!(spec.egress, Some(vec![]));
        assert!(find(&ms, "NetworkPolicy", "caracal-allow-release").is_some());
        // The LoadBalancer gateway and the scraped metrics ports stay reachable.
        assert!(find(&ms, "NetworkPolicy", "caracal-gateway-external").is_some());
        let ms = rendered(&["caracal"], "dev", &[]);
        assert!(ms.iter().all(|m| m.kind != "NetworkPolicy"));
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
        assert_eq!(cfg["db_host"], "cauldron-infra-postgresql-primary");
        assert_eq!(cfg["developer_mode"], 0);
        let pvc: PersistentVolumeClaim =
            typed(find(&ms, "PersistentVolumeClaim", "cauldron-frappe-sites").unwrap());
        assert_eq!(pvc.spec.unwrap().access_modes.unwrap(), ["ReadWriteMany"]);
        let web: Deployment = typed(find(&ms, "Deployment", "cauldron-frappe-web").unwrap());
        let init = web.spec.template.spec.unwrap().init_containers.unwrap();
        assert_eq!(init.len(), 2);
        assert_eq!(init[0].image.as_deref(), Some("postgres:15.4-alpine"));
        let ing: Ingress = typed(find(&ms, "Ingress", "cauldron-frappe").unwrap());
        let spec = ing.spec.unwrap();
        assert_eq!(spec.ingress_class_name.as_deref(), Some("traefik"));
        assert_eq!(
            spec.tls.unwrap()[0].secret_name.as_deref(),
            Some("cauldron-prod-tls")
        );
        // ReadWriteOnce: the Deployments recreate their pods.
        let ms = rendered(
            &["cauldron-frappe"],
            "dev",
            &["persistence.accessMode=ReadWriteOnce"],
        );
        let web: Deployment = typed(find(&ms, "Deployment", "cauldron-frappe-web").unwrap());
        assert_eq!(
            web.spec.strategy.unwrap().type_.as_deref(),
            Some("Recreate")
        );
    }

    #[test]
    fn infra_init_scripts_come_from_initdb_values() {
        let ms = rendered(&["cauldron-infra"], "dev", &[]);
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "postgres-init-scripts").unwrap());
        let data = cm.data.unwrap();
        assert!(data["01-extensions.sql"].contains("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";"));
        assert!(
            data["02-schemas.sql"].contains("CREATE SCHEMA IF NOT EXISTS \"command_cauldron\";")
        );
        assert!(data["03-databases.sql"].contains("'CREATE DATABASE \"superagi\"'"));
        let ms = rendered(&["cauldron-infra"], "dev", &["initdb.enabled=false"]);
        assert!(find(&ms, "ConfigMap", "postgres-init-scripts").is_none());
    }

    #[test]
    fn rae_rbac_monitoring_and_config() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let role: Role = typed(find(&ms, "Role", "rae-memory-api").unwrap());
        let rules = role.rules.unwrap();
        // Secrets: only the app's own, by name, read-only (not every Secret: CKV2_K8S_5).
        assert_eq!(rules[0].resources.clone().unwrap(), ["secrets"]);
        assert_eq!(rules[0].resource_names.clone().unwrap(), ["rae-secrets"]);
        assert_eq!(rules[0].verbs, ["get"]);
        assert_eq!(rules[1].resources.clone().unwrap(), ["configmaps"]);
        assert_eq!(rules[1].verbs, ["get", "list"]);
        assert!(rules.iter().all(|r| !r.verbs.iter().any(|v| v == "list")
            || !r.resources.iter().flatten().any(|x| x == "secrets")));
        assert!(find(&ms, "RoleBinding", "rae-memory-api").is_some());
        let sm: ServiceMonitor =
            typed(find(&ms, "ServiceMonitor", "rae-memory-memory-api").unwrap());
        assert_eq!(sm.spec.endpoints[0].interval.as_deref(), Some("30s"));
        assert_eq!(
            sm.spec.endpoints[0].relabelings[0].target_label.as_deref(),
            Some("pod")
        );
        let dash: ConfigMap =
            typed(find(&ms, "ConfigMap", "rae-memory-grafana-dashboard").unwrap());
        assert!(dash.data.unwrap()["rae-memory.json"].contains("rae_llm_cost_total"));
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "rae-memory-config").unwrap());
        assert_eq!(cm.data.unwrap()["DEFAULT_DAILY_LIMIT"], "10.00");
        let ms = rendered(&["rae-memory"], "prod", &["cost.defaultDailyLimit=25"]);
        let cm: ConfigMap = typed(find(&ms, "ConfigMap", "rae-memory-config").unwrap());
        assert_eq!(cm.data.unwrap()["DEFAULT_DAILY_LIMIT"], "25");
        let ms = rendered(&["rae-memory"], "prod", &["monitoring.enabled=false"]);
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
    fn celery_worker_is_probed_through_the_broker() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let m = find(&ms, "Deployment", "rae-memory-celery-worker").unwrap();
        let pod = typed::<Deployment>(m).spec.template.spec.unwrap();
        let c = &pod.containers[0];
        for p in [c.liveness_probe.clone(), c.readiness_probe.clone()] {
            let p = p.unwrap();
            let cmd = p.exec.unwrap().command.unwrap();
            assert_eq!(cmd[..2], ["sh", "-c"]);
            assert_eq!(
                cmd[2],
                "exec celery -A 'apps.memory_api.celery_app' inspect ping -d \"celery@${HOSTNAME}\" --timeout 10"
            );
            // Longer than the ping's own timeout: the probe reports the ping's answer.
            assert!(p.timeout_seconds.unwrap() > 10);
        }
    }

    #[test]
    fn every_rae_pod_has_a_network_policy_and_empty_peer_lists_admit_nothing() {
        let ms = rendered(&["rae-memory"], "prod", &[]);
        let policies: Vec<NetworkPolicy> = ms
            .iter()
            .filter(|m| m.kind == "NetworkPolicy")
            .map(typed)
            .collect();
        let covered = |component: &str| {
            policies.iter().any(|np| {
                let sel = np.spec.as_ref().unwrap().pod_selector.clone().unwrap();
                sel.match_labels.unwrap_or_default()["app.kubernetes.io/component"] == component
            })
        };
        for c in &cat().chart("rae-memory").unwrap().components {
            assert!(covered(&c.id), "no NetworkPolicy selects {}", c.id);
        }
        let worker = find(&ms, "NetworkPolicy", "rae-memory-celery-worker").unwrap();
        let worker: NetworkPolicy = typed(worker);
        let spec = worker.spec.unwrap();
        assert_eq!(spec.ingress, Some(vec![]), "the worker serves nothing");
        assert!(spec.egress.unwrap().len() >= 6);
        // "Only from these" with none of them is no rule at all: a rule with an empty `from`
        // would admit every source.
        assert!(ingress_from(vec![], None).is_empty());
        let ms = rendered(&["rae-memory"], "prod", &["celeryWorker.enabled=false"]);
        for m in ms.iter().filter(|m| m.kind == "NetworkPolicy") {
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
