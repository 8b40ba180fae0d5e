//! `cjson.decode`: lua-cjson 2.1.0's JSON parser, token by token as it reports errors
//! (`Expected <what> but found <token> at character <n>`), with its number reading (C's
//! `strtod`, and what it calls invalid numbers), NULs ending the text, and its nesting limits.
use super::args::{lua_error, MAX_C_STACK, MAX_HELD};
use super::cjson::{null, Config};
use super::strtod::strtod;
use mlua::{Lua, Value};

#[derive(Debug)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(msg) => msg,
        }
    }
}

/// Decode `text` into a Lua value; errors carry lua-cjson's messages.
pub fn decode(lua: &Lua, text: &[u8], cfg: &Config) -> mlua::Result<Value> {
    if text.len() >= 2 && (text[0] == 0 || text[1] == 0) {
        return Err(lua_error(
            lua,
            "JSON parser does not support UTF-16 or UTF-32",
        ));
    }
    // The C parser reads a NUL-terminated buffer: a NUL ends the text.
    let end = text.iter().position(|&c| c == 0).unwrap_or(text.len());
    let mut p = Parser {
        lua,
        data: &text[..end],
        pos: 0,
        depth: 0,
        cfg,
    };
    let run = |p: &mut Parser| -> Result<Value, Failure> {
        let (tok, at) = p.next();
        let v = p.value(tok, at, 1)?;
        let (tok, at) = p.next();
        if !matches!(tok, Tok::End) {
            return Err(expected("the end", &tok, at));
        }
        Ok(v)
    };
    match run(&mut p) {
        Ok(v) => Ok(v),
        Err(Failure::Msg(m)) => Err(lua_error(lua, &m)),
        Err(Failure::Lua(e)) => Err(e),
    }
}

enum Failure {
    Msg(String),
    Lua(mlua::Error),
}

impl From<mlua::Error> for Failure {
    fn from(e: mlua::Error) -> Failure {
        Failure::Lua(e)
    }
}

fn expected(what: &str, tok: &Tok, at: usize) -> Failure {
    Failure::Msg(format!(
        "Expected {what} but found {} at character {}",
        tok.name(),
        at + 1
    ))
}

struct Parser<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    depth: i64,
    cfg: &'a Config,
}

