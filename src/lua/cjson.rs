//! The `cjson` library Redis loads (lua-cjson 2.1.0): JSON encoding of Lua values with its
//! options, and `cjson.new` for an instance with options of its own. Written from the library's
//! manual and checked against Redis 7.0's behaviour (number formatting, escapes, array
//! detection, nesting limits and error texts); decoding is in `cjson_decode`.
use super::args::{self, arg_error, check_integer, lua_error, type_name, MAX_C_STACK, MAX_HELD};
use super::cjson_decode;
use mlua::{LightUserData, Lua, MultiValue, Table, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// One instance's options (each `cjson.new()` has its own).
#[derive(Clone, Debug)]
pub struct Config {
    pub sparse_convert: bool,
    pub sparse_ratio: i32,
    pub sparse_safe: i32,
    pub encode_max_depth: i32,
    pub decode_max_depth: i32,
    pub precision: i32,
    pub keep_buffer: bool,
    /// 0 off, 1 on, 2 null.
    pub encode_invalid: usize,
    pub decode_invalid: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            precision: 14,
            keep_buffer: true,
            encode_invalid: 0,
            decode_invalid: true,
        }
    }
}

type Shared = Rc<RefCell<Config>>;

/// `cjson.null`: a light userdata holding NULL.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A new module table with default options.
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let cfg: Shared = Rc::new(RefCell::new(Config::default()));
    let t = lua.create_table()?;
    let c = cfg.clone();
    t.raw_set(
        "encode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(arg_error(lua, 1, "expected 1 argument"));
            }
            let cfg = c.borrow().clone();
            let v = args.front().cloned().unwrap_or(Value::Nil);
            match encode(&v, &cfg) {
                Ok(out) => lua.create_string(out).map(Value::String),
                Err(msg) => Err(lua_error(lua, &msg)),
            }
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(arg_error(lua, 1, "expected 1 argument"));
            }
            let text = args::check_bytes(lua, args.front(), 1)?;
            let cfg = c.borrow().clone();
            cjson_decode::decode(lua, &text, &cfg)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_sparse_array",
        lua.create_function(move |lua, args: MultiValue| {
            arg_count(lua, &args, 3)?;
            let mut cfg = c.borrow_mut();
            let convert = enum_option(lua, &args, 1, cfg.sparse_convert as usize, BOOL)?;
            cfg.sparse_convert = convert == 1;
            cfg.sparse_ratio = int_option(lua, &args, 2, cfg.sparse_ratio, 0)?;
            cfg.sparse_safe = int_option(lua, &args, 3, cfg.sparse_safe, 0)?;
            Ok((
                enum_value(lua, convert, BOOL)?,
                cfg.sparse_ratio,
                cfg.sparse_safe,
            ))
        })?,
    )?;
    type Field = fn(&mut Config) -> &mut i32;
    let ints: [(&str, Field, i32, i32); 3] = [
        ("encode_max_depth", |c| &mut c.encode_max_depth, 1, i32::MAX),
        ("decode_max_depth", |c| &mut c.decode_max_depth, 1, i32::MAX),
        ("encode_number_precision", |c| &mut c.precision, 1, 14),
    ];
    for (name, field, min, max) in ints {
        let c = cfg.clone();
        t.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                arg_count(lua, &args, 1)?;
                let mut cfg = c.borrow_mut();
                let slot = field(&mut cfg);
                *slot = int_option_range(lua, &args, 1, *slot, min, max)?;
                Ok(*slot)
            })?,
        )?;
    }
    let c = cfg.clone();
    t.raw_set(
        "encode_keep_buffer",
        lua.create_function(move |lua, args: MultiValue| {
            arg_count(lua, &args, 1)?;
            let mut cfg = c.borrow_mut();
            let v = enum_option(lua, &args, 1, cfg.keep_buffer as usize, BOOL)?;
            cfg.keep_buffer = v == 1;
            enum_value(lua, v, BOOL)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_invalid_numbers",
        lua.create_function(move |lua, args: MultiValue| {
            arg_count(lua, &args, 1)?;
            let mut cfg = c.borrow_mut();
            cfg.encode_invalid = enum_option(lua, &args, 1, cfg.encode_invalid, INVALID)?;
            enum_value(lua, cfg.encode_invalid, INVALID)
        })?,
    )?;
    let c = cfg;
    t.raw_set(
        "decode_invalid_numbers",
        lua.create_function(move |lua, args: MultiValue| {
            arg_count(lua, &args, 1)?;
            let mut cfg = c.borrow_mut();
            let v = enum_option(lua, &args, 1, cfg.decode_invalid as usize, BOOL)?;
            cfg.decode_invalid = v == 1;
            enum_value(lua, v, BOOL)
        })?,
    )?;
    t.raw_set("new", lua.create_function(|lua, ()| open(lua))?)?;
    t.raw_set("null", null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(t)
}

const BOOL: &[&str] = &["off", "on"];
const INVALID: &[&str] = &["off", "on", "null"];

/// More than `max` arguments: an error on the first extra one.
fn arg_count(lua: &Lua, args: &MultiValue, max: usize) -> mlua::Result<()> {
    if args.len() > max {
        return Err(arg_error(lua, max as i64 + 1, "found too many arguments"));
    }
    Ok(())
}

/// An option given as a boolean or one of `names` (an index into them); the current value when
/// the argument is missing or nil.
fn enum_option(
    lua: &Lua,
    args: &MultiValue,
    n: usize,
    current: usize,
    names: &[&str],
) -> mlua::Result<usize> {
    match args::get(args, n) {
        None | Some(Value::Nil) => Ok(current),
        Some(Value::Boolean(b)) => Ok(*b as usize),
        v => {
            let s = args::check_bytes(lua, v, n as i64)?;
            names.iter().position(|o| o.as_bytes() == s).ok_or_else(|| {
                let s = String::from_utf8_lossy(&s);
                arg_error(lua, n as i64, &format!("invalid option '{s}'"))
            })
        }
    }
}

/// What an option function returns: a boolean for off/on, else the option's name.
fn enum_value(lua: &Lua, v: usize, names: &[&str]) -> mlua::Result<Value> {
    Ok(match v {
        0 | 1 => Value::Boolean(v == 1),
        _ => Value::String(lua.create_string(names[v])?),
    })
}

fn int_option(lua: &Lua, args: &MultiValue, n: usize, cur: i32, min: i32) -> mlua::Result<i32> {
    int_option_range(lua, args, n, cur, min, i32::MAX)
}

/// An integer option within `min..=max`; out of range is reported on argument 1 whichever
/// argument it was, as lua-cjson does.
fn int_option_range(
    lua: &Lua,
    args: &MultiValue,
    n: usize,
    current: i32,
    min: i32,
    max: i32,
) -> mlua::Result<i32> {
    match args::get(args, n) {
        None | Some(Value::Nil) => Ok(current),
        v => {
            let x = check_integer(lua, v, n as i64)?;
            if x < min as i64 || x > max as i64 {
                return Err(arg_error(
                    lua,
                    1,
                    &format!("expected integer between {min} and {max}"),
                ));
            }
            Ok(x as i32)
        }
    }
}

/// The JSON text of `v`, or the error message (without position).
pub fn encode(v: &Value, cfg: &Config) -> Result<Vec<u8>, String> {
    let mut e = Encoder {
        cfg,
        out: Vec::new(),
    };
    e.value(v, 0, 1)?;
    Ok(e.out)
}

struct Encoder<'a> {
    cfg: &'a Config,
    out: Vec<u8>,
}

fn fail(what: &Value, reason: &str) -> String {
    format!("Cannot serialise {}: {reason}", type_name(what))
}

impl Encoder<'_> {
    /// `top` is how many Lua stack slots the C encoder would be using here: its nesting limit
    /// is also where Lua's stack runs out.
    fn value(&mut self, v: &Value, depth: i64, top: i64) -> Result<(), String> {
        match v {
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::Boolean(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Integer(_) | Value::Number(_) => self.number(v)?,
            Value::String(s) => self.string(&s.as_bytes()),
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            Value::Table(t) => self.table(t, depth + 1, top)?,
            other => return Err(fail(other, "type not supported")),
        }
        Ok(())
    }

    fn number(&mut self, v: &Value) -> Result<(), String> {
        let n = args::number(v).unwrap_or(0.0);
        if !n.is_finite() {
            match self.cfg.encode_invalid {
                0 => return Err(fail(v, "must not be NaN or Inf")),
                2 => {
                    self.out.extend_from_slice(b"null");
                    return Ok(());
                }
                _ if n.is_nan() => {
                    self.out.extend_from_slice(b"nan");
                    return Ok(());
                }
                _ => {}
            }
        }
        let text = crate::util::fmt_g(n, self.cfg.precision as usize);
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn string(&mut self, s: &[u8]) {
        self.out.push(b'"');
        for &c in s {
            match c {
                b'"' => self.out.extend_from_slice(b"\\\""),
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'/' => self.out.extend_from_slice(b"\\/"),
                b'\x08' => self.out.extend_from_slice(b"\\b"),
                b'\t' => self.out.extend_from_slice(b"\\t"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\x0c' => self.out.extend_from_slice(b"\\f"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                0..=0x1f | 0x7f => self.out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
                _ => self.out.push(c),
            }
        }
        self.out.push(b'"');
    }

    fn table(&mut self, t: &Table, depth: i64, top: i64) -> Result<(), String> {
        if depth > self.cfg.encode_max_depth as i64 || top + 3 > MAX_C_STACK || depth > MAX_HELD {
            return Err(format!("Cannot serialise, excessive nesting ({depth})"));
        }
        let len = self.array_length(t)?;
        if len > 0 {
            self.out.push(b'[');
            for i in 1..=len {
                if i > 1 {
                    self.out.push(b',');
                }
                let v: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                self.value(&v, depth, top + 1)?;
            }
            self.out.push(b']');
            return Ok(());
        }
        self.out.push(b'{');
        let mut first = true;
        for pair in t.pairs::<Value, Value>() {
            let (k, v) = pair.map_err(|e| e.to_string())?;
            if !first {
                self.out.push(b',');
            }
            first = false;
            match &k {
                Value::String(s) => self.string(&s.as_bytes()),
                Value::Integer(_) | Value::Number(_) => {
                    self.out.push(b'"');
                    self.number(&k)?;
                    self.out.push(b'"');
                }
                other => return Err(fail(other, "table key must be a number or string")),
            }
            self.out.push(b':');
            self.value(&v, depth, top + 2)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// lua-cjson's array test: the largest key when all keys are positive integers (kept in a
    /// C `int`, as there), -1 for an object, an error or -1 for an excessively sparse array.
    fn array_length(&self, t: &Table) -> Result<i32, String> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for pair in t.pairs::<Value, mlua::Value>() {
            let (k, _) = pair.map_err(|e| e.to_string())?;
            match args::number(&k) {
                Some(n) if n.floor() == n && n >= 1.0 => {
                    if n > max as f64 {
                        max = if n < 2_147_483_648.0 {
                            n as i32
                        } else {
                            i32::MIN
                        };
                    }
                    items = items.wrapping_add(1);
                }
                _ => return Ok(-1),
            }
        }
        let cfg = self.cfg;
        if cfg.sparse_ratio > 0
            && max > items.wrapping_mul(cfg.sparse_ratio)
            && max > cfg.sparse_safe
        {
            if !cfg.sparse_convert {
                return Err("Cannot serialise table: excessively sparse array".into());
            }
            return Ok(-1);
        }
        Ok(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(lua: &Lua, code: &str) -> Result<String, String> {
        let v: Value = lua.load(code).eval().map_err(|e| e.to_string())?;
        encode(&v, &Config::default()).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn encodes_as_lua_cjson() {
        let lua = Lua::new();
        assert_eq!(enc(&lua, "{1,2,'a/b'}").unwrap(), r#"[1,2,"a\/b"]"#);
        assert_eq!(enc(&lua, "{}").unwrap(), "{}");
        assert_eq!(enc(&lua, "1/3").unwrap(), "0.33333333333333");
        assert_eq!(enc(&lua, "{[1]=1,[2]=2,[10]=3}").unwrap().len(), 42);
        assert!(enc(&lua, "{[1]=1,[20]=2}").unwrap_err().contains("sparse"));
        assert_eq!(enc(&lua, "'\\1\\127'").unwrap(), r#""\u0001\u007f""#);
        assert_eq!(
            enc(&lua, "1/0").unwrap_err(),
            "Cannot serialise number: must not be NaN or Inf"
        );
    }
}
