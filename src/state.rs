//! The app's state: one `RwSignal<Configuration>` and the memos derived from it.

use leptos::prelude::*;
use tonnage_core::catalog::Chart;
use tonnage_core::{plan, Catalog, Configuration, Plan};

/// Shared through context. `Copy`, so components can capture it freely.
#[derive(Clone, Copy)]
pub struct AppState {
    pub config: RwSignal<Configuration>,
    /// The first chart of the configuration.
    pub chart: Memo<Option<&'static Chart>>,
    pub plan: Memo<Plan>,
}

pub fn catalog() -> &'static Catalog {
    Catalog::builtin()
}

/// The stack shown first: the one the guides use as the worked example.
pub const DEFAULT_STACK: &str = "rhesis";
pub const DEFAULT_ENV: &str = "local";

impl AppState {
    pub fn new() -> Self {
        let initial = Configuration::new(catalog(), &[DEFAULT_STACK], DEFAULT_ENV)
            .expect("the default stack and environment are in the catalog");
        let config = RwSignal::new(initial);
        let chart = Memo::new(move |_| {
            config.with(|c| c.stacks.first().and_then(|id| catalog().chart(id)))
        });
        let plan = Memo::new(move |_| config.with(|c| plan(catalog(), c)));
        AppState {
            config,
            chart,
            plan,
        }
    }

    /// Switch to another stack, keeping the environment when the stack has it.
    pub fn select_stack(&self, id: &str) {
        let Some(chart) = catalog().chart(id) else {
            return;
        };
        let env = self.config.with_untracked(|c| c.env.clone());
        let env = if chart.environment(&env).is_some() {
            env
        } else if chart.environment("dev").is_some() {
            "dev".to_string()
        } else {
            chart.environments[0].id.clone()
        };
        if let Ok(c) = Configuration::new(catalog(), &[id], &env) {
            self.config.set(c);
        }
    }

    /// Switch environment preset.
    pub fn select_env(&self, env: &str) {
        let stacks = self.config.with_untracked(|c| c.stacks.clone());
        let ids: Vec<&str> = stacks.iter().map(String::as_str).collect();
        if let Ok(mut c) = Configuration::new(catalog(), &ids, env) {
            c.overrides = self.config.with_untracked(|c| c.overrides.clone());
            self.config.set(c);
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

pub fn use_state() -> AppState {
    expect_context::<AppState>()
}
