//! Randomized differential test: a seeded generator produces long command sequences over a
//! small key space (strings, keys, lists, hashes, sets, sorted sets, SORT) and every reply of
//! oxidis must equal the reply of a real redis-server, except where Redis itself leaves the
//! order undefined (hashtable sets/hashes: compared as multisets) or is random by design
//! (SPOP, SRANDMEMBER, ...: compared by shape; after SPOP the second server is resynced).
//!
//! Only commands oxidis implements (asked with `COMMAND INFO` at startup) are generated; the
//! skipped ones are printed, so the test widens by itself as commands are added.
//! `generator_is_deterministic_on_redis` runs the full generator against two real servers,
//! proving the comparison rules are right.
//!
//! Env: `RANDOM_SEED=n` runs only that seed (as printed on failure), `RANDOM_COMMANDS=n` sets
//! the number of commands per seed, `RANDOM_TRACE=1` prints every command and reply.
#[allow(dead_code)]
#[path = "differential/canon.rs"]
mod canon;
mod common;
#[allow(dead_code)]
#[path = "random_differential/gen.rs"]
mod gen;
#[allow(dead_code)]
#[path = "differential/script.rs"]
mod script;

use canon::Node;
use common::*;
use gen::{Cmp, Op, SortInfo, Template, G};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

const SERVER_ARGS: &[&str] = &["--enable-debug-command", "yes"];
const DEFAULT_SEEDS: u64 = 6;
const DEFAULT_COMMANDS: usize = 5000;
/// Wall-clock budget of one test: seeds (and commands) beyond it are skipped, with a message,
/// so a loaded machine slows the test down without making it run away.
const TIME_BUDGET: Duration = Duration::from_secs(25);
/// Commands shown before the failing one.
const HISTORY: usize = 20;

/// One server under test.
struct Side {
    name: &'static str,
    conn: Conn,
}

impl Side {
    fn cmd(&mut self, args: &[String]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.conn.cmd_bin(&a)
    }
}

/// Does the server implement `name` (`cmd` or `cmd|sub`)?
fn implements(s: &mut Side, name: &str) -> bool {
    let r = s.cmd(&["COMMAND".into(), "INFO".into(), name.into()]);
    r.starts_with(b"*1\r\n*") && !r.starts_with(b"*1\r\n*-1\r\n")
}

/// The templates both servers implement; prints the commands skipped because `b` lacks them.
fn usable_templates(a: &mut Side, b: &mut Side) -> Vec<Template> {
    let mut skipped = Vec::new();
    let mut keep = Vec::new();
    for t in gen::templates() {
        let names = std::iter::once(t.name).chain(t.needs.iter().copied());
        let missing: Vec<&str> = names
            .filter(|n| !(implements(a, n) && implements(b, n)))
            .collect();
        if missing.is_empty() {
            keep.push(t);
        } else {
            skipped.extend(missing);
        }
    }
    skipped.sort();
    skipped.dedup();
    if !skipped.is_empty() {
        eprintln!(
            "random_differential: {} lacks {} commands, not generated: {}",
            b.name,
            skipped.len(),
            skipped.join(" ")
        );
    }
    keep
}

fn show(b: &[u8]) -> String {
    canon::escape_capped(b, 300)
}

fn show_args(args: &[String]) -> String {
    let s = args.join(" ");
    if s.len() > 160 {
        format!("{}... ({} args)", &s[..160], args.len())
    } else {
        s
    }
}

fn elements(n: &Node) -> Option<&Vec<Node>> {
    match n {
        Node::Agg(_, Some(v)) => Some(v),
        _ => None,
    }
}

fn pairs_sorted(v: &[Node]) -> Vec<Vec<Node>> {
    let mut p: Vec<Vec<Node>> = v.chunks(2).map(|c| c.to_vec()).collect();
    p.sort();
    p
}

fn sorted(v: &[Node]) -> Vec<Node> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn agg_kind(n: &Node) -> Option<u8> {
    match n {
        Node::Agg(t, _) => Some(*t),
        _ => None,
    }
}

