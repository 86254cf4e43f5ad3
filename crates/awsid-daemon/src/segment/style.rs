//! Colours and per-shell escaping of the segment.

use awsid_proto::msg::Shell;

use super::template::Piece;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Style {
    /// Colour index 0..=7 and whether it is the bright variant.
    fg: Option<(u8, bool)>,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
}

const COLOURS: [&str; 8] = [
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
];

impl Style {
    pub fn parse(spec: &str) -> Result<Style, String> {
        let mut s = Style::default();
        for word in spec.split_whitespace() {
            match word {
                "bold" => s.bold = true,
                "dim" => s.dim = true,
                "italic" => s.italic = true,
                "underline" => s.underline = true,
                "purple" => s.fg = Some((5, false)),
                w => {
                    let (name, bright) = match w.strip_prefix("bright_") {
                        Some(n) => (n, true),
                        None => (w, false),
                    };
                    let i = COLOURS.iter().position(|c| *c == name).ok_or_else(|| {
                        format!(
                            "unknown style {word:?} (colours: {}, bright_<colour>; bold, dim, italic, underline)",
                            COLOURS.join(", ")
                        )
                    })?;
                    s.fg = Some((i as u8, bright));
                }
            }
        }
        Ok(s)
    }

    fn is_empty(&self) -> bool {
        *self == Style::default()
    }

    fn sgr(&self) -> String {
        let mut codes: Vec<String> = Vec::new();
        if self.bold {
            codes.push("1".into());
        }
        if self.dim {
            codes.push("2".into());
        }
        if self.italic {
            codes.push("3".into());
        }
        if self.underline {
            codes.push("4".into());
        }
        if let Some((i, bright)) = self.fg {
            codes.push(format!("{}", if bright { 90 } else { 30 } + i));
        }
        format!("\x1b[{}m", codes.join(";"))
    }

    fn tmux(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some((i, bright)) = self.fg {
            let name = COLOURS[i as usize];
            parts.push(if bright {
                format!("fg=bright{name}")
            } else {
                format!("fg={name}")
            });
        }
        for (on, name) in [
            (self.bold, "bold"),
            (self.dim, "dim"),
            (self.italic, "italics"),
            (self.underline, "underscore"),
        ] {
            if on {
                parts.push(name.into());
            }
        }
        format!("#[{}]", parts.join(","))
    }
}

/// Escapes text so the shell prints it literally.
pub fn escape(shell: Shell, text: &str) -> String {
    match shell {
        // PS1 is decoded for backslash escapes, then expanded.
        Shell::Bash => text
            .replace('\\', "\\\\")
            .replace('$', "\\$")
            .replace('`', "\\`"),
        Shell::Zsh => text.replace('%', "%%"),
        Shell::Tmux => text.replace('#', "##"),
        Shell::BashVar | Shell::Fish | Shell::Nu | Shell::Ansi | Shell::Plain => text.to_string(),
    }
}

const RESET: &str = "\x1b[0m";

/// An escape sequence in the shell's notation for zero-width text.
fn zero_width(shell: Shell, seq: &str) -> String {
    match shell {
        Shell::Bash => format!("\\[{seq}\\]"),
        Shell::BashVar => format!("\x01{seq}\x02"),
        Shell::Zsh => format!("%{{{seq}%}}"),
        Shell::Fish | Shell::Nu | Shell::Ansi => seq.to_string(),
        Shell::Tmux | Shell::Plain => String::new(),
    }
}

impl Style {
    /// Switches this style on ("" for no style, and in plain text).
    fn on(&self, shell: Shell) -> String {
        match shell {
            _ if self.is_empty() => String::new(),
            Shell::Tmux => self.tmux(),
            _ => zero_width(shell, &self.sgr()),
        }
    }

    /// Switches every style off.
    fn off(&self, shell: Shell) -> String {
        match shell {
            _ if self.is_empty() => String::new(),
            Shell::Tmux => "#[default]".into(),
            _ => zero_width(shell, RESET),
        }
    }
}

