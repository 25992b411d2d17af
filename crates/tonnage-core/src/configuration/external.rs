//! External endpoints: a dependency switched off (or whose chart is left out of the
//! configuration) replaced by a service outside it, such as a managed database.
//!
//! The user gives the endpoint as the option `external.<chart id>.<component id>` =
//! `host[:port]` in [`Configuration::options`](crate::Configuration::options) (the page's dependency warning, `--option` on the
//! command line, share links). Each chart's catalog file declares under `connections` which of its
//! values point at that dependency (`host`, `port`), or why it has none (`unsupported`); see
//! `catalog/SCHEMA.md`. [`apply`] writes the endpoint into those values, and
//! [`Configuration::effective_values`](crate::Configuration::effective_values) calls it, so the values bundle, the manifests, the plan and
//! the review all read the same tree.
//!
//! Layering: the chart's values, then the environment, then the user's overrides, then the
//! endpoints (an endpoint is the more specific statement: "this dependency lives there").
//! An empty option value counts as unset.

use std::collections::BTreeMap;
use std::fmt;

use serde_yaml::Value;

use crate::base::values::{parse_path, set_path};
use crate::model::catalog::{Catalog, Chart, Connection};
use crate::model::options::OptionError;

/// The option key prefix: `external.<chart id>.<component id>`.
pub const PREFIX: &str = "external.";

/// The option key for component `id` of chart `stack`.
pub fn option_key(stack: &str, id: &str) -> String {
    format!("{PREFIX}{stack}.{id}")
}

/// `external.<stack>.<id>` as (stack, id); `None` for any other key. Chart and component ids
/// hold no dots, so the key splits unambiguously.
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (stack, id) = rest.split_once('.')?;
    (!stack.is_empty() && !id.is_empty() && !id.contains('.')).then_some((stack, id))
}

/// A parsed endpoint: a DNS name or IPv4 address, and a port when one was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: Option<u16>,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Parse `host[:port]`. The problem names what is wrong; [`parse_option`] adds the input.
pub fn parse_endpoint(text: &str) -> Result<Endpoint, String> {
    const SHAPE: &str = "expected HOST or HOST:PORT, e.g. db.example.com:5432";
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("it is empty; {SHAPE}"));
    }
    if t.contains("://") {
        return Err(format!(
            "give the address without a scheme ({SHAPE}): the chart takes a host and a port"
        ));
    }
    if t.contains('@') {
        return Err(format!(
            "no user or password here ({SHAPE}): credentials belong in the chart's Secrets"
        ));
    }
    if t.starts_with('[') || t.matches(':').count() > 1 {
        return Err(format!(
            "IPv6 addresses are not supported; give a DNS name ({SHAPE})"
        ));
    }
    let (host, port) = match t.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (t, None),
    };
    check_host(host).map_err(|p| format!("{p}; {SHAPE}"))?;
    let port = match port {
        None => None,
        Some("") => return Err(format!("the port after ':' is missing; {SHAPE}")),
        Some(p) => match p.parse::<u32>() {
            Ok(n) if p.bytes().all(|b| b.is_ascii_digit()) && (1..=65535).contains(&n) => {
                Some(n as u16)
            }
            _ => return Err(format!("port {p:?} is not a number from 1 to 65535")),
        },
    };
    Ok(Endpoint {
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// A DNS name (RFC 1123 labels: letters, digits and '-', 1 to 63 characters, not starting or
/// ending with '-'; at most 253 characters) or a dotted IPv4 address.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    if host.len() > 253 {
        return Err(format!(
            "the host is {} characters long; a DNS name has at most 253",
            host.len()
        ));
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "host {host:?} has {c:?}; a host name has letters, digits, '-' and '.'"
        ));
    }
    let labels: Vec<&str> = host.split('.').collect();
    for l in &labels {
        if l.is_empty() || l.len() > 63 {
            return Err(format!(
                "host {host:?} has an empty or over-long part between dots"
            ));
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Err(format!(
                "host {host:?}: a part cannot start or end with '-'"
            ));
        }
    }
    let numeric = labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    let ipv4 = labels.len() == 4
        && labels
            .iter()
            .all(|l| l.len() <= 3 && l.parse::<u16>().is_ok_and(|n| n <= 255));
    if numeric && !ipv4 {
        return Err(format!("host {host:?} is not an IPv4 address"));
    }
    Ok(())
}

