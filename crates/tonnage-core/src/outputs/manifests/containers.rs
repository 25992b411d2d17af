//! Container building blocks: environment entries, volumes and mounts, probes, security
//! contexts, the init containers' small resources, and the sidecar containers.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    ExecAction, HTTPGetAction, ObjectFieldSelector, PodSecurityContext, Probe,
    ResourceRequirements, SeccompProfile, SecretKeySelector, SecretVolumeSource, SecurityContext,
    TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_yaml::Value;

use super::components::{i32_of, in_subchart, own_prefix, Side, Work};
use super::context::Ctx;
use super::extras::template_placeholder;
use super::plain;
use crate::model::catalog::{Component, Probe as CatalogProbe};

/// Where a container reads a credential from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SecretRef {
    pub(super) name: String,
    pub(super) key: String,
}

pub(super) fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.into()),
        ..Default::default()
    }
}

pub(super) fn env_secret(name: &str, r: &SecretRef) -> EnvVar {
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

pub(super) fn env_field(name: &str, field: &str) -> EnvVar {
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

pub(super) fn empty_dir(name: &str, memory: bool) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: memory.then(|| "Memory".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(super) fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        ..Default::default()
    }
}

pub(super) fn read_only_mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        read_only: Some(true),
        ..mount(name, path)
    }
}

pub(super) fn config_map_volume(name: &str, config_map: &str, mode: Option<i32>) -> Volume {
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

pub(super) fn secret_volume(name: &str, secret: &str) -> Volume {
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

pub(super) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A catalog probe as a Kubernetes probe; `{{ .Values.<path> }}` in an `exec` argument becomes
/// the value in effect (shell-quoted unless it is a plain word).
pub(super) fn probe(
    ctx: &Ctx,
    c: &Component,
    p: &CatalogProbe,
    liveness: bool,
    timeout: i32,
) -> Probe {
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
        let mut command: Vec<String> = cmd.iter().map(|a| fill_values(ctx, a)).collect();
        command.extend(p.script.as_deref().map(template_placeholder));
        pr.exec = Some(ExecAction {
            command: Some(command),
        });
    }
    pr
}

/// `text` with each `{{ .Values.<path> }}` replaced by the value in effect (see
/// [`crate::catalog::value_refs`]; the catalog's tests check the paths).
pub(super) fn fill_values(ctx: &Ctx, text: &str) -> String {
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
pub(super) fn container_security(ctx: &Ctx, c: &Component) -> SecurityContext {
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
pub(super) fn read_only_root(ctx: &Ctx, c: &Component) -> bool {
    c.security
        .as_ref()
        .is_some_and(|s| s.read_only_root_filesystem)
        && (in_subchart(ctx, c) || ctx.bool_at("securityContext.readOnlyRootFilesystem", true))
}

pub(super) fn pod_security(c: &Component) -> PodSecurityContext {
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
pub(super) fn init_resources() -> ResourceRequirements {
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

/// A probe as the chart's `<prefix>.livenessProbe` / `readinessProbe` map has it, where the
/// chart has one (cauldron-frappe's `frappe.livenessProbe`): `enabled` false drops it, its
/// timings replace Tonnage's.
pub(super) fn tune_probe(ctx: &Ctx, c: &Component, mut p: Probe, key: &str) -> Option<Probe> {
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

/// A sidecar container (`values.sidecars`) with its figures: image, pull policy and resources.
/// The catalogs' sidecars (the Bitnami exporters and Sentinel) are the Bitnami charts'
/// (`bitnami/`), with their ports, probes and environment.
/// `security`: with Tonnage's restricted security context.
pub(super) fn sidecar_container(ctx: &Ctx, w: &Work, s: &Side, security: bool) -> Container {
    Container {
        name: s.sc.name.clone(),
        image: Some(s.image.clone()),
        image_pull_policy: Some(s.pull_policy.clone()),
        resources: Some(ResourceRequirements {
            requests: (!s.requests.is_empty()).then(|| s.requests.clone()),
            limits: (!s.limits.is_empty()).then(|| s.limits.clone()),
            ..Default::default()
        }),
        security_context: security.then(|| container_security(ctx, w.c)),
        ..Default::default()
    }
}
