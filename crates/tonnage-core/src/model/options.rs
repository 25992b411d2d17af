//! The option registry: the planning options a configuration carries (in
//! [`crate::configuration::config::Configuration::options`], travelling in share links) under the
//! keys of [`OPTION_KEYS`], their parsing into [`Planning`] with errors that name the key and the
//! value ([`OptionError`]), and the check a front end runs when one is set ([`check_option`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::base::quantity::Quantity;
use crate::model::cloud::{
    clamp_i64, instance_type, Cloud, NodeSpec, DEFAULT_DAEMONSET, DEFAULT_DAEMONSET_PODS,
    INSTANCE_TYPES,
};

const GIB: i64 = 1 << 30;
const MICRO: i64 = 1_000_000;

/// OpenCost `configs/default.json` ("based on GCP us-central1"), sizing-facts "Prices".
pub const OPENCOST_VCPU_HOUR_MICRO_USD: i64 = 31_611;
/// OpenCost: 0.004237 USD per GiB of RAM per hour.
pub const OPENCOST_GIB_HOUR_MICRO_USD: i64 = 4_237;
/// OpenCost: 0.00005479452 USD per GB-hour = 0.04 USD per GB-month at 730 hours.
pub const OPENCOST_STORAGE_GB_MONTH_MICRO_USD: i64 = 40_000;

/// Option keys of a node's shape. Choosing a built-in type (in a picker or through a review
/// fix) clears them, so the type chosen is the type used.
pub const NODE_SHAPE_KEYS: [&str; 4] = ["node.vcpu", "node.memory", "node.max_pods", "node.price"];

/// Option keys that only mean something once a node is chosen (cleared with the cloud).
pub const NODE_KEYS: [&str; 10] = [
    "node_type",
    "node.vcpu",
    "node.memory",
    "node.max_pods",
    "node.price",
    "daemonset.cpu",
    "daemonset.memory",
    "daemonset.pods",
    "price.node_hour",
    "cloud",
];

/// The option keys this module reads from [`Configuration::options`], with what they mean.
/// An empty value counts as unset.
pub const OPTION_KEYS: &[(&str, &str)] = &[
    ("cloud", "gke, eks or aks: whose node reservations and instance types to use"),
    (
        "node_type",
        "a built-in instance type (its cloud is implied) or `custom`; default per cloud: e2-standard-4, m5.xlarge, Standard_D4s_v5",
    ),
    ("node.vcpu", "vCPUs of the node as a quantity (4, 3500m); overrides the type's"),
    ("node.memory", "memory of the node as a quantity (16Gi); overrides the type's"),
    (
        "node.price",
        "USD per node-hour (0.134012); a custom node without it is priced by price.vcpu_hour and price.gib_hour",
    ),
    (
        "node.max_pods",
        "pods per node (EKS: the ENI formula; AKS: 30 Azure CNI, 110 kubenet, 250 overlay)",
    ),
    (
        "daemonset.cpu",
        "per-node CPU of the OS, DaemonSets and agents, a quantity (default 200m)",
    ),
    (
        "daemonset.memory",
        "per-node memory of the OS, DaemonSets and agents, a quantity (default 300Mi)",
    ),
    ("daemonset.pods", "pods per node taken by DaemonSets (default 4)"),
    ("price.node_hour", "USD per node-hour, replaces the list price (discounts, other regions)"),
    ("price.vcpu_hour", "USD per vCPU-hour for the OpenCost method (default 0.031611)"),
    ("price.gib_hour", "USD per GiB-hour of memory for the OpenCost method (default 0.004237)"),
    ("price.storage_gb_month", "USD per GB-month of volumes (default 0.04)"),
    ("users", "expected users: replicas from the chart's users sizing (the guide's table)"),
    ("qdrant.vectors", "vectors stored in Qdrant, for the memory review"),
    ("qdrant.dimensions", "dimensions per vector in Qdrant, for the memory review"),
];

/// A bad planning option, naming the key and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    pub key: String,
    pub value: String,
    pub problem: String,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid option {}={:?}: {}",
            self.key, self.value, self.problem
        )
    }
}

impl std::error::Error for OptionError {}

fn opt_err(key: &str, value: &str, problem: impl Into<String>) -> OptionError {
    OptionError {
        key: key.to_string(),
        value: value.to_string(),
        problem: problem.into(),
    }
}

/// The node types of `cloud` (all clouds when `None`) plus `custom`, for error messages.
pub fn valid_node_types(cloud: Option<Cloud>) -> Vec<&'static str> {
    INSTANCE_TYPES
        .iter()
        .filter(|t| cloud.is_none_or(|c| c == t.cloud))
        .map(|t| t.name)
        .chain(std::iter::once("custom"))
        .collect()
}

