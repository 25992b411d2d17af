//! The review's rules, one function per kind of finding (the chart audit's are in
//! [`super::audit`]): each reads the configuration, its plan and values through [`Ctx`] and
//! pushes findings with their rule id, reason, source and fix.

use super::*;

pub(super) fn requests_and_limits(ctx: &mut Ctx<'_>) {
    for (chart, c, cp) in ctx.running() {
        let Some(r) = c.values.resources.as_deref() else {
            continue;
        };
        let (req, lim) = (cp.requests, cp.limits);
        for (what, rq, lm, text) in [
            (
                "CPU",
                req.cpu_millicores,
                lim.cpu_millicores,
                human_cpu as fn(i64) -> String,
            ),
            (
                "memory",
                req.memory_bytes,
                lim.memory_bytes,
                human_bytes as fn(i64) -> String,
            ),
        ] {
            if lm > 0 && rq > lm {
                let (path, value) = if what == "CPU" {
                    (format!("{r}.limits.cpu"), cpu_text(rq))
                } else {
                    (format!("{r}.limits.memory"), mem_text(rq))
                };
                ctx.push(
                    Severity::Error,
                    "request-above-limit",
                    &chart.id,
                    Some(&c.id),
                    format!(
                        "{} requests {} {what}, above its limit of {}",
                        c.name,
                        text(rq),
                        text(lm)
                    ),
                    "Kubernetes rejects a pod whose request is above its limit (the API requires \
                     request <= limit for every resource), so the workload would not start. \
                     Source: Kubernetes API validation of container resources."
                        .into(),
                    fix(
                        format!(
                            "Raise the {what} limit to the request ({})",
                            display_value(&value)
                        ),
                        vec![set(&chart.id, &path, value)],
                    ),
                );
            }
        }
        let mut missing = Vec::new();
        let mut sets = Vec::new();
        if lim.cpu_millicores <= 0 {
            missing.push("CPU");
            if req.cpu_millicores > 0 {
                sets.push(set(
                    &chart.id,
                    &format!("{r}.limits.cpu"),
                    cpu_text(req.cpu_millicores.saturating_mul(2)),
                ));
            }
        }
        if lim.memory_bytes <= 0 {
            missing.push("memory");
            if req.memory_bytes > 0 {
                sets.push(set(
                    &chart.id,
                    &format!("{r}.limits.memory"),
                    mem_text(req.memory_bytes.saturating_mul(2)),
                ));
            }
        }
        if !missing.is_empty() {
            let complete = sets.len() == missing.len();
            ctx.push(
                Severity::Warning,
                "missing-limit",
                &chart.id,
                Some(&c.id),
                format!("{} has no {} limit", c.name, missing.join(" or ")),
                format!(
                    "Without a memory limit a leak can take the node's memory and get other pods \
                     evicted; without a CPU limit one pod can starve its neighbours. Polaris, \
                     kube-score, kube-linter and checkov all require requests and limits. \
                     Source: {FACTS}, \"Validating rendered manifests\"."
                ),
                if complete {
                    fix(
                        "Set the limits to twice the requests (the guides' usual ratio)",
                        sets,
                    )
                } else {
                    None
                },
            );
        }
    }
}

/// A replica component that makes `c` highly available: same chart, depends on `c`, stateful,
/// enabled with replicas (a Bitnami primary's read replicas, a Redis master's replicas).
pub(super) fn has_replica_component(ctx: &Ctx<'_>, chart: &Chart, c: &Component) -> bool {
    chart.components.iter().any(|o| {
        o.id != c.id
            && o.depends_on.iter().any(|d| d == &c.id)
            && o.is_stateful()
            && o.role == c.role
            && ctx
                .planned(&chart.id, &o.id)
                .is_some_and(|p| p.enabled && p.replicas.baseline > 0)
    })
}

