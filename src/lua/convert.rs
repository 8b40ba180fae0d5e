//! Conversions between Lua values and replies, both ways, as Redis documents them: a command's
//! reply becomes a Lua value for `redis.call` (shaped by the script's `redis.setresp`), and a
//! script's return value becomes the client's reply.
use crate::resp::Reply;
use crate::util::fmt_g;
use mlua::{Lua, MultiValue, Table, Value};

/// A Lua number as C's `(long long)` cast on x86-64 gives it: truncated, and the "integer
/// indefinite" value for what does not fit (NaN, infinities, out of range).
pub fn trunc(n: f64) -> i64 {
    if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// A number argument (numbers and numeric strings, as `lua_tonumber`).
pub fn to_int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        Value::Number(n) => Some(trunc(*n)),
        Value::String(s) => {
            let b = s.as_bytes();
            let t = std::str::from_utf8(&b).ok()?.trim();
            t.parse::<f64>().ok().map(trunc)
        }
        _ => None,
    }
}

/// A string or number argument as `lua_tolstring` renders it (`%.14g` for numbers).
pub fn arg_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(n) => Some(lua_number(*n).into_bytes()),
        _ => None,
    }
}

/// How Lua 5.1 prints a number (`%.14g`).
fn lua_number(n: f64) -> String {
    fmt_g(n, 14)
}

/// The arguments of `redis.call`: strings, and numbers written with 17 digits (Redis does not
/// use Lua's lossy 14).
pub fn call_args(args: MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut out = Vec::with_capacity(args.len());
    for v in args {
        out.push(match v {
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Integer(i) => i.to_string().into_bytes(),
            Value::Number(n) => fmt_g(n, 17).into_bytes(),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        });
    }
    Ok(out)
}

/// `{err = "ERR <msg>"}`, the error table `redis.call` raises and `redis.pcall` returns.
pub fn error_table(lua: &Lua, msg: &str) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set("err", format!("ERR {msg}"))?;
    Ok(Value::Table(t))
}

/// A command's reply as the script sees it.
pub fn to_lua(lua: &Lua, r: &Reply, resp: u8) -> mlua::Result<Value> {
    let resp3 = resp == 3;
    Ok(match r {
        Reply::Ok => single(lua, "ok", Value::String(lua.create_string("OK")?))?,
        Reply::Status(s) => single(lua, "ok", Value::String(lua.create_string(s)?))?,
        Reply::Error(e) => single(lua, "err", Value::String(lua.create_string(e)?))?,
        Reply::Int(i) => Value::Number(*i as f64),
        Reply::Bulk(b) | Reply::Verbatim(b) if !resp3 => Value::String(lua.create_string(b)?),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Verbatim(b) => {
            let inner = lua.create_table()?;
            inner.raw_set("format", "txt")?;
            inner.raw_set("string", lua.create_string(b)?)?;
            single(lua, "verbatim_string", Value::Table(inner))?
        }
        Reply::Nil | Reply::NilArray if resp3 => Value::Nil,
        Reply::Nil | Reply::NilArray => Value::Boolean(false),
        Reply::Array(items) | Reply::Push(items) => array(lua, items, resp)?,
        Reply::Set(items) if !resp3 => array(lua, items, resp)?,
        Reply::Set(items) => {
            let t = lua.create_table()?;
            for it in items {
                t.raw_set(to_lua(lua, it, resp)?, true)?;
            }
            single(lua, "set", Value::Table(t))?
        }
        Reply::Map(pairs) if !resp3 => {
            let t = lua.create_table_with_capacity(pairs.len() * 2, 0)?;
            for (i, (k, v)) in pairs.iter().enumerate() {
                t.raw_set(2 * i + 1, to_lua(lua, k, resp)?)?;
                t.raw_set(2 * i + 2, to_lua(lua, v, resp)?)?;
            }
            Value::Table(t)
        }
        Reply::Map(pairs) => {
            let t = lua.create_table()?;
            for (k, v) in pairs {
                t.raw_set(to_lua(lua, k, resp)?, to_lua(lua, v, resp)?)?;
            }
            single(lua, "map", Value::Table(t))?
        }
        Reply::Double(d) if !resp3 => {
            Value::String(lua.create_string(crate::util::fmt_double(*d))?)
        }
        Reply::Double(d) => single(lua, "double", Value::Number(*d))?,
        Reply::DoubleText(t) if !resp3 => Value::String(lua.create_string(t)?),
        Reply::DoubleText(t) => {
            single(lua, "double", Value::Number(t.parse().unwrap_or(f64::NAN)))?
        }
        Reply::Bool(b) if !resp3 => Value::Number(*b as i64 as f64),
        Reply::Bool(b) => Value::Boolean(*b),
        Reply::BigNumber(s) if !resp3 => Value::String(lua.create_string(s)?),
        Reply::BigNumber(s) => single(lua, "big_number", Value::String(lua.create_string(s)?))?,
        Reply::None => Value::Nil,
    })
}

