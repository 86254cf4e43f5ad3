//! Where the files are (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
//! `os.path.expandvars` then `expanduser`) and how botocore opens them.

use super::{parse, FileError, FileState};
use std::path::Path;

/// Read an already expanded path as `raw_config_parse` does. A relative path
/// (`AWS_CONFIG_FILE=.aws/config`, or `~nobody/x` left as is) is opened in the
/// shell's working directory `cwd`, see [`depends_on_cwd`]; errors show the
/// path as given, like the CLI.
pub fn read_file(path: &str, cwd: &Path) -> Result<FileState, FileError> {
    let p = cwd.join(path);
    if path.is_empty() || !std::fs::metadata(&p).map(|m| m.is_file()).unwrap_or(false) {
        return Ok(FileState::NotFound);
    }
    let Ok(bytes) = read_regular(&p) else {
        return Ok(FileState::Unreadable);
    };
    parse(&bytes)
        .map(FileState::Parsed)
        .map_err(|error| FileError {
            path: path.to_string(),
            error,
        })
}

/// The largest file read (no real AWS file comes near; a bigger one is refused).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file without ever blocking on a FIFO or a device, even one swapped in
/// after a caller's `stat`: the open is non-blocking and the opened file is checked again.
/// Files above [`MAX_FILE_BYTES`] are refused.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::{Error, ErrorKind, Read};
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::new(ErrorKind::InvalidInput, "too big"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether an expanded path is relative, so that the file read depends on
/// the shell's working directory.
pub fn depends_on_cwd(path: &str) -> bool {
    !path.is_empty() && !path.starts_with('/')
}

/// Looks up a variable of the shell's environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;
/// Home directory of a user (`None`: the current user, used when `HOME` is
/// unset), as `pwd.getpwuid` / `pwd.getpwnam` give it. See [`passwd_home`].
pub type HomeLookup<'a> = &'a dyn Fn(Option<&str>) -> Option<String>;

/// `os.path.expanduser(os.path.expandvars(value))`, as botocore expands
/// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` and their defaults.
pub fn expand_path(value: &str, env: EnvLookup<'_>, home: HomeLookup<'_>) -> String {
    expand_user(&expand_vars(value, env), env, home)
}

/// The config file's path: `AWS_CONFIG_FILE` if set (even empty: then no
/// file), else `~/.aws/config`, expanded.
pub fn config_file_path(env: EnvLookup<'_>, home: HomeLookup<'_>) -> String {
    let raw = env("AWS_CONFIG_FILE").unwrap_or_else(|| "~/.aws/config".to_string());
    expand_path(&raw, env, home)
}

/// The credentials file's path: `AWS_SHARED_CREDENTIALS_FILE` if set, else
/// `~/.aws/credentials`, expanded.
pub fn credentials_file_path(env: EnvLookup<'_>, home: HomeLookup<'_>) -> String {
    let raw =
        env("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| "~/.aws/credentials".to_string());
    expand_path(&raw, env, home)
}

/// `os.path.expandvars` (POSIX): `$name` (ASCII letters, digits, `_`) and
/// `${anything}`; unknown variables stay as written; values are not expanded again.
fn expand_vars(path: &str, env: EnvLookup<'_>) -> String {
    if !path.contains('$') {
        return path.to_string();
    }
    let mut path = path.to_string();
    let mut i = 0;
    while let Some(offset) = path[i..].find('$') {
        let start = i + offset;
        let after = &path[start + 1..];
        let word = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let braced = after
            .strip_prefix('{')
            .and_then(|b| b.find('}').map(|close| (b, close)));
        let (name, end) = match braced {
            _ if word > 0 => (after[..word].to_string(), start + 1 + word),
            Some((b, close)) => (b[..close].to_string(), start + 2 + close + 1),
            None => {
                i = start + 1;
                continue;
            }
        };
        match env(&name) {
            None => i = end,
            Some(value) => {
                let tail = path[end..].to_string();
                path.truncate(start);
                path.push_str(&value);
                i = path.len();
                path.push_str(&tail);
            }
        }
    }
    path
}

/// `os.path.expanduser` (POSIX).
pub fn expand_user(path: &str, env: EnvLookup<'_>, home: HomeLookup<'_>) -> String {
    if !path.starts_with('~') {
        return path.to_string();
    }
    let i = path[1..].find('/').map_or(path.len(), |p| p + 1);
    let userhome = if i == 1 {
        match env("HOME") {
            Some(h) => h,
            None => match home(None) {
                Some(h) => h,
                None => return path.to_string(),
            },
        }
    } else {
        match home(Some(&path[1..i])) {
            Some(h) => h,
            None => return path.to_string(),
        }
    };
    let joined = format!("{}{}", userhome.trim_end_matches('/'), &path[i..]);
    if joined.is_empty() {
        "/".to_string()
    } else {
        joined
    }
}

/// A [`HomeLookup`] reading `/etc/passwd` (the current user is the owner of
/// `/proc/self`). Users known only to other NSS sources (LDAP, ...) are not found.
pub fn passwd_home(user: Option<&str>) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let uid = match user {
        None => Some(std::fs::metadata("/proc/self").ok()?.uid().to_string()),
        Some(_) => None,
    };
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 7 {
            return None;
        }
        let hit = match (user, &uid) {
            (Some(name), _) => fields[0] == name,
            (None, Some(uid)) => fields[2] == uid,
            (None, None) => false,
        };
        hit.then(|| fields[5].to_string())
    })
}
