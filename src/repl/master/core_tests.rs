//! The master core driven on simulated time: a fake driver executes its actions (a fork
//! always succeeds unless told otherwise, a child runs until the test says it ended).
use super::backlog::Backlog;
use super::core::{
    CloseReason, FeedTarget, Knobs, MasterAction, PsyncOutcome, ReplicaId, Stream, SyncRequest,
};
use super::transfer::Target;
use super::{Master, ReplState, ReplicaRecord};

const REPLID: &str = "1111111111111111111111111111111111111111";

fn knobs() -> Knobs {
    Knobs {
        diskless_sync: true,
        diskless_sync_delay: 5,
        diskless_sync_max_replicas: 0,
        timeout: 60,
        ping_period: 10,
        backlog_ttl: 3600,
    }
}

fn id(token: usize) -> ReplicaId {
    ReplicaId {
        token,
        client_id: token as u64 + 100,
    }
}

/// A replica that sent PSYNC at `now` and waits for a snapshot.
fn waiting(token: usize, capa_eof: bool, now: i64) -> ReplicaRecord {
    ReplicaRecord {
        token,
        client_id: token as u64 + 100,
        state: ReplState::WaitBgsaveStart,
        pending: Vec::new(),
        bulk: None,
        capa_eof,
        stream_on_ack: false,
        ip: "127.0.0.1".into(),
        listening_port: 7000 + token as u16,
        ack_offset: 0,
        ack_ms: now,
        old_sync: false,
    }
}

fn master() -> Master {
    let mut m = Master::new();
    m.backlog = Some(Backlog::new(0, 0));
    m
}

/// The simulated driver: a fork child, and what it executed.
#[derive(Default)]
struct Driver {
    child: Option<Target>,
    sent: Vec<(ReplicaId, Vec<u8>)>,
    closed: Vec<(ReplicaId, CloseReason)>,
    forks: Vec<Target>,
    pings: usize,
    freed: usize,
}

