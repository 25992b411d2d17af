//! Generated files and the archives that carry them (`.zip`, `.tar.gz`). The same code runs in
//! the browser and the CLI. Archives are deterministic: files in the order given, fixed
//! timestamps (1980-01-01, the earliest a zip can hold), fixed modes and owners, so the same
//! configuration gives byte-identical archives.

use std::io::{Cursor, Write};

use serde::Serialize;

/// One generated file: a path relative to the archive root, its text, and whether it is
/// executable (`install.sh`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutFile {
    pub path: String,
    pub contents: String,
    pub executable: bool,
}

impl OutFile {
    pub fn new(path: impl Into<String>, contents: impl Into<String>) -> Self {
        OutFile {
            path: path.into(),
            contents: contents.into(),
            executable: false,
        }
    }

    pub fn executable(mut self) -> Self {
        self.executable = true;
        self
    }
}

/// Seconds since the Unix epoch of 1980-01-01T00:00:00Z: the fixed mtime of every entry.
pub const FIXED_MTIME: u64 = 315_532_800;

fn mode(f: &OutFile) -> u32 {
    if f.executable {
        0o755
    } else {
        0o644
    }
}

/// The files under one top folder (`folder/<path>`): an archive unpacks into a folder of its
/// own rather than over the current directory.
pub fn under_folder(files: Vec<OutFile>, folder: &str) -> Vec<OutFile> {
    let folder = folder.trim_end_matches('/');
    files
        .into_iter()
        .map(|f| OutFile {
            path: format!("{folder}/{}", f.path),
            ..f
        })
        .collect()
}

/// The folder an archive named `name` unpacks into: its name without `.zip` / `.tar.gz` (and
/// without any directory part).
pub fn folder_of(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".tar.gz")
        .or_else(|| base.strip_suffix(".tgz"))
        .or_else(|| base.strip_suffix(".zip"))
        .unwrap_or(base)
}

/// A `.zip` of the files (deflate), with fixed timestamps.
pub fn zip(files: &[OutFile]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for f in files {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(mode(f));
        // Writing into a Vec cannot fail for IO reasons; a duplicate name is a caller bug and
        // is skipped rather than aborting the whole archive.
        if w.start_file(f.path.as_str(), opts).is_ok() {
            let _ = w.write_all(f.contents.as_bytes());
        }
    }
    w.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// A `.tar.gz` of the files (ustar, gzip level 9), with fixed timestamps, owner 0:0.
pub fn tar_gz(files: &[OutFile]) -> Vec<u8> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for f in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(f.contents.len() as u64);
        h.set_mode(mode(f));
        h.set_mtime(FIXED_MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        let _ = tar.append_data(&mut h, &f.path, f.contents.as_bytes());
    }
    tar.into_inner()
        .and_then(|gz| gz.finish())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn files() -> Vec<OutFile> {
        vec![
            OutFile::new("rhesis/values.yaml", "a: 1\n"),
            OutFile::new("install.sh", "#!/bin/sh\necho hi\n").executable(),
        ]
    }

    #[test]
    fn zip_is_deterministic_and_readable() {
        let a = zip(&files());
        assert_eq!(a, zip(&files()), "same input, same bytes");
        let mut z = zip::ZipArchive::new(Cursor::new(a)).unwrap();
        assert_eq!(z.len(), 2);
        let mut s = String::new();
        z.by_name("rhesis/values.yaml")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "a: 1\n");
        assert_eq!(z.by_name("install.sh").unwrap().unix_mode(), Some(0o100755));
    }

    #[test]
    fn tar_gz_is_deterministic_and_readable() {
        let a = tar_gz(&files());
        assert_eq!(a, tar_gz(&files()), "same input, same bytes");
        let gz = flate2::read::GzDecoder::new(Cursor::new(a));
        let mut t = tar::Archive::new(gz);
        let mut seen = Vec::new();
        for e in t.entries().unwrap() {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().to_string();
            assert_eq!(e.header().mtime().unwrap(), FIXED_MTIME);
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            seen.push((path, s));
        }
        assert_eq!(seen[0], ("rhesis/values.yaml".into(), "a: 1\n".into()));
        assert_eq!(seen[1].0, "install.sh");
    }
}
