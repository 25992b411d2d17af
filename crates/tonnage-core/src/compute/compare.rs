//! Side-by-side comparison of two plans (two environments, or a configuration and its preset):
//! per-component differences and total deltas.

use serde::Serialize;

use crate::compute::plan::{ComponentPlan, Plan, Total, Totals};

/// One component in both plans (absent on one side when the charts differ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub stack: String,
    pub id: String,
    pub name: String,
    pub a: Option<ComponentPlan>,
    pub b: Option<ComponentPlan>,
    /// Which figures differ: `enabled`, `replicas`, `requests.cpu`, `requests.memory`,
    /// `limits.cpu`, `limits.memory`, `storage`.
    pub changed: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    pub replicas: i64,
    pub requests_cpu_millicores: i64,
    pub requests_memory_bytes: i64,
    pub limits_cpu_millicores: i64,
    pub limits_memory_bytes: i64,
    pub storage_bytes: i64,
}

impl Delta {
    fn between(a: &Total, b: &Total) -> Delta {
        Delta {
            replicas: b.replicas - a.replicas,
            requests_cpu_millicores: b.requests.cpu_millicores - a.requests.cpu_millicores,
            requests_memory_bytes: b.requests.memory_bytes - a.requests.memory_bytes,
            limits_cpu_millicores: b.limits.cpu_millicores - a.limits.cpu_millicores,
            limits_memory_bytes: b.limits.memory_bytes - a.limits.memory_bytes,
            storage_bytes: b.storage_bytes - a.storage_bytes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub rows: Vec<Row>,
    /// b - a, at baseline and at peak.
    pub baseline: Delta,
    pub peak: Delta,
    /// Each side's own totals (a, then b): the deltas alone do not say how big either is.
    pub totals: (Totals, Totals),
}

/// The monthly cost of both sides on one node type and prices (micro-USD): (a, b) at baseline
/// and at peak, and b - a.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CostComparison {
    pub baseline: (i64, i64),
    pub peak: (i64, i64),
}

impl CostComparison {
    /// b - a at baseline and at peak.
    pub fn deltas(&self) -> (i64, i64) {
        (
            self.baseline.1.saturating_sub(self.baseline.0),
            self.peak.1.saturating_sub(self.peak.0),
        )
    }
}

/// Both plans fitted on `node` and priced with `prices` (the capacity panel's choice).
pub fn compare_cost(
    catalog: &crate::model::catalog::Catalog,
    a: &Plan,
    b: &Plan,
    node: &crate::model::cloud::NodeSpec,
    prices: &crate::model::options::Prices,
) -> CostComparison {
    use crate::compute::capacity::{cost, fit};
    let monthly = |p: &Plan| {
        let c = cost(p, &fit(p, catalog, node), prices);
        (c.baseline.total_micro_usd, c.peak.total_micro_usd)
    };
    let (ma, mb) = (monthly(a), monthly(b));
    CostComparison {
        baseline: (ma.0, mb.0),
        peak: (ma.1, mb.1),
    }
}

fn changed(a: &ComponentPlan, b: &ComponentPlan) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.enabled != b.enabled {
        out.push("enabled");
    }
    if a.replicas != b.replicas {
        out.push("replicas");
    }
    if a.requests.cpu_millicores != b.requests.cpu_millicores {
        out.push("requests.cpu");
    }
    if a.requests.memory_bytes != b.requests.memory_bytes {
        out.push("requests.memory");
    }
    if a.limits.cpu_millicores != b.limits.cpu_millicores {
        out.push("limits.cpu");
    }
    if a.limits.memory_bytes != b.limits.memory_bytes {
        out.push("limits.memory");
    }
    if a.storage_bytes != b.storage_bytes {
        out.push("storage");
    }
    out
}

