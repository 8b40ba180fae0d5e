//! `read_value`: one value of any type and encoding Redis 6.x, 7.0 and 7.2 write, turned into
//! our representation. Module values are refused with an error naming the key.
use super::super::consts::*;
use super::super::decode::{intset, listpack, ziplist, zipmap, Error, Item};
use super::super::error::RdbError;
use super::super::source::Reader;
use super::collections::{self as coll, cap};
use crate::config::EncLimits;
use crate::db::{List, Value, ZSet};
use std::io::Read;

fn show(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// Read one value whose type byte is `t` (`key` names it in errors).
pub fn read_value<R: Read>(
    r: &mut Reader<R>,
    t: u8,
    lim: &EncLimits,
    key: &[u8],
) -> Result<Value, RdbError> {
    read_value_with(r, t, lim, key, &mut Vec::new())
}

/// `read_value` with a scratch buffer reused across calls (string values are read into it).
pub fn read_value_with<R: Read>(
    r: &mut Reader<R>,
    t: u8,
    lim: &EncLimits,
    key: &[u8],
    scratch: &mut Vec<u8>,
) -> Result<Value, RdbError> {
    // Errors found in a blob are reported at the offset just after it.
    let bad = |r: &Reader<R>, e: Error| r.corrupt(e);
    match t {
        TYPE_STRING => {
            r.string_into(scratch)?;
            Ok(Value::string_from_slice(scratch))
        }
        TYPE_LIST => {
            let n = r.length()?;
            let mut items = Vec::with_capacity(cap(n));
            for _ in 0..n {
                items.push(r.string()?);
            }
            Ok(Value::List(List::from_vec(items)))
        }
        TYPE_LIST_ZIPLIST => {
            let blob = r.string()?;
            let items = ziplist::decode(&blob).map_err(|e| bad(r, e))?;
            Ok(list_of(items.iter()))
        }
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => read_quicklist(r, t == TYPE_LIST_QUICKLIST),
        TYPE_SET => {
            let n = r.length()?;
            let mut b = coll::SetBuilder::new(n, n <= lim.set_max_intset_entries);
            for _ in 0..n {
                let m = r.string()?;
                b.add(Item::Str(&m)).map_err(|e| bad(r, e))?;
            }
            b.finish().map_err(|e| bad(r, e))
        }
        TYPE_SET_INTSET => {
            let blob = r.string()?;
            let ints = intset::decode(&blob).map_err(|e| bad(r, e))?;
            coll::set_from_ints(ints, lim).map_err(|e| bad(r, e))
        }
        TYPE_SET_LISTPACK => {
            let blob = r.string()?;
            let items = listpack::decode(&blob).map_err(|e| bad(r, e))?;
            coll::set_from_items(&items, lim).map_err(|e| bad(r, e))
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.length()?;
            let mut entries = Vec::with_capacity(cap(n));
            for _ in 0..n {
                let m = r.string()?;
                let s = if t == TYPE_ZSET {
                    r.f64_text()?
                } else {
                    r.f64_bin()?
                };
                if s.is_nan() {
                    return Err(r.corrupt("Zset with NAN score detected"));
                }
                entries.push((m, s));
            }
            if coll::has_dups(entries.iter().map(|(m, _)| &m[..])) {
                return Err(r.corrupt("Duplicate zset fields detected"));
            }
            Ok(Value::ZSet(ZSet::from_entries(entries, lim)))
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string()?;
            let items = if t == TYPE_ZSET_ZIPLIST {
                ziplist::decode(&blob)
            } else {
                listpack::decode(&blob)
            }
            .map_err(|e| bad(r, e))?;
            coll::zset_from_packed(&items, lim).map_err(|e| bad(r, e))
        }
        TYPE_HASH => read_hash(r, lim),
        TYPE_HASH_ZIPMAP => {
            let blob = r.string()?;
            let pairs = zipmap::decode(&blob).map_err(|e| bad(r, e))?;
            let maxlen = pairs
                .iter()
                .map(|(f, v)| f.len().max(v.len()))
                .max()
                .unwrap_or(0);
            let packed = pairs.len() as u64 <= lim.hash_max_listpack_entries
                && maxlen as u64 <= lim.hash_max_listpack_value;
            let it = pairs.iter().map(|(f, v)| (Item::Str(f), Item::Str(v)));
            coll::hash_from_pairs(it, packed).map_err(|e| bad(r, e))
        }
        TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = r.string()?;
            let items = if t == TYPE_HASH_ZIPLIST {
                ziplist::decode(&blob)
            } else {
                listpack::decode(&blob)
            }
            .map_err(|e| bad(r, e))?;
            if items.len() % 2 != 0 {
                return Err(r.corrupt("Hash listpack with an odd number of elements"));
            }
            let packed = (items.len() / 2) as u64 <= lim.hash_max_listpack_entries;
            let it = items.chunks_exact(2).map(|p| (p[0], p[1]));
            coll::hash_from_pairs(it, packed).map_err(|e| bad(r, e))
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => Ok(
            Value::Stream(Box::new(super::super::stream::read_stream(r, t)?)),
        ),
        TYPE_MODULE_PRE_GA | TYPE_MODULE_2 => Err(RdbError::Unsupported(format!(
            "The RDB file holds module data at key '{}': modules are not supported by this server",
            show(key)
        ))),
        _ => Err(r.corrupt(format!("Unknown RDB encoding type {t}"))),
    }
}

fn list_of<'a>(items: impl Iterator<Item = &'a Item<'a>>) -> Value {
    Value::List(List::from_vec(items.map(|i| i.to_vec()).collect()))
}

/// Quicklist v1 (ziplist nodes) or v2 (plain or listpack nodes). Empty nodes are skipped.
fn read_quicklist<R: Read>(r: &mut Reader<R>, v1: bool) -> Result<Value, RdbError> {
    let nodes = r.length()?;
    let mut items: Vec<Vec<u8>> = Vec::new();
    for _ in 0..nodes {
        let container = if v1 {
            QUICKLIST_NODE_PACKED
        } else {
            r.length()?
        };
        let blob = r.string()?;
        match container {
            QUICKLIST_NODE_PLAIN => items.push(blob),
            QUICKLIST_NODE_PACKED => {
                let decoded = if v1 {
                    ziplist::decode(&blob)
                } else {
                    listpack::decode(&blob)
                };
                let decoded = decoded.map_err(|e| r.corrupt(e))?;
                items.extend(decoded.iter().map(|i| i.to_vec()));
            }
            _ => {
                return Err(r.corrupt(format!(
                    "Quicklist integrity check failed: container {container}"
                )))
            }
        }
    }
    Ok(Value::List(List::from_vec(items)))
}

/// A plain hash: `listpack` when few pairs, all short (checked as Redis does while reading).
fn read_hash<R: Read>(r: &mut Reader<R>, lim: &EncLimits) -> Result<Value, RdbError> {
    let n = r.length()?;
    let mut pairs = Vec::with_capacity(cap(n));
    let mut maxlen = 0;
    for _ in 0..n {
        let f = r.string()?;
        let v = r.string()?;
        maxlen = maxlen.max(f.len()).max(v.len());
        pairs.push((f, v));
    }
    let packed = n <= lim.hash_max_listpack_entries && maxlen as u64 <= lim.hash_max_listpack_value;
    let it = pairs.iter().map(|(f, v)| (Item::Str(f), Item::Str(v)));
    coll::hash_from_pairs(it, packed).map_err(|e| r.corrupt(e))
}
