//! `tonnage share` prints a link that carries a configuration; `tonnage plan --from-url` reads
//! one. The format and its checks are the core's (`tonnage_core::share`).

use clap::Args;
use tonnage_core::share;
use tonnage_core::{Catalog, Configuration};

#[derive(Args)]
pub struct ShareArgs {
    #[command(flatten)]
    config: crate::args::ConfigArgs,
    /// The address of the Tonnage web app the link opens.
    #[arg(long = "base-url", value_name = "URL", default_value = share::DEFAULT_BASE_URL)]
    base_url: String,
}

/// The link and a newline. Credentials never go into a link; a note on stderr names any that
/// were left out.
pub fn run(catalog: &Catalog, args: ShareArgs) -> Result<String, String> {
    let config = args.config.configuration(catalog)?;
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
