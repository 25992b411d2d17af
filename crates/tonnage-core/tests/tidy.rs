//! Tidy tests: invariants of the repository itself, checked like rust-analyzer's tidy.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(workspace().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Crates that tie code to a browser. The core must compile natively and stay free of them.
const WEB_CRATES: &[&str] = &[
    "leptos",
    "web-sys",
    "js-sys",
    "wasm-bindgen",
    "gloo",
    "console_error_panic_hook",
    "wasm-bindgen-futures",
    "trunk",
];

/// Names of the dependencies declared in a Cargo.toml, in any dependency table.
fn dependency_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_deps = t.contains("dependencies");
            // `[dependencies.foo]` form.
            if let Some(rest) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                if let Some(name) = rest.rsplit_once("dependencies.").map(|(_, n)| n) {
                    names.push(name.trim_matches('"').to_string());
                }
            }
            continue;
        }
        if in_deps {
            if let Some((name, _)) = t.split_once('=') {
                let name = name.trim().trim_matches('"');
                if !name.is_empty() && !name.starts_with('#') {
                    names.push(name.split('.').next().unwrap_or(name).to_string());
                }
            }
        }
    }
    names
}

fn web_crates_in(manifest: &str) -> Vec<String> {
    dependency_names(manifest)
        .into_iter()
        .filter(|n| {
            WEB_CRATES
                .iter()
                .any(|w| n == w || n.starts_with(&format!("{w}-")))
        })
        .collect()
}

#[test]
fn core_has_no_web_dependency() {
    let found = web_crates_in(&read("crates/tonnage-core/Cargo.toml"));
    assert!(
        found.is_empty(),
        "tonnage-core must not depend on web crates: {found:?}"
    );
}

#[test]
fn the_web_crate_check_catches_web_crates() {
    // The check above must be able to fail.
    let bad = "[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\nleptos = { version = \"0.8\" }\n[target.'cfg(target_arch = \"wasm32\")'.dependencies]\nweb-sys = \"0.3\"\n[dependencies.gloo-timers]\nversion = \"0.3\"\n";
    assert_eq!(web_crates_in(bad), ["leptos", "web-sys", "gloo-timers"]);
}

#[test]
fn core_does_no_io() {
    let dir = workspace().join("crates/tonnage-core/src");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        // Only the Rust sources (src/snapshots/ holds insta's golden files).
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for needle in [
            "std::fs",
            "std::net",
            "std::process",
            "std::env",
            "println!",
            "File::open",
        ] {
            assert!(
                !text.contains(needle),
                "{} uses {needle}: the core does no IO",
                path.display()
            );
        }
    }
}

/// The version of a package in Cargo.lock.
fn locked_version(name: &str) -> String {
    read("Cargo.lock")
        .split("[[package]]")
        .find(|p| p.contains(&format!("name = \"{name}\"\n")))
        .and_then(|p| p.lines().find(|l| l.starts_with("version = ")))
        .map(|l| {
            l.trim_start_matches("version = ")
                .trim_matches('"')
                .to_string()
        })
        .unwrap_or_else(|| panic!("{name} in Cargo.lock"))
}

#[test]
fn trunk_pins_the_locked_wasm_bindgen() {
    let locked = locked_version("wasm-bindgen");
    let trunk = read("Trunk.toml");
    assert!(
        trunk.contains(&format!("wasm_bindgen = \"{locked}\"")),
        "Trunk.toml must pin wasm_bindgen = \"{locked}\" (the Cargo.lock version)"
    );
    assert!(trunk.contains("wasm_opt = \"version_132\""));
}

/// The lines of one `[section]` of a TOML file (up to the next section header).
fn toml_section<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .map(str::trim)
        .collect()
}