/// Compare plan `a` with plan `b` (deltas are b - a). Rows follow `a`'s order, then components
/// only `b` has.
pub fn compare(a: &Plan, b: &Plan) -> Comparison {
    let mut rows = Vec::new();
    for ca in &a.components {
        let cb = b
            .components
            .iter()
            .find(|c| c.stack == ca.stack && c.id == ca.id);
        rows.push(Row {
            stack: ca.stack.clone(),
            id: ca.id.clone(),
            name: ca.name.clone(),
            a: Some(ca.clone()),
            b: cb.cloned(),
            changed: cb.map_or(vec!["enabled"], |cb| changed(ca, cb)),
        });
    }
    for cb in &b.components {
        if !a
            .components
            .iter()
            .any(|c| c.stack == cb.stack && c.id == cb.id)
        {
            rows.push(Row {
                stack: cb.stack.clone(),
                id: cb.id.clone(),
                name: cb.name.clone(),
                a: None,
                b: Some(cb.clone()),
                changed: vec!["enabled"],
            });
        }
    }
    Comparison {
        rows,
        baseline: Delta::between(&a.totals.baseline, &b.totals.baseline),
        peak: Delta::between(&a.totals.peak, &b.totals.peak),
        totals: (a.totals, b.totals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{plan, Catalog, Configuration};

    fn p(env: &str, sets: &[&str]) -> Plan {
        let cat = Catalog::builtin();
        let mut c = Configuration::new(cat, &["rhesis"], env).unwrap();
        for s in sets {
            c.set_str(cat, s).unwrap();
        }
        plan(cat, &c)
    }

    #[test]
    fn sides_keep_their_totals_and_cost() {
        let (a, b) = (p("local", &[]), p("prod", &[]));
        let c = compare(&a, &b);
        assert_eq!(c.totals, (a.totals, b.totals));
        let node = crate::compute::capacity::instance_type("m5.xlarge")
            .map(crate::model::cloud::NodeSpec::of_type)
            .expect("a built-in node type");
        let prices = crate::model::options::Prices::default();
        let k = compare_cost(Catalog::builtin(), &a, &b, &node, &prices);
        // Production needs more nodes than local: it costs more, and the delta says by how much.
        assert!(k.baseline.1 > k.baseline.0, "{k:?}");
        assert_eq!(k.deltas().0, k.baseline.1 - k.baseline.0);
        let alone = |p: &Plan| {
            let f = crate::compute::capacity::fit(p, Catalog::builtin(), &node);
            crate::compute::capacity::cost(p, &f, &prices)
                .baseline
                .total_micro_usd
        };
        assert_eq!(k.baseline, (alone(&a), alone(&b)));
    }

    #[test]
    fn local_vs_prod_deltas() {
        let c = compare(&p("local", &[]), &p("prod", &[]));
        // 8 - 2.35 cores, 16 - 4.625 GiB, 110 - 1.5 GiB, 12 - 5 pods.
        assert_eq!(c.baseline.requests_cpu_millicores, 5650);
        assert_eq!(
            c.baseline.requests_memory_bytes,
            (16 << 30) - (4 << 30) - (640 << 20)
        );
        assert_eq!(c.baseline.storage_bytes, (109 << 30) - (512 << 20));
        assert_eq!(c.baseline.replicas, 7);
        let backend = c.rows.iter().find(|r| r.id == "backend").unwrap();
        assert!(backend.changed.contains(&"replicas"));
    }

    #[test]
    fn identical_plans_have_no_changes() {
        let c = compare(&p("prod", &[]), &p("prod", &[]));
        assert!(c.rows.iter().all(|r| r.changed.is_empty()));
        assert_eq!(c.baseline, Delta::default());
    }

    #[test]
    fn an_override_shows_as_a_change() {
        let c = compare(&p("prod", &[]), &p("prod", &["worker.enabled=false"]));
        let w = c.rows.iter().find(|r| r.id == "worker").unwrap();
        assert_eq!(w.changed, ["enabled", "replicas"]);
        assert_eq!(c.baseline.replicas, -5);
    }
}
