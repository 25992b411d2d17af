//! What a component's container and pod need beyond the common parts ([`Extras`]): its
//! environment, command, volumes, init containers and ServiceAccount, by image family, then the
//! chart module's, then what the chart's templates write (catalog `render`), which replaces
//! Tonnage's.

use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, ConfigMapKeySelector, Container, EnvFromSource, EnvVar, EnvVarSource,
    Lifecycle, Probe, SecretEnvSource, Volume, VolumeMount,
};
use serde_yaml::Value;

use super::chart_module;
use super::components::{base, family, headless_name, object_name, own_prefix, Family, Work};
use super::containers::{
    config_map_volume, empty_dir, env, env_field, env_secret, mount, read_only_root, SecretRef,
};
use super::context::{entry, scalar_text, Ctx};
use super::objects::PLACEHOLDER;
use super::output::Sink;
use super::workloads::own_service;
use crate::model::catalog::render::{ComponentRender, EnvEntry, KeyRef};
use crate::model::catalog::Component;

/// What a component's container and pod need beyond the common parts.
#[derive(Default)]
pub(super) struct Extras {
    pub(super) env: Vec<EnvVar>,
    pub(super) env_from: Vec<EnvFromSource>,
    pub(super) command: Option<Vec<String>>,
    pub(super) args: Option<Vec<String>>,
    pub(super) volumes: Vec<Volume>,
    pub(super) mounts: Vec<VolumeMount>,
    pub(super) init: Vec<Container>,
    /// A ServiceAccount of its own: the pods run as it.
    pub(super) service_account: Option<String>,
    /// The main container's lifecycle hooks (the Qdrant chart's preStop).
    pub(super) lifecycle: Option<Lifecycle>,
    /// Probes for a component the catalog gives none (it serves no port): used only where the
    /// catalog's `probes` has no entry.
    pub(super) liveness: Option<Probe>,
    pub(super) readiness: Option<Probe>,
}

/// An `env` list of the values (`memoryApi.env`, Rhesis's `backend.env`...) as the chart passes
/// it through: entries with a name and a value or a `valueFrom`; malformed entries are left out.
pub(super) fn env_list(ctx: &Ctx, path: &str) -> Vec<EnvVar> {
    ctx.list(path)
        .into_iter()
        .filter_map(|e| {
            let name = entry(e, "name").and_then(scalar_text)?;
            if let Some(from) = entry(e, "valueFrom") {
                let from: EnvVarSource = serde_yaml::from_value(from.clone()).ok()?;
                return Some(EnvVar {
                    name,
                    value_from: Some(from),
                    ..Default::default()
                });
            }
            Some(EnvVar {
                name,
                value: entry(e, "value").and_then(scalar_text),
                ..Default::default()
            })
        })
        .collect()
}

/// Where a plain PostgreSQL or Redis image (the chart's own templates or manifests) reads its
/// password when the values name no existing Secret: the chart's own Secret and key.
pub(super) fn own_password(ctx: &Ctx, c: &Component, family: Family) -> SecretRef {
    let (name, key) = match (ctx.chart.id.as_str(), family) {
        // k8s/v03/secret.yaml: Secret caracal-secrets, keys DB_PASSWORD and REDIS_PASSWORD.
        ("caracal", Family::Redis) => ("caracal-secrets".to_string(), "REDIS_PASSWORD"),
        ("caracal", _) => ("caracal-secrets".to_string(), "DB_PASSWORD"),
        // templates/secret.yaml: Secret cauldron-secrets, TimescaleDB's key timescale-password.
        ("cauldron-infra", Family::Postgres) => {
            ("cauldron-secrets".to_string(), "timescale-password")
        }
        (_, Family::Redis) => (format!("{}-{}", ctx.release, c.id), "redis-password"),
        _ => (format!("{}-{}", ctx.release, c.id), "postgresql-password"),
    };
    SecretRef {
        name,
        key: key.into(),
    }
}