pub(super) fn single_replica_stateful(ctx: &mut Ctx<'_>) {
    if !is_production(&ctx.config.env) {
        return;
    }
    for (chart, c, cp) in ctx.running() {
        // Data of its own: a StatefulSet or a claim per replica. A pod on a shared volume (Frappe's
        // scheduler on the sites volume) keeps nothing a second replica would protect.
        // A Deployment with a standalone claim of its own (rhesis's postgres, cauldron's
        // TimescaleDB) keeps data too, but a second replica would mount the same ReadWriteOnce
        // claim: no replica fix for it.
        let own_claim = match &c.persistence {
            Persistence::Shared(id) => chart
                .volume(id)
                .is_some_and(|v| v.used_by.len() == 1 && v.used_by[0] == c.id),
            _ => false,
        };
        let own_data = c.kind == WorkloadKind::StatefulSet
            || c.persistence == Persistence::PerReplica
            || own_claim;
        // A read replica of another component (Bitnami's readReplicas) is a copy, not the only one.
        let copy_of_another = c.depends_on.iter().any(|d| {
            chart
                .component(d)
                .is_some_and(|o| o.role == c.role && o.id != c.id)
        });
        if !own_data
            || copy_of_another
            || cp.replicas.baseline != 1
            || has_replica_component(ctx, chart, c)
        {
            continue;
        }
        let fix_ = if own_claim {
            None
        } else if let Some(p) = &c.values.replicas {
            fix(
                "Run 3 replicas (check the chart's clustering settings: replicas of a data \
                 service only share data in its cluster or replication mode)",
                vec![set(&chart.id, p, Value::from(3))],
            )
        } else {
            // A Bitnami primary: its read replicas are another component switched on by a value.
            chart
                .components
                .iter()
                .filter(|o| o.depends_on.iter().any(|d| d == &c.id) && o.role == c.role)
                .find_map(|o| {
                    o.values
                        .enabled_when
                        .iter()
                        .find_map(|w| Some((w, w.wanted()?)))
                })
                .and_then(|(w, want)| {
                    fix(
                        format!("Turn on replication: {}={}", w.path, display_value(want)),
                        vec![set(&chart.id, &w.path, want.clone())],
                    )
                })
        };
        let no_knob = if fix_.is_none() {
            " The chart has no replica setting for it: accept the risk (with backups and a \
             tested restore) or use a managed service."
        } else {
            ""
        };
        ctx.push(
            Severity::Warning,
            "single-replica-stateful",
            &chart.id,
            Some(&c.id),
            format!(
                "{} keeps data and runs a single replica in {}",
                c.name, ctx.config.env
            ),
            format!(
                "A node failure, drain or upgrade takes the only copy offline until the pod is \
                 rescheduled and its volume reattached; production data services usually run 3 \
                 (a quorum that survives one failure).{no_knob} Source: {FACTS}, \"Vendor sizing \
                 guidance\" (RabbitMQ, Kafka, ZooKeeper: 3 nodes)."
            ),
            fix_,
        );
    }
}

/// A running component whose chart mounts a standalone claim always (`always_mounted`) while
/// the claim's `enabled` stops the chart rendering it: Kubernetes never schedules the pod.
pub(super) fn claims_not_rendered(ctx: &mut Ctx<'_>) {
    for (chart, c, _) in ctx.running() {
        let Persistence::Shared(id) = &c.persistence else {
            continue;
        };
        let Some(vol) = chart.volume(id).filter(|v| v.always_mounted) else {
            continue;
        };
        let path = format!("{}.enabled", vol.values);
        if ctx.get(&chart.id, &path) != Some(&Value::Bool(false)) {
            continue;
        }
        let claim = vol.claim.clone().unwrap_or_else(|| vol.id.clone());
        ctx.push(
            Severity::Error,
            "claim-not-rendered",
            &chart.id,
            Some(&c.id),
            format!(
                "{} mounts the claim {claim}, which {path}=false stops the chart rendering:                  the pod will stay Pending",
                c.name
            ),
            format!(
                "The chart's {} template always mounts PersistentVolumeClaim {claim}; only the                  claim itself follows {path}. Without it the scheduler cannot place the pod. Keep                  the volume (its size is in the plan), or switch the component off. Source: the                  real chart's templates (catalog: volumes[].always_mounted).",
                c.kind.as_str()
            ),
            fix(
                format!("Keep the volume: {path}=true"),
                vec![set(&chart.id, &path, Value::Bool(true))],
            ),
        );
    }
}

pub(super) fn rabbitmq_even(ctx: &mut Ctx<'_>) {
    for (chart, c, cp) in ctx.running() {
        let n = cp.replicas.baseline;
        if !is_kind(c, "rabbitmq") || n <= 0 || n % 2 != 0 {
            continue;
        }
        let fix_ = c.values.replicas.as_ref().and_then(|p| {
            fix(
                format!("Run {} nodes", n + 1),
                vec![set(&chart.id, p, Value::from(n + 1))],
            )
        });
        ctx.push(
            Severity::Warning,
            "rabbitmq-even-nodes",
            &chart.id,
            Some(&c.id),
            format!("RabbitMQ runs {n} nodes, an even number"),
            format!(
                "Quorum queues need a majority: {n} nodes tolerate {} failure(s), as many as {} \
                 nodes do, so the extra node adds cost but no fault tolerance (3 nodes tolerate 1, \
                 5 tolerate 2). Source: {FACTS}, RabbitMQ (cluster-operator production example).",
                (n - 1) / 2,
                n - 1
            ),
            fix_,
        );
    }
}

