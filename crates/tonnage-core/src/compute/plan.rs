//! The resource plan: per component and in total, for baseline (replicas, or the HPA minimum)
//! and peak (the HPA maximum). All arithmetic is in i64 millicores and bytes, never floats.

use std::borrow::Cow;

use serde::Serialize;
use serde_yaml::Value;

use crate::base::quantity::Quantity;
use crate::base::values::{count_of, quantity_of};
use crate::configuration::config::{Configuration, Layer};
use crate::model::catalog::{path_covers, Catalog, Chart, Component, Persistence};

pub use crate::base::quantity::Resources;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Replicas {
    pub baseline: i64,
    pub peak: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Autoscaling {
    pub min: i64,
    pub max: i64,
    pub target_cpu_percent: Option<i64>,
}

/// A figure of the plan that comes from a catalog assumption rather than the guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assumed {
    /// `replicas`, `requests.cpu`, `requests.memory`, `limits.cpu`, `limits.memory`, `storage`,
    /// `autoscaling`.
    pub field: String,
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentPlan {
    pub stack: String,
    pub id: String,
    pub name: String,
    pub role: String,
    pub kind: String,
    /// `metadata.name` of the workload the real chart renders for it (release name = chart id),
    /// when the catalog names it.
    pub workload: Option<String>,
    pub stateful: bool,
    pub enabled: bool,
    /// Replicas that run: 0 when the component is switched off.
    pub replicas: Replicas,
    pub autoscaling: Option<Autoscaling>,
    /// Per replica.
    pub requests: Resources,
    /// Per replica.
    pub limits: Resources,
    /// Per replica claim (0 for stateless components and shared volumes).
    pub storage_bytes: i64,
    pub assumed: Vec<Assumed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumePlan {
    pub stack: String,
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub storage_bytes: i64,
    /// `metadata.name` of the PersistentVolumeClaim the real chart renders, when known.
    pub claim: Option<String>,
    pub used_by: Vec<String>,
    pub assumed: Vec<Assumed>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Total {
    pub replicas: i64,
    pub requests: Resources,
    /// The sum of the limits that are set: a component without a CPU or memory limit adds
    /// nothing here and is counted in `limits_unset`.
    pub limits: Resources,
    pub limits_unset: LimitsUnset,
    pub storage_bytes: i64,
}

/// How many running components (not replicas) have no CPU limit, and no memory limit: a total
/// of limits leaves them out, so it is a lower bound when either is above 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LimitsUnset {
    pub cpu: i64,
    pub memory: i64,
}

/// A per-replica limit as every output writes it: `none` when the chart sets no limit (the
/// plan holds 0), else `f`'s text.
pub fn limit_text(value: i64, f: fn(i64) -> String) -> String {
    if value > 0 {
        f(value)
    } else {
        NO_LIMIT.to_string()
    }
}

/// How an unset limit reads in every output.
pub const NO_LIMIT: &str = "none";

/// A total of limits as every output writes it: `f`'s text when every running component has
/// the limit; marked as a lower bound, with how many have none, when some have not
/// (`≥ 33.5 cores (3 without a limit)`), and `none (…)` when no component has one.
pub fn total_limit_text(value: i64, unset: i64, f: fn(i64) -> String) -> String {
    let without = match unset {
        0 => return f(value),
        1 => "1 without a limit".to_string(),
        n => format!("{n} without a limit"),
    };
    if value > 0 {
        format!("\u{2265} {} ({without})", f(value))
    } else {
        format!("{NO_LIMIT} ({without})")
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub baseline: Total,
    pub peak: Total,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub stacks: Vec<String>,
    pub env: String,
    pub components: Vec<ComponentPlan>,
    pub volumes: Vec<VolumePlan>,
    pub totals: Totals,
}

/// One assumption of a plan with whose figure it is: what the page lists, the bundle README
/// counts and the report marks (one list, so every count agrees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanAssumption {
    pub stack: String,
    /// The component's or shared volume's display name.
    pub name: String,
    pub path: String,
    pub reason: String,
}

impl Totals {
    /// Whether the peak differs from the baseline (something autoscales). When it does not,
    /// the page, the bars and the print show one row, saying baseline and peak are the same,
    /// instead of the same figures twice.
    pub fn peak_differs(&self) -> bool {
        self.peak != self.baseline
    }
}

impl Total {
    /// Saturating, as every figure: a values file may hold any size (the fuzz target
    /// import_values found an overflow here).
    fn add(&mut self, o: &Total) {
        self.replicas = self.replicas.saturating_add(o.replicas);
        self.requests = self.requests.plus(o.requests);
        self.limits = self.limits.plus(o.limits);
        self.limits_unset.cpu = self.limits_unset.cpu.saturating_add(o.limits_unset.cpu);
        self.limits_unset.memory = self
            .limits_unset
            .memory
            .saturating_add(o.limits_unset.memory);
        self.storage_bytes = self.storage_bytes.saturating_add(o.storage_bytes);
    }
}

impl ComponentPlan {
    /// What the component takes in all: its replicas times its per-replica figures, at
    /// baseline and at peak (nothing when it is switched off).
    pub fn totals(&self) -> Totals {
        let at = |n: i64| Total {
            replicas: n,
            requests: self.requests.times(n),
            limits: self.limits.times(n),
            limits_unset: LimitsUnset {
                cpu: i64::from(n > 0 && self.limits.cpu_millicores <= 0),
                memory: i64::from(n > 0 && self.limits.memory_bytes <= 0),
            },
            storage_bytes: self.storage_bytes.saturating_mul(n),
        };
        Totals {
            baseline: at(self.replicas.baseline),
            peak: at(self.replicas.peak),
        }
    }
}

/// Components' totals plus shared volumes (counted once, at baseline and at peak).
fn sum_totals<'a>(
    components: impl IntoIterator<Item = &'a ComponentPlan>,
    volumes: impl IntoIterator<Item = &'a VolumePlan>,
) -> Totals {
    let mut totals = Totals::default();
    for c in components {
        let t = c.totals();
        totals.baseline.add(&t.baseline);
        totals.peak.add(&t.peak);
    }
    for v in volumes {
        let t = Total {
            storage_bytes: v.storage_bytes,
            ..Total::default()
        };
        totals.baseline.add(&t);
        totals.peak.add(&t);
    }
    totals
}

impl Plan {
    /// Each stack's subtotal, in the plan's stack order: its components and shared volumes.
    /// They add up to `totals`.
    pub fn stack_totals(&self) -> Vec<(String, Totals)> {
        self.stacks
            .iter()
            .map(|s| {
                let t = sum_totals(
                    self.components.iter().filter(|c| c.stack == *s),
                    self.volumes.iter().filter(|v| v.stack == *s),
                );
                (s.clone(), t)
            })
            .collect()
    }

    /// How many assumptions [`Self::assumptions`] lists, without copying them.
    pub fn assumption_count(&self) -> usize {
        let components: usize = self.components.iter().map(|c| c.assumed.len()).sum();
        let volumes: usize = self.volumes.iter().map(|v| v.assumed.len()).sum();
        components + volumes
    }

    /// Every assumption behind the plan's figures: each component's, then each shared volume's
    /// (counted once, as its storage is).
    pub fn assumptions(&self) -> Vec<PlanAssumption> {
        let of = |stack: &str, name: &str, a: &Assumed| PlanAssumption {
            stack: stack.to_string(),
            name: name.to_string(),
            path: a.path.clone(),
            reason: a.reason.clone(),
        };
        self.components
            .iter()
            .flat_map(|c| c.assumed.iter().map(|a| of(&c.stack, &c.name, a)))
            .chain(
                self.volumes
                    .iter()
                    .flat_map(|v| v.assumed.iter().map(|a| of(&v.stack, &v.name, a))),
            )
            .collect()
    }
}

/// Bitnami `resourcesPreset` (bitnami/common `_resources.tpl`, see
/// shared/reference/sizing-facts.md): (requests cpu, memory), (limits cpu, memory).
pub fn bitnami_preset(name: &str) -> Option<(Resources, Resources)> {
    const MI: i64 = 1 << 20;
    let r = |c, m| Resources {
        cpu_millicores: c,
        memory_bytes: m * MI,
    };
    Some(match name {
        "nano" => (r(100, 128), r(150, 192)),
        "micro" => (r(250, 256), r(375, 384)),
        "small" => (r(500, 512), r(750, 768)),
        "medium" => (r(500, 1024), r(750, 1536)),
        "large" => (r(1000, 2048), r(1500, 3072)),
        "xlarge" => (r(1000, 3072), r(3000, 6144)),
        "2xlarge" => (r(1000, 3072), r(6000, 12288)),
        _ => return None,
    })
}

struct Reader<'a> {
    chart: &'a Chart,
    config: &'a Configuration,
    values: Cow<'a, Value>,
    assumed: Vec<Assumed>,
}

