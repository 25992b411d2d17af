//! tonnage-core: all of Tonnage's domain logic.
//!
//! - [`quantity`]: Kubernetes resource quantities (apimachinery's grammar and canonical form).
//! - [`catalog`]: the five charts as embedded, validated data files.
//! - [`values`]: Helm values trees, `--set` paths and Helm's merge rules.
//! - [`config`]: a configuration (charts, environment, overrides) and its checks.
//! - [`plan`]: the resource plan for baseline and peak.
//! - [`report`]: the plan as table, JSON, CSV and Markdown.
//!
//! Invariants: no web dependency and no IO (the front ends do IO); deterministic output;
//! nothing here panics on any configuration.

pub mod archive;
pub mod bundle;
pub mod capacity;
pub mod catalog;
pub mod config;
pub mod import;
pub mod manifests;
pub mod plan;
pub mod quantity;
pub mod report;
pub mod review;
pub mod share;
pub mod values;

pub use catalog::Catalog;
pub use config::{ConfigError, Configuration};
pub use plan::{plan, Plan};
