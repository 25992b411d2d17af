//! What is particular to one chart: RAE's network policies, monitoring, config and workloads,
//! cauldron-frappe's ConfigMap, init containers and shared volume, cauldron-infra's init scripts.

use super::*;

#[test]
fn rae_network_policies_are_the_templates_and_the_guides_rules_harden_the_rest() {
    // templates/networkpolicy.yaml: the API's and the ML service's, nothing else.
    let ms = rendered(&["rae-memory"], "prod", &[]);
    let names: Vec<&str> = ms
        .iter()
        .filter(|m| m.kind == "NetworkPolicy")
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["rae-memory-api", "rae-memory-ml-service"]);
    let np: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-api").unwrap());
    let spec = np.spec.unwrap();
    let ports: BTreeSet<i32> = spec
        .egress
        .unwrap()
        .iter()
        .flat_map(|r| r.ports.clone().unwrap_or_default())
        .filter_map(|p| match p.port {
            Some(IntOrString::Int(n)) => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(
        ports,
        BTreeSet::from([53, 443, 5432, 6333, 6379, 8001, 8002])
    );
    let ingress = spec.ingress.unwrap();
    assert_eq!(ingress.len(), 2);
    let ml: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-ml-service").unwrap());
    let from = ml.spec.unwrap().ingress.unwrap()[0].from.clone().unwrap();
    // From every pod with the chart's selector labels (the template's rule, wider than
    // the guide's "only from API and Celery Worker").
    let every_pod = from[0].pod_selector.clone().unwrap().match_labels.unwrap();
    assert_eq!(
        every_pod,
        BTreeMap::from([
            (
                "app.kubernetes.io/instance".to_string(),
                "rae-memory".to_string()
            ),
            (
                "app.kubernetes.io/name".to_string(),
                "rae-memory".to_string()
            ),
        ])
    );
    // The guide's rules for the pods the templates leave open: the hardening overlay.
    let ms = render_hardening(cat(), &config(&["rae-memory"], "prod", &[]));
    assert!(find(&ms, "NetworkPolicy", "rae-memory-api").is_none());
    // The API's way to its stores, which the template's rule (the chart's own labels)
    // misses: to the Qdrant release's pods by their labels.
    let np: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-api-egress").unwrap());
    let spec = np.spec.unwrap();
    assert_eq!(spec.policy_types.unwrap(), ["Egress"]);
    let to_qdrant = spec
        .egress
        .unwrap()
        .into_iter()
        .find(|r| r.ports.as_ref().unwrap()[0].port == Some(IntOrString::Int(6333)))
        .unwrap();
    let labels = to_qdrant.to.unwrap()[0]
        .pod_selector
        .clone()
        .unwrap()
        .match_labels
        .unwrap();
    assert_eq!(labels["app.kubernetes.io/instance"], "rae-memory-qdrant");
    // A standalone PostgreSQL: only from the three app components, no outbound traffic.
    let db: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-postgresql").unwrap());
    let spec = db.spec.unwrap();
    assert_eq!(spec.egress, Some(vec![]), "no outbound traffic");
    assert_eq!(spec.ingress.unwrap()[0].from.as_ref().unwrap().len(), 3);
    // Redis master and replicas (Bitnami's default replication) reach each other.
    let np: NetworkPolicy = typed(find(&ms, "NetworkPolicy", "rae-memory-redis-replicas").unwrap());
    let spec = np.spec.unwrap();
    let egress = spec.egress.unwrap();
    assert_eq!(egress.len(), 2, "DNS and the other Redis pods");
    assert_eq!(egress[1].to.as_ref().unwrap().len(), 2);
    let c = config(&["rae-memory"], "prod", &["networkPolicy.enabled=false"]);
    assert!(render_hardened(cat(), &c)
        .iter()
        .all(|m| m.kind != "NetworkPolicy"));
    // The other charts have no NetworkPolicy template.
    for chart in ["cauldron-infra", "cauldron-frappe", "rhesis", "caracal"] {
        let env = if chart == "rhesis" { "local" } else { "prod" };
        assert!(rendered(&[chart], env, &[])
            .iter()
            .all(|m| m.kind != "NetworkPolicy"));
    }
}

#[test]
fn frappe_config_init_containers_and_shared_volume() {
    let ms = rendered(&["cauldron-frappe"], "prod", &[]);
    let cm: ConfigMap = typed(find(&ms, "ConfigMap", "cauldron-frappe-config").unwrap());
    let data = cm.data.unwrap();
    let keys: Vec<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "common_site_config.json",
            "entrypoint.sh",
            "scheduler-entrypoint.sh",
            "socketio-entrypoint.sh",
            "worker-entrypoint.sh"
        ]
    );
    let cfg: serde_json::Value = serde_json::from_str(&data["common_site_config.json"]).unwrap();
    // The chart's frappe.db.host "postgres" (values.yaml; no env file changes it) and
    // values-prod.yaml's frappe.bench.developerMode false.
    assert_eq!(cfg["db_host"], "postgres");
    assert_eq!(cfg["db_port"], 5432);
    assert_eq!(cfg["redis_queue"], "redis://redis-queue:6379/1");
    assert_eq!(cfg["developer_mode"], false);
    assert_eq!(cfg["socketio_port"], 9000);
    // The entrypoint scripts are the chart authors' text: a placeholder naming the template.
    assert_eq!(
        data["entrypoint.sh"],
        template_placeholder("templates/configmap.yaml")
    );
    // The sites volume: the chart's PVC cauldron-frappe-data, ReadWriteOnce in every file.
    let pvc: PersistentVolumeClaim =
        typed(find(&ms, "PersistentVolumeClaim", "cauldron-frappe-data").unwrap());
    let spec = pvc.spec.unwrap();
    assert_eq!(spec.access_modes.unwrap(), ["ReadWriteOnce"]);
    assert_eq!(
        pvc_storage(&typed(
            find(&ms, "PersistentVolumeClaim", "cauldron-frappe-data").unwrap()
        )),
        50 << 30
    );
    let web: Deployment = typed(find(&ms, "Deployment", "cauldron-frappe-web").unwrap());
    // ReadWriteOnce: the hardened Deployments recreate their pods; the chart writes no
    // strategy, so the plain render has none.
    assert!(web.spec.strategy.is_none());
    let hard = render_hardened(cat(), &config(&["cauldron-frappe"], "prod", &[]));
    let hard_web: Deployment = typed(find(&hard, "Deployment", "cauldron-frappe-web").unwrap());
    assert_eq!(
        hard_web.spec.strategy.unwrap().type_.as_deref(),
        Some("Recreate")
    );
    let pod = web.spec.template.spec.unwrap();
    let init = pod.init_containers.unwrap();
    let names: Vec<&str> = init.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["wait-for-db", "wait-for-redis"]);
    assert_eq!(init[0].image.as_deref(), Some("postgres:15-alpine"));
    assert!(init[1].command.as_ref().unwrap()[2].contains("'redis-socketio'"));
    let env: Vec<&str> = pod.containers[0]
        .env
        .iter()
        .flatten()
        .map(|e| e.name.as_str())
        .collect();
    assert!(
        env.contains(&"ADMIN_PASSWORD") && env.contains(&"DB_HOST"),
        "{env:?}"
    );
    // The apps as the template joins them (`name:branch`, entries run together).
    let apps = |name: &str| {
        pod.containers[0]
            .env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .and_then(|e| e.value.clone())
            .unwrap()
    };
    assert!(
        apps("STANDARD_APPS").contains("hrms:"),
        "{}",
        apps("STANDARD_APPS")
    );
    assert!(
        apps("CUSTOM_APPS").contains("https://github.com/seemslegit42/cauldron_lore.git"),
        "{}",
        apps("CUSTOM_APPS")
    );
    // frappe.livenessProbe / readinessProbe: the web container's probe timings.
    let live = pod.containers[0].liveness_probe.clone().unwrap();
    assert_eq!(live.initial_delay_seconds, Some(60));
    let ready = pod.containers[0].readiness_probe.clone().unwrap();
    assert_eq!(ready.failure_threshold, Some(6));
    let worker = pod_of(find(&ms, "Deployment", "cauldron-frappe-worker").unwrap());
    let queues = worker.containers[0]
        .env
        .iter()
        .flatten()
        .find(|e| e.name == "WORKER_QUEUES")
        .and_then(|e| e.value.clone());
    assert_eq!(queues.as_deref(), Some("default,short,long"));
    // The Ingress: named after the web Service, no Socket.IO route.
    let ing: Ingress = typed(find(&ms, "Ingress", "cauldron-frappe-web").unwrap());
    let spec = ing.spec.unwrap();
    assert_eq!(spec.ingress_class_name.as_deref(), Some("traefik"));
    assert_eq!(
        spec.tls.unwrap()[0].secret_name.as_deref(),
        Some("cauldron-prod-tls")
    );
    let rules = spec.rules.unwrap();
    let paths = &rules[0].http.as_ref().unwrap().paths;
    assert_eq!(paths.len(), 1);
    assert_eq!(
        paths[0].backend.service.as_ref().unwrap().name,
        "cauldron-frappe-web"
    );
    // The values move what they name: the database host, the wait-for-db switch (which
    // also drops wait-for-redis, nested in it), ReadWriteMany (no Recreate).
    let ms = rendered(
        &["cauldron-frappe"],
        "dev",
        &[
            "frappe.db.host=cauldron-infra-postgresql",
            "frappe.initContainers.waitForDb.enabled=false",
            "frappe.persistence.accessMode=ReadWriteMany",
            "frappe.livenessProbe.enabled=false",
        ],
    );
    let cm: ConfigMap = typed(find(&ms, "ConfigMap", "cauldron-frappe-config").unwrap());
    let cfg: serde_json::Value =
        serde_json::from_str(&cm.data.unwrap()["common_site_config.json"]).unwrap();
    assert_eq!(cfg["db_host"], "cauldron-infra-postgresql");
    let web: Deployment = typed(find(&ms, "Deployment", "cauldron-frappe-web").unwrap());
    assert!(web.spec.strategy.is_none());
    let sets = [
        "frappe.persistence.accessMode=ReadWriteMany",
        "frappe.initContainers.waitForDb.enabled=false",
    ];
    let hard = render_hardened(cat(), &config(&["cauldron-frappe"], "dev", &sets));
    let hard_web: Deployment = typed(find(&hard, "Deployment", "cauldron-frappe-web").unwrap());
    assert!(hard_web.spec.strategy.is_none());
    let pod = web.spec.template.spec.unwrap();
    assert!(pod.init_containers.is_none());
    assert!(pod.containers[0].liveness_probe.is_none());
    assert!(pod.containers[0].readiness_probe.is_some());
}

