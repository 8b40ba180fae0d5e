//! The master core driven on simulated time: a fake driver executes its actions (a fork
//! always succeeds unless told otherwise, a child runs until the test says it ended).
use super::backlog::Backlog;
use super::core::{CloseReason, Knobs, MasterAction, ReplicaId};
use super::transfer::Target;
use super::{Master, ReplState, Replica};

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
fn waiting(token: usize, capa_eof: bool, now: i64) -> Replica {
    Replica {
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
    // Replica 2 acknowledges every second, replica 1 falls silent after second 5: with
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
