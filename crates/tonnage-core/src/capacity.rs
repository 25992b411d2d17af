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

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::catalog::{AntiAffinity, Catalog, Chart};
use crate::config::{ConfigError, Configuration};
use crate::plan::{Plan, Resources};
use crate::quantity::{human_bytes, human_cpu, Quantity};

const MIB: i64 = 1 << 20;
const GIB: i64 = 1 << 30;
const MICRO: i64 = 1_000_000;

/// Hours in a month for monthly prices: OpenCost's 730 (`configs/default.json`, sizing-facts).
pub const HOURS_PER_MONTH: i64 = 730;

/// Memory every provider keeps free for the kubelet's eviction threshold
/// (`memory.available < 100Mi` on GKE, EKS and AKS >= 1.29; sizing-facts "Node allocatable").
pub const EVICTION_MEMORY_BYTES: i64 = 100 * MIB;

/// Default per-node overhead of the operating system, DaemonSets and agents, subtracted from the
/// kubelet's allocatable before any pod of the plan is placed (editable: `daemonset.cpu`,
/// `daemonset.memory`, `daemonset.pods`). Learnk8s' instance calculator subtracts the OS
/// (100m, 100 MiB) and the DaemonSets every node runs (sizing-facts); on top of the OS we count
/// 100m and 200 MiB for a typical set of node agents (kube-proxy's usual 100m CPU request, the
/// CNI agent, a CSI node driver and a log agent; k8scalc.com puts system pods at "~200-500 MB
/// RAM, ~0.1-0.3 vCPU per node"). Those agents take 4 pod slots.
pub const DEFAULT_DAEMONSET: Resources = Resources {
    cpu_millicores: 200,
    memory_bytes: 300 * MIB,
};

/// Pods per node taken by DaemonSets by default (kube-proxy, CNI agent, CSI node driver, log
/// agent); see [`DEFAULT_DAEMONSET`].
pub const DEFAULT_DAEMONSET_PODS: i64 = 4;

/// OpenCost `configs/default.json` ("based on GCP us-central1"), sizing-facts "Prices".
pub const OPENCOST_VCPU_HOUR_MICRO_USD: i64 = 31_611;
/// OpenCost: 0.004237 USD per GiB of RAM per hour.
pub const OPENCOST_GIB_HOUR_MICRO_USD: i64 = 4_237;
/// OpenCost: 0.00005479452 USD per GB-hour = 0.04 USD per GB-month at 730 hours.
pub const OPENCOST_STORAGE_GB_MONTH_MICRO_USD: i64 = 40_000;

// ---------------------------------------------------------------------------------------------
// Clouds and instance types
// ---------------------------------------------------------------------------------------------

/// A managed Kubernetes provider: decides the allocatable formulas and the instance list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    Gke,
    Eks,
    Aks,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [Cloud::Gke, Cloud::Eks, Cloud::Aks];

    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Gke => "gke",
            Cloud::Eks => "eks",
            Cloud::Aks => "aks",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Cloud::Gke => "Google Kubernetes Engine",
            Cloud::Eks => "Amazon EKS",
            Cloud::Aks => "Azure Kubernetes Service",
        }
    }

    pub fn parse(s: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The node type used when only the cloud is chosen: a 4 vCPU / 16 GiB general-purpose
    /// type on each cloud, so the three compare like for like.
    pub fn default_node_type(self) -> &'static str {
        match self {
            Cloud::Gke => "e2-standard-4",
            Cloud::Eks => "m5.xlarge",
            Cloud::Aks => "Standard_D4s_v5",
        }
    }

    /// Max pods per node of a custom node when `node.max_pods` is not given. GKE: 110. EKS: 110
    /// "where unknown" (the ENI formula needs the instance type). AKS: 30, the Azure CNI default
    /// (kubenet allows 110, CNI overlay 250: set `node.max_pods`). All from sizing-facts.
    pub fn default_max_pods(self) -> i64 {
        match self {
            Cloud::Gke | Cloud::Eks => 110,
            Cloud::Aks => 30,
        }
    }

    /// The built-in instance types of this cloud, in list order.
    pub fn instance_types(self) -> impl Iterator<Item = &'static InstanceType> {
        INSTANCE_TYPES.iter().filter(move |t| t.cloud == self)
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A built-in node type: shape, on-demand list price and pods per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InstanceType {
    pub cloud: Cloud,
    pub name: &'static str,
    pub vcpu: i64,
    pub memory_gib: i64,
    /// On-demand Linux list price, micro-USD per hour.
    pub hour_micro_usd: i64,
    pub max_pods: i64,
}

const fn it(
    cloud: Cloud,
    name: &'static str,
    vcpu: i64,
    memory_gib: i64,
    hour_micro_usd: i64,
    max_pods: i64,
) -> InstanceType {
    InstanceType {
        cloud,
        name,
        vcpu,
        memory_gib,
        hour_micro_usd,
        max_pods,
    }
}

