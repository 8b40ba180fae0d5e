//! Client libraries that run on scripts: redis-py's `Lock` (EVALSHA of its acquire, extend,
//! reacquire and release scripts) across two clients, run against oxidis and a real
//! redis-server; the transcripts must be equal line for line.
mod common;

use common::*;
use std::process::Command;

fn transcript(port: u16) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/redis_py_lock.py"
    );
    let out = Command::new("python3")
        .args([script, &port.to_string()])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "redis_py_lock.py failed on port {port}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn redis_py_lock_as_on_redis() {
    if !have_redis() || !have_redis_py() {
        return;
    }
    let ox = start_oxidis(&[]);
    let re = start_redis(&[]);
    let (o, r) = (transcript(ox.port), transcript(re.port));
    assert_eq!(o, r, "oxidis (left) and redis (right)");
    assert!(o.contains("b acquires while a holds it: False"), "{o}");
    assert!(o.contains("b acquires now: True"), "{o}");
}
