//! The Bitnami charts the catalogs use, as real Helm renders them: PostgreSQL 12.5.9, Redis
//! 17.11.8 and RabbitMQ 11.16.2, whether a chart's dependency (cauldron-infra: release
//! `cauldron-infra`, objects `cauldron-infra-postgresql*`) or a release of their own that a
//! chart's bundle installs (rae-memory: releases `rae-memory-postgresql`, `rae-memory-redis`).
//! One module per chart, each given the release name and the values subtree the chart receives
//! ([`Sub`]); the figures (replicas, resources, claims) are the plan's ([`Work`]).

mod defaults;
mod postgresql;
mod rabbitmq;
mod redis;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
};
use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerPort, EmptyDirVolumeSource, ExecAction, HTTPGetAction,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PodAffinityTerm, PodAntiAffinity, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
    Secret, SecurityContext, Service, ServicePort, ServiceSpec, TCPSocketAction, Volume,
    VolumeResourceRequirements, WeightedPodAffinityTerm,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_yaml::Value;

use super::{
    container_security, i32_of, match_labels, pod_security, scalar_text, Claim, Ctx, Family, Sink,
    Work, PLACEHOLDER,
};
use crate::model::catalog::Subchart;

/// The Bitnami charts this module renders, by their chart name.
const CHARTS: &[&str] = &["postgresql", "redis", "rabbitmq"];

/// The Bitnami chart a workload belongs to: the catalog's subchart under whose key its values
/// live, when it is one of [`CHARTS`].
fn subchart<'a>(ctx: &Ctx<'a>, w: &Work) -> Option<&'a Subchart> {
    let key = super::base(w.c);
    ctx.chart
        .subcharts
        .iter()
        .find(|s| s.key == key && CHARTS.contains(&s.chart.as_str()))
}

/// Whether this module renders the workload (and every object of its Bitnami chart).
pub(super) fn renders(ctx: &Ctx, w: &Work) -> bool {
    matches!(
        w.family,
        Family::BitnamiPostgres | Family::BitnamiRedis | Family::BitnamiRabbitmq
    ) && subchart(ctx, w).is_some()
}

/// Every object of the chart's Bitnami charts that are on (their workloads among `works`).
pub(super) fn render(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    for s in &ctx.chart.subcharts {
        let own: Vec<&Work> = works
            .iter()
            .filter(|w| renders(ctx, w) && subchart(ctx, w).is_some_and(|x| x.key == s.key))
            .collect();
        if own.is_empty() {
            continue;
        }
        let sub = Sub::new(ctx, s);
        match s.chart.as_str() {
            "postgresql" => postgresql::render(&sub, sink, &own),
            "redis" => redis::render(&sub, sink, &own),
            "rabbitmq" => rabbitmq::render(&sub, sink, &own),
            _ => {}
        }
    }
}

/// The labels that select every pod of the Bitnami release a component belongs to
/// (`common.labels.matchLabels`: name and instance), when it is one: what a NetworkPolicy of
/// the hardening overlay selects them by, since their labels are their chart's, not the
/// parent chart's.
pub(super) fn release_selector(
    ctx: &Ctx,
    c: &crate::model::catalog::Component,
) -> Option<BTreeMap<String, String>> {
    let key = super::base(c);
    let s = ctx
        .chart
        .subcharts
        .iter()
        .find(|s| s.key == key && CHARTS.contains(&s.chart.as_str()))?;
    Some(Sub::new(ctx, s).selector(None))
}

/// One Bitnami chart as the configuration installs it: its release, its values subtree.
pub(super) struct Sub<'c, 'a> {
    ctx: &'c Ctx<'a>,
    /// The values key of the subtree (`postgresql`).
    key: String,
    /// The chart's name (`app.kubernetes.io/name`).
    name: String,
    release: String,
    /// `common.names.fullname`: the release when it contains the chart's name, else
    /// `<release>-<name>`.
    fullname: String,
    /// `helm.sh/chart`: `<name>-<version>`.
    chart_label: String,
    /// A release of its own: the bundle leaves placeholders (text the chart's authors wrote)
    /// out of its values, and the parent's `global` does not reach it.
    own_release: bool,
}

