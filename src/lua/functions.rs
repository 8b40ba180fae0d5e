//! Redis 7.0 functions: libraries of Lua code loaded with FUNCTION LOAD (`#!lua name=<lib>`),
//! each registering named functions with `redis.register_function`, called with FCALL. They
//! run in an interpreter of their own (the scripts cache can be flushed without touching them),
//! each library's code in a read-only environment of its own whose `redis` table, while the
//! library loads, offers only `register_function` and `log`.
use super::{raise, Engine, Host};
use crate::resp::Reply;
use mlua::{Function, MultiValue, Table, Value};
use std::collections::{BTreeMap, HashMap};

/// The flags a function may declare, as Redis names them.
pub const FLAG_NAMES: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// How long a library's code may run while loading before the load fails.
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

pub struct Func {
    pub name: String,
    pub description: Option<String>,
    pub flags: Vec<&'static str>,
    callback: Function,
}

impl Func {
    pub fn has_flag(&self, f: &str) -> bool {
        self.flags.contains(&f)
    }
}

pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: Vec<Func>,
}

/// The loaded libraries and the interpreter they live in.
pub struct Functions {
    engine: Engine,
    pub libs: BTreeMap<String, Library>,
    /// Function name → library name.
    index: HashMap<String, String>,
}

impl Functions {
    pub fn new() -> Result<Functions, String> {
        Ok(Functions {
            engine: Engine::new()?,
            libs: BTreeMap::new(),
            index: HashMap::new(),
        })
    }

    pub fn function_count(&self) -> usize {
        self.index.len()
    }

    pub fn get(&self, name: &str) -> Option<&Func> {
        let lib = self.libs.get(self.index.get(name)?)?;
        lib.functions.iter().find(|f| f.name == name)
    }

    pub fn vm_memory(&self) -> usize {
        self.engine.vm_memory()
    }

    /// FUNCTION LOAD: compile and run the library's code, which must register at least one
    /// function. Returns the library name, or the error reply's text.
    pub fn load(&mut self, code: &[u8], replace: bool) -> Result<String, String> {
        let (name, body) = parse_shebang(code)?;
        if self.libs.contains_key(&name) && !replace {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        let functions = self.register(&body).map_err(|e| match e {
            LoadError::Lua(msg) => format!("ERR Error registering functions: {msg}"),
            LoadError::Plain(msg) => msg,
        })?;
        if functions.is_empty() {
            return Err("ERR No functions registered".into());
        }
        for f in &functions {
            if let Some(owner) = self.index.get(&f.name) {
                if *owner != name {
                    return Err(format!("ERR Function {} already exists", f.name));
                }
            }
        }
        self.delete(&name);
        for f in &functions {
            self.index.insert(f.name.clone(), name.clone());
        }
        self.libs.insert(
            name.clone(),
            Library {
                name: name.clone(),
                code: code.to_vec(),
                functions,
            },
        );
        Ok(name)
    }

    pub fn delete(&mut self, name: &str) -> bool {
        let Some(lib) = self.libs.remove(name) else {
            return false;
        };
        for f in &lib.functions {
            self.index.remove(&f.name);
        }
        true
    }

    /// Run the library's code in its own environment, collecting what it registers.
    fn register(&mut self, body: &[u8]) -> Result<Vec<Func>, LoadError> {
        let lua = &self.engine.lua;
        let lua_err = |e: mlua::Error| LoadError::Lua(e.to_string());
        // The library's globals: its own `redis` (the load-time one) over the shared ones.
        let own = lua.create_table().map_err(lua_err)?;
        let meta = lua.create_table().map_err(lua_err)?;
        meta.raw_set("__index", self.engine.globals.clone())
            .map_err(lua_err)?;
        own.set_metatable(Some(meta)).map_err(lua_err)?;
        let env: Table = self.engine.seal.call(own.clone()).map_err(lua_err)?;
        let chunk = lua
            .load(body)
            .set_name("@user_function")
            .set_environment(env)
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => {
                    LoadError::Plain(format!("ERR Error compiling function: {message}"))
                }
                other => LoadError::Lua(other.to_string()),
            })?;
        let found = std::cell::RefCell::new(Vec::<Func>::new());
        let outcome = lua.scope(|scope| {
            let register =
                scope.create_function(|_, args: MultiValue| register_one(&found, args))?;
            let load_redis = lua.create_table()?;
            // What it lacks is an error to read, as a missing global is.
            if let Some(g) = self.engine.globals.metatable() {
                let missing = lua.create_table()?;
                missing.raw_set("__index", g.raw_get::<Value>("__index")?)?;
                load_redis.set_metatable(Some(missing))?;
            }
            load_redis.raw_set("register_function", register)?;
            load_redis.raw_set("log", self.engine.redis.raw_get::<Value>("log")?)?;
            for (k, v) in [
                ("LOG_DEBUG", 0),
                ("LOG_VERBOSE", 1),
                ("LOG_NOTICE", 2),
                ("LOG_WARNING", 3),
            ] {
                load_redis.raw_set(k, v)?;
            }
            own.raw_set("redis", self.engine.seal.call::<Table>(load_redis)?)?;
            super::LOAD_DEADLINE.with(|d| d.set(Some(std::time::Instant::now() + LOAD_TIMEOUT)));
            let r: mlua::Result<MultiValue> = self
                .engine
                .xpcall
                .call((chunk, self.engine.handler.clone()));
            super::LOAD_DEADLINE.with(|d| d.set(None));
            let r = r?;
            let mut it = r.into_iter();
            let ok = matches!(it.next(), Some(Value::Boolean(true)));
            Ok((ok, it.next().unwrap_or(Value::Nil)))
        });
        // Calls made later see the run-time `redis` (the shared one) again.
        own.raw_set("redis", Value::Nil).map_err(lua_err)?;
        let (ok, err) = outcome.map_err(lua_err)?;
        if !ok {
            return Err(LoadError::Lua(load_error_text(&err)));
        }
        Ok(found.into_inner())
    }

    /// FCALL: run function `name` (known to exist) with its keys and arguments.
    pub fn call(
        &mut self,
        name: &str,
        keys: &[Vec<u8>],
        args: &[Vec<u8>],
        host: &mut dyn Host,
    ) -> Reply {
        let Some(f) = self.get(name).map(|f| f.callback.clone()) else {
            return Reply::err("ERR Function not found");
        };
        match self.engine.invoke(f, Some((keys, args)), name, host) {
            Ok(r) => r,
            Err(e) => Reply::Error(format!("ERR Error running function: {e}")),
        }
    }
}

