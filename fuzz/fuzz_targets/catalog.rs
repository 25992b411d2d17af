//! The catalog loader on any text as a chart file: `parse_chart` and `Catalog::load` never
//! panic, and a chart they accept can be configured and planned in each of its environments.
//! The first byte picks which embedded file the text replaces (so cross-file checks such as
//! `requires` run against the other four); the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tonnage_core::catalog::{parse_chart, FILES};
use tonnage_core::{plan, Catalog, Configuration};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let slot = usize::from(pick) % FILES.len();
    let name = FILES[slot].0;
    if let Err(e) = parse_chart(name, text) {
        assert!(
            e.to_string().contains(name),
            "error does not name the file: {e}"
        );
    }
    let mut files = FILES.to_vec();
    files[slot].1 = text;
    let catalog = match Catalog::load(&files) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let chart = &catalog.charts[slot];
    for env in &chart.environments {
        let Ok(config) = Configuration::new(&catalog, &[chart.id.as_str()], &env.id) else {
            continue;
        };
        let _ = plan(&catalog, &config);
    }
});