pub(super) fn kafka(ctx: &mut Ctx<'_>) {
    const FACTORS: [&str; 3] = [
        "defaultReplicationFactor",
        "offsetsTopicReplicationFactor",
        "transactionStateLogReplicationFactor",
    ];
    const MIN_ISR: [(&str, &str); 2] = [
        ("minInsyncReplicas", "defaultReplicationFactor"),
        (
            "transactionStateLogMinIsr",
            "transactionStateLogReplicationFactor",
        ),
    ];
    let prod = is_production(&ctx.config.env);
    for (chart, c, cp) in ctx.running() {
        if c.id != "kafka" && !c.image.contains("kafka") {
            continue;
        }
        let brokers = cp.replicas.baseline;
        let (Some(rp), true) = (c.values.replicas.as_deref(), brokers > 0) else {
            continue;
        };
        let prefix = rp
            .rsplit_once('.')
            .map_or(String::new(), |(p, _)| format!("{p}."));
        let key = |k: &str| format!("{prefix}config.{k}");
        let known: BTreeMap<&str, i64> = FACTORS
            .iter()
            .chain(MIN_ISR.iter().map(|(isr, _)| isr))
            .filter_map(|k| ctx.int(&chart.id, &key(k)).map(|v| (*k, v)))
            .collect();
        let factor = |k: &str| known.get(k).copied();

        // Replication factors the brokers cannot satisfy.
        let over: Vec<(&str, i64)> = FACTORS
            .iter()
            .filter_map(|k| factor(k).filter(|rf| *rf > brokers).map(|rf| (*k, rf)))
            .collect();
        if let Some(max_rf) = over.iter().map(|(_, rf)| *rf).max() {
            let fix_ = if prod {
                fix(
                    format!("Run {max_rf} brokers"),
                    vec![set(&chart.id, rp, Value::from(max_rf))],
                )
            } else {
                let mut sets: Vec<_> = over
                    .iter()
                    .map(|(k, _)| set(&chart.id, &key(k), Value::from(brokers)))
                    .collect();
                for (isr, rf) in MIN_ISR {
                    let new_rf = factor(rf).map(|f| f.min(brokers));
                    if let (Some(m), Some(f)) = (factor(isr), new_rf) {
                        if m > f || (m == f && f > 1) {
                            sets.push(set(&chart.id, &key(isr), Value::from((f - 1).max(1))));
                        }
                    }
                }
                fix(format!("Lower the replication factors to {brokers}"), sets)
            };
            ctx.push(
                Severity::Error,
                "kafka-replication-factor",
                &chart.id,
                Some(&c.id),
                format!(
                    "{brokers} broker(s) cannot hold the replication factor(s) {}",
                    over.iter()
                        .map(|(k, rf)| format!("{}={rf}", key(k)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "A replication factor above the broker count cannot be satisfied: creating \
                     the topics (the internal offsets and transaction topics included) fails. \
                     Source: {FACTS}, Kafka."
                ),
                fix_,
            );
        }

        // min.insync.replicas against its replication factor.
        for (isr, rf_key) in MIN_ISR {
            let (Some(m), Some(rf)) = (factor(isr), factor(rf_key)) else {
                continue;
            };
            let rf = rf.min(brokers);
            let severity = if m > rf {
                Severity::Error
            } else if m == rf && rf > 1 {
                Severity::Warning
            } else {
                continue;
            };
            let target = (rf - 1).max(1);
            ctx.push(
                severity,
                "kafka-min-insync",
                &chart.id,
                Some(&c.id),
                format!(
                    "{} is {m} with {} copies per partition ({} {}, {brokers} brokers)",
                    key(isr),
                    rf,
                    key(rf_key),
                    factor(rf_key).unwrap_or(rf)
                ),
                format!(
                    "{} Replication factor 3 with min.insync.replicas 2 is the usual production \
                     setting. Source: {FACTS}, Kafka.",
                    if severity == Severity::Error {
                        "More in-sync replicas than copies can never be met: every write with \
                         acks=all fails."
                    } else {
                        "With min.insync.replicas equal to the copies, one broker down (a node \
                         failure or a rolling upgrade) stops writes."
                    }
                ),
                fix(
                    format!("Set {} to {target}", key(isr)),
                    vec![set(&chart.id, &key(isr), Value::from(target))],
                ),
            );
        }
    }
}

pub(super) fn zookeeper(ctx: &mut Ctx<'_>) {
    if !is_production(&ctx.config.env) {
        return;
    }
    for (chart, c, cp) in ctx.running() {
        let n = cp.replicas.baseline;
        if !is_kind(c, "zookeeper") || n >= 3 || n <= 0 {
            continue;
        }
        let fix_ = c.values.replicas.as_ref().and_then(|p| {
            fix(
                "Run 3 ZooKeeper nodes",
                vec![set(&chart.id, p, Value::from(3))],
            )
        });
        ctx.push(
            Severity::Warning,
            "zookeeper-quorum",
            &chart.id,
            Some(&c.id),
            format!("ZooKeeper runs {n} node(s) in {}", ctx.config.env),
            format!(
                "ZooKeeper needs a majority of its ensemble: with fewer than 3 nodes losing one \
                 stops Kafka's coordination. Run at least 3 ZooKeeper nodes (or 3 KRaft \
                 controllers). Source: {FACTS}, Kafka."
            ),
            fix_,
        );
    }
}

pub(super) fn hpa(ctx: &mut Ctx<'_>) {
    for (chart, c, _) in ctx.running() {
        let Some(a) = c.values.autoscaling.as_deref() else {
            continue;
        };
        if ctx.bool_at(&chart.id, &format!("{a}.enabled")) != Some(true) {
            continue;
        }
        let min_p = format!("{a}.minReplicas");
        let max_p = format!("{a}.maxReplicas");
        let (min, max) = (ctx.int(&chart.id, &min_p), ctx.int(&chart.id, &max_p));
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                ctx.push(
                    Severity::Error,
                    "hpa-min-above-max",
                    &chart.id,
                    Some(&c.id),
                    format!(
                        "{} autoscaling: minReplicas {min} is above maxReplicas {max}",
                        c.name
                    ),
                    "Kubernetes rejects a HorizontalPodAutoscaler whose minReplicas is above \
                     maxReplicas, so the install fails. Source: Kubernetes API validation of \
                     HorizontalPodAutoscaler (autoscaling/v2)."
                        .into(),
                    fix(
                        format!("Set maxReplicas to {min}"),
                        vec![set(&chart.id, &max_p, Value::from(min))],
                    ),
                );
            }
        }
        let (Some(rp), Some(min)) = (c.values.replicas.as_deref(), min) else {
            continue;
        };
        let Some(replicas) = ctx.int(&chart.id, rp) else {
            continue;
        };
        if replicas != min {
            ctx.push(
                Severity::Warning,
                "hpa-replicas-mismatch",
                &chart.id,
                Some(&c.id),
                format!(
                    "{} autoscaling is on (min {min}) while {rp} is {replicas}",
                    c.name
                ),
                "With the HPA on, the HPA owns the replica count: the plan counts minReplicas as \
                 baseline, and a chart that still renders `replicas` resets the Deployment on \
                 every helm upgrade until the HPA scales it back. Keep the two equal. Source: \
                 Kubernetes HorizontalPodAutoscaler documentation (migrating Deployments to \
                 autoscaling)."
                    .into(),
                fix(
                    format!("Set {rp} to {min}"),
                    vec![set(&chart.id, rp, Value::from(min))],
                ),
            );
        }
    }
}

