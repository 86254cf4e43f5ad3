//! Colours and per-shell escaping of the segment.

use awsid_proto::msg::Shell;

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
        Shell::BashVar | Shell::Fish | Shell::Nu | Shell::Plain => text.to_string(),
    }
}

/// Wraps already-escaped text in the style, in the shell's notation for zero-width sequences.
pub fn paint(shell: Shell, style: &Style, text: &str) -> String {
    if style.is_empty() || text.is_empty() {
        return text.to_string();
    }
    const RESET: &str = "\x1b[0m";
    let on = style.sgr();
    match shell {
        Shell::Bash => format!("\\[{on}\\]{text}\\[{RESET}\\]"),
        Shell::BashVar => format!("\x01{on}\x02{text}\x01{RESET}\x02"),
        Shell::Zsh => format!("%{{{on}%}}{text}%{{{RESET}%}}"),
        Shell::Fish | Shell::Nu => format!("{on}{text}{RESET}"),
        Shell::Tmux => format!("{}{text}#[default]", style.tmux()),
        Shell::Plain => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn unknown_styles_are_errors() {
        assert!(Style::parse("chartreuse").is_err());
        assert!(Style::parse("").unwrap().is_empty());
    }
}
