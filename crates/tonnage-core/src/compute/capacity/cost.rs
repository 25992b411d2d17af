//! Cost: the nodes of a fit at their price per hour for a month, plus storage, and OpenCost's
//! per-resource method for comparison. Micro-USD throughout, rounded once for display.

use serde::Serialize;

use super::fit::Fit;
use super::fit::Placement;
use crate::compute::plan::Plan;
use crate::model::cloud::clamp_i64;
use crate::model::cloud::HOURS_PER_MONTH;
use crate::model::options::Prices;

const GIB: i64 = 1 << 30;
const MICRO: i64 = 1_000_000;

/// OpenCost's per-resource method on the plan's requests (it charges a workload
/// max(request, usage); before deployment that is the request), micro-USD per month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OpenCostLine {
    pub cpu_micro_usd: i64,
    pub memory_micro_usd: i64,
    pub storage_micro_usd: i64,
    pub total_micro_usd: i64,
}

/// Monthly cost of one scenario, micro-USD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CostLine {
    pub nodes: i64,
    /// nodes x price per node-hour x 730.
    pub nodes_micro_usd: i64,
    /// Storage GB (10^9 bytes) x price per GB-month.
    pub storage_micro_usd: i64,
    pub total_micro_usd: i64,
    pub opencost: OpenCostLine,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub node_hour_micro_usd: i64,
    pub prices: Prices,
    pub storage_bytes: i64,
    pub baseline: CostLine,
    pub peak: CostLine,
}

/// `n / d` rounded half up, for non-negative `n` and positive `d`.
fn div_round(n: i128, d: i128) -> i128 {
    if d <= 0 {
        return n;
    }
    (n + d / 2) / d
}

/// Monthly storage price of `bytes` at `gb_month` micro-USD per GB-month (GB = 10^9 bytes).
pub fn storage_cost(bytes: i64, gb_month: i64) -> i64 {
    clamp_i64(div_round(
        i128::from(bytes.max(0)) * i128::from(gb_month.max(0)),
        1_000_000_000,
    ))
}

/// OpenCost's per-resource method on one total (requests and storage), per month.
pub fn opencost_line(total: &crate::compute::plan::Total, prices: &Prices) -> OpenCostLine {
    let storage = storage_cost(total.storage_bytes, prices.storage_gb_month);
    let cpu = clamp_i64(div_round(
        i128::from(total.requests.cpu_millicores.max(0))
            * i128::from(prices.vcpu_hour)
            * i128::from(HOURS_PER_MONTH),
        1000,
    ));
    let mem = clamp_i64(div_round(
        i128::from(total.requests.memory_bytes.max(0))
            * i128::from(prices.gib_hour)
            * i128::from(HOURS_PER_MONTH),
        i128::from(GIB),
    ));
    OpenCostLine {
        cpu_micro_usd: cpu,
        memory_micro_usd: mem,
        storage_micro_usd: storage,
        total_micro_usd: cpu.saturating_add(mem).saturating_add(storage),
    }
}

/// The monthly cost of each component and each stack by OpenCost's per-resource method (what
/// its requests and claims would be charged), at baseline and at peak: how the bill splits.
/// Node prices do not split by component (a node is paid whole); these do, and add up to the
/// plan's OpenCost total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostSplit {
    /// (stack, component id, baseline, peak), micro-USD per month; shared volumes under
    /// their id.
    pub components: Vec<(String, String, i64, i64)>,
    /// (stack, baseline, peak).
    pub stacks: Vec<(String, i64, i64)>,
}

pub fn cost_split(plan: &Plan, prices: &Prices) -> CostSplit {
    let of = |t: &crate::compute::plan::Totals| {
        (
            opencost_line(&t.baseline, prices).total_micro_usd,
            opencost_line(&t.peak, prices).total_micro_usd,
        )
    };
    let mut components: Vec<(String, String, i64, i64)> = plan
        .components
        .iter()
        .map(|c| {
            let (b, p) = of(&c.totals());
            (c.stack.clone(), c.id.clone(), b, p)
        })
        .collect();
    for v in &plan.volumes {
        let s = storage_cost(v.storage_bytes, prices.storage_gb_month);
        components.push((v.stack.clone(), v.id.clone(), s, s));
    }
    let stacks = plan
        .stack_totals()
        .iter()
        .map(|(s, t)| {
            let (b, p) = of(t);
            (s.clone(), b, p)
        })
        .collect();
    CostSplit { components, stacks }
}

/// Monthly cost of the fitted plan: nodes at the node's hourly price for 730 hours plus
/// storage, and OpenCost's per-resource method on requests for comparison.
pub fn cost(plan: &Plan, fit: &Fit, prices: &Prices) -> Cost {
    let storage = plan.totals.baseline.storage_bytes;
    let line = |placement: &Placement, total: &crate::compute::plan::Total| {
        let nodes = placement.node_count();
        let nodes_micro = clamp_i64(
            i128::from(nodes) * i128::from(fit.node.hour_micro_usd) * i128::from(HOURS_PER_MONTH),
        );
        let opencost = opencost_line(total, prices);
        let storage_micro = opencost.storage_micro_usd;
        CostLine {
            nodes,
            nodes_micro_usd: nodes_micro,
            storage_micro_usd: storage_micro,
            total_micro_usd: nodes_micro.saturating_add(storage_micro),
            opencost,
        }
    };
    Cost {
        node_hour_micro_usd: fit.node.hour_micro_usd,
        prices: *prices,
        storage_bytes: storage,
        baseline: line(&fit.baseline, &plan.totals.baseline),
        peak: line(&fit.peak, &plan.totals.peak),
    }
}

/// Micro-USD rounded half up to cents.
pub fn cents(micro: i64) -> i64 {
    clamp_i64(if micro >= 0 {
        div_round(i128::from(micro), 10_000)
    } else {
        -div_round(-i128::from(micro), 10_000)
    })
}

/// `$1,234.57`: micro-USD for display, rounded half up to cents, with thousands separators.
pub fn usd(micro: i64) -> String {
    let c = cents(micro);
    let sign = if c < 0 { "-" } else { "" };
    let c = c.unsigned_abs();
    let grouped = crate::base::quantity::group_thousands(u128::from(c / 100));
    format!("{sign}${grouped}.{:02}", c % 100)
}

/// `$0.134012`: a rate with all its micro-USD digits (at least 2 decimals).
pub fn usd_rate(micro: i64) -> String {
    let m = micro.max(0);
    let frac = format!("{:06}", m % MICRO);
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 {
        format!("{frac:0<2}")
    } else {
        frac.to_string()
    };
    format!("${}.{frac}", m / MICRO)
}

/// Micro-USD as an exact JSON number with 2 decimals (`1234.57`). The value is built from
/// its decimal text, never computed in floating point.
pub fn usd_json(micro: i64) -> serde_json::Value {
    let c = cents(micro);
    let text = format!(
        "{}{}.{:02}",
        if c < 0 { "-" } else { "" },
        c.unsigned_abs() / 100,
        c.unsigned_abs() % 100
    );
    text.parse::<serde_json::Number>()
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// A rate (micro-USD) as a JSON number with all 6 decimals.
pub(crate) fn rate_json(micro: i64) -> serde_json::Value {
    let m = micro.max(0);
    format!("{}.{:06}", m / MICRO, m % MICRO)
        .parse::<serde_json::Number>()
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}
