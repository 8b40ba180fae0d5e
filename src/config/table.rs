//! The directive table: every directive Redis 7.0 knows, with its value kind, default (in the
//! form CONFIG GET returns it), mutability, and whether oxidis honours it yet. Directives that
//! are accepted but not honoured are stored as text so CONFIG GET/SET/REWRITE still work.

/// How a directive's value is parsed and validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `yes` / `no`, case-insensitive.
    Bool,
    /// A strict integer in `[min, max]`.
    Int(i64, i64),
    /// A memory value (`1k`, `1kb`, `1gb`, ...) in `[min, max]`.
    Mem(i64, u64),
    /// One of a fixed set of words, case-insensitive.
    Enum(&'static [&'static str]),
    /// Free text (one argument).
    Str,
    /// Parsed by a dedicated function in `value` (save, bind, client-output-buffer-limit, ...).
    Special,
}

/// CONFIG SET refuses it.
pub const IMMUTABLE: u8 = 1;
/// CONFIG SET refuses it unless `enable-protected-configs` allows it.
pub const PROTECTED: u8 = 2;
/// Left out of `CONFIG GET` glob matches; returned only when asked for by exact name.
pub const HIDDEN: u8 = 4;

#[derive(Debug)]
pub struct Directive {
    pub name: &'static str,
    /// The old name still accepted (`slaveof` for `replicaof`, ...).
    pub alias: Option<&'static str>,
    pub kind: Kind,
    /// Default value, formatted as CONFIG GET returns it.
    pub default: &'static str,
    pub flags: u8,
    /// True once oxidis acts on the value; false directives are stored and reported only.
    pub implemented: bool,
}

impl Directive {
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// Directives whose file form takes several arguments joined into one value.
    pub fn multi_arg(&self) -> bool {
        matches!(
            self.name,
            "save"
                | "bind"
                | "client-output-buffer-limit"
                | "oom-score-adj-values"
                | "latency-tracking-info-percentiles"
                | "replicaof"
                | "shutdown-on-sigint"
                | "shutdown-on-sigterm"
        )
    }
}

