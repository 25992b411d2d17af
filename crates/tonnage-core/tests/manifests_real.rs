//! The rendered manifests against the objects real Helm renders (issue 21).
//!
//! Each record in `tests/data/real-helm/<chart>/<case>.yaml` carries `manifests`: every object
//! real Helm renders from the real chart with the case's values bundle, reduced to facts by
//! `scripts/record-real-helm` (kind, name, namespace and whether it is printed, labels,
//! selectors, replicas, containers with image, ports, resources as printed, probes (handler,
//! path, port, an exec command's arguments with a shell's script named by its template,
//! timings), env names, mounts and security context; the pod's security context, affinity,
//! spread constraints, service account and token; the Deployment's strategy, the
//! StatefulSet's pod management and update strategy; volumes and claims, Service ports, HPA
//! bounds, ConfigMap and Secret keys, each Secret value's field and form: a digest of a value,
//! a placeholder naming the template of a generated value or of the authors' text, or empty).
//! Here Tonnage's manifests for the same case are
//! reduced the same way and compared object by object: every object real Helm renders must be
//! there, with the same facts, and nothing else.
//!
//! A chart whose manifests match in every record gets a test that must keep passing; the
//! others' tests are ignored until they match, and `report_manifest_differences` (ignored: run
//! it with `--ignored --nocapture`) lists what remains, per chart.

use std::collections::BTreeMap;

mod records;

use base64::Engine as _;
use records::{data_dir, record_files, RecordConfig};
use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use sha2::{Digest as _, Sha256};
use tonnage_core::catalog::Catalog;
use tonnage_core::config::Configuration;
use tonnage_core::manifests::{generated_placeholder, render, template_placeholder};
use tonnage_core::quantity::Quantity;

#[derive(Debug, Deserialize)]
struct Record {
    chart: String,
    case: String,
    config: RecordConfig,
    #[serde(default)]
    manifests: Vec<Value>,
}

fn records(chart: &str) -> Vec<Record> {
    record_files(&data_dir().join(chart))
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()))
        })
        .collect()
}

fn configure(catalog: &Catalog, r: &Record) -> Configuration {
    records::configure(catalog, &r.chart, &r.case, &r.config)
}

// ---------------------------------------------------------------------------------------------
// The reduction: the same facts as scripts/record-real-helm's `object_summary`

fn get<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get(key).filter(|x| !x.is_null())
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn put(m: &mut Mapping, key: &str, v: Value) {
    m.insert(s(key), v);
}

/// A map of scalars with its keys sorted, values as text.
fn sorted_map(v: Option<&Value>) -> Option<Value> {
    let Some(Value::Mapping(m)) = v else {
        return None;
    };
    if m.is_empty() {
        return None;
    }
    let sorted: BTreeMap<String, String> = m
        .iter()
        .map(|(k, v)| {
            (
                text(Some(k)).unwrap_or_default(),
                text(Some(v)).unwrap_or_default(),
            )
        })
        .collect();
    Some(Value::Mapping(
        sorted.into_iter().map(|(k, v)| (s(&k), s(&v))).collect(),
    ))
}

fn list(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Sequence(s)) => s,
        _ => &[],
    }
}

/// A quantity as printed: a container's resources are compared as text (`1000m` is not `1`),
/// as Helm prints what the values give.
fn printed(v: &Value) -> Value {
    s(&text(Some(v)).unwrap_or_default())
}

/// A quantity in canonical form, so `1000m` and `1` compare equal; text it cannot parse kept.
fn quantity(v: &Value) -> Value {
    let t = text(Some(v)).unwrap_or_default();
    match t.parse::<Quantity>() {
        Ok(q) => s(&q.to_string()),
        Err(_) => s(&t),
    }
}

fn sorted_by(mut items: Vec<Value>, key: impl Fn(&Value) -> String) -> Vec<Value> {
    items.sort_by_key(|v| key(v));
    items
}

fn name_of(v: &Value) -> String {
    text(get(v, "name")).unwrap_or_default()
}

/// Ports with the given fields renamed (`from`, `to`), the protocol defaulted to TCP, sorted
/// by number then name.
fn ports(items: &[Value], fields: &[(&str, &str)]) -> Vec<Value> {
    let out: Vec<Value> = items
        .iter()
        .map(|p| {
            let mut m = Mapping::new();
            for (from, to) in fields {
                if let Some(v) = get(p, from) {
                    put(&mut m, to, v.clone());
                }
            }
            put(
                &mut m,
                "protocol",
                get(p, "protocol").cloned().unwrap_or_else(|| s("TCP")),
            );
            Value::Mapping(m)
        })
        .collect();
    sorted_by(out, |p| {
        format!(
            "{:>10}/{}",
            get(p, "port").and_then(Value::as_i64).unwrap_or(0),
            name_of(p)
        )
    })
}

/// A field as rendered, where it is there and not empty.
fn given(v: &Value, key: &str) -> Option<Value> {
    get(v, key)
        .filter(|x| match x {
            Value::Mapping(m) => !m.is_empty(),
            Value::Sequence(s) => !s.is_empty(),
            _ => true,
        })
        .cloned()
}

