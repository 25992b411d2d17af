//! Capacity: the cloud and node type to fit the plan on, the per-node overheads and prices, the
//! node map for baseline and peak, the monthly cost, and replicas by expected users.
//!
//! Every choice is a planning option in `Configuration.options` (keys of
//! `tonnage_core::capacity::OPTION_KEYS`), changed through `AppState::apply` so Undo, autosave
//! and share links cover it. Parsing, node fit, cost and users sizing are the core's
//! (`Planning::from_options`, `fit`, `cost`, `replicas_for_users`, `apply_users`); this module
//! only lays the results out.
//!
//! Test hooks: `nodes-baseline` / `nodes-peak` carry the node count in `data-value`;
//! `cost-baseline` / `cost-peak` (and `opencost-baseline` / `opencost-peak`) carry the monthly
//! total in **micro-USD** (the core's unit: 1 USD = 1 000 000) in `data-value`.

use std::collections::BTreeMap;

use leptos::prelude::*;
use tonnage_core::capacity::{
    self, instance_type, replicas_for_users, usd, usd_rate, users_vs_preset, Cloud, Cost, Fit,
    NodeSpec, OptionError, Placement, Planning, Prices, DEFAULT_DAEMONSET, DEFAULT_DAEMONSET_PODS,
    HOURS_PER_MONTH, OPTION_KEYS,
};
use tonnage_core::catalog::Chart;
use tonnage_core::plan::Plan;
use tonnage_core::quantity::{display_bytes, display_cores, Quantity};
use tonnage_core::{ConfigError, Configuration};

use crate::state::{catalog, use_state, AppState};

/// Most nodes drawn per scenario; the rest are counted.
const MAX_DRAWN_NODES: usize = 60;
/// Component colours (CSS classes `c0`..`c9`).
const PALETTE: usize = 10;

/// The planning choices as the core reads them, and the fit and cost when a node is chosen.
#[derive(Clone, PartialEq)]
pub struct Capacity {
    planning: Result<Planning, OptionError>,
    fitted: Option<(Fit, Cost)>,
}

impl Capacity {
    /// The monthly cost at baseline and peak (micro-USD), once a node is chosen.
    pub fn monthly_micro_usd(&self) -> Option<(i64, i64)> {
        self.fitted
            .as_ref()
            .map(|(_, c)| (c.baseline.total_micro_usd, c.peak.total_micro_usd))
    }
}

/// The fit and cost of the plan on the chosen node: one memo for the page (the panel and the
/// sticky totals), made on first use and kept in context.
pub fn use_capacity() -> Memo<Capacity> {
    if let Some(m) = use_context::<Memo<Capacity>>() {
        return m;
    }
    let state = use_state();
    // `with`, not `get`: the plan is read in place, not cloned on every edit.
    let m = Memo::new(move |_| {
        state
            .plan
            .with(|plan| state.options.with(|o| compute(plan, o)))
    });
    provide_context(m);
    m
}

fn compute(plan: &Plan, options: &BTreeMap<String, String>) -> Capacity {
    let planning = Planning::from_options(options);
    let fitted = planning
        .as_ref()
        .ok()
        .and_then(|p| capacity::evaluate(plan, catalog(), p));
    Capacity { planning, fitted }
}

/// The cloud the options choose, directly or through a built-in node type.
fn chosen_cloud(options: &BTreeMap<String, String>) -> Option<Cloud> {
    let get = |k: &str| options.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    get("cloud")
        .and_then(Cloud::parse)
        .or_else(|| get("node_type").and_then(instance_type).map(|t| t.cloud))
}

/// The node the options would give without `key` (for "default" hints).
fn node_without(options: &BTreeMap<String, String>, key: &str) -> Option<NodeSpec> {
    let mut o = options.clone();
    o.remove(key);
    Planning::from_options(&o).ok()?.node
}

fn rate_text(micro: i64) -> String {
    usd_rate(micro).trim_start_matches('$').to_string()
}

/// Set (or with an empty value, remove) one planning option typed by the user. The value must
/// pass `check_option` and the whole set must still parse; otherwise nothing changes and the
/// problem is returned for the field.
pub fn set_option(state: AppState, key: &str, value: &str) -> Result<(), String> {
    let value = value.trim();
    let current = state.config.with_untracked(|c| c.options.clone());
    let mut next = current.clone();
    if value.is_empty() {
        next.remove(key);
    } else {
        capacity::check_option(key, value).map_err(|e| e.problem)?;
        next.insert(key.to_string(), value.to_string());
    }
    if let Err(e) = Planning::from_options(&next) {
        // Refuse a change that breaks the set; when it was broken already (a hand-made link),
        // still let the user fix other fields.
        if e.key == key || Planning::from_options(&current).is_ok() {
            return Err(if e.key == key {
                e.problem
            } else {
                e.to_string()
            });
        }
    }
    let _ = state.apply(|c| {
        c.options = next;
        Ok::<(), ()>(())
    });
    Ok(())
}