impl Parser<'_> {
    fn peek(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// The next token and where it starts (for errors inside a token, where the error is).
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.peek(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let at = self.pos;
        let c = self.peek(at);
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            0 => return (Tok::End, at),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, at);
        }
        if c == b'"' {
            return self.string();
        }
        let rest = &self.data[at..];
        if c == b'-' || c.is_ascii_digit() {
            if !self.cfg.decode_invalid && invalid_number(rest) {
                return (Tok::Error("invalid number"), at);
            }
            return self.number();
        }
        for (word, tok) in [
            (&b"true"[..], Tok::Bool(true)),
            (b"false", Tok::Bool(false)),
            (b"null", Tok::Null),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return (tok, at);
            }
        }
        if self.cfg.decode_invalid && invalid_number(rest) {
            return self.number();
        }
        (Tok::Error("invalid token"), at)
    }

    fn number(&mut self) -> (Tok, usize) {
        let at = self.pos;
        let (v, len) = strtod(&self.data[at..]);
        if len == 0 {
            return (Tok::Error("invalid number"), at);
        }
        self.pos += len;
        (Tok::Num(v), at)
    }

    fn string(&mut self) -> (Tok, usize) {
        let at = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek(self.pos);
            match c {
                b'"' => break,
                0 => return (Tok::Error("unexpected end of string"), self.pos),
                b'\\' => {
                    let e = self.peek(self.pos + 1);
                    let ch = match e {
                        b'"' | b'\\' | b'/' => e,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => match self.unicode() {
                            Some(cp) => {
                                let mut buf = [0u8; 4];
                                let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                                continue;
                            }
                            None => return (Tok::Error("invalid unicode escape code"), self.pos),
                        },
                        _ => return (Tok::Error("invalid escape code"), self.pos),
                    };
                    out.push(ch);
                    self.pos += 2;
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        (Tok::Str(out), at)
    }

    /// A `\uXXXX` escape (a surrogate pair takes two) at `pos`: the code point, and `pos`
    /// moved past it; `None` (and `pos` unmoved) when it is invalid.
    fn unicode(&mut self) -> Option<u32> {
        let hex4 = |p: &Self, i: usize| -> Option<u32> {
            (0..4).try_fold(0u32, |acc, k| {
                Some(acc << 4 | (p.peek(i + k) as char).to_digit(16)?)
            })
        };
        let first = hex4(self, self.pos + 2)?;
        let cp = match first {
            0xdc00..=0xdfff => return None,
            0xd800..=0xdbff => {
                if self.peek(self.pos + 6) != b'\\' || self.peek(self.pos + 7) != b'u' {
                    return None;
                }
                let low = hex4(self, self.pos + 8)?;
                if !(0xdc00..=0xdfff).contains(&low) {
                    return None;
                }
                self.pos += 6;
                0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00)
            }
            cp => cp,
        };
        self.pos += 6;
        Some(cp)
    }

    /// One nesting level more: `slots` is the Lua stack the C parser needs for it, `top` what
    /// it uses already.
    fn descend(&mut self, top: i64, slots: i64) -> Result<(), Failure> {
        self.depth += 1;
        if self.depth > self.cfg.decode_max_depth as i64
            || top + slots > MAX_C_STACK
            || self.depth > MAX_HELD
        {
            return Err(Failure::Msg(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            )));
        }
        Ok(())
    }

    fn value(&mut self, tok: Tok, at: usize, top: i64) -> Result<Value, Failure> {
        let lua = self.lua;
        Ok(match tok {
            Tok::ObjBegin => self.object(top)?,
            Tok::ArrBegin => self.array(top)?,
            Tok::Str(s) => Value::String(lua.create_string(s)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => null(),
            other => return Err(expected("value", &other, at)),
        })
    }

    fn object(&mut self, top: i64) -> Result<Value, Failure> {
        self.descend(top, 3)?;
        let t = self.lua.create_table()?;
        let (mut tok, mut at) = self.next();
        if matches!(tok, Tok::ObjEnd) {
            self.depth -= 1;
            return Ok(Value::Table(t));
        }
        loop {
            let Tok::Str(key) = tok else {
                return Err(expected("object key string", &tok, at));
            };
            let (colon, cat) = self.next();
            if !matches!(colon, Tok::Colon) {
                return Err(expected("colon", &colon, cat));
            }
            let (vt, vat) = self.next();
            let v = self.value(vt, vat, top + 2)?;
            t.raw_set(self.lua.create_string(key)?, v)?;
            let (sep, sat) = self.next();
            match sep {
                Tok::ObjEnd => {
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                Tok::Comma => {}
                other => return Err(expected("comma or object end", &other, sat)),
            }
            (tok, at) = self.next();
        }
    }

    fn array(&mut self, top: i64) -> Result<Value, Failure> {
        self.descend(top, 2)?;
        let t = self.lua.create_table()?;
        let (mut tok, mut at) = self.next();
        if matches!(tok, Tok::ArrEnd) {
            self.depth -= 1;
            return Ok(Value::Table(t));
        }
        let mut i = 1;
        loop {
            let v = self.value(tok, at, top + 1)?;
            t.raw_set(i, v)?;
            i += 1;
            let (sep, sat) = self.next();
            match sep {
                Tok::ArrEnd => {
                    self.depth -= 1;
                    return Ok(Value::Table(t));
                }
                Tok::Comma => {}
                other => return Err(expected("comma or array end", &other, sat)),
            }
            (tok, at) = self.next();
        }
    }
}

/// What lua-cjson calls an invalid number: a leading `+`, hex, leading zeros, inf or nan.
fn invalid_number(s: &[u8]) -> bool {
    let mut p = s;
    if p.first() == Some(&b'+') {
        return true;
    }
    if p.first() == Some(&b'-') {
        p = &p[1..];
    }
    let c = p.first().copied().unwrap_or(0);
    if c == b'0' {
        let c2 = p.get(1).copied().unwrap_or(0);
        return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
    }
    if c <= b'9' {
        return false;
    }
    p.len() >= 3 && (p[..3].eq_ignore_ascii_case(b"inf") || p[..3].eq_ignore_ascii_case(b"nan"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(lua: &Lua, text: &[u8]) -> Result<Value, String> {
        decode(lua, text, &Config::default()).map_err(|e| e.to_string())
    }

    #[test]
    fn errors_name_the_token_and_place() {
        let lua = Lua::new();
        assert!(dec(&lua, b"[1,]")
            .unwrap_err()
            .contains("Expected value but found T_ARR_END at character 4"));
        assert!(dec(&lua, b"\"ab\\qc\"")
            .unwrap_err()
            .contains("invalid escape code at character 4"));
        assert!(dec(&lua, b"{\"a\" 2}")
            .unwrap_err()
            .contains("Expected colon but found T_NUMBER at character 6"));
        assert!(dec(&lua, b"1e")
            .unwrap_err()
            .contains("Expected the end but found invalid token at character 2"));
        assert!(matches!(dec(&lua, b"[1]\0xx").unwrap(), Value::Table(_)));
    }

    #[test]
    fn random_bytes_never_panic() {
        let lua = Lua::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"{}[]:,\"\\u0123456789abcdefxEe+-.tnrul \t\n\0\xc3\xa9";
        for _ in 0..3000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let mut text = Vec::with_capacity(len);
            let mut s = seed;
            for _ in 0..len {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push(alphabet[(s >> 33) as usize % alphabet.len()]);
            }
            let _ = dec(&lua, &text);
        }
    }
}
