//! The tests of the manifests: the golden files of every chart and environment (and of the
//! hardening overlay), the agreement of the parsed YAML with the plan, and what each kind of
//! object carries.

use super::crds::{ExternalSecret, ServiceMonitor};
use super::extras::{generated_placeholder, template_placeholder};
use super::hardening::{hardening_overlay, ingress_from};
use super::objects::PLACEHOLDER;
use super::output::{kind_rank, multi_doc, multi_doc_files, per_object_files, Manifest};
use super::*;
use crate::base::quantity::Quantity;
use crate::compute::plan::Plan;
use crate::configuration::config::Configuration;
use crate::model::catalog::{Catalog, Component, Sidecar, WorkloadKind};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, Namespace, PersistentVolumeClaim, PodSpec, Secret, Service,
    ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use proptest::prelude::*;
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// `insta::assert_snapshot!`, the golden files staying in `outputs/snapshots/` (beside the
/// module's file, where they were before its tests moved to `manifests/tests.rs`).
macro_rules! assert_golden {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

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

fn pvc_storage(p: &PersistentVolumeClaim) -> i64 {
    let r = p.spec.as_ref().and_then(|s| s.resources.clone());
    q(&r.and_then(|r| r.requests), "storage", false)
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
        assert_golden!(format!("{chart}-{env}"), multi_doc(&ms));
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
        assert_golden!(format!("hardening-{chart}-{env}"), text);
    }
}

/// The Bitnami charts' container lists and init containers (issue 20): a metrics-shipping
/// sidecar of the user's beside PostgreSQL's exporter, a user init container and the charts'
/// `volumePermissions` and `sysctl` ones on Redis; the pods as rendered, then the plan's
/// figures for them (the init containers count only where one is larger than the pod).
#[test]
fn golden_bitnami_sidecars_and_init_containers() {
    let c = config(
        &["cauldron-infra"],
        "prod",
        &[
            "postgresql.primary.sidecars[0].name=metrics-shipper",
            "postgresql.primary.sidecars[0].image=grafana/agent:v0.36.1",
            "postgresql.primary.sidecars[0].resources.requests.cpu=200m",
            "postgresql.primary.sidecars[0].resources.requests.memory=256Mi",
            "postgresql.volumePermissions.enabled=true",
            "redis.master.initContainers[0].name=warm-up",
            "redis.master.initContainers[0].image=busybox:1.36",
            "redis.master.initContainers[0].resources.requests.cpu=3",
            "redis.volumePermissions.enabled=true",
            "redis.sysctl.enabled=true",
            "redis.sysctl.mountHostSys=true",
            "redis.sysctl.resources.limits.memory=64Mi",
        ],
    );
    let ms = render(cat(), &c);
    let pods: Vec<Manifest> = ms
        .into_iter()
        .filter(|m| {
            m.kind == "StatefulSet"
                && [
                    "cauldron-infra-postgresql-primary",
                    "cauldron-infra-redis-master",
                ]
                .contains(&m.name.as_str())
        })
        .collect();
    assert_eq!(pods.len(), 2);
    let p = crate::compute::plan::plan(cat(), &c);
    let mut text = multi_doc(&pods);
    text.push_str("# plan per replica: requests cpu, memory / limits cpu, memory\n");
    for id in ["postgresql", "redis"] {
        let cp = p.components.iter().find(|x| x.id == id).unwrap();
        text.push_str(&format!(
            "# {id}: {}m, {} / {}m, {}\n",
            cp.requests.cpu_millicores,
            cp.requests.memory_bytes,
            cp.limits.cpu_millicores,
            cp.limits.memory_bytes
        ));
    }
    assert_golden!("bitnami-sidecars-and-init-containers", text);
}

/// kustomize finds a patch's target by kind, name and namespace: each hardening patch names
/// the namespace its object prints, and none where the object prints none.
#[test]
fn hardening_patches_target_the_objects_as_printed() {
    let mut n = 0;
    for (chart, env) in every_chart_env() {
        let c = config(&[&chart], &env, &[]);
        let plain = render(cat(), &c);
        for p in render_patches(cat(), &c) {
            let target = plain
                .iter()
                .find(|m| m.kind == p.kind && m.name == p.name)
                .unwrap_or_else(|| panic!("{chart} {env}: no {} {}", p.kind, p.name));
            let ns = |yaml: &str| {
                serde_yaml::from_str::<Value>(yaml).unwrap()["metadata"]["namespace"].clone()
            };
            assert_eq!(ns(&p.yaml), ns(&target.yaml), "{chart} {env}: {}", p.yaml);
            n += 1;
        }
    }
    assert!(n > 20, "only {n} patches");
}

/// What only the hardening needs is not built for the plain render (`Sink::plain_only`): its
/// objects are the plain ones of the render with the hardening, every preset.
#[test]
fn the_plain_render_is_the_full_ones_plain_part() {
    for (chart, env) in every_chart_env() {
        let c = config(&[&chart], &env, &[]);
        let full = render_both(cat(), &c, &chart);
        assert_eq!(render(cat(), &c), full.plain, "{chart} {env}");
    }
}

#[test]
fn golden_infra_and_frappe_together() {
    let ms = rendered(&["cauldron-frappe", "cauldron-infra"], "prod", &[]);
    let files = multi_doc_files(&ms);
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["cauldron-infra.yaml", "cauldron-frappe.yaml"]);
    assert_golden!("cauldron-infra+cauldron-frappe-prod", multi_doc(&ms));
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
            let c = cat().chart(&chart).unwrap();
            let namespace = Value::from(c.chart.namespace.clone());
            // The templates' namespace, where they write one (the Bitnami charts' always).
            let printed = bitnami || !c.render().is_some_and(|r| r.no_namespace);
            if m.kind == "Namespace" {
                // Cluster-scoped: the namespace itself, in none.
                assert_eq!(v["metadata"]["name"], namespace);
                assert!(v["metadata"]["namespace"].is_null());
            } else if printed {
                assert_eq!(
                    v["metadata"]["namespace"], namespace,
                    "{} {}",
                    m.kind, m.name
                );
            } else {
                assert!(
                    v["metadata"]["namespace"].is_null(),
                    "{} {}",
                    m.kind,
                    m.name
                );
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
        let leaves = crate::base::values::leaf_paths(&chart.values);
        for (i, v) in picks {
            let path = leaves[i.index(leaves.len())].clone();
            c.overrides.entry(chart.id.clone()).or_default().insert(path, v);
        }
        let ms = render(cat(), &c);
        for m in &ms {
            let _: Value = serde_yaml::from_str(&m.yaml).unwrap();
        }
        prop_assert_eq!(&ms, &render_both(cat(), &c, &chart.id).plain);
    }
}

mod agreement;
mod charts;
mod objects;