/// A choice of the pickers (the core's `choose_cloud` / `choose_node_type`): one undo step.
fn choose(state: AppState, f: impl FnOnce(&mut Configuration)) {
    let _ = state.apply(|c| {
        f(c);
        Ok::<(), ()>(())
    });
}

fn key_id(key: &str) -> String {
    key.replace(['.', '_'], "-")
}

fn key_help(key: &str) -> String {
    OPTION_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, h)| h.to_string())
        .unwrap_or_default()
}

/// One planning option as a text field: validated by the core at every keystroke, the last
/// valid value stays in effect, an empty field means the default (shown as placeholder).
#[component]
fn OptionInput(
    key: &'static str,
    label: &'static str,
    /// The value in effect when the field is empty.
    default: Signal<String>,
    #[prop(optional)] numeric: bool,
    /// No default: the node needs it (custom shapes).
    #[prop(optional)]
    required: bool,
) -> impl IntoView {
    let state = use_state();
    let stored = Memo::new(move |_| {
        state
            .options
            .with(|o| o.get(key).cloned().unwrap_or_default())
    });
    let text = RwSignal::new(stored.get_untracked());
    let error = RwSignal::new(None::<String>);
    // Follow outside changes (undo, a picker, a review fix) unless the text already says it.
    Effect::new(move |_| {
        let s = stored.get();
        if text.get_untracked().trim() != s.trim() {
            text.set(s);
            error.set(None);
        }
    });
    // A stored value the core rejects (a hand-made link) is shown at its field too.
    let stored_problem = Memo::new(move |_| {
        state.options.with(|o| match Planning::from_options(o) {
            Err(e) if e.key == key => Some(e.problem),
            _ => None,
        })
    });
    let shown = move || error.get().or_else(|| stored_problem.get());
    let id = format!("opt-{}", key_id(key));
    let tid = format!("option-{}", key_id(key));
    let err_id = format!("{id}-note");
    view! {
        <div class="field" class:changed=move || !stored.get().is_empty() class:invalid=move || shown().is_some()
            title=key_help(key)>
            <label for=id.clone()>{label}</label>
            <div class="field-row">
                <input
                    type="text"
                    id=id.clone()
                    inputmode=if numeric { "decimal" } else { "text" }
                    autocomplete="off"
                    spellcheck="false"
                    data-testid=tid.clone()
                    placeholder=move || default.get()
                    aria-invalid=move || shown().is_some().to_string()
                    aria-describedby=err_id.clone()
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        text.set(v.clone());
                        error.set(set_option(state, key, &v).err());
                    }
                />
                <button
                    class="reset"
                    title="Back to the default"
                    aria-label=format!("Reset {label} to the default")
                    data-testid=format!("{tid}-reset")
                    disabled=move || stored.get().is_empty() && error.get().is_none()
                    on:click=move |_| {
                        text.set(String::new());
                        error.set(set_option(state, key, "").err());
                    }
                >"↺"</button>
            </div>
            <div class="field-note" id=err_id aria-live="polite">
                {move || match shown() {
                    Some(m) => view! { <span class="error" data-testid=format!("{tid}-error")>{m}</span> }.into_any(),
                    None => view! {
                        <span class="preset">{move || match (required, stored.get().is_empty()) {
                            (true, _) => "required".to_string(),
                            (false, true) => "default".to_string(),
                            (false, false) => format!("default: {}", default.get()),
                        }}</span>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

/// The provider, node type, custom shape, overheads and prices.
/// The panel's pickers and the users sizing: their code comes on the first use of the page
/// (src/lazy.rs), not in the first load; until then the panel shows what the options give.
#[cfg_attr(feature = "split", leptos::lazy)]
async fn controls_body(cap: Memo<Capacity>) -> AnyView {
    view! {
        <Controls cap=cap/>
        <UsersSizing/>
    }
    .into_any()
}

#[component]
fn Controls(cap: Memo<Capacity>) -> impl IntoView {
    let state = use_state();
    let options = state.options;
    let cloud = Memo::new(move |_| options.with(chosen_cloud));
    let has_cloud = Memo::new(move |_| cloud.get().is_some());
    let node =
        Memo::new(move |_| cap.with(|c| c.planning.as_ref().ok().and_then(|p| p.node.clone())));
    // What the node type picker shows: the built-in type in effect, or `custom`.
    let selected_type = Memo::new(move |_| {
        let raw = options.with(|o| o.get("node_type").map(|v| v.trim().to_string()));
        match (raw, node.get()) {
            (Some(t), _) if !t.is_empty() => t,
            (_, Some(n)) if n.name == "custom" => "custom".into(),
            (_, Some(n)) => n.name,
            _ => cloud
                .get()
                .map(|c| c.default_node_type().to_string())
                .unwrap_or_default(),
        }
    });
    let show_shape = Memo::new(move |_| {
        selected_type.get() == "custom"
            || options.with(|o| capacity::NODE_SHAPE_KEYS.iter().any(|k| o.contains_key(*k)))
    });
    let d = DEFAULT_DAEMONSET;
    let prices = Prices::default();
    let fixed = |s: String| Signal::derive(move || s.clone());
    let node_hour_default = Signal::derive(move || {
        options
            .with(|o| node_without(o, "price.node_hour"))
            .map(|n| rate_text(n.hour_micro_usd))
            .unwrap_or_default()
    });
    let node_price_default = Signal::derive(move || {
        options
            .with(|o| node_without(o, "node.price"))
            .map(|n| rate_text(n.hour_micro_usd))
            .unwrap_or_default()
    });
    let max_pods_default = Signal::derive(move || {
        options
            .with(|o| node_without(o, "node.max_pods"))
            .map(|n| n.max_pods.to_string())
            .unwrap_or_default()
    });
    view! {
        <div class="cap-controls">
            <div class="cap-pickers">
                <div class="cap-pick">
                    <span class="pick-label" id="cloud-label">"Cloud"</span>
                    <div class="env-picker" role="radiogroup" aria-labelledby="cloud-label">
                        <button role="radio" class="env-chip" data-testid="cloud-none"
                            class:selected=move || cloud.get().is_none()
                            aria-checked=move || cloud.get().is_none().to_string()
                            on:click=move |_| choose(state, |c| c.choose_cloud(None))>"None"</button>
                        {Cloud::ALL.into_iter().map(|c| view! {
                            <button role="radio" class="env-chip" data-testid=format!("cloud-{}", c.as_str())
                                title=c.label()
                                class:selected=move || cloud.get() == Some(c)
                                aria-checked=move || (cloud.get() == Some(c)).to_string()
                                on:click=move |_| choose(state, |cf| cf.choose_cloud(Some(c)))>{c.as_str().to_ascii_uppercase()}</button>
                        }).collect_view()}
                    </div>
                </div>
                {move || cloud.get().map(|c| view! {
                    <div class="cap-pick">
                        <label class="pick-label" for="node-type">"Node type"</label>
                        <select id="node-type" data-testid="node-type"
                            on:change=move |ev| choose(state, |c| c.choose_node_type(&event_target_value(&ev), node.get_untracked().as_ref()))>
                            {c.instance_types().map(|t| {
                                let name = t.name;
                                view! {
                                    <option value=name prop:selected=move || selected_type.get() == name>
                                        {format!("{name} · {} vCPU · {} GiB · {}/h · {} pods", t.vcpu, t.memory_gib, usd_rate(t.hour_micro_usd), t.max_pods)}
                                    </option>
                                }
                            }).collect_view()}
                            <option value="custom" prop:selected=move || selected_type.get() == "custom">"custom: your own shape and price"</option>
                        </select>
                    </div>
                })}
            </div>
            {move || has_cloud.get().then(|| view! {
                <Show when=move || show_shape.get()>
                    <fieldset class="cap-fields" data-testid="custom-node">
                        <legend>"Node shape"</legend>
                        <div class="fields">
                            <OptionInput key="node.vcpu" label="vCPU" default=fixed("e.g. 4".into()) numeric=true required=true/>
                            <OptionInput key="node.memory" label="Memory" default=fixed("e.g. 16Gi".into()) required=true/>
                            <OptionInput key="node.price" label="USD per node-hour" default=node_price_default numeric=true/>
                            <OptionInput key="node.max_pods" label="Max pods" default=max_pods_default numeric=true/>
                        </div>
                    </fieldset>
                </Show>
                <details class="cap-more" data-testid="overheads">
                    <summary>"Per-node overhead and prices"</summary>
                    <fieldset class="cap-fields">
                        <legend>"DaemonSets, agents and OS, per node"</legend>
                        <div class="fields">
                            <OptionInput key="daemonset.cpu" label="CPU" default=fixed(Quantity::from_millis(d.cpu_millicores).to_string())/>
                            <OptionInput key="daemonset.memory" label="Memory" default=fixed(Quantity::from_bytes(d.memory_bytes).to_string())/>
                            <OptionInput key="daemonset.pods" label="Pods" default=fixed(DEFAULT_DAEMONSET_PODS.to_string()) numeric=true/>
                        </div>
                    </fieldset>
                    <fieldset class="cap-fields">
                        <legend>"Prices (USD)"</legend>
                        <div class="fields">
                            <OptionInput key="price.node_hour" label="Node-hour" default=node_hour_default numeric=true/>
                            <OptionInput key="price.storage_gb_month" label="Storage GB-month" default=fixed(rate_text(prices.storage_gb_month)) numeric=true/>
                            <OptionInput key="price.vcpu_hour" label="OpenCost vCPU-hour" default=fixed(rate_text(prices.vcpu_hour)) numeric=true/>
                            <OptionInput key="price.gib_hour" label="OpenCost GiB-hour" default=fixed(rate_text(prices.gib_hour)) numeric=true/>
                        </div>
                    </fieldset>
                </details>
            })}
        </div>
    }
}

/// Colour class of each running component, by plan order.
fn colour_of(plan: &Plan, stack: &str, id: &str) -> usize {
    plan.components
        .iter()
        .filter(|c| c.enabled)
        .position(|c| c.stack == stack && c.id == id)
        .unwrap_or(0)
        % PALETTE
}

fn component_name(stack: &str, id: &str) -> String {
    catalog()
        .chart(stack)
        .and_then(|c| c.component(id))
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

/// `x` of `total` as a share of `width` pixels (integer, clamped).
fn px(x: i64, total: i64, width: i64) -> i64 {
    if total <= 0 {
        return 0;
    }
    let v = i128::from(x.max(0)) * i128::from(width) / i128::from(total);
    i64::try_from(v.min(i128::from(width))).unwrap_or(width)
}

fn pods_text(n: usize) -> String {
    format!("{n} pod{}", if n == 1 { "" } else { "s" })
}

/// `3.5 / 3.72 cores`: the unit once when both figures share it.
fn used_of(used: &str, of: &str) -> String {
    let unit = |s: &str| {
        s.rsplit_once(' ')
            .map(|(n, u)| (n.to_string(), u.trim_end_matches('s').to_string()))
    };
    match (unit(used), unit(of)) {
        (Some((n, a)), Some((_, b))) if a == b => format!("{n} / {of}"),
        _ => format!("{used} / {of}"),
    }
}

/// One node as a box: its pods side by side, sized by CPU request (top) and memory request
/// (bottom) against what the node offers to pods.
fn node_box(fit: &Fit, plan: &Plan, index: usize, load: &capacity::NodeLoad) -> impl IntoView {
    const W: i64 = 200;
    let alloc = fit.allocatable;
    let mut cpu_at = 0_i64;
    let mut mem_at = 0_i64;
    let pods = load
        .pods
        .iter()
        .filter_map(|p| {
            let cp = plan
                .components
                .iter()
                .find(|c| c.stack == p.stack && c.id == p.component)?;
            let (cpu, mem) = (
                cp.requests.cpu_millicores.max(0),
                cp.requests.memory_bytes.max(0),
            );
            let x = px(cpu_at, alloc.cpu_millicores, W);
            let x_end = px(cpu_at.saturating_add(cpu), alloc.cpu_millicores, W);
            let mx = px(mem_at, alloc.memory_bytes, W);
            let mx_end = px(mem_at.saturating_add(mem), alloc.memory_bytes, W);
            cpu_at = cpu_at.saturating_add(cpu);
            mem_at = mem_at.saturating_add(mem);
            let class = format!("pod c{}", colour_of(plan, &p.stack, &p.component));
            let tip = format!(
                "{} #{} ({}): requests {} CPU, {} memory",
                cp.name,
                p.replica + 1,
                p.stack,
                display_cores(cpu),
                display_bytes(mem)
            );
            Some(view! {
                <g data-testid=format!("pod-{}-{}", p.stack, p.component)>
                    <title>{tip}</title>
                    <rect class=class.clone() x=x y="0" width=(x_end - x).max(1) height="26"/>
                    <rect class=class x=mx y="30" width=(mx_end - mx).max(1) height="10"/>
                </g>
            })
        })
        .collect_view();
    let r = load.requests;
    view! {
        <div class="node-box">
            <div class="node-head"><strong>{format!("Node {}", index + 1)}</strong><span class="muted">{pods_text(load.pods.len())}</span></div>
            <svg viewBox=format!("0 0 {W} 40") preserveAspectRatio="none" role="img"
                aria-label=format!("Node {}: {} pods", index + 1, load.pods.len())>
                <rect class="free" x="0" y="0" width=W height="26"/>
                <rect class="free" x="0" y="30" width=W height="10"/>
                {pods}
            </svg>
            <div class="node-use">
                <span>{format!("CPU {}", used_of(&display_cores(r.cpu_millicores), &display_cores(alloc.cpu_millicores)))}</span>
                <span>{format!("Memory {}", used_of(&display_bytes(r.memory_bytes), &display_bytes(alloc.memory_bytes)))}</span>
            </div>
        </div>
    }
}

fn scenario_view(
    name: &'static str,
    title: &'static str,
    fit: &Fit,
    placement: &Placement,
    plan: &Plan,
    same_as: Option<&'static str>,
) -> impl IntoView {
    let n = placement.node_count();
    if let Some(other) = same_as {
        return view! {
            <div class="scenario">
                <div class="scenario-head">
                    <h3>{title}</h3>
                    <span class="metric-value" data-testid=format!("nodes-{name}") data-value=n.to_string()>{nodes_text(n)}</span>
                    <span class="muted" data-testid=format!("same-{name}")>{format!("the same pods on the same nodes as at {other}")}</span>
                </div>
            </div>
        }
        .into_any();
    }
    let drawn = placement
        .nodes
        .iter()
        .take(MAX_DRAWN_NODES)
        .enumerate()
        .map(|(i, l)| node_box(fit, plan, i, l))
        .collect_view();
    let more = placement.nodes.len().saturating_sub(MAX_DRAWN_NODES);
    let unplaced = placement
        .unplaced
        .iter()
        .map(|u| {
            view! {
                <li class="unplaced" data-testid=format!("unplaced-{name}-{}-{}", u.stack, u.component)>
                    <strong>{format!("{} ×{}", component_name(&u.stack, &u.component), u.replicas)}</strong>
                    {format!(" fits on no node: {}.", u.reason)}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="scenario">
            <div class="scenario-head">
                <h3>{title}</h3>
                <span class="metric-value" data-testid=format!("nodes-{name}") data-value=n.to_string()>
                    {nodes_text(n)}
                </span>
                {(!placement.max_pods_bound && n > 0).then(|| view! {
                    <span class="muted" data-testid=format!("max-pods-free-{name}")>
                        {format!("set by CPU and memory; the pod limit ({} per node) does not bind", fit.pod_slots)}
                    </span>
                })}
            </div>
            {placement.max_pods_bound.then(|| view! {
                <p class="warning" data-testid=format!("max-pods-bound-{name}")>
                    {format!("The pod limit ({} pods per node for the plan) cost extra nodes: CPU and memory had room.", fit.pod_slots)}
                </p>
            })}
            {(!placement.unplaced.is_empty()).then(|| view! { <ul class="unplaced-list">{unplaced}</ul> })}
            <div class="node-map" data-testid=format!("node-map-{name}")>{drawn}</div>
            {(more > 0).then(|| view! { <p class="muted">{format!("… and {more} more nodes like these.")}</p> })}
        </div>
    }
    .into_any()
}

fn nodes_text(n: i64) -> String {
    format!("{n} node{}", if n == 1 { "" } else { "s" })
}

/// Where the node-hour price comes from, in words.
fn price_source(options: &BTreeMap<String, String>, node: &NodeSpec) -> String {
    let has = |k: &str| options.get(k).is_some_and(|v| !v.trim().is_empty());
    if has("price.node_hour") || has("node.price") {
        "your price".into()
    } else if instance_type(&node.name).is_none() {
        "per-resource prices (vCPU-hour and GiB-hour)".into()
    } else {
        format!(
            "list price of {} ({}), to verify",
            node.name,
            node.cloud.label()
        )
    }
}

fn cost_view(cost: &Cost, fit: &Fit, options: &BTreeMap<String, String>) -> impl IntoView {
    let (b, p) = (cost.baseline, cost.peak);
    let row = |label: String, bv: i64, pv: i64| {
        view! { <tr><td>{label}</td><td>{usd(bv)}</td><td>{usd(pv)}</td></tr> }
    };
    view! {
        <div class="cost">
            <h3>"Monthly cost"</h3>
            <div class="cost-totals">
                <div class="metric" data-testid="cost-baseline" data-value=b.total_micro_usd.to_string()>
                    <span class="metric-value">{usd(b.total_micro_usd)}</span>
                    <span class="metric-label">"per month at baseline"</span>
                </div>
                <div class="metric" data-testid="cost-peak" data-value=p.total_micro_usd.to_string()>
                    <span class="metric-value">{usd(p.total_micro_usd)}</span>
                    <span class="metric-label">"per month at peak"</span>
                </div>
            </div>
            {crate::plan_view::scroll_hint()}
            <div class="table-scroll">
            <table class="grid numeric" data-testid="cost-table">
                <thead><tr><th>"Per month"</th><th>"Baseline"</th><th>"Peak"</th></tr></thead>
                <tbody>
                    <tr>
                        <td>{format!("Nodes × {} per node-hour × {HOURS_PER_MONTH} h", usd_rate(cost.node_hour_micro_usd))}</td>
                        <td>{format!("{}: {}", nodes_text(b.nodes), usd(b.nodes_micro_usd))}</td>
                        <td>{format!("{}: {}", nodes_text(p.nodes), usd(p.nodes_micro_usd))}</td>
                    </tr>
                    {row(format!("Storage, {} at {} per GB-month", display_bytes(cost.storage_bytes), usd_rate(cost.prices.storage_gb_month)), b.storage_micro_usd, p.storage_micro_usd)}
                    <tr class="total">
                        <td>"Total"</td><td>{usd(b.total_micro_usd)}</td><td>{usd(p.total_micro_usd)}</td>
                    </tr>
                    <tr class="sub"><td colspan="3">"OpenCost's per-resource method, on the requests"</td></tr>
                    {row(format!("CPU requests × {} per vCPU-hour", usd_rate(cost.prices.vcpu_hour)), b.opencost.cpu_micro_usd, p.opencost.cpu_micro_usd)}
                    {row(format!("Memory requests × {} per GiB-hour", usd_rate(cost.prices.gib_hour)), b.opencost.memory_micro_usd, p.opencost.memory_micro_usd)}
                    {row("Storage".to_string(), b.opencost.storage_micro_usd, p.opencost.storage_micro_usd)}
                    <tr class="total">
                        <td>"OpenCost total"</td>
                        <td data-testid="opencost-baseline" data-value=b.opencost.total_micro_usd.to_string()>{usd(b.opencost.total_micro_usd)}</td>
                        <td data-testid="opencost-peak" data-value=p.opencost.total_micro_usd.to_string()>{usd(p.opencost.total_micro_usd)}</td>
                    </tr>
                </tbody>
            </table>
            </div>
            <ul class="prices" data-testid="prices-used">
                <li>{format!("Node: {} per hour, {}.", usd_rate(cost.node_hour_micro_usd), price_source(options, &fit.node))}</li>
                <li>{format!("Storage: {} per GB-month (10⁹ bytes).", usd_rate(cost.prices.storage_gb_month))}</li>
                <li>{format!("OpenCost: {} per vCPU-hour, {} per GiB-hour; {HOURS_PER_MONTH} hours a month.", usd_rate(cost.prices.vcpu_hour), usd_rate(cost.prices.gib_hour))}</li>
                <li class="muted">"Nodes and volumes only: no control plane fee, load balancers or egress."</li>
            </ul>
        </div>
    }
}

/// Nodes, node map and cost for the chosen cloud and node type.
#[component]
pub fn CapacityPanel() -> impl IntoView {
    let state = use_state();
    let cap = use_capacity();
    // Printed when there is something to report: nodes and cost, or a users sizing.
    let printable = Memo::new(move |_| {
        cap.with(|c| c.fitted.is_some()) || state.options.with(|o| o.contains_key("users"))
    });
    view! {
        <section class="card capacity" class:no-print=move || !printable.get() data-testid="capacity" aria-labelledby="capacity-title">
            <h2 class="section-title" id="capacity-title">"Nodes and monthly cost"</h2>
            {crate::lazy::on_first_use(move || controls_body(cap))}
            {move || cap.with(|c| match (&c.planning, &c.fitted) {
                (Err(e), _) => view! {
                    <p class="error" role="alert" data-testid="planning-error">{format!("Planning options: {e}")}</p>
                }.into_any(),
                (Ok(_), None) => view! {
                    <p class="muted cap-hint" data-testid="capacity-hint">"Choose a cloud to see how many nodes the plan needs and what they cost per month."</p>
                }.into_any(),
                (Ok(_), Some((fit, cost))) => {
                    let plan = state.plan.get();
                    let options = state.options.get();
                    let a = fit.allocatable;
                    let k = fit.kubelet_allocatable;
                    let n = &fit.node;
                    // A name two stacks share ("PostgreSQL") says whose it is, as the bars do.
                    let shared = |name: &str| plan.components.iter().filter(|o| o.enabled && o.name == name).count() > 1;
                    let legend = plan.components.iter().filter(|c| c.enabled).map(|c| view! {
                        <li><span class=format!("swatch c{}", colour_of(&plan, &c.stack, &c.id)) aria-hidden="true"></span>{c.name.clone()}
                            {shared(&c.name).then(|| view! { <span class="muted">{c.stack.clone()}</span> })}</li>
                    }).collect_view();
                    view! {
                        <div class="fit" data-testid="fit">
                            <p class="node-desc" data-testid="node-desc"><strong>{n.describe()}</strong></p>
                            <dl class="alloc">
                                <div><dt>"Kubelet allocatable"</dt><dd>{format!("{} · {}", display_cores(k.cpu_millicores), display_bytes(k.memory_bytes))}</dd></div>
                                <div><dt>"DaemonSets, agents, OS"</dt><dd>{format!("{} · {} · {} pods", display_cores(n.daemonset.cpu_millicores), display_bytes(n.daemonset.memory_bytes), n.daemonset_pods)}</dd></div>
                                <div><dt>"Left for the plan, per node"</dt><dd data-testid="allocatable">{format!("{} · {} · {} pods", display_cores(a.cpu_millicores), display_bytes(a.memory_bytes), fit.pod_slots)}</dd></div>
                            </dl>
                            <ul class="legend-list" aria-label="Components">{legend}</ul>
                            <div class="scenarios">
                                {scenario_view("baseline", "Baseline", fit, &fit.baseline, &plan, None)}
                                {scenario_view("peak", "Peak (autoscaling at max)", fit, &fit.peak, &plan,
                                    (fit.peak == fit.baseline).then_some("baseline"))}
                            </div>
                            <p class="legend">"Each box is one node; each pod's width is its request against what the node leaves to pods (CPU above, memory below). Placement: first-fit decreasing for the node count, then replicas with anti-affinity spread over those nodes, as the scheduler does."</p>
                        </div>
                        {cost_view(cost, fit, &options)}
                    }.into_any()
                }
            })}
        </section>
    }
}

/// Charts of the configuration with a users sizing table.
fn sized_charts(state: AppState) -> Vec<&'static Chart> {
    state
        .charts()
        .into_iter()
        .filter(|c| c.users_sizing.is_some())
        .collect()
}

/// Set the expected users: the option, and through the core's `apply_users` the replicas of
/// every chart's users table (replacing earlier replica edits of those paths: the user asks
/// for this sizing now). Values equal to the preset stay un-overridden. One undo step.
fn set_users(state: AppState, text: &str) -> Result<(), String> {
    let t = text.trim();
    if t.is_empty() {
        let _ = state.apply(|c| {
            c.options.remove("users");
            Ok::<(), ()>(())
        });
        return Ok(());
    }
    capacity::check_option("users", t).map_err(|e| e.problem)?;
    let one = BTreeMap::from([("users".to_string(), t.to_string())]);
    let users = Planning::from_options(&one)
        .map_err(|e| e.problem)?
        .users
        .ok_or_else(|| "expected a number of users".to_string())?;
    let paths: Vec<(String, String)> = sized_charts(state)
        .iter()
        .flat_map(|ch| {
            ch.users_sizing
                .iter()
                .flat_map(|s| s.paths.iter())
                .map(|p| (ch.id.clone(), p.clone()))
        })
        .collect();
    state
        .apply(|c: &mut Configuration| {
            c.options.insert("users".into(), t.to_string());
            for (stack, path) in &paths {
                c.unset(stack, path);
            }
            capacity::apply_users(catalog(), c, users)?;
            for (stack, path) in &paths {
                c.drop_if_preset(catalog(), stack, path);
            }
            Ok::<(), ConfigError>(())
        })
        .map_err(|e| e.to_string())
}

/// Expected users -> replicas, for charts whose guide has a users table.
#[component]
fn UsersSizing() -> impl IntoView {
    let state = use_state();
    let charts = Memo::new(move |_| {
        sized_charts(state)
            .into_iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>()
    });
    let stored = Memo::new(move |_| {
        state
            .options
            .with(|o| o.get("users").cloned().unwrap_or_default())
    });
    let users = Memo::new(move |_| {
        state
            .options
            .with(|o| Planning::from_options(o).ok().and_then(|p| p.users))
    });
    let text = RwSignal::new(stored.get_untracked());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let s = stored.get();
        if text.get_untracked().trim() != s.trim() {
            text.set(s);
            error.set(None);
        }
    });
    let reset = move |_| {
        let paths: Vec<(String, String)> = sized_charts(state)
            .iter()
            .flat_map(|ch| {
                ch.users_sizing
                    .iter()
                    .flat_map(|s| s.paths.iter())
                    .map(|p| (ch.id.clone(), p.clone()))
            })
            .collect();
        let _ = state.apply(|c| {
            c.options.remove("users");
            for (s, p) in &paths {
                c.unset(s, p);
            }
            Ok::<(), ()>(())
        });
        text.set(String::new());
        error.set(None);
    };
    view! {
        <Show when=move || !charts.get().is_empty()>
            <div class="users" data-testid="users">
                <div class="field users-field" class:invalid=move || error.get().is_some()>
                    <label for="users-input">"Expected users"</label>
                    <div class="field-row">
                        <input type="text" id="users-input" inputmode="numeric" autocomplete="off" data-testid="users-input"
                            placeholder="e.g. 50"
                            aria-describedby="users-note"
                            aria-invalid=move || error.get().is_some().to_string()
                            prop:value=move || text.get()
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                text.set(v.clone());
                                error.set(set_users(state, &v).err());
                            }/>
                        <button class="reset" data-testid="users-reset" title="Back to the preset's replicas"
                            aria-label="Reset expected users and the replicas they set"
                            disabled=move || stored.get().is_empty() && error.get().is_none()
                            on:click=reset>"↺"</button>
                    </div>
                    <div class="field-note" id="users-note" aria-live="polite">
                        {move || error.get().map(|m| view! { <span class="error" data-testid="users-error">{m}</span> })}
                    </div>
                </div>
                <div class="users-info">
                    {move || charts.get().into_iter().filter_map(|id| catalog().chart(&id)).map(|chart| {
                        let sizing = chart.users_sizing.clone();
                        let stack = chart.id.clone();
                        let explanation = move || users.get().map(|u| {
                            let r = replicas_for_users(chart, u);
                            // Paths changed by hand after the users were set.
                            let changed: Vec<String> = r.sets.iter().filter_map(|(p, n)| {
                                let now = state.value_at(&chart.id, p).and_then(|v| v.as_i64());
                                (now != Some(*n)).then(|| format!("{p} is now {}", now.map_or("unset".into(), |v| v.to_string())))
                            }).collect();
                            let env = state.config.with(|c| c.env.clone());
                            (r.explanation, changed, users_vs_preset(chart, &env, u))
                        });
                        view! {
                            <div class="users-chart">
                                {move || match explanation() {
                                    Some((text, changed, vs_preset)) => view! {
                                        <p data-testid=format!("users-explanation-{stack}")>
                                            <strong>{chart.name.clone()}": "</strong>{text}
                                            {(!changed.is_empty()).then(|| view! {
                                                <span class="muted">{format!(" Edited since: {}.", changed.join(", "))}</span>
                                            })}
                                        </p>
                                        {vs_preset.map(|w| view! { <p class="muted" data-testid=format!("users-vs-preset-{stack}")>{w}</p> })}
                                    }.into_any(),
                                    None => view! {
                                        <p class="muted users-prompt">{format!("{}'s guide sizes the app tier by expected users; type a number to set its replicas.", chart.name)}</p>
                                    }.into_any(),
                                }}
                                {sizing.map(|s| view! {
                                    <details class="users-table">
                                        <summary>{format!("The guide's table ({})", s.source)}</summary>
                                        <table class="grid numeric">
                                            <thead><tr><th>"Tier"</th><th>"Users"</th>
                                                {s.paths.iter().map(|p| view! { <th><code>{p.clone()}</code></th> }).collect_view()}
                                            </tr></thead>
                                            <tbody>
                                                {s.tiers.iter().map(|t| view! {
                                                    <tr><td>{t.name.clone()}</td><td>{t.users.to_string()}</td>
                                                        {t.replicas.iter().map(|r| view! { <td>{*r}</td> }).collect_view()}
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                        <p class="legend">"Between two tiers the larger applies; beyond the largest, replicas grow linearly per user along the last two tiers, rounded up."</p>
                                    </details>
                                })}
                            </div>
                        }
                    }).collect_view()}
                </div>
            </div>
        </Show>
    }
}
