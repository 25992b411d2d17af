//! The manifests agree with the plan: the parsed YAML summed per workload and in total (replicas,
//! requests, limits, claims) equals the plan's figures, for every preset and after overrides.

use super::*;

/// Figures summed from the rendered objects, parsed back into k8s-openapi types.
#[derive(Debug, Default, PartialEq, Eq)]
struct Sums {
    replicas: i64,
    req_cpu: i64,
    req_mem: i64,
    lim_cpu: i64,
    lim_mem: i64,
    storage: i64,
}

/// One container's [requests cpu, requests memory, limits cpu, limits memory]: a request left
/// out counts as its limit, as Kubernetes defaults it per container.
fn figures(c: &Container) -> [i64; 4] {
    let r = c.resources.clone().unwrap_or_default();
    let req = |key: &str, milli: bool| match q(&r.requests, key, milli) {
        0 => q(&r.limits, key, milli),
        v => v,
    };
    [
        req("cpu", true),
        req("memory", false),
        q(&r.limits, "cpu", true),
        q(&r.limits, "memory", false),
    ]
}

/// Adds `n` pods as Kubernetes counts one (resourcehelper `PodRequests` / `PodLimits`): every
/// container (the main one, its sidecars, the user's) adds up; each init container runs alone
/// beside the restartable ones started before it (`restartPolicy: Always`, which also run
/// beside the containers); the pod takes the larger, figure by figure.
fn add_pod(s: &mut Sums, pod: &PodSpec, n: i64) {
    s.replicas += n;
    let mut running = [0i64; 4];
    for c in &pod.containers {
        let f = figures(c);
        (0..4).for_each(|k| running[k] += f[k]);
    }
    let (mut sidecars, mut peak) = ([0i64; 4], [0i64; 4]);
    for c in pod.init_containers.iter().flatten() {
        let f = figures(c);
        let always = c.restart_policy.as_deref() == Some("Always");
        for k in 0..4 {
            if always {
                running[k] += f[k];
                sidecars[k] += f[k];
                peak[k] = peak[k].max(sidecars[k]);
            } else {
                peak[k] = peak[k].max(f[k] + sidecars[k]);
            }
        }
    }
    let pod = [0, 1, 2, 3].map(|k| running[k].max(peak[k]));
    s.req_cpu += n * pod[0];
    s.req_mem += n * pod[1];
    s.lim_cpu += n * pod[2];
    s.lim_mem += n * pod[3];
}

/// Baseline and peak sums of the rendered objects; checks spec.replicas = HPA minimum.
/// Whether the chart's files keep a workload's own count beside its HPA (catalog
/// `render.hpa_keeps_replicas`).
fn hpa_keeps_replicas(chart: &str) -> bool {
    cat()
        .chart(chart)
        .and_then(|c| c.render())
        .is_some_and(|r| r.hpa_keeps_replicas)
}

/// A workload's baseline and peak replicas: spec.replicas, or under an HPA its minimum
/// and maximum. spec.replicas is then the HPA minimum, unless the chart's files keep their
/// own count (which the HPA scales from: [`assert_workloads`] checks it).
fn under_hpa(m: &Manifest, n: i64, hpas: &BTreeMap<String, (i64, i64)>) -> (i64, i64) {
    match hpas.get(&m.name) {
        Some((min, max)) => {
            if !hpa_keeps_replicas(&m.chart) {
                assert_eq!(n, *min, "{}: spec.replicas is the HPA minimum", m.name);
            }
            (*min, *max)
        }
        None => (n, n),
    }
}

/// The pods a workload runs at baseline: its `replicas`; left out (a template that lets
/// the HPA set it), the HPA's minimum, which the HPA scales the API server's default 1 to.
fn replicas_run(replicas: Option<i32>, hpa: Option<&(i64, i64)>) -> i64 {
    match (replicas, hpa) {
        (None, Some((min, _))) => *min,
        (n, _) => i64::from(n.unwrap_or(1)),
    }
}

