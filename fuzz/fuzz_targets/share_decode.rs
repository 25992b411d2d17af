//! `share::decode` on any text: it never panics, and a link it accepts re-encodes to a link
//! that decodes to the same configuration (same stacks, environment and options, and the same
//! effective values for every chart, quantities compared by value: the format leaves out
//! overrides equal to the preset, so the override maps themselves may shrink), and whose
//! encoding is then stable. `share::decode_without_yaml` (the page's reader) gives the same
//! result, or `NeedsYaml`.
//!
//! Random text almost never gets past the CRC-32, so an input whose first byte is `0x01` is
//! taken as the *packed text* of a link instead: the target checksums, deflates and base64url
//! encodes the rest into a well-formed `v1.` fragment, which reaches the dictionary expansion,
//! the line parser and `Configuration::set`.
#![no_main]

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};
use libfuzzer_sys::fuzz_target;
use serde_yaml::Value;
use tonnage_core::catalog::Chart;
use tonnage_core::config::{field_kind, FieldKind};
use tonnage_core::values::{get_path, leaf_paths, parse_path, quantity_of};
use tonnage_core::{share, Catalog, Configuration};

fn wrap(packed: &[u8]) -> String {
    let mut crc = Crc::new();
    crc.update(packed);
    let mut encoder = DeflateEncoder::new(crc.sum().to_be_bytes().to_vec(), Compression::fast());
    encoder.write_all(packed).expect("write to a Vec");
    let bytes = encoder.finish().expect("finish into a Vec");
    format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The effective values agree leaf by leaf; at a quantity path, by value (`2` and `2000m`), as
/// the format documents: an override equal to the preset by value is left out of a link.
fn same_values(chart: &Chart, a: &Value, b: &Value) -> bool {
    let mut paths = leaf_paths(a);
    paths.extend(leaf_paths(b));
    paths.iter().all(|path| {
        let Ok(segs) = parse_path(path) else {
            return false;
        };
        let (x, y) = (get_path(a, &segs), get_path(b, &segs));
        x == y
            || (field_kind(chart, path) == FieldKind::Quantity
                && matches!((x.map(quantity_of), y.map(quantity_of)), (Some(Ok(p)), Some(Ok(q))) if p == q))
    })
}

fn same(catalog: &Catalog, a: &Configuration, b: &Configuration) -> bool {
    a.stacks == b.stacks
        && a.env == b.env
        && a.options == b.options
        && a.stacks.iter().all(|id| match catalog.chart(id) {
            Some(chart) => same_values(
                chart,
                &a.effective_values(chart),
                &b.effective_values(chart),
            ),
            None => false,
        })
}

fuzz_target!(|data: &[u8]| {
    let catalog = Catalog::builtin();
    let link = match data.split_first() {
        Some((1, packed)) => wrap(packed),
        _ => match std::str::from_utf8(data) {
            Ok(text) => text.to_string(),
            Err(_) => return,
        },
    };
    let full = share::decode(catalog, &link);
    // The page's reader without YAML agrees, or hands the link on to the full reader.
    match share::decode_without_yaml(catalog, &link) {
        Err(share::ShareError::NeedsYaml) => {}
        plain => assert_eq!(plain, full, "{link:?}: decode_without_yaml differs from decode"),
    }
    let config = match full {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let again = share::encode(catalog, &config);
    let back = share::decode(catalog, &again).unwrap_or_else(|e| {
        panic!("{link:?} decoded, but its re-encoding {again:?} does not: {e}")
    });
    assert!(
        same(catalog, &config, &back),
        "{link:?} -> {config:?}\nre-encoded {again:?} -> {back:?}"
    );
    assert_eq!(
        share::encode(catalog, &back),
        again,
        "encoding of {link:?} is not stable"
    );
});