impl Reader<'_> {
    fn get(&self, path: &str) -> Option<&Value> {
        crate::base::values::lookup(&self.values, path).filter(|v| !v.is_null())
    }

    fn note(&mut self, field: &str, path: &str) {
        // Most figures have no assumption at all: refuse them before working out the layer.
        let assumptions = &self.chart.assumptions;
        let Some(first) = assumptions.iter().position(|a| path_covers(&a.path, path)) else {
            return;
        };
        let env = match self.config.source_of(self.chart, path) {
            Layer::User => return,
            Layer::Environment => Some(self.config.env.as_str()),
            Layer::Chart => None,
        };
        // `Chart::assumption(env, path)`, from the first that covers the path.
        if let Some(a) = assumptions[first..]
            .iter()
            .find(|a| path_covers(&a.path, path) && a.env.as_deref() == env)
        {
            self.assumed.push(Assumed {
                field: field.to_string(),
                path: path.to_string(),
                reason: a.reason.clone(),
            });
        }
    }

    fn bool_at(&mut self, path: &str, default: bool) -> bool {
        match self.get(path) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => default,
        }
    }

    fn int_at(&mut self, field: &str, path: &str, default: i64) -> i64 {
        self.note(field, path);
        count_of(self.get(path), default)
    }

    /// A quantity, or `None` when absent or malformed (a malformed figure never reaches the plan:
    /// [`Configuration::set`] rejects it, and the catalog tests check the embedded values).
    fn quantity_at(&mut self, field: &str, path: &str) -> Option<Quantity> {
        self.note(field, path);
        self.get(path)
            .and_then(|v| quantity_of(v).ok())
            .filter(|q| !q.is_negative())
    }
}

