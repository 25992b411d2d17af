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

/// Every Rust source of the core, in all its layer folders (snapshots/ folders hold insta's
/// golden files, not sources).
fn core_sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&workspace().join("crates/tonnage-core/src"), &mut out);
    out
}

#[test]
fn core_does_no_io() {
    for path in core_sources() {
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

/// The most lines a core source file may have. A file above it mixes concerns: split it along
/// them (as `outputs/manifests/` is), never raise the limit. Lower it as the largest files are
/// split (they are about 2,000 lines; the aim is about 1,000).
const MAX_SOURCE_LINES: usize = 2_500;

/// Core source files over [`MAX_SOURCE_LINES`], with their line counts.
fn oversized(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|(_, n)| *n > MAX_SOURCE_LINES)
        .map(|(path, n)| format!("{path}: {n} lines"))
        .collect()
}

#[test]
fn core_source_files_stay_under_the_line_limit() {
    let src = workspace().join("crates/tonnage-core/src");
    let files: Vec<(String, String)> = core_sources()
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().to_string();
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let over = oversized(&files);
    assert!(
        over.is_empty(),
        "split these files along their concerns (limit {MAX_SOURCE_LINES} lines):\n{}",
        over.join("\n")
    );
    // The check can fail.
    let big = ("big.rs".to_string(), "x\n".repeat(MAX_SOURCE_LINES + 1));
    assert_eq!(
        oversized(&[big]),
        [format!("big.rs: {} lines", MAX_SOURCE_LINES + 1)]
    );
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
/// puts the chunks into dist and tidies trunk's loaders before the CSP is written.
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
        trunk.contains(
            "python3 scripts/split.py && python3 scripts/loaders.py && python3 scripts/csp.py"
        ),
        "Trunk.toml's post_build hook runs split.py, loaders.py (no console warnings), then csp.py"
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
    for path in core_sources() {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if stem == "lib" || stem == "mod" {
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

// ---------------------------------------------------------------------------------------------
// The core's layers

/// The core's layers, bottom to top: the folders of crates/tonnage-core/src. A module may use
/// (`crate::...`) modules of its own layer and of the layers listed for it, never one above.
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &[]),
    ("model", &["base"]),
    ("configuration", &["base", "model"]),
    ("compute", &["base", "model", "configuration"]),
    ("outputs", &["base", "model", "configuration", "compute"]),
    (
        "service",
        &["base", "model", "configuration", "compute", "outputs"],
    ),
];

/// Files that still reach some modules through the crate root's façade (`crate::values::...`)
/// inside function bodies: issues 21 and 22 rewrite them, so only their `use` lines were moved
/// to layered paths. The layer rule holds for them all the same (façade paths are resolved).
const FACADE_PATHS_ALLOWED: &[&str] = &["compute/review.rs"];

/// (layer, module) of a core source path relative to src/ (`base/yaml/serialize.rs` is
/// module `yaml` of layer `base`); `None` for lib.rs and the layers' mod.rs.
fn layer_module(rel: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.len() < 2 || parts.last() == Some(&"mod.rs") {
        return None;
    }
    let module = parts[1].trim_end_matches(".rs").to_string();
    Some((parts[0].to_string(), module))
}

/// The code of a source without its unit tests (`#[cfg(test)] mod tests`, to the end of the
/// file: tests may use anything) and without comments.
fn code_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push(line);
    }
    out
}

/// The modules a source names through `crate::` paths: (layer or "" for the façade, module).
fn crate_paths(code: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in code {
        let mut rest = *line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let ident = |s: &str| -> String {
                s.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            };
            let first = ident(after);
            let second = after
                .strip_prefix(first.as_str())
                .and_then(|s| s.strip_prefix("::"))
                .map(ident)
                .unwrap_or_default();
            if LAYERS.iter().any(|(l, _)| *l == first) {
                out.push((first.clone(), second));
            } else if !first.is_empty() {
                out.push((String::new(), first.clone()));
            } else {
                out.push((String::new(), "{".to_string()));
            }
            rest = &after[first.len()..];
        }
    }
    out
}

/// A core module: (layer, module).
type Module = (String, String);

