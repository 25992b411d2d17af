//! The kustomize overlay for a chart deployed from raw manifests (`real_chart.deploy:
//! kustomize`): the repository's manifests, listed file by file, with the configuration's sizing
//! and settings as patches (the drafts' overlay spec for issue 20).
//!
//! Layout: `<BUNDLE_DIR>/<chart id>/kustomization.yaml` and `<chart id>/patches/*.yaml`; the
//! checkout of the repository is `<CHARTS_DIR>/<manifests.checkout>`, and `CHARTS_DIR` defaults
//! to the bundle folder's parent, so every resource is `../../<checkout>/<path in repo>`. Files
//! outside the kustomization folder need `--load-restrictor LoadRestrictionsNone`
//! (`kubectl kustomize` and `kustomize build` take it, `kubectl apply -k` does not), hence the
//! build-then-apply of [`install_sh_section`]. No manifest text is copied: the overlay names the
//! files by path and patches them.
//!
//! What comes from where:
//! - the catalog (schema, no chart-specific code): which files are listed (`manifests.always`,
//!   each enabled component's `manifest`, the shared files of `hpa` / `pdb` / `service_monitor`
//!   when one of their objects is on), each workload's patch (`workload`, `kind`, `container`,
//!   `values.replicas`, `values.resources`, `values.image`, the image the raw file runs as
//!   `image`), the claim-template sizes (`values.claim_templates`), HPA and PDB figures
//!   (`values.autoscaling`, `pdb.values`);
//! - [`RAW_FACTS`], a table keyed by repository and commit, for what the catalog's schema has no
//!   field for: the namespace the raw objects carry, where the pod-wide values go, the
//!   ServiceMonitor switch, and the settings of section 4.6 of the spec (ConfigMap keys,
//!   container env, Secret data, Secret volumes, a Service's type, address lists spelled out for
//!   the default replica count, objects always removed). A chart without an entry gets the
//!   catalog-driven overlay only.
//!
//! Rules (spec sections 2-4): strategic-merge patches name their target as the raw file does
//! (`apiVersion`, `kind`, `metadata.name`, `metadata.namespace`); resources are written whole,
//! a request or limit the values leave out as `null` (strategic merge then deletes the raw
//! figure); claim sizes go through JSON 6902 operations at the template's index, each guarded
//! by a `test` of its name (a strategic-merge patch would replace the whole
//! `volumeClaimTemplates` list); settings are written only where the effective value differs
//! from the catalog's default (which is what the raw files hold).

use std::fmt::Write as _;

use base64::Engine as _;
use serde_yaml::Value;

use crate::base::archive::OutFile;
use crate::base::values::{bool_at, display_value, lookup};
use crate::base::yaml::node::{map, str, to_yaml, Key, Node};
use crate::configuration::config::Configuration;
use crate::model::catalog::{Chart, Component, ManifestObject, RawManifests};

// ---------------------------------------------------------------------------------------------
// Facts the catalog cannot express

/// Where a value derived from a replica count goes.
enum Into {
    /// A data key of the ConfigMap of this name.
    ConfigMap(&'static str),
    /// An env entry of the main container of the component with this id.
    Env(&'static str),
}

/// A list of pod addresses a raw file spells out for its default replica count
/// (`<prefix><i><suffix>` for `i` below the count, joined by `sep`); rewritten when the count
/// differs from the catalog default.
struct Derived {
    into: Into,
    key: &'static str,
    /// Values path of the replica count.
    count: &'static str,
    prefix: &'static str,
    suffix: &'static str,
    sep: &'static str,
}

/// A Service whose type and annotations the values set (written while `component` is enabled).
struct ServiceFacts {
    component: &'static str,
    name: &'static str,
    /// Values path of `spec.type` (written when it differs from the default).
    service_type: &'static str,
    /// Values path of annotations merged into the raw ones (written when non-empty).
    annotations: &'static str,
}

/// Facts of one repository's raw manifests at one commit that the catalog's schema has no
/// field for (overlay spec sections 2, 4.1, 4.5 and 4.6).
struct RawFacts {
    repository: &'static str,
    commit: &'static str,
    /// `metadata.namespace` of every raw object: kustomize matches patches against the
    /// original ids, so a patch without it finds no target.
    raw_namespace: &'static str,
    /// Values path of the namespace the overlay installs into (`namespace:`).
    namespace: &'static str,
    /// Values path of the storage class of claim templates that have none of their own.
    storage_class: &'static str,
    /// Values paths written into every workload's pod template when non-empty.
    image_pull_secrets: &'static str,
    node_selector: &'static str,
    tolerations: &'static str,
    /// Values path of the switch that keeps the components' ServiceMonitors.
    service_monitors: &'static str,
    /// Per ConfigMap: data key <- values path (only keys its raw file has), in groups.
    #[allow(clippy::type_complexity)]
    config_maps: &'static [(
        &'static str,
        &'static [&'static [(&'static str, &'static str)]],
    )],
    /// Per component id: env entry of its main container <- values path.
    env: &'static [(&'static str, &'static [(&'static str, &'static str)])],
    derived: &'static [Derived],
    /// A Secret of credentials: name, then data key <- values path.
    secret: Option<(&'static str, &'static [(&'static str, &'static str)])>,
    /// Secret volumes of a pod: (component id, volume name, values path of the Secret's name).
    /// The Secrets are created by hand before installing (README).
    secret_volumes: &'static [(&'static str, &'static str, &'static str)],
    services: &'static [ServiceFacts],
    /// Objects of listed files the overlay always removes: (apiVersion, kind, name).
    remove: &'static [(&'static str, &'static str, &'static str)],
    /// README: why the chart's own templates are not installed ("The chart <path> of <repo>
    /// at <commit> ...").
    why_not_helm: &'static str,
    /// README: what to know before applying.
    notes: &'static [&'static str],
}

/// ConfigMap keys both caracal ConfigMaps have (k8s/configmap.yaml, k8s/v03/configmap.yaml).
const CARACAL_COMMON_KEYS: &[(&str, &str)] = &[
    ("DB_NAME", "postgresql.auth.database"),
    ("DB_USER", "postgresql.auth.username"),
    ("AUTH_MODE", "gateway.authMode"),
    ("LOG_LEVEL", "logging.level"),
    (
        "ENABLE_REPLAY_PROTECTION",
        "gateway.replayProtection.enabled",
    ),
    ("NONCE_CACHE_TTL", "gateway.replayProtection.nonceCacheTTL"),
    (
        "NONCE_CACHE_SIZE",
        "gateway.replayProtection.nonceCacheSize",
    ),
    (
        "TIMESTAMP_WINDOW",
        "gateway.replayProtection.timestampWindow",
    ),
    ("ENABLE_POLICY_CACHE", "gateway.policyCache.enabled"),
    ("POLICY_CACHE_TTL", "gateway.policyCache.ttl"),
    ("POLICY_CACHE_MAX_SIZE", "gateway.policyCache.maxSize"),
    (
        "PROVISIONAL_CHARGE_EXPIRATION",
        "gateway.provisionalCharges.expiration",
    ),
    (
        "PROVISIONAL_CHARGE_MAX_TIMEOUT",
        "gateway.provisionalCharges.maxTimeout",
    ),
    (
        "PROVISIONAL_CHARGE_CLEANUP_INTERVAL",
        "gateway.provisionalCharges.cleanupInterval",
    ),
    (
        "PROVISIONAL_CHARGE_CLEANUP_BATCH_SIZE",
        "gateway.provisionalCharges.cleanupBatchSize",
    ),
];

