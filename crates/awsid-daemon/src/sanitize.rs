//! What never reaches a terminal from data: control characters and bidirectional overrides,
//! replaced by U+FFFD. Self-contained (the fuzz crate includes this file by path).

use std::borrow::Cow;

/// Shown in place of a control character.
pub const REPLACEMENT: char = '\u{FFFD}';

/// A character that must never reach a terminal from data: C0 and C1 controls, DEL, and the
/// bidirectional marks and overrides (which can make `prod` read as `dorp`).
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub fn has_control(s: &str) -> bool {
    s.chars().any(is_control)
}

/// `s` with every control character replaced by U+FFFD.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if has_control(s) {
        Cow::Owned(
            s.chars()
                .map(|c| if is_control(c) { REPLACEMENT } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Like [`sanitize`], keeping line breaks and tabs (for multi-line messages on stderr).
pub fn sanitize_message(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_control(c) && c != '\n' && c != '\t' {
                REPLACEMENT
            } else {
                c
            }
        })
        .collect()
}
