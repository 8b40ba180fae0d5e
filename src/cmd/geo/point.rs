//! The GEO commands on single points: GEOADD (a ZADD of the points' cell scores), GEOPOS,
//! GEOHASH and GEODIST, and the argument and reply helpers the searches share with them.
use crate::cmd::typed;
use crate::db::zset::score::parse_score;
use crate::db::ZSet;
use crate::geohash::{self, dist};
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

/// A float argument (`getDoubleFromObjectOrReply`), with Redis's message when given.
pub(super) fn float(b: &[u8], msg: Option<&str>) -> Result<f64, Reply> {
    parse_score(b).ok_or_else(|| match msg {
        Some(m) => Reply::err(format!("ERR {m}")),
        None => Reply::not_float(),
    })
}

/// Meters per unit of a unit argument.
pub(super) fn unit(b: &[u8]) -> Result<f64, Reply> {
    match () {
        _ if eq_ic(b, "m") => Ok(1.0),
        _ if eq_ic(b, "km") => Ok(1000.0),
        _ if eq_ic(b, "ft") => Ok(0.3048),
        _ if eq_ic(b, "mi") => Ok(1609.34),
        _ => Err(Reply::err(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// A `longitude latitude` pair of arguments, checked against the limits of stored points.
pub(super) fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<[f64; 2], Reply> {
    let xy = [float(lon, None)?, float(lat, None)?];
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&xy[0])
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&xy[1])
    {
        return Err(Reply::err(format!(
            "ERR invalid longitude,latitude pair {:.6},{:.6}",
            xy[0], xy[1]
        )));
    }
    Ok(xy)
}

/// A coordinate as Redis prints it (`%.17Lf`, trailing zeros trimmed, `-0` as `0`).
fn human(v: f64) -> Reply {
    let s = format!("{v:.17}");
    let t = s.trim_end_matches('0').trim_end_matches('.');
    Reply::DoubleText(if t == "-0" { "0".into() } else { t.into() })
}

/// `[longitude, latitude]` as a reply.
pub(super) fn coords(xy: [f64; 2]) -> Reply {
    Reply::Array(vec![human(xy[0]), human(xy[1])])
}

/// A distance as Redis prints it: a bulk string with four decimals, in RESP3 too.
pub(super) fn distance(d: f64) -> Reply {
    Reply::Bulk(format!("{d:.4}").into_bytes())
}

/// The ZADD that GEOADD runs and replicas receive: `zadd key [options] score member ...`,
/// or the error GEOADD replies.
pub(super) fn zadd_form(a: &[Vec<u8>]) -> Result<Args, Reply> {
    let mut idx = 2;
    let (mut nx, mut xx) = (false, false);
    while idx < a.len() {
        match &a[idx] {
            o if eq_ic(o, "nx") => nx = true,
            o if eq_ic(o, "xx") => xx = true,
            o if eq_ic(o, "ch") => {}
            _ => break,
        }
        idx += 1;
    }
    if (a.len() - idx) % 3 != 0 || (nx && xx) {
        return Err(Reply::syntax_error());
    }
    let mut out: Args = Vec::with_capacity(idx + (a.len() - idx) / 3 * 2);
    out.push(b"zadd".to_vec());
    out.extend(a[1..idx].iter().cloned());
    for t in a[idx..].chunks(3) {
        let [lon, lat] = lon_lat(&t[0], &t[1])?;
        let score = geohash::score_of(lon, lat).unwrap_or(0);
        out.push(score.to_string().into_bytes());
        out.push(t[2].clone());
    }
    Ok(out)
}

pub fn geoadd(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let mut z = tri!(zadd_form(a));
    crate::cmd::zset::zadd(ctx, &mut z)
}

/// The stored point of `member`.
pub(super) fn point_of(z: &ZSet, member: &[u8]) -> Option<[f64; 2]> {
    geohash::decode_score(z.score(member)?)
}

pub fn geopos(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let z = tri!(typed::read::<ZSet>(ctx, &a[1]));
    let out = a[2..]
        .iter()
        .map(|m| match z.as_deref().and_then(|z| point_of(z, m)) {
            Some(xy) => coords(xy),
            None => Reply::NilArray,
        })
        .collect();
    Reply::Array(out)
}

pub fn geohash(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let z = tri!(typed::read::<ZSet>(ctx, &a[1]));
    let out = a[2..]
        .iter()
        .map(|m| {
            let s = z.as_deref().and_then(|z| z.score(m));
            match s.and_then(geohash::standard_hash) {
                Some(h) => Reply::Bulk(h.to_vec()),
                None => Reply::Nil,
            }
        })
        .collect();
    Reply::Array(out)
}

pub fn geodist(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let to_meter = match a.len() {
        4 => 1.0,
        5 => tri!(unit(&a[4])),
        _ => return Reply::syntax_error(),
    };
    let Some(z) = tri!(typed::read::<ZSet>(ctx, &a[1])) else {
        return Reply::Nil;
    };
    let (Some(s1), Some(s2)) = (z.score(&a[2]), z.score(&a[3])) else {
        return Reply::Nil;
    };
    match (geohash::decode_score(s1), geohash::decode_score(s2)) {
        (Some(p), Some(q)) => distance(dist::distance(p[0], p[1], q[0], q[1]) / to_meter),
        _ => Reply::Nil,
    }
}
