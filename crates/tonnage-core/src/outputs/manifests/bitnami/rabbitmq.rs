//! Bitnami RabbitMQ 11.16.2: the StatefulSet `<fullname>` (no component label), its Service and
//! headless Service (`-headless`), the Secret of its password and Erlang cookie, the
//! configuration Secret (`-config`, mounted as a projected volume), the ServiceAccount and the
//! Role and RoleBinding of its Kubernetes peer discovery (`-endpoint-reader`).

use k8s_openapi::api::core::v1::{
    Container, EnvVar, ProjectedVolumeSource, SecretProjection, ServiceAccount, Volume,
    VolumeProjection,
};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding, RoleRef, Subject};

use super::{ports, resources, sh, Set, Sub, Svc};
use crate::outputs::manifests::{
    env, env_field, env_secret, mount, rule, template_placeholder, SecretRef, Sink, Work,
};

/// Container ports (name, number) and the Services' names for them (svc.yaml).
const AMQP: (&str, i32) = ("amqp", 5672);
const DIST: (&str, i32) = ("dist", 25672);
const STATS: (&str, i32) = ("stats", 15672);
const EPMD: (&str, i32) = ("epmd", 4369);
const METRICS: (&str, i32) = ("metrics", 9419);
/// `persistence.mountPath` (Bitnami default).
const DATA: &str = "/bitnami/rabbitmq/mnesia";

