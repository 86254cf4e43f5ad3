//! A file's stat identity: what tells that a file may have changed without reading it.
//!
//! Device and inode (a file renamed over another), size, and the modification and change times
//! to the nanosecond (`cp -p`, `touch -d`, `rsync -t` restore an old mtime, only the ctime
//! moves). Used by the configuration reload, the parsed-files cache and the fingerprint.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileStat {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Seconds and nanoseconds.
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl FileStat {
    pub fn of(meta: &Metadata) -> FileStat {
        FileStat {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The file's stat identity (following symlinks), None when it cannot be stat'ed.
    pub fn read(path: &Path) -> Option<FileStat> {
        std::fs::metadata(path).ok().map(|m| FileStat::of(&m))
    }

    /// Feeds every field to a hasher, in a fixed order.
    pub fn hash_into(&self, h: &mut blake3::Hasher) {
        for n in [self.dev, self.ino, self.size] {
            h.update(&n.to_le_bytes());
        }
        for (s, ns) in [self.mtime, self.ctime] {
            h.update(&s.to_le_bytes());
            h.update(&ns.to_le_bytes());
        }
    }
}
