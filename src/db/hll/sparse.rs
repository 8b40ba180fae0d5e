//! The sparse representation: after the header, a run-length sequence of opcodes covering the
//! 16384 registers in order:
//! - ZERO  `00xxxxxx`: 1..64 registers at zero;
//! - XZERO `01xxxxxx yyyyyyyy`: 1..16384 registers at zero (14-bit length);
//! - VAL   `1vvvvvxx`: 1..4 registers at value 1..32.
//!
//! Updates follow Redis's rules step by step (split the covering opcode into at most three,
//! then merge adjacent equal VALs near the change) so the bytes come out identical.
use super::{dense, Corrupt, DENSE, DENSE_SIZE, HDR, REGISTERS};

/// Largest register value a VAL opcode holds.
pub const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;

/// One decoded opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

impl Op {
    /// Registers covered.
    pub fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }
}

/// The opcode at `p` (< `s.len()`) and its size in bytes. An XZERO cut off by the end of the
/// string reads its second byte as 0, as Redis reads the terminator after its strings.
#[inline]
pub fn op_at(s: &[u8], p: usize) -> (Op, usize) {
    let b = s[p];
    match b >> 6 {
        0 => (Op::Zero((b & 0x3f) as usize + 1), 1),
        1 => {
            let lo = s.get(p + 1).copied().unwrap_or(0) as usize;
            (Op::XZero((((b & 0x3f) as usize) << 8 | lo) + 1), 2)
        }
        _ => (Op::Val(((b >> 2) & 0x1f) + 1, (b & 3) as usize + 1), 1),
    }
}

/// The opcodes of the sparse value `hll`, in order.
pub fn ops(hll: &[u8]) -> impl Iterator<Item = Op> + '_ {
    let mut p = HDR;
    std::iter::from_fn(move || {
        if p >= hll.len() {
            return None;
        }
        let (op, n) = op_at(hll, p);
        p += n;
        Some(op)
    })
}

fn val_byte(v: u8, len: usize) -> u8 {
    0x80 | ((v - 1) << 2) | (len - 1) as u8
}

/// Append the shortest zero run of `len` registers to `seq`.
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        seq.push(0x40 | ((l >> 8) & 0x3f) as u8);
        seq.push(l as u8);
    } else {
        seq.push((len - 1) as u8);
    }
}

/// The empty value: one XZERO over all registers.
pub fn empty_ops() -> [u8; 2] {
    let mut v = Vec::with_capacity(2);
    push_zeros(&mut v, REGISTERS);
    [v[0], v[1]]
}

/// Convert the sparse value to dense in place (keeping the header but the encoding).
/// Ok(false) when it already is dense.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if hll[4] == DENSE {
        return Ok(false);
    }
    let mut d = vec![0u8; DENSE_SIZE];
    d[..HDR].copy_from_slice(&hll[..HDR]);
    d[4] = DENSE;
    let mut idx = 0usize;
    for op in ops(hll) {
        match op {
            Op::Zero(n) | Op::XZero(n) => idx += n,
            Op::Val(v, n) => {
                if idx + n > REGISTERS {
                    break;
                }
                for i in idx..idx + n {
                    dense::put(&mut d[HDR..], i, v);
                }
                idx += n;
            }
        }
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    *hll = d;
    Ok(true)
}

/// Count the registers of each value into `histo`; Err when the opcodes do not cover exactly
/// the 16384 registers.
pub fn histogram(hll: &[u8], histo: &mut [u32; 64]) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    for op in ops(hll) {
        let (v, n) = match op {
            Op::Zero(n) | Op::XZero(n) => (0, n),
            Op::Val(v, n) => (v, n),
        };
        idx += n;
        histo[v as usize] = histo[v as usize].wrapping_add(n as u32);
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// `max[i] = max(max[i], register i)`; Err when the opcodes do not cover the registers.
pub fn merge_into(max: &mut [u8], hll: &[u8]) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    for op in ops(hll) {
        match op {
            Op::Zero(n) | Op::XZero(n) => idx += n,
            Op::Val(v, n) => {
                if idx + n > REGISTERS {
                    break;
                }
                for m in &mut max[idx..idx + n] {
                    *m = (*m).max(v);
                }
                idx += n;
            }
        }
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Raise register `index` to `count` in the sparse value `hll`, converting it to dense when
/// the value does not fit a VAL opcode or the string would grow past `max_bytes`.
/// Ok(true) when a register changed.
pub fn set(hll: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Step 1: the opcode covering `index`, where its run starts, and the opcode before it.
    let end = hll.len();
    let (mut p, mut first, mut prev) = (HDR, 0usize, None);
    let mut found = None;
    while p < end {
        let (op, len) = op_at(hll, p);
        if index < first + op.span() {
            found = Some((op, len));
            break;
        }
        prev = Some(p);
        p += len;
        first += op.span();
    }
    let Some((op, oplen)) = found else {
        return Err(Corrupt);
    };
    // Step 2: nothing to do, an in-place update, or a split into up to three opcodes.
    match op {
        Op::Val(v, _) if v >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => hll[p] = val_byte(count, 1),
        _ => {
            let last = first + op.span() - 1;
            let mut seq = Vec::with_capacity(5);
            match op {
                Op::Val(v, _) => {
                    if index != first {
                        seq.push(val_byte(v, index - first));
                    }
                    seq.push(val_byte(count, 1));
                    if index != last {
                        seq.push(val_byte(v, last - index));
                    }
                }
                _ => {
                    if index != first {
                        push_zeros(&mut seq, index - first);
                    }
                    seq.push(val_byte(count, 1));
                    if index != last {
                        push_zeros(&mut seq, last - index);
                    }
                }
            }
            // Step 3: replace the opcode by the sequence.
            let new_len = (end + seq.len()).saturating_sub(oplen);
            if seq.len() > oplen && new_len > max_bytes {
                return promote(hll, index, count);
            }
            let old_end = (p + oplen).min(end);
            hll.splice(p..old_end, seq);
            hll.truncate(new_len);
        }
    }
    // Step 4: merge adjacent VALs of equal value, scanning up to five opcodes from `prev`.
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < hll.len() && scan > 0 {
        scan -= 1;
        match op_at(hll, p) {
            (Op::XZero(_), _) => p += 2,
            (Op::Zero(_), _) => p += 1,
            (Op::Val(v1, l1), _) => {
                if p + 1 < hll.len() {
                    if let (Op::Val(v2, l2), _) = op_at(hll, p + 1) {
                        if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                            hll[p + 1] = val_byte(v1, l1 + l2);
                            hll.remove(p);
                            continue;
                        }
                    }
                }
                p += 1;
            }
        }
    }
    super::invalidate_cache(hll);
    Ok(true)
}

/// Convert to dense, then set the register there (a change by construction).
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(hll)?;
    Ok(dense::set(hll, index, count))
}

/// PFDEBUG DECODE's text: `z:N` / `Z:N` / `v:VALUE,N`, space separated.
pub fn decode(hll: &[u8]) -> String {
    let parts: Vec<String> = ops(hll)
        .map(|op| match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        })
        .collect();
    parts.join(" ")
}
