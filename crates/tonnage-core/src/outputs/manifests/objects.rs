//! The chart-level objects beside the workloads: the placeholder Secrets, the ConfigMaps, the
//! Ingress and the ServiceMonitors; the RBAC rule builder.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use serde_yaml::Value;

use super::chart_module;
use super::components::Work;
use super::context::{entry, scalar_text, Ctx};
use super::crds::{ServiceMonitor, ServiceMonitorEndpoint, ServiceMonitorSpec};
use super::labels::{component_selector, meta};
use super::output::Sink;
use crate::base::values::lookup;
use crate::model::catalog::render::TargetPort;

/// The value of a Secret key whose template Tonnage does not know (a plain image's password
/// where the chart's module gives none).
pub const PLACEHOLDER: &str = "CHANGE_ME";

/// The Secrets collected while rendering (the modules' and the credentials'), their values as
/// the templates write them: in base64 `data` where the chart's templates write that
/// ([`ChartModule::secrets_in_data`](super::ChartModule::secrets_in_data)), else `stringData`.
pub(super) fn write_secrets(ctx: &Ctx, sink: &mut Sink) {
    let secrets = std::mem::take(&mut sink.secrets);
    let in_data = chart_module(&ctx.chart.id).is_some_and(|m| m.secrets_in_data());
    for (name, values) in secrets {
        let mut obj = Secret {
            metadata: meta(ctx, &name, None),
            type_: Some("Opaque".into()),
            ..Default::default()
        };
        if in_data {
            obj.data = Some(base64_data(values));
        } else {
            obj.string_data = Some(values);
        }
        sink.push("Secret", &name, obj);
    }
}

/// A Secret's `data`: each value's bytes (written base64, as the templates' `b64enc`).
pub(super) fn base64_data(values: BTreeMap<String, String>) -> BTreeMap<String, ByteString> {
    values
        .into_iter()
        .map(|(k, v)| (k, ByteString(v.into_bytes())))
        .collect()
}

/// The Secrets the chart's own templates (or manifests) create, with the values they write
/// (a value generated at install, or text the authors wrote, as a placeholder naming the
/// template): those of the charts' modules (cauldron-infra's cauldron-secrets,
/// cauldron-frappe's, Caracal's caracal-secrets, RAE's).
pub(super) fn chart_secrets(ctx: &Ctx, sink: &mut Sink) {
    if let Some(m) = chart_module(&ctx.chart.id) {
        for (name, data) in m.secrets(ctx) {
            add_secret(sink, name, data);
        }
    }
}

pub(super) fn add_secret(sink: &mut Sink, name: String, data: Vec<(&str, String)>) {
    let entry = sink.secrets.entry(name).or_default();
    for (k, v) in data {
        entry.insert(k.to_string(), v);
    }
}

pub(super) fn rule(resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(resources.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub(super) fn config_map(
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
pub(super) fn text_map(ctx: &Ctx, path: &str) -> BTreeMap<String, String> {
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

pub(super) fn config_maps(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
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
    if let Some(m) = chart_module(&ctx.chart.id).filter(|_| !works.is_empty()) {
        for (name, data) in m.config_maps(ctx) {
            let cm = config_map(ctx, &name, None, data);
            sink.push("ConfigMap", &name, cm);
        }
    }
}

/// The values map of the chart's Ingress: `frappe.ingress` (cauldron-frappe) or `ingress`
/// (RAE); none where the chart has no Ingress template (no such key, or a `dead` one: Rhesis,
/// Caracal).
pub(super) fn ingress_prefix(ctx: &Ctx) -> Option<&'static str> {
    ["frappe.ingress", "ingress"].into_iter().find(|p| {
        lookup(&ctx.chart.values, &format!("{p}.enabled")).is_some() && !ctx.chart.is_dead(p)
    })
}

pub(super) fn ingress(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
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
pub(super) fn exposed<'a, 'b>(works: &'b [Work<'a>]) -> Option<&'b Work<'a>> {
    ["frontend", "gateway", "app"].iter().find_map(|role| {
        works
            .iter()
            .find(|w| w.c.role == *role && !w.c.ports.is_empty())
    })
}

/// ServiceMonitors where the manifests have them: Caracal's k8s/servicemonitor.yaml (a
/// component's `service_monitor`, with `monitoring.prometheus.serviceMonitor.enabled`). RAE's
/// template is its module's.
pub(super) fn monitoring(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
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
