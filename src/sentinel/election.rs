//! Leader election: epochs, one vote per epoch (answering IS-MASTER-DOWN-BY-ADDR), asking the
//! other sentinels for their view and vote, and tallying the votes they report; a leader needs
//! max(quorum, majority of known sentinels + us).
use super::core::{argv, Action, Level, LinkKind, ReqTag, Rng, Sentinel, Who};
use super::state::{FailoverState, MasterRecord};
use crate::resp::frame::Frame;
use std::collections::BTreeMap;

/// Answer to `SENTINEL IS-MASTER-DOWN-BY-ADDR ip port epoch runid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownReply {
    /// 1 when the master at that address is subjectively down here (and we are not in TILT).
    pub down: bool,
    /// The run id we voted for in `leader_epoch`, or `*` when `runid` was `*` (no vote asked).
    pub leader: String,
    pub leader_epoch: u64,
}

impl DownReply {
    /// The reply as sent on the wire: `[down, leader, leader_epoch]`.
    pub fn frame(&self) -> Frame {
        Frame::Array(Some(vec![
            Frame::Int(self.down as i64),
            Frame::Bulk(Some(self.leader.clone().into_bytes())),
            Frame::Int(self.leader_epoch as i64),
        ]))
    }
}

impl Sentinel {
    /// Serve IS-MASTER-DOWN-BY-ADDR: report our down state for the master at `ip:port` and, when
    /// `runid` is not `*`, vote for `runid` in `req_epoch` (one vote per epoch; a newer epoch
    /// updates `current_epoch`, which is persisted and announced with `+new-epoch`).
    pub fn is_master_down_by_addr(
        &mut self,
        ip: &str,
        port: u16,
        req_epoch: u64,
        runid: &str,
        now: i64,
        rng: &mut dyn Rng,
    ) -> DownReply {
        let name = self
            .masters
            .iter()
            .find(|(_, m)| m.inst.port == port && self.same_host(&m.inst, ip))
            .map(|(n, _)| n.clone());
        let mut reply = DownReply {
            down: false,
            leader: "*".into(),
            leader_epoch: 0,
        };
        let Some(name) = name else { return reply };
        let tilt = self.tilt;
        self.with_master(&name, |s, m| {
            reply.down = !tilt && m.inst.flags.s_down;
            if runid != "*" {
                let (leader, epoch) = s.vote_leader(m, req_epoch, runid, now, rng);
                if let Some(l) = leader {
                    reply.leader = l;
                }
                reply.leader_epoch = epoch;
            }
        });
        reply
    }

    /// Answer one command another sentinel's link sends us (PING, PUBLISH of a hello,
    /// SENTINEL is-master-down-by-addr; anything else `+OK`), as an in-process peer does in
    /// simulations and tests. A hello is applied at once (its actions are queued).
    pub fn answer_peer(&mut self, argv: &[Vec<u8>], now: i64, rng: &mut dyn Rng) -> Frame {
        let arg = |i: usize| {
            argv.get(i)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .unwrap_or_default()
        };
        match arg(0).to_ascii_uppercase().as_str() {
            "PING" => Frame::Simple(b"PONG".to_vec()),
            "PUBLISH" if argv.len() == 3 => {
                self.process_hello(&argv[2], now);
                Frame::Int(1)
            }
            "SENTINEL" if argv.len() == 6 => self
                .is_master_down_by_addr(
                    &arg(2),
                    arg(3).parse().unwrap_or(0),
                    arg(4).parse().unwrap_or(0),
                    &arg(5),
                    now,
                    rng,
                )
                .frame(),
            _ => Frame::Simple(b"OK".to_vec()),
        }
    }

    /// Redis's `sentinelVoteLeader`: adopt a newer epoch, then vote for `runid` unless we already
    /// voted in this epoch. Returns our vote for the master and its epoch.
    pub(crate) fn vote_leader(
        &mut self,
        m: &mut MasterRecord,
        req_epoch: u64,
        runid: &str,
        now: i64,
        rng: &mut dyn Rng,
    ) -> (Option<String>, u64) {
        if req_epoch > self.current_epoch {
            self.current_epoch = req_epoch;
            self.push(Action::SaveConfig);
            self.event(Some(m), Level::Warning, "+new-epoch", req_epoch.to_string());
        }
        if m.leader_epoch < req_epoch && self.current_epoch <= req_epoch {
            m.leader = Some(runid.to_string());
            m.leader_epoch = self.current_epoch;
            self.push(Action::SaveConfig);
            let text = format!("{} {}", runid, m.leader_epoch);
            self.event(Some(m), Level::Warning, "+vote-for-leader", text);
            // Voting for another sentinel delays our own attempts for this master.
            if runid != self.myid {
                m.failover_start_time =
                    now + rng.below(self.timers.max_desync.max(0) as u64) as i64;
            }
        }
        (m.leader.clone(), m.leader_epoch)
    }