pub(super) fn pdb_anti_affinity(ctx: &mut Ctx<'_>) {
    const PDB_SWITCHES: [&str; 3] = ["pdb.create", "pdb.enabled", "podDisruptionBudget.enabled"];
    let mut covered: Vec<(String, Vec<String>)> = Vec::new();
    for (chart, c, cp) in ctx.running() {
        // Tonnage's manifests add both from 2 running replicas (the baseline).
        if cp.replicas.baseline <= 1 {
            continue;
        }
        let base = base_of(c);
        let mut sets = Vec::new();
        let mut off = Vec::new();
        for prefix in base.iter().map(|b| format!("{b}.")).chain([String::new()]) {
            for sw in PDB_SWITCHES {
                let p = format!("{prefix}{sw}");
                if ctx.bool_at(&chart.id, &p) == Some(false) {
                    off.push(p.clone());
                    sets.push(set(&chart.id, &p, Value::Bool(true)));
                }
            }
            let p = format!("{prefix}podAntiAffinityPreset");
            if let Some(Value::String(s)) = ctx.get(&chart.id, &p) {
                if s.is_empty() || s == "none" {
                    off.push(p.clone());
                    sets.push(set(&chart.id, &p, Value::String("soft".into())));
                }
            }
        }
        if off.is_empty() {
            match covered.iter_mut().find(|(s, _)| *s == chart.id) {
                Some((_, list)) => list.push(c.id.clone()),
                None => covered.push((chart.id.clone(), vec![c.id.clone()])),
            }
            continue;
        }
        ctx.push(
            Severity::Warning,
            "pdb-anti-affinity",
            &chart.id,
            Some(&c.id),
            format!(
                "{} runs {} replicas with {} turned off",
                c.name,
                cp.replicas.baseline,
                off.join(", ")
            ),
            format!(
                "Without a PodDisruptionBudget a node drain can evict every replica at once; \
                 without anti-affinity they can share one node and fail together. Polaris, \
                 kube-score and kube-linter ask for both when replicas > 1. Source: {FACTS}, \
                 \"Validating rendered manifests\"."
            ),
            fix("Turn them back on", sets),
        );
    }
    for (stack, list) in covered {
        ctx.push(
            Severity::Info,
            "pdb-anti-affinity",
            &stack,
            None,
            format!(
                "{} run more than one replica: covered by a PodDisruptionBudget and pod \
                 anti-affinity",
                list.join(", ")
            ),
            format!(
                "Tonnage's rendered manifests give every component with more than one replica a \
                 PodDisruptionBudget and pod anti-affinity (required for StatefulSets, preferred \
                 otherwise; the node-fit simulation uses the same rule), and the chart's values \
                 have no switch that turns them off. A component that scales up from one replica \
                 gets the anti-affinity but no budget (a budget on one replica blocks drains). \
                 Source: {FACTS}, \"Validating rendered \
                 manifests\"."
            ),
            None,
        );
    }
}

