//! Generator templates for the GEO commands: they run on the sorted-set keys, whose members
//! have any score (ZADD's pool, so odd scores decode too), or on other types (WRONGTYPE).
use super::*;

/// Coordinates, some out of range or not numbers.
const LONS: &[&str] = &[
    "0",
    "13.361389",
    "-73.98",
    "180",
    "-180",
    "179.99",
    "181",
    "abc",
    "1e3",
];
const LATS: &[&str] = &[
    "0",
    "38.115556",
    "40.75",
    "85.05112878",
    "-85.05112878",
    "86",
    "x",
];
const RADII: &[&str] = &["0", "1", "100", "5000", "20000", "-1", "inf", "abc"];
const UNITS: &[&str] = &["m", "km", "mi", "ft", "KM", "yards"];

fn center(g: &mut G, a: &mut Vec<String>) {
    if g.rng.chance(40) {
        a.extend([g.p(LONS), g.p(LATS)]);
    } else {
        a.extend([g.p(&["0", "13.36", "-73.9"]), g.p(&["0", "38.1", "40.7"])]);
    }
}

/// ASC/DESC, COUNT [ANY] and, when `with`, the WITH* words.
fn opts(g: &mut G, a: &mut Vec<String>, with: bool) {
    if g.rng.chance(50) {
        a.push(g.one_of(&["ASC", "DESC"]));
    }
    if g.rng.chance(40) {
        a.extend(["COUNT".into(), g.one_of(&["1", "2", "5", "0", "x"])]);
        if g.rng.chance(30) {
            a.push("ANY".into());
        }
    }
    if with {
        for w in ["WITHDIST", "WITHHASH", "WITHCOORD"] {
            if g.rng.chance(30) {
                a.push(w.into());
            }
        }
    }
}

fn search_body(g: &mut G, a: &mut Vec<String>) {
    if g.rng.chance(40) {
        a.extend(["FROMMEMBER".into(), g.member()]);
    } else {
        a.push("FROMLONLAT".into());
        center(g, a);
    }
    if g.rng.chance(50) {
        a.extend(["BYRADIUS".into(), g.p(RADII), g.p(UNITS)]);
    } else {
        a.extend(["BYBOX".into(), g.p(RADII), g.p(RADII), g.p(UNITS)]);
    }
}

/// GEO templates.
pub(super) fn templates() -> Vec<Template> {
    vec![
        t("geoadd", 3, |g| {
            let mut a = v!["GEOADD", g.key()];
            if g.rng.chance(25) {
                a.push(g.one_of(&["NX", "XX", "CH"]));
            }
            for _ in 0..1 + g.rng.below(2) {
                center(g, &mut a);
                a.push(g.member());
            }
            exact(a)
        }),
        t("geopos", 1, |g| {
            exact(v!["GEOPOS", g.key(), g.member(), g.member()])
        }),
        t("geohash", 1, |g| {
            exact(v!["GEOHASH", g.key(), g.member(), g.member()])
        }),
        t("geodist", 1, |g| {
            let mut a = v!["GEODIST", g.key(), g.member(), g.member()];
            if g.rng.chance(50) {
                a.push(g.p(UNITS));
            }
            exact(a)
        }),
        t("geosearch", 2, |g| {
            let mut a = v!["GEOSEARCH", g.key()];
            search_body(g, &mut a);
            opts(g, &mut a, true);
            exact(a)
        }),
        t("geosearchstore", 1, |g| {
            let mut a = v!["GEOSEARCHSTORE", g.key(), g.key()];
            search_body(g, &mut a);
            opts(g, &mut a, false);
            if g.rng.chance(50) {
                a.push("STOREDIST".into());
            }
            exact(a)
        }),
        t("georadius", 1, |g| {
            let mut a = v!["GEORADIUS", g.key()];
            center(g, &mut a);
            a.extend([g.p(RADII), g.p(UNITS)]);
            opts(g, &mut a, false);
            if g.rng.chance(60) {
                a.extend([g.one_of(&["STORE", "STOREDIST"]), g.key()]);
            }
            exact(a)
        }),
        t("georadiusbymember_ro", 1, |g| {
            let mut a = v!["GEORADIUSBYMEMBER_RO", g.key(), g.member()];
            a.extend([g.p(RADII), g.p(UNITS)]);
            opts(g, &mut a, true);
            exact(a)
        }),
    ]
}
