//! Credentials: the one definition of what in a configuration is a secret. Share links leave
//! them out ([`is_credential`]), the page's autosave does not store them
//! ([`crate::configuration::config::Configuration::without_credentials`]), and the values bundle
//! offers to generate the ones a chart takes in clear text ([`credential_paths`]).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_yaml::{Mapping, Value};

use crate::base::values::{display_value, parse_path, push_key, Seg};
use crate::configuration::config::{path_known, Configuration};
use crate::model::catalog::Chart;

/// Whether an override must stay out of links: its path's last key looks like a credential
/// ([`is_credential_key`]), or its value holds one (a map key that does, or a URL with
/// `user:password@`).
pub fn is_credential(path: &str, value: &Value) -> bool {
    let last = match parse_path(path) {
        Ok(segs) => segs.iter().rev().find_map(|s| match s {
            Seg::Key(k) => Some(k.clone()),
            Seg::Index(_) => None,
        }),
        Err(_) => path.rsplit('.').next().map(str::to_string),
    };
    last.is_some_and(|k| is_credential_key(&k)) || value_holds_credential(value)
}

/// Whether a planning or endpoint option must stay out of links: its key names a credential or
/// its value is a URL with a password.
pub fn option_is_credential(key: &str, value: &str) -> bool {
    is_credential_key(key) || url_with_password(value)
}

/// Whether a values key names a credential: passwords, tokens, secrets, API and access keys,
/// private or signing keys, cookies (RabbitMQ's `erlangCookie`), `key` (TLS key material).
/// Keys that only *name* where a secret lives are not credentials: `existingSecret`,
/// `existingSecretPasswordKey`, `secretName`, `signingKeySecretName`, `secretStore`,
/// `...SecretRef`, `imagePullSecrets`.
pub fn is_credential_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let reference = k.starts_with("existing")
        || k.ends_with("secretname")
        || k.ends_with("secretref")
        || k.ends_with("secretkeyref")
        || k.starts_with("secretstore")
        || k.ends_with("pullsecrets");
    if reference {
        return false;
    }
    const ANYWHERE: [&str; 10] = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "apikey",
        "accesskey",
        "privatekey",
        "credential",
        "cookie",
        "authtoken",
    ];
    const AT_END: [&str; 9] = [
        "token",
        "tlskey",
        "sslkey",
        "clientkey",
        "signingkey",
        "encryptionkey",
        "masterkey",
        "dsn",
        "pwd",
    ];
    // A bare `key` is TLS key material; other `...Key` names (`cacheKey`, `routingKey`) are not.
    k == "key" || ANYWHERE.iter().any(|m| k.contains(m)) || AT_END.iter().any(|m| k.ends_with(m))
}

impl Configuration {
    /// The configuration less every credential ([`is_credential`] overrides,
    /// [`option_is_credential`] options): what may be stored (the page's autosave) or shared.
    pub fn without_credentials(&self) -> Configuration {
        let mut out = self.clone();
        for paths in out.overrides.values_mut() {
            paths.retain(|p, v| !is_credential(p, v));
        }
        out.overrides.retain(|_, m| !m.is_empty());
        // An origin only for an override kept.
        let kept = &out.overrides;
        for (stack, marks) in out.origins.iter_mut() {
            marks.retain(|p, _| kept.get(stack).is_some_and(|m| m.contains_key(p)));
        }
        out.origins.retain(|_, m| !m.is_empty());
        out.options.retain(|k, v| !option_is_credential(k, v));
        out
    }
}

fn value_holds_credential(value: &Value) -> bool {
    match value {
        Value::String(s) => url_with_password(s),
        Value::Sequence(items) => items.iter().any(value_holds_credential),
        Value::Mapping(map) => map.iter().any(|(k, v)| {
            let key_is_credential = match k {
                Value::String(s) => is_credential_key(s),
                _ => false,
            };
            key_is_credential || value_holds_credential(k) || value_holds_credential(v)
        }),
        Value::Tagged(t) => value_holds_credential(&t.value),
        _ => false,
    }
}

