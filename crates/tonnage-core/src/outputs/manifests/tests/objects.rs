//! What each kind of object carries: placeholder Secrets, containers' resources, probes and
//! security, sidecars, claims, writable paths, anti-affinity and budgets, autoscalers.

use super::*;

#[test]
fn secrets_hold_the_values_and_existing_secrets_are_referenced() {
    for (chart, env) in every_chart_env() {
        for m in rendered(&[&chart], &env, &[]) {
            if m.kind != "Secret" {
                continue;
            }
            // The templates' field: base64 `data`, or `stringData` (RAE); never Tonnage's
            // CHANGE_ME where a template writes a value.
            let s: Secret = typed(&m);
            assert!(s.data.is_some() != s.string_data.is_some(), "{}", m.yaml);
            assert!(!m.yaml.contains(PLACEHOLDER), "{chart} {env}: {}", m.yaml);
        }
    }
    // Bitnami PostgreSQL: its own Secret, unless auth.existingSecret names one; the values'
    // password, the postgres user's generated at install (a placeholder naming the template).
    let ms = rendered(&["cauldron-infra"], "prod", &[]);
    let pg: Secret = typed(find(&ms, "Secret", "cauldron-infra-postgresql").unwrap());
    let data = pg.data.unwrap();
    assert_eq!(data["password"].0, b"please_change_in_env");
    assert_eq!(
        String::from_utf8(data["postgres-password"].0.clone()).unwrap(),
        generated_placeholder("postgresql/templates/secrets.yaml")
    );
    let ms = rendered(
        &["cauldron-infra"],
        "prod",
        &["postgresql.auth.existingSecret=cauldron-postgresql"],
    );
    assert!(find(&ms, "Secret", "cauldron-infra-postgresql").is_none());
    let sts = find(&ms, "StatefulSet", "cauldron-infra-postgresql-primary").unwrap();
    assert!(
        sts.yaml.contains("name: cauldron-postgresql"),
        "{}",
        sts.yaml
    );
    // cauldron-infra's own Secret: TimescaleDB's password, as its values give it.
    let ts = find(&ms, "Deployment", "cauldron-infra-timescaledb").unwrap();
    assert!(ts.yaml.contains("name: cauldron-secrets"), "{}", ts.yaml);
    assert!(ts.yaml.contains("key: timescale-password"), "{}", ts.yaml);
    let own: Secret = typed(find(&ms, "Secret", "cauldron-secrets").unwrap());
    assert_eq!(own.data.unwrap()["rabbitmq-user"].0, b"guest");
    // cauldron-frappe: its own Secret for the admin password; the database password comes
    // from cauldron-infra's Secret (frappe.db.passwordSecret), which it does not render.
    let ms = rendered(
        &["cauldron-frappe"],
        "prod",
        &["frappe.site.adminPassword=s3cret"],
    );
    let secrets: Vec<&str> = ms
        .iter()
        .filter(|m| m.kind == "Secret")
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(secrets, ["cauldron-frappe-secret"]);
    let admin: Secret = typed(find(&ms, "Secret", "cauldron-frappe-secret").unwrap());
    assert_eq!(admin.data.unwrap()["admin-password"].0, b"s3cret");
    let web = find(&ms, "Deployment", "cauldron-frappe-web").unwrap();
    assert!(web.yaml.contains("name: cauldron-secrets"), "{}", web.yaml);
    assert!(web.yaml.contains("key: db-root-password"), "{}", web.yaml);
    // Rhesis: the existing Secret rhesis-secrets and its keys (secretKeys.*); none rendered.
    let ms = rendered(&["rhesis"], "local", &[]);
    assert!(ms.iter().all(|m| m.kind != "Secret"));
    let pg = find(&ms, "Deployment", "postgres").unwrap();
    assert!(pg.yaml.contains("name: rhesis-secrets"), "{}", pg.yaml);
    assert!(pg.yaml.contains("key: POSTGRES_PASSWORD"), "{}", pg.yaml);
    // RAE: rae-memory-secrets comes from the External Secrets Operator in prod.
    let ms = rendered(&["rae-memory"], "prod", &[]);
    let es: ExternalSecret = typed(find(&ms, "ExternalSecret", "rae-memory-secrets").unwrap());
    assert_eq!(es.spec.secret_store_ref.name, "aws-secrets-manager");
    assert_eq!(es.spec.target.name, "rae-memory-secrets");
    assert_eq!(es.spec.data.len(), 7);
    assert_eq!(es.spec.data[0].secret_key, "database-url");
    assert_eq!(es.spec.data[0].remote_ref.key, "rae/database-url");
    assert!(find(&ms, "Secret", "rae-memory-secrets").is_none());
    // In dev its template's own: URLs composed of the values, keys absent empty, the JWT
    // secret generated at install unless given.
    let ms = rendered(&["rae-memory"], "dev", &["secrets.apiMasterKey=k"]);
    let s: Secret = typed(find(&ms, "Secret", "rae-memory-secrets").unwrap());
    let data = s.string_data.unwrap();
    assert!(
        data["database-url"].starts_with("postgresql://rae:")
            && data["database-url"].ends_with("@rae-memory-postgresql:5432/rae_memory"),
        "{}",
        data["database-url"]
    );
    assert_eq!(data["openai-api-key"], "");
    assert_eq!(
        data["jwt-secret"],
        generated_placeholder("templates/secret.yaml")
    );
    assert_eq!(data["api-master-key"], "k");
    assert!(ms.iter().all(|m| m.kind != "ExternalSecret"));
    // Caracal: k8s/v03/secret.yaml's text (a placeholder naming it), unless the values change
    // a password: the overlay's value then.
    let ms = rendered(&["caracal"], "dev", &["redis.auth.password=r3dis"]);
    let s: Secret = typed(find(&ms, "Secret", "caracal-secrets").unwrap());
    let data = s.data.unwrap();
    assert_eq!(
        String::from_utf8(data["DB_PASSWORD"].0.clone()).unwrap(),
        template_placeholder("k8s/v03/secret.yaml")
    );
    assert_eq!(data["REDIS_PASSWORD"].0, b"r3dis");
}