pub(super) fn fits_no_node(ctx: &mut Ctx<'_>, node: &NodeSpec) {
    let fit = capacity::fit(&ctx.plan, ctx.catalog, node);
    // Peak holds at least baseline's replicas; report each component once.
    let mut seen: Vec<(String, String)> = Vec::new();
    for u in fit.baseline.unplaced.iter().chain(&fit.peak.unplaced) {
        let key = (u.stack.clone(), u.component.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let bigger = INSTANCE_TYPES
            .iter()
            .filter(|t| t.cloud == node.cloud)
            .map(|t| {
                let mut n = NodeSpec::of_type(t);
                n.daemonset = node.daemonset;
                n.daemonset_pods = node.daemonset_pods;
                n
            })
            .filter(|n| capacity::no_fit_reason(n, u.requests).is_none())
            .min_by_key(|n| (n.hour_micro_usd, n.vcpu_millicores, n.name.clone()));
        let name = ctx
            .chart(&u.stack)
            .and_then(|ch| ch.component(&u.component))
            .map_or(u.component.clone(), |c| c.name.clone());
        ctx.push(
            Severity::Error,
            "pod-fits-no-node",
            &u.stack,
            Some(&u.component),
            format!(
                "{name} ({} replica(s)) fits on no {} node: {}",
                u.replicas, node.name, u.reason
            ),
            format!(
                "The scheduler places a pod only on a node whose allocatable (capacity minus the \
                 provider's reservations, the eviction threshold and the DaemonSets) covers its \
                 requests; this pod would stay Pending. Source: {}'s node reservations, {FACTS}, \
                 \"Node allocatable\".",
                node.cloud.label()
            ),
            bigger.map(|b| Fix {
                label: format!("Use {} nodes ({})", b.name, b.describe()),
                sets: Vec::new(),
                options: vec![("node_type".into(), b.name.clone())],
            }),
        );
    }
}

const WEAK_PASSWORDS: [&str; 12] = [
    "password",
    "changeme",
    "change_me",
    "admin",
    "secret",
    "root",
    "postgres",
    "redis",
    "guest",
    "default",
    "123456",
    "rabbitmq",
];

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    (k.contains("password") || k == "erlangcookie") && !k.contains("secret") && !k.ends_with("key")
}

