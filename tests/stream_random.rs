//! Randomized differential test of the stream commands: the same random sequence of XADD (with
//! explicit, deterministic ids, some of them too small or invalid), exact MAXLEN/MINID trims
//! (and `~` ones, with the same small `stream-node-max-entries` on both servers), XDEL,
//! XRANGE/XREVRANGE, XLEN, XREAD, the XGROUP subcommands, XREADGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM, XSETID and XINFO runs against oxidis and a real redis-server, and every reply must
//! be byte-identical, except idle times (XPENDING extended form, XINFO CONSUMERS), which are
//! masked before comparing. Fixed seeds; `STREAM_SEED=n` replays one, `STREAM_TRACE=1` prints
//! every command.
mod common;
use common::*;

const KEYS: &[&str] = &["s0", "s1", "s2", "missing", "str"];
const NODE_SIZES: &[&str] = &["100", "4", "10", "2"];
const GROUPS: &[&str] = &["g0", "g1", "nogroup"];
const CONSUMERS: &[&str] = &["c0", "c1", "c2"];

/// The generator's state: the last millisecond handed out per stream key, so new ids mostly
/// increase (the server's reply decides whether an id was accepted; this only steers choices).
struct Gen {
    r: Rng,
    last_ms: [u64; 3],
}

impl Gen {
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.r.below(v.len())]
    }

    fn key_index(&mut self) -> usize {
        if self.r.below(12) == 0 {
            3 + self.r.below(2)
        } else {
            self.r.below(3)
        }
    }

    fn ms_of(&self, k: usize) -> u64 {
        self.last_ms.get(k).copied().unwrap_or(5)
    }

    /// A new id for XADD on key `k`: mostly larger than the last, sometimes equal ms with a
    /// sequence, `ms-*`, or a smaller/invalid one that must fail.
    fn new_id(&mut self, k: usize) -> String {
        let last = self.ms_of(k);
        match self.r.below(20) {
            0 => "0-0".into(),
            1 => format!("{}-{}", last.saturating_sub(1 + self.r.below(3) as u64), 0),
            2 => "bad-id".into(),
            3 => format!("{last}-*"),
            4 => format!("{last}-{}", 1 + self.r.below(5)),
            _ => {
                let ms = last + 1 + self.r.below(4) as u64;
                if k < 3 {
                    self.last_ms[k] = ms;
                }
                if self.r.below(3) == 0 {
                    format!("{ms}")
                } else {
                    format!("{ms}-{}", self.r.below(3))
                }
            }
        }
    }

    /// An id somewhere in the stream's range (or just outside), for ranges, trims and reads.
    fn some_id(&mut self, k: usize) -> String {
        let ms = self.r.below(self.ms_of(k) as usize + 3);
        match self.r.below(4) {
            0 => format!("{ms}"),
            _ => format!("{ms}-{}", self.r.below(3)),
        }
    }

    fn range_bound(&mut self, k: usize, low: bool) -> String {
        match self.r.below(10) {
            0 => (if low { "-" } else { "+" }).into(),
            1 | 2 => format!("({}", self.some_id(k)),
            3 if self.r.below(4) == 0 => "(+".into(),
            _ => self.some_id(k),
        }
    }

    fn trim(&mut self, k: usize, v: &mut Vec<String>) {
        let approx = self.r.below(4) == 0;
        if self.r.below(2) == 0 {
            v.push("MAXLEN".into());
            v.push((if approx { "~" } else { "=" }).into());
            v.push(self.r.below(30).to_string());
        } else {
            v.push("MINID".into());
            v.push((if approx { "~" } else { "=" }).into());
            v.push(self.some_id(k));
        }
        if approx && self.r.below(2) == 0 {
            v.push("LIMIT".into());
            v.push(self.r.below(20).to_string());
        }
    }

    fn fields(&mut self, v: &mut Vec<String>) {
        for _ in 0..1 + self.r.below(3) {
            v.push(format!("f{}", self.r.below(4)));
            v.push(format!("v{}", self.r.below(1000)));
        }
    }

    fn count(&mut self, v: &mut Vec<String>) {
        if self.r.below(2) == 0 {
            v.push("COUNT".into());
            v.push(self.r.below(8).to_string());
        }
    }

    fn cmd(&mut self) -> Vec<String> {
        let k = self.key_index();
        let key = KEYS[k].to_string();
        let s = |x: &str| x.to_string();
        let mut v: Vec<String>;
        match self.r.below(40) {
            0..=9 => {
                v = vec![s("XADD"), key];
                if self.r.below(15) == 0 {
                    v.push(s("NOMKSTREAM"));
                }
                if self.r.below(6) == 0 {
                    self.trim(k, &mut v);
                }
                v.push(self.new_id(k));
                self.fields(&mut v);
            }
            10 => {
                v = vec![s("XTRIM"), key];
                self.trim(k, &mut v);
            }
            11 => {
                v = vec![s("XDEL"), key];
                for _ in 0..1 + self.r.below(3) {
                    v.push(self.some_id(k));
                }
            }
            12..=14 => {
                let rev = self.r.below(2) == 0;
                let (a, b) = (self.range_bound(k, true), self.range_bound(k, false));
                v = if rev {
                    vec![s("XREVRANGE"), key, b, a]
                } else {
                    vec![s("XRANGE"), key, a, b]
                };
                self.count(&mut v);
            }
            15 => v = vec![s("XLEN"), key],
            16 => {
                v = vec![s("XREAD")];
                self.count(&mut v);
                v.push(s("STREAMS"));
                let k2 = self.r.below(3);
                v.push(key);
                v.push(KEYS[k2].into());
                v.push(self.some_id(k));
                v.push(self.some_id(k2));
            }
            17 | 18 => {
                let g = self.pick(GROUPS);
                v = vec![s("XGROUP"), s("CREATE"), key, s(g)];
                v.push(match self.r.below(3) {
                    0 => s("$"),
                    1 => s("0"),
                    _ => self.some_id(k),
                });
                if self.r.below(3) == 0 {
                    v.push(s("MKSTREAM"));
                }
                if self.r.below(4) == 0 {
                    v.push(s("ENTRIESREAD"));
                    v.push(self.r.below(10).to_string());
                }
            }
            19 => {
                let g = self.pick(GROUPS);
                let id = if self.r.below(3) == 0 {
                    s("$")
                } else {
                    self.some_id(k)
                };
                v = vec![s("XGROUP"), s("SETID"), key, s(g), id];
            }
            20 => {
                let (g, c) = (self.pick(GROUPS), self.pick(CONSUMERS));
                let sub = if self.r.below(2) == 0 {
                    "CREATECONSUMER"
                } else {
                    "DELCONSUMER"
                };
                v = vec![s("XGROUP"), s(sub), key, s(g), s(c)];
            }
            21 if self.r.below(4) == 0 => {
                v = vec![s("XGROUP"), s("DESTROY"), key, s(self.pick(GROUPS))]
            }
            21..=25 => {
                let (g, c) = (self.pick(GROUPS), self.pick(CONSUMERS));
                v = vec![s("XREADGROUP"), s("GROUP"), s(g), s(c)];
                self.count(&mut v);
                if self.r.below(8) == 0 {
                    v.push(s("NOACK"));
                }
                v.push(s("STREAMS"));
                v.push(key);
                v.push(if self.r.below(3) == 0 {
                    self.some_id(k)
                } else {
                    s(">")
                });
            }
            26 | 27 => {
                v = vec![s("XACK"), key, s(self.pick(GROUPS))];
                for _ in 0..1 + self.r.below(3) {
                    v.push(self.some_id(k));
                }
            }
            28 => v = vec![s("XPENDING"), key, s(self.pick(GROUPS))],
            29 | 30 => {
                v = vec![s("XPENDING"), key, s(self.pick(GROUPS))];
                v.push(self.range_bound(k, true));
                v.push(self.range_bound(k, false));
                v.push(self.r.below(10).to_string());
                if self.r.below(2) == 0 {
                    v.push(s(self.pick(CONSUMERS)));
                }
            }
            31 | 32 => {
                let (g, c) = (self.pick(GROUPS), self.pick(CONSUMERS));
                v = vec![s("XCLAIM"), key, s(g), s(c), s("0")];
                for _ in 0..1 + self.r.below(3) {
                    v.push(self.some_id(k));
                }
                if self.r.below(2) == 0 {
                    v.push(s("JUSTID"));
                }
            }
            33 | 34 => {
                let (g, c) = (self.pick(GROUPS), self.pick(CONSUMERS));
                let start = self.range_bound(k, true);
                let start = start.trim_start_matches('(').to_string();
                v = vec![s("XAUTOCLAIM"), key, s(g), s(c), s("0"), start];
                self.count(&mut v);
                if self.r.below(2) == 0 {
                    v.push(s("JUSTID"));
                }
            }
            35 | 36 => v = vec![s("XINFO"), s("STREAM"), key],
            37 => v = vec![s("XINFO"), s("GROUPS"), key],
            38 => v = vec![s("XINFO"), s("CONSUMERS"), key, s(self.pick(GROUPS))],
            _ => match self.r.below(5) {
                0 => v = vec![s("DEL"), key],
                1 => v = vec![s("SET"), s("str"), s("x")],
                2 => v = vec![s("XSETID"), key, self.some_id(k)],
                _ => v = vec![s("TYPE"), key],
            },
        }
        v
    }
}

