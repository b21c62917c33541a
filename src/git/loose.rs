//! Reading a repository's loose blobs (`objects/ab/cdef...`) straight from their files, on two
//! threads, for [`super::TagRepo::read_tree`].
//!
//! Why not libgit2: a bundle repository made with `git add` and `git commit` and never packed
//! holds every template as a loose object, and libgit2 reads each one with five system calls
//! (`access`, `stat`, `open`, `read`, `close`) after looking for it in every pack first, one at a
//! time, on one thread (`git2::Repository` cannot be shared between threads). At 1,000 templates
//! that was half of `new`'s system calls (issue #16). Here each file is opened, read and closed
//! (three calls), inflated and checked against its id, on two threads.
//!
//! What is not a loose file under `objects/` (packed, in an alternate, unreadable) is left to
//! libgit2, which reads it or reports it as before. A loose file that does not hold the blob it
//! is named for (cut short, not zlib, another object, another content) is reported here: libgit2
//! never returns from inflating a loose object cut short (seen with the vendored libgit2 1.9, on
//! a file truncated to half its size: `new` hung; libgit2 issue 7342, fixed after 1.9.7, and in
//! goldpath's vendored copy: vendor/README.md). When libgit2 fails to read a commit, tree or tag
//! object of a bundle, [`check`] says whether its loose file is damaged, and how, for the error.

use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Below this many blobs one thread reads them all: a thread costs more than it saves.
const PARALLEL_FROM: usize = 64;

/// What reading one blob as a loose object found.
#[derive(Debug, PartialEq, Eq)]
pub enum Loose {
    /// Its content, checked against its id.
    Blob(Vec<u8>),
    /// No loose file of it could be read (it is packed, in an alternate, or unreadable): it is
    /// for libgit2 to read or refuse.
    Elsewhere,
    /// Its file, at `path`, does not hold it, for the reason `why`.
    Damaged { path: PathBuf, why: &'static str },
}

/// Each blob of `ids` as a loose object under `objects` (the repository's `objects/` folder),
/// in order.
pub fn read_blobs(objects: &Path, ids: &[Oid]) -> Vec<Loose> {
    if ids.len() < PARALLEL_FROM {
        let mut reader = Reader::new(objects);
        return ids.iter().map(|id| reader.blob(*id)).collect();
    }
    // Two halves: `new` runs on machines of two cores or more, and the reads are short.
    let (first, second) = ids.split_at(ids.len() / 2);
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| {
            let mut reader = Reader::new(objects);
            second.iter().map(|id| reader.blob(*id)).collect::<Vec<_>>()
        });
        let mut reader = Reader::new(objects);
        let mut out: Vec<_> = first.iter().map(|id| reader.blob(*id)).collect();
        match helper.join() {
            Ok(rest) => out.extend(rest),
            // A panic on the helper (none is expected) leaves its half to libgit2.
            Err(_) => out.resize_with(ids.len(), || Loose::Elsewhere),
        }
        out
    })
}

/// Whether the loose file of object `id` (any kind) under `objects`, if there is one, holds it:
/// `Some((path, why))` when it does not. What is not a loose file is for libgit2.
pub fn check(objects: &Path, id: Oid) -> Option<(PathBuf, &'static str)> {
    match Reader::new(objects).object(id, None) {
        Loose::Damaged { path, why } => Some((path, why)),
        Loose::Blob(_) | Loose::Elsewhere => None,
    }
}

/// One thread's reader: the buffers are reused from one object to the next.
struct Reader {
    path: PathBuf,
    /// The object's file as read (zlib): the first `filled` bytes. Zeroed once, then reused.
    deflated: Vec<u8>,
    filled: usize,
    inflate: Decompress,
}

impl Reader {
    fn new(objects: &Path) -> Reader {
        let mut path = objects.to_path_buf();
        // `ab/cdef...`, replaced for each object.
        path.push("00");
        path.push("0".repeat(38));
        Reader {
            path,
            deflated: vec![0; 64 * 1024],
            filled: 0,
            inflate: Decompress::new(true),
        }
    }

    /// The loose blob `id`.
    fn blob(&mut self, id: Oid) -> Loose {
        self.object(id, Some(git2::ObjectType::Blob))
    }

    /// The loose object `id`, of the kind `want` if given (else any kind); its content is
    /// returned as [`Loose::Blob`] whatever its kind.
    fn object(&mut self, id: Oid, want: Option<git2::ObjectType>) -> Loose {
        let hex = id.to_string();
        self.path.pop();
        self.path.pop();
        self.path.push(&hex[..2]);
        self.path.push(&hex[2..]);
        let Ok(mut file) = File::open(&self.path) else {
            return Loose::Elsewhere;
        };
        self.filled = 0;
        if !self.read_on(&mut file) {
            return Loose::Elsewhere;
        }
        let damaged = |path: &Path, why| Loose::Damaged {
            path: path.to_path_buf(),
            why,
        };
        let object = loop {
            match self.inflated() {
                Some(object) => break object,
                // Read to the end first: a file system may have read less than there was.
                None => {
                    let before = self.filled;
                    if !(self.read_on(&mut file) && self.filled > before) {
                        return damaged(&self.path, "it is not one whole zlib stream (cut short?)");
                    }
                }
            }
        };
        // `blob <size>\0<content>`, and the id is the SHA-1 of all of it, hashed as libgit2
        // hashes it (with its check for SHA-1 collision attacks, which refuses a crafted object).
        let Some(nul) = object.iter().position(|&b| b == 0) else {
            return damaged(&self.path, "it has no object header");
        };
        // `<kind> <size>`.
        let header = std::str::from_utf8(&object[..nul])
            .ok()
            .and_then(|h| h.split_once(' '));
        let kind = header.and_then(|(kind, _)| git2::ObjectType::from_str(kind));
        let size = header.and_then(|(_, size)| size.parse::<usize>().ok());
        let content = &object[nul + 1..];
        let Some(kind) = kind.filter(|k| want.is_none_or(|w| w == *k)) else {
            return damaged(
                &self.path,
                match want {
                    Some(git2::ObjectType::Blob) => "it holds another kind of object than a blob",
                    _ => "its header names no kind of object",
                },
            );
        };
        if size != Some(content.len()) {
            return damaged(&self.path, "its content is not the size its header says");
        }
        if Oid::hash_object(kind, content).ok() != Some(id) {
            return damaged(
                &self.path,
                "its content does not hash to the id it is named by",
            );
        }
        let mut content = object;
        content.drain(..=nul);
        Loose::Blob(content)
    }

