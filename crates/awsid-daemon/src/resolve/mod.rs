//! Resolution: run GetCallerIdentity in a child process whose environment is the client's.
//!
//! [`child`] is the child's side (`awsidd resolve`: it plans with `awsid_aws::chain` in the
//! client's environment and directory, and executes the plan); this file is the daemon's side:
//! schedule children fairly, give each a deadline, kill its whole process group at that
//! deadline, and read (and vet) the outcome.
//!
//! Scheduling: at most [`ACTIVE`] children start and run together. A child still running
//! after [`LINGER_AFTER`] (a hung endpoint, a stuck `credential_process`) moves to one of
//! [`LINGERING`] "lingering" places and frees its active slot. A new lookup to an endpoint
//! that has lingering lookups starts directly in a lingering place (or waits for one), never
//! in an active slot. So lookups that hang keep a lookup to a healthy endpoint waiting at most
//! [`LINGER_AFTER`], and only while the first few to a newly hanging endpoint are told apart. The queue in front of
//! the active slots is bounded by count and by the bytes of environment it holds; a queued
//! lookup nobody waits for any more is dropped after [`QUEUE_PATIENCE`].

pub mod child;
pub mod outcome;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::resolve::outcome::{Failure, Identity, ResolveOutcome};
use awsid_proto::codec;
use awsid_proto::msg::{Env, FailureKind};
use tokio::sync::Semaphore;

/// Children starting and running together (a storm of new fingerprints must not fork-bomb
/// the machine or hammer STS).
pub const ACTIVE: usize = 4;
/// A child running this long gives its active slot up (when a lingering place is free).
pub const LINGER_AFTER: Duration = Duration::from_millis(500);
/// Children that may linger (hung, waiting for their deadline) beside the active ones.
pub const LINGERING: usize = 28;
/// Lookups that may wait for an active slot, and the environment bytes they may hold.
pub const MAX_QUEUED: usize = 256;
pub const MAX_QUEUED_BYTES: usize = 64 << 20;
/// A queued lookup whose clients have all gone is dropped after waiting this long.
pub const QUEUE_PATIENCE: Duration = Duration::from_secs(10);
/// The default deadline of one resolution (`[daemon] resolve_timeout_secs`).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);

/// The STS endpoint a lookup in this environment talks to, as far as the environment and
/// the region tell (for messages only: a profile's `endpoint_url` is not looked at).
pub fn endpoint(env: &Env, region: Option<&str>) -> String {
    let var = |name: &str| {
        env.iter()
            .find(|(k, v)| k == name.as_bytes() && !v.is_empty())
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    if let Some(url) = var("AWS_ENDPOINT_URL_STS").or_else(|| var("AWS_ENDPOINT_URL")) {
        return crate::render::sanitize(&url).into_owned();
    }
    match region {
        Some(r) if !r.is_empty() && r != "aws-global" => {
            format!("https://sts.{}.amazonaws.com", crate::render::sanitize(r))
        }
        _ => "https://sts.amazonaws.com".to_string(),
    }
}

/// Fair, bounded scheduling of resolver children (see the module doc).
pub struct Scheduler {
    active: Semaphore,
    lingering: Arc<Semaphore>,
    queued: AtomicUsize,
    queued_bytes: AtomicUsize,
    /// Lookups holding a lingering place, by endpoint.
    hanging: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            active: Semaphore::new(ACTIVE),
            lingering: Arc::new(Semaphore::new(LINGERING)),
            queued: AtomicUsize::new(0),
            queued_bytes: AtomicUsize::new(0),
            hanging: Default::default(),
        }
    }
}

/// How a scheduled lookup ended.
#[derive(Debug)]
pub enum Ran {
    /// The resolver's outcome (or its deadline's), to be cached.
    Done(ResolveOutcome),
    /// Refused before it started (the queue is full): tell the waiters, cache nothing.
    Refused(ResolveOutcome),
    /// Dropped from the queue: nobody waited for it any more.
    Dropped,
}

/// One lookup to schedule.
pub struct Job<'a> {
    pub exe: &'a Path,
    pub env: Env,
    /// The client's working directory, where the child runs (when it is one).
    pub cwd: Option<Vec<u8>>,
    pub args: &'a [String],
    pub deadline: Duration,
    pub endpoint: &'a str,
}

/// Keeps the queue counters right whichever way a queued lookup leaves the queue.
struct Queued<'a> {
    sched: &'a Scheduler,
    bytes: usize,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.sched.queued.fetch_sub(1, Ordering::Relaxed);
        self.sched
            .queued_bytes
            .fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

fn env_bytes(env: &Env) -> usize {
    env.iter().map(|(k, v)| k.len() + v.len() + 2).sum()
}