/// The template a placeholder of the manifests names ([`template_placeholder`] or
/// [`generated_placeholder`]), with which of the two.
fn placeholder_of(text: &str) -> Option<(&'static str, String)> {
    let probe = "\u{1}";
    for (form, make) in [
        ("literal", template_placeholder as fn(&str) -> String),
        ("generated", generated_placeholder),
    ] {
        let shape = make(probe);
        let (head, tail) = shape.split_once(probe)?;
        if let Some(t) = text.strip_prefix(head).and_then(|r| r.strip_suffix(tail)) {
            return Some((form, t.to_string()));
        }
    }
    None
}

/// An exec command as the recorder writes it (`command_facts`): each argument as written,
/// the script a shell runs after `-c` named by its template (`{script: <template>}`; ours is
/// the placeholder naming it, any other text stays text and differs).
fn command(args: &[Value]) -> Value {
    const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh"];
    let mut out = Vec::new();
    let (mut shell, mut script_next) = (false, false);
    for (i, a) in args.iter().enumerate() {
        let t = text(Some(a)).unwrap_or_default();
        if i == 0 {
            shell = SHELLS.contains(&t.rsplit('/').next().unwrap_or_default());
        } else if shell
            && !script_next
            && t.starts_with('-')
            && !t.starts_with("--")
            && t[1..].contains('c')
        {
            script_next = true;
        } else if shell && script_next && !t.starts_with('-') {
            let mut m = Mapping::new();
            let named = placeholder_of(&t)
                .filter(|(form, _)| *form == "literal")
                .map_or_else(|| s(&t), |(_, template)| s(&template));
            put(&mut m, "script", named);
            out.push(Value::Mapping(m));
            shell = false;
            script_next = false;
            continue;
        }
        out.push(s(&t));
    }
    Value::Sequence(out)
}

/// A probe as facts: its handler, the HTTP path and the port it names, an exec probe's
/// command ([`command`]), and the timings it sets.
fn probe(p: &Value) -> Value {
    let handler = ["httpGet", "tcpSocket", "exec", "grpc"]
        .into_iter()
        .find(|h| p.get(*h).is_some())
        .unwrap_or("other");
    let mut out = Mapping::new();
    put(&mut out, "handler", s(handler));
    let h = get(p, handler).cloned().unwrap_or_default();
    for k in ["path", "port"] {
        if let Some(v) = get(&h, k) {
            put(&mut out, k, v.clone());
        }
    }
    if handler == "exec" {
        put(&mut out, "command", command(list(get(&h, "command"))));
    }
    for k in [
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "failureThreshold",
        "successThreshold",
    ] {
        if let Some(v) = get(p, k) {
            put(&mut out, k, v.clone());
        }
    }
    Value::Mapping(out)
}

fn container(c: &Value) -> Value {
    let mut out = Mapping::new();
    put(
        &mut out,
        "name",
        get(c, "name").cloned().unwrap_or_default(),
    );
    put(
        &mut out,
        "image",
        get(c, "image").cloned().unwrap_or_default(),
    );
    let ports = ports(
        list(get(c, "ports")),
        &[("name", "name"), ("containerPort", "port")],
    );
    if !ports.is_empty() {
        put(&mut out, "ports", Value::Sequence(ports));
    }
    let mut resources = Mapping::new();
    for side in ["requests", "limits"] {
        if let Some(Value::Mapping(m)) = get(c, "resources").and_then(|r| get(r, side)) {
            let q: BTreeMap<String, Value> = m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (text(Some(k)).unwrap_or_default(), printed(v)))
                .collect();
            if !q.is_empty() {
                put(
                    &mut resources,
                    side,
                    Value::Mapping(q.into_iter().map(|(k, v)| (s(&k), v)).collect()),
                );
            }
        }
    }
    if !resources.is_empty() {
        put(&mut out, "resources", Value::Mapping(resources));
    }
    let mut probes = Mapping::new();
    for (field, kind) in [
        ("startupProbe", "startup"),
        ("livenessProbe", "liveness"),
        ("readinessProbe", "readiness"),
    ] {
        if let Some(p @ Value::Mapping(_)) = get(c, field) {
            put(&mut probes, kind, probe(p));
        }
    }
    if !probes.is_empty() {
        put(&mut out, "probes", Value::Mapping(probes));
    }
    if let Some(sc) = given(c, "securityContext") {
        put(&mut out, "security_context", sc);
    }
    let mut env: Vec<String> = list(get(c, "env")).iter().map(name_of).collect();
    env.sort();
    env.dedup();
    if !env.is_empty() {
        put(
            &mut out,
            "env",
            Value::Sequence(env.iter().map(|e| s(e)).collect()),
        );
    }
    let mut env_from: Vec<String> = Vec::new();
    for e in list(get(c, "envFrom")) {
        for (src, short) in [("configMapRef", "configMap"), ("secretRef", "secret")] {
            if let Some(r) = e.get(src) {
                env_from.push(format!("{short}/{}", name_of(r)));
            }
        }
    }
    env_from.sort();
    if !env_from.is_empty() {
        put(
            &mut out,
            "env_from",
            Value::Sequence(env_from.iter().map(|e| s(e)).collect()),
        );
    }
    let mounts: Vec<Value> = list(get(c, "volumeMounts"))
        .iter()
        .map(|m| {
            let mut o = Mapping::new();
            put(&mut o, "name", get(m, "name").cloned().unwrap_or_default());
            put(
                &mut o,
                "path",
                get(m, "mountPath").cloned().unwrap_or_default(),
            );
            Value::Mapping(o)
        })
        .collect();
    if !mounts.is_empty() {
        let mounts = sorted_by(mounts, |m| {
            format!(
                "{}\0{}",
                text(get(m, "path")).unwrap_or_default(),
                name_of(m)
            )
        });
        put(&mut out, "mounts", Value::Sequence(mounts));
    }
    Value::Mapping(out)
}

