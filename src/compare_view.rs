//! Compare the configuration with its preset or with another environment, side by side.

use leptos::prelude::*;
use tonnage_core::capacity::{usd, Planning};
use tonnage_core::compare::{compare, compare_cost, CostComparison, Delta};
use tonnage_core::plan::{limit_text, total_limit_text, Total};
use tonnage_core::quantity::{display_bytes, display_cores};
use tonnage_core::{plan, Configuration};

use crate::state::{catalog, use_state};

fn signed(d: i64, f: fn(i64) -> String) -> String {
    match d.cmp(&0) {
        std::cmp::Ordering::Equal => "±0".to_string(),
        std::cmp::Ordering::Greater => format!("+{}", f(d)),
        std::cmp::Ordering::Less => format!("−{}", f(-d)),
    }
}

fn count(n: i64) -> String {
    n.to_string()
}

/// One side's totals, as the delta rows lay them out.
fn total_cells(t: Total) -> impl IntoView {
    view! {
        <td>{t.replicas.to_string()}</td>
        <td>{display_cores(t.requests.cpu_millicores)}</td>
        <td>{total_limit_text(t.limits.cpu_millicores, t.limits_unset.cpu, display_cores)}</td>
        <td>{display_bytes(t.requests.memory_bytes)}</td>
        <td>{total_limit_text(t.limits.memory_bytes, t.limits_unset.memory, display_bytes)}</td>
        <td>{display_bytes(t.storage_bytes)}</td>
    }
}

fn signed_usd(d: i64) -> String {
    signed(d, usd)
}

fn delta_cells(d: Delta) -> impl IntoView {
    view! {
        <td>{signed(d.replicas, count)}</td>
        <td>{signed(d.requests_cpu_millicores, display_cores)}</td>
        <td>{signed(d.limits_cpu_millicores, display_cores)}</td>
        <td>{signed(d.requests_memory_bytes, display_bytes)}</td>
        <td>{signed(d.limits_memory_bytes, display_bytes)}</td>
        <td>{signed(d.storage_bytes, display_bytes)}</td>
    }
}

/// Worked out only while the panel is open: closed, an edit neither replans the other side nor
/// rebuilds the table nobody sees. Its code is fetched when it first opens (src/lazy.rs).
#[component]
pub fn CompareView() -> impl IntoView {
    crate::lazy::panel("card compare", "compare", "Compare", compare_body)
}

