//! The Kubernetes objects each chart would create for a configuration, as YAML: what
//! `helm template` would print, built from typed k8s-openapi objects (never untyped maps), with
//! two small typed structs of our own for the CRDs (ServiceMonitor, ExternalSecret).
//!
//! Every figure is read from [`Configuration::effective_values`] through the component's
//! `values` paths of the catalog, with the same rules as [`crate::plan`] (presets, a missing
//! request defaulting to the limit, HPA minimum as the baseline, sidecars counted in their pod,
//! every claim template per replica, standalone claims once), so the manifests and the plan
//! agree; a test parses the YAML back and checks the sums against the plan, per workload and in
//! total. The chart-specific parts (secrets, ConfigMaps, Ingress, network policies, monitoring)
//! read the real charts' keys and render what their templates render, in Tonnage's own layout;
//! they are not yet the charts' exact output.
//!
//! Release name = chart id; workloads are named as the real chart names them (the catalog's
//! `workload` / `workload_when`), else `<release>-<component>`; a StatefulSet's headless
//! Service is `<workload>-headless` (or its own Service: `render.service_headless`). Namespace =
//! the catalog's namespace (or the values' at `render.namespace`). The Bitnami charts
//! (`bitnami/`) are named, labelled and laid out exactly as their templates do it.
//!
//! Total: never panics; a missing or malformed figure leaves its field out. Deterministic:
//! charts in configuration (catalog) order, then Helm's install order of kinds, then name.
//!
//! One concern a file, in `manifests/`: `context` reads the values,
//! `components` says what each component is and the figures the plan counts (`Work`),
//! `labels` names and labels the objects, `containers` and `extras` build the containers,
//! `workloads` the Deployments, StatefulSets and Services, `autoscaler` the HPAs, `objects`
//! the chart-level objects (Secrets, ConfigMaps, Ingress, ServiceMonitors) with the CRD types of
//! `crds`, `hardening` what the overlay adds; every object goes to the `output` sink. This
//! file holds the entry points and the dispatch: `ChartModule`, one small module per chart
//! whose templates do what the catalog's data cannot express (`chart_module`), and the
//! Bitnami charts' module (`bitnami`), which renders their workloads whole.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::base::values::lookup;
use crate::configuration::config::Configuration;
use crate::model::catalog::{Catalog, Component};

mod autoscaler;
mod components;
mod containers;
mod context;
mod crds;
mod extras;
mod hardening;
mod labels;
mod objects;
mod output;
mod workloads;

// Per-chart modules: what a chart's templates do that its catalog's data cannot express
mod bitnami;
mod caracal;
mod cauldron_frappe;
mod cauldron_infra;
mod plain;
mod qdrant;
mod rae_memory;

// The items this file and the per-chart modules use (`super::...`), and the public API.
use self::autoscaler::utilization_metric;
use self::components::{
    base, i32_of, image_of, k8s_q, object_name, own_prefix, work, Claim, Family, Work,
};
use self::containers::{
    config_map_volume, container_security, env, env_field, env_secret, init_resources, mount,
    pod_security, read_only_mount, secret_volume, sh_quote, SecretRef,
};
use self::context::{entry, scalar_text, Ctx};
pub use self::crds::{
    ExternalSecret, ExternalSecretData, ExternalSecretSpec, ExternalSecretTarget, RelabelConfig,
    RemoteRef, SecretStoreRef, ServiceMonitor, ServiceMonitorEndpoint, ServiceMonitorSpec,
};
pub use self::extras::{generated_placeholder, template_placeholder};
use self::extras::{kebab, Extras};
pub use self::hardening::hardening_overlay;
use self::hardening::{
    apply_patch, dns_egress, ingress_from, internet_443, network_policy, np_port, resource_patch,
    Hardening,
};
use self::labels::{chart_labels, component_selector, labels, match_labels, meta, selector_labels};
pub use self::objects::PLACEHOLDER;
use self::objects::{
    base64_data, chart_secrets, config_maps, ingress, monitoring, rule, write_secrets,
};
pub use self::output::{multi_doc, multi_doc_files, per_object_files, Manifest};
use self::output::{Rendered, Sink};
use self::workloads::{render_workload, service_ports, shared_claims};

/// An object as block-style YAML that means the same to YAML 1.1 readers (Kubernetes'
/// sigs.k8s.io/yaml, which reads `yes`, `on`, `no` as booleans) as to YAML 1.2 ones, multi-line
/// strings (scripts, JSON in ConfigMaps) as literal blocks: the core's one writer.
pub use crate::base::yaml::to_yaml_blocks as to_yaml;

/// What a chart's templates do beyond the catalog's data (its `render` facts and values
/// paths), in one small module per chart. Every hook defaults to nothing.
trait ChartModule {
    /// A component's container environment and init containers, before the catalog's
    /// `render` facts (which may replace them) are applied.
    fn workload(&self, _ctx: &Ctx, _c: &Component, _x: &mut Extras) {}
    /// The Secrets the chart renders: name, keys and the values the templates write.
    fn secrets(&self, _ctx: &Ctx) -> Vec<(String, Vec<(&'static str, String)>)> {
        Vec::new()
    }
    /// Whether the chart's Secrets hold their values base64 in `data` (`b64enc`), not in
    /// `stringData`.
    fn secrets_in_data(&self) -> bool {
        false
    }
    /// The ConfigMaps the chart renders while any of its workloads does: name and data.
    fn config_maps(&self, _ctx: &Ctx) -> Vec<(String, BTreeMap<String, String>)> {
        Vec::new()
    }
    /// Objects beside the workloads' (a Namespace, PodDisruptionBudgets, more Services).
    fn objects(&self, _ctx: &Ctx, _sink: &mut Sink, _works: &[Work]) {}
}

/// The one dispatch point: the module of a chart that has one.
fn chart_module(chart: &str) -> Option<&'static dyn ChartModule> {
    match chart {
        "caracal" => Some(&caracal::Caracal),
        "cauldron-frappe" => Some(&cauldron_frappe::CauldronFrappe),
        "cauldron-infra" => Some(&cauldron_infra::CauldronInfra),
        "rae-memory" => Some(&rae_memory::RaeMemory),
        _ => None,
    }
}