/// A USD amount with up to 6 decimals as micro-USD (`0.134012` -> 134012). No sign, no floats.
pub fn parse_usd(key: &str, text: &str) -> Result<i64, OptionError> {
    let t = text.trim();
    let t = t.strip_prefix('$').unwrap_or(t);
    let bad = |p: &str| opt_err(key, text, p);
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(bad("expected a USD amount such as 0.134012"));
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "expected a non-negative USD amount such as 0.134012 (digits and one dot)",
        ));
    }
    if frac.len() > 6 {
        return Err(bad("at most 6 decimals (prices are kept in micro-USD)"));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| bad("amount too large"))
            .and_then(|w: i64| {
                if w > 1_000_000_000 {
                    Err(bad("amount too large"))
                } else {
                    Ok(w)
                }
            })?
    };
    let mut micro_frac: i64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        micro_frac += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
    }
    Ok(whole * MICRO + micro_frac)
}

fn parse_int(key: &str, text: &str, min: i64, max: i64) -> Result<i64, OptionError> {
    match text.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(opt_err(
            key,
            text,
            format!("expected a whole number from {min} to {max}"),
        )),
    }
}

fn parse_quantity(key: &str, text: &str, cpu: bool) -> Result<i64, OptionError> {
    let q = Quantity::parse(text.trim()).map_err(|e| opt_err(key, text, e.to_string()))?;
    if q.is_negative() {
        return Err(opt_err(key, text, "cannot be negative"));
    }
    Ok(if cpu { q.milli_value() } else { q.value() })
}

/// Check one option as a front end sets it: known key, well-formed value. Unknown keys are
/// rejected here (with the list of valid ones); [`Planning::from_options`] ignores them so
/// options of other modules can share the map.
pub fn check_option(key: &str, value: &str) -> Result<(), OptionError> {
    if !OPTION_KEYS.iter().any(|(k, _)| *k == key) {
        let valid: Vec<&str> = OPTION_KEYS
            .iter()
            .map(|(k, _)| *k)
            .chain(["external.<chart id>.<component id>"])
            .collect();
        return Err(opt_err(
            key,
            value,
            format!("unknown option; valid options: {}", valid.join(", ")),
        ));
    }
    if key == "node_type" && value.trim() == "custom" {
        return Ok(()); // needs node.vcpu and node.memory, checked with the whole set
    }
    let mut one = BTreeMap::new();
    one.insert(key.to_string(), value.to_string());
    // A lone node or price figure needs a node to mean anything; check its format only.
    if key != "cloud" && key != "node_type" {
        one.insert("cloud".into(), "gke".into());
        one.insert("node_type".into(), "e2-standard-4".into());
    }
    Planning::from_options(&one).map(|_| ())
}

/// Prices for the cost estimate, micro-USD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Prices {
    pub vcpu_hour: i64,
    pub gib_hour: i64,
    pub storage_gb_month: i64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            vcpu_hour: OPENCOST_VCPU_HOUR_MICRO_USD,
            gib_hour: OPENCOST_GIB_HOUR_MICRO_USD,
            storage_gb_month: OPENCOST_STORAGE_GB_MONTH_MICRO_USD,
        }
    }
}

/// The planning choices of a configuration, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planning {
    /// The node to fit on; `None` when neither `cloud` nor `node_type` is chosen.
    pub node: Option<NodeSpec>,
    pub prices: Prices,
    pub users: Option<i64>,
    pub qdrant_vectors: Option<i64>,
    pub qdrant_dimensions: Option<i64>,
}