/// General-purpose node types per cloud.
///
/// PRICES ARE LIST PRICES TO VERIFY: on-demand Linux prices per hour as published by each
/// provider (GKE: us-central1; EKS: EC2 us-east-1; AKS: East US pay-as-you-go), as known when
/// this list was written. They change and differ per region and discount: override them with
/// `price.node_hour` (or `node.price`). Node prices only: control plane fees, load balancers
/// and egress are not included.
///
/// Max pods: GKE 110 (sizing-facts). EKS: ENIs x (IPv4 per ENI - 1) + 2 from
/// amazon-eks-ami's eni-max-pods (t3.medium 3 x 6 -> 17, t3.large 3 x 12 -> 35, m5.large
/// 3 x 10 -> 29, m5.xlarge and m5.2xlarge 4 x 15 -> 58, m5.4xlarge 8 x 30 -> 234). AKS: 30, the
/// Azure CNI default (kubenet 110, CNI overlay 250: override with `node.max_pods`).
pub const INSTANCE_TYPES: &[InstanceType] = &[
    // GKE, us-central1: e2 = 0.021811 USD/vCPU-h + 0.002923 USD/GiB-h,
    // n2 = 0.031611 + 0.004237 (the same rates OpenCost's default.json uses).
    it(Cloud::Gke, "e2-standard-2", 2, 8, 67_006, 110),
    it(Cloud::Gke, "e2-standard-4", 4, 16, 134_012, 110),
    it(Cloud::Gke, "e2-standard-8", 8, 32, 268_024, 110),
    it(Cloud::Gke, "e2-standard-16", 16, 64, 536_048, 110),
    it(Cloud::Gke, "n2-standard-4", 4, 16, 194_236, 110),
    it(Cloud::Gke, "n2-standard-8", 8, 32, 388_472, 110),
    // EKS, EC2 us-east-1.
    it(Cloud::Eks, "t3.medium", 2, 4, 41_600, 17),
    it(Cloud::Eks, "t3.large", 2, 8, 83_200, 35),
    it(Cloud::Eks, "m5.large", 2, 8, 96_000, 29),
    it(Cloud::Eks, "m5.xlarge", 4, 16, 192_000, 58),
    it(Cloud::Eks, "m5.2xlarge", 8, 32, 384_000, 58),
    it(Cloud::Eks, "m5.4xlarge", 16, 64, 768_000, 234),
    // AKS, East US.
    it(Cloud::Aks, "Standard_B2s", 2, 4, 41_600, 30),
    it(Cloud::Aks, "Standard_D2s_v5", 2, 8, 96_000, 30),
    it(Cloud::Aks, "Standard_D4s_v5", 4, 16, 192_000, 30),
    it(Cloud::Aks, "Standard_D8s_v5", 8, 32, 384_000, 30),
    it(Cloud::Aks, "Standard_D16s_v5", 16, 64, 768_000, 30),
    it(Cloud::Aks, "Standard_E4s_v5", 4, 32, 252_000, 30),
];

/// The built-in type with this exact name, on any cloud.
pub fn instance_type(name: &str) -> Option<&'static InstanceType> {
    INSTANCE_TYPES.iter().find(|t| t.name == name)
}

// ---------------------------------------------------------------------------------------------
// Allocatable
// ---------------------------------------------------------------------------------------------

fn ceil_div(n: i128, d: i128) -> i128 {
    if d <= 0 {
        return n;
    }
    if n >= 0 {
        (n + d - 1) / d
    } else {
        n / d
    }
}

