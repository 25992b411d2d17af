//! `Quantity::from_str` on any text: it never panics, and a quantity it accepts prints in a
//! canonical form that parses back to the same value; printed and parsed once more, the text no
//! longer changes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tonnage_core::quantity::Quantity;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let quantity = match text.parse::<Quantity>() {
        Ok(q) => q,
        Err(e) => {
            // The message quotes (a prefix of) the input and never panics to build.
            assert!(e.to_string().starts_with("invalid quantity "));
            return;
        }
    };
    let shown = quantity.to_string();
    let back: Quantity = shown
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} printed as {shown:?}, which does not parse: {e}"));
    assert_eq!(
        back.nanos(),
        quantity.nanos(),
        "{text:?} printed as {shown:?}, which parses to another value"
    );
    // The printed text need not be a fixed point: like apimachinery, a binary-SI value that is
    // not a whole number of Ki prints without a suffix (`187.5Ki` -> `192000`), which then
    // parses as decimal-SI and prints `192k`. From there on the text is stable.
    let again = back.to_string();
    let third: Quantity = again.parse().expect("canonical form parses");
    assert_eq!(third.nanos(), quantity.nanos());
    assert_eq!(
        third.to_string(),
        again,
        "canonical form of {text:?} is not stable"
    );
    // The serde form is the canonical text too.
    let json = serde_json::to_string(&quantity).unwrap_or_default();
    assert_eq!(json, format!("\"{shown}\""));
    // Accessors saturate rather than overflow.
    let _ = (quantity.value(), quantity.milli_value(), -quantity);
});
