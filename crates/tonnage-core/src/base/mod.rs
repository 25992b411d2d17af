//! Base: what every layer above builds on, knowing nothing of charts or configurations.
//! Kubernetes quantities, values trees with Helm's merge and their diff, the one YAML writer,
//! line diffs and archives.

pub mod archive;
pub mod quantity;
pub mod textdiff;
pub mod values;
pub mod values_diff;
pub mod yaml;
