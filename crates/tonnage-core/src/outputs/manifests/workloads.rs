//! The workloads and their Services: a component's Deployment or StatefulSet with its pod
//! template (containers, claim templates, shared claims, affinity and spread), its headless and
//! client Services.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet, StatefulSetSpec,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerPort, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodAffinityTerm, PodAntiAffinity, PodSpec, PodTemplateSpec,
    ResourceRequirements, Service, ServicePort, ServiceSpec, TopologySpreadConstraint, Volume,
    VolumeMount, VolumeResourceRequirements, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::autoscaler::hpa;
use super::components::{
    data_path, headless_name, i32_of, k8s_q, own_prefix, settings_prefix, storage_class, Side, Work,
};
use super::containers::{
    container_security, empty_dir, mount, pod_security, probe, read_only_root, sidecar_container,
    tune_probe,
};
use super::context::Ctx;
use super::extras::extras;
use super::hardening::{budget, resource_patch, Hardening};
use super::labels::{chart_render, component_selector, dns_label, labels, meta, selector_labels};
use super::output::Sink;
use super::plain;
use crate::model::catalog::render::{PodLabels, TargetPort};
use crate::model::catalog::{AntiAffinity, Component, Persistence, WorkloadKind};

/// Shared volumes in effect: volume id -> the claim to mount (None: an emptyDir). The claim is
/// the standalone PersistentVolumeClaim the chart renders (catalog `claim`, else
/// `<release>-<volume>`), created while a user is enabled and the volume's `enabled` holds.
pub(super) fn shared_claims(
    ctx: &Ctx,
    works: &[Work],
    sink: &mut Sink,
) -> BTreeMap<String, Option<String>> {
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

pub(super) fn pod_affinity(
    ctx: &Ctx,
    w: &Work,
) -> (Option<Affinity>, Option<Vec<TopologySpreadConstraint>>) {
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
pub(super) fn pod_template(
    ctx: &Ctx,
    sink: &mut Sink,
    w: &Work,
    shared: &BTreeMap<String, Option<String>>,
) -> (PodTemplateSpec, Vec<PersistentVolumeClaim>) {
    let c = w.c;
    // What only the hardening patch keeps (`plain::split` replaces it in the plain pod of a
    // chart whose templates are known): not built where only the plain objects are wanted.
    let hardening = !(sink.plain_only && ctx.chart.render().is_some());
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
        security_context: hardening.then(|| container_security(ctx, c)),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        lifecycle: x.lifecycle.take(),
        ..Default::default()
    };
    let mut containers = vec![main];
    let (init_sides, sides): (Vec<&Side>, Vec<&Side>) = w.sidecars.iter().partition(|s| s.sc.init);
    containers.extend(
        sides
            .into_iter()
            .map(|s| sidecar_container(ctx, w, s, hardening)),
    );
    containers.extend(w.listed(false));
    x.init.extend(
        init_sides
            .into_iter()
            .map(|s| sidecar_container(ctx, w, s, hardening)),
    );
    x.init.extend(w.listed(true));
    let (affinity, spread) = if hardening {
        pod_affinity(ctx, w)
    } else {
        (None, None)
    };
    let spec = PodSpec {
        service_account_name: x.service_account.clone(),
        // No pod built here calls the Kubernetes API (RabbitMQ's peer discovery, the one that
        // does, is rendered by bitnami/rabbitmq; the Qdrant chart's pods run as its
        // ServiceAccount but never call the API): the hardening leaves the token out.
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        security_context: hardening.then(|| pod_security(c)),
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

pub(super) fn service_ports(ctx: &Ctx, c: &Component) -> Vec<ServicePort> {
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
pub(super) fn service_type(ctx: &Ctx, c: &Component) -> Option<String> {
    [settings_prefix(c), own_prefix(c)]
        .into_iter()
        .flatten()
        .find_map(|p| ctx.live_text(&format!("{p}.service.type")))
}

/// A workload's `spec.replicas`: the HPA minimum under an HPA (what the plan counts), unless
/// the chart's files keep the values' count beside it (catalog `render.hpa_keeps_replicas`).
pub(super) fn spec_replicas(ctx: &Ctx, w: &Work) -> i64 {
    let keeps = ctx.chart.render().is_some_and(|r| r.hpa_keeps_replicas);
    match (&w.c.values.replicas, w.hpa) {
        (Some(p), Some(_)) if keeps => ctx.count_at(p.as_str(), 1),
        _ => w.replicas,
    }
}

/// Whether the component has one Service of its own (catalog `render.service_headless`), and
/// whether it is headless.
pub(super) fn own_service(c: &Component) -> Option<bool> {
    c.render().and_then(|r| r.service_headless)
}

pub(super) fn render_workload(
    ctx: &Ctx,
    sink: &mut Sink,
    w: &Work,
    shared: &BTreeMap<String, Option<String>>,
) {
    let c = w.c;
    let (mut template, claims) = pod_template(ctx, sink, w, shared);
    // A chart whose templates are known: its pod as they write it, Tonnage's hardening a patch.
    let hardening = plain::split(ctx, c, &mut template, !sink.plain_only);
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
        namespace: ctx.prints_namespace.then(|| ctx.namespace.clone()),
    };
    resource_patch(sink, c, &w.name, &template, patch);
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
    budget(ctx, sink, w);
}
