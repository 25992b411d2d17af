//! The app's state: one `RwSignal<Configuration>` in context, and memos derived from it that
//! call the core. Every edit goes through [`AppState::apply`], which keeps undo/redo history.
//! Autosave and the share link are effects on the same signal.

use leptos::prelude::*;
use serde_yaml::Value;
use std::collections::BTreeMap;
use tonnage_core::catalog::Chart;
use tonnage_core::config::{chart_field_problems, FieldProblem};
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

/// A field whose text was refused: the configuration keeps the last valid value, so the page
/// says so (a banner by the totals, the review, the header) until the field is fixed or reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// The input's DOM id (the banner links to it).
    pub id: String,
    /// Whose field: `Chart / Component: Field`.
    pub what: String,
    /// The refused text, as typed.
    pub text: String,
    /// Why, from the core (a near-miss unit names its fix).
    pub message: String,
}

/// What the page shows of one catalog chart, each part a signal set only when it changes (see
/// [`AppState::sync`]).
#[derive(Clone, Copy)]
struct ChartSignals {
    id: &'static str,
    /// The values in effect (`None` when the chart is not in the configuration).
    values: RwSignal<Option<Value>>,
    overrides: RwSignal<Option<BTreeMap<String, Value>>>,
    /// [`chart_field_problems`] of `values`.
    problems: RwSignal<Vec<FieldProblem>>,
}

/// The hook of [`AppState::before_update`].
type BeforeUpdate = Box<dyn Fn(&Configuration)>;

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
    pub stack_ids: ReadSignal<Vec<String>>,
    pub plan: Memo<Plan>,
    /// Values of the preset (environment without the user's overrides) per chart.
    pub preset: ReadSignal<Vec<(String, Value)>>,
    /// The planning and endpoint options alone: what reads only them (the capacity panel's
    /// fields, endpoints) does not re-run on an edit of a chart's values.
    pub options: ReadSignal<BTreeMap<String, String>>,
    /// Per catalog chart, its effective values, overrides and field problems.
    ///
    /// These, the charts, the preset and the options are signals that [`AppState::sync`] sets
    /// after each change of the configuration, and only where they changed, rather than memos
    /// of it. A memo is a node below `config` in the reactive graph, and so is everything that
    /// reads it: every change of `config` marks that whole graph (the 330 fields of five
    /// charts, each with its memos and effects) to be checked, even where nothing differs, and
    /// that walk, more than the computing, was what an edit cost. Set explicitly, an edit of
    /// one chart wakes that chart's fields and nothing of the other charts.
    per_chart: StoredValue<Vec<ChartSignals>>,
    /// The charts and environment the preset signal was made for.
    basis: StoredValue<(Vec<String>, String)>,
    set_stack_ids: WriteSignal<Vec<String>>,
    set_preset: WriteSignal<Vec<(String, Value)>>,
    set_options: WriteSignal<BTreeMap<String, String>>,
    pub notice: RwSignal<Option<Notice>>,
    /// Fields whose text was refused, in the order they were ([`InvalidInput`]).
    pub invalid: RwSignal<Vec<InvalidInput>>,
    history: StoredValue<History>,
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    /// Called with the new configuration just before [`AppState::config`] is set to it (see
    /// [`AppState::before_update`]).
    before_update: StoredValue<Option<BeforeUpdate>, LocalStorage>,
}

