//! Properties checked with proptest (shrinking counterexamples) on top of the modules' own
//! generated tests.
//!
//! - Quantities: printing then parsing gives back the same value, for any value the type can
//!   print (`Quantity::from_nanos` in each format) and for any text in apimachinery's grammar;
//!   after one print-and-parse the printed text no longer changes.
//! - Values paths: any path of non-empty keys (any characters: dots, brackets, backslashes,
//!   spaces) and list indices, written by `format_path`, reads back as the same segments.
//! - "Any configuration -> values bundle -> import gives the same plan" is already a proptest
//!   in `import.rs` (`overrides_survive_bundle_and_import`), so it is not repeated here.

use proptest::prelude::*;
use tonnage_core::quantity::{Format, Quantity};
use tonnage_core::values::{format_path, parse_path, Seg};

const NANO: i128 = 1_000_000_000;

/// apimachinery caps binary-SI values at 2^63-1 bytes when parsing (`9Ei` reads as
/// 9223372036854775807), so only values up to the cap can come back from a binary-SI text.
const BINARY_CAP_NANOS: i128 = i64::MAX as i128 * NANO;

fn format() -> impl Strategy<Value = Format> {
    prop_oneof![
        Just(Format::DecimalSI),
        Just(Format::BinarySI),
        Just(Format::DecimalExponent),
    ]
}

/// Nano-unit counts of every size: small, whole units, whole powers of 1024 and ten, huge.
fn nanos() -> impl Strategy<Value = i128> {
    prop_oneof![
        -1_000_000_000_000i128..1_000_000_000_000,
        (-1_000_000_000i128..1_000_000_000).prop_map(|n| n * NANO),
        (-1_000_000i128..1_000_000, 0u32..7).prop_map(|(n, p)| n * (1i128 << (10 * p)) * NANO),
        (-1_000_000i128..1_000_000, 0u32..30).prop_map(|(n, p)| n * 10i128.pow(p)),
        (i128::MIN + 1)..=i128::MAX,
    ]
}

