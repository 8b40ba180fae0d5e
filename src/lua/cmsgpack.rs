//! The `cmsgpack` library Redis loads (lua-cmsgpack 0.4.0): MessagePack encoding of Lua
//! values and decoding of a stream of them, with the encodings that library picks (integers,
//! 32-bit floats when exact, arrays only for tables with keys 1..n), its nesting limit, and its
//! error texts, including where Lua's stack runs out.
use super::args::{
    self, arg_error, check_bytes, check_integer, lua_error, opt_integer, plain_error, MAX_C_STACK,
    MAX_HELD,
};
use super::convert::trunc;
use mlua::{Lua, MultiValue, Table, Value};

/// Tables nested deeper than this are packed as nil.
const MAX_NESTING: usize = 16;

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            if args.is_empty() {
                return Err(arg_error(lua, 0, "MessagePack pack needs input."));
            }
            let mut out = Vec::new();
            for v in args.iter() {
                pack_value(&mut out, v, 0)?;
            }
            lua.create_string(out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| unpack(lua, &args, 0, 0))?,
    )?;
    t.raw_set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            let offset = opt_integer(lua, args::get(&args, 2), 2, 0)?;
            unpack(lua, &args, 1, offset)
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            let limit = check_integer(lua, args::get(&args, 2), 2)?;
            let offset = opt_integer(lua, args::get(&args, 3), 3, 0)?;
            unpack(lua, &args, limit, offset)
        })?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

