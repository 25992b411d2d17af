//! The plain render of a chart whose templates are known (catalog `render` facts) is what
//! Helm renders, also where Tonnage would harden it: the pod's and the containers' security
//! contexts, anti-affinity and spread constraints, the service account token and service
//! links are written only as the templates write them (the catalog's `pod_security`,
//! `container_security` and `anti_affinity`, probe timings from its `probes`), and what
//! Tonnage adds for safety moves to the hardening overlay's strategic-merge patch (with TCP
//! probes for a container that serves a port and that the template leaves without probes). The patch only adds what
//! the chart leaves out; it never changes what the chart sets. A chart without `render` facts
//! keeps Tonnage's own layout, hardening included.

use k8s_openapi::api::apps::v1::RollingUpdateDeployment;
use k8s_openapi::api::core::v1::{
    Affinity, PodAffinityTerm, PodAntiAffinity, PodSecurityContext, PodTemplateSpec, Probe,
    SecurityContext, TCPSocketAction, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_yaml::{Mapping, Value};

use super::Ctx;
use crate::model::catalog::render::{AntiAffinityRender, RollingUpdateRender, WrittenMap};
use crate::model::catalog::{Component, Probe as CatalogProbe};

/// A catalog probe's timings as its template writes them (absent ones left out).
pub(super) fn probe_timings(p: &CatalogProbe) -> Probe {
    Probe {
        initial_delay_seconds: p.initial_delay_seconds,
        period_seconds: p.period_seconds,
        timeout_seconds: p.timeout_seconds,
        failure_threshold: p.failure_threshold,
        success_threshold: p.success_threshold,
        ..Default::default()
    }
}

/// For a chart whose templates are known: turns Tonnage's hardened pod template into the one
/// the chart's templates write, and returns what the hardening adds to its pod spec (the
/// fields the template leaves out, as a partial pod spec for a strategic-merge patch; empty
/// when nothing; also empty without `patch`, when only the plain objects are wanted). `None`
/// for a chart without `render` facts: its pod stays as it is.
pub(super) fn split(
    ctx: &Ctx,
    c: &Component,
    t: &mut PodTemplateSpec,
    patch: bool,
) -> Option<Mapping> {
    ctx.chart.render()?;
    let spec = t.spec.as_mut()?;
    let main = c.container.clone().unwrap_or_else(|| c.id.clone());
    let r = c.render();
    // Only the fields below differ between Tonnage's pod and the template's, so the patch is
    // built from them alone (serializing whole pods to compare them cost more than the rest of
    // the render), in the order the API's serialization writes them.
    let pod_security = spec.security_context.take();
    spec.security_context = r
        .and_then(|r| r.pod_security.as_ref())
        .and_then(|w| written::<PodSecurityContext>(ctx, w));
    let affinity = spec.affinity.take();
    spec.affinity = r.and_then(|r| r.anti_affinity.as_ref()).map(anti_affinity);
    let spread = spec.topology_spread_constraints.take();
    let token = spec.automount_service_account_token.take();
    let links = spec.enable_service_links.take();
    let mut lists: [Vec<Value>; 2] = [Vec::new(), Vec::new()];
    for (i, list) in [Some(&mut spec.containers), spec.init_containers.as_mut()]
        .into_iter()
        .enumerate()
    {
        for k in list.into_iter().flatten() {
            let hard = k.security_context.take();
            k.security_context = if k.name == main {
                r.and_then(|r| r.container_security.as_ref())
                    .and_then(|w| written::<SecurityContext>(ctx, w))
            } else {
                None
            };
            if !patch {
                continue;
            }
            let mut m = Mapping::new();
            m.insert(Value::from("name"), Value::from(k.name.as_str()));
            if i == 0 && k.name == main {
                if let Some(port) = c.ports.first() {
                    if k.liveness_probe.is_none() {
                        add(&mut m, "livenessProbe", &Some(tcp_probe(port, true)), &None);
                    }
                    if k.readiness_probe.is_none() {
                        add(
                            &mut m,
                            "readinessProbe",
                            &Some(tcp_probe(port, false)),
                            &None,
                        );
                    }
                }
            }
            add(&mut m, "securityContext", &hard, &k.security_context);
            if m.len() > 1 {
                lists[i].push(Value::Mapping(m));
            }
        }
    }
    let [containers, init] = lists;
    let mut out = Mapping::new();
    if !patch {
        return Some(out);
    }
    add(&mut out, "affinity", &affinity, &spec.affinity);
    add(&mut out, "automountServiceAccountToken", &token, &None);
    if !containers.is_empty() {
        out.insert(Value::from("containers"), Value::Sequence(containers));
    }
    add(&mut out, "enableServiceLinks", &links, &None);
    if !init.is_empty() {
        out.insert(Value::from("initContainers"), Value::Sequence(init));
    }
    add(
        &mut out,
        "securityContext",
        &pod_security,
        &spec.security_context,
    );
    add(&mut out, "topologySpreadConstraints", &spread, &None);
    Some(out)
}

/// Into `out` at `key`: what the hardened value has that the plain one leaves out ([`missing`]),
/// when anything.
fn add<T: serde::Serialize>(out: &mut Mapping, key: &str, hard: &Option<T>, plain: &Option<T>) {
    let Some(hv) = hard.as_ref().and_then(|h| serde_yaml::to_value(h).ok()) else {
        return;
    };
    let v = match plain.as_ref().and_then(|p| serde_yaml::to_value(p).ok()) {
        None | Some(Value::Null) => Some(hv),
        Some(pv) => missing(&hv, &pv),
    };
    if let Some(v) = v.filter(|v| !v.is_null()) {
        out.insert(Value::from(key), v);
    }
}

/// A Deployment's `rollingUpdate` as its template writes it (catalog `render.rolling_update`):
/// a number as a number, anything else ("25%") as text.
pub(super) fn rolling_update(r: &RollingUpdateRender) -> RollingUpdateDeployment {
    let figure = |v: &Option<String>| {
        v.as_ref().map(|t| match t.parse::<i32>() {
            Ok(n) => IntOrString::Int(n),
            Err(_) => IntOrString::String(t.clone()),
        })
    };
    RollingUpdateDeployment {
        max_surge: figure(&r.max_surge),
        max_unavailable: figure(&r.max_unavailable),
    }
}

/// The pod anti-affinity a template writes (catalog `render.anti_affinity`).
fn anti_affinity(a: &AntiAffinityRender) -> Affinity {
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_expressions: Some(
                a.match_in
                    .iter()
                    .map(|(key, values)| LabelSelectorRequirement {
                        key: key.clone(),
                        operator: "In".into(),
                        values: Some(values.clone()),
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        topology_key: a.topology_key.clone(),
        ..Default::default()
    };
    let anti = match a.weight {
        Some(weight) => PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                WeightedPodAffinityTerm {
                    weight,
                    pod_affinity_term: term,
                },
            ]),
            ..Default::default()
        },
        None => PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![term]),
            ..Default::default()
        },
    };
    Affinity {
        pod_anti_affinity: Some(anti),
        ..Default::default()
    }
}

