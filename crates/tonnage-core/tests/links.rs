//! Share links (`tonnage_core::share`): round trips for any configuration, the frozen v1 links
//! that must decode forever, broken and hostile inputs, and the length budget.

use std::collections::BTreeMap;
use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};
use proptest::prelude::*;
use serde::Deserialize;
use serde_yaml::Value;
use tonnage_core::config::{field_kind, FieldKind, Origin};
use tonnage_core::share::{self, ShareError};
use tonnage_core::values::{get_path, parse_path, quantity_of};
use tonnage_core::{plan, Catalog, Configuration};

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

/// `c` as a link decodes it: the same stacks, environment, overrides and options, every
/// override set by the link ([`Origin::Link`]).
fn from_link(c: &Configuration) -> Configuration {
    let mut c = c.clone();
    c.mark_all(&Origin::Link);
    c
}

// ---------------------------------------------------------------------------------------------
// Length budget

/// Ten realistic changes: replicas, requests and limits, storage, an autoscaling maximum, a bool.
const RAE_MEMORY_TEN: [&str; 10] = [
    "memoryApi.replicaCount=6",
    "memoryApi.resources.requests.cpu=1500m",
    "memoryApi.resources.limits.memory=6Gi",
    "memoryApi.autoscaling.maxReplicas=30",
    "mlService.replicaCount=4",
    "mlService.resources.requests.memory=6Gi",
    "postgresql.primary.persistence.size=250Gi",
    "qdrant.persistence.size=500Gi",
    "redis.master.persistence.size=16Gi",
    "rerankerService.enabled=false",
];

const CARACAL_TEN: [&str; 10] = [
    "gateway.replicaCount=5",
    "gateway.autoscaling.maxReplicas=24",
    "gateway.resources.requests.cpu=750m",
    "gateway.resources.limits.memory=2Gi",
    "kafka.replicaCount=5",
    "kafka.persistence.size=200Gi",
    "kafka.resources.requests.memory=4Gi",
    "postgresql.persistence.size=100Gi",
    "consumers.auditLogger.replicaCount=3",
    "mcpAdapter.enabled=false",
];

