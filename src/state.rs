//! The app's state: one `RwSignal<Configuration>` in context, and memos derived from it that
//! call the core. Every edit goes through [`AppState::apply`], which keeps undo/redo history.
//! Autosave and the share link are effects on the same signal.

use leptos::prelude::*;
use serde_yaml::Value;
use tonnage_core::catalog::Chart;
use tonnage_core::config::{field_problems, FieldProblem};
use tonnage_core::values::lookup;
use tonnage_core::{plan, Catalog, ConfigError, Configuration, Plan};

use crate::browser;

pub fn catalog() -> &'static Catalog {
    Catalog::builtin()
}

/// The stack shown first: the one the guides use as the worked example.
pub const DEFAULT_STACK: &str = "rhesis";
pub const DEFAULT_ENV: &str = "local";
/// localStorage key of the autosaved configuration (JSON of `Configuration`).
pub const SAVE_KEY: &str = "tonnage.config.v1";
const HISTORY_LIMIT: usize = 200;
/// How long the configuration must stay unchanged before [`AppState::settled`] follows it.
pub const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);
/// The longest an edit's update of the page waits for the Files preview (see
/// [`AppState::before_update`]).
pub const HOLD: std::time::Duration = std::time::Duration::from_millis(8);

/// A message for the user at the top of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
}

#[derive(Clone, Copy)]
struct ChartMemos {
    id: &'static str,
    values: Memo<Option<Value>>,
    overrides: Memo<Option<std::collections::BTreeMap<String, Value>>>,
}

/// The hook of [`AppState::before_update`]: true holds the page's update for the reply.
type BeforeUpdate = Box<dyn Fn(&Configuration) -> bool>;

#[derive(Default)]
struct History {
    past: Vec<Configuration>,
    future: Vec<Configuration>,
}

/// Shared through context. `Copy`, so components can capture it freely.
#[derive(Clone, Copy)]
pub struct AppState {
    pub config: RwSignal<Configuration>,
    /// The configuration as of the last pause in editing ([`SETTLE`] without a change): what
    /// the address bar and the review follow, so typing does not pay for them on every
    /// keystroke (`history.replaceState` alone cost about 6 ms per edit in Chromium).
    pub settled: RwSignal<Configuration>,
    /// The ids of the charts in the configuration (changes rarely: drives the page structure).
    pub stack_ids: Memo<Vec<String>>,
    pub plan: Memo<Plan>,
    /// Values of the preset (environment without the user's overrides) per chart.
    pub preset: Memo<Vec<(String, Value)>>,
    pub problems: Memo<Vec<FieldProblem>>,
    /// The planning and endpoint options alone: what reads only them (the capacity panel's
    /// fields, endpoints) does not re-run on an edit of a chart's values.
    pub options: Memo<std::collections::BTreeMap<String, String>>,
    /// Per catalog chart, its effective values and its overrides (`None` when the chart is not
    /// in the configuration). Each chart's values follow only what they depend on (its
    /// overrides, the environment, the options): an edit recomputes the values of the chart it
    /// changed, not every chart's tree, and re-runs only that chart's editor fields (hundreds of
    /// fields subscribed to one signal made each edit pay for re-subscribing them all).
    per_chart: StoredValue<Vec<ChartMemos>>,
    pub notice: RwSignal<Option<Notice>>,
    history: StoredValue<History>,
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    /// Called with the new configuration just before [`AppState::config`] is set to it (see
    /// [`AppState::before_update`]).
    before_update: StoredValue<Option<BeforeUpdate>, LocalStorage>,
    /// A new configuration held back until [`AppState::release`] (at most [`HOLD`]).
    held: StoredValue<Option<(Configuration, Option<TimeoutHandle>)>, LocalStorage>,
}

