//! Share links: the whole configuration in a URL fragment, e.g.
//! `http://127.0.0.1:8080/#v1.<payload>`. Only the differences from the preset travel, packed
//! and deflated; credentials never do.
//!
//! # Format v1 (frozen: links made once must decode forever)
//!
//! A fragment is `v1.` followed by the *payload*. The prefix `v<N>.` stays readable so that a
//! link made by a newer Tonnage is recognised without unpacking it (`v2.…` is refused with
//! [`ShareError::NewerVersion`]).
//!
//! **Payload.** Base64url without padding (RFC 4648 §5, alphabet `A-Z a-z 0-9 - _`) of
//! `crc ++ deflated`, where `deflated` is a raw DEFLATE stream (RFC 1951, no zlib or gzip
//! header) of the *packed text* and `crc` is the CRC-32 (IEEE 802.3, as in zip and gzip) of the
//! packed text, 4 bytes big-endian. A decoder refuses a stream that does not end, bytes after
//! its end, a CRC mismatch, packed or expanded text above 64 KiB ([`MAX_TEXT_BYTES`]), and a
//! values path above 1024 bytes.
//!
//! **Packed text.** The text below with some substrings replaced by one byte each: byte
//! `0x80 + i` stands for entry `i` of [`DICTIONARY`]. Those bytes never begin a UTF-8
//! character, so a decoder walks the packed bytes: a byte `0x80..=0xBF` is replaced by its
//! entry; a byte below `0x80` is copied; a byte from `0xC0` starts a UTF-8 sequence of the
//! length its high bits announce (2, 3 or 4 bytes), copied as is. The result must be UTF-8.
//! Entries may appear anywhere; this encoder uses them only where an entry starts a line, a
//! path segment or a stack id (after `\n`, `.`, `,` or `~`) and, unless the entry ends with
//! `.`, is followed by the end of the text, `.`, `[`, `=`, `,`, `~` or `\n`. The longest entry
//! wins.
//!
//! **Text.** UTF-8 lines separated by `\n`, no trailing newline, no empty line:
//!
//! ```text
//! cauldron-infra,cauldron-frappe~prod        header: STACK[,STACK...]~ENV
//! postgresql.primary.persistence.size=200Gi  override of the current stack: PATH=VALUE
//! :1                                         the following overrides are for the header's
//!                                            stack number 1 (0-based); the first is current
//! frappe.replicas.web=5                      (an override of cauldron-frappe)
//! @cloud=aws                                 planning option: @KEY=VALUE
//! ```
//!
//! - The header lists [`Configuration::stacks`] in order and [`Configuration::env`].
//! - `PATH` and `KEY` run up to the first `=`; one that is empty, contains `=` or `\n`, or
//!   starts with `"`, `:` or `@` is written as a YAML double-quoted string (then `=`).
//! - An override `VALUE` is either `~` followed by one YAML flow node (`~"3"` is the string
//!   `3`, `~1.5` a float, `~[a, b]` a list, `~{"k": 1}` a map), or plain text typed as
//!   `helm --set` types it: `true`/`false`, `null`, an integer without a leading zero, else
//!   a string (`4`, `false`, `1500m`, `200Gi`).
//! - An option `VALUE` is the text itself, or `~` followed by a YAML double-quoted string.
//! - The encoder writes the first stack's overrides, then `:N` and the overrides of each other
//!   stack that has any, then the options; overrides by path and options by key, sorted. A
//!   decoder accepts the lines in any order but refuses a path or option key given twice.
//!
//! Every decoded override goes through [`Configuration::set`], so it is checked exactly like
//! user input (unknown stack, environment or path, bad value) and quantities come back in
//! canonical form.
//! A path of an earlier catalog that the chart's catalog lists under `moved` sets the real key
//! instead, and one under `removed` is dropped; [`decode_noting`] says which.
//!
//! # What a link leaves out
//!
//! - Overrides equal to the preset (the environment's value; quantities compared by value),
//!   unless another override of the same chart overlaps their path.
//! - Credentials ([`is_credential`]): an override whose last key looks like a password, token,
//!   secret, API key, cookie or key material, or whose value holds one (a map with such a key,
//!   a URL with `user:password@`); likewise options. [`withheld`] lists what was left out; a
//!   decoder refuses a link that carries one ([`ShareError::Secret`]).

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};

/// CRC-32 (IEEE 802.3, the one zip and gzip use) with a one-table (1 KiB) implementation: a link
/// is a few hundred bytes, and the page downloads this code, so the 16 KiB tables of
/// `crc32fast` (behind `flate2::Crc`) would cost more than they save.
const CRC32: crc::Crc<u32, crc::Table<1>> =
    crc::Crc::<u32, crc::Table<1>>::new(&crc::CRC_32_ISO_HDLC);
use serde_yaml::Value;

use crate::base::values::typed_value;
use crate::configuration::config::{same_as_preset, ConfigError, Configuration, Origin};
use crate::configuration::credentials::option_is_credential;
pub use crate::configuration::credentials::{is_credential, is_credential_key};
use crate::model::catalog::Catalog;

/// The format this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Where the CLI points links by default (`scripts/serve`).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080/";

/// The most a decoder unpacks (packed text, and the text after dictionary expansion). A real
/// configuration is a few hundred bytes; anything beyond this is damage or a zip bomb.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The longest values path a decoder accepts.
const MAX_PATH_BYTES: usize = 1024;

/// The v1 dictionary: byte `0x80 + i` in the packed text stands for entry `i`. Frozen: entries
/// may never change or move (new entries would need a new format version). Values paths the
/// five charts use most (shared/seeds/000..004), the chart ids and environment ids.
pub const DICTIONARY: [&str; 64] = [
    // 0x80: component settings, as components name them (catalog/SCHEMA.md)
    "resources.requests.cpu",
    "resources.requests.memory",
    "resources.limits.cpu",
    "resources.limits.memory",
    "persistence.size",
    "persistence.enabled",
    "autoscaling.enabled",
    "autoscaling.minReplicas",
    "autoscaling.maxReplicas",
    "autoscaling.targetCPUUtilizationPercentage",
    "autoscaling.targetMemoryUtilizationPercentage",
    "resourcesPreset",
    "replicaCount",
    "replicas",
    "enabled",
    "resources.",
    // 0x90
    "persistence.",
    "autoscaling.",
    "primary.",
    "master.",
    "replica.",
    "readReplicas.",
    "architecture",
    "storageClass",
    "count",
    "image.",
    "ingress.",
    "monitoring.",
    "networkPolicy.",
    "global.",
    // top-level keys of the charts' components
    "postgresql.",
    "redis.",
    // 0xA0
    "qdrant.",
    "kafka.",
    "zookeeper.",
    "gateway.",
    "mcpAdapter.",
    "consumers.",
    "ledgerWriter.",
    "metricsAggregator.",
    "auditLogger.",
    "web.",
    "worker.",
    "scheduler.",
    "socketio.",
    "timescaledb.",
    "rabbitmq.",
    "redis-cache.",
    // 0xB0
    "redis-queue.",
    "redis-socketio.",
    "memoryApi.",
    "mlService.",
    "reranker.",
    "celeryWorker.",
    "frontend.",
    "backend.",
    "database.",
    // chart ids and environments
    "cauldron-infra",
    "cauldron-frappe",
    "rhesis",
    "caracal",
    "rae-memory",
    "staging",
    "prod",
];

