//! What the page's Files panel derives from a configuration, as plain requests and replies: the
//! list of generated files, one file with the lines that differ from the preset, and the
//! archives. The web app sends these to a web worker (`crates/tonnage-worker`), so rendering
//! values and manifests, diffing and compressing never block the page and the code that does
//! it is not part of the page's first download. The worker is a thin shell around
//! [`FilesService`]; everything it answers is decided here and tested natively.
//!
//! Requests and replies are serde types (JSON between the page and the worker). Archive bytes
//! travel beside the JSON reply, not inside it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::archive::{tar_gz, zip, OutFile};
use crate::bundle::{values_bundle, values_bundle_file, BundleOptions};
use crate::catalog::Catalog;
use crate::config::Configuration;
use crate::manifests::{multi_doc, multi_doc_files, per_object_files, render, render_stack};
use crate::textdiff::changed_lines;

/// A password the user had generated: chart id, values path, password. Kept in the page's
/// memory only (never in a link or localStorage); sent to the worker with each request.
pub type Password = (String, String, String);

/// Which files an archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contents {
    /// The values bundle: per chart values.yaml and values-<env>.yaml, helmfile, install.sh.
    Values,
    /// The rendered manifests, one file per object.
    Manifests,
}

/// Archive format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Zip,
    TarGz,
}

/// What the page asks of the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Request {
    /// The file list and one file (`path`, or the first file when `path` names none), diffed
    /// against the preset.
    Preview {
        config: Configuration,
        #[serde(default)]
        passwords: Vec<Password>,
        #[serde(default)]
        path: String,
    },
    /// An archive of the values bundle or the manifests.
    Archive {
        config: Configuration,
        #[serde(default)]
        passwords: Vec<Password>,
        contents: Contents,
        format: Format,
    },
}

/// One file as the preview shows it: its text cut into runs of lines that all differ, or all
/// do not differ, from the preset's version of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shown {
    pub path: String,
    /// Number of lines that differ from the preset.
    pub changed: usize,
    /// (text of consecutive lines with their newlines, whether they differ).
    pub runs: Vec<(String, bool)>,
}

impl Shown {
    /// The file's text (the runs joined).
    pub fn contents(&self) -> String {
        self.runs.iter().map(|(t, _)| t.as_str()).collect()
    }
}

/// The preview: every file the panel lists, and the one shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub paths: Vec<String>,
    pub shown: Option<Shown>,
}

/// An archive ready to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// The worker's reply; archive bytes travel beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Preview(Preview),
    Archive {
        name: String,
        mime: String,
    },
    /// The request could not be read (names what was wrong).
    Error {
        message: String,
    },
}

fn bundle_options(passwords: &[Password]) -> BundleOptions {
    BundleOptions {
        passwords: passwords
            .iter()
            .map(|(chart, path, pw)| ((chart.clone(), path.clone()), pw.clone()))
            .collect(),
    }
}

/// Every file the preview offers: the values bundle, then one manifest stream per chart.
pub fn preview_files(
    catalog: &Catalog,
    config: &Configuration,
    passwords: &[Password],
) -> Vec<OutFile> {
    let mut files = values_bundle(catalog, config, &bundle_options(passwords));
    for mut f in multi_doc_files(&render(catalog, config)) {
        f.path = format!("manifests/{}", f.path);
        files.push(f);
    }
    files
}

/// One file of [`preview_files`], generating only that file (one chart's manifests, one values
/// file): what the preview needs on every edit.
pub fn preview_file(
    catalog: &Catalog,
    config: &Configuration,
    passwords: &[Password],
    path: &str,
) -> Option<OutFile> {
    if let Some(chart) = path
        .strip_prefix("manifests/")
        .and_then(|p| p.strip_suffix(".yaml"))
    {
        let items = render_stack(catalog, config, chart);
        return (!items.is_empty()).then(|| OutFile::new(path, multi_doc(&items)));
    }
    values_bundle_file(catalog, config, &bundle_options(passwords), path)
}