enum LoadError {
    /// A Lua error while the code ran (wrapped in "Error registering functions").
    Lua(String),
    /// A complete error reply text.
    Plain(String),
}

/// The message of an error raised while a library loaded, without the script suffix.
fn load_error_text(err: &Value) -> String {
    match err {
        Value::Table(t) => match t.raw_get::<Value>("err") {
            Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            _ => "ERR unknown error".into(),
        },
        Value::String(s) => format!("ERR {}", String::from_utf8_lossy(&s.as_bytes())),
        other => format!("ERR {other:?}"),
    }
}

/// `#!lua name=<lib>` on the first line: the library name, and the code with that line
/// blanked (so line numbers in errors count it, as Redis's do).
fn parse_shebang(code: &[u8]) -> Result<(String, Vec<u8>), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let end = code.iter().position(|&b| b == b'\n').unwrap_or(code.len());
    let line = String::from_utf8_lossy(&code[2..end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    let mut name = None;
    for p in parts {
        match p.strip_prefix("name=") {
            Some(n) => name = Some(n.to_string()),
            None => return Err(format!("ERR Invalid metadata value given: {p}")),
        }
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    Ok((name, code[end..].to_vec()))
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `redis.register_function(name, callback)` or `redis.register_function{function_name=...,
/// callback=..., flags={...}, description=...}`.
fn register_one(found: &std::cell::RefCell<Vec<Func>>, args: MultiValue) -> mlua::Result<()> {
    let (name, callback, flags, description) = match args.len() {
        1 => {
            let Some(Value::Table(t)) = args.front() else {
                return Err(raise("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."));
            };
            named_args(t)?
        }
        2 => {
            let mut it = args.into_iter();
            let name = match it.next() {
                Some(Value::String(s)) => s.to_string_lossy(),
                _ => {
                    return Err(raise(
                        "first argument to redis.register_function must be a string",
                    ))
                }
            };
            let Some(Value::Function(f)) = it.next() else {
                return Err(raise(
                    "second argument to redis.register_function must be a function",
                ));
            };
            (name, f, Vec::new(), None)
        }
        _ => {
            return Err(raise(
                "wrong number of arguments to redis.register_function",
            ))
        }
    };
    if !valid_name(&name) {
        // Redis 7.0 words this error as if about the library.
        return Err(raise("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
    }
    let mut found = found.borrow_mut();
    if found.iter().any(|f| f.name == name) {
        return Err(raise("Function already exists in the library"));
    }
    found.push(Func {
        name,
        description,
        flags,
        callback,
    });
    Ok(())
}

type Named = (String, Function, Vec<&'static str>, Option<String>);

fn named_args(t: &Table) -> mlua::Result<Named> {
    let (mut name, mut callback, mut flags, mut description) = (None, None, Vec::new(), None);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, v) = pair?;
        let Value::String(k) = k else {
            return Err(raise(
                "named argument key given to redis.register_function is not a string",
            ));
        };
        match (&*k.as_bytes(), v) {
            (b"function_name", Value::String(s)) => name = Some(s.to_string_lossy()),
            (b"function_name", _) => {
                return Err(raise("function_name argument given to redis.register_function must be a string"))
            }
            (b"description", Value::String(s)) => description = Some(s.to_string_lossy()),
            (b"description", _) => {
                return Err(raise("description argument given to redis.register_function must be a string"))
            }
            (b"callback", Value::Function(f)) => callback = Some(f),
            (b"callback", _) => {
                return Err(raise("callback argument given to redis.register_function must be a function"))
            }
            (b"flags", Value::Table(ft)) => flags = parse_flags(&ft)?,
            (b"flags", _) => return Err(raise("flags argument to redis.register_function must be a table representing function flags")),
            _ => return Err(raise("unknown argument given to redis.register_function")),
        }
    }
    let Some(name) = name else {
        return Err(raise(
            "redis.register_function must get a function name argument",
        ));
    };
    let Some(callback) = callback else {
        return Err(raise(
            "redis.register_function must get a callback argument",
        ));
    };
    Ok((name, callback, flags, description))
}

fn parse_flags(t: &Table) -> mlua::Result<Vec<&'static str>> {
    let mut out = Vec::new();
    for v in t.clone().sequence_values::<Value>() {
        let Value::String(s) = v? else {
            return Err(raise("unknown flag given"));
        };
        let s = s.to_string_lossy();
        match FLAG_NAMES.iter().find(|f| **f == s) {
            Some(f) if !out.contains(f) => out.push(*f),
            Some(_) => {}
            None => return Err(raise("unknown flag given")),
        }
    }
    Ok(out)
}

/// A reply value for FUNCTION LIST's flags.
pub fn flags_reply(f: &Func) -> Reply {
    Reply::Set(f.flags.iter().map(|f| Reply::status(*f)).collect())
}

/// The library code of every library, for RDB files and FUNCTION DUMP.
pub fn codes(f: Option<&Functions>) -> Vec<Vec<u8>> {
    f.map(|f| f.libs.values().map(|l| l.code.clone()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_rules() {
        assert_eq!(
            parse_shebang(b"return 1").unwrap_err(),
            "ERR Missing library metadata"
        );
        assert_eq!(
            parse_shebang(b"#!lua\nx").unwrap_err(),
            "ERR Library name was not given"
        );
        assert_eq!(
            parse_shebang(b"#!luax name=a\n").unwrap_err(),
            "ERR Engine 'luax' not found"
        );
        let (n, body) = parse_shebang(b"#!lua name=lib\nreturn 1").unwrap();
        assert_eq!(n, "lib");
        assert_eq!(body, b"\nreturn 1");
    }

    #[test]
    fn load_register_and_replace() {
        let mut f = Functions::new().unwrap();
        let code = b"#!lua name=l\nredis.register_function('a', function(k, a) return 1 end)";
        assert_eq!(f.load(code, false).unwrap(), "l");
        assert!(f.get("a").is_some());
        assert_eq!(
            f.load(code, false).unwrap_err(),
            "ERR Library 'l' already exists"
        );
        assert!(f.load(code, true).is_ok());
        let other = b"#!lua name=m\nredis.register_function('a', function() end)";
        assert_eq!(
            f.load(other, false).unwrap_err(),
            "ERR Function a already exists"
        );
        let none = b"#!lua name=n\nlocal x = 1";
        assert_eq!(
            f.load(none, false).unwrap_err(),
            "ERR No functions registered"
        );
        let forever = b"#!lua name=n\nwhile true do end";
        assert!(f.load(forever, false).is_err());
    }
}