/// Why a link could not be read. Every message says what is wrong in the user's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareError {
    /// Nothing to read (an empty text, or nothing after `#`).
    Empty,
    /// Not a Tonnage link at all.
    NotTonnage { reason: String },
    /// Made by a newer Tonnage (`v2.…`): the format version, as written.
    NewerVersion { version: String },
    /// Corrupt or truncated: base64, inflate, checksum or text parse failure.
    Damaged { problem: String },
    /// The payload unpacks to more than [`MAX_TEXT_BYTES`].
    TooLarge,
    /// The link carries a credential (`stack:path`, or `option KEY`); links never do.
    Secret { what: String },
    /// The configuration it holds does not pass this catalog's checks.
    Config(ConfigError),
    /// [`decode_without_yaml`] only: the link holds a value written as YAML (a list, a map, a
    /// quoted string), which [`decode`] reads. Not an error in the link.
    NeedsYaml,
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::Empty => write!(
                f,
                "the link is empty: expected a Tonnage link such as {DEFAULT_BASE_URL}#v1.…"
            ),
            ShareError::NotTonnage { reason } => write!(f, "not a Tonnage link: {reason}"),
            ShareError::NewerVersion { version } => write!(
                f,
                "this link was made by a newer Tonnage (format v{version}); this version reads v{FORMAT_VERSION}"
            ),
            ShareError::Damaged { problem } => {
                write!(f, "the link is damaged or cut off: {problem}")
            }
            ShareError::TooLarge => write!(
                f,
                "the link is damaged: it unpacks to more than {} KiB, far more than any configuration",
                MAX_TEXT_BYTES / 1024
            ),
            ShareError::Secret { what } => write!(
                f,
                "the link carries a credential ({what}); Tonnage links never hold secrets, so it was refused"
            ),
            ShareError::Config(e) => write!(f, "the link's configuration is not valid: {e}"),
            ShareError::NeedsYaml => write!(
                f,
                "the link holds values written as YAML, which this reader leaves to the full one"
            ),
        }
    }
}

impl std::error::Error for ShareError {}

impl From<ConfigError> for ShareError {
    fn from(e: ConfigError) -> Self {
        ShareError::Config(e)
    }
}