#[test]
fn infra_init_scripts_come_from_the_charts_values() {
    // templates/configmap.yaml: ConfigMap postgres-init-scripts holds
    // postgresInitScripts.scripts; the Bitnami primary mounts the ConfigMap
    // postgresql.primary.initdb.scriptsConfigMap names (the same one).
    let ms = rendered(&["cauldron-infra"], "dev", &[]);
    let cm: ConfigMap = typed(find(&ms, "ConfigMap", "postgres-init-scripts").unwrap());
    let data = cm.data.unwrap();
    let keys: Vec<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(keys, ["00-extensions.sql", "01-schemas.sql"]);
    let pod = pod_of(find(&ms, "StatefulSet", "cauldron-infra-postgresql").unwrap());
    let v = pod
        .volumes
        .unwrap()
        .into_iter()
        .find(|v| v.name == "custom-init-scripts")
        .unwrap();
    assert_eq!(v.config_map.unwrap().name, "postgres-init-scripts");
    let ms = rendered(
        &["cauldron-infra"],
        "dev",
        &["postgresInitScripts.enabled=false"],
    );
    assert!(find(&ms, "ConfigMap", "postgres-init-scripts").is_none());
    // RAE's PostgreSQL release: its primary.initdb.scripts is text the chart's authors
    // wrote, which the release's values file leaves out (a placeholder in the catalog), so
    // real Helm renders no init-scripts ConfigMap and mounts none (tests/data/real-helm).
    let ms = rendered(&["rae-memory"], "dev", &[]);
    assert!(find(&ms, "ConfigMap", "rae-memory-postgresql-init-scripts").is_none());
    let pod = pod_of(find(&ms, "StatefulSet", "rae-memory-postgresql").unwrap());
    assert!(pod
        .volumes
        .unwrap()
        .iter()
        .all(|v| v.name != "custom-init-scripts"));
}

