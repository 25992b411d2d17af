//! What the page's Files panel derives from a configuration, as plain requests and replies: the
//! list of generated files, one file with the lines that differ from the preset, and the
//! archives. The web app sends these to a web worker (`crates/tonnage-worker`), so rendering
//! values and manifests, diffing and compressing never block the page and the code that does
//! it is not part of the page's first download. The worker is a thin shell around
//! [`FilesService`]; everything it answers is decided here and tested natively.
//!
//! Requests and replies are serde types (JSON between the page and the worker). Archive bytes
//! travel beside the JSON reply, not inside it. A preview reply carries only what changed since
//! the reply the page last applied (the request says which one it holds): runs the page already
//! has are referenced by index ([`Run::Keep`]), so an edit sends a few lines, not the whole file.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::base::archive::{tar_gz, zip, OutFile};
use crate::base::textdiff::changed_lines;
use crate::compute::review::{self, Finding};
use crate::configuration::config::Configuration;
use crate::model::catalog::Catalog;
use crate::outputs::bundle::{values_bundle, values_bundle_file, BundleOptions};
use crate::outputs::import::{import_values_as, ImportMode, ImportReport};
use crate::outputs::manifests::{
    hardening_overlay, multi_doc, multi_doc_files, per_object_files, render, render_hardening,
    render_patches, render_stack,
};
use crate::outputs::share;

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
        /// The revision of the shown file's runs the page holds ([`ShownDelta::revision`] of
        /// the last reply it applied; 0 when it holds none): the reply may refer to them.
        #[serde(default)]
        have: u64,
    },
    /// An archive of the values bundle or the manifests.
    Archive {
        config: Configuration,
        #[serde(default)]
        passwords: Vec<Password>,
        contents: Contents,
        format: Format,
    },
    /// A values file read for a chart ([`import_values`]): the page has no YAML parser.
    Import {
        config: Configuration,
        chart: String,
        text: String,
        /// Replace the environment's values (the default) or merge onto the configuration.
        #[serde(default)]
        mode: ImportMode,
    },
    /// A share link holding values written as YAML ([`share::decode`]), which the page's
    /// [`share::decode_without_yaml`] leaves to the worker.
    DecodeLink { fragment: String },
    /// The chart audit of a configuration ([`review::audit_findings`]): its facts are not part of
    /// the page's first load.
    Audit { config: Configuration },
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

/// One run of lines of a preview reply: a run the page already holds, by its index in the runs
/// of the revision the reply is based on; a part of one (index, byte range of its text, mark:
/// an edit that splits a run sends no text); or a run's text (lines with their newlines) and
/// whether it differs from the preset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Run {
    Keep(usize),
    Part(usize, usize, usize, bool),
    New(String, bool),
}

/// Runs shorter than this are sent as text rather than looked for in the old runs.
const PART_MIN: usize = 256;

/// The shown file as the worker sends it: its runs relative to revision `base` of the runs
/// (0: none, every run is [`Run::New`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownDelta {
    pub path: String,
    /// Number of lines that differ from the preset.
    pub changed: usize,
    /// This reply's revision of the runs: what the page sends back as `have`.
    pub revision: u64,
    /// The revision the [`Run::Keep`] indices refer to; 0 when the reply holds every run.
    pub base: u64,
    pub runs: Vec<Run>,
}

/// The preview as the worker sends it. `paths` is `None` when the list is the one of the
/// reply the page holds (revision `have` of the request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewDelta {
    pub paths: Option<Vec<String>>,
    pub shown: Option<ShownDelta>,
}

/// `new` as runs relative to `old`: each run of `new` equal (text and mark) to a run of `old`
/// is [`Run::Keep`] of that run's index, every index used at most once (so the page can key its
/// elements by run); a longer run found inside a run of `old` is [`Run::Part`]; the others are
/// [`Run::New`].
pub fn delta_runs(old: &[(String, bool)], new: &[(String, bool)]) -> Vec<Run> {
    let mut at: HashMap<(&str, bool), VecDeque<usize>> = HashMap::with_capacity(old.len());
    for (i, (text, mark)) in old.iter().enumerate() {
        at.entry((text.as_str(), *mark)).or_default().push_back(i);
    }
    new.iter()
        .map(|(text, mark)| {
            match at
                .get_mut(&(text.as_str(), *mark))
                .and_then(VecDeque::pop_front)
            {
                Some(i) => Run::Keep(i),
                None => part_of(old, text)
                    .map(|(i, start)| Run::Part(i, start, start + text.len(), *mark))
                    .unwrap_or_else(|| Run::New(text.clone(), *mark)),
            }
        })
        .collect()
}

