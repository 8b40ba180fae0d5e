//! GEO commands (Redis 7.0 `geo.c` semantics): points are members of a sorted set scored
//! with their 52-bit geohash cell (see `crate::geohash`), so storage, encodings, RDB and the
//! other sorted-set commands come from the zset family. GEOADD runs, and replicates as, a
//! ZADD; the searches read the cells around their centre.
mod point;
mod query;
mod search;

use crate::cmd::key_specs::{self, spec_keys};
use crate::resp::Reply;
use crate::server::command::{
    flags::*, movable_keys, single_key, Args, Command, Propagate, Propagation,
};
use crate::server::Ctx;
use query::Form;

const W: &[&str] = &["write", "geo", "slow"];
const R: &[&str] = &["read", "geo", "slow"];

fn georadius(ctx: &mut Ctx, a: &mut Args) -> Reply {
    search::generic(ctx, a, Form::Coords, false)
}

fn georadius_ro(ctx: &mut Ctx, a: &mut Args) -> Reply {
    search::generic(ctx, a, Form::Coords, true)
}

fn georadiusbymember(ctx: &mut Ctx, a: &mut Args) -> Reply {
    search::generic(ctx, a, Form::Member, false)
}

fn georadiusbymember_ro(ctx: &mut Ctx, a: &mut Args) -> Reply {
    search::generic(ctx, a, Form::Member, true)
}

fn geosearch(ctx: &mut Ctx, a: &mut Args) -> Reply {
    search::generic(ctx, a, Form::Search, false)
}

fn geosearchstore(ctx: &mut Ctx, a: &mut Args) -> Reply {
    search::generic(ctx, a, Form::SearchStore, false)
}

/// The keys of GEORADIUS[BYMEMBER]: the source, then the STORE and STOREDIST destinations
/// as its key specs find them.
fn radius_keys(name: &str, a: &[Vec<u8>]) -> Vec<usize> {
    key_specs::lookup(name).map_or_else(Vec::new, |s| spec_keys(s, a))
}

/// GEORADIUS and GEORADIUSBYMEMBER are flagged writes whatever their options (a read-only
/// replica refuses them, hence the `_RO` forms); they change data only with STORE.
const fn radius_cmd(
    name: &'static str,
    arity: i32,
    handler: crate::server::command::Handler,
    getkeys: crate::server::command::KeysFn,
) -> Command {
    Command {
        first_key: 1,
        last_key: 1,
        step: 1,
        ..movable_keys(name, arity, WRITE | DENYOOM, W, handler, getkeys)
    }
}

pub static COMMANDS: &[Command] = &[
    Command {
        // Replicas get the ZADD it ran, with the scores computed here.
        propagate: Some(Propagate::always(|_, args, _| {
            Propagation::instead_or_as_called(point::zadd_form(args).ok())
        })),
        ..single_key("geoadd", -5, WRITE | DENYOOM, W, point::geoadd)
    },
    single_key("geodist", -4, READONLY, R, point::geodist),
    single_key("geohash", -2, READONLY, R, point::geohash),
    single_key("geopos", -2, READONLY, R, point::geopos),
    radius_cmd("georadius", -6, georadius, |a| radius_keys("georadius", a)),
    single_key("georadius_ro", -6, READONLY, R, georadius_ro),
    radius_cmd("georadiusbymember", -5, georadiusbymember, |a| {
        radius_keys("georadiusbymember", a)
    }),
    single_key(
        "georadiusbymember_ro",
        -5,
        READONLY,
        R,
        georadiusbymember_ro,
    ),
    single_key("geosearch", -7, READONLY, R, geosearch),
    Command {
        last_key: 2,
        ..single_key("geosearchstore", -8, WRITE | DENYOOM, W, geosearchstore)
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|x| x.as_bytes().to_vec()).collect()
    }

    #[test]
    fn radius_keys_follow_the_key_specs() {
        let k = |s| radius_keys("georadius", &args(s));
        assert_eq!(k("georadius k 0 0 10 km"), [1]);
        assert_eq!(k("georadius k 0 0 10 km store a storedist b"), [1, 7, 9]);
        assert_eq!(k("georadius k 0 0 10 km storedist b store a"), [1, 9, 7]);
        assert_eq!(k("georadius k 0 0 10 km store"), [1]);
        assert_eq!(k("georadius k 0 0 10 km store store"), [1, 7]);
        let m = |s| radius_keys("georadiusbymember", &args(s));
        assert_eq!(m("georadiusbymember k m 10 km store x count 1"), [1, 6]);
    }

    #[test]
    fn geoadd_replicates_as_zadd() {
        let z = point::zadd_form(&args("GEOADD g Nx ch 13.361389 38.115556 Palermo")).ok();
        assert_eq!(z, Some(args("zadd g Nx ch 3479099956230698 Palermo")));
        assert!(point::zadd_form(&args("GEOADD g nx xx 1 2 m")).is_err());
        assert!(point::zadd_form(&args("GEOADD g 200 2 m")).is_err());
    }
}
