//! LCS: the longest common subsequence of two strings, as the string itself, its length
//! (LEN), or the matching ranges (IDX, with MINMATCHLEN and WITHMATCHLEN), computed with the
//! classic dynamic-programming table and walked back the way Redis 7.0 walks it, so that ties
//! resolve to the same subsequence and the ranges come out in the same order.
use super::keys::{lookup_read, proto_max_bulk_len};
use crate::resp::Reply;
use crate::server::command::{flags::*, single_key, Args, Command};
use crate::server::Ctx;
use crate::tri;
use crate::util::parse_i64;

/// A key's string for LCS: empty when missing, Err for other types.
fn string_of(ctx: &mut Ctx, key: &[u8]) -> Result<Vec<u8>, ()> {
    let now = ctx.now;
    match lookup_read(ctx.srv, ctx.client.db, key, now) {
        None => Ok(Vec::new()),
        Some(e) => e.value.as_str().map(|s| s.to_vec()).ok_or(()),
    }
}

struct Opts {
    idx: bool,
    len: bool,
    with_len: bool,
    min_len: i64,
}

fn parse(a: &Args) -> Result<Opts, Reply> {
    let mut o = Opts {
        idx: false,
        len: false,
        with_len: false,
        min_len: 0,
    };
    let mut j = 3;
    while j < a.len() {
        let opt = &a[j];
        let more = j + 1 < a.len();
        if opt.eq_ignore_ascii_case(b"IDX") {
            o.idx = true;
        } else if opt.eq_ignore_ascii_case(b"LEN") {
            o.len = true;
        } else if opt.eq_ignore_ascii_case(b"WITHMATCHLEN") {
            o.with_len = true;
        } else if opt.eq_ignore_ascii_case(b"MINMATCHLEN") && more {
            o.min_len = parse_i64(&a[j + 1]).ok_or_else(Reply::not_integer)?.max(0);
            j += 1;
        } else {
            return Err(Reply::syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

/// One matching range: inclusive byte ranges in both strings.
struct Match {
    a: (u32, u32),
    b: (u32, u32),
}

/// The LCS table, `(alen+1) x (blen+1)` lengths of the prefixes' LCS.
struct Table {
    cols: usize,
    cells: Vec<u32>,
}

impl Table {
    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.cols + j]
    }
}

fn table(a: &[u8], b: &[u8], cells: Vec<u32>) -> Table {
    let mut t = Table {
        cols: b.len() + 1,
        cells,
    };
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let v = if a[i - 1] == b[j - 1] {
                t.at(i - 1, j - 1) + 1
            } else {
                t.at(i - 1, j).max(t.at(i, j - 1))
            };
            t.cells[i * t.cols + j] = v;
        }
    }
    t
}

/// Walk the table back from the end: the subsequence and the ranges of contiguous matches,
/// last first.
fn walk(a: &[u8], b: &[u8], t: &Table) -> (Vec<u8>, Vec<Match>) {
    let total = t.at(a.len(), b.len()) as usize;
    let mut seq = vec![0u8; total];
    let mut k = total;
    let mut ranges = Vec::new();
    let mut cur: Option<Match> = None;
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            seq[k - 1] = a[i - 1];
            let (ai, bj) = ((i - 1) as u32, (j - 1) as u32);
            match &mut cur {
                None => {
                    cur = Some(Match {
                        a: (ai, ai),
                        b: (bj, bj),
                    })
                }
                Some(m) if m.a.0 == ai + 1 && m.b.0 == bj + 1 => {
                    m.a.0 = ai;
                    m.b.0 = bj;
                }
                Some(_) => emit = true,
            }
            if cur.as_ref().is_some_and(|m| m.a.0 == 0 || m.b.0 == 0) {
                emit = true;
            }
            k -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t.at(i - 1, j) > t.at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = cur.is_some();
        }
        if emit {
            ranges.extend(cur.take());
        }
    }
    (seq, ranges)
}

fn lcs(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let sa = string_of(ctx, &a[1]);
    let sb = string_of(ctx, &a[2]);
    let (Ok(sa), Ok(sb)) = (sa, sb) else {
        return Reply::err("ERR The specified keys must contain string values");
    };
    let o = tri!(parse(a));
    if o.idx && o.len {
        return Reply::err("ERR If you want both the length and indexes, please just use IDX.");
    }
    if sa.len() as u64 >= u32::MAX as u64 - 1 || sb.len() as u64 >= u32::MAX as u64 - 1 {
        return Reply::err("ERR String too long for LCS");
    }
    let cells = (sa.len() as u64 + 1) * (sb.len() as u64 + 1);
    if cells * 4 > proto_max_bulk_len(ctx) as u64 {
        return Reply::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    let mut buf = Vec::new();
    if buf.try_reserve_exact(cells as usize).is_err() {
        return Reply::err("ERR Insufficient memory, failed allocating transient memory for LCS");
    }
    buf.resize(cells as usize, 0);
    let t = table(&sa, &sb, buf);
    let total = t.at(sa.len(), sb.len()) as i64;
    if o.len && !o.idx {
        return Reply::Int(total);
    }
    let (seq, ranges) = walk(&sa, &sb, &t);
    if !o.idx {
        return Reply::Bulk(seq);
    }
    let matches = ranges
        .iter()
        .map(|m| (m, (m.a.1 - m.a.0 + 1) as i64))
        .filter(|(_, n)| o.min_len == 0 || *n >= o.min_len)
        .map(|(m, n)| {
            let pair =
                |(x, y): (u32, u32)| Reply::Array(vec![Reply::Int(x as i64), Reply::Int(y as i64)]);
            let mut v = vec![pair(m.a), pair(m.b)];
            if o.with_len {
                v.push(Reply::Int(n));
            }
            Reply::Array(v)
        })
        .collect();
    Reply::Map(vec![
        (Reply::bulk("matches"), Reply::Array(matches)),
        (Reply::bulk("len"), Reply::Int(total)),
    ])
}

pub static COMMANDS: &[Command] = &[Command {
    last_key: 2,
    ..single_key("lcs", -3, READONLY, &["read", "string", "slow"], lcs)
}];

#[cfg(test)]
mod tests {
    use super::{table, walk};

    type Ranges = Vec<((u32, u32), (u32, u32))>;

    fn run(a: &str, b: &str) -> (String, Ranges) {
        let cells = vec![0; (a.len() + 1) * (b.len() + 1)];
        let t = table(a.as_bytes(), b.as_bytes(), cells);
        let (s, r) = walk(a.as_bytes(), b.as_bytes(), &t);
        (
            String::from_utf8(s).unwrap_or_default(),
            r.into_iter().map(|m| (m.a, m.b)).collect(),
        )
    }

    #[test]
    fn redis_documentation_example() {
        let (s, r) = run("ohmytext", "mynewtext");
        assert_eq!(s, "mytext");
        assert_eq!(r, vec![((4, 7), (5, 8)), ((2, 3), (0, 1))]);
        assert_eq!(run("", "abc").0, "");
    }
}