fn sums(ms: &[Manifest]) -> (Sums, Sums) {
    let mut hpas: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for m in ms.iter().filter(|m| m.kind == "HorizontalPodAutoscaler") {
        let h: HorizontalPodAutoscaler = typed(m);
        hpas.insert(
            h.spec.scale_target_ref.name.clone(),
            (
                i64::from(h.spec.min_replicas.unwrap_or(1)),
                i64::from(h.spec.max_replicas),
            ),
        );
    }
    let (mut base, mut peak) = (Sums::default(), Sums::default());
    for m in ms {
        match m.kind.as_str() {
            "Deployment" => {
                let d: Deployment = typed(m);
                let n = replicas_run(d.spec.replicas, hpas.get(&m.name));
                let pod = d.spec.template.spec.clone().unwrap_or_default();
                let (n, p) = under_hpa(m, n, &hpas);
                add_pod(&mut base, &pod, n);
                add_pod(&mut peak, &pod, p);
            }
            "StatefulSet" => {
                let s: StatefulSet = typed(m);
                let n = replicas_run(s.spec.replicas, hpas.get(&m.name));
                let pod = s.spec.template.spec.clone().unwrap_or_default();
                let (n, p) = under_hpa(m, n, &hpas);
                add_pod(&mut base, &pod, n);
                add_pod(&mut peak, &pod, p);
                // Every claim template, once per replica.
                let claim: i64 = s
                    .spec
                    .volume_claim_templates
                    .iter()
                    .flatten()
                    .map(pvc_storage)
                    .sum();
                base.storage += claim * n;
                peak.storage += claim * p;
            }
            // Standalone claims, once.
            "PersistentVolumeClaim" => {
                let p: PersistentVolumeClaim = typed(m);
                base.storage += pvc_storage(&p);
                peak.storage += pvc_storage(&p);
            }
            _ => {}
        }
    }
    (base, peak)
}

fn plan_sums(t: &crate::compute::plan::Total) -> Sums {
    Sums {
        replicas: t.replicas,
        req_cpu: t.requests.cpu_millicores,
        req_mem: t.requests.memory_bytes,
        lim_cpu: t.limits.cpu_millicores,
        lim_mem: t.limits.memory_bytes,
        storage: t.storage_bytes,
    }
}

/// Whether a sidecar is on, read from the values independently of the rendering: its
/// `enabled` bool (absent: on), every `enabled_when` and one of its `enabled_any`.
fn sidecar_on(values: &Value, sc: &Sidecar) -> bool {
    let get = |p: &str| crate::base::values::lookup(values, p).filter(|v| !v.is_null());
    let on = sc
        .enabled
        .as_deref()
        .is_none_or(|p| matches!(get(p), Some(Value::Bool(true))));
    on && sc.enabled_when.iter().all(|w| w.holds(get(&w.path)))
        && (sc.enabled_any.is_empty() || sc.enabled_any.iter().any(|w| w.holds(get(&w.path))))
}

