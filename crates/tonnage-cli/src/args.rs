//! The configuration arguments, one struct for every command that takes a configuration
//! (`#[command(flatten)]`): the charts, the environment preset, `--set`/`--set-string`
//! overrides as Helm reads them, and `--option KEY=VALUE`. Every check is the core's.

use clap::Args;
use tonnage_core::{Catalog, Configuration};

#[derive(Args, Debug, Default, Clone)]
pub struct ConfigArgs {
    /// A chart id; repeat to use several charts together.
    #[arg(long = "stack", required = true)]
    pub stacks: Vec<String>,
    /// The environment preset (dev, staging, prod, ...).
    #[arg(long, required = true)]
    pub env: Option<String>,
    /// Override a value as `helm --set` would: PATH=VALUE or STACK:PATH=VALUE.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// As --set, every value (and list item) a string, as `helm --set-string` reads it;
    /// applied after --set, as Helm does.
    #[arg(long = "set-string", value_name = "PATH=VALUE")]
    pub set_strings: Vec<String>,
    /// Any option as KEY=VALUE: planning (cloud, node_type, users, node.vcpu, node.memory,
    /// node.max_pods, daemonset.cpu, daemonset.memory, price.node_hour,
    /// price.storage_gb_month, qdrant.vectors, ...) or an external endpoint for a switched-off
    /// dependency (external.<chart>.<component>=HOST[:PORT]); repeat for several.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
}

impl ConfigArgs {
    /// The configuration: the preset of the charts and environment, the overrides, then the
    /// options.
    pub fn configuration(&self, catalog: &Catalog) -> Result<Configuration, String> {
        let ids: Vec<&str> = self.stacks.iter().map(String::as_str).collect();
        let env = self.env.as_deref().unwrap_or_default();
        let mut config = Configuration::new(catalog, &ids, env).map_err(|e| e.to_string())?;
        for s in &self.sets {
            config.set_str(catalog, s).map_err(|e| e.to_string())?;
        }
        for s in &self.set_strings {
            config
                .set_string_str(catalog, s)
                .map_err(|e| e.to_string())?;
        }
        self.apply_options(catalog, &mut config)?;
        Ok(config)
    }

    /// `--option KEY=VALUE` flags into `config`'s options, each checked by the core
    /// (`Configuration::set_option`: planning options and external endpoints).
    pub fn apply_options(
        &self,
        catalog: &Catalog,
        config: &mut Configuration,
    ) -> Result<(), String> {
        for o in &self.options {
            let Some((k, v)) = o.split_once('=') else {
                return Err(format!("invalid --option {o:?}: expected KEY=VALUE"));
            };
            config
                .set_option(catalog, k, v)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