/// Hardening for a main container the template writes without probes although it serves a
/// port: a TCP connect to its first port (no health endpoint is assumed), with Tonnage's
/// timings.
fn tcp_probe(port: &crate::model::catalog::Port, liveness: bool) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::String(port.name.clone()),
            ..Default::default()
        }),
        initial_delay_seconds: Some(if liveness { 30 } else { 5 }),
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        failure_threshold: Some(if liveness { 6 } else { 3 }),
        ..Default::default()
    }
}

/// The map a template writes, typed; `None` when its conditions do not hold, when it has no
/// field, or when the values give something the type cannot hold (the API server would refuse
/// it too).
fn written<T: serde::de::DeserializeOwned>(ctx: &Ctx, w: &WrittenMap) -> Option<T> {
    let holds = w.when.iter().all(|p| truthy(ctx.get(p.as_str())))
        && !w.unless.iter().any(|p| truthy(ctx.get(p.as_str())));
    if !holds {
        return None;
    }
    let mut m = Mapping::new();
    for (name, f) in &w.fields {
        let v = match (&f.value, &f.values) {
            (Some(text), _) => as_written(text),
            (None, Some(path)) => match ctx.get(path.as_str()) {
                Some(v) if f.if_set && !truthy(Some(v)) => continue,
                Some(v @ (Value::Mapping(_) | Value::Sequence(_))) => v.clone(),
                Some(v) => as_written(&super::scalar_text(v).unwrap_or_default()),
                None => continue,
            },
            (None, None) => continue,
        };
        if !v.is_null() {
            m.insert(Value::from(name.as_str()), v);
        }
    }
    if m.is_empty() {
        return None;
    }
    serde_yaml::from_value(Value::Mapping(m)).ok()
}

