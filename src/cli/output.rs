//! Everything the CLI writes to stdout goes through [`emit`], [`emit_report`] or
//! [`emit_patch`]; colour (`--color`, `NO_COLOR`) and the progress line on stderr
//! ([`Progress`]) are decided here.

use super::error::CommandError;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Writes a message or report to stdout, with credentials and secrets masked
/// ([`crate::redact`]), turning an I/O error into a `CommandError`.
pub(super) fn emit(out: &mut dyn Write, text: std::fmt::Arguments<'_>) -> Result<(), CommandError> {
    out.write_all(crate::redact::redact(&text.to_string()).as_bytes())
        .map_err(CommandError::from_io)
}

/// `--color`: when stdout gets colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set to anything but the empty string or `TERM` is
    /// `dumb`
    #[default]
    Auto,
    /// Even when stdout is a pipe or a file (`git apply` does not take a coloured patch)
    Always,
    /// Never, even on a terminal
    Never,
}

/// Whether stdout is coloured, set once by [`set_colour`] before a command runs.
static COLOUR: AtomicBool = AtomicBool::new(false);

/// Decides colour for this run: `--color always|never` as said; `auto` on a terminal only, and
/// never when `NO_COLOR` is set (<https://no-color.org>) or the terminal is `dumb`.
pub(super) fn set_colour(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    };
    COLOUR.store(on, Ordering::Relaxed);
}

fn colour() -> bool {
    COLOUR.load(Ordering::Relaxed)
}

const RESET: &str = "\x1b[m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD_RED: &str = "\x1b[1;31m";

/// Writes a patch as it is (never redacted: `git apply -R` must get the files' own bytes back),
/// coloured as git colours one when colour is on.
pub(super) fn emit_patch(out: &mut dyn Write, patch: &[u8]) -> Result<(), CommandError> {
    let bytes = if colour() {
        paint_patch(patch)
    } else {
        patch.to_vec()
    };
    out.write_all(&bytes).map_err(CommandError::from_io)
}

/// Writes a text report (check, upgrade) redacted like [`emit`], with its `error:`,
/// `warning:` and `note:` labels, its indented diff lines and upgrade's file marks coloured
/// when colour is on.
pub(super) fn emit_report(out: &mut dyn Write, text: &str) -> Result<(), CommandError> {
    let text = crate::redact::redact(text);
    let text = if colour() { paint_report(&text) } else { text };
    out.write_all(text.as_bytes())
        .map_err(CommandError::from_io)
}

/// git's colours for a patch: headers bold, hunk headers cyan, removed lines red, added green.
fn paint_patch(patch: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(patch.len() + patch.len() / 8);
    for line in patch.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let style = patch_style(body);
        match style {
            Some(style) => {
                out.extend_from_slice(style.as_bytes());
                out.extend_from_slice(body);
                out.extend_from_slice(RESET.as_bytes());
                out.extend_from_slice(&line[body.len()..]);
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

fn patch_style(line: &[u8]) -> Option<&'static str> {
    const HEADERS: [&[u8]; 8] = [
        b"diff --git ",
        b"index ",
        b"--- ",
        b"+++ ",
        b"old mode ",
        b"new mode ",
        b"deleted file mode ",
        b"new file mode ",
    ];
    if HEADERS.iter().any(|h| line.starts_with(h)) {
        Some(BOLD)
    } else if line.starts_with(b"@@") {
        Some(CYAN)
    } else if line.starts_with(b"+") {
        Some(GREEN)
    } else if line.starts_with(b"-") {
        Some(RED)
    } else {
        None
    }
}

/// Colours the lines of a text report; see [`emit_report`].
fn paint_report(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let end = &line[body.len()..];
        let label = [("error:", BOLD_RED), ("warning:", YELLOW), ("note:", CYAN)]
            .into_iter()
            .find(|(label, _)| body.starts_with(label));
        if let Some((label, style)) = label {
            out.push_str(&format!(
                "{style}{label}{RESET}{}{end}",
                &body[label.len()..]
            ));
            continue;
        }
        // Upgrade's file list: `  C path  what`.
        let mark = body.strip_prefix("  ").and_then(|rest| {
            let style = match rest.get(..2)? {
                "C " => BOLD_RED,
                "A " | "U " | "M " => GREEN,
                "D " => RED,
                _ => return None,
            };
            Some(style)
        });
        // A drift's diff, indented under its message.
        let diff = body
            .strip_prefix("    ")
            .and_then(|rest| patch_style(rest.as_bytes()));
        match mark.or(diff) {
            Some(style) => out.push_str(&format!("{style}{body}{RESET}{end}")),
            None => out.push_str(line),
        }
    }
    out
}

/// A line on stderr saying what goldpath is waiting for (a fetch), shown only when stderr is a
/// terminal and erased when dropped, so logs and pipes never see it. A thread redraws it with
/// the seconds elapsed, so a slow remote does not look like a hang.
pub(super) struct Progress {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub(super) fn start(what: String) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            loop {
                let secs = started.elapsed().as_secs_f32();
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[K{what} ({secs:.1}s)");
                let _ = err.flush();
                drop(err);
                match stopped.recv_timeout(std::time::Duration::from_millis(100)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        });
        Progress {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens `spec` with a [`Progress`] line while a git source is fetched.
pub(super) fn open_source(
    spec: &crate::bundle::SourceSpec,
    network: crate::bundle::Network,
) -> Result<crate::bundle::Source, crate::bundle::Error> {
    let _progress = (matches!(spec, crate::bundle::SourceSpec::Git(_))
        && network != crate::bundle::Network::Offline)
        .then(|| Progress::start(format!("goldpath: fetching {spec}")));
    spec.open_with(network)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_are_coloured_as_git_colours_them() {
        let painted = paint_patch(b"diff --git a/x b/x\n@@ -1 +1 @@\n-a\r\n+b\n c\n");
        assert_eq!(
            String::from_utf8(painted).unwrap(),
            "\x1b[1mdiff --git a/x b/x\x1b[m\n\x1b[36m@@ -1 +1 @@\x1b[m\n\x1b[31m-a\r\x1b[m\n\x1b[32m+b\x1b[m\n c\n"
        );
    }

    #[test]
    fn reports_colour_labels_marks_and_diffs() {
        assert_eq!(
            paint_report("error: drift: x\n    +y\nnote: n\n  C a.txt  CONFLICT\nplain\n"),
            "\x1b[1;31merror:\x1b[m drift: x\n\x1b[32m    +y\x1b[m\n\x1b[36mnote:\x1b[m n\n\x1b[1;31m  C a.txt  CONFLICT\x1b[m\nplain\n"
        );
    }
}
