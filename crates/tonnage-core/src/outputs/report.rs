//! The plan as text: an aligned table, JSON (the documented contract), CSV and Markdown; and
//! the printed report's review section (the review with the chart audit and its evidence).

use std::fmt::Write as _;

use crate::base::quantity::{human_bytes, human_cpu};
use crate::compute::plan::{limit_text, total_limit_text, ComponentPlan, Plan, Total};
use crate::compute::review::{self, Finding};

/// Output formats of `tonnage plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "markdown" | "md" => Ok(Format::Markdown),
            _ => Err(format!(
                "unknown format {s:?}; valid formats: table, json, csv, markdown"
            )),
        }
    }
}

pub fn render(plan: &Plan, format: Format) -> String {
    match format {
        Format::Table => table(plan),
        Format::Json => json(plan),
        Format::Csv => csv(plan),
        Format::Markdown => markdown(plan),
    }
}

/// The report's review section: the findings (the chart audit's with their evidence: key, where
/// its value came from, the guide's words, what the template does) after the plan. Markdown as a
/// `###` section (as the plan's), JSON as the review's JSON, the table and CSV as the review's text.
pub fn review_section(findings: &[Finding], format: Format) -> String {
    match format {
        Format::Markdown => review::markdown_at(findings, 3),
        Format::Json => review::json(findings),
        Format::Table | Format::Csv => review::table(findings),
    }
}

/// The JSON contract (see docs/plan-json.md): the [`Plan`] serialised with sorted keys.
pub fn json(plan: &Plan) -> String {
    // serde_json::Value's map is a BTreeMap here, so keys come out sorted: deterministic.
    let v = serde_json::to_value(plan).unwrap_or(serde_json::Value::Null);
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn replicas_text(c: &ComponentPlan) -> String {
    if !c.enabled {
        "off".into()
    } else if c.replicas.baseline == c.replicas.peak {
        c.replicas.baseline.to_string()
    } else {
        format!("{}-{}", c.replicas.baseline, c.replicas.peak)
    }
}

fn star(c: &ComponentPlan, field: &str) -> &'static str {
    if c.assumed.iter().any(|a| a.field == field) {
        "*"
    } else {
        ""
    }
}

struct Row {
    cells: Vec<String>,
}

fn rows(plan: &Plan) -> (Vec<&'static str>, Vec<Row>, Vec<Row>) {
    let header = vec![
        "stack",
        "component",
        "role",
        "replicas",
        "cpu req",
        "cpu lim",
        "mem req",
        "mem lim",
        "storage",
    ];
    let mut body = Vec::new();
    for c in &plan.components {
        body.push(Row {
            cells: vec![
                c.stack.clone(),
                c.id.clone(),
                c.role.clone(),
                replicas_text(c) + star(c, "replicas"),
                human_cpu(c.requests.cpu_millicores) + star(c, "requests.cpu"),
                limit_text(c.limits.cpu_millicores, human_cpu) + star(c, "limits.cpu"),
                human_bytes(c.requests.memory_bytes) + star(c, "requests.memory"),
                limit_text(c.limits.memory_bytes, human_bytes) + star(c, "limits.memory"),
                if c.storage_bytes > 0 {
                    human_bytes(c.storage_bytes) + star(c, "storage")
                } else {
                    "-".into()
                },
            ],
        });
    }
    for v in &plan.volumes {
        body.push(Row {
            cells: vec![
                v.stack.clone(),
                format!("{} (shared volume)", v.id),
                "volume".into(),
                if v.enabled { "1".into() } else { "off".into() },
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                human_bytes(v.storage_bytes) + if v.assumed.is_empty() { "" } else { "*" },
            ],
        });
    }
    let total = |name: &str, t: &Total| Row {
        cells: vec![
            "TOTAL".into(),
            name.into(),
            String::new(),
            t.replicas.to_string(),
            human_cpu(t.requests.cpu_millicores),
            total_limit_text(t.limits.cpu_millicores, t.limits_unset.cpu, human_cpu),
            human_bytes(t.requests.memory_bytes),
            total_limit_text(t.limits.memory_bytes, t.limits_unset.memory, human_bytes),
            human_bytes(t.storage_bytes),
        ],
    };
    let totals = vec![
        total("baseline", &plan.totals.baseline),
        total("peak", &plan.totals.peak),
    ];
    (header, body, totals)
}

