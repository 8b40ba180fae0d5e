//! client-output-buffer-limit: a client whose pending output passes the hard limit, or stays
//! above the soft limit for longer than the soft seconds, is closed as soon as possible (so a
//! subscriber that never reads cannot make the server grow without bound). Checked right after
//! output is appended; the common case costs one comparison.
use super::client::{Client, ClientKind};
use super::Stats;
use crate::config::Config;

/// The limit class of a client (index into `client_output_buffer_limit`), None for masters.
fn class(kind: ClientKind) -> Option<usize> {
    match kind {
        ClientKind::Normal => Some(0),
        ClientKind::Replica => Some(1),
        ClientKind::PubSub => Some(2),
        ClientKind::Master => None,
    }
}

/// Check `c` after output was appended; mark it for closing (and count and log it) when it
/// went over its class's limits.
#[inline]
pub fn enforce(cfg: &Config, stats: &mut Stats, c: &mut Client, now_ms: i64) {
    enforce_with(cfg, stats, c, now_ms, 0)
}

/// `enforce` counting `held` more bytes kept for the client outside its output buffer (the
/// stream a replica receives after its RDB payload).
#[inline]
pub fn enforce_with(cfg: &Config, stats: &mut Stats, c: &mut Client, now_ms: i64, held: u64) {
    let used = (c.out.len() - c.opos) as u64 + held;
    // Smallest non-zero limit of the class: below it nothing can be reached.
    let floor = match class(c.kind) {
        Some(i) => c.obuf_floor(cfg, i),
        None => 0,
    };
    if floor == 0 || used < floor {
        if c.obuf_soft_since != 0 {
            c.obuf_soft_since = 0;
        }
        return;
    }
    over_floor(cfg, stats, c, now_ms, used);
}

impl Client {
    #[inline]
    fn obuf_floor(&self, cfg: &Config, class: usize) -> u64 {
        let l = &cfg.client_output_buffer_limit[class];
        match (l.hard, l.soft) {
            (0, s) => s,
            (h, 0) => h,
            (h, s) => h.min(s),
        }
    }
}

#[cold]
fn over_floor(cfg: &Config, stats: &mut Stats, c: &mut Client, now_ms: i64, used: u64) {
    if c.close_asap {
        return;
    }
    let Some(i) = class(c.kind) else {
        return;
    };
    let l = cfg.client_output_buffer_limit[i];
    let hard = l.hard != 0 && used >= l.hard;
    let mut soft = false;
    if l.soft != 0 && used >= l.soft {
        if c.obuf_soft_since == 0 {
            c.obuf_soft_since = now_ms;
        } else if (now_ms - c.obuf_soft_since) / 1000 > l.soft_seconds as i64 {
            soft = true;
        }
    } else {
        c.obuf_soft_since = 0;
    }
    if !(hard || soft) {
        return;
    }
    c.close_asap = true;
    stats.client_outbuf_limit_disconnections += 1;
    log::warn!(
        "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        super::client::client_line(c, now_ms, 0, false)
    );
}
