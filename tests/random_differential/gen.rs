//! The random command generator of the randomized differential test: a seeded PRNG and one
//! template per command, drawing keys and arguments from small pools so that hits, misses,
//! WRONGTYPE errors, parse errors, special floats and encoding conversions all occur. Every
//! template says how its reply must be compared (some replies have no defined order, some are
//! random by design).

/// splitmix64: tiny, fast, and good enough to drive a test generator reproducibly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// How the two replies of one command are compared.
#[derive(Debug, Clone)]
pub enum Cmp {
    /// Byte for byte.
    Exact,
    /// As a multiset of the top-level elements (set operations on hashtable sets, KEYS).
    Unordered,
    /// As a multiset of (field, value) pairs (HGETALL of a hashtable hash).
    Pairs,
    /// `[cursor, elements]`: cursor exact, elements as a multiset (SSCAN, SCAN).
    ScanUnordered,
    /// `[cursor, f1 v1 f2 v2 ...]`: cursor exact, elements as a multiset of pairs.
    ScanPairs,
    /// Random by design: same reply type and, for arrays, same length.
    Shape,
    /// A time-dependent TTL: equal when negative, else both non-negative.
    Ttl,
    /// `inner` if `key` is hashtable/skiplist encoded (asked first), else exact.
    IfUnordered(String, Box<Cmp>),
    /// SORT/SORT_RO: determinism depends on the source's type and the options.
    Sort(SortInfo),
    /// A lex range on `key`: Redis leaves the result unspecified when the scores differ, so
    /// the runner skips the command unless all scores of the sorted set are equal.
    Lex(String),
    /// Exact, on `key` deleted just before; OBJECT ENCODING of `key` is compared after.
    Fresh(String),
    /// SPOP: random; afterwards the set is rebuilt on both servers from the first one's.
    Spop(String),
}

/// What the runner needs to know to judge a SORT reply.
#[derive(Debug, Clone)]
pub struct SortInfo {
    pub key: String,
    /// BY with a pattern without `*` (no sorting at all).
    pub nosort: bool,
    /// ALPHA with a real BY pattern: elements with equal weights tie, and Redis's sort is
    /// then free to order them in any way (unstable partial quicksort with LIMIT).
    pub alpha_by: bool,
    pub limit: bool,
    pub store: Option<String>,
}

/// One generated command.
pub struct Op {
    pub args: Vec<String>,
    pub cmp: Cmp,
}

type GenFn = fn(&mut G) -> Op;

/// A command template: generated only when the server implements `name` and every `needs`.
pub struct Template {
    pub name: &'static str,
    pub needs: &'static [&'static str],
    pub weight: u32,
    pub gen: GenFn,
}

/// Number of keys the commands work on (`k0`..`k9`); SORT BY `k*` patterns point back at them
/// through the digit members of the pools.
const KEYS: usize = 10;
/// A sorted-set key whose scores are kept equal (all 0) by ZADD and ZINCRBY, for lex ranges.
const LEX_KEY: &str = "k9";

const MEMBERS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    "e",
    "foo",
    "bar",
    "0",
    "1",
    "2",
    "3",
    "5",
    "7",
    "9",
    "10",
    "-1",
    "100",
    "1.5",
    "",
    "007",
    "-0",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "5",
    "10",
    "-10",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "1.5",
    "",
];
const FLOATS: &[&str] = &[
    "0", "1", "-1", "2.5", "-3.75", "1e300", "-1e300", "inf", "-inf", "+inf", "1e-300", "abc",
    "nan", "3", "10", "1.5e2", "0.1", "17",
];
const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "(1", "(2.5", "0", "1", "2", "3", "(-1", "(inf", "1e300", "abc", "(", "inf",
    "-1e300", "10", "(10",
];
const LEX_BOUNDS: &[&str] = &[
    "-", "+", "[a", "(b", "[c", "(foo", "[", "(", "a", "[0", "(5", "[x", "[e",
];
const INDEXES: &[&str] = &[
    "0", "1", "2", "-1", "-2", "3", "10", "-10", "100", "-100", "5",
];
const COUNTS: &[&str] = &["0", "1", "2", "3", "5", "-1", "-3", "100", "abc", "1"];
const FIELDS: &[&str] = &["f0", "f1", "f2", "a", "b", "1"];
const WEIGHTS: &[&str] = &["1", "2", "-1", "0", "1.5", "inf", "abc", "1", "1"];
/// Relative TTLs in seconds, far apart so that no comparison races the clock.
const TTLS: &[&str] = &["1000", "5000", "100000", "0", "-1", "abc"];
/// Absolute expiry times (unix seconds): deterministic, so EXPIRETIME and GT/LT are exact.
const EXPIRE_ATS: &[&str] = &["4102444800", "4102444900", "4200000000", "1", "abc"];