fn clamp_i64(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

/// The part of `x` between `lo` and `hi`.
fn band(x: i128, lo: i128, hi: i128) -> i128 {
    (x.min(hi) - lo).max(0)
}

/// GKE's CPU reservation (also EKS's, "CPU tiers as GKE"): 6% of the first core, 1% of the
/// second, 0.5% of cores 3-4, 0.25% of each core above 4 (sizing-facts). Millicores, rounded up.
pub fn tiered_cpu_reserved(vcpu_millicores: i64) -> i64 {
    let m = i128::from(vcpu_millicores.max(0));
    // In 1/400 millicore: 6% = 24/400, 1% = 4/400, 0.5% = 2/400, 0.25% = 1/400.
    let x400 = 24 * band(m, 0, 1000)
        + 4 * band(m, 1000, 2000)
        + 2 * band(m, 2000, 4000)
        + band(m, 4000, i128::MAX);
    clamp_i64(ceil_div(x400, 400))
}

/// GKE's memory reservation (without eviction): 255 MiB below 1 GiB; else 25% of the first
/// 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above 128 GiB
/// (sizing-facts). Bytes, rounded up.
pub fn gke_memory_reserved(memory_bytes: i64) -> i64 {
    if memory_bytes < GIB {
        return 255 * MIB;
    }
    let b = i128::from(memory_bytes);
    let g = i128::from(GIB);
    let x100 = 25 * band(b, 0, 4 * g)
        + 20 * band(b, 4 * g, 8 * g)
        + 10 * band(b, 8 * g, 16 * g)
        + 6 * band(b, 16 * g, 128 * g)
        + 2 * band(b, 128 * g, i128::MAX);
    clamp_i64(ceil_div(x100, 100))
}

/// EKS's memory kube-reserved: 11 MiB x maxPods + 255 MiB (amazon-eks-ami
/// `nodeadm/internal/kubelet/config.go`, sizing-facts).
pub fn eks_memory_reserved(max_pods: i64) -> i64 {
    max_pods
        .max(0)
        .saturating_mul(11)
        .saturating_add(255)
        .saturating_mul(MIB)
}

/// AKS's CPU kube-reserved by cores: 1/2/4/8/16/32/64 cores = 60/100/140/180/260/420/740 m
/// (learn.microsoft.com/azure/aks/node-resource-reservations, sizing-facts). A core count
/// between two rows takes the lower row (the table lists the sizes VMs come in); under one
/// core, 60m; above 64 cores, 740m.
pub fn aks_cpu_reserved(vcpu_millicores: i64) -> i64 {
    const TABLE: [(i64, i64); 7] = [
        (1, 60),
        (2, 100),
        (4, 140),
        (8, 180),
        (16, 260),
        (32, 420),
        (64, 740),
    ];
    TABLE
        .iter()
        .rev()
        .find(|(cores, _)| vcpu_millicores >= cores * 1000)
        .map_or(60, |(_, m)| *m)
}

/// AKS's memory kube-reserved (AKS >= 1.29): min(20 MB x maxPods + 50 MB, 25% of RAM). The
/// page writes MB and uses MB and Mi interchangeably in its own example (8 GB - 0.65 GB -
/// 0.1 GB for the 100Mi eviction); we read MB as MiB, the unit of the kubelet flag, which
/// reserves slightly more. Bytes, rounded up.
pub fn aks_memory_reserved(memory_bytes: i64, max_pods: i64) -> i64 {
    let per_pods = max_pods
        .max(0)
        .saturating_mul(20)
        .saturating_add(50)
        .saturating_mul(MIB);
    let quarter = clamp_i64(ceil_div(i128::from(memory_bytes.max(0)), 4));
    per_pods.min(quarter)
}

/// What the provider reserves on a node: kube-reserved CPU, and kube-reserved memory plus the
/// 100Mi eviction threshold.
pub fn reserved(cloud: Cloud, vcpu_millicores: i64, memory_bytes: i64, max_pods: i64) -> Resources {
    let (cpu, mem) = match cloud {
        Cloud::Gke => (
            tiered_cpu_reserved(vcpu_millicores),
            gke_memory_reserved(memory_bytes),
        ),
        Cloud::Eks => (
            tiered_cpu_reserved(vcpu_millicores),
            eks_memory_reserved(max_pods),
        ),
        Cloud::Aks => (
            aks_cpu_reserved(vcpu_millicores),
            aks_memory_reserved(memory_bytes, max_pods),
        ),
    };
    Resources {
        cpu_millicores: cpu,
        memory_bytes: mem.saturating_add(EVICTION_MEMORY_BYTES),
    }
}

/// The node's allocatable as the kubelet reports it: capacity minus [`reserved`], never below 0.
pub fn kubelet_allocatable(
    cloud: Cloud,
    vcpu_millicores: i64,
    memory_bytes: i64,
    max_pods: i64,
) -> Resources {
    let r = reserved(cloud, vcpu_millicores, memory_bytes, max_pods);
    Resources {
        cpu_millicores: vcpu_millicores.saturating_sub(r.cpu_millicores).max(0),
        memory_bytes: memory_bytes.saturating_sub(r.memory_bytes).max(0),
    }
}

/// A node as planned: a built-in type or a custom shape, with the editable overheads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeSpec {
    pub cloud: Cloud,
    /// The type's name, or `custom`.
    pub name: String,
    /// Whether any figure differs from the built-in type (or there is no built-in type).
    pub custom: bool,
    pub vcpu_millicores: i64,
    pub memory_bytes: i64,
    pub max_pods: i64,
    /// Price per node-hour, micro-USD.
    pub hour_micro_usd: i64,
    /// Per-node OS, DaemonSet and agent overhead (see [`DEFAULT_DAEMONSET`]).
    pub daemonset: Resources,
    /// Pods per node taken by DaemonSets.
    pub daemonset_pods: i64,
}