#[test]
fn rae_monitoring_config_and_secret() {
    let ms = rendered(&["rae-memory"], "prod", &[]);
    // The chart has no ServiceAccount, Role or RoleBinding (catalog claim rbac); the
    // Qdrant release has its ServiceAccount, which its pods run as, and so has the Redis
    // release (Bitnami serviceaccount.yaml).
    let mut accounts: Vec<&str> = ms
        .iter()
        .filter(|m| matches!(m.kind.as_str(), "ServiceAccount" | "Role" | "RoleBinding"))
        .map(|m| m.name.as_str())
        .collect();
    accounts.sort_unstable();
    assert_eq!(accounts, ["rae-memory-qdrant", "rae-memory-redis"]);
    let qdrant = pod_of(find(&ms, "StatefulSet", "rae-memory-qdrant").unwrap());
    assert_eq!(
        qdrant.service_account_name.as_deref(),
        Some("rae-memory-qdrant")
    );
    // templates/servicemonitor.yaml: named after the release, scraping the API.
    let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
    assert_eq!(sm.spec.endpoints[0].port, "http");
    assert_eq!(sm.spec.endpoints[0].interval.as_deref(), Some("30s"));
    assert_eq!(sm.spec.endpoints[0].scrape_timeout.as_deref(), Some("10s"));
    assert!(sm.spec.endpoints[0].relabelings.is_empty());
    // No dashboard: monitoring.grafanaDashboard.enabled is read by no template.
    assert!(ms.iter().all(|m| !m.name.contains("dashboard")));
    // templates/configmap.yaml: fixed cost settings, the releases' Service URLs; the
    // Celery workers load it and read the chart's Secret.
    let cm: ConfigMap = typed(find(&ms, "ConfigMap", "rae-memory").unwrap());
    let data = cm.data.unwrap();
    assert_eq!(data["DEFAULT_DAILY_LIMIT"], "10.00");
    assert_eq!(data["QDRANT_URL"], "http://rae-memory-qdrant:6333");
    let worker = pod_of(find(&ms, "Deployment", "rae-memory-celery-worker").unwrap());
    let c = &worker.containers[0];
    assert_eq!(
        c.env_from.as_ref().unwrap()[0]
            .config_map_ref
            .as_ref()
            .unwrap()
            .name,
        "rae-memory"
    );
    assert!(c
        .command
        .as_ref()
        .unwrap()
        .contains(&"--concurrency=4".to_string()));
    // The API's env is memoryApi.env as it is (Secret rae-secrets, which no template
    // creates: catalog claim secret-hosts).
    let api = pod_of(find(&ms, "Deployment", "rae-memory-api").unwrap());
    let env = api.containers[0].env.clone().unwrap();
    assert_eq!(env[0].name, "DATABASE_URL");
    let from = env[0].value_from.as_ref().unwrap().secret_key_ref.as_ref();
    assert_eq!(from.unwrap().name, "rae-secrets");
    assert!(env
        .iter()
        .any(|e| e.name == "QDRANT_URL" && e.value.as_deref() == Some("http://qdrant:6333")));
    let ms = rendered(
        &["rae-memory"],
        "prod",
        &["monitoring.serviceMonitor.interval=15s"],
    );
    let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
    assert_eq!(sm.spec.endpoints[0].interval.as_deref(), Some("15s"));
    let ms = rendered(&["rae-memory"], "prod", &["monitoring.enabled=false"]);
    assert!(ms.iter().all(|m| m.kind != "ServiceMonitor"));
    // The ServiceMonitor carries the chart's labels and monitoring.serviceMonitor.labels.
    let ms = rendered(
        &["rae-memory"],
        "prod",
        &["monitoring.serviceMonitor.labels.release=prometheus"],
    );
    let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
    let labels = sm.metadata.labels.unwrap();
    assert_eq!(labels["release"], "prometheus");
    assert_eq!(labels["helm.sh/chart"], "rae-memory-2.0.0");
    assert!(!labels.contains_key("app.kubernetes.io/component"));
    let mut c = config(&["rae-memory"], "prod", &[]);
    let drop: Value = serde_yaml::from_str("[{action: drop, regex: go_.*}]").unwrap();
    c.set(
        cat(),
        "rae-memory",
        "monitoring.serviceMonitor.metricRelabelings",
        drop,
    )
    .unwrap();
    let ms = render(cat(), &c);
    let sm: ServiceMonitor = typed(find(&ms, "ServiceMonitor", "rae-memory").unwrap());
    let drop = &sm.spec.endpoints[0].metric_relabelings[0];
    assert_eq!(drop.action.as_deref(), Some("drop"));
    // Caracal: k8s/servicemonitor.yaml's two, with monitoring.prometheus.serviceMonitor.
    let ms = rendered(&["caracal"], "prod", &[]);
    let names: Vec<&str> = ms
        .iter()
        .filter(|m| m.kind == "ServiceMonitor")
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["caracal-gateway", "caracal-mcp-adapter"]);
    let ms = rendered(&["caracal"], "staging", &[]);
    assert!(ms.iter().all(|m| m.kind != "ServiceMonitor"));
}

