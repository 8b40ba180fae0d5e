//! Building collection values from what an RDB file holds, in the encoding Redis 7.0 would
//! show after loading the same file (OBJECT ENCODING): compact forms are kept while they are
//! within the `EncLimits` that Redis checks at load time, otherwise converted. Duplicate members
//! or fields are corruption, as Redis's load-time integrity checks treat them.
use super::super::decode::Item;
use crate::config::EncLimits;
use crate::db::packed::encode_into;
use crate::db::{Dict, Hash, Set, Value, ZSet};
use crate::util::parse_i64;

/// Capacity to reserve for `n` elements announced by the file (it may lie: never trust a
/// count for more than this before the elements actually arrive).
pub fn cap(n: u64) -> usize {
    n.min(1 << 16) as usize
}

/// True if some slice occurs twice (sorting a vector of references: one allocation).
pub fn has_dups<'a>(items: impl Iterator<Item = &'a [u8]>) -> bool {
    // Small collections (the common listpack case) are checked pairwise without allocating.
    const SMALL: usize = 16;
    let mut small: [&[u8]; SMALL] = [&[]; SMALL];
    let mut n = 0;
    let mut items = items.peekable();
    while n < SMALL {
        let Some(x) = items.next() else {
            return (1..n).any(|i| small[..i].contains(&small[i]));
        };
        small[n] = x;
        n += 1;
    }
    if items.peek().is_none() {
        return (1..n).any(|i| small[..i].contains(&small[i]));
    }
    let mut v: Vec<&[u8]> = small.iter().copied().chain(items).collect();
    v.sort_unstable();
    v.windows(2).any(|w| w[0] == w[1])
}

/// Accumulates set members one at a time: an intset while every member is an integer and
/// the announced size allows one, then a hash table.
pub struct SetBuilder {
    ints: Option<Vec<i64>>,
    table: Dict<()>,
    announced: u64,
}

impl SetBuilder {
    /// `intset_ok`: the set may end up an intset (its size is within set-max-intset-entries).
    pub fn new(announced: u64, intset_ok: bool) -> Self {
        SetBuilder {
            ints: intset_ok.then(|| Vec::with_capacity(cap(announced))),
            table: Dict::new(),
            announced,
        }
    }

    fn switch_to_table(&mut self) -> Result<(), &'static str> {
        if let Some(ints) = self.ints.take() {
            self.table.reserve(cap(self.announced));
            for i in ints {
                self.add_text(itoa::Buffer::new().format(i).as_bytes())?;
            }
        }
        Ok(())
    }

    fn add_text(&mut self, m: &[u8]) -> Result<(), &'static str> {
        match self.table.insert(m.to_vec(), ()) {
            Some(()) => Err("Duplicate set members detected"),
            None => Ok(()),
        }
    }

    pub fn add(&mut self, m: Item<'_>) -> Result<(), &'static str> {
        let int = match m {
            Item::Int(i) => Some(i),
            Item::Str(s) => parse_i64(s),
        };
        if let (Some(ints), Some(i)) = (self.ints.as_mut(), int) {
            ints.push(i);
            return Ok(());
        }
        self.switch_to_table()?;
        m.with_bytes(|b| self.add_text(b))
    }

    pub fn finish(mut self) -> Result<Value, &'static str> {
        match self.ints.take() {
            Some(mut ints) => {
                ints.sort_unstable();
                if ints.windows(2).any(|w| w[0] == w[1]) {
                    return Err("Duplicate set members detected");
                }
                Ok(Value::Set(Set::from_sorted_ints(ints)))
            }
            None => Ok(Value::Set(Set::from_table(self.table))),
        }
    }
}

/// A set read from a packed blob of members (7.2's set listpack).
pub fn set_from_items(items: &[Item<'_>], lim: &EncLimits) -> Result<Value, &'static str> {
    let n = items.len() as u64;
    let mut b = SetBuilder::new(n, n <= lim.set_max_intset_entries);
    for it in items {
        b.add(*it)?;
    }
    b.finish()
}

/// A set read as an intset blob: stays one unless it has too many members.
pub fn set_from_ints(ints: Vec<i64>, lim: &EncLimits) -> Result<Value, &'static str> {
    if ints.len() as u64 <= lim.set_max_intset_entries {
        return Ok(Value::Set(Set::from_sorted_ints(ints)));
    }
    let mut b = SetBuilder::new(ints.len() as u64, false);
    for i in ints {
        b.add(Item::Int(i))?;
    }
    b.finish()
}

/// A hash from (field, value) pairs. `packed`: keep the compact form (the caller has applied
/// the limits Redis checks for this RDB type).
pub fn hash_from_pairs<'a>(
    pairs: impl ExactSizeIterator<Item = (Item<'a>, Item<'a>)> + Clone,
    packed: bool,
) -> Result<Value, &'static str> {
    if packed {
        let mut enc = Vec::with_capacity(pairs.len() * 24);
        for (f, v) in pairs.clone() {
            f.with_bytes(|b| encode_into(&mut enc, b));
            v.with_bytes(|b| encode_into(&mut enc, b));
        }
        // Duplicate fields: compared as text (an integer field is printed only if present).
        let dup = if pairs.clone().all(|(f, _)| matches!(f, Item::Str(_))) {
            has_dups(pairs.filter_map(|(f, _)| match f {
                Item::Str(s) => Some(s),
                Item::Int(_) => None,
            }))
        } else {
            let owned: Vec<Vec<u8>> = pairs.map(|(f, _)| f.to_vec()).collect();
            has_dups(owned.iter().map(|f| &f[..]))
        };
        if dup {
            return Err("Duplicate hash fields detected");
        }
        return Ok(Value::Hash(Hash::from_encoded_pairs(&enc)));
    }
    let mut t: Dict<Box<[u8]>> = Dict::new();
    t.reserve(cap(pairs.len() as u64));
    for (f, v) in pairs {
        if t.insert(f.to_vec(), v.to_vec().into()).is_some() {
            return Err("Duplicate hash fields detected");
        }
    }
    Ok(Value::Hash(Hash::from_table(t)))
}

