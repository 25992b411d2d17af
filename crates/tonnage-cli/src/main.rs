//! `tonnage`: the command-line front end on tonnage-core. All domain logic lives in the core;
//! this file parses arguments, does the IO and maps errors to exit status 2.

use std::process::ExitCode;

mod args;
mod capacity;
mod render;
mod review;
mod share;

use clap::{Parser, Subcommand};
use tonnage_core::report::Format;
use tonnage_core::Catalog;

#[derive(Parser)]
#[command(
    name = "tonnage",
    version,
    about = "Plan, size and share Kubernetes Helm stacks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the charts, their components and environments.
    Stacks {
        /// Only this stack.
        #[arg(long)]
        stack: Option<String>,
        /// Also list every values path that `--set` accepts.
        #[arg(long)]
        paths: bool,
    },
    /// Print the resource plan of a configuration.
    #[command(
        mut_arg("stacks", |a| a.required(false).required_unless_present("from_url")),
        mut_arg("env", |a| a.required(false).required_unless_present("from_url"))
    )]
    Plan {
        #[command(flatten)]
        config: args::ConfigArgs,
        /// table, json, csv or markdown.
        #[arg(long, default_value = "table")]
        format: String,
        /// Plan the configuration a share link carries (the whole URL or its #v1.… part).
        /// An older link's overrides of paths the charts' real keys replaced are moved to those
        /// keys or dropped, each with a note on stderr.
        #[arg(long = "from-url", conflicts_with_all = ["stacks", "env", "sets", "set_strings"])]
        from_url: Option<String>,
        /// Add the review (chart audit included, with its evidence) after the plan: the
        /// printed report. JSON gets a "review" member; the exit status stays 0.
        #[arg(long)]
        review: bool,
        #[command(flatten)]
        capacity: capacity::CapacityArgs,
    },
    /// Print a link that carries a configuration (only its differences from the preset).
    Share(share::ShareArgs),
    /// Write the values files and/or Kubernetes manifests of a configuration.
    Render(render::RenderArgs),
    /// Review a configuration: findings with reasons and fixes; exit 1 on any error finding.
    Review(review::ReviewArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<String, String> {
    let catalog = Catalog::builtin();
    match cli.command {
        Command::Stacks { stack, paths } => stacks(catalog, stack.as_deref(), paths),
        Command::Plan {
            config,
            format,
            from_url,
            review,
            capacity,
        } => {
            let format: Format = format.parse()?;
            let config = match from_url {
                Some(link) => {
                    let mut c = share::from_link(catalog, &link)?;
                    config.apply_options(catalog, &mut c)?;
                    c
                }
                None => config.configuration(catalog)?,
            };
            if review {
                capacity::report_output(catalog, config, &capacity, format)
            } else {
                capacity::plan_output(catalog, config, &capacity, format)
            }
        }
        Command::Share(args) => share::run(catalog, args),
        Command::Render(args) => render::run(catalog, args),
        Command::Review(args) => review::run(catalog, args),
    }
}

fn stacks(catalog: &Catalog, only: Option<&str>, paths: bool) -> Result<String, String> {
    use std::fmt::Write as _;
    if let Some(id) = only {
        if catalog.chart(id).is_none() {
            return Err(format!(
                "unknown stack {id:?}; valid stacks: {}",
                catalog.chart_ids().join(", ")
            ));
        }
    }
    let mut out = String::new();
    for chart in catalog
        .charts
        .iter()
        .filter(|c| only.is_none_or(|o| o == c.id))
    {
        let envs: Vec<&str> = chart.environments.iter().map(|e| e.id.as_str()).collect();
        let _ = writeln!(out, "{}  {}", chart.id, chart.name);
        let _ = writeln!(out, "  {}", chart.summary);
        let _ = writeln!(out, "  environments: {}", envs.join(", "));
        if !chart.requires.is_empty() {
            let _ = writeln!(out, "  requires: {}", chart.requires.join(", "));
        }
        let _ = writeln!(out, "  components:");
        for c in &chart.components {
            let _ = writeln!(
                out,
                "    {:<24} {:<20} {:<12} {}",
                c.id,
                c.role,
                c.kind.as_str(),
                if c.is_stateful() {
                    "stateful"
                } else {
                    "stateless"
                }
            );
        }
        if paths {
            let _ = writeln!(out, "  values paths:");
            for p in tonnage_core::values::leaf_paths(&chart.values) {
                let _ = writeln!(out, "    {p}");
            }
        }
        out.push('\n');
    }
    Ok(out)
}