impl Driver {
    fn run(&mut self, m: &mut Master, offset: i64) {
        while let Some(a) = m.poll_action() {
            match a {
                MasterAction::Send { replica, bytes } => self.sent.push((replica, bytes)),
                MasterAction::StartSnapshot(t) => {
                    assert!(self.child.is_none(), "a second fork while one runs");
                    self.child = Some(t);
                    self.forks.push(t);
                    m.snapshot_started(t, REPLID, offset, "m");
                }
                MasterAction::Close { replica, reason } => self.closed.push((replica, reason)),
                MasterAction::Ping => self.pings += 1,
                MasterAction::BacklogFreed => self.freed += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// `master_sync::cron` without the payload transfer.
    fn cron(&mut self, m: &mut Master, now: i64, offset: i64) {
        if self.child.is_none() && m.repl_bgsave.is_none() {
            m.start_snapshot_if_due(now, &knobs_for(self));
            self.run(m, offset);
        }
        m.tick(now, &knobs_for(self), false);
        self.run(m, offset);
    }

    fn sent_to(&self, r: ReplicaId) -> Vec<u8> {
        self.sent
            .iter()
            .filter(|(to, _)| *to == r)
            .flat_map(|(_, b)| b.clone())
            .collect()
    }
}

fn knobs_for(_: &Driver) -> Knobs {
    knobs()
}

#[test]
fn diskless_waits_for_the_delay_then_starts() {
    let mut m = master();
    let mut d = Driver::default();
    m.replicas.push(waiting(1, true, 10_000));
    // repl-diskless-sync-delay 5: nothing before 5 whole seconds have passed.
    for now in [10_100, 11_000, 14_999] {
        d.cron(&mut m, now, 0);
        assert!(d.forks.is_empty(), "forked at {now}");
    }
    // Keep-alives meanwhile, one a second.
    assert_eq!(d.sent_to(id(1)), b"\n\n\n");
    d.cron(&mut m, 15_000, 42);
    assert_eq!(d.forks, vec![Target::Socket]);
    assert_eq!(m.replicas[0].state, ReplState::WaitBgsaveEnd);
    assert_eq!(m.fork_offset, 42);
    let mut want = b"\n\n\n".to_vec();
    want.extend_from_slice(format!("+FULLRESYNC {REPLID} 42\r\n").as_bytes());
    assert_eq!(d.sent_to(id(1)), want);
    // A diskless transfer is framed by its own header: no more newlines.
    d.cron(&mut m, 16_000, 42);
    assert_eq!(d.sent_to(id(1)), want);
}

#[test]
fn diskless_starts_at_once_when_max_replicas_wait() {
    let mut m = master();
    let mut d = Driver::default();
    let k = Knobs {
        diskless_sync_max_replicas: 2,
        ..knobs()
    };
    m.replicas.push(waiting(1, true, 10_000));
    m.start_snapshot_if_due(10_000, &k);
    d.run(&mut m, 0);
    assert!(d.forks.is_empty());
    m.replicas.push(waiting(2, true, 10_200));
    m.start_snapshot_if_due(10_200, &k);
    d.run(&mut m, 0);
    assert_eq!(d.forks, vec![Target::Socket]);
    assert!(m
        .replicas
        .iter()
        .all(|r| r.state == ReplState::WaitBgsaveEnd && r.bulk.is_some()));
}

#[test]
fn disk_when_a_replica_cannot_take_eof_payloads_no_delay() {
    let mut m = master();
    let mut d = Driver::default();
    m.replicas.push(waiting(1, true, 10_000));
    m.replicas.push(waiting(2, false, 10_000));
    d.cron(&mut m, 10_000, 7);
    assert_eq!(d.forks, vec![Target::Disk]);
    // Disk: the replicas wait for the file with newlines every second.
    d.cron(&mut m, 11_000, 7);
    let mut want = format!("+FULLRESYNC {REPLID} 7\r\n").into_bytes();
    want.extend_from_slice(b"\n\n");
    assert_eq!(d.sent_to(id(2)), want);
}

#[test]
fn failed_fork_keeps_replicas_waiting() {
    let mut m = master();
    m.replicas.push(waiting(1, false, 0));
    m.start_snapshot_if_due(0, &knobs());
    assert_eq!(
        m.poll_action(),
        Some(MasterAction::StartSnapshot(Target::Disk))
    );
    m.snapshot_failed();
    assert_eq!(m.poll_action(), None);
    assert_eq!(m.replicas[0].state, ReplState::WaitBgsaveStart);
    m.start_snapshot_if_due(1000, &knobs());
    assert_eq!(
        m.poll_action(),
        Some(MasterAction::StartSnapshot(Target::Disk))
    );
}

#[test]
fn repl_timeout_closes_a_silent_online_replica() {
    let mut m = master();
    let mut d = Driver::default();
    let mut r = waiting(1, true, 0);
    r.state = ReplState::Online;
    r.ack_ms = 5_000;
    m.replicas.push(r);
    let mut r = waiting(2, true, 0);
    r.state = ReplState::Online;
    m.replicas.push(r);
    // ReplicaRecord 2 acknowledges every second, replica 1 falls silent after second 5: with
    // repl-timeout 60 it is dropped in second 66.
    for s in 6..=65 {
        m.replica_mut(2).unwrap().ack_ms = s * 1000 - 10;
        d.cron(&mut m, s * 1000, 0);
        assert!(d.closed.is_empty(), "closed at {s}");
    }
    d.cron(&mut m, 65_999, 0);
    assert!(d.closed.is_empty());
    m.replica_mut(2).unwrap().ack_ms = 65_990;
    d.cron(&mut m, 66_000, 0);
    let name = "127.0.0.1:7001".to_string();
    assert_eq!(d.closed, vec![(id(1), CloseReason::Timeout { name })]);
    // PING every 10 s to the online replicas.
    assert_eq!(d.pings, 6);
}

#[test]
fn backlog_freed_after_ttl_without_replicas() {
    let mut m = master();
    let mut d = Driver::default();
    m.replid2 = Some(REPLID.into());
    m.second_repl_offset = 5;
    d.cron(&mut m, 1_000, 0);
    d.cron(&mut m, 3_601_000, 0);
    assert_eq!(d.freed, 0);
    d.cron(&mut m, 3_602_000, 0);
    assert_eq!(d.freed, 1);
    assert!(m.backlog.is_none() && m.replid2.is_none());
    assert_eq!(m.second_repl_offset, -1);
}

fn psync<'a>(token: usize, ask: Option<(&'a str, i64)>) -> SyncRequest<'a> {
    SyncRequest {
        replica: id(token),
        peer_ip: Some("10.0.0.1"),
        psync: ask,
    }
}

