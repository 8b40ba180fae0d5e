//! HSCAN / SSCAN (and any other per-key SCAN): option parsing and the iteration loop of Redis's
//! `scanGenericCommand`, so each collection only supplies "scan one step from this cursor".
use super::keys::parse_cursor;
use crate::resp::Reply;
use crate::server::command::Args;
use crate::util::eq_ic;
use crate::util::parse_i64;

/// The cursor argument (`a[2]`), parsed before the key is looked up, as Redis does.
pub fn cursor(a: &Args) -> Result<u64, Reply> {
    parse_cursor(&a[2]).ok_or_else(|| Reply::err("ERR invalid cursor"))
}

/// MATCH / COUNT options from `a[3..]`.
pub struct Opts {
    pub count: i64,
    pub pattern: Option<Vec<u8>>,
}

pub fn options(a: &Args) -> Result<Opts, Reply> {
    let mut o = Opts {
        count: 10,
        pattern: None,
    };
    let mut i = 3;
    while i < a.len() {
        let more = i + 1 < a.len();
        if eq_ic(&a[i], "count") && more {
            o.count = parse_i64(&a[i + 1]).ok_or_else(Reply::not_integer)?;
            if o.count < 1 {
                return Err(Reply::syntax_error());
            }
        } else if eq_ic(&a[i], "match") && more {
            o.pattern = (a[i + 1].as_slice() != b"*").then(|| a[i + 1].clone());
        } else {
            return Err(Reply::syntax_error());
        }
        i += 2;
    }
    Ok(o)
}

impl Opts {
    /// Run `step(cursor, out)` (which appends the elements of the buckets it visits and
    /// returns the next cursor) until enough elements were gathered, the scan completed, or
    /// ten times COUNT steps were made; then build the reply. `width` is 2 for field/value
    /// pairs, whose field is matched against the pattern.
    pub fn run(
        &self,
        mut cursor: u64,
        width: usize,
        mut step: impl FnMut(u64, &mut Vec<Vec<u8>>) -> u64,
    ) -> Reply {
        let mut found = Vec::new();
        let mut maxit = self.count.saturating_mul(10);
        loop {
            cursor = step(cursor, &mut found);
            if cursor == 0 || maxit == 0 || found.len() as i64 >= self.count {
                break;
            }
            maxit -= 1;
        }
        let items: Vec<Reply> = found
            .chunks(width)
            .filter(|c| match &self.pattern {
                Some(p) => crate::glob::matches(p, &c[0], false),
                None => true,
            })
            .flatten()
            .map(|e| Reply::Bulk(e.clone()))
            .collect();
        reply(cursor, items)
    }
}

/// `[cursor, [items...]]`.
pub fn reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(cursor.to_string().into_bytes()),
        Reply::Array(items),
    ])
}
