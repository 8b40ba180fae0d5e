//! The cells a search reads: Redis picks a cell size from the search radius (or the box's
//! half-diagonal) and the latitude, takes the centre's cell and its eight neighbours, makes
//! the cells one step larger when a neighbour does not reach the bounding box, and drops the
//! neighbours the bounding box does not reach. Results and their order follow from these cells.
use super::dist::{deg_rad, rad_deg, EARTH_RADIUS_M};
use super::{decode, encode, neighbors, Bits, WGS84_LAT, WGS84_LONG};

/// Circumference half used to estimate the cell size.
const MERCATOR_MAX: f64 = 20037726.37;

/// The shape of a search, in the user's unit (`conversion` meters per unit).
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

/// A search: its centre `[longitude, latitude]`, shape and unit.
#[derive(Clone, Copy, Debug)]
pub struct Search {
    pub xy: [f64; 2],
    pub shape: Shape,
    pub conversion: f64,
}

impl Search {
    /// The distance (meters) of `p` from the centre when `p` is inside the shape.
    pub fn contains(&self, p: [f64; 2]) -> Option<f64> {
        match self.shape {
            Shape::Circle { radius } => {
                super::dist::within_radius(self.xy, p, radius * self.conversion)
            }
            Shape::Box { width, height } => super::dist::within_box(
                width * self.conversion,
                height * self.conversion,
                self.xy,
                p,
            ),
        }
    }

    /// `[min lon, min lat, max lon, max lat]` around the shape.
    fn bounding_box(&self) -> [f64; 4] {
        let [lon, lat] = self.xy;
        let (h, w) = match self.shape {
            Shape::Circle { radius } => (radius, radius),
            Shape::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * h;
        let width = self.conversion * w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(lat + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(lat - lat_delta).cos());
        // The parallel farther from the equator is the shorter one.
        let long_delta = if lat < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            lon - long_delta,
            lat - lat_delta,
            lon + long_delta,
            lat + lat_delta,
        ]
    }

    /// The radius the cell size is estimated from, in meters.
    fn radius_meters(&self) -> f64 {
        let r = match self.shape {
            Shape::Circle { radius } => radius,
            Shape::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }
}

/// Bits per coordinate of cells big enough for a search of `range` meters at `lat`.
pub fn estimate_steps(range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return 26;
    }
    let mut range = range;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The nine cells to read, in Redis's order: the centre's cell, then north, south, east,
/// west, north-east, north-west, south-east, south-west. Cells not needed are zero.
pub fn cells(s: &Search) -> [Bits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = s.bounding_box();
    let [lon, lat] = s.xy;
    let mut steps = estimate_steps(s.radius_meters(), lat);
    let at = |steps| encode(WGS84_LONG, WGS84_LAT, lon, lat, steps).unwrap_or_default();
    let area_of = |h| decode(WGS84_LONG, WGS84_LAT, h);
    let mut hash = at(steps);
    let mut n = neighbors(hash);
    let reaches = |h: Bits, f: &dyn Fn(&super::Area) -> bool| area_of(h).is_some_and(|a| f(&a));
    let decrease = reaches(n.north, &|a| a.lat.max < max_lat)
        || reaches(n.south, &|a| a.lat.min > min_lat)
        || reaches(n.east, &|a| a.lon.max < max_lon)
        || reaches(n.west, &|a| a.lon.min > min_lon);
    if steps > 1 && decrease {
        steps -= 1;
        hash = at(steps);
        n = neighbors(hash);
    }
    if steps >= 2 {
        if let Some(area) = area_of(hash) {
            let z = Bits::default();
            if area.lat.min < min_lat {
                (n.south, n.south_west, n.south_east) = (z, z, z);
            }
            if area.lat.max > max_lat {
                (n.north, n.north_east, n.north_west) = (z, z, z);
            }
            if area.lon.min < min_lon {
                (n.west, n.south_west, n.north_west) = (z, z, z);
            }
            if area.lon.max > max_lon {
                (n.east, n.south_east, n.north_east) = (z, z, z);
            }
        }
    }
    [
        hash,
        n.north,
        n.south,
        n.east,
        n.west,
        n.north_east,
        n.north_west,
        n.south_east,
        n.south_west,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_by_radius() {
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(1.0, 0.0), 24);
        assert_eq!(estimate_steps(1.0, 70.0), 23);
        assert_eq!(estimate_steps(1.0, -85.0), 22);
        assert_eq!(estimate_steps(1e9, 0.0), 1);
        assert_eq!(estimate_steps(f64::INFINITY, 0.0), 1);
    }
}
