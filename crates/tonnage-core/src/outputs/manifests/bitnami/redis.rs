//! Bitnami Redis 17.11.8 (templates master/, replicas/, sentinel/ and the chart's own): the
//! master StatefulSet (`<fullname>-master`), the replicas (`<fullname>-replicas`, architecture
//! replication) or, with Sentinel, the nodes (`<fullname>-node`, a Sentinel container each);
//! their Services (`-master`, `-replicas`, or `<fullname>` for Sentinel), the headless Service
//! (`-headless`), the metrics Service (`-metrics`), the HPA of replicas or nodes, the
//! ServiceAccount, the Secret (`auth.enabled`) and the ConfigMaps `-configuration`, `-health`
//! and `-scripts` (their texts placeholders).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, Container, EnvVar, HostPathVolumeSource, SecurityContext, ServiceAccount, Volume,
};
use serde_yaml::Value;

use super::{ports, resources, Check, Set, Sub, Svc};
use crate::outputs::manifests::{
    config_map_volume, env, env_secret, mount, scalar_text, template_placeholder, SecretRef, Sink,
    Work,
};

const PORT: i32 = 6379;
const SENTINEL_PORT: i32 = 26379;
const METRICS_PORT: i32 = 9121;
/// `metrics.image` and `sentinel.image` (Bitnami defaults), where the values leave them out.
const EXPORTER_IMAGE: &str = "docker.io/bitnami/redis-exporter:1.51.0-debian-11-r8";
const SENTINEL_IMAGE: &str = "docker.io/bitnami/redis-sentinel:7.0.11-debian-11-r27";
/// The ConfigMaps' keys (health-configmap.yaml, scripts-configmap.yaml, configmap.yaml).
const HEALTH: &[&str] = &[
    "ping_readiness_local.sh",
    "ping_liveness_local.sh",
    "ping_readiness_master.sh",
    "ping_liveness_master.sh",
    "ping_readiness_local_and_master.sh",
    "ping_liveness_local_and_master.sh",
];
const SENTINEL_HEALTH: &[&str] = &["ping_sentinel.sh", "parse_sentinels.awk"];
const SENTINEL_SCRIPTS: &[&str] = &[
    "start-node.sh",
    "start-sentinel.sh",
    "prestop-sentinel.sh",
    "prestop-redis.sh",
];
const CONFIGURATION: &[&str] = &["redis.conf", "master.conf", "replica.conf"];