/// The facts, per repository and commit. Read from the raw files at the commit (drafts:
/// caracal/facts.md, overlay-spec.md 4.6); a test checks that every kustomize chart of the
/// catalog has an entry whose values paths exist.
const RAW_FACTS: &[RawFacts] = &[RawFacts {
    repository: "Garudex-Labs/caracal",
    commit: "b3bd79bf9da28fd8889c5fbe97b4de77a351da0f",
    raw_namespace: "caracal",
    namespace: "global.namespace",
    storage_class: "global.storageClass",
    image_pull_secrets: "global.imagePullSecrets",
    node_selector: "nodeSelector",
    tolerations: "tolerations",
    service_monitors: "monitoring.prometheus.serviceMonitor.enabled",
    config_maps: &[
        (
            "caracal-config",
            &[
                CARACAL_COMMON_KEYS,
                &[
                    ("MCP_SERVERS", "mcpAdapter.mcpServers"),
                    ("MCP_SERVER_TIMEOUT", "mcpAdapter.mcpServerTimeout"),
                ],
            ],
        ),
        (
            "caracal-config-v03",
            &[
                CARACAL_COMMON_KEYS,
                &[
                    ("MCP_SERVER_TIMEOUT", "mcpAdapter.mcpServerTimeout"),
                    (
                        "MERKLE_BATCH_SIZE_LIMIT",
                        "consumers.ledgerWriter.merkle.batchSizeLimit",
                    ),
                    (
                        "MERKLE_BATCH_TIMEOUT_SECONDS",
                        "consumers.ledgerWriter.merkle.batchTimeoutSeconds",
                    ),
                    (
                        "MERKLE_SIGNING_ALGORITHM",
                        "consumers.ledgerWriter.merkle.signingAlgorithm",
                    ),
                    (
                        "ANOMALY_DETECTION_THRESHOLD",
                        "consumers.metricsAggregator.anomalyDetectionThreshold",
                    ),
                    (
                        "AUDIT_LOG_RETENTION_DAYS",
                        "consumers.auditLogger.auditLogRetentionDays",
                    ),
                    ("ENABLE_PROMETHEUS_METRICS", "monitoring.prometheus.enabled"),
                    ("ENABLE_STRUCTURED_LOGGING", "logging.structuredLogging"),
                ],
            ],
        ),
    ],
    env: &[
        (
            "kafka",
            &[
                (
                    "KAFKA_DEFAULT_REPLICATION_FACTOR",
                    "kafka.config.defaultReplicationFactor",
                ),
                (
                    "KAFKA_MIN_INSYNC_REPLICAS",
                    "kafka.config.minInsyncReplicas",
                ),
                (
                    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                    "kafka.config.offsetsTopicReplicationFactor",
                ),
                (
                    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                    "kafka.config.transactionStateLogReplicationFactor",
                ),
                (
                    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
                    "kafka.config.transactionStateLogMinIsr",
                ),
                (
                    "KAFKA_LOG_RETENTION_HOURS",
                    "kafka.config.logRetentionHours",
                ),
                ("KAFKA_COMPRESSION_TYPE", "kafka.config.compressionType"),
            ],
        ),
        (
            "schema-registry",
            &[
                (
                    "SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL",
                    "schemaRegistry.config.compatibilityLevel",
                ),
                (
                    "SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR",
                    "schemaRegistry.config.kafkastoreTopicReplicationFactor",
                ),
            ],
        ),
    ],
    derived: &[
        Derived {
            into: Into::ConfigMap("caracal-config-v03"),
            key: "KAFKA_BOOTSTRAP_SERVERS",
            count: "kafka.replicaCount",
            prefix: "caracal-kafka-",
            suffix: ".caracal-kafka:9092",
            sep: ",",
        },
        Derived {
            into: Into::Env("kafka"),
            key: "KAFKA_ZOOKEEPER_CONNECT",
            count: "zookeeper.replicaCount",
            prefix: "caracal-zookeeper-",
            suffix: ".caracal-zookeeper:2181",
            sep: ",",
        },
        Derived {
            into: Into::Env("zookeeper"),
            key: "ZOOKEEPER_SERVERS",
            count: "zookeeper.replicaCount",
            prefix: "caracal-zookeeper-",
            suffix: ".caracal-zookeeper:2888:3888",
            sep: ";",
        },
    ],
    secret: Some((
        "caracal-secrets",
        &[
            ("DB_PASSWORD", "postgresql.auth.password"),
            ("REDIS_PASSWORD", "redis.auth.password"),
        ],
    )),
    secret_volumes: &[
        ("gateway", "tls-certs", "gateway.tls.secretName"),
        (
            "ledger-writer",
            "merkle-keys",
            "consumers.ledgerWriter.merkle.signingKeySecretName",
        ),
    ],
    services: &[ServiceFacts {
        component: "gateway",
        name: "caracal-gateway",
        service_type: "gateway.service.type",
        annotations: "gateway.service.annotations",
    }],
    // k8s/v03/secret.yaml carries caracal-merkle-keys with an empty key: applied, it would
    // blank the Secret the guide creates by hand.
    remove: &[("v1", "Secret", "caracal-merkle-keys")],
    why_not_helm: "renders only ConfigMap `caracal-config` (the name of the raw \
                   `k8s/configmap.yaml`'s ConfigMap): no workload, Service, volume or autoscaler",
    notes: &[
        "`k8s/v03/secret.yaml` also defines `caracal-merkle-keys`, with an empty key; the overlay \
         removes that object, so applying does not blank the Secret you created.",
        "A cluster where the repository's v0.2 kustomization was applied (`kubectl apply -k k8s`, \
         which adds labels to every selector) refuses the selector change: delete those \
         Deployments and the StatefulSet first.",
        "The ServiceMonitors (`k8s/servicemonitor.yaml`) select namespace `caracal` whatever \
         `global.namespace` says; the overlay does not change them.",
    ],
}];

fn facts_of(chart: &Chart) -> Option<&'static RawFacts> {
    let rc = chart.real_chart.as_ref()?;
    RAW_FACTS
        .iter()
        .find(|f| f.repository == rc.repository && f.commit == rc.commit)
}

// ---------------------------------------------------------------------------------------------
// Values helpers

fn get<'v>(values: &'v Value, path: &str) -> Option<&'v Value> {
    lookup(values, path).filter(|v| !v.is_null())
}

/// The value in effect differs from the catalog default (what the raw files hold).
fn differs(chart: &Chart, values: &Value, path: &str) -> bool {
    get(values, path) != get(&chart.values, path)
}

/// A scalar as ConfigMap / env text: strings as they are, booleans `true`/`false`, numbers as
/// written; `None` for null or absent.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(display_value(other)),
    }
}

fn int_of(v: Option<&Value>) -> Option<i64> {
    let v = v?;
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn non_empty(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| match v {
        Value::Mapping(m) => !m.is_empty(),
        Value::Sequence(s) => !s.is_empty(),
        Value::String(s) => !s.is_empty(),
        Value::Null => false,
        _ => true,
    })
}

/// `image.registry`/`image.repository`:`image.tag` of an image map.
fn image_of(image: &Value) -> Option<String> {
    let repo = text(image.get("repository")).filter(|r| !r.is_empty())?;
    let mut out = match text(image.get("registry")).filter(|r| !r.is_empty()) {
        Some(reg) => format!("{reg}/{repo}"),
        None => repo,
    };
    if let Some(tag) = text(image.get("tag")).filter(|t| !t.is_empty()) {
        out.push(':');
        out.push_str(&tag);
    }
    Some(out)
}

/// The container's `resources` as a patch: every one of requests/limits cpu/memory (`null`
/// where the values leave it out, so strategic merge deletes the raw figure), then any other
/// key the values give (ephemeral-storage...).
fn resources_patch(res: Option<&Value>) -> Node<'_> {
    let part = |part: &'static str| {
        let src = res.and_then(|r| r.get(part)).and_then(Value::as_mapping);
        let mut m: Vec<(Key<'_>, Node<'_>)> = ["cpu", "memory"]
            .into_iter()
            .map(|k| {
                let v = src.and_then(|src| src.get(k)).map_or(Node::Null, Node::Val);
                (Key::Name(k), v)
            })
            .collect();
        for (k, v) in src.into_iter().flatten() {
            // A key the two above are not (a string key equal to one of them is).
            let named = matches!(k, Value::String(k) if k == "cpu" || k == "memory");
            if !v.is_null() && !named {
                m.push((Key::Value(k), Node::Val(v)));
            }
        }
        (part, Node::Map(m))
    };
    map([part("requests"), part("limits")])
}

// ---------------------------------------------------------------------------------------------
// The overlay