/// A text in apimachinery's grammar: sign, digits with an optional fraction, and a suffix.
fn quantity_text() -> impl Strategy<Value = String> {
    let digits = |max| prop::collection::vec(0u8..10, 0..max);
    let suffix = prop_oneof![
        prop::sample::select(vec![
            "", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
        ])
        .prop_map(str::to_string),
        (
            prop::sample::select(vec!["e", "E"]),
            prop::sample::select(vec!["", "+", "-"]),
            0u32..40
        )
            .prop_map(|(e, s, n)| format!("{e}{s}{n}")),
    ];
    (
        prop::sample::select(vec!["", "-", "+"]),
        digits(25),
        prop::option::of(digits(15)),
        suffix,
    )
        .prop_map(|(sign, whole, fraction, suffix)| {
            let text = |d: &[u8]| d.iter().map(|d| char::from(b'0' + d)).collect::<String>();
            match fraction {
                Some(f) => format!("{sign}{}.{}{suffix}", text(&whole), text(&f)),
                None => format!("{sign}{}{suffix}", text(&whole)),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Quantity format -> parse is the identity on the value.
    #[test]
    fn quantity_format_then_parse_is_the_identity(n in nanos(), f in format()) {
        let n = if f == Format::BinarySI {
            n.clamp(-BINARY_CAP_NANOS, BINARY_CAP_NANOS)
        } else {
            n
        };
        let q = Quantity::from_nanos(n, f).expect("i128::MIN is excluded");
        let text = q.to_string();
        let back: Quantity = text.parse().map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(back.nanos(), n, "{:?} printed as {:?}", q, text);
        // Printed once more, the text is a fixed point.
        let again = back.to_string();
        let third: Quantity = again.parse().map_err(|e| TestCaseError::fail(format!("{again:?}: {e}")))?;
        prop_assert_eq!(third.nanos(), n);
        prop_assert_eq!(third.to_string(), again);
    }

    /// Any text the parser accepts prints as a text that parses to the same value.
    #[test]
    fn quantity_parse_then_format_keeps_the_value(text in quantity_text()) {
        if let Ok(q) = text.parse::<Quantity>() {
            let shown = q.to_string();
            let back: Quantity = shown.parse().map_err(|e| TestCaseError::fail(format!("{shown:?}: {e}")))?;
            prop_assert_eq!(back.nanos(), q.nanos(), "{:?} printed as {:?}", text, shown);
            let again = back.to_string();
            prop_assert_eq!(again.parse::<Quantity>().map(|x| x.to_string()), Ok(again.clone()));
        }
    }

    /// A path written by `format_path` reads back as the same segments, whatever its keys hold.
    #[test]
    fn values_path_format_then_parse_is_the_identity(
        first in "(?s).{1,8}",
        rest in prop::collection::vec(prop_oneof![
            "[a-z.\\[\\]\\\\ \t-]{1,6}".prop_map(Seg::Key),
            any::<String>().prop_filter("non-empty", |k| !k.is_empty()).prop_map(Seg::Key),
            (0usize..=1000).prop_map(Seg::Index),
        ], 0..6),
    ) {
        let mut segs = vec![Seg::Key(first)];
        segs.extend(rest);
        let text = format_path(&segs);
        let back = parse_path(&text).map_err(|e| TestCaseError::fail(format!("{segs:?} written as {text:?}: {e}")))?;
        prop_assert_eq!(back, segs, "written as {:?}", text);
    }
}

/// Found by the `quantity` fuzz target: a binary-SI value that is a whole number of bytes but
/// not of KiB prints without a suffix, as apimachinery's `CanonicalizeBytes` does, and that text
/// reads back as decimal-SI, which prints differently. The value never changes.
#[test]
fn binary_si_bytes_print_plain_and_then_decimal() {
    let q: Quantity = "187.5Ki".parse().unwrap();
    assert_eq!(q.value(), 192_000);
    assert_eq!(q.to_string(), "192000");
    let back: Quantity = q.to_string().parse().unwrap();
    assert_eq!(back, q);
    assert_eq!(back.format(), Format::DecimalSI);
    assert_eq!(back.to_string(), "192k");
}

/// Found by the `share_decode` fuzz target (a false alarm of its first version, kept as a
/// regression test of the documented behaviour): a link whose override equals the preset by
/// value (`backend.resources.limits.cpu` `2` against rhesis enterprise's `2000m`) decodes with
/// the override, re-encodes without it, and both configurations size the same.
#[test]
fn a_link_override_equal_to_the_preset_by_value_is_dropped_on_reencoding() {
    use tonnage_core::{plan, share, Catalog};
    let cat = Catalog::builtin();
    let link = "v1.4andGQEqANX_u35lbnRlcnByaXNlCreNPTgKt4I9fiIyIgq4noQ9MVRpCraOPWZhbHNl";
    let decoded = share::decode(cat, link).unwrap();
    let rhesis = &decoded.overrides["rhesis"];
    assert_eq!(
        rhesis["backend.resources.limits.cpu"],
        serde_yaml::Value::from("2")
    );
    let again = share::decode(cat, &share::encode(cat, &decoded)).unwrap();
    assert!(!again.overrides["rhesis"].contains_key("backend.resources.limits.cpu"));
    assert_eq!(again.overrides["rhesis"].len(), rhesis.len() - 1);
    let chart = cat.chart("rhesis").unwrap();
    let cpu = |c: &tonnage_core::Configuration| {
        let v = c.effective_values(chart);
        tonnage_core::values::quantity_of(
            tonnage_core::values::lookup(&v, "backend.resources.limits.cpu").unwrap(),
        )
        .unwrap()
    };
    assert_eq!(cpu(&decoded), cpu(&again));
    assert_eq!(plan(cat, &decoded).totals, plan(cat, &again).totals);
}
