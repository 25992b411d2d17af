//! Every row of docs/bad-input.md, tested: one test per row, named after its id. A CLI row runs
//! the row's example command and checks exit status 2, an empty stdout and the row's message
//! on stderr; a core row feeds its example to the core and checks the message there. The
//! fragments and commands are read from the document itself, so the two cannot drift apart,
//! and `every_row_has_a_test` checks that the rows and the tests match one to one.

use tonnage_core::catalog::FILES;
use tonnage_core::import::import_values;
use tonnage_core::{Catalog, Configuration};

mod support;
use support::tonnage;

const DOC: &str = include_str!("../../../docs/bad-input.md");
const THIS: &str = include_str!("bad_input.rs");

/// One table row: id, where, example, message fragment.
struct Row {
    id: String,
    place: String,
    example: String,
    message: String,
}

/// The first `code span` of a table cell (single backticks).
fn code(cell: &str) -> Option<String> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(cell[start..start + len].to_string())
}

fn rows() -> Vec<Row> {
    DOC.lines()
        .filter(|l| l.starts_with("| B"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").map(str::trim).collect();
            assert!(cells.len() >= 7, "row with too few cells: {l}");
            let id = cells[0].trim_start_matches('|').trim().to_string();
            Row {
                example: code(cells[3]).unwrap_or_default().replace("\\n", "\n"),
                message: code(cells[4]).unwrap_or_else(|| panic!("{id}: no `message` fragment")),
                place: cells[2].to_string(),
                id,
            }
        })
        .collect()
}

fn row(id: &str) -> Row {
    rows()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("docs/bad-input.md has no row {id}"))
}

/// Run a CLI row's example and check the documented contract: exit 2, stdout empty, stderr
/// `error: ` followed by a message containing the fragment.
fn cli_row(id: &str) {
    let r = row(id);
    assert_eq!(r.place, "CLI", "{id} is not a CLI row");
    let mut words = r.example.split(' ');
    assert_eq!(
        words.next(),
        Some("tonnage"),
        "{id}: example must start with tonnage"
    );
    let o = tonnage(&words.collect::<Vec<_>>());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{id}: {stderr}");
    assert!(o.stdout.is_empty(), "{id}: stdout not empty");
    assert!(stderr.starts_with("error: "), "{id}: {stderr}");
    assert!(
        stderr.contains(&r.message),
        "{id}: stderr {stderr:?} lacks the documented {:?}",
        r.message
    );
}

/// Import a core row's example into rhesis prod: the error's text, or the report.
fn import_row(id: &str) -> (Row, Result<tonnage_core::import::ImportReport, String>) {
    let r = row(id);
    assert!(
        r.place.contains("import::import_values"),
        "{id}: {}",
        r.place
    );
    let cat = Catalog::builtin();
    let config = Configuration::new(cat, &["rhesis"], "prod").unwrap();
    let got = import_values(cat, &config, "rhesis", &r.example).map_err(|e| e.to_string());
    (r, got)
}

fn assert_has(id: &str, text: &str, fragment: &str) {
    assert!(
        text.contains(fragment),
        "{id}: {text:?} lacks the documented {fragment:?}"
    );
}

#[test]
fn every_row_has_a_test() {
    let ids: Vec<String> = rows().into_iter().map(|r| r.id).collect();
    assert!(ids.len() >= 20, "{ids:?}");
    let mut tested: Vec<String> = THIS
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fn b"))
        .filter_map(|rest| rest.split('_').next())
        .map(|n| format!("B{n}"))
        .collect();
    tested.sort();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        tested, sorted,
        "tests (fn bNN_...) and docs/bad-input.md rows differ"
    );
    // Each test cites its own row.
    for id in &ids {
        let n = &id[1..];
        let body: String = THIS
            .split(&format!("fn b{n}_"))
            .nth(1)
            .and_then(|s| s.split("\n}\n").next())
            .unwrap_or_default()
            .to_string();
        assert!(
            body.contains(&format!("\"{id}\"")),
            "test for {id} does not cite it"
        );
    }
}

