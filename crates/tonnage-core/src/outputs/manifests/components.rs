//! Components: what the values say about each one, with the plan's rules. A component's image
//! family, names and values prefixes, and its [`Work`]: replicas, HPA, resources (a missing
//! request defaulting to the limit, Bitnami presets), claims, sidecars and image, the figures
//! the plan counts.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use serde_yaml::Value;

use super::context::{scalar_text, Ctx};
use super::labels::dns_label;
use crate::base::quantity::Quantity;
use crate::base::values::lookup;
use crate::compute::plan::bitnami_preset;
use crate::model::catalog::{Component, Persistence, Sidecar};

/// The image families whose containers need their own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    BitnamiPostgres,
    BitnamiRedis,
    BitnamiRabbitmq,
    Postgres,
    Redis,
    Qdrant,
    Kafka,
    Zookeeper,
    Frappe,
    App,
}

/// Split `repo[:tag]` at the tag's colon (a registry port's colon comes before a slash).
pub(super) fn split_image(image: &str) -> (&str, Option<&str>) {
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (image, None),
    }
}

pub(super) fn family(c: &Component) -> Family {
    let (repo, _) = split_image(&c.image);
    let bitnami = repo.contains("bitnami");
    let last = repo.rsplit('/').next().unwrap_or(repo);
    match last {
        "postgresql" if bitnami => Family::BitnamiPostgres,
        "redis" if bitnami => Family::BitnamiRedis,
        "rabbitmq" if bitnami => Family::BitnamiRabbitmq,
        "postgres" | "postgresql" | "timescaledb" => Family::Postgres,
        "redis" => Family::Redis,
        "qdrant" => Family::Qdrant,
        "cp-kafka" | "kafka" => Family::Kafka,
        "cp-zookeeper" | "zookeeper" => Family::Zookeeper,
        // cauldron-frappe runs Frappe's bench image (frappe/bench).
        "erpnext" | "frappe" => Family::Frappe,
        "bench" if repo.contains("frappe") => Family::Frappe,
        _ => Family::App,
    }
}

/// Where the image keeps its data (the first claim or the shared volume is mounted there).
pub(super) fn data_path(f: Family) -> &'static str {
    match f {
        Family::BitnamiPostgres => "/bitnami/postgresql",
        Family::BitnamiRedis => "/bitnami/redis/data",
        Family::BitnamiRabbitmq => "/bitnami/rabbitmq/mnesia",
        Family::Postgres => "/var/lib/postgresql/data",
        Family::Redis => "/data",
        Family::Qdrant => "/qdrant/storage",
        Family::Kafka => "/var/lib/kafka/data",
        Family::Zookeeper => "/var/lib/zookeeper/data",
        Family::Frappe => "/home/frappe/frappe-bench/sites",
        Family::App => "/data",
    }
}

/// Where a claim template after the first is mounted (`values.claim_templates`).
pub(super) fn claim_path(name: &str) -> String {
    match name {
        // Zookeeper's transaction log (cp-zookeeper's dataLogDir).
        "zookeeper-log" => "/var/lib/zookeeper/log".into(),
        // The Qdrant chart's snapshots volume.
        "qdrant-snapshots" => "/qdrant/snapshots".into(),
        // Bitnami Redis Sentinel's configuration volume.
        "sentinel-data" => "/opt/bitnami/redis-sentinel/etc".into(),
        other => format!("/mnt/{}", dns_label(other)),
    }
}

/// Replicas that must stay up for the system to keep a quorum (PDB minAvailable).
pub(super) fn is_quorum(c: &Component) -> bool {
    matches!(family(c), Family::Zookeeper | Family::Kafka)
}

/// The component's key in the values tree: the first segment of its image path (the Bitnami
/// subchart key), else of its resources path.
pub(super) fn base(c: &Component) -> String {
    let v = &c.values;
    let p = v
        .image
        .as_deref()
        .filter(|p| p.contains('.'))
        .or(v.resources.as_deref())
        .unwrap_or("");
    p.split('.').next().unwrap_or("").to_string()
}

