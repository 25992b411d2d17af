//! Build step: each catalog file (`catalog/*.yaml`) is also embedded as compact JSON, which
//! [`Catalog::builtin`](src/catalog.rs) reads. The page then carries no YAML comments or
//! indentation and needs no YAML parser to start: the JSON is a third the size and parses
//! several times faster. The YAML files stay the source (and what `Catalog::load` reads); a
//! test checks that both forms give equal charts.
//!
//! The conversion refuses what JSON cannot carry unchanged: YAML tags, keys that are not
//! strings, and floats that are not finite.

use std::path::Path;

use serde_yaml::Value;

/// Top-level fields of a catalog file left out of the embedded JSON (see `main`); keep in step
/// with `catalog::DOCUMENTATION_ONLY`.
const DOCUMENTATION_ONLY: &[&str] = &["claims", "notes", "audit"];

/// The key indexes of the kustomize overlays, one `<chart>.yaml` each (see `main`).
const OVERLAY_KEYS: &str = "../../tests/data/overlay-keys";

/// The field, at the top of a catalog file and in each component, that only manifest rendering
/// reads: it goes to `<stem>.render.json` (see `main`; read by `catalog::render_facts`).
const RENDER: &str = "render";

fn main() {
    let dir = Path::new("catalog");
    println!("cargo:rerun-if-changed=catalog");
    println!("cargo:rerun-if-changed={OVERLAY_KEYS}");
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("catalog/ is readable")
        .map(|e| e.expect("catalog/ is readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    names.sort();
    for path in names {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("catalog file is readable");
        let value: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()));
        if let Err(at) = json_safe(&value, &mut String::new()) {
            panic!(
                "{}: {at}: JSON cannot carry this value unchanged",
                path.display()
            );
        }
        // `claims` and `notes` are documentation (the guide's words beside what the chart does,
        // where the guide contradicts itself): nothing reads them at run time, so the page's
        // first load does not carry them. `Catalog::load` reads and validates them from the YAML.
        // `claims` and `audit` are what the chart audit reads: they go to `<stem>.audit.json`,
        // which only the audit's code embeds (the CLI, the page's worker).
        let mut value = value;
        let mut facts = serde_yaml::Mapping::new();
        if let Value::Mapping(m) = &mut value {
            for k in DOCUMENTATION_ONLY {
                if let Some(v) = m.remove(*k) {
                    if *k != "notes" {
                        facts.insert(Value::String((*k).to_string()), v);
                    }
                }
            }
        }
        let render = split_render(&mut value);
        let json = serde_json::to_string(&value).expect("a checked tree converts to JSON");
        let stem = path.file_stem().expect("a file name").to_string_lossy();
        // The keys real Helm's probe found the chart's templates read, and those it found dead
        // (`tests/data/real-helm/<chart>/keys.yaml`): the audit's dead-setting rule reads them.
        // Only the embedded charts have them (`Chart::audit_facts`).
        let keys = Path::new("../../tests/data/real-helm")
            .join(&*stem)
            .join("keys.yaml");
        println!("cargo:rerun-if-changed={}", keys.display());
        // For a chart deployed from raw manifests, the keys the bundle's kustomize overlay reads
        // (`tests/data/overlay-keys/<chart>.yaml`, written and checked by the test
        // `overlay_keys`): what reaches those manifests.
        // (The folder is watched as a whole: most charts have no such file, and a missing
        // file would make cargo run this script at every build.)
        let overlay = Path::new(OVERLAY_KEYS).join(format!("{stem}.yaml"));
        for (field, file) in [("keys", &keys), ("overlay", &overlay)] {
            if let Ok(text) = std::fs::read_to_string(file) {
                let mut k: serde_yaml::Mapping = serde_yaml::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", file.display()));
                k.remove("commit");
                facts.insert(Value::String(field.into()), Value::Mapping(k));
            }
        }
        let facts = serde_json::to_string(&Value::Mapping(facts)).expect("a checked tree");
        std::fs::write(Path::new(&out).join(format!("{stem}.audit.json")), facts)
            .expect("OUT_DIR is writable");
        let render = serde_json::to_string(&render).expect("a checked tree");
        std::fs::write(Path::new(&out).join(format!("{stem}.render.json")), render)
            .expect("OUT_DIR is writable");
        std::fs::write(Path::new(&out).join(format!("{stem}.json")), json)
            .expect("OUT_DIR is writable");
    }
}

/// Take the `render` sections out of a catalog file: how the chart's templates write its
/// objects, which only manifest rendering reads (the CLI, the page's worker), so the page's first
/// load does not carry them. Returns `{render, components}`: the chart's section (absent when it
/// has none) and each component's, in the file's order (`null` where it has none).
fn split_render(file: &mut Value) -> Value {
    let mut facts = serde_yaml::Mapping::new();
    let Value::Mapping(m) = file else {
        return Value::Mapping(facts);
    };
    if let Some(r) = m.remove(RENDER) {
        facts.insert(Value::String(RENDER.into()), r);
    }
    if let Some(Value::Sequence(components)) = m.get_mut("components") {
        let each = components
            .iter_mut()
            .map(|c| match c {
                Value::Mapping(c) => c.remove(RENDER).unwrap_or(Value::Null),
                _ => Value::Null,
            })
            .collect();
        facts.insert(Value::String("components".into()), Value::Sequence(each));
    }
    Value::Mapping(facts)
}

/// `Ok` when the tree has no tags, only string keys and only finite numbers; else the path.
fn json_safe(v: &Value, at: &mut String) -> Result<(), String> {
    match v {
        Value::Tagged(_) => Err(format!("{at} (a YAML tag)")),
        Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => {
            Err(format!("{at} (a number that is not finite)"))
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                json_safe(item, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        Value::Mapping(m) => {
            for (k, item) in m {
                let Value::String(key) = k else {
                    return Err(format!("{at} (a key that is not a string: {k:?})"));
                };
                let len = at.len();
                at.push('.');
                at.push_str(key);
                json_safe(item, at)?;
                at.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
