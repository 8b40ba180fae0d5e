//! Host names in sentinel addresses (`resolve-hostnames` / `announce-hostnames`, Redis 6.2+).
//! An instance address keeps the host as given (name or IP) and the IP its links connect to;
//! this module turns the first into the second. Redis resolves synchronously (getaddrinfo) when
//! an address is created and again before each command-link reconnect; so does oxidis, through
//! a `Resolver` function injected into `Sentinel` so the state machine stays testable without
//! DNS.
use std::net::{IpAddr, ToSocketAddrs};

/// Host name to one IP address (text), None when it does not resolve.
pub type Resolver = fn(&str) -> Option<String>;

/// `host` when it is an IP address literal, normalized (`::0001` -> `::1`), as getaddrinfo with
/// AI_NUMERICHOST does. A bracketed IPv6 literal is accepted too.
pub fn ip_literal(host: &str) -> Option<String> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

/// The system resolver: the first IPv4 address getaddrinfo returns, else the first address.
/// Preferring IPv4 keeps `localhost` usable when it also maps to `::1` and the instance
/// listens on 127.0.0.1 only.
pub fn system_resolve(host: &str) -> Option<String> {
    if host.is_empty() {
        return None;
    }
    let addrs: Vec<IpAddr> = (host, 0).to_socket_addrs().ok()?.map(|a| a.ip()).collect();
    let ip = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())?;
    Some(ip.to_string())
}

/// Resolve `host` as Redis's `anetResolve`: an IP literal always; a name only when
/// `resolve_hostnames` is on (else the address is invalid).
pub fn resolve(host: &str, resolve_hostnames: bool, resolver: Resolver) -> Option<String> {
    if let Some(ip) = ip_literal(host) {
        return Some(ip);
    }
    if !resolve_hostnames {
        return None;
    }
    resolver(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(host: &str) -> Option<String> {
        (host == "db.example").then(|| "10.1.2.3".to_string())
    }

    #[test]
    fn literals_always_names_only_when_enabled() {
        assert_eq!(
            resolve("127.0.0.1", false, fake).as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(resolve("::0001", false, fake).as_deref(), Some("::1"));
        assert_eq!(resolve("db.example", false, fake), None);
        assert_eq!(
            resolve("db.example", true, fake).as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(resolve("other.example", true, fake), None);
        assert_eq!(resolve("1.2.3.4.5", false, fake), None);
    }

    #[test]
    fn system_resolver_handles_localhost_and_empty() {
        // Only names /etc/hosts answers: a test never sends a DNS query off this machine.
        let ip = system_resolve("localhost").expect("localhost resolves");
        assert!(ip.parse::<IpAddr>().is_ok_and(|a| a.is_loopback()), "{ip}");
        assert_eq!(system_resolve(""), None);
    }
}