/// Native builds (CLI, benchmarks) are fast (`release`, opt-level 3); the web app's wasm is small
/// (`wasm-release`, opt-level "z"), and every rust link of index.html builds with it.
#[test]
fn release_profiles_are_tuned_for_speed_natively_and_size_in_the_browser() {
    let root = read("Cargo.toml");
    let release = toml_section(&root, "[profile.release]");
    for line in [
        "opt-level = 3",
        "lto = true",
        "codegen-units = 1",
        "panic = \"abort\"",
    ] {
        assert!(
            release.contains(&line),
            "root Cargo.toml [profile.release] lacks {line}: {release:?}"
        );
    }
    let wasm = toml_section(&root, "[profile.wasm-release]");
    for line in ["inherits = \"release\"", "opt-level = \"z\""] {
        assert!(
            wasm.contains(&line),
            "root Cargo.toml [profile.wasm-release] lacks {line}: {wasm:?}"
        );
    }
    let html = read("index.html");
    let links: Vec<&str> = html
        .split("<link")
        .skip(1)
        .filter(|l| l.contains("rel=\"rust\""))
        .collect();
    assert!(links.len() >= 2, "index.html builds the app and its worker");
    for l in links {
        assert!(
            l.contains("data-cargo-profile-release=\"wasm-release\""),
            "index.html rust link without the wasm-release profile: <link{l}"
        );
    }
}

/// Code splitting (src/lazy.rs): trunk builds the page with the `split` feature; the wasm-split
/// CLI that scripts/setup installs (run by scripts/bin/wasm-bindgen) reads the split points of
/// the locked `wasm_split_helpers`, so both have the same minor version; and the post-build hook
/// puts the chunks into dist before the CSP is written.
#[test]
fn the_page_is_split_by_a_matching_wasm_split() {
    let html = read("index.html");
    let page = html
        .split("<link")
        .find(|l| l.contains("rel=\"rust\"") && l.contains("data-bin=\"tonnage-web\""))
        .expect("index.html builds tonnage-web");
    assert!(
        page.contains("data-cargo-features=\"split\""),
        "the page's rust link must turn on the split feature: <link{page}"
    );
    let setup = read("scripts/setup");
    let cli = setup
        .lines()
        .find_map(|l| l.strip_prefix("WASM_SPLIT_VERSION="))
        .expect("scripts/setup sets WASM_SPLIT_VERSION");
    let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    let helpers = locked_version("wasm_split_helpers");
    assert_eq!(
        minor(cli),
        minor(&helpers),
        "wasm-split CLI {cli} against wasm_split_helpers {helpers}"
    );
    let trunk = read("Trunk.toml");
    assert!(
        trunk.contains("python3 scripts/split.py && python3 scripts/csp.py"),
        "Trunk.toml's post_build hook runs split.py, then csp.py"
    );
    assert!(setup.contains("export PATH=\"$ROOT/scripts/bin:"));
}

#[test]
fn toml_section_reads_only_its_section() {
    let t = "[a]\nx = 1\n[b]\ny = 2\n";
    assert_eq!(toml_section(t, "[a]"), vec!["x = 1"]);
    assert_eq!(toml_section(t, "[b]"), vec!["y = 2"]);
    assert!(toml_section(t, "[c]").is_empty());
}

#[test]
fn architecture_md_names_every_crate_and_core_module() {
    let arch = read("ARCHITECTURE.md");
    for c in ["tonnage-core", "tonnage-cli", "tonnage-worker"] {
        assert!(arch.contains(c), "ARCHITECTURE.md does not mention {c}");
    }
    let dir = workspace().join("crates/tonnage-core/src");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if stem == "lib" {
            continue;
        }
        assert!(
            arch.contains(&format!("`{stem}`")),
            "ARCHITECTURE.md's code map lacks the core module `{stem}`"
        );
    }
}

#[test]
fn readme_commands_are_the_ci_commands() {
    let readme = read("README.md");
    assert!(
        readme.contains("scripts/serve"),
        "README must give the serve command"
    );
    assert!(
        readme.contains("scripts/test"),
        "README must give the test command"
    );
    let ci = read(".ci/run");
    assert!(
        ci.contains("scripts/test"),
        ".ci/run must run the README's test command"
    );
}