/// The resources map a container's figures come from: the component's, or its sidecar's.
fn resources_path<'a>(comp: &'a Component, container: usize, name: &str) -> Option<&'a str> {
    if container == 0 {
        comp.values.resources.as_deref()
    } else {
        comp.values
            .sidecars
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.resources.as_deref())
    }
}

#[test]
fn containers_carry_resources_probes_and_restricted_security() {
    for (chart_id, env) in every_chart_env() {
        let chart = cat().chart(&chart_id).unwrap();
        let values = config(&[&chart_id], &env, &[])
            .effective(chart)
            .into_owned();
        // Security is checked on what the hardening overlay builds: a chart whose templates
        // are known gets Tonnage's contexts from its patches, the others in the render.
        let hardened = render_hardened(cat(), &config(&[&chart_id], &env, &[]));
        for m in rendered(&[&chart_id], &env, &[]) {
            if m.kind != "Deployment" && m.kind != "StatefulSet" {
                continue;
            }
            let pod = pod_of(&m);
            let hard_pod = pod_of(find(&hardened, &m.kind, &m.name).unwrap());
            let psc = hard_pod.security_context.clone().unwrap();
            assert_eq!(psc.run_as_non_root, Some(true), "{}", m.name);
            assert_eq!(psc.seccomp_profile.unwrap().type_, "RuntimeDefault");
            let v: Value = serde_yaml::from_str(&m.yaml).unwrap();
            let comp = chart
                .components
                .iter()
                .find(|c| c.workload_name(&values) == Some(m.name.as_str()))
                .or_else(|| {
                    v["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
                        .as_str()
                        .and_then(|id| chart.component(id))
                })
                .unwrap();
            for (i, c) in pod.containers.iter().enumerate() {
                // Every figure the values give is on the container; a map the values
                // leave empty (Bitnami's exporters, its read replicas' limits) stays empty.
                let r = c.resources.clone().unwrap();
                let res = resources_path(comp, i, &c.name);
                for (kind, map) in [("requests", &r.requests), ("limits", &r.limits)] {
                    for key in ["cpu", "memory"] {
                        let given = res.is_some_and(|p| {
                            crate::base::values::lookup(&values, &format!("{p}.{kind}.{key}"))
                                .is_some_and(|v| !v.is_null())
                        });
                        // A request the values leave out stays out, as Helm writes it.
                        let expect = given;
                        let has = map.as_ref().is_some_and(|m| m.contains_key(key));
                        assert_eq!(has, expect, "{} {}: {kind}.{key}", m.name, c.name);
                    }
                }
            }
            for c in hard_pod
                .containers
                .iter()
                .chain(hard_pod.init_containers.iter().flatten())
            {
                let sc = c.security_context.clone().unwrap();
                assert_eq!(sc.allow_privilege_escalation, Some(false));
                assert_eq!(sc.capabilities.unwrap().drop.unwrap(), ["ALL"]);
                let image = c.image.clone().unwrap();
                assert!(image.contains(':'), "{image} has a tag");
            }
            // Init containers the chart's template writes without resources (catalog
            // `render.init_env`) have none in the plain render; Tonnage's own have both.
            let as_written =
                |name: &str| comp.render().is_some_and(|r| r.init_env.contains_key(name));
            for c in pod.init_containers.iter().flatten() {
                if as_written(&c.name) {
                    assert!(c.resources.is_none(), "{}", m.name);
                    continue;
                }
                let r = c.resources.clone().unwrap();
                assert!(r.requests.is_some() && r.limits.is_some(), "{}", m.name);
            }
            let main = &pod.containers[0];
            assert_eq!(main.name, *comp.container.as_ref().unwrap_or(&comp.id));
            // Probes where the catalog has them (RAE's Celery worker: none, as its template).
            assert_eq!(
                main.liveness_probe.is_some(),
                comp.probes.liveness.is_some()
            );
            assert_eq!(
                main.readiness_probe.is_some(),
                comp.probes.readiness.is_some()
            );
            // Only RabbitMQ's peer discovery talks to the API: only its pods get a token
            // (the Qdrant chart's pods run as its ServiceAccount but never call the API).
            let rbac = pod
                .service_account_name
                .as_deref()
                .is_some_and(|s| s.ends_with("rabbitmq"));
            assert_eq!(
                hard_pod.automount_service_account_token,
                Some(rbac),
                "{}",
                m.name
            );
            // The plain render of a chart whose templates are known in every field the
            // records hold (tests/manifests_real.rs, EXTENDED) adds none of it.
            if ["rhesis", "cauldron-frappe"].contains(&chart.id.as_str()) {
                assert!(pod.affinity.is_none() && pod.automount_service_account_token.is_none());
                assert!(pod.enable_service_links.is_none(), "{}", m.name);
            }
        }
    }
}

#[test]
fn sidecars_render_as_containers_with_their_resources() {
    // cauldron-infra prod: postgres-exporter beside every PostgreSQL pod, redis-exporter
    // beside every Bitnami Redis pod; neither the chart nor Bitnami gives them resources.
    let ms = rendered(&["cauldron-infra"], "prod", &[]);
    for (name, port) in [
        ("cauldron-infra-postgresql-primary", 9187),
        ("cauldron-infra-postgresql-read", 9187),
        ("cauldron-infra-redis-master", 9121),
        ("cauldron-infra-redis-replicas", 9121),
    ] {
        let pod = pod_of(find(&ms, "StatefulSet", name).unwrap());
        assert_eq!(pod.containers.len(), 2, "{name}");
        let m = &pod.containers[1];
        assert_eq!(m.name, "metrics");
        assert!(m.image.as_deref().unwrap().contains("exporter"), "{name}");
        assert_eq!(m.ports.as_ref().unwrap()[0].container_port, port);
        let r = m.resources.clone().unwrap();
        assert!(r.requests.is_none() && r.limits.is_none(), "{name}");
    }
    // Switched off, the exporter goes; sized, it carries its figures.
    let ms = rendered(
        &["cauldron-infra"],
        "prod",
        &[
            "redis.metrics.enabled=false",
            "postgresql.metrics.resources.requests.cpu=50m",
            "postgresql.metrics.resources.limits.memory=64Mi",
        ],
    );
    let pod = pod_of(find(&ms, "StatefulSet", "cauldron-infra-redis-master").unwrap());
    assert_eq!(pod.containers.len(), 1);
    let pod = pod_of(find(&ms, "StatefulSet", "cauldron-infra-postgresql-primary").unwrap());
    let r = pod.containers[1].resources.clone().unwrap();
    assert_eq!(r.requests.unwrap()["cpu"].0, "50m");
    assert_eq!(r.limits.unwrap()["memory"].0, "64Mi");
    // Sentinel: a container of every -node pod, with its own claim template.
    let ms = rendered(
        &["rae-memory"],
        "prod",
        &[
            "redis.sentinel.enabled=true",
            "redis.sentinel.persistence.enabled=true",
        ],
    );
    let s: StatefulSet = typed(find(&ms, "StatefulSet", "rae-memory-redis-node").unwrap());
    let names: Vec<String> = s
        .spec
        .template
        .spec
        .unwrap()
        .containers
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["redis", "sentinel"]);
    let claims: Vec<String> = s
        .spec
        .volume_claim_templates
        .unwrap()
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    // Bitnami Redis names its data claim redis-data (sentinel/statefulset.yaml).
    assert_eq!(claims, ["redis-data", "sentinel-data"]);
}