/// The values prefix of the component's own settings: the parent of its image map
/// (`database.postgresql` for `database.postgresql.image`, `frappe` for `frappe.image`), else of
/// its resources map (`web` for `web.resources`).
pub(super) fn own_prefix(c: &Component) -> Option<&str> {
    let v = &c.values;
    v.image
        .as_deref()
        .and_then(|p| p.strip_suffix(".image"))
        .or_else(|| {
            v.resources
                .as_deref()
                .and_then(|r| r.strip_suffix(".resources"))
        })
}

/// The values prefix that holds the component's resources map's siblings (`web` for
/// `web.resources`, `consumers.ledgerWriter` for `consumers.ledgerWriter.resources`).
pub(super) fn settings_prefix(c: &Component) -> Option<&str> {
    c.values
        .resources
        .as_deref()
        .and_then(|r| r.strip_suffix(".resources"))
}

/// Whether the component belongs to a chart installed from the chart's values under a subchart
/// key (Bitnami's PostgreSQL in cauldron-infra, RAE's PostgreSQL/Redis/Qdrant releases): the
/// chart's own pod settings do not reach it.
pub(super) fn in_subchart(ctx: &Ctx, c: &Component) -> bool {
    c.values
        .image
        .as_deref()
        .or(c.values.resources.as_deref())
        .is_some_and(|p| ctx.chart.subchart_of(p).is_some())
}

/// The name of a component's workload and client Service: the workload the real chart renders
/// (catalog `workload` / `workload_when`), else `<release>-<component>`.
pub(super) fn object_name(ctx: &Ctx, c: &Component) -> String {
    match c.workload_name(&ctx.values) {
        Some(n) => n.to_string(),
        None => format!("{}-{}", ctx.release, c.id),
    }
}

pub(super) fn headless_name(name: &str) -> String {
    format!("{name}-headless")
}

/// The HPA of a component, as the plan reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hpa {
    pub(super) min: i64,
    pub(super) max: i64,
    pub(super) cpu: Option<i64>,
    pub(super) memory: Option<i64>,
}

/// A per-replica volume of a StatefulSet: a claim template, or what replaces it.
pub(super) struct Claim {
    /// The claim template's (and the pod volume's) name.
    pub(super) name: String,
    /// Where the main container mounts it.
    pub(super) path: String,
    /// The claim's size; `None` while switched off or sized 0 (an emptyDir takes its place).
    pub(super) size: Option<Quantity>,
    pub(super) storage_class: Option<String>,
    /// An existing claim to mount instead of a template (Bitnami `existingClaim`).
    pub(super) existing: Option<String>,
}

/// A container beside the main one (`values.sidecars`), while enabled.
pub(super) struct Side<'a> {
    pub(super) sc: &'a Sidecar,
    pub(super) image: String,
    pub(super) pull_policy: String,
    pub(super) requests: BTreeMap<String, K8sQuantity>,
    pub(super) limits: BTreeMap<String, K8sQuantity>,
}

/// The containers of a `list` sidecar (the user's own, `primary.sidecars`...) while it is on,
/// as the template prints them.
pub(super) struct Listed<'a> {
    pub(super) sc: &'a Sidecar,
    pub(super) containers: Vec<Container>,
}

/// One enabled component with the figures the plan counts.
pub(super) struct Work<'a> {
    pub(super) c: &'a Component,
    pub(super) family: Family,
    pub(super) name: String,
    /// spec.replicas: replicas, or the HPA minimum.
    pub(super) replicas: i64,
    pub(super) hpa: Option<Hpa>,
    pub(super) requests: BTreeMap<String, K8sQuantity>,
    pub(super) limits: BTreeMap<String, K8sQuantity>,
    /// Per-replica volumes: the persistence map's claim, then `values.claim_templates`.
    pub(super) claims: Vec<Claim>,
    /// The catalog's own sidecars that are on (init containers among them: `sc.init`).
    pub(super) sidecars: Vec<Side<'a>>,
    /// The containers of its `list` sidecars that are on.
    pub(super) listed: Vec<Listed<'a>>,
    pub(super) image: String,
    pub(super) pull_policy: String,
}

