//! The identity cache and single-flight.
//!
//! Entries are keyed by fingerprint and hold only what STS answered (account, ARN, user id,
//! expiry) or the error it gave: never a credential. Concurrent misses of one fingerprint
//! share one resolution: the first starts it (and holds a [`Flight`]), the others wait on the
//! same channel. A [`Flight`] dropped without an outcome (its task panicked or was cancelled)
//! still clears the in-flight mark and wakes the waiters with a failure, so a fingerprint is
//! never "in flight" for ever.
//!
//! Freshness is checked against both clocks: the monotonic one (immune to clock changes) and
//! the wall clock (which keeps running while a laptop is suspended, when the monotonic clock
//! stops), so an answer past its time after a suspend is never served as fresh.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::resolve::outcome::{Failure, ResolveOutcome};
use awsid_proto::msg::FailureKind;
use tokio::sync::watch;

use crate::fingerprint::Fingerprint;

/// Most entries kept; beyond that the stalest are dropped.
pub const MAX_ENTRIES: usize = 10_000;

pub type Outcome = Arc<ResolveOutcome>;
pub type Waiter = watch::Receiver<Option<Outcome>>;

struct Entry {
    outcome: Outcome,
    /// When the outcome was stored, on both clocks, and how long it stays fresh: kept so that
    /// a new `refresh_secs` applies to the answers already cached ([`Cache::set_refresh`]).
    stored: (Instant, SystemTime),
    ttl: Ttl,
    fresh_until: Instant,
    /// The same limit on the wall clock (see the module doc).
    wall_until: SystemTime,
    /// The identity this same fingerprint had before a failed refresh (shown stale).
    previous: Option<Outcome>,
}

impl Entry {
    fn fresh(&self, now: Instant, wall: SystemTime) -> bool {
        now < self.fresh_until && wall < self.wall_until
    }

    /// Sets the freshness limits from when it was stored and its lifetime under `refresh`.
    fn time(&mut self, refresh: Duration) {
        let (at, wall) = self.stored;
        // A ttl the clocks cannot represent is as good as "for ever", which no ttl is: cap it.
        let ttl = self.ttl.of(&self.outcome, refresh, wall).min(MAX_TTL);
        self.fresh_until = at.checked_add(ttl).unwrap_or(at);
        self.wall_until = wall.checked_add(ttl).unwrap_or(SystemTime::UNIX_EPOCH);
    }
}

/// How long an outcome stays fresh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ttl {
    /// The refresh period in force (`[daemon] refresh_secs`), shorter for a source awsid
    /// cannot watch (`opaque`), never beyond the credentials' expiry; an error, briefly.
    Refresh { opaque: bool },
    /// Exactly this long.
    Fixed(Duration),
}

impl From<Duration> for Ttl {
    fn from(d: Duration) -> Ttl {
        Ttl::Fixed(d)
    }
}

/// How long an identity from a source awsid cannot watch (credential_process, instance or
/// container metadata) is trusted at most; watched sources use `[daemon] refresh_secs`.
pub const TTL_OPAQUE: Duration = Duration::from_secs(5 * 60);
/// Errors are remembered briefly; any change of input is a new fingerprint anyway.
pub const TTL_ERROR: Duration = Duration::from_secs(3);
/// An identity is dropped this long before its credentials expire.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

impl Ttl {
    /// The lifetime of `outcome`, stored at `stored`, under the refresh period `refresh`.
    pub fn of(self, outcome: &ResolveOutcome, refresh: Duration, stored: SystemTime) -> Duration {
        let opaque = match self {
            Ttl::Fixed(d) => return d,
            Ttl::Refresh { opaque } => opaque,
        };
        match outcome {
            ResolveOutcome::Failure(_) => TTL_ERROR,
            ResolveOutcome::Identity(id) => {
                let base = if opaque {
                    TTL_OPAQUE.min(refresh)
                } else {
                    refresh
                };
                match id.expires_unix {
                    Some(exp) => {
                        let now = stored
                            .duration_since(UNIX_EPOCH)
                            .unwrap_or_default()
                            .as_secs() as i64;
                        let left = exp.saturating_sub(now).max(0) as u64;
                        base.min(Duration::from_secs(left).saturating_sub(EXPIRY_MARGIN))
                    }
                    None => base,
                }
            }
        }
    }
}

/// A cached answer, fresh or not.
pub struct Found {
    pub outcome: Outcome,
    pub fresh_until: Instant,
    pub fresh: bool,
    pub previous: Option<Outcome>,
}

