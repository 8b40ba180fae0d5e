//! The `bit` library Redis loads (LuaBitOp's functions): 32-bit operations on Lua numbers,
//! which are doubles in Lua 5.1. Written here because no maintained crate provides it for a
//! Lua 5.1 built by `mlua`.
use mlua::{Lua, Table, Variadic};

/// LuaBitOp's normalisation: round to the nearest integer and keep the low 32 bits, by the
/// same 2^52 + 2^51 addition, so halves round exactly as there.
fn tobit(x: f64) -> i32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32 as i32
}

fn num(v: i32) -> f64 {
    v as f64
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("tobit", lua.create_function(|_, x: f64| Ok(num(tobit(x))))?)?;
    t.raw_set("bnot", lua.create_function(|_, x: f64| Ok(num(!tobit(x))))?)?;
    let fold = |f: fn(i32, i32) -> i32| {
        move |_: &Lua, (first, rest): (f64, Variadic<f64>)| {
            Ok(num(rest.iter().fold(tobit(first), |a, &b| f(a, tobit(b)))))
        }
    };
    t.raw_set("band", lua.create_function(fold(|a, b| a & b))?)?;
    t.raw_set("bor", lua.create_function(fold(|a, b| a | b))?)?;
    t.raw_set("bxor", lua.create_function(fold(|a, b| a ^ b))?)?;
    let shift = |f: fn(i32, u32) -> i32| {
        move |_: &Lua, (x, n): (f64, f64)| Ok(num(f(tobit(x), (tobit(n) & 31) as u32)))
    };
    t.raw_set(
        "lshift",
        lua.create_function(shift(|a, n| ((a as u32) << n) as i32))?,
    )?;
    t.raw_set(
        "rshift",
        lua.create_function(shift(|a, n| ((a as u32) >> n) as i32))?,
    )?;
    t.raw_set("arshift", lua.create_function(shift(|a, n| a >> n))?)?;
    t.raw_set(
        "rol",
        lua.create_function(shift(|a, n| (a as u32).rotate_left(n) as i32))?,
    )?;
    t.raw_set(
        "ror",
        lua.create_function(shift(|a, n| (a as u32).rotate_right(n) as i32))?,
    )?;
    t.raw_set(
        "bswap",
        lua.create_function(|_, x: f64| Ok(num(tobit(x).swap_bytes())))?,
    )?;
    t.raw_set(
        "tohex",
        lua.create_function(|_, (x, n): (f64, Option<f64>)| Ok(tohex(tobit(x), n.map(tobit))))?,
    )?;
    Ok(t)
}

/// `bit.tohex(x [, n])`: `n` hex digits (8 by default), uppercase when `n` is negative.
fn tohex(x: i32, n: Option<i32>) -> String {
    let n = n.unwrap_or(8);
    let upper = n < 0;
    let digits = n.unsigned_abs().min(8) as usize;
    let full = if upper {
        format!("{:08X}", x as u32)
    } else {
        format!("{:08x}", x as u32)
    };
    full[8 - digits..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_luabitop() {
        assert_eq!(tobit(4294967295.0), -1);
        assert_eq!(tobit(2147483648.0), i32::MIN);
        assert_eq!(tobit(0.5), 0);
        assert_eq!(tobit(1.5), 2);
        assert_eq!(tohex(255, None), "000000ff");
        assert_eq!(tohex(255, Some(-2)), "FF");
    }
}