impl<'c, 'a> Sub<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>, s: &Subchart) -> Self {
        let release = if s.release {
            format!("{}-{}", ctx.chart.id, s.key)
        } else {
            ctx.release.clone()
        };
        let fullname = if release.contains(s.chart.as_str()) {
            release.clone()
        } else {
            format!("{release}-{}", s.chart)
        };
        Sub {
            ctx,
            key: s.key.clone(),
            name: s.chart.clone(),
            release,
            fullname,
            chart_label: format!("{}-{}", s.chart, s.version),
            own_release: s.release,
        }
    }

    /// The value at `rest` of the subtree; a placeholder is absent in a release of its own.
    fn get(&self, rest: &str) -> Option<&Value> {
        self.ctx
            .get((&self.key, rest))
            .filter(|v| !(self.own_release && is_placeholder(v)))
    }

    fn text(&self, rest: &str) -> Option<String> {
        self.get(rest).and_then(scalar_text)
    }

    /// Go templates' truth: absent, false, 0, "" and empty collections are false.
    fn truthy(&self, rest: &str, default: bool) -> bool {
        match self.get(rest) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(Value::Mapping(m)) => !m.is_empty(),
            Some(Value::Sequence(s)) => !s.is_empty(),
            Some(_) => false,
        }
    }

    /// The keys of a map of file name -> text (init scripts) the release receives: a
    /// placeholder text is not written into a release's values, so its file is not there.
    fn file_names(&self, rest: &str) -> Vec<String> {
        match self.get(rest) {
            Some(Value::Mapping(m)) => m
                .iter()
                .filter(|(_, v)| !(v.is_null() || self.own_release && is_placeholder(v)))
                .filter_map(|(k, _)| scalar_text(k))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// An image the values name at `path` (`registry/repository:tag`), else the chart's
    /// default `fallback`; `plan` is the plan's reading, used when the values name one.
    fn image(&self, path: &str, fallback: &str, plan: &str) -> String {
        if self.text(&format!("{path}.repository")).is_some() {
            plan.to_string()
        } else {
            fallback.to_string()
        }
    }

    /// The map at `rest` as the chart receives it: its defaults ([`defaults`]) with the
    /// values' keys over them.
    fn map(&self, rest: &str) -> serde_yaml::Mapping {
        let mut m = defaults::default_map(&self.name, rest);
        if let Some(Value::Mapping(v)) = self.get(rest) {
            for (k, x) in v {
                m.insert(k.clone(), x.clone());
            }
        }
        m
    }

    /// What `{{ omit <rest> "enabled" | toYaml }}` writes where `<rest>.enabled` holds, typed.
    fn enabled_map<T: serde::de::DeserializeOwned>(&self, rest: &str) -> Option<T> {
        let mut m = self.map(rest);
        if !m.get("enabled").is_some_and(|v| self.truthy_value(v)) {
            return None;
        }
        m.remove("enabled");
        serde_yaml::from_value(Value::Mapping(m)).ok()
    }

    /// A probe as the template writes it from `<rest>` (`enabled`, timings); `add1`: the
    /// template writes one second more than the values' timeout (Redis's own probes).
    fn probe(&self, check: Check, rest: &str, add1: bool) -> Option<Probe> {
        let m = self.map(rest);
        if !m.get("enabled").is_some_and(|v| self.truthy_value(v)) {
            return None;
        }
        let n = |k: &str| m.get(k).and_then(Value::as_i64).map(i32_of);
        let timings = Probe {
            initial_delay_seconds: n("initialDelaySeconds"),
            period_seconds: n("periodSeconds"),
            timeout_seconds: n("timeoutSeconds").map(|t| if add1 { t + 1 } else { t }),
            success_threshold: n("successThreshold"),
            failure_threshold: n("failureThreshold"),
            ..Default::default()
        };
        Some(probe(check, timings))
    }

    fn int(&self, rest: &str, default: i64) -> i64 {
        self.get(rest).and_then(Value::as_i64).unwrap_or(default)
    }

    /// `global.<rest>`: the parent's global for a dependency, the subtree's own for a release.
    fn global_text(&self, rest: &str) -> Option<String> {
        if self.own_release {
            self.text(&format!("global.{rest}"))
        } else {
            self.ctx.text(format!("global.{rest}").as_str())
        }
    }

    fn name(&self, suffix: &str) -> String {
        if suffix.is_empty() {
            self.fullname.clone()
        } else {
            format!("{}-{suffix}", self.fullname)
        }
    }

    /// `common.labels.standard`, with the component's label.
    fn labels(&self, component: Option<&str>) -> BTreeMap<String, String> {
        let mut l = BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), self.name.clone()),
            (
                "app.kubernetes.io/instance".to_string(),
                self.release.clone(),
            ),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "Helm".to_string(),
            ),
            ("helm.sh/chart".to_string(), self.chart_label.clone()),
        ]);
        if let Some(c) = component {
            l.insert("app.kubernetes.io/component".into(), c.into());
        }
        l
    }

    /// `common.labels.matchLabels`, with the component's label.
    fn selector(&self, component: Option<&str>) -> BTreeMap<String, String> {
        let mut l = BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), self.name.clone()),
            (
                "app.kubernetes.io/instance".to_string(),
                self.release.clone(),
            ),
        ]);
        if let Some(c) = component {
            l.insert("app.kubernetes.io/component".into(), c.into());
        }
        l
    }

    fn meta(&self, name: &str, component: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(self.ctx.namespace.clone()),
            labels: Some(self.labels(component)),
            ..Default::default()
        }
    }

    /// `common.storage.class`: the global class wins over the persistence map's; `-` is "".
    fn storage_class(&self, persistence: &str) -> Option<String> {
        let c = self
            .global_text("storageClass")
            .or_else(|| self.text(&format!("{persistence}.storageClass")))?;
        Some(if c == "-" { String::new() } else { c })
    }

    fn access_modes(&self, persistence: &str) -> Vec<String> {
        match self.get(&format!("{persistence}.accessModes")) {
            Some(Value::Sequence(s)) => s.iter().filter_map(scalar_text).collect(),
            _ => vec!["ReadWriteOnce".to_string()],
        }
    }

    /// The ServiceAccount a pod runs as (`<prefix>.serviceAccount`: created, or named).
    fn service_account(&self, prefix: &str, create: bool) -> String {
        let p = if prefix.is_empty() {
            "serviceAccount".to_string()
        } else {
            format!("{prefix}.serviceAccount")
        };
        let name = self.text(&format!("{p}.name"));
        if self.truthy(&format!("{p}.create"), create) {
            name.unwrap_or_else(|| self.fullname.clone())
        } else {
            name.unwrap_or_else(|| "default".into())
        }
    }

    /// A Secret with placeholder values.
    fn secret(&self, sink: &mut Sink, name: &str, keys: &[&str]) {
        let data = keys
            .iter()
            .map(|k| (k.to_string(), PLACEHOLDER.to_string()))
            .collect();
        self.secret_data(sink, name, data);
    }

    /// A Secret with the given values (placeholders).
    fn secret_data(&self, sink: &mut Sink, name: &str, data: BTreeMap<String, String>) {
        sink.secrets.remove(name);
        let obj = Secret {
            metadata: ObjectMeta {
                annotations: Some(BTreeMap::from([(
                    "tonnage/placeholder".to_string(),
                    format!("replace every {PLACEHOLDER} value before installing"),
                )])),
                ..self.meta(name, None)
            },
            type_: Some("Opaque".into()),
            string_data: Some(data),
            ..Default::default()
        };
        sink.push("Secret", name, obj);
    }

    fn service(&self, sink: &mut Sink, svc: Svc) {
        let mut labels = self.labels(svc.component);
        if svc.headless && svc.tolerate_unready {
            labels.insert(
                "service.alpha.kubernetes.io/tolerate-unready-endpoints".into(),
                "true".into(),
            );
        }
        let ports = svc
            .ports
            .iter()
            .map(|(name, port, target)| ServicePort {
                name: Some(name.to_string()),
                port: *port,
                target_port: Some(match target.parse::<i32>() {
                    Ok(n) => IntOrString::Int(n),
                    Err(_) => IntOrString::String(target.to_string()),
                }),
                protocol: Some("TCP".into()),
                ..Default::default()
            })
            .collect();
        let obj = Service {
            metadata: ObjectMeta {
                labels: Some(labels),
                ..self.meta(&svc.name, None)
            },
            spec: Some(ServiceSpec {
                type_: Some(svc.type_.unwrap_or_else(|| "ClusterIP".into())),
                cluster_ip: svc.headless.then(|| "None".to_string()),
                publish_not_ready_addresses: svc.headless.then_some(true),
                ports: Some(ports),
                selector: Some(self.selector(svc.selects)),
                ..Default::default()
            }),
            ..Default::default()
        };
        sink.push("Service", &svc.name, obj);
    }

    /// A StatefulSet (its pods labelled as the object), as the template writes it: the pod's
    /// and the containers' security contexts, token, probes and update strategy from the
    /// values (with the chart's defaults). What Tonnage adds for safety (restricted security
    /// contexts, the token off where the pod does not talk to the API) is the hardening
    /// overlay's patch, and its PodDisruptionBudget when it runs more than one replica.
    fn statefulset(&self, sink: &mut Sink, w: &Work, set: Set) {
        // No component label where the chart has one workload (RabbitMQ).
        let component = (!set.component.is_empty()).then_some(set.component);
        let labels = self.labels(component);
        let at = |key: &str| {
            if set.prefix.is_empty() {
                key.to_string()
            } else {
                format!("{}.{key}", set.prefix)
            }
        };
        let mut containers = set.containers;
        let mut init = set.init;
        // Tonnage's restricted security on every container (what the chart writes: its user and
        // group), the root filesystem left writable as the chart leaves it.
        // Built only where the overlay is wanted: `render` asks for the plain objects alone.
        let hardened_containers: Vec<Container> = containers
            .iter()
            .chain(init.iter())
            .filter(|_| !sink.plain_only)
            .map(|c| Container {
                security_context: Some(SecurityContext {
                    read_only_root_filesystem: None,
                    ..container_security(self.ctx, w.c)
                }),
                ..c.clone()
            })
            .collect();
        for c in containers.iter_mut() {
            let path = match c.name.as_str() {
                "metrics" | "sentinel" => format!("{}.containerSecurityContext", c.name),
                _ => at("containerSecurityContext"),
            };
            c.security_context = self.enabled_map(&path);
        }
        for c in init.iter_mut() {
            c.security_context = None;
        }
        let plain = PodSpec {
            service_account_name: Some(set.service_account),
            automount_service_account_token: set.automount.as_deref().and_then(|p| {
                self.map(p)
                    .get("automountServiceAccountToken")
                    .and_then(Value::as_bool)
            }),
            security_context: self.enabled_map(&at("podSecurityContext")),
            affinity: self.affinity(set.prefix, component),
            containers,
            init_containers: (!init.is_empty()).then_some(init),
            volumes: (!set.volumes.is_empty()).then_some(set.volumes),
            ..Default::default()
        };
        let template = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(labels),
                ..Default::default()
            }),
            spec: Some(plain),
        };
        if !sink.plain_only {
            let patch = self.hardening_patch(w, &template, &hardened_containers);
            super::resource_patch(
                self.ctx,
                sink,
                w.c,
                &w.name,
                &template,
                super::Hardening {
                    pod: patch,
                    recreate: false,
                },
            );
        }
        let update = self.map(&at("updateStrategy"));
        let obj = StatefulSet {
            metadata: self.meta(&w.name, component),
            spec: StatefulSetSpec {
                replicas: set
                    .replicas
                    .then(|| i32_of(set.replica_count.unwrap_or(w.replicas))),
                selector: match_labels(self.selector(component)),
                service_name: Some(set.service_name),
                pod_management_policy: set.pod_management,
                update_strategy: (!update.is_empty())
                    .then(|| serde_yaml::from_value(Value::Mapping(update)).ok())
                    .flatten(),
                template,
                volume_claim_templates: (!set.claims.is_empty()).then_some(set.claims),
                ..Default::default()
            },
            ..Default::default()
        };
        sink.push("StatefulSet", &w.name, obj);
        if w.replicas > 1 && !sink.plain_only {
            let quorum = w.family == Family::BitnamiRabbitmq;
            let pdb = PodDisruptionBudget {
                metadata: self.meta(&w.name, component),
                spec: Some(PodDisruptionBudgetSpec {
                    min_available: quorum.then(|| IntOrString::Int(i32_of(w.replicas / 2 + 1))),
                    max_unavailable: (!quorum).then_some(IntOrString::Int(1)),
                    selector: Some(match_labels(self.selector(component))),
                    ..Default::default()
                }),
                ..Default::default()
            };
            sink.push_hardening("PodDisruptionBudget", &w.name, pdb);
        }
    }

    /// The hardening overlay's patch of a pod the chart writes (`template`): what Tonnage's
    /// restricted pod (`hardened_containers`: its containers, then its init containers) adds.
    fn hardening_patch(
        &self,
        w: &Work,
        template: &PodTemplateSpec,
        hardened_containers: &[Container],
    ) -> serde_yaml::Mapping {
        let Some(plain) = template.spec.as_ref() else {
            return serde_yaml::Mapping::new();
        };
        let (hard_containers, hard_init) = hardened_containers.split_at(plain.containers.len());
        let hardened = PodSpec {
            // Only RabbitMQ's peer discovery talks to the API.
            automount_service_account_token: Some(w.family == Family::BitnamiRabbitmq),
            security_context: Some(pod_security(w.c)),
            containers: hard_containers.to_vec(),
            init_containers: (!hard_init.is_empty()).then(|| hard_init.to_vec()),
            ..plain.clone()
        };
        let mut patch = match (serde_yaml::to_value(&hardened), serde_yaml::to_value(plain)) {
            (Ok(h), Ok(p)) => match super::plain::missing(&h, &p) {
                Some(Value::Mapping(m)) => m,
                _ => serde_yaml::Mapping::new(),
            },
            _ => serde_yaml::Mapping::new(),
        };
        // The one field the patch changes where the chart sets it: Redis's templates mount the
        // token (its values' `automountServiceAccountToken: true`), which no Redis pod uses.
        if hardened.automount_service_account_token == Some(false)
            && plain.automount_service_account_token == Some(true)
        {
            patch.insert("automountServiceAccountToken".into(), false.into());
        }
        patch
    }

    /// The pods' affinity: `<prefix>.affinity` as given, else Bitnami's anti-affinity preset
    /// (`<prefix>.podAntiAffinityPreset`, soft by default) on the pods' own labels.
    fn affinity(&self, prefix: &str, component: Option<&str>) -> Option<Affinity> {
        let at = |key: &str| {
            if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            }
        };
        if let Some(v) = self.get(&at("affinity")).filter(|v| self.truthy_value(v)) {
            return serde_yaml::from_value(v.clone()).ok();
        }
        let term = PodAffinityTerm {
            label_selector: Some(match_labels(self.selector(component))),
            topology_key: "kubernetes.io/hostname".into(),
            ..Default::default()
        };
        let anti = match self.text(&at("podAntiAffinityPreset")).as_deref() {
            Some("hard") => PodAntiAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![term]),
                ..Default::default()
            },
            Some("soft") | None => PodAntiAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![
                    WeightedPodAffinityTerm {
                        pod_affinity_term: term,
                        weight: 1,
                    },
                ]),
                ..Default::default()
            },
            Some(_) => return None,
        };
        Some(Affinity {
            pod_anti_affinity: Some(anti),
            ..Default::default()
        })
    }

    /// Go templates' truth of a value.
    fn truthy_value(&self, v: &Value) -> bool {
        match v {
            Value::Bool(b) => *b,
            Value::String(s) => !s.is_empty(),
            Value::Mapping(m) => !m.is_empty(),
            Value::Sequence(s) => !s.is_empty(),
            Value::Number(n) => n.as_f64() != Some(0.0),
            _ => false,
        }
    }

    /// The HPA of a StatefulSet whose autoscaling is on.
    fn hpa(&self, sink: &mut Sink, w: &Work, component: &str) {
        let Some(h) = w.hpa else { return };
        let metric = super::utilization_metric;
        let metrics: Vec<MetricSpec> = [("cpu", h.cpu), ("memory", h.memory)]
            .into_iter()
            .filter_map(|(n, p)| p.map(|p| metric(n, p)))
            .collect();
        let obj = HorizontalPodAutoscaler {
            metadata: self.meta(&w.name, Some(component)),
            spec: HorizontalPodAutoscalerSpec {
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: "StatefulSet".into(),
                    name: w.name.clone(),
                },
                min_replicas: Some(i32_of(h.min)),
                max_replicas: i32_of(h.max),
                metrics: (!metrics.is_empty()).then_some(metrics),
                behavior: None,
            },
            ..Default::default()
        };
        sink.push("HorizontalPodAutoscaler", &w.name, obj);
    }

    /// The per-replica claim (`claim`, the plan's) as the chart writes it: a claim template,
    /// or the pod volume that replaces it (an existing claim; an emptyDir while persistence is
    /// off).
    fn data_volume(&self, name: &str, claim: Option<&Claim>, persistence: &str, set: &mut Set) {
        match claim {
            Some(Claim {
                existing: Some(e), ..
            }) => set.volumes.push(Volume {
                name: name.to_string(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: e.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            Some(Claim { size: Some(q), .. }) => set.claims.push(PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(name.to_string()),
                    ..Default::default()
                },
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(self.access_modes(persistence)),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(BTreeMap::from([("storage".to_string(), super::k8s_q(*q))])),
                        ..Default::default()
                    }),
                    storage_class_name: self.storage_class(persistence),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            _ => set.volumes.push(empty_dir(name)),
        }
    }
}