/// Every key the generator uses.
pub fn all_keys() -> Vec<String> {
    (0..KEYS).map(|i| format!("k{i}")).collect()
}

/// Generator state: the PRNG plus helpers drawing from the pools.
pub struct G {
    pub rng: Rng,
    /// The data type of the command being generated (see `family`): its keys are mostly
    /// drawn from that type's two keys, so most commands hit a value of the right type.
    pub fam: Option<usize>,
}

const STRING_COMMANDS: &[&str] = &[
    "set",
    "get",
    "getset",
    "getdel",
    "getex",
    "mget",
    "mset",
    "msetnx",
    "setnx",
    "setex",
    "append",
    "strlen",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "getrange",
    "substr",
    "setrange",
    "lcs",
    "setbit",
    "getbit",
    "bitcount",
];

/// The data type a command works on: 0 strings, 1 lists, 2 hashes, 3 sets, 4 sorted sets;
/// None for type-agnostic commands (DEL, TYPE, SORT, ...).
pub fn family(name: &str) -> Option<usize> {
    let not_set = ["strlen", "substr", "sort", "sort_ro", "scan"];
    if STRING_COMMANDS.contains(&name) {
        Some(0)
    } else if name.starts_with('l') || name.starts_with("rp") {
        Some(1)
    } else if name.starts_with('h') {
        Some(2)
    } else if name.starts_with('s') && !not_set.contains(&name) {
        Some(3)
    } else if name.starts_with('z') {
        Some(4)
    } else {
        None
    }
}

macro_rules! v {
    ($($x:expr),* $(,)?) => { vec![$($x.to_string()),*] };
}

fn exact(args: Vec<String>) -> Op {
    Op {
        args,
        cmp: Cmp::Exact,
    }
}

impl G {
    fn key(&mut self) -> String {
        match self.fam {
            Some(f) if self.rng.chance(93) => format!("k{}", 2 * f + self.rng.below(2)),
            _ => format!("k{}", self.rng.below(KEYS)),
        }
    }
    /// The key lex-range commands mostly use; ZADD/ZINCRBY keep its scores equal.
    fn lex_key(&mut self) -> String {
        if self.rng.chance(70) {
            LEX_KEY.to_string()
        } else {
            self.key()
        }
    }
    fn keys(&mut self, max: usize) -> Vec<String> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.key()).collect()
    }
    fn p(&mut self, pool: &[&str]) -> String {
        self.rng.pick(pool).to_string()
    }
    fn member(&mut self) -> String {
        if self.rng.chance(2) {
            // At or just past the listpack value limit (64 bytes).
            return "x".repeat(64 + self.rng.below(2));
        }
        self.p(MEMBERS)
    }
    fn members(&mut self, max: usize) -> Vec<String> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.member()).collect()
    }
    fn value(&mut self) -> String {
        match self.rng.below(4) {
            0 => self.p(INTS),
            1 => self.p(FLOATS),
            _ => self.member(),
        }
    }
    fn one_of(&mut self, xs: &[&str]) -> String {
        self.rng.pick(xs).to_string()
    }
    /// Push optional `LIMIT offset count`.
    fn limit(&mut self, a: &mut Vec<String>, pct: u64) -> bool {
        if self.rng.chance(pct) {
            a.push("LIMIT".into());
            a.push(self.one_of(&["0", "1", "2", "-1", "abc"]));
            a.push(self.one_of(&["1", "2", "3", "-1", "0", "10"]));
            return true;
        }
        false
    }
    /// `numkeys key...` (sometimes a wrong numkeys).
    fn numkeys(&mut self, a: &mut Vec<String>, max: usize) {
        let ks = self.keys(max);
        if self.rng.chance(3) {
            a.push(self.one_of(&["0", "-1", "abc", "9"]));
        } else {
            a.push(ks.len().to_string());
        }
        a.extend(ks);
    }
    fn weights_aggregate(&mut self, a: &mut Vec<String>, nkeys: usize) {
        if self.rng.chance(40) {
            a.push("WEIGHTS".into());
            let n = if self.rng.chance(5) { nkeys + 1 } else { nkeys };
            for _ in 0..n {
                a.push(self.p(WEIGHTS));
            }
        }
        if self.rng.chance(40) {
            a.push("AGGREGATE".into());
            a.push(self.one_of(&["SUM", "MIN", "MAX", "sum", "avg"]));
        }
    }
    /// A big collection command crossing the encoding thresholds.
    /// Half the time on a fresh key with exactly a threshold's size (the runner deletes the key
    /// first and checks OBJECT ENCODING after), else 150..600 more elements.
    fn big(&mut self, cmd: &str, kind: u8) -> Op {
        let boundary = self.rng.chance(50);
        let n = if boundary {
            *self.rng.pick(&[127, 128, 129, 511, 512, 513])
        } else {
            150 + self.rng.below(450)
        };
        let mut a = v![cmd, self.key()];
        let base = self.rng.below(1000);
        for i in 0..n {
            match kind {
                b'z' if a[1] == LEX_KEY => {
                    a.push("0".into());
                    a.push(format!("m{}", base + i));
                }
                b'z' => {
                    a.push(format!("{}", (i * 7) % 97));
                    a.push(format!("m{}", base + i));
                }
                b'h' => {
                    a.push(format!("f{}", base + i));
                    a.push(format!("v{i}"));
                }
                b'i' => a.push(format!("{}", base as i64 * 1000 - i as i64)),
                _ => a.push(format!("e{}", base + i)),
            }
        }
        let key = a[1].clone();
        Op {
            args: a,
            cmp: if boundary {
                Cmp::Fresh(key)
            } else {
                Cmp::Exact
            },
        }
    }
}

