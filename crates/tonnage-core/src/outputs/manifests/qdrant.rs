//! The Qdrant chart (qdrant/qdrant-helm, chart 1.17.0) where a bundle installs it as a release
//! of its own (RAE's `<release>-qdrant`): what its templates do that the catalog's data does
//! not express. Its labels, selector and target ports are the component's `render.release`,
//! its env and volumes the component's `render`; here: the init container that hands the data
//! volumes to the container's user (templates/statefulset.yaml, `updateVolumeFsOwnership`, on
//! by default), the ServiceAccount the pods run as (templates/serviceaccount.yaml) and the
//! ConfigMap of its start script and configuration (templates/configmap.yaml, text its authors
//! wrote: placeholders).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, Container, ExecAction, Lifecycle, LifecycleHandler, SeccompProfile,
    SecurityContext, ServiceAccount,
};

use super::{image_of, meta, mount, object_name, template_placeholder, Ctx, Extras, Sink, Work};
use crate::model::catalog::render::WrittenMap;
use crate::model::catalog::Component;

/// The volumes the init container mounts: the storage claim and the snapshots volume.
const DATA_VOLUMES: [(&str, &str); 2] = [
    ("qdrant-storage", "/qdrant/storage"),
    ("qdrant-snapshots", "/qdrant/snapshots"),
];

/// The main container's preStop hook (values.yaml `lifecycle`): in-flight requests finish
/// before the pod leaves the Service.
const PRE_STOP: [&str; 2] = ["sleep", "3"];

/// The ConfigMap's keys (`qdrant-config`, mounted key by key).
const CONFIG_KEYS: [&str; 2] = ["initialize.sh", "production.yaml"];

/// The pod: the init container `ensure-dir-ownership` (no resources: the template sets none,
/// catalog `render.init_env`), the ServiceAccount named after the release, the preStop hook.
pub(super) fn workload(ctx: &Ctx, c: &Component, x: &mut Extras) {
    // `updateVolumeFsOwnership: false` leaves the volumes to the pod's fsGroup: no init
    // container (`image.useUnprivilegedImage`, the other switch, is catalog `unmodelled`).
    let prefix = super::own_prefix(c).unwrap_or_default();
    let chown = ctx.bool_at((prefix, "updateVolumeFsOwnership"), true);
    if let Some(owner) = owner(ctx, c).filter(|_| chown) {
        ensure_dir_ownership(ctx, c, owner, x);
    }
    x.service_account = Some(object_name(ctx, c));
    x.lifecycle = Some(Lifecycle {
        pre_stop: Some(LifecycleHandler {
            exec: Some(ExecAction {
                command: Some(PRE_STOP.iter().map(|a| a.to_string()).collect()),
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
}

/// The `<user>:<group>` the init container hands the data volumes to: the container's
/// `runAsUser` and the pod's `fsGroup` as the catalog's `render.container_security` and
/// `render.pod_security` give them (the chart's containerSecurityContext and
/// podSecurityContext). `None` without a user: the template then writes no init container.
fn owner(ctx: &Ctx, c: &Component) -> Option<String> {
    let r = c.render()?;
    let field = |w: Option<&WrittenMap>, name: &str| {
        let f = w?.fields.get(name)?;
        f.value
            .clone()
            .or_else(|| f.values.as_deref().and_then(|p| ctx.text(p)))
    };
    let user = field(r.container_security.as_ref(), "runAsUser")?;
    let group = field(r.pod_security.as_ref(), "fsGroup").unwrap_or_else(|| "0".into());
    Some(format!("{user}:{group}"))
}

fn ensure_dir_ownership(ctx: &Ctx, c: &Component, owner: String, x: &mut Extras) {
    let (image, _) = image_of(ctx, c);
    let mut command: Vec<String> = vec!["chown".into(), "-R".into(), owner];
    command.extend(DATA_VOLUMES.iter().map(|(_, path)| path.to_string()));
    x.init.push(Container {
        name: "ensure-dir-ownership".into(),
        image: Some(image),
        command: Some(command),
        security_context: Some(root_chown_security()),
        volume_mounts: Some(
            DATA_VOLUMES
                .iter()
                .map(|(name, path)| mount(name, path))
                .collect(),
        ),
        ..Default::default()
    });
}

/// The init container's security context in the hardening overlay. `chown -R` of a volume
/// whose files belong to another user needs root with `CAP_CHOWN` (and `CAP_DAC_OVERRIDE` to
/// walk directories the previous owner made private): the template leaves it root (no
/// securityContext, the qdrant/qdrant image's root user), so the overlay keeps it root
/// (`runAsUser: 0`, overriding the pod's `runAsNonRoot`) and only takes away what `chown` does
/// not need: every other capability, privilege escalation, a writable root filesystem. As the
/// pod's user (1000) it would fail with EPERM on a fresh volume and the pod would never start.
fn root_chown_security() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            add: Some(vec!["CHOWN".into(), "DAC_OVERRIDE".into()]),
            drop: Some(vec!["ALL".into()]),
        }),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(false),
        run_as_user: Some(0),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The release's ServiceAccount and ConfigMap, both named after the release.
pub(super) fn objects(ctx: &Ctx, sink: &mut Sink, w: &Work) {
    let name = w.name.clone();
    let sa = ServiceAccount {
        metadata: meta(ctx, &name, Some(&w.c.id)),
        ..Default::default()
    };
    sink.push("ServiceAccount", &name, sa);
    let data: BTreeMap<String, String> = CONFIG_KEYS
        .iter()
        .map(|k| {
            (
                k.to_string(),
                template_placeholder("templates/configmap.yaml"),
            )
        })
        .collect();
    let cm = ConfigMap {
        metadata: meta(ctx, &name, Some(&w.c.id)),
        data: Some(data),
        ..Default::default()
    };
    sink.push("ConfigMap", &name, cm);
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::StatefulSet;

    use crate::catalog::Catalog;
    use crate::config::Configuration;

    /// What the hardening overlay builds for RAE's Qdrant: the init container that chowns the
    /// volumes stays root with `CAP_CHOWN` (as the pod's user it would fail on a fresh volume),
    /// the main container runs as the chart's non-root user, and no token is mounted (Qdrant
    /// never calls the API).
    #[test]
    fn the_hardened_init_container_can_chown_a_fresh_volume() {
        let cat = Catalog::builtin();
        for env in ["dev", "staging", "prod"] {
            let config = Configuration::new(cat, &["rae-memory"], env).unwrap();
            let ms = super::super::render_hardened(cat, &config);
            let m = ms
                .iter()
                .find(|m| m.kind == "StatefulSet" && m.name == "rae-memory-qdrant")
                .unwrap();
            let s: StatefulSet = serde_yaml::from_str(&m.yaml).unwrap();
            let pod = s.spec.template.spec.unwrap();
            let init = &pod.init_containers.as_ref().unwrap()[0];
            assert_eq!(init.name, "ensure-dir-ownership");
            assert_eq!(init.command.as_ref().unwrap()[0], "chown");
            let sc = init.security_context.clone().unwrap();
            assert_eq!((sc.run_as_user, sc.run_as_non_root), (Some(0), Some(false)));
            let caps = sc.capabilities.unwrap();
            assert!(caps.add.unwrap().contains(&"CHOWN".to_string()));
            assert_eq!(caps.drop.unwrap(), ["ALL"]);
            let main = pod.containers[0].security_context.clone().unwrap();
            assert_eq!(
                (main.run_as_user, main.run_as_non_root),
                (Some(1000), Some(true))
            );
            assert_eq!(pod.automount_service_account_token, Some(false));
        }
    }
}