/// A score stored as listpack/ziplist element (an integer, or text parsed like strtod).
pub fn score_of(it: Item<'_>) -> Result<f64, &'static str> {
    let s = match it {
        Item::Int(i) => i as f64,
        Item::Str(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or("Zset with an invalid score")?,
    };
    if s.is_nan() {
        return Err("Zset with NAN score detected");
    }
    Ok(s)
}

/// A sorted set from a packed blob of member, score pairs: stays `listpack` unless it has
/// more members than zset-max-listpack-entries (Redis checks only the count here).
pub fn zset_from_packed(items: &[Item<'_>], lim: &EncLimits) -> Result<Value, &'static str> {
    if items.len() % 2 != 0 {
        return Err("Zset listpack with an odd number of elements");
    }
    let mut entries: Vec<(Box<[u8]>, f64)> = Vec::with_capacity(items.len() / 2);
    for p in items.chunks_exact(2) {
        entries.push((p[0].to_vec().into_boxed_slice(), score_of(p[1])?));
    }
    if has_dups(entries.iter().map(|(m, _)| &m[..])) {
        return Err("Duplicate zset fields detected");
    }
    if entries.len() as u64 <= lim.zset_max_listpack_entries {
        return Ok(Value::ZSet(ZSet::packed_from_entries(entries)));
    }
    let entries = entries
        .into_iter()
        .map(|(m, s)| (m.into_vec(), s))
        .collect();
    Ok(Value::ZSet(ZSet::from_entries(entries, lim)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_encodings_follow_limits() {
        let lim = EncLimits {
            set_max_intset_entries: 3,
            ..EncLimits::default()
        };
        let ints = [Item::Int(3), Item::Str(b"1"), Item::Int(2)];
        let v = set_from_items(&ints, &lim).unwrap();
        assert_eq!(v.encoding(), "intset");
        let mixed = [Item::Int(3), Item::Str(b"x")];
        assert_eq!(
            set_from_items(&mixed, &lim).unwrap().encoding(),
            "hashtable"
        );
        let many = [Item::Int(1), Item::Int(2), Item::Int(3), Item::Int(4)];
        assert_eq!(set_from_items(&many, &lim).unwrap().encoding(), "hashtable");
        assert!(set_from_items(&[Item::Int(1), Item::Str(b"1")], &lim).is_err());
        assert!(set_from_items(&[Item::Str(b"a"), Item::Str(b"a")], &lim).is_err());
        assert_eq!(
            set_from_ints(vec![1, 2, 3, 4], &lim).unwrap().encoding(),
            "hashtable"
        );
    }

    #[test]
    fn hash_and_zset_duplicates() {
        let p = [
            (Item::Str(b"a"), Item::Int(1)),
            (Item::Str(b"a"), Item::Int(2)),
        ];
        assert!(hash_from_pairs(p.iter().copied(), true).is_err());
        assert!(hash_from_pairs(p.iter().copied(), false).is_err());
        let p = [
            (Item::Int(1), Item::Int(1)),
            (Item::Str(b"1"), Item::Int(2)),
        ];
        assert!(hash_from_pairs(p.iter().copied(), true).is_err());
        let z = [
            Item::Str(b"m"),
            Item::Int(1),
            Item::Str(b"m"),
            Item::Str(b"2.5"),
        ];
        assert!(zset_from_packed(&z, &EncLimits::default()).is_err());
        let z = [Item::Str(b"m"), Item::Str(b"nan")];
        assert!(zset_from_packed(&z, &EncLimits::default()).is_err());
    }

    #[test]
    fn duplicates_found_in_small_and_large_collections() {
        for n in [4usize, 15, 16, 17, 40] {
            let items: Vec<Vec<u8>> = (0..n).map(|i| i.to_string().into_bytes()).collect();
            assert!(!has_dups(items.iter().map(|v| &v[..])), "{n} distinct");
            for (a, b) in [(0, n - 1), (n / 2, n / 2 + 1), (n - 2, n - 1)] {
                let mut d = items.clone();
                d[b] = d[a].clone();
                assert!(has_dups(d.iter().map(|v| &v[..])), "{n}: {a} == {b}");
            }
        }
        assert!(!has_dups(std::iter::empty()));
        assert!(has_dups([&b"a"[..], &b"a"[..]].into_iter()));
    }
}