impl AppState {
    pub fn new(initial: Configuration) -> Self {
        let settled = RwSignal::new(initial.clone());
        let config = RwSignal::new(initial);
        let plan = Memo::new(move |_| config.with(|c| plan(catalog(), c)));
        // Empty until `sync` below fills them from the configuration.
        let (stack_ids, set_stack_ids) = signal(Vec::new());
        let (preset, set_preset) = signal(Vec::new());
        let (options, set_options) = signal(BTreeMap::new());
        let per_chart = catalog()
            .chart_ids()
            .into_iter()
            .map(|id| ChartSignals {
                id,
                values: RwSignal::new(None),
                overrides: RwSignal::new(None),
                problems: RwSignal::new(Vec::new()),
            })
            .collect();
        let state = AppState {
            config,
            settled,
            stack_ids,
            plan,
            preset,
            options,
            per_chart: StoredValue::new(per_chart),
            // No configuration has no charts: the first `sync` fills everything in.
            basis: StoredValue::new((Vec::new(), String::new())),
            set_stack_ids,
            set_preset,
            set_options,
            notice: RwSignal::new(None),
            invalid: RwSignal::new(Vec::new()),
            history: StoredValue::new(History::default()),
            can_undo: RwSignal::new(false),
            can_redo: RwSignal::new(false),
            before_update: StoredValue::new_local(None),
        };
        state.sync(true);
        state
    }

    /// Record (`Some`) or clear (`None`) the refused text of input `id`; the signal changes
    /// only when the entry does.
    pub fn set_invalid(&self, id: &str, entry: Option<InvalidInput>) {
        let same = self
            .invalid
            .with_untracked(|l| l.iter().find(|e| e.id == id) == entry.as_ref());
        if same {
            return;
        }
        // A short list (the fields with refused text): a Vec is smaller code than a map.
        self.invalid
            .update(|l| match (l.iter().position(|e| e.id == id), entry) {
                (Some(i), Some(e)) => l[i] = e,
                (None, Some(e)) => l.push(e),
                (Some(i), None) => {
                    l.remove(i);
                }
                (None, None) => {}
            });
    }

    /// Set the configuration and what follows it.
    fn commit(&self, next: Configuration) {
        self.config.set(next);
        self.sync(false);
    }

    /// Bring the charts, the preset, the options and each chart's overrides, values and
    /// problems up to date with the configuration, setting only the signals whose value
    /// changed (`all`: recompute every chart). A chart's values are recomputed when what they
    /// are made of changed: its overrides, the charts and environment (the preset), or the
    /// options (external endpoints). They are signals set here, not memos of `config`: all that
    /// lies below a memo of `config` in the reactive graph is marked for checking on every
    /// change of `config`, and with five charts (330 fields) that walk was most of an edit.
    fn sync(&self, all: bool) {
        self.config.with_untracked(|c| {
            let stacks_changed = self.stack_ids.with_untracked(|s| *s != c.stacks);
            if stacks_changed {
                self.set_stack_ids.set(c.stacks.clone());
            }
            let basis_changed = self
                .basis
                .with_value(|(stacks, env)| *stacks != c.stacks || *env != c.env);
            if basis_changed {
                self.basis.set_value((c.stacks.clone(), c.env.clone()));
                self.set_preset.set(
                    c.stacks
                        .iter()
                        .filter_map(|s| catalog().chart(s))
                        .map(|ch| (ch.id.clone(), ch.preset(&c.env).clone()))
                        .collect(),
                );
            }
            let options_changed = self.options.with_untracked(|o| *o != c.options);
            if options_changed {
                self.set_options.set(c.options.clone());
            }
            let every_chart = all || basis_changed || options_changed;
            self.per_chart.with_value(|charts| {
                for m in charts {
                    let ov = c.overrides.get(m.id);
                    let ov_changed = m.overrides.with_untracked(|o| o.as_ref() != ov);
                    if ov_changed {
                        m.overrides.set(ov.cloned());
                    }
                    if !(ov_changed || every_chart) {
                        continue;
                    }
                    let chart = catalog()
                        .chart(m.id)
                        .filter(|_| c.stacks.iter().any(|s| s == m.id));
                    let values = chart.map(|ch| c.effective_values(ch));
                    let problems = match (chart, &values) {
                        (Some(ch), Some(v)) => chart_field_problems(ch, v),
                        _ => Vec::new(),
                    };
                    if m.values.with_untracked(|v| *v != values) {
                        m.values.set(values);
                    }
                    if m.problems.with_untracked(|p| *p != problems) {
                        m.problems.set(problems);
                    }
                }
            });
        });
    }