fn table(plan: &Plan) -> String {
    let (header, body, totals) = rows(plan);
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in body.iter().chain(&totals) {
        for (w, c) in widths.iter_mut().zip(&r.cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} / {}", plan.stacks.join(" + "), plan.env);
    let line = |out: &mut String, cells: Vec<String>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            if i >= 3 {
                let _ = write!(s, "{c:>w$}");
            } else {
                let _ = write!(s, "{c:<w$}");
            }
        }
        let _ = writeln!(out, "{}", s.trim_end());
    };
    line(&mut out, header.iter().map(|h| h.to_string()).collect());
    for r in body {
        line(&mut out, r.cells);
    }
    let sep: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    let _ = writeln!(out, "{}", "-".repeat(sep));
    for r in totals {
        line(&mut out, r.cells);
    }
    let assumed: Vec<_> = plan
        .components
        .iter()
        .flat_map(|c| c.assumed.iter().map(move |a| (c, a)))
        .collect();
    if !assumed.is_empty() {
        let _ = writeln!(
            out,
            "\n* {} figures are catalog assumptions (the guide states none); `--format json` lists each with its reason.",
            assumed.len()
        );
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(plan: &Plan) -> String {
    let mut out = String::from(
        "stack,component,role,enabled,replicas_baseline,replicas_peak,requests_cpu_millicores,requests_memory_bytes,limits_cpu_millicores,limits_memory_bytes,storage_bytes_per_replica,assumed\n",
    );
    for c in &plan.components {
        let assumed: Vec<&str> = c.assumed.iter().map(|a| a.field.as_str()).collect();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&c.stack),
            csv_field(&c.id),
            csv_field(&c.role),
            c.enabled,
            c.replicas.baseline,
            c.replicas.peak,
            c.requests.cpu_millicores,
            c.requests.memory_bytes,
            c.limits.cpu_millicores,
            c.limits.memory_bytes,
            c.storage_bytes,
            csv_field(&assumed.join(" "))
        );
    }
    for v in &plan.volumes {
        let _ = writeln!(
            out,
            "{},{},volume,{},1,1,0,0,0,0,{},",
            csv_field(&v.stack),
            csv_field(&v.id),
            v.enabled,
            v.storage_bytes
        );
    }
    for (name, t) in [
        ("baseline", &plan.totals.baseline),
        ("peak", &plan.totals.peak),
    ] {
        let _ = writeln!(
            out,
            "TOTAL,{name},,true,{r},{r},{},{},{},{},{},",
            t.requests.cpu_millicores,
            t.requests.memory_bytes,
            t.limits.cpu_millicores,
            t.limits.memory_bytes,
            t.storage_bytes,
            r = t.replicas
        );
    }
    out
}

fn markdown(plan: &Plan) -> String {
    let (header, body, totals) = rows(plan);
    let mut out = format!("### {} / {}\n\n", plan.stacks.join(" + "), plan.env);
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        header
            .iter()
            .enumerate()
            .map(|(i, _)| if i >= 3 { "---:" } else { "---" })
            .collect::<Vec<_>>()
            .join("|")
    );
    // `| a | b |`, each cell bold when `bold` and not empty.
    let row = |out: &mut String, cells: &[String], bold: bool| {
        out.push('|');
        for c in cells {
            out.push(' ');
            if bold && !c.is_empty() {
                out.push_str("**");
                out.push_str(c);
                out.push_str("**");
            } else {
                out.push_str(c);
            }
            out.push_str(" |");
        }
        out.push('\n');
    };
    for r in &body {
        row(&mut out, &r.cells, false);
    }
    for r in &totals {
        row(&mut out, &r.cells, true);
    }
    if plan.components.iter().any(|c| !c.assumed.is_empty()) {
        out.push_str("\n\\* catalog assumption: the guide states no figure.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{plan, Catalog, Configuration};

    fn rhesis_local() -> Plan {
        let cat = Catalog::builtin();
        plan(cat, &Configuration::new(cat, &["rhesis"], "local").unwrap())
    }

    #[test]
    fn table_shows_totals() {
        let t = render(&rhesis_local(), Format::Table);
        assert!(t.contains("2.35 cores"), "{t}");
        assert!(t.contains("4.7 cores"), "{t}");
    }

    #[test]
    fn json_contract_fields() {
        let v: serde_json::Value = serde_json::from_str(&json(&rhesis_local())).unwrap();
        assert_eq!(v["env"], "local");
        assert_eq!(v["totals"]["baseline"]["requests"]["cpu_millicores"], 2350);
        let c = &v["components"][0];
        for k in [
            "stack",
            "id",
            "enabled",
            "replicas",
            "requests",
            "limits",
            "storage_bytes",
            "assumed",
        ] {
            assert!(c.get(k).is_some(), "component lacks {k}");
        }
        assert!(c["replicas"]["baseline"].is_i64());
    }

    #[test]
    fn csv_has_a_row_per_component_and_totals() {
        let p = rhesis_local();
        let s = csv(&p);
        assert_eq!(
            s.lines().count(),
            1 + p.components.len() + p.volumes.len() + 2
        );
        assert!(s.contains("TOTAL,baseline,,true,5,5,2350,"), "{s}");
    }

    #[test]
    fn markdown_is_a_table() {
        let s = markdown(&rhesis_local());
        assert!(s.contains("| stack | component |"));
        assert!(s.contains("**2.35 cores**"), "{s}");
    }

    #[test]
    fn format_names() {
        assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
        assert!("xml"
            .parse::<Format>()
            .unwrap_err()
            .contains("table, json, csv, markdown"));
    }
}
