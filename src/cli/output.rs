//! Everything the CLI writes to stdout goes through [`emit`].

use super::error::CommandError;
use std::io::Write;

/// Writes a message or report to stdout, with credentials and secrets masked
/// ([`crate::redact`]), turning an I/O error into a `CommandError`.
pub(super) fn emit(out: &mut dyn Write, text: std::fmt::Arguments<'_>) -> Result<(), CommandError> {
    out.write_all(crate::redact::redact(&text.to_string()).as_bytes())
        .map_err(CommandError::from_io)
}

/// Writes a patch as it is (never redacted: `git apply -R` must get the files' own bytes back),
/// coloured as git colours one when colour is on.
pub(super) fn emit_patch(out: &mut dyn Write, patch: &[u8]) -> Result<(), CommandError> {
    out.write_all(patch).map_err(CommandError::from_io)
}