/// One container's requests and limits from its `resources` map at `res`: the explicit figures
/// (a request left out defaults to its limit, as Kubernetes does, per container), or the Bitnami
/// preset at `preset` when the map sets none.
fn container_resources(
    r: &mut Reader<'_>,
    res: &str,
    preset: Option<&str>,
) -> (Resources, Resources) {
    // One buffer for the four paths `<res>.requests.cpu` and so on.
    let mut path = String::with_capacity(res.len() + 16);
    let mut at = |r: &mut Reader<'_>, field: &str| {
        path.clear();
        path.push_str(res);
        path.push('.');
        path.push_str(field);
        r.quantity_at(field, &path)
    };
    let rc = at(r, "requests.cpu");
    let rm = at(r, "requests.memory");
    let lc = at(r, "limits.cpu");
    let lm = at(r, "limits.memory");
    let preset = preset
        .and_then(|p| r.get(p))
        .and_then(Value::as_str)
        .and_then(bitnami_preset);
    let nothing_set = rc.is_none() && rm.is_none() && lc.is_none() && lm.is_none();
    if let (true, Some(p)) = (nothing_set, preset) {
        return p;
    }
    let rc = rc.or(lc);
    let rm = rm.or(lm);
    (
        Resources {
            cpu_millicores: rc.map_or(0, |q| q.milli_value()),
            memory_bytes: rm.map_or(0, |q| q.value()),
        },
        Resources {
            cpu_millicores: lc.map_or(0, |q| q.milli_value()),
            memory_bytes: lm.map_or(0, |q| q.value()),
        },
    )
}

/// How a container of a pod runs: one of its containers, an init container, or an init
/// container with `restartPolicy: Always` (a Kubernetes sidecar: it keeps running beside them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    App,
    Init,
    InitAlways,
}

/// Whether a container object asks to keep running (`restartPolicy: Always`).
pub fn restarts_always(container: &serde_yaml::Mapping) -> bool {
    container.get("restartPolicy").and_then(Value::as_str) == Some("Always")
}