/// Whether a credential's value is a placeholder or a published default (`CHANGE_ME`,
/// cauldron-infra's `please_change_in_env`, `guest`, `admin`...): one definition for the review
/// and the bundle's README.
pub(crate) fn is_default_secret(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    !v.is_empty()
        && (v.contains("change_me")
            || v.contains("changeme")
            || v.contains("change-me")
            || v.contains("change_in")
            || v.contains("please_change")
            || WEAK_PASSWORDS.contains(&v.as_str()))
}

pub(super) fn default_passwords(ctx: &mut Ctx<'_>) {
    if !is_production(&ctx.config.env) {
        return;
    }
    let stacks = ctx.config.stacks.clone();
    for stack in stacks {
        let Some(chart) = ctx.chart(&stack) else {
            continue;
        };
        let Some(tree) = ctx.values.get(&stack) else {
            continue;
        };
        let mut found = Vec::new();
        for leaf in leaf_paths(tree) {
            let Ok(segs) = parse_path(&leaf) else {
                continue;
            };
            let Some(crate::base::values::Seg::Key(key)) = segs.last() else {
                continue;
            };
            if !is_secret_key(key) {
                continue;
            }
            let v = match get_path(tree, &segs) {
                Some(Value::String(v)) => v.clone(),
                Some(Value::Number(n)) => n.to_string(), // --set password=123456 is a number
                _ => continue,
            };
            if !is_default_secret(&v) {
                continue;
            }
            // Skip a switched-off part of the chart (any ancestor with enabled: false).
            let off = (1..segs.len()).any(|i| {
                let mut p = segs[..i].to_vec();
                p.push(crate::base::values::Seg::Key("enabled".into()));
                get_path(tree, &p) == Some(&Value::Bool(false))
            });
            if off {
                continue;
            }
            let parent = &segs[..segs.len() - 1];
            let parent_path = crate::base::values::format_path(parent);
            let candidates: &[&str] = if key.eq_ignore_ascii_case("erlangCookie") {
                &["existingErlangSecret"]
            } else {
                &["existingSecret", "existingPasswordSecret"]
            };
            let sibling = candidates.iter().find_map(|k| {
                let mut p = parent.to_vec();
                p.push(crate::base::values::Seg::Key((*k).to_string()));
                get_path(tree, &p).map(|v| (*k, v.clone()))
            });
            if let Some((_, Value::String(s))) = &sibling {
                if !s.is_empty() {
                    continue; // the Secret wins; the value in values is not used
                }
            }
            found.push((leaf.clone(), parent_path, sibling.map(|(k, _)| k)));
        }
        for (leaf, parent, sibling) in found {
            let comp = chart
                .components
                .iter()
                .find(|c| {
                    c.values
                        .enabled
                        .as_deref()
                        .and_then(|e| e.rsplit_once('.').map(|(p, _)| p))
                        .is_some_and(|p| path_covers(p, &leaf))
                })
                .map(|c| c.id.clone());
            let top = leaf.split('.').next().unwrap_or(&leaf).to_string();
            let fix_ = sibling.and_then(|k| {
                let secret = format!("{}-{top}", chart.chart.name);
                let prefix = if parent.is_empty() {
                    String::new()
                } else {
                    format!("{parent}.")
                };
                fix(
                    format!(
                        "Read it from Secret {secret} (create it before installing) and empty the \
                         value"
                    ),
                    vec![
                        set(&stack, &leaf, Value::String(String::new())),
                        set(&stack, &format!("{prefix}{k}"), Value::String(secret)),
                    ],
                )
            });
            ctx.push(
                Severity::Error,
                "default-password",
                &stack,
                comp.as_deref(),
                format!("{leaf} keeps a default value in {}", ctx.config.env),
                format!(
                    "A default password is published in the chart's documentation; in production \
                     anyone who can reach the service can use it. Take it from an existing \
                     Secret, or set a strong one with --set {stack}:{leaf}=... . Source: the \
                     chart's guide (\"change the default passwords\") and its values.yaml."
                ),
                fix_,
            );
        }
    }
}

