//! Outputs: a configuration written for others. The plan as tables, the values bundle, the
//! kustomize overlays, the manifests, share links, and the import of a values file back.

pub mod bundle;
pub mod import;
pub mod kustomize;
pub mod manifests;
pub mod report;
pub mod share;