#[test]
fn claim_templates_and_standalone_claims_are_the_charts() {
    // Caracal's Zookeeper: two claims per node (k8s/v03/zookeeper-statefulset.yaml).
    let ms = rendered(&["caracal"], "prod", &[]);
    let zk: StatefulSet = typed(find(&ms, "StatefulSet", "caracal-zookeeper").unwrap());
    let templates = zk.spec.volume_claim_templates.unwrap();
    let named: Vec<(String, i64)> = templates
        .iter()
        .map(|t| (t.metadata.name.clone().unwrap(), pvc_storage(t)))
        .collect();
    assert_eq!(
        named,
        [
            ("zookeeper-data".to_string(), 10 << 30),
            ("zookeeper-log".to_string(), 10 << 30)
        ]
    );
    let mounts: Vec<String> = zk.spec.template.spec.unwrap().containers[0]
        .volume_mounts
        .clone()
        .unwrap()
        .into_iter()
        .map(|m| m.mount_path)
        .collect();
    assert!(mounts.contains(&"/var/lib/zookeeper/log".to_string()));
    // Off: no template, the pod keeps an emptyDir under the same name.
    let ms = rendered(
        &["caracal"],
        "prod",
        &["zookeeper.persistence.enabled=false"],
    );
    let zk: StatefulSet = typed(find(&ms, "StatefulSet", "caracal-zookeeper").unwrap());
    assert!(zk.spec.volume_claim_templates.is_none());
    let volumes = zk.spec.template.spec.unwrap().volumes.unwrap();
    assert!(volumes
        .iter()
        .any(|v| v.name == "zookeeper-log" && v.empty_dir.is_some()));
    // Rhesis: Deployments with the standalone claims the chart names.
    let ms = rendered(&["rhesis"], "prod", &[]);
    for (deployment, claim, size) in [
        ("postgres", "postgres-pvc", 100i64 << 30),
        ("redis", "redis-pvc", 10 << 30),
    ] {
        let pvc: PersistentVolumeClaim = typed(find(&ms, "PersistentVolumeClaim", claim).unwrap());
        assert_eq!(pvc_storage(&pvc), size);
        let pod = pod_of(find(&ms, "Deployment", deployment).unwrap());
        assert!(pod.volumes.unwrap().iter().any(|v| v
            .persistent_volume_claim
            .as_ref()
            .is_some_and(|c| c.claim_name == claim)));
    }
    // cauldron-infra: TimescaleDB and Qdrant are Deployments with standalone claims.
    let ms = rendered(&["cauldron-infra"], "dev", &[]);
    for (deployment, claim) in [
        (
            "cauldron-infra-timescaledb",
            "cauldron-infra-timescaledb-data",
        ),
        ("cauldron-infra-qdrant", "cauldron-infra-qdrant-data"),
    ] {
        assert!(
            find(&ms, "Deployment", deployment).is_some(),
            "{deployment}"
        );
        assert!(
            find(&ms, "PersistentVolumeClaim", claim).is_some(),
            "{claim}"
        );
    }
    // An existing claim replaces the Bitnami primary's template.
    let ms = rendered(
        &["cauldron-infra"],
        "dev",
        &["postgresql.primary.persistence.existingClaim=pg-data"],
    );
    let s: StatefulSet = typed(find(&ms, "StatefulSet", "cauldron-infra-postgresql").unwrap());
    assert!(s.spec.volume_claim_templates.is_none());
    assert!(s
        .spec
        .template
        .spec
        .unwrap()
        .volumes
        .unwrap()
        .iter()
        .any(|v| v
            .persistent_volume_claim
            .as_ref()
            .is_some_and(|c| c.claim_name == "pg-data")));
}

