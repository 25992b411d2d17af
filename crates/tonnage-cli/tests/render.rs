//! `tonnage render`: files written, archives byte-identical across runs, the YAML stream, and
//! usage errors (exit 2, the bad input named, nothing on stdout).

mod support;
use support::*;

/// `tonnage render --stack S --env E --what W --out DIR` into a fresh scratch folder.
fn render_into(
    name: &str,
    stack: &str,
    env: &str,
    what: &str,
) -> (std::path::PathBuf, std::process::Output) {
    let dir = scratch(name);
    let d = dir.to_string_lossy().to_string();
    let o = tonnage(&[
        "render", "--stack", stack, "--env", env, "--what", what, "--out", &d,
    ]);
    (dir, o)
}

#[test]
fn render_all_writes_values_and_manifests() {
    let dir = scratch("all");
    let d = dir.to_string_lossy().to_string();
    let o = tonnage(&[
        "render", "--stack", "rhesis", "--env", "prod", "--what", "all", "--out", &d,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files = listing(&dir);
    for expected in [
        "rhesis/values-prod.yaml",
        "helmfile.yaml",
        "install.sh",
        "README.md",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} missing: {files:?}"
        );
    }
    // One manifest per workload and per standalone claim, named as the real chart names them
    // (the catalog's `workload`, `kind` and `claim`: the chart's PostgreSQL and Redis are
    // Deployments with standalone claims).
    let chart = tonnage_core::Catalog::builtin().chart("rhesis").unwrap();
    let mut expected: Vec<String> = chart
        .components
        .iter()
        .map(|c| {
            format!(
                "manifests/rhesis/templates/{}-{}.yaml",
                c.kind.as_str().to_lowercase(),
                c.workload.as_deref().expect("a workload name")
            )
        })
        .collect();
    expected.extend(chart.volumes.iter().map(|v| {
        format!(
            "manifests/rhesis/templates/persistentvolumeclaim-{}.yaml",
            v.claim.as_deref().expect("a claim name")
        )
    }));
    assert_eq!(expected.len(), 7, "{expected:?}");
    for e in &expected {
        assert!(files.contains(e), "{e} missing: {files:?}");
    }
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("manifests/rhesis/templates/deployment-postgres")),
        "{files:?}"
    );
    // The chart's own values.yaml comes from the chart, not from the bundle.
    assert!(
        !files.iter().any(|f| f == "rhesis/values.yaml"),
        "{files:?}"
    );
    assert!(stdout(&o).contains("wrote "), "{}", stdout(&o));
    // Only manifests: nothing else.
    let (dir2, o) = render_into("manifests", "caracal", "dev", "manifests");
    assert!(o.status.success(), "{}", stderr(&o));
    let files = listing(&dir2);
    assert!(
        files.iter().all(|f| f.starts_with("caracal/templates/")),
        "{files:?}"
    );
    assert!(files.contains(&"caracal/templates/statefulset-caracal-postgres.yaml".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// `--what hardening`: the plain render (what Helm renders: no PodDisruptionBudget) and the
/// overlay over it, whose kustomization lists every plain file and its own objects.
#[test]
fn render_hardening_writes_the_render_and_an_overlay_over_it() {
    let (dir, o) = render_into("hardening", "rhesis", "prod", "hardening");
    assert!(o.status.success(), "{}", stderr(&o));
    let files = listing(&dir);
    let plain: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("rhesis/templates/"))
        .collect();
    assert!(!plain.is_empty(), "{files:?}");
    assert!(
        !plain.iter().any(|f| f.contains("poddisruptionbudget")),
        "{files:?}"
    );
    let k = std::fs::read_to_string(dir.join("hardening/kustomization.yaml")).unwrap();
    for f in &plain {
        assert!(k.contains(&format!("  - ../{f}\n")), "{f} not in {k}");
    }
    assert!(k.contains("  - rhesis.yaml\n"), "{k}");
    let added = std::fs::read_to_string(dir.join("hardening/rhesis.yaml")).unwrap();
    assert!(added.contains("kind: PodDisruptionBudget"), "{added}");
    assert!(added.contains("name: backend"), "{added}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn archives_are_byte_identical_across_runs() {
    let dir = scratch("archives");
    for ext in ["zip", "tar.gz"] {
        let mut runs = Vec::new();
        for i in 0..2 {
            let path = dir.join(format!("run{i}.{ext}"));
            let p = path.to_string_lossy().to_string();
            let o = tonnage(&[
                "render",
                "--stack",
                "cauldron-infra",
                "--stack",
                "cauldron-frappe",
                "--env",
                "staging",
                "--set",
                "cauldron-frappe:frappe.replicas.web=3",
                "--archive",
                &p,
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            runs.push(std::fs::read(&path).expect("archive written"));
        }
        assert!(runs[0].len() > 1000, "{ext}: {} bytes", runs[0].len());
        assert_eq!(runs[0], runs[1], "{ext} differs between runs");
        let magic: &[u8] = if ext == "zip" { b"PK" } else { &[0x1f, 0x8b] };
        assert!(runs[0].starts_with(magic), "{ext} magic");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn out_dash_prints_one_multi_document_yaml_stream() {
    let o = tonnage(&[
        "render",
        "--stack",
        "rae-memory",
        "--env",
        "prod",
        "--what",
        "manifests",
        "--out",
        "-",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut kinds = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v: serde_yaml::Value = serde::Deserialize::deserialize(doc).expect("a YAML document");
        kinds.push(v["kind"].as_str().expect("kind").to_string());
    }
    for k in [
        "Deployment",
        "StatefulSet",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "ExternalSecret",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing: {kinds:?}");
    }
    // Values: the YAML files of the bundle, each a document.
    let o = tonnage(&[
        "render", "--stack", "rhesis", "--env", "dev", "--what", "values", "--out", "-",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("# Source: rhesis/values-dev.yaml"), "{text}");
    assert!(text.contains("# Source: helmfile.yaml"), "{text}");
    assert!(!text.contains("# Source: rhesis/values.yaml"), "{text}");
    let mut docs = 0;
    for d in serde_yaml::Deserializer::from_str(&text) {
        serde_yaml::Value::deserialize(d).expect("a YAML document");
        docs += 1;
    }
    assert!(docs >= 2, "{docs} documents");
}

use serde::Deserialize as _;

#[test]
fn bad_input_exits_2_naming_it() {
    usage_error(
        &[
            "render",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--what",
            "everything",
            "--out",
            "-",
        ],
        &["\"everything\"", "manifests"],
    );
    usage_error(
        &[
            "render",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--archive",
            "out.rar",
        ],
        &["\"out.rar\"", ".zip", ".tar.gz"],
    );
    usage_error(
        &["render", "--stack", "nope", "--env", "prod", "--out", "-"],
        &["\"nope\"", "rhesis"],
    );
    usage_error(
        &[
            "render",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--set",
            "backend.replicaz=2",
            "--out",
            "-",
        ],
        &["\"backend.replicaz\""],
    );
    // A destination is required, and only one.
    usage_error(
        &["render", "--stack", "rhesis", "--env", "prod"],
        &["--out"],
    );
    usage_error(
        &[
            "render",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--out",
            "-",
            "--archive",
            "a.zip",
        ],
        &["--archive"],
    );
}