/// One pod's requests and limits as Kubernetes counts them (the scheduler's and the quota's
/// effective figures, `resourcehelper.PodRequests` / `PodLimits`): the containers add up, each
/// init container runs alone beside the sidecar init containers started before it, and the pod
/// takes the larger of the two, figure by figure. A request left out is already its limit
/// ([`container_resources`]); a limit left out adds nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct PodFigures {
    running: [Resources; 2],
    sidecar_inits: [Resources; 2],
    init_peak: [Resources; 2],
}

impl PodFigures {
    /// Add a container's requests and limits, in the pod's order.
    pub fn add(&mut self, requests: Resources, limits: Resources, run: Run) {
        for (k, x) in [requests, limits].into_iter().enumerate() {
            match run {
                Run::App => self.running[k] = self.running[k].plus(x),
                Run::InitAlways => {
                    self.running[k] = self.running[k].plus(x);
                    self.sidecar_inits[k] = self.sidecar_inits[k].plus(x);
                    self.init_peak[k] = self.init_peak[k].max(self.sidecar_inits[k]);
                }
                Run::Init => {
                    self.init_peak[k] = self.init_peak[k].max(x.plus(self.sidecar_inits[k]));
                }
            }
        }
    }

    /// The pod's effective requests and limits.
    pub fn effective(&self) -> (Resources, Resources) {
        (
            self.running[0].max(self.init_peak[0]),
            self.running[1].max(self.init_peak[1]),
        )
    }
}

fn plan_component(r: &mut Reader<'_>, c: &Component) -> ComponentPlan {
    r.assumed.clear();
    let v = &c.values;
    let enabled = c.is_rendered(&r.values);
    let replicas = match (&v.replicas, v.replicas_fixed) {
        (Some(p), _) => r.int_at("replicas", p, 1),
        (None, Some(n)) => n,
        (None, None) => 1,
    };
    let autoscaling = v.autoscaling.as_ref().and_then(|a| {
        if !r.bool_at(&format!("{a}.enabled"), false) {
            return None;
        }
        r.note("autoscaling", a);
        // As the rendered HorizontalPodAutoscaler has them: a minimum left out (or under 1, which
        // the API server does not take without the HPAScaleToZero gate) is 1; a maximum below the minimum is planned as written (the page and the review
        // flag it: the API server refuses such an autoscaler).
        let min = r
            .int_at("autoscaling", &format!("{a}.minReplicas"), 1)
            .max(1);
        let max = r.int_at("autoscaling", &format!("{a}.maxReplicas"), min);
        let target = r
            .get(&format!("{a}.targetCPUUtilizationPercentage"))
            .and_then(Value::as_i64);
        Some(Autoscaling {
            min,
            max,
            target_cpu_percent: target,
        })
    });
    let (base, peak) = match autoscaling {
        Some(a) => (a.min, a.max),
        None => (replicas, replicas),
    };

    let (requests, limits) = match &v.resources {
        Some(res) => container_resources(r, res, v.resources_preset.as_deref()),
        None => (Resources::default(), Resources::default()),
    };
    let mut pod = PodFigures::default();
    pod.add(requests, limits, Run::App);
    // Sidecars (metrics exporters, the user's own containers...) are containers of the same
    // pod: their figures add up; init containers count as Kubernetes counts them.
    for sc in &v.sidecars {
        if !sc.is_on(&r.values) {
            continue;
        }
        let run = if sc.init { Run::Init } else { Run::App };
        match (&sc.list, &sc.resources) {
            (Some(list), _) => {
                let n = match r.get(list) {
                    Some(Value::Sequence(items)) => items.len(),
                    _ => 0,
                };
                for i in 0..n {
                    let Some(Value::Mapping(item)) = r.get(&format!("{list}[{i}]")) else {
                        continue;
                    };
                    let run = match run {
                        Run::Init if restarts_always(item) => Run::InitAlways,
                        run => run,
                    };
                    let (rq, lm) = container_resources(r, &format!("{list}[{i}].resources"), None);
                    pod.add(rq, lm, run);
                }
            }
            (None, Some(res)) => {
                let (rq, lm) = container_resources(r, res, None);
                pod.add(rq, lm, run);
            }
            (None, None) => {}
        }
    }
    let (requests, limits) = pod.effective();

    let mut templates = 0i64;
    for t in &v.claim_templates {
        if t.is_on(&r.values) {
            let size = r.quantity_at("storage", &t.size).map_or(0, |q| q.value());
            templates = templates.saturating_add(size);
        }
    }
    // An existing claim (Bitnami `existingClaim`) replaces the claim template.
    let own_claim = match (&c.persistence, &v.persistence) {
        (Persistence::PerReplica, Some(p)) => {
            r.bool_at(&format!("{p}.enabled"), true)
                && crate::model::catalog::existing_claim(&r.values, p).is_none()
        }
        _ => false,
    };
    let storage_bytes = templates.saturating_add(match (&v.persistence, own_claim) {
        (Some(p), true) => r
            .quantity_at("storage", &format!("{p}.size"))
            .map_or(0, |q| q.value()),
        _ => 0,
    });

    let running = |n: i64| if enabled { n } else { 0 };
    ComponentPlan {
        stack: r.chart.id.clone(),
        id: c.id.clone(),
        name: c.name.clone(),
        role: c.role.clone(),
        kind: c.kind.as_str().to_string(),
        workload: c.workload_name(&r.values).map(str::to_string),
        stateful: c.is_stateful(),
        enabled,
        replicas: Replicas {
            baseline: running(base),
            peak: running(peak),
        },
        autoscaling,
        requests,
        limits,
        storage_bytes,
        assumed: std::mem::take(&mut r.assumed),
    }
}