/// The namespace the overlay installs into: the values' (when the chart has the facts), else
/// the chart's.
pub fn target_namespace(chart: &Chart, values: &Value) -> String {
    facts_of(chart)
        .and_then(|f| text(get(values, f.namespace)))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| chart.chart.namespace.clone())
}

/// The entries of a patch after `apiVersion`, `kind` and `metadata` (a `metadata` entry is
/// merged into the patch's own).
type Body<'a> = Vec<(&'static str, Node<'a>)>;

struct Overlay<'a> {
    chart: &'a Chart,
    values: &'a Value,
    facts: Option<&'static RawFacts>,
    raw_ns: String,
    resources: Vec<String>,
    /// Entries of `patches:` in order.
    patches: Vec<Node<'a>>,
    /// (path under the chart folder, content).
    files: Vec<(String, Node<'a>)>,
}

impl<'a> Overlay<'a> {
    fn list(&mut self, path: &str) {
        if !self.resources.iter().any(|r| r == path) {
            self.resources.push(path.to_string());
        }
    }

    /// A strategic-merge patch of the object `api`/`kind`/`name`, in `patches/<file>.yaml`.
    fn smp(&mut self, file: &str, api: &str, kind: &str, name: &str, body: Body<'a>) {
        let mut meta = vec![
            (Key::Name("name"), str(name.to_string())),
            (Key::Name("namespace"), str(self.raw_ns.clone())),
        ];
        let mut entries = Vec::with_capacity(body.len() + 3);
        entries.push((Key::Name("apiVersion"), str(api.to_string())));
        entries.push((Key::Name("kind"), str(kind.to_string())));
        let mut meta_extra = None;
        for (k, v) in body {
            if k == "metadata" {
                meta_extra = Some(v);
            } else {
                entries.push((Key::Name(k), v));
            }
        }
        // Merged as a map insert does: a key already there keeps its place, with the new value.
        if let Some(Node::Map(extra)) = meta_extra {
            for (k, v) in extra {
                let Key::Name(name) = k else {
                    meta.push((k, v));
                    continue;
                };
                match meta
                    .iter_mut()
                    .find(|(m, _)| matches!(m, Key::Name(m) if *m == name))
                {
                    Some(slot) => slot.1 = v,
                    None => meta.push((k, v)),
                }
            }
        }
        entries.insert(2, (Key::Name("metadata"), Node::Map(meta)));
        let path = format!("patches/{file}.yaml");
        self.patches.push(map([("path", str(path.clone()))]));
        self.files.push((path, Node::Map(entries)));
    }

    fn delete(&mut self, api: &str, kind: &str, name: &str) {
        let file = format!("delete-{}-{name}", kind.to_ascii_lowercase());
        self.smp(&file, api, kind, name, vec![("$patch", str("delete"))]);
    }

    fn workload(&mut self, c: &'a Component) {
        let chart = self.chart;
        let values = self.values;
        let v = &c.values;
        if let Some(m) = &c.manifest {
            self.list(m);
        }
        let Some(name) = c.workload.as_deref() else {
            return;
        };
        let facts = self.facts;

        // Main container.
        let mut pod = Vec::new();
        if let Some(cname) = c.container.as_deref() {
            let mut ctr = vec![("name", str(cname))];
            if let Some(res) = &v.resources {
                ctr.push(("resources", resources_patch(get(values, res))));
            }
            if let Some(img) = v.image.as_deref().and_then(|p| get(values, p)) {
                if let Some(image) = image_of(img).filter(|i| *i != c.image) {
                    ctr.push(("image", str(image)));
                }
                if let Some(pp) =
                    text(img.get("pullPolicy")).filter(|p| !p.is_empty() && p != "IfNotPresent")
                {
                    ctr.push(("imagePullPolicy", str(pp)));
                }
            }
            let mut env = Vec::new();
            if let Some(f) = facts {
                for (_, entries) in f.env.iter().filter(|(id, _)| *id == c.id) {
                    for (ename, path) in *entries {
                        if differs(chart, values, path) {
                            if let Some(t) = text(get(values, path)) {
                                env.push(map([("name", str(*ename)), ("value", str(t))]));
                            }
                        }
                    }
                }
                for d in f.derived {
                    if matches!(d.into, Into::Env(id) if id == c.id) {
                        if let Some(t) = derived_text(chart, values, d) {
                            env.push(map([("name", str(d.key)), ("value", str(t))]));
                        }
                    }
                }
            }
            if !env.is_empty() {
                ctr.push(("env", Node::Seq(env)));
            }
            pod.push(("containers", Node::Seq(vec![map(ctr)])));
        }

        // Pod: volumes for claim templates switched off, Secret names, pod-wide values.
        let mut volumes = Vec::new();
        for t in v.claim_templates.iter().filter(|t| !t.is_on(values)) {
            volumes.push(map([
                ("name", str(t.name.as_str())),
                ("emptyDir", Node::Map(Vec::new())),
            ]));
        }
        if let Some(f) = facts {
            for (_, vol, path) in f.secret_volumes.iter().filter(|(id, _, _)| *id == c.id) {
                if differs(chart, values, path) {
                    if let Some(t) = text(get(values, path)) {
                        volumes.push(map([
                            ("name", str(*vol)),
                            ("secret", map([("secretName", str(t))])),
                        ]));
                    }
                }
            }
        }
        if !volumes.is_empty() {
            pod.push(("volumes", Node::Seq(volumes)));
        }
        if let Some(f) = facts {
            if let Some(Value::Sequence(list)) = non_empty(get(values, f.image_pull_secrets)) {
                let list = list
                    .iter()
                    .map(|x| match x {
                        Value::Mapping(_) => Node::Val(x),
                        other => map([("name", str(text(Some(other)).unwrap_or_default()))]),
                    })
                    .collect();
                pod.push(("imagePullSecrets", Node::Seq(list)));
            }
            if let Some(ns) = non_empty(get(values, f.node_selector)) {
                pod.push(("nodeSelector", Node::Val(ns)));
            }
            if let Some(t) = non_empty(get(values, f.tolerations)) {
                pod.push(("tolerations", Node::Val(t)));
            }
        }

        let mut spec = Vec::new();
        if let Some(n) = v.replicas.as_deref().and_then(|p| int_of(get(values, p))) {
            spec.push(("replicas", Node::Int(n)));
        }
        spec.push(("template", map([("spec", map(pod))])));
        let kind = c.kind.as_str();
        self.smp(name, "apps/v1", kind, name, vec![("spec", map(spec))]);

        if !v.claim_templates.is_empty() {
            let ops = self.claim_ops(c);
            let path = format!("patches/{name}-claims.yaml");
            self.patches.push(map([
                ("path", str(path.clone())),
                (
                    "target",
                    map([
                        ("group", str("apps")),
                        ("version", str("v1")),
                        ("kind", str(kind)),
                        ("name", str(name)),
                    ]),
                ),
            ]));
            self.files.push((path, Node::Seq(ops)));
        }
    }

    /// JSON 6902 operations on `volumeClaimTemplates`: each kept template's size (and storage
    /// class) at its index, then the templates switched off removed from the highest index
    /// down; every operation after a `test` of the template's name.
    fn claim_ops(&self, c: &'a Component) -> Vec<Node<'a>> {
        let values = self.values;
        let op = |op: &'static str, path: String, value: Option<Node<'a>>| {
            let mut e = vec![("op", str(op)), ("path", str(path))];
            if let Some(v) = value {
                e.push(("value", v));
            }
            map(e)
        };
        let test = |i: usize, name: &'a str| {
            op(
                "test",
                format!("/spec/volumeClaimTemplates/{i}/metadata/name"),
                Some(str(name)),
            )
        };
        let global_sc = self
            .facts
            .and_then(|f| text(get(values, f.storage_class)))
            .filter(|x| !x.is_empty());
        let mut ops = Vec::new();
        let templates = &c.values.claim_templates;
        for t in templates.iter().filter(|t| t.is_on(values)) {
            let i = t.index;
            ops.push(test(i, &t.name));
            if let Some(size) = text(get(values, &t.size)).filter(|x| !x.is_empty()) {
                ops.push(op(
                    "replace",
                    format!("/spec/volumeClaimTemplates/{i}/spec/resources/requests/storage"),
                    Some(str(size)),
                ));
            }
            let sc = t
                .storage_class
                .as_deref()
                .and_then(|p| text(get(values, p)))
                .filter(|x| !x.is_empty())
                .or_else(|| global_sc.clone());
            if let Some(sc) = sc {
                ops.push(op(
                    "add",
                    format!("/spec/volumeClaimTemplates/{i}/spec/storageClassName"),
                    Some(str(sc)),
                ));
            }
        }
        let mut off: Vec<_> = templates.iter().filter(|t| !t.is_on(values)).collect();
        off.sort_by_key(|t| std::cmp::Reverse(t.index));
        for t in off {
            ops.push(test(t.index, &t.name));
            ops.push(op(
                "remove",
                format!("/spec/volumeClaimTemplates/{}", t.index),
                None,
            ));
        }
        ops
    }