    /// Reads on from `file` into `deflated`, after its first `filled` bytes; false when a read
    /// fails.
    fn read_on(&mut self, file: &mut File) -> bool {
        loop {
            if self.filled == self.deflated.len() {
                self.deflated.resize(self.deflated.len() * 2, 0);
            }
            let Ok(n) = file.read(&mut self.deflated[self.filled..]) else {
                return false;
            };
            self.filled += n;
            // A read that leaves room is at the end of the file (Linux reads a regular file
            // whole up to the room given): no second `read` to be told so. Were it not the
            // end, the zlib stream would be cut short, and `blob` reads on.
            if n == 0 || self.filled < self.deflated.len() {
                return true;
            }
        }
    }

    /// The object's bytes: `deflated` inflated whole, or `None` if it is not one zlib stream.
    fn inflated(&mut self) -> Option<Vec<u8>> {
        self.inflate.reset(true);
        // Text compresses 2-4x; grown as needed.
        let deflated = &self.deflated[..self.filled];
        let mut out = Vec::with_capacity(deflated.len() * 4 + 64);
        loop {
            let read = self.inflate.total_in() as usize;
            let status = self
                .inflate
                .decompress_vec(&deflated[read..], &mut out, FlushDecompress::Finish)
                .ok()?;
            match status {
                Status::StreamEnd => break,
                // Out of room: more room. Out of input before the end: not a whole object.
                _ if out.len() == out.capacity() => out.reserve(out.capacity()),
                _ => return None,
            }
        }
        (self.inflate.total_in() as usize == deflated.len()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_loose_blobs_reports_damaged_ones_and_leaves_the_rest_to_libgit2() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(tmp.path()).unwrap();
        let objects = tmp.path().join(".git/objects");
        // Empty, small, large enough to need more room than guessed, binary, and many (two
        // threads).
        let mut contents: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"hello\n".to_vec(),
            "x".repeat(1 << 20).into_bytes(),
            (0..=255u8).cycle().take(70_000).collect(),
        ];
        contents.extend((0..PARALLEL_FROM + 3).map(|i| format!("page {i}\n").into_bytes()));
        let ids: Vec<Oid> = contents.iter().map(|c| repo.blob(c).unwrap()).collect();
        for read in [read_blobs(&objects, &ids), read_blobs(&objects, &ids[..4])] {
            for (i, got) in read.iter().enumerate() {
                assert_eq!(got, &Loose::Blob(contents[i].clone()), "blob {i}");
            }
        }

        // Not loose (missing) is left to libgit2; a tree where a blob is named, a file cut
        // short, a file that is not zlib, and a blob whose file holds another blob are damaged;
        // the others still read.
        let missing = Oid::from_str("1234567890123456789012345678901234567890").unwrap();
        let tree = repo.treebuilder(None).unwrap().write().unwrap();
        let path_of = |id: Oid| {
            let hex = id.to_string();
            objects.join(&hex[..2]).join(&hex[2..])
        };
        let cut = repo.blob(b"to be cut short").unwrap();
        let bytes = std::fs::read(path_of(cut)).unwrap();
        set_writable(&path_of(cut));
        std::fs::write(path_of(cut), &bytes[..bytes.len() / 2]).unwrap();
        let not_zlib = repo.blob(b"to be replaced").unwrap();
        set_writable(&path_of(not_zlib));
        std::fs::write(path_of(not_zlib), b"blob 3\0abc").unwrap();
        let swapped = repo.blob(b"to be swapped").unwrap();
        set_writable(&path_of(swapped));
        std::fs::copy(path_of(ids[1]), path_of(swapped)).unwrap();
        let read = read_blobs(&objects, &[missing, tree, cut, ids[1], not_zlib, swapped]);
        let damaged = |id: Oid, why| Loose::Damaged {
            path: path_of(id),
            why,
        };
        assert_eq!(
            read,
            [
                Loose::Elsewhere,
                damaged(tree, "it holds another kind of object than a blob"),
                damaged(cut, "it is not one whole zlib stream (cut short?)"),
                Loose::Blob(b"hello\n".to_vec()),
                damaged(not_zlib, "it is not one whole zlib stream (cut short?)"),
                damaged(
                    swapped,
                    "its content does not hash to the id it is named by"
                ),
            ]
        );
    }

    fn set_writable(path: &Path) {
        let mut perms = std::fs::metadata(path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(path, perms).unwrap();
    }
}