impl NodeSpec {
    /// A built-in type with the default overheads.
    pub fn of_type(t: &InstanceType) -> NodeSpec {
        NodeSpec {
            cloud: t.cloud,
            name: t.name.to_string(),
            custom: false,
            vcpu_millicores: t.vcpu.saturating_mul(1000),
            memory_bytes: t.memory_gib.saturating_mul(GIB),
            max_pods: t.max_pods,
            hour_micro_usd: t.hour_micro_usd,
            daemonset: DEFAULT_DAEMONSET,
            daemonset_pods: DEFAULT_DAEMONSET_PODS,
        }
    }

    /// What the kubelet reports as allocatable.
    pub fn kubelet_allocatable(&self) -> Resources {
        kubelet_allocatable(
            self.cloud,
            self.vcpu_millicores,
            self.memory_bytes,
            self.max_pods,
        )
    }

    /// What the plan's pods can request on one node: the kubelet's allocatable minus the
    /// DaemonSet overhead, never below 0.
    pub fn allocatable(&self) -> Resources {
        let k = self.kubelet_allocatable();
        Resources {
            cpu_millicores: k
                .cpu_millicores
                .saturating_sub(self.daemonset.cpu_millicores)
                .max(0),
            memory_bytes: k
                .memory_bytes
                .saturating_sub(self.daemonset.memory_bytes)
                .max(0),
        }
    }

    /// Pods of the plan one node can take: max pods minus the DaemonSet pods.
    pub fn pod_slots(&self) -> i64 {
        self.max_pods.saturating_sub(self.daemonset_pods).max(0)
    }

    /// `e2-standard-4 (gke): 4 vCPU, 16 GiB, max 110 pods`.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}{}): {} vCPU, {}, max {} pods",
            self.name,
            self.cloud,
            if self.custom && self.name != "custom" {
                ", customised"
            } else {
                ""
            },
            trim_cores(self.vcpu_millicores),
            human_bytes(self.memory_bytes),
            self.max_pods
        )
    }
}

fn trim_cores(m: i64) -> String {
    let s = human_cpu(m);
    s.trim_end_matches(" cores")
        .trim_end_matches(" core")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Node fit
// ---------------------------------------------------------------------------------------------

/// One replica of a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodRef {
    pub stack: String,
    pub component: String,
    /// 0-based replica index.
    pub replica: i64,
}

/// One node of a placement: what the plan's pods request on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeLoad {
    pub requests: Resources,
    pub pods: Vec<PodRef>,
}

/// Replicas of a component that fit on no node of the type, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unplaced {
    pub stack: String,
    pub component: String,
    pub replicas: i64,
    /// Per replica.
    pub requests: Resources,
    pub reason: String,
}

/// The pods of one scenario (baseline or peak) placed on nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// One entry per node needed, in the order they were opened.
    pub nodes: Vec<NodeLoad>,
    pub unplaced: Vec<Unplaced>,
    /// Whether the pod limit cost a node: some pod opened a new node although an open node had
    /// room for its CPU and memory but no pod slot left.
    pub max_pods_bound: bool,
}

impl Placement {
    pub fn node_count(&self) -> i64 {
        i64::try_from(self.nodes.len()).unwrap_or(i64::MAX)
    }
}

/// A plan fitted on one node type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fit {
    pub node: NodeSpec,
    /// What the kubelet reports as allocatable.
    pub kubelet_allocatable: Resources,
    /// What the plan's pods can request per node (after the DaemonSet overhead).
    pub allocatable: Resources,
    /// Pods of the plan per node (max pods minus DaemonSet pods).
    pub pod_slots: i64,
    pub baseline: Placement,
    pub peak: Placement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Baseline,
    Peak,
}

struct Pod {
    comp: usize,
    replica: i64,
    cpu: i64,
    mem: i64,
    /// More than one replica: anti-affinity applies.
    spread: bool,
    required: bool,
}

#[derive(Default)]
struct NodeState {
    cpu: i64,
    mem: i64,
    count: i64,
    /// Component indices on the node, sorted.
    comps: Vec<usize>,
    pods: Vec<(usize, i64)>,
}

impl NodeState {
    fn has(&self, comp: usize) -> bool {
        self.comps.binary_search(&comp).is_ok()
    }
}

/// Place every pod of the plan on nodes of `node`'s type, for baseline and peak.
///
/// First-fit decreasing: pods sorted by CPU request, then memory request (largest first), ties
/// broken by plan order (stack, component) and replica index; each goes on the first open node
/// with room for its requests and a free pod slot, else on a new node. Components with more
/// than one replica follow [`crate::catalog::Component::anti_affinity`]: `Required` never puts
/// two replicas on one node; `Preferred` first tries the open nodes without a sibling, then
/// any open node, before opening a new one. A pod larger than an empty node is reported in
/// `unplaced` with the reason.
pub fn fit(plan: &Plan, catalog: &Catalog, node: &NodeSpec) -> Fit {
    Fit {
        node: node.clone(),
        kubelet_allocatable: node.kubelet_allocatable(),
        allocatable: node.allocatable(),
        pod_slots: node.pod_slots(),
        baseline: place(plan, catalog, node, Scenario::Baseline),
        peak: place(plan, catalog, node, Scenario::Peak),
    }
}