/// `[cursor, elements]` compared with `inner` applied to the elements.
fn scan_same(a: &Node, b: &Node, pairs: bool) -> bool {
    let (Some(x), Some(y)) = (elements(a), elements(b)) else {
        return a == b;
    };
    if x.len() != 2 || y.len() != 2 || x[0] != y[0] {
        return false;
    }
    match (elements(&x[1]), elements(&y[1])) {
        (Some(p), Some(q)) if pairs => pairs_sorted(p) == pairs_sorted(q),
        (Some(p), Some(q)) => sorted(p) == sorted(q),
        _ => x[1] == y[1],
    }
}

/// Same reply type, same nil-ness, same aggregate length; errors must be equal.
fn shape_same(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Line(b'-', _), _) | (_, Node::Line(b'-', _)) => a == b,
        (Node::Line(x, _), Node::Line(y, _)) => x == y,
        (Node::Bulk(x, p), Node::Bulk(y, q)) => x == y && p.is_some() == q.is_some(),
        (Node::Agg(x, p), Node::Agg(y, q)) => {
            x == y && p.as_ref().map(|v| v.len()) == q.as_ref().map(|v| v.len())
        }
        _ => false,
    }
}

/// Compare two raw replies under a resolved (non-meta) mode.
fn same(cmp: &Cmp, ra: &[u8], rb: &[u8]) -> bool {
    if ra == rb {
        return true;
    }
    let (Some(a), Some(b)) = (canon::parse(ra), canon::parse(rb)) else {
        return false;
    };
    match cmp {
        Cmp::Unordered => match (elements(&a), elements(&b)) {
            (Some(x), Some(y)) => agg_kind(&a) == agg_kind(&b) && sorted(x) == sorted(y),
            _ => false,
        },
        Cmp::Pairs => match (elements(&a), elements(&b)) {
            (Some(x), Some(y)) => {
                agg_kind(&a) == agg_kind(&b) && pairs_sorted(x) == pairs_sorted(y)
            }
            _ => false,
        },
        Cmp::ScanUnordered => scan_same(&a, &b, false),
        Cmp::ScanPairs => scan_same(&a, &b, true),
        Cmp::Shape | Cmp::Spop(_) => shape_same(&a, &b),
        Cmp::Ttl => match (canon::as_int(ra), canon::as_int(rb)) {
            (Some(x), Some(y)) => x == y || (x >= 0 && y >= 0),
            _ => false,
        },
        _ => false,
    }
}

/// Everything needed to report a failure.
struct Run {
    seed: u64,
    commands: usize,
    index: usize,
    history: VecDeque<String>,
    /// Error replies seen (WRONGTYPE, parse errors): reported to judge coverage.
    errors: usize,
    /// `RANDOM_TRACE` set: print every command with the first server's reply.
    trace: bool,
}

impl Run {
    fn note(&mut self, args: &[String], what: &str) {
        if self.trace {
            eprintln!("#{} {} -> {what}", self.index, show_args(args));
        }
        self.history
            .push_back(format!("{} -> {what}", show_args(args)));
        if self.history.len() > HISTORY {
            self.history.pop_front();
        }
    }

    fn fail(&self, what: &str, args: &[String], a: (&str, &[u8]), b: (&str, &[u8])) -> ! {
        let mut msg = format!(
            "\nrandom_differential: MISMATCH ({what}) with seed {} at command #{}\n\
             last {} commands (with the first server's reply):\n",
            self.seed,
            self.index,
            self.history.len()
        );
        for h in &self.history {
            msg.push_str(&format!("  {h}\n"));
        }
        msg.push_str(&format!(
            "failing command: {}\n  {}: {}\n  {}: {}\n\
             reproduce: RANDOM_SEED={} RANDOM_COMMANDS={} cargo test --release --test random_differential\n",
            show_args(args),
            a.0,
            show(a.1),
            b.0,
            show(b.1),
            self.seed,
            self.commands
        ));
        panic!("{msg}");
    }
}