fn volume(v: &Value) -> Value {
    let mut out = Mapping::new();
    put(
        &mut out,
        "name",
        get(v, "name").cloned().unwrap_or_default(),
    );
    let kinds = [
        ("persistentVolumeClaim", Some("claimName")),
        ("configMap", Some("name")),
        ("secret", Some("secretName")),
        ("emptyDir", None),
        ("hostPath", None),
        ("projected", None),
        ("downwardAPI", None),
        ("ephemeral", None),
        ("nfs", None),
        ("csi", None),
    ];
    let found = kinds.iter().find(|(k, _)| v.get(*k).is_some());
    match found {
        Some((kind, reference)) => {
            put(&mut out, "type", s(kind));
            if let Some(r) = reference.and_then(|r| get(&v[*kind], r)) {
                put(&mut out, "ref", r.clone());
            }
        }
        None => put(&mut out, "type", s("other")),
    }
    Value::Mapping(out)
}

fn claim_spec(spec: Option<&Value>, out: &mut Mapping) {
    let Some(spec) = spec else { return };
    if let Some(size) = get(spec, "resources")
        .and_then(|r| get(r, "requests"))
        .and_then(|r| get(r, "storage"))
    {
        put(out, "size", quantity(size));
    }
    let mut modes: Vec<String> = list(get(spec, "accessModes"))
        .iter()
        .filter_map(|m| text(Some(m)))
        .collect();
    if !modes.is_empty() {
        modes.sort();
        put(
            out,
            "access_modes",
            Value::Sequence(modes.iter().map(|m| s(m)).collect()),
        );
    }
    if let Some(c) = get(spec, "storageClassName") {
        put(out, "storage_class", c.clone());
    }
}

fn containers(items: &[Value]) -> Value {
    Value::Sequence(sorted_by(items.iter().map(container).collect(), name_of))
}