pub(super) fn qdrant_memory(ctx: &mut Ctx<'_>, planning: &Planning) {
    let (Some(vectors), Some(dims)) = (planning.qdrant_vectors, planning.qdrant_dimensions) else {
        return;
    };
    // vectors x dimensions x 4 bytes x 1.5 = x 6 bytes (qdrant.tech capacity planning).
    let needed = i128::from(vectors) * i128::from(dims) * 6;
    let needed = i64::try_from(needed).unwrap_or(i64::MAX);
    const GIB: i64 = 1 << 30;
    for (chart, c, cp) in ctx.running() {
        if !(is_kind(c, "qdrant") || c.role == "vector-store") {
            continue;
        }
        let have = if cp.limits.memory_bytes > 0 {
            cp.limits.memory_bytes
        } else {
            cp.requests.memory_bytes
        };
        if have >= needed {
            continue;
        }
        let target = needed.saturating_add(GIB - 1) / GIB * GIB;
        let fix_ = c.values.resources.as_deref().and_then(|r| {
            fix(
                format!(
                    "Give Qdrant {} (requests = limits)",
                    display_value(&mem_text(target))
                ),
                vec![
                    set(&chart.id, &format!("{r}.requests.memory"), mem_text(target)),
                    set(&chart.id, &format!("{r}.limits.memory"), mem_text(target)),
                ],
            )
        });
        ctx.push(
            Severity::Warning,
            "qdrant-memory",
            &chart.id,
            Some(&c.id),
            format!(
                "{} has {} of memory per replica; {vectors} vectors of {dims} dimensions need {}",
                c.name,
                human_bytes(have),
                human_bytes(needed)
            ),
            format!(
                "Qdrant keeps vectors in RAM: vectors x dimensions x 4 bytes x 1.5 (1M x 1024 \
                 dimensions is about 5.7 GiB), plus payload. Each replica is assumed to hold all \
                 vectors (one node, or a replication factor equal to the replicas); on-disk \
                 (mmap) vectors need less RAM but are slower. Source: {FACTS}, Qdrant \
                 (qdrant.tech capacity planning)."
            ),
            fix_,
        );
    }
}

pub(super) fn redis_headroom(ctx: &mut Ctx<'_>) {
    for (chart, c, cp) in ctx.running() {
        // Its own claims, or a standalone claim it mounts.
        let persists = cp.storage_bytes > 0
            || ctx.plan.volumes.iter().any(|v| {
                v.stack == chart.id && v.enabled && v.storage_bytes > 0 && v.used_by.contains(&c.id)
            });
        if !is_kind(c, "redis") || !persists {
            continue;
        }
        let Resources {
            memory_bytes: req, ..
        } = cp.requests;
        let lim = cp.limits.memory_bytes;
        if lim <= 0 || req.saturating_mul(2) <= lim {
            continue;
        }
        let fix_ = c.values.resources.as_deref().and_then(|r| {
            let v = mem_text(req.saturating_mul(2));
            fix(
                format!("Raise the memory limit to {}", display_value(&v)),
                vec![set(&chart.id, &format!("{r}.limits.memory"), v)],
            )
        });
        ctx.push(
            Severity::Warning,
            "redis-save-headroom",
            &chart.id,
            Some(&c.id),
            format!(
                "{} persists to disk with a {} request and a {} limit: less than twice the data it \
                 may hold",
                c.name,
                human_bytes(req),
                human_bytes(lim)
            ),
            format!(
                "An RDB save or AOF rewrite forks Redis, and copy-on-write can need up to 2x the \
                 data's memory. Data can grow to the memory request, so a limit under twice the \
                 request risks an OOM kill during a save. Keep limit >= 2 x request (or cap \
                 maxmemory at half the limit). Source: {FACTS}, Redis."
            ),
            fix_,
        );
    }
}

