//! `tonnage share` prints a link that carries a configuration; `tonnage plan --from-url` reads
//! one. The format and its checks are the core's (`tonnage_core::share`).

use clap::Args;
use tonnage_core::share;
use tonnage_core::{Catalog, Configuration};

#[derive(Args)]
pub struct ShareArgs {
    /// A chart id; repeat to share several charts together.
    #[arg(long = "stack", required = true)]
    stacks: Vec<String>,
    /// The environment preset (dev, staging, prod, ...).
    #[arg(long)]
    env: String,
    /// Override a value as `helm --set` would: PATH=VALUE or STACK:PATH=VALUE.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// An option as KEY=VALUE (planning options, external.<chart>.<component>=HOST[:PORT]);
    /// the link carries it.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// The address of the Tonnage web app the link opens.
    #[arg(long = "base-url", value_name = "URL", default_value = share::DEFAULT_BASE_URL)]
    base_url: String,
}

/// The link and a newline. Credentials never go into a link; a note on stderr names any that
/// were left out.
pub fn run(catalog: &Catalog, args: ShareArgs) -> Result<String, String> {
    let mut config = crate::configuration(catalog, &args.stacks, &args.env, &args.sets)?;
    crate::apply_options(catalog, &mut config, &args.options)?;
    for what in share::withheld(&config) {
        eprintln!("note: {what} looks like a credential and is not in the link");
    }
    let fragment = share::encode(catalog, &config);
    Ok(format!("{}\n", share::link(&args.base_url, &fragment)))
}

/// The configuration a link carries, or why it cannot be read. A `note:` line on stderr says
/// what became of each override of an older link whose path the catalog moved or removed.
pub fn from_link(catalog: &Catalog, link: &str) -> Result<Configuration, String> {
    let (config, migrations) = share::decode_noting(catalog, link).map_err(|e| e.to_string())?;
    for m in migrations {
        eprintln!("note: {m}");
    }
    Ok(config)
}