/// What waiters may learn about a resolution in flight.
#[derive(Debug)]
pub struct JobInfo {
    /// The STS endpoint the lookup talks to, as far as the daemon can tell (for messages).
    pub endpoint: String,
    running: AtomicBool,
    /// When the resolver child started.
    since: Mutex<Option<Instant>>,
}

impl JobInfo {
    pub fn new(endpoint: String) -> JobInfo {
        JobInfo {
            endpoint,
            running: AtomicBool::new(false),
            since: Mutex::new(None),
        }
    }

    /// The resolver child has started (it is no longer queued).
    pub fn set_running(&self) {
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        self.running.store(true, Ordering::Relaxed);
    }

    /// How long the resolver child has been running (None while queued).
    pub fn running_for(&self) -> Option<Duration> {
        let since = *self.since.lock().unwrap_or_else(|e| e.into_inner());
        since.map(|s| s.elapsed())
    }

    pub fn running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Fingerprint, Entry>,
    in_flight: HashMap<Fingerprint, (Waiter, Arc<JobInfo>)>,
    /// The refresh period in force (see [`Cache::set_refresh`]).
    refresh: Duration,
}

#[derive(Default)]
pub struct Cache {
    inner: Arc<Mutex<Inner>>,
}

/// What a caller must do after [`Cache::join`].
pub enum Joined {
    /// Someone else resolves it: wait on this.
    Wait(Waiter, Arc<JobInfo>),
    /// The caller resolves it and ends the [`Flight`] with [`Flight::complete`] (cached) or
    /// [`Flight::abandon`] (not cached); a [`Flight`] dropped unended wakes its waiters with a
    /// generic failure and caches nothing.
    Start(Flight, Waiter),
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(|e| e.into_inner())
}

/// The right and duty to end one resolution in flight.
pub struct Flight {
    inner: Arc<Mutex<Inner>>,
    fp: Fingerprint,
    tx: Option<watch::Sender<Option<Outcome>>>,
    info: Arc<JobInfo>,
}

impl Flight {
    pub fn info(&self) -> &Arc<JobInfo> {
        &self.info
    }

    /// Clients still waiting for this outcome (the cache's own receiver not counted).
    pub fn waiters(&self) -> usize {
        self.tx
            .as_ref()
            .map_or(0, |tx| tx.receiver_count().saturating_sub(1))
    }

    /// Removes the in-flight mark (if it is still ours) and returns the sender.
    fn take(&mut self, inner: &mut Inner) -> Option<watch::Sender<Option<Outcome>>> {
        let tx = self.tx.take()?;
        if inner
            .in_flight
            .get(&self.fp)
            .is_some_and(|(_, info)| Arc::ptr_eq(info, &self.info))
        {
            inner.in_flight.remove(&self.fp);
        }
        Some(tx)
    }

    /// Stores the outcome, fresh for `ttl`, and wakes the waiters.
    pub fn complete(mut self, outcome: Outcome, ttl: impl Into<Ttl>) {
        let now = Instant::now();
        let inner_arc = self.inner.clone();
        let mut inner = lock(&inner_arc);
        let Some(tx) = self.take(&mut inner) else {
            return;
        };
        let fp = self.fp;
        if inner.entries.len() >= MAX_ENTRIES && !inner.entries.contains_key(&fp) {
            evict(&mut inner.entries, now);
        }
        // A failure keeps the identity it replaces (or that one's predecessor) at hand.
        let previous = match &*outcome {
            ResolveOutcome::Identity(_) => None,
            ResolveOutcome::Failure(_) => inner.entries.get(&fp).and_then(|e| match &*e.outcome {
                ResolveOutcome::Identity(_) => Some(e.outcome.clone()),
                ResolveOutcome::Failure(_) => e.previous.clone(),
            }),
        };
        let mut entry = Entry {
            outcome: outcome.clone(),
            stored: (now, SystemTime::now()),
            ttl: ttl.into(),
            fresh_until: now,
            wall_until: SystemTime::UNIX_EPOCH,
            previous,
        };
        entry.time(inner.refresh);
        inner.entries.insert(fp, entry);
        drop(inner);
        let _ = tx.send(Some(outcome));
    }

    /// Ends the flight without caching anything; the waiters get `outcome`.
    pub fn abandon(mut self, outcome: Outcome) {
        let inner_arc = self.inner.clone();
        let tx = self.take(&mut lock(&inner_arc));
        if let Some(tx) = tx {
            let _ = tx.send(Some(outcome));
        }
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        if self.tx.is_none() {
            return;
        }
        let inner_arc = self.inner.clone();
        let tx = self.take(&mut lock(&inner_arc));
        if let Some(tx) = tx {
            tracing::warn!("a lookup ended without an outcome (its task failed)");
            let _ = tx.send(Some(Arc::new(ResolveOutcome::Failure(Failure {
                kind: FailureKind::Other,
                code: None,
                message: "awsid: the lookup was abandoned (see the daemon's log)".into(),
            }))));
        }
    }
}

