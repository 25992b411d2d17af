//! Where a chart's `render` facts ([`super::render`]) are read from: the chart's own sections
//! when it was parsed from YAML ([`super::Catalog::load`]), else, for the embedded catalog
//! ([`super::Catalog::builtin`]), a JSON file of their own per chart.
//!
//! Only manifest rendering reads these facts (the CLI, the page's worker), so they are not part
//! of the page's first load: `build.rs` takes the chart's and each component's `render` out of
//! the embedded chart JSON and writes them to `<stem>.render.json`; `Catalog::builtin` marks
//! each chart and component with where its facts are ([`Split`]), and [`Chart::render`] and
//! [`Component::render`] read them from there on first use. Code that never asks for them (the
//! page) never links the file. A test checks they equal what `Catalog::load` reads (and
//! validates) from the YAML.
//!
//! On wasm32 the chart's `render` fields are not deserialized at all (as `claims`, `notes`
//! and `audit`): the page would otherwise carry the deserializers of these types, about 20 KB
//! gzip of code, for fields the embedded JSON never has. So `Catalog::load` of YAML is for native
//! builds (the CLI, the tests, the benchmarks), where it keeps each chart's own facts.

use std::sync::OnceLock;

use serde::Deserialize;

use super::render::{ChartRender, ComponentRender};
use super::{Chart, Component};

/// One `<stem>.render.json`: the chart's section and each component's, in the file's order.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Facts {
    #[serde(default)]
    render: Option<ChartRender>,
    #[serde(default)]
    components: Vec<Option<ComponentRender>>,
}

/// The render facts of the embedded catalog, in the order of the embedded chart JSON
/// (`super::JSON_FILES`; a test checks the names agree).
const RENDER_FILES: &[(&str, &str)] = &[
    (
        "cauldron-infra.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-infra.render.json")),
    ),
    (
        "cauldron-frappe.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/cauldron-frappe.render.json")),
    ),
    (
        "rhesis.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/rhesis.render.json")),
    ),
    (
        "caracal.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/caracal.render.json")),
    ),
    (
        "rae-memory.yaml",
        include_str!(concat!(env!("OUT_DIR"), "/rae-memory.render.json")),
    ),
];

/// The embedded facts, read once. A file that does not read is a build defect (the test
/// `embedded_json_gives_the_charts_the_yaml_gives` reads them all).
fn embedded() -> &'static [Facts] {
    static FACTS: OnceLock<Vec<Facts>> = OnceLock::new();
    FACTS.get_or_init(|| super::parse_embedded(RENDER_FILES, "render facts"))
}

/// Where the render facts of an embedded component are: the index of its chart's file in
/// [`RENDER_FILES`] and its index in the chart. `None` (the default, and what a parsed catalog
/// has): in the component's own `render` field. (A chart's is its `embedded` file.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Split(Option<(u16, u16)>);

/// Mark the charts of the embedded catalog, in the order of its files: each chart with its file
/// (where its render facts are in [`RENDER_FILES`], and its audit facts in
/// [`super::audit_facts`]'s files), each component with its place. Reads nothing (the page
/// calls it).
pub(super) fn mark(charts: &mut [Chart]) {
    for (file, chart) in charts.iter_mut().enumerate() {
        let file = u16::try_from(file).expect("a few files");
        chart.embedded = super::Embedded(Some(file));
        for (i, c) in chart.components.iter_mut().enumerate() {
            c.render_split = Split(Some((file, u16::try_from(i).expect("a few components"))));
        }
    }
}

impl Chart {
    /// How the chart's templates write its objects (catalog `render`); `None`: Tonnage's own
    /// layout.
    pub fn render(&self) -> Option<&ChartRender> {
        match self.embedded.0 {
            Some(file) => embedded().get(usize::from(file))?.render.as_ref(),
            None => self.render.as_ref(),
        }
    }
}

impl Component {
    /// How the chart's templates write the component's objects (its `render`).
    pub fn render(&self) -> Option<&ComponentRender> {
        match self.render_split.0 {
            Some((file, i)) => embedded()
                .get(usize::from(file))?
                .components
                .get(usize::from(i))?
                .as_ref(),
            None => self.render.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::{Catalog, FILES};

    /// Each embedded chart gives the render facts its YAML gives, chart and components.
    #[test]
    fn embedded_render_facts_are_the_yamls() {
        assert_eq!(
            RENDER_FILES.iter().map(|f| f.0).collect::<Vec<_>>(),
            super::super::JSON_FILES
                .iter()
                .map(|f| f.0)
                .collect::<Vec<_>>()
        );
        let loaded = Catalog::load(FILES).unwrap_or_else(|e| panic!("{e}"));
        let builtin = Catalog::builtin();
        assert_eq!(loaded.charts.len(), builtin.charts.len());
        let mut components = 0;
        for (from_yaml, embedded) in loaded.charts.iter().zip(&builtin.charts) {
            assert_eq!(from_yaml.embedded, super::super::Embedded::default());
            assert!(embedded.render.is_none(), "{}", embedded.id);
            assert_eq!(from_yaml.render(), embedded.render(), "{}", embedded.id);
            assert_eq!(from_yaml.components.len(), embedded.components.len());
            for (a, b) in from_yaml.components.iter().zip(&embedded.components) {
                assert!(b.render.is_none(), "{}/{}", embedded.id, b.id);
                assert_eq!(a.render(), b.render(), "{}/{}", embedded.id, b.id);
                components += usize::from(a.render().is_some());
            }
        }
        // Not a comparison of nothing with nothing: charts and components have facts.
        assert!(builtin.charts.iter().any(|c| c.render().is_some()));
        assert!(components > 10, "{components}");
    }
}
