//! Sizing by expected users: the replicas a chart's guide recommends (its `users_sizing`
//! table, [`crate::model::catalog::users_sizing`]) and their application to a configuration.

use serde::Serialize;
use serde_yaml::Value;

use crate::configuration::config::{ConfigError, Configuration};
use crate::model::catalog::users_sizing::UsersTier;
use crate::model::catalog::{Catalog, Chart};
use crate::model::cloud::{ceil_div, clamp_i64};

/// Replica overrides for an expected number of users, and how they were found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsersReplicas {
    /// (values path, replicas), in the order of the chart's `users_sizing.paths`.
    pub sets: Vec<(String, i64)>,
    pub explanation: String,
}

/// The replicas a chart's guide recommends for `users` expected users.
///
/// The tier whose range holds `users` applies. A count between two tiers (3 users when the
/// guide lists 1-2 and 5-10) takes the larger tier: sizing errs on the side of capacity. An
/// open tier (`50+`) runs up to the next tier's start. Beyond the last tier, replicas grow
/// linearly per user along the last two tiers (from their first user counts), rounded up:
/// `last + ceil((users - last_min) x (last - previous) / (last_min - previous_min))`, at most
/// 10000. A chart without `users_sizing` gets no overrides.
pub fn replicas_for_users(chart: &Chart, users: i64) -> UsersReplicas {
    let Some(s) = &chart.users_sizing else {
        return UsersReplicas {
            sets: Vec::new(),
            explanation: format!(
                "{}'s guide gives no sizing by expected users; replicas stay as configured.",
                chart.name
            ),
        };
    };
    let zip = |counts: &[i64]| -> Vec<(String, i64)> {
        s.paths
            .iter()
            .cloned()
            .zip(counts.iter().copied())
            .collect()
    };
    let list = |sets: &[(String, i64)]| {
        sets.iter()
            .map(|(p, n)| format!("{p}={n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tier_name = |t: &UsersTier| {
        if t.name.is_empty() {
            format!("the {} users tier", t.users)
        } else {
            format!("the {} tier ({} users)", t.name, t.users)
        }
    };
    let users = users.max(1);
    for (i, t) in s.tiers.iter().enumerate() {
        let end = t
            .users
            .max
            .or_else(|| s.tiers.get(i + 1).map(|n| n.users.min - 1));
        let within = match end {
            Some(e) => users <= e,
            None => users <= t.users.min,
        };
        if within {
            let sets = zip(&t.replicas);
            let how = if users < t.users.min && i > 0 {
                format!(
                    "{users} users falls between the guide's tiers; the larger one applies: {}",
                    tier_name(t)
                )
            } else {
                format!("{users} users: {}", tier_name(t))
            };
            return UsersReplicas {
                explanation: format!("{how} of {}: {}.", s.source, list(&sets)),
                sets,
            };
        }
    }
    // Beyond the last tier.
    let Some(last) = s.tiers.last() else {
        return UsersReplicas {
            sets: Vec::new(),
            explanation: "the users sizing has no tiers".into(),
        };
    };
    let prev = s.tiers.len().checked_sub(2).and_then(|i| s.tiers.get(i));
    let Some(prev) = prev else {
        let sets = zip(&last.replicas);
        return UsersReplicas {
            explanation: format!(
                "{users} users: beyond the guide's only tier; {} of {} applies: {}.",
                tier_name(last),
                s.source,
                list(&sets)
            ),
            sets,
        };
    };
    let span = i128::from(last.users.min - prev.users.min).max(1);
    let extra = i128::from(users - last.users.min);
    let mut capped = false;
    let counts: Vec<i64> = last
        .replicas
        .iter()
        .zip(&prev.replicas)
        .map(|(&l, &p)| {
            let delta = i128::from(l - p);
            let n = if delta > 0 {
                i128::from(l) + ceil_div(extra * delta, span)
            } else {
                i128::from(l)
            };
            if n > 10_000 {
                capped = true;
            }
            clamp_i64(n.min(10_000))
        })
        .collect();
    let sets = zip(&counts);
    UsersReplicas {
        explanation: format!(
            "{users} users: beyond the guide's largest tier ({} users, {}); extrapolated linearly \
             per user from the {} and {} users tiers, rounded up: {}{}.",
            last.users,
            s.source,
            prev.users,
            last.users,
            list(&sets),
            if capped {
                " (capped at 10000 replicas)"
            } else {
                ""
            }
        ),
        sets,
    }
}

/// Why the replicas of environment `env`'s preset differ from the guide's users table for
/// `users` (Rhesis "Production (50+ users)" runs 2/3/5 replicas, its table says 3/5/10 for 50
/// users): `None` when they agree or the chart has no table. The preset is the chart's own
/// figures for that environment; expected users apply the table instead.
pub fn users_vs_preset(chart: &Chart, env: &str, users: i64) -> Option<String> {
    let sizing = chart.users_sizing.as_ref()?;
    let e = chart.environment(env)?;
    let preset = chart.preset(env);
    let table = replicas_for_users(chart, users);
    let from_preset: Vec<(String, Option<i64>)> = sizing
        .paths
        .iter()
        .map(|p| {
            let n = crate::base::values::lookup(preset, p).and_then(Value::as_i64);
            (p.clone(), n)
        })
        .collect();
    let agree = from_preset
        .iter()
        .zip(&table.sets)
        .all(|((_, a), (_, b))| *a == Some(*b));
    if agree {
        return None;
    }
    let preset_list = from_preset
        .iter()
        .map(|(p, n)| format!("{p}={}", n.map_or("unset".to_string(), |n| n.to_string())))
        .collect::<Vec<_>>()
        .join(", ");
    let table_list = table
        .sets
        .iter()
        .map(|(p, n)| format!("{p}={n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let audience = e
        .users
        .as_deref()
        .map(|u| format!(" (meant for {u} users)"))
        .unwrap_or_default();
    let origin = match &e.file {
        Some(f) => format!("the chart's own {f}"),
        None => "the environment's figures".to_string(),
    };
    Some(format!(
        "The {} preset{audience} runs {preset_list}: {origin}, not the guide's users table,          which gives {table_list} for {users} users. Expected users apply the table; clear them          to go back to the preset.",
        e.name
    ))
}

/// Apply the `users` option of the configuration: every chart of it with a users sizing gets
/// its replicas as user overrides, except paths the user already overrides (an explicit
/// `--set` wins). Returns one explanation per chart (charts without a sizing say so).
pub fn apply_users(
    catalog: &Catalog,
    config: &mut Configuration,
    users: i64,
) -> Result<Vec<String>, ConfigError> {
    let mut notes = Vec::new();
    for stack in config.stacks.clone() {
        let Some(chart) = catalog.chart(&stack) else {
            continue;
        };
        let r = replicas_for_users(chart, users);
        for (path, n) in &r.sets {
            let taken = config
                .overrides
                .get(&stack)
                .is_some_and(|m| m.contains_key(path));
            if !taken {
                config.set(catalog, &stack, path, Value::from(*n))?;
            }
        }
        notes.push(format!("{stack}: {}", r.explanation));
    }
    Ok(notes)
}
