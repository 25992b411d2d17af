//! How a chart's templates write its objects (issue 21): the labels its helpers put on every
//! object and selector, how a Service names its target port, and per component the labels,
//! the container's environment and the volumes the templates write. The manifests follow these
//! facts so they are what real Helm renders; a chart without them keeps Tonnage's own layout.
//!
//! Text the chart's authors wrote (a connection string composed in a template, a script) is
//! never copied: an `env` entry with `template` renders as a one-line placeholder naming that
//! template, and the bundle's `render.sh` prints the complete objects with real Helm.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Chart-level facts (`render` at the top of a catalog file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartRender {
    /// The labels every object carries (the chart's labels helper), in addition to its
    /// component's. `{release}` and `{chart}` (`<name>-<version>`) are replaced.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// A values path whose map of labels the helper adds last (`global.labels`).
    #[serde(default)]
    pub labels_from: Option<String>,
    /// The labels every selector and pod template carries before its component's (the
    /// chart's selectorLabels helper, where its selectors use it).
    #[serde(default)]
    pub selector: BTreeMap<String, String>,
    /// A Service's `targetPort`: the container port's `number`, or its `name` (the default).
    #[serde(default)]
    pub target_port: TargetPort,
    /// With an HPA, a workload's `spec.replicas` stays the count its values give (raw files
    /// patched by an overlay) instead of the HPA minimum; the HPA scales it from there, and the
    /// plan's baseline is still the HPA minimum.
    #[serde(default)]
    pub hpa_keeps_replicas: bool,
    /// What a pod template carries: the selector's labels (the default) or the object's.
    #[serde(default)]
    pub pod_labels: PodLabels,
    /// Labels added last to one object, keyed `<Kind>/<name>` (raw manifests label each object
    /// on its own).
    #[serde(default)]
    pub object_labels: BTreeMap<String, BTreeMap<String, String>>,
    /// The namespace the objects go to, from the values, and the Namespace object the files
    /// create.
    #[serde(default)]
    pub namespace: Option<NamespaceRender>,
    /// ConfigMaps the files create (while any workload is rendered): name, the file that
    /// writes it, its keys; a key's value is the value at its values path, else a placeholder
    /// naming the file.
    #[serde(default)]
    pub config_maps: Vec<ConfigMapRender>,
    /// An Ingress backend's Service port: by `name` (the default) or by `number`.
    #[serde(default)]
    pub ingress_port: TargetPort,
    /// The templates write containers' ports without `protocol` (the API server's TCP).
    #[serde(default)]
    pub bare_container_ports: bool,
    /// The templates write no `metadata.namespace`: `helm template` prints none (Helm installs
    /// the objects in the release's namespace, `--namespace`), so neither do the manifests.
    /// The Bitnami charts' objects print theirs whatever this says.
    #[serde(default)]
    pub no_namespace: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodLabels {
    #[default]
    Selector,
    Labels,
}

/// The namespace at a values path (`global.namespace`), and the labels of the Namespace object
/// the files create (beside the chart's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceRender {
    pub values: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// A ConfigMap of the files: its keys, some read from the values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigMapRender {
    pub name: String,
    pub file: String,
    pub keys: Vec<String>,
    /// Key -> values path.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetPort {
    #[default]
    Name,
    Number,
}

