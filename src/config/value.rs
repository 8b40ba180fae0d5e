//! Value parsing and formatting shared by the file loader and CONFIG SET: memory units,
//! yes/no, and the directives with a structured value (save, client-output-buffer-limit,
//! notify-keyspace-events, ...). Error texts are Redis 7.0's.

/// Redis `memtoull`: digits with an optional unit `b`, `k`(1000), `kb`(1024), `m`, `mb`, `g`,
/// `gb`, case-insensitive. Overflow saturates like `strtoull` and then wraps on the multiply.
pub fn memtoull(s: &str) -> Option<u64> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Like strtoull, no digits at all reads as 0 (`""` and `k` are 0).
    if digits.len() >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for c in digits.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add((c - b'0') as u64))
            .unwrap_or(u64::MAX);
    }
    Some(v.wrapping_mul(mul))
}

/// Memory value as CONFIG REWRITE writes it: the largest exact binary unit.
pub fn format_memory(v: u64) -> String {
    const GB: u64 = 1024 * 1024 * 1024;
    const MB: u64 = 1024 * 1024;
    if v != 0 && v % GB == 0 {
        format!("{}gb", v / GB)
    } else if v != 0 && v % MB == 0 {
        format!("{}mb", v / MB)
    } else if v != 0 && v % 1024 == 0 {
        format!("{}kb", v / 1024)
    } else {
        v.to_string()
    }
}

pub fn yes_no(v: &str) -> Result<bool, String> {
    if v.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

pub fn yn(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn out_of_range(min: impl std::fmt::Display, max: impl std::fmt::Display) -> String {
    format!("argument must be between {min} and {max} inclusive")
}

pub fn parse_int(v: &str, min: i64, max: i64) -> Result<i64, String> {
    let n = crate::util::parse_i64(v.as_bytes())
        .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(out_of_range(min, max));
    }
    Ok(n)
}

pub fn parse_mem(v: &str, min: i64, max: u64) -> Result<u64, String> {
    let n = memtoull(v).ok_or_else(|| "argument must be a memory value".to_string())?;
    let ok = if max > i64::MAX as u64 {
        min <= 0 || n >= min as u64
    } else {
        let s = n as i64;
        s >= min && s <= max as i64
    };
    if !ok {
        return Err(out_of_range(min, max));
    }
    Ok(n)
}

pub fn parse_enum(v: &str, opts: &[&str]) -> Result<String, String> {
    opts.iter()
        .find(|o| o.eq_ignore_ascii_case(v))
        .map(|o| o.to_string())
        .ok_or_else(|| {
            format!(
                "argument(s) must be one of the following: {}",
                opts.join(", ")
            )
        })
}

/// C `strtoll(s, &end, 10)` with the check `*end == '\0'`: leading spaces and a sign allowed.
fn strtoll_full(s: &str) -> Option<i64> {
    let t = s.trim_start();
    if t.is_empty() {
        return if s.is_empty() { Some(0) } else { None };
    }
    t.parse::<i64>().ok().or_else(|| {
        // Overflow saturates in strtoll.
        let d = t.trim_start_matches(['+', '-']);
        if !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) {
            Some(if t.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            })
        } else {
            None
        }
    })
}

/// `save` arguments: pairs of `seconds changes`; a single `""` means no save points.
pub fn parse_save(args: &[String]) -> Result<Vec<(u64, u64)>, String> {
    let args: &[String] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    let bad = || "Invalid save parameters".to_string();
    if args.len() % 2 == 1 {
        return Err(bad());
    }
    let mut out = Vec::new();
    for p in args.chunks(2) {
        let secs = strtoll_full(&p[0]).ok_or_else(bad)?;
        let changes = strtoll_full(&p[1]).ok_or_else(bad)?;
        if secs < 1 || changes < 0 {
            return Err(bad());
        }
        out.push((secs as u64, changes as u64));
    }
    Ok(out)
}

