//! Reading text files safely: size limits, binary detection and UTF-8 validation, each failure
//! reported with the line it happens on and what to do about it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file of the checkout, kept in memory so findings can quote it.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the scan root, with `/` separators; what reports print.
    pub path: String,
    /// Path on disk.
    pub abs: PathBuf,
    /// The file's text (a leading byte-order mark is kept; spans account for it).
    pub text: Arc<str>,
}

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FileError {
    /// The operating system refused.
    #[error("cannot read the file: {0}; check that it exists and is readable")]
    Io(String),
    /// Larger than the limit.
    #[error(
        "the file is {size} bytes, above the {limit}-byte limit for one file; \
         split it, or raise the limit with --max-file-size"
    )]
    TooLarge {
        /// Size of the file.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// Contains NUL bytes: not a text file.
    #[error(
        "this is a binary file, not YAML or JSON (NUL byte on line {line}); remove it or rename it"
    )]
    Binary {
        /// Line of the first NUL byte.
        line: u32,
    },
    /// Not valid UTF-8.
    #[error("invalid UTF-8 on line {line}, column {col}; save the file as UTF-8")]
    InvalidUtf8 {
        /// Line of the first invalid byte.
        line: u32,
        /// Column (in bytes) of the first invalid byte.
        col: u32,
    },
}

impl FileError {
    /// The line the error is about (1 when it concerns the whole file).
    pub fn line(&self) -> u32 {
        match self {
            FileError::Binary { line } | FileError::InvalidUtf8 { line, .. } => *line,
            _ => 1,
        }
    }
}

/// Default size limit for one file of the checkout (64 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Reads a file as UTF-8 text, refusing files above `limit` bytes without reading them whole.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::Io(e.to_string()))?;
    let size = file
        .metadata()
        .map_err(|e| FileError::Io(e.to_string()))?
        .len();
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` guards against files that grow while being read.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    bytes_to_text(bytes)
}

/// Validates bytes as UTF-8 text (no NUL bytes).
pub fn bytes_to_text(bytes: Vec<u8>) -> Result<String, FileError> {
    if let Some(nul) = memchr_nul(&bytes) {
        return Err(FileError::Binary {
            line: line_of(&bytes, nul),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line_start = bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        FileError::InvalidUtf8 {
            line: line_of(bytes, at),
            col: (at - line_start) as u32 + 1,
        }
    })
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

fn line_of(bytes: &[u8], at: usize) -> u32 {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u32
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_invalid_utf8_name_their_line() {
        assert_eq!(
            bytes_to_text(b"a: 1\nb: \0\n".to_vec()),
            Err(FileError::Binary { line: 2 })
        );
        assert_eq!(
            bytes_to_text(b"a: 1\nb: 2\nc: \xff\xfe\n".to_vec()),
            Err(FileError::InvalidUtf8 { line: 3, col: 4 })
        );
        assert_eq!(
            bytes_to_text(b"ok: true\n".to_vec()).as_deref(),
            Ok("ok: true\n")
        );
    }

    #[test]
    fn size_limit_is_enforced_before_reading() {
        let dir = std::env::temp_dir().join(format!("driftlens-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let p = dir.join("big.yaml");
        std::fs::write(&p, vec![b'a'; 2048]).expect("write");
        assert!(matches!(
            read_text(&p, 1024),
            Err(FileError::TooLarge {
                size: 2048,
                limit: 1024
            })
        ));
        assert!(read_text(&p, 4096).is_ok());
        assert!(matches!(
            read_text(&dir.join("missing.yaml"), 10),
            Err(FileError::Io(_))
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