#[test]
fn ten_changes_fit_in_200_characters() {
    for (stack, env, sets) in [
        ("rae-memory", "prod", RAE_MEMORY_TEN),
        ("rae-memory", "dev", RAE_MEMORY_TEN),
        ("caracal", "prod", CARACAL_TEN),
        ("caracal", "dev", CARACAL_TEN),
    ] {
        let c = config(&[stack], env, &sets);
        assert_eq!(c.override_count(), 10, "{stack} {env}: all ten differ");
        let fragment = share::encode(cat(), &c);
        let back = share::decode(cat(), &fragment).unwrap();
        assert_eq!(back.override_count(), 10, "{stack} {env}: {back:?}");
        assert_eq!(back, from_link(&c));
        eprintln!(
            "share link, {stack} {env}, 10 changes: fragment {} characters: {fragment}",
            fragment.len()
        );
        assert!(
            fragment.len() <= 200,
            "{stack} {env}: {} characters: {fragment}",
            fragment.len()
        );
    }
    // With planning options on top it stays short.
    let mut c = config(&["rae-memory"], "prod", &RAE_MEMORY_TEN);
    c.options.insert("cloud".into(), "aws".into());
    c.options.insert("node_type".into(), "m6i.2xlarge".into());
    let fragment = share::encode(cat(), &c);
    eprintln!(
        "share link, rae-memory prod, 10 changes + 2 options: {} characters",
        fragment.len()
    );
    assert!(fragment.len() <= 220, "{}", fragment.len());
    let empty = share::encode(cat(), &config(&["rae-memory"], "prod", &[]));
    eprintln!(
        "share link, rae-memory prod, no change: {} characters: {empty}",
        empty.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Frozen links

#[derive(Deserialize)]
struct Frozen {
    name: String,
    link: String,
    config: Configuration,
    /// What decoding did to the link's old catalog paths, in `decode_noting`'s order.
    #[serde(default)]
    migrations: Vec<FrozenMigration>,
    totals: Value,
}

/// An old path of a frozen link: moved to the chart's real key `to`, or `dropped`.
#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct FrozenMigration {
    stack: String,
    path: String,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    dropped: bool,
}

#[test]
fn frozen_v1_links_still_decode() {
    let text = include_str!("data/links-v1.yaml");
    let frozen: Vec<Frozen> = serde_yaml::from_str(text).unwrap();
    assert!(frozen.len() >= 7, "{} links", frozen.len());
    let mut charts = std::collections::BTreeSet::new();
    let mut without_yaml_needs = 0;
    let (mut moved, mut dropped) = (0, 0);
    for f in &frozen {
        let decoded = share::decode(cat(), &f.link).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        // What the link decodes to is the file's `config` (a link made before origins were
        // recorded), each of its overrides now marked as the link's.
        assert_eq!(decoded, from_link(&f.config), "{}: configuration", f.name);
        assert!(
            f.config.origins.is_empty(),
            "{}: the file records no origin",
            f.name
        );
        for (stack, paths) in &decoded.overrides {
            for path in paths.keys() {
                assert_eq!(
                    decoded.origin_of(stack, path),
                    Some(&Origin::Link),
                    "{}: {stack}:{path}",
                    f.name
                );
            }
        }
        // Old catalog paths: each moved to the chart's real key or dropped, as the file records,
        // each with the catalog's reason.
        let (noted, migrations) = share::decode_noting(cat(), &f.link).unwrap();
        assert_eq!(noted, decoded, "{}: decode_noting's configuration", f.name);
        let got: Vec<FrozenMigration> = migrations
            .iter()
            .map(|m| {
                assert!(m.why.len() > 5, "{}: {m:?} says why", f.name);
                FrozenMigration {
                    stack: m.stack.clone(),
                    path: m.path.clone(),
                    to: m.to.clone(),
                    dropped: m.to.is_none(),
                }
            })
            .collect();
        assert_eq!(got, f.migrations, "{}: migrations", f.name);
        for m in &f.migrations {
            assert!(m.dropped != m.to.is_some(), "{}: {m:?}", f.name);
            // The old path is gone from the configuration; a moved one set its real key.
            let overrides = &decoded.overrides[&m.stack];
            assert!(!overrides.contains_key(&m.path), "{}: {m:?}", f.name);
            if let Some(to) = &m.to {
                assert!(overrides.contains_key(to), "{}: {m:?}", f.name);
                moved += 1;
            } else {
                dropped += 1;
            }
        }
        // The page's first module reads it the same, or leaves it to the worker's full reader.
        match share::decode_without_yaml(cat(), &f.link) {
            Ok(plain) => assert_eq!(plain, decoded, "{}: without YAML", f.name),
            Err(share::ShareError::NeedsYaml) => without_yaml_needs += 1,
            Err(e) => panic!("{}: without YAML: {e}", f.name),
        }
        let mut totals = serde_yaml::to_value(plan(cat(), &decoded).totals).unwrap();
        // The frozen totals predate `limits_unset` (a field added to the JSON contract, whose
        // other fields keep their meaning): compared without it.
        for side in ["baseline", "peak"] {
            if let Some(t) = totals.get_mut(side).and_then(|t| t.as_mapping_mut()) {
                t.remove("limits_unset");
            }
        }
        assert_eq!(totals, f.totals, "{}: plan totals", f.name);
        charts.extend(decoded.stacks.iter().cloned());
    }
    // One per chart, one with several stacks, one with options.
    assert_eq!(charts.len(), cat().charts.len(), "{charts:?}");
    assert!(frozen.iter().any(|f| f.config.stacks.len() > 1));
    assert!(frozen.iter().any(|f| !f.config.options.is_empty()));
    // Links of the old catalog: some paths move, some are dropped.
    assert!(
        moved >= 5 && dropped >= 2,
        "{moved} moved, {dropped} dropped"
    );
    // The typed-values link quotes a string; the others are plain.
    assert!(
        (1..frozen.len()).contains(&without_yaml_needs),
        "{without_yaml_needs} of {} links need YAML",
        frozen.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips

/// The settings of a chart that the proptest draws from: each component's replicas, resources,
/// autoscaling, storage and enabled paths and each shared volume's size, with their kind.
fn settable_paths(stack: &str) -> Vec<String> {
    let chart = cat().chart(stack).unwrap();
    let mut out = Vec::new();
    for c in &chart.components {
        let v = &c.values;
        out.extend(v.enabled.clone());
        out.extend(v.replicas.clone());
        if let Some(r) = &v.resources {
            for leaf in [
                "requests.cpu",
                "requests.memory",
                "limits.cpu",
                "limits.memory",
            ] {
                out.push(format!("{r}.{leaf}"));
            }
        }
        if let Some(a) = &v.autoscaling {
            for leaf in [
                "enabled",
                "minReplicas",
                "maxReplicas",
                "targetCPUUtilizationPercentage",
            ] {
                out.push(format!("{a}.{leaf}"));
            }
        }
        if let Some(p) = &v.persistence {
            out.push(format!("{p}.size"));
            out.push(format!("{p}.enabled"));
        }
    }
    for vol in &chart.volumes {
        out.push(format!("{}.size", vol.values));
    }
    out.sort();
    out.dedup();
    out
}

/// A free-form map where any key may be set: rae-memory's `monitoring.serviceMonitor.labels`
/// (the chart's values.yaml has it empty; its old `configMap` is no key of the chart).
fn free_form_path(stack: &str) -> Option<&'static str> {
    (stack == "rae-memory").then_some("monitoring.serviceMonitor.labels")
}

/// A valid value for `path`, by its kind; `n` picks it.
fn value_for(stack: &str, path: &str, n: u32, b: bool) -> Value {
    let chart = cat().chart(stack).unwrap();
    let leaf = path.rsplit('.').next().unwrap_or(path);
    match field_kind(chart, path) {
        FieldKind::Quantity if leaf == "cpu" => Value::from(format!("{}m", 1 + n % 64_000)),
        FieldKind::Quantity if leaf == "memory" => Value::from(format!("{}Mi", 1 + n % 262_144)),
        FieldKind::Quantity => Value::from(format!("{}Gi", 1 + n % 4096)),
        FieldKind::Count => Value::from(n % 50),
        FieldKind::Percent => Value::from(1 + n % 100),
        FieldKind::Integer => Value::from(n),
        _ => Value::Bool(b),
    }
}

fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>()
            .prop_filter("no URL", |s| !s.contains("://"))
            .prop_map(Value::from),
        "[0-9]{1,4}|true|false|null|~.*|\\[.*"
            .prop_filter("no URL", |s| !s.contains("://"))
            .prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        (-1.0e12f64..1.0e12).prop_map(|f| Value::Number(f.into())),
        prop::collection::vec("[a-z ]{0,6}", 0..3)
            .prop_map(|v| Value::Sequence(v.into_iter().map(Value::from).collect())),
    ]
}