#[test]
fn rae_workloads_are_their_templates() {
    let ms = rendered(&["rae-memory"], "prod", &[]);
    // templates/deployment-celery-worker.yaml: no probes, the chart's Celery command.
    let pod = pod_of(find(&ms, "Deployment", "rae-memory-celery-worker").unwrap());
    let c = &pod.containers[0];
    assert!(c.liveness_probe.is_none() && c.readiness_probe.is_none());
    assert_eq!(
        c.command.as_ref().unwrap()[..3],
        ["celery", "-A", "apps.memory_api.tasks.celery_app"]
    );
    // Replicas left out while the HPA is on (prod: API, ML service and worker), written
    // where it is off (the reranker has none).
    for name in ["api", "ml-service", "celery-worker"] {
        let d: Deployment = typed(find(&ms, "Deployment", &format!("rae-memory-{name}")).unwrap());
        assert_eq!(d.spec.replicas, None, "{name}");
    }
    let ms = rendered(
        &["rae-memory"],
        "prod",
        &[
            "mlService.autoscaling.enabled=false",
            "mlService.replicaCount=3",
        ],
    );
    let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-ml-service").unwrap());
    assert_eq!(d.spec.replicas, Some(3));
    // The emptyDirs the templates name: tmp and model-cache.
    let pod = d.spec.template.spec.unwrap();
    let volumes: Vec<&str> = pod
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(volumes, ["tmp", "model-cache"]);
    // The Qdrant release: its labels, its init container, its ConfigMap's two keys.
    let s: StatefulSet = typed(find(&ms, "StatefulSet", "rae-memory-qdrant").unwrap());
    let labels = s.metadata.labels.unwrap();
    assert_eq!(labels["app.kubernetes.io/instance"], "rae-memory-qdrant");
    assert_eq!(labels["helm.sh/chart"], "qdrant-1.17.0");
    assert_eq!(s.spec.pod_management_policy.as_deref(), Some("Parallel"));
    let pod = s.spec.template.spec.unwrap();
    let pre_stop = pod.containers[0]
        .lifecycle
        .clone()
        .unwrap()
        .pre_stop
        .unwrap();
    assert_eq!(pre_stop.exec.unwrap().command.unwrap(), ["sleep", "3"]);
    let init = pod.init_containers.unwrap();
    assert_eq!(init[0].name, "ensure-dir-ownership");
    assert_eq!(init[0].command.as_ref().unwrap()[2], "1000:3000");
    let env: Vec<&str> = pod.containers[0]
        .env
        .iter()
        .flatten()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(env, ["QDRANT_INIT_FILE_PATH"]);
    let cm: ConfigMap = typed(find(&ms, "ConfigMap", "rae-memory-qdrant").unwrap());
    let keys: Vec<String> = cm.data.unwrap().into_keys().collect();
    assert_eq!(keys, ["initialize.sh", "production.yaml"]);
    let headless: Service = typed(find(&ms, "Service", "rae-memory-qdrant-headless").unwrap());
    assert_eq!(
        headless.metadata.labels.unwrap()["app.kubernetes.io/component"],
        "cluster-discovery"
    );
    let port = headless.spec.unwrap().ports.unwrap()[0].target_port.clone();
    assert_eq!(port, Some(IntOrString::Int(6333)));
}

