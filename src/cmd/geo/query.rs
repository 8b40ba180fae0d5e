//! The arguments of the GEO searches (GEORADIUS, GEORADIUSBYMEMBER and their `_RO` forms,
//! GEOSEARCH, GEOSEARCHSTORE) read into one `Query`, with Redis's errors in Redis's order:
//! the centre and shape of the old commands first, then the options left to right, then the
//! checks of the whole.
use super::point::{float, lon_lat, point_of, unit};
use crate::db::ZSet;
use crate::geohash::area::{Search, Shape};
use crate::resp::Reply;
use crate::util::{eq_ic, parse_i64};

/// Which command is parsing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// GEORADIUS[_RO] key longitude latitude radius unit ...
    Coords,
    /// GEORADIUSBYMEMBER[_RO] key member radius unit ...
    Member,
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE destination source ...
    SearchStore,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sort {
    None,
    Asc,
    Desc,
}

/// A parsed search. `search` is None only when the source key is missing (its member
/// centre cannot be known, and nothing is searched).
pub(super) struct Query {
    pub search: Option<Search>,
    pub withdist: bool,
    pub withhash: bool,
    pub withcoord: bool,
    pub any: bool,
    pub sort: Sort,
    /// 0: no limit.
    pub count: usize,
    /// The argument index of the destination key.
    pub store: Option<usize>,
    pub storedist: bool,
}

/// `radius unit`: the radius and meters per unit.
fn radius(r: &[u8], u: &[u8]) -> Result<(Shape, f64), Reply> {
    let radius = float(r, Some("need numeric radius"))?;
    if radius < 0.0 {
        return Err(Reply::err("ERR radius cannot be negative"));
    }
    Ok((Shape::Circle { radius }, unit(u)?))
}

/// `width height unit`.
fn rect(w: &[u8], h: &[u8], u: &[u8]) -> Result<(Shape, f64), Reply> {
    let width = float(w, Some("need numeric width"))?;
    let height = float(h, Some("need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(Reply::err("ERR height or width cannot be negative"));
    }
    Ok((Shape::Box { width, height }, unit(u)?))
}

fn no_member() -> Reply {
    Reply::err("ERR could not decode requested zset member")
}

/// Parse `a` for `form` (`nostore`: the `_RO` forms) against the source set `z`.
pub(super) fn parse(
    a: &[Vec<u8>],
    form: Form,
    nostore: bool,
    z: Option<&ZSet>,
) -> Result<Query, Reply> {
    let mut center: Option<[f64; 2]> = None;
    let mut shape: Option<(Shape, f64)> = None;
    let mut q = Query {
        search: None,
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        store: None,
        storedist: false,
    };
    let base = match form {
        Form::Coords => {
            center = Some(lon_lat(&a[2], &a[3])?);
            shape = Some(radius(&a[4], &a[5])?);
            6
        }
        Form::Member => {
            if let Some(z) = z {
                center = Some(point_of(z, &a[2]).ok_or_else(no_member)?);
                shape = Some(radius(&a[3], &a[4])?);
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => {
            q.store = Some(1);
            3
        }
    };
    let geosearch = matches!(form, Form::Search | Form::SearchStore);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let n = a.len();
    let mut i = base;
    while i < n {
        let arg = &a[i];
        let left = n - i - 1;
        if eq_ic(arg, "withdist") {
            q.withdist = true;
        } else if eq_ic(arg, "withhash") {
            q.withhash = true;
        } else if eq_ic(arg, "withcoord") {
            q.withcoord = true;
        } else if eq_ic(arg, "any") {
            q.any = true;
        } else if eq_ic(arg, "asc") {
            q.sort = Sort::Asc;
        } else if eq_ic(arg, "desc") {
            q.sort = Sort::Desc;
        } else if eq_ic(arg, "count") && left >= 1 {
            let c = parse_i64(&a[i + 1]).ok_or_else(Reply::not_integer)?;
            if c <= 0 {
                return Err(Reply::err("ERR COUNT must be > 0"));
            }
            q.count = c as usize;
            i += 1;
        } else if (eq_ic(arg, "store") || eq_ic(arg, "storedist"))
            && left >= 1
            && !nostore
            && !geosearch
        {
            q.store = Some(i + 1);
            q.storedist = eq_ic(arg, "storedist");
            i += 1;
        } else if eq_ic(arg, "storedist") && form == Form::SearchStore {
            q.storedist = true;
        } else if eq_ic(arg, "frommember") && left >= 1 && geosearch && !fromloc {
            if let Some(z) = z {
                center = Some(point_of(z, &a[i + 1]).ok_or_else(no_member)?);
            }
            frommember = true;
            i += 1;
        } else if eq_ic(arg, "fromlonlat") && left >= 2 && geosearch && !frommember {
            center = Some(lon_lat(&a[i + 1], &a[i + 2])?);
            fromloc = true;
            i += 2;
        } else if eq_ic(arg, "byradius") && left >= 2 && geosearch && !bybox {
            shape = Some(radius(&a[i + 1], &a[i + 2])?);
            byradius = true;
            i += 2;
        } else if eq_ic(arg, "bybox") && left >= 3 && geosearch && !byradius {
            shape = Some(rect(&a[i + 1], &a[i + 2], &a[i + 3])?);
            bybox = true;
            i += 3;
        } else {
            return Err(Reply::syntax_error());
        }
        i += 1;
    }
    if q.store.is_some() && (q.withdist || q.withhash || q.withcoord) {
        let what = if form == Form::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Reply::err(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = || String::from_utf8_lossy(&a[0]).into_owned();
    if geosearch && !(frommember || fromloc) {
        return Err(Reply::err(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            name()
        )));
    }
    if geosearch && !(byradius || bybox) {
        return Err(Reply::err(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {}",
            name()
        )));
    }
    if q.any && q.count == 0 {
        return Err(Reply::err("ERR the ANY argument requires COUNT argument"));
    }
    if let (Some(xy), Some((shape, conversion))) = (center, shape) {
        q.search = Some(Search {
            xy,
            shape,
            conversion,
        });
    }
    Ok(q)
}