fn single(lua: &Lua, k: &str, v: Value) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set(k, v)?;
    Ok(Value::Table(t))
}

fn array(lua: &Lua, items: &[Reply], resp: u8) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, it) in items.iter().enumerate() {
        t.raw_set(i + 1, to_lua(lua, it, resp)?)?;
    }
    Ok(Value::Table(t))
}

/// A script's return value as its reply. `resp` is the script's `redis.setresp` (it decides
/// what a boolean becomes).
pub fn to_reply(v: &Value, resp: u8) -> Reply {
    to_reply_depth(v, resp, 0)
}

/// Deeper than this, nesting is cut (Redis protects its C stack the same way).
const MAX_DEPTH: usize = 1000;

fn to_reply_depth(v: &Value, resp: u8, depth: usize) -> Reply {
    match v {
        Value::String(s) => Reply::Bulk(s.as_bytes().to_vec()),
        Value::Boolean(b) if resp == 3 => Reply::Bool(*b),
        Value::Boolean(true) => Reply::Int(1),
        Value::Boolean(false) => Reply::Nil,
        Value::Integer(i) => Reply::Int(*i),
        Value::Number(n) => Reply::Int(trunc(*n)),
        Value::Table(t) if depth < MAX_DEPTH => table_reply(t, resp, depth),
        Value::Table(_) => Reply::err("ERR reached lua stack limit"),
        _ => Reply::Nil,
    }
}

fn field(t: &Table, k: &str) -> Value {
    t.raw_get(k).unwrap_or(Value::Nil)
}

fn table_reply(t: &Table, resp: u8, depth: usize) -> Reply {
    if let Value::String(e) = field(t, "err") {
        return Reply::Error(one_line(&e.as_bytes()));
    }
    if let Value::String(s) = field(t, "ok") {
        return Reply::Status(one_line(&s.as_bytes()));
    }
    match field(t, "double") {
        Value::Number(n) => return Reply::Double(n),
        Value::Integer(i) => return Reply::Double(i as f64),
        _ => {}
    }
    if let Value::String(s) = field(t, "big_number") {
        return Reply::BigNumber(one_line(&s.as_bytes()));
    }
    if let Value::Table(m) = field(t, "map") {
        let mut pairs = Vec::new();
        for (k, v) in m.pairs::<Value, Value>().flatten() {
            pairs.push((
                to_reply_depth(&k, resp, depth + 1),
                to_reply_depth(&v, resp, depth + 1),
            ));
        }
        return Reply::Map(pairs);
    }
    if let Value::Table(s) = field(t, "set") {
        let mut items = Vec::new();
        for (k, _) in s.pairs::<Value, Value>().flatten() {
            items.push(to_reply_depth(&k, resp, depth + 1));
        }
        return Reply::Set(items);
    }
    if let Value::Table(vs) = field(t, "verbatim_string") {
        // The reply's format is always `txt`, as for Redis's own commands.
        if let (Value::String(_), Value::String(s)) = (field(&vs, "format"), field(&vs, "string")) {
            return Reply::Verbatim(s.as_bytes().to_vec());
        }
    }
    let mut items = Vec::new();
    for i in 1.. {
        let v: Value = t.raw_get(i).unwrap_or(Value::Nil);
        if v.is_nil() {
            break;
        }
        items.push(to_reply_depth(&v, resp, depth + 1));
    }
    Reply::Array(items)
}

/// Error and status texts travel on one line: Redis turns CR and LF into spaces.
fn one_line(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace(['\r', '\n'], " ")
}

/// The reply of a script that raised `err` (the error handler's table, or whatever was raised):
/// `<message> script: <sha>, on <source>:<line>.` as Redis 7.0 words it.
pub fn error_text(err: &Value, sha: &str) -> String {
    let Value::Table(t) = err else {
        let msg = match err {
            Value::String(s) => one_line(&s.as_bytes()),
            other => format!("{other:?}"),
        };
        return format!("ERR {msg} script: {sha}");
    };
    let msg = match field(t, "err") {
        Value::String(s) => one_line(&s.as_bytes()),
        _ => "ERR unknown error".to_string(),
    };
    let msg = msg.strip_prefix('-').map(str::to_string).unwrap_or(msg);
    match (field(t, "source"), to_int(&field(t, "line"))) {
        (Value::String(src), Some(line)) => format!(
            "{msg} script: {sha}, on {}:{line}.",
            String::from_utf8_lossy(&src.as_bytes())
        ),
        _ => format!("{msg} script: {sha}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_as_c() {
        assert_eq!(trunc(3.7), 3);
        assert_eq!(trunc(-3.9), -3);
        assert_eq!(trunc(1e20), i64::MIN);
        assert_eq!(trunc(f64::NAN), i64::MIN);
    }
}