impl Work<'_> {
    /// Replicas at the HPA maximum (or spec.replicas).
    pub(super) fn peak(&self) -> i64 {
        self.hpa.map_or(self.replicas, |h| h.max)
    }

    /// The user's own containers (`init`: init containers), in their lists' order.
    pub(super) fn listed(&self, init: bool) -> Vec<Container> {
        self.listed
            .iter()
            .filter(|l| l.sc.init == init)
            .flat_map(|l| l.containers.iter().cloned())
            .collect()
    }

    /// The catalog's own sidecar named `name`, while it is on.
    pub(super) fn side(&self, name: &str) -> Option<&Side<'_>> {
        self.sidecars.iter().find(|s| s.sc.name == name)
    }

    /// Whether a claim template holds the data (Redis's append-only file is then worth it).
    pub(super) fn persisted(&self) -> bool {
        self.claims
            .first()
            .is_some_and(|c| c.size.is_some() || c.existing.is_some())
    }
}

pub(super) fn k8s_q(q: Quantity) -> K8sQuantity {
    // `q.to_string()`: the Display of a quantity is its canonical text.
    K8sQuantity(q.canonical())
}

/// One container's requests and limits from the resources map at `res`, exactly as the plan
/// counts them: the explicit figures (a missing request defaults to the limit, as Kubernetes
/// does), or the Bitnami preset at `preset` when none is set.
pub(super) fn container_resources(
    ctx: &Ctx,
    res: &str,
    preset: Option<&str>,
) -> (BTreeMap<String, K8sQuantity>, BTreeMap<String, K8sQuantity>) {
    let mut requests = BTreeMap::new();
    let mut limits = BTreeMap::new();
    // Printed as the values write them, as Helm's `toYaml` prints them: `1000m` stays `1000m`.
    let written = |key: &str| {
        let v = ctx.get((res, key))?;
        ctx.quantity_at((res, key))?;
        scalar_text(v).map(K8sQuantity)
    };
    let rc = written("requests.cpu");
    let rm = written("requests.memory");
    let lc = written("limits.cpu");
    let lm = written("limits.memory");
    let preset = preset
        .and_then(|p| ctx.get(p))
        .and_then(Value::as_str)
        .and_then(bitnami_preset);
    if let (true, Some((pr, pl))) = (
        rc.is_none() && rm.is_none() && lc.is_none() && lm.is_none(),
        preset,
    ) {
        // sizing-facts.md: Bitnami resourcesPreset table (bitnami/common _resources.tpl).
        requests.insert(
            "cpu".into(),
            k8s_q(Quantity::from_millis(pr.cpu_millicores)),
        );
        requests.insert(
            "memory".into(),
            k8s_q(Quantity::from_bytes(pr.memory_bytes)),
        );
        limits.insert(
            "cpu".into(),
            k8s_q(Quantity::from_millis(pl.cpu_millicores)),
        );
        limits.insert(
            "memory".into(),
            k8s_q(Quantity::from_bytes(pl.memory_bytes)),
        );
        return (requests, limits);
    }
    // As the chart writes them: a request left out stays out (the API server defaults it to
    // the limit, which is what the plan counts).
    for (key, q) in [("cpu", rc), ("memory", rm)] {
        if let Some(q) = q {
            requests.insert(key.to_string(), q);
        }
    }
    for (key, q) in [("cpu", lc), ("memory", lm)] {
        if let Some(q) = q {
            limits.insert(key.to_string(), q);
        }
    }
    (requests, limits)
}