fn pack_value(out: &mut Vec<u8>, v: &Value, level: usize) -> mlua::Result<()> {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(_) | Value::Number(_) => pack_number(out, args::number(v).unwrap_or(0.0)),
        Value::String(s) => pack_bytes(out, &s.as_bytes()),
        Value::Table(t) if level < MAX_NESTING => pack_table(out, t, level)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn pack_number(out: &mut Vec<u8>, n: f64) {
    let i = trunc(n);
    if n.is_finite() && i as f64 == n {
        pack_int(out, i);
    } else if (n as f32) as f64 == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn pack_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        match n {
            0..=127 => out.push(n as u8),
            128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn pack_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// A container header: fix form below 16 entries, then 16 or 32 bits.
fn pack_header(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n < 16 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn pack_table(out: &mut Vec<u8>, t: &Table, level: usize) -> mlua::Result<()> {
    if is_array(t)? {
        let len = t.raw_len();
        pack_header(out, len, 0x90, 0xdc, 0xdd);
        for i in 1..=len {
            let v: Value = t.raw_get(i)?;
            pack_value(out, &v, level + 1)?;
        }
        return Ok(());
    }
    let mut count = 0;
    for pair in t.pairs::<Value, Value>() {
        pair?;
        count += 1;
    }
    pack_header(out, count, 0x80, 0xde, 0xdf);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        pack_value(out, &k, level + 1)?;
        pack_value(out, &v, level + 1)?;
    }
    Ok(())
}

/// Keys that are all positive integers (that fit a C `int`) from 1 to their count.
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        let Some(n) = args::number(&k) else {
            return Ok(false);
        };
        let fits = (-2_147_483_648.0..2_147_483_648.0).contains(&n);
        if n <= 0.0 || !fits || (n as i32) as f64 != n {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

/// `unpack` (limit 0, offset 0: everything), `unpack_one` and `unpack_limit`: the values, and
/// first the next offset (-1 at the end) unless everything was asked for.
fn unpack(lua: &Lua, args: &MultiValue, limit: i64, offset: i64) -> mlua::Result<MultiValue> {
    let data = check_bytes(lua, args.front(), 1)?;
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(lua_error(
            lua,
            &format!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32,
                data.len() as i32
            ),
        ));
    }
    if offset as usize > data.len() {
        return Err(lua_error(
            lua,
            &format!(
                "Start offset {} greater than input length {}.",
                offset as i32,
                data.len() as i32
            ),
        ));
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    let mut d = Decoder {
        lua,
        data: &data,
        pos: offset as usize,
        held: 0,
    };
    let mut out = MultiValue::new();
    let mut count = 0;
    while d.pos < data.len() && count < limit {
        let v = d.value(1 + count).map_err(|f| f.into_error(lua))?;
        if matches!(v, Value::String(_) | Value::Table(_)) {
            d.held += 1;
        }
        out.push_back(v);
        count += 1;
    }
    if !decode_all {
        if 1 + count + 1 > MAX_C_STACK {
            return Err(lua_error(
                lua,
                "stack overflow (in function mp_unpack_full)",
            ));
        }
        let next = if d.pos == data.len() {
            -1
        } else {
            d.pos as i64
        };
        out.push_front(Value::Number(next as f64));
    }
    Ok(out)
}

enum Failure {
    /// Raised with the caller's position (`luaL_error`).
    Msg(&'static str),
    /// Raised by the Lua core (no position).
    Core(&'static str),
    Lua(mlua::Error),
}

impl Failure {
    fn into_error(self, lua: &Lua) -> mlua::Error {
        match self {
            Failure::Msg(m) => lua_error(lua, m),
            Failure::Core(m) => plain_error(m),
            Failure::Lua(e) => e,
        }
    }
}

impl From<mlua::Error> for Failure {
    fn from(e: mlua::Error) -> Failure {
        Failure::Lua(e)
    }
}

const MISSING: Failure = Failure::Msg("Missing bytes in input.");

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    /// Lua values this decoder holds (see `MAX_HELD`).
    held: i64,
}

const TOO_MANY: Failure = Failure::Msg(
    "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
);

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Failure> {
        if self.data.len() - self.pos < n {
            return Err(MISSING);
        }
        self.pos += n;
        Ok(&self.data[self.pos - n..self.pos])
    }

    fn uint(&mut self, n: usize) -> Result<u64, Failure> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| acc << 8 | b as u64))
    }

    /// One value; `top` is the Lua stack the C decoder would be using (its limits are Lua's).
    fn value(&mut self, top: i64) -> Result<Value, Failure> {
        if top + 1 > MAX_C_STACK || self.held > 2 * MAX_HELD {
            return Err(TOO_MANY);
        }
        let t = self.uint(1)? as u8;
        let num = |n: f64| Ok(Value::Number(n));
        match t {
            0x00..=0x7f => num(t as f64),
            0xe0..=0xff => num(t as i8 as f64),
            0x80..=0x8f => self.map(top, (t & 0x0f) as usize),
            0x90..=0x9f => self.array(top, (t & 0x0f) as usize),
            0xa0..=0xbf => self.string((t & 0x1f) as usize),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Boolean(false)),
            0xc3 => Ok(Value::Boolean(true)),
            0xca => num(f32::from_bits(self.uint(4)? as u32) as f64),
            0xcb => num(f64::from_bits(self.uint(8)?)),
            0xcc => num(self.uint(1)? as f64),
            0xcd => num(self.uint(2)? as f64),
            0xce => num(self.uint(4)? as f64),
            0xcf => num(self.uint(8)? as i64 as f64),
            0xd0 => num(self.uint(1)? as i8 as f64),
            0xd1 => num(self.uint(2)? as i16 as f64),
            0xd2 => num(self.uint(4)? as i32 as f64),
            0xd3 => num(self.uint(8)? as i64 as f64),
            0xd9 => {
                let n = self.uint(1)? as usize;
                self.string(n)
            }
            0xda => {
                let n = self.uint(2)? as usize;
                self.string(n)
            }
            0xdb => {
                let n = self.uint(4)? as usize;
                self.string(n)
            }
            0xdc => {
                let n = self.uint(2)? as usize;
                self.array(top, n)
            }
            0xdd => {
                let n = self.uint(4)? as usize;
                self.array(top, n)
            }
            0xde => {
                let n = self.uint(2)? as usize;
                self.map(top, n)
            }
            0xdf => {
                let n = self.uint(4)? as usize;
                self.map(top, n)
            }
            _ => Err(Failure::Msg("Bad data format in input.")),
        }
    }

    fn string(&mut self, n: usize) -> Result<Value, Failure> {
        let lua = self.lua;
        let bytes = self.take(n)?;
        Ok(Value::String(lua.create_string(bytes)?))
    }

    fn array(&mut self, top: i64, n: usize) -> Result<Value, Failure> {
        if top + 2 > MAX_C_STACK {
            return Err(Failure::Msg(
                "stack overflow (in function mp_decode_to_lua_array)",
            ));
        }
        let t = self.lua.create_table()?;
        self.held += 1;
        for i in 1..=n {
            let v = self.value(top + 2)?;
            t.raw_set(i, v)?;
        }
        self.held -= 1;
        Ok(Value::Table(t))
    }

    fn map(&mut self, top: i64, n: usize) -> Result<Value, Failure> {
        let t = self.lua.create_table()?;
        self.held += 2;
        for _ in 0..n {
            let k = self.value(top + 1)?;
            let v = self.value(top + 2)?;
            match &k {
                Value::Nil => return Err(Failure::Core("table index is nil")),
                Value::Number(x) if x.is_nan() => return Err(Failure::Core("table index is NaN")),
                _ => t.raw_set(k, v)?,
            }
        }
        self.held -= 2;
        Ok(Value::Table(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(lua: &Lua, code: &str) -> Vec<u8> {
        let v: Value = lua.load(code).eval().unwrap();
        let mut out = Vec::new();
        pack_value(&mut out, &v, 0).unwrap();
        out
    }

    #[test]
    fn picks_lua_cmsgpack_encodings() {
        let lua = Lua::new();
        assert_eq!(packed(&lua, "-33"), [0xd0, 0xdf]);
        assert_eq!(packed(&lua, "2^63"), [0xca, 0x5f, 0, 0, 0]);
        assert_eq!(packed(&lua, "{1,nil,3}"), [0x82, 1, 1, 3, 3]);
        assert_eq!(packed(&lua, "{}"), [0x90]);
        assert_eq!(packed(&lua, "-0.0"), [0]);
    }

    #[test]
    fn random_bytes_never_panic() {
        let lua = Lua::new();
        let f = open(&lua).unwrap();
        let unpack: mlua::Function = f.get("unpack").unwrap();
        let mut s = 88172645463325252u64;
        for _ in 0..5000 {
            let mut bytes = Vec::new();
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let len = (s % 20) as usize;
            let mut x = s;
            for _ in 0..len {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                bytes.push((x >> 56) as u8);
            }
            let arg = lua.create_string(&bytes).unwrap();
            let _ = unpack.call::<MultiValue>(arg);
        }
    }
}