/// A plain image's password: the existing Secret at `<prefix>.auth.existingSecret` (its key at
/// `<prefix>.auth.secretKeys.password`, Rhesis), else the chart's own Secret (with a placeholder).
pub(super) fn plain_password(
    ctx: &Ctx,
    sink: &mut Sink,
    c: &Component,
    family: Family,
) -> SecretRef {
    let own = own_password(ctx, c, family);
    let p = own_prefix(c).unwrap_or_default();
    if let Some(name) = ctx.text((p, "auth.existingSecret")) {
        let key = ctx.text((p, "auth.secretKeys.password")).unwrap_or(own.key);
        return SecretRef { name, key };
    }
    // The chart's module writes the value its template does; a chart without one gets a
    // placeholder.
    sink.secrets
        .entry(own.name.clone())
        .or_default()
        .entry(own.key.clone())
        .or_insert_with(|| PLACEHOLDER.to_string());
    own
}

pub(super) fn extras(ctx: &Ctx, sink: &mut Sink, w: &Work) -> Extras {
    let c = w.c;
    let b = base(c);
    let mut x = Extras::default();
    // The Service that names the pods: the workload's own where it has one.
    let pods_service = match own_service(c) {
        Some(_) => w.name.clone(),
        None => headless_name(&w.name),
    };
    let headless = format!("{pods_service}.{}.svc.cluster.local", ctx.namespace);
    match w.family {
        // Their pods are the Bitnami charts' (`bitnami/`), never rendered here.
        Family::BitnamiPostgres | Family::BitnamiRedis | Family::BitnamiRabbitmq => {}
        Family::Postgres => {
            let p = own_prefix(c).unwrap_or_default();
            let user = ctx
                .text((p, "auth.username"))
                .unwrap_or_else(|| "postgres".into());
            let pw = plain_password(ctx, sink, c, w.family);
            x.env.push(env("POSTGRES_USER", user));
            x.env.push(env_secret("POSTGRES_PASSWORD", &pw));
            if let Some(d) = ctx.text((p, "auth.database")) {
                x.env.push(env("POSTGRES_DB", d));
            }
            // A subdirectory, so a fresh volume's lost+found does not stop initdb.
            x.env.push(env("PGDATA", "/var/lib/postgresql/data/pgdata"));
        }
        Family::Redis => {
            let p = own_prefix(c).unwrap_or_default();
            // Rhesis switches the password with `redis.auth.enabled`; Caracal's values only
            // carry one (`redis.auth.password`); cauldron-infra's Frappe instances have none.
            let auth = match ctx.get((p, "auth.enabled")) {
                Some(_) => ctx.bool_at((p, "auth.enabled"), false),
                None => ctx.has((p, "auth.password")) || ctx.has((p, "auth.existingSecret")),
            };
            let mut args = Vec::new();
            if auth {
                let pw = plain_password(ctx, sink, c, w.family);
                x.env.push(env_secret("REDIS_PASSWORD", &pw));
                args.push("--requirepass".to_string());
                args.push("$(REDIS_PASSWORD)".to_string());
            }
            if w.persisted() {
                args.push("--appendonly".into());
                args.push("yes".into());
            }
            if !args.is_empty() {
                x.args = Some(args);
            }
        }
        Family::Qdrant => {
            x.env.push(env("QDRANT__SERVICE__HTTP_PORT", "6333"));
            x.env.push(env("QDRANT__SERVICE__GRPC_PORT", "6334"));
            if read_only_root(ctx, c) {
                // Qdrant writes its init marker into the working directory unless told.
                x.env
                    .push(env("QDRANT_INIT_FILE_PATH", "/tmp/.qdrant-initialized"));
            }
        }
        Family::Kafka => {
            if let Some(zk) = ctx
                .chart
                .components
                .iter()
                .find(|z| family(z) == Family::Zookeeper)
            {
                x.env.push(env(
                    "KAFKA_ZOOKEEPER_CONNECT",
                    format!("{}:2181", object_name(ctx, zk)),
                ));
            }
            x.env
                .push(env("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:9092"));
            x.env
                .push(env("KAFKA_LOG_DIRS", "/var/lib/kafka/data/logs"));
            if let Some(Value::Mapping(m)) = ctx.get((&b, "config")) {
                for (k, v) in m {
                    if let (Some(k), Some(v)) = (k.as_str(), scalar_text(v)) {
                        x.env.push(env(&format!("KAFKA_{}", screaming_snake(k)), v));
                    }
                }
            }
            let script = format!(
                "export KAFKA_BROKER_ID=\"${{HOSTNAME##*-}}\" \
                 KAFKA_ADVERTISED_LISTENERS=\"PLAINTEXT://${{HOSTNAME}}.{headless}:9092\" && \
                 exec /etc/confluent/docker/run"
            );
            x.command = Some(vec!["sh".into(), "-c".into(), script]);
        }
        Family::Zookeeper => {
            x.env.push(env("ZOOKEEPER_CLIENT_PORT", "2181"));
            x.env.push(env("ZOOKEEPER_TICK_TIME", "2000"));
            x.env.push(env("ZOOKEEPER_INIT_LIMIT", "5"));
            x.env.push(env("ZOOKEEPER_SYNC_LIMIT", "2"));
            let n = w.replicas.clamp(1, 255);
            let servers: Vec<String> = (0..n)
                .map(|i| format!("{}-{i}.{headless}:2888:3888", w.name))
                .collect();
            x.env.push(env("ZOOKEEPER_SERVERS", servers.join(";")));
            let script = "export ZOOKEEPER_SERVER_ID=$(( ${HOSTNAME##*-} + 1 )) && \
                          exec /etc/confluent/docker/run"
                .to_string();
            x.command = Some(vec!["sh".into(), "-c".into(), script]);
        }
        // Its env and init containers: the chart's module; its ConfigMap's mounts and the
        // command: the catalog's `render` (the templates').
        Family::Frappe => {}
        Family::App => {
            if let Some(p) = own_prefix(c) {
                x.env = env_list(ctx, &format!("{p}.env"));
            }
        }
    }
    if let Some(m) = chart_module(&ctx.chart.id) {
        m.workload(ctx, c, &mut x);
    }
    if let Some(r) = c.render() {
        template_env(ctx, r, &mut x);
    }
    x
}