/// Per enabled component of the plan: its workload is rendered with the catalog's kind and
/// the name the real chart gives it, with the plan's replicas; its pod holds the main
/// container and exactly the sidecars that are on, whose figures add up to the plan's per
/// replica; its claim templates add up to the plan's storage per replica. Per enabled
/// standalone volume: the PersistentVolumeClaim the chart names, with the plan's size.
fn assert_workloads(c: &Configuration, ms: &[Manifest], p: &Plan) {
    for cp in p.components.iter().filter(|cp| cp.enabled) {
        let chart = cat().chart(&cp.stack).unwrap();
        let comp = chart.component(&cp.id).unwrap();
        let values = c.effective(chart);
        let name = comp
            .workload_name(&values)
            .map_or_else(|| format!("{}-{}", chart.id, comp.id), str::to_string);
        let kind = comp.kind.as_str();
        let m = ms
            .iter()
            .find(|m| m.chart == chart.id && m.kind == kind && m.name == name)
            .unwrap_or_else(|| panic!("{} {}: no {kind} {name}", cp.stack, cp.id));
        let (replicas, pod, claim) = match comp.kind {
            WorkloadKind::Deployment => {
                let d: Deployment = typed(m);
                (d.spec.replicas, d.spec.template.spec.unwrap(), 0)
            }
            WorkloadKind::StatefulSet => {
                let s: StatefulSet = typed(m);
                let claim = s
                    .spec
                    .volume_claim_templates
                    .iter()
                    .flatten()
                    .map(pvc_storage)
                    .sum();
                (s.spec.replicas, s.spec.template.spec.unwrap(), claim)
            }
        };
        let at = format!("{} {} ({kind} {name})", cp.stack, cp.id);
        // Left out under an HPA, the HPA's minimum; under an HPA whose chart keeps its own
        // count, spec.replicas is the values' count and the baseline the HPA's minimum.
        let hpa = ms
            .iter()
            .filter(|h| h.chart == chart.id && h.kind == "HorizontalPodAutoscaler")
            .map(typed::<HorizontalPodAutoscaler>)
            .find(|h| h.spec.scale_target_ref.name == name)
            .map(|h| {
                (
                    i64::from(h.spec.min_replicas.unwrap_or(1)),
                    i64::from(h.spec.max_replicas),
                )
            });
        let baseline = match (hpa, &comp.values.replicas) {
            (Some((min, _)), Some(p)) if hpa_keeps_replicas(&chart.id) => {
                let own = crate::base::values::lookup(&values, p).and_then(Value::as_i64);
                assert_eq!(replicas.map(i64::from), own, "{at}: the values' count");
                min
            }
            _ => replicas_run(replicas, hpa.as_ref()),
        };
        assert_eq!(baseline, cp.replicas.baseline, "{at}");
        let names =
            |cs: &[Container]| -> Vec<String> { cs.iter().map(|c| c.name.clone()).collect() };
        // The catalog's sidecars that are on, by name, and the containers of the user's lists
        // (`list`), by their names in the values.
        let expected = |init: bool| -> Vec<String> {
            let mut out = Vec::new();
            for sc in comp.values.sidecars.iter().filter(|sc| sc.init == init) {
                if !sidecar_on(&values, sc) {
                    continue;
                }
                match &sc.list {
                    None => out.push(sc.name.clone()),
                    Some(l) => out.extend(
                        crate::base::values::lookup(&values, l)
                            .and_then(Value::as_sequence)
                            .into_iter()
                            .flatten()
                            .filter_map(|c| c.get("name").and_then(Value::as_str))
                            .map(str::to_string),
                    ),
                }
            }
            out
        };
        let mut sidecars = names(&pod.containers[1..]);
        let mut want = expected(false);
        sidecars.sort();
        want.sort();
        assert_eq!(sidecars, want, "{at}: sidecars");
        let inits = names(pod.init_containers.as_deref().unwrap_or_default());
        for name in expected(true) {
            assert!(
                inits.contains(&name),
                "{at}: init container {name} in {inits:?}"
            );
        }
        let mut s = Sums::default();
        add_pod(&mut s, &pod, 1);
        assert_eq!(
            (s.req_cpu, s.req_mem, s.lim_cpu, s.lim_mem),
            (
                cp.requests.cpu_millicores,
                cp.requests.memory_bytes,
                cp.limits.cpu_millicores,
                cp.limits.memory_bytes
            ),
            "{at}: per-pod requests and limits"
        );
        assert_eq!(claim, cp.storage_bytes, "{at}: claim templates per replica");
    }
    for vp in p
        .volumes
        .iter()
        .filter(|v| v.enabled && v.storage_bytes > 0)
    {
        let chart = cat().chart(&vp.stack).unwrap();
        let vol = chart.volume(&vp.id).unwrap();
        let name = vol
            .claim
            .clone()
            .unwrap_or_else(|| format!("{}-{}", chart.id, vol.id));
        let m = find(ms, "PersistentVolumeClaim", &name)
            .unwrap_or_else(|| panic!("{} {}: no claim {name}", vp.stack, vp.id));
        assert_eq!(pvc_storage(&typed(m)), vp.storage_bytes, "{name}");
    }
}

fn assert_agrees(stacks: &[&str], env: &str, sets: &[&str]) {
    let c = config(stacks, env, sets);
    let ms = render(cat(), &c);
    let p = crate::compute::plan::plan(cat(), &c);
    let (base, peak) = sums(&ms);
    assert_eq!(
        base,
        plan_sums(&p.totals.baseline),
        "{stacks:?} {env} {sets:?} baseline"
    );
    assert_eq!(
        peak,
        plan_sums(&p.totals.peak),
        "{stacks:?} {env} {sets:?} peak"
    );
    assert_workloads(&c, &ms, &p);
}

#[test]
fn manifests_agree_with_the_plan_for_every_chart_and_environment() {
    for (chart, env) in every_chart_env() {
        assert_agrees(&[&chart], &env, &[]);
    }
    assert_agrees(&["cauldron-infra", "cauldron-frappe"], "prod", &[]);
}