    /// Objects of shared files (HPAs, PDBs, ServiceMonitors): a file is listed when one of its
    /// objects is on; then each of its objects is patched (`Some(body)`, possibly empty: no
    /// patch) when on, removed when off.
    fn shared(
        &mut self,
        api: &str,
        kind: &str,
        mut objs: Vec<(&ManifestObject, Option<Body<'a>>)>,
    ) {
        let mut files: Vec<&str> = Vec::new();
        for (o, _) in &objs {
            if !files.contains(&o.manifest.as_str()) {
                files.push(&o.manifest);
            }
        }
        for file in files {
            if objs
                .iter()
                .filter(|(o, _)| o.manifest == file)
                .all(|(_, on)| on.is_none())
            {
                continue;
            }
            self.list(file);
            for (o, on) in objs.iter_mut().filter(|(o, _)| o.manifest == file) {
                match on.take() {
                    Some(body) if !body.is_empty() => self.smp(&o.name, api, kind, &o.name, body),
                    Some(_) => {}
                    None => self.delete(api, kind, &o.name),
                }
            }
        }
    }
}

/// The address list for the configured replica count, when it differs from the default.
fn derived_text(chart: &Chart, values: &Value, d: &Derived) -> Option<String> {
    if !differs(chart, values, d.count) {
        return None;
    }
    let n = int_of(get(values, d.count)).filter(|n| *n >= 1)?;
    Some(
        (0..n)
            .map(|i| format!("{}{i}{}", d.prefix, d.suffix))
            .collect::<Vec<_>>()
            .join(d.sep),
    )
}

fn raw_manifests(chart: &Chart) -> Option<&RawManifests> {
    chart.real_chart.as_ref()?.manifests.as_ref()
}

/// The overlay's files (`<chart>/kustomization.yaml`, `<chart>/patches/*.yaml`) for the chart's
/// effective values. Empty for a chart that is not deployed from raw manifests.
pub fn overlay_files(chart: &Chart, values: &Value, config: &Configuration) -> Vec<OutFile> {
    let (Some(rc), Some(raw)) = (chart.real_chart.as_ref(), raw_manifests(chart)) else {
        return Vec::new();
    };
    if !chart.is_kustomize() {
        return Vec::new();
    }
    let facts = facts_of(chart);
    let mut o = Overlay {
        chart,
        values,
        facts,
        raw_ns: facts
            .map(|f| f.raw_namespace.to_string())
            .unwrap_or_else(|| chart.chart.namespace.clone()),
        resources: Vec::new(),
        patches: Vec::new(),
        files: Vec::new(),
    };
    for p in &raw.always {
        o.list(p);
    }
    let on: Vec<&Component> = chart
        .components
        .iter()
        .filter(|c| c.is_rendered(values))
        .collect();
    for c in &on {
        o.workload(c);
    }
    let is_on = |c: &Component| on.iter().any(|x| x.id == c.id);

    // HPAs: min, max and the whole metrics list (atomic) while autoscaling is on.
    let hpas = chart
        .components
        .iter()
        .filter_map(|c| c.hpa.as_ref().map(|h| (c, h)))
        .map(|(c, h)| {
            let auto = c.values.autoscaling.as_deref();
            let active =
                is_on(c) && auto.is_none_or(|a| bool_at(values, &format!("{a}.enabled"), false));
            let body = active.then(|| auto.map(|a| hpa_spec(values, a)).unwrap_or_default());
            (h, body)
        })
        .collect();
    o.shared("autoscaling/v2", "HorizontalPodAutoscaler", hpas);

    // PDBs: minAvailable / maxUnavailable while the budget is on.
    let pdbs = chart
        .components
        .iter()
        .filter_map(|c| c.pdb.as_ref().map(|p| (c, p)))
        .map(|(c, p)| {
            let vals = p.values.as_deref();
            let active =
                is_on(c) && vals.is_none_or(|v| bool_at(values, &format!("{v}.enabled"), false));
            let body = active.then(|| {
                let mut spec = Vec::new();
                for k in ["minAvailable", "maxUnavailable"] {
                    if let Some(x) = vals.and_then(|v| get(values, &format!("{v}.{k}"))) {
                        spec.push((k, Node::Val(x)));
                    }
                }
                if spec.is_empty() {
                    Vec::new()
                } else {
                    vec![("spec", map(spec))]
                }
            });
            (p, body)
        })
        .collect();
    o.shared("policy/v1", "PodDisruptionBudget", pdbs);

    // ServiceMonitors: kept as the raw file has them, removed for disabled components.
    let sm_switch = |m: &ManifestObject| match (&m.values, facts) {
        (Some(v), _) => bool_at(values, &format!("{v}.enabled"), false),
        (None, Some(f)) => bool_at(values, f.service_monitors, false),
        (None, None) => false,
    };
    let sms = chart
        .components
        .iter()
        .filter_map(|c| c.service_monitor.as_ref().map(|m| (c, m)))
        .map(|(c, m)| (m, (is_on(c) && sm_switch(m)).then(Vec::new)))
        .collect();
    o.shared("monitoring.coreos.com/v1", "ServiceMonitor", sms);

    if let Some(f) = facts {
        settings(&mut o, f);
    }

    let kust = map([
        ("apiVersion", str("kustomize.config.k8s.io/v1beta1")),
        ("kind", str("Kustomization")),
        ("namespace", str(target_namespace(chart, values))),
        (
            "resources",
            Node::Seq(
                o.resources
                    .iter()
                    .map(|r| str(format!("../../{}/{r}", raw.checkout)))
                    .collect(),
            ),
        ),
        ("patches", Node::Seq(std::mem::take(&mut o.patches))),
    ]);
    let mut head = String::new();
    let _ = writeln!(
        head,
        "# {} ({}), environment {}: the raw manifests of {}",
        one_line(&chart.name),
        chart.id,
        one_line(&config.env),
        rc.repository
    );
    let _ = writeln!(
        head,
        "# at {}, sized for this configuration by the patches below.",
        rc.commit
    );
    let _ = writeln!(
        head,
        "# ../../{} is $CHARTS_DIR/{}, a checkout of that commit. From the bundle folder:",
        raw.checkout, raw.checkout
    );
    let _ = writeln!(
        head,
        "#   kubectl kustomize --load-restrictor LoadRestrictionsNone {} | kubectl apply -f -",
        chart.id
    );
    let _ = writeln!(
        head,
        "# (install.sh builds from a scratch copy instead, so CHARTS_DIR may be anywhere.)"
    );
    head.push_str("# Generated by Tonnage.\n");
    let mut out = vec![OutFile::new(
        format!("{}/kustomization.yaml", chart.id),
        head + &to_yaml(&kust),
    )];
    for (path, v) in o.files {
        out.push(OutFile::new(format!("{}/{path}", chart.id), to_yaml(&v)));
    }
    out
}

fn hpa_spec<'a>(values: &'a Value, a: &str) -> Body<'a> {
    let mut spec = Vec::new();
    for k in ["minReplicas", "maxReplicas"] {
        if let Some(n) = int_of(get(values, &format!("{a}.{k}"))) {
            spec.push((k, Node::Int(n)));
        }
    }
    let mut metrics = Vec::new();
    for (res, key) in [
        ("cpu", "targetCPUUtilizationPercentage"),
        ("memory", "targetMemoryUtilizationPercentage"),
    ] {
        if let Some(t) = get(values, &format!("{a}.{key}")) {
            metrics.push(map([
                ("type", str("Resource")),
                (
                    "resource",
                    map([
                        ("name", str(res)),
                        (
                            "target",
                            map([
                                ("type", str("Utilization")),
                                ("averageUtilization", Node::Val(t)),
                            ]),
                        ),
                    ]),
                ),
            ]));
        }
    }
    spec.push(("metrics", Node::Seq(metrics)));
    vec![("spec", map(spec))]
}

