//! The `struct` library Redis loads (Roberto Ierusalimschy's struct for Lua 5.1): packing Lua
//! numbers and strings into binary records and back, with its format characters, alignment
//! rules, the integer conversions of x86-64 C and its error texts.
use super::args::{
    self, arg_error, check_bytes, check_number, lua_error, opt_integer, MAX_C_STACK, MAX_HELD,
};
use super::convert::trunc;
use mlua::{Lua, MultiValue, Table, Value};

/// Sizes on x86-64: `short`, `int`, `long`, `size_t`, and the largest alignment.
const SHORT: usize = 2;
const INT: usize = 4;
const LONG: usize = 8;
const MAX_ALIGN: i64 = 8;
const MAX_INT_SIZE: i64 = 32;

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("pack", lua.create_function(pack)?)?;
    t.raw_set("unpack", lua.create_function(unpack)?)?;
    t.raw_set("size", lua.create_function(size)?)?;
    Ok(t)
}

/// Byte order and maximum alignment, as set by `<`, `>` and `!`.
struct Header {
    little: bool,
    align: i64,
}

impl Default for Header {
    fn default() -> Header {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// The format string as C reads it (up to a NUL).
fn format(lua: &Lua, args: &MultiValue) -> mlua::Result<Vec<u8>> {
    let mut f = check_bytes(lua, args.front(), 1)?;
    if let Some(end) = f.iter().position(|&c| c == 0) {
        f.truncate(end);
    }
    Ok(f)
}

/// A number in the format (`i4`, `c10`, `!8`), or `default` when there is none.
fn getnum(lua: &Lua, fmt: &[u8], i: &mut usize, default: i64) -> mlua::Result<i64> {
    if !fmt.get(*i).is_some_and(u8::is_ascii_digit) {
        return Ok(default);
    }
    let mut a: i64 = 0;
    while let Some(d) = fmt.get(*i).filter(|c| c.is_ascii_digit()) {
        let d = (d - b'0') as i64;
        if a > i32::MAX as i64 / 10 || a * 10 > i32::MAX as i64 - d {
            return Err(lua_error(lua, "integral size overflow"));
        }
        a = a * 10 + d;
        *i += 1;
    }
    Ok(a)
}

/// The size an option takes (0 for those that take none or vary).
fn optsize(lua: &Lua, opt: u8, fmt: &[u8], i: &mut usize) -> mlua::Result<i64> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => SHORT as i64,
        b'L' | b'l' | b'T' | b'd' => LONG as i64,
        b'f' => 4,
        b'x' => 1,
        b'c' => getnum(lua, fmt, i, 1)?,
        b'i' | b'I' => {
            let sz = getnum(lua, fmt, i, INT as i64)?;
            if sz > MAX_INT_SIZE {
                return Err(lua_error(
                    lua,
                    &format!("integral size {sz} is larger than limit of {MAX_INT_SIZE}"),
                ));
            }
            sz
        }
        _ => 0,
    })
}

/// Padding before an option at offset `len` (C's unsigned arithmetic).
fn toalign(len: u64, h: &Header, opt: u8, size: i64) -> u64 {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align) as u64;
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

/// `<`, `>`, `!n` and spaces; anything else is an invalid option.
fn control(lua: &Lua, opt: u8, fmt: &[u8], i: &mut usize, h: &mut Header) -> mlua::Result<()> {
    match opt {
        b' ' => {}
        b'>' => h.little = false,
        b'<' => h.little = true,
        b'!' => {
            let a = getnum(lua, fmt, i, MAX_ALIGN)?;
            if a <= 0 || a & (a - 1) != 0 {
                return Err(lua_error(
                    lua,
                    &format!("alignment {a} is not a power of 2"),
                ));
            }
            h.align = a;
        }
        _ => {
            let msg = format!("invalid format option '{}'", opt as char);
            return Err(arg_error(lua, 1, &msg));
        }
    }
    Ok(())
}