/// `repository:tag` (with `registry/` first, Bitnami's layout) and the pull policy of the image
/// map at `path`; `fallback` (the catalog's image) when the map names no repository.
pub(super) fn image_at(ctx: &Ctx, path: Option<&str>, fallback: &str) -> (String, String) {
    let mut image = fallback.to_string();
    let mut pull = None;
    if let Some(p) = path {
        let repo = ctx.text((p, "repository"));
        let (_, catalog_tag) = split_image(fallback);
        let tag = ctx.text((p, "tag")).or(catalog_tag.map(str::to_string));
        let registry = ctx.text((p, "registry"));
        if let Some(repo) = repo {
            image = match registry {
                Some(r) => format!("{r}/{repo}"),
                None => repo,
            };
            if let Some(t) = tag {
                image = format!("{image}:{t}");
            }
        }
        pull = ctx.text((p, "pullPolicy"));
    }
    let pull = pull
        .or_else(|| ctx.live_text("global.imagePullPolicy"))
        .unwrap_or_else(|| "IfNotPresent".into());
    (image, pull)
}

pub(super) fn image_of(ctx: &Ctx, c: &Component) -> (String, String) {
    // Rhesis keeps its application images under `images.<component>`.
    let own = format!("images.{}", c.id);
    let path = c.values.image.as_deref().or_else(|| {
        lookup(&ctx.chart.values, &format!("{own}.repository"))
            .is_some()
            .then_some(own.as_str())
    });
    image_at(ctx, path, &c.image)
}

/// The per-replica volumes of a component, as the plan counts them: the persistence map's claim
/// (`data`; none with an existing claim), then each claim template.
pub(super) fn claims(ctx: &Ctx, c: &Component, family: Family) -> Vec<Claim> {
    let v = &c.values;
    let mut out: Vec<Claim> = Vec::new();
    let next_path = |out: &Vec<Claim>, name: &str| {
        if out.is_empty() {
            data_path(family).to_string()
        } else {
            claim_path(name)
        }
    };
    if let (Persistence::PerReplica, Some(p)) = (&c.persistence, &v.persistence) {
        let on = ctx.bool_at((p, "enabled"), true);
        let existing = crate::model::catalog::existing_claim(&ctx.values, p).map(str::to_string);
        let path = next_path(&out, "data");
        out.push(Claim {
            name: "data".into(),
            path,
            size: if on && existing.is_none() {
                ctx.quantity_at((p, "size")).filter(|q| q.value() > 0)
            } else {
                None
            },
            storage_class: storage_class(ctx, Some(p)),
            existing: existing.filter(|_| on),
        });
    }
    for t in &v.claim_templates {
        let on = t.is_on(&ctx.values);
        let path = next_path(&out, &t.name);
        let storage_class = t
            .storage_class
            .as_deref()
            .and_then(|p| ctx.text(p))
            .or_else(|| ctx.text("global.storageClass"));
        out.push(Claim {
            name: dns_label(&t.name),
            path,
            size: if on {
                ctx.quantity_at(t.size.as_str()).filter(|q| q.value() > 0)
            } else {
                None
            },
            storage_class,
            existing: None,
        });
    }
    out
}

