//! The daemon's shared state: the fingerprint key, the caches, counters, and shutdown.

use std::collections::{HashMap, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use awsid_proto::msg::RecentError;
use tokio::sync::{Notify, Semaphore};

use crate::cache::Cache;
use crate::fingerprint::{is_racy, Key};
use crate::resolve;
use awsid_aws::files::{config_view, credentials_view};
use awsid_aws::shared::{Files, Loaded};

#[derive(Default)]
pub struct Stats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub sts_calls: AtomicU64,
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
    pub resolver_limit: Semaphore,
    pub started: Instant,
    pub socket: PathBuf,
    /// The daemon's own HOME, used when a client sends none.
    pub home: Option<PathBuf>,
    pub shutdown: Notify,
    pub config: crate::config::Live,
    /// Account aliases looked up (opt-in), by account id, with when: kept for a day.
    pub aliases: Mutex<HashMap<String, (awsid_proto::msg::AliasLookup, Instant)>>,
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
            resolver_limit: Semaphore::new(resolve::MAX_CONCURRENT),
            started: Instant::now(),
            socket,
            home: std::env::var_os("HOME").map(PathBuf::from),
            shutdown: Notify::new(),
            config: crate::config::Live::new(crate::config::path()),
            aliases: Mutex::new(HashMap::new()),
            last_activity: Mutex::new(Instant::now()),
            recent_errors: Mutex::new(VecDeque::new()),
        })
    }

    /// How long an alias lookup (or its denial) is remembered.
    pub const ALIAS_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

    /// The remembered alias of an account, if one was found within the last day.
    pub fn alias_of(&self, account: &str) -> Option<String> {
        let aliases = self.aliases.lock().unwrap_or_else(|e| e.into_inner());
        match aliases.get(account) {
            Some((awsid_proto::msg::AliasLookup::Found(a), at))
                if at.elapsed() < Self::ALIAS_TTL =>
            {
                Some(a.clone())
            }
            _ => None,
        }
    }

    /// Accounts whose alias (or denial) is known and fresh: not to be asked again.
    pub fn alias_known(&self) -> Vec<String> {
        let aliases = self.aliases.lock().unwrap_or_else(|e| e.into_inner());
        aliases
            .iter()
            .filter(|(_, (_, at))| at.elapsed() < Self::ALIAS_TTL)
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn remember_alias(&self, account: &str, lookup: awsid_proto::msg::AliasLookup) {
        if lookup == awsid_proto::msg::AliasLookup::NotAsked {
            return;
        }
        let mut aliases = self.aliases.lock().unwrap_or_else(|e| e.into_inner());
        if aliases.len() > 10_000 {
            aliases.clear();
        }
        aliases.insert(account.to_string(), (lookup, Instant::now()));
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

type StatKey = (u64, u64, u64, i64, i64, i64, i64);

/// Parsed AWS files, re-read when their stat identity changes (and always while "racy").
#[derive(Default)]
pub struct FileCache {
    inner: Mutex<HashMap<(PathBuf, bool), (StatKey, Loaded)>>,
}

/// Distinct files remembered; clients naming many different files just cost re-reads.
const MAX_FILES: usize = 64;

impl FileCache {
    /// The two shared files, as the chain reads them.
    pub fn files(&self, config: Option<&Path>, credentials: Option<&Path>) -> Files {
        let now = SystemTime::now();
        Files {
            config_path: config.map(Path::to_owned),
            config: config.map_or(Loaded::Absent, |p| self.load(p, true, now)),
            credentials_path: credentials.map(Path::to_owned),
            credentials: credentials.map_or(Loaded::Absent, |p| self.load(p, false, now)),
        }
    }

    fn load(&self, path: &Path, is_config: bool, now: SystemTime) -> Loaded {
        let parse = |path: &Path| {
            Loaded::read(
                path,
                if is_config {
                    config_view
                } else {
                    credentials_view
                },
            )
        };
        let Ok(meta) = std::fs::metadata(path) else {
            return parse(path);
        };
        let key: StatKey = (
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
        );
        let racy = meta.modified().map(|m| is_racy(m, now)).unwrap_or(true);
        let slot = (path.to_owned(), is_config);
        if !racy {
            let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((k, parsed)) = inner.get(&slot) {
                if *k == key {
                    return parsed.clone();
                }
            }
        }
        let parsed = parse(path);
        if !racy {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if inner.len() >= MAX_FILES {
                inner.clear();
            }
            inner.insert(slot, (key, parsed.clone()));
        }
        parsed
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
