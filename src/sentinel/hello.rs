//! The __sentinel__:hello message: encoding ours
//! (ip,port,runid,current_epoch,master_name,master_ip,master_port,master_config_epoch) and
//! applying one received (discover sentinels, adopt a newer epoch, adopt a newer master config).
use super::core::{argv, inst_of, Action, Level, LinkKind, ReqTag, Sentinel, Who, HELLO_CHANNEL};
use super::state::{Instance, MasterRecord, Role};

/// A parsed hello payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub ip: String,
    pub port: u16,
    pub runid: String,
    pub current_epoch: u64,
    pub master_name: String,
    pub master_ip: String,
    pub master_port: u16,
    pub master_config_epoch: u64,
}

impl Hello {
    pub fn parse(payload: &[u8]) -> Option<Hello> {
        let text = std::str::from_utf8(payload).ok()?;
        let t: Vec<&str> = text.split(',').collect();
        if t.len() != 8 {
            return None;
        }
        Some(Hello {
            ip: t[0].to_string(),
            port: t[1].parse().ok()?,
            runid: t[2].to_string(),
            current_epoch: t[3].parse().ok()?,
            master_name: t[4].to_string(),
            master_ip: t[5].to_string(),
            master_port: t[6].parse().ok()?,
            master_config_epoch: t[7].parse().ok()?,
        })
    }

    pub fn encode(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{}",
            self.ip,
            self.port,
            self.runid,
            self.current_epoch,
            self.master_name,
            self.master_ip,
            self.master_port,
            self.master_config_epoch
        )
    }
}

impl Sentinel {
    /// Our hello for master `m`, sent on a link whose local address is `local_ip`.
    pub fn hello_for(&self, m: &MasterRecord, local_ip: Option<&str>) -> Option<Hello> {
        let ip = match &self.settings.announce_ip {
            Some(ip) if !ip.is_empty() => ip.clone(),
            _ => local_ip?.to_string(),
        };
        let port = if self.settings.announce_port != 0 {
            self.settings.announce_port
        } else {
            self.port
        };
        let (master_ip, master_port) = m.announced_addr(self.settings.announce_hostnames);
        Some(Hello {
            ip,
            port,
            runid: self.myid.clone(),
            current_epoch: self.current_epoch,
            master_name: m.inst.name.clone(),
            master_ip,
            master_port,
            master_config_epoch: m.inst.config_epoch,
        })
    }

    /// PUBLISH our hello on `who`'s command link.
    pub(crate) fn send_hello(&mut self, m: &mut MasterRecord, who: &Who, now: i64) {
        let Some(i) = inst_of(m, who) else { return };
        if !i.link.cmd_connected {
            return;
        }
        let Some(h) = self.hello_for(m, i.link.local_ip.as_deref()) else {
            return;
        };
        let payload = h.encode();
        self.send(
            m,
            who,
            LinkKind::Cmd,
            argv(&["PUBLISH", HELLO_CHANNEL, &payload]),
            ReqTag::Hello,
        );
        if let Some(i) = super::core::inst_of_mut(m, who) {
            i.last_pub_time = now;
        }
    }

    /// A hello from another sentinel (pub/sub or PUBLISH to us): Redis's
    /// `sentinelProcessHelloMessage`.
    pub fn process_hello(&mut self, payload: &[u8], now: i64) {
        let Some(h) = Hello::parse(payload) else {
            return;
        };
        if h.runid == self.myid {
            return;
        }
        let name = h.master_name.clone();
        self.with_master(&name, |s, m| s.apply_hello(m, &h, now));
    }

    fn apply_hello(&mut self, m: &mut MasterRecord, h: &Hello, now: i64) {
        let known = m
            .sentinels
            .get(&h.runid)
            .is_some_and(|s| s.port == h.port && self.same_host(s, &h.ip));
        if !known {
            // A sentinel announcing a host name we may not resolve is ignored (Redis fails to
            // create the instance the same way).
            let Ok(ip) = super::config::new_ip(self, &h.ip) else {
                return;
            };
            let who_old = Who::Sentinel(h.runid.clone());
            let removed = m.sentinels.contains_key(&h.runid);
            if removed {
                self.close_link(m, &who_old, LinkKind::Cmd);
                m.sentinels.remove(&h.runid);
                let text = format!(
                    "master {} {} {} ip {} port {} for {}",
                    m.inst.name,
                    self.shown(&m.inst),
                    m.inst.port,
                    h.ip,
                    h.port,
                    h.runid
                );
                self.event(Some(m), Level::Notice, "+sentinel-address-switch", text);
            } else {
                // Another run id at that address: that sentinel restarted with a new id.
                let stale: Vec<String> = m
                    .sentinels
                    .iter()
                    .filter(|(_, s)| s.port == h.port && self.same_host(s, &h.ip))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in stale {
                    let w = Who::Sentinel(k.clone());
                    self.event_at(m, &w, Level::Notice, "+sentinel-invalid-addr", "");
                    self.close_link(m, &w, LinkKind::Cmd);
                    m.sentinels.remove(&k);
                }
            }
            let mut si = Instance::new(
                self.alloc_id(),
                Role::Sentinel,
                h.runid.clone(),
                &h.ip,
                h.port,
                now,
            );
            si.ip = ip;
            si.runid = Some(h.runid.clone());
            si.down_after_ms = m.inst.down_after_ms;
            m.sentinels.insert(h.runid.clone(), si);
            if !removed {
                self.event_at(
                    m,
                    &Who::Sentinel(h.runid.clone()),
                    Level::Notice,
                    "+sentinel",
                    "",
                );
            }
            self.push(Action::SaveConfig);
        }
        if h.current_epoch > self.current_epoch {
            self.current_epoch = h.current_epoch;
            self.push(Action::SaveConfig);
            self.event(
                Some(m),
                Level::Warning,
                "+new-epoch",
                h.current_epoch.to_string(),
            );
        }
        if m.inst.config_epoch < h.master_config_epoch {
            m.inst.config_epoch = h.master_config_epoch;
            self.push(Action::SaveConfig);
            if h.master_port != m.inst.port || !self.same_host(&m.inst, &h.master_ip) {
                self.event_at(
                    m,
                    &Who::Sentinel(h.runid.clone()),
                    Level::Warning,
                    "+config-update-from",
                    "",
                );
                let from = (self.shown(&m.inst).to_string(), m.inst.port);
                let text = format!(
                    "{} {} {} {} {}",
                    m.inst.name, from.0, from.1, h.master_ip, h.master_port
                );
                self.event(Some(m), Level::Warning, "+switch-master", text);
                self.reset_master_and_change_address(m, &h.master_ip, h.master_port, now);
                let to = (self.shown(&m.inst).to_string(), m.inst.port);
                self.client_reconfig_script(m, "observer", "start", &from, &to);
            }
        }
        if let Some(si) = m.sentinels.get_mut(&h.runid) {
            si.last_hello_time = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trips_and_rejects_garbage() {
        let h = Hello::parse(b"10.0.0.9,26379,abc,7,mymaster,10.0.0.1,6379,5").unwrap();
        assert_eq!(h.port, 26379);
        assert_eq!(h.current_epoch, 7);
        assert_eq!(h.master_config_epoch, 5);
        assert_eq!(h.encode(), "10.0.0.9,26379,abc,7,mymaster,10.0.0.1,6379,5");
        assert!(Hello::parse(b"a,b,c").is_none());
        assert!(Hello::parse(b"1,x,3,4,5,6,7,8").is_none());
        assert!(Hello::parse(&[0xff, b',']).is_none());
    }
}