pub fn format_save(save: &[(u64, u64)]) -> String {
    save.iter()
        .map(|(s, c)| format!("{s} {c}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One class of `client-output-buffer-limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

/// Client classes in the order CONFIG GET lists them.
pub const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

pub const DEFAULT_OBUF: [ObufLimit; 3] = [
    ObufLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    },
    ObufLimit {
        hard: 256 * 1024 * 1024,
        soft: 64 * 1024 * 1024,
        soft_seconds: 60,
    },
    ObufLimit {
        hard: 32 * 1024 * 1024,
        soft: 8 * 1024 * 1024,
        soft_seconds: 60,
    },
];

/// Apply `class hard soft seconds` groups on top of `cur`, all or nothing.
pub fn parse_obuf(args: &[String], cur: &[ObufLimit; 3]) -> Result<[ObufLimit; 3], String> {
    if args.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut out = *cur;
    for g in args.chunks(4) {
        let class = match g[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = memtoull(&g[1]);
        let soft = memtoull(&g[2]);
        let secs = strtoll_full(&g[3]).unwrap_or(0);
        match (hard, soft) {
            (Some(hard), Some(soft)) if secs >= 0 => {
                out[class] = ObufLimit {
                    hard,
                    soft,
                    soft_seconds: secs as u64,
                };
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    Ok(out)
}

pub fn format_obuf(l: &[ObufLimit; 3]) -> String {
    OBUF_CLASSES
        .iter()
        .zip(l.iter())
        .map(|(c, l)| format!("{c} {} {} {}", l.hard, l.soft, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `replicaof HOST PORT` or `replicaof no one`. Like Redis, the words are re-split on
/// spaces, so `replicaof "host port"` works too.
pub fn parse_replicaof(args: &[String]) -> Result<Option<(String, u16)>, String> {
    let joined = args.join(" ");
    let args: Vec<String> = joined.split(' ').map(str::to_string).collect();
    if args.len() != 2 {
        return Err("wrong number of arguments".into());
    }
    if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
        return Ok(None);
    }
    let port = strtoll_full(&args[1])
        .filter(|p| (0..=65535).contains(p))
        .ok_or_else(|| "Invalid master port".to_string())?;
    Ok(Some((args[0].clone(), port as u16)))
}

/// `notify-keyspace-events` flags, normalized the way Redis prints them.
pub fn parse_notify(v: &str) -> Result<String, String> {
    const CLASSES: &str = "g$lshzxetd";
    let mut set = std::collections::BTreeSet::new();
    for c in v.chars() {
        match c {
            'A' => set.extend(CLASSES.chars()),
            'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 'K' | 'E' | 't' | 'm' | 'd' | 'n' => {
                set.insert(c);
            }
            _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        }
    }
    let mut out = String::new();
    if CLASSES.chars().all(|c| set.contains(&c)) {
        // Redis drops `n` from the printed form when every class is set.
        out.push('A');
    } else {
        out.extend("g$lshzxetdn".chars().filter(|c| set.contains(c)));
    }
    out.extend("KEm".chars().filter(|c| set.contains(c)));
    Ok(out)
}

/// `oom-score-adj-values`: three integers in [-2000, 2000].
pub fn parse_oom_values(args: &[String]) -> Result<String, String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut vals = Vec::new();
    for a in args {
        match strtoll_full(a) {
            Some(v) if !a.is_empty() && (-2000..=2000).contains(&v) => vals.push(v.to_string()),
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                )
            }
        }
    }
    Ok(vals.join(" "))
}

/// `latency-tracking-info-percentiles`: floats in [0, 100], printed like `%f` without zeros.
pub fn parse_percentiles(args: &[String]) -> Result<String, String> {
    let args: &[String] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    let mut out = Vec::new();
    for a in args {
        let v = crate::util::parse_f64(a.as_bytes())
            .filter(|v| v.is_finite())
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&v) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        let s = format!("{v:.6}");
        out.push(s.trim_end_matches('0').trim_end_matches('.').to_string());
    }
    Ok(out.join(" "))
}

/// `maxmemory-clients`: a memory value or a percentage of maxmemory (`10%`).
pub fn parse_mem_or_percent(v: &str) -> Result<String, String> {
    if let Some(p) = v.strip_suffix('%') {
        if let Some(n) = crate::util::parse_i64(p.as_bytes()).filter(|n| *n >= 0) {
            return Ok(format!("{n}%"));
        }
    } else if let Some(n) = memtoull(v).filter(|n| *n <= i64::MAX as u64) {
        return Ok(n.to_string());
    }
    Err("argument must be a memory or percent value".into())
}

/// `proc-title-template`: known `{variables}` only, balanced braces, not empty.
pub fn parse_proc_title(v: &str) -> Result<String, String> {
    const VARS: &[&str] = &[
        "title",
        "listen-addr",
        "server-mode",
        "port",
        "tls-port",
        "unixsocket",
        "config-file",
    ];
    let bad = || "template format is invalid or contains unknown variables".to_string();
    let mut rest = v;
    let mut literal = String::new();
    while let Some(i) = rest.find(['{', '}']) {
        literal.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'}' {
            return Err(bad());
        }
        let after = &rest[i + 1..];
        let end = after.find('}').ok_or_else(bad)?;
        if !VARS.contains(&&after[..end]) {
            return Err(bad());
        }
        // Redis checks the expansion with an empty title; these may expand to nothing.
        if !["title", "server-mode", "unixsocket", "config-file"].contains(&&after[..end]) {
            literal.push('x');
        }
        rest = &after[end + 1..];
    }
    literal.push_str(rest);
    if literal.trim().is_empty() {
        return Err(bad());
    }
    Ok(v.to_string())
}

/// `cluster-announce-hostname`: letters, digits, `-` and `.` only.
pub fn parse_hostname(v: &str) -> Result<String, String> {
    if v.bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        Ok(v.to_string())
    } else {
        Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into())
    }
}

/// `shutdown-on-sigint` / `shutdown-on-sigterm`: `default`, or `save`|`nosave` with `now`
/// and `force`, printed in that order.
pub fn parse_shutdown_flags(args: &[String]) -> Result<String, String> {
    const OPTS: &[&str] = &["default", "save", "nosave", "now", "force"];
    if args.is_empty() {
        return Err(parse_enum("", OPTS).unwrap_err());
    }
    let mut set = [false; 5];
    for a in args {
        let w = parse_enum(a, OPTS)?;
        if let Some(i) = OPTS.iter().position(|o| *o == w) {
            set[i] = true;
        }
    }
    if set[1] && set[2] {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    let words: Vec<&str> = (1..5).filter(|&i| set[i]).map(|i| OPTS[i]).collect();
    Ok(if words.is_empty() {
        "default".into()
    } else {
        words.join(" ")
    })
}

/// `unixsocketperm`: an octal mode up to 777, printed in octal.
pub fn parse_octal_perm(v: &str) -> Result<String, String> {
    if v.is_empty() {
        // strtol reads no digits as 0.
        return Ok("0".into());
    }
    let n = if let Some(d) = v.strip_prefix('-') {
        u32::from_str_radix(d, 8).map(|_| -1i64)
    } else {
        u32::from_str_radix(v, 8).map(i64::from)
    }
    .map_err(|_| "argument couldn't be parsed as an octal number".to_string())?;
    if !(0..=0o777).contains(&n) {
        return Err("argument must be between 0 and 777 inclusive".into());
    }
    Ok(format!("{n:o}"))
}

/// `dbfilename`, `appendfilename`, `appenddirname`: a plain name, not a path.
pub fn parse_filename(name: &str, v: &str) -> Result<String, String> {
    if v.is_empty() && name != "dbfilename" {
        return Err(format!("{name} can't be empty"));
    }
    if v.contains('/') {
        let what = if name == "appenddirname" {
            "dirname"
        } else {
            "filename"
        };
        return Err(format!("{name} can't be a path, just a {what}"));
    }
    Ok(v.to_string())
}

/// Quote a string for a config file line the way Redis `sdscatrepr` does.
pub fn repr(s: &str) -> String {
    let mut out = String::from("\"");
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c as char),
            c if c >= 0x80 => {
                // Keep UTF-8 text readable; split_args reads raw bytes back the same.
                out.push_str(&format!("\\x{c:02x}"));
            }
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn memory_units() {
        assert_eq!(memtoull("1k"), Some(1000));
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1KB"), Some(1024));
        assert_eq!(memtoull("2m"), Some(2_000_000));
        assert_eq!(memtoull("2Mb"), Some(2 * 1024 * 1024));
        assert_eq!(memtoull("1g"), Some(1_000_000_000));
        assert_eq!(memtoull("1gB"), Some(1 << 30));
        assert_eq!(memtoull("17"), Some(17));
        assert_eq!(memtoull("17b"), Some(17));
        assert_eq!(memtoull("1t"), None);
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("1.5mb"), None);
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(format_memory(64 * 1024 * 1024), "64mb");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(1025), "1025");
        assert_eq!(format_memory(0), "0");
    }

    #[test]
    fn ranges_and_bools() {
        assert_eq!(yes_no("YES"), Ok(true));
        assert_eq!(yes_no("No"), Ok(false));
        assert!(yes_no("1").is_err());
        assert_eq!(
            parse_int("70000", 0, 65535).unwrap_err(),
            "argument must be between 0 and 65535 inclusive"
        );
        assert_eq!(
            parse_int("1k", 0, 10).unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(parse_mem("1mb", 1048576, i64::MAX as u64), Ok(1048576));
        assert!(parse_mem("1kb", 1048576, i64::MAX as u64).is_err());
        assert_eq!(
            parse_enum("WARNING", &["debug", "warning"]),
            Ok("warning".to_string())
        );
    }

    #[test]
    fn save_points() {
        assert_eq!(parse_save(&s(&[""])), Ok(vec![]));
        assert_eq!(
            parse_save(&s(&["900", "1", "300", "10"])),
            Ok(vec![(900, 1), (300, 10)])
        );
        assert!(parse_save(&s(&["900"])).is_err());
        assert!(parse_save(&s(&["0", "1"])).is_err());
        assert!(parse_save(&s(&["10", "x"])).is_err());
        assert_eq!(format_save(&[(3600, 1), (300, 100)]), "3600 1 300 100");
    }

    #[test]
    fn obuf() {
        let v = parse_obuf(&s(&["replica", "1mb", "2kb", "3"]), &DEFAULT_OBUF).unwrap();
        assert_eq!(
            format_obuf(&v),
            "normal 0 0 0 slave 1048576 2048 3 pubsub 33554432 8388608 60"
        );
        assert!(parse_obuf(&s(&["master", "1", "1", "1"]), &DEFAULT_OBUF).is_err());
        assert!(parse_obuf(&s(&["normal", "1", "1"]), &DEFAULT_OBUF).is_err());
    }

    #[test]
    fn notify_and_misc() {
        assert_eq!(parse_notify("KEA").unwrap(), "AKE");
        assert_eq!(parse_notify("Ex").unwrap(), "xE");
        assert_eq!(parse_notify("nAKm").unwrap(), "AKm");
        assert_eq!(parse_notify("gnxtd").unwrap(), "gxtdn");
        assert_eq!(parse_notify("").unwrap(), "");
        assert!(parse_notify("Q").is_err());
        assert_eq!(parse_percentiles(&s(&["50", "99.9"])).unwrap(), "50 99.9");
        assert!(parse_percentiles(&s(&["101"])).is_err());
        assert_eq!(
            parse_oom_values(&s(&["0", "200", "800"])).unwrap(),
            "0 200 800"
        );
        assert!(parse_oom_values(&s(&["0", "200"])).is_err());
        assert_eq!(
            parse_replicaof(&s(&["127.0.0.1", "6380"])).unwrap(),
            Some(("127.0.0.1".to_string(), 6380))
        );
        assert_eq!(parse_replicaof(&s(&["NO", "one"])).unwrap(), None);
        assert_eq!(
            parse_replicaof(&s(&["h", "x"])).unwrap_err(),
            "Invalid master port"
        );
        assert_eq!(repr("a b\"c"), "\"a b\\\"c\"");
        assert!(parse_proc_title("{title} {listen-addr} {server-mode}").is_ok());
        assert!(parse_proc_title("").is_err());
        assert!(parse_proc_title("{title}").is_err());
        assert!(parse_proc_title("{nope}").is_err());
        assert!(parse_proc_title("{title").is_err());
        assert!(parse_hostname("a.b-c").is_ok());
        assert_eq!(
            parse_shutdown_flags(&s(&["force", "now", "save"])).unwrap(),
            "save now force"
        );
        assert_eq!(
            parse_shutdown_flags(&s(&["default", "now"])).unwrap(),
            "now"
        );
        assert!(parse_shutdown_flags(&s(&["save", "nosave"])).is_err());
        assert_eq!(parse_octal_perm("0700").unwrap(), "700");
        assert!(parse_octal_perm("778").is_err());
        assert!(parse_filename("dbfilename", "a/b").is_err());
        assert!(parse_filename("appendfilename", "").is_err());
        assert_eq!(
            parse_replicaof(&s(&["h 5"])).unwrap(),
            Some(("h".into(), 5))
        );
        assert!(parse_hostname("a b").is_err());
    }
}
