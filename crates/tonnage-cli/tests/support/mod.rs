//! What the CLI tests share: running the `tonnage` binary, reading its output, the usage-error
//! contract (exit 2, nothing on stdout, the bad input named on stderr), scratch directories,
//! rendering manifests (plain or hardened) into one, and finding a tool of the venv on PATH. Each test file
//! includes it with `mod support;` and uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run `tonnage` with `args`.
pub fn tonnage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tonnage"))
        .args(args)
        .output()
        .expect("run tonnage")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output parsed as JSON.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// `tonnage args` is a usage error: exit status 2, nothing on stdout, and stderr an error
/// holding every one of `needles`.
pub fn usage_error(args: &[&str], needles: &[&str]) {
    let o = tonnage(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "{args:?} printed: {}", stdout(&o));
    let e = stderr(&o);
    assert!(e.contains("error"), "{args:?}: {e}");
    for n in needles {
        assert!(e.contains(n), "{args:?}: {e:?} lacks {n:?}");
    }
}

/// An empty directory of this test run (removed first if an earlier run left it).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tonnage-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// Every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The files under `dir` as paths relative to it, `/`-separated, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    files_under(dir)
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).expect("inside").to_string_lossy();
            rel.replace('\\', "/")
        })
        .collect()
}

/// `tonnage render --what manifests --out DIR` for `stacks` in `env` with `sets`; the files
/// written.
pub fn render_manifests(dir: &Path, stacks: &[&str], env: &str, sets: &[&str]) -> Vec<PathBuf> {
    let mut args = vec!["render"];
    for s in stacks {
        args.extend(["--stack", s]);
    }
    for s in sets {
        args.extend(["--set", s]);
    }
    let out = dir.to_string_lossy().to_string();
    args.extend(["--env", env, "--what", "manifests", "--out", &out]);
    let o = tonnage(&args);
    assert!(o.status.success(), "tonnage {args:?}: {}", stderr(&o));
    let files = files_under(dir);
    assert!(!files.is_empty(), "{stacks:?} {env}: nothing rendered");
    files
}

/// `tonnage render --what hardening --out -` for `stacks` in `env` with `sets`: what the
/// hardening overlay builds to (the plain render with its patches applied, and the objects it
/// adds), written to `DIR/hardened.yaml`; that file.
pub fn render_hardened(dir: &Path, stacks: &[&str], env: &str, sets: &[&str]) -> PathBuf {
    let mut args = vec!["render"];
    for s in stacks {
        args.extend(["--stack", s]);
    }
    for s in sets {
        args.extend(["--set", s]);
    }
    args.extend(["--env", env, "--what", "hardening", "--out", "-"]);
    let o = tonnage(&args);
    assert!(o.status.success(), "tonnage {args:?}: {}", stderr(&o));
    assert!(!o.stdout.is_empty(), "{stacks:?} {env}: nothing rendered");
    std::fs::create_dir_all(dir).expect("mkdir");
    let file = dir.join("hardened.yaml");
    std::fs::write(&file, &o.stdout).expect("write the hardened render");
    file
}

/// A tool of the tools venv on PATH (checkov, kubernetes-validate).
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not on PATH: run `bash scripts/setup` and `source scripts/setup` \
                 (or scripts/test), which install it from scripts/requirements.txt into the \
                 tools venv"
            )
        })
}
