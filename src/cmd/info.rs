//! The INFO report: Redis 7.0's sections and field names, filled from server state, the
//! counting allocator, /proc and getrusage. Tools parse these lines, so names must match.
use super::role::Role;
use crate::server::{Ctx, Server};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Which sections `args` ask for (empty = default).
fn wanted(args: &[Vec<u8>], sections: &'static [(&'static str, bool)]) -> Vec<&'static str> {
    let names: Vec<String> = args
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let default = names.is_empty();
    let has = |n: &str| names.iter().any(|x| x == n);
    let all = has("all") || has("everything");
    sections
        .iter()
        .filter(|(name, dflt)| all || ((default || has("default")) && *dflt) || has(name))
        .map(|(n, _)| *n)
        .collect()
}

/// The INFO text for `args` (section names, `all`, `everything`, `default`).
pub fn report<R: Role>(ctx: &mut Ctx<R>, args: &[Vec<u8>]) -> String {
    let mut out = String::new();
    for (i, sec) in wanted(args, R::INFO_SECTIONS).into_iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        section(ctx, sec, &mut out);
    }
    out
}

fn human(n: u64) -> String {
    let f = n as f64;
    const UNITS: &[(f64, &str)] = &[
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "E"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
        (1024.0 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024.0 * 1024.0 * 1024.0, "G"),
        (1024.0 * 1024.0, "M"),
        (1024.0, "K"),
    ];
    for (size, unit) in UNITS {
        if f >= *size {
            return format!("{:.2}{unit}", f / size);
        }
    }
    format!("{n}B")
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn os_name() -> &'static str {
    static OS: OnceLock<String> = OnceLock::new();
    OS.get_or_init(|| {
        format!(
            "{} {} {}",
            read_trim("/proc/sys/kernel/ostype"),
            read_trim("/proc/sys/kernel/osrelease"),
            std::env::consts::ARCH
        )
    })
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Build id: a stable hash of the version and executable path, like Redis's build digest.
fn build_id<R>(srv: &Server<R>) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    srv.executable.hash(&mut h);
    format!("{:015x}", h.finish() >> 4)
}

fn rusage(who: nix::sys::resource::UsageWho) -> (String, String) {
    match nix::sys::resource::getrusage(who) {
        Ok(u) => {
            let f = |t: nix::sys::time::TimeVal| format!("{}.{:06}", t.tv_sec(), t.tv_usec());
            (f(u.system_time()), f(u.user_time()))
        }
        Err(_) => ("0.000000".into(), "0.000000".into()),
    }
}