/// The environment, `envFrom` and ConfigMap volumes as the chart's template writes them
/// (catalog `render`): the template's own entries replace Tonnage's, text the chart's authors
/// wrote is a placeholder naming its template.
pub(super) fn template_env(ctx: &Ctx, r: &ComponentRender, x: &mut Extras) {
    if let Some(entries) = &r.env {
        x.env = template_env_list(ctx, entries);
        if let Some(p) = &r.env_values {
            x.env.extend(env_list(ctx, p));
        }
    }
    // Given, they replace the module's (RAE's Celery worker loads a ConfigMap no key names).
    if !r.env_from.is_empty() {
        x.env_from = env_from(ctx, r);
    }
    if !r.config_volumes.is_empty() {
        x.volumes.clear();
        x.mounts.clear();
    }
    for v in &r.config_volumes {
        let name = v.config_map.replace("{release}", &ctx.release);
        x.volumes.push(config_map_volume(&v.name, &name, v.mode));
        x.mounts
            .extend(v.path.as_deref().map(|p| mount(&v.name, p)));
        for m in &v.mounts {
            x.mounts.push(VolumeMount {
                sub_path: Some(m.sub_path.clone()),
                ..mount(&v.name, &m.path)
            });
        }
    }
    for d in &r.empty_dirs {
        x.volumes.push(empty_dir(&d.name, false));
        x.mounts.push(mount(&d.name, &d.path));
    }
    if r.command.is_some() {
        x.command.clone_from(&r.command);
        x.args.clone_from(&r.args);
    }
    if let Some(p) = &r.command_inline {
        x.command = ctx.get(p.as_str()).map(inline_list);
        x.args.clone_from(&r.args);
    }
    for init in &mut x.init {
        if let Some(entries) = r.init_env.get(&init.name) {
            init.env = Some(template_env_list(ctx, entries)).filter(|e| !e.is_empty());
            init.resources = None;
        }
    }
}

