//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (BITFIELD lives in `bitfield`).
//! Bitmaps are plain strings in the keyspace; replies, error texts and the order in which
//! arguments are checked follow Redis 7.0 (`bitops.c` semantics), as does what counts as a
//! change (a SETBIT that leaves the bit as it was changes nothing, and is not propagated).
use super::bitfield;
use super::keys::{lookup_read, proto_max_bulk_len};
use crate::bits;
use crate::db::{StrEnc, Value};
use crate::resp::Reply;
use crate::server::client::ClientKind;
use crate::server::command::{flags::*, single_key, Args, Command};
use crate::server::Ctx;
use crate::tri;
use crate::util::parse_i64;

fn offset_error() -> Reply {
    Reply::err("ERR bit offset is not an integer or out of range")
}

/// A bit offset argument. With `hash_bits` (BITFIELD), `#N` means N times the field width.
/// Offsets past `proto-max-bulk-len` bytes are refused, except from the master.
pub(super) fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, Reply> {
    let hashed = hash_bits.is_some() && arg.len() > 1 && arg[0] == b'#';
    let digits = if hashed { &arg[1..] } else { arg };
    let mut off = parse_i64(digits).ok_or_else(offset_error)?;
    if let (true, Some(bits)) = (hashed, hash_bits) {
        off = off.wrapping_mul(bits as i64);
    }
    let limited = ctx.client.kind != ClientKind::Master;
    if off < 0 || (limited && (off >> 3) >= proto_max_bulk_len(ctx)) {
        return Err(offset_error());
    }
    Ok(off as u64)
}

/// The string at `key` ready for writing bits up to bit `maxbit`: created, or zero-extended,
/// as needed, and always raw-encoded afterwards (as Redis unshares it). Also says whether it
/// was created or grew, which counts as a change by itself.
pub(super) fn bitmap_for_write<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    maxbit: u64,
) -> Result<(&'a mut [u8], bool), Reply> {
    let now = ctx.now;
    let len = (maxbit >> 3) as usize + 1;
    let db = ctx.db();
    let exists = match db.get(key, now) {
        Some(e) if e.value.as_str().is_none() => return Err(Reply::wrong_type()),
        Some(_) => true,
        None => false,
    };
    if !exists {
        db.set(key.to_vec(), Value::raw(zeroed(len)?), false, now);
    }
    let Some((buf, enc)) = db.get(key, now).and_then(|e| e.value.as_str_mut()) else {
        return Err(Reply::err("ERR no such key"));
    };
    *enc = StrEnc::Raw;
    let grew = buf.len() < len;
    if grew {
        let v = buf.to_mut();
        if v.try_reserve(len - v.len()).is_err() {
            return Err(out_of_memory(len));
        }
        v.resize(len, 0);
    }
    Ok((buf.as_mut_bytes(), !exists || grew))
}

fn zeroed(len: usize) -> Result<Vec<u8>, Reply> {
    let mut v = Vec::new();
    if v.try_reserve_exact(len).is_err() {
        return Err(out_of_memory(len));
    }
    v.resize(len, 0);
    Ok(v)
}

fn out_of_memory(n: usize) -> Reply {
    Reply::Error(format!("ERR out of memory allocating {n} bytes"))
}

fn setbit(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let off = tri!(bit_offset(ctx, &a[2], None));
    let bad_bit = || Reply::err("ERR bit is not an integer or out of range");
    let on = match parse_i64(&a[3]) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return bad_bit(),
    };
    let (buf, created) = tri!(bitmap_for_write(ctx, &a[1], off));
    let byte = (off >> 3) as usize;
    let mask = 0x80u8 >> (off & 7);
    let old = buf[byte] & mask != 0;
    if created || old != on {
        if on {
            buf[byte] |= mask;
        } else {
            buf[byte] &= !mask;
        }
        ctx.dirty(1);
    }
    Reply::Int(old as i64)
}

fn getbit(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let off = tri!(bit_offset(ctx, &a[2], None));
    let now = ctx.now;
    let Some(e) = lookup_read(ctx.srv, ctx.client.db, &a[1], now) else {
        return Reply::Int(0);
    };
    let Some(s) = e.value.as_str() else {
        return Reply::wrong_type();
    };
    let byte = (off >> 3) as usize;
    let set = s.get(byte).is_some_and(|b| b & (0x80 >> (off & 7)) != 0);
    Reply::Int(set as i64)
}

/// BYTE or BIT unit keyword.
fn unit_is_bit(arg: &[u8]) -> Result<bool, Reply> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(Reply::syntax_error())
    }
}

/// Resolve `start..=end` (negative: from the end) over a string of `len` bytes, in bits when
/// `bit`, into an inclusive bit range; None when it is empty.
fn bit_range(start: i64, end: i64, len: usize, bit: bool) -> Option<(u64, u64)> {
    let total = if bit { len as i64 * 8 } else { len as i64 };
    let norm = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (start, end) = (norm(start), norm(end).min(total - 1));
    if start > end {
        return None;
    }
    let (s, e) = (start as u64, end as u64);
    Some(if bit { (s, e) } else { (s * 8, e * 8 + 7) })
}

fn int_arg(a: &[u8]) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(Reply::not_integer)
}

