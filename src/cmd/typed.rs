//! Typed key lookups shared by the collection command families: find a key expecting a given
//! type (WRONGTYPE otherwise), create it on first write, and delete it once it is empty, so no
//! family repeats these rules.
use super::keys::lookup_read;
use crate::db::{Entry, Hash, List, Set, Value, ZSet};
use crate::resp::Reply;
use crate::server::Ctx;

/// A collection type stored in `Value`.
pub trait Typed: Default + Sized {
    fn get(v: &mut Value) -> Option<&mut Self>;
    fn wrap(self) -> Value;
}

macro_rules! typed {
    ($ty:ty, $var:ident) => {
        impl Typed for $ty {
            fn get(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$var(x) => Some(x),
                    _ => None,
                }
            }
            fn wrap(self) -> Value {
                Value::$var(self)
            }
        }
    };
}
typed!(List, List);
typed!(Hash, Hash);
typed!(Set, Set);
typed!(ZSet, ZSet);

fn check<T: Typed>(e: Option<&mut Entry>) -> Result<Option<&mut T>, Reply> {
    match e {
        None => Ok(None),
        Some(e) => T::get(&mut e.value).map(Some).ok_or_else(Reply::wrong_type),
    }
}

/// Lookup for a read command (counts a keyspace hit or miss): None when the key is missing,
/// WRONGTYPE when it holds another type.
pub fn read<'a, T: Typed>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut T>, Reply> {
    let (db, now) = (ctx.client.db, ctx.now);
    check(lookup_read(ctx.srv, db, key, now))
}

/// Lookup for a write command (no hit/miss stats, as Redis's lookupKeyWrite).
pub fn write<'a, T: Typed>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut T>, Reply> {
    let now = ctx.now;
    check(ctx.db().get(key, now))
}

/// Lookup for a write that creates the key when missing (LPUSH, SADD, ...).
pub fn write_or_create<'a, T: Typed>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a mut T, Reply> {
    let now = ctx.now;
    let db = ctx.db();
    match db.get(key, now) {
        Some(e) => {
            if T::get(&mut e.value).is_none() {
                return Err(Reply::wrong_type());
            }
        }
        None => db.set(key.to_vec(), T::default().wrap(), false, now),
    }
    match db.get(key, now) {
        Some(e) => T::get(&mut e.value).ok_or_else(Reply::wrong_type),
        None => Err(Reply::err("ERR key vanished")),
    }
}

/// Delete `key` if it holds an empty collection (a collection never stays empty).
/// Returns true when it was deleted.
pub fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) -> bool {
    let db = ctx.db();
    let empty = db
        .dict
        .get(key)
        .is_some_and(|e| e.value.is_empty_collection());
    if empty {
        db.remove(key);
    }
    empty
}

/// Store a collection under `key`, replacing whatever was there (the STORE forms); an empty
/// collection deletes the key instead. Returns the stored length.
pub fn store(ctx: &mut Ctx, key: &[u8], v: Value, len: usize) -> usize {
    let now = ctx.now;
    let db = ctx.db();
    db.expire_if_needed(key, now);
    if len == 0 {
        db.remove(key);
    } else {
        db.set(key.to_vec(), v, false, now);
    }
    len
}
