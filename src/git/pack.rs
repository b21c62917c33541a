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
//!
//! Its index (`pack-*.idx`, version 2) is built here too, from what the pack already knows
//! (each object's id, offset and CRC-32), rather than by libgit2's indexer, which would read the
//! pack back, inflate and hash every object again, and write both files through temporary ones.

use flate2::{Compress, Compression, FlushCompress, Status};
use git2::{ObjectType, Oid};
use std::collections::HashSet;

/// A pack being built; [`Pack::finish`] returns its bytes and its index.
pub struct Pack {
    bytes: Vec<u8>,
    ids: HashSet<Oid>,
    /// Each object's id, offset in the pack and the CRC-32 of its bytes there, for the index.
    entries: Vec<(Oid, u64, u32)>,
    deflate: Compress,
}

/// A finished pack: the `.pack` and `.idx` files' bytes, and the name git gives them.
pub struct Packed {
    pub pack: Vec<u8>,
    pub index: Vec<u8>,
    /// The pack's checksum in hex: the files are `pack-<name>.pack` and `pack-<name>.idx`.
    pub name: String,
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
            entries: Vec::new(),
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
            let start = self.bytes.len();
            self.header(kind, data.len());
            self.deflate(data);
            let mut crc = flate2::Crc::new();
            crc.update(&self.bytes[start..]);
            self.entries.push((id, start as u64, crc.sum()));
        }
        Ok(id)
    }

    /// How many objects the pack holds.
    #[cfg(test)]
    pub fn objects(&self) -> usize {
        self.ids.len()
    }

    /// The whole pack, count and trailer included, and its index.
    pub fn finish(mut self) -> Packed {
        let count = u32::try_from(self.ids.len()).expect("fewer than 2^32 objects");
        self.bytes[8..12].copy_from_slice(&count.to_be_bytes());
        let trailer = sha1_smol::Sha1::from(&self.bytes).digest().bytes();
        self.bytes.extend_from_slice(&trailer);
        let index = pack_index(&mut self.entries, &trailer);
        Packed {
            pack: self.bytes,
            index,
            name: trailer.iter().map(|b| format!("{b:02x}")).collect(),
        }
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

/// The index of a pack (`gitformat-pack.txt`, "Version 2 pack-*.idx files"): `\377tOc`, version
/// 2; a fan-out table (for each first byte, how many ids are at most it); the ids in order; their
/// CRC-32s; their offsets (31 bits, or, with the top bit set, the position of a 64-bit offset in
/// the table that follows, for packs over 2 GiB); the pack's checksum; the SHA-1 of all before.
fn pack_index(entries: &mut [(Oid, u64, u32)], pack_checksum: &[u8; 20]) -> Vec<u8> {
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = Vec::with_capacity(8 + 256 * 4 + entries.len() * 28 + 40);
    out.extend_from_slice(b"\xfftOc");
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for (id, _, _) in entries.iter() {
        fanout[id.as_bytes()[0] as usize] += 1;
    }
    let mut total = 0u32;
    for count in fanout {
        total += count;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for (id, _, _) in entries.iter() {
        out.extend_from_slice(id.as_bytes());
    }
    for (_, _, crc) in entries.iter() {
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for (_, offset, _) in entries.iter() {
        let small = match u32::try_from(*offset) {
            Ok(small) if small < 0x8000_0000 => small,
            _ => {
                large.push(*offset);
                0x8000_0000 | (large.len() as u32 - 1)
            }
        };
        out.extend_from_slice(&small.to_be_bytes());
    }
    for offset in large {
        out.extend_from_slice(&offset.to_be_bytes());
    }
    out.extend_from_slice(pack_checksum);
    let checksum = sha1_smol::Sha1::from(&out).digest().bytes();
    out.extend_from_slice(&checksum);
    out
}

/// The name git gives the pack whose bytes are `pack`: its trailing checksum (the last 20
/// bytes) in lower-case hex, as in `pack-<name>.pack` and `pack-<name>.idx`. For a pack written
/// by another writer (libgit2's), whose files must be found by that name.
pub fn pack_name(pack: &[u8]) -> String {
    pack[pack.len().saturating_sub(20)..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packs_name_is_its_trailers_hex_as_finish_gives_it() {
        let mut pack = Pack::new();
        pack.add(ObjectType::Blob, b"hello\n").unwrap();
        let packed = pack.finish();
        assert_eq!(pack_name(&packed.pack), packed.name);
        assert_eq!(packed.name.len(), 40);
    }

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
        let packed = pack.finish();
        // libgit2's indexer, given the pack, writes the index this module wrote itself.
        let odb = repo.odb().unwrap();
        let mut writer = odb.packwriter().unwrap();
        std::io::Write::write_all(&mut writer, &packed.pack).unwrap();
        writer.commit().unwrap();
        let packs = tmp.path().join("objects/pack");
        let name = format!("pack-{}", packed.name);
        assert_eq!(
            std::fs::read(packs.join(format!("{name}.pack"))).unwrap(),
            packed.pack
        );
        assert_eq!(
            std::fs::read(packs.join(format!("{name}.idx"))).unwrap(),
            packed.index
        );
        for ((kind, data), id) in objects.iter().zip(&ids) {
            let object = odb.read(*id).unwrap();
            assert_eq!(object.kind(), *kind);
            assert_eq!(object.data(), &data[..]);
        }
    }

    #[test]
    fn offsets_past_2_gib_go_in_the_large_offset_table() {
        let id = |byte: u8| Oid::from_bytes(&[byte; 20]).unwrap();
        let mut entries = vec![
            (id(3), 5_000_000_000, 0xdead_beef),
            (id(1), 12, 1),
            (id(2), 0x8000_0000, 2),
        ];
        let index = pack_index(&mut entries, &[7; 20]);
        let u32_at = |at: usize| u32::from_be_bytes(index[at..at + 4].try_into().unwrap());
        let (ids, crcs, offsets) = (8 + 1024, 8 + 1024 + 60, 8 + 1024 + 72);
        // Fan-out: none below 1, one at most 1, ..., three from 3 up.
        assert_eq!(
            (u32_at(8), u32_at(8 + 4), u32_at(8 + 12), u32_at(8 + 1020)),
            (0, 1, 3, 3)
        );
        assert_eq!(&index[ids..ids + 20], id(1).as_bytes());
        assert_eq!(u32_at(crcs + 8), 0xdead_beef);
        assert_eq!(
            (u32_at(offsets), u32_at(offsets + 4), u32_at(offsets + 8)),
            (12, 0x8000_0000, 0x8000_0001)
        );
        let large = offsets + 12;
        let u64_at = |at: usize| u64::from_be_bytes(index[at..at + 8].try_into().unwrap());
        assert_eq!(
            (u64_at(large), u64_at(large + 8)),
            (0x8000_0000, 5_000_000_000)
        );
        assert_eq!(&index[large + 16..large + 36], &[7; 20]);
        assert_eq!(index.len(), large + 56);
    }
}