/// The panel's body: the choice of the other side and the table of what differs.
#[cfg_attr(feature = "split", leptos::lazy)]
async fn compare_body(open: RwSignal<bool>) -> AnyView {
    let state = use_state();
    // "" = the current preset without the user's changes; else an environment id (with them).
    let against = RwSignal::new(String::new());
    // What the other plan depends on: against the preset, not the overrides, so an edit does
    // not replan the preset (a memo compares and stops there).
    let basis = Memo::new(move |_| {
        let target = against.get();
        state.config.with(|c| {
            let mut b = c.clone();
            if target.is_empty() {
                b.overrides.clear();
            }
            b
        })
    });
    let other = Memo::new(move |_| {
        let target = against.get();
        basis.with(|c| {
            let ids: Vec<&str> = c.stacks.iter().map(String::as_str).collect();
            let env = if target.is_empty() {
                c.env.clone()
            } else {
                target.clone()
            };
            let mut o = Configuration::new(catalog(), &ids, &env).ok()?;
            if !target.is_empty() {
                o.overrides = c.overrides.clone();
            }
            o.options = c.options.clone();
            Some(plan(catalog(), &o))
        })
    });
    let comparison = Memo::new(move |_| {
        if !open.get() {
            return None;
        }
        other.with(|a| a.as_ref().map(|a| state.plan.with(|b| compare(a, b))))
    });
    // Both sides priced on the capacity panel's node, once one is chosen.
    let costs = Memo::new(move |_| -> Option<CostComparison> {
        if !open.get() {
            return None;
        }
        let planning = state.options.with(Planning::from_options).ok()?;
        let node = planning.node?;
        other.with(|a| {
            a.as_ref().map(|a| {
                state
                    .plan
                    .with(|b| compare_cost(catalog(), a, b, &node, &planning.prices))
            })
        })
    });
    // The two sides, named: A (the other) and B (this configuration).
    let side_a = move || {
        let target = against.get();
        let env_name = |id: &str| {
            state
                .charts()
                .first()
                .and_then(|c| c.environment(id).map(|e| e.name.clone()))
                .unwrap_or_else(|| id.to_string())
        };
        if target.is_empty() {
            let env = state.config.with(|c| c.env.clone());
            format!("{} preset, without your changes", env_name(&env))
        } else {
            format!("{} with your changes", env_name(&target))
        }
    };
    let side_b = move || {
        let env = state.config.with(|c| c.env.clone());
        let n = state.config.with(|c| c.override_count());
        let name = state
            .charts()
            .first()
            .and_then(|c| c.environment(&env).map(|e| e.name.clone()))
            .unwrap_or(env);
        match n {
            0 => format!("this configuration ({name}, no changes)"),
            1 => format!("this configuration ({name}, 1 change)"),
            n => format!("this configuration ({name}, {n} changes)"),
        }
    };
    let envs = move || {
        state
            .charts()
            .first()
            .map(|c| {
                c.environments
                    .iter()
                    .map(|e| (e.id.clone(), e.name.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
            <label class="compare-pick">
                "Compare this configuration with "
                <select data-testid="compare-with" on:change=move |ev| against.set(event_target_value(&ev))>
                    <option value="" selected=true>"its preset (without your changes)"</option>
                    {move || envs().into_iter().map(|(id, name)| view! {
                        <option value=id.clone()>{format!("{name} + your changes")}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || comparison.get().map(|c| view! {
                <p class="compare-sides" data-testid="compare-sides">
                    <span class="side side-a" data-testid="compare-side-a"><strong>"A: "</strong>{side_a}</span>
                    <span class="side side-b" data-testid="compare-side-b"><strong>"B: "</strong>{side_b}</span>
                    <span class="muted">"Changed figures read A → B; Δ is B − A."</span>
                </p>
                {crate::plan_view::scroll_hint()}
            <div class="table-scroll">
                <table class="grid numeric" data-testid="compare-table">
                    <thead><tr>
                        <th>"Component"</th><th>"Replicas"</th><th>"CPU req"</th><th>"CPU limit"</th>
                        <th>"Memory req"</th><th>"Memory limit"</th><th>"Storage"</th>
                    </tr></thead>
                    <tbody>
                        {c.rows.into_iter().filter(|r| !r.changed.is_empty()).map(|r| {
                            let cell = |field: &'static str, f: &dyn Fn(&tonnage_core::plan::ComponentPlan) -> String| {
                                let a = r.a.as_ref().map(f).unwrap_or_else(|| "–".into());
                                let b = r.b.as_ref().map(f).unwrap_or_else(|| "–".into());
                                let ch = r.changed.contains(&field);
                                // A changed figure breaks at its arrow, never inside a figure.
                                view! { <td class:changed=ch>{ch.then(|| view! { <span class="from">{format!("{a} →")}</span> " " })}<span class="to">{b}</span></td> }
                            };
                            let reps = |x: &tonnage_core::plan::ComponentPlan| if !x.enabled { "off".to_string() } else if x.replicas.baseline == x.replicas.peak { x.replicas.baseline.to_string() } else { format!("{}–{}", x.replicas.baseline, x.replicas.peak) };
                            let ch_enabled = r.changed.contains(&"enabled");
                            view! {
                                <tr data-testid=format!("compare-row-{}", r.id)>
                                    <td><strong>{r.name.clone()}</strong></td>
                                    <td class:changed=ch_enabled || r.changed.contains(&"replicas")>{
                                        let a = r.a.as_ref().map(reps).unwrap_or_else(|| "–".into());
                                        let b = r.b.as_ref().map(reps).unwrap_or_else(|| "–".into());
                                        if a == b { b } else { format!("{a} → {b}") }
                                    }</td>
                                    {cell("requests.cpu", &|x| display_cores(x.requests.cpu_millicores))}
                                    {cell("limits.cpu", &|x| limit_text(x.limits.cpu_millicores, display_cores))}
                                    {cell("requests.memory", &|x| display_bytes(x.requests.memory_bytes))}
                                    {cell("limits.memory", &|x| limit_text(x.limits.memory_bytes, display_bytes))}
                                    {cell("storage", &|x| crate::plan_view::storage_text(x.storage_bytes))}
                                </tr>
                            }
                        }).collect_view()}
                        <tr class="total" data-testid="compare-total-a-baseline"><td><strong>"A baseline"</strong></td>{total_cells(c.totals.0.baseline)}</tr>
                        <tr data-testid="compare-total-b-baseline"><td><strong>"B baseline"</strong></td>{total_cells(c.totals.1.baseline)}</tr>
                        <tr class="delta" data-testid="compare-delta-baseline"><td><strong>"Δ baseline"</strong></td>{delta_cells(c.baseline)}</tr>
                        <tr class="total" data-testid="compare-total-a-peak"><td><strong>"A peak"</strong></td>{total_cells(c.totals.0.peak)}</tr>
                        <tr data-testid="compare-total-b-peak"><td><strong>"B peak"</strong></td>{total_cells(c.totals.1.peak)}</tr>
                        <tr class="delta" data-testid="compare-delta-peak"><td><strong>"Δ peak"</strong></td>{delta_cells(c.peak)}</tr>
                    </tbody>
                </table>
                </div>
                {move || match costs.get() {
                    Some(k) => {
                        let (db, dp) = k.deltas();
                        view! {
                            <table class="grid numeric compare-cost" data-testid="compare-cost">
                                <thead><tr><th>"Cost / month"</th><th>"A"</th><th>"B"</th><th>"Δ (B − A)"</th></tr></thead>
                                <tbody>
                                    <tr><td>"Baseline"</td><td>{usd(k.baseline.0)}</td><td>{usd(k.baseline.1)}</td>
                                        <td data-testid="compare-cost-delta-baseline" data-value=db.to_string()>{signed_usd(db)}</td></tr>
                                    <tr><td>"Peak"</td><td>{usd(k.peak.0)}</td><td>{usd(k.peak.1)}</td>
                                        <td data-testid="compare-cost-delta-peak" data-value=dp.to_string()>{signed_usd(dp)}</td></tr>
                                </tbody>
                            </table>
                        }.into_any()
                    }
                    None => view! { <p class="muted">"Choose a cloud under Nodes and monthly cost to compare the cost too."</p> }.into_any(),
                }}
            })}
    }
    .into_any()
}