    /// Have `f` called with every new configuration before the page re-renders for it: the
    /// open Files panel posts its worker request there, so the worker renders the preview
    /// while the page updates its totals (the reply is usually there when the page is done).
    /// An earlier version held the page's update back for the reply (at most 8 ms) so both
    /// changed in one frame; not holding shows the totals 4 to 5 ms sooner and the preview no
    /// later (BENCHMARKS.md). Replaces the previous hook. `f` must not change the
    /// configuration.
    pub fn before_update(&self, f: impl Fn(&Configuration) + 'static) {
        self.before_update.set_value(Some(Box::new(f)));
    }

    /// Set the configuration, calling the [`AppState::before_update`] hook first.
    fn set_config(&self, next: Configuration) {
        self.before_update.with_value(|f| {
            if let Some(f) = f {
                f(&next);
            }
        });
        self.commit(next);
    }

    /// Make [`AppState::settled`] follow the configuration once it has not changed for
    /// [`SETTLE`]. Call once, inside the app's reactive owner.
    pub fn settle_after_edits(&self) {
        let (config, settled) = (self.config, self.settled);
        // gloo-timers: dropping the pending `Timeout` (replaced by the next edit's) cancels it.
        let pending = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
        Effect::new(move |_| {
            config.track();
            let timeout =
                gloo_timers::callback::Timeout::new(SETTLE.as_millis() as u32, move || {
                    let now = config.get_untracked();
                    if settled.with_untracked(|s| *s != now) {
                        settled.set(now);
                    }
                });
            pending.set_value(Some(timeout));
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

    /// Set one value typed by the user: the core's `set_dropping_preset` (a value equal to the
    /// preset removes the override). Errors are the core's, for the field.
    pub fn set_value(&self, stack: &str, path: &str, value: Value) -> Result<(), ConfigError> {
        self.apply(|c| c.set_dropping_preset(catalog(), stack, path, value))
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
            c.clear_overrides();
            c.options
                .retain(|k, _| !k.starts_with(tonnage_core::external::PREFIX));
            Ok::<(), ()>(())
        });
    }

    fn chart_signals(&self, stack: &str) -> Option<ChartSignals> {
        self.per_chart
            .with_value(|v| v.iter().find(|m| m.id == stack).copied())
    }

    /// Whether the user changed `path` of chart `stack` (tracks that chart's overrides only).
    pub fn is_overridden(&self, stack: &str, path: &str) -> bool {
        match self.chart_signals(stack) {
            Some(m) => m
                .overrides
                .with(|o| o.as_ref().is_some_and(|o| o.contains_key(path))),
            None => self
                .config
                .with(|c| c.overrides.get(stack).is_some_and(|m| m.contains_key(path))),
        }
    }

    /// `f` of chart `stack`'s field problems (tracks that chart's problems only).
    pub fn problems_with<R>(&self, stack: &str, f: impl FnOnce(&[FieldProblem]) -> R) -> R {
        match self.chart_signals(stack) {
            Some(m) => m.problems.with(|p| f(p)),
            None => f(&[]),
        }
    }

    /// `f` of chart `stack`'s overrides (tracks that chart's overrides only).
    pub fn overrides_with<R>(
        &self,
        stack: &str,
        f: impl FnOnce(Option<&std::collections::BTreeMap<String, Value>>) -> R,
    ) -> R {
        match self.chart_signals(stack) {
            Some(m) => m.overrides.with(|o| f(o.as_ref())),
            None => self.config.with(|c| f(c.overrides.get(stack))),
        }
    }

    /// The value in effect at `path` of chart `stack` (tracks that chart's values only).
    pub fn value_at(&self, stack: &str, path: &str) -> Option<Value> {
        // `lookup`: no allocation for plain paths; every field of the editor calls this.
        match self.chart_signals(stack) {
            Some(m) => m
                .values
                .with(|t| t.as_ref().and_then(|t| lookup(t, path).cloned())),
            None => None,
        }
    }

    /// `f` of chart `stack`'s values in effect (tracks that chart's values only).
    pub fn values_with<R>(&self, stack: &str, f: impl FnOnce(Option<&Value>) -> R) -> R {
        match self.chart_signals(stack) {
            Some(m) => m.values.with(|t| f(t.as_ref())),
            None => f(None),
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
        let (env, overrides, options, origins) = self.config.with_untracked(|c| {
            (
                c.env.clone(),
                c.overrides.clone(),
                c.options.clone(),
                c.origins.clone(),
            )
        });
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
        next.restore_origins(&origins);
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
            next.origins = std::mem::take(&mut c.origins);
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
        origins: Default::default(),
    })
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
    // Who set each override, as saved (unknown where the saved copy predates origins).
    c.restore_origins(&raw.origins);
    Some(c)
}

pub fn use_state() -> AppState {
    expect_context::<AppState>()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A memo of `track` that counts its runs: it runs again only when what it tracks was set.
    fn runs_of(track: impl Fn() + Send + Sync + 'static) -> (Memo<()>, Arc<AtomicUsize>) {
        let n = Arc::new(AtomicUsize::new(0));
        let m = {
            let n = n.clone();
            Memo::new(move |_| {
                n.fetch_add(1, Ordering::SeqCst);
                track();
            })
        };
        m.get();
        (m, n)
    }

    #[test]
    fn an_edit_of_one_chart_recomputes_only_what_follows_that_chart() {
        let owner = Owner::new();
        owner.set();
        let config = Configuration::new(catalog(), &["rae-memory", "rhesis"], "prod").unwrap();
        let state = AppState::new(config);
        let rae = state.chart_signals("rae-memory").unwrap();
        let rhesis = state.chart_signals("rhesis").unwrap();
        let (rhesis_seen, rhesis_runs) = runs_of(move || {
            rhesis.values.track();
            rhesis.overrides.track();
            rhesis.problems.track();
        });
        let (rae_seen, rae_runs) = runs_of(move || rae.values.track());
        let (basis_seen, basis_runs) = runs_of(move || {
            state.stack_ids.track();
            state.preset.track();
            state.options.track();
        });
        assert!(state.problems_with("rae-memory", <[_]>::is_empty));

        let path = "memoryApi.resources.requests.cpu";
        state.set_value("rae-memory", path, "3".into()).unwrap();
        rhesis_seen.get();
        rae_seen.get();
        basis_seen.get();
        assert_eq!(
            rhesis_runs.load(Ordering::SeqCst),
            1,
            "rhesis was not edited"
        );
        assert_eq!(
            basis_runs.load(Ordering::SeqCst),
            1,
            "charts, preset and options kept"
        );
        assert_eq!(
            rae_runs.load(Ordering::SeqCst),
            2,
            "rae-memory's values changed"
        );
        assert_eq!(state.value_at("rae-memory", path), Some("3".into()));
        assert!(state.is_overridden("rae-memory", path));
        let problems = state.problems_with("rae-memory", <[_]>::to_vec);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, "requests.cpu");
        assert!(state.problems_with("rhesis", <[_]>::is_empty));

        // Undo brings the values back; a new environment changes every chart and the preset.
        state.undo();
        assert!(!state.is_overridden("rae-memory", path));
        assert!(state.problems_with("rae-memory", <[_]>::is_empty));
        state.select_env("dev");
        basis_seen.get();
        rhesis_seen.get();
        assert_eq!(basis_runs.load(Ordering::SeqCst), 2);
        assert_eq!(rhesis_runs.load(Ordering::SeqCst), 2);
        let preset = catalog().chart("rhesis").unwrap().preset("dev");
        let some_path = "backend.replicas";
        assert!(lookup(preset, some_path).is_some());
        assert_eq!(
            state.value_at("rhesis", some_path).as_ref(),
            lookup(preset, some_path)
        );
        // A chart taken out has no values.
        state.select_stacks(&["rhesis"]);
        assert_eq!(state.value_at("rae-memory", path), None);
        assert_eq!(state.stack_ids.get_untracked(), vec!["rhesis".to_string()]);
    }
}
