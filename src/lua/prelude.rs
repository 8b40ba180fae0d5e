//! Building a new interpreter: the libraries Redis loads, then the Lua-side environment
//! (`prelude.lua`: the `redis` table, the error handler, the sealed globals), then the Rust
//! functions of the `redis` table and `math.random`.
use super::args::lua_error;
use super::{bit, cjson, cmsgpack, raise, struct_lib, Engine};
use mlua::{Lua, LuaOptions, MultiValue, StdLib, Table, Value};
use std::collections::HashMap;

const PRELUDE: &str = include_str!("prelude.lua");

pub(super) fn build() -> mlua::Result<Engine> {
    // The debug library is loaded for the prelude's error handler (which needs
    // `debug.getinfo`) and then removed from the globals scripts see.
    let lua = unsafe {
        Lua::unsafe_new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
            LuaOptions::new(),
        )
    };
    let globals = lua.globals();
    globals.raw_set("bit", bit::open(&lua)?)?;
    globals.raw_set("cjson", cjson::open(&lua)?)?;
    globals.raw_set("cmsgpack", cmsgpack::open(&lua)?)?;
    globals.raw_set("struct", struct_lib::open(&lua)?)?;
    let math: Table = globals.raw_get("math")?;
    math.raw_set("random", lua.create_function(random)?)?;
    math.raw_set(
        "randomseed",
        lua.create_function(|_, v: Value| {
            super::rand48::seed(super::convert::to_int(&v).unwrap_or(0) as i32);
            Ok(())
        })?,
    )?;
    type Made = (mlua::Function, Table, Table, mlua::Function, mlua::Function);
    let (handler, view, redis, seal, invoke_with): Made =
        lua.load(PRELUDE).set_name("=oxidis").call(())?;
    redis.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
    super::run_functions(&lua, &redis)?;
    redis.raw_set("REDIS_VERSION", crate::util::REDIS_VERSION)?;
    redis.raw_set("REDIS_VERSION_NUM", version_num(crate::util::REDIS_VERSION))?;
    redis.raw_set("log", lua.create_function(log)?)?;
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(super::HOOK_INSTRUCTIONS),
        |_, _| super::hook(),
    )?;
    let xpcall = globals.raw_get("xpcall")?;
    Ok(Engine {
        lua,
        globals,
        view,
        redis,
        handler,
        xpcall,
        invoke_with,
        seal,
        scripts: HashMap::new(),
        bodies: 0,
    })
}

/// `math.random([m [, n]])` over Redis's generator, with Lua 5.1's argument rules.
fn random(lua: &Lua, args: MultiValue) -> mlua::Result<f64> {
    let r = super::rand48::unit();
    let arg = |i: usize| -> mlua::Result<f64> {
        match args.get(i) {
            Some(Value::Number(n)) => Ok(*n),
            Some(Value::Integer(n)) => Ok(*n as f64),
            Some(v @ Value::String(_)) => super::convert::to_int(v)
                .map(|n| n as f64)
                .ok_or_else(|| arg_error(lua, i + 1, "number expected, got string")),
            Some(v) => Err(arg_error(
                lua,
                i + 1,
                &format!("number expected, got {}", v.type_name()),
            )),
            None => Err(arg_error(lua, i + 1, "number expected, got no value")),
        }
    };
    match args.len() {
        0 => Ok(r),
        1 => {
            let u = arg(0)?.floor();
            if u < 1.0 {
                return Err(arg_error(lua, 1, "interval is empty"));
            }
            Ok((r * u).floor() + 1.0)
        }
        2 => {
            let (l, u) = (arg(0)?.floor(), arg(1)?.floor());
            if l > u {
                return Err(arg_error(lua, 2, "interval is empty"));
            }
            Ok((r * (u - l + 1.0)).floor() + l)
        }
        _ => Err(lua_error(lua, "wrong number of arguments")),
    }
}

/// `luaL_argerror`'s text for `math.random`, placed at the calling line.
fn arg_error(lua: &Lua, n: usize, what: &str) -> mlua::Error {
    lua_error(lua, &format!("bad argument #{n} to 'random' ({what})"))
}

fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    if args.len() != 1 {
        return Err(raise("wrong number of arguments"));
    }
    let bytes = args
        .front()
        .and_then(super::convert::arg_bytes)
        .unwrap_or_default();
    lua.create_string(crate::sha1::hex(&crate::sha1::sha1(&bytes)))
}

/// `redis.log(level, ...)`: the arguments that are strings or numbers, joined by spaces, at
/// Redis's level.
fn log(_: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(raise("redis.log() requires two arguments or more."));
    }
    let mut it = args.into_iter();
    let Some(level) = it.next().and_then(|v| super::convert::to_int(&v)) else {
        return Err(raise("First argument must be a number (log level)."));
    };
    if !(0..=3).contains(&level) {
        return Err(raise("Invalid debug level."));
    }
    let mut msg = Vec::new();
    for v in it {
        if let Some(b) = super::convert::arg_bytes(&v) {
            if !msg.is_empty() {
                msg.push(b' ');
            }
            msg.extend_from_slice(&b);
        }
    }
    let text = String::from_utf8_lossy(&msg);
    match level {
        0 => log::trace!("{text}"),
        1 => log::debug!("{text}"),
        2 => log::info!("{text}"),
        _ => log::warn!("{text}"),
    }
    Ok(())
}

/// `7.0.15` → 0x07000f, as `REDIS_VERSION_NUM`.
fn version_num(v: &str) -> i64 {
    v.split('.')
        .take(3)
        .fold(0, |acc, p| (acc << 8) | p.parse::<i64>().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_number_as_redis() {
        assert_eq!(super::version_num("7.0.15"), 458767);
    }
}