/// A Service as the Bitnami templates write it.
struct Svc<'s> {
    name: String,
    /// Its `app.kubernetes.io/component` label.
    component: Option<&'s str>,
    /// The pods' component it selects (`None`: every pod of the release).
    selects: Option<&'s str>,
    /// Name, port, target port (a container port's name, or its number).
    ports: Vec<(&'s str, i32, &'s str)>,
    headless: bool,
    /// The headless Service's `service.alpha.kubernetes.io/tolerate-unready-endpoints` label.
    tolerate_unready: bool,
    type_: Option<String>,
}

impl<'s> Svc<'s> {
    /// A Service of the pods of `component`, labelled with it.
    fn new(name: String, component: &'s str, ports: Vec<(&'s str, i32, &'s str)>) -> Self {
        Svc {
            name,
            component: Some(component),
            selects: Some(component),
            ports,
            headless: false,
            tolerate_unready: false,
            type_: None,
        }
    }
}

/// A StatefulSet's parts.
#[derive(Default)]
struct Set<'s> {
    component: &'s str,
    /// The values prefix of the pods' settings (`primary`, `replica`; "" for the top level).
    prefix: &'s str,
    /// Whether `spec.replicas` is written (not while an HPA scales it).
    replicas: bool,
    /// `spec.replicas` where the template writes its count beside an HPA (else the plan's).
    replica_count: Option<i64>,
    service_name: String,
    service_account: String,
    /// The values map whose `automountServiceAccountToken` the pod's token follows (Redis),
    /// `None` where the template writes none.
    automount: Option<String>,
    /// `spec.podManagementPolicy` as the template writes it.
    pod_management: Option<String>,
    containers: Vec<Container>,
    init: Vec<Container>,
    volumes: Vec<Volume>,
    claims: Vec<PersistentVolumeClaim>,
}