    /// Redis's `sentinelGetLeader`: the sentinel with the most votes in `epoch` if it has at
    /// least max(quorum, voters/2+1), our own vote going to the current winner (or ourselves).
    pub(crate) fn get_leader(
        &mut self,
        m: &mut MasterRecord,
        epoch: u64,
        now: i64,
        rng: &mut dyn Rng,
    ) -> Option<String> {
        let voters = m.sentinels.len() as u64 + 1;
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for s in m.sentinels.values() {
            if let Some(l) = &s.leader {
                if s.leader_epoch == self.current_epoch {
                    *counts.entry(l.clone()).or_default() += 1;
                }
            }
        }
        let best = |c: &BTreeMap<String, u64>| -> Option<(String, u64)> {
            let mut w: Option<(String, u64)> = None;
            for (k, v) in c {
                if w.as_ref().map_or(true, |(_, bv)| *v > *bv) {
                    w = Some((k.clone(), *v));
                }
            }
            w
        };
        let winner = best(&counts);
        let candidate = winner
            .as_ref()
            .map_or(self.myid.clone(), |(k, _)| k.clone());
        let (myvote, my_epoch) = self.vote_leader(m, epoch, &candidate, now, rng);
        if let Some(v) = myvote {
            if my_epoch == epoch {
                *counts.entry(v).or_default() += 1;
            }
        }
        let (w, votes) = best(&counts)?;
        if votes < voters / 2 + 1 || votes < m.quorum as u64 {
            return None;
        }
        Some(w)
    }

    /// Ask every connected sentinel whether it sees the master down (and, once our failover
    /// started, for its vote): every second while the master is S_DOWN, or now when `forced`.
    /// Sentinels silent for 5 periods lose their `master_down` flag and vote.
    pub(crate) fn ask_master_state(&mut self, m: &mut MasterRecord, now: i64, forced: bool) {
        let keys: Vec<String> = m.sentinels.keys().cloned().collect();
        // During the randomized start delay we only ask for opinions, not votes.
        let ask_vote = m.failover_state != FailoverState::None
            && !(m.failover_state == FailoverState::WaitStart
                && now < m.failover_start_time
                && !m.inst.flags.force_failover);
        let runid = if ask_vote {
            self.myid.clone()
        } else {
            "*".to_string()
        };
        let epoch = self.current_epoch.to_string();
        for k in keys {
            let Some(s) = m.sentinels.get_mut(&k) else {
                continue;
            };
            let elapsed = now - s.last_master_down_reply_time;
            if elapsed > self.timers.ask_period * 5 {
                s.flags.master_down = false;
                s.leader = None;
            }
            if !m.inst.flags.s_down || !s.link.cmd_connected {
                continue;
            }
            if !forced && elapsed < self.timers.ask_period {
                continue;
            }
            // Count the question as an answer-wait so we ask once per period.
            let port = m.inst.port.to_string();
            let a = argv(&[
                "SENTINEL",
                "is-master-down-by-addr",
                self.shown(&m.inst),
                &port,
                &epoch,
                &runid,
            ]);
            let tag = ReqTag::IsMasterDown {
                master: m.inst.name.clone(),
            };
            self.send(m, &Who::Sentinel(k), LinkKind::Cmd, a, tag);
        }
    }

    /// A reply to IS-MASTER-DOWN-BY-ADDR from sentinel `who`: `[down, leader, leader_epoch]`.
    pub(crate) fn is_master_down_reply(
        &mut self,
        m: &mut MasterRecord,
        who: &Who,
        reply: &Frame,
        now: i64,
    ) {
        let Who::Sentinel(k) = who else { return };
        let Some(items) = reply.items() else { return };
        let [Frame::Int(down), leader, Frame::Int(epoch)] = items else {
            return;
        };
        let Some(leader) = leader.text() else { return };
        let Some(s) = m.sentinels.get_mut(k) else {
            return;
        };
        s.last_master_down_reply_time = now;
        s.flags.master_down = *down == 1;
        if leader != "*" {
            s.leader = Some(leader);
            s.leader_epoch = (*epoch).max(0) as u64;
        }
    }
}
