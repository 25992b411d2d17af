//! caracal (Garudex-Labs/caracal at b3bd79b): what deploys the stack is the repository's raw
//! manifests (k8s/*.yaml, k8s/v03/*.yaml) under the bundle's kustomize overlay, not its Helm
//! chart. What those files do that the catalog's data does not express: the Secret
//! caracal-secrets (k8s/v03/secret.yaml), the ConfigMaps (catalog `render.config_maps`), the
//! Namespace, the PodDisruptionBudgets of k8s/pdb.yaml (a component's `pdb`, while its values
//! switch it on), the Services beside a component's own (`render.extra_services`), the Secret
//! volumes the gateway and the ledger writer mount, and the init containers that wait for
//! PostgreSQL or Kafka (their waiting loops are Tonnage's own).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Namespace, Service, ServiceSpec};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_yaml::Value;

use super::{
    component_selector, container_security, labels, meta, object_name, read_only_mount,
    scalar_text, secret_volume, selector_labels, service_ports, sh_quote, template_placeholder,
    ChartModule, Ctx, Extras, Sink, Work,
};
use crate::base::values::lookup;
use crate::model::catalog::Component;

pub(super) struct Caracal;

/// The Secret volumes the raw pods mount: component, volume, values path of the Secret's
/// name, mount path (k8s/gateway-deployment.yaml: the TLS files; k8s/v03/ledger-writer: the
/// Merkle signing key). Both Secrets are created by hand before installing.
const SECRET_VOLUMES: &[(&str, &str, &str, &str)] = &[
    (
        "gateway",
        "tls-certs",
        "gateway.tls.secretName",
        "/etc/caracal/tls",
    ),
    (
        "ledger-writer",
        "merkle-keys",
        "consumers.ledgerWriter.merkle.signingKeySecretName",
        "/etc/caracal/keys",
    ),
];

impl ChartModule for Caracal {
    fn workload(&self, ctx: &Ctx, c: &Component, x: &mut Extras) {
        for (id, volume, at, path) in SECRET_VOLUMES {
            if c.id != *id {
                continue;
            }
            if let Some(secret) = ctx.text(*at) {
                x.volumes.push(secret_volume(volume, &secret));
                x.mounts.push(read_only_mount(volume, path));
            }
        }
        x.init = c
            .init_containers
            .iter()
            .map(|i| Container {
                name: i.name.clone(),
                image: i.image.clone(),
                image_pull_policy: Some("IfNotPresent".into()),
                command: wait_command(ctx, &i.name)
                    .map(|script| vec!["sh".into(), "-c".into(), script]),
                security_context: Some(container_security(ctx, c)),
                ..Default::default()
            })
            .collect();
    }

    /// k8s/v03/secret.yaml's keys: the overlay writes a password the values change (kustomize
    /// `RAW_FACTS`); the file's own text stands otherwise (a placeholder naming it).
    fn secrets(&self, ctx: &Ctx) -> Vec<(String, Vec<(&'static str, String)>)> {
        let value = |path: &str| {
            let own = lookup(&ctx.chart.values, path).filter(|v| !v.is_null());
            match ctx.get(path) {
                v if v == own => template_placeholder("k8s/v03/secret.yaml"),
                v => v.and_then(scalar_text).unwrap_or_default(),
            }
        };
        vec![(
            "caracal-secrets".into(),
            vec![
                ("DB_PASSWORD", value("postgresql.auth.password")),
                ("REDIS_PASSWORD", value("redis.auth.password")),
            ],
        )]
    }

    fn secrets_in_data(&self) -> bool {
        true
    }

    fn config_maps(&self, ctx: &Ctx) -> Vec<(String, BTreeMap<String, String>)> {
        let Some(r) = ctx.chart.render() else {
            return Vec::new();
        };
        r.config_maps
            .iter()
            .map(|cm| {
                let data = cm
                    .keys
                    .iter()
                    .map(|k| {
                        let v = cm
                            .values
                            .get(k)
                            .and_then(|p| ctx.get(p.as_str()))
                            .and_then(scalar_text)
                            .unwrap_or_else(|| template_placeholder(&cm.file));
                        (k.clone(), v)
                    })
                    .collect();
                (cm.name.clone(), data)
            })
            .collect()
    }

    fn objects(&self, ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
        if let Some(ns) = ctx.chart.render().and_then(|r| r.namespace.as_ref()) {
            let mut l = labels(ctx, None);
            l.extend(ns.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            let obj = Namespace {
                metadata: ObjectMeta {
                    name: Some(ctx.namespace.clone()),
                    labels: Some(l),
                    ..Default::default()
                },
                ..Default::default()
            };
            sink.push("Namespace", &ctx.namespace, obj);
        }
        for w in works {
            pdb(ctx, sink, w.c);
            extra_services(ctx, sink, w.c);
        }
    }
}

/// An init container's wait: PostgreSQL's or Kafka's Service answering (Tonnage's own loops).
fn wait_command(ctx: &Ctx, init: &str) -> Option<String> {
    let host = |id: &str| ctx.component(id).map(|c| object_name(ctx, c));
    match init {
        "wait-for-postgres" => Some(format!(
            "until pg_isready -h {} -p 5432; do echo waiting for PostgreSQL; sleep 2; done",
            sh_quote(&host("postgresql")?)
        )),
        "wait-for-kafka" => Some(format!(
            "until kafka-topics --bootstrap-server {}:9092 --list >/dev/null 2>&1; \
             do echo waiting for Kafka; sleep 5; done",
            sh_quote(&host("kafka")?)
        )),
        _ => None,
    }
}

/// k8s/pdb.yaml's budget of a component (`pdb`), while `<pdb.values>.enabled`: its
/// `minAvailable` (or `maxUnavailable`) from the values.
fn pdb(ctx: &Ctx, sink: &mut Sink, c: &Component) {
    let Some(p) = &c.pdb else { return };
    let Some(at) = p.values.as_deref() else {
        return;
    };
    if !ctx.bool_at((at, "enabled"), false) {
        return;
    }
    let figure = |key: &str| match ctx.get((at, key))? {
        Value::Number(n) => n.as_i64().map(|n| IntOrString::Int(super::i32_of(n))),
        Value::String(s) => Some(IntOrString::String(s.clone())),
        _ => None,
    };
    let obj = PodDisruptionBudget {
        metadata: meta(ctx, &p.name, Some(&c.id)),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: figure("minAvailable"),
            max_unavailable: figure("maxUnavailable"),
            selector: Some(component_selector(ctx, &c.id)),
            ..Default::default()
        }),
        ..Default::default()
    };
    sink.push("PodDisruptionBudget", &p.name, obj);
}

/// The Services beside the component's own (`render.extra_services`): ClusterIP, the named
/// container ports.
fn extra_services(ctx: &Ctx, sink: &mut Sink, c: &Component) {
    let Some(r) = c.render() else { return };
    for es in &r.extra_services {
        let ports: Vec<_> = service_ports(ctx, c)
            .into_iter()
            .filter(|p| p.name.as_ref().is_some_and(|n| es.ports.contains(n)))
            .collect();
        let svc = Service {
            metadata: meta(ctx, &es.name, Some(&c.id)),
            spec: Some(ServiceSpec {
                type_: Some("ClusterIP".into()),
                ports: Some(ports),
                selector: Some(selector_labels(ctx, &c.id)),
                ..Default::default()
            }),
            ..Default::default()
        };
        sink.push("Service", &es.name, svc);
    }
}