fn if_hashtable(key: String, inner: Cmp) -> Cmp {
    Cmp::IfUnordered(key, Box::new(inner))
}

fn t(name: &'static str, weight: u32, gen: GenFn) -> Template {
    Template {
        name,
        needs: &[],
        weight,
        gen,
    }
}

fn t_needs(
    name: &'static str,
    needs: &'static [&'static str],
    weight: u32,
    gen: GenFn,
) -> Template {
    Template {
        name,
        needs,
        weight,
        gen,
    }
}

/// SORT / SORT_RO with random options.
fn gen_sort(g: &mut G, cmd: &str) -> Op {
    let key = g.key();
    let mut a = v![cmd, key];
    let mut info = SortInfo {
        key,
        nosort: false,
        alpha_by: false,
        limit: false,
        store: None,
    };
    let mut by_pattern = false;
    if g.rng.chance(40) {
        let by = g.one_of(&["nosort", "k*", "k*->f0", "k*->f1", "nokey", "w_*"]);
        info.nosort = !by.contains('*');
        by_pattern = by.contains('*');
        a.push("BY".into());
        a.push(by);
    }
    info.limit = g.limit(&mut a, 30);
    while g.rng.chance(25) {
        a.push("GET".into());
        a.push(g.one_of(&["#", "k*", "k*->f0", "k*->f2", "nokey"]));
    }
    if g.rng.chance(40) {
        a.push(g.one_of(&["ASC", "DESC", "desc"]));
    }
    if g.rng.chance(40) {
        a.push("ALPHA".into());
        info.alpha_by = by_pattern;
    }
    if g.rng.chance(if cmd == "SORT" { 25 } else { 3 }) {
        let dst = g.key();
        a.push("STORE".into());
        a.push(dst.clone());
        info.store = Some(dst);
    }
    if g.rng.chance(3) {
        a.push(g.one_of(&["LIMIT", "BY", "GET", "bogus"]));
    }
    Op {
        args: a,
        cmp: Cmp::Sort(info),
    }
}

fn zadd_flags(g: &mut G, a: &mut Vec<String>) -> bool {
    let mut incr = false;
    if g.rng.chance(30) {
        a.push(g.one_of(&["NX", "XX"]));
    }
    if g.rng.chance(25) {
        a.push(g.one_of(&["GT", "LT"]));
    }
    if g.rng.chance(30) {
        a.push("CH".into());
    }
    if g.rng.chance(15) {
        a.push("INCR".into());
        incr = true;
    }
    incr
}

/// ZRANGE/ZRANGESTORE options after the key at `a[src]`; BYLEX ranges go to the lex key and
/// need the `Lex` rule.
fn zrange_opts(g: &mut G, a: &mut Vec<String>, src: usize) -> Cmp {
    let by = g.rng.below(3);
    let (lo, hi) = match by {
        0 => (g.p(INDEXES), g.p(INDEXES)),
        1 => (g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS)),
        _ => (g.p(LEX_BOUNDS), g.p(LEX_BOUNDS)),
    };
    a.push(lo);
    a.push(hi);
    match by {
        1 => a.push("BYSCORE".into()),
        2 => a.push("BYLEX".into()),
        _ => {}
    }
    if g.rng.chance(35) {
        a.push("REV".into());
    }
    let limit_pct = if by == 0 { 5 } else { 35 };
    g.limit(a, limit_pct);
    if by == 2 {
        a[src] = g.lex_key();
        return Cmp::Lex(a[src].clone());
    }
    Cmp::Exact
}

