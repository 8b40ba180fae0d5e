//! The geohash arithmetic behind the GEO commands, kept apart from any server state: a point
//! is stored as a sorted-set score, the 52-bit interleaving of its longitude and latitude
//! (26 bits each) over -180..180 and the Web-Mercator latitude limits. Redis's results depend
//! on every floating-point step (cell edges, clamping, the `uint64_t` cast of a score), so
//! each operation here follows the public geohash-int algorithm Redis documents, step by step.
pub mod area;
pub mod dist;

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Bits per coordinate of a stored score (26 + 26 = 52).
pub const STEP_MAX: u8 = 26;

/// An interval of one coordinate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges of stored scores.
pub const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
pub const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};
/// The latitude range of the standard geohash (the GEOHASH strings).
pub const STANDARD_LAT: Range = Range {
    min: -90.0,
    max: 90.0,
};

/// A cell: `step` bits per coordinate, latitude bits at even positions, longitude at odd.
/// `step == 0` (with no bits) marks a cell left out of a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Bits {
    pub bits: u64,
    pub step: u8,
}

impl Bits {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's first score at full precision (its bits shifted to 52).
    pub fn align52(&self) -> u64 {
        self.bits << (52 - 2 * self.step as u32)
    }
}

/// The extent of a cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spread the 32 bits of `v` to the even bit positions of a u64.
fn spread(v: u32) -> u64 {
    let mut x = v as u64;
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gather the even bits of `v` into a u32 (the inverse of `spread`).
fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// Latitude bits at even positions, longitude bits at odd ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    spread(lat) | (spread(lon) << 1)
}

/// `(latitude bits, longitude bits)` of an interleaved value.
fn deinterleave(v: u64) -> (u32, u32) {
    (squash(v), squash(v >> 1))
}

/// The cell of `step` bits per coordinate holding the point, over the given ranges; None out
/// of the Web-Mercator limits or the ranges. A coordinate at the top of its range overflows
/// into the next bit, as in Redis.
pub fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<Bits> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    Some(Bits {
        bits: interleave(lat_off as u32, lon_off as u32),
        step,
    })
}

/// The extent of a cell over the given ranges; None for a cell left out of a search.
pub fn decode(lon_r: Range, lat_r: Range, h: Bits) -> Option<Area> {
    if h.is_zero() {
        return None;
    }
    let (ilat, ilon) = deinterleave(h.bits);
    let div = (1u64 << h.step) as f64;
    // `i + 1` is 32-bit arithmetic in Redis: the last cell of a 32-bit value wraps to 0.
    let side = |i: u32, r: Range| {
        let scale = r.max - r.min;
        Range {
            min: r.min + (i as f64 * 1.0 / div) * scale,
            max: r.min + (i.wrapping_add(1) as f64 * 1.0 / div) * scale,
        }
    };
    Some(Area {
        lon: side(ilon, lon_r),
        lat: side(ilat, lat_r),
    })
}

/// The centre of a cell, clamped to the valid coordinates: `[longitude, latitude]`.
pub fn center(a: &Area) -> [f64; 2] {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [lon, lat]
}

/// The score a point is stored with (GEOADD): its 52-bit cell. None out of range.
pub fn score_of(lon: f64, lat: f64) -> Option<u64> {
    encode(WGS84_LONG, WGS84_LAT, lon, lat, STEP_MAX).map(|b| b.align52())
}

/// A double converted to `uint64_t` as x86-64 code compiled by gcc does it (negative values
/// wrap, values past 2^64 become 0), so odd scores decode to the same points as in Redis.
fn c_u64(v: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if v < TWO63 {
        v as i64 as u64
    } else {
        let y = v - TWO63;
        let t = if y >= TWO63 { i64::MIN } else { y as i64 };
        (t as u64) ^ (1 << 63)
    }
}

/// The point a score stands for: `[longitude, latitude]` (the centre of its cell).
pub fn decode_score(score: f64) -> Option<[f64; 2]> {
    let h = Bits {
        bits: c_u64(score),
        step: STEP_MAX,
    };
    decode(WGS84_LONG, WGS84_LAT, h).map(|a| center(&a))
}