fn damaged(problem: impl Into<String>) -> ShareError {
    ShareError::Damaged {
        problem: problem.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// The fragment (without `#`) that carries `config`: `v1.<payload>`. Overrides equal to the
/// preset and credentials are left out (see the module documentation). A configuration built
/// through [`Configuration::new`] and [`Configuration::set`] decodes back equal, less those.
pub fn encode(catalog: &Catalog, config: &Configuration) -> String {
    let packed = pack(&text_of(catalog, config));
    let crc = CRC32.checksum(&packed);
    let mut encoder = DeflateEncoder::new(crc.to_be_bytes().to_vec(), Compression::best());
    // Writing into a Vec cannot fail.
    let bytes = encoder
        .write_all(&packed)
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    format!("v{FORMAT_VERSION}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// `base_url` + `#` + the fragment (a fragment already in `base_url` is replaced; a leading
/// `#` on `config_fragment` is not doubled).
pub fn link(base_url: &str, config_fragment: &str) -> String {
    let base = base_url.split('#').next().unwrap_or(base_url);
    let fragment = config_fragment.strip_prefix('#').unwrap_or(config_fragment);
    format!("{base}#{fragment}")
}

/// What [`encode`] leaves out of a link because it is a credential: `stack:path` for
/// overrides, `option KEY` for options. For a front end to tell the user.
pub fn withheld(config: &Configuration) -> Vec<String> {
    let mut out = Vec::new();
    for stack in &config.stacks {
        for (path, value) in config.overrides.get(stack).into_iter().flatten() {
            if is_credential(path, value) {
                out.push(format!("{stack}:{path}"));
            }
        }
    }
    for (key, value) in &config.options {
        if option_is_credential(key, value) {
            out.push(format!("option {key}"));
        }
    }
    out
}

/// The unpacked text of a configuration (format v1, before dictionary packing).
fn text_of(catalog: &Catalog, config: &Configuration) -> String {
    let mut lines = vec![format!("{}~{}", config.stacks.join(","), config.env)];
    for (i, stack) in config.stacks.iter().enumerate() {
        let kept = shared_overrides(catalog, config, stack);
        if kept.is_empty() {
            continue;
        }
        if i > 0 {
            lines.push(format!(":{i}"));
        }
        for (path, value) in kept {
            lines.push(format!("{}={}", key_text(path), value_text(value)));
        }
    }
    for (key, value) in &config.options {
        if !option_is_credential(key, value) {
            lines.push(format!("@{}={}", key_text(key), option_text(value)));
        }
    }
    lines.join("\n")
}

/// The overrides of `stack` that go into a link, by path.
fn shared_overrides<'a>(
    catalog: &Catalog,
    config: &'a Configuration,
    stack: &str,
) -> Vec<(&'a String, &'a Value)> {
    let Some(map) = config.overrides.get(stack) else {
        return Vec::new();
    };
    let chart = catalog.chart(stack);
    let preset = chart.map(|c| config.preset_values(c));
    map.iter()
        .filter(|(path, value)| !is_credential(path, value))
        .filter(|(path, value)| {
            let (Some(chart), Some(preset)) = (chart, &preset) else {
                return true;
            };
            let overlaps = crate::configuration::config::overrides_overlap(map, path);
            overlaps || !same_as_preset(chart, preset, path, value)
        })
        .collect()
}

/// A path or option key as written on a line: plain, or YAML double-quoted when it could be
/// misread.
fn key_text(key: &str) -> String {
    let plain = !key.is_empty() && !key.contains(['=', '\n']) && !key.starts_with(['"', ':', '@']);
    if plain {
        key.to_string()
    } else {
        quote(key)
    }
}

/// An override value: plain when `helm --set` typing gives it back exactly, else `~` + flow.
fn value_text(value: &Value) -> String {
    let plain = match value {
        Value::Null => Some("null".to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    if let Some(text) = plain {
        if !text.starts_with('~') && !text.contains('\n') && typed_value(&text) == *value {
            return text;
        }
    }
    let mut out = String::from("~");
    flow(value, &mut out);
    out
}

fn option_text(value: &str) -> String {
    if value.starts_with('~') || value.contains('\n') {
        format!("~{}", quote(value))
    } else {
        value.to_string()
    }
}

/// One YAML flow node. Strings are always double-quoted, so no YAML 1.1 guessing applies.
fn flow(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Sequence(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(item, out);
            }
            out.push(']');
        }
        Value::Mapping(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(k, out);
                out.push_str(": ");
                flow(v, out);
            }
            out.push('}');
        }
        Value::Tagged(t) => {
            out.push_str(&t.tag.to_string());
            out.push(' ');
            flow(&t.value, out);
        }
    }
}

/// A YAML double-quoted string. Escapes what YAML would not keep as is: quotes, backslashes,
/// control characters, and the characters YAML treats as line breaks or a byte order mark.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Replace dictionary entries by their byte (see the module documentation).
fn pack(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let at_start = i == 0 || matches!(bytes.get(i - 1), Some(b'\n' | b'.' | b',' | b'~'));
        if at_start {
            if let Some((token, len)) = text.get(i..).and_then(longest_entry) {
                out.push(token);
                i += len;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn longest_entry(rest: &str) -> Option<(u8, usize)> {
    let mut best: Option<(u8, usize)> = None;
    for (i, entry) in DICTIONARY.iter().enumerate() {
        if !rest.starts_with(entry) {
            continue;
        }
        let bounded = entry.ends_with('.')
            || matches!(
                rest.as_bytes().get(entry.len()),
                None | Some(b'.' | b'[' | b'=' | b',' | b'~' | b'\n')
            );
        if bounded && best.is_none_or(|(_, len)| entry.len() > len) {
            // 64 entries: the index fits in 6 bits.
            best = Some((0x80 | (i as u8 & 0x3f), entry.len()));
        }
    }
    best
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Read a configuration from a link: the fragment with or without its `#`, or a whole URL
/// (the part after `#` is read). Every override is checked as user input is.
pub fn decode(catalog: &Catalog, fragment: &str) -> Result<Configuration, ShareError> {
    decode_with(catalog, fragment, Some(read_yaml)).map(|(c, _)| c)
}

/// What decoding did to an override of a link made before the catalog spoke the real charts'
/// keys: moved to the chart's real key, or dropped because the chart has no such setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub stack: String,
    pub path: String,
    /// The real key it now sets; `None` when dropped.
    pub to: Option<String>,
    pub why: String,
}

impl std::fmt::Display for Migration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.to {
            Some(to) => write!(
                f,
                "{}:{} now sets {to}: {}",
                self.stack, self.path, self.why
            ),
            None => write!(f, "{}:{} was dropped: {}", self.stack, self.path, self.why),
        }
    }
}

/// [`decode`], also saying which overrides of an older link were moved to the chart's real key
/// or dropped (the catalog's `moved` and `removed`).
pub fn decode_noting(
    catalog: &Catalog,
    fragment: &str,
) -> Result<(Configuration, Vec<Migration>), ShareError> {
    decode_with(catalog, fragment, Some(read_yaml))
}

/// [`decode`] without a YAML reader, for the page's first module (serde_yaml's parser is a
/// large part of the code it would download): the same result for every link whose values are
/// all plain (numbers, quantities, booleans, unquoted strings, which are most links), and
/// [`ShareError::NeedsYaml`] for a link holding a value written as YAML, which the page then
/// hands to its worker's [`decode`]. Errors found before such a value are reported as
/// [`decode`] reports them.
pub fn decode_without_yaml(catalog: &Catalog, fragment: &str) -> Result<Configuration, ShareError> {
    decode_with(catalog, fragment, None).map(|(c, _)| c)
}

/// [`decode_without_yaml`] with what it did to an older link's overrides ([`decode_noting`]).
pub fn decode_without_yaml_noting(
    catalog: &Catalog,
    fragment: &str,
) -> Result<(Configuration, Vec<Migration>), ShareError> {
    decode_with(catalog, fragment, None)
}

/// Reads one YAML node of a link (a `~` value, a quoted name); `Err` when it is not YAML.
type YamlReader = fn(&str) -> Result<Value, ()>;

fn read_yaml(node: &str) -> Result<Value, ()> {
    serde_yaml::from_str::<Value>(node).map_err(|_| ())
}

fn decode_with(
    catalog: &Catalog,
    fragment: &str,
    yaml: Option<YamlReader>,
) -> Result<(Configuration, Vec<Migration>), ShareError> {
    let text = fragment.trim();
    let fragment = match text.split_once('#') {
        Some((_, after)) => after.trim(),
        None if text.contains("://") => {
            return Err(ShareError::NotTonnage {
                reason: "the URL has no # part carrying a configuration".into(),
            })
        }
        None => text,
    };
    if fragment.is_empty() {
        return Err(ShareError::Empty);
    }
    let payload = versioned_payload(fragment)?;
    let text = unpack(payload)?;
    parse_text(catalog, &text, yaml)
}

/// The payload after `v1.`, or why there is none.
fn versioned_payload(fragment: &str) -> Result<&str, ShareError> {
    let not_ours = || {
        ShareError::NotTonnage {
        reason: format!(
            "it should start with v{FORMAT_VERSION}. followed by letters, digits, - and _, not {:?}",
            fragment.chars().take(12).collect::<String>()
        ),
    }
    };
    let Some(rest) = fragment.strip_prefix('v') else {
        return Err(not_ours());
    };
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (version, after) = rest.split_at(digits_end);
    let payload = match after.strip_prefix('.') {
        Some(p) => p,
        None if after.is_empty() => "",
        None => return Err(not_ours()),
    };
    if version.is_empty() || version.starts_with('0') {
        return Err(not_ours());
    }
    if version != FORMAT_VERSION.to_string() {
        return Err(ShareError::NewerVersion {
            version: version.to_string(),
        });
    }
    if payload.is_empty() {
        return Err(damaged(format!(
            "nothing follows v{FORMAT_VERSION}. (the link was cut off)"
        )));
    }
    Ok(payload)
}

/// Base64, checksum, inflate (bounded) and dictionary expansion: the text of the link.
fn unpack(payload: &str) -> Result<String, ShareError> {
    if let Some((i, c)) = payload
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(damaged(format!(
            "character {c:?} at position {} is not part of a link (only letters, digits, - and _)",
            i + 1
        )));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|e| damaged(format!("the data is not valid base64url ({e})")))?;
    let (crc, deflated) = match bytes.split_first_chunk::<4>() {
        Some((crc, rest)) if !rest.is_empty() => (u32::from_be_bytes(*crc), rest),
        _ => return Err(damaged("the data is too short")),
    };
    let packed = inflate(deflated)?;
    if CRC32.checksum(&packed) != crc {
        return Err(damaged("the checksum does not match"));
    }
    expand(&packed)
}

/// Inflate a raw DEFLATE stream that must end within `data` and unpack to at most
/// [`MAX_TEXT_BYTES`].
fn inflate(data: &[u8]) -> Result<Vec<u8>, ShareError> {
    let mut inflater = Decompress::new(false);
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    loop {
        if out.len() > MAX_TEXT_BYTES {
            return Err(ShareError::TooLarge);
        }
        if out.len() == out.capacity() {
            out.reserve_exact(4096.min(MAX_TEXT_BYTES + 1 - out.len()).max(1));
        }
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
        let input = data.get(consumed..).unwrap_or_default();
        let before = (inflater.total_in(), inflater.total_out());
        let status = inflater
            .decompress_vec(input, &mut out, FlushDecompress::None)
            .map_err(|_| damaged("the compressed data is corrupt"))?;
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                let progressed = (inflater.total_in(), inflater.total_out()) != before;
                let room = out.len() < out.capacity();
                if !progressed && room {
                    return Err(damaged("the compressed data ends too early"));
                }
            }
        }
    }
    if out.len() > MAX_TEXT_BYTES {
        return Err(ShareError::TooLarge);
    }
    if usize::try_from(inflater.total_in()).ok() != Some(data.len()) {
        return Err(damaged("unexpected data after the compressed text"));
    }
    Ok(out)
}