/// A master whose stream went from offset 100 to 100 + `fed.len()`, under `REPLID`.
fn streaming(fed: &[u8]) -> (Master, i64) {
    let mut m = Master::new();
    m.create_backlog(0, 100, REPLID);
    m.backlog.as_mut().unwrap().feed(fed);
    (m, 100 + fed.len() as i64)
}

#[test]
fn psync_within_the_backlog_continues_with_exactly_the_missing_bytes() {
    let (mut m, off) = streaming(b"abcdefghij");
    let stream = Stream {
        replid: REPLID,
        offset: off,
    };
    // The replica holds up to offset 104 ("abcd"): it asks from 105.
    let out = m.psync(&psync(1, Some((REPLID, 105))), stream, 9_000);
    assert_eq!(out, PsyncOutcome::Continue);
    let mut want = format!("+CONTINUE {REPLID}\r\n").into_bytes();
    want.extend_from_slice(b"efghij");
    assert_eq!(
        m.poll_action(),
        Some(MasterAction::Send {
            replica: id(1),
            bytes: want
        })
    );
    let r = &m.replicas[0];
    assert_eq!(
        (r.state, r.ack_offset, r.ack_ms),
        (ReplState::Online, 104, 9_000)
    );
    assert_eq!((m.sync_partial_ok, m.sync_full), (1, 0));
    // Up to date: nothing but the line.
    let out = m.psync(&psync(2, Some((REPLID, off + 1))), stream, 9_000);
    assert_eq!(out, PsyncOutcome::Continue);
    let line = format!("+CONTINUE {REPLID}\r\n").into_bytes();
    assert_eq!(
        m.poll_action(),
        Some(MasterAction::Send {
            replica: id(2),
            bytes: line
        })
    );
}

#[test]
fn psync_out_of_the_backlog_gets_a_full_resync() {
    // A backlog of MIN_SIZE bytes overflowed: the first bytes are gone.
    let fed: Vec<u8> = (0..super::backlog::MIN_SIZE + 10)
        .map(|i| i as u8)
        .collect();
    let (mut m, off) = streaming(&fed);
    let stream = Stream {
        replid: REPLID,
        offset: off,
    };
    for ask in [101, 110, off + 2] {
        let out = m.psync(&psync(1, Some((REPLID, ask))), stream, 0);
        assert_eq!(out, PsyncOutcome::FullResync, "offset {ask}");
    }
    assert_eq!(m.poll_action(), None);
    // The oldest byte still held continues.
    let out = m.psync(&psync(1, Some((REPLID, 111))), stream, 0);
    assert_eq!(out, PsyncOutcome::Continue);
    assert_eq!(
        (m.sync_partial_err, m.sync_full, m.sync_partial_ok),
        (3, 3, 1)
    );
}

