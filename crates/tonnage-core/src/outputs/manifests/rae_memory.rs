//! rae-memory (dreamsoft-pro/RAE-agentic-memory at 831f421, helm/rae-memory): what its
//! templates do that the catalog's data does not express. Its Secret `<release>-secrets` (or the
//! ExternalSecret that fills it), its ConfigMap named after the release, the Celery worker's
//! command and environment, its two NetworkPolicies and its ServiceMonitor; the Qdrant release
//! it is installed with ([`super::qdrant`]). What hardens it beyond its templates (policies for
//! the pods its NetworkPolicies leave open) goes to the hardening overlay.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMapEnvSource, EnvFromSource};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_yaml::Value;

use super::{
    chart_labels, component_selector, dns_egress, env_secret, ingress_from, internet_443,
    match_labels, meta, network_policy, np_port, qdrant, scalar_text, template_placeholder,
    ChartModule, Ctx, Extras, Family, RelabelConfig, SecretRef, ServiceMonitor,
    ServiceMonitorEndpoint, ServiceMonitorSpec, Sink, Work, PLACEHOLDER,
};
use super::{kebab, ExternalSecret, ExternalSecretData, ExternalSecretSpec, ExternalSecretTarget};
use super::{RemoteRef, SecretStoreRef};
use crate::model::catalog::Component;

pub(super) struct RaeMemory;

impl ChartModule for RaeMemory {
    fn workload(&self, ctx: &Ctx, c: &Component, x: &mut Extras) {
        match c.id.as_str() {
            "celery-worker" => celery(ctx, x),
            "qdrant" => qdrant::workload(ctx, c, x),
            _ => {}
        }
    }

