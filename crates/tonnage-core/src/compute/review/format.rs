//! The review's findings as text: a table for the terminal, Markdown for the printed report
//! and the bundle, JSON for tools, and the `--set` arguments of a fix.

use super::*;

/// `--set STACK:PATH=VALUE` for a fix's override.
pub fn set_arg(stack: &str, path: &str, value: &Value) -> String {
    format!("--set {stack}:{path}={}", display_value(value))
}

/// (errors, warnings, infos).
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}

/// `stack/component`, or the stack for a finding about the chart as a whole.
pub fn who(f: &Finding) -> String {
    match &f.component {
        Some(c) => format!("{}/{c}", f.stack),
        None => f.stack.clone(),
    }
}

/// The findings as text for a terminal.
pub fn table(findings: &[Finding]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in findings {
        let who = who(f);
        let _ = writeln!(
            out,
            "{:<8} {who}  [{}]",
            f.severity.as_str().to_ascii_uppercase(),
            f.rule
        );
        let _ = writeln!(out, "         {}", f.message);
        let _ = writeln!(out, "         why: {}", f.explanation);
        for e in &f.evidence {
            for line in evidence_lines(e) {
                let _ = writeln!(out, "         {line}");
            }
        }
        if let Some(fix) = &f.fix {
            let args = fix_args(fix);
            if args.is_empty() {
                let _ = writeln!(out, "         fix: {}", fix.label);
            } else {
                let _ = writeln!(out, "         fix: {}: {}", fix.label, args.join(" "));
            }
        }
        out.push('\n');
    }
    let (e, w, i) = counts(findings);
    let _ = writeln!(out, "{e} error(s), {w} warning(s), {i} note(s)");
    out
}

/// A fix as command-line arguments (`--set`, `--node-type`, `--option`); none for a fix in words.
pub fn fix_args(fix: &Fix) -> Vec<String> {
    let mut args: Vec<String> = fix.sets.iter().map(|(s, p, v)| set_arg(s, p, v)).collect();
    args.extend(fix.options.iter().map(|(k, v)| match k.as_str() {
        "node_type" => format!("--node-type {v}"),
        _ => format!("--option {k}={v}"),
    }));
    args
}

/// One piece of evidence as labelled lines (`evidence: KEY = VALUE (ORIGIN)`, ORIGIN as "set by
/// you", "set by the link you opened"..., `guide:`,
/// `chart:`), shared by the text and Markdown writers and the printed report.
pub fn evidence_lines(e: &Evidence) -> Vec<String> {
    let mut lines = vec![match &e.value {
        Some(v) => format!("evidence: {} = {v} ({})", e.key, e.origin),
        None => format!("evidence: {} ({})", e.key, e.origin),
    }];
    if let Some(g) = &e.guide {
        match &e.guide_source {
            Some(src) => lines.push(format!("  guide: \"{g}\" ({src})")),
            None => lines.push(format!("  guide: \"{g}\"")),
        }
    }
    if let Some(c) = &e.chart {
        lines.push(format!("  chart: {c}"));
    }
    lines
}

/// The findings as Markdown: a summary line, then one section per finding with its reason,
/// evidence and fix.
pub fn markdown(findings: &[Finding]) -> String {
    markdown_at(findings, 1)
}

/// [`markdown`] with its title at heading `level` (1: `#`), the findings one level below: the
/// section of a longer document (the printed report).
pub fn markdown_at(findings: &[Finding], level: usize) -> String {
    use std::fmt::Write as _;
    let (e, w, i) = counts(findings);
    let h = "#".repeat(level.max(1));
    let mut out = format!("{h} Review\n\n{e} error(s), {w} warning(s), {i} note(s)\n");
    let esc = |s: &str| s.replace('|', "\\|");
    for f in findings {
        let who = who(f);
        let _ = write!(
            out,
            "\n{h}# {} `{}` {who}\n\n{}\n\n{}\n",
            f.severity.as_str(),
            f.rule,
            f.message,
            f.explanation
        );
        if !f.evidence.is_empty() {
            out.push_str("\n| key | value | origin | guide | chart |\n|---|---|---|---|---|\n");
            for ev in &f.evidence {
                let guide = match (&ev.guide, &ev.guide_source) {
                    (Some(g), Some(s)) => format!("\"{g}\" ({s})"),
                    (Some(g), None) => format!("\"{g}\""),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} |",
                    esc(&ev.key),
                    esc(ev.value.as_deref().unwrap_or("")),
                    esc(&ev.origin),
                    esc(&guide),
                    esc(ev.chart.as_deref().unwrap_or(""))
                );
            }
        }
        if let Some(fix) = &f.fix {
            let args = fix_args(fix);
            if args.is_empty() {
                let _ = writeln!(out, "\nFix: {}", fix.label);
            } else {
                let _ = writeln!(out, "\nFix: {}: `{}`", fix.label, args.join(" "));
            }
        }
    }
    out
}

/// The findings as JSON: `{"findings": [...], "summary": {"errors", "warnings", "infos"}}`.
/// A finding with evidence carries `"evidence": [{key, value?, origin, set_by?, guide?,
/// guide_source?, chart?}]` (`origin` in words, `set_by` as an id: [`Evidence::set_by`]).
pub fn json(findings: &[Finding]) -> String {
    let list: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let mut o = serde_json::json!({
                "severity": f.severity.as_str(),
                "rule": f.rule,
                "stack": f.stack,
                "component": f.component,
                "message": f.message,
                "explanation": f.explanation,
                "fix": f.fix.as_ref().map(|x| serde_json::json!({
                    "label": x.label,
                    "sets": x.sets.iter().map(|(s, p, v)| serde_json::json!({
                        "stack": s,
                        "path": p,
                        "value": serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                        "arg": set_arg(s, p, v),
                    })).collect::<Vec<_>>(),
                    "options": x.options.iter().map(|(k, v)| serde_json::json!({
                        "key": k, "value": v,
                    })).collect::<Vec<_>>(),
                })),
            });
            if !f.evidence.is_empty() {
                o["evidence"] = serde_json::to_value(&f.evidence).unwrap_or_default();
            }
            o
        })
        .collect();
    let (e, w, i) = counts(findings);
    let v = serde_json::json!({
        "findings": list,
        "summary": { "errors": e, "warnings": w, "infos": i },
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