#[test]
fn psync_ids_follow_psync2_rules() {
    let (mut m, off) = streaming(b"0123456789");
    let new_id = "2222222222222222222222222222222222222222";
    // Promoted at offset 105: the old id is valid up to 106.
    m.replid2 = Some(REPLID.into());
    m.second_repl_offset = 106;
    let stream = Stream {
        replid: new_id,
        offset: off,
    };
    let full = PsyncOutcome::FullResync;
    let cont = PsyncOutcome::Continue;
    assert_eq!(m.psync(&psync(1, Some((REPLID, 106))), stream, 0), cont);
    assert_eq!(m.psync(&psync(2, Some((REPLID, 107))), stream, 0), full);
    assert_eq!(m.psync(&psync(3, Some((new_id, 108))), stream, 0), cont);
    let other = "3333333333333333333333333333333333333333";
    assert_eq!(m.psync(&psync(4, Some((other, 108))), stream, 0), full);
    // `PSYNC ? -1` and SYNC: full, not counted as refused partial resyncs.
    assert_eq!(m.psync(&psync(5, Some(("?", -1))), stream, 0), full);
    assert_eq!(m.psync(&psync(6, None), stream, 0), full);
    assert_eq!((m.sync_partial_err, m.sync_full), (2, 4));
}

/// A full resync for replica `token` at `now`, executed by `d`.
fn full(m: &mut Master, d: &mut Driver, token: usize, capa_eof: bool, now: i64, offset: i64) {
    if capa_eof {
        m.capa_eof.insert(id(token).client_id);
    }
    let req = psync(token, Some(("?", -1)));
    let stream = Stream {
        replid: REPLID,
        offset,
    };
    assert_eq!(m.psync(&req, stream, now), PsyncOutcome::FullResync);
    m.attach_full(&req, stream, &knobs(), d.child.is_some(), now);
    d.run(m, offset);
}

#[test]
fn a_replica_joining_a_running_disk_snapshot_shares_it() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    full(&mut m, &mut d, 1, false, 1_000, 100);
    assert_eq!(d.forks, vec![Target::Disk]);
    // The stream moves on; what follows the fork is buffered for replica 1.
    m.replicas[0].pending.extend_from_slice(b"SET");
    full(&mut m, &mut d, 2, false, 2_000, 103);
    assert_eq!(d.forks, vec![Target::Disk], "no second snapshot");
    let r = &m.replicas[1];
    assert_eq!(r.state, ReplState::WaitBgsaveEnd);
    assert_eq!(r.pending, b"SET");
    // Told the offset of the fork, not the current one.
    let line = format!("+FULLRESYNC {REPLID} 100\r\n").into_bytes();
    assert_eq!(d.sent_to(id(2)), line);
}

#[test]
fn a_replica_joining_a_running_diskless_snapshot_waits_for_the_next() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    let k = knobs();
    full(&mut m, &mut d, 1, true, 1_000, 100);
    assert!(d.forks.is_empty(), "diskless delay");
    d.cron(&mut m, 6_000, 100);
    assert_eq!(d.forks, vec![Target::Socket]);
    full(&mut m, &mut d, 2, true, 6_500, 100);
    assert_eq!(m.replicas[1].state, ReplState::WaitBgsaveStart);
    assert!(d.sent_to(id(2)).is_empty());
    // While the child runs nothing starts, whatever the wait.
    for now in [7_000, 12_000, 20_000] {
        m.tick(now, &k, false);
        d.run(&mut m, 100);
    }
    assert_eq!(d.forks.len(), 1);
    // The transfer ends (what `node::transfer` does); the next cron starts the next one.
    d.child = None;
    m.repl_bgsave = None;
    d.cron(&mut m, 21_000, 150);
    assert_eq!(d.forks, vec![Target::Socket, Target::Socket]);
    let mut want = b"\n".repeat(3);
    want.extend_from_slice(format!("+FULLRESYNC {REPLID} 150\r\n").as_bytes());
    assert_eq!(d.sent_to(id(2)), want);
}