/// C's conversion of a double to `unsigned long long` as x86-64 code does it, and to `long
/// long` for negative numbers.
fn to_u64(n: f64) -> u64 {
    if n < 0.0 {
        trunc(n) as u64
    } else if n >= 9_223_372_036_854_775_808.0 {
        (trunc(n - 9_223_372_036_854_775_808.0) as u64) ^ (1 << 63)
    } else {
        trunc(n) as u64
    }
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let fmt = format(lua, &args)?;
    // The C function pushes a nil right after its arguments: one argument too many is that nil.
    let nargs = args.len();
    let arg = |n: usize| -> Option<Value> {
        match args::get(&args, n) {
            Some(v) => Some(v.clone()),
            None if n == nargs + 1 => Some(Value::Nil),
            None => None,
        }
    };
    let mut h = Header::default();
    let mut out: Vec<u8> = Vec::new();
    let mut next = 2;
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(lua, opt, &fmt, &mut i)?;
        let pad = toalign(out.len() as u64, &h, opt, size);
        out.resize(out.len() + pad as usize, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(lua, arg(next).as_ref(), next as i64)?;
                next += 1;
                let mut v = to_u64(n);
                let mut bytes = vec![0u8; size as usize];
                for k in 0..size as usize {
                    let idx = if h.little { k } else { size as usize - 1 - k };
                    bytes[idx] = v as u8;
                    v >>= 8;
                }
                out.extend_from_slice(&bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let n = check_number(lua, arg(next).as_ref(), next as i64)? as f32;
                next += 1;
                out.extend_from_slice(&if h.little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                });
            }
            b'd' => {
                let n = check_number(lua, arg(next).as_ref(), next as i64)?;
                next += 1;
                out.extend_from_slice(&if h.little {
                    n.to_le_bytes()
                } else {
                    n.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = check_bytes(lua, arg(next).as_ref(), next as i64)?;
                next += 1;
                if size == 0 {
                    size = s.len() as i64;
                }
                if (s.len() as i64) < size {
                    return Err(arg_error(lua, next as i64, "string too short"));
                }
                out.extend_from_slice(&s[..size as usize]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => control(lua, opt, &fmt, &mut i, &mut h)?,
        }
    }
    lua.create_string(out)
}

/// An integer of `size` bytes read as C reads it into 64 bits (longer ones keep their low
/// 64 bits; the sign mask's shift wraps at 64 as x86 shifts do).
fn getinteger(b: &[u8], little: bool, signed: bool) -> f64 {
    let size = b.len();
    let mut l: u64 = 0;
    for k in 0..size {
        let byte = if little { b[size - 1 - k] } else { b[k] };
        l = l << 8 | byte as u64;
    }
    if !signed {
        return l as f64;
    }
    let shift = ((size as i64) * 8 - 1) & 63;
    let mask = u64::MAX << shift;
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt = format(lua, &args)?;
    let data = check_bytes(lua, args::get(&args, 2), 2)?;
    let ld = data.len() as u64;
    let start = opt_integer(lua, args::get(&args, 3), 3, 1)? as u64;
    if start == 0 {
        return Err(arg_error(lua, 3, "offset must be 1 or greater"));
    }
    let mut pos = start - 1;
    let short = |lua: &Lua| arg_error(lua, 2, "data string too short");
    let mut h = Header::default();
    let mut out = MultiValue::new();
    let mut strings: i64 = 0;
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(lua, opt, &fmt, &mut i)? as u64;
        pos = pos.wrapping_add(toalign(pos, &h, opt, size as i64));
        match pos.checked_add(size) {
            Some(end) if end <= ld => {}
            _ => return Err(short(lua)),
        }
        if (args.len() + out.len()) as i64 + 2 > MAX_C_STACK || strings > 2 * MAX_HELD {
            return Err(lua_error(lua, "stack overflow (too many results)"));
        }
        let at = pos as usize;
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let bytes = &data[at..at + size as usize];
                let v = getinteger(bytes, h.little, opt.is_ascii_lowercase());
                out.push_back(Value::Number(v));
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[at..at + 4].try_into().unwrap_or_default();
                let f = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push_back(Value::Number(f as f64));
            }
            b'd' => {
                let b: [u8; 8] = data[at..at + 8].try_into().unwrap_or_default();
                let d = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push_back(Value::Number(d));
            }
            b'c' => {
                if size == 0 {
                    let prev = match out.back() {
                        Some(v @ (Value::Number(_) | Value::Integer(_) | Value::String(_))) => {
                            lua.coerce_number(v.clone())?
                        }
                        _ => None,
                    };
                    let Some(n) = prev else {
                        return Err(lua_error(lua, "format 'c0' needs a previous size"));
                    };
                    size = to_u64(n);
                    out.pop_back();
                    if size > ld || pos > ld - size {
                        return Err(short(lua));
                    }
                }
                let s = lua.create_string(&data[at..at + size as usize])?;
                out.push_back(Value::String(s));
                strings += 1;
            }
            b's' => {
                let Some(len) = data[at..].iter().position(|&c| c == 0) else {
                    return Err(lua_error(lua, "unfinished string in data"));
                };
                out.push_back(Value::String(lua.create_string(&data[at..at + len])?));
                strings += 1;
                size = len as u64 + 1;
            }
            _ => control(lua, opt, &fmt, &mut i, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    out.push_back(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(out)
}

fn size(lua: &Lua, args: MultiValue) -> mlua::Result<i64> {
    let fmt = format(lua, &args)?;
    let mut h = Header::default();
    let mut pos: u64 = 0;
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let size = optsize(lua, opt, &fmt, &mut i)?;
        pos = pos.wrapping_add(toalign(pos, &h, opt, size));
        if opt == b's' {
            return Err(arg_error(lua, 1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(arg_error(lua, 1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            control(lua, opt, &fmt, &mut i, &mut h)?;
        }
        pos = pos.wrapping_add(size as u64);
    }
    Ok(pos as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_c_does() {
        assert_eq!(getinteger(&[0xfe, 0xff, 0xff], true, true), -2.0);
        let nine = [0x80, 0, 0, 0, 0, 0, 0, 0, 0xff];
        assert_eq!(getinteger(&nine, true, true), -128.0);
        assert_eq!(to_u64(f64::NAN), 1 << 63);
        assert_eq!(to_u64(1e30), 0);
        assert_eq!(to_u64(-1.9), u64::MAX);
    }

    #[test]
    fn random_formats_never_panic() {
        let lua = Lua::new();
        let t = open(&lua).unwrap();
        let unpack: mlua::Function = t.get("unpack").unwrap();
        let pack: mlua::Function = t.get("pack").unwrap();
        let alphabet = b"<>!xbBhHlLTiIfdsc0123456789 ";
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..4000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mut x = s;
            let mut fmt = Vec::new();
            for _ in 0..(s % 8) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                fmt.push(alphabet[(x >> 40) as usize % alphabet.len()]);
            }
            let data: Vec<u8> = (0..(x % 24)).map(|k| (x >> (k % 56)) as u8).collect();
            let f = lua.create_string(&fmt).unwrap();
            let d = lua.create_string(&data).unwrap();
            let off = (x % 30) as i64 - 5;
            let _ = unpack.call::<MultiValue>((f.clone(), d.clone(), off));
            let _ = pack.call::<mlua::String>((f, 1, d.clone(), 2.5, d));
        }
    }
}