/// A URL carrying a password: `scheme://user:password@host`.
pub(crate) fn url_with_password(s: &str) -> bool {
    s.match_indices("://").any(|(i, _)| {
        let rest = s.get(i + 3..).unwrap_or_default();
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

// ---------------------------------------------------------------------------------------------
// Credentials a chart takes from its values

/// Whether a values key names a credential the chart would otherwise take in clear text.
pub(crate) fn is_chart_credential_key(key: &str) -> bool {
    if starts_with_ci(key, "existing") {
        return false; // existingSecret, existingPasswordSecret: a Secret's name
    }
    [
        "password",
        "passwd",
        "cookie",
        "secretkey",
        "secret_key",
        "jwtsecret",
        "token",
    ]
    .iter()
    .any(|suffix| ends_with_ci(key, suffix))
}

/// A segment of the path [`walk_keys`] is at: a key of the tree (borrowed when a string) or a
/// list index.
pub(crate) enum At<'v> {
    Key(Cow<'v, str>),
    Index(usize),
}

/// The `--set` text of a path [`walk_keys`] is at: [`crate::base::values::format_path`] of the same
/// segments.
pub(crate) fn at_path(segs: &[At<'_>]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            At::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                push_key(&mut out, k);
            }
            At::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// Calls `f` for each map entry of `v`: (path, key, value, the map holding it), depth first in
/// tree order, leaving out External Secrets maps and `secretKeys` maps.
pub(crate) fn walk_keys<'v, F>(v: &'v Value, segs: &mut Vec<At<'v>>, f: &mut F)
where
    F: FnMut(&[At<'_>], &str, &Value, &Mapping),
{
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                let key = match k {
                    Value::String(s) => Cow::Borrowed(s.as_str()),
                    other => Cow::Owned(display_value(other)),
                };
                // External Secrets key maps hold store references, and `secretKeys` maps (rhesis's
                // `auth.secretKeys.password: POSTGRES_PASSWORD`) the names of keys in a Secret:
                // not credentials.
                if key == "externalSecrets" || ends_with_ci(&key, "secretkeys") {
                    continue;
                }
                segs.push(At::Key(key));
                if let Some(At::Key(key)) = segs.last() {
                    f(&segs[..], key, child, m);
                }
                walk_keys(child, segs, f);
                segs.pop();
            }
        }
        Value::Sequence(items) => {
            for (i, child) in items.iter().enumerate() {
                segs.push(At::Index(i));
                walk_keys(child, segs, f);
                segs.pop();
            }
        }
        _ => {}
    }
}

/// Whether a sibling `existing*Secret` names a Secret that supplies the credential `key`
/// (`existingErlangSecret` for an Erlang cookie, `existingSecret` / `existingPasswordSecret` for
/// passwords), so the chart ignores the value.
pub(crate) fn from_existing_secret(key: &str, siblings: &Mapping) -> bool {
    let cookie = key.to_ascii_lowercase().contains("cookie");
    siblings.iter().any(|(k, v)| {
        let k = k.as_str().unwrap_or_default().to_ascii_lowercase();
        let names_secret = k.starts_with("existing")
            && k.ends_with("secret")
            && v.as_str().is_some_and(|s| !s.is_empty());
        let for_cookie = k.contains("erlang") || k.contains("cookie");
        names_secret && for_cookie == cookie
    })
}

/// The values paths of the passwords and other secrets a chart takes from its values (keys like
/// `password`, `postgresPassword`, `adminPassword`, `erlangCookie`, `secretKey`, found by walking
/// `values`, normally the chart's effective values), in tree order, so the UI can offer to
/// generate them. Not included: `existing*Secret` names, External Secrets references, and
/// credentials an `existing*Secret` beside them already supplies (as in the `prod` presets).
pub fn credential_paths(chart: &Chart, values: &Value) -> Vec<String> {
    credential_paths_and(chart, values, |_, _, _, _| {})
}

/// [`credential_paths`], calling `also` for every map entry of the same walk of `values` (as
/// [`walk_keys`] does): what else looks at every key (the bundle README's Secrets) walks the
/// tree once with it.
pub(crate) fn credential_paths_and<F>(chart: &Chart, values: &Value, mut also: F) -> Vec<String>
where
    F: FnMut(&[At<'_>], &str, &Value, &Mapping),
{
    let mut out = Vec::new();
    walk_keys(values, &mut Vec::new(), &mut |segs, key, v, parent| {
        let scalar = matches!(v, Value::String(_) | Value::Null);
        if scalar && is_chart_credential_key(key) && !from_existing_secret(key, parent) {
            let path = at_path(segs);
            // Only paths `Configuration::set` accepts, so a generated value can also be set.
            if path_known(chart, &path) {
                out.push(path);
            }
        }
        also(segs, key, v, parent);
    });
    out
}

/// `s.to_ascii_lowercase().starts_with(p)` for a lowercase ASCII `p`, without allocating.
pub(crate) fn starts_with_ci(s: &str, p: &str) -> bool {
    s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
}

/// `s.to_ascii_lowercase().ends_with(p)` for a lowercase ASCII `p`, without allocating.
pub(crate) fn ends_with_ci(s: &str, p: &str) -> bool {
    s.len() >= p.len() && s.as_bytes()[s.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
}
