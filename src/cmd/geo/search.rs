//! Running a GEO search: read the members of the nine cells around the centre (in cell
//! order, each cell's members by score), keep those inside the shape, order them (a stable
//! sort for a full result, Redis's partial quicksort for a COUNT cut), then reply them or
//! store them in a sorted set.
use super::point::{coords, distance};
use super::query::{parse, Form, Query, Sort};
use crate::cmd::typed;
use crate::db::ZSet;
use crate::geohash::area::{cells, Search};
use crate::geohash::{self, Bits};
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use std::cmp::Ordering;

/// A member found by a search.
struct Point {
    member: Vec<u8>,
    score: f64,
    xy: [f64; 2],
    /// Meters from the centre.
    dist: f64,
}

/// Whether `found` already holds `limit` points (0: no limit).
fn full(found: &[Point], limit: usize) -> bool {
    limit > 0 && found.len() >= limit
}

/// The members of cell `c` inside the search, appended to `found`.
fn in_cell(z: &ZSet, c: Bits, s: &Search, found: &mut Vec<Point>, limit: usize) {
    let min = c.align52() as f64;
    let max = Bits {
        bits: c.bits.wrapping_add(1),
        step: c.step,
    }
    .align52() as f64;
    let start = z.count_while(|score, _| score < min);
    z.walk_from(start, |score, member| {
        if score >= max {
            return false;
        }
        if let Some(xy) = geohash::decode_score(score) {
            if let Some(dist) = s.contains(xy) {
                found.push(Point {
                    member: member().to_vec(),
                    score,
                    xy,
                    dist,
                });
            }
        }
        !full(found, limit)
    });
}

/// The members inside the search, in cell order, stopping at `limit` (0: all).
fn collect(z: &ZSet, s: &Search, limit: usize) -> Vec<Point> {
    let cells = cells(s);
    let mut found = Vec::new();
    // A huge radius makes neighbouring cells the same: a cell equal to the one read last is
    // skipped (Redis never compares with the centre cell, index 0).
    let mut last = 0;
    for (i, &c) in cells.iter().enumerate() {
        if c.is_zero() || (last != 0 && c == cells[last]) {
            continue;
        }
        if !found.is_empty() && full(&found, limit) {
            break;
        }
        in_cell(z, c, s, &mut found, limit);
        last = i;
    }
    found
}

fn by_distance(a: &Point, b: &Point) -> Ordering {
    if a.dist == b.dist {
        Ordering::Equal
    } else if a.dist > b.dist {
        Ordering::Greater
    } else {
        Ordering::Less
    }
}

/// Order the points and cut them to `count` (0: all).
fn order(found: &mut Vec<Point>, sort: Sort, count: usize) {
    let total = found.len();
    let returned = if count == 0 { total } else { total.min(count) };
    let cmp: fn(&Point, &Point) -> Ordering = match sort {
        Sort::None => {
            found.truncate(returned);
            return;
        }
        Sort::Asc => by_distance,
        Sort::Desc => |a, b| by_distance(b, a),
    };
    if returned == total {
        found.sort_by(cmp);
    } else {
        crate::pqsort::pqsort(found, 0, returned - 1, &cmp);
        found.truncate(returned);
    }
}

fn reply(q: &Query, found: Vec<Point>, conversion: f64) -> Reply {
    let extra = q.withdist || q.withhash || q.withcoord;
    let out = found
        .into_iter()
        .map(|p| {
            if !extra {
                return Reply::Bulk(p.member);
            }
            let mut v = vec![Reply::Bulk(p.member)];
            if q.withdist {
                v.push(distance(p.dist / conversion));
            }
            if q.withhash {
                v.push(Reply::Int(p.score as i64));
            }
            if q.withcoord {
                v.push(coords(p.xy));
            }
            Reply::Array(v)
        })
        .collect();
    Reply::Array(out)
}

/// Every GEO search command: `src` is the index of the source key.
pub(super) fn generic(ctx: &mut Ctx, a: &mut Args, form: Form, nostore: bool) -> Reply {
    let src = if form == Form::SearchStore { 2 } else { 1 };
    let (q, found, conversion) = {
        let z = tri!(typed::read::<ZSet>(ctx, &a[src]));
        let z = z.as_deref();
        let q = tri!(parse(a, form, nostore, z));
        match (z, q.search) {
            (Some(z), Some(s)) => {
                let mut sort = q.sort;
                if q.count != 0 && sort == Sort::None && !q.any {
                    sort = Sort::Asc;
                }
                let mut found = collect(z, &s, if q.any { q.count } else { 0 });
                order(&mut found, sort, q.count);
                (q, found, s.conversion)
            }
            _ => (q, Vec::new(), 1.0),
        }
    };
    let Some(dst) = q.store else {
        return reply(&q, found, conversion);
    };
    let n = found.len();
    let items = found
        .into_iter()
        .map(|p| {
            let score = if q.storedist {
                p.dist / conversion
            } else {
                p.score
            };
            (p.member, score)
        })
        .collect();
    let r = crate::cmd::zset::store_result(ctx, &a[dst], items, None);
    // Redis counts one change per stored member.
    if n > 1 {
        ctx.dirty(n as u64 - 1);
    }
    r
}
