//! cauldron-frappe (seemslegit42/cauldron at 702406b, cauldron-frappe/): what its templates do
//! that the catalog's data does not express. Its Secret `<release>-secret` (admin-password),
//! its ConfigMap `<release>-config` (common_site_config.json from the values; the entrypoint
//! scripts its authors wrote, as placeholders), each container's environment, and the init
//! containers that wait for PostgreSQL and Redis.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVar, SecurityContext};

use super::{
    container_security, entry, env, env_secret, init_resources, scalar_text, sh_quote,
    template_placeholder, ChartModule, Ctx, Extras, SecretRef,
};
use crate::model::catalog::Component;

pub(super) struct CauldronFrappe;

impl ChartModule for CauldronFrappe {
    fn workload(&self, ctx: &Ctx, c: &Component, x: &mut Extras) {
        x.env = frappe_env(ctx, c);
        x.init = frappe_init(ctx, c);
    }

    /// templates/secret.yaml: `frappe.site.adminPassword`, `b64enc`.
    fn secrets(&self, ctx: &Ctx) -> Vec<(String, Vec<(&'static str, String)>)> {
        let password = ctx.text("frappe.site.adminPassword").unwrap_or_default();
        vec![(frappe_secret(ctx), vec![("admin-password", password)])]
    }

    fn secrets_in_data(&self) -> bool {
        true
    }

    fn config_maps(&self, ctx: &Ctx) -> Vec<(String, BTreeMap<String, String>)> {
        vec![(format!("{}-config", ctx.release), frappe_config(ctx))]
    }
}

/// The chart's own Secret of cauldron-frappe (templates/secret.yaml): `admin-password`.
fn frappe_secret(ctx: &Ctx) -> String {
    format!("{}-secret", ctx.release)
}

/// Where cauldron-frappe's containers read the database password: the Secret and key
/// `frappe.db.passwordSecret` / `frappe.db.passwordKey` name (cauldron-infra's cauldron-secrets).
fn frappe_db_password(ctx: &Ctx) -> Option<SecretRef> {
    Some(SecretRef {
        name: ctx.text("frappe.db.passwordSecret")?,
        key: ctx.text("frappe.db.passwordKey")?,
    })
}

/// The queues of `frappe.worker.queues`, comma-separated.
fn frappe_queues(ctx: &Ctx) -> String {
    let queues: Vec<String> = ctx
        .list("frappe.worker.queues")
        .into_iter()
        .filter_map(scalar_text)
        .collect();
    if queues.is_empty() {
        "default,short,long".to_string()
    } else {
        queues.join(",")
    }
}

/// cauldron-frappe's container environment (templates/*deployment.yaml): the site, the
/// database address and user, the database password from the Secret the values name, the admin
/// password (web) from the chart's Secret, the worker's queues.
fn frappe_env(ctx: &Ctx, c: &Component) -> Vec<EnvVar> {
    let mut e = Vec::new();
    if let Some(site) = ctx.text("frappe.site.name") {
        e.push(env("SITE_NAME", site));
    }
    if c.role == "app" {
        let admin = SecretRef {
            name: frappe_secret(ctx),
            key: "admin-password".into(),
        };
        e.push(env_secret("ADMIN_PASSWORD", &admin));
    }
    for (name, path) in [
        ("DB_HOST", "frappe.db.host"),
        ("DB_PORT", "frappe.db.port"),
        ("DB_NAME", "frappe.db.name"),
        ("DB_USER", "frappe.db.user"),
    ] {
        if let Some(v) = ctx.text(path) {
            e.push(env(name, v));
        }
    }
    if let Some(r) = frappe_db_password(ctx) {
        e.push(env_secret("DB_PASSWORD", &r));
    }
    if c.role == "worker" {
        e.push(env("WORKER_QUEUES", frappe_queues(ctx)));
    }
    if c.role == "app" {
        // templates/deployment.yaml: `{{ range }}{{ .name }}:{{ .branch }} {{- end }}`, the
        // space trimmed by `{{-`: the entries run together.
        let apps = |path: &str, keys: &[&str]| -> String {
            ctx.list(path)
                .iter()
                .map(|a| {
                    keys.iter()
                        .map(|k| entry(a, k).and_then(scalar_text).unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(":")
                })
                .collect()
        };
        e.push(env(
            "STANDARD_APPS",
            apps("frappe.apps", &["name", "branch"]),
        ));
        e.push(env(
            "CUSTOM_APPS",
            apps("frappe.customApps", &["name", "repo", "branch"]),
        ));
    }
    e
}

/// cauldron-frappe's init containers (`frappe.initContainers`): wait for PostgreSQL
/// (`frappe.db.*`), then, nested in the same switch as the chart has it, for the three Redis
/// hosts (`frappe.redis.*`). The images are the values' `repository:tag` strings; the waiting
/// loops are Tonnage's own (the chart's commands render as one string and fail to start).
fn frappe_init(ctx: &Ctx, c: &Component) -> Vec<Container> {
    let mut out = Vec::new();
    let p = "frappe.initContainers";
    if !ctx.bool_at((p, "waitForDb.enabled"), false) {
        return out;
    }
    let security = SecurityContext {
        read_only_root_filesystem: Some(true),
        ..container_security(ctx, c)
    };
    if let (Some(img), Some(host)) = (ctx.text((p, "waitForDb.image")), ctx.text("frappe.db.host"))
    {
        let port = ctx.text("frappe.db.port").unwrap_or_else(|| "5432".into());
        let script = format!(
            "until pg_isready -h {} -p {}; do echo waiting for PostgreSQL; sleep 2; done",
            sh_quote(&host),
            sh_quote(&port)
        );
        out.push(Container {
            name: "wait-for-db".into(),
            image: Some(img),
            command: Some(vec!["sh".into(), "-c".into(), script]),
            resources: Some(init_resources()),
            security_context: Some(security.clone()),
            ..Default::default()
        });
    }
    if ctx.bool_at((p, "waitForRedis.enabled"), false) {
        if let Some(img) = ctx.text((p, "waitForRedis.image")) {
            let port = ctx
                .text("frappe.redis.port")
                .unwrap_or_else(|| "6379".into());
            let mut script = String::new();
            for key in ["cacheHost", "queueHost", "socketioHost"] {
                let Some(host) = ctx.text(("frappe.redis", key)) else {
                    continue;
                };
                if !script.is_empty() {
                    script.push_str("; ");
                }
                script.push_str(&format!(
                    "until redis-cli -h {h} -p {p} ping; do echo waiting for {h}; sleep 2; done",
                    h = sh_quote(&host),
                    p = sh_quote(&port)
                ));
            }
            if !script.is_empty() {
                out.push(Container {
                    name: "wait-for-redis".into(),
                    image: Some(img),
                    command: Some(vec!["sh".into(), "-c".into(), script]),
                    resources: Some(init_resources()),
                    security_context: Some(security),
                    ..Default::default()
                });
            }
        }
    }
    out
}

/// cauldron-frappe's ConfigMap (templates/configmap.yaml): common_site_config.json from
/// `frappe.db.*`, `frappe.redis.*`, `frappe.service.*` and `frappe.bench.*` (what the values
/// make of it, which external endpoints change), and the chart's four entrypoint scripts, text
/// its authors wrote: each a placeholder naming the template (render.sh prints them).
fn frappe_config(ctx: &Ctx) -> BTreeMap<String, String> {
    let mut cfg = serde_json::Map::new();
    let text = |p: &str| ctx.text(p).unwrap_or_default();
    cfg.insert("db_host".into(), text("frappe.db.host").into());
    cfg.insert(
        "db_port".into(),
        ctx.int_at("frappe.db.port").unwrap_or(5432).into(),
    );
    let redis_port = ctx
        .text("frappe.redis.port")
        .unwrap_or_else(|| "6379".into());
    for (key, host, db) in [
        ("redis_cache", "frappe.redis.cacheHost", 0),
        ("redis_queue", "frappe.redis.queueHost", 1),
        ("redis_socketio", "frappe.redis.socketioHost", 2),
    ] {
        cfg.insert(
            key.into(),
            format!("redis://{}:{redis_port}/{db}", text(host)).into(),
        );
    }
    for (key, path) in [
        ("socketio_port", "frappe.service.socketioPort"),
        ("webserver_port", "frappe.service.webPort"),
    ] {
        if let Some(p) = ctx.int_at(path) {
            cfg.insert(key.into(), p.into());
        }
    }
    for (key, path) in [
        ("developer_mode", "frappe.bench.developerMode"),
        ("serve_default_site", "frappe.bench.serveDefaultSite"),
        ("auto_update", "frappe.bench.autoUpdate"),
        ("shallow_clone", "frappe.bench.shallowClone"),
    ] {
        if let Some(v) = ctx.get(path).and_then(|v| serde_json::to_value(v).ok()) {
            cfg.insert(key.into(), v);
        }
    }
    // A literal the template writes.
    cfg.insert("frappe_user".into(), "frappe".into());
    let json = serde_json::to_string_pretty(&serde_json::Value::Object(cfg)).unwrap_or_default();
    let script = template_placeholder("templates/configmap.yaml");
    BTreeMap::from([
        ("common_site_config.json".to_string(), format!("{json}\n")),
        ("entrypoint.sh".to_string(), script.clone()),
        ("worker-entrypoint.sh".to_string(), script.clone()),
        ("scheduler-entrypoint.sh".to_string(), script.clone()),
        ("socketio-entrypoint.sh".to_string(), script),
    ])
}
