//! Distances on the sphere the GEO commands measure with: the haversine formula with Redis's
//! Earth radius, and the tests a point passes to be inside a search radius or box. The order
//! of the floating-point operations is Redis's, so distances agree to the last digit.

/// Earth radius in meters, as Redis documents it.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
const D_R: f64 = std::f64::consts::PI / 180.0;

pub fn deg_rad(a: f64) -> f64 {
    a * D_R
}

pub fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// Distance along a meridian between two latitudes.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Great-circle distance in meters (haversine); points on one meridian take the short path.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// The distance from the centre `c` to `p` when it is at most `radius` meters.
pub fn within_radius(c: [f64; 2], p: [f64; 2], radius: f64) -> Option<f64> {
    let d = distance(c[0], c[1], p[0], p[1]);
    (d <= radius).then_some(d)
}

/// The distance from the centre `c` to `p` when `p` is inside the box of `width` by `height`
/// meters centred on `c` (measured along `p`'s parallel and along a meridian).
pub fn within_box(width: f64, height: f64, c: [f64; 2], p: [f64; 2]) -> Option<f64> {
    if lat_distance(p[1], c[1]) > height / 2.0 {
        return None;
    }
    if distance(p[0], p[1], c[0], p[1]) > width / 2.0 {
        return None;
    }
    Some(distance(c[0], c[1], p[0], p[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palermo_catania() {
        // GEODIST of the two stored points, as Redis prints it.
        let p = crate::geohash::decode_score(3479099956230698.0).unwrap();
        let q = crate::geohash::decode_score(3479447370796909.0).unwrap();
        let d = distance(p[0], p[1], q[0], q[1]);
        assert_eq!(format!("{d:.4}"), "166274.1516");
    }
}
