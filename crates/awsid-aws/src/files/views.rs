//! Which sections are profiles: botocore's `build_profile_map` (config
//! file), `SharedCredentialProvider` (credentials file), `Session.full_config`.

use super::{RawFile, Section};
use std::collections::BTreeMap;

/// Python's `shlex.split(s)` (POSIX mode, no comments); `None` where Python
/// raises `ValueError` (an open quote, a trailing backslash).
pub fn shlex_split(s: &str) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Space,
        Word,
        Quote(char),
        Escape(Option<char>),
    }
    let is_ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut out = Vec::new();
    let mut token = String::new();
    let mut quoted = false;
    let mut state = State::Space;
    for c in s.chars() {
        match state {
            State::Space => {
                if is_ws(c) {
                    continue;
                } else if c == '\\' {
                    state = State::Escape(None);
                } else if c == '\'' || c == '"' {
                    state = State::Quote(c);
                } else {
                    token.push(c);
                    state = State::Word;
                }
            }
            State::Word => {
                if is_ws(c) {
                    out.push(std::mem::take(&mut token));
                    quoted = false;
                    state = State::Space;
                } else if c == '\'' || c == '"' {
                    state = State::Quote(c);
                } else if c == '\\' {
                    state = State::Escape(None);
                } else {
                    token.push(c);
                }
            }
            State::Quote(q) => {
                quoted = true;
                if c == q {
                    state = State::Word;
                } else if q == '"' && c == '\\' {
                    state = State::Escape(Some(q));
                } else {
                    token.push(c);
                }
            }
            State::Escape(inside) => {
                // inside double quotes a backslash only escapes `\` and `"`
                if inside.is_some_and(|q| c != '\\' && c != q) {
                    token.push('\\');
                }
                token.push(c);
                state = match inside {
                    Some(q) => State::Quote(q),
                    None => State::Word,
                };
            }
        }
    }
    match state {
        State::Quote(_) | State::Escape(_) => None,
        State::Word => {
            if !token.is_empty() || quoted {
                out.push(token);
            }
            Some(out)
        }
        State::Space => Some(out),
    }
}

/// The name in `[profile NAME]`-style headers: botocore keeps a section whose
/// header splits (shell-like) into exactly two words, and takes the second.
fn second_word(header: &str) -> Option<String> {
    let mut parts = shlex_split(header)?;
    (parts.len() == 2).then(|| parts.swap_remove(1))
}

/// One file as botocore sees it after `build_profile_map` (config file),
/// plain sections (credentials file), or both merged (`Session.full_config`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileFile {
    pub profiles: BTreeMap<String, Section>,
    pub sso_sessions: BTreeMap<String, Section>,
    pub services: BTreeMap<String, Section>,
    /// Other sections of the config file (`[preview]`, `[plugins]`, ...).
    pub other: BTreeMap<String, Section>,
}

/// The config file as botocore's `load_config` sees it.
///
/// Every header that *starts with* `profile` (so also `[profiles x]`,
/// `[profilex y]`), `sso-session` or `services` is split like a shell would;
/// with exactly two words the second is the name, otherwise the section is
/// dropped. `[default]` is the profile `default`. When two sections name the
/// same profile (`[profile default]` and `[default]`), the later one in the
/// file replaces the earlier one entirely.
pub fn config_view(raw: &RawFile) -> ProfileFile {
    let mut view = ProfileFile::default();
    for (name, section) in &raw.sections {
        let target = if name.starts_with("profile") {
            &mut view.profiles
        } else if name.starts_with("sso-session") {
            &mut view.sso_sessions
        } else if name.starts_with("services") {
            &mut view.services
        } else if name == "default" {
            view.profiles.insert(name.clone(), section.clone());
            continue;
        } else {
            view.other.insert(name.clone(), section.clone());
            continue;
        };
        if let Some(key) = second_word(name) {
            target.insert(key, section.clone());
        }
    }
    view
}

/// The credentials file as botocore's `SharedCredentialProvider` sees it:
/// every section is a profile under its literal name (`[profile x]` is the
/// profile `profile x`).
pub fn credentials_view(raw: &RawFile) -> ProfileFile {
    ProfileFile {
        profiles: raw.sections.iter().cloned().collect(),
        ..ProfileFile::default()
    }
}

/// botocore's `Session.full_config`: the config file's view, then every
/// credentials-file section merged key by key into the profile of the same
/// name (credentials-file keys win). The CLI uses this for profile lookup and
/// every setting; the credential providers read the two files separately.
pub fn merged_view(config: Option<&RawFile>, credentials: Option<&RawFile>) -> ProfileFile {
    let mut view = config.map(config_view).unwrap_or_default();
    for (name, section) in credentials.iter().flat_map(|c| c.sections.iter()) {
        view.profiles
            .entry(name.clone())
            .or_default()
            .extend(section.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    view
}