/// Replace dictionary bytes by their entries; the result must be UTF-8 text.
fn expand(packed: &[u8]) -> Result<String, ShareError> {
    let mut out: Vec<u8> = Vec::with_capacity(packed.len() * 2);
    let mut i = 0;
    while let Some(&b) = packed.get(i) {
        let len = match b {
            0x00..=0x7f => 1,
            0x80..=0xbf => {
                let entry = DICTIONARY.get(usize::from(b - 0x80)).copied().unwrap_or("");
                out.extend_from_slice(entry.as_bytes());
                i += 1;
                if out.len() > MAX_TEXT_BYTES {
                    return Err(ShareError::TooLarge);
                }
                continue;
            }
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let Some(chunk) = packed.get(i..i + len) else {
            return Err(damaged("the text ends inside a character"));
        };
        out.extend_from_slice(chunk);
        i += len;
    }
    if out.len() > MAX_TEXT_BYTES {
        return Err(ShareError::TooLarge);
    }
    String::from_utf8(out).map_err(|_| damaged("the text is not valid UTF-8"))
}

/// Read the lines of a v1 text into a checked configuration.
fn parse_text(
    catalog: &Catalog,
    text: &str,
    yaml: Option<YamlReader>,
) -> Result<(Configuration, Vec<Migration>), ShareError> {
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let Some((stacks, env)) = header.split_once('~') else {
        return Err(damaged("the first line must be STACKS~ENVIRONMENT"));
    };
    if stacks.is_empty() {
        return Err(damaged("the link names no stack"));
    }
    let ids: Vec<&str> = stacks.split(',').collect();
    let mut config = Configuration::new(catalog, &ids, env)?;
    let mut current = ids.first().copied().unwrap_or_default();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut migrations = Vec::new();
    for (n, line) in lines.enumerate() {
        let line_no = n + 2;
        if let Some(index) = line.strip_prefix(':') {
            let i = canonical_index(index)
                .filter(|i| *i < ids.len())
                .ok_or_else(|| damaged(format!("line {line_no}: no stack number {index:?}")))?;
            current = ids.get(i).copied().unwrap_or(current);
            continue;
        }
        if let Some(rest) = line.strip_prefix('@') {
            let (key, value) = split_line(rest, line_no, yaml)?;
            let value = option_value(value, line_no, yaml)?;
            if option_is_credential(&key, &value) {
                return Err(ShareError::Secret {
                    what: format!("option {key}"),
                });
            }
            if config.options.insert(key.clone(), value).is_some() {
                return Err(damaged(format!("line {line_no}: option {key} given twice")));
            }
            continue;
        }
        let (path, value) = split_line(line, line_no, yaml)?;
        if path.len() > MAX_PATH_BYTES {
            // Longer than any chart's path; also keeps `set`'s suggestions cheap.
            return Err(damaged(format!(
                "line {line_no}: a values path of {} bytes",
                path.len()
            )));
        }
        let value = override_value(value, line_no, yaml)?;
        if is_credential(&path, &value) {
            return Err(ShareError::Secret {
                what: format!("{current}:{path}"),
            });
        }
        if !seen.insert((current.to_string(), path.clone())) {
            return Err(damaged(format!(
                "line {line_no}: {current}:{path} given twice"
            )));
        }
        // A key of an earlier catalog that the real chart spells otherwise, or lacks.
        let chart = catalog.chart(current);
        // `moved` and `removed` never name a key a template reads (tests/real_helm.rs checks
        // it against the probed keys), so an old path there is migrated even where the chart
        // still has the key (a dead one, or a subchart key the pinned version ignores).
        // A key Tonnage does not model (an older link could set it): dropped with the reason.
        let unmodelled = chart
            .and_then(|c| c.unmodelled_key(&path))
            .map(|u| (None, u.why.as_str()));
        match unmodelled.or_else(|| chart.and_then(|c| c.migrate(&path))) {
            Some((to, why)) => {
                migrations.push(Migration {
                    stack: current.to_string(),
                    path: path.clone(),
                    to: to.clone(),
                    why: why.to_string(),
                });
                if let Some(to) = to {
                    config.set(catalog, current, &to, value)?;
                }
            }
            None => config.set(catalog, current, &path, value)?,
        }
    }
    // Every override of a link is the link's, whatever version or catalog made it.
    config.mark_all(&Origin::Link);
    Ok((config, migrations))
}

/// A decimal index without sign or leading zeros.
fn canonical_index(text: &str) -> Option<usize> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical {
        text.parse().ok()
    } else {
        None
    }
}

