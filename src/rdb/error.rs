//! Why a load failed, in the words Redis logs, so operators and log monitors see the same
//! message (`Short read`, `Wrong RDB checksum`, `Can't handle RDB format version N`).
use std::fmt;

#[derive(Debug)]
pub enum RdbError {
    /// The file ended before the data did.
    ShortRead,
    /// The first 5 bytes are not `REDIS`.
    BadSignature,
    /// A version this reader does not know.
    Version(u32),
    /// The CRC64 trailer does not match the contents.
    Checksum { expected: u64, got: u64 },
    /// Structurally invalid data at a byte offset.
    Corrupt { offset: u64, what: String },
    /// Valid data this server cannot hold (module values, streams, too many databases).
    Unsupported(String),
    /// The underlying reader or writer failed (other than by ending early).
    Io(std::io::Error),
}

impl RdbError {
    pub fn corrupt(offset: u64, what: impl Into<String>) -> Self {
        RdbError::Corrupt {
            offset,
            what: what.into(),
        }
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::ShortRead => {
                f.write_str("Short read or OOM loading DB. Unrecoverable error, aborting now.")
            }
            RdbError::BadSignature => f.write_str("Wrong signature trying to load DB from file"),
            RdbError::Version(v) => write!(f, "Can't handle RDB format version {v}"),
            RdbError::Checksum { expected, got } => write!(
                f,
                "Wrong RDB checksum expected: ({expected:x}) got ({got:x}). Aborting now."
            ),
            RdbError::Corrupt { offset, what } => {
                write!(f, "Internal error in RDB reading offset {offset}: {what}")
            }
            RdbError::Unsupported(what) => f.write_str(what),
            RdbError::Io(e) => write!(f, "Error reading the RDB file: {e}"),
        }
    }
}

impl std::error::Error for RdbError {}

impl From<std::io::Error> for RdbError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            RdbError::ShortRead
        } else {
            RdbError::Io(e)
        }
    }
}
