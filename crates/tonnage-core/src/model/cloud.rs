//! Cloud provider data: the managed Kubernetes providers, their general-purpose instance types
//! with list prices and pod limits, and the documented node reservations that give a node's
//! allocatable (`shared/reference/sizing-facts.md`, "Node allocatable"). Integer arithmetic:
//! CPU in millicores, memory in bytes, money in micro-USD.

use std::fmt;

use serde::Serialize;

use crate::base::quantity::{human_bytes, human_cpu, Resources};

const MIB: i64 = 1 << 20;
const GIB: i64 = 1 << 30;

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

// ---------------------------------------------------------------------------------------------
// Clouds and instance types

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

pub(crate) fn ceil_div(n: i128, d: i128) -> i128 {
    if d <= 0 {
        return n;
    }
    if n >= 0 {
        (n + d - 1) / d
    } else {
        n / d
    }
}

pub(crate) fn clamp_i64(n: i128) -> i64 {
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