impl Planning {
    /// Parse the options (see [`OPTION_KEYS`]); unknown keys are ignored.
    pub fn from_options(options: &BTreeMap<String, String>) -> Result<Planning, OptionError> {
        let get = |k: &str| {
            options
                .get(k)
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
        };
        let mut prices = Prices::default();
        if let Some(v) = get("price.vcpu_hour") {
            prices.vcpu_hour = parse_usd("price.vcpu_hour", v)?;
        }
        if let Some(v) = get("price.gib_hour") {
            prices.gib_hour = parse_usd("price.gib_hour", v)?;
        }
        if let Some(v) = get("price.storage_gb_month") {
            prices.storage_gb_month = parse_usd("price.storage_gb_month", v)?;
        }
        let users = get("users")
            .map(|v| parse_int("users", v, 1, 100_000_000))
            .transpose()?;
        let qdrant_vectors = get("qdrant.vectors")
            .map(|v| parse_int("qdrant.vectors", v, 0, 1_000_000_000_000))
            .transpose()?;
        let qdrant_dimensions = get("qdrant.dimensions")
            .map(|v| parse_int("qdrant.dimensions", v, 1, 1_000_000))
            .transpose()?;

        let cloud = get("cloud")
            .map(|v| {
                Cloud::parse(v.trim()).ok_or_else(|| {
                    opt_err("cloud", v, "unknown cloud; valid clouds: gke, eks, aks")
                })
            })
            .transpose()?;
        let node_type = get("node_type").map(str::trim);
        let builtin = match node_type {
            None | Some("custom") => None,
            Some(name) => {
                let t = instance_type(name)
                    .filter(|t| cloud.is_none_or(|c| c == t.cloud))
                    .ok_or_else(|| {
                        opt_err(
                            "node_type",
                            name,
                            format!(
                                "unknown node type{}; valid node types: {}",
                                cloud.map(|c| format!(" for {c}")).unwrap_or_default(),
                                valid_node_types(cloud).join(", ")
                            ),
                        )
                    })?;
                Some(t)
            }
        };
        let cloud = cloud.or(builtin.map(|t| t.cloud));
        let node_keys = [
            "node.vcpu",
            "node.memory",
            "node.price",
            "node.max_pods",
            "daemonset.cpu",
            "daemonset.memory",
            "daemonset.pods",
            "price.node_hour",
        ];
        let Some(cloud) = cloud else {
            if node_type == Some("custom") {
                return Err(opt_err(
                    "node_type",
                    "custom",
                    "a custom node needs a cloud (gke, eks or aks) for its reservations",
                ));
            }
            if let Some(k) = node_keys.iter().find(|k| get(k).is_some()) {
                return Err(opt_err(
                    k,
                    get(k).unwrap_or_default(),
                    "choose a cloud (gke, eks or aks) or a node type first",
                ));
            }
            return Ok(Planning {
                node: None,
                prices,
                users,
                qdrant_vectors,
                qdrant_dimensions,
            });
        };
        let custom_shape = get("node.vcpu").is_some() || get("node.memory").is_some();
        let base_type = match builtin {
            Some(t) => Some(t),
            None if node_type == Some("custom") || custom_shape => None,
            None => Some(
                instance_type(cloud.default_node_type())
                    .ok_or_else(|| opt_err("cloud", cloud.as_str(), "no default node type"))?,
            ),
        };
        let mut node = match base_type {
            Some(t) => NodeSpec::of_type(t),
            None => NodeSpec {
                cloud,
                name: "custom".into(),
                custom: true,
                vcpu_millicores: 0,
                memory_bytes: 0,
                max_pods: cloud.default_max_pods(),
                hour_micro_usd: 0,
                daemonset: DEFAULT_DAEMONSET,
                daemonset_pods: DEFAULT_DAEMONSET_PODS,
            },
        };
        if let Some(v) = get("node.vcpu") {
            node.vcpu_millicores = parse_quantity("node.vcpu", v, true)?;
            if node.vcpu_millicores <= 0 || node.vcpu_millicores > 1_000_000 {
                return Err(opt_err(
                    "node.vcpu",
                    v,
                    "expected more than 0 and at most 1000 vCPU",
                ));
            }
            node.custom = true;
        }
        if let Some(v) = get("node.memory") {
            node.memory_bytes = parse_quantity("node.memory", v, false)?;
            if node.memory_bytes <= 0 || node.memory_bytes > 1 << 50 {
                return Err(opt_err(
                    "node.memory",
                    v,
                    "expected more than 0 and at most 1Pi",
                ));
            }
            node.custom = true;
        }
        if node.vcpu_millicores == 0 || node.memory_bytes == 0 {
            let missing = if node.vcpu_millicores == 0 {
                "node.vcpu"
            } else {
                "node.memory"
            };
            return Err(opt_err(
                missing,
                get(missing).unwrap_or_default(),
                "a custom node needs both node.vcpu and node.memory",
            ));
        }
        if let Some(v) = get("node.max_pods") {
            node.max_pods = parse_int("node.max_pods", v, 1, 1000)?;
            node.custom = true;
        }
        if let Some(v) = get("daemonset.cpu") {
            node.daemonset.cpu_millicores = parse_quantity("daemonset.cpu", v, true)?;
        }
        if let Some(v) = get("daemonset.memory") {
            node.daemonset.memory_bytes = parse_quantity("daemonset.memory", v, false)?;
        }
        if let Some(v) = get("daemonset.pods") {
            node.daemonset_pods = parse_int("daemonset.pods", v, 0, 1000)?;
        }
        if base_type.is_none() {
            // A custom node without a price: the per-resource prices (OpenCost's by default).
            let by_resources = i128::from(node.vcpu_millicores) * i128::from(prices.vcpu_hour)
                / 1000
                + i128::from(node.memory_bytes) * i128::from(prices.gib_hour) / i128::from(GIB);
            node.hour_micro_usd = clamp_i64(by_resources);
        }
        if let Some(v) = get("node.price") {
            node.hour_micro_usd = parse_usd("node.price", v)?;
            node.custom = true;
        }
        if let Some(v) = get("price.node_hour") {
            node.hour_micro_usd = parse_usd("price.node_hour", v)?;
        }
        Ok(Planning {
            node: Some(node),
            prices,
            users,
            qdrant_vectors,
            qdrant_dimensions,
        })
    }
}