/// Plan a configuration against a catalog. Total: never panics; unknown charts are skipped
/// (a [`Configuration`] built through its constructors has none).
pub fn plan(catalog: &Catalog, config: &Configuration) -> Plan {
    let mut components = Vec::new();
    let mut volumes = Vec::new();
    for id in &config.stacks {
        let Some(chart) = catalog.chart(id) else {
            continue;
        };
        let mut r = Reader {
            chart,
            config,
            values: config.effective(chart),
            assumed: Vec::new(),
        };
        for c in &chart.components {
            components.push(plan_component(&mut r, c));
        }
        for vol in &chart.volumes {
            r.assumed.clear();
            let users_on = components
                .iter()
                .any(|c| c.stack == chart.id && c.enabled && vol.used_by.contains(&c.id));
            let enabled = users_on && r.bool_at(&format!("{}.enabled", vol.values), true);
            let size = r
                .quantity_at("storage", &format!("{}.size", vol.values))
                .map_or(0, |q| q.value());
            volumes.push(VolumePlan {
                stack: chart.id.clone(),
                id: vol.id.clone(),
                name: vol.name.clone(),
                enabled,
                storage_bytes: if enabled { size } else { 0 },
                claim: vol.claim.clone(),
                used_by: vol.used_by.clone(),
                assumed: std::mem::take(&mut r.assumed),
            });
        }
    }
    let totals = sum_totals(&components, &volumes);
    Plan {
        stacks: config.stacks.clone(),
        env: config.env.clone(),
        components,
        volumes,
        totals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(cpu: i64, mi: i64) -> Resources {
        Resources {
            cpu_millicores: cpu,
            memory_bytes: mi << 20,
        }
    }

    /// Kubernetes' effective pod figures: the containers add up; an init container counts only
    /// where it is larger (figure by figure); one that keeps running (`restartPolicy: Always`)
    /// adds to the containers and to every init container started after it.
    #[test]
    fn init_containers_count_as_kubernetes_counts_a_pod() {
        let mut p = PodFigures::default();
        p.add(res(500, 512), res(1000, 1024), Run::App);
        p.add(res(100, 64), res(0, 128), Run::App);
        assert_eq!(p.effective(), (res(600, 576), res(1000, 1152)));
        p.add(res(2000, 100), res(0, 100), Run::Init);
        assert_eq!(p.effective(), (res(2000, 576), res(1000, 1152)));
        p.add(res(300, 1000), res(300, 0), Run::InitAlways);
        assert_eq!(p.effective(), (res(2000, 1576), res(1300, 1152)));
        // After the restartable one, an init container runs beside it.
        p.add(res(1900, 10), res(0, 0), Run::Init);
        assert_eq!(p.effective(), (res(2200, 1576), res(1300, 1152)));
    }

    /// A user's sidecar and init containers of a Bitnami chart (`postgresql.primary.sidecars`,
    /// `...initContainers`) count in the pod; a switched-off init container of the chart's does
    /// not.
    #[test]
    fn the_users_container_lists_count_in_their_pod() {
        let cat = Catalog::builtin();
        let pg = |sets: &[&str]| {
            let mut c = Configuration::new(cat, &["cauldron-infra"], "dev").unwrap();
            for s in sets {
                c.set_str(cat, s).unwrap();
            }
            let p = plan(cat, &c);
            let pg = p.components.iter().find(|c| c.id == "postgresql").unwrap();
            (pg.requests, pg.limits)
        };
        let (base, base_limits) = pg(&[]);
        let (with, limits) = pg(&[
            "postgresql.primary.sidecars[0].name=shipper",
            "postgresql.primary.sidecars[0].resources.requests.cpu=200m",
            "postgresql.primary.sidecars[0].resources.limits.memory=256Mi",
        ]);
        assert_eq!(
            with,
            base.plus(res(200, 256)),
            "a missing request is its limit"
        );
        assert_eq!(limits, base_limits.plus(res(0, 256)));
        let (big_init, _) = pg(&[
            "postgresql.primary.initContainers[0].name=restore",
            "postgresql.primary.initContainers[0].resources.requests.cpu=64",
        ]);
        assert_eq!(big_init.cpu_millicores, 64_000);
        assert_eq!(big_init.memory_bytes, base.memory_bytes);
        // volumePermissions' init container, larger than the pod, only while it is on.
        let vp = "postgresql.volumePermissions.resources.requests.memory=64Gi";
        assert_eq!(pg(&[vp]).0, base);
        let (on, _) = pg(&[vp, "postgresql.volumePermissions.enabled=true"]);
        assert_eq!(on.memory_bytes, 64 << 30);
        let (off, _) = pg(&[
            vp,
            "postgresql.volumePermissions.enabled=true",
            "postgresql.primary.persistence.enabled=false",
            "postgresql.shmVolume.enabled=false",
        ]);
        assert_eq!(
            off, base,
            "no volume to own: the template writes no init container"
        );
    }

    #[test]
    fn stack_subtotals_add_up_to_the_totals() {
        let cat = Catalog::builtin();
        let c = Configuration::new(cat, &["cauldron-infra", "cauldron-frappe"], "prod").unwrap();
        let p = plan(cat, &c);
        let subs = p.stack_totals();
        assert_eq!(subs.len(), 2);
        let mut sum = Totals::default();
        for (_, t) in &subs {
            sum.baseline.add(&t.baseline);
            sum.peak.add(&t.peak);
        }
        assert_eq!(sum, p.totals);
        // A component's total is its replicas times its per-replica figures.
        let c = p.components.iter().find(|c| c.replicas.peak > 1).unwrap();
        let t = c.totals();
        assert_eq!(
            t.peak.requests.cpu_millicores,
            c.requests.cpu_millicores * c.replicas.peak
        );
        assert_eq!(t.baseline.replicas, c.replicas.baseline);
    }

    /// Every total counts the running components without a CPU or a memory limit (its sum of
    /// limits leaves them out), and some preset has such a component (the charts set none).
    #[test]
    fn totals_count_the_components_without_a_limit() {
        let cat = Catalog::builtin();
        let mut seen = 0;
        for chart in &cat.charts {
            for env in &chart.environments {
                let p = plan(
                    cat,
                    &Configuration::new(cat, &[chart.id.as_str()], &env.id).unwrap(),
                );
                let running: Vec<_> = p
                    .components
                    .iter()
                    .filter(|c| c.replicas.baseline > 0)
                    .collect();
                let cpu = running
                    .iter()
                    .filter(|c| c.limits.cpu_millicores == 0)
                    .count() as i64;
                let memory = running
                    .iter()
                    .filter(|c| c.limits.memory_bytes == 0)
                    .count() as i64;
                assert_eq!(
                    p.totals.baseline.limits_unset,
                    LimitsUnset { cpu, memory },
                    "{} {}",
                    chart.id,
                    env.id
                );
                seen += cpu + memory;
            }
        }
        assert!(seen > 0, "no preset has a component without a limit");
    }

    #[test]
    fn unset_limits_read_as_none_and_totals_as_a_lower_bound() {
        use crate::base::quantity::display_cores;
        assert_eq!(limit_text(0, display_cores), "none");
        assert_eq!(limit_text(1500, display_cores), "1.5 cores");
        assert_eq!(total_limit_text(33500, 0, display_cores), "33.5 cores");
        assert_eq!(
            total_limit_text(33500, 3, display_cores),
            "\u{2265} 33.5 cores (3 without a limit)"
        );
        assert_eq!(
            total_limit_text(0, 1, display_cores),
            "none (1 without a limit)"
        );
    }

    const GI: i64 = 1 << 30;
    const MI: i64 = 1 << 20;

    fn plan_of(stacks: &[&str], env: &str, sets: &[&str]) -> Plan {
        let cat = Catalog::builtin();
        let mut c = Configuration::new(cat, stacks, env).unwrap();
        for s in sets {
            c.set_str(cat, s).unwrap();
        }
        plan(cat, &c)
    }

    /// Rhesis local is the chart's own values-local.yaml: the guide's "Local Development
    /// Configuration" table for CPU and memory (2.35 / 4.7 cores, 4.625 / 9.25 GiB, the guide
    /// rounds to 4.6 / 9.2, 5 replicas), but the file keeps Redis's 512Mi volume (the guide's
    /// table has none): 1.5 GiB of storage, as real Helm renders it.
    #[test]
    fn rhesis_local_is_the_charts_values_local() {
        let t = plan_of(&["rhesis"], "local", &[]).totals.baseline;
        assert_eq!(t.replicas, 5);
        assert_eq!(t.requests.cpu_millicores, 2350);
        assert_eq!(t.limits.cpu_millicores, 4700);
        assert_eq!(t.requests.memory_bytes, 4 * GI + 640 * MI);
        assert_eq!(t.limits.memory_bytes, 9 * GI + 256 * MI);
        assert_eq!(t.storage_bytes, GI + 512 * MI);
    }

    /// Rhesis guide, "Production Configuration" rows summed honestly: 8 / 16 cores,
    /// 16 / 32 GiB, 110 GiB (the table's own Total row says 6.5 / 12 and 11 / 22 Gi).
    #[test]
    fn rhesis_prod_is_the_honest_sum_of_the_rows() {
        let t = plan_of(&["rhesis"], "prod", &[]).totals.baseline;
        assert_eq!(t.replicas, 12);
        assert_eq!(t.requests.cpu_millicores, 8000);
        assert_eq!(t.limits.cpu_millicores, 16000);
        assert_eq!(t.requests.memory_bytes, 16 * GI);
        assert_eq!(t.limits.memory_bytes, 32 * GI);
        assert_eq!(t.storage_bytes, 110 * GI);
    }

    #[test]
    fn overrides_change_the_plan() {
        let p = plan_of(&["rhesis"], "prod", &["backend.replicas=4"]);
        assert_eq!(p.totals.baseline.replicas, 13);
        assert_eq!(p.totals.baseline.requests.cpu_millicores, 9000);
        let p = plan_of(&["rhesis"], "prod", &["worker.enabled=false"]);
        let w = p.components.iter().find(|c| c.id == "worker").unwrap();
        assert!(!w.enabled);
        assert_eq!(
            w.replicas,
            Replicas {
                baseline: 0,
                peak: 0
            }
        );
        assert_eq!(p.totals.baseline.replicas, 7);
    }

    #[test]
    fn autoscaling_gives_baseline_and_peak() {
        let p = plan_of(&["rae-memory"], "prod", &[]);
        let api = p.components.iter().find(|c| c.id == "memory-api").unwrap();
        assert_eq!(
            api.replicas,
            Replicas {
                baseline: 5,
                peak: 20
            }
        );
        assert!(p.totals.peak.requests.cpu_millicores > p.totals.baseline.requests.cpu_millicores);
        assert!(p.totals.peak_differs());
        // Rhesis prod runs fixed replicas: one scenario, not two equal rows.
        let p = plan_of(&["rhesis"], "prod", &[]);
        assert!(!p.totals.peak_differs(), "{:?}", p.totals);
        // Equal replica counts but a differing figure still differ.
        let mut t = p.totals;
        t.peak.storage_bytes += 1;
        assert!(t.peak_differs());
    }

    #[test]
    fn user_overrides_are_never_assumptions() {
        let p = plan_of(&["rhesis"], "staging", &[]);
        let fe = p.components.iter().find(|c| c.id == "frontend").unwrap();
        assert!(
            fe.assumed.iter().any(|a| a.field == "requests.cpu"),
            "{:?}",
            fe.assumed
        );
        let p = plan_of(
            &["rhesis"],
            "staging",
            &["frontend.resources.requests.cpu=1"],
        );
        let fe = p.components.iter().find(|c| c.id == "frontend").unwrap();
        assert!(!fe.assumed.iter().any(|a| a.field == "requests.cpu"));
    }

    #[test]
    fn rhesis_local_figures_are_not_assumed() {
        let p = plan_of(&["rhesis"], "local", &[]);
        for c in &p.components {
            let fields: Vec<_> = c
                .assumed
                .iter()
                .filter(|a| a.field.starts_with("requests") || a.field.starts_with("limits"))
                .collect();
            assert!(fields.is_empty(), "{}: {fields:?}", c.id);
        }
    }

    #[test]
    fn shared_volume_counted_once() {
        let p = plan_of(&["cauldron-infra", "cauldron-frappe"], "prod", &[]);
        let sites: Vec<_> = p.volumes.iter().filter(|v| v.id == "sites").collect();
        assert_eq!(sites.len(), 1);
        let per_comp: i64 = p
            .components
            .iter()
            .filter(|c| c.stack == "cauldron-frappe")
            .map(|c| c.storage_bytes)
            .sum();
        assert_eq!(
            per_comp, 0,
            "frappe components must not count the shared volume"
        );
        let infra_only = plan_of(&["cauldron-infra"], "prod", &[])
            .totals
            .baseline
            .storage_bytes;
        assert_eq!(
            p.totals.baseline.storage_bytes,
            infra_only + sites[0].storage_bytes
        );
    }

    /// Totals saturate instead of overflowing: two standalone claims of 7 EiB (the
    /// import_values fuzz target found their sum overflowing).
    #[test]
    fn huge_figures_saturate() {
        let p = plan_of(
            &["rhesis"],
            "prod",
            &[
                "database.postgresql.persistence.size=7Ei",
                "redis.persistence.size=7Ei",
            ],
        );
        assert_eq!(p.totals.baseline.storage_bytes, i64::MAX);
        assert_eq!(p.totals.peak.storage_bytes, i64::MAX);
    }

    #[test]
    fn every_chart_and_env_plans_without_panic() {
        let cat = Catalog::builtin();
        let mut without_figures = 0;
        for chart in &cat.charts {
            for env in &chart.environments {
                let c = Configuration::new(cat, &[&chart.id], &env.id).unwrap();
                let values = c.effective_values(chart);
                let p = plan(cat, &c);
                assert!(p.totals.baseline.replicas > 0, "{} {}", chart.id, env.id);
                assert!(p.totals.peak.replicas >= p.totals.baseline.replicas);
                assert!(p.totals.baseline.requests.cpu_millicores > 0);
                for comp in &p.components {
                    // A main container with a CPU figure (a request, or a limit the request
                    // defaults to) has a CPU request. Bitnami leaves `resources` empty by default
                    // (e.g. redis.replica.resources): real Helm renders no figures, nor do we.
                    let res = chart
                        .component(&comp.id)
                        .unwrap()
                        .values
                        .resources
                        .as_deref();
                    let cpu_set = res.is_some_and(|r| {
                        ["requests.cpu", "limits.cpu"].iter().any(|f| {
                            crate::base::values::lookup(&values, &format!("{r}.{f}"))
                                .is_some_and(|v| !v.is_null())
                        })
                    });
                    if cpu_set {
                        assert!(
                            comp.requests.cpu_millicores > 0,
                            "{} {} {}",
                            chart.id,
                            env.id,
                            comp.id
                        );
                    } else {
                        without_figures += 1;
                    }
                    assert!(
                        comp.limits.memory_bytes >= comp.requests.memory_bytes
                            || comp.limits.memory_bytes == 0
                    );
                }
            }
        }
        assert!(without_figures > 0, "the Bitnami case above is exercised");
    }

    #[test]
    fn presets_match_bitnami() {
        let (r, l) = bitnami_preset("large").unwrap();
        assert_eq!(
            r,
            Resources {
                cpu_millicores: 1000,
                memory_bytes: 2048 * MI
            }
        );
        assert_eq!(
            l,
            Resources {
                cpu_millicores: 1500,
                memory_bytes: 3072 * MI
            }
        );
        assert!(bitnami_preset("huge").is_none());
    }
}