#[test]
fn read_only_root_gets_writable_empty_dirs() {
    let ms = rendered(&["rae-memory"], "dev", &[]);
    let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-api").unwrap());
    let pod = d.spec.template.spec.unwrap();
    let c = &pod.containers[0];
    assert_eq!(
        c.security_context
            .as_ref()
            .unwrap()
            .read_only_root_filesystem,
        Some(true)
    );
    let mounts = c.volume_mounts.clone().unwrap();
    assert!(mounts.iter().any(|m| m.mount_path == "/tmp"));
    let ms = rendered(
        &["rae-memory"],
        "dev",
        &["securityContext.readOnlyRootFilesystem=false"],
    );
    let d: Deployment = typed(find(&ms, "Deployment", "rae-memory-api").unwrap());
    let c = &d.spec.template.spec.unwrap().containers[0];
    assert_eq!(
        c.security_context
            .as_ref()
            .unwrap()
            .read_only_root_filesystem,
        Some(false)
    );
    // The chart's securityContext is not passed to the Qdrant release.
    let s: StatefulSet = typed(find(&ms, "StatefulSet", "rae-memory-qdrant").unwrap());
    let c = &s.spec.template.spec.unwrap().containers[0];
    assert_ne!(
        c.security_context
            .as_ref()
            .and_then(|s| s.read_only_root_filesystem),
        Some(false)
    );
}

