//! Capacity planning: how many nodes of a cloud instance type a plan needs, what they cost per
//! month, and how many replicas a chart's guide recommends for an expected number of users.
//!
//! The planning choices live in [`Configuration::options`] (they travel in share links) under the
//! keys of [`OPTION_KEYS`]; [`Planning::from_options`] parses them with errors that name the key
//! and the value. Everything is integer arithmetic: CPU in millicores, memory in bytes, money in
//! micro-USD (`i64`), never floats. Figures and formulas come from
//! `shared/reference/sizing-facts.md`; each use below names its source.
//!
//! - Allocatable: [`kubelet_allocatable`] applies each provider's documented reservations; the
//!   pods of a plan get that minus an editable per-node DaemonSet and OS overhead.
//! - Node fit: [`fit`] places every replica by first-fit decreasing, respecting the node's pod
//!   limit and each component's anti-affinity, for baseline and peak.
//! - Cost: [`cost`] prices the nodes (list price x 730 h) plus storage, and OpenCost's
//!   per-resource method for comparison.
//! - Users: [`replicas_for_users`] reads a chart's `users_sizing` (the guide's table).

mod cost;
mod fit;
mod output;
mod users;

pub use crate::model::catalog::users_sizing::{UsersRange, UsersSizing, UsersTier};
pub use crate::model::cloud::*;
pub use crate::model::options::*;
pub use cost::*;
pub use fit::*;
pub use output::*;
pub use users::*;

use crate::compute::plan::Plan;
use crate::model::catalog::Catalog;

