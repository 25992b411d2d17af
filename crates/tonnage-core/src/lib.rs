//! tonnage-core: all of Tonnage's domain logic, in layers; each imports only from the ones
//! below it (the tidy test `core_layers_import_only_downward` checks every `crate::` path):
//!
//! - [`base`]: quantities, values trees (Helm's merge, their diff), the one YAML writer, line
//!   diffs, archives.
//! - [`model`]: the catalog of charts (key index, users-sizing schema), cloud instance data and
//!   allocatable, the planning option registry.
//! - [`configuration`]: a configuration and its checks, external endpoints, credentials.
//! - [`compute`]: the plan, node fit and cost, the review, plan comparison, the diagram.
//! - [`outputs`]: report tables, the values bundle, kustomize overlays, manifests, share links,
//!   values import.
//! - [`service`]: the page's web worker protocol (Files panel previews and archives).
//!
//! The crate root re-exports every module under its short name (`tonnage_core::bundle`,
//! `tonnage_core::plan`...): the façade the web app, the CLI and the tests use. Inside the core,
//! paths name the layer (`crate::base::values`).
//!
//! Invariants: no web dependency and no IO (the front ends do IO); deterministic output;
//! nothing here panics on any configuration.

pub mod base;
pub mod compute;
pub mod configuration;
pub mod model;
pub mod outputs;
pub mod service;

pub use base::{archive, quantity, textdiff, values, values_diff, yaml};
pub use compute::{capacity, compare, diagram, plan, review};
pub use configuration::{config, credentials, external};
pub use model::{catalog, cloud, options};
pub use outputs::{bundle, import, kustomize, manifests, report, share};
pub use service::files;

pub use catalog::Catalog;
pub use config::{ConfigError, Configuration};
pub use plan::{plan, Plan};
