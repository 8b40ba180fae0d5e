//! systemd's readiness protocol (sd_notify) over std: newline-separated `KEY=value` datagrams
//! sent to the unix socket named by `$NOTIFY_SOCKET`. A name starting with `@` is in the Linux
//! abstract namespace. The variable is left set, so later notifications keep working.
use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};

pub const ENV: &str = "NOTIFY_SOCKET";

/// Where notifications go.
#[derive(Debug, Clone)]
pub struct Notifier {
    addr: SocketAddr,
}

impl Notifier {
    /// The notifier for `$NOTIFY_SOCKET`; `Ok(None)` when the variable is unset or empty.
    pub fn from_env() -> io::Result<Option<Notifier>> {
        match std::env::var_os(ENV) {
            Some(v) if !v.is_empty() => Notifier::new(&v.to_string_lossy()).map(Some),
            _ => Ok(None),
        }
    }

    /// A notifier for a socket path, or `@name` for an abstract socket.
    pub fn new(name: &str) -> io::Result<Notifier> {
        let addr = match name.strip_prefix('@') {
            Some(abs) => abstract_addr(abs)?,
            None if name.starts_with('/') => SocketAddr::from_pathname(name)?,
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("unsupported {ENV} address '{name}'"),
                ))
            }
        };
        Ok(Notifier { addr })
    }

    /// Send one datagram, e.g. `READY=1` or `STATUS=Ready to accept connections`.
    pub fn send(&self, msg: &str) -> io::Result<()> {
        let sock = UnixDatagram::unbound()?;
        let mut m = msg.to_string();
        if !m.ends_with('\n') {
            m.push('\n');
        }
        let n = sock.send_to_addr(m.as_bytes(), &self.addr)?;
        if n != m.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "short write to the notify socket",
            ));
        }
        Ok(())
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_addr(name: &str) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name.as_bytes())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_addr(_name: &str) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract unix sockets need Linux",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_socket_receives_datagrams() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let rx = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::new(path.to_str().unwrap()).unwrap();
        n.send("READY=1").unwrap();
        let mut buf = [0u8; 64];
        let len = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\n");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn abstract_socket_receives_datagrams() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("oxidis-unit-{}", std::process::id());
        let rx = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
            .unwrap();
        let n = Notifier::new(&format!("@{name}")).unwrap();
        n.send("STOPPING=1\n").unwrap();
        let mut buf = [0u8; 64];
        let len = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"STOPPING=1\n");
    }

    #[test]
    fn relative_names_are_rejected() {
        assert!(Notifier::new("relative/path").is_err());
    }
}