/// Check one option as a front end sets it, when its key starts with [`PREFIX`]: the key names
/// a component of the catalog, and the value is empty (unset) or a well-formed endpoint.
pub fn check_option(catalog: &Catalog, key: &str, value: &str) -> Result<(), OptionError> {
    let bad = |problem: String| OptionError {
        key: key.to_string(),
        value: value.to_string(),
        problem,
    };
    let Some((stack, id)) = split_key(key) else {
        return Err(bad(format!(
            "expected {PREFIX}<chart id>.<component id>, e.g. {PREFIX}cauldron-infra.postgresql"
        )));
    };
    let Some(chart) = catalog.chart(stack) else {
        return Err(bad(format!(
            "unknown chart {stack:?}; valid charts: {}",
            catalog.chart_ids().join(", ")
        )));
    };
    if chart.component(id).is_none() {
        let valid: Vec<&str> = chart.components.iter().map(|c| c.id.as_str()).collect();
        return Err(bad(format!(
            "{stack} has no component {id:?}; valid components: {}",
            valid.join(", ")
        )));
    }
    if value.trim().is_empty() {
        return Ok(());
    }
    parse_endpoint(value).map(|_| ()).map_err(bad)
}

/// The endpoint option for component `id` of chart `stack`: `None` when unset or empty, else
/// the parsed endpoint or the error naming the option.
pub fn endpoint(
    options: &BTreeMap<String, String>,
    stack: &str,
    id: &str,
) -> Option<Result<Endpoint, OptionError>> {
    let key = option_key(stack, id);
    let value = options.get(&key).filter(|v| !v.trim().is_empty())?;
    Some(parse_endpoint(value).map_err(|problem| OptionError {
        key,
        value: value.clone(),
        problem,
    }))
}

/// The external options that cannot be used, in key order: a key naming no component of the
/// catalog, or a malformed endpoint (the review reports them as `invalid-option`).
pub fn invalid_options(catalog: &Catalog, options: &BTreeMap<String, String>) -> Vec<OptionError> {
    options
        .iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .filter_map(|(k, v)| check_option(catalog, k, v).err())
        .collect()
}

/// One value an endpoint writes: (values path, value).
pub type ValueWrite = (String, Value);

/// What the endpoints of `options` write into `chart`'s values, per connection in catalog
/// order: host (a string) and, when the endpoint gives one, port (an integer). Connections
/// without values paths, and malformed endpoints, write nothing.
pub fn writes<'a>(
    chart: &'a Chart,
    options: &BTreeMap<String, String>,
) -> Vec<(&'a Connection, Endpoint, Vec<ValueWrite>)> {
    let mut out = Vec::new();
    if chart.connections.is_empty() || !options.keys().any(|k| k.starts_with(PREFIX)) {
        return out;
    }
    for c in &chart.connections {
        let Some(host) = &c.host else { continue };
        let (stack, id) = c.target_of(&chart.id);
        let Some(Ok(e)) = endpoint(options, stack, id) else {
            continue;
        };
        let mut w = vec![(host.clone(), Value::String(e.host.clone()))];
        if let (Some(path), Some(port)) = (&c.port, e.port) {
            w.push((path.clone(), Value::Number(u64::from(port).into())));
        }
        out.push((c, e, w));
    }
    out
}

/// Write the endpoints of `options` into `values`, a tree of `chart` (see [`writes`]).
pub fn apply(chart: &Chart, options: &BTreeMap<String, String>, values: &mut Value) {
    for (_, _, w) in writes(chart, options) {
        for (path, v) in w {
            if let Ok(segs) = parse_path(&path) {
                set_path(values, &segs, v);
            }
        }
    }
}

/// Whether an endpoint of `options` writes the value at `path` of `chart`.
pub fn writes_path(chart: &Chart, options: &BTreeMap<String, String>, path: &str) -> bool {
    writes(chart, options)
        .iter()
        .any(|(_, _, w)| w.iter().any(|(p, _)| p == path))
}

/// The charts among `stacks` (a configuration's) that depend on component `id` of chart `stack`, each with the
/// connection its catalog file declares for it (values paths, or why there are none).
pub fn dependants<'a>(
    catalog: &'a Catalog,
    stacks: &[String],
    stack: &str,
    id: &str,
) -> Vec<(&'a Chart, &'a Connection)> {
    stacks
        .iter()
        .filter_map(|s| catalog.chart(s))
        .filter_map(|ch| ch.connection(stack, id).map(|c| (ch, c)))
        .collect()
}