/// Spec 4.6: ConfigMaps, the Secret, objects always removed, Services.
fn settings<'a>(o: &mut Overlay<'a>, f: &'static RawFacts) {
    let (chart, values) = (o.chart, o.values);
    for (cm, keys) in f.config_maps {
        let mut data = Vec::new();
        for (key, path) in keys.iter().flat_map(|g| g.iter()) {
            if differs(chart, values, path) {
                if let Some(t) = text(get(values, path)) {
                    data.push((*key, str(t)));
                }
            }
        }
        for d in f.derived {
            if matches!(d.into, Into::ConfigMap(n) if n == *cm) {
                if let Some(t) = derived_text(chart, values, d) {
                    data.push((d.key, str(t)));
                }
            }
        }
        if !data.is_empty() {
            o.smp(cm, "v1", "ConfigMap", cm, vec![("data", map(data))]);
        }
    }
    if let Some((name, keys)) = f.secret {
        let mut data = Vec::new();
        for (key, path) in keys {
            if differs(chart, values, path) {
                let plain = text(get(values, path)).unwrap_or_default();
                let b64 = base64::engine::general_purpose::STANDARD.encode(plain.as_bytes());
                data.push((*key, str(b64)));
            }
        }
        if !data.is_empty() {
            o.smp(name, "v1", "Secret", name, vec![("data", map(data))]);
        }
    }
    for (api, kind, name) in f.remove {
        o.delete(api, kind, name);
    }
    for svc in f.services {
        if !chart
            .component(svc.component)
            .is_some_and(|c| c.is_rendered(values))
        {
            continue;
        }
        let mut body = Vec::new();
        if let Some(a) = non_empty(get(values, svc.annotations)) {
            body.push(("metadata", map([("annotations", Node::Val(a))])));
        }
        if differs(chart, values, svc.service_type) {
            if let Some(t) = text(get(values, svc.service_type)) {
                body.push(("spec", map([("type", str(t))])));
            }
        }
        if !body.is_empty() {
            let file = format!("{}-service", svc.name);
            o.smp(&file, "v1", "Service", svc.name, body);
        }
    }
}

fn one_line(x: &str) -> String {
    x.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn sh_word(x: &str) -> String {
    if !x.is_empty()
        && x.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        x.to_string()
    } else {
        format!("'{}'", x.replace('\'', "'\\''"))
    }
}

/// Every file of the repository the overlay may list, in overlay order.
fn all_files(chart: &Chart, raw: &RawManifests) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |p: &str| {
        if !out.iter().any(|x| x == p) {
            out.push(p.to_string());
        }
    };
    raw.always.iter().for_each(|p| add(p));
    chart
        .components
        .iter()
        .filter_map(|c| c.manifest.as_deref())
        .for_each(&mut add);
    for pick in [
        (|c: &Component| c.hpa.as_ref()) as fn(&Component) -> Option<&ManifestObject>,
        |c| c.pdb.as_ref(),
        |c| c.service_monitor.as_ref(),
    ] {
        chart
            .components
            .iter()
            .filter_map(pick)
            .for_each(|m| add(&m.manifest));
    }
    out
}

/// The install.sh lines that build and apply the overlay: check the checkout, then build from
/// a scratch copy whose `../../<checkout>` is the checkout (so `CHARTS_DIR` may be anywhere)
/// and apply. `BUNDLE_DIR` is set by install.sh; `CHARTS_DIR` defaults to its parent.
pub fn install_sh_section(chart: &Chart) -> String {
    build_section(chart, "kubectl apply -f -")
}

/// [`install_sh_section`] for render.sh: the overlay built into `$OUT_DIR/<chart>.yaml`.
pub fn render_sh_section(chart: &Chart) -> String {
    build_section(
        chart,
        &format!("cat > \"$OUT_DIR\"/{}.yaml", sh_word(&chart.id)),
    )
}

/// The checks and the build of the overlay, its output piped to `sink`.
fn build_section(chart: &Chart, sink: &str) -> String {
    let (Some(rc), Some(raw)) = (chart.real_chart.as_ref(), raw_manifests(chart)) else {
        return String::new();
    };
    if !chart.is_kustomize() {
        return String::new();
    }
    let var: String = raw
        .checkout
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        + "_DIR";
    let short = &rc.commit[..rc.commit.len().min(7)];
    let checkout = sh_word(&raw.checkout);
    let id = sh_word(&chart.id);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Not a Helm release: the raw manifests of {} at {short} with the overlay in",
        one_line(&rc.repository)
    );
    let _ = writeln!(
        out,
        "# {}/ (see README.md). CHARTS_DIR/{} must be a checkout of that commit:",
        chart.id,
        one_line(&raw.checkout)
    );
    let _ = writeln!(out, "# {}", rc.commit);
    out.push_str("CHARTS_DIR=\"${CHARTS_DIR:-$BUNDLE_DIR/..}\"\n");
    let _ = writeln!(out, "{var}=\"$CHARTS_DIR\"/{checkout}");
    out.push_str("for f in \\\n");
    for f in all_files(chart, raw) {
        let _ = writeln!(out, "  {} \\", sh_word(&f));
    }
    out.push_str("  ; do\n");
    let _ = writeln!(
        out,
        "  test -f \"${var}/$f\" || {{ echo \"${var}/$f is missing: check out {} at {} into ${var}\" >&2; exit 1; }}",
        one_line(&rc.repository),
        rc.commit
    );
    out.push_str("done\n");
    let _ = writeln!(out, "{var}=\"$(cd \"${var}\" && pwd -P)\"");
    let _ = writeln!(
        out,
        "if [ \"$(git -C \"${var}\" rev-parse HEAD 2>/dev/null || true)\" != {} ]; then",
        rc.commit
    );
    let _ = writeln!(
        out,
        "  echo \"warning: cannot confirm that ${var} is at {short}; the overlay was made for that commit\" >&2"
    );
    out.push_str("fi\n");
    out.push_str("(\n");
    out.push_str("  TMP=\"$(mktemp -d)\"\n");
    out.push_str("  trap 'rm -rf \"$TMP\"' EXIT\n");
    let _ = writeln!(out, "  ln -s \"${var}\" \"$TMP\"/{checkout}");
    out.push_str("  mkdir \"$TMP/bundle\"\n");
    let _ = writeln!(out, "  cp -R \"$BUNDLE_DIR\"/{id} \"$TMP/bundle/\"");
    let _ = writeln!(
        out,
        "  kubectl kustomize --load-restrictor LoadRestrictionsNone \"$TMP/bundle\"/{id} | {sink}"
    );
    out.push_str(")\n");
    out
}