#[test]
fn replicas_get_anti_affinity_spread_and_a_budget() {
    let ms = rendered(&["caracal"], "prod", &[]);
    // Anti-affinity and spread where the files write none: the hardened render's.
    let hardened = render_hardened(cat(), &config(&["caracal"], "prod", &[]));
    let kafka: StatefulSet = typed(find(&hardened, "StatefulSet", "caracal-kafka").unwrap());
    let pod = kafka.spec.template.spec.unwrap();
    let anti = pod.affinity.unwrap().pod_anti_affinity.unwrap();
    let req = anti
        .required_during_scheduling_ignored_during_execution
        .unwrap();
    assert_eq!(req[0].topology_key, "kubernetes.io/hostname");
    let spread = pod.topology_spread_constraints.unwrap();
    assert_eq!(spread[0].topology_key, "topology.kubernetes.io/zone");
    assert_eq!(spread[0].when_unsatisfiable, "ScheduleAnyway");
    // The plain render has the budgets of the chart's own files (k8s/pdb.yaml, catalog
    // `pdb`, switched on by their values); the others are hardening, in the overlay's objects.
    let own: Vec<&str> = ms
        .iter()
        .filter(|m| m.kind == "PodDisruptionBudget")
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(own, ["caracal-gateway-pdb", "caracal-mcp-adapter-pdb"]);
    let pdb: PodDisruptionBudget =
        typed(find(&ms, "PodDisruptionBudget", "caracal-gateway-pdb").unwrap());
    assert_eq!(pdb.spec.unwrap().min_available, Some(IntOrString::Int(2)));
    let hard = render_hardening(cat(), &config(&["caracal"], "prod", &[]));
    // Kafka is a quorum system: minAvailable 2 of 3.
    let pdb: PodDisruptionBudget =
        typed(find(&hard, "PodDisruptionBudget", "caracal-kafka").unwrap());
    assert_eq!(pdb.spec.unwrap().min_available, Some(IntOrString::Int(2)));
    let gw: Deployment = typed(find(&hardened, "Deployment", "caracal-gateway").unwrap());
    let anti = gw
        .spec
        .template
        .spec
        .unwrap()
        .affinity
        .unwrap()
        .pod_anti_affinity
        .unwrap();
    let pref = anti
        .preferred_during_scheduling_ignored_during_execution
        .unwrap();
    assert_eq!(pref[0].weight, 100);
    // A budget of its own: the overlay adds none beside it.
    assert!(find(&hard, "PodDisruptionBudget", "caracal-gateway").is_none());
    let pdb: PodDisruptionBudget =
        typed(find(&hard, "PodDisruptionBudget", "caracal-schema-registry").unwrap());
    assert_eq!(pdb.spec.unwrap().max_unavailable, Some(IntOrString::Int(1)));
    // One replica: no budget; the gateway's affinity is its file's (catalog
    // `anti_affinity`: preferred, by component), whatever its replicas, Kafka's none.
    let ms = rendered(&["caracal"], "dev", &[]);
    let hard = render_hardening(cat(), &config(&["caracal"], "dev", &[]));
    assert!(hard.iter().all(|m| m.kind != "PodDisruptionBudget"));
    let gw: Deployment = typed(find(&ms, "Deployment", "caracal-gateway").unwrap());
    let anti = gw
        .spec
        .template
        .spec
        .unwrap()
        .affinity
        .unwrap()
        .pod_anti_affinity
        .unwrap();
    assert!(anti
        .required_during_scheduling_ignored_during_execution
        .is_none());
    let term = &anti
        .preferred_during_scheduling_ignored_during_execution
        .unwrap()[0];
    assert_eq!(term.weight, 100);
    let expr = &term
        .pod_affinity_term
        .label_selector
        .as_ref()
        .unwrap()
        .match_expressions
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        (expr.key.as_str(), expr.operator.as_str()),
        ("app.kubernetes.io/component", "In")
    );
    assert_eq!(expr.values.as_deref(), Some(&["gateway".to_string()][..]));
    let kafka: StatefulSet = typed(find(&ms, "StatefulSet", "caracal-kafka").unwrap());
    assert!(kafka.spec.template.spec.unwrap().affinity.is_none());
}