/// Why a pod with these requests fits on no empty node, if it does not.
pub fn no_fit_reason(node: &NodeSpec, requests: Resources) -> Option<String> {
    let alloc = node.allocatable();
    if node.pod_slots() <= 0 {
        return Some(format!(
            "a {} node has no pod slot left: max {} pods, {} taken by DaemonSets",
            node.name, node.max_pods, node.daemonset_pods
        ));
    }
    if requests.cpu_millicores > alloc.cpu_millicores {
        return Some(format!(
            "requests {} CPU, a {} node offers {} to pods",
            human_cpu(requests.cpu_millicores),
            node.name,
            human_cpu(alloc.cpu_millicores)
        ));
    }
    if requests.memory_bytes > alloc.memory_bytes {
        return Some(format!(
            "requests {} memory, a {} node offers {} to pods",
            human_bytes(requests.memory_bytes),
            node.name,
            human_bytes(alloc.memory_bytes)
        ));
    }
    None
}

fn place(plan: &Plan, catalog: &Catalog, node: &NodeSpec, scenario: Scenario) -> Placement {
    let alloc = node.allocatable();
    let slots = node.pod_slots();
    let mut unplaced = Vec::new();
    let mut pods = Vec::new();
    for (i, c) in plan.components.iter().enumerate() {
        let n = match scenario {
            Scenario::Baseline => c.replicas.baseline,
            Scenario::Peak => c.replicas.peak,
        };
        if n <= 0 {
            continue;
        }
        if let Some(reason) = no_fit_reason(node, c.requests) {
            unplaced.push(Unplaced {
                stack: c.stack.clone(),
                component: c.id.clone(),
                replicas: n,
                requests: c.requests,
                reason,
            });
            continue;
        }
        let required = catalog
            .chart(&c.stack)
            .and_then(|ch| ch.component(&c.id))
            .is_some_and(|k| k.anti_affinity() == AntiAffinity::Required);
        for r in 0..n {
            pods.push(Pod {
                comp: i,
                replica: r,
                cpu: c.requests.cpu_millicores.max(0),
                mem: c.requests.memory_bytes.max(0),
                spread: n > 1,
                required: required && n > 1,
            });
        }
    }
    pods.sort_by(|a, b| {
        b.cpu
            .cmp(&a.cpu)
            .then(b.mem.cmp(&a.mem))
            .then(a.comp.cmp(&b.comp))
            .then(a.replica.cmp(&b.replica))
    });
    // Suffix minima: a node with less room than every remaining pod needs is closed for good.
    let mut min_cpu = vec![i64::MAX; pods.len() + 1];
    let mut min_mem = vec![i64::MAX; pods.len() + 1];
    for i in (0..pods.len()).rev() {
        min_cpu[i] = min_cpu[i + 1].min(pods[i].cpu);
        min_mem[i] = min_mem[i + 1].min(pods[i].mem);
    }

    let mut nodes: Vec<NodeState> = Vec::new();
    let mut first_open = 0;
    let mut bound = false;
    // Nodes whose pod slots are all taken, for the max-pods-bound check.
    let mut full: Vec<usize> = Vec::new();
    // The replicas of a component are consecutive and alike in the sorted order, and nodes
    // only fill up: a node a replica passed over (or took) stays unusable for the next replica
    // in pass 1 (no room or already a sibling), and one without room stays so in pass 2. The
    // cursors skip them, so a component's run costs O(nodes + replicas), not their product.
    let mut run: Option<usize> = None;
    let (mut cur1, mut cur2) = (0, 0);
    for (i, p) in pods.iter().enumerate() {
        while first_open < nodes.len() {
            let n = &nodes[first_open];
            let closed = n.count >= slots
                || alloc.cpu_millicores - n.cpu < min_cpu[i]
                || alloc.memory_bytes - n.mem < min_mem[i];
            if !closed {
                break;
            }
            first_open += 1;
        }
        if run != Some(p.comp) {
            run = Some(p.comp);
            (cur1, cur2) = (first_open, first_open);
        }
        cur1 = cur1.max(first_open);
        cur2 = cur2.max(first_open);
        let room = |n: &NodeState| {
            n.cpu + p.cpu <= alloc.cpu_millicores && n.mem + p.mem <= alloc.memory_bytes
        };
        let sibling = |n: &NodeState| p.spread && n.has(p.comp);
        // Pass 1: an open node with room and no sibling (first fit).
        let mut target = nodes
            .get(cur1..)
            .unwrap_or_default()
            .iter()
            .position(|n| room(n) && n.count < slots && !sibling(n))
            .map(|t| cur1 + t);
        cur1 = target.map_or(nodes.len(), |t| t + 1);
        // Pass 2 (preferred anti-affinity only): any open node with room.
        if target.is_none() && p.spread && !p.required {
            target = nodes
                .get(cur2..)
                .unwrap_or_default()
                .iter()
                .position(|n| room(n) && n.count < slots)
                .map(|t| cur2 + t);
            cur2 = target.unwrap_or(nodes.len());
        }
        let j = match target {
            Some(t) => t,
            None => {
                if !bound {
                    bound = full
                        .iter()
                        .filter_map(|&k| nodes.get(k))
                        .any(|n| room(n) && !(p.required && sibling(n)));
                }
                nodes.push(NodeState::default());
                nodes.len() - 1
            }
        };
        if let Some(n) = nodes.get_mut(j) {
            n.cpu += p.cpu;
            n.mem += p.mem;
            n.count += 1;
            if let Err(at) = n.comps.binary_search(&p.comp) {
                n.comps.insert(at, p.comp);
            }
            n.pods.push((p.comp, p.replica));
            if n.count == slots {
                full.push(j);
            }
        }
    }
    let nodes = nodes
        .into_iter()
        .map(|n| NodeLoad {
            requests: Resources {
                cpu_millicores: n.cpu,
                memory_bytes: n.mem,
            },
            pods: n
                .pods
                .into_iter()
                .filter_map(|(c, r)| {
                    plan.components.get(c).map(|c| PodRef {
                        stack: c.stack.clone(),
                        component: c.id.clone(),
                        replica: r,
                    })
                })
                .collect(),
        })
        .collect();
    Placement {
        nodes,
        unplaced,
        max_pods_bound: bound,
    }
}