/// The sections every role has; the role writes its own (`Role::info_section`).
fn section<R: Role>(ctx: &mut Ctx<R>, name: &str, o: &mut String) {
    let srv = &*ctx.srv;
    let now = srv.now_ms;
    let node = srv.role.info_counters();
    macro_rules! f {
        ($($arg:tt)*) => {{ let _ = write!(o, $($arg)*); o.push_str("\r\n"); }};
    }
    match name {
        "server" => {
            let uptime = (now - srv.start_ms).max(0) / 1000;
            let supervised = match srv.config.supervised {
                crate::config::Supervised::No => "no",
                crate::config::Supervised::Upstart => "upstart",
                crate::config::Supervised::Systemd => "systemd",
                crate::config::Supervised::Auto => "auto",
            };
            f!("# Server");
            f!("redis_version:{}", crate::util::REDIS_VERSION);
            f!("oxidis_version:{}", crate::util::OXIDIS_VERSION);
            f!("redis_git_sha1:00000000");
            f!("redis_git_dirty:0");
            f!("redis_build_id:{}", build_id(srv));
            let mode = if R::SENTINEL {
                "sentinel"
            } else {
                "standalone"
            };
            f!("redis_mode:{mode}");
            f!("os:{}", os_name());
            f!("arch_bits:{}", usize::BITS);
            f!("monotonic_clock:POSIX clock_gettime");
            f!("multiplexing_api:epoll");
            f!("atomicvar_api:c11-builtin");
            f!("gcc_version:0.0.0");
            f!("process_id:{}", std::process::id());
            f!("process_supervised:{supervised}");
            f!("run_id:{}", srv.run_id);
            f!("tcp_port:{}", srv.tcp_port);
            f!("server_time_usec:{}", crate::util::now_us());
            f!("uptime_in_seconds:{uptime}");
            f!("uptime_in_days:{}", uptime / 86400);
            f!("hz:{}", srv.config.hz);
            f!("configured_hz:{}", srv.config.hz);
            f!("lru_clock:{}", (now / 1000) & ((1 << 24) - 1));
            f!("executable:{}", srv.executable);
            f!(
                "config_file:{}",
                srv.config
                    .file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            f!("io_threads_active:0");
        }
        "clients" => {
            // The caller is not in `srv.clients` while its command runs.
            let me = &*ctx.client;
            let others = srv.clients.iter().map(|(_, c)| &**c);
            let all: Vec<_> = others.chain(std::iter::once(me)).collect();
            let max_in = all.iter().map(|c| c.query.capacity()).max().unwrap_or(0);
            let max_out = all.iter().map(|c| c.pending_output()).max().unwrap_or(0);
            f!("# Clients");
            f!("connected_clients:{}", all.len());
            f!("cluster_connections:0");
            f!("maxclients:{}", srv.config.maxclients);
            f!("client_recent_max_input_buffer:{max_in}");
            f!("client_recent_max_output_buffer:{max_out}");
            f!("blocked_clients:{}", node.blocked_clients);
            f!("tracking_clients:0");
            f!("clients_in_timeout_table:{}", node.clients_in_timeout_table);
        }
        "memory" => memory(srv, &node, o),
        "stats" => {
            let s = &srv.stats;
            f!("# Stats");
            f!(
                "total_connections_received:{}",
                s.total_connections_received
            );
            f!("total_commands_processed:{}", s.total_commands_processed);
            f!("instantaneous_ops_per_sec:{}", srv.ops_samples.value());
            f!("total_net_input_bytes:{}", s.net_input_bytes);
            f!("total_net_output_bytes:{}", s.net_output_bytes);
            f!("total_net_repl_input_bytes:0");
            f!("total_net_repl_output_bytes:0");
            f!("instantaneous_input_kbps:0.00");
            f!("instantaneous_output_kbps:0.00");
            f!("instantaneous_input_repl_kbps:0.00");
            f!("instantaneous_output_repl_kbps:0.00");
            f!("rejected_connections:{}", s.rejected_connections);
            f!("sync_full:{}", node.sync_full);
            f!("sync_partial_ok:{}", node.sync_partial_ok);
            f!("sync_partial_err:{}", node.sync_partial_err);
            f!("expired_keys:{}", s.expired_keys);
            f!("expired_stale_perc:{:.2}", s.expired_stale_perc);
            f!(
                "expired_time_cap_reached_count:{}",
                s.expired_time_cap_reached_count
            );
            f!("expire_cycle_cpu_milliseconds:0");
            f!("evicted_keys:{}", s.evicted_keys);
            f!("evicted_clients:0");
            f!("total_eviction_exceeded_time:0");
            f!("current_eviction_exceeded_time:0");
            f!("keyspace_hits:{}", s.keyspace_hits);
            f!("keyspace_misses:{}", s.keyspace_misses);
            let (channels, patterns, shard) = srv.pubsub.sizes();
            f!("pubsub_channels:{channels}");
            f!("pubsub_patterns:{patterns}");
            f!("pubsubshard_channels:{shard}");
            f!("latest_fork_usec:{}", node.latest_fork_usec);
            f!("total_forks:{}", node.total_forks);
            f!("migrate_cached_sockets:0");
            f!("slave_expires_tracked_keys:0");
            f!("active_defrag_hits:0");
            f!("active_defrag_misses:0");
            f!("active_defrag_key_hits:0");
            f!("active_defrag_key_misses:0");
            f!("total_active_defrag_time:0");
            f!("current_active_defrag_time:0");
            f!("tracking_total_keys:0");
            f!("tracking_total_items:0");
            f!("tracking_total_prefixes:0");
            f!("unexpected_error_replies:{}", s.unexpected_error_replies);
            f!("total_error_replies:{}", s.total_error_replies);
            f!("dump_payload_sanitizations:0");
            f!("total_reads_processed:{}", s.total_reads_processed);
            f!("total_writes_processed:{}", s.total_writes_processed);
            f!("io_threaded_reads_processed:0");
            f!("io_threaded_writes_processed:0");
            f!("reply_buffer_shrinks:0");
            f!("reply_buffer_expands:0");
        }
        "cpu" => {
            use nix::sys::resource::UsageWho;
            let (sys, user) = rusage(UsageWho::RUSAGE_SELF);
            let (csys, cuser) = rusage(UsageWho::RUSAGE_CHILDREN);
            let (tsys, tuser) = rusage(UsageWho::RUSAGE_THREAD);
            f!("# CPU");
            f!("used_cpu_sys:{sys}");
            f!("used_cpu_user:{user}");
            f!("used_cpu_sys_children:{csys}");
            f!("used_cpu_user_children:{cuser}");
            f!("used_cpu_sys_main_thread:{tsys}");
            f!("used_cpu_user_main_thread:{tuser}");
        }
        "modules" => f!("# Modules"),
        "commandstats" => {
            f!("# Commandstats");
            let mut v: Vec<_> = srv.stats.commands.values().collect();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            for st in v {
                let name = &st.name;
                if st.calls == 0 && st.failed_calls == 0 && st.rejected_calls == 0 {
                    continue;
                }
                let per = if st.calls > 0 {
                    st.usec as f64 / st.calls as f64
                } else {
                    0.0
                };
                f!(
                    "cmdstat_{name}:calls={},usec={},usec_per_call={per:.2},rejected_calls={},failed_calls={}",
                    st.calls,
                    st.usec,
                    st.rejected_calls,
                    st.failed_calls
                );
            }
        }
        "errorstats" => {
            f!("# Errorstats");
            let mut v: Vec<_> = srv.stats.errors.iter().collect();
            v.sort();
            for (prefix, n) in v {
                f!("errorstat_{prefix}:count={n}");
            }
        }
        "latencystats" => f!("# Latencystats"),
        "cluster" => {
            f!("# Cluster");
            f!("cluster_enabled:0");
        }
        _ => R::info_section(srv, name, o),
    }
}

/// A data node's own sections: persistence, replication, keyspace.
pub fn node_section(srv: &Server, name: &str, o: &mut String) {
    let now = srv.now_ms;
    macro_rules! f {
        ($($arg:tt)*) => {{ let _ = write!(o, $($arg)*); o.push_str("\r\n"); }};
    }
    match name {
        "persistence" => crate::cmd::info_persist::persistence(srv, o),
        "replication" => {
            f!("# Replication");
            if srv.role.replica.is_some() {
                crate::cmd::info_replica::replica_fields(srv, now, o);
            }
            crate::cmd::info_master::info_lines(srv, now, o);
        }
        "keyspace" => {
            f!("# Keyspace");
            for (i, db) in srv.role.keyspace.dbs.iter().enumerate() {
                if !db.is_empty() {
                    f!(
                        "db{i}:keys={},expires={},avg_ttl={}",
                        db.len(),
                        db.expires.len(),
                        db.avg_ttl.max(0)
                    );
                }
            }
        }
        _ => {}
    }
}

fn memory<R>(srv: &Server<R>, node: &super::role::InfoCounters, o: &mut String) {
    let used = crate::alloc::used_memory() as u64;
    let peak = crate::alloc::update_peak() as u64;
    let startup = crate::alloc::startup_memory() as u64;
    let rss = crate::alloc::rss_bytes() as u64;
    let clients_mem: u64 = srv
        .clients
        .iter()
        .map(|(_, c)| (std::mem::size_of_val(&**c) + c.query.capacity() + c.out.capacity()) as u64)
        .sum();
    let overhead = (startup + clients_mem).min(used);
    let dataset = used - overhead;
    let net = used.saturating_sub(startup).max(1);
    let total_sys = total_system_memory();
    let (vm_eval, scripts_eval, cached) = (node.vm_eval, node.scripts_eval, node.cached_scripts);
    let (vm_funcs, funcs_mem) = (node.vm_functions, node.functions_mem);
    let (nfuncs, nlibs) = (node.functions, node.libraries);
    let frag = if used > 0 {
        rss as f64 / used as f64
    } else {
        0.0
    };
    let lines: Vec<(&str, String)> = vec![
        ("used_memory", used.to_string()),
        ("used_memory_human", human(used)),
        ("used_memory_rss", rss.to_string()),
        ("used_memory_rss_human", human(rss)),
        ("used_memory_peak", peak.to_string()),
        ("used_memory_peak_human", human(peak)),
        (
            "used_memory_peak_perc",
            format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64),
        ),
        ("used_memory_overhead", overhead.to_string()),
        ("used_memory_startup", startup.to_string()),
        ("used_memory_dataset", dataset.to_string()),
        (
            "used_memory_dataset_perc",
            format!("{:.2}%", dataset as f64 * 100.0 / net as f64),
        ),
        ("allocator_allocated", used.to_string()),
        ("allocator_active", used.to_string()),
        ("allocator_resident", rss.to_string()),
        ("total_system_memory", total_sys.to_string()),
        ("total_system_memory_human", human(total_sys)),
        ("used_memory_lua", vm_eval.to_string()),
        ("used_memory_vm_eval", vm_eval.to_string()),
        ("used_memory_lua_human", human(vm_eval)),
        ("used_memory_scripts_eval", scripts_eval.to_string()),
        ("number_of_cached_scripts", cached.to_string()),
        ("number_of_functions", nfuncs.to_string()),
        ("number_of_libraries", nlibs.to_string()),
        ("used_memory_vm_functions", vm_funcs.to_string()),
        ("used_memory_vm_total", (vm_eval + vm_funcs).to_string()),
        ("used_memory_vm_total_human", human(vm_eval + vm_funcs)),
        ("used_memory_functions", funcs_mem.to_string()),
        (
            "used_memory_scripts",
            (scripts_eval + funcs_mem).to_string(),
        ),
        ("used_memory_scripts_human", human(scripts_eval + funcs_mem)),
        ("maxmemory", "0".into()),
        ("maxmemory_human", "0B".into()),
        ("maxmemory_policy", "noeviction".into()),
        ("allocator_frag_ratio", "1.00".into()),
        ("allocator_frag_bytes", "0".into()),
        ("allocator_rss_ratio", format!("{frag:.2}")),
        ("allocator_rss_bytes", rss.saturating_sub(used).to_string()),
        ("rss_overhead_ratio", "1.00".into()),
        ("rss_overhead_bytes", "0".into()),
        ("mem_fragmentation_ratio", format!("{frag:.2}")),
        (
            "mem_fragmentation_bytes",
            (rss as i64 - used as i64).to_string(),
        ),
        ("mem_not_counted_for_evict", "0".into()),
        ("mem_replication_backlog", "0".into()),
        ("mem_total_replication_buffers", "0".into()),
        ("mem_clients_slaves", "0".into()),
        ("mem_clients_normal", clients_mem.to_string()),
        ("mem_cluster_links", "0".into()),
        ("mem_aof_buffer", "0".into()),
        ("mem_allocator", "libc".into()),
        ("active_defrag_running", "0".into()),
        ("lazyfree_pending_objects", "0".into()),
        ("lazyfreed_objects", "0".into()),
    ];
    o.push_str("# Memory\r\n");
    for (k, v) in lines {
        let _ = write!(o, "{k}:{v}\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_selection() {
        const SECTIONS: &[(&str, bool)] = <crate::server::DataNode as Role>::INFO_SECTIONS;
        let d = wanted(&[], SECTIONS);
        assert!(d.contains(&"server") && d.contains(&"keyspace"));
        assert!(!d.contains(&"commandstats"));
        let a = wanted(&[b"ALL".to_vec()], SECTIONS);
        assert!(a.contains(&"commandstats") && a.contains(&"latencystats"));
        let two = wanted(&[b"keyspace".to_vec(), b"server".to_vec()], SECTIONS);
        assert_eq!(two, vec!["server", "keyspace"]);
        assert!(wanted(&[b"nosuch".to_vec()], SECTIONS).is_empty());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(100), "100B");
        assert_eq!(human(965576), "942.95K");
        assert_eq!(human(12251136), "11.68M");
    }
}
