//! A file tree in memory (`path -> bytes`), and the only code that writes trees to disk.
//!
//! Rendering, merging and checking all work on [`Tree`]s, so nothing touches the disk until the
//! whole result is known. Every path that enters a tree is a [`RelPath`]: relative, `/`-separated,
//! with no `..`, no absolute prefix and no `.git` component, so a template cannot write outside
//! the project however its paths render.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file goldpath records a project's bundle, version and answers in.
pub const ANSWERS_FILE: &str = ".goldpath.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("path `{path}` is not allowed: {reason}")]
    BadPath { path: String, reason: &'static str },
    #[error("cannot read `{path}`: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write `{path}`: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("`{path}` goes through the symlink `{link}`; goldpath never reads, writes or removes through a symlink in a project (it could reach outside it): replace the link with the real file or folder (`git rm {link}`), commit, and run the command again")]
    Symlink { path: String, link: String },
}

/// Refuses `path` when it, or any folder on the way to it under `root`, is a symlink: a link
/// committed as `sub -> /elsewhere` would otherwise let a template read, write or delete outside
/// the project. Parts that do not exist yet are fine (they will be made as real folders).
pub fn no_symlink_on_the_way(root: &Path, path: &RelPath) -> Result<(), Error> {
    let mut at = root.to_path_buf();
    let mut so_far = String::new();
    for part in path.as_str().split('/') {
        at.push(part);
        if !so_far.is_empty() {
            so_far.push('/');
        }
        so_far.push_str(part);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::Symlink {
                    path: path.to_string(),
                    link: so_far,
                })
            }
            Ok(m) if m.is_dir() => continue,
            // A file, or nothing: nothing further down can be a link.
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// What is wrong with `path` as a whole (empty, absolute, Windows syntax), before its parts are
/// checked; `absolute` is the reason given for a path starting with `/`.
fn whole_path_problem(path: &str, absolute: &'static str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("it is empty");
    }
    if path.starts_with('/') {
        return Some(absolute);
    }
    windows_syntax(path)
}

/// A path inside a project: relative, normalised, `/`-separated, unable to escape, and a name
/// every file system goldpath's users have (Linux, macOS, Windows) can hold.
///
/// The rules are the same on every OS: a bundle is written on one machine and used on all of
/// them, and a name Windows or macOS cannot hold would otherwise be found only when libgit2's
/// commit or a colleague's checkout fails, after every other file was written.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(String);

/// The longest part most file systems take (ext4, APFS: 255 bytes; NTFS: 255 UTF-16 units,
/// never fewer than the UTF-8 bytes).
pub const MAX_PART_BYTES: usize = 255;

impl RelPath {
    /// Checks `path` and returns it as a `RelPath`, or says why it may not be used.
    pub fn new(path: &str) -> Result<RelPath, Error> {
        let bad = |reason| Error::BadPath {
            path: path.to_string(),
            reason,
        };
        if let Some(reason) = whole_path_problem(
            path,
            "it is absolute; template paths must stay inside the project",
        ) {
            return Err(bad(reason));
        }
        for part in path.split('/') {
            check_part(part).map_err(bad)?;
        }
        Ok(RelPath(path.to_string()))
    }