// ---------------------------------------------------------------------------------------------
// Cost
// ---------------------------------------------------------------------------------------------

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

/// Monthly cost of the fitted plan: nodes at the node's hourly price for 730 hours plus
/// storage, and OpenCost's per-resource method on requests for comparison.
pub fn cost(plan: &Plan, fit: &Fit, prices: &Prices) -> Cost {
    let storage = plan.totals.baseline.storage_bytes;
    let line = |placement: &Placement, total: &crate::plan::Total| {
        let nodes = placement.node_count();
        let nodes_micro = clamp_i64(
            i128::from(nodes) * i128::from(fit.node.hour_micro_usd) * i128::from(HOURS_PER_MONTH),
        );
        let storage_micro = storage_cost(total.storage_bytes, prices.storage_gb_month);
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
        CostLine {
            nodes,
            nodes_micro_usd: nodes_micro,
            storage_micro_usd: storage_micro,
            total_micro_usd: nodes_micro.saturating_add(storage_micro),
            opencost: OpenCostLine {
                cpu_micro_usd: cpu,
                memory_micro_usd: mem,
                storage_micro_usd: storage_micro,
                total_micro_usd: cpu.saturating_add(mem).saturating_add(storage_micro),
            },
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
    let whole = (c / 100).to_string();
    // The first group takes 1 to 3 digits, the others 3 (ASCII digits: byte slicing is safe).
    let head = match whole.len() % 3 {
        0 => 3,
        r => r,
    }
    .min(whole.len());
    let mut grouped = whole[..head].to_string();
    for chunk in whole.as_bytes()[head..].chunks(3) {
        grouped.push(',');
        grouped.push_str(&String::from_utf8_lossy(chunk));
    }
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
fn rate_json(micro: i64) -> serde_json::Value {
    let m = micro.max(0);
    format!("{}.{:06}", m / MICRO, m % MICRO)
        .parse::<serde_json::Number>()
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Sizing by expected users
// ---------------------------------------------------------------------------------------------

/// A range of users as a guide writes it: `1-2`, `5-10`, `50+` or `7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsersRange {
    pub min: i64,
    /// `None` for an open range (`50+`).
    pub max: Option<i64>,
}

impl UsersRange {
    pub fn parse(s: &str) -> Result<UsersRange, String> {
        let t = s.trim();
        let num = |x: &str| {
            x.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("users {s:?}: expected N, N-M or N+ with N >= 1"))
        };
        if let Some(open) = t.strip_suffix('+') {
            return Ok(UsersRange {
                min: num(open)?,
                max: None,
            });
        }
        if let Some((a, b)) = t.split_once('-') {
            let (min, max) = (num(a)?, num(b)?);
            if max < min {
                return Err(format!("users {s:?}: the range ends before it starts"));
            }
            return Ok(UsersRange {
                min,
                max: Some(max),
            });
        }
        let n = num(t)?;
        Ok(UsersRange {
            min: n,
            max: Some(n),
        })
    }
}

impl fmt::Display for UsersRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            None => write!(f, "{}+", self.min),
            Some(m) if m == self.min => write!(f, "{m}"),
            Some(m) => write!(f, "{}-{m}", self.min),
        }
    }
}