#[test]
fn every_rae_pod_has_a_network_policy_and_empty_peer_lists_admit_nothing() {
    for sets in [
        &[][..],
        &[
            "postgresql.architecture=replication",
            "redis.sentinel.enabled=true",
        ][..],
    ] {
        // The chart's policies and the hardening overlay's together.
        let ms = render_hardened(cat(), &config(&["rae-memory"], "prod", sets));
        let policies: Vec<NetworkPolicy> = ms
            .iter()
            .filter(|m| m.kind == "NetworkPolicy")
            .map(typed)
            .collect();
        let covered = |pod: &BTreeMap<String, String>| {
            policies.iter().any(|np| {
                let sel = np.spec.as_ref().unwrap().pod_selector.clone().unwrap();
                let sel = sel.match_labels.unwrap_or_default();
                !sel.is_empty() && sel.iter().all(|(k, v)| pod.get(k) == Some(v))
            })
        };
        for m in ms
            .iter()
            .filter(|m| m.kind == "Deployment" || m.kind == "StatefulSet")
        {
            let v: Value = serde_yaml::from_str(&m.yaml).unwrap();
            let pod: BTreeMap<String, String> =
                serde_yaml::from_value(v["spec"]["template"]["metadata"]["labels"].clone())
                    .unwrap();
            assert!(
                covered(&pod),
                "{sets:?}: no NetworkPolicy selects {}",
                m.name
            );
        }
    }
    let ms = render_hardening(cat(), &config(&["rae-memory"], "prod", &[]));
    let worker = find(&ms, "NetworkPolicy", "rae-memory-celery-worker").unwrap();
    let worker: NetworkPolicy = typed(worker);
    let spec = worker.spec.unwrap();
    assert_eq!(spec.ingress, Some(vec![]), "the worker serves nothing");
    assert!(spec.egress.unwrap().len() >= 6);
    // "Only from these" with none of them is no rule at all: a rule with an empty `from`
    // would admit every source.
    assert!(ingress_from(vec![], None).is_empty());
    let c = config(&["rae-memory"], "prod", &["celeryWorker.enabled=false"]);
    for m in render_hardened(cat(), &c)
        .iter()
        .filter(|m| m.kind == "NetworkPolicy")
    {
        let np: NetworkPolicy = typed(m);
        for rule in np.spec.unwrap().ingress.unwrap_or_default() {
            assert!(
                rule.from.as_ref().is_none_or(|f| !f.is_empty()),
                "{} admits every source",
                m.name
            );
        }
    }
}