    /// Checks the path of one of a bundle's own files (`template/{{ name }}.txt.tera`), which is
    /// never written as it is: its parts are rendered and the result checked with
    /// [`RelPath::new`]. So tera's `"`, `|`, `<` and `*` are allowed here; what would make the
    /// bundle's own tree ambiguous or reach outside it is not: an absolute or drive path, `\\`,
    /// empty, `.` and `..` parts, control characters, and `.git`.
    pub fn in_bundle(path: &str) -> Result<RelPath, Error> {
        let bad = |reason| Error::BadPath {
            path: path.to_string(),
            reason,
        };
        if let Some(reason) = whole_path_problem(
            path,
            "it is absolute; bundle files must stay inside the bundle",
        ) {
            return Err(bad(reason));
        }
        for part in path.split('/') {
            match part {
                "" | "." | ".." => check_part(part).map_err(bad)?,
                _ if has_drive(part) => {
                    return Err(bad("it has a part starting with a drive (`C:`), which is absolute on Windows"))
                }
                _ if part.chars().any(char::is_control) => {
                    return Err(bad("it contains a control character (NUL, newline, tab...); names must be printable"))
                }
                _ if is_dot_git(part) => check_part(part).map_err(bad)?,
                _ => {}
            }
        }
        Ok(RelPath(path.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path on disk under `root`.
    pub fn under(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(self.0.split('/'));
        p
    }

    /// Whether this path is `other` or lies inside the folder `other`.
    pub fn is_within(&self, other: &str) -> bool {
        self.0 == other
            || self.0.starts_with(other) && self.0.as_bytes().get(other.len()) == Some(&b'/')
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Checks one part of a path (a file or folder name), or says what is wrong with it and what to
/// do. [`RelPath::new`] checks every part with it; rendering checks each rendered part with it,
/// so the error can name the answer the part came from.
pub fn check_part(part: &str) -> Result<(), &'static str> {
    match part {
        "" => return Err("it has an empty path component (`//` or a trailing `/`)"),
        "." | ".." => return Err("it contains `.` or `..`; paths may not leave the project"),
        _ => {}
    }
    if part.contains('\0') {
        return Err("it contains a NUL byte");
    }
    // `.git` as any file system may spell it: Windows drops trailing dots and spaces and
    // reads `name:stream`/`name::$INDEX_ALLOCATION` as `name`, and has the 8.3 short name
    // `GIT~1`; macOS ignores invisible characters such as U+200C. Checked before the rules
    // below so the reason names the real danger.
    if part.eq_ignore_ascii_case(".git") {
        return Err("it writes into `.git`, which belongs to git");
    }
    if is_dot_git(part) {
        return Err("it is `.git` on Windows or macOS (which drop trailing dots and spaces, `:streams` and invisible characters, and know `GIT~1`), and `.git` belongs to git");
    }
    if part.chars().any(char::is_control) {
        return Err("it contains a control character (newline, carriage return, tab...); names must be printable");
    }
    if part.chars().any(is_invisible) {
        return Err("it contains an invisible character (a zero-width space, joiner or byte-order mark...), which macOS ignores in names; remove it");
    }
    if part.contains(':') {
        return Err("it contains `:`, which Windows reads as a drive (`C:`) or an NTFS alternate data stream (`name:stream`); use another character");
    }
    if part.contains(['*', '?', '"', '<', '>', '|']) {
        return Err("it contains one of `* ? \" < > |`, which Windows does not allow in names; use another character");
    }
    if part.ends_with(['.', ' ']) {
        return Err(
            "it ends with `.` or a space, which Windows drops (`a.` is `a` there); remove it",
        );
    }
    if part.starts_with('-') {
        return Err("it starts with `-`, which commands (`git`, `rm`, ...) would read as an option; rename it");
    }
    if is_windows_device(part) {
        return Err("it is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9, CONIN$, CONOUT$), with any extension and in any case; rename it");
    }
    if part.len() > MAX_PART_BYTES {
        return Err("it has a part longer than 255 bytes, more than file systems hold; shorten it");
    }
    Ok(())
}

/// Why `path` is a Windows path that escapes or is ambiguous there, if it is: a network path
/// (`\\\\host\\x`), a drive (`C:\\x`, `C:x`), or `\\`, Windows's other separator.
fn windows_syntax(path: &str) -> Option<&'static str> {
    if path.starts_with("\\\\") {
        Some("it starts with `\\\\`, a Windows network path (`\\\\host\\share`), which is absolute there; paths must stay inside the project")
    } else if has_drive(path) {
        Some("it starts with a drive (`C:`), which is absolute on Windows; paths must stay inside the project")
    } else if !path.contains('\\') {
        None
    } else if path.split(['/', '\\']).any(|p| p == "..") {
        Some("it contains `..` between `\\` separators, which Windows reads like `/`; paths may not leave the project")
    } else {
        Some("it contains `\\`, which separates folders on Windows; use `/` between folders")
    }
}

/// Whether `path` starts with a Windows drive: `C:`, `C:x`, `C:\x`.
fn has_drive(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Characters that are invisible and that macOS's HFS+ ignores in names (git's list in
/// `is_hfs_dotgit`), with the other zero-width and format characters of Unicode's
/// Default_Ignorable_Code_Point: `READ\u{200b}ME.md` shows as `README.md`.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}'
        | '\u{fff0}'..='\u{fff8}' | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}')
}

/// Whether `part` is `.git` on some file system: any case, invisible characters dropped,
/// an NTFS stream (`:...`) and trailing dots and spaces dropped, or the 8.3 short name
/// `GIT~1` (and `GI7EBA~1`, the hashed form git also refuses).
fn is_dot_git(part: &str) -> bool {
    let visible: String = part.chars().filter(|&c| !is_invisible(c)).collect();
    let name = visible.split(':').next().unwrap_or("");
    let name = name.trim_end_matches(['.', ' ']).to_ascii_lowercase();
    if name == ".git" {
        return true;
    }
    ["git~", "gi7eba~"].iter().any(|short| {
        name.strip_prefix(short)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Whether `part` names a Windows device: the name before the first `.` (spaces before it
/// dropped) is CON, PRN, AUX, NUL, COM0-9, LPT0-9 (digits ¹²³ too), CONIN$ or CONOUT$.
fn is_windows_device(part: &str) -> bool {
    let stem = part.split('.').next().unwrap_or("").trim_end_matches(' ');
    let upper = stem.to_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let mut chars = upper.chars();
            let head: String = chars.by_ref().take(3).collect();
            let rest: Vec<char> = chars.collect();
            (head == "COM" || head == "LPT")
                && matches!(rest.as_slice(), [c] if c.is_ascii_digit() || matches!(c, '¹' | '²' | '³'))
        }
    }
}

/// One file: its bytes and whether it is executable (the only mode bit git keeps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub bytes: Vec<u8>,
    pub executable: bool,
}

impl File {
    pub fn new(bytes: impl Into<Vec<u8>>) -> File {
        File {
            bytes: bytes.into(),
            executable: false,
        }
    }
}

/// Files by path, sorted, so every listing and report derived from a tree is deterministic.
pub type Tree = BTreeMap<RelPath, File>;

/// Writes `tree` as a new project at `dest`, all or nothing.
///
/// The tree is written into a temporary folder beside `dest` and renamed into place at the end,
/// so a failure part-way (disk full, permission denied) leaves no half-written project. `finish`
/// runs on the staged folder before the rename (e.g. `git init` and the first commit), so its
/// failure leaves nothing behind either. `dest` must not exist or be an empty folder; an empty
/// folder is kept and filled (it may be the user's current directory: `goldpath new x .`).
pub fn write_new_project<E: From<Error> + Send>(
    dest: &Path,
    tree: &Tree,
    finish: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    write_new_project_alongside(
        dest,
        tree,
        None::<fn(&Path) -> Result<(), E>>,
        |staged, _| finish(staged),
    )
}

/// [`write_new_project`], with `alongside` run on a second thread while the tree is written
/// (e.g. the repository's `.git`, which needs none of the files on disk), in the same staging
/// folder; its result goes to `finish`, which runs once both are done. Creating files is most of
/// `new`'s time and ext4 creates them in two folders at once (issue #16). All or nothing as
/// before: the writes and `alongside` both end before anything is judged, and if either fails
/// the staging folder goes, with whatever both wrote in it; the write's error comes first.
pub fn write_new_project_alongside<E, A, J>(
    dest: &Path,
    tree: &Tree,
    alongside: Option<J>,
    finish: impl FnOnce(&Path, Option<A>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<Error> + Send,
    A: Send,
    J: FnOnce(&Path) -> Result<A, E> + Send,
{
    // `.` has no parent to stage beside and cannot be renamed over: use the absolute path.
    let dest = &std::path::absolute(dest).map_err(|source| Error::Write {
        path: dest.to_path_buf(),
        source,
    })?;
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The folders made here for `new a/b/svc` are removed again if anything fails.
    let made: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .map(Path::to_path_buf)
        .collect();
    let result = (|| {
        fs::create_dir_all(&parent).map_err(|source| Error::Write {
            path: parent.clone(),
            source,
        })?;
        clear_dead_stagings(&parent, dest);
        let staging = tempfile::Builder::new()
            .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
            .tempdir_in(&parent)
            .map_err(|source| Error::Write {
                path: parent.clone(),
                source,
            })?;
        let staged = staging.path();
        let (written, along) = write_fresh(staged, tree, alongside);
        // Named by where the file was going, not by the staging folder that disappears.
        written.map_err(|e| match e {
            Error::Write { path, source } => Error::Write {
                path: match path.strip_prefix(staged) {
                    Ok(rel) => dest.join(rel),
                    Err(_) => path,
                },
                source,
            },
            other => other,
        })?;
        let along = along.transpose()?;
        finish(staged, along)?;
        if dest.exists() {
            // Checked empty by the caller. Replacing it would pull the folder from under a
            // shell that is in it, so the staged entries move in instead.
            return move_entries(staging.path(), dest).map_err(E::from);
        }
        let staged = staging.keep();
        fs::rename(&staged, dest).map_err(|source| {
            let _ = fs::remove_dir_all(&staged);
            Error::Write {
                path: dest.to_path_buf(),
                source,
            }
        })?;
        Ok(())
    })();
    if result.is_err() {
        // Innermost first; `remove_dir` only removes what is empty, so nothing else is lost.
        for dir in &made {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

/// Staging folders of `goldpath new` are `.goldpath-new-<pid>-<random>` beside the destination.
const STAGING_PREFIX: &str = ".goldpath-new-";

/// Inside a staging folder whose entries are being moved into an existing empty destination:
/// the destination and the entries, one a line, so that a `new` killed half-way through the
/// moves can be cleared by the next one.
const MOVING_FILE: &str = ".goldpath-moving";

/// Clears what a `goldpath new` into `dest` that was killed part-way left behind, so that the
/// same command run again finds things as they were before it (see [`clear_dead_stagings`]).
pub fn clear_interrupted_new(dest: &Path) {
    if let Ok(dest) = std::path::absolute(dest) {
        if let Some(parent) = dest.parent() {
            clear_dead_stagings(parent, &dest);
        }
    }
}

/// Removes what a `goldpath new` killed part-way (SIGKILL, power loss) left in `parent`: its
/// staging folder and, if it was moving its entries into `dest`, the entries it had moved there.
/// A staging folder is only touched when the process that made it is gone; where that cannot be
/// known (no `/proc`), nothing is.
fn clear_dead_stagings(parent: &Path, dest: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(STAGING_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_is_gone(pid) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let staging = entry.path();
        if let Ok(moving) = fs::read_to_string(staging.join(MOVING_FILE)) {
            let mut lines = moving.lines();
            if lines.next() == Some(dest.to_string_lossy().as_ref()) {
                for moved in lines.filter(|l| !l.is_empty() && !l.contains('/')) {
                    let at = dest.join(moved);
                    match fs::symlink_metadata(&at) {
                        Ok(m) if m.is_dir() => drop(fs::remove_dir_all(&at)),
                        Ok(_) => drop(fs::remove_file(&at)),
                        Err(_) => {}
                    }
                }
            } else {
                // Moving into another destination: that one's next `new` clears it.
                continue;
            }
        }
        let _ = fs::remove_dir_all(&staging);
    }
}

#[cfg(target_os = "linux")]
fn process_is_gone(pid: u32) -> bool {
    pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_is_gone(_pid: u32) -> bool {
    false
}

/// Moves every entry of `from` into the empty folder `to`; on failure, moves back what it moved.
/// The list of entries is written first (see [`MOVING_FILE`]).
fn move_entries(from: &Path, to: &Path) -> Result<(), Error> {
    let entries = fs::read_dir(from)
        .and_then(|dir| {
            dir.map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<Vec<_>>>()
        })
        .map_err(|source| Error::Read {
            path: from.to_path_buf(),
            source,
        })?;
    let mut moving = format!("{}\n", to.display());
    for name in &entries {
        moving.push_str(&name.to_string_lossy());
        moving.push('\n');
    }
    write_file_atomic(&from.join(MOVING_FILE), &File::new(moving))?;
    let entries: Vec<_> = entries.into_iter().filter(|n| n != MOVING_FILE).collect();
    for (i, name) in entries.iter().enumerate() {
        if let Err(source) = fs::rename(from.join(name), to.join(name)) {
            for moved in &entries[..i] {
                let _ = fs::rename(to.join(moved), from.join(moved));
            }
            return Err(Error::Write {
                path: to.join(name),
                source,
            });
        }
    }
    Ok(())
}

/// Below this many files one thread writes them all: a second costs more than it saves.
const SHARED_WRITE_FROM: usize = 16;

/// At most this many files of one folder make one unit of a writer's work ([`units_by_folder`]).
const WRITE_UNIT: usize = 64;

/// Writes `tree` into the empty folder `root` (each folder made once, not once per file, and a
/// mode set only where a file is executable, which matters at thousands of files), and runs
/// `alongside` on a second thread meanwhile; returns both results.
///
/// From [`SHARED_WRITE_FROM`] files, both threads write the files (the second once `alongside`
/// is done, or from the start without it), taking the next unit of work left: the files of one
/// folder ([`units_by_folder`]). Creating files is most of `new`'s time (issue #16), and the
/// kernel creates them on both cores at once, but in one folder only one at a time: creating a
/// file locks its folder. On ext4 without a journal, where finding a free inode takes up to a
/// millisecond while many were deleted in the last minutes, 200 files took 132 ms on one
/// thread, 69 ms on two in two folders, and 152 ms on two in one folder.
///
/// Whatever fails, both threads have ended when this returns, and the error is that of the first
/// file in the tree's order that fails ([`write_units`]).
fn write_fresh<A, E, J>(
    root: &Path,
    tree: &Tree,
    alongside: Option<J>,
) -> (Result<(), Error>, Option<Result<A, E>>)
where
    A: Send,
    E: Send,
    J: FnOnce(&Path) -> Result<A, E> + Send,
{
    let files: Vec<(&RelPath, &File)> = tree.iter().collect();
    let share = files.len() >= SHARED_WRITE_FROM;
    let units = match share {
        true => units_by_folder(&files),
        false => vec![(0..files.len()).collect()],
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (files, units, next) = (&files, &units, &next);
    std::thread::scope(|scope| {
        let (folders_made, made) = std::sync::mpsc::channel::<bool>();
        let helper = alongside.map(|job| {
            scope.spawn(move || {
                let along = job(root);
                // The files wait for their folders, made on the other thread.
                let helped = match share && made.recv() == Ok(true) {
                    true => write_units(root, files, units, next),
                    false => Ok(()),
                };
                (helped, Some(along))
            })
        });
        let mut written = make_folders(root, tree);
        let _ = folders_made.send(written.is_ok());
        let second = match (&helper, share, &written) {
            (None, true, Ok(())) => {
                Some(scope.spawn(move || (write_units(root, files, units, next), None)))
            }
            _ => None,
        };
        if written.is_ok() {
            written = write_units(root, files, units, next);
        }
        let (helped, along) = match helper.or(second) {
            Some(h) => h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => (Ok(()), None),
        };
        let written = match (written, helped) {
            (Err((i, e)), Err((j, _))) if i < j => Err(e),
            (_, Err((_, e))) | (Err((_, e)), Ok(())) => Err(e),
            (Ok(()), Ok(())) => Ok(()),
        };
        (written, along)
    })
}

/// Makes every folder of `tree` under the empty folder `root`, each after its parent (a
/// parent's path sorts before its children's), with one `mkdir` and no `stat`: `root` is new,
/// so nothing is in the way.
fn make_folders(root: &Path, tree: &Tree) -> Result<(), (usize, Error)> {
    let dirs: std::collections::BTreeSet<&str> = tree
        .keys()
        .flat_map(|p| {
            let p = p.as_str();
            p.match_indices('/').map(move |(i, _)| &p[..i])
        })
        .collect();
    for dir in dirs {
        let abs = root.join(dir);
        // Before every file in the tree's order.
        fs::create_dir(&abs).map_err(|source| (0, Error::Write { path: abs, source }))?;
    }
    Ok(())
}

/// The positions of `files` in units of work: the files of one folder, [`WRITE_UNIT`] at most,
/// each unit in the tree's order, the largest units first (so the last ones taken are small and
/// the two writers end together), equal ones in the tree's order.
fn units_by_folder(files: &[(&RelPath, &File)]) -> Vec<Vec<usize>> {
    let mut folders: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, (path, _)) in files.iter().enumerate() {
        let folder = path
            .as_str()
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder);
        folders.entry(folder).or_default().push(i);
    }
    let mut units: Vec<Vec<usize>> = folders
        .into_values()
        .flat_map(|positions| {
            positions
                .chunks(WRITE_UNIT)
                .map(<[usize]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect();
    units.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    units
}

/// Writes the units of `units` not yet taken (`next` is the first), one at a time, until none is
/// left. A file that fails ends its unit (the rest of it comes after it in the tree's order) but
/// not the writer, so that every unit is tried: the error returned is that of the first file in
/// the tree's order that failed, with its position, whichever writer met it.
fn write_units(
    root: &Path,
    files: &[(&RelPath, &File)],
    units: &[Vec<usize>],
    next: &std::sync::atomic::AtomicUsize,
) -> Result<(), (usize, Error)> {
    let mut failed: Option<(usize, Error)> = None;
    while let Some(unit) = units.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
        for &i in unit {
            let (path, file) = files[i];
            let abs = path.under(root);
            if let Err(source) = write_new_file(&abs, file) {
                if failed.as_ref().is_none_or(|(first, _)| i < *first) {
                    failed = Some((i, Error::Write { path: abs, source }));
                }
                break;
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

/// Creates `path` (which must not exist) holding `file`: one `open`, made executable by its
/// mode there rather than by a `stat` and a `chmod` after.
fn write_new_file(path: &Path, file: &File) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Less the umask, as git checks out an executable file.
        options.mode(if file.executable { 0o777 } else { 0o666 });
    }
    options.open(path)?.write_all(&file.bytes)
}

/// Writes one file, creating its folders. Not atomic: use [`write_file_atomic`] in a project
/// the user already has.
pub fn write_file(path: &Path, file: &File) -> Result<(), Error> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(wrap)?;
    }
    fs::write(path, &file.bytes).map_err(wrap)?;
    set_executable(path, file.executable).map_err(wrap)
}

/// The temporary file [`write_file_atomic`] writes beside its target: left behind only by a
/// process killed mid-write, and removed by the next upgrade command ([`remove_stale_writes`]).
const WRITE_PREFIX: &str = ".goldpath-write-";

/// Removes what [`write_file_atomic`] calls in `dir` killed mid-write left there.
pub fn remove_stale_writes(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(WRITE_PREFIX));
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Replaces `path` with `file` atomically: a reader (or a crash) sees the old file or the new
/// one, never half of it.
pub fn write_file_atomic(path: &Path, file: &File) -> Result<(), Error> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(wrap)?;
    // A temp file is created owner-only (0600); renamed into place as it is, every file an
    // upgrade wrote would lose group and other read access. The file keeps the permissions it
    // had, and a new one gets what a plain write gives (0666 less the umask).
    let before = permission_bits(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(WRITE_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(wrap)?;
    tmp.write_all(&file.bytes).map_err(wrap)?;
    tmp.as_file().sync_all().map_err(wrap)?;
    match before {
        Some(bits) => set_mode(tmp.path(), bits, file.executable).map_err(wrap)?,
        None => set_executable(tmp.path(), file.executable).map_err(wrap)?,
    }
    tmp.persist(path).map_err(|e| wrap(e.error))?;
    Ok(())
}

/// The permission bits of the regular file at `path`, if there is one.
#[cfg(unix)]
fn permission_bits(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn permission_bits(_path: &Path) -> Option<u32> {
    None
}

/// Sets `bits` on `path`, with the executable bits wherever it is readable when `executable`.
#[cfg(unix)]
fn set_mode(path: &Path, bits: u32, executable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut bits = bits & !0o111;
    if executable {
        bits |= (bits & 0o444) >> 2;
    }
    fs::set_permissions(path, fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _bits: u32, _executable: bool) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = fs::metadata(path)?.permissions();
    let mode = perms.mode();
    let new_mode = if executable {
        mode | ((mode & 0o444) >> 2)
    } else {
        mode & !0o111
    };
    if new_mode != mode {
        perms.set_mode(new_mode);
        fs::set_permissions(path, perms)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_executable(_path: &Path, _executable: bool) -> io::Result<()> {
    Ok(())
}

/// Whether files here have an executable bit. Elsewhere every file reads as not executable, so
/// a mode difference there means nothing and is not reported.
pub const MODES_KNOWN: bool = cfg!(unix);

#[cfg(unix)]
pub fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

/// Reads one file of a project, or `None` when there is none, including when a part of the
/// path is a file: a template that turns `docs` into `docs/index.md` asks for `docs/index.md`
/// while the project still has the file `docs`, and the answer is "no such file", not an error.
///
/// A symlink at the path or on the way to it is an error ([`Error::Symlink`]), never followed.
pub fn read_file(root: &Path, path: &RelPath) -> Result<Option<File>, Error> {
    no_symlink_on_the_way(root, path)?;
    let abs = path.under(root);
    let meta = match fs::symlink_metadata(&abs) {
        Ok(m) => m,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None)
        }
        Err(source) => return Err(Error::Read { path: abs, source }),
    };
    if !meta.is_file() {
        return Ok(None);
    }
    let bytes = fs::read(&abs).map_err(|source| Error::Read {
        path: abs.clone(),
        source,
    })?;
    Ok(Some(File {
        bytes,
        executable: is_executable(&meta),
    }))
}

fn link_in_bundle(path: &Path) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source: io::Error::other(
            "it is a symbolic link, and goldpath does not follow links in a bundle (one could reach outside it); put the file or folder itself there",
        ),
    }
}

/// Reads one file of a bundle folder, refusing a link as [`read_dir`] does.
pub fn read_bundle_file(path: &Path) -> Result<Vec<u8>, Error> {
    let read = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    if fs::symlink_metadata(path).map_err(read)?.is_symlink() {
        return Err(link_in_bundle(path));
    }
    fs::read(path).map_err(read)
}

/// Reads every regular file under `dir` into a tree (skipping `.git`), for folder sources.
pub fn read_dir(dir: &Path) -> Result<Tree, Error> {
    let mut tree = Tree::new();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let entry = entry.map_err(|e| Error::Read {
            path: e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.to_path_buf()),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("filesystem loop")),
        })?;
        // Refused rather than skipped (a linked `template/` gave an empty project without a
        // word) and never followed: a link can reach outside the bundle. The root itself may be
        // a link: the user named it.
        if entry.path_is_symlink() && entry.depth() > 0 {
            return Err(link_in_bundle(entry.path()));
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("walkdir stays under its root");
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = RelPath::in_bundle(&rel.join("/"))?;
        let meta = entry.metadata().map_err(|e| Error::Read {
            path: entry.path().to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("metadata")),
        })?;
        let bytes = fs::read(entry.path()).map_err(|source| Error::Read {
            path: entry.path().to_path_buf(),
            source,
        })?;
        tree.insert(
            rel,
            File {
                bytes,
                executable: is_executable(&meta),
            },
        );
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_path_refuses_escapes() {
        for (bad, why) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("../x", ".."),
            ("a/../../x", ".."),
            ("a//b", "empty path component"),
            ("a/", "empty path component"),
            (".git/hooks/pre-commit", ".git"),
            ("sub/.GIT/config", ".git"),
            ("./a", "`.`"),
            ("a\\..\\b", "`..` between `\\` separators"),
            ("..\\x", "`..` between `\\` separators"),
            ("a\\b", "separates folders on Windows"),
            ("C:\\x", "drive"),
            ("C:x", "drive"),
            ("c:", "drive"),
            ("\\\\host\\x", "Windows network path"),
            ("a/\0", "NUL"),
            // Windows reserved names, any case, any extension.
            ("CON", "device name"),
            ("docs/nul.txt", "device name"),
            ("Com1", "device name"),
            ("lpt9.tar.gz", "device name"),
            ("AUX", "device name"),
            ("prn.md", "device name"),
            ("COM\u{b9}", "device name"),
            ("conout$", "device name"),
            ("nul .txt", "device name"),
            // Windows-forbidden characters, trailing dots and spaces.
            ("ab:c", "`:`"),
            ("x/a:b", "`:`"),
            ("a*b", "Windows does not allow"),
            ("a?b", "Windows does not allow"),
            ("a\"b", "Windows does not allow"),
            ("a<b", "Windows does not allow"),
            ("a>b", "Windows does not allow"),
            ("a|b", "Windows does not allow"),
            ("a.", "ends with `.` or a space"),
            ("dir /x", "ends with `.` or a space"),
            // Control characters.
            ("a\nb", "control character"),
            ("a\rb", "control character"),
            ("a\tb", "control character"),
            ("a\u{1b}b", "control character"),
            ("a\u{7f}b", "control character"),
            ("-rf", "starts with `-`"),
            ("a/--help", "starts with `-`"),
            // .git look-alikes.
            (".git.", ".git"),
            (".git ", ".git"),
            ("GIT~1", ".git"),
            ("sub/git~2/x", ".git"),
            (".g\u{200b}it", ".git"),
            (".git\u{200c}", ".git"),
            ("\u{feff}.git", ".git"),
            (".git\u{200d}/config", ".git"),
            (".git::$INDEX_ALLOCATION", ".git"),
            (".GIT:stream", ".git"),
            ("READ\u{200b}ME.md", "invisible character"),
            ("notes.txt:secret", "alternate data stream"),
        ] {
            let err = RelPath::new(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        for good in [
            "a",
            "a/b.txt",
            ".github/workflows/ci.yaml",
            "chart/templates/_helpers.tpl",
            ".gitignore",
            ".git-blame-ignore-revs",
            ".gitkeep",
            "git~x",
            "console.log",
            "CONFIG",
            "com10",
            "lpt",
            "a-b",
            " leading space",
            "caf\u{e9}.txt",
            "cafe\u{301}.txt",
            "\u{1f600}.md",
            "x/.hidden",
        ] {
            assert_eq!(RelPath::new(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn bundle_paths_allow_tera_but_not_escapes() {
        for good in [
            "template/{% if ci == \"github\" %}.github{% endif %}/ci.yaml.tera",
            "template/{{ name | lower }}.txt",
            "template/{% if a < b %}x{% endif %}",
            "template/{{ a }}:{{ b }}",
        ] {
            assert_eq!(RelPath::in_bundle(good).unwrap().as_str(), good);
        }
        for (bad, why) in [
            ("template/../x", "`..`"),
            ("/x", "absolute"),
            ("template/a\\b", "`\\`"),
            ("template/C:x", "drive"),
            ("template/.git/x", ".git"),
            ("template/.GIT./x", ".git"),
            ("template/a\nb", "control character"),
            ("template//x", "empty"),
        ] {
            let err = RelPath::in_bundle(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn is_within_matches_folders_not_prefixes() {
        let p = RelPath::new("alerts/rules.yaml").unwrap();
        assert!(p.is_within("alerts"));
        assert!(p.is_within("alerts/rules.yaml"));
        assert!(!p.is_within("alert"));
        assert!(!p.is_within("alerts/rules"));
    }

    #[test]
    fn write_new_project_is_all_or_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("svc");
        let mut tree = Tree::new();
        tree.insert(RelPath::new("a/b.txt").unwrap(), File::new("hi\n"));
        tree.insert(
            RelPath::new("run.sh").unwrap(),
            File {
                bytes: b"#!/bin/sh\n".to_vec(),
                executable: true,
            },
        );
        write_new_project::<Error>(&dest, &tree, |_| Ok(())).unwrap();
        assert_eq!(fs::read_to_string(dest.join("a/b.txt")).unwrap(), "hi\n");
        assert!(is_executable(&fs::metadata(dest.join("run.sh")).unwrap()));
        // Only the project is left behind, no staging folder.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
        assert_eq!(read_dir(&dest).unwrap(), tree);

        // An existing empty folder is filled in place, not replaced.
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        let inode = |p: &Path| {
            #[cfg(unix)]
            return std::os::unix::fs::MetadataExt::ino(&fs::metadata(p).unwrap());
            #[cfg(not(unix))]
            return 0;
        };
        let before = inode(&empty);
        write_new_project::<Error>(&empty, &tree, |_| Ok(())).unwrap();
        assert_eq!(read_dir(&empty).unwrap(), tree);
        assert_eq!(inode(&empty), before);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);

        // A failure leaves nothing: no staging folder, no parent folders made for it.
        let nested = tmp.path().join("a/b/svc");
        let err = write_new_project::<Error>(&nested, &tree, |_| {
            Err(Error::BadPath {
                path: "x".into(),
                reason: "test",
            })
        });
        assert!(err.is_err());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
    }

    #[test]
    fn the_work_alongside_runs_in_the_staging_folder_and_its_result_reaches_finish() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("svc");
        let mut tree = Tree::new();
        tree.insert(RelPath::new("a/b.txt").unwrap(), File::new("hi\n"));
        let mut got = None;
        write_new_project_alongside::<Error, _, _>(
            &dest,
            &tree,
            Some(|staged: &Path| {
                fs::create_dir(staged.join(".git")).unwrap();
                Ok(7)
            }),
            |staged, along| {
                // Both are done: the tree is written and the work alongside it too.
                assert!(staged.join("a/b.txt").is_file() && staged.join(".git").is_dir());
                got = along;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, Some(7));
        assert!(dest.join(".git").is_dir());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn units_of_work_keep_a_folders_files_together_largest_first() {
        let mut tree = Tree::new();
        let mut add = |path: String| tree.insert(RelPath::new(&path).unwrap(), File::new("x"));
        for i in 0..WRITE_UNIT + 3 {
            add(format!("docs/page-{i:03}.md"));
        }
        for name in ["a", "b", "c"] {
            add(format!("chart/templates/{name}.yaml"));
            add(format!("{name}.txt"));
        }
        add("chart/Chart.yaml".into());
        add("src/main.rs".into());
        let files: Vec<(&RelPath, &File)> = tree.iter().collect();
        let units = units_by_folder(&files);
        let folder = |i: usize| files[i].0.as_str().rsplit_once('/').map_or("", |(f, _)| f);
        let shown: Vec<(&str, usize)> = units.iter().map(|u| (folder(u[0]), u.len())).collect();
        assert_eq!(
            shown,
            [
                ("docs", WRITE_UNIT),
                ("", 3),
                ("chart/templates", 3),
                ("docs", 3),
                ("chart", 1),
                ("src", 1)
            ]
        );
        for unit in &units {
            assert!(unit.windows(2).all(|w| w[0] < w[1]), "in the tree's order");
            assert!(unit.iter().all(|&i| folder(i) == folder(unit[0])));
        }
        let mut all: Vec<usize> = units.concat();
        all.sort_unstable();
        assert_eq!(all, (0..files.len()).collect::<Vec<_>>(), "each file once");
    }

    #[test]
    fn many_files_are_written_by_two_threads_and_the_first_failure_in_order_is_the_error() {
        let tmp = tempfile::tempdir().unwrap();
        let mut many = Tree::new();
        const { assert!(SHARED_WRITE_FROM * 4 <= 256) };
        for i in 0..256 {
            let file = File {
                bytes: format!("file {i}\n").repeat(i).into_bytes(),
                executable: i % 7 == 0,
            };
            many.insert(RelPath::new(&format!("d{}/f{i:03}", i % 5)).unwrap(), file);
        }
        let git = |staged: &Path| -> Result<u8, Error> {
            fs::create_dir(staged.join(".git")).unwrap();
            Ok(1)
        };
        let dest = tmp.path().join("with-git");
        write_new_project_alongside(&dest, &many, Some(git), |_, along| {
            assert_eq!(along, Some(1));
            Ok::<(), Error>(())
        })
        .unwrap();
        assert!(dest.join(".git").is_dir());
        fs::remove_dir(dest.join(".git")).unwrap();
        assert_eq!(read_dir(&dest).unwrap(), many);
        let dest = tmp.path().join("alone");
        write_new_project::<Error>(&dest, &many, |_| Ok(())).unwrap();
        assert_eq!(read_dir(&dest).unwrap(), many);
        for i in [0, 7] {
            let meta = fs::metadata(dest.join(format!("d{}/f{i:03}", i % 5))).unwrap();
            assert_eq!(is_executable(&meta), i % 7 == 0);
        }

        // Two files where folders are (`d1/f051` and `d3/f203`, each with a file inside): the
        // error names the first in the tree's order, whichever thread met it first, and nothing
        // is left.
        let mut bad = many.clone();
        for folder in ["d1/f051", "d3/f203"] {
            bad.insert(
                RelPath::new(&format!("{folder}/x")).unwrap(),
                File::new("x"),
            );
        }
        for run in 0..10 {
            let dest = tmp.path().join(format!("bad-{run}"));
            let err = match run % 2 {
                0 => write_new_project::<Error>(&dest, &bad, |_| Ok(())).unwrap_err(),
                _ => {
                    write_new_project_alongside(&dest, &bad, Some(git), |_, _| Ok(())).unwrap_err()
                }
            };
            match err {
                Error::Write { path, .. } => assert!(path.ends_with("d1/f051"), "{path:?}"),
                other => panic!("{other}"),
            }
            assert!(!dest.exists());
        }
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_failure_on_either_thread_leaves_nothing_and_the_writes_error_comes_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("svc");
        let mut good = Tree::new();
        good.insert(RelPath::new("a/b.txt").unwrap(), File::new("hi\n"));
        // A file where a folder is: the write fails, after its folders are made.
        let mut bad = good.clone();
        bad.insert(RelPath::new("a").unwrap(), File::new("x"));
        let wrote_git = |staged: &Path| -> Result<(), Error> {
            fs::create_dir(staged.join(".git")).unwrap();
            fs::write(staged.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
            Ok(())
        };
        let failed_git = |staged: &Path| -> Result<(), Error> {
            fs::create_dir(staged.join(".git")).unwrap();
            Err(Error::BadPath {
                path: ".git".into(),
                reason: "alongside",
            })
        };
        let finish = |_: &Path, _: Option<()>| -> Result<(), Error> { panic!("finish ran") };

        let err = write_new_project_alongside(&dest, &bad, Some(wrote_git), finish).unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err}");
        let err = write_new_project_alongside(&dest, &good, Some(failed_git), finish).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadPath {
                    reason: "alongside",
                    ..
                }
            ),
            "{err}"
        );
        let err = write_new_project_alongside(&dest, &bad, Some(failed_git), finish).unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err}");
        // No project, no staging folder.
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
