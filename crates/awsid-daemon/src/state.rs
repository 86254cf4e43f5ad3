//! The daemon's shared state: the fingerprint key, the caches ([`crate::cache`] for answers,
//! [`crate::filecache`] for parsed AWS files, [`crate::aliases`] for account aliases), counters,
//! recent errors, and shutdown.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use awsid_proto::msg::RecentError;
use tokio::sync::Notify;

use crate::aliases::Aliases;
use crate::cache::Cache;
use crate::filecache::FileCache;
use crate::fingerprint::Key;
use crate::resolve;

#[derive(Default)]
pub struct Stats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Lookups started (resolver runs, whether or not they reach STS).
    pub lookups: AtomicU64,
    pub errors: AtomicU64,
}

impl Stats {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct Daemon {
    pub key: Key,
    pub cache: Cache,
    pub files: FileCache,
    pub stats: Stats,
    /// The executable run as `<exe> resolve` for each resolution.
    pub resolver: PathBuf,
    /// Schedules the resolver children (fair, bounded, with deadlines).
    pub scheduler: resolve::Scheduler,
    pub started: Instant,
    pub socket: PathBuf,
    /// The daemon's own HOME, used when a client sends none.
    pub home: Option<PathBuf>,
    pub shutdown: Notify,
    pub config: crate::config::Live,
    /// Account aliases looked up (opt-in).
    pub aliases: Aliases,
    /// Account names the SSO portal gave (`sso:ListAccounts`), remembered the same way.
    pub sso_names: Aliases,
    last_activity: Mutex<Instant>,
    /// The last few errors, for `awsid daemon status` and `awsid doctor`.
    recent_errors: Mutex<VecDeque<RecentError>>,
}

/// How many recent errors are kept.
const RECENT_ERRORS: usize = 8;
/// How much of one error's text is kept.
const ERROR_TEXT_MAX: usize = 300;

impl Daemon {
    pub fn new(socket: PathBuf, resolver: PathBuf) -> Arc<Daemon> {
        Arc::new(Daemon {
            key: Key::random(),
            cache: Cache::default(),
            files: FileCache::default(),
            stats: Stats::default(),
            resolver,
            scheduler: resolve::Scheduler::default(),
            started: Instant::now(),
            socket,
            home: std::env::var_os("HOME").map(PathBuf::from),
            shutdown: Notify::new(),
            config: crate::config::Live::new(crate::config::path()),
            aliases: Aliases::default(),
            sso_names: Aliases::default(),
            last_activity: Mutex::new(Instant::now()),
            recent_errors: Mutex::new(VecDeque::new()),
        })
    }

    /// Counts an error and keeps its description (which must hold no secret) among the recent.
    pub fn record_error(&self, what: impl Into<String>) {
        Stats::bump(&self.stats.errors);
        let mut what: String = what.into();
        if what.len() > ERROR_TEXT_MAX {
            let mut cut = ERROR_TEXT_MAX;
            while !what.is_char_boundary(cut) {
                cut -= 1;
            }
            what.truncate(cut);
            what.push('…');
        }
        let at_unix = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut recent = self.recent_errors.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() >= RECENT_ERRORS {
            recent.pop_front();
        }
        recent.push_back(RecentError { at_unix, what });
    }

    pub fn recent_errors(&self) -> Vec<RecentError> {
        let recent = self.recent_errors.lock().unwrap_or_else(|e| e.into_inner());
        recent.iter().cloned().collect()
    }

    pub fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    pub fn last_activity(&self) -> Instant {
        *self.last_activity.lock().unwrap_or_else(|e| e.into_inner())
    }
}