/// Consecutive lines with the same mark as one run of text: one element per run rather than
/// per line keeps the preview cheap to rebuild on every edit.
pub fn line_runs(contents: &str, marks: &[bool]) -> Vec<(String, bool)> {
    let mut runs: Vec<(String, bool)> = Vec::new();
    for (line, m) in contents.lines().zip(marks.iter().copied()) {
        match runs.last_mut() {
            Some((text, mark)) if *mark == m => {
                text.push_str(line);
                text.push('\n');
            }
            _ => runs.push((format!("{line}\n"), m)),
        }
    }
    runs
}

/// The download's file name, e.g. `tonnage-rhesis-prod-values.zip`.
pub fn archive_name(config: &Configuration, contents: Contents, format: Format) -> String {
    let what = match contents {
        Contents::Values => "values",
        Contents::Manifests => "manifests",
    };
    let ext = match format {
        Format::Zip => "zip",
        Format::TarGz => "tar.gz",
    };
    format!(
        "tonnage-{}-{}-{what}.{ext}",
        config.stacks.join("+"),
        config.env
    )
}

/// The archive of a configuration's values bundle or manifests.
pub fn archive(
    catalog: &Catalog,
    config: &Configuration,
    passwords: &[Password],
    contents: Contents,
    format: Format,
) -> Archive {
    let files = match contents {
        Contents::Values => values_bundle(catalog, config, &bundle_options(passwords)),
        Contents::Manifests => per_object_files(&render(catalog, config)),
    };
    let (bytes, mime) = match format {
        Format::Zip => (zip(&files), "application/zip"),
        Format::TarGz => (tar_gz(&files), "application/gzip"),
    };
    Archive {
        name: archive_name(config, contents, format),
        mime,
        bytes,
    }
}

