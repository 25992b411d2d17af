//! The catalog's `users_sizing` schema: a chart guide's table of replicas by expected users,
//! read from the catalog file and checked when it is loaded. The sizing itself
//! ([`crate::compute::capacity::replicas_for_users`]) is computed above the model.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A range of users as a guide writes it: `1-2`, `5-10`, `50+` or `7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsersRange {
    pub min: i64,
    /// `None` for an open range (`50+`).
    pub max: Option<i64>,
}

impl UsersRange {
    pub fn parse(s: &str) -> Result<UsersRange, String> {
        let t = s.trim();
        let num = |x: &str| {
            x.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("users {s:?}: expected N, N-M or N+ with N >= 1"))
        };
        if let Some(open) = t.strip_suffix('+') {
            return Ok(UsersRange {
                min: num(open)?,
                max: None,
            });
        }
        if let Some((a, b)) = t.split_once('-') {
            let (min, max) = (num(a)?, num(b)?);
            if max < min {
                return Err(format!("users {s:?}: the range ends before it starts"));
            }
            return Ok(UsersRange {
                min,
                max: Some(max),
            });
        }
        let n = num(t)?;
        Ok(UsersRange {
            min: n,
            max: Some(n),
        })
    }
}

impl fmt::Display for UsersRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            None => write!(f, "{}+", self.min),
            Some(m) if m == self.min => write!(f, "{m}"),
            Some(m) => write!(f, "{}-{m}", self.min),
        }
    }
}

/// One row of a guide's users table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersTier {
    pub users: UsersRange,
    /// The row's name in the guide (`Staging`).
    pub name: String,
    /// Replicas for each of [`UsersSizing::paths`], in order.
    pub replicas: Vec<i64>,
}

/// A chart's sizing by expected users (catalog field `users_sizing`, see SCHEMA.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawUsersSizing", into = "RawUsersSizing")]
pub struct UsersSizing {
    /// Where the table comes from.
    pub source: String,
    /// The replica paths the table sets.
    pub paths: Vec<String>,
    /// Rows, in increasing users.
    pub tiers: Vec<UsersTier>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsersTier {
    users: String,
    #[serde(default)]
    name: String,
    replicas: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUsersSizing {
    #[serde(default)]
    source: String,
    paths: Vec<String>,
    tiers: Vec<RawUsersTier>,
}

impl TryFrom<RawUsersSizing> for UsersSizing {
    type Error = String;
    fn try_from(raw: RawUsersSizing) -> Result<Self, String> {
        if raw.paths.is_empty() {
            return Err("users_sizing.paths: at least one replica path is needed".into());
        }
        for (i, p) in raw.paths.iter().enumerate() {
            crate::base::values::parse_path(p)
                .map_err(|e| format!("users_sizing.paths[{i}]: {e}"))?;
            if raw.paths[..i].contains(p) {
                return Err(format!("users_sizing.paths[{i}]: {p:?} is listed twice"));
            }
        }
        if raw.tiers.is_empty() {
            return Err("users_sizing.tiers: at least one tier is needed".into());
        }
        let mut tiers: Vec<UsersTier> = Vec::with_capacity(raw.tiers.len());
        for (i, t) in raw.tiers.into_iter().enumerate() {
            let users =
                UsersRange::parse(&t.users).map_err(|e| format!("users_sizing.tiers[{i}]: {e}"))?;
            if t.replicas.len() != raw.paths.len() {
                return Err(format!(
                    "users_sizing.tiers[{i}].replicas: {} numbers for {} paths",
                    t.replicas.len(),
                    raw.paths.len()
                ));
            }
            if t.replicas.iter().any(|r| !(0..=10_000).contains(r)) {
                return Err(format!(
                    "users_sizing.tiers[{i}].replicas: replicas must be from 0 to 10000"
                ));
            }
            if let Some(prev) = tiers.last() {
                let prev_end = prev.users.max.unwrap_or(prev.users.min);
                if users.min <= prev_end {
                    return Err(format!(
                        "users_sizing.tiers[{i}]: users {} must start above the previous tier ({})",
                        t.users, prev.users
                    ));
                }
            }
            tiers.push(UsersTier {
                users,
                name: t.name,
                replicas: t.replicas,
            });
        }
        Ok(UsersSizing {
            source: raw.source,
            paths: raw.paths,
            tiers,
        })
    }
}

impl From<UsersSizing> for RawUsersSizing {
    fn from(s: UsersSizing) -> Self {
        RawUsersSizing {
            source: s.source,
            paths: s.paths,
            tiers: s
                .tiers
                .into_iter()
                .map(|t| RawUsersTier {
                    users: t.users.to_string(),
                    name: t.name,
                    replicas: t.replicas,
                })
                .collect(),
        }
    }
}
