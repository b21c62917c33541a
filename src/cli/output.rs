//! Everything the CLI writes to stdout goes through [`emit`].

use super::error::CommandError;
use std::io::Write;

/// Writes a message or report to stdout, with credentials and secrets masked
/// ([`crate::redact`]), turning an I/O error into a `CommandError`.
pub(super) fn emit(out: &mut dyn Write, text: std::fmt::Arguments<'_>) -> Result<(), CommandError> {
    out.write_all(crate::redact::redact(&text.to_string()).as_bytes())
        .map_err(CommandError::from_io)
}
