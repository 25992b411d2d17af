//! Capacity flags shared by `tonnage plan` and `tonnage review`: cloud, node type, expected
//! users and any other planning option. They go into the configuration's options
//! (`capacity::OPTION_KEYS` in the core); the node fit, cost and users sizing are the core's.

use clap::Args;
use tonnage_core::capacity::{self, Planning};
use tonnage_core::report::{self, Format};
use tonnage_core::{plan, Catalog, Configuration};

#[derive(Args, Debug, Default, Clone)]
pub struct CapacityArgs {
    /// Fit the plan on nodes of this cloud: gke, eks or aks (adds nodes and monthly cost).
    #[arg(long)]
    pub cloud: Option<String>,
    /// The node type (e2-standard-4, m5.xlarge, Standard_D4s_v5, ... or custom with
    /// --option node.vcpu=.. --option node.memory=..); implies its cloud.
    #[arg(long = "node-type", value_name = "NAME")]
    pub node_type: Option<String>,
    /// Expected users: replicas from the guide's users table (an explicit --set wins).
    #[arg(long, value_name = "N")]
    pub users: Option<String>,
}

/// Put the flags into the configuration's options (after any `--option`), check them, and
/// apply the users sizing.
/// Returns the parsed planning choices and the users sizing notes.
pub fn apply(
    catalog: &Catalog,
    config: &mut Configuration,
    args: &CapacityArgs,
) -> Result<(Planning, Vec<String>), String> {
    for (flag, key, value) in [
        ("--cloud", "cloud", &args.cloud),
        ("--node-type", "node_type", &args.node_type),
        ("--users", "users", &args.users),
    ] {
        if let Some(v) = value {
            capacity::check_option(key, v)
                .map_err(|e| format!("invalid {flag} {:?}: {}", e.value, e.problem))?;
            config.options.insert(key.to_string(), v.clone());
        }
    }
    let planning = Planning::from_options(&config.options).map_err(|e| {
        match [("cloud", "--cloud"), ("node_type", "--node-type")]
            .iter()
            .find(|(k, _)| *k == e.key && args_set(args, k))
        {
            Some((_, flag)) => format!("invalid {flag} {:?}: {}", e.value, e.problem),
            None => e.to_string(),
        }
    })?;
    let notes = match planning.users {
        Some(u) => capacity::apply_users(catalog, config, u).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    Ok((planning, notes))
}

fn args_set(args: &CapacityArgs, key: &str) -> bool {
    match key {
        "cloud" => args.cloud.is_some(),
        "node_type" => args.node_type.is_some(),
        _ => false,
    }
}

/// `tonnage plan --review`: the plan output, then the review with the chart audit and its
/// evidence (`report::review_section`); in JSON a `review` member.
pub fn report_output(
    catalog: &Catalog,
    config: Configuration,
    args: &CapacityArgs,
    format: Format,
) -> Result<String, String> {
    if format == Format::Csv {
        return Err("--review needs --format table, json or markdown".into());
    }
    let mut reviewed = config.clone();
    apply(catalog, &mut reviewed, args)?;
    let findings = tonnage_core::review::review_with_audit(catalog, &reviewed);
    let out = plan_output(catalog, config, args, format)?;
    let section = report::review_section(&findings, format);
    if format == Format::Json {
        let mut v: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
        let r: serde_json::Value = serde_json::from_str(&section).map_err(|e| e.to_string())?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("review".into(), r);
        }
        let mut s = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
        s.push('\n');
        return Ok(s);
    }
    Ok(format!("{out}\n{section}"))
}

/// `tonnage plan` output: the report, plus nodes and cost when a node is chosen.
pub fn plan_output(
    catalog: &Catalog,
    mut config: Configuration,
    args: &CapacityArgs,
    format: Format,
) -> Result<String, String> {
    let (planning, notes) = apply(catalog, &mut config, args)?;
    let p = plan(catalog, &config);
    let fitted = capacity::evaluate(&p, catalog, &planning);
    match format {
        Format::Json => {
            let mut v: serde_json::Value =
                serde_json::from_str(&report::json(&p)).map_err(|e| e.to_string())?;
            if let Some(obj) = v.as_object_mut() {
                if let Some((f, c)) = &fitted {
                    obj.insert("nodes".into(), capacity::nodes_json(f));
                    obj.insert("cost".into(), capacity::cost_json(c));
                }
                if let Some(u) = planning.users {
                    obj.insert(
                        "users".into(),
                        serde_json::json!({ "count": u, "notes": notes }),
                    );
                }
            }
            let mut s = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
            s.push('\n');
            Ok(s)
        }
        Format::Csv => Ok(report::render(&p, format)),
        Format::Table | Format::Markdown => {
            let mut out = report::render(&p, format);
            let fence = format == Format::Markdown;
            let mut extra = String::new();
            for n in &notes {
                extra.push_str(&format!("USERS  {n}\n"));
            }
            if let Some((f, c)) = &fitted {
                extra.push_str(&capacity::summary_text(f, c));
            }
            if !extra.is_empty() {
                out.push('\n');
                if fence {
                    out.push_str("```text\n");
                }
                out.push_str(&extra);
                if fence {
                    out.push_str("```\n");
                }
            }
            Ok(out)
        }
    }
}