    fn secrets(&self, ctx: &Ctx) -> Vec<(String, Vec<(&'static str, String)>)> {
        if ctx.bool_at("externalSecrets.enabled", false) {
            return Vec::new();
        }
        // templates/secret.yaml composes the URLs from fixed Service names of the releases.
        let p = PLACEHOLDER;
        let user = ctx.text("postgresql.auth.username").unwrap_or_default();
        let db = ctx.text("postgresql.auth.database").unwrap_or_default();
        let r = &ctx.release;
        vec![(
            secret_name(ctx),
            vec![
                (
                    "database-url",
                    format!("postgresql://{user}:{p}@{r}-postgresql:5432/{db}"),
                ),
                ("redis-url", format!("redis://:{p}@{r}-redis-master:6379/0")),
                ("openai-api-key", p.into()),
                ("anthropic-api-key", p.into()),
                ("gemini-api-key", p.into()),
                ("jwt-secret", p.into()),
                ("api-master-key", p.into()),
            ],
        )]
    }

    fn config_maps(&self, ctx: &Ctx) -> Vec<(String, BTreeMap<String, String>)> {
        vec![(ctx.release.clone(), config(ctx))]
    }

    fn objects(&self, ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
        if ctx.bool_at("networkPolicy.enabled", false) {
            network_policies(ctx, sink);
            if !sink.plain_only {
                hardening_policies(ctx, sink, works);
            }
        }
        service_monitor(ctx, sink, works);
        external_secret(ctx, sink);
        if let Some(w) = works.iter().find(|w| w.c.id == "qdrant") {
            qdrant::objects(ctx, sink, w);
        }
    }
}

/// The chart's Secret (templates/secret.yaml, or the ExternalSecret that fills it): the Celery
/// workers' URLs and keys.
fn secret_name(ctx: &Ctx) -> String {
    format!("{}-secrets", ctx.release)
}

/// The Celery worker (templates/deployment-celery-worker.yaml): the chart's command with
/// `celeryWorker.concurrency` and `maxTasksPerChild` (the template's defaults 4 and 1000), its
/// ConfigMap and four keys of its Secret. The template gives it no probes.
fn celery(ctx: &Ctx, x: &mut Extras) {
    const APP: &str = "apps.memory_api.tasks.celery_app";
    let mut args: Vec<String> = ["celery", "-A", APP, "worker", "--loglevel=info"]
        .into_iter()
        .map(String::from)
        .collect();
    let n = ctx
        .text("celeryWorker.concurrency")
        .unwrap_or_else(|| "4".into());
    args.push(format!("--concurrency={n}"));
    let n = ctx
        .text("celeryWorker.maxTasksPerChild")
        .unwrap_or_else(|| "1000".into());
    args.push(format!("--max-tasks-per-child={n}"));
    x.command = Some(args);
    x.env_from.push(EnvFromSource {
        config_map_ref: Some(ConfigMapEnvSource {
            name: ctx.release.clone(),
            ..Default::default()
        }),
        ..Default::default()
    });
    let secret = secret_name(ctx);
    for (name, key) in [
        ("DATABASE_URL", "database-url"),
        ("REDIS_URL", "redis-url"),
        ("OPENAI_API_KEY", "openai-api-key"),
        ("ANTHROPIC_API_KEY", "anthropic-api-key"),
    ] {
        let r = SecretRef {
            name: secret.clone(),
            key: key.into(),
        };
        x.env.push(env_secret(name, &r));
    }
}

/// The settings templates/configmap.yaml fixes (the chart has no key for them).
const FIXED_SETTINGS: [(&str, &str); 16] = [
    ("RAE_VECTOR_BACKEND", "qdrant"),
    ("ENABLE_COST_TRACKING", "true"),
    ("DEFAULT_DAILY_LIMIT", "10.00"),
    ("DEFAULT_MONTHLY_LIMIT", "100.00"),
    ("BUDGET_WARNING_THRESHOLD", "0.8"),
    ("WORKERS", "4"),
    ("MAX_CONNECTIONS", "100"),
    ("POOL_SIZE", "20"),
    ("ENABLE_REFLECTION_GENERATION", "true"),
    ("ENABLE_HYBRID_SEARCH", "true"),
    ("ENABLE_GRAPH_RAG", "true"),
    ("ENABLE_RULES_ENGINE", "true"),
    ("ENABLE_EVALUATION", "true"),
    ("OTEL_SERVICE_NAME", "rae-memory-api"),
    ("OTEL_TRACES_ENABLED", "true"),
    ("OTEL_METRICS_ENABLED", "true"),
];

/// The chart's ConfigMap (templates/configmap.yaml, named after the release; the Celery workers
/// load it): the service URLs of the chart's and the Qdrant release's Services, the settings it
/// fixes, and `RAE_LOG_LEVEL`, which the template fills from `memoryApi.env` (a list, printed
/// whole: a placeholder), "INFO" when that is empty.
fn config(ctx: &Ctx) -> BTreeMap<String, String> {
    let r = &ctx.release;
    let mut out: BTreeMap<String, String> = FIXED_SETTINGS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (key, service, port) in [
        ("QDRANT_URL", "qdrant", 6333),
        ("ML_SERVICE_URL", "ml-service", 8001),
        ("RERANKER_SERVICE_URL", "reranker", 8002),
    ] {
        out.insert(key.into(), format!("http://{r}-{service}:{port}"));
    }
    let level = if ctx.list("memoryApi.env").is_empty() {
        "INFO".to_string()
    } else {
        template_placeholder("templates/configmap.yaml")
    };
    out.insert("RAE_LOG_LEVEL".into(), level);
    out
}

/// The chart's selector labels, without a component: every pod of the release.
fn release_pods(ctx: &Ctx) -> NetworkPolicyPeer {
    let labels = match ctx.chart.render() {
        Some(r) => chart_labels(ctx, r, None, true),
        None => BTreeMap::new(),
    };
    NetworkPolicyPeer {
        pod_selector: Some(match_labels(labels)),
        ..Default::default()
    }
}

/// A peer of the namespaces labelled `name: <name>` (`{}` for `None`: every namespace).
fn namespaces(name: Option<&str>) -> NetworkPolicyPeer {
    let labels: BTreeMap<String, String> = name
        .map(|n| ("name".to_string(), n.to_string()))
        .into_iter()
        .collect();
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: (!labels.is_empty()).then_some(labels),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn egress_to(peer: NetworkPolicyPeer, ports: &[(i64, &str)]) -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![peer]),
        ports: Some(ports.iter().map(|(p, proto)| np_port(*p, proto)).collect()),
    }
}

fn ingress_rule(peer: NetworkPolicyPeer, port: i64) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        from: Some(vec![peer]),
        ports: Some(vec![np_port(port, "TCP")]),
    }
}