/// One row of a guide's users table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersTier {
    pub users: UsersRange,
    /// The row's name in the guide (`Staging`).
    pub name: String,
    /// Replicas for each of [`UsersSizing::paths`], in order.
    pub replicas: Vec<i64>,
}

/// A chart's sizing by expected users (catalog field `users_sizing`, see SCHEMA.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawUsersSizing", into = "RawUsersSizing")]
pub struct UsersSizing {
    /// Where the table comes from.
    pub source: String,
    /// The replica paths the table sets.
    pub paths: Vec<String>,
    /// Rows, in increasing users.
    pub tiers: Vec<UsersTier>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsersTier {
    users: String,
    #[serde(default)]
    name: String,
    replicas: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsersSizing {
    #[serde(default)]
    source: String,
    paths: Vec<String>,
    tiers: Vec<RawUsersTier>,
}

impl TryFrom<RawUsersSizing> for UsersSizing {
    type Error = String;
    fn try_from(raw: RawUsersSizing) -> Result<Self, String> {
        if raw.paths.is_empty() {
            return Err("users_sizing.paths: at least one replica path is needed".into());
        }
        for (i, p) in raw.paths.iter().enumerate() {
            crate::values::parse_path(p).map_err(|e| format!("users_sizing.paths[{i}]: {e}"))?;
            if raw.paths[..i].contains(p) {
                return Err(format!("users_sizing.paths[{i}]: {p:?} is listed twice"));
            }
        }
        if raw.tiers.is_empty() {
            return Err("users_sizing.tiers: at least one tier is needed".into());
        }
        let mut tiers: Vec<UsersTier> = Vec::with_capacity(raw.tiers.len());
        for (i, t) in raw.tiers.into_iter().enumerate() {
            let users =
                UsersRange::parse(&t.users).map_err(|e| format!("users_sizing.tiers[{i}]: {e}"))?;
            if t.replicas.len() != raw.paths.len() {
                return Err(format!(
                    "users_sizing.tiers[{i}].replicas: {} numbers for {} paths",
                    t.replicas.len(),
                    raw.paths.len()
                ));
            }
            if t.replicas.iter().any(|r| !(0..=10_000).contains(r)) {
                return Err(format!(
                    "users_sizing.tiers[{i}].replicas: replicas must be from 0 to 10000"
                ));
            }
            if let Some(prev) = tiers.last() {
                let prev_end = prev.users.max.unwrap_or(prev.users.min);
                if users.min <= prev_end {
                    return Err(format!(
                        "users_sizing.tiers[{i}]: users {} must start above the previous tier ({})",
                        t.users, prev.users
                    ));
                }
            }
            tiers.push(UsersTier {
                users,
                name: t.name,
                replicas: t.replicas,
            });
        }
        Ok(UsersSizing {
            source: raw.source,
            paths: raw.paths,
            tiers,
        })
    }
}

impl From<UsersSizing> for RawUsersSizing {
    fn from(s: UsersSizing) -> Self {
        RawUsersSizing {
            source: s.source,
            paths: s.paths,
            tiers: s
                .tiers
                .into_iter()
                .map(|t| RawUsersTier {
                    users: t.users.to_string(),
                    name: t.name,
                    replicas: t.replicas,
                })
                .collect(),
        }
    }
}

/// Replica overrides for an expected number of users, and how they were found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsersReplicas {
    /// (values path, replicas), in the order of the chart's `users_sizing.paths`.
    pub sets: Vec<(String, i64)>,
    pub explanation: String,
}

/// The replicas a chart's guide recommends for `users` expected users.
///
/// The tier whose range holds `users` applies. A count between two tiers (3 users when the
/// guide lists 1-2 and 5-10) takes the larger tier: sizing errs on the side of capacity. An
/// open tier (`50+`) runs up to the next tier's start. Beyond the last tier, replicas grow
/// linearly per user along the last two tiers (from their first user counts), rounded up:
/// `last + ceil((users - last_min) x (last - previous) / (last_min - previous_min))`, at most
/// 10000. A chart without `users_sizing` gets no overrides.
pub fn replicas_for_users(chart: &Chart, users: i64) -> UsersReplicas {
    let Some(s) = &chart.users_sizing else {
        return UsersReplicas {
            sets: Vec::new(),
            explanation: format!(
                "{}'s guide gives no sizing by expected users; replicas stay as configured.",
                chart.name
            ),
        };
    };
    let zip = |counts: &[i64]| -> Vec<(String, i64)> {
        s.paths
            .iter()
            .cloned()
            .zip(counts.iter().copied())
            .collect()
    };
    let list = |sets: &[(String, i64)]| {
        sets.iter()
            .map(|(p, n)| format!("{p}={n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tier_name = |t: &UsersTier| {
        if t.name.is_empty() {
            format!("the {} users tier", t.users)
        } else {
            format!("the {} tier ({} users)", t.name, t.users)
        }
    };
    let users = users.max(1);
    for (i, t) in s.tiers.iter().enumerate() {
        let end = t
            .users
            .max
            .or_else(|| s.tiers.get(i + 1).map(|n| n.users.min - 1));
        let within = match end {
            Some(e) => users <= e,
            None => users <= t.users.min,
        };
        if within {
            let sets = zip(&t.replicas);
            let how = if users < t.users.min && i > 0 {
                format!(
                    "{users} users falls between the guide's tiers; the larger one applies: {}",
                    tier_name(t)
                )
            } else {
                format!("{users} users: {}", tier_name(t))
            };
            return UsersReplicas {
                explanation: format!("{how} of {}: {}.", s.source, list(&sets)),
                sets,
            };
        }
    }
    // Beyond the last tier.
    let Some(last) = s.tiers.last() else {
        return UsersReplicas {
            sets: Vec::new(),
            explanation: "the users sizing has no tiers".into(),
        };
    };
    let prev = s.tiers.len().checked_sub(2).and_then(|i| s.tiers.get(i));
    let Some(prev) = prev else {
        let sets = zip(&last.replicas);
        return UsersReplicas {
            explanation: format!(
                "{users} users: beyond the guide's only tier; {} of {} applies: {}.",
                tier_name(last),
                s.source,
                list(&sets)
            ),
            sets,
        };
    };
    let span = i128::from(last.users.min - prev.users.min).max(1);
    let extra = i128::from(users - last.users.min);
    let mut capped = false;
    let counts: Vec<i64> = last
        .replicas
        .iter()
        .zip(&prev.replicas)
        .map(|(&l, &p)| {
            let delta = i128::from(l - p);
            let n = if delta > 0 {
                i128::from(l) + ceil_div(extra * delta, span)
            } else {
                i128::from(l)
            };
            if n > 10_000 {
                capped = true;
            }
            clamp_i64(n.min(10_000))
        })
        .collect();
    let sets = zip(&counts);
    UsersReplicas {
        explanation: format!(
            "{users} users: beyond the guide's largest tier ({} users, {}); extrapolated linearly \
             per user from the {} and {} users tiers, rounded up: {}{}.",
            last.users,
            s.source,
            prev.users,
            last.users,
            list(&sets),
            if capped {
                " (capped at 10000 replicas)"
            } else {
                ""
            }
        ),
        sets,
    }
}

/// Apply the `users` option of the configuration: every chart of it with a users sizing gets
/// its replicas as user overrides, except paths the user already overrides (an explicit
/// `--set` wins). Returns one explanation per chart (charts without a sizing say so).
pub fn apply_users(
    catalog: &Catalog,
    config: &mut Configuration,
    users: i64,
) -> Result<Vec<String>, ConfigError> {
    let mut notes = Vec::new();
    for stack in config.stacks.clone() {
        let Some(chart) = catalog.chart(&stack) else {
            continue;
        };
        let r = replicas_for_users(chart, users);
        for (path, n) in &r.sets {
            let taken = config
                .overrides
                .get(&stack)
                .is_some_and(|m| m.contains_key(path));
            if !taken {
                config.set(catalog, &stack, path, Value::from(*n))?;
            }
        }
        notes.push(format!("{stack}: {}", r.explanation));
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;

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
    /// backend-0 opens n1; backend-1 and -2 find no open node without a sibling, so Preferred
    /// falls back to n1 (3000m); postgresql-0 opens n2 (n1 would be 4000m). frontend-0: n1 has
    /// no frontend -> n1 (3500m); frontend-1 avoids n1 -> n2 (1500m); worker-0..3 -> n2 (3500m);
    /// worker-4 fits neither -> n3; redis-0 -> n3 (1000m). 3 nodes, 8000m in all.
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
            ["backend-0", "backend-1", "backend-2", "frontend-0"]
        );
        assert_eq!(
            names(1),
            [
                "postgresql-0",
                "frontend-1",
                "worker-0",
                "worker-1",
                "worker-2",
                "worker-3"
            ]
        );
        assert_eq!(names(2), ["worker-4", "redis-0"]);
        let cpu: Vec<i64> = f
            .baseline
            .nodes
            .iter()
            .map(|n| n.requests.cpu_millicores)
            .collect();
        assert_eq!(cpu, [3500, 3500, 1000]);
        let mem: Vec<i64> = f
            .baseline
            .nodes
            .iter()
            .map(|n| n.requests.memory_bytes)
            .collect();
        assert_eq!(mem, [7 * GIB, 7 * GIB, 2 * GIB]);
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
        let mut nodes: Vec<Node> = Vec::new();
        for (comp, r, cpu, mem, spread, required) in pods {
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
        nodes.into_iter().map(|n| n.2).collect()
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
        let text = crate::catalog::FILES[2].1;
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
