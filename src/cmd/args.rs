//! Argument helpers for handlers: integer/float parsing with Redis's error replies.
use crate::resp::Reply;
use crate::util::{parse_f64, parse_i64};

pub fn int(a: &[u8]) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(Reply::not_integer)
}

pub fn float(a: &[u8]) -> Result<f64, Reply> {
    parse_f64(a).ok_or_else(Reply::not_float)
}

/// Unwrap a `Result<T, Reply>` inside a handler, returning the error reply.
#[macro_export]
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}