/// templates/networkpolicy.yaml (`networkPolicy.enabled`): `<release>-api` and
/// `<release>-ml-service`, with the chart's labels, `networkPolicy.policyTypes` as written, and
/// the rules as the template writes them: peers are the release's own pods (selector labels),
/// namespaces by a `name` label, or every namespace.
fn network_policies(ctx: &Ctx, sink: &mut Sink) {
    let types: Vec<String> = ctx
        .list("networkPolicy.policyTypes")
        .into_iter()
        .filter_map(scalar_text)
        .collect();
    let dns = || egress_to(namespaces(Some("kube-system")), &[(53, "UDP")]);
    let https = || egress_to(namespaces(None), &[(443, "TCP")]);
    let api = (
        "memory-api",
        "api",
        vec![
            ingress_rule(namespaces(Some("ingress-nginx")), 8000),
            ingress_rule(release_pods(ctx), 8000),
        ],
        vec![
            dns(),
            egress_to(
                release_pods(ctx),
                &[(5432, "TCP"), (6379, "TCP"), (6333, "TCP")],
            ),
            egress_to(release_pods(ctx), &[(8001, "TCP"), (8002, "TCP")]),
            https(),
        ],
    );
    let ml = (
        "ml-service",
        "ml-service",
        vec![ingress_rule(release_pods(ctx), 8001)],
        vec![dns(), https()],
    );
    for (component, suffix, ingress, egress) in [api, ml] {
        let name = format!("{}-{suffix}", ctx.release);
        let np = NetworkPolicy {
            metadata: meta(ctx, &name, None),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(component_selector(ctx, component)),
                policy_types: (!types.is_empty()).then(|| types.clone()),
                ingress: Some(ingress),
                egress: Some(egress),
            }),
        };
        sink.push("NetworkPolicy", &name, np);
    }
}

