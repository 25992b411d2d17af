//! Bitnami PostgreSQL 12.5.9 (templates primary/, read/, secrets.yaml): the primary
//! StatefulSet (`<fullname>` standalone, `<fullname>-primary` with architecture replication),
//! the read replicas (`<fullname>-read`), each with its Service, headless Service (`-hl`) and
//! metrics Service (`-metrics`, while `metrics.enabled`), the Secret of its passwords and the
//! init-scripts ConfigMap of `primary.initdb.scripts`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVar};

use super::{memory_dir, ports, resources, sh, Check, Set, Sub, Svc};
use crate::outputs::manifests::{
    config_map_volume, env, env_secret, mount, template_placeholder, SecretRef, Sink, Work,
};

const PORT: i32 = 5432;
const METRICS_PORT: i32 = 9187;
/// `primary.persistence.mountPath` / `readReplicas.persistence.mountPath` (Bitnami default).
const DATA: &str = "/bitnami/postgresql";
/// `metrics.image` (Bitnami default), where the values leave it out.
const METRICS_IMAGE: &str = "docker.io/bitnami/postgres-exporter:0.13.1-debian-11-r0";

pub(super) fn render(sub: &Sub, sink: &mut Sink, works: &[&Work]) {
    let replication = sub.text("architecture").as_deref() == Some("replication");
    let metrics = sub.truthy("metrics.enabled", false);
    let enable_postgres_user = sub.truthy("auth.enablePostgresUser", true);
    let username = sub.text("auth.username");
    let existing = sub.text("auth.existingSecret");
    let secret_name = existing.clone().unwrap_or_else(|| sub.name(""));
    // secrets.yaml: only without an existing Secret, and while the postgres user is enabled.
    if existing.is_none() && enable_postgres_user {
        let provided = |global: Option<&str>, own: &str| {
            global
                .and_then(|g| sub.global_text(g))
                .or_else(|| sub.text(own))
        };
        let mut keys = vec![(
            "postgres-password",
            provided(
                Some("postgresql.auth.postgresPassword"),
                "auth.postgresPassword",
            ),
        )];
        if username.is_some() {
            keys.push((
                "password",
                provided(Some("postgresql.auth.password"), "auth.password"),
            ));
        }
        if replication {
            keys.push((
                "replication-password",
                provided(None, "auth.replicationPassword"),
            ));
        }
        sub.secret(sink, &secret_name, "secrets.yaml", &keys);
    }
    let primary_name = if replication {
        sub.name("primary")
    } else {
        sub.name("")
    };
    let custom_user = username.clone().filter(|u| u != "postgres");
    let pass = |key: &str| SecretRef {
        name: secret_name.clone(),
        key: key.to_string(),
    };
    let user_key = if custom_user.is_some() {
        "password"
    } else {
        "postgres-password"
    };
    for w in works {
        let read = w.c.id.ends_with("-read");
        let (prefix, component) = if read {
            ("readReplicas", "read")
        } else {
            ("primary", "primary")
        };
        let name = w.name.clone();
        // Services: client, headless, metrics.
        sub.service(
            sink,
            Svc {
                type_: sub.text(&format!("{prefix}.service.type")),
                ..Svc::new(
                    name.clone(),
                    component,
                    vec![("tcp-postgresql", PORT, "tcp-postgresql")],
                )
            },
        );
        sub.service(
            sink,
            Svc {
                headless: true,
                tolerate_unready: true,
                ..Svc::new(
                    format!("{name}-hl"),
                    component,
                    vec![("tcp-postgresql", PORT, "tcp-postgresql")],
                )
            },
        );
        if metrics {
            let label = if read { "metrics-read" } else { "metrics" };
            sub.service(
                sink,
                Svc {
                    selects: Some(component),
                    ..Svc::new(
                        format!("{name}-metrics"),
                        label,
                        vec![("http-metrics", METRICS_PORT, "http-metrics")],
                    )
                },
            );
        }
        // The database container's environment, in the template's order.
        let mut e: Vec<EnvVar> = vec![
            env("BITNAMI_DEBUG", "false"),
            env("POSTGRESQL_PORT_NUMBER", PORT.to_string()),
            env("POSTGRESQL_VOLUME_DIR", DATA),
        ];
        if !read && !enable_postgres_user {
            e.push(env("ALLOW_EMPTY_PASSWORD", "true"));
        }
        e.push(env("PGDATA", format!("{DATA}/data")));
        if read {
            if custom_user.is_some() && enable_postgres_user {
                e.push(env_secret(
                    "POSTGRES_POSTGRES_PASSWORD",
                    &pass("postgres-password"),
                ));
            }
            e.push(env_secret("POSTGRES_PASSWORD", &pass(user_key)));
        } else {
            if let Some(u) = &custom_user {
                e.push(env("POSTGRES_USER", u.clone()));
                if enable_postgres_user {
                    e.push(env_secret(
                        "POSTGRES_POSTGRES_PASSWORD",
                        &pass("postgres-password"),
                    ));
                }
            }
            if enable_postgres_user {
                e.push(env_secret("POSTGRES_PASSWORD", &pass(user_key)));
            }
            if let Some(db) = sub.text("auth.database") {
                e.push(env("POSTGRES_DB", db));
            }
        }
        if read || replication {
            e.push(env(
                "POSTGRES_REPLICATION_MODE",
                if read { "slave" } else { "master" },
            ));
            e.push(env(
                "POSTGRES_REPLICATION_USER",
                sub.text("auth.replicationUsername")
                    .unwrap_or_else(|| "repl_user".into()),
            ));
            e.push(env_secret(
                "POSTGRES_REPLICATION_PASSWORD",
                &pass("replication-password"),
            ));
            let commit = sub
                .text("replication.synchronousCommit")
                .unwrap_or_else(|| "off".into());
            if !read && commit != "off" {
                e.push(env("POSTGRES_SYNCHRONOUS_COMMIT_MODE", commit));
                e.push(env(
                    "POSTGRES_NUM_SYNCHRONOUS_REPLICAS",
                    sub.int("replication.numSynchronousReplicas", 0).to_string(),
                ));
            }
            e.push(env(
                "POSTGRES_CLUSTER_APP_NAME",
                sub.text("replication.applicationName")
                    .unwrap_or_else(|| "my_application".into()),
            ));
            if read {
                e.push(env("POSTGRES_MASTER_HOST", primary_name.clone()));
                e.push(env("POSTGRES_MASTER_PORT_NUMBER", PORT.to_string()));
            }
        }
        if !read {
            e.push(env(
                "POSTGRESQL_ENABLE_LDAP",
                if sub.truthy("ldap.enabled", false) {
                    "yes"
                } else {
                    "no"
                },
            ));
        }
        let tls = sub.truthy("tls.enabled", false);
        e.push(env("POSTGRESQL_ENABLE_TLS", if tls { "yes" } else { "no" }));
        for (k, path) in [
            ("POSTGRESQL_LOG_HOSTNAME", "audit.logHostname"),
            ("POSTGRESQL_LOG_CONNECTIONS", "audit.logConnections"),
            ("POSTGRESQL_LOG_DISCONNECTIONS", "audit.logDisconnections"),
        ] {
            e.push(env(k, sub.text(path).unwrap_or_else(|| "false".into())));
        }
        e.push(env(
            "POSTGRESQL_PGAUDIT_LOG_CATALOG",
            sub.text("audit.pgAuditLogCatalog")
                .unwrap_or_else(|| "off".into()),
        ));
        e.push(env(
            "POSTGRESQL_CLIENT_MIN_MESSAGES",
            sub.text("audit.clientMinMessages")
                .unwrap_or_else(|| "error".into()),
        ));
        e.push(env(
            "POSTGRESQL_SHARED_PRELOAD_LIBRARIES",
            sub.text("postgresqlSharedPreloadLibraries")
                .unwrap_or_else(|| "pgaudit".into()),
        ));
        let mut set = Set {
            component,
            prefix,
            replicas: true,
            service_name: format!("{name}-hl"),
            service_account: sub.service_account("", false),
            ..Default::default()
        };
        let mut mounts = Vec::new();
        // Init scripts (the primary only): a ConfigMap named in the values, or the chart's own.
        let scripts_cm = sub.text("primary.initdb.scriptsConfigMap");
        let scripts = sub.file_names("primary.initdb.scripts");
        let scripts = (!scripts.is_empty()).then_some(scripts);
        if !read && (scripts_cm.is_some() || scripts.is_some()) {
            let cm = scripts_cm
                .clone()
                .unwrap_or_else(|| format!("{primary_name}-init-scripts"));
            mounts.push(mount("custom-init-scripts", "/docker-entrypoint-initdb.d/"));
            set.volumes
                .push(config_map_volume("custom-init-scripts", &cm, None));
            if scripts_cm.is_none() {
                let data: BTreeMap<String, String> = scripts
                    .into_iter()
                    .flatten()
                    .map(|k| {
                        let t = template_placeholder(&format!(
                            "{}/values.yaml primary.initdb.scripts.{k}",
                            sub.key
                        ));
                        (k, t)
                    })
                    .collect();
                let obj = ConfigMap {
                    metadata: sub.meta(&cm, Some("primary")),
                    data: Some(data),
                    ..Default::default()
                };
                sink.push("ConfigMap", &cm, obj);
            }
        }
        if sub.truthy("shmVolume.enabled", true) {
            mounts.push(mount("dshm", "/dev/shm"));
            set.volumes.push(memory_dir("dshm"));
        }
        let persistence = format!("{prefix}.persistence");
        if sub.truthy(&format!("{persistence}.enabled"), true) {
            mounts.push(mount("data", DATA));
        }
        sub.data_volume("data", w.claims.first(), &persistence, &mut set);
        let user = custom_user.clone().unwrap_or_else(|| "postgres".into());
        let ready = match sub.text("auth.database") {
            Some(db) => {
                format!("exec pg_isready -U \"{user}\" -d \"dbname={db}\" -h 127.0.0.1 -p {PORT}")
            }
            None => format!("exec pg_isready -U \"{user}\" -h 127.0.0.1 -p {PORT}"),
        };
        set.containers.push(Container {
            name: "postgresql".into(),
            image: Some(w.image.clone()),
            image_pull_policy: Some(w.pull_policy.clone()),
            env: Some(e),
            ports: ports(&[("tcp-postgresql", PORT)]),
            liveness_probe: sub.probe(sh(&ready), &format!("{prefix}.livenessProbe"), false),
            readiness_probe: sub.probe(sh(&ready), &format!("{prefix}.readinessProbe"), false),
            resources: resources(&w.requests, &w.limits),
            volume_mounts: Some(mounts),
            ..Default::default()
        });
        if let Some(s) = w.sidecars.iter().find(|s| s.sc.name == "metrics") {
            let db = sub
                .text("auth.database")
                .unwrap_or_else(|| "postgres".into());
            set.containers.push(Container {
                name: "metrics".into(),
                image: Some(sub.image("metrics.image", METRICS_IMAGE, &s.image)),
                image_pull_policy: Some(s.pull_policy.clone()),
                env: Some(vec![
                    env(
                        "DATA_SOURCE_URI",
                        format!("127.0.0.1:{PORT}/{db}?sslmode=disable"),
                    ),
                    env_secret("DATA_SOURCE_PASS", &pass(user_key)),
                    env("DATA_SOURCE_USER", user.clone()),
                ]),
                ports: ports(&[("http-metrics", METRICS_PORT)]),
                liveness_probe: sub.probe(
                    Check::Http("/", "http-metrics"),
                    "metrics.livenessProbe",
                    false,
                ),
                readiness_probe: sub.probe(
                    Check::Http("/", "http-metrics"),
                    "metrics.readinessProbe",
                    false,
                ),
                resources: resources(&s.requests, &s.limits),
                ..Default::default()
            });
        }
        set.sidecars = w.listed(false);
        // volumePermissions: the root init container that owns the data volume (the catalog's
        // `init-chmod-data` sidecar says when). Its resources: `volumePermissions.resources`
        // for the primary, the read replicas' own for them (templates/read/statefulset.yaml).
        if w.side("init-chmod-data").is_some() {
            let mut mounts = Vec::new();
            if sub.truthy(&format!("{persistence}.enabled"), true) {
                mounts.push(mount("data", DATA));
            }
            if sub.truthy("shmVolume.enabled", true) {
                mounts.push(mount("dshm", "/dev/shm"));
            }
            let res = if read {
                resources(&w.requests, &w.limits)
            } else {
                sub.resources_as_given("volumePermissions.resources")
            };
            let template = if read {
                "templates/read/statefulset.yaml"
            } else {
                "templates/primary/statefulset.yaml"
            };
            let mut c = sub.volume_permissions("init-chmod-data", template, "/bin/sh", res, mounts);
            c.image_pull_policy = Some(c.image_pull_policy.unwrap_or_default());
            set.init.push(c);
        }
        set.init.extend(w.listed(true));
        sub.statefulset(sink, w, set);
    }
}