/// Text a template writes, read back as YAML reads Helm's output ("1000" is a number).
fn as_written(text: &str) -> Value {
    simple_scalar(text)
        .unwrap_or_else(|| serde_yaml::from_str(text).unwrap_or_else(|_| Value::from(text)))
}

/// What `serde_yaml::from_str` reads from the texts most catalog fields hold, without starting
/// a YAML parser (which cost more than the rest of the field): a decimal number without a
/// leading zero, or a word of ASCII letters and digits that starts with a letter (a boolean
/// or null as serde_yaml spells them, else a string). `None` for anything else.
fn simple_scalar(text: &str) -> Option<Value> {
    let b = text.as_bytes();
    match b.first()? {
        b'1'..=b'9' if b.len() <= 18 && b.iter().all(u8::is_ascii_digit) => {
            text.parse::<u64>().ok().map(Value::from)
        }
        b'0' if b.len() == 1 => Some(Value::from(0u64)),
        c if c.is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric) => {
            Some(match text {
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                "null" | "Null" | "NULL" => Value::Null,
                _ => Value::from(text),
            })
        }
        _ => None,
    }
}

/// Go template truth: false, 0, "", null and empty lists and maps are false.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Sequence(s)) => !s.is_empty(),
        Some(Value::Mapping(m)) => !m.is_empty(),
        Some(Value::Tagged(t)) => truthy(Some(&t.value)),
    }
}

/// What `hardened` has that `plain` leaves out: map keys `plain` lacks, recursively; the
/// containers of a pod by name (each with its name and what it lacks). `None`: nothing.
pub(super) fn missing(hardened: &Value, plain: &Value) -> Option<Value> {
    match (hardened, plain) {
        (Value::Mapping(h), Value::Mapping(p)) => {
            let mut out = Mapping::new();
            for (k, hv) in h {
                let add = match p.get(k) {
                    None | Some(Value::Null) => Some(hv.clone()),
                    Some(pv) if is_container_list(k) => missing_by_name(hv, pv),
                    Some(pv) => missing(hv, pv),
                };
                if let Some(v) = add {
                    out.insert(k.clone(), v);
                }
            }
            (!out.is_empty()).then_some(Value::Mapping(out))
        }
        _ => None,
    }
}

fn is_container_list(k: &Value) -> bool {
    matches!(k.as_str(), Some("containers" | "initContainers"))
}

fn missing_by_name(hardened: &Value, plain: &Value) -> Option<Value> {
    let (Value::Sequence(h), Value::Sequence(p)) = (hardened, plain) else {
        return None;
    };
    let out: Vec<Value> = h
        .iter()
        .filter_map(|hc| {
            let name = hc.get("name")?;
            let pc = p.iter().find(|pc| pc.get("name") == Some(name))?;
            let Some(Value::Mapping(m)) = missing(hc, pc) else {
                return None;
            };
            let mut named = Mapping::new();
            named.insert(Value::from("name"), name.clone());
            named.extend(m);
            Some(Value::Mapping(named))
        })
        .collect();
    (!out.is_empty()).then_some(Value::Sequence(out))
}