impl AppState {
    pub fn new(initial: Configuration) -> Self {
        let settled = RwSignal::new(initial.clone());
        let config = RwSignal::new(initial);
        let stack_ids = Memo::new(move |_| config.with(|c| c.stacks.clone()));
        let plan = Memo::new(move |_| config.with(|c| plan(catalog(), c)));
        // The preset depends on the charts and the environment only: an edit does not rebuild
        // (and compare) every chart's preset tree.
        let basis = Memo::new(move |_| config.with(|c| (c.stacks.clone(), c.env.clone())));
        let preset = Memo::new(move |_| {
            basis.with(|(stacks, env)| {
                stacks
                    .iter()
                    .filter_map(|s| catalog().chart(s))
                    .map(|ch| (ch.id.clone(), ch.preset(env).clone()))
                    .collect()
            })
        });
        let problems = Memo::new(move |_| config.with(|c| field_problems(catalog(), c)));
        let options = Memo::new(move |_| config.with(|c| c.options.clone()));
        let per_chart = catalog()
            .chart_ids()
            .into_iter()
            .map(|id| {
                let overrides = Memo::new(move |_| config.with(|c| c.overrides.get(id).cloned()));
                let values = Memo::new(move |_| {
                    let in_stack = stack_ids.with(|s| s.iter().any(|s| s == id));
                    let chart = catalog().chart(id).filter(|_| in_stack)?;
                    // What `Configuration::effective_values` reads for this chart: its
                    // overrides, the environment and the options (external endpoints).
                    overrides.track();
                    options.track();
                    basis.track();
                    Some(config.with_untracked(|c| c.effective_values(chart)))
                });
                ChartMemos {
                    id,
                    values,
                    overrides,
                }
            })
            .collect();
        AppState {
            config,
            settled,
            stack_ids,
            plan,
            preset,
            problems,
            options,
            per_chart: StoredValue::new(per_chart),
            notice: RwSignal::new(None),
            history: StoredValue::new(History::default()),
            can_undo: RwSignal::new(false),
            can_redo: RwSignal::new(false),
            before_update: StoredValue::new_local(None),
            held: StoredValue::new_local(None),
        }
    }

    /// Have `f` called with every new configuration before the page re-renders for it: the
    /// open Files panel posts its worker request there. When `f` returns true the page's update
    /// is held until [`AppState::release`] (the worker's reply) or for at most [`HOLD`], so the
    /// totals and the preview change in one frame: otherwise the browser paints the totals
    /// first and only then takes the reply, and an edit costs a whole extra frame. Replaces
    /// the previous hook. `f` must not change the configuration.
    pub fn before_update(&self, f: impl Fn(&Configuration) -> bool + 'static) {
        self.before_update.set_value(Some(Box::new(f)));
    }

    /// Set the configuration, calling the [`AppState::before_update`] hook first.
    fn set_config(&self, next: Configuration) {
        self.release();
        let hold = self
            .before_update
            .with_value(|f| f.as_ref().is_some_and(|f| f(&next)));
        if hold {
            let this = *self;
            let handle = set_timeout_with_handle(move || this.release(), HOLD).ok();
            self.held.set_value(Some((next, handle)));
        } else {
            self.config.set(next);
        }
    }

    /// Apply a configuration held back by [`AppState::before_update`] now (no-op when none).
    /// Every change of the configuration releases it first, so edits never overtake it.
    pub fn release(&self) {
        if let Some(Some((next, handle))) = self.held.try_update_value(Option::take) {
            if let Some(h) = handle {
                h.clear();
            }
            self.config.set(next);
        }
    }

    /// Make [`AppState::settled`] follow the configuration once it has not changed for
    /// [`SETTLE`]. Call once, inside the app's reactive owner.
    pub fn settle_after_edits(&self) {
        let (config, settled) = (self.config, self.settled);
        let pending = StoredValue::new_local(None::<TimeoutHandle>);
        Effect::new(move |_| {
            config.track();
            if let Some(Some(h)) = pending.try_update_value(Option::take) {
                h.clear();
            }
            let handle = set_timeout_with_handle(
                move || {
                    let now = config.get_untracked();
                    if settled.with_untracked(|s| *s != now) {
                        settled.set(now);
                    }
                },
                SETTLE,
            );
            pending.set_value(handle.ok());
        });
    }

