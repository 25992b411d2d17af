//! tonnage-core: all of Tonnage's domain logic.
//!
//! - [`quantity`]: Kubernetes resource quantities (apimachinery's grammar and canonical form).
//! - [`catalog`]: the five charts as embedded, validated data files.
//! - [`values`]: Helm values trees, `--set` paths and Helm's merge rules.
//! - [`config`]: a configuration (charts, environment, overrides) and its checks.
//! - [`plan`]: the resource plan for baseline and peak.
//! - [`report`]: the plan as table, JSON, CSV and Markdown.
//! - [`share`]: share links (the configuration in a URL fragment, format v1).
//! - [`capacity`]: node fit per cloud, monthly cost and sizing by expected users.
//! - [`review`]: findings on a configuration, with reasons, sources and fixes.
//! - [`external`]: external endpoints for switched-off dependencies, written into the values.
//! - [`files`]: what the page's Files panel asks of its web worker (preview, archives).
//!
//! Invariants: no web dependency and no IO (the front ends do IO); deterministic output;
//! nothing here panics on any configuration.

pub mod archive;
pub mod bundle;
pub mod capacity;
pub mod catalog;
pub mod compare;
pub mod config;
pub mod diagram;
pub mod external;
pub mod files;
pub mod import;
pub mod kustomize;
pub mod manifests;
pub mod plan;
pub mod quantity;
pub mod report;
pub mod review;
pub mod share;
pub mod textdiff;
pub mod values;

pub use catalog::Catalog;
pub use config::{ConfigError, Configuration};
pub use plan::{plan, Plan};