/// A strategic-merge patch applied as kustomize applies it to these objects: maps merge key by
/// key, containers and init containers by name (a new name is added), anything else replaced.
pub(super) fn merge(obj: &mut Value, patch: &Value) {
    match (obj, patch) {
        (Value::Mapping(o), Value::Mapping(p)) => {
            for (k, pv) in p {
                match o.get_mut(k) {
                    Some(Value::Sequence(items)) if is_container_list(k) => {
                        for pc in pv.as_sequence().into_iter().flatten() {
                            let name = pc.get("name");
                            match items.iter_mut().find(|c| c.get("name") == name) {
                                Some(c) => merge(c, pc),
                                None => items.push(pc.clone()),
                            }
                        }
                    }
                    Some(ov) => merge(ov, pv),
                    None => {
                        o.insert(k.clone(), pv.clone());
                    }
                }
            }
        }
        (o, p) => *o = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn missing_keeps_only_what_the_plain_side_leaves_out() {
        let h = y("{a: 1, b: {c: 2, d: 3}, containers: [{name: x, s: {p: 1}, r: 1}, {name: y, r: 2}], l: [1]}");
        let p = y("{a: 5, b: {c: 9}, containers: [{name: x, r: 1}, {name: y, r: 2}], l: [2]}");
        assert_eq!(
            missing(&h, &p),
            Some(y("{b: {d: 3}, containers: [{name: x, s: {p: 1}}]}"))
        );
        assert_eq!(missing(&h, &h), None);
    }

    #[test]
    fn merge_is_a_strategic_merge() {
        let mut o = y("{a: 1, b: {c: 2}, containers: [{name: x, r: 1}], l: [1, 2]}");
        merge(
            &mut o,
            &y("{b: {d: 3}, containers: [{name: x, s: 2}, {name: z}], l: [3]}"),
        );
        assert_eq!(
            o,
            y("{a: 1, b: {c: 2, d: 3}, containers: [{name: x, r: 1, s: 2}, {name: z}], l: [3]}")
        );
    }

    #[test]
    fn go_template_truth() {
        for (v, t) in [
            ("null", false),
            ("false", false),
            ("0", false),
            ("''", false),
            ("[]", false),
            ("{}", false),
            ("true", true),
            ("1", true),
            ("x", true),
        ] {
            assert_eq!(truthy(Some(&y(v))), t, "{v}");
        }
        assert_eq!(as_written("999"), Value::from(999));
        assert_eq!(as_written("OnRootMismatch"), Value::from("OnRootMismatch"));
    }

    #[test]
    fn simple_scalars_read_as_the_yaml_parser_reads_them() {
        let texts = [
            "0",
            "7",
            "1000",
            "999999999999999999",
            "RuntimeDefault",
            "OnRootMismatch",
            "true",
            "True",
            "TRUE",
            "false",
            "FALSE",
            "null",
            "Null",
            "NULL",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "inf",
            "infinity",
            "nan",
            "NaN",
            "Infinity",
            "e5",
            "E10",
            "x1",
            "abc123",
        ];
        for t in texts {
            let parsed: Value = serde_yaml::from_str(t).unwrap();
            assert_eq!(simple_scalar(t), Some(parsed), "{t}");
        }
        // Left to the parser: leading zeros, signs, floats, punctuation, spaces, empty text.
        for t in [
            "", "00", "0755", "-1", "+1", "1.5", "1e3", "0x1F", ".inf", "~", "a b", "a:b",
        ] {
            assert_eq!(simple_scalar(t), None, "{t}");
            assert_eq!(
                as_written(t),
                serde_yaml::from_str(t).unwrap_or(Value::from(t))
            );
        }
    }
}