/// Per component (`render` in a component).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentRender {
    /// The component's own labels: on its objects, its selector and its pod template.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The component's labels in its selectors, where they are fewer than `labels`.
    #[serde(default)]
    pub selector: Option<BTreeMap<String, String>>,
    /// Given, the workload has one Service of its own, named as the workload (a StatefulSet's
    /// `serviceName`): headless when true. Absent: Tonnage's layout (a StatefulSet gets a
    /// `-headless` Service beside its client Service).
    #[serde(default)]
    pub service_headless: Option<bool>,
    /// More ClusterIP Services of the component: name and the container ports they expose.
    #[serde(default)]
    pub extra_services: Vec<ExtraService>,
    /// The main container's environment as the template writes it, in order; then the list of
    /// `{name, value}` at the values path `env_values` (`backend.env`). Given, it replaces
    /// Tonnage's environment for the image.
    #[serde(default)]
    pub env: Option<Vec<EnvEntry>>,
    #[serde(default)]
    pub env_values: Option<String>,
    /// `envFrom` sources, in order.
    #[serde(default)]
    pub env_from: Vec<EnvFrom>,
    /// The name of the volume the data claim is mounted as, and the sub-path it mounts.
    #[serde(default)]
    pub data_volume: Option<String>,
    #[serde(default)]
    pub data_sub_path: Option<String>,
    /// ConfigMaps the template mounts. Given, they replace Tonnage's own.
    #[serde(default)]
    pub config_volumes: Vec<ConfigVolume>,
    /// The main container's command and args as the template writes them.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub args: Option<Vec<String>>,
    /// Init containers by name as the template writes them: their env (and no resources,
    /// which these templates do not set).
    #[serde(default)]
    pub init_env: BTreeMap<String, Vec<EnvEntry>>,
    /// A values path whose list the template prints inline (`command: {{ .Values.x }}`): Go
    /// prints `[a b c]`, which YAML reads as a flow list of one item, the words joined by
    /// spaces (split at commas).
    #[serde(default)]
    pub command_inline: Option<String>,
    /// The client Service's name as the template writes it (a fixed name, not the
    /// workload's), and per port name the values path of the Service's port number.
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub service_ports: BTreeMap<String, String>,
    /// The client Service's `targetPort`, where it differs from the chart's (`target_port`).
    #[serde(default)]
    pub target_port: Option<TargetPort>,
    /// emptyDir volumes the template always mounts: name and path (RAE's `tmp` at /tmp).
    /// Tonnage adds none of its own for these paths.
    #[serde(default)]
    pub empty_dirs: Vec<EmptyDirMount>,
    /// The template leaves `replicas` out while the component's HPA is on (RAE's
    /// `{{- if not .Values.memoryApi.autoscaling.enabled }}`): the HPA sets it.
    #[serde(default)]
    pub replicas_unset_under_hpa: bool,
    /// The component is installed as a release of another chart (RAE's Qdrant): that chart's
    /// labels, selector and target port replace the chart's on its objects.
    #[serde(default)]
    pub release: Option<ChartRender>,
    /// The labels its headless Service adds to the common ones (Qdrant's
    /// `app.kubernetes.io/component: cluster-discovery`).
    #[serde(default)]
    pub headless_labels: BTreeMap<String, String>,
    /// A StatefulSet's `podManagementPolicy` and `updateStrategy.type` where the template
    /// writes them (Qdrant: Parallel, RollingUpdate).
    #[serde(default)]
    pub pod_management_policy: Option<String>,
    #[serde(default)]
    pub update_strategy: Option<String>,
    /// The pod's and the main container's `securityContext` as the template writes them;
    /// absent: the template writes none (Tonnage's restricted contexts are then the hardening
    /// overlay's).
    #[serde(default)]
    pub pod_security: Option<WrittenMap>,
    #[serde(default)]
    pub container_security: Option<WrittenMap>,
    /// A Deployment's `strategy.type` where the template writes one (Caracal's raw files:
    /// RollingUpdate).
    #[serde(default)]
    pub strategy: Option<String>,
    /// Its `rollingUpdate` where the template writes one: `maxSurge` and `maxUnavailable`, a
    /// number or a percentage ("25%").
    #[serde(default)]
    pub rolling_update: Option<RollingUpdateRender>,
    /// The pod anti-affinity the template writes; absent: none (Tonnage's is then the
    /// hardening overlay's).
    #[serde(default)]
    pub anti_affinity: Option<AntiAffinityRender>,
}

/// A Deployment's `rollingUpdate` as a template writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollingUpdateRender {
    #[serde(default)]
    pub max_surge: Option<String>,
    #[serde(default)]
    pub max_unavailable: Option<String>,
}

/// One pod anti-affinity term as a template writes it: preferred with `weight`, or required
/// without; its label selector's `matchExpressions` (operator `In`: label key, values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AntiAffinityRender {
    #[serde(default)]
    pub weight: Option<i32>,
    pub match_in: BTreeMap<String, Vec<String>>,
    pub topology_key: String,
}

/// A Service beside the component's own, exposing some of its ports by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraService {
    pub name: String,
    pub ports: Vec<String>,
}

/// An emptyDir volume and where the main container mounts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyDirMount {
    pub name: String,
    pub path: String,
}

/// A map the template writes (a `securityContext`): written when every values path of `when`
/// is true and none of `unless` is (Go template truth: false, 0, empty and null are false);
/// its `fields` by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrittenMap {
    #[serde(default)]
    pub when: Vec<String>,
    #[serde(default)]
    pub unless: Vec<String>,
    pub fields: BTreeMap<String, WrittenField>,
}