/// Send `args` to both sides and require `cmp`-equal replies; returns the first side's reply.
fn both(run: &Run, a: &mut Side, b: &mut Side, args: &[String], cmp: &Cmp, what: &str) -> Vec<u8> {
    let ra = a.cmd(args);
    let rb = b.cmd(args);
    if !same(cmp, &ra, &rb) {
        run.fail(what, args, (a.name, &ra), (b.name, &rb));
    }
    ra
}

fn bulk_text(raw: &[u8]) -> String {
    match canon::parse(raw) {
        Some(Node::Bulk(_, Some(d))) | Some(Node::Line(_, d)) => {
            String::from_utf8_lossy(&d).to_string()
        }
        _ => String::new(),
    }
}

/// OBJECT ENCODING of `key`, required equal on both sides.
fn encoding(run: &Run, a: &mut Side, b: &mut Side, key: &str) -> String {
    let args = vec!["OBJECT".into(), "ENCODING".into(), key.to_string()];
    bulk_text(&both(run, a, b, &args, &Cmp::Exact, "encoding check"))
}

/// Is `key` a sorted set whose lowest and highest scores differ?
fn mixed_scores(run: &Run, a: &mut Side, b: &mut Side, key: &str) -> bool {
    let mut score = |idx: &str| {
        let args: Vec<String> = ["ZRANGE", key, idx, idx, "WITHSCORES"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = both(run, a, b, &args, &Cmp::Exact, "score check");
        match canon::parse(&r) {
            Some(Node::Agg(_, Some(v))) => v.last().cloned(),
            _ => None,
        }
    };
    let (lo, hi) = (score("0"), score("-1"));
    // Nested in RESP3 ([[member, score]]): compare the last scalar either way.
    fn last_scalar(n: Option<Node>) -> Option<Node> {
        match n {
            Some(Node::Agg(_, Some(v))) => v.last().cloned(),
            x => x,
        }
    }
    let (lo, hi) = (last_scalar(lo), last_scalar(hi));
    lo.is_some() && lo != hi
}

/// How a SORT reply compares, and whether the stored result must be copied to the second
/// side afterwards (when Redis's order is not defined).
fn sort_rule(run: &Run, a: &mut Side, b: &mut Side, info: &SortInfo) -> (Cmp, bool) {
    let ty = bulk_text(&both(
        run,
        a,
        b,
        &["TYPE".into(), info.key.clone()],
        &Cmp::Exact,
        "type check",
    ));
    let enc = encoding(run, a, b, &info.key);
    // Unsorted reads iterate a hashtable set in hash order; sorting reads a sorted set from
    // its dict (hash order too), so ties between equal weights come out in any order.
    let hashed_set = ty == "set" && enc == "hashtable";
    let loose = if info.limit {
        Cmp::Shape
    } else {
        Cmp::Unordered
    };
    if info.nosort && hashed_set && info.store.is_none() {
        return (loose, false);
    }
    if info.alpha_by && !info.nosort && (info.limit || hashed_set || ty == "zset") {
        return match info.store {
            Some(_) => (Cmp::Exact, true),
            None => (loose, false),
        };
    }
    (Cmp::Exact, false)
}

/// Make `b`'s list at `key` equal `a`'s (after a SORT STORE whose order Redis leaves open).
fn copy_list(run: &Run, a: &mut Side, b: &mut Side, key: &str) {
    let items = a.cmd(&["LRANGE".into(), key.into(), "0".into(), "-1".into()]);
    let del = vec!["DEL".to_string(), key.to_string()];
    b.cmd(&del);
    let Some(Node::Agg(_, Some(v))) = canon::parse(&items) else {
        run.fail("resync read", &del, (a.name, &items), (b.name, b""));
    };
    let mut push = vec!["RPUSH".to_string(), key.to_string()];
    push.extend(v.iter().filter_map(|n| match n {
        Node::Bulk(_, Some(d)) => Some(String::from_utf8_lossy(d).to_string()),
        _ => None,
    }));
    if push.len() > 2 {
        let r = b.cmd(&push);
        if r.starts_with(b"-") {
            run.fail("resync write", &push, (a.name, b""), (b.name, &r));
        }
    }
}

/// After SPOP the two sets differ (random members were popped), and even their encodings may
/// (Redis rebuilds the rest of the set starting from a random member): rebuild the set on both
/// sides from the first side's members.
fn resync_spop(run: &Run, a: &mut Side, b: &mut Side, key: &str) {
    let members = a.cmd(&["SMEMBERS".into(), key.into()]);
    let mut add = vec!["SADD".to_string(), key.to_string()];
    match canon::parse(&members) {
        Some(Node::Agg(_, Some(v))) => add.extend(v.iter().filter_map(|n| match n {
            Node::Bulk(_, Some(d)) => Some(String::from_utf8_lossy(d).to_string()),
            _ => None,
        })),
        _ => run.fail("SPOP resync read", &add, (a.name, &members), (b.name, b"")),
    }
    for s in [a, b] {
        s.cmd(&["DEL".into(), key.into()]);
        if add.len() > 2 {
            let r = s.cmd(&add);
            if r.starts_with(b"-") {
                run.fail("SPOP resync", &add, (s.name, &r), (s.name, b""));
            }
        }
    }
}

/// Run one generated command on both sides and check the replies.
fn step(run: &mut Run, a: &mut Side, b: &mut Side, op: &Op) {
    let mut resync_list = None;
    let cmp = match &op.cmp {
        Cmp::IfUnordered(key, inner) => {
            let enc = encoding(run, a, b, key);
            if enc == "hashtable" || enc == "skiplist" {
                (**inner).clone()
            } else {
                Cmp::Exact
            }
        }
        Cmp::Lex(key) => {
            if mixed_scores(run, a, b, key) {
                run.note(&op.args, "skipped: lex range over different scores");
                return;
            }
            Cmp::Exact
        }
        Cmp::Sort(info) => {
            let (cmp, resync) = sort_rule(run, a, b, info);
            if resync {
                resync_list = info.store.clone();
            }
            cmp
        }
        Cmp::Fresh(key) => {
            let del = vec!["DEL".to_string(), key.clone()];
            both(run, a, b, &del, &Cmp::Exact, "fresh key");
            Cmp::Exact
        }
        c => c.clone(),
    };
    let ra = a.cmd(&op.args);
    let rb = b.cmd(&op.args);
    if !same(&cmp, &ra, &rb) {
        run.fail("reply", &op.args, (a.name, &ra), (b.name, &rb));
    }
    run.note(&op.args, &show(&ra));
    if ra.starts_with(b"-") {
        run.errors += 1;
        return;
    }
    if let Cmp::Fresh(key) = &op.cmp {
        encoding(run, a, b, key);
    }
    if let Cmp::Spop(key) = &op.cmp {
        resync_spop(run, a, b, key);
    }
    if let Some(key) = resync_list {
        copy_list(run, a, b, &key);
    }
}

/// Pick a template by weight.
fn pick<'a>(g: &mut G, ts: &'a [Template], total: u32) -> &'a Template {
    let mut r = g.rng.below(total as usize) as u32;
    for t in ts {
        if r < t.weight {
            return t;
        }
        r -= t.weight;
    }
    &ts[ts.len() - 1]
}

