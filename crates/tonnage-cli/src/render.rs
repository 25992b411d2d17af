//! `tonnage render`: the configuration's values files and/or Kubernetes manifests, written to a
//! directory, to stdout as one multi-document YAML stream (`--out -`), or into a `.zip` /
//! `.tar.gz` archive. The files come from the core (`bundle::values_bundle`,
//! `manifests::render`); this file only chooses, lays out and writes them.

use std::fs;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args};
use tonnage_core::archive::{self, OutFile};
use tonnage_core::bundle::{values_bundle, BundleOptions};
use tonnage_core::manifests;
use tonnage_core::Catalog;

#[derive(Args)]
#[command(group(ArgGroup::new("dest").required(true).args(["out", "archive"])))]
pub struct RenderArgs {
    #[command(flatten)]
    config: crate::args::ConfigArgs,
    /// values (the values bundle), manifests (the Kubernetes objects as Helm renders them),
    /// hardening (those manifests plus a kustomize overlay, hardening/, adding what the charts
    /// lack), or all (values files, the manifests under manifests/ and the overlay).
    #[arg(long, default_value = "all")]
    what: String,
    /// Directory to write the files into; `-` prints them as one multi-document YAML stream.
    #[arg(long)]
    out: Option<String>,
    /// Archive to write: FILE.zip, FILE.tar.gz or FILE.tgz.
    #[arg(long)]
    archive: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Values,
    Manifests,
    Hardening,
    All,
}

impl std::str::FromStr for What {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "values" => Ok(What::Values),
            "manifests" => Ok(What::Manifests),
            "hardening" => Ok(What::Hardening),
            "all" => Ok(What::All),
            _ => Err(format!(
                "unknown --what {s:?}; expected values, manifests, hardening or all"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArchiveKind {
    Zip,
    TarGz,
}

fn archive_kind(path: &str) -> Result<ArchiveKind, String> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        Ok(ArchiveKind::Zip)
    } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        Ok(ArchiveKind::TarGz)
    } else {
        Err(format!(
            "unsupported archive {path:?}: the name must end in .zip, .tar.gz or .tgz"
        ))
    }
}

/// Parse the arguments, render, and write. Returns what to print on stdout.
pub fn run(catalog: &Catalog, args: RenderArgs) -> Result<String, String> {
    let what: What = args.what.parse()?;
    // Check the destination before doing any work, so a bad name fails fast.
    let kind = args.archive.as_deref().map(archive_kind).transpose()?;
    let config = args.config.configuration(catalog)?;

    let values = || values_bundle(catalog, &config, &BundleOptions::default());
    let ms = || manifests::render(catalog, &config);
    let hardening = || manifests::render_hardening(catalog, &config);

    if args.out.as_deref() == Some("-") {
        let mut text = String::new();
        if matches!(what, What::Values | What::All) {
            text.push_str(&yaml_stream(&values()));
        }
        match what {
            What::Values => {}
            What::Manifests | What::All => text.push_str(&manifests::multi_doc(&ms())),
            // What the overlay builds to (`kubectl kustomize hardening/`): the render with the
            // patches applied, and the added objects.
            What::Hardening => text.push_str(&manifests::multi_doc(&manifests::render_hardened(
                catalog, &config,
            ))),
        }
        return Ok(text);
    }
    // The overlay over the per-object files, which sit at `prefix` beside it.
    let with_overlay = |prefix: &str| {
        let plain = manifests::per_object_files(&ms());
        let base: Vec<String> = plain
            .iter()
            .map(|f| format!("../{prefix}{}", f.path))
            .collect();
        let patches = manifests::render_patches(catalog, &config);
        let overlay = manifests::hardening_overlay("hardening", &base, &hardening(), &patches);
        (plain, overlay)
    };

    let files: Vec<OutFile> = match what {
        What::Values => values(),
        What::Manifests => manifests::per_object_files(&ms()),
        What::Hardening => {
            let (mut files, overlay) = with_overlay("");
            files.extend(overlay);
            files
        }
        What::All => {
            let mut files = values();
            let (plain, overlay) = with_overlay("manifests/");
            files.extend(plain.into_iter().map(|f| OutFile {
                path: format!("manifests/{}", f.path),
                ..f
            }));
            files.extend(overlay);
            files
        }
    };

    match (args.out, args.archive, kind) {
        (Some(dir), _, _) => write_dir(Path::new(&dir), &files),
        (None, Some(path), Some(kind)) => {
            // One top folder named after the configuration (as the page's downloads), the same
            // whatever the archive is called: it unpacks beside others, not over the directory.
            let folder = format!("tonnage-{}-{}", config.stacks.join("+"), config.env);
            let files = archive::under_folder(files, &folder);
            let bytes = match kind {
                ArchiveKind::Zip => archive::zip(&files),
                ArchiveKind::TarGz => archive::tar_gz(&files),
            };
            fs::write(&path, &bytes).map_err(|e| format!("cannot write {path:?}: {e}"))?;
            Ok(format!(
                "wrote {path} ({} files, {} bytes)\n",
                files.len(),
                bytes.len()
            ))
        }
        _ => Err("pass --out DIR (or --out -) or --archive FILE".into()),
    }
}

/// The YAML files of a bundle as one stream: `---` and a `# Source:` comment before each.
fn yaml_stream(files: &[OutFile]) -> String {
    let mut out = String::new();
    for f in files
        .iter()
        .filter(|f| f.path.ends_with(".yaml") || f.path.ends_with(".yml"))
    {
        out.push_str("---\n# Source: ");
        out.push_str(&f.path);
        out.push('\n');
        out.push_str(&f.contents);
        if !f.contents.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// A file's place under `dir`; refuses paths that would leave it.
fn target(dir: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    let safe = p
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !safe {
        return Err(format!(
            "refusing to write outside {}: {rel:?}",
            dir.display()
        ));
    }
    Ok(dir.join(p))
}

fn write_dir(dir: &Path, files: &[OutFile]) -> Result<String, String> {
    let mut out = String::new();
    for f in files {
        let path = target(dir, &f.path)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, &f.contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        #[cfg(unix)]
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("cannot make {} executable: {e}", path.display()))?;
        }
        out.push_str(&format!("wrote {}\n", path.display()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_kind_by_extension() {
        assert_eq!(archive_kind("a.zip"), Ok(ArchiveKind::Zip));
        assert_eq!(archive_kind("a.tar.gz"), Ok(ArchiveKind::TarGz));
        assert_eq!(archive_kind("A.TGZ"), Ok(ArchiveKind::TarGz));
        let e = archive_kind("a.rar").unwrap_err();
        assert!(e.contains("\"a.rar\"") && e.contains(".zip"), "{e}");
    }

    #[test]
    fn what_names_the_bad_input() {
        assert_eq!("all".parse::<What>(), Ok(What::All));
        let e = "everything".parse::<What>().unwrap_err();
        assert!(
            e.contains("\"everything\"") && e.contains("manifests"),
            "{e}"
        );
    }

    #[test]
    fn paths_stay_inside_the_directory() {
        let d = Path::new("/tmp/x");
        assert!(target(d, "rhesis/values-prod.yaml").is_ok());
        assert!(target(d, "../evil").is_err());
        assert!(target(d, "/etc/passwd").is_err());
    }
}