#[test]
fn manifests_agree_with_the_plan_after_overrides() {
    assert_agrees(
        &["rhesis"],
        "prod",
        &["backend.replicas=4", "worker.enabled=false"],
    );
    // Rhesis's standalone Redis claim switched off: no claim, no storage.
    assert_agrees(&["rhesis"], "local", &["redis.persistence.enabled=false"]);
    assert_agrees(
        &["rae-memory"],
        "prod",
        &[
            "memoryApi.autoscaling.maxReplicas=30",
            "mlService.resources.requests.cpu=3",
            // An autoscaler's minimum under 1 is 1 (as rendered and planned).
            "celeryWorker.autoscaling.minReplicas=0",
        ],
    );
    // RAE's releases: PostgreSQL replication with exporters (sized), Qdrant's second
    // claim template, Redis with Sentinel (a sidecar and a second claim per node).
    assert_agrees(
        &["rae-memory"],
        "dev",
        &[
            "postgresql.architecture=replication",
            "postgresql.readReplicas.replicaCount=2",
            "postgresql.metrics.enabled=true",
            "postgresql.metrics.resources.requests.cpu=50m",
            "postgresql.metrics.resources.limits.memory=64Mi",
            "qdrant.snapshotPersistence.enabled=true",
            "redis.sentinel.enabled=true",
            "redis.sentinel.persistence.enabled=true",
            "redis.sentinel.resources.limits.cpu=100m",
        ],
    );
    // cauldron-infra: exporters with figures (a request left out defaults to the limit),
    // an existing claim (no template, no storage), the Bitnami Redis master persisted, the
    // Frappe Redis instances off.
    assert_agrees(
        &["cauldron-infra"],
        "dev",
        &[
            "redis.metrics.resources.limits.cpu=20m",
            "redis.metrics.resources.limits.memory=32Mi",
            "postgresql.primary.persistence.existingClaim=pg-data",
            "redis.master.persistence.enabled=true",
            "redisInstances.enabled=false",
        ],
    );
    assert_agrees(
        &["cauldron-frappe"],
        "staging",
        &["frappe.persistence.enabled=false", "frappe.replicas.web=5"],
    );
    // A request left out defaults to the limit.
    assert_agrees(
        &["caracal"],
        "staging",
        &["redis.resources.requests.memory=null"],
    );
    // Persistence off: no claim, no storage; Zookeeper's two templates go together.
    assert_agrees(
        &["caracal"],
        "prod",
        &[
            "kafka.persistence.enabled=false",
            "zookeeper.persistence.logSize=3Gi",
        ],
    );
    assert_agrees(
        &["caracal"],
        "dev",
        &["zookeeper.persistence.enabled=false"],
    );
    // Caracal's overlay keeps replicaCount beside the HPA: spec.replicas 1, baseline the
    // HPA minimum 3 (and 2 above a minimum of 1).
    assert_agrees(&["caracal"], "dev", &["gateway.autoscaling.enabled=true"]);
    assert_agrees(
        &["caracal"],
        "prod",
        &[
            "mcpAdapter.replicaCount=3",
            "mcpAdapter.autoscaling.minReplicas=1",
        ],
    );
}

#[test]
fn the_agreement_check_can_fail() {
    let c = config(&["rhesis"], "prod", &[]);
    let mut ms = render(cat(), &c);
    let d = ms
        .iter_mut()
        .find(|m| m.kind == "Deployment" && m.name == "backend")
        .unwrap();
    d.yaml = d.yaml.replace("replicas: 3", "replicas: 2");
    let (base, _) = sums(&ms);
    assert_ne!(
        base,
        plan_sums(&crate::compute::plan::plan(cat(), &c).totals.baseline)
    );
    // And the per-workload check catches a sidecar that is not rendered (its figures are
    // none, so the totals cannot tell).
    let c = config(&["cauldron-infra"], "prod", &[]);
    let mut ms = render(cat(), &c);
    let sts = ms
        .iter_mut()
        .find(|m| m.kind == "StatefulSet" && m.name == "cauldron-infra-postgresql-primary")
        .unwrap();
    let mut s: StatefulSet = typed(sts);
    s.spec
        .template
        .spec
        .as_mut()
        .unwrap()
        .containers
        .truncate(1);
    sts.yaml = serde_yaml::to_string(&s).unwrap();
    let p = crate::compute::plan::plan(cat(), &c);
    assert_eq!(sums(&ms).0, plan_sums(&p.totals.baseline));
    let caught = std::panic::catch_unwind(|| assert_workloads(&c, &ms, &p));
    assert!(caught.is_err());
}