/// What a link is expected to carry: the configuration less overrides equal to the preset.
fn without_preset_values(c: &Configuration) -> Configuration {
    let mut out = c.clone();
    for (stack, map) in &c.overrides {
        let chart = cat().chart(stack).unwrap();
        let preset = c.preset_values(chart);
        for (path, value) in map {
            let current = parse_path(path)
                .ok()
                .and_then(|segs| get_path(&preset, &segs).cloned());
            let same = current.as_ref().is_some_and(|cur| {
                cur == value
                    || (field_kind(chart, path) == FieldKind::Quantity
                        && matches!((quantity_of(cur), quantity_of(value)), (Ok(a), Ok(b)) if a == b))
            });
            if same {
                out.unset(stack, path);
            }
        }
    }
    out
}

fn arb_config() -> impl Strategy<Value = Configuration> {
    let ids: Vec<String> = cat().charts.iter().map(|c| c.id.clone()).collect();
    (
        prop::sample::subsequence(ids, 1..=2),
        any::<prop::sample::Index>(),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                any::<u32>(),
                any::<bool>(),
                any::<bool>(),
            ),
            0..14,
        ),
        prop::collection::vec(("[A-J_]{1,8}", odd_value()), 0..4),
        prop::collection::btree_map(
            "[a-j_.]{1,10}",
            any::<String>().prop_filter("no URL", |s| !s.contains("://")),
            0..4,
        ),
    )
        .prop_map(|(stacks, env_pick, picks, free, options)| {
            let refs: Vec<&str> = stacks.iter().map(String::as_str).collect();
            // An environment every chosen chart has.
            let first = cat().chart(refs[0]).unwrap();
            let envs: Vec<&str> = first
                .environments
                .iter()
                .map(|e| e.id.as_str())
                .filter(|e| {
                    refs.iter()
                        .all(|s| cat().chart(s).unwrap().environment(e).is_some())
                })
                .collect();
            let env = envs[env_pick.index(envs.len())];
            let mut c = Configuration::new(cat(), &refs, env).unwrap();
            for (stack_pick, path_pick, n, b, use_preset) in picks {
                let stack = c.stacks[stack_pick.index(c.stacks.len())].clone();
                let paths = settable_paths(&stack);
                let path = &paths[path_pick.index(paths.len())];
                let chart = cat().chart(&stack).unwrap();
                let preset = parse_path(path)
                    .ok()
                    .and_then(|s| get_path(&c.preset_values(chart), &s).cloned());
                let value = match preset {
                    Some(p) if use_preset && !p.is_null() => p,
                    _ => value_for(&stack, path, n, b),
                };
                // Some paths are not in every chart's tree (e.g. no targetCPU...); skip those.
                let _ = c.set(cat(), &stack, path, value);
            }
            for (key, value) in free {
                for stack in c.stacks.clone() {
                    if let Some(map) = free_form_path(&stack) {
                        c.set(cat(), &stack, &format!("{map}.{key}"), value.clone())
                            .unwrap();
                    }
                }
            }
            c.options = options;
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_configuration_round_trips(c in arb_config()) {
        let fragment = share::encode(cat(), &c);
        let back = share::decode(cat(), &fragment);
        prop_assert_eq!(back, Ok(from_link(&without_preset_values(&c))), "fragment {}", fragment);
    }

    #[test]
    fn any_configuration_plans_the_same_after_a_round_trip(c in arb_config()) {
        let back = share::decode(cat(), &share::encode(cat(), &c)).unwrap();
        let (a, b) = (plan(cat(), &back), plan(cat(), &c));
        prop_assert_eq!(&a.totals, &b.totals);
        let figures = |p: &tonnage_core::Plan| {
            p.components
                .iter()
                .map(|c| (c.id.clone(), c.enabled, c.replicas, c.requests, c.limits, c.storage_bytes))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(figures(&a), figures(&b));
    }
}

// ---------------------------------------------------------------------------------------------
// Broken and hostile input

/// A deterministic linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn valid_fragment() -> String {
    let mut c = config(
        &["cauldron-infra", "cauldron-frappe"],
        "prod",
        &[
            "cauldron-infra:postgresql.primary.persistence.size=300Gi",
            "frappe.replicas.web=6",
        ],
    );
    c.options.insert("cloud".into(), "aws".into());
    share::encode(cat(), &c)
}

/// A well-formed payload (checksum and deflate right) around arbitrary bytes, so that the text
/// parser sees hostile text.
fn wrap(packed: &[u8]) -> String {
    let mut crc = Crc::new();
    crc.update(packed);
    let mut e = DeflateEncoder::new(crc.sum().to_be_bytes().to_vec(), Compression::best());
    e.write_all(packed).unwrap();
    format!("v1.{}", URL_SAFE_NO_PAD.encode(e.finish().unwrap()))
}

#[test]
fn broken_links_give_the_right_error() {
    let f = valid_fragment();
    assert!(share::decode(cat(), &f).is_ok());
    let d = |s: &str| share::decode(cat(), s).unwrap_err();
    assert_eq!(d(""), ShareError::Empty);
    assert_eq!(
        d("v9.xxx"),
        ShareError::NewerVersion {
            version: "9".into()
        }
    );
    assert!(d("v9.xxx")
        .to_string()
        .contains("newer Tonnage (format v9)"));
    assert!(matches!(d("garbage"), ShareError::NotTonnage { .. }));
    assert!(matches!(
        d("https://example.com/page"),
        ShareError::NotTonnage { .. }
    ));
    assert!(matches!(d("v1.***"), ShareError::Damaged { .. }));
    assert!(matches!(
        d("v1.SGVsbG8gd29ybGQ"),
        ShareError::Damaged { .. }
    ));
    // Cut at several lengths.
    for cut in [3, 4, 5, 10, f.len() / 2, f.len() - 2, f.len() - 1] {
        let e = d(&f[..cut]);
        assert!(
            matches!(e, ShareError::Damaged { .. }),
            "cut at {cut}: {e:?}"
        );
        assert!(
            e.to_string().starts_with("the link is damaged or cut off"),
            "{e}"
        );
    }
    // Flipped characters.
    for i in [3, 7, f.len() / 2, f.len() - 1] {
        let mut s = f.clone().into_bytes();
        s[i] = if s[i] == b'A' { b'B' } else { b'A' };
        let e = d(std::str::from_utf8(&s).unwrap());
        assert!(matches!(e, ShareError::Damaged { .. }), "flip {i}: {e:?}");
    }
    // Well-formed payloads with bad text are named as such.
    assert!(matches!(
        d(&wrap(b"rhesis~prod\n\xff")),
        ShareError::Damaged { .. }
    ));
    assert!(matches!(
        d(&wrap(b"rhesis~prod\n\xc3")),
        ShareError::Damaged { .. }
    ));
    assert!(matches!(
        d(&wrap(b"\xbb~prod\n\x8d=2")),
        ShareError::Config(_)
    ));
    assert!(matches!(
        d(&wrap(b"\xbb~\xbf\nauth.password=x")),
        ShareError::Secret { .. }
    ));
    // The dictionary works in hand-made payloads too: rhesis~prod, backend.replicas=2.
    let c = share::decode(cat(), &wrap(b"\xbb~\xbf\n\xb7\x8d=2")).unwrap();
    assert_eq!(c.overrides["rhesis"]["backend.replicas"], Value::from(2));
}

#[test]
fn no_input_makes_decode_panic() {
    let f = valid_fragment();
    let mut rng = Lcg(0x5eed);
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut count = |r: Result<Configuration, ShareError>| {
        let k = match r {
            Ok(_) => "ok",
            Err(ShareError::Empty) => "empty",
            Err(ShareError::NotTonnage { .. }) => "not tonnage",
            Err(ShareError::NewerVersion { .. }) => "newer",
            Err(ShareError::Damaged { .. }) => "damaged",
            Err(ShareError::TooLarge) => "too large",
            Err(ShareError::Secret { .. }) => "secret",
            Err(ShareError::Config(_)) => "config",
            Err(ShareError::NeedsYaml) => panic!("decode has a YAML reader"),
        };
        *outcomes.entry(k).or_default() += 1;
    };
    // Random strings, with and without the v1. prefix.
    for _ in 0..3000 {
        let len = rng.below(160);
        let mut s: String = (0..len)
            .map(|_| match rng.below(20) {
                0 => ['#', '.', '=', '~', '\n', 'é', '\u{0}', ' '][rng.below(8)],
                _ => ALPHABET[rng.below(ALPHABET.len())] as char,
            })
            .collect();
        if rng.below(2) == 0 {
            s.insert_str(0, "v1.");
        }
        count(share::decode(cat(), &s));
    }
    // Mutations of a valid link: flips, deletions, insertions, duplications, cuts.
    for _ in 0..3000 {
        let mut s: Vec<u8> = f.clone().into_bytes();
        for _ in 0..=rng.below(3) {
            let i = rng.below(s.len());
            match rng.below(5) {
                0 => s[i] = ALPHABET[rng.below(ALPHABET.len())],
                1 => {
                    s.remove(i);
                }
                2 => s.insert(i, ALPHABET[rng.below(ALPHABET.len())]),
                3 => {
                    let j = i + rng.below(s.len() - i);
                    let chunk = s[i..j].to_vec();
                    s.splice(i..i, chunk);
                }
                _ => s.truncate(i.max(1)),
            }
            if s.is_empty() {
                break;
            }
        }
        count(share::decode(cat(), &String::from_utf8_lossy(&s)));
    }
    // Well-formed payloads around hostile text: pieces of real lines, dictionary bytes, junk.
    let pieces: [&[u8]; 16] = [
        b"rhesis~prod",
        b"rae-memory,caracal~dev",
        b"\n",
        b":1",
        b":0",
        b"@",
        b"=",
        b"~[",
        b"~{\"a\": ",
        b"\"",
        b"\\",
        b"backend.replicas=3",
        b"\xbb",
        b"\x80\x81",
        b"\xf0\x9f",
        b"\xff",
    ];
    for _ in 0..3000 {
        let mut packed = Vec::new();
        for _ in 0..rng.below(12) {
            packed.extend_from_slice(pieces[rng.below(pieces.len())]);
        }
        if rng.below(3) == 0 {
            packed.insert(0, b'\n');
            packed.splice(0..0, b"rhesis~prod".iter().copied());
        }
        count(share::decode(cat(), &wrap(&packed)));
    }
    eprintln!("fuzz outcomes: {outcomes:?}");
    // The loop reached every layer: framing, checksum/inflate and the text checks.
    for k in ["not tonnage", "damaged", "config", "ok"] {
        assert!(
            outcomes.get(k).copied().unwrap_or(0) > 0,
            "{k}: {outcomes:?}"
        );
    }
}