/// Every template; the runner keeps those the server under test implements.
pub fn templates() -> Vec<Template> {
    vec![
        // ---- strings
        t("set", 4, |g| {
            let mut a = v!["SET", g.key(), g.value()];
            if g.rng.chance(20) {
                a.push(g.one_of(&["NX", "XX"]));
            }
            if g.rng.chance(20) {
                a.push("GET".into());
            }
            if g.rng.chance(15) {
                a.push(g.one_of(&["KEEPTTL", "EX"]));
                if a.last().is_some_and(|x| x == "EX") {
                    a.push(g.p(TTLS));
                }
            }
            exact(a)
        }),
        t("get", 3, |g| exact(v!["GET", g.key()])),
        t("getset", 1, |g| exact(v!["GETSET", g.key(), g.value()])),
        t("getdel", 1, |g| exact(v!["GETDEL", g.key()])),
        t("getex", 1, |g| {
            let mut a = v!["GETEX", g.key()];
            if g.rng.chance(50) {
                a.push("PERSIST".into());
            } else if g.rng.chance(50) {
                a.push("EX".into());
                a.push(g.p(TTLS));
            }
            exact(a)
        }),
        t("mget", 1, |g| {
            let mut a = v!["MGET"];
            a.extend(g.keys(4));
            exact(a)
        }),
        t("mset", 1, |g| {
            exact(v!["MSET", g.key(), g.value(), g.key(), g.value()])
        }),
        t("msetnx", 1, |g| {
            exact(v!["MSETNX", g.key(), g.value(), g.key(), g.value()])
        }),
        t("setnx", 1, |g| exact(v!["SETNX", g.key(), g.value()])),
        t("setex", 1, |g| {
            exact(v!["SETEX", g.key(), g.p(TTLS), g.value()])
        }),
        t("append", 2, |g| exact(v!["APPEND", g.key(), g.member()])),
        t("strlen", 1, |g| exact(v!["STRLEN", g.key()])),
        t("incr", 2, |g| exact(v!["INCR", g.key()])),
        t("decr", 1, |g| exact(v!["DECR", g.key()])),
        t("incrby", 2, |g| exact(v!["INCRBY", g.key(), g.p(INTS)])),
        t("decrby", 1, |g| exact(v!["DECRBY", g.key(), g.p(INTS)])),
        t("incrbyfloat", 2, |g| {
            exact(v!["INCRBYFLOAT", g.key(), g.p(FLOATS)])
        }),
        t("getrange", 1, |g| {
            exact(v!["GETRANGE", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("substr", 1, |g| {
            exact(v!["SUBSTR", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("setrange", 1, |g| {
            let off = g.one_of(&["0", "1", "3", "10", "-1", "abc"]);
            exact(v!["SETRANGE", g.key(), off, g.member()])
        }),
        t("lcs", 1, |g| {
            let mut a = v!["LCS", g.key(), g.key()];
            if g.rng.chance(30) {
                a.push("LEN".into());
            } else if g.rng.chance(30) {
                a.extend(v!["IDX", "MINMATCHLEN", "1", "WITHMATCHLEN"]);
            }
            exact(a)
        }),
        t("setbit", 1, |g| {
            let off = g.one_of(&["0", "1", "7", "8", "100", "-1"]);
            exact(v!["SETBIT", g.key(), off, g.one_of(&["0", "1", "2"])])
        }),
        t("getbit", 1, |g| {
            exact(v!["GETBIT", g.key(), g.one_of(&["0", "1", "7", "100"])])
        }),
        t("bitcount", 1, |g| {
            exact(v!["BITCOUNT", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        // ---- keys
        t("del", 4, |g| {
            let mut a = v!["DEL"];
            a.extend(g.keys(3));
            exact(a)
        }),
        t("unlink", 1, |g| exact(v!["UNLINK", g.key()])),
        t("exists", 2, |g| {
            let mut a = v!["EXISTS"];
            a.extend(g.keys(3));
            exact(a)
        }),
        t("type", 2, |g| exact(v!["TYPE", g.key()])),
        t("expire", 1, |g| {
            let mut a = v!["EXPIRE", g.key(), g.p(TTLS)];
            if g.rng.chance(30) {
                a.push(g.one_of(&["NX", "XX"]));
            }
            exact(a)
        }),
        t("pexpire", 1, |g| {
            let ms = g.one_of(&["1000000", "5000000", "-5", "abc"]);
            exact(v!["PEXPIRE", g.key(), ms])
        }),
        t("expireat", 1, |g| {
            let mut a = v!["EXPIREAT", g.key(), g.p(EXPIRE_ATS)];
            if g.rng.chance(40) {
                a.push(g.one_of(&["NX", "XX", "GT", "LT", "nx"]));
            }
            exact(a)
        }),
        t("persist", 1, |g| exact(v!["PERSIST", g.key()])),
        t("ttl", 1, |g| Op {
            args: v!["TTL", g.key()],
            cmp: Cmp::Ttl,
        }),
        t("pttl", 1, |g| Op {
            args: v!["PTTL", g.key()],
            cmp: Cmp::Ttl,
        }),
        t("expiretime", 1, |g| Op {
            args: v!["EXPIRETIME", g.key()],
            cmp: Cmp::Ttl,
        }),
        t("rename", 1, |g| exact(v!["RENAME", g.key(), g.key()])),
        t("renamenx", 1, |g| exact(v!["RENAMENX", g.key(), g.key()])),
        t("copy", 1, |g| {
            let mut a = v!["COPY", g.key(), g.key()];
            if g.rng.chance(50) {
                a.push("REPLACE".into());
            }
            exact(a)
        }),
        t("dbsize", 1, |_| exact(v!["DBSIZE"])),
        t("keys", 1, |g| Op {
            args: v!["KEYS", g.one_of(&["*", "k[0-4]", "k?", "x*"])],
            cmp: Cmp::Unordered,
        }),
        t("scan", 1, |g| {
            let mut a = v!["SCAN", "0", "COUNT", "100000"];
            if g.rng.chance(40) {
                a.push("TYPE".into());
                a.push(g.one_of(&["string", "list", "hash", "set", "zset"]));
            }
            Op {
                args: a,
                cmp: Cmp::ScanUnordered,
            }
        }),
        t("randomkey", 1, |_| Op {
            args: v!["RANDOMKEY"],
            cmp: Cmp::Shape,
        }),
        t("object|encoding", 3, |g| {
            exact(v!["OBJECT", "ENCODING", g.key()])
        }),
        t("debug", 3, |g| {
            exact(v!["DEBUG", "DIGEST-VALUE", g.key(), g.key()])
        }),
        // ---- lists
        t("lpush", 3, |g| {
            let mut a = v!["LPUSH", g.key()];
            a.extend(g.members(4));
            exact(a)
        }),
        t("rpush", 3, |g| {
            let mut a = v!["RPUSH", g.key()];
            a.extend(g.members(4));
            exact(a)
        }),
        t("rpush", 1, |g| g.big("RPUSH", b'l')),
        t("lpushx", 1, |g| exact(v!["LPUSHX", g.key(), g.member()])),
        t("rpushx", 1, |g| exact(v!["RPUSHX", g.key(), g.member()])),
        t("lpop", 2, |g| pop_with_count(g, "LPOP")),
        t("rpop", 2, |g| pop_with_count(g, "RPOP")),
        t("llen", 1, |g| exact(v!["LLEN", g.key()])),
        t("lrange", 3, |g| {
            exact(v!["LRANGE", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("lindex", 1, |g| exact(v!["LINDEX", g.key(), g.p(INDEXES)])),
        t("lset", 1, |g| {
            exact(v!["LSET", g.key(), g.p(INDEXES), g.member()])
        }),
        t("linsert", 1, |g| {
            let w = g.one_of(&["BEFORE", "AFTER", "middle"]);
            exact(v!["LINSERT", g.key(), w, g.member(), g.member()])
        }),
        t("lrem", 1, |g| {
            exact(v!["LREM", g.key(), g.p(COUNTS), g.member()])
        }),
        t("ltrim", 1, |g| {
            exact(v!["LTRIM", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("lpos", 1, |g| {
            let mut a = v!["LPOS", g.key(), g.member()];
            if g.rng.chance(40) {
                a.push("RANK".into());
                a.push(g.one_of(&["1", "2", "-1", "-2", "0"]));
            }
            if g.rng.chance(40) {
                a.push("COUNT".into());
                a.push(g.one_of(&["0", "1", "2", "-1"]));
            }
            if g.rng.chance(20) {
                a.push("MAXLEN".into());
                a.push(g.one_of(&["0", "1", "5", "-1"]));
            }
            exact(a)
        }),
        t("lmove", 1, |g| {
            let (w1, w2) = (
                g.one_of(&["LEFT", "RIGHT"]),
                g.one_of(&["LEFT", "RIGHT", "UP"]),
            );
            exact(v!["LMOVE", g.key(), g.key(), w1, w2])
        }),
        t("rpoplpush", 1, |g| exact(v!["RPOPLPUSH", g.key(), g.key()])),
        t("lmpop", 1, |g| {
            let mut a = v!["LMPOP"];
            g.numkeys(&mut a, 3);
            a.push(g.one_of(&["LEFT", "RIGHT"]));
            if g.rng.chance(50) {
                a.push("COUNT".into());
                a.push(g.p(COUNTS));
            }
            exact(a)
        }),
        // ---- hashes
        t("hset", 4, |g| {
            let mut a = v!["HSET", g.key()];
            for _ in 0..1 + g.rng.below(3) {
                a.push(g.p(FIELDS));
                a.push(g.value());
            }
            exact(a)
        }),
        t("hset", 1, |g| g.big("HSET", b'h')),
        t("hmset", 1, |g| {
            exact(v!["HMSET", g.key(), g.p(FIELDS), g.value()])
        }),
        t("hsetnx", 1, |g| {
            exact(v!["HSETNX", g.key(), g.p(FIELDS), g.value()])
        }),
        t("hget", 2, |g| exact(v!["HGET", g.key(), g.p(FIELDS)])),
        t("hmget", 1, |g| {
            exact(v!["HMGET", g.key(), g.p(FIELDS), g.p(FIELDS)])
        }),
        t("hdel", 1, |g| {
            exact(v!["HDEL", g.key(), g.p(FIELDS), g.p(FIELDS)])
        }),
        t("hlen", 1, |g| exact(v!["HLEN", g.key()])),
        t("hexists", 1, |g| exact(v!["HEXISTS", g.key(), g.p(FIELDS)])),
        t("hkeys", 1, |g| {
            let k = g.key();
            Op {
                args: v!["HKEYS", k],
                cmp: if_hashtable(k, Cmp::Unordered),
            }
        }),
        t("hvals", 1, |g| {
            let k = g.key();
            Op {
                args: v!["HVALS", k],
                cmp: if_hashtable(k, Cmp::Unordered),
            }
        }),
        t("hgetall", 2, |g| {
            let k = g.key();
            Op {
                args: v!["HGETALL", k],
                cmp: if_hashtable(k, Cmp::Pairs),
            }
        }),
        t("hincrby", 2, |g| {
            exact(v!["HINCRBY", g.key(), g.p(FIELDS), g.p(INTS)])
        }),
        t("hincrbyfloat", 2, |g| {
            exact(v!["HINCRBYFLOAT", g.key(), g.p(FIELDS), g.p(FLOATS)])
        }),
        t("hstrlen", 1, |g| exact(v!["HSTRLEN", g.key(), g.p(FIELDS)])),
        t("hscan", 1, |g| {
            let k = g.key();
            let mut a = v!["HSCAN", k, "0", "COUNT", "100000"];
            if g.rng.chance(30) {
                a.extend(v!["MATCH", g.one_of(&["f*", "*1", "a"])]);
            }
            Op {
                args: a,
                cmp: if_hashtable(k, Cmp::ScanPairs),
            }
        }),
        t("hrandfield", 1, |g| {
            random_pick(g, "HRANDFIELD", "WITHVALUES")
        }),
        // ---- sets
        t("sadd", 4, |g| {
            let mut a = v!["SADD", g.key()];
            a.extend(g.members(4));
            exact(a)
        }),
        t("sadd", 1, |g| g.big("SADD", b'i')),
        t("sadd", 1, |g| g.big("SADD", b's')),
        t("srem", 2, |g| {
            let mut a = v!["SREM", g.key()];
            a.extend(g.members(3));
            exact(a)
        }),
        t("smembers", 2, |g| {
            let k = g.key();
            Op {
                args: v!["SMEMBERS", k],
                cmp: if_hashtable(k, Cmp::Unordered),
            }
        }),
        t("sismember", 1, |g| {
            exact(v!["SISMEMBER", g.key(), g.member()])
        }),
        t("smismember", 1, |g| {
            exact(v!["SMISMEMBER", g.key(), g.member(), g.member()])
        }),
        t("scard", 1, |g| exact(v!["SCARD", g.key()])),
        t("smove", 1, |g| {
            exact(v!["SMOVE", g.key(), g.key(), g.member()])
        }),
        t("sinter", 1, |g| set_op(g, "SINTER")),
        t("sunion", 1, |g| set_op(g, "SUNION")),
        t("sdiff", 1, |g| set_op(g, "SDIFF")),
        t("sinterstore", 1, |g| set_store(g, "SINTERSTORE")),
        t("sunionstore", 1, |g| set_store(g, "SUNIONSTORE")),
        t("sdiffstore", 1, |g| set_store(g, "SDIFFSTORE")),
        t("sintercard", 1, |g| {
            let mut a = v!["SINTERCARD"];
            g.numkeys(&mut a, 3);
            if g.rng.chance(40) {
                a.push("LIMIT".into());
                a.push(g.one_of(&["0", "1", "2", "-1"]));
            }
            exact(a)
        }),
        t_needs("spop", &["sadd", "smembers", "del"], 1, |g| {
            let k = g.key();
            let mut a = v!["SPOP", k];
            if g.rng.chance(50) {
                a.push(g.one_of(&["0", "1", "2", "5", "-1", "1000"]));
            }
            Op {
                args: a,
                cmp: Cmp::Spop(k),
            }
        }),
        t("srandmember", 1, |g| {
            let mut a = v!["SRANDMEMBER", g.key()];
            if g.rng.chance(70) {
                a.push(g.one_of(&["1", "3", "-3", "0", "100", "-100"]));
            }
            Op {
                args: a,
                cmp: Cmp::Shape,
            }
        }),
        t("sscan", 1, |g| {
            let k = g.key();
            Op {
                args: v!["SSCAN", k, "0", "COUNT", "100000"],
                cmp: if_hashtable(k, Cmp::ScanUnordered),
            }
        }),
        // ---- sorted sets
        t("zadd", 5, |g| {
            let mut a = v!["ZADD", g.key()];
            let incr = zadd_flags(g, &mut a);
            let n = if incr && g.rng.chance(90) {
                1
            } else {
                1 + g.rng.below(3)
            };
            let lex = a[1] == LEX_KEY && g.rng.chance(95);
            for _ in 0..n {
                a.push(if lex { "0".into() } else { g.p(FLOATS) });
                a.push(g.member());
            }
            exact(a)
        }),
        t("zadd", 1, |g| g.big("ZADD", b'z')),
        t("zrem", 2, |g| {
            let mut a = v!["ZREM", g.key()];
            a.extend(g.members(3));
            exact(a)
        }),
        t("zcard", 1, |g| exact(v!["ZCARD", g.key()])),
        t("zscore", 1, |g| exact(v!["ZSCORE", g.key(), g.member()])),
        t("zmscore", 1, |g| {
            exact(v!["ZMSCORE", g.key(), g.member(), g.member()])
        }),
        t("zincrby", 2, |g| {
            let k = g.key();
            let by = if k == LEX_KEY {
                "0".into()
            } else {
                g.p(FLOATS)
            };
            exact(v!["ZINCRBY", k, by, g.member()])
        }),
        t("zrank", 1, |g| exact(v!["ZRANK", g.key(), g.member()])),
        t("zrevrank", 1, |g| {
            exact(v!["ZREVRANK", g.key(), g.member()])
        }),
        t("zrange", 4, |g| {
            let mut a = v!["ZRANGE", g.key()];
            let cmp = zrange_opts(g, &mut a, 1);
            if g.rng.chance(40) {
                a.push("WITHSCORES".into());
            }
            Op { args: a, cmp }
        }),
        t("zrangestore", 1, |g| {
            let mut a = v!["ZRANGESTORE", g.key(), g.key()];
            let cmp = zrange_opts(g, &mut a, 2);
            Op { args: a, cmp }
        }),
        t("zrangebyscore", 2, |g| {
            let mut a = v![
                "ZRANGEBYSCORE",
                g.key(),
                g.p(SCORE_BOUNDS),
                g.p(SCORE_BOUNDS)
            ];
            if g.rng.chance(40) {
                a.push("WITHSCORES".into());
            }
            g.limit(&mut a, 30);
            exact(a)
        }),
        t("zrevrangebyscore", 1, |g| {
            let mut a = v![
                "ZREVRANGEBYSCORE",
                g.key(),
                g.p(SCORE_BOUNDS),
                g.p(SCORE_BOUNDS)
            ];
            if g.rng.chance(40) {
                a.push("WITHSCORES".into());
            }
            g.limit(&mut a, 30);
            exact(a)
        }),
        t("zrangebylex", 1, |g| lex_op(g, "ZRANGEBYLEX", true)),
        t("zrevrangebylex", 1, |g| lex_op(g, "ZREVRANGEBYLEX", true)),
        t("zcount", 1, |g| {
            exact(v!["ZCOUNT", g.key(), g.p(SCORE_BOUNDS), g.p(SCORE_BOUNDS)])
        }),
        t("zlexcount", 1, |g| lex_op(g, "ZLEXCOUNT", false)),
        t("zremrangebyrank", 1, |g| {
            exact(v!["ZREMRANGEBYRANK", g.key(), g.p(INDEXES), g.p(INDEXES)])
        }),
        t("zremrangebyscore", 1, |g| {
            exact(v![
                "ZREMRANGEBYSCORE",
                g.key(),
                g.p(SCORE_BOUNDS),
                g.p(SCORE_BOUNDS)
            ])
        }),
        t("zremrangebylex", 1, |g| lex_op(g, "ZREMRANGEBYLEX", false)),
        t("zpopmin", 1, |g| pop_with_count(g, "ZPOPMIN")),
        t("zpopmax", 1, |g| pop_with_count(g, "ZPOPMAX")),
        t("zmpop", 1, |g| {
            let mut a = v!["ZMPOP"];
            g.numkeys(&mut a, 3);
            a.push(g.one_of(&["MIN", "MAX"]));
            if g.rng.chance(50) {
                a.push("COUNT".into());
                a.push(g.p(COUNTS));
            }
            exact(a)
        }),
        t("zunionstore", 1, |g| zset_op(g, "ZUNIONSTORE", true, true)),
        t("zinterstore", 1, |g| zset_op(g, "ZINTERSTORE", true, true)),
        t("zdiffstore", 1, |g| zset_op(g, "ZDIFFSTORE", true, false)),
        t("zunion", 1, |g| zset_op(g, "ZUNION", false, true)),
        t("zinter", 1, |g| zset_op(g, "ZINTER", false, true)),
        t("zdiff", 1, |g| zset_op(g, "ZDIFF", false, false)),
        t("zintercard", 1, |g| {
            let mut a = v!["ZINTERCARD"];
            g.numkeys(&mut a, 3);
            if g.rng.chance(40) {
                a.push("LIMIT".into());
                a.push(g.one_of(&["0", "1", "2", "-1"]));
            }
            exact(a)
        }),
        t("zrandmember", 1, |g| {
            random_pick(g, "ZRANDMEMBER", "WITHSCORES")
        }),
        t("zscan", 1, |g| {
            let k = g.key();
            Op {
                args: v!["ZSCAN", k, "0", "COUNT", "100000"],
                cmp: if_hashtable(k, Cmp::ScanPairs),
            }
        }),
        // ---- sort
        t("sort", 3, |g| gen_sort(g, "SORT")),
        t("sort_ro", 1, |g| gen_sort(g, "SORT_RO")),
    ]
}

/// A lex-range command, mostly on the lex key.
fn lex_op(g: &mut G, cmd: &str, limit: bool) -> Op {
    let key = g.lex_key();
    let mut a = v![cmd, key, g.p(LEX_BOUNDS), g.p(LEX_BOUNDS)];
    if limit {
        g.limit(&mut a, 30);
    }
    Op {
        args: a,
        cmp: Cmp::Lex(key),
    }
}

fn set_op(g: &mut G, cmd: &str) -> Op {
    let mut a = v![cmd];
    a.extend(g.keys(3));
    Op {
        args: a,
        cmp: Cmp::Unordered,
    }
}

fn set_store(g: &mut G, cmd: &str) -> Op {
    let mut a = v![cmd, g.key()];
    a.extend(g.keys(3));
    exact(a)
}

fn zset_op(g: &mut G, cmd: &str, store: bool, weights: bool) -> Op {
    let mut a = v![cmd];
    if store {
        a.push(g.key());
    }
    let before = a.len();
    g.numkeys(&mut a, 3);
    let nkeys = a.len() - before - 1;
    if weights {
        g.weights_aggregate(&mut a, nkeys);
    }
    if !store && g.rng.chance(50) {
        a.push("WITHSCORES".into());
    }
    exact(a)
}

/// HRANDFIELD / ZRANDMEMBER: an optional count (positive, negative, zero) and an optional
/// WITH... word; random picks are compared by shape only.
fn random_pick(g: &mut G, cmd: &str, with: &str) -> Op {
    let mut a = v![cmd, g.key()];
    if g.rng.chance(70) {
        a.push(g.one_of(&["1", "3", "-3", "0", "100", "-100"]));
        if g.rng.chance(50) {
            a.push(with.into());
        }
    }
    Op {
        args: a,
        cmp: Cmp::Shape,
    }
}

/// LPOP / RPOP / ZPOPMIN / ZPOPMAX: a key and, half the time, a count.
fn pop_with_count(g: &mut G, cmd: &str) -> Op {
    let mut a = v![cmd, g.key()];
    if g.rng.chance(50) {
        a.push(g.p(COUNTS));
    }
    exact(a)
}
