//! The reply value every command handler returns. Encoding is separate (see `encode`), so
//! handlers never think about the protocol version of the client.

/// A reply to one command. RESP3-only shapes (maps, sets, doubles, booleans, pushes) degrade to
/// their RESP2 equivalents when the client has not switched protocol with `HELLO 3`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`
    Ok,
    /// A status reply such as `+PONG`.
    Status(String),
    /// An error; the text includes its prefix, e.g. `ERR syntax error` or `WRONGTYPE ...`.
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    Nil,
    /// The null array (`*-1` in RESP2, `_` in RESP3).
    NilArray,
    Array(Vec<Reply>),
    /// A map in RESP3; a flat array of alternating keys and values in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A set in RESP3; an array in RESP2.
    Set(Vec<Reply>),
    /// A double in RESP3; a bulk string in RESP2.
    Double(f64),
    /// A double written with this text rather than `%.17g` (GEOPOS coordinates, printed
    /// `%.17Lf` with trailing zeros trimmed): `,text` in RESP3, a bulk string in RESP2.
    DoubleText(String),
    /// A boolean in RESP3; an integer 1/0 in RESP2.
    Bool(bool),
    /// Verbatim string (`=len\r\ntxt:...`) in RESP3; a bulk string in RESP2.
    Verbatim(Vec<u8>),
    /// Out-of-band push in RESP3; an array in RESP2.
    Push(Vec<Reply>),
    /// A big number (`(digits`) in RESP3; a bulk string in RESP2 (scripts return them).
    BigNumber(String),
    /// No reply at all (e.g. `CLIENT REPLY OFF`, a blocked client).
    None,
}

impl Reply {
    pub fn err(msg: impl Into<String>) -> Reply {
        Reply::Error(msg.into())
    }

    pub fn bulk(b: impl Into<Vec<u8>>) -> Reply {
        Reply::Bulk(b.into())
    }

    pub fn status(s: impl Into<String>) -> Reply {
        Reply::Status(s.into())
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    // Common errors, worded exactly as Redis words them.
    pub fn syntax_error() -> Reply {
        Reply::err("ERR syntax error")
    }
    pub fn wrong_type() -> Reply {
        Reply::err("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
    pub fn not_integer() -> Reply {
        Reply::err("ERR value is not an integer or out of range")
    }
    pub fn not_float() -> Reply {
        Reply::err("ERR value is not a valid float")
    }
    pub fn no_such_key() -> Reply {
        Reply::err("ERR no such key")
    }
    pub fn out_of_range() -> Reply {
        Reply::err("ERR index out of range")
    }
    pub fn wrong_arity(cmd: &str) -> Reply {
        Reply::Error(format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.to_ascii_lowercase()
        ))
    }
}