/// The preset a configuration starts from: the same charts, environment and options, no
/// overrides and no external endpoints (which the user gives, as overrides). The preview diffs
/// against its files.
fn preset_of(config: &Configuration) -> Configuration {
    Configuration {
        stacks: config.stacks.clone(),
        env: config.env.clone(),
        overrides: BTreeMap::new(),
        options: config
            .options
            .iter()
            .filter(|(k, _)| !k.starts_with(crate::external::PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// Answers the Files panel's requests, keeping the preset's files between requests: an edit
/// changes overrides, not the preset, so only the shown file is generated again.
#[derive(Debug, Default)]
pub struct FilesService {
    preset: Option<(Configuration, Vec<Password>, Vec<OutFile>)>,
}

impl FilesService {
    pub fn new() -> Self {
        Self::default()
    }

    /// The preview of `config`: the preset's file list, and `path` (or the first file)
    /// generated for `config` with the lines that differ from the preset's version marked.
    pub fn preview(
        &mut self,
        catalog: &Catalog,
        config: &Configuration,
        passwords: &[Password],
        path: &str,
    ) -> Preview {
        let preset = preset_of(config);
        let fresh = matches!(&self.preset, Some((c, p, _)) if *c == preset && p == passwords);
        if !fresh {
            let files = preview_files(catalog, &preset, passwords);
            self.preset = Some((preset, passwords.to_vec(), files));
        }
        let files: &[OutFile] = self.preset.as_ref().map_or(&[], |(_, _, f)| f);
        let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
        let chosen = paths
            .iter()
            .find(|p| *p == path)
            .or_else(|| paths.first())
            .cloned();
        let shown = chosen.and_then(|path| {
            let file = preview_file(catalog, config, passwords, &path)?;
            let old = files
                .iter()
                .find(|f| f.path == path)
                .map_or("", |f| f.contents.as_str());
            let marks = changed_lines(old, &file.contents);
            Some(Shown {
                changed: marks.iter().filter(|m| **m).count(),
                runs: line_runs(&file.contents, &marks),
                path,
            })
        });
        Preview { paths, shown }
    }

    /// Answer one request given as JSON: the reply as JSON, and the archive bytes when the
    /// request asked for an archive. A request that cannot be read gets [`Reply::Error`].
    pub fn handle_json(&mut self, catalog: &Catalog, request: &str) -> (String, Option<Vec<u8>>) {
        let (reply, bytes) = match serde_json::from_str::<Request>(request) {
            Err(e) => (
                Reply::Error {
                    message: format!("files request: {e}"),
                },
                None,
            ),
            Ok(Request::Preview {
                config,
                passwords,
                path,
            }) => (
                Reply::Preview(self.preview(catalog, &config, &passwords, &path)),
                None,
            ),
            Ok(Request::Archive {
                config,
                passwords,
                contents,
                format,
            }) => {
                let a = archive(catalog, &config, &passwords, contents, format);
                (
                    Reply::Archive {
                        name: a.name,
                        mime: a.mime.to_string(),
                    },
                    Some(a.bytes),
                )
            }
        };
        let json = serde_json::to_string(&reply)
            .unwrap_or_else(|e| format!(r#"{{"reply":"error","message":"files reply: {e}"}}"#));
        (json, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        Catalog::builtin()
    }

    fn pw() -> Vec<Password> {
        vec![(
            "rhesis".into(),
            "database.postgresql.password".into(),
            "x1".into(),
        )]
    }

    /// The preview generates one file at a time: it must be the very file of the full set.
    #[test]
    fn one_file_equals_the_full_sets_file() {
        let ids: Vec<&str> = catalog().chart_ids();
        let mut all = Configuration::new(catalog(), &ids, "prod").unwrap();
        all.set_str(catalog(), "cauldron-infra:qdrant.replicaCount=4")
            .unwrap();
        for c in [
            all,
            Configuration::new(catalog(), &["rhesis"], "local").unwrap(),
        ] {
            let files = preview_files(catalog(), &c, &pw());
            assert!(files.iter().any(|f| f.path.starts_with("manifests/")));
            for f in &files {
                assert_eq!(
                    preview_file(catalog(), &c, &pw(), &f.path).as_ref(),
                    Some(f),
                    "{}",
                    f.path
                );
            }
            assert_eq!(
                preview_file(catalog(), &c, &pw(), "manifests/nope.yaml"),
                None
            );
        }
    }

    #[test]
    fn line_runs_keep_every_line_and_mark() {
        let runs = line_runs("a\nb\nc\nd", &[false, true, true, false]);
        assert_eq!(
            runs,
            vec![
                ("a\n".to_string(), false),
                ("b\nc\n".to_string(), true),
                ("d\n".to_string(), false)
            ]
        );
    }

    #[test]
    fn an_external_endpoint_is_marked_as_an_edit() {
        let cat = catalog();
        let mut c =
            Configuration::new(cat, &["cauldron-infra", "cauldron-frappe"], "prod").unwrap();
        c.set_str(cat, "cauldron-infra:postgresql.enabled=false")
            .unwrap();
        c.options.insert(
            "external.cauldron-infra.postgresql".into(),
            "db.example.com:3306".into(),
        );
        assert!(preset_of(&c).options.is_empty());
        let mut svc = FilesService::new();
        let shown = svc
            .preview(cat, &c, &[], "cauldron-frappe/values-prod.yaml")
            .shown
            .unwrap();
        let marked: Vec<&str> = shown
            .runs
            .iter()
            .filter(|(_, m)| *m)
            .flat_map(|(t, _)| t.lines())
            .collect();
        assert!(
            marked.iter().any(|l| l.trim() == "host: db.example.com"),
            "{marked:?}"
        );
        assert!(
            marked.iter().any(|l| l.trim() == "port: 3306"),
            "{marked:?}"
        );
    }

    #[test]
    fn preview_marks_exactly_the_edited_lines_and_follows_the_preset() {
        let mut c = Configuration::new(catalog(), &["rhesis"], "prod").unwrap();
        let mut svc = FilesService::new();
        let path = "manifests/rhesis.yaml";
        let p = svc.preview(catalog(), &c, &[], path);
        let shown = p.shown.expect("a file");
        assert_eq!(shown.path, path);
        assert_eq!(shown.changed, 0, "the preset differs from nothing");
        assert!(p.paths.iter().any(|x| x == "rhesis/values-prod.yaml"));

        c.set_str(catalog(), "rhesis:backend.replicas=7").unwrap();
        let p = svc.preview(catalog(), &c, &[], path);
        let shown = p.shown.unwrap();
        assert!(shown.changed >= 1, "the replica line differs");
        let diff: String = shown
            .runs
            .iter()
            .filter(|(_, m)| *m)
            .map(|(t, _)| t.as_str())
            .collect();
        assert!(diff.contains("replicas: 7"), "{diff}");
        assert_eq!(
            shown.contents(),
            preview_file(catalog(), &c, &[], path).unwrap().contents
        );

        // Another environment is another preset: its files, not the cached ones.
        let staging = Configuration::new(catalog(), &["rhesis"], "staging").unwrap();
        let p = svc.preview(catalog(), &staging, &[], "rhesis/values-staging.yaml");
        assert_eq!(p.shown.unwrap().changed, 0);
        assert!(!p.paths.iter().any(|x| x == "rhesis/values-prod.yaml"));
    }

    #[test]
    fn an_unknown_path_shows_the_first_file() {
        let c = Configuration::new(catalog(), &["rhesis"], "local").unwrap();
        let p = FilesService::new().preview(catalog(), &c, &[], "no/such.yaml");
        assert_eq!(p.shown.unwrap().path, p.paths[0]);
    }

    #[test]
    fn json_requests_round_trip() {
        let c = Configuration::new(catalog(), &["rhesis"], "prod").unwrap();
        let mut svc = FilesService::new();
        let req = Request::Archive {
            config: c.clone(),
            passwords: pw(),
            contents: Contents::Values,
            format: Format::Zip,
        };
        let (json, bytes) = svc.handle_json(catalog(), &serde_json::to_string(&req).unwrap());
        let reply: Reply = serde_json::from_str(&json).unwrap();
        assert_eq!(
            reply,
            Reply::Archive {
                name: "tonnage-rhesis-prod-values.zip".into(),
                mime: "application/zip".into()
            }
        );
        let bytes = bytes.expect("archive bytes");
        assert_eq!(
            bytes,
            archive(catalog(), &c, &pw(), Contents::Values, Format::Zip).bytes
        );
        assert_eq!(&bytes[..2], b"PK");

        let req = Request::Preview {
            config: c.clone(),
            passwords: vec![],
            path: String::new(),
        };
        let (json, bytes) = svc.handle_json(catalog(), &serde_json::to_string(&req).unwrap());
        assert!(bytes.is_none());
        match serde_json::from_str::<Reply>(&json).unwrap() {
            Reply::Preview(p) => assert_eq!(p.shown.unwrap().path, p.paths[0]),
            other => panic!("{other:?}"),
        }

        let (json, bytes) = svc.handle_json(catalog(), r#"{"job":"preview","config":1}"#);
        assert!(bytes.is_none());
        match serde_json::from_str::<Reply>(&json).unwrap() {
            Reply::Error { message } => assert!(message.starts_with("files request:"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn archives_are_named_after_the_configuration() {
        let c = Configuration::new(catalog(), &["rhesis", "rae-memory"], "prod").unwrap();
        let a = archive(catalog(), &c, &[], Contents::Manifests, Format::TarGz);
        assert_eq!(a.name, "tonnage-rhesis+rae-memory-prod-manifests.tar.gz");
        assert_eq!(a.mime, "application/gzip");
        assert_eq!(&a.bytes[..2], &[0x1f, 0x8b]);
    }
}