/// `KEY=VALUE` with KEY plain or double-quoted.
fn split_line(
    line: &str,
    line_no: usize,
    yaml: Option<YamlReader>,
) -> Result<(String, &str), ShareError> {
    if line.is_empty() {
        return Err(damaged(format!("line {line_no} is empty")));
    }
    if line.starts_with('"') {
        let end = closing_quote(line)
            .ok_or_else(|| damaged(format!("line {line_no}: a quoted name is not closed")))?;
        let (quoted, rest) = line.split_at(end + 1);
        let key = unquote(quoted, yaml)?
            .ok_or_else(|| damaged(format!("line {line_no}: a quoted name is malformed")))?;
        let value = rest
            .strip_prefix('=')
            .ok_or_else(|| damaged(format!("line {line_no}: expected = after the name")))?;
        return Ok((key, value));
    }
    match line.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value)),
        _ => Err(damaged(format!(
            "line {line_no} should be PATH=VALUE, not {:?}",
            line.chars().take(40).collect::<String>()
        ))),
    }
}

/// The byte index of the quote closing the one at index 0.
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// The string a double-quoted YAML scalar holds; `Ok(None)` when it is not one.
fn unquote(quoted: &str, yaml: Option<YamlReader>) -> Result<Option<String>, ShareError> {
    let read = yaml.ok_or(ShareError::NeedsYaml)?;
    Ok(match read(quoted) {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    })
}

fn override_value(
    text: &str,
    line_no: usize,
    yaml: Option<YamlReader>,
) -> Result<Value, ShareError> {
    match text.strip_prefix('~') {
        Some(node) => {
            let read = yaml.ok_or(ShareError::NeedsYaml)?;
            read(node)
                .map(untagged)
                .map_err(|_| damaged(format!("line {line_no}: the value is not valid YAML")))
        }
        None => Ok(typed_value(text)),
    }
}

/// The value without YAML tags (`!foo x` is `x`), as Helm reads values: the encoder writes no
/// tags, and a tag it were given back (`!` alone) could not be written again as valid YAML.
fn untagged(v: Value) -> Value {
    match v {
        Value::Tagged(t) => untagged(t.value),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(untagged).collect()),
        Value::Mapping(m) => Value::Mapping(
            m.into_iter()
                .map(|(k, v)| (untagged(k), untagged(v)))
                .collect(),
        ),
        other => other,
    }
}