/// Paints the pieces of a segment: each in `base`, the state's marker in `marker`.
pub fn paint_pieces(shell: Shell, base: &Style, marker: &Style, pieces: &[Piece]) -> String {
    let mut out = String::new();
    let mut current: Option<&Style> = None;
    for piece in pieces.iter().filter(|p| !p.text.is_empty()) {
        let style = if piece.marker { marker } else { base };
        if current != Some(style) {
            if let Some(c) = current {
                out.push_str(&c.off(shell));
            }
            out.push_str(&style.on(shell));
            current = Some(style);
        }
        out.push_str(&piece.text);
    }
    if let Some(c) = current {
        out.push_str(&c.off(shell));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Already-escaped text wrapped in one style.
    fn paint(shell: Shell, style: &Style, text: &str) -> String {
        let piece = Piece {
            text: text.to_string(),
            marker: false,
        };
        paint_pieces(shell, style, style, &[piece])
    }

    #[test]
    fn every_shell_marks_zero_width_sequences_its_own_way() {
        let s = Style::parse("bold red").unwrap();
        assert_eq!(paint(Shell::Zsh, &s, "x"), "%{\x1b[1;31m%}x%{\x1b[0m%}");
        assert_eq!(
            paint(Shell::Bash, &s, "x"),
            "\\[\x1b[1;31m\\]x\\[\x1b[0m\\]"
        );
        assert_eq!(
            paint(Shell::BashVar, &s, "x"),
            "\x01\x1b[1;31m\x02x\x01\x1b[0m\x02"
        );
        assert_eq!(paint(Shell::Fish, &s, "x"), "\x1b[1;31mx\x1b[0m");
        assert_eq!(paint(Shell::Tmux, &s, "x"), "#[fg=red,bold]x#[default]");
        assert_eq!(paint(Shell::Plain, &s, "x"), "x");
        assert_eq!(
            paint(Shell::Tmux, &Style::parse("bright_blue").unwrap(), "x"),
            "#[fg=brightblue]x#[default]"
        );
    }

    #[test]
    fn text_is_escaped_per_shell() {
        assert_eq!(escape(Shell::Zsh, "100%"), "100%%");
        assert_eq!(escape(Shell::Bash, "a$b`c\\"), "a\\$b\\`c\\\\");
        assert_eq!(escape(Shell::Tmux, "#1"), "##1");
        assert_eq!(escape(Shell::Fish, "%$#"), "%$#");
    }

    #[test]
    fn the_marker_has_its_own_style_and_the_rest_keeps_the_base() {
        let base = Style::parse("yellow").unwrap();
        let marker = Style::parse("bold red").unwrap();
        let pieces = [
            Piece {
                text: "!expired ".into(),
                marker: true,
            },
            Piece {
                text: "dev".into(),
                marker: false,
            },
        ];
        assert_eq!(
            paint_pieces(Shell::Zsh, &base, &marker, &pieces),
            "%{\x1b[1;31m%}!expired %{\x1b[0m%}%{\x1b[33m%}dev%{\x1b[0m%}"
        );
        assert_eq!(
            paint_pieces(Shell::Tmux, &base, &marker, &pieces),
            "#[fg=red,bold]!expired #[default]#[fg=yellow]dev#[default]"
        );
        assert_eq!(
            paint_pieces(Shell::Plain, &base, &marker, &pieces),
            "!expired dev"
        );
        let none = Style::default();
        assert_eq!(
            paint_pieces(Shell::Fish, &none, &marker, &pieces),
            "\x1b[1;31m!expired \x1b[0mdev"
        );
    }

    #[test]
    fn unknown_styles_are_errors() {
        assert!(Style::parse("chartreuse").is_err());
        assert!(Style::parse("").unwrap().is_empty());
    }
}
