//! Account aliases (`iam:ListAccountAliases`, opt-in), remembered per account for a day, a
//! denial as well as an answer, so each account is asked at most once a day.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// How long an alias lookup (or its denial) is remembered.
pub const ALIAS_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The lookups, by account id, with when.
#[derive(Default)]
pub struct Aliases(Mutex<HashMap<String, (crate::resolve::outcome::AliasLookup, Instant)>>);

impl Aliases {
    /// The remembered alias of an account, if one was found within the last day.
    pub fn of(&self, account: &str) -> Option<String> {
        let aliases = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match aliases.get(account) {
            Some((crate::resolve::outcome::AliasLookup::Found(a), at))
                if at.elapsed() < ALIAS_TTL =>
            {
                Some(a.clone())
            }
            _ => None,
        }
    }

    /// Accounts whose alias (or denial) is known and fresh: not to be asked again.
    pub fn known(&self) -> Vec<String> {
        let aliases = self.0.lock().unwrap_or_else(|e| e.into_inner());
        aliases
            .iter()
            .filter(|(_, (_, at))| at.elapsed() < ALIAS_TTL)
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn remember(&self, account: &str, lookup: crate::resolve::outcome::AliasLookup) {
        if lookup == crate::resolve::outcome::AliasLookup::NotAsked {
            return;
        }
        let mut aliases = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if aliases.len() > 10_000 {
            aliases.clear();
        }
        aliases.insert(account.to_string(), (lookup, Instant::now()));
    }
}
