//! Errors and argument checks for library functions written in Rust, with the texts the C
//! auxiliary library (`luaL_error`, `luaL_argerror`, `luaL_check*`) produces, so scripts see
//! the same messages as under Redis's C libraries.
use mlua::{Lua, MultiValue, Value};

/// Lua's own stack limit for C functions (`LUAI_MAXCSTACK`): the C libraries check their stack
/// use against it, and their errors depend on where it is reached.
pub const MAX_C_STACK: i64 = 8000;

/// How deep the Rust encoders and decoders go, and how many values they hold at once: each
/// costs mlua a slot of its own auxiliary stack, which is as small as Lua's and panics when
/// full. Beyond this they report their nesting error earlier than the C libraries would.
pub const MAX_HELD: i64 = 2400;

/// A Lua error message with the caller's position, as `luaL_error` writes it (no position when
/// the caller is a C function such as `pcall`); the prelude's handler reads the text after
/// `\u{2}`.
pub fn lua_error(lua: &Lua, msg: &str) -> mlua::Error {
    let place = lua
        .inspect_stack(1, |d| {
            let line = d.current_line().filter(|&l| l > 0);
            let src = d.source().short_src.map(|s| s.into_owned());
            match (src, line) {
                (Some(s), Some(line)) => format!("{s}:{line}: "),
                _ => String::new(),
            }
        })
        .unwrap_or_default();
    mlua::Error::RuntimeError(format!("\u{2}{place}{msg}"))
}

/// An error raised by the Lua core itself inside a C function (no position), e.g.
/// `table index is nil`.
pub fn plain_error(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("\u{2}{msg}"))
}

/// `luaL_argerror`: `bad argument #n to 'name' (msg)`, with the name the caller used for the
/// running function (`?` when it has none, e.g. called through `pcall`).
pub fn arg_error(lua: &Lua, n: i64, msg: &str) -> mlua::Error {
    let (name, method) = lua
        .inspect_stack(0, |d| {
            let names = d.names();
            (
                names.name.map(|s| s.into_owned()),
                names.name_what == Some("method"),
            )
        })
        .unwrap_or((None, false));
    let name = name.unwrap_or_else(|| "?".to_string());
    let n = if method { n - 1 } else { n };
    if method && n == 0 {
        return lua_error(lua, &format!("calling '{name}' on bad self ({msg})"));
    }
    lua_error(lua, &format!("bad argument #{n} to '{name}' ({msg})"))
}

/// `lua_typename` of a value (light and full userdata are both `userdata`).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// `luaL_typerror`: `<expected> expected, got <type>` (`no value` past the last argument).
pub fn type_error(lua: &Lua, n: i64, expected: &str, got: Option<&Value>) -> mlua::Error {
    let got = got.map(type_name).unwrap_or("no value");
    arg_error(lua, n, &format!("{expected} expected, got {got}"))
}

/// A Lua number as an `f64` (mlua gives integral numbers as `Integer`).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Argument `n` (1-based), `None` past the last one.
pub fn get(args: &MultiValue, n: usize) -> Option<&Value> {
    args.get(n.wrapping_sub(1))
}

/// `luaL_checknumber` on an argument (numbers and numeric strings).
pub fn check_number(lua: &Lua, v: Option<&Value>, n: i64) -> mlua::Result<f64> {
    if let Some(x) = v.and_then(number) {
        return Ok(x);
    }
    if let Some(s @ Value::String(_)) = v {
        if let Some(x) = lua.coerce_number(s.clone())? {
            return Ok(x);
        }
    }
    Err(type_error(lua, n, "number", v))
}

/// `luaL_checkinteger`: the number truncated as C's cast to `lua_Integer` does.
pub fn check_integer(lua: &Lua, v: Option<&Value>, n: i64) -> mlua::Result<i64> {
    check_number(lua, v, n).map(super::convert::trunc)
}

/// `luaL_optinteger`: `default` for a missing or nil argument.
pub fn opt_integer(lua: &Lua, v: Option<&Value>, n: i64, default: i64) -> mlua::Result<i64> {
    match v {
        None | Some(Value::Nil) => Ok(default),
        v => check_integer(lua, v, n),
    }
}

/// `luaL_checklstring`: strings, and numbers as Lua writes them.
pub fn check_bytes(lua: &Lua, v: Option<&Value>, n: i64) -> mlua::Result<Vec<u8>> {
    match v {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(x @ (Value::Number(_) | Value::Integer(_))) => match lua.coerce_string(x.clone())? {
            Some(s) => Ok(s.as_bytes().to_vec()),
            None => Err(type_error(lua, n, "string", v)),
        },
        _ => Err(type_error(lua, n, "string", v)),
    }
}
