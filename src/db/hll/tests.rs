use super::*;

/// A small xorshift generator for bounded random tests.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn empty_value_is_redis_bytes() {
    let v = new_sparse();
    assert_eq!(v.len(), 18);
    assert_eq!(&v[..5], b"HYLL\x01");
    assert_eq!(&v[16..], &[0x7f, 0xff]);
    assert_eq!(cached(&v), Some(0));
    assert_eq!(count(&v), Ok(0));
    assert_eq!(DENSE_SIZE, 12304);
}

#[test]
fn placement_matches_redis() {
    // Redis 7.0.15: `PFADD h a` then `PFDEBUG DECODE h` gives "Z:... v:..." at these spots.
    assert_eq!(pat_len(b"a"), (12711, 2));
    assert_eq!(pat_len(b"hello-world-12345"), (14578, 1));
}

#[test]
fn sparse_and_dense_agree_and_promote() {
    let mut s = new_sparse();
    let mut d = new_sparse();
    assert_eq!(to_dense(&mut d), Ok(true));
    assert_eq!(d.len(), DENSE_SIZE);
    for j in 0..3000u32 {
        let e = format!("ele:{j}");
        let a = add(&mut s, e.as_bytes(), 3000).unwrap();
        let b = add(&mut d, e.as_bytes(), 3000).unwrap();
        assert_eq!(a, b, "{j}");
        assert!(is_hll(&s));
        if is_sparse(&s) {
            assert!(s.len() <= 3000);
            let mut regs = vec![0u8; REGISTERS];
            merge_into(&mut regs, &s).unwrap();
            assert_eq!(regs, registers(&d), "{j}");
        }
        assert_eq!(count(&s), count(&d));
    }
    assert!(!is_sparse(&s), "3000 elements do not fit 3000 bytes");
    assert_eq!(registers(&s), registers(&d));
    assert_eq!(&s[..8], &d[..8]);
    let c = count(&d).unwrap() as f64;
    assert!((c - 3000.0).abs() < 3000.0 * 0.05, "{c}");
}

#[test]
fn large_run_length_promotes() {
    let mut s = new_sparse();
    assert_eq!(set(&mut s, 100, 33, 3000), Ok(true));
    assert!(!is_sparse(&s));
    assert_eq!(registers(&s)[100], 33);
    assert_eq!(set(&mut s, 100, 20, 3000), Ok(false));
}

#[test]
fn sparse_split_and_merge() {
    let mut s = new_sparse();
    set(&mut s, 0, 3, 3000).unwrap();
    set(&mut s, 1, 3, 3000).unwrap();
    set(&mut s, 200, 2, 3000).unwrap();
    assert_eq!(sparse::decode(&s), "v:3,2 Z:198 v:2,1 Z:16183");
    set(&mut s, 2, 3, 3000).unwrap();
    assert_eq!(sparse::decode(&s), "v:3,3 Z:197 v:2,1 Z:16183");
    set(&mut s, 16383, 1, 3000).unwrap();
    assert_eq!(sparse::decode(&s), "v:3,3 Z:197 v:2,1 Z:16182 v:1,1");
}

#[test]
fn cache_bit() {
    let mut s = new_sparse();
    set_cache(&mut s, 1234);
    assert_eq!(cached(&s), Some(1234));
    invalidate_cache(&mut s);
    assert_eq!(cached(&s), None);
}

/// Random bytes after a valid header never panic any operation (bounded fuzz).
#[test]
fn fuzz_decoder_never_panics() {
    let mut seed = 0x1234_5678_9abc_def1u64;
    for round in 0..3000 {
        let sparse_enc = round % 4 != 0;
        let len = if sparse_enc {
            HDR + (rng(&mut seed) % 64) as usize
        } else {
            DENSE_SIZE
        };
        let mut v: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
        v[..4].copy_from_slice(b"HYLL");
        v[4] = if sparse_enc { SPARSE } else { DENSE };
        if round % 3 == 0 && sparse_enc {
            // Mostly-valid prefixes exercise deeper paths.
            v.truncate(HDR);
            v.extend_from_slice(&sparse::empty_ops());
            let k = (rng(&mut seed) % 8) as usize;
            for _ in 0..k {
                v.push(rng(&mut seed) as u8);
            }
        }
        assert!(is_hll(&v));
        let _ = count(&v);
        let _ = cached(&v);
        let mut max = vec![0u8; REGISTERS];
        let _ = merge_into(&mut max, &v);
        let _ = sparse::decode(&v);
        let mut w = v.clone();
        for _ in 0..4 {
            let e = rng(&mut seed).to_le_bytes();
            if add(&mut w, &e, 40).is_err() {
                break;
            }
            assert!(w.len() >= HDR);
        }
        let mut d = v.clone();
        let _ = to_dense(&mut d);
        for i in [0usize, 1, 16383] {
            let mut x = v.clone();
            let _ = set(&mut x, i, 5, 3000);
        }
    }
}

#[test]
fn whole_value_loops_match_single_register_access() {
    let mut seed = 77u64;
    let mut d = new_sparse();
    to_dense(&mut d).unwrap();
    for i in 0..REGISTERS {
        dense::put(&mut d[HDR..], i, (rng(&mut seed) & 63) as u8);
    }
    let one: Vec<u8> = (0..REGISTERS).map(|i| dense::get(&d[HDR..], i)).collect();
    assert_eq!(registers(&d), one);
    let mut max = vec![0u8; REGISTERS];
    merge_into(&mut max, &d).unwrap();
    assert_eq!(max, one);
    assert_eq!(count(&d), Ok(count_registers(&one)));
}
