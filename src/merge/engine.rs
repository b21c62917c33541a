//! The line merge itself: git's xdiff, through libgit2.
//!
//! Why libgit2 (`git2::merge_file`) and not gix-merge or our own: the merge must be git's,
//! byte for byte, because users compare it with what git would have done and upgrades write
//! git's conflict markers. libgit2 vendors git's xdiff (`xdl_merge`), and measured on 2,454 real
//! merges it was byte-identical to `git merge-file` in every case and every style, at about
//! 2.7 ms for a 10,000-line file. gix-merge, a careful Rust port of the same algorithm onto
//! imara-diff, was about 3x faster but matched in only 99.6-99.9% of cases; on files of the size
//! a golden path manages (a few KB), the milliseconds do not matter and the mismatches would.
//! git2 is already a dependency (vendored libgit2), so this costs nothing new.
//!
//! What libgit2 does not do the way `git merge-file` does, the layer above takes care of:
//! it reports only *whether* the merge conflicted, not where or how often (the markers are parsed
//! back, see [`super::markers`]), and it drops the label of an empty input from its marker line
//! (put back by [`super::markers::label_empty_sides`]).

use super::{ConflictStyle, Error, Favor, Options};

/// The merge as libgit2 wrote it.
pub(super) struct Merged {
    pub bytes: Vec<u8>,
    /// No conflicts were left (with a `favor`, every conflict was resolved by it).
    pub clean: bool,
}

/// Merges three text inputs as `git merge-file` does, with markers of `marker_size`
/// (`opts.marker_size` is not used, so the caller can ask for a different size to parse by).
/// The inputs must not be binary (see [`super::is_binary`]) and the labels must have been
/// checked (libgit2 cannot take a NUL in them).
pub(super) fn merge(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    opts: &Options,
    marker_size: u16,
) -> Result<Merged, Error> {
    // xdl_merge's own first step, taken here: when a side is identical to the base, the result
    // is the other side, clean. Here it also matters for safety: libgit2 returns a NULL buffer
    // when that other side is empty, and git2's `MergeFileResult::content` makes a slice of it
    // without checking, which is undefined behaviour (debug builds abort on it).
    if ours == base {
        return Ok(Merged {
            bytes: theirs.to_vec(),
            clean: true,
        });
    }
    if theirs == base {
        return Ok(Merged {
            bytes: ours.to_vec(),
            clean: true,
        });
    }
    init();
    let mut file_opts = git2::MergeFileOptions::new();
    file_opts
        .ancestor_label(opts.labels.base.as_str())
        .our_label(opts.labels.ours.as_str())
        .their_label(opts.labels.theirs.as_str())
        .marker_size(marker_size)
        // `git merge-file` merges at XDL_MERGE_ZEALOUS_ALNUM: in merge style, two conflicts
        // separated only by lines without a letter or digit become one.
        .simplify_alnum(true);
    match opts.style {
        ConflictStyle::Merge => file_opts.style_standard(true),
        ConflictStyle::Diff3 => file_opts.style_diff3(true),
        ConflictStyle::Zdiff3 => file_opts.style_zdiff3(true),
    };
    if let Some(favor) = opts.favor {
        file_opts.favor(match favor {
            Favor::Ours => git2::FileFavor::Ours,
            Favor::Theirs => git2::FileFavor::Theirs,
            Favor::Union => git2::FileFavor::Union,
        });
    }
    let input = |bytes| {
        let mut input = git2::MergeFileInput::new();
        input.content(bytes);
        input
    };
    let result = git2::merge_file(
        &input(base),
        &input(ours),
        &input(theirs),
        Some(&mut file_opts),
    )
    .map_err(|e| Error::Engine {
        message: e.message().to_string(),
    })?;
    Ok(Merged {
        bytes: result.content().to_vec(),
        clean: result.is_automergeable(),
    })
}

/// `git2::merge_file` does not initialise libgit2 as most of git2 does, and before
/// initialisation every libgit2 allocation fails (the first merge of a process fails with "no
/// error"). `Config::new` runs git2's one-time initialisation and builds an empty in-memory
/// config, reading no file.
///
/// The initialisation costs some 20,000 instructions (a few microseconds) as git2 is built here,
/// without its https and ssh transports. With https it also parses every CA certificate of the
/// system, about 20 ms, twenty times a whole `git merge-file` of a small file: `cargo bench
/// --bench merge` would show it.
fn init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let _ = git2::Config::new();
    });
}
