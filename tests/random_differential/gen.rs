//! The random command generator of the randomized differential test: a seeded PRNG and one
//! template per command, drawing keys and arguments from small pools so that hits, misses,
//! WRONGTYPE errors, parse errors, special floats and encoding conversions all occur. Every
//! template says how its reply must be compared (some replies have no defined order, some are
//! random by design). The templates themselves live in the sibling modules `gen_strings_keys`,
//! `gen_collections` and `gen_zsets`; this file holds the PRNG, the pools and the shared helpers.

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

/// The data type a command works on: 0 strings, 1 lists, 2 hashes, 3 sets, 4 sorted sets (and
/// the GEO commands on them);
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
    } else if name.starts_with('z') || name.starts_with("geo") {
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

mod gen_collections;
mod gen_geo;
mod gen_strings_keys;
mod gen_zsets;

/// Every template; the runner keeps those the server under test implements. The order (strings,
/// keys, lists, hashes, sets, sorted sets, sort) is part of the seeded sequence: keep it.
pub fn templates() -> Vec<Template> {
    let mut ts = gen_strings_keys::templates();
    ts.extend(gen_collections::templates());
    ts.extend(gen_zsets::templates());
    ts.extend(gen_geo::templates());
    ts.extend(vec![
        // ---- sort
        t("sort", 3, |g| gen_sort(g, "SORT")),
        t("sort_ro", 1, |g| gen_sort(g, "SORT_RO")),
    ]);
    ts
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