fn option_value(
    text: &str,
    line_no: usize,
    yaml: Option<YamlReader>,
) -> Result<String, ShareError> {
    match text.strip_prefix('~') {
        Some(node) if node.starts_with('"') && closing_quote(node) == Some(node.len() - 1) => {
            unquote(node, yaml)?
                .ok_or_else(|| damaged(format!("line {line_no}: a quoted value is malformed")))
        }
        Some(_) => Err(damaged(format!(
            "line {line_no}: an option value after ~ must be a quoted string"
        ))),
        None => Ok(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::credentials::url_with_password;
    use flate2::Crc;

    fn cat() -> &'static Catalog {
        Catalog::builtin()
    }

    fn config(stacks: &[&str], env: &str, sets: &[&str]) -> Configuration {
        let mut c = Configuration::new(cat(), stacks, env).unwrap();
        for s in sets {
            c.set_str(cat(), s).unwrap();
        }
        c
    }

    fn round_trip(c: &Configuration) -> Configuration {
        decode(cat(), &encode(cat(), c)).unwrap()
    }

    /// `c` as a link decodes it: the same overrides and options, each override the link's.
    fn from_link(c: &Configuration) -> Configuration {
        let mut c = c.clone();
        c.mark_all(&Origin::Link);
        c
    }

    #[test]
    fn dictionary_entries_are_unique_and_plain() {
        let set: BTreeSet<&str> = DICTIONARY.iter().copied().collect();
        assert_eq!(set.len(), DICTIONARY.len());
        for e in DICTIONARY {
            assert!(
                !e.is_empty() && e.bytes().all(|b| b.is_ascii_graphic()),
                "{e:?}"
            );
            assert!(!e.contains(['=', '~', ',', ':', '@', '"']), "{e:?}");
        }
        // The frozen table: a few positions pinned, so a reorder fails here.
        assert_eq!(DICTIONARY[0], "resources.requests.cpu");
        assert_eq!(DICTIONARY[12], "replicaCount");
        assert_eq!(DICTIONARY[0x1e], "postgresql.");
        assert_eq!(DICTIONARY[63], "prod");
    }

    #[test]
    fn text_format_is_as_documented() {
        let mut c = config(
            &["cauldron-infra", "cauldron-frappe"],
            "prod",
            &[
                "cauldron-infra:postgresql.primary.persistence.size=200Gi",
                "frappe.replicas.web=5",
            ],
        );
        c.options.insert("cloud".into(), "aws".into());
        // The module documentation's example.
        assert_eq!(
            text_of(cat(), &c),
            "cauldron-infra,cauldron-frappe~prod\npostgresql.primary.persistence.size=200Gi\n:1\nfrappe.replicas.web=5\n@cloud=aws"
        );
        let packed = pack(&text_of(cat(), &c));
        // cauldron-infra , cauldron-frappe ~ prod \n postgresql. primary. persistence.size =200Gi
        assert_eq!(
            &packed[..9],
            &[0xb9, b',', 0xba, b'~', 0xbf, b'\n', 0x9e, 0x92, 0x84]
        );
        assert_eq!(expand(&packed).unwrap(), text_of(cat(), &c));
    }

    #[test]
    fn round_trips_overrides_options_and_several_stacks() {
        let mut c = config(
            &["cauldron-infra", "cauldron-frappe"],
            "staging",
            &[
                "cauldron-infra:postgresql.primary.persistence.size=300Gi",
                "cauldron-infra:postgresql.architecture=replication",
                "frappe.replicas.worker=6",
                "frappe.resources.web.limits.memory=3Gi",
            ],
        );
        c.options.insert("cloud".into(), "gcp".into());
        c.options.insert("price.cpu".into(), "0.031".into());
        c.options.insert("odd~".into(), "~x\ny".into());
        c.options.insert("".into(), "true".into());
        assert_eq!(round_trip(&c), from_link(&c));
        let link = encode(cat(), &c);
        assert!(link.starts_with("v1."), "{link}");
        assert!(
            link[3..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{link}"
        );
    }

    /// A link in the frozen v1 format, from its text (as [`encode`] writes one).
    fn link_of_text(text: &str) -> String {
        let packed = pack(text);
        let mut e = DeflateEncoder::new(
            CRC32.checksum(&packed).to_be_bytes().to_vec(),
            Compression::best(),
        );
        e.write_all(&packed).unwrap();
        format!("v1.{}", URL_SAFE_NO_PAD.encode(e.finish().unwrap()))
    }

    /// A link that sets a key Tonnage does not model (catalog `unmodelled`; accepted before
    /// it was listed) still opens, without that override, and says why.
    #[test]
    fn an_unmodelled_key_of_a_link_is_dropped_with_the_reason() {
        let old = link_of_text(
            "cauldron-infra~prod\nfullnameOverride=infra\nredis.replica.replicaCount=3",
        );
        let (c, notes) = decode_noting(cat(), &old).unwrap();
        let want = config(
            &["cauldron-infra"],
            "prod",
            &["redis.replica.replicaCount=3"],
        );
        assert_eq!(c, from_link(&want));
        let why = &cat()
            .chart("cauldron-infra")
            .unwrap()
            .unmodelled_key("fullnameOverride")
            .unwrap()
            .why;
        assert_eq!(notes.len(), 1);
        assert_eq!(
            notes[0].to_string(),
            format!("cauldron-infra:fullnameOverride was dropped: {why}")
        );
    }

    /// A link made before the catalog spoke the real charts' keys still opens: an old path
    /// the chart spells otherwise sets the real key (the catalog's `moved`), one the chart has
    /// no setting for is dropped with the reason (`removed`), and both are reported.
    #[test]
    fn an_old_link_moves_to_the_real_keys() {
        let old = link_of_text(
            "cauldron-infra,cauldron-frappe~prod\nredis-queue.enabled=false\n:1\nnetworkPolicy.enabled=true\nweb.replicaCount=5",
        );
        let (c, notes) = decode_noting(cat(), &old).unwrap();
        let want = config(
            &["cauldron-infra", "cauldron-frappe"],
            "prod",
            &[
                "cauldron-infra:redisInstances.queue.enabled=false",
                "cauldron-frappe:frappe.replicas.web=5",
            ],
        );
        assert_eq!(c, from_link(&want));
        assert_eq!(decode(cat(), &old).unwrap(), from_link(&want));
        let what: Vec<(&str, &str, Option<&str>)> = notes
            .iter()
            .map(|m| (m.stack.as_str(), m.path.as_str(), m.to.as_deref()))
            .collect();
        assert_eq!(
            what,
            [
                (
                    "cauldron-infra",
                    "redis-queue.enabled",
                    Some("redisInstances.queue.enabled")
                ),
                ("cauldron-frappe", "networkPolicy.enabled", None),
                (
                    "cauldron-frappe",
                    "web.replicaCount",
                    Some("frappe.replicas.web")
                ),
            ]
        );
        // The reasons are the catalog's.
        let frappe = cat().chart("cauldron-frappe").unwrap();
        let removed = frappe
            .removed
            .iter()
            .find(|r| r.path == "networkPolicy")
            .unwrap();
        assert_eq!(notes[1].why, removed.why);
        assert_eq!(
            notes[1].to_string(),
            format!(
                "cauldron-frappe:networkPolicy.enabled was dropped: {}",
                removed.why
            )
        );
        assert!(notes[2]
            .to_string()
            .starts_with("cauldron-frappe:web.replicaCount now sets frappe.replicas.web"));
        // The same plan as the link made today, which needs no migration.
        assert_eq!(
            crate::plan(cat(), &c).totals.baseline.replicas,
            crate::plan(cat(), &want).totals.baseline.replicas
        );
        let (_, none) = decode_noting(cat(), &encode(cat(), &want)).unwrap();
        assert!(none.is_empty(), "{none:?}");
        // A path that never existed is still an error, not a migration.
        let e = decode_noting(
            cat(),
            &link_of_text("cauldron-frappe~prod\nweb.replicaCont=5"),
        )
        .unwrap_err();
        assert!(
            matches!(e, ShareError::Config(ConfigError::UnknownPath { .. })),
            "{e}"
        );
    }

    #[test]
    fn values_keep_their_types() {
        let chart = "rae-memory";
        let cases: Vec<(&str, Value)> = vec![
            ("memoryApi.autoscaling.enabled", Value::Bool(true)),
            ("memoryApi.replicaCount", Value::from(7)),
            ("ingress.className", Value::from("true")),
            ("ingress.annotations.x", Value::from("3")),
            ("ingress.annotations.y", Value::from("~tilde")),
            (
                "ingress.annotations.z",
                Value::from("a\nb\t\u{85}\u{2028}\"\\é𝄞"),
            ),
            ("ingress.annotations.n", Value::Null),
            ("ingress.annotations.e", Value::from("")),
            (
                "ingress.annotations.f",
                serde_yaml::from_str("1.5").unwrap(),
            ),
            ("ingress.annotations.big", Value::from(u64::MAX)),
            ("ingress.annotations.neg", Value::from(-12)),
            (
                "ingress.tls",
                serde_yaml::from_str("[{secretName: x, hosts: [a, 'yes', '1']}]").unwrap(),
            ),
            (
                "ingress.annotations.m",
                serde_yaml::from_str("{a: 1, 2: null, c: [true, .inf]}").unwrap(),
            ),
        ];
        let mut c = Configuration::new(cat(), &[chart], "dev").unwrap();
        for (path, value) in &cases {
            c.set(cat(), chart, path, value.clone()).unwrap();
        }
        let back = round_trip(&c);
        for (path, value) in &cases {
            assert_eq!(&back.overrides[chart][*path], value, "{path}");
        }
        assert_eq!(back, from_link(&c));
    }

    #[test]
    fn quoted_keys_round_trip() {
        for key in ["", "a=b", "\"q", ":x", "@y", "new\nline", "ünï"] {
            let text = key_text(key);
            let line = format!("{text}=v");
            let (back, value) = split_line(&line, 2, Some(read_yaml)).unwrap();
            assert_eq!((back.as_str(), value), (key, "v"), "{text}");
        }
    }

    #[test]
    fn preset_values_are_left_out() {
        // rae-memory prod: memoryApi.replicaCount is 5, its request cpu 1000m.
        let c = config(
            &["rae-memory"],
            "prod",
            &[
                "memoryApi.replicaCount=5",
                "memoryApi.resources.requests.cpu=1",
                "mlService.replicaCount=4",
            ],
        );
        assert_eq!(c.override_count(), 3);
        let back = round_trip(&c);
        assert_eq!(
            back.overrides["rae-memory"].keys().collect::<Vec<_>>(),
            ["mlService.replicaCount"]
        );
        assert_eq!(
            crate::plan(cat(), &back).totals,
            crate::plan(cat(), &c).totals
        );
    }

    #[test]
    fn overlapping_overrides_are_kept() {
        let mut c = config(&["rae-memory"], "dev", &[]);
        let tls: Value = serde_yaml::from_str("{a: {b: 1}}").unwrap();
        c.set(cat(), "rae-memory", "ingress.annotations", tls)
            .unwrap();
        // Equal to the preset on its own, but it overlaps the map override above.
        c.set(
            cat(),
            "rae-memory",
            "ingress.className",
            Value::from("nginx"),
        )
        .unwrap();
        c.set(
            cat(),
            "rae-memory",
            "ingress.annotations.cert-manager\\.io/cluster-issuer",
            Value::from("letsencrypt-prod"),
        )
        .unwrap();
        let back = round_trip(&c);
        assert!(back.overrides["rae-memory"]
            .contains_key("ingress.annotations.cert-manager\\.io/cluster-issuer"));
        assert!(!back.overrides["rae-memory"].contains_key("ingress.className"));
    }

    #[test]
    fn credentials_never_travel() {
        let mut c = config(
            &["rae-memory"],
            "dev",
            &[
                "postgresql.auth.password=hunter2",
                "redis.auth.password=swordfish",
                "postgresql.auth.existingSecret=rae-pg",
                "externalSecrets.keys.openaiApiKey=sk-live-123",
                "secrets.jwtSecret=abc",
                "secrets.apiMasterKey=mk_live",
                // memoryApi.env[2] is QDRANT_URL, [5] RAE_LOG_LEVEL in the chart's values.yaml.
                "memoryApi.env[2].value=http://rae:pw@qdrant:6333",
                "memoryApi.env[5].value=DEBUG",
            ],
        );
        c.options.insert("apiToken".into(), "t0k".into());
        let fragment = encode(cat(), &c);
        let back = decode(cat(), &fragment).unwrap();
        let kept: Vec<&String> = back.overrides["rae-memory"].keys().collect();
        assert_eq!(
            kept,
            ["memoryApi.env[5].value", "postgresql.auth.existingSecret"]
        );
        assert!(back.options.is_empty());
        assert_eq!(
            withheld(&c),
            [
                "rae-memory:externalSecrets.keys.openaiApiKey",
                "rae-memory:memoryApi.env[2].value",
                "rae-memory:postgresql.auth.password",
                "rae-memory:redis.auth.password",
                "rae-memory:secrets.apiMasterKey",
                "rae-memory:secrets.jwtSecret",
                "option apiToken",
            ]
        );
        let text = expand(&inflate(&URL_SAFE_NO_PAD.decode(&fragment[3..]).unwrap()[4..]).unwrap())
            .unwrap();
        for secret in [
            "hunter2",
            "swordfish",
            "sk-live",
            "abc",
            "mk_live",
            "pw@",
            "t0k",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }

    #[test]
    fn a_link_carrying_a_credential_is_refused() {
        for (line, what) in [
            (
                "postgresql.auth.password=x",
                "rae-memory:postgresql.auth.password",
            ),
            ("rabbit.erlangCookie=x", "rae-memory:rabbit.erlangCookie"),
            ("ingress.tls=~[{key: x}]", "rae-memory:ingress.tls"),
            (
                "memoryApi.env[2].value=https://u:p@h/x",
                "rae-memory:memoryApi.env[2].value",
            ),
            ("@secretKey=x", "option secretKey"),
        ] {
            let text = format!("rae-memory~dev\n{line}");
            let e = parse_text(cat(), &text, Some(read_yaml)).unwrap_err();
            assert_eq!(e, ShareError::Secret { what: what.into() }, "{line}");
            assert!(e.to_string().contains("never hold secrets"), "{e}");
        }
    }

    #[test]
    fn credential_keys() {
        for k in [
            "password",
            "rootPassword",
            "postgresPassword",
            "erlangCookie",
            "apiKey",
            "openaiApiKey",
            "token",
            "hfToken",
            "secret",
            "jwtSecret",
            "SECRET_KEY",
            "clientSecret",
            "key",
            "tls-key",
            "privateKey",
            "accessKeyId",
            "signingKey",
            "sentryDsn",
            "credentials",
        ] {
            assert!(is_credential_key(k), "{k} should be a credential");
        }
        for k in [
            "existingSecret",
            "existingSecretPasswordKey",
            "existingPasswordSecret",
            "secretName",
            "signingKeySecretName",
            "secretStore",
            "secretStoreKind",
            "imagePullSecrets",
            "keys",
            "maxTokens",
            "replicaCount",
            "authMode",
            "username",
            "cacheKeys",
        ] {
            assert!(!is_credential_key(k), "{k} is not a credential");
        }
        assert!(url_with_password("redis://:pw@host:6379/0"));
        assert!(!url_with_password("https://charts.rae.memory"));
        assert!(!url_with_password("mailto:a@b"));
    }

    #[test]
    fn fragments_urls_and_hashes_are_accepted() {
        let c = config(&["caracal"], "staging", &["gateway.replicaCount=7"]);
        let f = encode(cat(), &c);
        let url = link(DEFAULT_BASE_URL, &f);
        assert_eq!(url, format!("http://127.0.0.1:8080/#{f}"));
        assert_eq!(
            link("http://x/#old", &format!("#{f}")),
            format!("http://x/#{f}")
        );
        for input in [f.clone(), format!("#{f}"), url, format!("  {f}\n")] {
            assert_eq!(decode(cat(), &input).unwrap(), from_link(&c), "{input}");
        }
    }

    #[test]
    fn broken_inputs_get_the_right_error() {
        let c = config(
            &["rhesis"],
            "prod",
            &["backend.replicas=5", "worker.replicas=3"],
        );
        let f = encode(cat(), &c);
        let d = |s: &str| decode(cat(), s).unwrap_err();
        assert_eq!(d(""), ShareError::Empty);
        assert_eq!(d("   "), ShareError::Empty);
        assert_eq!(d("#"), ShareError::Empty);
        assert_eq!(d("http://127.0.0.1:8080/#"), ShareError::Empty);
        assert!(matches!(
            d("http://127.0.0.1:8080/"),
            ShareError::NotTonnage { .. }
        ));
        assert!(matches!(d("hello"), ShareError::NotTonnage { .. }));
        assert!(matches!(d("v0.abc"), ShareError::NotTonnage { .. }));
        assert!(matches!(d("vx.abc"), ShareError::NotTonnage { .. }));
        let e = d("v9.xxx");
        assert_eq!(
            e,
            ShareError::NewerVersion {
                version: "9".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "this link was made by a newer Tonnage (format v9); this version reads v1"
        );
        assert!(matches!(
            d("v12345678901234567890.x"),
            ShareError::NewerVersion { .. }
        ));
        for bad in [
            "v1",
            "v1.",
            "v1.!!!!",
            "v1.abc=",
            "v1.A",
            "v1.AAAAAAAA",
            "v1.AAAAAAAAAA",
        ] {
            let e = d(bad);
            assert!(matches!(e, ShareError::Damaged { .. }), "{bad}: {e:?}");
            assert!(
                e.to_string()
                    .starts_with("the link is damaged or cut off: "),
                "{e}"
            );
        }
        // Truncated at every length: always an error, never a wrong configuration.
        for cut in 0..f.len() {
            let e = d(&f[..cut]);
            assert!(
                !matches!(e, ShareError::Config(_) | ShareError::Secret { .. }),
                "cut at {cut}: {e:?}"
            );
        }
        // Every single-character substitution is caught (checksum or framing).
        for i in 3..f.len() {
            for c in ['A', 'z', '0', '-', '_'] {
                let mut s = f.clone().into_bytes();
                if s[i] == c as u8 {
                    continue;
                }
                s[i] = c as u8;
                let s = String::from_utf8(s).unwrap();
                match decode(cat(), &s) {
                    Err(ShareError::Damaged { .. }) => {}
                    other => panic!("flip {i} to {c}: {other:?}"),
                }
            }
        }
    }

    /// The link checksum is the CRC-32 of zip and gzip: its check value, and flate2's (crc32fast)
    /// on other inputs.
    #[test]
    fn link_checksum_is_crc_32() {
        assert_eq!(CRC32.checksum(b"123456789"), 0xCBF4_3926);
        for text in ["", "a", "rhesis~prod\n@x=1", &"tonnage ".repeat(300)] {
            let mut crc = Crc::new();
            crc.update(text.as_bytes());
            assert_eq!(CRC32.checksum(text.as_bytes()), crc.sum(), "{text:?}");
        }
    }

    #[test]
    fn zip_bombs_are_refused() {
        let text = format!("rhesis~prod\n@x={}", "a".repeat(MAX_TEXT_BYTES + 10));
        let mut crc = Crc::new();
        crc.update(text.as_bytes());
        let mut e = DeflateEncoder::new(crc.sum().to_be_bytes().to_vec(), Compression::best());
        e.write_all(text.as_bytes()).unwrap();
        let bytes = e.finish().unwrap();
        let f = format!("v1.{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert!(f.len() < 400, "small link: {}", f.len());
        assert_eq!(decode(cat(), &f).unwrap_err(), ShareError::TooLarge);
        // Just under the limit is fine.
        let text = format!("rhesis~prod\n@x={}", "a".repeat(MAX_TEXT_BYTES - 20));
        let mut crc = Crc::new();
        crc.update(text.as_bytes());
        let mut e = DeflateEncoder::new(crc.sum().to_be_bytes().to_vec(), Compression::best());
        e.write_all(text.as_bytes()).unwrap();
        let f = format!("v1.{}", URL_SAFE_NO_PAD.encode(e.finish().unwrap()));
        assert_eq!(
            decode(cat(), &f).unwrap().options["x"].len(),
            MAX_TEXT_BYTES - 20
        );
        // Dictionary expansion is bounded too: 64 KiB of tokens expand to far more.
        let packed = vec![0x89u8; MAX_TEXT_BYTES / 2];
        assert_eq!(expand(&packed).unwrap_err(), ShareError::TooLarge);
    }

    #[test]
    fn checked_like_user_input() {
        let long_path = format!("rhesis~prod\nbackend.{}=1", "x".repeat(1017));
        let e = parse_text(cat(), "nope~prod", Some(read_yaml)).unwrap_err();
        assert!(matches!(
            e,
            ShareError::Config(ConfigError::UnknownStack { .. })
        ));
        assert!(e.to_string().contains("\"nope\""), "{e}");
        let e = parse_text(cat(), "rhesis~qa", Some(read_yaml)).unwrap_err();
        assert!(
            matches!(e, ShareError::Config(ConfigError::UnknownEnv { .. })),
            "{e}"
        );
        let e = parse_text(cat(), "rhesis~prod\nbackend.replicaz=3", Some(read_yaml)).unwrap_err();
        assert!(
            matches!(e, ShareError::Config(ConfigError::UnknownPath { .. })),
            "{e}"
        );
        let e =
            parse_text(cat(), "rhesis~prod\nbackend.replicas=lots", Some(read_yaml)).unwrap_err();
        assert!(
            matches!(e, ShareError::Config(ConfigError::BadValue { .. })),
            "{e}"
        );
        for (text, problem) in [
            ("rhesis~prod\n\nbackend.replicas=3", "line 2 is empty"),
            (
                "rhesis~prod\nbackend.replicas=3\nbackend.replicas=4",
                "given twice",
            ),
            ("rhesis~prod\n:1\nbackend.replicas=3", "no stack number"),
            ("rhesis~prod\n:01", "no stack number"),
            ("rhesis", "STACKS~ENVIRONMENT"),
            ("~prod", "names no stack"),
            ("rhesis~prod\nbackend.replicas", "PATH=VALUE"),
            ("rhesis~prod\n\"a=1", "not closed"),
            ("rhesis~prod\nbackend.replicas=~[", "not valid YAML"),
            ("rhesis~prod\n@a=~1", "quoted string"),
            (long_path.as_str(), "a values path of 1025 bytes"),
        ] {
            let e = parse_text(cat(), text, Some(read_yaml)).unwrap_err();
            assert!(
                matches!(&e, ShareError::Damaged { problem: p } if p.contains(problem)),
                "{text:?}: {e}"
            );
        }
    }

    /// Found by the share_decode fuzzer: `~!` is a YAML node with the bare tag `!`; kept as a
    /// tag it re-encoded to `~!! null`, which no longer decoded.
    #[test]
    fn tagged_values_decode_untagged_and_round_trip() {
        let cat = Catalog::builtin();
        let link =
            "v1.Ukpm7gE0AMv_vX5kZXYKtYY9ZmFsc2UKtYw9Mwpjb25maWdNYXAuREVGQVVMVF9EKUlMWV9MSU1JVD1-IQ";
        let c = decode(cat, link).expect("the link decodes");
        let again = encode(cat, &c);
        let back = decode(cat, &again).expect("its re-encoding decodes");
        assert_eq!(encode(cat, &back), again);
        assert_eq!(
            untagged(serde_yaml::from_str("[!a 1, {!b k: !c v}]").unwrap()),
            serde_yaml::from_str::<Value>("[1, {k: v}]").unwrap()
        );
    }
}