/// No answer is trusted longer than this, whatever the configuration says.
pub const MAX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// A fresh answer for this fingerprint, if any.
    pub fn get(&self, fp: &Fingerprint, now: Instant) -> Option<Outcome> {
        let inner = self.lock();
        let entry = inner.entries.get(fp)?;
        entry
            .fresh(now, SystemTime::now())
            .then(|| entry.outcome.clone())
    }

    /// Any cached answer for this fingerprint, fresh or stale.
    pub fn lookup(&self, fp: &Fingerprint, now: Instant) -> Option<Found> {
        self.lookup_at(fp, now, SystemTime::now())
    }

    fn lookup_at(&self, fp: &Fingerprint, now: Instant, wall: SystemTime) -> Option<Found> {
        let inner = self.lock();
        let entry = inner.entries.get(fp)?;
        Some(Found {
            outcome: entry.outcome.clone(),
            fresh_until: entry.fresh_until,
            fresh: entry.fresh(now, wall),
            previous: entry.previous.clone(),
        })
    }

    /// Joins the resolution in flight for `fp`, or registers the caller as its resolver
    /// (`info` describes the new resolution; it is only called then).
    pub fn join(&self, fp: &Fingerprint, info: impl FnOnce() -> JobInfo) -> Joined {
        let mut inner = self.lock();
        if let Some((rx, info)) = inner.in_flight.get(fp) {
            return Joined::Wait(rx.clone(), info.clone());
        }
        let (tx, rx) = watch::channel(None);
        let info = Arc::new(info());
        inner.in_flight.insert(*fp, (rx.clone(), info.clone()));
        Joined::Start(
            Flight {
                inner: self.inner.clone(),
                fp: *fp,
                tx: Some(tx),
                info,
            },
            rx,
        )
    }

    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    /// Sets the refresh period (`[daemon] refresh_secs`). A new one applies at once to every
    /// answer already cached, as if it had been in force when the answer was stored.
    pub fn set_refresh(&self, refresh: Duration) {
        let mut inner = self.lock();
        if inner.refresh == refresh {
            return;
        }
        inner.refresh = refresh;
        for entry in inner.entries.values_mut() {
            entry.time(refresh);
        }
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

    fn outcome(msg: &str) -> Outcome {
        Arc::new(ResolveOutcome::Failure(Failure {
            kind: FailureKind::Other,
            code: None,
            message: msg.into(),
        }))
    }

    fn id(expires_unix: Option<i64>) -> ResolveOutcome {
        ResolveOutcome::Identity(crate::resolve::outcome::Identity {
            account: "1".into(),
            arn: "a".into(),
            user_id: "u".into(),
            expires_unix,
            alias: crate::resolve::outcome::AliasLookup::NotAsked,
            sso_name: crate::resolve::outcome::AliasLookup::NotAsked,
        })
    }

    fn info() -> JobInfo {
        JobInfo::new("https://sts.amazonaws.com".into())
    }

    #[test]
    fn second_joiner_waits_on_the_first() {
        let cache = Cache::default();
        let fp = [7u8; 32];
        let Joined::Start(flight, _) = cache.join(&fp, info) else {
            panic!("first joiner must start")
        };
        let Joined::Wait(mut rx, _) = cache.join(&fp, info) else {
            panic!("second joiner must wait")
        };
        let now = Instant::now();
        flight.complete(outcome("x"), Duration::from_secs(5));
        assert_eq!(rx.borrow_and_update().as_ref().unwrap(), &outcome("x"));
        assert!(cache.get(&fp, now).is_some());
        assert!(cache.get(&fp, now + Duration::from_secs(6)).is_none());
        assert_eq!(cache.in_flight(), 0);
    }

    #[test]
    fn cache_is_bounded() {
        let cache = Cache::default();
        for i in 0..(MAX_ENTRIES + 50) {
            let mut fp = [0u8; 32];
            fp[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let Joined::Start(flight, _) = cache.join(&fp, info) else {
                panic!()
            };
            flight.complete(outcome("x"), Duration::from_secs(60));
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }

    /// A resolver task that panics must not leave its fingerprint in flight for ever (the
    /// idle exit waits for in-flight lookups, and every later miss would join a dead one).
    #[test]
    fn a_panicking_resolver_task_clears_its_in_flight_mark() {
        let cache = Arc::new(Cache::default());
        let fp = [9u8; 32];
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let Joined::Start(flight, mut rx) = cache.join(&fp, info) else {
            panic!()
        };
        let task = rt.spawn(async move {
            let _flight = flight;
            panic!("a bug in a resolver task");
        });
        assert!(rt.block_on(task).is_err());
        assert_eq!(cache.in_flight(), 0);
        // Its waiters are told, not left hanging; nothing is cached.
        let got = rx
            .borrow_and_update()
            .clone()
            .expect("waiters get an outcome");
        assert!(matches!(&*got, ResolveOutcome::Failure(f) if f.message.contains("abandoned")));
        assert!(cache.lookup(&fp, Instant::now()).is_none());
        // The next miss starts a new lookup instead of joining the dead one.
        assert!(matches!(cache.join(&fp, info), Joined::Start(..)));
    }

    #[test]
    fn an_abandoned_flight_caches_nothing() {
        let cache = Cache::default();
        let fp = [3u8; 32];
        let Joined::Start(flight, mut rx) = cache.join(&fp, info) else {
            panic!()
        };
        assert_eq!(flight.waiters(), 1);
        flight.abandon(outcome("busy"));
        assert_eq!(rx.borrow_and_update().as_ref().unwrap(), &outcome("busy"));
        assert_eq!(cache.in_flight(), 0);
        assert!(cache.lookup(&fp, Instant::now()).is_none());
    }

    #[test]
    fn huge_ttls_do_not_overflow_and_are_capped() {
        let cache = Cache::default();
        let fp = [4u8; 32];
        let Joined::Start(flight, _) = cache.join(&fp, info) else {
            panic!()
        };
        flight.complete(outcome("x"), Duration::from_secs(u64::MAX));
        let now = Instant::now();
        assert!(cache.get(&fp, now).is_some());
        assert!(cache
            .get(&fp, now + MAX_TTL + Duration::from_secs(1))
            .is_none());
    }

    /// A new refresh period applies to the answers already cached, both ways.
    #[test]
    fn a_new_refresh_period_applies_to_cached_answers() {
        let cache = Cache::default();
        cache.set_refresh(Duration::from_secs(900));
        let fp = [6u8; 32];
        let Joined::Start(flight, _) = cache.join(&fp, info) else {
            panic!()
        };
        flight.complete(Arc::new(id(None)), Ttl::Refresh { opaque: false });
        let now = Instant::now();
        let later = now + Duration::from_secs(120);
        assert!(cache.get(&fp, later).is_some());
        cache.set_refresh(Duration::from_secs(60));
        assert!(cache.get(&fp, now).is_some());
        assert!(cache.get(&fp, later).is_none());
        cache.set_refresh(Duration::from_secs(3600));
        assert!(cache.get(&fp, later).is_some());
        // A fixed lifetime (an error's) does not follow the refresh period.
        let fp = [8u8; 32];
        let Joined::Start(flight, _) = cache.join(&fp, info) else {
            panic!()
        };
        flight.complete(outcome("x"), Ttl::Refresh { opaque: false });
        assert!(cache
            .get(&fp, now + TTL_ERROR + Duration::from_secs(1))
            .is_none());
    }

    #[test]
    fn ttl_never_outlives_the_credentials() {
        let ttl = |o: &ResolveOutcome, opaque, r, now| Ttl::Refresh { opaque }.of(o, r, now);
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let r = Duration::from_secs(900);
        assert_eq!(ttl(&id(None), false, r, now), r);
        assert_eq!(ttl(&id(None), true, r, now), TTL_OPAQUE);
        assert_eq!(
            ttl(&id(Some(1_000_000 + 120)), false, r, now),
            Duration::from_secs(60)
        );
        assert_eq!(
            ttl(&id(Some(1_000_000 + 30)), false, r, now),
            Duration::ZERO
        );
        assert_eq!(ttl(&id(Some(10)), false, r, now), Duration::ZERO);
    }

    /// The monotonic clock stops while a laptop is suspended: the wall clock decides too.
    #[test]
    fn freshness_also_ends_on_the_wall_clock() {
        let cache = Cache::default();
        let fp = [5u8; 32];
        let Joined::Start(flight, _) = cache.join(&fp, info) else {
            panic!()
        };
        flight.complete(outcome("x"), Duration::from_secs(60));
        let now = Instant::now();
        let wall = SystemTime::now();
        assert!(cache.lookup_at(&fp, now, wall).unwrap().fresh);
        // Monotonic time says 1 s passed, the wall clock says an hour (a suspend).
        let resumed = wall + Duration::from_secs(3600);
        let found = cache
            .lookup_at(&fp, now + Duration::from_secs(1), resumed)
            .unwrap();
        assert!(!found.fresh);
    }
}
