//! PFSELFTEST: checks run inside the server on demand (register packing, sparse and dense
//! agreement, estimate error), so an operator can verify the build on the machine it runs on.
use super::{add, count, dense, new_sparse, to_dense, DENSE_SIZE, HDR, REGISTERS};

/// A small xorshift generator: the test is deterministic and needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Run the self-test; Err names the first failure.
pub fn run() -> Result<(), String> {
    registers_roundtrip()?;
    sparse_matches_dense()?;
    estimate_error()
}

/// Every register of a dense value keeps the value written, with random neighbours.
fn registers_roundtrip() -> Result<(), String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut regs = vec![0u8; DENSE_SIZE - HDR];
    for _ in 0..100 {
        let want: Vec<u8> = (0..REGISTERS).map(|_| (rng.next() & 63) as u8).collect();
        for (i, &v) in want.iter().enumerate() {
            dense::put(&mut regs, i, v);
        }
        for (i, &v) in want.iter().enumerate() {
            if dense::get(&regs, i) != v {
                return Err(format!("TESTFAILED Register error at {i}"));
            }
        }
    }
    Ok(())
}

/// The same elements added to a sparse and a dense value give the same estimates.
fn sparse_matches_dense() -> Result<(), String> {
    let mut sparse = new_sparse();
    let mut dense = new_sparse();
    to_dense(&mut dense).map_err(|_| "TESTFAILED dense conversion".to_string())?;
    for j in 0..5000u32 {
        let e = j.to_le_bytes();
        let a = add(&mut sparse, &e, usize::MAX).map_err(|_| "TESTFAILED sparse add")?;
        let b = add(&mut dense, &e, usize::MAX).map_err(|_| "TESTFAILED dense add")?;
        let (ca, cb) = (count(&sparse), count(&dense));
        if a != b || ca != cb {
            return Err(format!("TESTFAILED sparse/dense mismatch after {j}"));
        }
    }
    Ok(())
}

/// The estimate stays within 5 standard errors (1.04/sqrt(m)) of the true count.
fn estimate_error() -> Result<(), String> {
    let mut hll = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut checkpoint = 1u64;
    for j in 1..=200_000u64 {
        let e = rng.next().to_le_bytes();
        add(&mut hll, &e, 3000).map_err(|_| "TESTFAILED add")?;
        if j == checkpoint {
            let c = count(&hll).map_err(|_| "TESTFAILED count")? as f64;
            let abserr = (j as f64 * relerr * 5.0).max(1.0);
            if (c - j as f64).abs() > abserr {
                return Err(format!(
                    "TESTFAILED Too big error. card:{j} abserr:{abserr}"
                ));
            }
            checkpoint *= 10;
        }
    }
    Ok(())
}
