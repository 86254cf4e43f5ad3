//! The identity cache and single-flight.
//!
//! Entries are keyed by fingerprint and hold only what STS answered (account, ARN, user id,
//! expiry) or the error it gave: never a credential. Concurrent misses of one fingerprint
//! share one resolution: the first starts it, the others wait on the same channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use awsid_proto::msg::ResolveOutcome;
use tokio::sync::watch;

use crate::fingerprint::Fingerprint;

/// Most entries kept; beyond that the stalest are dropped.
pub const MAX_ENTRIES: usize = 10_000;

pub type Outcome = Arc<ResolveOutcome>;
pub type Waiter = watch::Receiver<Option<Outcome>>;

struct Entry {
    outcome: Outcome,
    fresh_until: Instant,
    /// The identity this same fingerprint had before a failed refresh (shown stale).
    previous: Option<Outcome>,
}

/// A cached answer, fresh or not.
pub struct Found {
    pub outcome: Outcome,
    pub fresh_until: Instant,
    pub fresh: bool,
    pub previous: Option<Outcome>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Fingerprint, Entry>,
    in_flight: HashMap<Fingerprint, Waiter>,
}

#[derive(Default)]
pub struct Cache {
    inner: Mutex<Inner>,
}

/// What a caller must do after [`Cache::join`].
pub enum Joined {
    /// Someone else resolves it: wait on this.
    Wait(Waiter),
    /// The caller resolves it and must call [`Cache::complete`] (or [`Cache::abandon`]).
    Start(watch::Sender<Option<Outcome>>, Waiter),
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh answer for this fingerprint, if any.
    pub fn get(&self, fp: &Fingerprint, now: Instant) -> Option<Outcome> {
        let inner = self.lock();
        let entry = inner.entries.get(fp)?;
        (now < entry.fresh_until).then(|| entry.outcome.clone())
    }

    /// Any cached answer for this fingerprint, fresh or stale.
    pub fn lookup(&self, fp: &Fingerprint, now: Instant) -> Option<Found> {
        let inner = self.lock();
        let entry = inner.entries.get(fp)?;
        Some(Found {
            outcome: entry.outcome.clone(),
            fresh_until: entry.fresh_until,
            fresh: now < entry.fresh_until,
            previous: entry.previous.clone(),
        })
    }

    /// Joins the resolution in flight for `fp`, or registers the caller as its resolver.
    pub fn join(&self, fp: &Fingerprint) -> Joined {
        let mut inner = self.lock();
        if let Some(rx) = inner.in_flight.get(fp) {
            return Joined::Wait(rx.clone());
        }
        let (tx, rx) = watch::channel(None);
        inner.in_flight.insert(*fp, rx.clone());
        Joined::Start(tx, rx)
    }

    /// Stores a resolution's outcome and wakes its waiters.
    pub fn complete(
        &self,
        fp: &Fingerprint,
        tx: watch::Sender<Option<Outcome>>,
        outcome: Outcome,
        fresh_until: Instant,
        now: Instant,
    ) {
        let mut inner = self.lock();
        inner.in_flight.remove(fp);
        if inner.entries.len() >= MAX_ENTRIES && !inner.entries.contains_key(fp) {
            evict(&mut inner.entries, now);
        }
        // A failure keeps the identity it replaces (or that one's predecessor) at hand.
        let previous = match &*outcome {
            ResolveOutcome::Identity(_) => None,
            ResolveOutcome::Failure(_) => inner.entries.get(fp).and_then(|e| match &*e.outcome {
                ResolveOutcome::Identity(_) => Some(e.outcome.clone()),
                ResolveOutcome::Failure(_) => e.previous.clone(),
            }),
        };
        inner.entries.insert(
            *fp,
            Entry {
                outcome: outcome.clone(),
                fresh_until,
                previous,
            },
        );
        drop(inner);
        let _ = tx.send(Some(outcome));
    }

    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn in_flight(&self) -> usize {
        self.lock().in_flight.len()
    }
}

/// Drops expired entries; if none were, the tenth that expire soonest.
fn evict(entries: &mut HashMap<Fingerprint, Entry>, now: Instant) {
    entries.retain(|_, e| e.fresh_until > now);
    if entries.len() < MAX_ENTRIES {
        return;
    }
    let mut by_age: Vec<(Instant, Fingerprint)> =
        entries.iter().map(|(k, e)| (e.fresh_until, *k)).collect();
    by_age.sort_unstable();
    for (_, k) in by_age.into_iter().take(MAX_ENTRIES / 10) {
        entries.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use awsid_proto::msg::{Failure, FailureKind};
    use std::time::Duration;

    fn outcome(msg: &str) -> Outcome {
        Arc::new(ResolveOutcome::Failure(Failure {
            kind: FailureKind::Other,
            code: None,
            message: msg.into(),
        }))
    }

    #[test]
    fn second_joiner_waits_on_the_first() {
        let cache = Cache::default();
        let fp = [7u8; 32];
        let Joined::Start(tx, _) = cache.join(&fp) else {
            panic!("first joiner must start")
        };
        let Joined::Wait(mut rx) = cache.join(&fp) else {
            panic!("second joiner must wait")
        };
        let now = Instant::now();
        cache.complete(&fp, tx, outcome("x"), now + Duration::from_secs(5), now);
        assert_eq!(rx.borrow_and_update().as_ref().unwrap(), &outcome("x"));
        assert!(cache.get(&fp, now).is_some());
        assert!(cache.get(&fp, now + Duration::from_secs(6)).is_none());
        assert_eq!(cache.in_flight(), 0);
    }

    #[test]
    fn cache_is_bounded() {
        let cache = Cache::default();
        let now = Instant::now();
        for i in 0..(MAX_ENTRIES + 50) {
            let mut fp = [0u8; 32];
            fp[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let Joined::Start(tx, _) = cache.join(&fp) else {
                panic!()
            };
            cache.complete(&fp, tx, outcome("x"), now + Duration::from_secs(60), now);
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}