    /// The charts of the configuration.
    pub fn charts(&self) -> Vec<&'static Chart> {
        self.stack_ids
            .get()
            .iter()
            .filter_map(|s| catalog().chart(s))
            .collect()
    }

    /// Change the configuration through `f`; records undo history when something changed.
    pub fn apply<E>(&self, f: impl FnOnce(&mut Configuration) -> Result<(), E>) -> Result<(), E> {
        self.release();
        let before = self.config.get_untracked();
        let mut next = before.clone();
        f(&mut next)?;
        if next != before {
            self.history.update_value(|h| {
                h.past.push(before);
                if h.past.len() > HISTORY_LIMIT {
                    h.past.remove(0);
                }
                h.future.clear();
            });
            self.set_config(next);
            self.sync_history_flags();
        }
        Ok(())
    }

    fn sync_history_flags(&self) {
        let (u, r) = self
            .history
            .with_value(|h| (!h.past.is_empty(), !h.future.is_empty()));
        self.can_undo.set(u);
        self.can_redo.set(r);
    }

    /// Make `prev` the state Undo returns to (a configuration replaced from outside).
    pub fn seed_undo(&self, prev: Configuration) {
        self.history.update_value(|h| h.past.push(prev));
        self.sync_history_flags();
    }

    pub fn undo(&self) {
        self.release();
        let current = self.config.get_untracked();
        let prev = self.history.try_update_value(|h| {
            let p = h.past.pop();
            if p.is_some() {
                h.future.push(current);
            }
            p
        });
        if let Some(Some(p)) = prev {
            self.set_config(p);
        }
        self.sync_history_flags();
    }

    pub fn redo(&self) {
        self.release();
        let current = self.config.get_untracked();
        let next = self.history.try_update_value(|h| {
            let n = h.future.pop();
            if n.is_some() {
                h.past.push(current);
            }
            n
        });
        if let Some(Some(n)) = next {
            self.set_config(n);
        }
        self.sync_history_flags();
    }

    /// Set one value typed by the user. A value equal to the preset removes the override, so
    /// the change count and the share link stay minimal. Errors are the core's, for the field.
    pub fn set_value(&self, stack: &str, path: &str, value: Value) -> Result<(), ConfigError> {
        self.release();
        let preset = self.preset_at(stack, path);
        self.apply(|c| {
            let mut probe = c.clone();
            probe.set(catalog(), stack, path, value)?;
            let canonical = probe
                .overrides
                .get(stack)
                .and_then(|m| m.get(path))
                .cloned();
            if canonical.is_some() && canonical == preset {
                c.unset(stack, path);
            } else {
                *c = probe;
            }
            Ok(())
        })
    }

    pub fn reset_path(&self, stack: &str, path: &str) {
        let _ = self.apply(|c| {
            c.unset(stack, path);
            Ok::<(), ()>(())
        });
    }

    pub fn reset_paths(&self, stack: &str, paths: &[String]) {
        let _ = self.apply(|c| {
            for p in paths {
                c.unset(stack, p);
            }
            Ok::<(), ()>(())
        });
    }

    /// Back to the preset: no overrides and no external endpoints (the values the user set);
    /// planning options stay.
    pub fn reset_all(&self) {
        let _ = self.apply(|c| {
            c.overrides.clear();
            c.options
                .retain(|k, _| !k.starts_with(tonnage_core::external::PREFIX));
            Ok::<(), ()>(())
        });
    }

    fn chart_memos(&self, stack: &str) -> Option<ChartMemos> {
        self.per_chart
            .with_value(|v| v.iter().find(|m| m.id == stack).copied())
    }

    /// Whether the user changed `path` of chart `stack` (tracks that chart's overrides only).
    pub fn is_overridden(&self, stack: &str, path: &str) -> bool {
        match self.chart_memos(stack) {
            Some(m) => m
                .overrides
                .with(|o| o.as_ref().is_some_and(|o| o.contains_key(path))),
            None => self
                .config
                .with(|c| c.overrides.get(stack).is_some_and(|m| m.contains_key(path))),
        }
    }

    /// `f` of chart `stack`'s overrides (tracks that chart's overrides only).
    pub fn overrides_with<R>(
        &self,
        stack: &str,
        f: impl FnOnce(Option<&std::collections::BTreeMap<String, Value>>) -> R,
    ) -> R {
        match self.chart_memos(stack) {
            Some(m) => m.overrides.with(|o| f(o.as_ref())),
            None => self.config.with(|c| f(c.overrides.get(stack))),
        }
    }

    /// The value in effect at `path` of chart `stack` (tracks that chart's values only).
    pub fn value_at(&self, stack: &str, path: &str) -> Option<Value> {
        // `lookup`: no allocation for plain paths; every field of the editor calls this.
        match self.chart_memos(stack) {
            Some(m) => m
                .values
                .with(|t| t.as_ref().and_then(|t| lookup(t, path).cloned())),
            None => None,
        }
    }

    /// The values in effect per chart, in configuration order, without tracking (computed
    /// when asked: only the passwords generator needs every chart's tree at once).
    pub fn effective_untracked(&self) -> Vec<(String, Value)> {
        self.config.with_untracked(|c| {
            c.stacks
                .iter()
                .filter_map(|s| catalog().chart(s))
                .map(|ch| (ch.id.clone(), c.effective_values(ch)))
                .collect()
        })
    }

    pub fn preset_at(&self, stack: &str, path: &str) -> Option<Value> {
        self.preset.with_untracked(|v| {
            v.iter()
                .find(|(s, _)| s == stack)
                .and_then(|(_, tree)| lookup(tree, path).cloned())
        })
    }

    /// Choose the charts, keeping the environment when all have it and the overrides of charts
    /// that stay. Says so when edits had to go.
    pub fn select_stacks(&self, ids: &[&str]) {
        self.release();
        let (env, overrides, options) = self
            .config
            .with_untracked(|c| (c.env.clone(), c.overrides.clone(), c.options.clone()));
        let has_env = |e: &str| {
            ids.iter().all(|i| {
                catalog()
                    .chart(i)
                    .is_some_and(|c| c.environment(e).is_some())
            })
        };
        let env = if has_env(&env) {
            env
        } else if has_env("dev") {
            "dev".to_string()
        } else {
            let Some(first) = ids.first().and_then(|i| catalog().chart(i)) else {
                return;
            };
            first.environments[0].id.clone()
        };
        let Ok(mut next) = Configuration::new(catalog(), ids, &env) else {
            return;
        };
        let mut dropped = 0;
        for (stack, paths) in overrides {
            if next.stacks.contains(&stack) {
                next.overrides.insert(stack, paths);
            } else {
                dropped += paths.len();
            }
        }
        next.options = options;
        if dropped > 0 {
            self.notice.set(Some(Notice {
                kind: NoticeKind::Info,
                text: format!(
                    "{dropped} change{} to charts you removed {} set aside; Undo (Ctrl+Z) brings {} back.",
                    if dropped == 1 { "" } else { "s" },
                    if dropped == 1 { "was" } else { "were" },
                    if dropped == 1 { "it" } else { "them" }
                ),
            }));
        }
        let _ = self.apply(|c| {
            *c = next;
            Ok::<(), ()>(())
        });
    }

    /// Switch environment preset. Edits are kept as overrides on the new preset, and the page
    /// says so: nothing is discarded silently.
    pub fn select_env(&self, env: &str) {
        self.release();
        let (kept, same) = self
            .config
            .with_untracked(|c| (c.override_count(), c.env == env));
        if same {
            return;
        }
        let ok = self.apply(|c| {
            let ids: Vec<&str> = c.stacks.iter().map(String::as_str).collect();
            let mut next = Configuration::new(catalog(), &ids, env)?;
            next.overrides = std::mem::take(&mut c.overrides);
            next.options = std::mem::take(&mut c.options);
            *c = next;
            Ok::<(), ConfigError>(())
        });
        if ok.is_ok() && kept > 0 {
            let name = self
                .charts()
                .first()
                .and_then(|c| c.environment(env))
                .map(|e| e.name.clone())
                .unwrap_or_else(|| env.to_string());
            self.notice.set(Some(Notice {
                kind: NoticeKind::Info,
                text: format!(
                    "Switched to the {name} preset and kept your {kept} change{} on top of it. Reset all to use the preset as it is.",
                    if kept == 1 { "" } else { "s" }
                ),
            }));
        }
    }
}