/// Find a directive by name or alias, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Directive> {
    DIRECTIVES.iter().find(|d| {
        d.name.eq_ignore_ascii_case(name) || d.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

#[rustfmt::skip]
pub static DIRECTIVES: &[Directive] = &[
    Directive { name: "acl-pubsub-default", alias: None, kind: Kind::Enum(&["allchannels", "resetchannels"]), default: "resetchannels", flags: 0, implemented: false },
    Directive { name: "aclfile", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: false },
    Directive { name: "acllog-max-len", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "128", flags: 0, implemented: false },
    Directive { name: "active-defrag-cycle-max", alias: None, kind: Kind::Int(1, 99), default: "25", flags: 0, implemented: false },
    Directive { name: "active-defrag-cycle-min", alias: None, kind: Kind::Int(1, 99), default: "1", flags: 0, implemented: false },
    Directive { name: "active-defrag-ignore-bytes", alias: None, kind: Kind::Mem(1, 9223372036854775807), default: "104857600", flags: 0, implemented: false },
    Directive { name: "active-defrag-max-scan-fields", alias: None, kind: Kind::Int(1, 9223372036854775807), default: "1000", flags: 0, implemented: false },
    Directive { name: "active-defrag-threshold-lower", alias: None, kind: Kind::Int(0, 1000), default: "10", flags: 0, implemented: false },
    Directive { name: "active-defrag-threshold-upper", alias: None, kind: Kind::Int(0, 1000), default: "100", flags: 0, implemented: true },
    Directive { name: "active-expire-effort", alias: None, kind: Kind::Int(1, 10), default: "1", flags: 0, implemented: false },
    Directive { name: "activedefrag", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "activerehashing", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "always-show-logo", alias: None, kind: Kind::Bool, default: "no", flags: IMMUTABLE, implemented: false },
    Directive { name: "aof-disable-auto-gc", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "aof-load-truncated", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "aof-rewrite-incremental-fsync", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "aof-timestamp-enabled", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "aof-use-rdb-preamble", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "aof_rewrite_cpulist", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: false },
    Directive { name: "appenddirname", alias: None, kind: Kind::Str, default: "appendonlydir", flags: IMMUTABLE, implemented: false },
    Directive { name: "appendfilename", alias: None, kind: Kind::Str, default: "appendonly.aof", flags: IMMUTABLE, implemented: false },
    Directive { name: "appendfsync", alias: None, kind: Kind::Enum(&["everysec", "always", "no"]), default: "everysec", flags: 0, implemented: false },
    Directive { name: "appendonly", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "auto-aof-rewrite-min-size", alias: None, kind: Kind::Mem(0, 9223372036854775807), default: "67108864", flags: 0, implemented: false },
    Directive { name: "auto-aof-rewrite-percentage", alias: None, kind: Kind::Int(0, 2147483647), default: "100", flags: 0, implemented: true },
    Directive { name: "bgsave_cpulist", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: false },
    Directive { name: "bind", alias: None, kind: Kind::Special, default: "127.0.0.1 -::1", flags: 0, implemented: true },
    Directive { name: "bind-source-addr", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "bio_cpulist", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: false },
    Directive { name: "busy-reply-threshold", alias: Some("lua-time-limit"), kind: Kind::Int(0, 9223372036854775807), default: "5000", flags: 0, implemented: true },
    Directive { name: "client-output-buffer-limit", alias: None, kind: Kind::Special, default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", flags: 0, implemented: true },
    Directive { name: "client-query-buffer-limit", alias: None, kind: Kind::Mem(1048576, 9223372036854775807), default: "1073741824", flags: 0, implemented: true },
    Directive { name: "cluster-allow-pubsubshard-when-down", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "cluster-allow-reads-when-down", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "cluster-allow-replica-migration", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "cluster-announce-bus-port", alias: None, kind: Kind::Int(0, 65535), default: "0", flags: 0, implemented: false },
    Directive { name: "cluster-announce-hostname", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "cluster-announce-ip", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "cluster-announce-port", alias: None, kind: Kind::Int(0, 65535), default: "0", flags: 0, implemented: false },
    Directive { name: "cluster-announce-tls-port", alias: None, kind: Kind::Int(0, 65535), default: "0", flags: 0, implemented: false },
    Directive { name: "cluster-config-file", alias: None, kind: Kind::Str, default: "nodes.conf", flags: IMMUTABLE, implemented: false },
    Directive { name: "cluster-enabled", alias: None, kind: Kind::Bool, default: "no", flags: IMMUTABLE, implemented: false },
    Directive { name: "cluster-link-sendbuf-limit", alias: None, kind: Kind::Mem(0, u64::MAX), default: "0", flags: 0, implemented: false },
    Directive { name: "cluster-migration-barrier", alias: None, kind: Kind::Int(0, 2147483647), default: "1", flags: 0, implemented: false },
    Directive { name: "cluster-node-timeout", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "15000", flags: 0, implemented: false },
    Directive { name: "cluster-port", alias: None, kind: Kind::Int(0, 65535), default: "0", flags: IMMUTABLE, implemented: false },
    Directive { name: "cluster-preferred-endpoint-type", alias: None, kind: Kind::Enum(&["ip", "hostname", "unknown-endpoint"]), default: "ip", flags: 0, implemented: false },
    Directive { name: "cluster-replica-no-failover", alias: Some("cluster-slave-no-failover"), kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "cluster-replica-validity-factor", alias: Some("cluster-slave-validity-factor"), kind: Kind::Int(0, 2147483647), default: "10", flags: 0, implemented: false },
    Directive { name: "cluster-require-full-coverage", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "crash-log-enabled", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "crash-memcheck-enabled", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "daemonize", alias: None, kind: Kind::Bool, default: "no", flags: IMMUTABLE, implemented: true },
    Directive { name: "databases", alias: None, kind: Kind::Int(1, 2147483647), default: "16", flags: IMMUTABLE, implemented: true },
    Directive { name: "dbfilename", alias: None, kind: Kind::Str, default: "dump.rdb", flags: PROTECTED, implemented: true },
    Directive { name: "dir", alias: None, kind: Kind::Special, default: "", flags: PROTECTED, implemented: true },
    Directive { name: "disable-thp", alias: None, kind: Kind::Bool, default: "yes", flags: IMMUTABLE, implemented: false },
    Directive { name: "dynamic-hz", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "enable-debug-command", alias: None, kind: Kind::Enum(&["no", "yes", "local"]), default: "no", flags: IMMUTABLE, implemented: false },
    Directive { name: "enable-module-command", alias: None, kind: Kind::Enum(&["no", "yes", "local"]), default: "no", flags: IMMUTABLE, implemented: false },
    Directive { name: "enable-protected-configs", alias: None, kind: Kind::Enum(&["no", "yes", "local"]), default: "no", flags: IMMUTABLE|PROTECTED, implemented: true },
    Directive { name: "hash-max-listpack-entries", alias: Some("hash-max-ziplist-entries"), kind: Kind::Int(0, 9223372036854775807), default: "512", flags: 0, implemented: true },
    Directive { name: "hash-max-listpack-value", alias: Some("hash-max-ziplist-value"), kind: Kind::Mem(0, 9223372036854775807), default: "64", flags: 0, implemented: true },
    Directive { name: "hll-sparse-max-bytes", alias: None, kind: Kind::Mem(0, 9223372036854775807), default: "3000", flags: 0, implemented: true },
    Directive { name: "hz", alias: None, kind: Kind::Int(0, 2147483647), default: "10", flags: 0, implemented: true },
    Directive { name: "ignore-warnings", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "io-threads", alias: None, kind: Kind::Int(1, 128), default: "1", flags: IMMUTABLE, implemented: false },
    Directive { name: "io-threads-do-reads", alias: None, kind: Kind::Bool, default: "no", flags: IMMUTABLE, implemented: false },
    Directive { name: "jemalloc-bg-thread", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "key-load-delay", alias: None, kind: Kind::Int(-2147483648, 2147483647), default: "0", flags: HIDDEN, implemented: true },
    Directive { name: "latency-monitor-threshold", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "0", flags: 0, implemented: false },
    Directive { name: "latency-tracking", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "latency-tracking-info-percentiles", alias: None, kind: Kind::Special, default: "50 99 99.9", flags: 0, implemented: false },
    Directive { name: "lazyfree-lazy-eviction", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "lazyfree-lazy-expire", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "lazyfree-lazy-server-del", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "lazyfree-lazy-user-del", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "lazyfree-lazy-user-flush", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "lfu-decay-time", alias: None, kind: Kind::Int(0, 2147483647), default: "1", flags: 0, implemented: false },
    Directive { name: "lfu-log-factor", alias: None, kind: Kind::Int(0, 2147483647), default: "10", flags: 0, implemented: false },
    Directive { name: "list-compress-depth", alias: None, kind: Kind::Int(0, 2147483647), default: "0", flags: 0, implemented: false },
    Directive { name: "list-max-listpack-size", alias: Some("list-max-ziplist-size"), kind: Kind::Int(-2147483648, 2147483647), default: "-2", flags: 0, implemented: true },
    Directive { name: "loading-process-events-interval-bytes", alias: None, kind: Kind::Int(1024, 2147483647), default: "2097152", flags: HIDDEN, implemented: false },
    Directive { name: "logfile", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: true },
    Directive { name: "loglevel", alias: None, kind: Kind::Enum(&["debug", "verbose", "notice", "warning"]), default: "notice", flags: 0, implemented: true },
    Directive { name: "masterauth", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: true },
    Directive { name: "masteruser", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: true },
    Directive { name: "maxclients", alias: None, kind: Kind::Int(1, 4294967295), default: "10000", flags: 0, implemented: true },
    Directive { name: "maxmemory", alias: None, kind: Kind::Mem(0, u64::MAX), default: "0", flags: 0, implemented: false },
    Directive { name: "maxmemory-clients", alias: None, kind: Kind::Special, default: "0", flags: 0, implemented: false },
    Directive { name: "maxmemory-eviction-tenacity", alias: None, kind: Kind::Int(0, 100), default: "10", flags: 0, implemented: false },
    Directive { name: "maxmemory-policy", alias: None, kind: Kind::Enum(&["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"]), default: "noeviction", flags: 0, implemented: false },
    Directive { name: "maxmemory-samples", alias: None, kind: Kind::Int(1, 2147483647), default: "5", flags: 0, implemented: false },
    Directive { name: "min-replicas-max-lag", alias: Some("min-slaves-max-lag"), kind: Kind::Int(0, 2147483647), default: "10", flags: 0, implemented: true },
    Directive { name: "min-replicas-to-write", alias: Some("min-slaves-to-write"), kind: Kind::Int(0, 2147483647), default: "0", flags: 0, implemented: true },
    Directive { name: "no-appendfsync-on-rewrite", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "notify-keyspace-events", alias: None, kind: Kind::Special, default: "", flags: 0, implemented: false },
    Directive { name: "oom-score-adj", alias: None, kind: Kind::Enum(&["no", "yes", "relative", "absolute"]), default: "no", flags: 0, implemented: false },
    Directive { name: "oom-score-adj-values", alias: None, kind: Kind::Special, default: "0 200 800", flags: 0, implemented: false },
    Directive { name: "pidfile", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: true },
    Directive { name: "port", alias: None, kind: Kind::Int(0, 65535), default: "6379", flags: 0, implemented: true },
    Directive { name: "proc-title-template", alias: None, kind: Kind::Str, default: "{title} {listen-addr} {server-mode}", flags: 0, implemented: false },
    Directive { name: "propagation-error-behavior", alias: None, kind: Kind::Enum(&["ignore", "panic", "panic-on-replicas"]), default: "ignore", flags: 0, implemented: false },
    Directive { name: "protected-mode", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: true },
    Directive { name: "proto-max-bulk-len", alias: None, kind: Kind::Mem(1048576, 9223372036854775807), default: "536870912", flags: 0, implemented: true },
    Directive { name: "rdb-del-sync-files", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: true },
    Directive { name: "rdb-key-save-delay", alias: None, kind: Kind::Int(-2147483648, 2147483647), default: "0", flags: HIDDEN, implemented: true },
    Directive { name: "rdb-save-incremental-fsync", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "rdbchecksum", alias: None, kind: Kind::Bool, default: "yes", flags: IMMUTABLE, implemented: true },
    Directive { name: "rdbcompression", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: true },
    Directive { name: "repl-backlog-size", alias: None, kind: Kind::Mem(1, 9223372036854775807), default: "1048576", flags: 0, implemented: true },
    Directive { name: "repl-backlog-ttl", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "3600", flags: 0, implemented: true },
    Directive { name: "repl-disable-tcp-nodelay", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "repl-diskless-load", alias: None, kind: Kind::Enum(&["disabled", "on-empty-db", "swapdb"]), default: "disabled", flags: 0, implemented: false },
    Directive { name: "repl-diskless-sync", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: true },
    Directive { name: "repl-diskless-sync-delay", alias: None, kind: Kind::Int(0, 2147483647), default: "5", flags: 0, implemented: true },
    Directive { name: "repl-diskless-sync-max-replicas", alias: None, kind: Kind::Int(0, 2147483647), default: "0", flags: 0, implemented: true },
    Directive { name: "repl-ping-replica-period", alias: Some("repl-ping-slave-period"), kind: Kind::Int(1, 2147483647), default: "10", flags: 0, implemented: false },
    Directive { name: "repl-timeout", alias: None, kind: Kind::Int(1, 2147483647), default: "60", flags: 0, implemented: true },
    Directive { name: "replica-announce-ip", alias: Some("slave-announce-ip"), kind: Kind::Str, default: "", flags: 0, implemented: true },
    Directive { name: "replica-announce-port", alias: Some("slave-announce-port"), kind: Kind::Int(0, 65535), default: "0", flags: 0, implemented: true },
    Directive { name: "replica-announced", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: true },
    Directive { name: "replica-ignore-disk-write-errors", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "replica-ignore-maxmemory", alias: Some("slave-ignore-maxmemory"), kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "replica-lazy-flush", alias: Some("slave-lazy-flush"), kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "replica-priority", alias: Some("slave-priority"), kind: Kind::Int(0, 2147483647), default: "100", flags: 0, implemented: true },
    Directive { name: "replica-read-only", alias: Some("slave-read-only"), kind: Kind::Bool, default: "yes", flags: 0, implemented: true },
    Directive { name: "replica-serve-stale-data", alias: Some("slave-serve-stale-data"), kind: Kind::Bool, default: "yes", flags: 0, implemented: true },
    Directive { name: "replicaof", alias: Some("slaveof"), kind: Kind::Special, default: "", flags: IMMUTABLE, implemented: true },
    Directive { name: "requirepass", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: true },
    Directive { name: "sanitize-dump-payload", alias: None, kind: Kind::Enum(&["no", "yes", "clients"]), default: "no", flags: 0, implemented: false },
    Directive { name: "save", alias: None, kind: Kind::Special, default: "3600 1 300 100 60 10000", flags: 0, implemented: true },
    Directive { name: "server_cpulist", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: false },
    Directive { name: "set-max-intset-entries", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "512", flags: 0, implemented: true },
    Directive { name: "set-proc-title", alias: None, kind: Kind::Bool, default: "yes", flags: IMMUTABLE, implemented: false },
    Directive { name: "shutdown-on-sigint", alias: None, kind: Kind::Special, default: "default", flags: 0, implemented: false },
    Directive { name: "shutdown-on-sigterm", alias: None, kind: Kind::Special, default: "default", flags: 0, implemented: false },
    Directive { name: "shutdown-timeout", alias: None, kind: Kind::Int(0, 2147483647), default: "10", flags: 0, implemented: false },
    Directive { name: "slowlog-log-slower-than", alias: None, kind: Kind::Int(-1, 9223372036854775807), default: "10000", flags: 0, implemented: false },
    Directive { name: "slowlog-max-len", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "128", flags: 0, implemented: false },
    Directive { name: "socket-mark-id", alias: None, kind: Kind::Int(0, 4294967295), default: "0", flags: IMMUTABLE, implemented: false },
    Directive { name: "stop-writes-on-bgsave-error", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: true },
    Directive { name: "stream-node-max-bytes", alias: None, kind: Kind::Mem(0, 9223372036854775807), default: "4096", flags: 0, implemented: true },
    Directive { name: "stream-node-max-entries", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "100", flags: 0, implemented: true },
    Directive { name: "supervised", alias: None, kind: Kind::Enum(&["upstart", "systemd", "auto", "no"]), default: "no", flags: IMMUTABLE, implemented: true },
    Directive { name: "syslog-enabled", alias: None, kind: Kind::Bool, default: "no", flags: IMMUTABLE, implemented: false },
    Directive { name: "syslog-facility", alias: None, kind: Kind::Enum(&["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]), default: "local0", flags: IMMUTABLE, implemented: false },
    Directive { name: "syslog-ident", alias: None, kind: Kind::Str, default: "redis", flags: IMMUTABLE, implemented: false },
    Directive { name: "tcp-backlog", alias: None, kind: Kind::Int(0, 2147483647), default: "511", flags: IMMUTABLE, implemented: true },
    Directive { name: "tcp-keepalive", alias: None, kind: Kind::Int(0, 2147483647), default: "300", flags: 0, implemented: true },
    Directive { name: "timeout", alias: None, kind: Kind::Int(0, 2147483647), default: "0", flags: 0, implemented: true },
    Directive { name: "tls-auth-clients", alias: None, kind: Kind::Enum(&["no", "yes", "optional"]), default: "yes", flags: 0, implemented: false },
    Directive { name: "tls-ca-cert-dir", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-ca-cert-file", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-cert-file", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-ciphers", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-ciphersuites", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-client-cert-file", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-client-key-file", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-client-key-file-pass", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-cluster", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "tls-dh-params-file", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-key-file", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-key-file-pass", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-port", alias: None, kind: Kind::Int(0, 65535), default: "0", flags: 0, implemented: false },
    Directive { name: "tls-prefer-server-ciphers", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "tls-protocols", alias: None, kind: Kind::Str, default: "", flags: 0, implemented: false },
    Directive { name: "tls-replication", alias: None, kind: Kind::Bool, default: "no", flags: 0, implemented: false },
    Directive { name: "tls-session-cache-size", alias: None, kind: Kind::Int(0, 2147483647), default: "20480", flags: 0, implemented: false },
    Directive { name: "tls-session-cache-timeout", alias: None, kind: Kind::Int(0, 2147483647), default: "300", flags: 0, implemented: false },
    Directive { name: "tls-session-caching", alias: None, kind: Kind::Bool, default: "yes", flags: 0, implemented: false },
    Directive { name: "tracking-table-max-keys", alias: None, kind: Kind::Int(0, 9223372036854775807), default: "1000000", flags: 0, implemented: false },
    Directive { name: "unixsocket", alias: None, kind: Kind::Str, default: "", flags: IMMUTABLE, implemented: false },
    Directive { name: "unixsocketperm", alias: None, kind: Kind::Special, default: "0", flags: IMMUTABLE, implemented: false },
    Directive { name: "watchdog-period", alias: None, kind: Kind::Int(0, 2147483647), default: "0", flags: HIDDEN, implemented: false },
    Directive { name: "zset-max-listpack-entries", alias: Some("zset-max-ziplist-entries"), kind: Kind::Int(0, 9223372036854775807), default: "128", flags: 0, implemented: true },
    Directive { name: "zset-max-listpack-value", alias: Some("zset-max-ziplist-value"), kind: Kind::Mem(0, 9223372036854775807), default: "64", flags: 0, implemented: true },
];