#[test]
fn b01_malformed_quantity() {
    cli_row("B01");
}

#[test]
fn b02_negative_quantity() {
    cli_row("B02");
}

#[test]
fn b03_unknown_stack() {
    cli_row("B03");
}

#[test]
fn b04_unknown_environment() {
    cli_row("B04");
}

#[test]
fn b05_unknown_values_path() {
    cli_row("B05");
}

#[test]
fn b06_bad_set_syntax() {
    cli_row("B06");
}

#[test]
fn b07_replica_count_not_a_number() {
    cli_row("B07");
}

#[test]
fn b08_broken_link() {
    cli_row("B08");
}

#[test]
fn b09_truncated_link() {
    cli_row("B09");
}

#[test]
fn b10_newer_version_link() {
    cli_row("B10");
}

#[test]
fn b11_credential_link() {
    cli_row("B11");
}

#[test]
fn b12_not_a_tonnage_link() {
    cli_row("B12");
}

#[test]
fn b13_yaml_syntax_error_in_import() {
    let (r, got) = import_row("B13");
    assert_has("B13", &got.expect_err("B13 must fail"), &r.message);
}

#[test]
fn b14_values_file_not_a_map() {
    let (r, got) = import_row("B14");
    assert_has("B14", &got.expect_err("B14 must fail"), &r.message);
}

#[test]
fn b15_unknown_keys_in_import() {
    let (r, got) = import_row("B15");
    let report = got.expect("B15 imports");
    assert_has("B15", &format!("unknown: {:?}", report.unknown), &r.message);
    assert!(report.invalid.is_empty(), "{:?}", report.invalid);
}

#[test]
fn b16_bad_value_in_import() {
    let (r, got) = import_row("B16");
    let report = got.expect("B16 imports");
    assert_has("B16", &format!("invalid: {:?}", report.invalid), &r.message);
    assert!(report.unknown.is_empty(), "{:?}", report.unknown);
}

/// The embedded catalog with rhesis.yaml replaced by `text`.
fn load_with_rhesis(text: &str) -> String {
    let files: Vec<(&str, &str)> = FILES
        .iter()
        .map(|&(name, body)| (name, if name == "rhesis.yaml" { text } else { body }))
        .collect();
    Catalog::load(&files)
        .expect_err("the catalog must be refused")
        .to_string()
}

#[test]
fn b17_catalog_yaml_syntax_error() {
    let r = row("B17");
    assert!(r.place.contains("Catalog::load"));
    assert_has("B17", &load_with_rhesis(&r.example), &r.message);
}

#[test]
fn b18_catalog_names_a_missing_path() {
    let r = row("B18");
    let rhesis = FILES.iter().find(|f| f.0 == "rhesis.yaml").unwrap().1;
    let from = "replicas: backend.replicas";
    assert!(rhesis.contains(from));
    let broken = rhesis.replacen(from, "replicas: backend.replicaz", 1);
    assert_has("B18", &load_with_rhesis(&broken), &r.message);
}

#[test]
fn b19_unknown_option_key() {
    cli_row("B19");
}

#[test]
fn b20_bad_option_value() {
    cli_row("B20");
}

#[test]
fn b21_unknown_cloud() {
    cli_row("B21");
}

#[test]
fn b22_unknown_node_type() {
    cli_row("B22");
}

#[test]
fn b23_unknown_output_format() {
    cli_row("B23");
}

#[test]
fn b24_malformed_external_endpoint() {
    cli_row("B24");
}

#[test]
fn b25_external_endpoint_for_an_unknown_component() {
    cli_row("B25");
}

#[test]
fn b26_old_catalog_path() {
    cli_row("B26");
}

#[test]
fn b27_template_action_in_a_container_list() {
    cli_row("B27");
}

#[test]
fn b28_unmodelled_key() {
    cli_row("B28");
}
