//! `import::import_values` on any text, for every chart: it never panics, and an import it
//! accepts applies to the configuration (`ImportReport::apply`) without error. The first byte
//! picks the environment preset the file is imported on; the rest is the values file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tonnage_core::import::import_values;
use tonnage_core::{plan, Catalog, Configuration};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let catalog = Catalog::builtin();
    for chart in &catalog.charts {
        let env = &chart.environments[usize::from(pick) % chart.environments.len()];
        let config = Configuration::new(catalog, &[chart.id.as_str()], &env.id)
            .expect("every chart and environment of the catalog configures");
        let report = match import_values(catalog, &config, &chart.id, text) {
            Ok(r) => r,
            Err(e) => {
                assert!(e.to_string().starts_with("values file for "));
                continue;
            }
        };
        let mut applied = config.clone();
        if let Err(e) = report.apply(catalog, &mut applied, &chart.id) {
            panic!(
                "import into {} {} reported overrides that do not apply: {e}\n{report:?}",
                chart.id, env.id
            );
        }
        // The imported configuration plans (planning never panics).
        let _ = plan(catalog, &applied);
    }
});
