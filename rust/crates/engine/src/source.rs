use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Random-access bytes. Parsers read bounded ranges; nothing maps or loads
/// the whole document.
pub trait Source: Sync {
    fn len(&self) -> u64;
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads up to `max` bytes at `offset` (fewer at the end of the source).
    fn read_range(&self, offset: u64, max: usize) -> io::Result<Vec<u8>> {
        let available = self.len().saturating_sub(offset).min(max as u64) as usize;
        let mut buf = vec![0u8; available];
        let mut filled = 0;
        while filled < available {
            let n = self.read_at(offset + filled as u64, &mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        Ok(buf)
    }
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(<[u8]>::len(self));
        let n = buf.len().min(<[u8]>::len(self) - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

impl Source for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        (&self.as_slice()).read_at(offset, buf)
    }
}

pub struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }
}

/// Sequential reads over a source, for parsers that stream.
pub struct Cursor<'a> {
    src: &'a dyn Source,
    pub pos: u64,
    end: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a dyn Source, pos: u64, end: u64) -> Self {
        Cursor {
            src,
            pos,
            end: end.min(src.len()),
        }
    }
}

impl io::Read for Cursor<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        let want = (buf.len() as u64).min(left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.src.read_at(self.pos, &mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// The one way streaming parsers read a document: fixed-size chunks, with the
/// wall-clock budget checked before every read, so neither memory nor time
/// depends on what the document claims about itself.
pub struct Chunks<'a> {
    cursor: Cursor<'a>,
    buf: Vec<u8>,
    deadline: &'a crate::budget::Deadline,
    /// Offset of the first byte of the chunk last returned.
    pub offset: u64,
}

impl<'a> Chunks<'a> {
    pub fn new(
        src: &'a dyn Source,
        start: u64,
        chunk: usize,
        deadline: &'a crate::budget::Deadline,
    ) -> Self {
        Chunks {
            cursor: Cursor::new(src, start, src.len()),
            buf: vec![0u8; chunk],
            deadline,
            offset: start,
        }
    }

    /// The next chunk, `None` at the end of the document.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, crate::verdict::Rejection> {
        use io::Read;
        self.deadline.check()?;
        self.offset = self.cursor.pos;
        let mut filled = 0;
        while filled < self.buf.len() {
            let n = self
                .cursor
                .read(&mut self.buf[filled..])
                .map_err(crate::verdict::Rejection::io)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok((filled > 0).then(|| &self.buf[..filled]))
    }
}
