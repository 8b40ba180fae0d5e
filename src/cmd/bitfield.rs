//! BITFIELD and BITFIELD_RO: integer fields of any width (`i1..i64`, `u1..u63`) at any bit
//! offset of a string, read, set or incremented with WRAP/SAT/FAIL overflow. All arguments are
//! checked before anything runs, as in Redis 7.0; only a call that wrote something different
//! (or created or grew the string) counts as a change, so GET-only calls are not propagated.
use super::bitmap::{bit_offset, bitmap_for_write};
use super::keys::lookup_read;
use crate::bits::{self, Overflow};
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::parse_i64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    Incrby,
}

struct FieldOp {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

/// A field type `iN` (1..=64) or `uN` (1..=63); the text stops at a NUL, as in Redis.
fn field_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    let arg = arg.split(|&b| b == 0).next().unwrap_or(&[]);
    let bad = || {
        Reply::err(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
             supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    match parse_i64(&arg[1..]) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(bad()),
    }
}

/// Parse every operation; the highest bit a write touches, if any writes.
fn parse(ctx: &Ctx, a: &Args) -> Result<(Vec<FieldOp>, Option<u64>), Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut highest: Option<u64> = None;
    let mut j = 2;
    while j < a.len() {
        let rem = a.len() - j - 1;
        let sub = &a[j];
        let kind = if sub.eq_ignore_ascii_case(b"get") && rem >= 2 {
            Kind::Get
        } else if sub.eq_ignore_ascii_case(b"set") && rem >= 3 {
            Kind::Set
        } else if sub.eq_ignore_ascii_case(b"incrby") && rem >= 3 {
            Kind::Incrby
        } else if sub.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
            let t = &a[j + 1];
            overflow = if t.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if t.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if t.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(Reply::err("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(Reply::syntax_error());
        };
        let (signed, bits) = field_type(&a[j + 1])?;
        let offset = bit_offset(ctx, &a[j + 2], Some(bits))?;
        let mut value = 0;
        if kind != Kind::Get {
            let top = offset + bits as u64 - 1;
            highest = Some(highest.map_or(top, |h| h.max(top)));
            value = parse_i64(&a[j + 3]).ok_or_else(Reply::not_integer)?;
        }
        ops.push(FieldOp {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Ok((ops, highest))
}

fn get(s: &[u8], op: &FieldOp) -> Reply {
    if op.signed {
        Reply::Int(bits::get_signed(s, op.offset, op.bits))
    } else {
        Reply::Int(bits::get_unsigned(s, op.offset, op.bits) as i64)
    }
}

/// Run a SET or INCRBY on `s`: the reply, and whether the field changed (None: FAIL overflow,
/// nothing written).
fn write(s: &mut [u8], op: &FieldOp) -> Option<(i64, bool)> {
    let incr = op.kind == Kind::Incrby;
    let (old, new, reply, overflowed) = if op.signed {
        let old = bits::get_signed(s, op.offset, op.bits);
        let (base, by) = if incr { (old, op.value) } else { (op.value, 0) };
        let ov = bits::signed_overflow(base, by, op.bits, op.overflow);
        let new = ov.unwrap_or(base.wrapping_add(by));
        let reply = if incr { new } else { old };
        (old as u64, new as u64, reply, ov.is_some())
    } else {
        let old = bits::get_unsigned(s, op.offset, op.bits);
        let (base, by) = if incr {
            (old, op.value)
        } else {
            (op.value as u64, 0)
        };
        let ov = bits::unsigned_overflow(base, by, op.bits, op.overflow);
        let new = ov.unwrap_or(base.wrapping_add(by as u64));
        let reply = if incr { new } else { old };
        (old, new, reply as i64, ov.is_some())
    };
    if overflowed && op.overflow == Overflow::Fail {
        return None;
    }
    bits::set_field(s, op.offset, op.bits, new);
    Some((reply, old != new))
}

fn run(ctx: &mut Ctx, a: &mut Args, read_only_cmd: bool) -> Reply {
    let (ops, highest) = tri!(parse(ctx, a));
    let Some(maxbit) = highest else {
        let now = ctx.now;
        let s = match lookup_read(ctx.srv, ctx.client.db, &a[1], now) {
            None => &[][..],
            Some(e) => tri!(e.value.as_str().ok_or_else(Reply::wrong_type)),
        };
        return Reply::Array(ops.iter().map(|op| get(s, op)).collect());
    };
    if read_only_cmd {
        return Reply::err("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let (buf, grew) = tri!(bitmap_for_write(ctx, &a[1], maxbit));
    let mut changes = 0;
    let mut out = Vec::with_capacity(ops.len());
    for op in &ops {
        if op.kind == Kind::Get {
            out.push(get(buf, op));
            continue;
        }
        match write(buf, op) {
            Some((reply, changed)) => {
                if grew || changed {
                    changes += 1;
                }
                out.push(Reply::Int(reply));
            }
            None => out.push(Reply::Nil),
        }
    }
    ctx.dirty(changes);
    Reply::Array(out)
}

/// The key's flags: read-only when every subcommand is a well-formed GET or OVERFLOW (a
/// syntax error is taken as a write, the safe side), as Redis's key lookup for BITFIELD does.
pub(super) fn key_flags(a: &[Vec<u8>]) -> &'static [&'static str] {
    let mut j = 2;
    while j < a.len() {
        let rem = a.len() - j - 1;
        let sub = &a[j];
        if sub.eq_ignore_ascii_case(b"get") && rem >= 2 {
            j += 3;
        } else if sub.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
            j += 2;
        } else {
            return &["RW", "access", "update"];
        }
    }
    &["RO", "access"]
}

pub(super) fn bitfield(ctx: &mut Ctx, a: &mut Args) -> Reply {
    run(ctx, a, false)
}

pub(super) fn bitfield_ro(ctx: &mut Ctx, a: &mut Args) -> Reply {
    run(ctx, a, true)
}

#[cfg(test)]
mod tests {
    use super::field_type;

    #[test]
    fn field_types() {
        assert_eq!(field_type(b"i64").ok(), Some((true, 64)));
        assert_eq!(field_type(b"u63").ok(), Some((false, 63)));
        assert!(field_type(b"u64").is_err());
        assert!(field_type(b"I8").is_err());
        assert!(field_type(b"i0").is_err());
        assert!(field_type(b"i").is_err());
        assert!(field_type(b"").is_err());
        assert_eq!(field_type(b"u8\0x").ok(), Some((false, 8)));
    }
}