/// The containers of the component's `list` sidecars that are on, as the chart's template
/// prints them: `common.tplvalues.render` writes the values' objects as they are (`toYaml`,
/// then `tpl`, which leaves text without template actions unchanged: the configuration refuses
/// text with them). An element that is not a container object as Kubernetes reads it keeps its
/// name and resources.
pub(super) fn listed<'a>(ctx: &Ctx, c: &'a Component) -> Vec<Listed<'a>> {
    let mut out = Vec::new();
    for sc in c.values.sidecars.iter().filter(|sc| sc.is_on(&ctx.values)) {
        let Some(list) = &sc.list else { continue };
        let Some(Value::Sequence(items)) = ctx.get(list.as_str()) else {
            continue;
        };
        let containers = items
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_mapping())
            .map(|(i, v)| {
                serde_yaml::from_value::<Container>(v.clone()).unwrap_or_else(|_| {
                    let (requests, limits) =
                        container_resources(ctx, &format!("{list}[{i}].resources"), None);
                    Container {
                        name: v
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        image: v.get("image").and_then(Value::as_str).map(str::to_string),
                        resources: Some(ResourceRequirements {
                            requests: (!requests.is_empty()).then_some(requests),
                            limits: (!limits.is_empty()).then_some(limits),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }
                })
            })
            .collect();
        out.push(Listed { sc, containers });
    }
    out
}

/// The component's sidecars that are on, with their figures (as the plan counts them); the
/// `list` ones are [`listed`].
pub(super) fn sidecars<'a>(ctx: &Ctx, c: &'a Component, main_image: &str) -> Vec<Side<'a>> {
    let mut out = Vec::new();
    for sc in c.values.sidecars.iter().filter(|sc| sc.is_on(&ctx.values)) {
        if sc.list.is_some() {
            continue;
        }
        let (requests, limits) = match &sc.resources {
            Some(res) => container_resources(ctx, res, None),
            None => Default::default(),
        };
        // The exporter's image map sits beside its resources (`metrics.image`).
        let image_path = sc
            .resources
            .as_deref()
            .and_then(|r| r.strip_suffix(".resources"))
            .map(|p| format!("{p}.image"));
        let (image, pull_policy) = image_at(ctx, image_path.as_deref(), main_image);
        out.push(Side {
            sc,
            image,
            pull_policy,
            requests,
            limits,
        });
    }
    out
}

pub(super) fn work<'a>(ctx: &Ctx, c: &'a Component) -> Work<'a> {
    let v = &c.values;
    let replicas = match (&v.replicas, v.replicas_fixed) {
        (Some(p), _) => ctx.count_at(p, 1),
        (None, Some(n)) => n,
        (None, None) => 1,
    };
    let hpa = v.autoscaling.as_ref().and_then(|a| {
        if !ctx.bool_at((a, "enabled"), false) {
            return None;
        }
        // As the plan reads them (and the charts render them): a minimum left out or under 1
        // is 1; a maximum as written, even below the minimum (which the review flags).
        let min = ctx.count_at((a, "minReplicas"), 1).max(1);
        let max = ctx.count_at((a, "maxReplicas"), min);
        // Bitnami's Redis names its targets targetCPU / targetMemory.
        Some(Hpa {
            min,
            max,
            cpu: ctx
                .int_at((a, "targetCPUUtilizationPercentage"))
                .or_else(|| ctx.int_at((a, "targetCPU"))),
            memory: ctx
                .int_at((a, "targetMemoryUtilizationPercentage"))
                .or_else(|| ctx.int_at((a, "targetMemory"))),
        })
    });
    let (requests, limits) = match &v.resources {
        Some(res) => container_resources(ctx, res, v.resources_preset.as_deref()),
        None => Default::default(),
    };
    let family = family(c);
    let (image, pull_policy) = image_of(ctx, c);
    Work {
        c,
        family,
        name: object_name(ctx, c),
        replicas: hpa.map_or(replicas, |h| h.min),
        hpa,
        requests,
        limits,
        claims: claims(ctx, c, family),
        sidecars: sidecars(ctx, c, &image),
        listed: listed(ctx, c),
        image,
        pull_policy,
    }
}

pub(super) fn i32_of(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(if n < 0 { 0 } else { i32::MAX })
}

pub(super) fn storage_class(ctx: &Ctx, persistence_path: Option<&str>) -> Option<String> {
    persistence_path
        .and_then(|p| ctx.text((p, "storageClass")))
        .or_else(|| ctx.text("global.storageClass"))
}
