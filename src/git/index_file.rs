//! The index (`.git/index`) of a new project's first commit, written in one piece.
//!
//! libgit2 made it through a lock file after reading the repository's config three times and
//! checking each entry's blob in the object store (issue #16); the entries are known here, and
//! the format is short (git's `Documentation/gitformat-index.txt`, version 2): `DIRC`, version
//! 2 and the entry count as 32-bit big-endian numbers; each entry's stat data, mode, size, blob
//! id, flags (the path's length, at most 0xfff) and path, NUL-padded to a multiple of 8 bytes;
//! the entries sorted by path bytes; then the SHA-1 of everything before.

/// The index holding `entries`. Their paths must be distinct; they are sorted here.
pub fn bytes(entries: &mut [git2::IndexEntry]) -> Vec<u8> {
    entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    let mut out = Vec::with_capacity(12 + entries.len() * 80 + 20);
    out.extend_from_slice(b"DIRC");
    out.extend_from_slice(&2u32.to_be_bytes());
    let count = u32::try_from(entries.len()).expect("fewer than 2^32 files");
    out.extend_from_slice(&count.to_be_bytes());
    for e in entries.iter() {
        let start = out.len();
        for n in [
            e.ctime.seconds() as u32,
            e.ctime.nanoseconds(),
            e.mtime.seconds() as u32,
            e.mtime.nanoseconds(),
            e.dev,
            e.ino,
            e.mode,
            e.uid,
            e.gid,
            e.file_size,
        ] {
            out.extend_from_slice(&n.to_be_bytes());
        }
        out.extend_from_slice(e.id.as_bytes());
        // Stage 0, no extended flags (version 2): only the name's length, capped.
        let flags = e.path.len().min(0xfff) as u16;
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(&e.path);
        // At least one NUL, up to the next multiple of 8 from the entry's start.
        let len = out.len() - start;
        out.resize(start + (len + 8) / 8 * 8, 0);
    }
    let checksum = sha1_smol::Sha1::from(&out).digest().bytes();
    out.extend_from_slice(&checksum);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, id: git2::Oid, mode: u32, seconds: i32) -> git2::IndexEntry {
        git2::IndexEntry {
            ctime: git2::IndexTime::new(seconds, 7),
            mtime: git2::IndexTime::new(seconds + 1, 999_999_999),
            dev: 2049,
            ino: 1234,
            mode,
            uid: 1000,
            gid: 100,
            file_size: 42,
            id,
            flags: path.len().min(0xfff) as u16,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        }
    }

    /// Every field of an entry, as libgit2 reads it back.
    fn fields(e: &git2::IndexEntry) -> impl PartialEq + std::fmt::Debug {
        (
            (e.ctime.seconds(), e.ctime.nanoseconds()),
            (e.mtime.seconds(), e.mtime.nanoseconds()),
            (e.dev, e.ino, e.mode, e.uid, e.gid, e.file_size),
            e.id,
            e.flags,
            e.path.clone(),
        )
    }

    #[test]
    fn libgit2_reads_back_every_field_of_every_entry_in_git_order() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(tmp.path()).unwrap();
        let id = repo.blob(b"x\n").unwrap();
        // Path lengths 1 to 9 cover every padding (62-byte fixed part + name, to 8 bytes),
        // `a-b` sorts before `a/b` by bytes, and one name is longer than the flags can say.
        let long = "d/".repeat(2100) + "f";
        let mut entries: Vec<git2::IndexEntry> = [
            "a/b", "a-b", "z", "a0", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh", "bin/run",
        ]
        .iter()
        .enumerate()
        .map(|(n, p)| {
            entry(
                p,
                id,
                if *p == "bin/run" { 0o100755 } else { 0o100644 },
                n as i32,
            )
        })
        .chain([entry(&long, id, 0o100644, 50)])
        .collect();
        let written = bytes(&mut entries);
        let file = tmp.path().join(".git/index");
        std::fs::write(&file, &written).unwrap();
        let index = git2::Index::open(&file).unwrap();
        let read: Vec<_> = index.iter().map(|e| fields(&e)).collect();
        let expected: Vec<_> = entries.iter().map(fields).collect();
        assert_eq!(read, expected);
        let paths: Vec<String> = index
            .iter()
            .map(|e| String::from_utf8(e.path).unwrap())
            .collect();
        assert_eq!(&paths[..3], ["a-b", "a/b", "a0"]);
        // git itself reads it too.
        let out = std::process::Command::new("git")
            .args(["ls-files", "--stage"])
            .current_dir(tmp.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(listed.lines().count(), entries.len());
        assert!(
            listed.contains(&format!("100755 {id} 0\tbin/run\n")),
            "{listed}"
        );
    }
}