/// The node fit and its cost for the node the planning choices give, if they give one: what
/// the page's capacity panel shows and `tonnage plan` prints.
pub fn evaluate(plan: &Plan, catalog: &Catalog, planning: &Planning) -> Option<(Fit, Cost)> {
    let node = planning.node.as_ref()?;
    let f = fit(plan, catalog, node);
    let c = cost(plan, &f, &planning.prices);
    Some((f, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use serde_yaml::Value;

    use crate::base::quantity::Resources;
    use crate::compute::plan::Plan;
    use crate::configuration::config::Configuration;
    use crate::model::catalog::AntiAffinity;
    use crate::model::catalog::Catalog;
    use fit::{place, Scenario};

    const MIB: i64 = 1 << 20;
    const GIB: i64 = 1 << 30;
    use crate::compute::plan::plan;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn node(name: &str) -> NodeSpec {
        NodeSpec::of_type(instance_type(name).unwrap())
    }

    fn config(stacks: &[&str], env: &str, sets: &[&str]) -> Configuration {
        let cat = Catalog::builtin();
        let mut c = Configuration::new(cat, stacks, env).unwrap();
        for s in sets {
            c.set_str(cat, s).unwrap();
        }
        c
    }

    // ---- allocatable: worked figures --------------------------------------------------------

    /// GKE e2-standard-4 (4 vCPU, 16 GiB):
    /// CPU reserved = 6% x 1000 + 1% x 1000 + 0.5% x 2000 = 60 + 10 + 10 = 80m -> 3920m.
    /// Memory reserved = 25% x 4 GiB + 20% x 4 GiB + 10% x 8 GiB = 1 + 0.8 + 0.8 = 2.6 GiB
    /// = 2791728742.4 B, rounded up to 2791728743; plus 100 MiB eviction (104857600):
    /// 17179869184 - 2791728743 - 104857600 = 14283282841 B.
    #[test]
    fn cost_split_per_component_adds_up_per_stack() {
        let cat = Catalog::builtin();
        let c = Configuration::new(cat, &["cauldron-infra", "cauldron-frappe"], "prod").unwrap();
        let p = plan(cat, &c);
        let prices = Prices::default();
        let split = cost_split(&p, &prices);
        assert_eq!(split.stacks.len(), 2);
        for (stack, b, pk) in &split.stacks {
            let parts: Vec<_> = split.components.iter().filter(|c| c.0 == *stack).collect();
            let sb: i64 = parts.iter().map(|c| c.2).sum();
            let sp: i64 = parts.iter().map(|c| c.3).sum();
            // Rounded per part: within a micro-dollar per part of the stack's own figure.
            assert!((sb - b).abs() <= parts.len() as i64, "{stack}: {sb} vs {b}");
            assert!(
                (sp - pk).abs() <= parts.len() as i64,
                "{stack}: {sp} vs {pk}"
            );
        }
        assert!(split.components.iter().any(|c| c.2 > 0));
    }

    #[test]
    fn users_table_and_preset_disagreement_is_explained() {
        let cat = crate::model::catalog::Catalog::builtin();
        let chart = cat.chart("rhesis").unwrap();
        let prod = chart.environment("prod").unwrap();
        let table = replicas_for_users(chart, 50);
        let preset = chart.preset("prod");
        let differs = table.sets.iter().any(|(p, n)| {
            crate::base::values::lookup(preset, p).and_then(Value::as_i64) != Some(*n)
        });
        let why = users_vs_preset(chart, "prod", 50);
        // The case the issue found: Production runs fewer replicas than the table's 50 users.
        assert!(differs);
        assert_eq!(why.is_some(), differs, "{why:?}");
        if let Some(why) = why {
            assert!(why.contains(&prod.name), "{why}");
            for (p, n) in &table.sets {
                assert!(why.contains(&format!("{p}={n}")), "{why}");
            }
        }
        // A chart without a users table: nothing to explain.
        let other = cat
            .charts
            .iter()
            .find(|c| c.users_sizing.is_none())
            .unwrap();
        let env = other.environments[0].id.clone();
        assert_eq!(users_vs_preset(other, &env, 50), None);
    }

    #[test]
    fn gke_e2_standard_4() {
        let n = node("e2-standard-4");
        let k = n.kubelet_allocatable();
        assert_eq!(k.cpu_millicores, 3920);
        assert_eq!(k.memory_bytes, 14_283_282_841);
        // Minus the default 200m / 300Mi overhead.
        assert_eq!(n.allocatable().cpu_millicores, 3720);
        assert_eq!(n.allocatable().memory_bytes, 14_283_282_841 - 300 * MIB);
        assert_eq!(n.pod_slots(), 106);
    }

    /// GKE e2-standard-2 (2 vCPU, 8 GiB): CPU 60 + 10 = 70m -> 1930m. Memory 1 GiB + 0.8 GiB
    /// = 1932735283.2 -> 1932735284; 8589934592 - 1932735284 - 104857600 = 6552341708.
    /// GKE e2-standard-16 (16 vCPU, 64 GiB): CPU 80 + 0.25% x 12000 = 80 + 30 = 110m -> 15890m.
    /// Memory 2.6 GiB + 6% x 48 GiB = 2.6 + 2.88 = 5.48 GiB = 5884105195.52 -> 5884105196;
    /// 68719476736 - 5884105196 - 104857600 = 62730513940.
    /// GKE n2-standard-8 (8 vCPU, 32 GiB): CPU 80 + 0.25% x 4000 = 90m -> 7910m. Memory
    /// 2.6 GiB plus 6% x 16 GiB = 3.56 GiB = 3822520893.44 -> 3822520894; 34359738368 -
    /// 3822520894 - 104857600 = 30432359874.
    #[test]
    fn gke_other_types() {
        let k = node("e2-standard-2").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (1930, 6_552_341_708));
        let k = node("e2-standard-16").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (15890, 62_730_513_940));
        let k = node("n2-standard-8").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (7910, 30_432_359_874));
    }

    /// GKE tiers at their edges: under 1 GiB 255 MiB; 0.25% of an odd core is 2.5m, rounded up.
    #[test]
    fn gke_tier_edges() {
        assert_eq!(gke_memory_reserved(512 * MIB), 255 * MIB);
        assert_eq!(gke_memory_reserved(GIB), GIB / 4);
        // 200 GiB: 1 + 0.8 + 0.8 + 6% x 112 + 2% x 72 = 2.6 + 6.72 + 1.44 = 10.76 GiB.
        assert_eq!(gke_memory_reserved(200 * GIB), (1076 * GIB + 99) / 100);
        assert_eq!(tiered_cpu_reserved(5000), 83); // 80 + 2.5 -> 83
        assert_eq!(tiered_cpu_reserved(500), 30); // 6% of 500m
        assert_eq!(tiered_cpu_reserved(0), 0);
    }

    /// EKS m5.large (2 vCPU, 8 GiB, 29 pods): CPU 70m -> 1930m. Memory 11 x 29 + 255 = 574 MiB,
    /// plus 100 MiB eviction = 674 MiB; 8192 - 674 = 7518 MiB.
    /// EKS m5.xlarge (4, 16 GiB, 58 pods): CPU 80m -> 3920m. Memory 11 x 58 + 255 = 893 MiB,
    /// plus 100 = 993 MiB; 16384 - 993 = 15391 MiB.
    /// EKS t3.medium (2, 4 GiB, 17 pods): 1930m; 11 x 17 + 255 = 442 + 100 = 542 MiB;
    /// 4096 - 542 = 3554 MiB.
    /// EKS m5.4xlarge (16, 64 GiB, 234 pods): 15890m; 11 x 234 + 255 = 2829 + 100 = 2929 MiB;
    /// 65536 - 2929 = 62607 MiB.
    #[test]
    fn eks_types() {
        let k = node("m5.large").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (1930, 7518 * MIB));
        let k = node("m5.xlarge").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (3920, 15391 * MIB));
        let k = node("t3.medium").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (1930, 3554 * MIB));
        let k = node("m5.4xlarge").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (15890, 62607 * MIB));
    }

    /// AKS Standard_D4s_v5 (4 vCPU, 16 GiB, 30 pods): CPU row "4 cores" 140m -> 3860m. Memory
    /// min(20 x 30 + 50 = 650 MiB, 25% x 16 GiB = 4 GiB) = 650 MiB, + 100 = 750 MiB;
    /// 16384 - 750 = 15634 MiB.
    /// AKS Standard_B2s (2, 4 GiB): 100m -> 1900m; min(650 MiB, 1 GiB) + 100 = 750 MiB;
    /// 4096 - 750 = 3346 MiB.
    /// AKS Standard_D16s_v5 (16, 64 GiB): 260m -> 15740m; 650 + 100 MiB; 65536 - 750 = 64786 MiB.
    /// AKS 2 GiB custom node with 110 pods (kubenet): min(20 x 110 + 50 = 2250 MiB, 512 MiB)
    /// = 512 MiB (the 25% cap) + 100 = 612 MiB; 2048 - 612 = 1436 MiB.
    #[test]
    fn aks_types() {
        let k = node("Standard_D4s_v5").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (3860, 15634 * MIB));
        let k = node("Standard_B2s").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (1900, 3346 * MIB));
        let k = node("Standard_D16s_v5").kubelet_allocatable();
        assert_eq!((k.cpu_millicores, k.memory_bytes), (15740, 64786 * MIB));
        let k = kubelet_allocatable(Cloud::Aks, 2000, 2 * GIB, 110);
        assert_eq!(k.memory_bytes, 1436 * MIB);
        // Between table rows the lower row applies; under one core 60m.
        assert_eq!(aks_cpu_reserved(6000), 140);
        assert_eq!(aks_cpu_reserved(500), 60);
        assert_eq!(aks_cpu_reserved(128_000), 740);
    }

    #[test]
    fn every_type_is_listed_once_and_has_room() {
        for c in Cloud::ALL {
            assert!(c.instance_types().count() >= 6, "{c}");
            assert!(instance_type(c.default_node_type()).is_some_and(|t| t.cloud == c));
        }
        for (i, t) in INSTANCE_TYPES.iter().enumerate() {
            assert!(
                !INSTANCE_TYPES[..i].iter().any(|u| u.name == t.name),
                "{}",
                t.name
            );
            let a = NodeSpec::of_type(t).allocatable();
            assert!(a.cpu_millicores > 0 && a.memory_bytes > 0, "{}", t.name);
        }
    }

    // ---- options ----------------------------------------------------------------------------

    #[test]
    fn options_parse_and_errors_name_key_and_value() {
        let p = Planning::from_options(&opts(&[])).unwrap();
        assert_eq!(p.node, None);
        assert_eq!(p.prices, Prices::default());

        let p = Planning::from_options(&opts(&[("node_type", "m5.large")])).unwrap();
        let n = p.node.unwrap();
        assert_eq!(
            (n.cloud, n.name.as_str(), n.max_pods),
            (Cloud::Eks, "m5.large", 29)
        );

        let p = Planning::from_options(&opts(&[("cloud", "aks")])).unwrap();
        let n = p.node.unwrap();
        assert_eq!(
            (n.name.as_str(), n.hour_micro_usd),
            ("Standard_D4s_v5", 192_000)
        );
        let p = Planning::from_options(&opts(&[("cloud", "gke")])).unwrap();
        let n = p.node.unwrap();
        assert_eq!(
            (n.name.as_str(), n.hour_micro_usd),
            ("e2-standard-4", 134_012)
        );

        let e = Planning::from_options(&opts(&[("cloud", "gcp")])).unwrap_err();
        assert!(e.to_string().contains("cloud=\"gcp\"") && e.to_string().contains("gke, eks, aks"));
        let e = Planning::from_options(&opts(&[("cloud", "gke"), ("node_type", "m5.large")]))
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("\"m5.large\"") && s.contains("e2-standard-8") && !s.contains("t3.medium"),
            "{s}"
        );
        let e = Planning::from_options(&opts(&[("cloud", "gke"), ("node.memory", "16GB")]))
            .unwrap_err();
        assert!(e.to_string().contains("node.memory=\"16GB\""), "{e}");
        let e = Planning::from_options(&opts(&[("price.vcpu_hour", "0.0316111")])).unwrap_err();
        assert!(e.to_string().contains("price.vcpu_hour") && e.to_string().contains("6 decimals"));
        let e = Planning::from_options(&opts(&[("users", "-3")])).unwrap_err();
        assert!(e.to_string().contains("users=\"-3\""), "{e}");
        let e = Planning::from_options(&opts(&[("node.vcpu", "4")])).unwrap_err();
        assert!(e.to_string().contains("choose a cloud"), "{e}");
        let e = Planning::from_options(&opts(&[
            ("cloud", "eks"),
            ("node_type", "custom"),
            ("node.vcpu", "4"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("node.memory"), "{e}");
    }

    #[test]
    fn usd_amounts_are_exact_micro_usd() {
        assert_eq!(parse_usd("k", "0.134012").unwrap(), 134_012);
        assert_eq!(parse_usd("k", "0.04").unwrap(), 40_000);
        assert_eq!(parse_usd("k", "$12").unwrap(), 12_000_000);
        assert_eq!(parse_usd("k", ".5").unwrap(), 500_000);
        for bad in ["", "-1", "1,5", "abc", "1.2.3", "0.0000001"] {
            assert!(parse_usd("k", bad).is_err(), "{bad}");
        }
        assert_eq!(usd(1_234_565_000), "$1,234.57");
        assert_eq!(usd(4_999), "$0.00");
        assert_eq!(usd(5_000), "$0.01");
        assert_eq!(usd(123_456_789_000_000), "$123,456,789.00");
        assert_eq!(usd(12_345_000_000), "$12,345.00");
        assert_eq!(usd_rate(134_012), "$0.134012");
        assert_eq!(usd_rate(40_000), "$0.04");
        assert_eq!(usd_json(97_829_000).to_string(), "97.83");
        assert_eq!(usd_json(1_000_000).to_string(), "1.0");
    }

    #[test]
    fn custom_node_and_overrides() {
        let p = Planning::from_options(&opts(&[
            ("cloud", "gke"),
            ("node.vcpu", "6"),
            ("node.memory", "24Gi"),
            ("daemonset.cpu", "0"),
            ("daemonset.memory", "0"),
            ("daemonset.pods", "0"),
        ]))
        .unwrap();
        let n = p.node.unwrap();
        assert_eq!(
            (n.name.as_str(), n.custom, n.max_pods),
            ("custom", true, 110)
        );
        // Priced by OpenCost's rates: 6 x 0.031611 + 24 x 0.004237 = 0.189666 + 0.101688.
        assert_eq!(n.hour_micro_usd, 291_354);
        // 6 cores: 80 + 0.25% x 2000 = 85m; 24 GiB: 2.6 GiB + 6% x 8 GiB = 3.08 GiB.
        assert_eq!(n.allocatable().cpu_millicores, 5915);
        assert_eq!(
            n.allocatable().memory_bytes,
            24 * GIB - (308 * GIB + 99) / 100 - 100 * MIB
        );
        let p = Planning::from_options(&opts(&[
            ("node_type", "e2-standard-4"),
            ("price.node_hour", "0.1"),
            ("node.price", "0.2"),
        ]))
        .unwrap();
        assert_eq!(
            p.node.unwrap().hour_micro_usd,
            100_000,
            "price.node_hour wins"
        );
    }

    #[test]
    fn check_option_rejects_unknown_keys() {
        let e = check_option("clod", "gke").unwrap_err();
        assert!(e.to_string().contains("valid options") && e.to_string().contains("cloud"));
        assert!(check_option("node.memory", "16Gi").is_ok());
        assert!(check_option("node.memory", "16GB").is_err());
        assert!(check_option("price.storage_gb_month", "0.1").is_ok());
        for k in [
            "node.price",
            "price.node_hour",
            "daemonset.cpu",
            "node.max_pods",
        ] {
            assert!(check_option(k, "1").is_ok(), "{k}");
        }
        assert!(check_option("daemonset.cpu", "1 core").is_err());
        assert!(check_option("node_type", "e2-standard-99").is_err());
    }

    // ---- node fit -----------------------------------------------------------------------------

    /// Rhesis prod on e2-standard-4 (3720m and 13.0 GiB for pods with the default overhead).
    /// FFD order (CPU, memory, plan order): backend-0..2 and postgresql-0 (1000m/2Gi), then
    /// frontend-0..1, worker-0..4, redis-0 (500m/1Gi).
    /// First fit: backend-0 opens n1; backend-1 and -2 find no open node without a sibling, so
    /// Preferred falls back to n1 (3000m); postgresql-0 opens n2; ... worker-4 opens n3: 3 nodes,
    /// with the three backends on n1.
    /// The scheduler spreads them on a 3-node cluster, so the pods are placed again with n1..n3
    /// open: backend-0..2 -> n1, n2, n3; postgresql-0 -> n1 (2000m); frontend-0 -> n1 (2500m),
    /// frontend-1 -> n2 (1500m); worker-0..2 -> n1 (3000m), n2 (2000m), n3 (1500m); worker-3
    /// has a sibling everywhere -> first with room, n1 (3500m); worker-4 -> n2 (2500m); redis-0
    /// -> n2 (3000m). Still 3 nodes, 8000m in all; no two backends share a node.
    #[test]
    fn rhesis_prod_fits_on_three_e2_standard_4() {
        let cat = Catalog::builtin();
        let p = plan(cat, &config(&["rhesis"], "prod", &[]));
        let f = fit(&p, cat, &node("e2-standard-4"));
        assert_eq!(f.baseline.node_count(), 3);
        assert_eq!(f.peak, f.baseline);
        assert!(f.baseline.unplaced.is_empty());
        assert!(!f.baseline.max_pods_bound);
        let names = |i: usize| -> Vec<String> {
            f.baseline.nodes[i]
                .pods
                .iter()
                .map(|r| format!("{}-{}", r.component, r.replica))
                .collect()
        };
        assert_eq!(
            names(0),
            [
                "backend-0",
                "postgresql-0",
                "frontend-0",
                "worker-0",
                "worker-3"
            ]
        );
        assert_eq!(
            names(1),
            ["backend-1", "frontend-1", "worker-1", "worker-4", "redis-0"]
        );
        assert_eq!(names(2), ["backend-2", "worker-2"]);
        let cpu: Vec<i64> = f
            .baseline
            .nodes
            .iter()
            .map(|n| n.requests.cpu_millicores)
            .collect();
        assert_eq!(cpu, [3500, 3000, 1500]);
        let mem: Vec<i64> = f
            .baseline
            .nodes
            .iter()
            .map(|n| n.requests.memory_bytes)
            .collect();
        assert_eq!(mem, [7 * GIB, 6 * GIB, 3 * GIB]);
    }

    #[test]
    fn required_anti_affinity_never_shares_a_node() {
        // Caracal prod: 3 Kafka brokers and 3 Zookeeper nodes (StatefulSets: Required).
        let cat = Catalog::builtin();
        let p = plan(cat, &config(&["caracal"], "prod", &[]));
        let f = fit(&p, cat, &node("e2-standard-16"));
        for n in &f.peak.nodes {
            for comp in ["kafka", "zookeeper"] {
                assert!(n.pods.iter().filter(|r| r.component == comp).count() <= 1);
            }
        }
        // 16 cores would hold all of baseline's CPU requests, but the brokers need 3 nodes.
        assert_eq!(f.baseline.node_count(), 3);
    }

    #[test]
    fn pod_too_big_is_unplaced_with_reason() {
        let cat = Catalog::builtin();
        let p = plan(
            cat,
            &config(&["rhesis"], "prod", &["backend.resources.requests.cpu=8"]),
        );
        let f = fit(&p, cat, &node("e2-standard-4"));
        let u = &f.baseline.unplaced;
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].component.as_str(), u[0].replicas), ("backend", 3));
        assert_eq!(
            u[0].reason,
            "requests 8 cores CPU, a e2-standard-4 node offers 3.72 cores to pods"
        );
        let p = plan(
            cat,
            &config(
                &["rhesis"],
                "prod",
                &["backend.resources.requests.memory=20Gi"],
            ),
        );
        let f = fit(&p, cat, &node("e2-standard-4"));
        assert!(
            f.peak.unplaced[0].reason.contains("20 GiB memory"),
            "{:?}",
            f.peak.unplaced
        );
    }

    /// 20 tiny pods on nodes with 5 pod slots: CPU and memory would fit one node, the pod
    /// limit makes it 4.
    #[test]
    fn max_pods_can_bind() {
        let cat = Catalog::builtin();
        let p = plan(
            cat,
            &config(
                &["rhesis"],
                "dev",
                &[
                    "worker.replicas=20",
                    "worker.resources.requests.cpu=10m",
                    "worker.resources.requests.memory=10Mi",
                    "frontend.enabled=false",
                    "backend.enabled=false",
                    "database.enabled=false",
                    "redis.enabled=false",
                ],
            ),
        );
        let mut n = node("e2-standard-16");
        n.max_pods = 9; // 9 - 4 DaemonSet pods = 5 slots
        let f = fit(&p, cat, &n);
        assert_eq!(f.baseline.node_count(), 4);
        assert!(f.baseline.max_pods_bound);
        n.max_pods = 110;
        let f = fit(&p, cat, &n);
        assert_eq!(f.baseline.node_count(), 1);
        assert!(!f.baseline.max_pods_bound);
        n.daemonset_pods = 110;
        let f = fit(&p, cat, &n);
        assert_eq!(f.baseline.node_count(), 0);
        assert!(f.baseline.unplaced[0].reason.contains("no pod slot"));
    }

    #[test]
    fn fit_is_deterministic_and_total_for_every_chart() {
        let cat = Catalog::builtin();
        for chart in &cat.charts {
            for env in &chart.environments {
                let p = plan(cat, &config(&[&chart.id], &env.id, &[]));
                for t in INSTANCE_TYPES {
                    let f = fit(&p, cat, &NodeSpec::of_type(t));
                    assert_eq!(f, fit(&p, cat, &NodeSpec::of_type(t)));
                    let placed: usize = f.peak.nodes.iter().map(|n| n.pods.len()).sum();
                    let unplaced: i64 = f.peak.unplaced.iter().map(|u| u.replicas).sum();
                    assert_eq!(
                        placed as i64 + unplaced,
                        p.totals.peak.replicas,
                        "{} {} {}",
                        chart.id,
                        env.id,
                        t.name
                    );
                    for n in &f.peak.nodes {
                        assert!(n.requests.cpu_millicores <= f.allocatable.cpu_millicores);
                        assert!(n.requests.memory_bytes <= f.allocatable.memory_bytes);
                        assert!(n.pods.len() as i64 <= f.pod_slots);
                    }
                }
            }
        }
    }

    /// The placement without the cursor optimisation: every pass scans every open node.
    fn naive(plan: &Plan, catalog: &Catalog, node: &NodeSpec) -> Vec<Vec<(usize, i64)>> {
        let alloc = node.allocatable();
        let slots = node.pod_slots();
        let mut pods = Vec::new();
        for (i, c) in plan.components.iter().enumerate() {
            let n = c.replicas.baseline;
            if n <= 0 || no_fit_reason(node, c.requests).is_some() {
                continue;
            }
            let required = catalog
                .chart(&c.stack)
                .and_then(|ch| ch.component(&c.id))
                .is_some_and(|k| k.anti_affinity() == AntiAffinity::Required);
            for r in 0..n {
                pods.push((
                    i,
                    r,
                    c.requests.cpu_millicores,
                    c.requests.memory_bytes,
                    n > 1,
                    required && n > 1,
                ));
            }
        }
        pods.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then(b.3.cmp(&a.3))
                .then(a.0.cmp(&b.0))
                .then(a.1.cmp(&b.1))
        });
        type Node = (i64, i64, Vec<(usize, i64)>);
        let run = |prefill: usize| {
            let mut nodes: Vec<Node> = vec![(0, 0, Vec::new()); prefill];
            for &(comp, r, cpu, mem, spread, required) in &pods {
                let ok = |n: &Node| {
                    n.0 + cpu <= alloc.cpu_millicores
                        && n.1 + mem <= alloc.memory_bytes
                        && (n.2.len() as i64) < slots
                };
                let sib = |n: &Node| spread && n.2.iter().any(|x| x.0 == comp);
                let mut t = nodes.iter().position(|n| ok(n) && !sib(n));
                if t.is_none() && spread && !required {
                    t = nodes.iter().position(ok);
                }
                let j = t.unwrap_or_else(|| {
                    nodes.push((0, 0, Vec::new()));
                    nodes.len() - 1
                });
                nodes[j].0 += cpu;
                nodes[j].1 += mem;
                nodes[j].2.push((comp, r));
            }
            nodes
                .into_iter()
                .map(|n| n.2)
                .filter(|n| !n.is_empty())
                .collect::<Vec<_>>()
        };
        let first = run(0);
        // A preferred component with two replicas on one node: placed again with the nodes
        // open from the start, kept when it needs no more of them.
        let doubled = first.iter().any(|n| {
            n.iter().enumerate().any(|(k, a)| {
                n[..k].iter().any(|b| b.0 == a.0) && pods.iter().any(|p| p.0 == a.0 && p.4 && !p.5)
            })
        });
        if first.len() > 1 && doubled {
            let spread = run(first.len());
            if spread.len() <= first.len() {
                return spread;
            }
        }
        first
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// Caracal's components (StatefulSets: required; Deployments: preferred) with random
        /// replicas and requests from a few sizes (so ties happen), on nodes with few slots.
        #[test]
        fn placement_equals_the_naive_first_fit(
            shapes in proptest::collection::vec((0i64..12, 0usize..4, 0usize..4), 9),
            max_pods in 5i64..14,
        ) {
            let cat = Catalog::builtin();
            let mut p = plan(cat, &config(&["caracal"], "prod", &[]));
            const CPU: [i64; 4] = [100, 250, 500, 1500];
            const MEM: [i64; 4] = [64 * MIB, 256 * MIB, GIB, 3 * GIB];
            for (c, (n, ci, mi)) in p.components.iter_mut().zip(&shapes) {
                c.replicas.baseline = *n;
                c.requests = Resources { cpu_millicores: CPU[*ci], memory_bytes: MEM[*mi] };
            }
            let mut node = node("e2-standard-4");
            node.max_pods = max_pods;
            let got: Vec<Vec<(usize, i64)>> = place(&p, cat, &node, Scenario::Baseline)
                .nodes
                .iter()
                .map(|n| n.pods.iter().map(|r| {
                    let i = p.components.iter().position(|c| c.id == r.component).unwrap();
                    (i, r.replica)
                }).collect())
                .collect();
            proptest::prop_assert_eq!(got, naive(&p, cat, &node));
        }
    }

    // ---- cost --------------------------------------------------------------------------------

    /// Rhesis prod on 3 x e2-standard-4: 3 x 0.134012 x 730 = 293.48628 USD; storage 110 GiB
    /// = 118111600640 B x 0.04 / 1e9 = 4.7244640256 -> 4.724464 USD; total 298.210744 ->
    /// $298.21. OpenCost on requests (8 cores, 16 GiB): 8 x 0.031611 x 730 = 184.60824;
    /// 16 x 0.004237 x 730 = 49.48816; + 4.724464 = 238.820864 -> $238.82.
    #[test]
    fn rhesis_prod_monthly_cost() {
        let cat = Catalog::builtin();
        let p = plan(cat, &config(&["rhesis"], "prod", &[]));
        let f = fit(&p, cat, &node("e2-standard-4"));
        let c = cost(&p, &f, &Prices::default());
        assert_eq!(c.baseline.nodes_micro_usd, 293_486_280);
        assert_eq!(c.baseline.storage_micro_usd, 4_724_464);
        assert_eq!(c.baseline.total_micro_usd, 298_210_744);
        assert_eq!(usd(c.baseline.total_micro_usd), "$298.21");
        assert_eq!(c.baseline.opencost.cpu_micro_usd, 184_608_240);
        assert_eq!(c.baseline.opencost.memory_micro_usd, 49_488_160);
        assert_eq!(c.baseline.opencost.total_micro_usd, 238_820_864);
        assert_eq!(c.peak, c.baseline);
        insta::assert_snapshot!("rhesis_prod_on_e2_standard_4", summary_text(&f, &c));
        let j = cost_json(&c);
        assert_eq!(j["monthly_usd_baseline"].to_string(), "298.21");
        assert_eq!(j["prices"]["node_hour_usd"].to_string(), "0.134012");
    }

    #[test]
    fn storage_cost_rounds_half_up() {
        assert_eq!(storage_cost(1_000_000_000, 40_000), 40_000);
        assert_eq!(storage_cost(12_500, 40_000), 1); // 0.5 micro-USD -> 1
        assert_eq!(storage_cost(0, 40_000), 0);
    }

    // ---- users sizing --------------------------------------------------------------------------

    fn users(n: i64) -> Vec<i64> {
        let chart = Catalog::builtin().chart("rhesis").unwrap();
        replicas_for_users(chart, n)
            .sets
            .into_iter()
            .map(|(_, r)| r)
            .collect()
    }

    /// The Rhesis calculator: 1-2 users 1/1/3, 5-10 2/2/5, 50+ 3/5/10, 500+ 5/10/20.
    #[test]
    fn rhesis_users_tiers_and_boundaries() {
        assert_eq!(users(1), [1, 1, 3]);
        assert_eq!(users(2), [1, 1, 3]);
        assert_eq!(users(3), [2, 2, 5], "between tiers: the larger one");
        assert_eq!(users(5), [2, 2, 5]);
        assert_eq!(users(10), [2, 2, 5]);
        assert_eq!(users(11), [3, 5, 10]);
        assert_eq!(users(50), [3, 5, 10]);
        assert_eq!(users(499), [3, 5, 10]);
        assert_eq!(users(500), [5, 10, 20]);
    }

    /// Beyond 500: per user (5-3)/450, (10-5)/450, (20-10)/450, rounded up.
    /// 501: 5 + ceil(2/450) = 6, 10 + ceil(5/450) = 11, 20 + ceil(10/450) = 21.
    /// 950: 5 + 900/450 = 7, 10 + 2250/450 = 15, 20 + 4500/450 = 30 (exact).
    /// 1000: 5 + ceil(1000/450) = 8, 10 + ceil(2500/450) = 16, 20 + ceil(5000/450) = 32.
    #[test]
    fn rhesis_users_extrapolation() {
        assert_eq!(users(501), [6, 11, 21]);
        assert_eq!(users(950), [7, 15, 30]);
        assert_eq!(users(1000), [8, 16, 32]);
        assert_eq!(users(100_000_000), [10_000, 10_000, 10_000]);
        let chart = Catalog::builtin().chart("rhesis").unwrap();
        let r = replicas_for_users(chart, 1000);
        assert!(
            r.explanation.contains("extrapolated linearly"),
            "{}",
            r.explanation
        );
        assert_eq!(r.sets[0].0, "frontend.replicas");
        let none = replicas_for_users(Catalog::builtin().chart("caracal").unwrap(), 10);
        assert!(none.sets.is_empty());
    }

    #[test]
    fn users_sizing_paths_are_replica_paths() {
        for chart in &Catalog::builtin().charts {
            let Some(s) = &chart.users_sizing else {
                continue;
            };
            for p in &s.paths {
                assert!(
                    chart
                        .components
                        .iter()
                        .any(|c| c.values.replicas.as_deref() == Some(p.as_str())),
                    "{}: {p} is no component's replicas path",
                    chart.id
                );
            }
        }
    }

    #[test]
    fn bad_users_sizing_fails_the_catalog_load() {
        let text = crate::model::catalog::FILES[2].1;
        let bad = text.replacen("users: \"5-10\", name", "users: \"1-10\", name", 1);
        assert_ne!(bad, text, "the rhesis users table must have a 5-10 tier");
        let e = Catalog::load(&[("rhesis.yaml", &bad)]).unwrap_err();
        assert!(e.to_string().contains("previous tier"), "{e}");
        let bad = text.replacen("replicas: [2, 2, 5]", "replicas: [2, 2]", 1);
        let e = Catalog::load(&[("rhesis.yaml", &bad)]).unwrap_err();
        assert!(e.to_string().contains("2 numbers for 3 paths"), "{e}");
    }

    #[test]
    fn apply_users_keeps_explicit_sets() {
        let cat = Catalog::builtin();
        let mut c = config(&["rhesis"], "prod", &["worker.replicas=7"]);
        let notes = apply_users(cat, &mut c, 1000).unwrap();
        assert_eq!(notes.len(), 1);
        let mut both = config(&["rhesis", "caracal"], "prod", &[]);
        let notes = apply_users(cat, &mut both, 3).unwrap();
        assert!(
            notes[1].starts_with("caracal: Caracal Core's guide gives no sizing"),
            "{notes:?}"
        );
        assert_eq!(both.overrides["rhesis"]["worker.replicas"], Value::from(5));
        let o = &c.overrides["rhesis"];
        assert_eq!(o["frontend.replicas"], Value::from(8));
        assert_eq!(o["backend.replicas"], Value::from(16));
        assert_eq!(o["worker.replicas"], Value::from(7));
    }
}