/// The configuration to start with: the autosaved one if it is valid, else the default.
pub fn saved_or_default() -> Configuration {
    if let Some(c) = browser::storage_get(SAVE_KEY).and_then(|s| restore(&s)) {
        return c;
    }
    default_config()
}

pub fn default_config() -> Configuration {
    Configuration::new(catalog(), &[DEFAULT_STACK], DEFAULT_ENV).unwrap_or_else(|_| Configuration {
        stacks: vec![DEFAULT_STACK.into()],
        env: DEFAULT_ENV.into(),
        overrides: Default::default(),
        options: Default::default(),
    })
}

/// The configuration less any credential (a password typed into a setting): what may be
/// stored or shared.
pub fn without_secrets(c: &Configuration) -> Configuration {
    let mut out = c.clone();
    for paths in out.overrides.values_mut() {
        paths.retain(|p, v| !tonnage_core::share::is_credential(p, v));
    }
    out.overrides.retain(|_, m| !m.is_empty());
    out.options
        .retain(|k, _| !tonnage_core::share::is_credential_key(k.rsplit('.').next().unwrap_or(k)));
    out
}

/// Re-validate a saved configuration through the core (a saved file may predate a catalog
/// change): overrides the catalog no longer accepts are dropped, not fatal.
pub fn restore(json: &str) -> Option<Configuration> {
    let raw: Configuration = serde_json::from_str(json).ok()?;
    let ids: Vec<&str> = raw.stacks.iter().map(String::as_str).collect();
    let mut c = Configuration::new(catalog(), &ids, &raw.env).ok()?;
    for (stack, paths) in &raw.overrides {
        for (path, value) in paths {
            let _ = c.set(catalog(), stack, path, value.clone());
        }
    }
    c.options = raw.options;
    Some(c)
}

pub fn use_state() -> AppState {
    expect_context::<AppState>()
}