/// The `envFrom` sources of the catalog's `render.env_from` that the values name.
pub(super) fn env_from(ctx: &Ctx, r: &ComponentRender) -> Vec<EnvFromSource> {
    r.env_from
        .iter()
        .filter_map(|f| {
            let literal = f.config_map.clone();
            if let Some(name) =
                literal.or_else(|| f.config_map_at.as_ref().and_then(|p| ctx.text(p)))
            {
                return Some(EnvFromSource {
                    config_map_ref: Some(ConfigMapEnvSource {
                        name,
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            let name = f.secret_at.as_ref().and_then(|p| ctx.text(p))?;
            Some(EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name,
                    ..Default::default()
                }),
                ..Default::default()
            })
        })
        .collect()
}

/// A values list as a template prints it inline (`command: {{ .Values.x }}`): Go writes
/// `[a b c]`, which YAML reads as a flow list: one item, the words joined by spaces (more
/// where a word holds a comma). A scalar is one item.
pub(super) fn inline_list(v: &Value) -> Vec<String> {
    let joined = match v {
        Value::Sequence(items) => items
            .iter()
            .map(|i| scalar_text(i).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" "),
        v => return scalar_text(v).into_iter().collect(),
    };
    joined
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Environment entries as the chart's template writes them (catalog `render.env`).
pub(super) fn template_env_list(ctx: &Ctx, entries: &[EnvEntry]) -> Vec<EnvVar> {
    let key_ref = |k: &KeyRef| {
        let name = match (&k.name_at, &k.name) {
            (Some(p), _) => ctx.text(p)?,
            (None, Some(n)) => n.clone(),
            (None, None) => return None,
        };
        let key = match (&k.key_at, &k.key) {
            (Some(p), _) => ctx.text(p)?,
            (None, Some(k)) => k.clone(),
            (None, None) => return None,
        };
        Some((name, key))
    };
    entries
        .iter()
        .filter_map(|e| {
            if let Some(v) = &e.value {
                return Some(env(&e.name, v.as_str()));
            }
            if let Some(p) = &e.values {
                return Some(env(&e.name, ctx.text(p).unwrap_or_default()));
            }
            if let Some(t) = &e.template {
                return Some(env(&e.name, template_placeholder(t)));
            }
            if let Some(f) = &e.field {
                return Some(env_field(&e.name, f));
            }
            if let Some(p) = &e.pods {
                let n = ctx.count_at(p.count.as_str(), 1).clamp(1, 255);
                let list: Vec<String> = (0..n)
                    .map(|i| format!("{}{i}{}", p.prefix, p.suffix))
                    .collect();
                return Some(env(&e.name, list.join(&p.sep)));
            }
            if let Some((name, key)) = e.secret.as_ref().and_then(key_ref) {
                return Some(env_secret(&e.name, &SecretRef { name, key }));
            }
            let (name, key) = e.config_map.as_ref().and_then(key_ref)?;
            Some(EnvVar {
                name: e.name.clone(),
                value_from: Some(EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name,
                        key,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            })
        })
        .collect()
}

/// The one-line value that stands for text the chart's authors wrote in a template: the
/// bundle's render.sh prints the real value with `helm template`.
pub fn template_placeholder(template: &str) -> String {
    format!("(written by the chart's {template}: run render.sh for the complete value)")
}

/// The one-line value that stands for a Secret value the chart's template generates at install
/// (`randAlphaNum`): there is no value to print before Helm runs.
pub fn generated_placeholder(template: &str) -> String {
    format!("(generated at install by the chart's {template})")
}

pub(super) fn screaming_snake(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_uppercase() && !out.is_empty() {
            out.push('_');
        }
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_uppercase());
        } else {
            out.push('_');
        }
    }
    out
}

/// The kebab-case of a camelCase key (`openaiApiKey` -> `openai-api-key`).
pub(super) fn kebab(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_uppercase() && !out.is_empty() {
            out.push('-');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}