/// An object reduced to its facts, keyed by `kind/namespace/name`. `release` is left out: the
/// bundle installs a chart's subcharts as releases of their own where the chart does (their
/// objects are still the configuration's), and the object's identity is its kind, namespace
/// and name.
fn summary(o: &Value, namespace: &str) -> (String, Value) {
    let kind = text(get(o, "kind")).unwrap_or_default();
    let meta = get(o, "metadata").cloned().unwrap_or_default();
    let spec = get(o, "spec").cloned().unwrap_or_default();
    let name = text(get(&meta, "name")).unwrap_or_default();
    // A Namespace is cluster-scoped and carries none; the records key an object without one
    // under its release's namespace, which for raw manifests (no Helm release) is `default`.
    let ns = text(get(&meta, "namespace")).unwrap_or_else(|| match kind.as_str() {
        "Namespace" => "default".to_string(),
        _ => namespace.to_string(),
    });
    let mut out = Mapping::new();
    put(
        &mut out,
        "namespace_printed",
        Value::Bool(get(&meta, "namespace").is_some()),
    );
    if let Some(l) = sorted_map(get(&meta, "labels")) {
        put(&mut out, "labels", l);
    }
    match kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob" => {
            if kind == "Deployment" || kind == "StatefulSet" {
                put(
                    &mut out,
                    "replicas",
                    get(&spec, "replicas").cloned().unwrap_or_default(),
                );
            }
            if let Some(sel) =
                sorted_map(get(&spec, "selector").and_then(|x| get(x, "matchLabels")))
            {
                put(&mut out, "selector", sel);
            }
            let template = if kind == "CronJob" {
                get(&spec, "jobTemplate")
                    .and_then(|j| get(j, "spec"))
                    .and_then(|j| get(j, "template"))
            } else {
                get(&spec, "template")
            };
            let template = template.cloned().unwrap_or_default();
            if let Some(l) = sorted_map(get(&template, "metadata").and_then(|m| get(m, "labels"))) {
                put(&mut out, "pod_labels", l);
            }
            let pod = get(&template, "spec").cloned().unwrap_or_default();
            put(
                &mut out,
                "containers",
                containers(list(get(&pod, "containers"))),
            );
            let inits = list(get(&pod, "initContainers"));
            if !inits.is_empty() {
                put(&mut out, "init_containers", containers(inits));
            }
            let vols = list(get(&pod, "volumes"));
            if !vols.is_empty() {
                put(
                    &mut out,
                    "volumes",
                    Value::Sequence(sorted_by(vols.iter().map(volume).collect(), name_of)),
                );
            }
            if let Some(sa) = get(&pod, "serviceAccountName") {
                put(&mut out, "service_account", sa.clone());
            }
            // The pod's scheduling and security fields as rendered.
            for (field, key) in [
                (
                    "automountServiceAccountToken",
                    "automount_service_account_token",
                ),
                ("enableServiceLinks", "enable_service_links"),
                ("securityContext", "security_context"),
                ("affinity", "affinity"),
                ("topologySpreadConstraints", "topology_spread_constraints"),
            ] {
                if let Some(v) = given(&pod, field) {
                    put(&mut out, key, v);
                }
            }
            let type_of = |field: &str| get(&spec, field).and_then(|x| get(x, "type")).cloned();
            if kind == "Deployment" {
                if let Some(t) = type_of("strategy") {
                    put(&mut out, "strategy", t);
                }
            }
            if kind == "StatefulSet" {
                if let Some(p) = get(&spec, "podManagementPolicy") {
                    put(&mut out, "pod_management_policy", p.clone());
                }
                if let Some(t) = type_of("updateStrategy") {
                    put(&mut out, "update_strategy", t);
                }
            }
            if kind == "StatefulSet" {
                if let Some(n) = get(&spec, "serviceName") {
                    put(&mut out, "service_name", n.clone());
                }
                let cts: Vec<Value> = list(get(&spec, "volumeClaimTemplates"))
                    .iter()
                    .map(|t| {
                        let mut m = Mapping::new();
                        put(
                            &mut m,
                            "name",
                            get(t, "metadata")
                                .and_then(|x| get(x, "name"))
                                .cloned()
                                .unwrap_or_default(),
                        );
                        claim_spec(get(t, "spec"), &mut m);
                        Value::Mapping(m)
                    })
                    .collect();
                if !cts.is_empty() {
                    put(
                        &mut out,
                        "claim_templates",
                        Value::Sequence(sorted_by(cts, name_of)),
                    );
                }
            }
        }
        "Service" => {
            put(
                &mut out,
                "type",
                get(&spec, "type")
                    .cloned()
                    .unwrap_or_else(|| s("ClusterIP")),
            );
            if text(get(&spec, "clusterIP")).as_deref() == Some("None") {
                put(&mut out, "headless", Value::Bool(true));
            }
            if let Some(sel) = sorted_map(get(&spec, "selector")) {
                put(&mut out, "selector", sel);
            }
            let ports = ports(
                list(get(&spec, "ports")),
                &[
                    ("name", "name"),
                    ("port", "port"),
                    ("targetPort", "target_port"),
                ],
            );
            put(&mut out, "ports", Value::Sequence(ports));
        }
        "HorizontalPodAutoscaler" => {
            let r = get(&spec, "scaleTargetRef").cloned().unwrap_or_default();
            put(
                &mut out,
                "target",
                s(&format!(
                    "{}/{}",
                    text(get(&r, "kind")).unwrap_or_default(),
                    name_of(&r)
                )),
            );
            put(
                &mut out,
                "min",
                get(&spec, "minReplicas")
                    .filter(|v| v.as_i64() != Some(0))
                    .cloned()
                    .unwrap_or(Value::from(1)),
            );
            put(
                &mut out,
                "max",
                get(&spec, "maxReplicas").cloned().unwrap_or_default(),
            );
            let mut metrics: Vec<String> = list(get(&spec, "metrics"))
                .iter()
                .map(|m| {
                    format!(
                        "{}/{}",
                        text(get(m, "type")).unwrap_or_default(),
                        get(m, "resource").map(name_of).unwrap_or_default()
                    )
                })
                .collect();
            metrics.sort();
            if !metrics.is_empty() {
                put(
                    &mut out,
                    "metrics",
                    Value::Sequence(metrics.iter().map(|m| s(m)).collect()),
                );
            }
        }
        "PersistentVolumeClaim" => claim_spec(Some(&spec), &mut out),
        "ConfigMap" | "Secret" => {
            let mut keys: Vec<String> = ["data", "stringData", "binaryData"]
                .iter()
                .filter_map(|f| get(o, f).and_then(Value::as_mapping))
                .flat_map(|m| m.keys().filter_map(|k| text(Some(k))))
                .collect();
            keys.sort();
            keys.dedup();
            put(
                &mut out,
                "keys",
                Value::Sequence(keys.iter().map(|k| s(k)).collect()),
            );
            if kind == "Secret" {
                put(
                    &mut out,
                    "type",
                    get(o, "type").cloned().unwrap_or_else(|| s("Opaque")),
                );
                let entries = secret_entries(o);
                if !entries.is_empty() {
                    put(&mut out, "entries", Value::Mapping(entries));
                }
            }
        }
        "PodDisruptionBudget" => {
            if let Some(sel) =
                sorted_map(get(&spec, "selector").and_then(|x| get(x, "matchLabels")))
            {
                put(&mut out, "selector", sel);
            }
            for k in ["minAvailable", "maxUnavailable"] {
                if let Some(v) = get(&spec, k) {
                    put(&mut out, k, v.clone());
                }
            }
        }
        _ => {}
    }
    (format!("{kind}/{ns}/{name}"), Value::Mapping(out))
}