/// One field of a [`WrittenMap`]: exactly one of `value` (the literal text the template
/// writes, read as YAML as Helm's output is: "999" is a number) or `values` (the value at that
/// path; left out when null, and with `if_set` also when false, 0 or empty, as the template's
/// `if` around it does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrittenField {
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub values: Option<String>,
    #[serde(default)]
    pub if_set: bool,
}

impl WrittenMap {
    /// The values paths it reads.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.when
            .iter()
            .chain(&self.unless)
            .map(String::as_str)
            .chain(self.fields.values().filter_map(|f| f.values.as_deref()))
    }
}

/// One environment variable as the template writes it: exactly one of `value` (a literal
/// the template sets), `values` (a values path), `template` (text the chart's authors wrote:
/// rendered as a placeholder naming the template), `secret` or `config_map` (a key reference),
/// `field` (a field of the pod: `metadata.name`), `pods` (a StatefulSet's pod addresses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvEntry {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub values: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub secret: Option<KeyRef>,
    #[serde(default)]
    pub config_map: Option<KeyRef>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub pods: Option<PodList>,
}

/// The addresses of a StatefulSet's pods, for as many as the values count: `<prefix><i><suffix>`
/// for each ordinal `i`, joined by `sep` (a raw file spells them out for its default count).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodList {
    pub count: String,
    pub prefix: String,
    pub suffix: String,
    pub sep: String,
}

/// A Secret's or ConfigMap's key: the object's name at the values path `name_at` (or the
/// literal `name`), the key at the values path `key_at` or the literal `key`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRef {
    #[serde(default)]
    pub name_at: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub key_at: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
}

/// An `envFrom` source: the ConfigMap or Secret named at a values path, or the ConfigMap
/// named `config_map`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvFrom {
    #[serde(default)]
    pub config_map: Option<String>,
    #[serde(default)]
    pub config_map_at: Option<String>,
    #[serde(default)]
    pub secret_at: Option<String>,
}

/// A ConfigMap mounted as a volume (`{release}` in its name is the release name): whole at
/// `path`, or key by key (`mounts`: a path and the key it mounts as `sub_path`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigVolume {
    pub name: String,
    pub config_map: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub mounts: Vec<SubMount>,
    /// The volume's `defaultMode` (octal in the template: 0755 is 493).
    #[serde(default)]
    pub mode: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubMount {
    pub path: String,
    pub sub_path: String,
}

impl EnvEntry {
    /// The values paths the entry reads (validated against the chart's values).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        let refs = [&self.secret, &self.config_map]
            .into_iter()
            .flatten()
            .flat_map(|r| [r.name_at.as_deref(), r.key_at.as_deref()]);
        let count = self.pods.as_ref().map(|p| p.count.as_str());
        self.values
            .as_deref()
            .into_iter()
            .chain(count)
            .chain(refs.flatten())
    }

    /// Whether its Secret or ConfigMap reference names the object once (`name_at` or `name`)
    /// and the key once (`key_at` or `key`).
    pub fn refs_complete(&self) -> bool {
        [&self.secret, &self.config_map]
            .into_iter()
            .flatten()
            .all(|r| {
                r.name_at.is_some() != r.name.is_some() && r.key_at.is_some() != r.key.is_some()
            })
    }

    /// How many sources the entry names (exactly one is valid).
    pub fn sources(&self) -> usize {
        usize::from(self.value.is_some())
            + usize::from(self.values.is_some())
            + usize::from(self.template.is_some())
            + usize::from(self.secret.is_some())
            + usize::from(self.config_map.is_some())
            + usize::from(self.field.is_some())
            + usize::from(self.pods.is_some())
    }
}

impl ComponentRender {
    /// Every values path the component's rendering facts read.
    pub fn paths(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .env
            .iter()
            .flatten()
            .chain(self.init_env.values().flatten())
            .flat_map(EnvEntry::paths)
            .collect();
        out.extend(self.env_values.as_deref());
        out.extend(self.command_inline.as_deref());
        out.extend(self.service_ports.values().map(String::as_str));
        for w in [&self.pod_security, &self.container_security]
            .into_iter()
            .flatten()
        {
            out.extend(w.paths());
        }
        for f in &self.env_from {
            out.extend(f.config_map_at.as_deref());
            out.extend(f.secret_at.as_deref());
        }
        out.extend(self.release.as_ref().and_then(|r| r.labels_from.as_deref()));
        out
    }
}