fn bitcount(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let now = ctx.now;
    let Some(e) = lookup_read(ctx.srv, ctx.client.db, &a[1], now) else {
        return Reply::Int(0);
    };
    let Some(s) = e.value.as_str() else {
        return Reply::wrong_type();
    };
    let range = match a.len() {
        2 if s.is_empty() => None,
        2 => Some((0, s.len() as u64 * 8 - 1)),
        4 | 5 => {
            let start = tri!(int_arg(&a[2]));
            let end = tri!(int_arg(&a[3]));
            if start < 0 && end < 0 && start > end {
                return Reply::Int(0);
            }
            let bit = a.len() == 5 && tri!(unit_is_bit(&a[4]));
            bit_range(start, end, s.len(), bit)
        }
        _ => return Reply::syntax_error(),
    };
    Reply::Int(range.map_or(0, |(f, l)| bits::count_range(s, f, l)) as i64)
}

fn bitpos(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let bit = match tri!(int_arg(&a[2])) {
        0 => false,
        1 => true,
        _ => return Reply::err("ERR The bit argument must be 1 or 0."),
    };
    let now = ctx.now;
    let Some(e) = lookup_read(ctx.srv, ctx.client.db, &a[1], now) else {
        return Reply::Int(if bit { -1 } else { 0 });
    };
    let Some(s) = e.value.as_str() else {
        return Reply::wrong_type();
    };
    let (range, end_given) = match a.len() {
        3 if s.is_empty() => (None, false),
        3 => (Some((0, s.len() as u64 * 8 - 1)), false),
        4..=6 => {
            let start = tri!(int_arg(&a[3]));
            let unit_bit = a.len() == 6 && tri!(unit_is_bit(&a[5]));
            let end = if a.len() >= 5 {
                tri!(int_arg(&a[4]))
            } else {
                s.len() as i64 - 1
            };
            (bit_range(start, end, s.len(), unit_bit), a.len() >= 5)
        }
        _ => return Reply::syntax_error(),
    };
    let Some((first, last)) = range else {
        return Reply::Int(-1);
    };
    match bits::find_bit(s, bit, first, last) {
        Some(p) => Reply::Int(p as i64),
        // Past the end of the string every bit is clear, unless the caller gave the end.
        None if !bit && !end_given => Reply::Int(last as i64 + 1),
        None => Reply::Int(-1),
    }
}

#[derive(Clone, Copy)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let op = match &a[1] {
        o if o.eq_ignore_ascii_case(b"and") => Op::And,
        o if o.eq_ignore_ascii_case(b"or") => Op::Or,
        o if o.eq_ignore_ascii_case(b"xor") => Op::Xor,
        o if o.eq_ignore_ascii_case(b"not") => Op::Not,
        _ => return Reply::syntax_error(),
    };
    if matches!(op, Op::Not) && a.len() != 4 {
        return Reply::err("ERR BITOP NOT must be called with a single source key.");
    }
    let now = ctx.now;
    let mut srcs: Vec<Vec<u8>> = Vec::with_capacity(a.len() - 3);
    for k in &a[3..] {
        match lookup_read(ctx.srv, ctx.client.db, k, now) {
            None => srcs.push(Vec::new()),
            Some(e) => match e.value.as_str() {
                Some(s) => srcs.push(s.to_vec()),
                None => return Reply::wrong_type(),
            },
        }
    }
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let db = ctx.db();
    if maxlen == 0 {
        if db.remove(&a[2]).is_some() {
            ctx.dirty(1);
        }
        return Reply::Int(0);
    }
    let mut res = std::mem::take(&mut srcs[0]);
    res.resize(maxlen, 0);
    match op {
        Op::Not => res.iter_mut().for_each(|b| *b = !*b),
        _ => {
            for s in &srcs[1..] {
                let (head, tail) = res.split_at_mut(s.len());
                for (r, x) in head.iter_mut().zip(s) {
                    match op {
                        Op::And => *r &= x,
                        Op::Or => *r |= x,
                        _ => *r ^= x,
                    }
                }
                if matches!(op, Op::And) {
                    tail.fill(0);
                }
            }
        }
    }
    let key = a[2].clone();
    db.set(key, Value::raw(res), false, now);
    ctx.dirty(1);
    Reply::Int(maxlen as i64)
}

const R_FAST: &[&str] = &["read", "bitmap", "fast"];
const R_SLOW: &[&str] = &["read", "bitmap", "slow"];
const W_SLOW: &[&str] = &["write", "bitmap", "slow"];

pub static COMMANDS: &[Command] = &[
    single_key("setbit", 4, WRITE | DENYOOM, W_SLOW, setbit),
    single_key("getbit", 3, READONLY | FAST, R_FAST, getbit),
    single_key("bitcount", -2, READONLY, R_SLOW, bitcount),
    single_key("bitpos", -3, READONLY, R_SLOW, bitpos),
    Command {
        first_key: 2,
        last_key: -1,
        ..single_key("bitop", -4, WRITE | DENYOOM, W_SLOW, bitop)
    },
    Command {
        key_flags: Some(bitfield::key_flags),
        ..single_key("bitfield", -2, WRITE | DENYOOM, W_SLOW, bitfield::bitfield)
    },
    single_key(
        "bitfield_ro",
        -2,
        READONLY | FAST,
        R_FAST,
        bitfield::bitfield_ro,
    ),
];

#[cfg(test)]
mod tests {
    use super::bit_range;

    #[test]
    fn ranges_resolve_like_redis() {
        assert_eq!(bit_range(0, -1, 3, false), Some((0, 23)));
        assert_eq!(bit_range(1, 1, 3, false), Some((8, 15)));
        assert_eq!(bit_range(-100, 100, 3, true), Some((0, 23)));
        assert_eq!(bit_range(5, 3, 3, true), None);
        assert_eq!(bit_range(0, -1, 0, false), None);
        assert_eq!(bit_range(3, 10, 3, false), None);
    }
}