/// The Kubernetes objects each chart of the configuration would create.
pub fn render(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    let mut all = Vec::new();
    for id in &config.stacks {
        all.extend(render_stack(catalog, config, id));
    }
    all
}

/// The objects of one chart of the configuration: [`render`]'s items for that chart, in the
/// same order (empty when the configuration or the catalog lacks it). For previews of one file.
pub fn render_stack(catalog: &Catalog, config: &Configuration, id: &str) -> Vec<Manifest> {
    render_chart_of(catalog, config, id, true).plain
}

/// What hardens each chart of the configuration beyond what its templates render: the objects
/// the charts lack (PodDisruptionBudgets for workloads with more than one replica). They are
/// never in [`render`], which stays what Helm renders; the bundle lays them out as a kustomize
/// overlay over that render ([`hardening_overlay`]).
pub fn render_hardening(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    config
        .stacks
        .iter()
        .flat_map(|id| render_both(catalog, config, id).hardening)
        .collect()
}

/// The hardening overlay's patches: per workload, a strategic-merge patch (the workload's kind
/// and name, `yaml` the partial object) giving resources to the containers the chart leaves
/// without (its init containers) and, for a chart whose templates are known, what Tonnage
/// adds to its pods beyond them (restricted security contexts, anti-affinity and spread, no
/// token, no service links, Recreate for a ReadWriteOnce volume): only what the chart leaves
/// out.
pub fn render_patches(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    config
        .stacks
        .iter()
        .flat_map(|id| render_both(catalog, config, id).patches)
        .collect()
}

/// What `kubectl kustomize` builds from the hardening overlay: the plain render with the
/// patches applied, then the added objects. What checkov checks.
pub fn render_hardened(catalog: &Catalog, config: &Configuration) -> Vec<Manifest> {
    let mut out = Vec::new();
    for id in &config.stacks {
        let r = render_both(catalog, config, id);
        for mut m in r.plain {
            for p in r
                .patches
                .iter()
                .filter(|p| p.kind == m.kind && p.name == m.name)
            {
                m.yaml = apply_patch(&m.yaml, &p.yaml);
            }
            out.push(m);
        }
        out.extend(r.hardening);
    }
    out
}

fn render_both(catalog: &Catalog, config: &Configuration, id: &str) -> Rendered {
    render_chart_of(catalog, config, id, false)
}

/// [`render_both`]; `plain_only`: without the hardening (its lists left empty).
fn render_chart_of(
    catalog: &Catalog,
    config: &Configuration,
    id: &str,
    plain_only: bool,
) -> Rendered {
    let mut all = Rendered::default();
    if let Some(chart) = catalog
        .chart(id)
        .filter(|_| config.stacks.iter().any(|s| s == id))
    {
        let values = config.effective(chart);
        // The namespace the chart's files take from the values (catalog `render.namespace`).
        let namespace = chart
            .render()
            .and_then(|r| r.namespace.as_ref())
            .and_then(|n| lookup(&values, &n.values))
            .and_then(scalar_text)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| chart.chart.namespace.clone());
        let name = labels::name_label(chart, &values);
        let ctx = Ctx {
            chart,
            values,
            release: chart.id.clone(),
            namespace,
            prints_namespace: !chart.render().is_some_and(|r| r.no_namespace),
            chart_label: format!("{}-{}", chart.chart.name, chart.chart.version),
            name,
            labels: Rc::default(),
        };
        let mut sink = Sink::new(&chart.id, Rc::clone(&ctx.labels));
        sink.plain_only = plain_only;
        if let Some(r) = chart.render() {
            sink.object_labels.clone_from(&r.object_labels);
        }
        render_chart(&ctx, &mut sink);
        all = sink.finish();
    }
    all
}

fn render_chart(ctx: &Ctx, sink: &mut Sink) {
    let works: Vec<Work> = ctx
        .chart
        .components
        .iter()
        .filter(|c| c.is_rendered(&ctx.values))
        .map(|c| work(ctx, c))
        .collect();

    chart_secrets(ctx, sink);
    let shared = shared_claims(ctx, &works, sink);
    for w in works.iter().filter(|w| !bitnami::renders(ctx, w)) {
        render_workload(ctx, sink, w, &shared);
    }
    bitnami::render(ctx, sink, &works);
    config_maps(ctx, sink, &works);
    ingress(ctx, sink, &works);
    monitoring(ctx, sink, &works);
    if let Some(m) = chart_module(&ctx.chart.id) {
        m.objects(ctx, sink, &works);
    }

    write_secrets(ctx, sink);
}

#[cfg(test)]
use self::extras::inline_list;
#[cfg(test)]
mod tests;
