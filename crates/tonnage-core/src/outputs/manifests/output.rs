//! The rendered objects and how they are collected: [`Manifest`] and its file layouts
//! (`helm template --output-dir`'s one file per object, one multi-document file per chart), the
//! [`Sink`] every object of a chart is written to (straight to YAML text, in Helm's install
//! order of kinds), and [`GiveLabels`], which hands an object's label maps back for reuse once
//! it is written.

use std::collections::BTreeMap;
use std::rc::Rc;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::crds::{ExternalSecret, ServiceMonitor};
use super::labels::LabelMaps;
#[cfg(test)]
use super::to_yaml;
use crate::base::archive::OutFile;

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
    pub(super) fn push_path(&self, out: &mut String) {
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
pub(super) const KIND_ORDER: &[&str] = &[
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

pub(super) fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// One chart's render: the plain objects, the hardening objects and patches.
#[derive(Default)]
pub(super) struct Rendered {
    pub(super) plain: Vec<Manifest>,
    pub(super) hardening: Vec<Manifest>,
    pub(super) patches: Vec<Manifest>,
}

pub(super) struct Sink {
    pub(super) chart: String,
    /// The objects pushed: kind, name, where their text is in `yaml`'s.
    pub(super) items: Vec<(String, String, std::ops::Range<usize>)>,
    /// The hardening objects (what the chart lacks: [`render_hardening`](super::render_hardening)),
    /// likewise.
    pub(super) hardening: Vec<(String, String, std::ops::Range<usize>)>,
    /// The hardening patches ([`render_patches`](super::render_patches)): target kind and name, the
    /// partial object.
    pub(super) patches: Vec<Manifest>,
    /// Secrets to render: name -> key -> placeholder value.
    pub(super) secrets: BTreeMap<String, BTreeMap<String, String>>,
    pub(super) yaml: crate::base::yaml::serialize::Writer,
    /// Where the label maps of the objects written go back to.
    pub(super) labels: Rc<LabelMaps>,
    /// Labels added last to one object (`<Kind>/<name>`, catalog `render.object_labels`).
    pub(super) object_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Only the plain render is wanted ([`render`](super::render),
    /// [`render_stack`](super::render_stack)): the hardening objects and patches are not built (the
    /// page renders the plain objects on every edit).
    pub(super) plain_only: bool,
}

impl Sink {
    pub(super) fn new(chart: &str, labels: Rc<LabelMaps>) -> Self {
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

    pub(super) fn push<T: Serialize + GiveLabels>(&mut self, kind: &str, name: &str, obj: T) {
        self.push_to(false, kind, name, obj);
    }

    /// An object the chart does not render that hardens what it does: the overlay's.
    pub(super) fn push_hardening<T: Serialize + GiveLabels>(
        &mut self,
        kind: &str,
        name: &str,
        obj: T,
    ) {
        self.push_to(true, kind, name, obj);
    }

    pub(super) fn push_to<T: Serialize + GiveLabels>(
        &mut self,
        hardening: bool,
        kind: &str,
        name: &str,
        mut obj: T,
    ) {
        if hardening && self.plain_only {
            return;
        }
        // `object_labels[<kind>/<name>]`, without writing the key for every object.
        let extra = self.object_labels.iter().find_map(|(k, v)| {
            let (k_kind, k_name) = k.split_once('/')?;
            (k_kind == kind && k_name == name).then_some(v)
        });
        if let Some(extra) = extra {
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
    pub(super) fn finish(self) -> Rendered {
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

/// An object whose label maps [`LabelMaps`] can take back once it is written.
pub(super) trait GiveLabels {
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