#[test]
fn disk_payload_then_buffered_stream_then_online() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    full(&mut m, &mut d, 1, false, 1_000, 100);
    full(&mut m, &mut d, 2, false, 1_000, 100);
    m.replicas[0].pending.extend_from_slice(b"stream");
    m.replicas[1].pending.extend_from_slice(b"stream");
    d.child = None;
    m.disk_snapshot_done(true);
    let mut opened = Vec::new();
    while let Some(a) = m.poll_action() {
        match a {
            MasterAction::OpenPayload {
                replica,
                snapshot_ok,
            } => opened.push((replica, snapshot_ok)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(opened, vec![(id(1), true), (id(2), true)]);
    let file = tempfile::tempfile().unwrap();
    m.payload_opened(id(1), true, Ok(super::transfer::Bulk::from_file(file, 0)));
    m.payload_opened(id(2), true, Err("No such file".into()));
    assert_eq!(m.poll_action(), Some(MasterAction::Wake { replica: id(1) }));
    let reason = CloseReason::SyncFailed;
    let close = MasterAction::Close {
        replica: id(2),
        reason,
    };
    assert_eq!(m.poll_action(), Some(close));
    assert_eq!(m.replicas[0].state, ReplState::SendBulk);
    assert!(m.repl_bgsave.is_none());
    // Written: online, the buffered stream follows.
    m.payload_sent(id(1), 3_000);
    let r = &m.replicas[0];
    assert_eq!(
        (r.state, r.ack_ms, r.pending.len()),
        (ReplState::Online, 3_000, 0)
    );
    let send = MasterAction::Send {
        replica: id(1),
        bytes: b"stream".to_vec(),
    };
    assert_eq!(m.poll_action(), Some(send));
}

#[test]
fn failed_disk_snapshot_closes_its_replicas() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    full(&mut m, &mut d, 1, false, 1_000, 100);
    m.disk_snapshot_done(false);
    let open = MasterAction::OpenPayload {
        replica: id(1),
        snapshot_ok: false,
    };
    assert_eq!(m.poll_action(), Some(open));
    let file = tempfile::tempfile().unwrap();
    m.payload_opened(id(1), false, Ok(super::transfer::Bulk::from_file(file, 0)));
    let reason = CloseReason::SyncFailed;
    let close = MasterAction::Close {
        replica: id(1),
        reason,
    };
    assert_eq!(m.poll_action(), Some(close));
}

#[test]
fn diskless_pipe_paced_by_the_slowest_then_mark_then_stream_on_first_ack() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    let k = Knobs {
        diskless_sync_max_replicas: 2,
        ..knobs()
    };
    for t in [1, 2] {
        m.capa_eof.insert(id(t).client_id);
        let req = psync(t, Some(("?", -1)));
        let stream = Stream {
            replid: REPLID,
            offset: 100,
        };
        m.psync(&req, stream, 0);
        m.attach_full(&req, stream, &k, false, 0);
        d.run(&mut m, 100);
    }
    assert_eq!(d.forks, vec![Target::Socket]);
    assert!(!m.pipe_abandoned() && !m.pipe_paused());
    let chunk = vec![7u8; super::transfer::PIPE_HIGH_WATER];
    m.pipe_chunk(&chunk);
    m.pipe_fed();
    assert_eq!(m.poll_action(), Some(MasterAction::Wake { replica: id(1) }));
    assert_eq!(m.poll_action(), Some(MasterAction::Wake { replica: id(2) }));
    // Nobody wrote anything yet: the pipe waits.
    assert!(m.pipe_paused());
    // ReplicaRecord 1 takes all, replica 2 still lags.
    let b = m.replicas[0].bulk.as_mut().unwrap();
    while !b.next_chunk().unwrap().is_empty() {
        let n = b.next_chunk().unwrap().len();
        b.consume(n);
    }
    assert!(m.pipe_paused());
    let b = m.replicas[1].bulk.as_mut().unwrap();
    b.consume(1000);
    assert!(!m.pipe_paused());
    // The child ended well: the mark closes each payload.
    m.replicas[0].pending.extend_from_slice(b"held");
    m.diskless_snapshot_done(true, "m");
    let b = m.replicas[0].bulk.as_mut().unwrap();
    assert_eq!(b.next_chunk().unwrap(), b"m");
    b.consume(1);
    assert!(b.done());
    assert_eq!(m.replicas[0].state, ReplState::SendBulk);
    while m.poll_action().is_some() {}
    // Written: online, but the stream waits for its first ACK.
    m.payload_sent(id(1), 5_000);
    assert!(m.replicas[0].stream_on_ack);
    assert_eq!(m.poll_action(), None);
    m.ack(id(1), Some(100), 6_000);
    let send = MasterAction::Send {
        replica: id(1),
        bytes: b"held".to_vec(),
    };
    assert_eq!(m.poll_action(), Some(send));
    let r = &m.replicas[0];
    assert_eq!(
        (r.ack_offset, r.ack_ms, r.stream_on_ack),
        (100, 6_000, false)
    );
    // Later ACKs only move the offset forward.
    m.ack(id(1), Some(90), 7_000);
    assert_eq!(m.poll_action(), None);
    assert_eq!(m.replicas[0].ack_offset, 100);
}

