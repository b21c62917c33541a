//! A pack of whole objects (git's `objects/pack/pack-*.pack`, version 2), built in memory.
//!
//! No delta search: each object is stored deflated on its own, as `git fast-import` does. The
//! objects of a new project are all different files, so deltas would find little, and the point
//! is the file count: one pack and its index hold any number of objects, where loose objects
//! cost a temporary file, a rename and often a fan-out folder each.
//!
//! Format (git's `Documentation/gitformat-pack.txt`): `PACK`, version 2 and the object count as
//! 32-bit big-endian numbers; each object as its type and inflated size in a varint header
//! followed by its zlib stream; then the SHA-1 of everything before it.

use flate2::{Compress, Compression, FlushCompress, Status};
use git2::{ObjectType, Oid};
use std::collections::HashSet;

/// A pack being built; [`Pack::finish`] returns its bytes.
pub struct Pack {
    bytes: Vec<u8>,
    ids: HashSet<Oid>,
    deflate: Compress,
}

impl Default for Pack {
    fn default() -> Pack {
        Pack::new()
    }
}

impl Pack {
    pub fn new() -> Pack {
        let mut bytes = Vec::with_capacity(64 * 1024);
        bytes.extend_from_slice(b"PACK");
        bytes.extend_from_slice(&2u32.to_be_bytes());
        // The count, filled in by `finish`.
        bytes.extend_from_slice(&0u32.to_be_bytes());
        Pack {
            bytes,
            ids: HashSet::new(),
            // Level 1, as libgit2 deflates loose objects: the first commit is written once and
            // read a few times, and level 6 took longer than all the rest of `new` together.
            deflate: Compress::new(Compression::fast(), true),
        }
    }

    /// Adds the object `data` of type `kind` unless the pack holds it already (two files with
    /// the same bytes are one blob; a pack should not hold an object twice). Returns its id.
    pub fn add(&mut self, kind: ObjectType, data: &[u8]) -> Result<Oid, git2::Error> {
        let id = Oid::hash_object(kind, data)?;
        if self.ids.insert(id) {
            self.header(kind, data.len());
            self.deflate(data);
        }
        Ok(id)
    }

    /// How many objects the pack holds.
    #[cfg(test)]
    pub fn objects(&self) -> usize {
        self.ids.len()
    }

    /// The whole pack, count and trailer included.
    pub fn finish(mut self) -> Vec<u8> {
        let count = u32::try_from(self.ids.len()).expect("fewer than 2^32 objects");
        self.bytes[8..12].copy_from_slice(&count.to_be_bytes());
        let trailer = sha1_smol::Sha1::from(&self.bytes).digest().bytes();
        self.bytes.extend_from_slice(&trailer);
        self.bytes
    }

    /// The object header: type in bits 4-6 of the first byte, the size in its low 4 bits and
    /// then 7 bits a byte, low bits first; the top bit says another byte follows.
    fn header(&mut self, kind: ObjectType, size: usize) {
        let code: u8 = match kind {
            ObjectType::Commit => 1,
            ObjectType::Tree => 2,
            ObjectType::Blob => 3,
            ObjectType::Tag => 4,
            other => unreachable!("a pack holds no {other:?} object"),
        };
        let mut size = size as u64;
        let mut byte = (code << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            self.bytes.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        self.bytes.push(byte);
    }

    /// Appends `data` as one zlib stream. One deflate state is reset and reused for every
    /// object rather than set up (and its 256 KB allocated) again for each.
    fn deflate(&mut self, data: &[u8]) {
        self.deflate.reset();
        loop {
            let read = self.deflate.total_in() as usize;
            // zlib's bound for stored blocks plus room for its header and checksum.
            self.bytes
                .reserve(data.len() - read + data.len() / 1000 + 64);
            let status = self
                .deflate
                .compress_vec(&data[read..], &mut self.bytes, FlushCompress::Finish)
                .expect("deflating memory into memory cannot fail");
            if status == Status::StreamEnd {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libgit2_indexes_a_pack_and_reads_every_object_back() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(tmp.path()).unwrap();
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let objects: Vec<(ObjectType, Vec<u8>)> = vec![
            (ObjectType::Blob, b"".to_vec()),
            (ObjectType::Blob, b"hello\n".to_vec()),
            // 15 and 16 bytes: the size's first header byte is full, then needs a second.
            (ObjectType::Blob, vec![b'x'; 15]),
            (ObjectType::Blob, vec![b'y'; 16]),
            (ObjectType::Blob, big),
        ];
        let mut pack = Pack::new();
        let mut ids = Vec::new();
        for (kind, data) in &objects {
            ids.push(pack.add(*kind, data).unwrap());
        }
        // The same bytes again: one object.
        assert_eq!(pack.add(ObjectType::Blob, b"hello\n").unwrap(), ids[1]);
        assert_eq!(pack.objects(), objects.len());
        let bytes = pack.finish();
        let odb = repo.odb().unwrap();
        let mut writer = odb.packwriter().unwrap();
        std::io::Write::write_all(&mut writer, &bytes).unwrap();
        writer.commit().unwrap();
        for ((kind, data), id) in objects.iter().zip(&ids) {
            let object = odb.read(*id).unwrap();
            assert_eq!(object.kind(), *kind);
            assert_eq!(object.data(), &data[..]);
        }
    }
}