pub(super) fn dependencies(ctx: &mut Ctx<'_>) {
    // ((stack, missing chart), dependents, targets)
    type Missing = ((String, String), Vec<String>, Vec<String>);
    let mut missing: Vec<Missing> = Vec::new();
    let options = &ctx.config.options;
    for (chart, c, _) in ctx.running() {
        for d in &c.depends_on {
            let (other, id) = match d.split_once('/') {
                Some((o, i)) => (o, i),
                None => (chart.id.as_str(), d.as_str()),
            };
            let conn = chart.connection(other, id);
            let endpoint = external::endpoint(options, other, id).and_then(Result::ok);
            // An endpoint written into this chart's values replaces the dependency.
            if endpoint.is_some() && conn.is_some_and(|x| x.host.is_some()) {
                continue;
            }
            if !ctx.config.stacks.iter().any(|s| s == other) {
                let key = (chart.id.clone(), other.to_string());
                let entry = match missing.iter_mut().find(|(k, _, _)| *k == key) {
                    Some(e) => e,
                    None => {
                        missing.push((key, Vec::new(), Vec::new()));
                        let last = missing.len() - 1;
                        &mut missing[last]
                    }
                };
                if !entry.1.contains(&c.id) {
                    entry.1.push(c.id.clone());
                }
                if !entry.2.iter().any(|t| t == id) {
                    entry.2.push(id.to_string());
                }
                continue;
            }
            let Some(target_chart) = ctx.chart(other) else {
                continue;
            };
            let Some(target) = target_chart.component(id) else {
                continue;
            };
            if ctx.planned(other, id).is_none_or(|p| p.enabled) {
                continue;
            }
            let mut sets = Vec::new();
            if let Some(e) = &target.values.enabled {
                sets.push(set(other, e, Value::Bool(true)));
            }
            for w in &target.values.enabled_when {
                if let Some(want) = w.wanted() {
                    sets.push(set(other, &w.path, want.clone()));
                }
            }
            let where_ = if other == chart.id {
                String::new()
            } else {
                format!(" ({other})")
            };
            let key = external::option_key(other, id);
            let instead = match conn {
                Some(x) if x.host.is_some() => format!(
                    "or give the external service's address (a managed database or broker) as \
                     host:port in the option {key} (on the page: the field under the switched-off \
                     component), which Tonnage writes into {}, and account for that service's \
                     capacity and cost outside this plan",
                    external::describe(chart, x)
                ),
                Some(x) => {
                    let given = match &endpoint {
                        Some(e) => format!(" (the endpoint {e} given is recorded but not written)"),
                        None => String::new(),
                    };
                    format!(
                        "an external endpoint cannot replace it in {}{given}: {}",
                        chart.id,
                        x.unsupported.as_deref().unwrap_or_default()
                    )
                }
                None => "an external endpoint cannot replace it: the catalog declares no \
                         connection for it"
                    .to_string(),
            };
            ctx.push(
                Severity::Error,
                "dependency-disabled",
                &chart.id,
                Some(&c.id),
                format!(
                    "{} depends on {}{where_}, which is switched off",
                    c.name, target.name
                ),
                format!(
                    "{} needs {} to work and cannot start without it. Switch it back on, {instead}. \
                     Source: the catalog's depends_on and connections, from the chart's guide.",
                    c.name, target.name
                ),
                if sets.is_empty() {
                    None
                } else {
                    fix(format!("Switch {} back on", target.name), sets)
                },
            );
        }
    }
    for ((stack, other), dependents, targets) in missing {
        ctx.push(
            Severity::Info,
            "dependency-disabled",
            &stack,
            None,
            format!(
                "{} depend on {other} ({}), which is not in this configuration",
                dependents.join(", "),
                targets.join(", ")
            ),
            format!(
                "Install {other} first (add it to the configuration to plan both together), or \
                 point {stack} at external endpoints for {} (options {}); their capacity and cost \
                 are not in this plan. Source: the catalog's depends_on and requires, from the \
                 chart's guide.",
                targets.join(", "),
                targets
                    .iter()
                    .map(|t| external::option_key(&other, t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        );
    }
    endpoints_bypassing(ctx);
}

/// An external endpoint written into a chart's values while the component it replaces is
/// deployed: the dependants point away from it, which is running for nothing.
pub(super) fn endpoints_bypassing(ctx: &mut Ctx<'_>) {
    for (key, value) in &ctx.config.options {
        let Some((stack, id)) = external::split_key(key) else {
            continue;
        };
        if value.trim().is_empty() || !ctx.planned(stack, id).is_some_and(|p| p.enabled) {
            continue;
        }
        let Some(Ok(e)) = external::endpoint(&ctx.config.options, stack, id) else {
            continue;
        };
        let users: Vec<String> = external::dependants(ctx.catalog, &ctx.config.stacks, stack, id)
            .into_iter()
            .filter(|(_, c)| c.host.is_some())
            .map(|(ch, c)| external::describe(ch, c))
            .collect();
        if users.is_empty() {
            continue;
        }
        let name = ctx
            .chart(stack)
            .and_then(|ch| ch.component(id))
            .map_or(id, |c| c.name.as_str())
            .to_string();
        ctx.push(
            Severity::Warning,
            "external-endpoint-unused",
            stack,
            Some(id),
            format!("{name} is deployed, yet its dependants point at the external endpoint {e}"),
            format!(
                "The option {key} writes {e} into {}, so nothing uses the deployed {name}, which \
                 the plan still counts. Remove the endpoint, or switch {name} off. Source: the \
                 catalog's connections.",
                users.join("; ")
            ),
            Some(Fix {
                label: "Remove the external endpoint".into(),
                sets: Vec::new(),
                options: vec![(key.clone(), String::new())],
            }),
        );
    }
}