#[test]
fn diskless_receivers_gone_or_failed() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    full(&mut m, &mut d, 1, true, 0, 100);
    full(&mut m, &mut d, 2, true, 0, 100);
    d.cron(&mut m, 5_000, 100);
    assert_eq!(d.forks, vec![Target::Socket]);
    m.diskless_snapshot_done(false, "m");
    let closed: Vec<_> = std::iter::from_fn(|| m.poll_action()).collect();
    let close = |t| MasterAction::Close {
        replica: id(t),
        reason: CloseReason::SyncFailed,
    };
    assert_eq!(closed, vec![close(1), close(2)]);
    // The loop frees them: the next transfer has nobody to feed.
    m.remove(1, id(1).client_id);
    m.remove(2, id(2).client_id);
    assert!(m.pipe_abandoned());
    assert_eq!(m.poll_action(), Some(MasterAction::KillPipeChild));
}

/// `m.feed(bytes)`: the offset after them and the replicas the driver must serve.
fn feed(m: &mut Master, bytes: &[u8]) -> (i64, Vec<FeedTarget>) {
    let fed = m.feed(bytes).expect("a backlog");
    (fed.offset, fed.collect())
}

fn held(token: usize, held: u64) -> FeedTarget {
    FeedTarget::Held {
        replica: id(token),
        held,
    }
}

#[test]
fn feed_reaches_the_backlog_and_online_replicas_and_is_buffered_for_syncing_ones() {
    // Without a backlog nothing is fed.
    assert!(Master::new().feed(b"x").is_none());
    let (mut m, _) = streaming(b"");
    let states = [
        ReplState::WaitBgsaveStart,
        ReplState::WaitBgsaveEnd,
        ReplState::Online,
        ReplState::SendBulk,
    ];
    for (t, state) in (1..).zip(states) {
        let mut r = waiting(t, false, 0);
        r.state = state;
        m.replicas.push(r);
    }
    let (off, targets) = feed(&mut m, b"abc");
    assert_eq!(off, 103);
    assert_eq!(
        targets,
        vec![held(2, 3), FeedTarget::Send(id(3)), held(4, 3)]
    );
    let (off, targets) = feed(&mut m, b"de");
    assert_eq!(off, 105);
    assert_eq!(
        targets,
        vec![held(2, 5), FeedTarget::Send(id(3)), held(4, 5)]
    );
    assert_eq!(
        m.backlog.as_ref().unwrap().copy_from(101).unwrap(),
        b"abcde"
    );
    let pending: Vec<&[u8]> = m.replicas.iter().map(|r| &r.pending[..]).collect();
    assert_eq!(pending, vec![&b""[..], b"abcde", b"", b"abcde"]);
    // Nothing was queued: the driver writes the online replicas' bytes itself.
    assert_eq!(m.poll_action(), None);
}