impl Scheduler {
    /// Lookups waiting for an active slot now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    fn enqueue(&self, bytes: usize) -> Option<Queued<'_>> {
        let n = self.queued.fetch_add(1, Ordering::Relaxed);
        let b = self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        let q = Queued { sched: self, bytes };
        (n < MAX_QUEUED && b + bytes <= MAX_QUEUED_BYTES).then_some(q)
    }

    /// Runs one lookup when its turn comes. `wanted` tells whether anyone still waits for it;
    /// `started` is called when its child starts.
    pub async fn run(
        &self,
        mut job: Job<'_>,
        wanted: impl Fn() -> bool,
        started: impl FnOnce(),
    ) -> Ran {
        let Some(queued) = self.enqueue(env_bytes(&job.env)) else {
            awsid_proto::msg::wipe(&mut job.env);
            return Ran::Refused(ResolveOutcome::Failure(Failure {
                kind: FailureKind::Timeout,
                code: None,
                message: format!(
                    "awsid: too many lookups are waiting ({} queued, at most {MAX_QUEUED}); try again",
                    self.queued()
                ),
            }));
        };
        // A lookup to an endpoint where lookups are hanging now is likely to hang too: it waits
        // for a lingering place, never for an active slot, so it cannot keep a lookup to a
        // healthy endpoint waiting.
        // (Re-checked while it waits: lookups queued behind a burst that turns out to hang
        // move to the lingering queue as soon as the first ones linger.)
        let mut suspect = self.hanging(job.endpoint) > 0;
        let since = tokio::time::Instant::now();
        // One wait per queue, kept across checks so that its place in the queue is kept.
        let mut waiting = Box::pin(self.acquire(suspect));
        let mut checks = tokio::time::interval(Duration::from_millis(200));
        let permit = loop {
            tokio::select! {
                permit = &mut waiting => break permit,
                _ = checks.tick() => {
                    if !suspect && self.hanging(job.endpoint) > 0 {
                        suspect = true;
                        waiting = Box::pin(self.acquire(true));
                    }
                    if since.elapsed() >= QUEUE_PATIENCE && !wanted() {
                        awsid_proto::msg::wipe(&mut job.env);
                        return Ran::Dropped;
                    }
                }
            }
        };
        drop(queued);
        let Ok(slot) = permit else {
            return Ran::Dropped; // closed: shutting down
        };
        started();
        let (mut active, mut lingering) = match slot {
            Slot::Active(p) => (Some(p), None),
            Slot::Lingering(p) => (None, Some(Hanging::new(self, job.endpoint, p))),
        };
        let outcome = run_child(
            job.exe,
            job.env,
            job.cwd,
            job.args,
            job.deadline,
            job.endpoint,
            || {
                // Called every LINGER_AFTER while the child runs: give the active slot up.
                if active.is_some() {
                    if let Ok(p) = self.lingering.clone().try_acquire_owned() {
                        lingering = Some(Hanging::new(self, job.endpoint, p));
                        active = None;
                    }
                }
            },
        )
        .await;
        drop(lingering);
        Ran::Done(outcome)
    }

    /// Waits for an active slot, or (`suspect`) for a lingering place.
    async fn acquire(&self, suspect: bool) -> Result<Slot<'_>, tokio::sync::AcquireError> {
        if suspect {
            self.lingering
                .clone()
                .acquire_owned()
                .await
                .map(Slot::Lingering)
        } else {
            self.active.acquire().await.map(Slot::Active)
        }
    }

    /// Lookups to `endpoint` running longer than [`LINGER_AFTER`] now.
    fn hanging(&self, endpoint: &str) -> usize {
        let by = self.hanging.lock().unwrap_or_else(|e| e.into_inner());
        by.get(endpoint).copied().unwrap_or(0)
    }
}

/// What a lookup waits for.
enum Slot<'a> {
    Active(tokio::sync::SemaphorePermit<'a>),
    Lingering(tokio::sync::OwnedSemaphorePermit),
}

/// A lingering place, counted against its endpoint while held.
struct Hanging<'a> {
    sched: &'a Scheduler,
    endpoint: String,
    _place: tokio::sync::OwnedSemaphorePermit,
}

impl<'a> Hanging<'a> {
    fn new(sched: &'a Scheduler, endpoint: &str, place: tokio::sync::OwnedSemaphorePermit) -> Self {
        let mut by = sched.hanging.lock().unwrap_or_else(|e| e.into_inner());
        *by.entry(endpoint.to_string()).or_insert(0) += 1;
        Hanging {
            sched,
            endpoint: endpoint.to_string(),
            _place: place,
        }
    }
}

impl Drop for Hanging<'_> {
    fn drop(&mut self) {
        let mut by = self.sched.hanging.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = by.get_mut(&self.endpoint) {
            *n -= 1;
            if *n == 0 {
                by.remove(&self.endpoint);
            }
        }
    }
}

/// Runs one resolver child directly (no scheduling), e.g. for `awsid doctor`. `limit` caps
/// concurrent children as before.
pub async fn run(
    exe: &Path,
    env: Env,
    cwd: Option<Vec<u8>>,
    args: &[String],
    limit: &Semaphore,
) -> ResolveOutcome {
    let _permit = limit.acquire().await;
    run_child(exe, env, cwd, args, DEFAULT_DEADLINE, "its endpoint", || {}).await
}

/// Kills a child's whole process group unless disarmed (the child is then reaped; its pid,
/// and so its group id, may be reused).
struct GroupKill(Option<i32>);

