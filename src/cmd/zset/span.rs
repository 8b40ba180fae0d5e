//! The three ways a sorted-set range is named — ranks, scores, lexicographic bounds — parsed
//! with Redis's error replies and resolved against a set to a span of ascending ranks, so the
//! range, count and removal commands share one definition of "in range".
use crate::db::zset::range::{LexRange, ScoreRange};
use crate::db::ZSet;
use crate::resp::Reply;
use crate::util::parse_i64;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    /// ZRANGE before its BYSCORE/BYLEX option is seen.
    Auto,
    Rank,
    Score,
    Lex,
}

pub(super) enum Span {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

impl Span {
    /// Parse `min` and `max` as `kind` (Auto counts as ranks).
    pub fn parse(kind: Kind, min: &[u8], max: &[u8]) -> Result<Span, Reply> {
        match kind {
            Kind::Score => ScoreRange::parse(min, max)
                .map(Span::Score)
                .ok_or_else(|| Reply::err("ERR min or max is not a float")),
            Kind::Lex => LexRange::parse(min, max)
                .map(Span::Lex)
                .ok_or_else(|| Reply::err("ERR min or max not valid string range item")),
            Kind::Auto | Kind::Rank => {
                let int = |b: &[u8]| parse_i64(b).ok_or_else(Reply::not_integer);
                Ok(Span::Rank(int(min)?, int(max)?))
            }
        }
    }

    /// The ranks `lo..hi` of the members in range. Rank arguments count from the top when
    /// `rev` (ZREVRANGE); the span returned is always in ascending ranks.
    pub fn resolve(&self, z: &ZSet, rev: bool) -> (usize, usize) {
        let len = z.len();
        match self {
            Span::Rank(s, e) => {
                let llen = len as i64;
                let s = if *s < 0 { llen + s } else { *s }.max(0);
                let e = if *e < 0 { llen + e } else { *e };
                if s > e || s >= llen {
                    return (0, 0);
                }
                let (s, e) = (s as usize, e.min(llen - 1) as usize);
                if rev {
                    (len - 1 - e, len - s)
                } else {
                    (s, e + 1)
                }
            }
            Span::Score(r) => {
                let lo = z.count_while(|s, _| r.below_min(s));
                let hi = z.count_while(|s, _| r.within_max(s));
                (lo, hi.max(lo))
            }
            Span::Lex(r) => {
                let lo = z.count_while(|_, m| r.below_min(m));
                let hi = z.count_while(|_, m| r.within_max(m));
                (lo, hi.max(lo))
            }
        }
    }
}
