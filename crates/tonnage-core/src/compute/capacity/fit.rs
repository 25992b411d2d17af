//! Node fit: every replica of a plan placed by first-fit decreasing on nodes of one shape,
//! respecting the node's pod limit and each component's anti-affinity, for baseline and peak.

use serde::Serialize;

use crate::base::quantity::{human_bytes, human_cpu, Resources};
use crate::compute::plan::Plan;
use crate::model::catalog::{AntiAffinity, Catalog};
use crate::model::cloud::NodeSpec;

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
pub(super) enum Scenario {
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
/// than one replica follow [`crate::model::catalog::Component::anti_affinity`]: `Required` never puts
/// two replicas on one node; `Preferred` first tries the open nodes without a sibling, then
/// any open node, before opening a new one. Then, as the scheduler spreads preferred
/// anti-affinity over the nodes a cluster already has, the pods are placed again with as many
/// nodes open from the start as first fit needed; that placement is kept when it needs no more
/// nodes (so replicas of a spread component sit on different nodes where they can, and the
/// node count stays first fit's). A pod larger than an empty node is reported in `unplaced`
/// with the reason.
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

pub(super) fn place(
    plan: &Plan,
    catalog: &Catalog,
    node: &NodeSpec,
    scenario: Scenario,
) -> Placement {
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

    let (mut nodes, bound) = first_fit(&pods, &min_cpu, &min_mem, alloc, slots, 0);
    // Preferred anti-affinity as the scheduler applies it on a cluster of the size first fit
    // found: the nodes exist before the pods arrive, so a replica goes to a node without a
    // sibling wherever one has room, not only among the nodes opened so far. Placed again with
    // that many nodes open from the start; kept when it needs no more nodes (the count, and
    // whether the pod limit cost a node, are first fit's either way), empty nodes dropped.
    let mut preferred = vec![false; plan.components.len()];
    for p in pods.iter().filter(|p| p.spread && !p.required) {
        if let Some(x) = preferred.get_mut(p.comp) {
            *x = true;
        }
    }
    if nodes.len() > 1 && nodes.iter().any(|n| doubled(n, &preferred)) {
        let (spread, _) = first_fit(&pods, &min_cpu, &min_mem, alloc, slots, nodes.len());
        let used: Vec<NodeState> = spread.into_iter().filter(|n| n.count > 0).collect();
        if used.len() <= nodes.len() {
            nodes = used;
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

/// Whether a node holds two replicas of a component with preferred anti-affinity.
fn doubled(n: &NodeState, preferred: &[bool]) -> bool {
    let mut seen = vec![false; preferred.len()];
    n.pods.iter().any(|&(c, _)| {
        preferred.get(c).copied().unwrap_or(false)
            && seen.get_mut(c).is_some_and(|s| std::mem::replace(s, true))
    })
}

/// First-fit decreasing of the sorted `pods`, starting with `prefill` empty nodes open: the
/// nodes, and whether the pod limit cost a node.
fn first_fit(
    pods: &[Pod],
    min_cpu: &[i64],
    min_mem: &[i64],
    alloc: Resources,
    slots: i64,
    prefill: usize,
) -> (Vec<NodeState>, bool) {
    let mut nodes: Vec<NodeState> = (0..prefill).map(|_| NodeState::default()).collect();
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
    (nodes, bound)
}