impl GroupKill {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            // SAFETY: kill has no memory-safety preconditions; the group is the child's own
            // (process_group(0)), and the child is not reaped yet, so its id is still ours.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The soft stack limit a child needs to receive `env_bytes` of environment: the kernel
/// allows a quarter of it for arguments and environment together.
fn stack_limit_for(env_bytes: usize) -> Option<libc::rlim_t> {
    let want = (env_bytes as libc::rlim_t).saturating_mul(4) + (8 << 20);
    let mut cur = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut cur) } != 0 {
        return None;
    }
    if cur.rlim_cur == libc::RLIM_INFINITY || cur.rlim_cur >= want {
        return None;
    }
    Some(want.min(cur.rlim_max))
}

/// Runs one resolver child in its own process group with `deadline`; `tick` is called every
/// [`LINGER_AFTER`] while it runs. `env` is moved in and wiped once the child is spawned.
async fn run_child(
    exe: &Path,
    mut env: Env,
    cwd: Option<Vec<u8>>,
    args: &[String],
    deadline: Duration,
    endpoint: &str,
    mut tick: impl FnMut(),
) -> ResolveOutcome {
    let mut cmd = tokio::process::Command::new(exe);
    if let Some(dir) = cwd.map(|c| std::path::PathBuf::from(OsStr::from_bytes(&c))) {
        if dir.is_dir() {
            cmd.current_dir(dir);
        }
    }
    // The child ends a credential_process (which runs in a process group of its own, out of
    // reach of the kill below) before this deadline.
    cmd.arg("resolve")
        .arg("--deadline-ms")
        .arg(deadline.as_millis().to_string())
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Its own process group: at the deadline the whole group is killed, so whatever it
        // started (a credential_process and that program's children) dies with it.
        .process_group(0)
        .kill_on_drop(true);
    if let Some(limit) = stack_limit_for(env_bytes(&env)) {
        // SAFETY: the closure only calls getrlimit/setrlimit, which are async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                let mut r = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(libc::RLIMIT_STACK, &mut r) == 0 {
                    r.rlim_cur = limit;
                    libc::setrlimit(libc::RLIMIT_STACK, &r);
                }
                Ok(())
            });
        }
    }
    for (k, v) in &env {
        cmd.env(OsStr::from_bytes(k), OsStr::from_bytes(v));
    }
    awsid_proto::msg::wipe(&mut env);
    drop(env);
    let spawned = cmd.spawn();
    drop(cmd);
    let child = match spawned {
        Ok(c) => c,
        Err(e) => return other(format!("cannot start the resolver {}: {e}", exe.display())),
    };
    let mut group = GroupKill(child.id().map(|p| p as i32));
    let output = child.wait_with_output();
    tokio::pin!(output);
    let stop = tokio::time::sleep(deadline);
    tokio::pin!(stop);
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + LINGER_AFTER, LINGER_AFTER);
    let result = loop {
        tokio::select! {
            out = &mut output => break Some(out),
            _ = &mut stop => break None,
            _ = ticks.tick() => tick(),
        }
    };
    match result {
        None => {
            // Before the child is reaped (dropping `output` does that), while its group id
            // cannot have been reused.
            group.kill();
            ResolveOutcome::Failure(Failure {
                kind: FailureKind::Timeout,
                code: None,
                message: format!(
                    "awsid: no answer within {} s from STS ({endpoint}) or from the credentials' source; the lookup was stopped",
                    deadline.as_secs()
                ),
            })
        }
        Some(Err(e)) => {
            group.0 = None;
            other(format!("resolver failed: {e}"))
        }
        Some(Ok(out)) => {
            group.0 = None; // reaped: the id is no longer ours to signal
            match codec::decode::<ResolveOutcome>(&out.stdout) {
                Ok(outcome) => vet(outcome),
                Err(e) => other(format!("resolver exited with {} ({e})", out.status)),
            }
        }
    }
}

/// Refuses an identity whose fields hold control characters: STS never sends them, and the
/// AWS CLI rejects such a response (they would reach terminals as escape sequences).
fn vet(outcome: ResolveOutcome) -> ResolveOutcome {
    match &outcome {
        ResolveOutcome::Identity(Identity {
            account,
            arn,
            user_id,
            alias,
            ..
        }) => {
            let alias = match alias {
                crate::resolve::outcome::AliasLookup::Found(a) => a.as_str(),
                _ => "",
            };
            let bad = [("Account", account), ("Arn", arn), ("UserId", user_id)]
                .into_iter()
                .map(|(n, v)| (n, v.as_str()))
                .chain([("account alias", alias)])
                .find(|(_, v)| crate::render::has_control(v));
            match bad {
                Some((name, _)) => ResolveOutcome::Failure(Failure {
                    kind: FailureKind::Service,
                    code: Some("InvalidResponse".into()),
                    message: format!(
                        "STS answered with control characters in the {name}; the answer was refused"
                    ),
                }),
                None => outcome,
            }
        }
        ResolveOutcome::Failure(_) => outcome,
    }
}

fn other(message: String) -> ResolveOutcome {
    ResolveOutcome::Failure(Failure {
        kind: FailureKind::Other,
        code: None,
        message,
    })
}