/// A sentence for the page and the bundle: where an endpoint goes in one dependant chart.
pub fn describe(chart: &Chart, c: &Connection) -> String {
    match (&c.host, &c.port, &c.unsupported) {
        (Some(h), Some(p), _) => format!("{}: {h} and {p}", chart.id),
        (Some(h), None, _) => format!("{}: {h}", chart.id),
        (None, _, Some(why)) => format!("{}: not written ({why})", chart.id),
        _ => chart.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::values::lookup;
    use crate::configuration::config::Configuration;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    #[test]
    fn endpoints_parse() {
        let e = parse_endpoint("db.example.com:3306").unwrap();
        assert_eq!(
            e,
            Endpoint {
                host: "db.example.com".into(),
                port: Some(3306)
            }
        );
        assert_eq!(e.to_string(), "db.example.com:3306");
        let e = parse_endpoint("  Redis.Internal  ").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("redis.internal", None));
        assert_eq!(parse_endpoint("10.0.0.5:6379").unwrap().port, Some(6379));
        assert_eq!(parse_endpoint("localhost").unwrap().host, "localhost");
        assert_eq!(parse_endpoint("db:65535").unwrap().port, Some(65535));
    }

    #[test]
    fn bad_endpoints_are_rejected_with_the_reason() {
        for (input, fragment) in [
            ("", "it is empty"),
            ("   ", "it is empty"),
            ("db.example.com:", "the port after ':' is missing"),
            (
                "db.example.com:0",
                "port \"0\" is not a number from 1 to 65535",
            ),
            ("db.example.com:65536", "port \"65536\" is not a number"),
            ("db.example.com:5432x", "port \"5432x\""),
            ("db.example.com:+5432", "port \"+5432\""),
            (":5432", "the host is missing"),
            ("postgresql://db.example.com:5432", "without a scheme"),
            ("user:pw@db.example.com", "no user or password"),
            ("[2001:db8::1]:5432", "IPv6"),
            ("2001:db8::1", "IPv6"),
            ("db example.com", "has ' '"),
            ("db.example.com/frappe", "has '/'"),
            ("db_1.example.com", "has '_'"),
            ("-db.example.com", "cannot start or end with '-'"),
            ("db..example.com", "empty or over-long part"),
            ("999.1.1.1", "not an IPv4 address"),
        ] {
            let e = parse_endpoint(input).expect_err(input);
            assert!(e.contains(fragment), "{input:?}: {e}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(parse_endpoint(&long).unwrap_err().contains("over-long"));
        let too_long = vec!["a"; 130].join(".");
        assert!(parse_endpoint(&too_long)
            .unwrap_err()
            .contains("at most 253"));
    }

    #[test]
    fn option_check_names_the_input() {
        let e = check_option(cat(), "external.cauldron-infra.postgresql", "db:99999").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid option external.cauldron-infra.postgresql=\"db:99999\": port \"99999\" is \
             not a number from 1 to 65535"
        );
        let e = check_option(cat(), "external.cauldron-infra.postgres", "db").unwrap_err();
        assert!(
            e.to_string().contains(
                "cauldron-infra has no component \"postgres\"; valid components: postgresql,"
            ),
            "{e}"
        );
        let e = check_option(cat(), "external.nope.postgresql", "db").unwrap_err();
        assert!(e.to_string().contains("unknown chart \"nope\""), "{e}");
        let e = check_option(cat(), "external.rhesis", "db").unwrap_err();
        assert!(
            e.to_string()
                .contains("expected external.<chart id>.<component id>"),
            "{e}"
        );
        assert!(check_option(cat(), "external.cauldron-infra.postgresql", "db:5432").is_ok());
        assert!(check_option(cat(), "external.cauldron-infra.postgresql", "").is_ok());
    }

    #[test]
    fn keys_split() {
        assert_eq!(
            split_key("external.cauldron-infra.redis-queue"),
            Some(("cauldron-infra", "redis-queue"))
        );
        assert_eq!(
            split_key(&option_key("caracal", "zookeeper")),
            Some(("caracal", "zookeeper"))
        );
        for k in [
            "external.",
            "external.x",
            "external.x.",
            "external..y",
            "external.a.b.c",
            "cloud",
        ] {
            assert_eq!(split_key(k), None, "{k}");
        }
    }

    fn frappe_with(options: &[(&str, &str)]) -> Value {
        let mut c =
            Configuration::new(cat(), &["cauldron-infra", "cauldron-frappe"], "prod").unwrap();
        for (k, v) in options {
            c.options.insert(k.to_string(), v.to_string());
        }
        c.effective_values(cat().chart("cauldron-frappe").unwrap())
    }

    #[test]
    fn endpoints_are_written_into_the_dependant_values() {
        // The real chart has one port key for its three Redis hosts (frappe.redis.port): the
        // Redis endpoints here give the same port.
        let v = frappe_with(&[
            ("external.cauldron-infra.postgresql", "db.example.com:6432"),
            (
                "external.cauldron-infra.redis-cache",
                "cache.example.com:6380",
            ),
            (
                "external.cauldron-infra.redis-queue",
                "queue.example.com:6380",
            ),
            (
                "external.cauldron-infra.redis-socketio",
                "io.example.com:6380",
            ),
        ]);
        let at = |p: &str| lookup(&v, p).cloned();
        assert_eq!(at("frappe.db.host"), Some(Value::from("db.example.com")));
        assert_eq!(at("frappe.db.port"), Some(Value::from(6432)));
        assert_eq!(
            at("frappe.redis.cacheHost"),
            Some(Value::from("cache.example.com"))
        );
        assert_eq!(
            at("frappe.redis.queueHost"),
            Some(Value::from("queue.example.com"))
        );
        assert_eq!(
            at("frappe.redis.socketioHost"),
            Some(Value::from("io.example.com"))
        );
        assert_eq!(at("frappe.redis.port"), Some(Value::from(6380)));
        // No port given: the chart's port stays.
        let v = frappe_with(&[("external.cauldron-infra.redis-cache", "cache.example.com")]);
        assert_eq!(
            lookup(&v, "frappe.redis.cacheHost"),
            Some(&Value::from("cache.example.com"))
        );
        assert_eq!(lookup(&v, "frappe.redis.port"), Some(&Value::from(6379)));
        // Without options, the chart's own host: values.yaml's `postgres` (values-prod.yaml
        // leaves frappe.db alone).
        let v = frappe_with(&[]);
        assert_eq!(lookup(&v, "frappe.db.host"), Some(&Value::from("postgres")));
        assert_eq!(
            lookup(&v, "frappe.redis.cacheHost"),
            Some(&Value::from("redis-cache"))
        );
        // Empty and malformed endpoints write nothing.
        for bad in ["", "db:0"] {
            let v = frappe_with(&[("external.cauldron-infra.postgresql", bad)]);
            assert_eq!(
                lookup(&v, "frappe.db.host"),
                Some(&Value::from("postgres")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_endpoint_wins_over_an_override_of_the_same_value() {
        let mut c = Configuration::new(cat(), &["cauldron-frappe"], "dev").unwrap();
        c.set_str(cat(), "frappe.db.host=mydb").unwrap();
        let chart = cat().chart("cauldron-frappe").unwrap();
        assert_eq!(
            lookup(&c.effective_values(chart), "frappe.db.host"),
            Some(&Value::from("mydb"))
        );
        c.options.insert(
            "external.cauldron-infra.postgresql".into(),
            "db.example.com".into(),
        );
        assert_eq!(
            lookup(&c.effective_values(chart), "frappe.db.host"),
            Some(&Value::from("db.example.com"))
        );
        assert_eq!(
            c.source_of(chart, "frappe.db.host"),
            crate::configuration::config::Layer::User
        );
        assert!(writes_path(chart, &c.options, "frappe.db.host"));
        assert!(!writes_path(chart, &c.options, "frappe.db.port"));
    }

    #[test]
    fn dependants_and_their_connections() {
        let c = Configuration::new(cat(), &["cauldron-infra", "cauldron-frappe"], "prod").unwrap();
        let d = dependants(cat(), &c.stacks, "cauldron-infra", "postgresql");
        assert_eq!(d.len(), 1);
        assert_eq!(
            describe(d[0].0, d[0].1),
            "cauldron-frappe: frappe.db.host and frappe.db.port"
        );
        let c = Configuration::new(cat(), &["caracal"], "prod").unwrap();
        let d = dependants(cat(), &c.stacks, "caracal", "zookeeper");
        assert_eq!(d.len(), 1);
        assert!(d[0].1.unsupported.is_some());
        assert!(describe(d[0].0, d[0].1).starts_with("caracal: not written ("));
        assert!(dependants(cat(), &c.stacks, "cauldron-infra", "postgresql").is_empty());
    }
}