/// Idle times differ between the servers: replace the integer after an `idle` field (XINFO
/// CONSUMERS) and the third element of each XPENDING extended entry with a fixed marker.
fn mask(cmd: &[String], reply: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(reply);
    let pending_ext = cmd[0] == "XPENDING" && cmd.len() > 3;
    let lines: Vec<&str> = text.split("\r\n").collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut idle_at = usize::MAX;
    for (i, l) in lines.iter().enumerate() {
        if i == idle_at && l.starts_with(':') {
            out.push(":IDLE".into());
            continue;
        }
        if *l == "idle" {
            idle_at = i + 1;
        }
        if pending_ext && *l == "*4" {
            // *4, $len, id, $len, consumer, :idle, :deliveries
            idle_at = i + 5;
        }
        out.push(l.to_string());
    }
    out.join("\r\n").into_bytes()
}

#[test]
fn random_stream_commands_match_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let seeds: Vec<u64> = match std::env::var("STREAM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(s) => vec![s],
        None => vec![5, 17, 29, 41],
    };
    let trace = std::env::var_os("STREAM_TRACE").is_some();
    let ox = start_oxidis(&["--enable-debug-command", "yes"]);
    let rd = start_redis(&["--enable-debug-command", "yes"]);
    let (mut a, mut b) = (ox.conn(), rd.conn());
    for seed in seeds {
        let mut g = Gen {
            r: Rng(seed),
            last_ms: [5; 3],
        };
        let node = NODE_SIZES[(seed % NODE_SIZES.len() as u64) as usize];
        for c in [&mut a, &mut b] {
            assert_eq!(c.s(&["FLUSHALL"]), "+OK\r\n");
            let set = ["CONFIG", "SET", "stream-node-max-entries", node];
            assert_eq!(c.s(&set), "+OK\r\n");
        }
        let mut last = String::new();
        for i in 0..1500 {
            let cmd = g.cmd();
            let refs: Vec<&[u8]> = cmd.iter().map(|v| v.as_bytes()).collect();
            let (x, y) = (a.cmd_bin(&refs), b.cmd_bin(&refs));
            let (x, y) = (mask(&cmd, &x), mask(&cmd, &y));
            let shown = cmd.join(" ");
            if trace {
                println!("#{i} {shown} -> {:?}", String::from_utf8_lossy(&y));
            }
            assert!(
                x == y,
                "seed {seed} (STREAM_SEED={seed}, stream-node-max-entries {node}), command #{i} {shown}\n oxidis: {:?}\n  redis: {:?}\n previous: {last}",
                String::from_utf8_lossy(&x),
                String::from_utf8_lossy(&y),
            );
            last = shown;
        }
        assert_eq!(a.s(&["DEBUG", "DIGEST"]), b.s(&["DEBUG", "DIGEST"]));
    }
}
