//! UTF-8 validation of a document read in pieces (the text scan, the XML
//! check): one character may be cut between two pieces.

/// UTF-8 validation of a stream read in pieces: a character cut by a
/// piece's end is completed by the next piece.
#[derive(Default)]
pub(crate) struct Utf8Stream {
    /// The first bytes of a character the last piece ended inside.
    pending: Vec<u8>,
}

impl Utf8Stream {
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> Result<(), ()> {
        if let Some(&lead) = self.pending.first() {
            let width = match lead {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let need = (width - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..need]);
            bytes = &bytes[need..];
            if self.pending.len() < width {
                // Still cut: only a prefix can be checked.
                return match std::str::from_utf8(&self.pending) {
                    Err(e) if e.error_len().is_some() => Err(()),
                    _ => Ok(()),
                };
            }
            std::str::from_utf8(&self.pending).map_err(|_| ())?;
            self.pending.clear();
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.pending.extend_from_slice(&bytes[e.valid_up_to()..]);
                Ok(())
            }
            Err(_) => Err(()),
        }
    }

    pub(crate) fn finish(&self) -> Result<(), ()> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(())
        }
    }
}