#[test]
fn autoscalers_follow_the_values_and_the_rae_chart() {
    let ms = rendered(&["rae-memory"], "prod", &[]);
    let h: HorizontalPodAutoscaler =
        typed(find(&ms, "HorizontalPodAutoscaler", "rae-memory-api").unwrap());
    assert_eq!(h.spec.scale_target_ref.name, "rae-memory-api");
    assert_eq!((h.spec.min_replicas, h.spec.max_replicas), (Some(5), 20));
    let cpu = &h.spec.metrics.as_ref().unwrap()[0];
    assert_eq!(
        cpu.resource.as_ref().unwrap().target.average_utilization,
        Some(60)
    );
    // The ML service's HPA (1-5) is on in the chart's values.yaml.
    assert!(find(&ms, "HorizontalPodAutoscaler", "rae-memory-ml-service").is_some());
    let h: HorizontalPodAutoscaler =
        typed(find(&ms, "HorizontalPodAutoscaler", "rae-memory-celery-worker").unwrap());
    let metrics = h.spec.metrics.unwrap();
    assert_eq!(metrics.len(), 2, "CPU 80% and memory 75%");
    assert_eq!(metrics[1].resource.as_ref().unwrap().name, "memory");
    // templates/hpa-celery-worker.yaml: scale up by the larger of 100% and 2 pods per 30s
    // (selectPolicy Max, not the guide's "max 2 pods at once": catalog claim
    // celery-scale-up), scale down 50% per 60s after 300s.
    let b = h.spec.behavior.unwrap();
    let up = b.scale_up.unwrap();
    assert_eq!(up.select_policy.as_deref(), Some("Max"));
    assert_eq!(up.policies.unwrap()[1].value, 2);
    let down = b.scale_down.unwrap();
    assert_eq!(down.stabilization_window_seconds, Some(300));
    let ms = rendered(&["rae-memory"], "dev", &[]);
    assert!(find(&ms, "HorizontalPodAutoscaler", "rae-memory-api").is_none());
    // Caracal's HPA keeps the manifest's name.
    let ms = rendered(&["caracal"], "prod", &[]);
    let h: HorizontalPodAutoscaler =
        typed(find(&ms, "HorizontalPodAutoscaler", "caracal-gateway-hpa").unwrap());
    assert_eq!(h.spec.scale_target_ref.name, "caracal-gateway");
}