/// The README's paragraph for a chart deployed from raw manifests: why its values file is not
/// installed, how the overlay is built and applied, the Secrets to create first. Markdown;
/// `values_file` is the chart's values file in the bundle.
pub fn readme_section(chart: &Chart, values: &Value, values_file: &str) -> String {
    let (Some(rc), Some(raw)) = (chart.real_chart.as_ref(), raw_manifests(chart)) else {
        return String::new();
    };
    if !chart.is_kustomize() {
        return String::new();
    }
    let facts = facts_of(chart);
    let ns = target_namespace(chart, values);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### `{}`: raw manifests with a kustomize overlay\n",
        chart.id
    );
    let why = facts
        .map(|f| f.why_not_helm)
        .unwrap_or("does not render the stack");
    let short = &rc.commit[..rc.commit.len().min(7)];
    let _ = writeln!(
        out,
        "The chart `{}` of `{}` at `{short}` {why}. It is not installed:",
        rc.path, rc.repository
    );
    let _ = writeln!(
        out,
        "`helmfile.yaml` has no `{}` release, and `{values_file}` holds the chart's keys only,",
        chart.id
    );
    out.push_str(
        "kept for when the chart grows templates. The stack is the repository's raw manifests\n",
    );
    let _ = writeln!(
        out,
        "with this configuration's sizing as a kustomize overlay, `{0}/kustomization.yaml` and\n\
         `{0}/patches/`, which lists the repository's files by path. It needs a checkout of that\n\
         commit ({1}) in `$CHARTS_DIR/{2}` (default: beside this bundle's folder):\n",
        chart.id, rc.commit, raw.checkout
    );
    let _ = writeln!(
        out,
        "```sh\ngit clone https://github.com/{} ../{}\ngit -C ../{} checkout {}\n```\n",
        rc.repository, raw.checkout, raw.checkout, rc.commit
    );
    let _ = writeln!(
        out,
        "`install.sh` builds and applies it. By hand, from this folder (the files are outside the\n\
         overlay's folder, which kustomize allows only with `--load-restrictor LoadRestrictionsNone`;\n\
         `kubectl apply -k` does not take it):\n"
    );
    let _ = writeln!(
        out,
        "```sh\nkubectl kustomize --load-restrictor LoadRestrictionsNone {} | kubectl apply -f -\n```\n",
        chart.id
    );
    if let Some(f) = facts {
        let mut items = String::new();
        for (comp, _, path) in f.secret_volumes {
            if !chart.component(comp).is_some_and(|c| c.is_rendered(values)) {
                continue;
            }
            let Some(name) = text(get(values, path)) else {
                continue;
            };
            let help = chart
                .settings
                .iter()
                .find(|st| st.path == *path)
                .map(|st| format!(": {}", one_line(&st.help)))
                .unwrap_or_default();
            let _ = writeln!(items, "- `{}` (`{path}`){help}", one_line(&name));
        }
        if !items.is_empty() {
            let _ = writeln!(
                out,
                "Create these Secrets in namespace `{ns}` first (the pods mount them; the overlay does\n\
                 not create them):\n\n{items}"
            );
        }
        for n in f.notes {
            let _ = writeln!(out, "{n}\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Catalog;
    use serde_yaml::Mapping;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    fn s(x: &str) -> Value {
        Value::String(x.to_string())
    }

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Mapping(
            entries
                .into_iter()
                .map(|(k, v)| (Value::String(k.to_string()), v))
                .collect(),
        )
    }

    fn caracal() -> &'static Chart {
        cat().chart("caracal").expect("caracal in the catalog")
    }

    fn y(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    fn overlay(config: &Configuration) -> Vec<OutFile> {
        let chart = caracal();
        overlay_files(chart, &config.effective(chart), config)
    }

    fn joined(files: &[OutFile]) -> String {
        let mut out = String::new();
        for f in files {
            let _ = writeln!(out, "--- {} ---", f.path);
            out.push_str(&f.contents);
        }
        out
    }

    /// The files as parsed YAML, by path under the chart folder.
    fn parsed(files: &[OutFile]) -> Vec<(String, Value)> {
        files
            .iter()
            .map(|f| {
                let p = f.path.strip_prefix("caracal/").expect("under caracal/");
                (p.to_string(), y(&f.contents))
            })
            .collect()
    }

    fn file<'a>(files: &'a [(String, Value)], path: &str) -> &'a Value {
        &files
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .1
    }

    #[test]
    fn snapshots_caracal_overlays() {
        for env in ["dev", "staging", "prod"] {
            let config = Configuration::new(cat(), &["caracal"], env).unwrap();
            insta::assert_snapshot!(format!("overlay_caracal_{env}"), joined(&overlay(&config)));
        }
    }

    /// A strategic-merge workload patch as the example for the prod preset holds it.
    fn workload(
        kind: &str,
        name: &str,
        replicas: Option<i64>,
        container: &str,
        res: [&str; 4],
    ) -> Value {
        let mut spec = Mapping::new();
        if let Some(n) = replicas {
            spec.insert(s("replicas"), Value::Number(n.into()));
        }
        spec.insert(
            s("template"),
            y(&format!(
                "spec: {{containers: [{{name: {container}, resources: {{requests: {{cpu: '{}', memory: '{}'}}, limits: {{cpu: '{}', memory: '{}'}}}}}}]}}",
                res[0], res[1], res[2], res[3]
            )),
        );
        map(vec![
            ("apiVersion", s("apps/v1")),
            ("kind", s(kind)),
            (
                "metadata",
                y(&format!("{{name: {name}, namespace: caracal}}")),
            ),
            ("spec", Value::Mapping(spec)),
        ])
    }

    fn claims(templates: &[(usize, &str, &str)]) -> Value {
        let mut ops = Vec::new();
        for (i, name, size) in templates {
            ops.push(y(&format!(
                "{{op: test, path: /spec/volumeClaimTemplates/{i}/metadata/name, value: {name}}}"
            )));
            ops.push(y(&format!(
                "{{op: replace, path: /spec/volumeClaimTemplates/{i}/spec/resources/requests/storage, value: '{size}'}}"
            )));
        }
        Value::Sequence(ops)
    }

    fn hpa(name: &str, min: i64, max: i64, cpu: i64, mem: i64) -> Value {
        y(&format!(
            "{{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, \
             metadata: {{name: {name}, namespace: caracal}}, \
             spec: {{minReplicas: {min}, maxReplicas: {max}, metrics: [\
             {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: {cpu}}}}}}}, \
             {{type: Resource, resource: {{name: memory, target: {{type: Utilization, averageUtilization: {mem}}}}}}}]}}}}"
        ))
    }

    fn pdb(name: &str, min: i64) -> Value {
        y(&format!(
            "{{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {{name: {name}, namespace: caracal}}, spec: {{minAvailable: {min}}}}}"
        ))
    }

    /// The prod overlay equals the drafts' overlay-example (generated by the spec's reference
    /// implementation and built with real kustomize): the figures below are that example's.
    #[test]
    fn prod_overlay_equals_the_reference_example() {
        let config = Configuration::new(cat(), &["caracal"], "prod").unwrap();
        let files = parsed(&overlay(&config));

        let ss = "StatefulSet";
        let dep = "Deployment";
        let expected: Vec<(&str, Value)> = vec![
            ("patches/caracal-postgres.yaml", workload(ss, "caracal-postgres", None, "postgres", ["500m", "512Mi", "2000m", "2Gi"])),
            ("patches/caracal-postgres-claims.yaml", claims(&[(0, "postgres-data", "10Gi")])),
            ("patches/caracal-redis.yaml", workload(ss, "caracal-redis", None, "redis", ["250m", "256Mi", "1000m", "512Mi"])),
            ("patches/caracal-redis-claims.yaml", claims(&[(0, "redis-data", "10Gi")])),
            ("patches/caracal-zookeeper.yaml", workload(ss, "caracal-zookeeper", Some(3), "zookeeper", ["250m", "512Mi", "1000m", "1Gi"])),
            ("patches/caracal-zookeeper-claims.yaml", claims(&[(0, "zookeeper-data", "10Gi"), (1, "zookeeper-log", "10Gi")])),
            ("patches/caracal-kafka.yaml", workload(ss, "caracal-kafka", Some(3), "kafka", ["500m", "1Gi", "2000m", "2Gi"])),
            ("patches/caracal-kafka-claims.yaml", claims(&[(0, "kafka-data", "20Gi")])),
            ("patches/caracal-schema-registry.yaml", workload(dep, "caracal-schema-registry", Some(2), "schema-registry", ["250m", "512Mi", "1000m", "1Gi"])),
            ("patches/caracal-gateway.yaml", workload(dep, "caracal-gateway", Some(3), "gateway", ["250m", "256Mi", "2000m", "1Gi"])),
            ("patches/caracal-mcp-adapter.yaml", workload(dep, "caracal-mcp-adapter", Some(2), "mcp-adapter", ["250m", "256Mi", "2000m", "1Gi"])),
            ("patches/caracal-ledger-writer.yaml", workload(dep, "caracal-ledger-writer", Some(2), "ledger-writer", ["250m", "256Mi", "1000m", "512Mi"])),
            ("patches/caracal-metrics-aggregator.yaml", workload(dep, "caracal-metrics-aggregator", Some(2), "metrics-aggregator", ["250m", "256Mi", "1000m", "512Mi"])),
            ("patches/caracal-audit-logger.yaml", workload(dep, "caracal-audit-logger", Some(2), "audit-logger", ["250m", "256Mi", "1000m", "512Mi"])),
            ("patches/caracal-gateway-hpa.yaml", hpa("caracal-gateway-hpa", 3, 10, 70, 80)),
            ("patches/caracal-mcp-adapter-hpa.yaml", hpa("caracal-mcp-adapter-hpa", 2, 8, 70, 80)),
            ("patches/caracal-gateway-pdb.yaml", pdb("caracal-gateway-pdb", 2)),
            ("patches/caracal-mcp-adapter-pdb.yaml", pdb("caracal-mcp-adapter-pdb", 1)),
            (
                "patches/delete-secret-caracal-merkle-keys.yaml",
                y("{apiVersion: v1, kind: Secret, metadata: {name: caracal-merkle-keys, namespace: caracal}, $patch: delete}"),
            ),
        ];

        // kustomization.yaml: namespace, resources and patches in the example's order.
        let k = file(&files, "kustomization.yaml");
        assert_eq!(k["apiVersion"], s("kustomize.config.k8s.io/v1beta1"));
        assert_eq!(k["kind"], s("Kustomization"));
        assert_eq!(k["namespace"], s("caracal"));
        let resources: Vec<Value> = [
            "k8s/namespace.yaml",
            "k8s/configmap.yaml",
            "k8s/v03/configmap.yaml",
            "k8s/v03/secret.yaml",
            "k8s/postgres-statefulset.yaml",
            "k8s/v03/redis-statefulset.yaml",
            "k8s/v03/zookeeper-statefulset.yaml",
            "k8s/v03/kafka-statefulset.yaml",
            "k8s/v03/schema-registry-deployment.yaml",
            "k8s/gateway-deployment.yaml",
            "k8s/mcp-adapter-deployment.yaml",
            "k8s/v03/ledger-writer-deployment.yaml",
            "k8s/v03/metrics-aggregator-deployment.yaml",
            "k8s/v03/audit-logger-deployment.yaml",
            "k8s/hpa.yaml",
            "k8s/pdb.yaml",
            "k8s/servicemonitor.yaml",
        ]
        .iter()
        .map(|p| Value::String(format!("../../caracal/{p}")))
        .collect();
        assert_eq!(k["resources"], Value::Sequence(resources));
        let patches: Vec<Value> = expected
            .iter()
            .map(|(p, _)| {
                let path = p.to_string();
                match path.strip_suffix("-claims.yaml") {
                    Some(base) => y(&format!(
                        "{{path: {path}, target: {{group: apps, version: v1, kind: StatefulSet, name: {}}}}}",
                        base.trim_start_matches("patches/")
                    )),
                    None => y(&format!("{{path: {path}}}")),
                }
            })
            .collect();
        assert_eq!(k["patches"], Value::Sequence(patches));

        // Every patch file, and no other.
        let got: Vec<&str> = files.iter().skip(1).map(|(p, _)| p.as_str()).collect();
        let want: Vec<&str> = expected.iter().map(|(p, _)| *p).collect();
        assert_eq!(got, want);
        for (path, v) in &expected {
            assert_eq!(file(&files, path), v, "{path}");
        }
    }

    #[test]
    fn overrides_land_in_the_patches() {
        let mut config = Configuration::new(cat(), &["caracal"], "prod").unwrap();
        for set in [
            "caracal:kafka.replicaCount=5",
            "caracal:gateway.resources.requests.cpu=null",
            "caracal:kafka.persistence.size=100Gi",
            "caracal:global.storageClass=standard-rwo",
            "caracal:zookeeper.persistence.storageClass=zk-ssd",
            "caracal:redis.persistence.enabled=false",
            "caracal:zookeeper.replicaCount=1",
            "caracal:mcpAdapter.autoscaling.enabled=false",
            "caracal:logging.level=DEBUG",
            "caracal:postgresql.auth.password=s3cret",
            "caracal:global.namespace=caracal-prod",
        ] {
            config.set_str(cat(), set).unwrap();
        }
        let files = parsed(&overlay(&config));
        let k = file(&files, "kustomization.yaml");
        assert_eq!(k["namespace"], s("caracal-prod"));

        // Replicas, and the connect strings spelled out for three nodes.
        let kafka = file(&files, "patches/caracal-kafka.yaml");
        assert_eq!(kafka["metadata"]["namespace"], s("caracal"), "the raw id");
        assert_eq!(kafka["spec"]["replicas"], y("5"));
        assert_eq!(
            kafka["spec"]["template"]["spec"]["containers"][0]["env"],
            y("[{name: KAFKA_ZOOKEEPER_CONNECT, value: caracal-zookeeper-0.caracal-zookeeper:2181}]")
        );
        let zk = file(&files, "patches/caracal-zookeeper.yaml");
        assert_eq!(zk["spec"]["replicas"], y("1"));
        assert_eq!(
            zk["spec"]["template"]["spec"]["containers"][0]["env"],
            y("[{name: ZOOKEEPER_SERVERS, value: 'caracal-zookeeper-0.caracal-zookeeper:2888:3888'}]")
        );
        let v03 = file(&files, "patches/caracal-config-v03.yaml");
        assert_eq!(
            v03["data"],
            y("{LOG_LEVEL: DEBUG, KAFKA_BOOTSTRAP_SERVERS: 'caracal-kafka-0.caracal-kafka:9092,caracal-kafka-1.caracal-kafka:9092,caracal-kafka-2.caracal-kafka:9092,caracal-kafka-3.caracal-kafka:9092,caracal-kafka-4.caracal-kafka:9092'}")
        );
        assert_eq!(
            file(&files, "patches/caracal-config.yaml")["data"],
            y("{LOG_LEVEL: DEBUG}")
        );
        assert_eq!(
            file(&files, "patches/caracal-secrets.yaml")["data"],
            y("{DB_PASSWORD: czNjcmV0}")
        );

        // A request set to null is written as null (strategic merge deletes the raw one).
        let gw = file(&files, "patches/caracal-gateway.yaml");
        assert_eq!(
            gw["spec"]["template"]["spec"]["containers"][0]["resources"],
            y("{requests: {cpu: null, memory: 256Mi}, limits: {cpu: 2000m, memory: 1Gi}}")
        );

        // Claim size and storage class (the component's over the global one).
        assert_eq!(
            *file(&files, "patches/caracal-kafka-claims.yaml"),
            y("- {op: test, path: /spec/volumeClaimTemplates/0/metadata/name, value: kafka-data}\n\
               - {op: replace, path: /spec/volumeClaimTemplates/0/spec/resources/requests/storage, value: 100Gi}\n\
               - {op: add, path: /spec/volumeClaimTemplates/0/spec/storageClassName, value: standard-rwo}\n")
        );
        let zk_claims = file(&files, "patches/caracal-zookeeper-claims.yaml");
        assert_eq!(zk_claims[2]["value"], s("zk-ssd"));
        assert_eq!(zk_claims[5]["value"], s("zk-ssd"));

        // Persistence off: the claim template removed, an emptyDir in its place.
        assert_eq!(
            *file(&files, "patches/caracal-redis-claims.yaml"),
            y("- {op: test, path: /spec/volumeClaimTemplates/0/metadata/name, value: redis-data}\n\
               - {op: remove, path: /spec/volumeClaimTemplates/0}\n")
        );
        assert_eq!(
            file(&files, "patches/caracal-redis.yaml")["spec"]["template"]["spec"]["volumes"],
            y("[{name: redis-data, emptyDir: {}}]")
        );

        // One HPA off while the other is on: removed.
        assert_eq!(
            *file(&files, "patches/delete-horizontalpodautoscaler-caracal-mcp-adapter-hpa.yaml"),
            y("{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: caracal-mcp-adapter-hpa, namespace: caracal}, $patch: delete}")
        );
        assert!(files
            .iter()
            .all(|(p, _)| p != "patches/caracal-mcp-adapter-hpa.yaml"));
    }

    #[test]
    fn pod_wide_values_and_the_gateway_service() {
        let mut config = Configuration::new(cat(), &["caracal"], "prod").unwrap();
        for set in [
            "caracal:nodeSelector.disktype=ssd",
            "caracal:global.imagePullSecrets[0]=regcred",
            "caracal:gateway.service.type=NodePort",
            "caracal:gateway.service.annotations.team=pay",
            "caracal:gateway.tls.secretName=my-tls",
            "caracal:kafka.image.pullPolicy=Always",
            "caracal:gateway.image.tag=v0.3",
        ] {
            config.set_str(cat(), set).unwrap();
        }
        let files = parsed(&overlay(&config));
        let gw = &file(&files, "patches/caracal-gateway.yaml")["spec"]["template"]["spec"];
        assert_eq!(gw["containers"][0]["image"], s("caracal-gateway:v0.3"));
        assert_eq!(
            gw["volumes"],
            y("[{name: tls-certs, secret: {secretName: my-tls}}]")
        );
        assert_eq!(gw["imagePullSecrets"], y("[{name: regcred}]"));
        assert_eq!(gw["nodeSelector"], y("{disktype: ssd}"));
        let kafka = &file(&files, "patches/caracal-kafka.yaml")["spec"]["template"]["spec"];
        assert_eq!(kafka["containers"][0]["imagePullPolicy"], s("Always"));
        assert!(kafka["containers"][0].get("image").is_none());
        assert_eq!(kafka["imagePullSecrets"], y("[{name: regcred}]"));
        assert_eq!(
            *file(&files, "patches/caracal-gateway-service.yaml"),
            y("{apiVersion: v1, kind: Service, metadata: {name: caracal-gateway, namespace: caracal, annotations: {team: pay}}, spec: {type: NodePort}}")
        );
    }

    #[test]
    fn switched_off_parts_leave_their_files_out() {
        let mut config = Configuration::new(cat(), &["caracal"], "dev").unwrap();
        config
            .set_str(cat(), "caracal:schemaRegistry.enabled=false")
            .unwrap();
        config
            .set_str(cat(), "caracal:zookeeper.persistence.enabled=false")
            .unwrap();
        let files = parsed(&overlay(&config));
        let k = file(&files, "kustomization.yaml");
        let listed: Vec<&str> = k["resources"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        // dev: no HPA, no PDB, no ServiceMonitor; no Schema Registry.
        for f in [
            "hpa.yaml",
            "pdb.yaml",
            "servicemonitor.yaml",
            "schema-registry",
        ] {
            assert!(listed.iter().all(|l| !l.contains(f)), "{f} listed");
        }
        assert!(files.iter().all(|(p, _)| !p.contains("schema-registry")));
        // Both templates removed, highest index first.
        let ops = file(&files, "patches/caracal-zookeeper-claims.yaml");
        assert_eq!(
            *ops,
            y("- {op: test, path: /spec/volumeClaimTemplates/1/metadata/name, value: zookeeper-log}\n\
               - {op: remove, path: /spec/volumeClaimTemplates/1}\n\
               - {op: test, path: /spec/volumeClaimTemplates/0/metadata/name, value: zookeeper-data}\n\
               - {op: remove, path: /spec/volumeClaimTemplates/0}\n")
        );
    }

    #[test]
    fn install_sh_builds_from_a_scratch_copy() {
        let sh = install_sh_section(caracal());
        assert!(sh.contains("CHARTS_DIR=\"${CHARTS_DIR:-$BUNDLE_DIR/..}\"\n"));
        assert!(sh.contains("CARACAL_DIR=\"$CHARTS_DIR\"/caracal\n"));
        assert!(sh.contains("  k8s/v03/kafka-statefulset.yaml \\\n"));
        assert!(sh.contains("  k8s/servicemonitor.yaml \\\n"));
        assert!(sh.contains("ln -s \"$CARACAL_DIR\" \"$TMP\"/caracal\n"));
        assert!(sh.contains("cp -R \"$BUNDLE_DIR\"/caracal \"$TMP/bundle/\"\n"));
        assert!(sh.contains(
            "kubectl kustomize --load-restrictor LoadRestrictionsNone \"$TMP/bundle\"/caracal | kubectl apply -f -\n"
        ));
        assert!(sh.contains("b3bd79bf9da28fd8889c5fbe97b4de77a351da0f"));
        // Never a file the catalog says is not used.
        for nu in &raw_manifests(caracal()).unwrap().not_used {
            assert!(!sh.contains(&format!(" {} ", nu.path)), "{}", nu.path);
        }
    }

    #[test]
    fn readme_section_says_why_how_and_which_secrets() {
        let chart = caracal();
        let text = readme_section(chart, &chart.values, "caracal/values-prod.yaml");
        assert!(text.contains("renders only ConfigMap `caracal-config`"));
        assert!(text.contains(
            "kubectl kustomize --load-restrictor LoadRestrictionsNone caracal | kubectl apply -f -"
        ));
        assert!(text.contains("- `caracal-tls` (`gateway.tls.secretName`)"));
        assert!(text.contains(
            "- `caracal-merkle-keys` (`consumers.ledgerWriter.merkle.signingKeySecretName`)"
        ));
    }

    /// Every kustomize chart of the catalog has its facts, and their values paths exist (a
    /// renamed key would otherwise drop a setting silently).
    #[test]
    fn raw_facts_cover_the_catalog() {
        for chart in &cat().charts {
            if !chart.is_kustomize() {
                continue;
            }
            let f = facts_of(chart).unwrap_or_else(|| panic!("{}: no RAW_FACTS entry", chart.id));
            let mut paths = vec![
                f.namespace,
                f.storage_class,
                f.image_pull_secrets,
                f.node_selector,
                f.tolerations,
                f.service_monitors,
            ];
            paths.extend(
                f.config_maps
                    .iter()
                    .flat_map(|(_, g)| g.iter().flat_map(|k| k.iter().map(|(_, p)| *p))),
            );
            paths.extend(f.env.iter().flat_map(|(_, k)| k.iter().map(|(_, p)| *p)));
            paths.extend(f.derived.iter().map(|d| d.count));
            paths.extend(f.secret.iter().flat_map(|(_, k)| k.iter().map(|(_, p)| *p)));
            paths.extend(f.secret_volumes.iter().map(|(_, _, p)| *p));
            paths.extend(
                f.services
                    .iter()
                    .flat_map(|s| [s.service_type, s.annotations]),
            );
            for p in paths {
                assert!(
                    lookup(&chart.values, p).is_some(),
                    "{}: {p} not in values",
                    chart.id
                );
                assert!(!chart.is_dead(p), "{}: {p} is dead", chart.id);
            }
            let ids = f
                .env
                .iter()
                .map(|(id, _)| *id)
                .chain(f.secret_volumes.iter().map(|(id, _, _)| *id))
                .chain(f.services.iter().map(|s| s.component))
                .chain(f.derived.iter().filter_map(|d| match d.into {
                    Into::Env(id) => Some(id),
                    Into::ConfigMap(_) => None,
                }));
            for id in ids {
                assert!(
                    chart.component(id).is_some(),
                    "{}: no component {id}",
                    chart.id
                );
            }
        }
    }

    #[test]
    fn other_charts_get_no_overlay() {
        for chart in &cat().charts {
            if chart.is_kustomize() {
                continue;
            }
            let config =
                Configuration::new(cat(), &[chart.id.as_str()], &chart.environments[0].id).unwrap();
            assert!(overlay_files(chart, &chart.values, &config).is_empty());
            assert!(install_sh_section(chart).is_empty());
        }
    }
}