/// Where `text` (whole lines) occurs in a run of `old`, starting at a line: (run, byte offset).
fn part_of(old: &[(String, bool)], text: &str) -> Option<(usize, usize)> {
    if text.len() < PART_MIN {
        return None;
    }
    old.iter().enumerate().find_map(|(i, (o, _))| {
        o.match_indices(text)
            .map(|(start, _)| start)
            .find(|&start| start == 0 || o.as_bytes()[start - 1] == b'\n')
            .map(|start| (i, start))
    })
}

/// The runs `runs` describe, given the runs `old` of their base revision: a kept run is a clone
/// of `old`'s; a new run, or a part of an old run (`text` gives an old run's text), is made by
/// `fresh` from its text and mark. `None` when a run refers to an index or a range `old` does
/// not have (the reply is based on other runs than `old`).
pub fn apply_runs<T: Clone>(
    old: &[T],
    runs: Vec<Run>,
    text: impl Fn(&T) -> &str,
    mut fresh: impl FnMut(String, bool) -> T,
) -> Option<Vec<T>> {
    runs.into_iter()
        .map(|r| match r {
            Run::Keep(i) => old.get(i).cloned(),
            Run::Part(i, start, end, mark) => {
                let part = text(old.get(i)?).get(start..end)?.to_string();
                Some(fresh(part, mark))
            }
            Run::New(t, mark) => Some(fresh(t, mark)),
        })
        .collect()
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
    Preview(PreviewDelta),
    Archive {
        name: String,
        mime: String,
    },
    /// What [`Request::Import`] found in the values file.
    Import {
        report: ImportReport,
    },
    /// The configuration a [`Request::DecodeLink`] link holds, and what decoding did to the
    /// overrides of an older link ([`share::Migration`], as text).
    Config {
        config: Configuration,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        notes: Vec<String>,
    },
    /// The chart audit's findings, in the review's order.
    Audit {
        findings: Vec<Finding>,
    },
    /// The request could not be read, or the values file or link could not (names what was
    /// wrong, as the core's error says it).
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
    let mut base = Vec::new();
    for mut f in multi_doc_files(&render(catalog, config)) {
        f.path = format!("manifests/{}", f.path);
        base.push(format!("../{}", f.path));
        files.push(f);
    }
    files.extend(hardening(catalog, config, base));
    files
}

/// The hardening overlay over the manifests at `base` (paths from the overlay's folder).
fn hardening(catalog: &Catalog, config: &Configuration, base: Vec<String>) -> Vec<OutFile> {
    hardening_overlay(
        "hardening",
        &base,
        &render_hardening(catalog, config),
        &render_patches(catalog, config),
    )
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
    if path.starts_with("hardening/") {
        let base = config
            .stacks
            .iter()
            .filter(|id| !render_stack(catalog, config, id).is_empty())
            .map(|id| format!("../manifests/{id}.yaml"))
            .collect();
        return hardening(catalog, config, base)
            .into_iter()
            .find(|f| f.path == path);
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
        Contents::Manifests => {
            let mut files = per_object_files(&render(catalog, config));
            let base = files.iter().map(|f| format!("../{}", f.path)).collect();
            files.extend(hardening(catalog, config, base));
            files
        }
    };
    // One top folder, named as the archive: it unpacks beside others, not over the directory.
    let name = archive_name(config, contents, format);
    let files = crate::base::archive::under_folder(files, crate::base::archive::folder_of(&name));
    let (bytes, mime) = match format {
        Format::Zip => (zip(&files), "application/zip"),
        Format::TarGz => (tar_gz(&files), "application/gzip"),
    };
    Archive { name, mime, bytes }
}