pub(super) fn render(sub: &Sub, sink: &mut Sink, works: &[&Work]) {
    let replication = sub.text("architecture").as_deref() == Some("replication");
    let sentinel = replication && sub.truthy("sentinel.enabled", false);
    let auth = sub.truthy("auth.enabled", true);
    let metrics = sub.truthy("metrics.enabled", false);
    let headless = sub.name("headless");
    let secret_name = sub
        .text("auth.existingSecret")
        .unwrap_or_else(|| sub.name(""));
    let password = SecretRef {
        name: secret_name.clone(),
        key: sub
            .text("auth.existingSecretPasswordKey")
            .unwrap_or_else(|| "redis-password".into()),
    };
    if auth && sub.text("auth.existingSecret").is_none() {
        // `redis.password`: the global's, else auth.password, else generated.
        let password = sub
            .global_text("redis.password")
            .or_else(|| sub.text("auth.password"));
        sub.secret(
            sink,
            &secret_name,
            "secret.yaml",
            &[("redis-password", password)],
        );
    }
    // The ConfigMaps every pod mounts.
    let config_name = sub
        .text("existingConfigmap")
        .unwrap_or_else(|| sub.name("configuration"));
    let mut cms: Vec<(String, &str, Vec<&str>)> = Vec::new();
    if sub.text("existingConfigmap").is_none() {
        let mut keys = CONFIGURATION.to_vec();
        if sentinel {
            keys.push("sentinel.conf");
        }
        cms.push((config_name.clone(), "configmap.yaml", keys));
    }
    let mut health = HEALTH.to_vec();
    if sub.truthy("sentinel.enabled", false) {
        health.extend(SENTINEL_HEALTH);
    }
    cms.push((sub.name("health"), "health-configmap.yaml", health));
    let scripts = if sentinel {
        SENTINEL_SCRIPTS.to_vec()
    } else if replication {
        vec!["start-master.sh", "start-replica.sh"]
    } else {
        vec!["start-master.sh"]
    };
    cms.push((sub.name("scripts"), "scripts-configmap.yaml", scripts));
    for (name, template, keys) in cms {
        let data: BTreeMap<String, String> = keys
            .iter()
            .map(|k| {
                let t = template_placeholder(&format!("{}/templates/{template} {k}", sub.name));
                (k.to_string(), t)
            })
            .collect();
        let obj = ConfigMap {
            metadata: sub.meta(&name, None),
            data: Some(data),
            ..Default::default()
        };
        sink.push("ConfigMap", &name, obj);
    }
    // serviceaccount.yaml: one ServiceAccount for every pod, unless master/replica have theirs.
    if sub.truthy("serviceAccount.create", true) {
        let name = sub.service_account("", true);
        let obj = ServiceAccount {
            metadata: sub.meta(&name, None),
            ..Default::default()
        };
        sink.push("ServiceAccount", &name, obj);
    }
    // Services.
    let mut hl_ports = vec![("tcp-redis", PORT, "redis")];
    if sentinel {
        hl_ports.push(("tcp-sentinel", SENTINEL_PORT, "redis-sentinel"));
    }
    sub.service(
        sink,
        Svc {
            component: None,
            selects: None,
            headless: true,
            ..Svc::new(headless.clone(), "", hl_ports)
        },
    );
    if metrics {
        sub.service(
            sink,
            Svc {
                selects: None,
                type_: sub.text("metrics.service.type"),
                ..Svc::new(
                    sub.name("metrics"),
                    "metrics",
                    vec![("http-metrics", METRICS_PORT, "metrics")],
                )
            },
        );
    }
    if sentinel {
        sub.service(
            sink,
            Svc {
                type_: sub.text("sentinel.service.type"),
                ..Svc::new(
                    sub.name(""),
                    "node",
                    vec![
                        ("tcp-redis", PORT, "6379"),
                        ("tcp-sentinel", SENTINEL_PORT, "26379"),
                    ],
                )
            },
        );
    }
    let service_account = if sub.truthy("serviceAccount.create", true) {
        sub.service_account("", true)
    } else {
        "default".into()
    };
    let ns = &sub.ctx.namespace;
    for w in works {
        let (role, component, prefix) = if w.c.id.ends_with("-replicas") {
            (Role::Replica, "replica", "replica")
        } else if w.c.id.ends_with("-node") {
            (Role::Node, "node", "replica")
        } else {
            (Role::Master, "master", "master")
        };
        match role {
            Role::Master => sub.service(
                sink,
                Svc {
                    type_: sub.text("master.service.type"),
                    ..Svc::new(w.name.clone(), "master", vec![("tcp-redis", PORT, "redis")])
                },
            ),
            Role::Replica => sub.service(
                sink,
                Svc {
                    type_: sub.text("replica.service.type"),
                    ..Svc::new(
                        w.name.clone(),
                        "replica",
                        vec![("tcp-redis", PORT, "redis")],
                    )
                },
            ),
            Role::Node => {}
        }
        let mut set = Set {
            component,
            prefix,
            // replicas/statefulset.yaml leaves spec.replicas to the HPA; the others write it.
            replicas: !(role == Role::Replica && w.hpa.is_some()),
            service_name: headless.clone(),
            service_account: service_account.clone(),
            // sentinel/statefulset.yaml writes replica.replicaCount, HPA or not.
            replica_count: (role == Role::Node && w.hpa.is_some())
                .then(|| sub.int("replica.replicaCount", w.replicas)),
            automount: Some(match role {
                Role::Node => "serviceAccount".into(),
                _ => format!("{prefix}.serviceAccount"),
            }),
            // replicas/ and sentinel/statefulset.yaml write replica.podManagementPolicy if set.
            pod_management: (role != Role::Master)
                .then(|| sub.text("replica.podManagementPolicy"))
                .flatten()
                .filter(|p| !p.is_empty()),
            ..Default::default()
        };
        let mut e: Vec<EnvVar> = vec![env("BITNAMI_DEBUG", "false")];
        match role {
            Role::Master => e.push(env("REDIS_REPLICATION_MODE", "master")),
            Role::Replica => {
                e.push(env("REDIS_REPLICATION_MODE", "replica"));
                let one = sub.int("master.count", 1) == 1
                    && sub.text("master.kind").as_deref() != Some("Deployment");
                let master = sub.name("master");
                e.push(env(
                    "REDIS_MASTER_HOST",
                    if one {
                        format!("{master}-0.{headless}.{ns}.svc.cluster.local")
                    } else {
                        format!("{master}.{ns}.svc.cluster.local")
                    },
                ));
                e.push(env("REDIS_MASTER_PORT_NUMBER", PORT.to_string()));
            }
            Role::Node => e.push(env("REDIS_MASTER_PORT_NUMBER", PORT.to_string())),
        }
        e.push(env("ALLOW_EMPTY_PASSWORD", if auth { "no" } else { "yes" }));
        if auth {
            e.push(env_secret("REDIS_PASSWORD", &password));
            if role != Role::Master {
                e.push(env_secret("REDIS_MASTER_PASSWORD", &password));
            }
        }
        e.push(env("REDIS_TLS_ENABLED", "no"));
        e.push(env("REDIS_PORT", PORT.to_string()));
        if role == Role::Node {
            e.push(env("REDIS_SENTINEL_TLS_ENABLED", "no"));
            e.push(env("REDIS_SENTINEL_PORT", SENTINEL_PORT.to_string()));
            e.push(env("REDIS_DATA_DIR", "/data"));
        }
        let persistence = format!("{prefix}.persistence");
        let mut mounts = vec![
            mount("start-scripts", "/opt/bitnami/scripts/start-scripts"),
            mount("health", "/health"),
        ];
        let sentinel_on = sub.truthy("sentinel.persistence.enabled", false);
        if role == Role::Node && sentinel_on {
            mounts.push(mount("sentinel-data", "/opt/bitnami/redis-sentinel/etc"));
        }
        mounts.push(mount(
            "redis-data",
            &sub.text(&format!("{persistence}.path"))
                .unwrap_or_else(|| "/data".into()),
        ));
        mounts.push(mount("config", "/opt/bitnami/redis/mounted-etc"));
        mounts.push(mount(
            "redis-tmp-conf",
            if role == Role::Master {
                "/opt/bitnami/redis/etc/"
            } else {
                "/opt/bitnami/redis/etc"
            },
        ));
        if role != Role::Replica {
            mounts.push(mount("tmp", "/tmp"));
        }
        set.volumes.push(config_map_volume(
            "start-scripts",
            &sub.name("scripts"),
            Some(0o755),
        ));
        set.volumes.push(config_map_volume(
            "health",
            &sub.name("health"),
            Some(0o755),
        ));
        set.volumes
            .push(config_map_volume("config", &config_name, None));
        set.volumes.push(super::empty_dir("redis-tmp-conf"));
        if role != Role::Replica {
            set.volumes.push(super::empty_dir("tmp"));
        }
        sub.data_volume("redis-data", w.claims.first(), &persistence, &mut set);
        let startup = match role {
            Role::Master => sub.probe(Check::Tcp("redis"), "master.startupProbe", false),
            Role::Replica => sub.probe(Check::Tcp("redis"), "replica.startupProbe", false),
            Role::Node => sub.probe(
                health_check("ping_liveness_local.sh 5"),
                "replica.startupProbe",
                false,
            ),
        };
        let (live, ready) = match role {
            Role::Replica => (
                "ping_liveness_local_and_master.sh 5",
                "ping_readiness_local_and_master.sh 1",
            ),
            _ => ("ping_liveness_local.sh 5", "ping_readiness_local.sh 1"),
        };
        set.containers.push(Container {
            name: "redis".into(),
            image: Some(w.image.clone()),
            image_pull_policy: Some(w.pull_policy.clone()),
            env: Some(e),
            ports: ports(&[("redis", PORT)]),
            startup_probe: startup,
            // The sentinel template writes the values' timeouts, the others one second more.
            liveness_probe: sub.probe(
                health_check(live),
                &format!("{prefix}.livenessProbe"),
                role != Role::Node,
            ),
            readiness_probe: sub.probe(
                health_check(ready),
                &format!("{prefix}.readinessProbe"),
                role != Role::Node,
            ),
            resources: resources(&w.requests, &w.limits),
            volume_mounts: Some(mounts),
            ..Default::default()
        });
        for s in &w.sidecars {
            match s.sc.name.as_str() {
                "sentinel" => {
                    let mut e = vec![env("BITNAMI_DEBUG", "false")];
                    if auth {
                        e.push(env_secret("REDIS_PASSWORD", &password));
                    } else {
                        e.push(env("ALLOW_EMPTY_PASSWORD", "yes"));
                    }
                    e.push(env("REDIS_SENTINEL_TLS_ENABLED", "no"));
                    e.push(env("REDIS_SENTINEL_PORT", SENTINEL_PORT.to_string()));
                    let check = || health_check("ping_sentinel.sh 5");
                    set.containers.push(Container {
                        name: "sentinel".into(),
                        image: Some(sub.image("sentinel.image", SENTINEL_IMAGE, &s.image)),
                        image_pull_policy: Some(s.pull_policy.clone()),
                        env: Some(e),
                        ports: ports(&[("redis-sentinel", SENTINEL_PORT)]),
                        startup_probe: sub.probe(check(), "sentinel.startupProbe", false),
                        liveness_probe: sub.probe(check(), "sentinel.livenessProbe", false),
                        readiness_probe: sub.probe(check(), "sentinel.readinessProbe", false),
                        resources: resources(&s.requests, &s.limits),
                        volume_mounts: Some(vec![
                            mount("start-scripts", "/opt/bitnami/scripts/start-scripts"),
                            mount("health", "/health"),
                            mount("sentinel-data", "/opt/bitnami/redis-sentinel/etc"),
                            mount(
                                "redis-data",
                                &sub.text("replica.persistence.path")
                                    .unwrap_or_else(|| "/data".into()),
                            ),
                            mount("config", "/opt/bitnami/redis-sentinel/mounted-etc"),
                        ]),
                        ..Default::default()
                    });
                    sub.data_volume(
                        "sentinel-data",
                        w.claims.get(1),
                        "sentinel.persistence",
                        &mut set,
                    );
                }
                "metrics" => {
                    let mut e = vec![env("REDIS_ALIAS", sub.name(""))];
                    if auth {
                        e.push(env("REDIS_USER", "default"));
                        e.push(env_secret("REDIS_PASSWORD", &password));
                    }
                    set.containers.push(Container {
                        name: "metrics".into(),
                        image: Some(sub.image("metrics.image", EXPORTER_IMAGE, &s.image)),
                        image_pull_policy: Some(s.pull_policy.clone()),
                        env: Some(e),
                        ports: ports(&[("metrics", METRICS_PORT)]),
                        liveness_probe: sub.probe(
                            Check::Tcp("metrics"),
                            "metrics.livenessProbe",
                            false,
                        ),
                        readiness_probe: sub.probe(
                            Check::Http("/", "metrics"),
                            "metrics.readinessProbe",
                            false,
                        ),
                        resources: resources(&s.requests, &s.limits),
                        ..Default::default()
                    });
                }
                _ => {}
            }
        }
        set.sidecars = w.listed(false);
        // Init containers in the template's order: the user's, volume-permissions (the root
        // container that owns the data volume), init-sysctl (privileged: kernel settings);
        // the catalog's sidecars of those names say when.
        set.init = w.listed(true);
        let data_path = sub
            .text(&format!("{persistence}.path"))
            .unwrap_or_else(|| "/data".into());
        let template = match role {
            Role::Master => "templates/master/application.yaml",
            Role::Replica => "templates/replicas/statefulset.yaml",
            Role::Node => "templates/sentinel/statefulset.yaml",
        };
        if w.side("volume-permissions").is_some() {
            let mut c = sub.volume_permissions(
                "volume-permissions",
                template,
                "/bin/bash",
                sub.resources_as_given("volumePermissions.resources"),
                vec![mount("redis-data", &data_path)],
            );
            c.image_pull_policy = Some(c.image_pull_policy.unwrap_or_default());
            set.init.push(c);
        }
        if w.side("init-sysctl").is_some() {
            let (image, pull) = sub.chart_image("sysctl.image");
            let host_sys = sub.truthy("sysctl.mountHostSys", false);
            let command = match sub.get("sysctl.command") {
                Some(Value::Sequence(items)) if !items.is_empty() => {
                    Some(items.iter().filter_map(scalar_text).collect())
                }
                _ => None,
            };
            set.init.push(Container {
                name: "init-sysctl".into(),
                image: Some(image),
                image_pull_policy: Some(pull.unwrap_or_default()),
                security_context: Some(SecurityContext {
                    privileged: Some(true),
                    run_as_user: Some(0),
                    ..Default::default()
                }),
                command,
                resources: sub.resources_as_given("sysctl.resources"),
                volume_mounts: host_sys.then(|| vec![mount("host-sys", "/host-sys")]),
                ..Default::default()
            });
            if host_sys {
                // After the configuration's volume, as the templates write it.
                let at = set
                    .volumes
                    .iter()
                    .position(|v| v.name == "config")
                    .map_or(set.volumes.len(), |i| i + 1);
                set.volumes.insert(
                    at,
                    Volume {
                        name: "host-sys".into(),
                        host_path: Some(HostPathVolumeSource {
                            path: "/sys".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                );
            }
        }
        let hpa_component = if role == Role::Master {
            "master"
        } else {
            "replica"
        };
        if role != Role::Master {
            sub.hpa(sink, w, hpa_component);
        }
        sub.statefulset(sink, w, set);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Master,
    Replica,
    Node,
}

/// A probe running one of the chart's health scripts (health-configmap.yaml).
fn health_check(script: &str) -> Check {
    Check::Exec(vec!["sh".into(), "-c".into(), format!("/health/{script}")])
}