#[test]
fn feed_during_a_disk_sync_is_buffered_then_follows_the_payload() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    full(&mut m, &mut d, 1, false, 1_000, 100);
    assert_eq!(d.forks, vec![Target::Disk]);
    // Waiting for the end of the BGSAVE: buffered, its size checked against the limit.
    assert_eq!(feed(&mut m, b"SET"), (103, vec![held(1, 3)]));
    m.disk_snapshot_done(true);
    assert!(matches!(
        m.poll_action(),
        Some(MasterAction::OpenPayload { .. })
    ));
    let file = tempfile::tempfile().unwrap();
    m.payload_opened(id(1), true, Ok(super::transfer::Bulk::from_file(file, 0)));
    assert_eq!(m.poll_action(), Some(MasterAction::Wake { replica: id(1) }));
    // Receiving the payload: still buffered.
    assert_eq!(feed(&mut m, b"MORE"), (107, vec![held(1, 7)]));
    m.payload_sent(id(1), 3_000);
    let send = MasterAction::Send {
        replica: id(1),
        bytes: b"SETMORE".to_vec(),
    };
    assert_eq!(m.poll_action(), Some(send));
    // Online: the next bytes go straight to it.
    assert_eq!(feed(&mut m, b"X"), (108, vec![FeedTarget::Send(id(1))]));
    assert!(m.replicas[0].pending.is_empty());
}

#[test]
fn feed_after_a_diskless_payload_is_held_until_the_first_ack() {
    let (mut m, _) = streaming(b"");
    let mut d = Driver::default();
    full(&mut m, &mut d, 1, true, 0, 100);
    // Waiting for its snapshot to start: nothing for it (the snapshot will hold it).
    assert_eq!(feed(&mut m, b"early"), (105, vec![]));
    assert!(m.replicas[0].pending.is_empty());
    d.cron(&mut m, 5_000, 105);
    assert_eq!(d.forks, vec![Target::Socket]);
    assert_eq!(feed(&mut m, b"SET"), (108, vec![held(1, 3)]));
    m.diskless_snapshot_done(true, "m");
    assert_eq!(m.poll_action(), Some(MasterAction::Wake { replica: id(1) }));
    m.payload_sent(id(1), 6_000);
    assert!(m.replicas[0].stream_on_ack);
    // Online but not acknowledged yet: held, not sent (it would hide the end mark).
    assert_eq!(feed(&mut m, b"LATE"), (112, vec![]));
    assert_eq!(m.poll_action(), None);
    m.ack(id(1), Some(108), 7_000);
    let send = MasterAction::Send {
        replica: id(1),
        bytes: b"SETLATE".to_vec(),
    };
    assert_eq!(m.poll_action(), Some(send));
    assert_eq!(feed(&mut m, b"X"), (113, vec![FeedTarget::Send(id(1))]));
    assert!(m.replicas[0].pending.is_empty());
}

#[test]
fn newline_refreshes_the_ack_time_so_repl_timeout_spares_the_replica() {
    let mut m = master();
    let mut d = Driver::default();
    let mut r = waiting(1, false, 0);
    r.state = ReplState::Online;
    m.replicas.push(r);
    // A newline every 30 s (repl-timeout 60) for 300 s: never dropped.
    for s in 1..=300 {
        if s % 30 == 0 {
            m.newline(id(1), s * 1000);
        }
        d.cron(&mut m, s * 1000, 0);
        assert!(d.closed.is_empty(), "closed at {s}");
    }
    assert_eq!(m.replicas[0].ack_ms, 300_000);
    // Silent from then on: dropped once more than 60 whole seconds passed.
    d.cron(&mut m, 360_000, 0);
    assert!(d.closed.is_empty());
    d.cron(&mut m, 361_000, 0);
    let name = "127.0.0.1:7001".to_string();
    assert_eq!(d.closed, vec![(id(1), CloseReason::Timeout { name })]);
    // A newline from a connection that is not a replica changes nothing.
    m.newline(id(9), 400_000);
    assert_eq!(m.replicas[0].ack_ms, 300_000);
}
