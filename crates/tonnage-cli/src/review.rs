//! `tonnage review`: the core's review findings for a configuration, chart audit included
//! (with its evidence), as a table, JSON or Markdown. Exit status 1 when any finding is an error
//! (0 otherwise; usage errors stay 2).

use std::io::Write as _;

use clap::Args;
use tonnage_core::review::{self, Severity};
use tonnage_core::Catalog;

use crate::capacity::{self, CapacityArgs};

#[derive(Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    config: crate::args::ConfigArgs,
    #[command(flatten)]
    capacity: CapacityArgs,
    /// table, json or markdown.
    #[arg(long, default_value = "table")]
    format: String,
}

/// The review text. With an error finding it prints the text itself and exits with status 1
/// (the one command whose complete output can still fail), so `run`'s Ok/Err stays 0/2.
pub fn run(catalog: &Catalog, args: ReviewArgs) -> Result<String, String> {
    let write: fn(&[review::Finding]) -> String = match args.format.as_str() {
        "table" => review::table,
        "json" => review::json,
        "markdown" => review::markdown,
        other => {
            return Err(format!(
                "unknown format {other:?}; valid formats: table, json, markdown"
            ))
        }
    };
    let mut config = args.config.configuration(catalog)?;
    capacity::apply(catalog, &mut config, &args.capacity)?;
    let findings = review::review_with_audit(catalog, &config);
    let out = write(&findings);
    if findings.iter().any(|f| f.severity == Severity::Error) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(out.as_bytes());
        let _ = stdout.flush();
        std::process::exit(1);
    }
    Ok(out)
}
