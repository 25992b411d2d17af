//! What hardens a chart beyond its templates, never in the plain render: the overlay's objects
//! (PodDisruptionBudgets, the NetworkPolicy builders the chart modules use), the per-workload
//! strategic-merge patches, how a patch is applied ([`apply_patch`]) and the kustomize overlay
//! laying them out over the plain render ([`hardening_overlay`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_yaml::Value;

use super::components::{i32_of, is_quorum, Work};
use super::containers::init_resources;
use super::context::Ctx;
use super::labels::{component_selector, match_labels, meta};
use super::output::{Manifest, Sink};
use super::{plain, to_yaml};
use crate::base::archive::OutFile;
use crate::model::catalog::Component;

/// A patch of [`render_patches`](super::render_patches) applied as kustomize applies it (a
/// strategic merge: maps key by key, containers by name). The object's text is written anew.
pub(super) fn apply_patch(object: &str, patch: &str) -> String {
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

/// The overlay's PodDisruptionBudget of a workload with more than one replica (a quorum's
/// majority stays up), unless the chart's own files render one.
pub(super) fn budget(ctx: &Ctx, sink: &mut Sink, w: &Work) {
    if sink.plain_only {
        return;
    }
    let c = w.c;
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
pub(super) struct Hardening {
    pub(super) pod: serde_yaml::Mapping,
    pub(super) recreate: bool,
}

/// The hardening patch of a workload: Tonnage's small init figures ([`init_resources`]) for
/// each init container the chart writes without resources, and `h`.
pub(super) fn resource_patch(
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

pub(super) fn np_port(port: i64, protocol: &str) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(i32_of(port))),
        protocol: Some(protocol.into()),
        ..Default::default()
    }
}

pub(super) fn namespace_peer(name: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(match_labels(BTreeMap::from([(
            "kubernetes.io/metadata.name".to_string(),
            name.to_string(),
        )]))),
        ..Default::default()
    }
}

pub(super) fn dns_egress() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![namespace_peer("kube-system")]),
        ports: Some(vec![np_port(53, "UDP"), np_port(53, "TCP")]),
    }
}

pub(super) fn internet_443() -> NetworkPolicyEgressRule {
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
pub(super) fn ingress_from(
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

pub(super) fn network_policy(
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