/// Every module of the core by layer, from the folders.
fn core_modules() -> Vec<(String, String)> {
    let src = workspace().join("crates/tonnage-core/src");
    let mut out: Vec<(String, String)> = core_sources()
        .iter()
        .filter_map(|p| layer_module(&p.strip_prefix(&src).unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The module-to-module edges of the core's code (façade names resolved), with the problems
/// found on the way: upward edges, façade paths, unknown names.
fn core_edges() -> (Vec<(Module, Module)>, Vec<String>) {
    let src = workspace().join("crates/tonnage-core/src");
    let modules = core_modules();
    // The crate root's re-exports of items (`crate::Catalog`, `crate::plan(...)`).
    let root_items = [
        ("Catalog", "catalog"),
        ("Configuration", "config"),
        ("ConfigError", "config"),
        ("Plan", "plan"),
        ("plan", "plan"),
    ];
    let mut edges = Vec::new();
    let mut problems = Vec::new();
    for path in core_sources() {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Some(from) = layer_module(&rel) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for (layer, name) in crate_paths(&code_lines(&text)) {
            let target = if layer.is_empty() {
                let item = root_items.iter().find(|(i, _)| *i == name);
                let name = item.map_or(name.as_str(), |(_, m)| m);
                let found = modules.iter().find(|(_, m)| m == name).cloned();
                if found.is_some()
                    && item.is_none()
                    && !FACADE_PATHS_ALLOWED.contains(&rel.as_str())
                {
                    problems.push(format!("{rel}: crate::{name} through the façade; name its layer (crate::<layer>::{name})"));
                }
                match found {
                    Some(t) => t,
                    None => {
                        problems.push(format!("{rel}: crate::{name} is no module of a layer"));
                        continue;
                    }
                }
            } else {
                (layer, name)
            };
            if target == from {
                continue;
            }
            let allowed = target.0 == from.0
                || LAYERS
                    .iter()
                    .find(|(l, _)| *l == from.0)
                    .is_some_and(|(_, below)| below.contains(&target.0.as_str()));
            if !allowed {
                problems.push(format!(
                    "{rel}: {}::{} uses {}::{}, a layer above it",
                    from.0, from.1, target.0, target.1
                ));
            }
            edges.push((from.clone(), target));
        }
    }
    edges.sort();
    edges.dedup();
    problems.sort();
    problems.dedup();
    (edges, problems)
}

/// A cycle among the edges (module names), if any.
fn find_cycle<N: Clone + Ord>(edges: &[(N, N)]) -> Option<Vec<N>> {
    use std::collections::BTreeMap;
    let mut next: BTreeMap<&N, Vec<&N>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state: BTreeMap<&N, u8> = BTreeMap::new();
    fn visit<'n, N: Ord + Clone>(
        n: &'n N,
        next: &BTreeMap<&'n N, Vec<&'n N>>,
        state: &mut BTreeMap<&'n N, u8>,
        stack: &mut Vec<&'n N>,
    ) -> Option<Vec<N>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let at = stack.iter().position(|s| *s == n).unwrap_or(0);
                let mut cycle: Vec<N> = stack[at..].iter().map(|s| (*s).clone()).collect();
                cycle.push(n.clone());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n, 1);
        stack.push(n);
        for &m in next.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, next, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n, 2);
        None
    }
    let starts: Vec<&N> = next.keys().copied().collect();
    for n in starts {
        if let Some(c) = visit(n, &next, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn core_layers_import_only_downward() {
    let modules = core_modules();
    for (layer, module) in &modules {
        assert!(
            LAYERS.iter().any(|(l, _)| l == layer),
            "crates/tonnage-core/src/{layer}/{module}: not in a layer folder ({:?})",
            LAYERS.iter().map(|(l, _)| *l).collect::<Vec<_>>()
        );
    }
    let (_, problems) = core_edges();
    assert!(
        problems.is_empty(),
        "layer rule broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn core_modules_import_no_cycle() {
    let (edges, _) = core_edges();
    assert!(
        edges.len() > 20,
        "the edge scan found too little: {edges:?}"
    );
    let named: Vec<(String, String)> = edges
        .iter()
        .map(|((la, a), (lb, b))| (format!("{la}::{a}"), format!("{lb}::{b}")))
        .collect();
    if let Some(cycle) = find_cycle(&named) {
        panic!("import cycle between core modules: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_layer_checks_can_fail() {
    // An upward path is found, with its module.
    let code = [
        "use crate::outputs::bundle::to_yaml;",
        "    let x = crate::values::lookup(v, p);",
    ];
    assert_eq!(
        crate_paths(&code),
        [
            ("outputs".to_string(), "bundle".to_string()),
            (String::new(), "values".to_string())
        ]
    );
    // Unit tests and comments are left out.
    let text = "use crate::base::values;\n// crate::outputs::x\n#[cfg(test)]\nmod tests {\n    use crate::outputs::bundle;\n}\n";
    assert_eq!(code_lines(text), ["use crate::base::values;"]);
    assert_eq!(
        layer_module("base/yaml/serialize.rs"),
        Some(("base".into(), "yaml".into()))
    );
    assert_eq!(layer_module("base/mod.rs"), None);
    // A cycle is found; a chain is not one.
    let cyc = [("a", "b"), ("b", "c"), ("c", "a")];
    assert_eq!(find_cycle(&cyc), Some(vec!["a", "b", "c", "a"]));
    assert_eq!(find_cycle(&[("a", "b"), ("b", "c"), ("a", "c")]), None);
}
