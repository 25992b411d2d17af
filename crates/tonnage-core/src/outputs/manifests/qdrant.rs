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
    ConfigMap, Container, ExecAction, Lifecycle, LifecycleHandler, ServiceAccount,
};

use super::{
    container_security, image_of, meta, mount, object_name, template_placeholder, Ctx, Extras,
    Sink, Work,
};
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
    if let Some(owner) = owner(ctx, c) {
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
        security_context: Some(container_security(ctx, c)),
        volume_mounts: Some(
            DATA_VOLUMES
                .iter()
                .map(|(name, path)| mount(name, path))
                .collect(),
        ),
        ..Default::default()
    });
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