/// A Secret's entries as the recorder writes them (`secret_entries`), reduced to what both
/// sides can say: the field (`data`, base64, or `stringData`) and the value's form: `empty`, a
/// placeholder naming its template (`generated` at install, or `literal`: the template's own
/// text), else the sha256 of the text (first 16 hex digits: values and what is composed of
/// them must be the very text real Helm renders).
fn secret_entries(o: &Value) -> Mapping {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for field in ["data", "stringData"] {
        let Some(Value::Mapping(m)) = get(o, field) else {
            continue;
        };
        for (k, v) in m {
            let raw = text(Some(v)).unwrap_or_default();
            let value = if field == "data" {
                base64::engine::general_purpose::STANDARD
                    .decode(raw.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
            } else {
                Some(raw)
            };
            let key = text(Some(k)).unwrap_or_default();
            let mut e = Mapping::new();
            put(&mut e, "field", s(field));
            match value {
                Some(t) if t.is_empty() => put(&mut e, "form", s("empty")),
                Some(t) => match placeholder_of(&t) {
                    Some((form, template)) => {
                        // A placeholder may name the key after the template (a file of several).
                        let suffix = format!(" {key}");
                        let template = template.strip_suffix(&suffix).unwrap_or(&template);
                        put(&mut e, "form", s(form));
                        put(&mut e, "template", s(template));
                    }
                    None => put(&mut e, "sha256", s(&digest(&t))),
                },
                None => put(&mut e, "form", s("not base64 text")),
            }
            out.insert(key, Value::Mapping(e));
        }
    }
    out.into_iter().map(|(k, v)| (s(&k), v)).collect()
}

fn digest(t: &str) -> String {
    Sha256::digest(t.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A recorded entry as [`secret_entries`] reduces ours: a value's form and `from` dropped
/// where its digest says it all.
fn recorded_entries(fields: &mut Mapping) {
    let Some(Value::Mapping(entries)) = fields.get_mut("entries") else {
        return;
    };
    for (_, e) in entries.iter_mut() {
        let Value::Mapping(e) = e else { continue };
        if e.contains_key("sha256") {
            e.remove("form");
            e.remove("from");
        }
    }
}

/// A record's summary as the test reduces it (quantities canonical, `release` and the
/// identity fields moved into the key), so both sides go through the same normalization.
fn recorded(m: &Value) -> (String, Value) {
    let mut fields = m.as_mapping().cloned().unwrap_or_default();
    let key = format!(
        "{}/{}/{}",
        text(m.get("kind")).unwrap_or_default(),
        text(m.get("namespace")).unwrap_or_default(),
        text(m.get("name")).unwrap_or_default()
    );
    for k in ["kind", "namespace", "name", "release"] {
        fields.remove(k);
    }
    canonical_quantities(&mut fields);
    recorded_entries(&mut fields);
    // A null the template writes in the pod's affinity (Bitnami's `nodeAffinity:` and
    // `podAffinity:` without a preset) is a field left out: the API server stores none.
    if let Some(a) = fields.get_mut("affinity") {
        drop_nulls(a);
    }
    (key, Value::Mapping(fields))
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            m.retain(|_, x| !x.is_null());
            m.iter_mut().for_each(|(_, x)| drop_nulls(x));
        }
        Value::Sequence(s) => s.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Rewrites every `size` to the canonical quantity text (a claim's size compares by value);
/// a container's resources compare as printed (`1` is not `1000m`).
fn canonical_quantities(m: &mut Mapping) {
    for (k, v) in m.iter_mut() {
        let key = k.as_str().unwrap_or_default();
        match v {
            Value::Mapping(inner) => canonical_quantities(inner),
            Value::Sequence(items) => {
                for i in items {
                    if let Value::Mapping(inner) = i {
                        canonical_quantities(inner);
                    }
                }
            }
            v if key == "size" => *v = quantity(v),
            _ => {}
        }
    }
}

/// What differs between one record's objects and Tonnage's for its case, one line each.
fn differences(catalog: &Catalog, r: &Record) -> Vec<String> {
    differences_where(catalog, r, &|_| true)
}

/// The charts whose manifests match the records in every summarized field, the pod's and
/// containers' security contexts, affinity, spread, token, service links, probe details and
/// update strategies included. The others are compared without those fields ([`narrow`]):
/// their differences there are listed by `report_manifest_differences`.
const EXTENDED: &[&str] = &[
    "caracal",
    "cauldron-frappe",
    "cauldron-infra",
    "rae-memory",
    "rhesis",
];

/// A summary without the fields only [`EXTENDED`] charts are compared on: each probe reduced
/// to its handler.
fn narrow(v: &mut Value) {
    let Value::Mapping(m) = v else { return };
    for k in [
        "security_context",
        "automount_service_account_token",
        "enable_service_links",
        "affinity",
        "topology_spread_constraints",
        "strategy",
        "pod_management_policy",
        "update_strategy",
    ] {
        m.remove(k);
    }
    for list in ["containers", "init_containers"] {
        let Some(Value::Sequence(cs)) = m.get_mut(list) else {
            continue;
        };
        for c in cs {
            let Value::Mapping(c) = c else { continue };
            c.remove("security_context");
            if let Some(Value::Mapping(probes)) = c.get_mut("probes") {
                for (_, p) in probes.iter_mut() {
                    *p = get(p, "handler").cloned().unwrap_or_default();
                }
            }
        }
    }
}

/// An object of a Bitnami chart (PostgreSQL, Redis, RabbitMQ: `helm.sh/chart` theirs).
fn is_bitnami(sum: &Value) -> bool {
    sum.get("labels")
        .and_then(|l| l.get("helm.sh/chart"))
        .and_then(Value::as_str)
        .is_some_and(|c| {
            ["postgresql-", "redis-", "rabbitmq-"]
                .iter()
                .any(|p| c.starts_with(p))
        })
}

/// A Bitnami object's exec probes reduced to whether they have a command: their scripts are
/// Tonnage's own so far (`bitnami/`), not yet the templates' placeholders; the charts' own
/// templates and Caracal's raw files are compared argument by argument.
/// `MANIFESTS_BITNAMI_COMMANDS=1` compares them too.
fn narrow_bitnami_commands(v: &mut Value) {
    if !is_bitnami(v) || std::env::var_os("MANIFESTS_BITNAMI_COMMANDS").is_some() {
        return;
    }
    let Value::Mapping(m) = v else { return };
    for list in ["containers", "init_containers"] {
        let Some(Value::Sequence(cs)) = m.get_mut(list) else {
            continue;
        };
        for c in cs {
            let Some(Value::Mapping(probes)) = c.get_mut("probes") else {
                continue;
            };
            for (_, p) in probes.iter_mut() {
                if let Some(cmd) = p.get_mut("command") {
                    *cmd = Value::Bool(cmd.as_sequence().is_some_and(|c| !c.is_empty()));
                }
            }
        }
    }
}

/// [`differences`] over the objects (real Helm's or Tonnage's) whose summary `keep` takes.
fn differences_where(catalog: &Catalog, r: &Record, keep: &dyn Fn(&Value) -> bool) -> Vec<String> {
    let full =
        EXTENDED.contains(&r.chart.as_str()) || std::env::var_os("MANIFESTS_EXTENDED").is_some();
    let keep = |v: &mut Value| {
        if !full {
            narrow(v);
        }
        narrow_bitnami_commands(v);
        keep(v)
    };
    let config = configure(catalog, r);
    let namespace = catalog
        .chart(&r.chart)
        .map(|c| c.chart.namespace.clone())
        .unwrap_or_default();
    let mut ours: BTreeMap<String, Value> = BTreeMap::new();
    let mut out = Vec::new();
    for m in render(catalog, &config) {
        match serde_yaml::from_str::<Value>(&m.yaml) {
            Ok(v) => {
                let (key, mut sum) = summary(&v, &namespace);
                if keep(&mut sum) {
                    ours.insert(key, sum);
                }
            }
            Err(e) => out.push(format!(
                "{}: {} {} is not YAML: {e}",
                r.case, m.kind, m.name
            )),
        }
    }
    let real: BTreeMap<String, Value> = r
        .manifests
        .iter()
        .map(recorded)
        .filter_map(|(key, mut sum)| keep(&mut sum).then_some((key, sum)))
        .collect();
    for (key, want) in &real {
        match ours.get(key) {
            None => out.push(format!("{}: missing {key}", r.case)),
            Some(have) => {
                let (Value::Mapping(w), Value::Mapping(h)) = (want, have) else {
                    continue;
                };
                let mut fields: Vec<&Value> = w.keys().chain(h.keys()).collect();
                fields.sort_by_key(|f| text(Some(f)).unwrap_or_default());
                fields.dedup();
                for f in fields {
                    if w.get(f) != h.get(f) {
                        out.push(format!(
                            "{}: {key} .{}: real {} / ours {}",
                            r.case,
                            text(Some(f)).unwrap_or_default(),
                            one_line(w.get(f)),
                            one_line(h.get(f))
                        ));
                    }
                }
            }
        }
    }
    for key in ours.keys().filter(|k| !real.contains_key(*k)) {
        out.push(format!("{}: extra {key}", r.case));
    }
    out
}

fn one_line(v: Option<&Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => serde_json::to_string(v).unwrap_or_else(|_| format!("{v:?}")),
    }
}

fn chart_differences(chart: &str) -> Vec<String> {
    let catalog = Catalog::builtin();
    let records = records(chart);
    assert!(!records.is_empty(), "no records for {chart}");
    records
        .iter()
        .flat_map(|r| {
            assert!(
                !r.manifests.is_empty(),
                "{chart}/{}: the record has no `manifests` (re-run scripts/record-real-helm)",
                r.case
            );
            differences(catalog, r)
        })
        .collect()
}

fn assert_matches(chart: &str) {
    let d = chart_differences(chart);
    assert!(
        d.is_empty(),
        "{chart}: {} differences between the manifests and real Helm's render:\n{}",
        d.len(),
        d.join("\n")
    );
}

const CHARTS: &[&str] = &[
    "caracal",
    "cauldron-frappe",
    "cauldron-infra",
    "rae-memory",
    "rhesis",
];

#[test]
fn rhesis_manifests_are_real_helms() {
    assert_matches("rhesis");
}

#[test]
fn cauldron_frappe_manifests_are_real_helms() {
    assert_matches("cauldron-frappe");
}

#[test]
fn cauldron_infra_manifests_are_real_helms() {
    assert_matches("cauldron-infra");
}

/// cauldron-infra's own templates (TimescaleDB, Qdrant, the three Redis Deployments, their
/// Services and claims, cauldron-secrets, postgres-init-scripts) match every record, while its
/// Bitnami subcharts' objects do not yet (the ignored test above). An object is the chart's own
/// when the record has it with the chart's `helm.sh/chart` label, or when it bears a name of a
/// component the catalog renders from the templates (`render`): its workload, its Service, its
/// claim; so an object Tonnage adds under one of those names counts too.
#[test]
fn cauldron_infra_own_objects_are_real_helms() {
    let catalog = Catalog::builtin();
    let chart = catalog.chart("cauldron-infra").unwrap();
    let mut own: Vec<String> = vec!["cauldron-secrets".into(), "postgres-init-scripts".into()];
    for c in chart.components.iter().filter(|c| c.render().is_some()) {
        own.extend(c.workload_name(&chart.values).map(str::to_string));
        own.extend(c.service_name(&chart.values).map(str::to_string));
    }
    own.extend(chart.volumes.iter().filter_map(|v| v.claim.clone()));
    assert!(own.len() >= 14, "the chart's own objects: {own:?}");
    let label = format!("{}-{}", chart.chart.name, chart.chart.version);
    let mut d = Vec::new();
    for r in records("cauldron-infra") {
        let by_label: Vec<String> = r
            .manifests
            .iter()
            .filter(|m| {
                text(m.get("labels").and_then(|l| l.get("helm.sh/chart"))) == Some(label.clone())
            })
            .map(|m| recorded(m).0)
            .collect();
        assert!(
            !by_label.is_empty(),
            "{}: no object of the chart's own",
            r.case
        );
        for line in differences(catalog, &r) {
            // `<case>: missing <key>`, `<case>: extra <key>`, `<case>: <key> .<field>: ...`
            let rest = line.split_once(": ").map_or("", |(_, rest)| rest);
            let rest = rest
                .strip_prefix("missing ")
                .or_else(|| rest.strip_prefix("extra "))
                .unwrap_or(rest);
            let key = rest.split(' ').next().unwrap_or_default();
            let name = key.rsplit('/').next().unwrap_or_default();
            if by_label.iter().any(|k| k == key) || own.iter().any(|o| o == name) {
                d.push(line);
            }
        }
    }
    assert!(
        d.is_empty(),
        "cauldron-infra's own objects: {} differences from real Helm's render:\n{}",
        d.len(),
        d.join("\n")
    );
}

#[test]
fn rae_memory_manifests_are_real_helms() {
    assert_matches("rae-memory");
}

#[test]
fn caracal_manifests_are_real_helms() {
    assert_matches("caracal");
}

/// The Bitnami charts' objects (PostgreSQL, Redis, RabbitMQ: `helm.sh/chart` theirs), a
/// dependency of cauldron-infra or releases of rae-memory's bundle, match in every record,
/// while the charts' own objects do not yet.
#[test]
fn bitnami_objects_are_real_helms() {
    let catalog = Catalog::builtin();
    for chart in ["cauldron-infra", "rae-memory"] {
        let d: Vec<String> = records(chart)
            .iter()
            .flat_map(|r| differences_where(catalog, r, &is_bitnami))
            .collect();
        assert!(
            d.is_empty(),
            "{chart}: {} differences on the Bitnami objects:\n{}",
            d.len(),
            d.join("\n")
        );
    }
}

/// Every chart's remaining differences, counted and listed (the first lines of each).
/// `MANIFESTS_REPORT_ALL=1` lists every line.
#[test]
#[ignore = "a report, not a check: run with --ignored --nocapture"]
fn report_manifest_differences() {
    let all = std::env::var_os("MANIFESTS_REPORT_ALL").is_some();
    for chart in CHARTS {
        let d = chart_differences(chart);
        println!("== {chart}: {} differences", d.len());
        for line in d.iter().take(if all { usize::MAX } else { 40 }) {
            println!("  {line}");
        }
    }
}

/// An object's summary from its YAML text, in namespace `ns`.
fn summarized(text: &str) -> (String, Value) {
    summary(&serde_yaml::from_str(text).unwrap(), "ns")
}

/// The reduction itself can fail: an object the record has and the render lacks is reported,
/// and so is a changed field (the test of the test).
#[test]
fn the_comparison_sees_missing_objects_and_changed_fields() {
    let catalog = Catalog::builtin();
    let mut r = records("rhesis").into_iter().next().unwrap();
    let mut extra = r.manifests[0].clone();
    extra["name"] = s("no-such-object");
    r.manifests.push(extra);
    let d = differences(catalog, &r);
    assert!(
        d.iter()
            .any(|l| l.contains("missing") && l.contains("no-such-object")),
        "{d:?}"
    );
    let (_, sum) = summary(
        &serde_yaml::from_str(
            "kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}], selector: {app: a}}",
        )
        .unwrap(),
        "ns",
    );
    let (_, other) = summary(
        &serde_yaml::from_str(
            "kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 81}], selector: {app: a}}",
        )
        .unwrap(),
        "ns",
    );
    assert_ne!(sum, other);
    let (_, a) = summary(
        &serde_yaml::from_str(
            "kind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {containers: [{name: c, resources: {limits: {cpu: 1000m}}}]}}}",
        )
        .unwrap(),
        "ns",
    );
    let (_, b) = summary(
        &serde_yaml::from_str(
            "kind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {containers: [{name: c, resources: {limits: {cpu: \"1\"}}}]}}}",
        )
        .unwrap(),
        "ns",
    );
    assert_ne!(a, b, "resources compare as printed: 1000m is not 1");
    // Whether the object prints its namespace.
    let svc = |meta: &str| {
        summarized(&format!(
            "kind: Service\nmetadata: {{{meta}}}\nspec: {{ports: [{{port: 80}}]}}"
        ))
    };
    let (k1, with) = svc("name: a, namespace: ns");
    let (k2, without) = svc("name: a");
    assert_eq!(k1, k2, "the same object");
    assert_ne!(with, without, "one prints its namespace");
    // A Secret's field and values: base64 `data` is not `stringData`; a value is its digest; a
    // placeholder names its template (with the key after it or not).
    let secret = |body: &str| summarized(&format!("kind: Secret\nmetadata: {{name: s}}\n{body}")).1;
    assert_ne!(secret("data: {k: YQ==}"), secret("stringData: {k: a}"));
    assert_eq!(secret("data: {k: YQ==}"), secret("data: {k: \"YQ==\"}"));
    assert_ne!(secret("stringData: {k: a}"), secret("stringData: {k: b}"));
    let generated = secret(&format!(
        "stringData: {{k: \"{}\"}}",
        generated_placeholder("templates/secret.yaml")
    ));
    assert_eq!(
        generated["entries"]["k"],
        serde_yaml::from_str::<Value>(
            "{field: stringData, form: generated, template: templates/secret.yaml}"
        )
        .unwrap()
    );
    let literal = secret(&format!(
        "stringData: {{k: \"{}\"}}",
        template_placeholder("x/templates/c.yaml k")
    ));
    assert_eq!(literal["entries"]["k"]["template"], s("x/templates/c.yaml"));
    // An exec command: its arguments, a shell's script named by the placeholder's template.
    let script = template_placeholder("k8s/a.yaml");
    for (args, want) in [
        (
            vec!["sh", "-c", script.as_str()],
            "[sh, -c, {script: k8s/a.yaml}]",
        ),
        (
            vec!["/bin/sh", "-c", "-e", "pg_isready"],
            "[/bin/sh, -c, -e, {script: pg_isready}]",
        ),
        (vec!["redis-cli", "ping"], "[redis-cli, ping]"),
    ] {
        let args: Vec<Value> = args.into_iter().map(s).collect();
        assert_eq!(command(&args), serde_yaml::from_str::<Value>(want).unwrap());
    }
    // The pod's and the containers' security, scheduling and probe timings are compared too.
    let pod = |extra: &str| {
        summarized(&format!(
            "kind: Deployment\nmetadata: {{name: a}}\nspec: {{template: {{spec: {{containers: [{{name: c, livenessProbe: {{tcpSocket: {{port: 1}}}}}}]{extra}}}}}}}"
        ))
        .1
    };
    let plain = pod("");
    for extra in [
        ", securityContext: {runAsUser: 1}",
        ", affinity: {podAntiAffinity: {}}",
        ", automountServiceAccountToken: false",
        ", enableServiceLinks: false",
    ] {
        assert_ne!(plain, pod(extra), "{extra}");
    }
    assert_ne!(
        pod(""),
        summary(
            &serde_yaml::from_str(
                "kind: Deployment\nmetadata: {name: a}\nspec: {template: {spec: {containers: [{name: c, livenessProbe: {tcpSocket: {port: 1}, timeoutSeconds: 5}}]}}}",
            )
            .unwrap(),
            "ns",
        )
        .1
    );
}