pub(super) fn render(sub: &Sub, sink: &mut Sink, works: &[&Work]) {
    let Some(w) = works.first() else { return };
    let metrics = sub.truthy("metrics.enabled", false);
    let name = sub.name("");
    let headless = sub.name("headless");
    // secrets.yaml: the password and the Erlang cookie, unless both come from Secrets.
    let pass_secret = sub.text("auth.existingPasswordSecret");
    let cookie_secret = sub.text("auth.existingErlangSecret");
    let mut keys = Vec::new();
    if pass_secret.is_none() {
        keys.push(("rabbitmq-password", sub.text("auth.password")));
    }
    if cookie_secret.is_none() {
        keys.push(("rabbitmq-erlang-cookie", sub.text("auth.erlangCookie")));
    }
    if !keys.is_empty() {
        sub.secret(sink, &name, "secrets.yaml", &keys);
    }
    let config_secret = sub.name("config");
    if sub.text("configurationExistingSecret").is_none() {
        // The configuration files the chart writes (config-secret.yaml): placeholders.
        let mut keys = vec!["rabbitmq.conf"];
        if sub.truthy("advancedConfiguration", false) {
            keys.push("advanced.config");
        }
        let data = keys
            .iter()
            .map(|k| {
                let t = template_placeholder(&format!("rabbitmq/templates/config-secret.yaml {k}"));
                (k.to_string(), t)
            })
            .collect();
        sub.secret_data(sink, &config_secret, data);
    }
    let service_account = sub.service_account("", true);
    if sub.truthy("serviceAccount.create", true) {
        let obj = ServiceAccount {
            metadata: sub.meta(&service_account, None),
            ..Default::default()
        };
        sink.push("ServiceAccount", &service_account, obj);
    }
    if sub.truthy("rbac.create", true) {
        let reader = sub.name("endpoint-reader");
        let role = Role {
            metadata: sub.meta(&reader, None),
            rules: Some(vec![
                rule(&["endpoints"], &["get"]),
                rule(&["events"], &["create"]),
            ]),
        };
        sink.push("Role", &reader, role);
        let binding = RoleBinding {
            metadata: sub.meta(&reader, None),
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "Role".into(),
                name: reader.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: service_account.clone(),
                namespace: Some(sub.ctx.namespace.clone()),
                ..Default::default()
            }]),
        };
        sink.push("RoleBinding", &reader, binding);
    }
    // svc.yaml and svc-headless.yaml.
    let mut svc_ports = vec![
        ("amqp", AMQP.1, "amqp"),
        ("epmd", EPMD.1, "epmd"),
        ("dist", DIST.1, "dist"),
        ("http-stats", STATS.1, "stats"),
    ];
    sub.service(
        sink,
        Svc {
            component: None,
            selects: None,
            headless: true,
            ..Svc::new(headless.clone(), "", svc_ports.clone())
        },
    );
    if metrics {
        svc_ports.push(("metrics", METRICS.1, "metrics"));
    }
    sub.service(
        sink,
        Svc {
            component: None,
            selects: None,
            type_: sub.text("service.type"),
            ..Svc::new(name.clone(), "", svc_ports)
        },
    );
    // The StatefulSet.
    let password = SecretRef {
        name: pass_secret.unwrap_or_else(|| name.clone()),
        key: "rabbitmq-password".into(),
    };
    let cookie = SecretRef {
        name: cookie_secret.unwrap_or_else(|| name.clone()),
        key: "rabbitmq-erlang-cookie".into(),
    };
    let ns = &sub.ctx.namespace;
    let address = sub
        .text("clustering.addressType")
        .unwrap_or_else(|| "hostname".into());
    let mut e: Vec<EnvVar> = vec![
        env("BITNAMI_DEBUG", "false"),
        env_field("MY_POD_IP", "status.podIP"),
        env_field("MY_POD_NAME", "metadata.name"),
        env_field("MY_POD_NAMESPACE", "metadata.namespace"),
        env("K8S_SERVICE_NAME", headless.clone()),
        env("K8S_ADDRESS_TYPE", address.clone()),
        env(
            "RABBITMQ_FORCE_BOOT",
            if sub.truthy("clustering.forceBoot", false) {
                "yes"
            } else {
                "no"
            },
        ),
    ];
    if address == "hostname" {
        e.push(env(
            "RABBITMQ_NODE_NAME",
            format!("rabbit@$(MY_POD_NAME).{headless}.{ns}.svc.cluster.local"),
        ));
        e.push(env(
            "K8S_HOSTNAME_SUFFIX",
            format!(".{headless}.{ns}.svc.cluster.local"),
        ));
    } else {
        e.push(env("RABBITMQ_NODE_NAME", "rabbit@$(MY_POD_NAME)"));
    }
    e.push(env(
        "RABBITMQ_MNESIA_DIR",
        format!("{DATA}/$(RABBITMQ_NODE_NAME)"),
    ));
    e.push(env(
        "RABBITMQ_LDAP_ENABLE",
        if sub.truthy("ldap.enabled", false) {
            "yes"
        } else {
            "no"
        },
    ));
    if sub.truthy("logs", true) {
        e.push(env(
            "RABBITMQ_LOGS",
            sub.text("logs").unwrap_or_else(|| "-".into()),
        ));
    }
    e.push(env(
        "RABBITMQ_ULIMIT_NOFILES",
        sub.text("ulimitNofiles").unwrap_or_else(|| "65536".into()),
    ));
    e.push(env("RABBITMQ_USE_LONGNAME", "true"));
    e.push(env_secret("RABBITMQ_ERL_COOKIE", &cookie));
    if sub.truthy("clustering.rebalance", false) && w.replicas > 1 {
        e.push(env("RABBITMQ_CLUSTER_REBALANCE", "true"));
    }
    e.push(env("RABBITMQ_LOAD_DEFINITIONS", "no"));
    e.push(env(
        "RABBITMQ_DEFINITIONS_FILE",
        "/app/load_definition.json",
    ));
    e.push(env("RABBITMQ_SECURE_PASSWORD", "yes"));
    e.push(env(
        "RABBITMQ_USERNAME",
        sub.text("auth.username").unwrap_or_else(|| "user".into()),
    ));
    e.push(env_secret("RABBITMQ_PASSWORD", &password));
    // `rabbitmq.plugins`: plugins, extraPlugins, and metrics.plugins while metrics are on.
    let mut plugins = vec![sub
        .text("plugins")
        .unwrap_or_else(|| "rabbitmq_management rabbitmq_peer_discovery_k8s".into())];
    if sub.truthy("extraPlugins", true) {
        plugins.push(
            sub.text("extraPlugins")
                .unwrap_or_else(|| "rabbitmq_auth_backend_ldap".into()),
        );
    }
    if metrics {
        plugins.push(
            sub.text("metrics.plugins")
                .unwrap_or_else(|| "rabbitmq_prometheus".into()),
        );
    }
    e.push(env(
        "RABBITMQ_PLUGINS",
        plugins.join(" ").replace(' ', ", "),
    ));
    let mut container_ports = vec![AMQP, DIST, STATS, EPMD];
    if metrics {
        container_ports.push(METRICS);
    }
    let mut set = Set {
        component: "",
        replicas: true,
        service_name: headless.clone(),
        service_account,
        pod_management: Some(
            sub.text("podManagementPolicy")
                .unwrap_or_else(|| "OrderedReady".into()),
        ),
        ..Default::default()
    };
    set.volumes.push(Volume {
        name: "configuration".into(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(vec![VolumeProjection {
                secret: Some(SecretProjection {
                    name: config_secret,
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
    sub.data_volume("data", w.claims.first(), "persistence", &mut set);
    set.containers.push(Container {
        name: "rabbitmq".into(),
        image: Some(w.image.clone()),
        image_pull_policy: Some(w.pull_policy.clone()),
        env: Some(e),
        ports: ports(&container_ports),
        liveness_probe: sub.probe(sh("rabbitmq-diagnostics -q ping"), "livenessProbe", false),
        readiness_probe: sub.probe(
            sh("rabbitmq-diagnostics -q check_running && rabbitmq-diagnostics -q check_local_alarms"),
            "readinessProbe",
            false,
        ),
        resources: resources(&w.requests, &w.limits),
        volume_mounts: Some(vec![
            mount("configuration", "/bitnami/rabbitmq/conf"),
            mount(
                "data",
                &sub.text("persistence.mountPath")
                    .unwrap_or_else(|| DATA.into()),
            ),
        ]),
        ..Default::default()
    });
    sub.statefulset(sink, w, set);
}