/// A text the catalog keeps instead of the chart authors' own (`<source: what it is>`).
fn is_placeholder(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() > 2 && s.starts_with('<') && s.ends_with('>'))
}

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }
}

fn memory_dir(name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn resources(
    requests: &BTreeMap<String, K8sQuantity>,
    limits: &BTreeMap<String, K8sQuantity>,
) -> Option<ResourceRequirements> {
    Some(ResourceRequirements {
        requests: (!requests.is_empty()).then(|| requests.clone()),
        limits: (!limits.is_empty()).then(|| limits.clone()),
        ..Default::default()
    })
}

fn ports(ports: &[(&str, i32)]) -> Option<Vec<ContainerPort>> {
    (!ports.is_empty()).then(|| {
        ports
            .iter()
            .map(|(name, port)| ContainerPort {
                name: Some(name.to_string()),
                container_port: *port,
                ..Default::default()
            })
            .collect()
    })
}

/// The probe kinds the templates write.
enum Check {
    Exec(Vec<String>),
    Http(&'static str, &'static str),
    Tcp(&'static str),
}

/// A probe of the kind the template writes, its timings as the values give them.
fn probe(check: Check, timings: Probe) -> Probe {
    let mut p = timings;
    match check {
        Check::Exec(cmd) => {
            p.exec = Some(ExecAction { command: Some(cmd) });
        }
        Check::Http(path, port) => {
            p.http_get = Some(HTTPGetAction {
                path: Some(path.into()),
                port: IntOrString::String(port.into()),
                ..Default::default()
            });
        }
        Check::Tcp(port) => {
            p.tcp_socket = Some(TCPSocketAction {
                port: IntOrString::String(port.into()),
                ..Default::default()
            });
        }
    }
    p
}

fn sh(cmd: &str) -> Check {
    Check::Exec(vec!["/bin/sh".into(), "-c".into(), cmd.into()])
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::StatefulSet;

    use crate::config::Configuration;
    use crate::model::catalog::Catalog;

    fn set(sets: &[&str], name: &str) -> StatefulSet {
        let cat = Catalog::builtin();
        let mut c = Configuration::new(cat, &["cauldron-infra"], "prod").unwrap();
        for s in sets {
            c.set_str(cat, s).unwrap();
        }
        let ms = super::super::render(cat, &c);
        let m = ms
            .iter()
            .find(|m| m.kind == "StatefulSet" && m.name == name)
            .unwrap();
        serde_yaml::from_str(&m.yaml).unwrap()
    }

    #[test]
    fn the_values_override_the_charts_defaults_key_by_key() {
        let name = "cauldron-infra-postgresql-primary";
        let pod = |s: &StatefulSet| s.spec.template.spec.clone().unwrap();
        let plain = set(&[], name);
        let p = pod(&plain);
        let live = p.containers[0].liveness_probe.clone().unwrap();
        assert_eq!(live.initial_delay_seconds, Some(30));
        assert_eq!(p.security_context.unwrap().fs_group, Some(1001));
        let spec = plain.spec;
        assert_eq!(
            spec.update_strategy.unwrap().type_.as_deref(),
            Some("RollingUpdate")
        );

        let changed = set(
            &[
                "postgresql.primary.livenessProbe.initialDelaySeconds=99",
                "postgresql.primary.readinessProbe.enabled=false",
                "postgresql.primary.podSecurityContext.enabled=false",
                "postgresql.primary.containerSecurityContext.runAsUser=1234",
            ],
            name,
        );
        let p = pod(&changed);
        let main = &p.containers[0];
        let live = main.liveness_probe.clone().unwrap();
        assert_eq!(live.initial_delay_seconds, Some(99));
        assert_eq!(
            live.period_seconds,
            Some(10),
            "the other keys keep their defaults"
        );
        assert!(main.readiness_probe.is_none());
        assert!(p.security_context.is_none());
        let sc = main.security_context.clone().unwrap();
        assert_eq!(sc.run_as_user, Some(1234));
    }

    #[test]
    fn redis_probes_add_a_second_to_the_timeout_as_its_templates_do() {
        let p = set(&[], "cauldron-infra-redis-master")
            .spec
            .template
            .spec
            .unwrap();
        let redis = p.containers.iter().find(|c| c.name == "redis").unwrap();
        assert_eq!(
            redis.liveness_probe.as_ref().unwrap().timeout_seconds,
            Some(6)
        );
        assert_eq!(
            redis.readiness_probe.as_ref().unwrap().timeout_seconds,
            Some(2)
        );
        assert_eq!(p.automount_service_account_token, Some(true));
    }
}
