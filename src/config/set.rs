//! CONFIG SET semantics on a `Config`: name checks first (unknown, immutable, protected,
//! duplicate), then every value is parsed into a copy, which replaces the live config only if
//! all of them are valid (all or nothing). Process-level side effects are left to the caller.
use super::table::{self, Directive, IMMUTABLE, PROTECTED};
use super::{parse_value, Config, Val};

fn failed(name: &str, msg: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {msg}")
}

/// Split a CONFIG SET value for a multi-argument directive: on single spaces, as Redis does.
fn split_value(d: &Directive, v: &str) -> Vec<String> {
    if !d.multi_arg() {
        return vec![v.to_string()];
    }
    if v.is_empty() {
        return Vec::new();
    }
    v.split(' ').map(str::to_string).collect()
}

/// Apply `name value` pairs atomically. `protected_ok` says whether PROTECTED directives may be
/// changed (per `enable-protected-configs` and the client). Returns the directives that were set.
pub fn config_set(
    cfg: &mut Config,
    pairs: &[(String, String)],
    protected_ok: bool,
) -> Result<Vec<&'static Directive>, String> {
    let mut ds: Vec<&'static Directive> = Vec::new();
    for (name, _) in pairs {
        let Some(d) = table::lookup(name) else {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            ));
        };
        if d.has(IMMUTABLE) {
            return Err(failed(name, "can't set immutable config"));
        }
        if d.has(PROTECTED) && !protected_ok {
            return Err(failed(name, "can't set protected config"));
        }
        if ds.iter().any(|x| std::ptr::eq(*x, d)) {
            return Err(failed(name, "duplicate parameter"));
        }
        ds.push(d);
    }
    let mut next = cfg.clone();
    for ((name, value), d) in pairs.iter().zip(&ds) {
        let v = parse_value(&next, d, &split_value(d, value)).map_err(|m| failed(name, &m))?;
        // The listeners are owned by the event loop: only a no-op change is accepted.
        match (d.name, &v) {
            ("port", Val::Int(p)) if *p != cfg.port as i64 => {
                return Err(failed(name, "Unable to listen on this port"));
            }
            ("bind", Val::Bind(b)) if *b != cfg.bind => {
                return Err(failed(name, "Failed to bind to specified addresses."));
            }
            _ => {}
        }
        next.store(d, v);
    }
    *cfg = next;
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(cfg: &mut Config, kv: &[(&str, &str)]) -> Result<(), String> {
        let pairs: Vec<(String, String)> = kv
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        config_set(cfg, &pairs, false).map(|_| ())
    }

    #[test]
    fn errors_match_redis() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, &[("foo", "bar")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            set(&mut c, &[("timeout", "abc")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            set(&mut c, &[("timeout", "1"), ("timeout", "2")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"
        );
        assert_eq!(
            set(&mut c, &[("replica-read-only", "no"), ("slave-read-only", "no")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - duplicate parameter"
        );
        assert_eq!(
            set(&mut c, &[("databases", "3")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
        );
        assert_eq!(
            set(&mut c, &[("dir", "/tmp")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            set(&mut c, &[("maxclients", "0")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"
        );
    }

    #[test]
    fn atomic_and_live_values() {
        let mut c = Config::default();
        assert!(set(&mut c, &[("timeout", "30"), ("hz", "x")]).is_err());
        assert_eq!(c.timeout, 0, "a failed CONFIG SET must change nothing");
        set(
            &mut c,
            &[("timeout", "30"), ("hz", "1000"), ("save", "100 5 10 1")],
        )
        .unwrap();
        assert_eq!((c.timeout, c.hz), (30, 500));
        assert_eq!(c.save, vec![(100, 5), (10, 1)]);
        set(&mut c, &[("save", "")]).unwrap();
        assert!(c.save.is_empty());
        set(&mut c, &[("maxmemory", "1mb"), ("requirepass", "pw")]).unwrap();
        assert_eq!(c.maxmemory, 1 << 20);
        assert_eq!(c.requirepass.as_deref(), Some(&b"pw"[..]));
        set(&mut c, &[("client-output-buffer-limit", "pubsub 1mb 0 0")]).unwrap();
        assert_eq!(
            c.get_by_name("client-output-buffer-limit").unwrap(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 0 0"
        );
        assert!(set(&mut c, &[("port", "1")]).is_err());
        set(&mut c, &[("port", "6379")]).unwrap();
        set(&mut c, &[("lua-time-limit", "100")]).unwrap();
        assert_eq!(c.get_by_name("busy-reply-threshold").unwrap(), "100");
    }
}
