//! The daemon's shared state: the fingerprint key, the caches, counters, and shutdown.

use std::collections::{HashMap, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use awsid_proto::msg::RecentError;
use tokio::sync::Notify;

use crate::cache::Cache;
use crate::fingerprint::{is_racy, Key};
use crate::resolve;
use awsid_aws::files::{config_view, credentials_view};
use awsid_aws::shared::{Files, Loaded};

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
    /// Account aliases looked up (opt-in), by account id, with when: kept for a day.
    pub aliases: Mutex<HashMap<String, (crate::resolve::outcome::AliasLookup, Instant)>>,
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
            Some((crate::resolve::outcome::AliasLookup::Found(a), at))
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

    pub fn remember_alias(&self, account: &str, lookup: crate::resolve::outcome::AliasLookup) {
        if lookup == crate::resolve::outcome::AliasLookup::NotAsked {
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
///
/// Whatever a client names, reading never blocks the daemon: a FIFO, a device, a socket or a
/// directory is refused without being opened for reading (the open itself is non-blocking and
/// the opened file is checked again), and a file above [`MAX_FILE_BYTES`] is refused before it
/// is read. A refused file counts as empty here; [`check_file`] words the refusal.
#[derive(Default)]
pub struct FileCache {
    inner: Mutex<HashMap<(PathBuf, bool), (StatKey, Loaded)>>,
}

/// Distinct files remembered; clients naming many different files just cost re-reads.
const MAX_FILES: usize = 64;
/// The largest AWS config or credentials file read (the CLI has no limit; 16 MiB is far
/// beyond any real file with thousands of profiles).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why a named file is not read.
pub fn check_file(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(meta) => check_meta(path, &meta),
        Err(_) => Ok(()), // missing: an empty file, as in the CLI
    }
}

fn check_meta(path: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_file() {
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "awsid: refusing to read {}: {} bytes, more than the {} MiB an AWS config file may have",
                path.display(),
                meta.len(),
                MAX_FILE_BYTES >> 20
            ));
        }
        return Ok(());
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    };
    Err(format!(
        "awsid: refusing to read {}: it is {what}, not a regular file",
        crate::render::sanitize(&path.display().to_string())
    ))
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`] without ever blocking on a FIFO or a
/// device (even one swapped in after the caller's stat).
pub fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    check_meta(path, &meta)?;
    let mut text = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text)
}

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
        let view = if is_config {
            config_view
        } else {
            credentials_view
        };
        let Ok(meta) = std::fs::metadata(path) else {
            return Loaded::Absent; // not a file: an empty one to the CLI
        };
        if check_meta(path, &meta).is_err() {
            return Loaded::Absent; // refused (the request is answered with why, see handler)
        }
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
        let parsed = match read_regular(path) {
            Ok(bytes) => Loaded::parse(&bytes, path, view),
            // Unreadable: an empty file to the CLI (configparser skips it).
            Err(_) => Loaded::Parsed(Arc::default()),
        };
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