/// What hardens the chart's network rules (the hardening overlay): the egress the templates'
/// two policies mean to allow, and the guide's rules (Security, Network Policies) for the pods
/// they leave open, the Celery worker, the reranker and the releases' PostgreSQL, Redis and
/// Qdrant.
fn hardening_policies(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    let types: Vec<String> = vec!["Ingress".into(), "Egress".into()];
    let find = |id: &str| works.iter().find(|w| w.c.id == id);
    // The PostgreSQL and Redis releases' pods carry their Bitnami chart's labels.
    let select = |id: &str| {
        ctx.component(id)
            .and_then(|c| super::bitnami::release_selector(ctx, c))
            .map_or_else(|| component_selector(ctx, id), match_labels)
    };
    let pod = |id: &str| NetworkPolicyPeer {
        pod_selector: Some(select(id)),
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
    // The templates' own policies let the API reach its stores, DNS and the internet only
    // through peers that do not match them (the chart's selector labels, a namespace labelled
    // `name: kube-system`, `namespaceSelector: {}`, which is pods, not the internet): policies
    // add up, so these open what the guide says the API and the ML service reach.
    for (id, stores) in [
        ("memory-api", &["postgresql", "redis", "qdrant"][..]),
        ("ml-service", &[][..]),
    ] {
        let Some(w) = find(id) else { continue };
        let mut egress = vec![dns_egress()];
        for (store, guide) in stores.iter().zip([5432, 6379, 6333]) {
            if find(store).is_some() {
                egress.push(NetworkPolicyEgressRule {
                    to: Some(vec![pod(store)]),
                    ports: Some(vec![np_port(port_of(store, guide), "TCP")]),
                });
            }
        }
        egress.push(internet_443());
        let name = format!("{}-egress", w.name);
        let np = network_policy(
            ctx,
            &name,
            Some(id),
            component_selector(ctx, id),
            vec!["Egress".into()],
            vec![],
            egress,
        );
        sink.push_hardening("NetworkPolicy", &name, np);
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
        sink.push_hardening("NetworkPolicy", &worker.name, np);
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
        sink.push_hardening("NetworkPolicy", &reranker.name, np);
    }
    // Database/Storage: only from API, ML Service, Celery Worker; no outbound traffic. Pods of
    // one store (a primary and its replicas, Sentinel nodes, Qdrant peers) also reach each
    // other (replication), and then resolve each other's names (DNS).
    let stores = [
        ("postgresql", Family::BitnamiPostgres),
        ("postgresql-read", Family::BitnamiPostgres),
        ("redis", Family::BitnamiRedis),
        ("redis-replicas", Family::BitnamiRedis),
        ("redis-node", Family::BitnamiRedis),
        ("qdrant", Family::Qdrant),
    ];
    for (id, fam) in stores {
        let Some(w) = find(id) else { continue };
        let from: Vec<NetworkPolicyPeer> = ["memory-api", "ml-service", "celery-worker"]
            .iter()
            .filter(|id| find(id).is_some())
            .map(|id| pod(id))
            .collect();
        let group: Vec<&str> = stores
            .iter()
            .filter(|(other, f)| *f == fam && find(other).is_some())
            .map(|(other, _)| *other)
            .collect();
        let mut ingress = ingress_from(from, None);
        let mut egress = Vec::new();
        if group.len() > 1 || w.peak() > 1 {
            let peers: Vec<NetworkPolicyPeer> = group.iter().map(|id| pod(id)).collect();
            ingress.extend(ingress_from(peers.clone(), None));
            egress.push(dns_egress());
            egress.push(NetworkPolicyEgressRule {
                to: Some(peers),
                ports: None,
            });
        }
        let np = network_policy(
            ctx,
            &w.name,
            Some(id),
            select(id),
            types.clone(),
            ingress,
            egress,
        );
        sink.push_hardening("NetworkPolicy", &w.name, np);
    }
}

/// templates/servicemonitor.yaml (`monitoring.enabled` and `monitoring.serviceMonitor.enabled`):
/// named after the release, the chart's labels and `monitoring.serviceMonitor.labels`, the API's
/// `http` port at /metrics, the values' relabelings and metric relabelings.
fn service_monitor(ctx: &Ctx, sink: &mut Sink, works: &[Work]) {
    let on = ctx.bool_at("monitoring.enabled", false)
        && ctx.bool_at("monitoring.serviceMonitor.enabled", false);
    if !on || !works.iter().any(|w| w.c.id == "memory-api") {
        return;
    }
    let name = ctx.release.clone();
    let mut metadata = meta(ctx, &name, None);
    if let Some(l) = metadata.labels.as_mut() {
        l.extend(ctx.string_map("monitoring.serviceMonitor.labels"));
    }
    let relabel = |path: &str| {
        ctx.get(path)
            .cloned()
            .and_then(|v: Value| serde_yaml::from_value::<Vec<RelabelConfig>>(v).ok())
            .unwrap_or_default()
    };
    let sm = ServiceMonitor {
        api_version: "monitoring.coreos.com/v1".into(),
        kind: "ServiceMonitor".into(),
        metadata,
        spec: ServiceMonitorSpec {
            selector: component_selector(ctx, "memory-api"),
            endpoints: vec![ServiceMonitorEndpoint {
                port: "http".into(),
                path: Some("/metrics".into()),
                interval: ctx
                    .text("monitoring.serviceMonitor.interval")
                    .or_else(|| Some("30s".into())),
                scrape_timeout: ctx
                    .text("monitoring.serviceMonitor.scrapeTimeout")
                    .or_else(|| Some("10s".into())),
                scheme: Some("http".into()),
                relabelings: relabel("monitoring.serviceMonitor.relabelings"),
                metric_relabelings: relabel("monitoring.serviceMonitor.metricRelabelings"),
            }],
        },
    };
    sink.push("ServiceMonitor", &name, sm);
}

/// templates/secret.yaml: with `externalSecrets.enabled` the chart's Secret
/// `<release>-secrets` comes from the store instead: `keys.databaseUrl` -> key `database-url`,
/// and so on.
fn external_secret(ctx: &Ctx, sink: &mut Sink) {
    if !ctx.bool_at("externalSecrets.enabled", false) {
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
    let name = secret_name(ctx);
    let es = ExternalSecret {
        api_version: "external-secrets.io/v1beta1".into(),
        kind: "ExternalSecret".into(),
        metadata: meta(ctx, &name, None),
        spec: ExternalSecretSpec {
            refresh_interval: ctx
                .text("externalSecrets.refreshInterval")
                .or_else(|| Some("1h".into())),
            secret_store_ref: SecretStoreRef {
                name: ctx
                    .text("externalSecrets.secretStore")
                    .unwrap_or_else(|| "aws-secrets-manager".into()),
                kind: ctx
                    .text("externalSecrets.secretStoreKind")
                    .unwrap_or_else(|| "SecretStore".into()),
            },
            target: ExternalSecretTarget {
                name: name.clone(),
                creation_policy: "Owner".into(),
            },
            data,
        },
    };
    sink.push("ExternalSecret", &name, es);
}