/// One seed: a fresh keyspace, RESP3 on odd seeds, `n` commands, then whole-keyspace checks.
fn run_seed(
    a: &mut Side,
    b: &mut Side,
    ts: &[Template],
    seed: u64,
    n: usize,
    deadline: Instant,
) -> (usize, usize) {
    let mut run = Run {
        seed,
        commands: n,
        index: 0,
        history: VecDeque::new(),
        errors: 0,
        trace: std::env::var_os("RANDOM_TRACE").is_some(),
    };
    for s in [&mut *a, &mut *b] {
        s.cmd(&["FLUSHALL".into()]);
        let proto = if seed % 2 == 1 { "3" } else { "2" };
        s.cmd(&["HELLO".into(), proto.into()]);
    }
    let total: u32 = ts.iter().map(|t| t.weight).sum();
    let mut g = G {
        rng: gen::Rng::new(seed),
        fam: None,
    };
    let mut done = n;
    for i in 0..n {
        if i % 100 == 0 && Instant::now() > deadline {
            done = i;
            break;
        }
        run.index = i;
        let t = pick(&mut g, ts, total);
        // Type-agnostic commands (RENAME, COPY, SORT ... STORE) mostly stay within one type's
        // keys too, so that the keys keep their types and few commands hit WRONGTYPE.
        g.fam = gen::family(t.name).or_else(|| g.rng.chance(70).then(|| g.rng.below(5)));
        let op = (t.gen)(&mut g);
        step(&mut run, a, b, &op);
    }
    run.index = done;
    // Every key's type and digest first (a difference then names the key), then the whole
    // keyspace.
    let mut checks: Vec<Vec<String>> = Vec::new();
    for k in gen::all_keys() {
        checks.push(vec!["TYPE".into(), k.clone()]);
        checks.push(vec!["DEBUG".into(), "DIGEST-VALUE".into(), k]);
    }
    checks.push(vec!["DBSIZE".into()]);
    checks.push(vec!["DEBUG".into(), "DIGEST".into()]);
    for args in checks {
        both(&run, a, b, &args, &Cmp::Exact, "final keyspace check");
    }
    (done, run.errors)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The seeds to run: `RANDOM_SEED` alone, or fresh ones derived from the clock.
fn seeds() -> Vec<u64> {
    if let Some(s) = env_u64("RANDOM_SEED") {
        return vec![s];
    }
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let mut r = gen::Rng::new(base);
    (0..DEFAULT_SEEDS)
        .map(|_| r.next() % 1_000_000_000)
        .collect()
}

fn run_all(mut a: Side, mut b: Side) {
    let ts = usable_templates(&mut a, &mut b);
    assert!(!ts.is_empty(), "no command templates usable");
    let n = env_u64("RANDOM_COMMANDS").map_or(DEFAULT_COMMANDS, |v| v as usize);
    let start = Instant::now();
    let seeds = seeds();
    let deadline = start + TIME_BUDGET;
    let (mut errors, mut total) = (0, 0);
    let mut ran = Vec::new();
    for &seed in &seeds {
        if Instant::now() > deadline {
            eprintln!("random_differential: time budget spent, seed {seed} skipped");
            continue;
        }
        let (done, e) = run_seed(&mut a, &mut b, &ts, seed, n, deadline);
        if done < n {
            eprintln!("random_differential: time budget spent, seed {seed} stopped after {done}");
        }
        ran.push(seed);
        total += done;
        errors += e;
    }
    eprintln!(
        "random_differential: {} vs {}: seeds {:?}, {} commands in all, {} templates, \
         {}% error replies, {:.1}s",
        a.name,
        b.name,
        ran,
        total,
        ts.len(),
        errors * 100 / total.max(1),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn oxidis_matches_redis_on_random_commands() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let redis = start_redis(SERVER_ARGS);
    let ox = start_oxidis(SERVER_ARGS);
    run_all(
        Side {
            name: "redis",
            conn: redis.conn(),
        },
        Side {
            name: "oxidis",
            conn: ox.conn(),
        },
    );
}

#[test]
fn generator_is_deterministic_on_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let r1 = start_redis(SERVER_ARGS);
    let r2 = start_redis(SERVER_ARGS);
    run_all(
        Side {
            name: "redis-1",
            conn: r1.conn(),
        },
        Side {
            name: "redis-2",
            conn: r2.conn(),
        },
    );
}
