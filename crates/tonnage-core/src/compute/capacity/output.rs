//! The capacity figures as JSON and as the text summary the CLI prints.

use super::cost::Cost;
use super::cost::{rate_json, usd, usd_json, usd_rate, CostLine};
use super::fit::{Fit, Placement};
use crate::base::quantity::{human_bytes, human_cpu, Resources};
use crate::model::cloud::HOURS_PER_MONTH;

fn resources_json(r: Resources) -> serde_json::Value {
    serde_json::json!({ "cpu_millicores": r.cpu_millicores, "memory_bytes": r.memory_bytes })
}

fn placement_json(p: &Placement) -> serde_json::Value {
    serde_json::json!({
        "nodes": p.node_count(),
        "max_pods_bound": p.max_pods_bound,
        "per_node": p.nodes.iter().map(|n| serde_json::json!({
            "requests": resources_json(n.requests),
            "pods": n.pods.iter()
                .map(|r| format!("{}/{}-{}", r.stack, r.component, r.replica))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "unplaced": p.unplaced.iter().map(|u| serde_json::json!({
            "stack": u.stack,
            "component": u.component,
            "replicas": u.replicas,
            "requests": resources_json(u.requests),
            "reason": u.reason,
        })).collect::<Vec<_>>(),
    })
}

/// The `nodes` object of `tonnage plan --format json` (see docs/plan-json.md).
pub fn nodes_json(fit: &Fit) -> serde_json::Value {
    let n = &fit.node;
    serde_json::json!({
        "type": n.name,
        "cloud": n.cloud.as_str(),
        "custom": n.custom,
        "capacity": { "cpu_millicores": n.vcpu_millicores, "memory_bytes": n.memory_bytes },
        "max_pods": n.max_pods,
        "kubelet_allocatable": resources_json(fit.kubelet_allocatable),
        "daemonset": {
            "cpu_millicores": n.daemonset.cpu_millicores,
            "memory_bytes": n.daemonset.memory_bytes,
            "pods": n.daemonset_pods,
        },
        "allocatable": resources_json(fit.allocatable),
        "pod_slots": fit.pod_slots,
        "baseline": fit.baseline.node_count(),
        "peak": fit.peak.node_count(),
        "placement": {
            "baseline": placement_json(&fit.baseline),
            "peak": placement_json(&fit.peak),
        },
    })
}

/// The `cost` object of `tonnage plan --format json`: USD as numbers with 2 decimals (rates
/// with 6).
pub fn cost_json(cost: &Cost) -> serde_json::Value {
    let line = |l: &CostLine| {
        serde_json::json!({
            "nodes": l.nodes,
            "nodes_usd": usd_json(l.nodes_micro_usd),
            "storage_usd": usd_json(l.storage_micro_usd),
            "total_usd": usd_json(l.total_micro_usd),
            "opencost": {
                "cpu_usd": usd_json(l.opencost.cpu_micro_usd),
                "memory_usd": usd_json(l.opencost.memory_micro_usd),
                "storage_usd": usd_json(l.opencost.storage_micro_usd),
                "total_usd": usd_json(l.opencost.total_micro_usd),
            },
        })
    };
    serde_json::json!({
        "monthly_usd_baseline": usd_json(cost.baseline.total_micro_usd),
        "monthly_usd_peak": usd_json(cost.peak.total_micro_usd),
        "opencost_monthly_usd_baseline": usd_json(cost.baseline.opencost.total_micro_usd),
        "opencost_monthly_usd_peak": usd_json(cost.peak.opencost.total_micro_usd),
        "hours_per_month": HOURS_PER_MONTH,
        "prices": {
            "node_hour_usd": rate_json(cost.node_hour_micro_usd),
            "vcpu_hour_usd": rate_json(cost.prices.vcpu_hour),
            "gib_hour_usd": rate_json(cost.prices.gib_hour),
            "storage_gb_month_usd": rate_json(cost.prices.storage_gb_month),
        },
        "storage_bytes": cost.storage_bytes,
        "baseline": line(&cost.baseline),
        "peak": line(&cost.peak),
    })
}

/// Nodes and cost as text, for the table and Markdown reports.
pub fn summary_text(fit: &Fit, cost: &Cost) -> String {
    use std::fmt::Write as _;
    const MAX_NODE_LINES: usize = 20;
    let mut out = String::new();
    let a = fit.allocatable;
    let _ = writeln!(out, "NODES  {}", fit.node.describe());
    let _ = writeln!(
        out,
        "  per node: kubelet allocatable {} / {}; minus DaemonSets and OS ({} / {}, {} pods) \
         leaves {} / {} and {} pod slots for the plan",
        human_cpu(fit.kubelet_allocatable.cpu_millicores),
        human_bytes(fit.kubelet_allocatable.memory_bytes),
        human_cpu(fit.node.daemonset.cpu_millicores),
        human_bytes(fit.node.daemonset.memory_bytes),
        fit.node.daemonset_pods,
        human_cpu(a.cpu_millicores),
        human_bytes(a.memory_bytes),
        fit.pod_slots
    );
    for (label, p) in [("baseline", &fit.baseline), ("peak", &fit.peak)] {
        let _ = writeln!(
            out,
            "  {label}: {} node{}{}",
            p.node_count(),
            if p.node_count() == 1 { "" } else { "s" },
            if p.max_pods_bound {
                " (the pod limit per node cost extra nodes)"
            } else {
                ""
            }
        );
        for (i, n) in p.nodes.iter().take(MAX_NODE_LINES).enumerate() {
            let _ = writeln!(
                out,
                "    node {:>3}: cpu {} / {}, memory {} / {}, {} pods",
                i + 1,
                human_cpu(n.requests.cpu_millicores),
                human_cpu(a.cpu_millicores),
                human_bytes(n.requests.memory_bytes),
                human_bytes(a.memory_bytes),
                n.pods.len()
            );
        }
        if p.nodes.len() > MAX_NODE_LINES {
            let _ = writeln!(out, "    ... {} more nodes", p.nodes.len() - MAX_NODE_LINES);
        }
        for u in &p.unplaced {
            let _ = writeln!(
                out,
                "    FITS NO NODE: {}/{} x{}: {}",
                u.stack, u.component, u.replicas, u.reason
            );
        }
    }
    let _ = writeln!(
        out,
        "COST  per month ({HOURS_PER_MONTH} h), node {} per hour, storage {} per GB-month",
        usd_rate(cost.node_hour_micro_usd),
        usd_rate(cost.prices.storage_gb_month)
    );
    let row = |label: &str, b: String, p: String| format!("  {label:<34} {b:>14} {p:>14}\n");
    out.push_str(&row("", "baseline".into(), "peak".into()));
    out.push_str(&row(
        &format!("nodes ({} / {})", cost.baseline.nodes, cost.peak.nodes),
        usd(cost.baseline.nodes_micro_usd),
        usd(cost.peak.nodes_micro_usd),
    ));
    out.push_str(&row(
        &format!("storage ({})", human_bytes(cost.storage_bytes)),
        usd(cost.baseline.storage_micro_usd),
        usd(cost.peak.storage_micro_usd),
    ));
    out.push_str(&row(
        "TOTAL",
        usd(cost.baseline.total_micro_usd),
        usd(cost.peak.total_micro_usd),
    ));
    out.push_str(&row(
        "OpenCost per-resource (requests)",
        usd(cost.baseline.opencost.total_micro_usd),
        usd(cost.peak.opencost.total_micro_usd),
    ));
    let _ = writeln!(
        out,
        "  List prices to verify; node and storage only (no control plane, load balancers, egress). \
         OpenCost: {} per vCPU-hour, {} per GiB-hour.",
        usd_rate(cost.prices.vcpu_hour),
        usd_rate(cost.prices.gib_hour)
    );
    out
}