/// The preset a configuration starts from: the same charts, environment and options, no
/// overrides and no external endpoints (which the user gives, as overrides). The preview diffs
/// against its files.
fn preset_of(config: &Configuration) -> Configuration {
    Configuration {
        stacks: config.stacks.clone(),
        env: config.env.clone(),
        overrides: BTreeMap::new(),
        origins: BTreeMap::new(),
        options: config
            .options
            .iter()
            .filter(|(k, _)| !k.starts_with(crate::configuration::external::PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// What the service last sent as a preview: the base of the next reply's delta.
#[derive(Debug)]
struct Sent {
    revision: u64,
    paths: Vec<String>,
    runs: Vec<(String, bool)>,
}

/// Answers the Files panel's requests, keeping the preset's files between requests: an edit
/// changes overrides, not the preset, so only the shown file is generated again. It also keeps
/// the runs of the last preview it sent, so the next reply carries only what changed.
#[derive(Debug, Default)]
pub struct FilesService {
    preset: Option<(Configuration, Vec<Password>, Vec<OutFile>)>,
    sent: Option<Sent>,
    revisions: u64,
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

    /// [`FilesService::preview`] as a reply to a page holding revision `have` of the runs: when
    /// that is the revision this service last sent, the runs that did not change are referred
    /// to by index and an unchanged file list is left out; otherwise everything is sent.
    pub fn preview_delta(
        &mut self,
        catalog: &Catalog,
        config: &Configuration,
        passwords: &[Password],
        path: &str,
        have: u64,
    ) -> PreviewDelta {
        let Preview { paths, shown } = self.preview(catalog, config, passwords, path);
        let base = self.sent.take().filter(|s| have != 0 && s.revision == have);
        let same_paths = base.as_ref().is_some_and(|b| b.paths == paths);
        let Some(shown) = shown else {
            return PreviewDelta {
                paths: (!same_paths).then_some(paths),
                shown: None,
            };
        };
        self.revisions += 1;
        let revision = self.revisions;
        let (runs, base_revision) = match &base {
            Some(b) => (delta_runs(&b.runs, &shown.runs), b.revision),
            None => (
                shown
                    .runs
                    .iter()
                    .map(|(t, m)| Run::New(t.clone(), *m))
                    .collect(),
                0,
            ),
        };
        let reply = PreviewDelta {
            paths: (!same_paths).then(|| paths.clone()),
            shown: Some(ShownDelta {
                path: shown.path,
                changed: shown.changed,
                revision,
                base: base_revision,
                runs,
            }),
        };
        self.sent = Some(Sent {
            revision,
            paths,
            runs: shown.runs,
        });
        reply
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
                have,
            }) => (
                Reply::Preview(self.preview_delta(catalog, &config, &passwords, &path, have)),
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
            Ok(Request::Import {
                config,
                chart,
                text,
                mode,
            }) => (
                match import_values_as(catalog, &config, &chart, &text, mode) {
                    Ok(report) => Reply::Import { report },
                    Err(e) => Reply::Error {
                        message: e.to_string(),
                    },
                },
                None,
            ),
            Ok(Request::Audit { config }) => (
                Reply::Audit {
                    findings: review::audit_findings(catalog, &config),
                },
                None,
            ),
            Ok(Request::DecodeLink { fragment }) => (
                match share::decode_noting(catalog, &fragment) {
                    Ok((config, m)) => Reply::Config {
                        config,
                        notes: m.iter().map(ToString::to_string).collect(),
                    },
                    Err(e) => Reply::Error {
                        message: e.to_string(),
                    },
                },
                None,
            ),
        };
        let json = serde_json::to_string(&reply)
            .unwrap_or_else(|e| format!(r#"{{"reply":"error","message":"files reply: {e}"}}"#));
        (json, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::import::import_values;

    fn catalog() -> &'static Catalog {
        Catalog::builtin()
    }

    /// A generated password for a credential the chart takes from its values (caracal's
    /// values.yaml `postgresql.auth.password`).
    fn pw() -> Vec<Password> {
        vec![(
            "caracal".into(),
            "postgresql.auth.password".into(),
            "Gen-x1-pw".into(),
        )]
    }

    /// The preview generates one file at a time: it must be the very file of the full set.
    #[test]
    fn one_file_equals_the_full_sets_file() {
        let ids: Vec<&str> = catalog().chart_ids();
        let mut all = Configuration::new(catalog(), &ids, "prod").unwrap();
        all.set_str(catalog(), "cauldron-infra:rabbitmq.replicaCount=5")
            .unwrap();
        for c in [
            all,
            Configuration::new(catalog(), &["rhesis"], "local").unwrap(),
        ] {
            let files = preview_files(catalog(), &c, &pw());
            assert!(files.iter().any(|f| f.path.starts_with("manifests/")));
            // The hardening overlay is offered beside the render, over its files.
            let k = files
                .iter()
                .find(|f| f.path == "hardening/kustomization.yaml")
                .expect("the hardening overlay");
            assert!(k.contents.contains("  - ../manifests/"), "{}", k.contents);
            if c.stacks.iter().any(|s| s == "caracal") {
                assert!(files.iter().any(|f| f.contents.contains("Gen-x1-pw")));
            }
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

    /// The page's YAML work: a values file read for a chart, and a link holding YAML values,
    /// answered as the core answers them, errors included.
    #[test]
    fn imports_and_links_are_read_as_the_core_reads_them() {
        let c = Configuration::new(catalog(), &["rhesis"], "prod").unwrap();
        let mut svc = FilesService::new();
        let mut ask = |req: Request| {
            let (json, bytes) = svc.handle_json(catalog(), &serde_json::to_string(&req).unwrap());
            assert!(bytes.is_none());
            serde_json::from_str::<Reply>(&json).unwrap()
        };
        let text = "backend:\n  replicas: 5\nbogus: 1\n";
        let reply = ask(Request::Import {
            config: c.clone(),
            chart: "rhesis".into(),
            text: text.into(),
            mode: ImportMode::Replace,
        });
        let report = import_values(catalog(), &c, "rhesis", text).unwrap();
        assert!(report.unknown.contains(&"bogus".to_string()), "{report:?}");
        assert_eq!(reply, Reply::Import { report });
        let bad = "backend: [1\n";
        let reply = ask(Request::Import {
            config: c.clone(),
            chart: "rhesis".into(),
            text: bad.into(),
            mode: ImportMode::Merge,
        });
        let e = import_values(catalog(), &c, "rhesis", bad).unwrap_err();
        assert!(e.to_string().contains("line"), "{e}");
        assert_eq!(
            reply,
            Reply::Error {
                message: e.to_string()
            }
        );

        let mut quoted = c.clone();
        quoted
            .set(catalog(), "rhesis", "redis.image.tag", "12".into())
            .unwrap();
        let link = share::encode(catalog(), &quoted);
        assert_eq!(
            share::decode_without_yaml(catalog(), &link),
            Err(share::ShareError::NeedsYaml)
        );
        let reply = ask(Request::DecodeLink {
            fragment: link.clone(),
        });
        assert_eq!(
            reply,
            Reply::Config {
                config: share::decode(catalog(), &link).unwrap(),
                notes: Vec::new(),
            }
        );
        let reply = ask(Request::DecodeLink {
            fragment: "v9.abc".into(),
        });
        assert_eq!(
            reply,
            Reply::Error {
                message: share::decode(catalog(), "v9.abc").unwrap_err().to_string()
            }
        );
        let infra = Configuration::new(catalog(), &["cauldron-infra"], "prod").unwrap();
        let reply = ask(Request::Audit {
            config: infra.clone(),
        });
        let findings = review::audit_findings(catalog(), &infra);
        assert!(findings.iter().any(|f| f.rule == "dead-setting"));
        assert_eq!(reply, Reply::Audit { findings });
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
            have: 0,
        };
        let (json, bytes) = svc.handle_json(catalog(), &serde_json::to_string(&req).unwrap());
        assert!(bytes.is_none());
        match serde_json::from_str::<Reply>(&json).unwrap() {
            Reply::Preview(p) => {
                let shown = p.shown.unwrap();
                assert_eq!(shown.path, p.paths.unwrap()[0]);
                assert_eq!(shown.base, 0);
            }
            other => panic!("{other:?}"),
        }

        let (json, bytes) = svc.handle_json(catalog(), r#"{"job":"preview","config":1}"#);
        assert!(bytes.is_none());
        match serde_json::from_str::<Reply>(&json).unwrap() {
            Reply::Error { message } => assert!(message.starts_with("files request:"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    /// The page's side of the protocol: the runs it holds, their revision and the file list.
    #[derive(Default)]
    struct Page {
        revision: u64,
        paths: Vec<String>,
        runs: Vec<(String, bool)>,
    }

    impl Page {
        fn apply(&mut self, reply: PreviewDelta) -> Option<Shown> {
            if let Some(p) = reply.paths {
                self.paths = p;
            }
            let shown = reply.shown?;
            let base: &[(String, bool)] = if shown.base == 0 { &[] } else { &self.runs };
            assert!(shown.base == 0 || shown.base == self.revision);
            self.runs = apply_runs(base, shown.runs, |r| r.0.as_str(), |t, m| (t, m))
                .expect("indices in range");
            self.revision = shown.revision;
            Some(Shown {
                path: shown.path,
                changed: shown.changed,
                runs: self.runs.clone(),
            })
        }
    }

    /// Replies as deltas, applied in turn by the page, give exactly the full preview, and an
    /// edit of one figure sends a few lines, not the file.
    #[test]
    fn delta_replies_rebuild_the_full_preview() {
        let cat = catalog();
        let mut c = Configuration::new(cat, &["cauldron-infra", "rhesis"], "prod").unwrap();
        let mut svc = FilesService::new();
        let mut full = FilesService::new();
        let mut page = Page::default();
        let path = "manifests/cauldron-infra.yaml";
        let edits = [
            "cauldron-infra:qdrant.replicaCount=3",
            "cauldron-infra:qdrant.replicaCount=4",
            "cauldron-infra:postgresql.primary.resources.requests.cpu=3",
            "cauldron-infra:qdrant.replicaCount=1",
        ];
        for (i, edit) in std::iter::once(None).chain(edits.map(Some)).enumerate() {
            if let Some(e) = edit {
                c.set_str(cat, e).unwrap();
            }
            let want = full.preview(cat, &c, &[], path);
            let reply = svc.preview_delta(cat, &c, &[], path, page.revision);
            let shown = reply.shown.as_ref().unwrap();
            if i == 0 {
                assert_eq!(shown.base, 0);
                assert!(reply.paths.is_some());
            } else {
                assert_eq!(shown.base, page.revision, "edit {i}");
                assert!(reply.paths.is_none(), "the list did not change");
                let sent: usize = shown
                    .runs
                    .iter()
                    .map(|r| match r {
                        Run::New(t, _) => t.len(),
                        Run::Keep(_) | Run::Part(..) => 0,
                    })
                    .sum();
                // A changed figure, or a run split by a new change, travels as a few lines;
                // runs merged back together (the last edit) may travel as text.
                if i < edits.len() {
                    assert!(sent < 2000, "edit {i} sent {sent} bytes of text");
                }
            }
            assert_eq!(page.apply(reply), want.shown, "edit {i}");
            assert_eq!(page.paths, want.paths);
        }
        // Another file: runs of the old one may be kept, the result is still the new file.
        let want = full.preview(cat, &c, &[], "rhesis/values-prod.yaml");
        let reply = svc.preview_delta(cat, &c, &[], "rhesis/values-prod.yaml", page.revision);
        assert_eq!(page.apply(reply), want.shown);
    }

    /// A page holding other runs than the service last sent (a fresh worker, a lost reply) gets
    /// every run and the list.
    #[test]
    fn a_stale_revision_gets_the_whole_file() {
        let cat = catalog();
        let c = Configuration::new(cat, &["rhesis"], "prod").unwrap();
        let path = "manifests/rhesis.yaml";
        let mut svc = FilesService::new();
        let first = svc.preview_delta(cat, &c, &[], path, 0);
        let rev = first.shown.as_ref().unwrap().revision;
        for have in [0, rev + 7] {
            let reply = svc.preview_delta(cat, &c, &[], path, have);
            assert!(reply.paths.is_some());
            let shown = reply.shown.unwrap();
            assert_eq!(shown.base, 0);
            assert!(shown.runs.iter().all(|r| matches!(r, Run::New(..))));
            let mut page = Page::default();
            let again = svc.preview_delta(cat, &c, &[], path, shown.revision);
            page.runs = apply_runs(
                &[],
                shown.runs,
                |r: &(String, bool)| r.0.as_str(),
                |t, m| (t, m),
            )
            .unwrap();
            page.revision = shown.revision;
            let kept = again.shown.as_ref().unwrap();
            assert!(kept.runs.iter().all(|r| matches!(r, Run::Keep(_))));
            assert_eq!(
                page.apply(again).map(|s| s.contents()),
                Some(preview_file(cat, &c, &[], path).unwrap().contents)
            );
        }
    }

    mod props {
        use proptest::prelude::*;

        use super::super::{apply_runs, delta_runs, Run};

        fn runs() -> impl Strategy<Value = Vec<(String, bool)>> {
            // A small alphabet, so runs repeat and the delta has something to keep.
            proptest::collection::vec(("([ab]{0,2}\n){1,3}", any::<bool>()), 0..12)
        }

        proptest! {
            /// Applying the delta of `new` against `old` to `old` gives exactly `new`, and each
            /// of `old`'s runs is kept at most once.
            #[test]
            fn applying_a_delta_gives_the_new_runs(old in runs(), new in runs()) {
                let delta = delta_runs(&old, &new);
                let mut kept: Vec<usize> = delta
                    .iter()
                    .filter_map(|r| match r { Run::Keep(i) => Some(*i), _ => None })
                    .collect();
                let n = kept.len();
                kept.sort_unstable();
                kept.dedup();
                prop_assert_eq!(kept.len(), n);
                let back = apply_runs(&old, delta.clone(), |r| r.0.as_str(), |t, m| (t, m));
                prop_assert_eq!(back.as_ref(), Some(&new));
                // A run equal to one of `old`'s is never sent again unless all its copies are used.
                for (r, run) in delta.iter().zip(&new) {
                    if let Run::New(..) = r {
                        let copies = old.iter().filter(|o| *o == run).count();
                        let used = delta.iter().zip(&new)
                            .filter(|(d, x)| matches!(d, Run::Keep(_)) && *x == run).count();
                        prop_assert!(used >= copies);
                    }
                }
                // Serialized and read back (what the worker and the page do), the same delta.
                let json = serde_json::to_string(&delta).unwrap();
                prop_assert_eq!(serde_json::from_str::<Vec<Run>>(&json).unwrap(), delta);
            }

            /// A delta based on other runs than the page holds is refused, not misapplied.
            #[test]
            fn an_index_out_of_range_is_refused(old in runs(), extra in 0usize..4) {
                let delta = vec![Run::Keep(old.len() + extra)];
                prop_assert_eq!(apply_runs(&old, delta, |r| r.0.as_str(), |t, m| (t, m)), None);
                let delta = vec![Run::Part(0, 0, old.first().map_or(0, |r| r.0.len()) + 1 + extra, false)];
                prop_assert_eq!(apply_runs(&old, delta, |r| r.0.as_str(), |t, m| (t, m)), None);
            }

            /// Long runs: a run cut out of an old one travels as a byte range, and applying the
            /// delta still gives exactly the new runs.
            #[test]
            fn split_runs_are_sent_as_parts(lines in proptest::collection::vec("[a-d]{8,40}\\n", 20..80),
                                            cut in proptest::collection::vec(any::<bool>(), 80)) {
                let whole: String = lines.concat();
                let old = vec![(whole, false)];
                // The same lines, some marked: runs of consecutive lines with the same mark.
                let mut new: Vec<(String, bool)> = Vec::new();
                for (l, m) in lines.iter().zip(&cut) {
                    match new.last_mut() {
                        Some((t, mm)) if mm == m => t.push_str(l),
                        _ => new.push((l.clone(), *m)),
                    }
                }
                let delta = delta_runs(&old, &new);
                for (d, (t, _)) in delta.iter().zip(&new) {
                    if t.len() >= super::super::PART_MIN && t != &old[0].0 {
                        prop_assert!(matches!(d, Run::Part(..)), "{d:?}");
                    }
                }
                prop_assert_eq!(apply_runs(&old, delta, |r| r.0.as_str(), |t, m| (t, m)), Some(new));
            }
        }
    }

    #[test]
    fn archives_are_named_after_the_configuration() {
        let c = Configuration::new(catalog(), &["rhesis", "rae-memory"], "prod").unwrap();
        let a = archive(catalog(), &c, &[], Contents::Manifests, Format::TarGz);
        assert_eq!(a.name, "tonnage-rhesis+rae-memory-prod-manifests.tar.gz");
        assert_eq!(a.mime, "application/gzip");
        assert_eq!(&a.bytes[..2], &[0x1f, 0x8b]);
        // Every entry under one top folder named as the archive.
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&a.bytes[..]));
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(!names.is_empty());
        for n in &names {
            assert!(
                n.starts_with("tonnage-rhesis+rae-memory-prod-manifests/"),
                "{n}"
            );
        }
        let z = archive(catalog(), &c, &[], Contents::Values, Format::Zip);
        let zip = zip::ZipArchive::new(std::io::Cursor::new(z.bytes)).unwrap();
        assert!(zip.file_names().all(|n| n
            .unwrap()
            .starts_with("tonnage-rhesis+rae-memory-prod-values/")));
    }
}