const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The standard 11-character geohash of a stored score (GEOHASH): the point re-encoded over
/// latitudes -90..90, ten base-32 digits of its 52 bits and a final `0`.
pub fn standard_hash(score: f64) -> Option<[u8; 11]> {
    let [lon, lat] = decode_score(score)?;
    let bits = encode(WGS84_LONG, STANDARD_LAT, lon, lat, STEP_MAX).map_or(0, |b| b.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().take(10).enumerate() {
        let idx = (bits >> (52 - (i as u32 + 1) * 5)) & 0x1f;
        *c = ALPHABET[idx as usize];
    }
    Some(out)
}

/// The eight cells around a cell.
#[derive(Clone, Copy, Debug, Default)]
pub struct Neighbors {
    pub north: Bits,
    pub south: Bits,
    pub east: Bits,
    pub west: Bits,
    pub north_east: Bits,
    pub north_west: Bits,
    pub south_east: Bits,
    pub south_west: Bits,
}

const ODD: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const EVEN: u64 = 0x5555_5555_5555_5555;

/// Step the coordinate held at the bits of `mask` (ODD: longitude, EVEN: latitude) by one
/// cell, wrapping around; the other coordinate's bits are kept as they are.
fn step_along(h: &mut Bits, d: i8, mask: u64) {
    if d == 0 {
        return;
    }
    let mut moved = h.bits & mask;
    let kept = h.bits & !mask;
    let shift = 64 - 2 * h.step as u32;
    let zz = (!mask) >> shift;
    if d > 0 {
        moved = moved.wrapping_add(zz.wrapping_add(1));
    } else {
        moved |= zz;
        moved = moved.wrapping_sub(zz.wrapping_add(1));
    }
    moved &= mask >> shift;
    h.bits = moved | kept;
}

fn moved(h: Bits, dx: i8, dy: i8) -> Bits {
    let mut n = h;
    step_along(&mut n, dx, ODD);
    step_along(&mut n, dy, EVEN);
    n
}

/// The eight cells around `h` (east is +longitude, north +latitude).
pub fn neighbors(h: Bits) -> Neighbors {
    Neighbors {
        east: moved(h, 1, 0),
        west: moved(h, -1, 0),
        south: moved(h, 0, -1),
        north: moved(h, 0, 1),
        north_west: moved(h, -1, 1),
        south_west: moved(h, -1, -1),
        north_east: moved(h, 1, 1),
        south_east: moved(h, 1, -1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (a, b) in [(0u32, 0u32), (1, 0), (0, 1), (u32::MAX, 7), (12345, 67890)] {
            assert_eq!(deinterleave(interleave(a, b)), (a, b));
        }
        assert_eq!(interleave(1, 0), 1);
        assert_eq!(interleave(0, 1), 2);
    }

    #[test]
    fn scores_match_redis() {
        // GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
        let p = decode_score(3479099956230698.0).unwrap();
        assert_eq!(format!("{:.17}", p[0]), "13.36138933897018433");
        assert_eq!(format!("{:.17}", p[1]), "38.11555639549629859");
        assert_eq!(&standard_hash(3479099956230698.0).unwrap(), b"sqc8b49rny0");
    }

    #[test]
    fn odd_scores_decode_as_in_redis() {
        // ZADD g -1 neg 1e20 huge: the C cast wraps / overflows.
        assert_eq!(decode_score(-1.0), Some([180.0, LAT_MAX]));
        let zero = decode_score(0.0).unwrap();
        assert_eq!(decode_score(1e20), Some(zero));
        assert_eq!(&standard_hash(-1.0).unwrap(), b"bp05b5048p0");
    }

    #[test]
    fn neighbours_step_one_cell() {
        let h = encode(WGS84_LONG, WGS84_LAT, 0.0, 0.0, 4).unwrap();
        let n = neighbors(h);
        let a = decode(WGS84_LONG, WGS84_LAT, h).unwrap();
        let e = decode(WGS84_LONG, WGS84_LAT, n.east).unwrap();
        let s = decode(WGS84_LONG, WGS84_LAT, n.south).unwrap();
        assert_eq!(e.lon.min, a.lon.max);
        assert_eq!(e.lat, a.lat);
        assert_eq!(s.lat.max, a.lat.min);
        assert_eq!(s.lon, a.lon);
    }
}
