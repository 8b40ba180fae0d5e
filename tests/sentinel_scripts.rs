//! Sentinel notification scripts run by a real oxidis sentinel: a script exiting 1 is run again
//! after SCRIPT-RETRY-DELAY (and not after it exits 0), and SENTINEL PENDING-SCRIPTS / INFO show
//! a job while it runs, with redis-sentinel's fields and types.
mod common;
use common::sentinel::{parse, wait_for, Val};
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn cmd(port: u16, args: &[&str]) -> Val {
    parse(&Conn::connect(port).cmd(args))
}

/// The script's calls (one line per run: its arguments).
fn calls(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn notification_script_retried_on_status_1_and_listed_while_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display().to_string();
    // +monitor (at startup): sleeps, so the job is seen running. Any other event: exit 1 the
    // first time, 0 the second.
    let script = dir.path().join("notify.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$*\" >> {d}/calls\n\
             if [ \"$1\" = +monitor ]; then sleep 2; exit 0; fi\n\
             if [ -e \"{d}/seen$1\" ]; then exit 0; fi\n\
             : > \"{d}/seen$1\"\nexit 1\n"
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // Nothing listens on the master's port: it goes S_DOWN once down-after is short.
    let (port, master) = (free_port(), free_port());
    let sdir = tempfile::tempdir().expect("tempdir");
    let conf = sdir.path().join("sentinel.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nsentinel monitor mymaster 127.0.0.1 {master} 2\n\
             sentinel down-after-milliseconds mymaster 60000\n\
             sentinel notification-script mymaster {}\n",
            script.display()
        ),
    )
    .expect("conf");
    let mut c = Command::new(oxidis_bin());
    c.arg(&conf).arg("--sentinel");
    let s = spawn_ready(c, sdir, port);

    // The +monitor run is listed as running: argv, flags, pid, run-time, retry-num, all bulk.
    let mut seen = Val::Nil;
    let listed = wait_for(5, || {
        seen = cmd(port, &["SENTINEL", "PENDING-SCRIPTS"]);
        let Val::Arr(jobs) = &seen else { return false };
        jobs.iter()
            .any(|j| j.field("flags").as_deref() == Some("running"))
    });
    assert!(listed, "no running job: {seen:?}\n{}", s.logs());
    let Val::Arr(jobs) = &seen else {
        unreachable!()
    };
    let job = jobs
        .iter()
        .find(|j| j.field("flags").as_deref() == Some("running"))
        .expect("running job");
    let Val::Arr(kv) = job else { panic!("{job:?}") };
    let keys: Vec<String> = kv.iter().step_by(2).map(Val::text).collect();
    assert_eq!(keys, ["argv", "flags", "pid", "run-time", "retry-num"]);
    assert_eq!(
        kv[1],
        Val::Arr(vec![
            Val::Str(script.display().to_string()),
            Val::Str("+monitor".into()),
            Val::Str(format!("master mymaster 127.0.0.1 {master} quorum 2")),
        ])
    );
    let pid: u32 = kv[5].text().parse().expect("pid");
    assert!(
        matches!(kv[5], Val::Str(_)),
        "pid is a bulk string as in Redis"
    );
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(kv[7].text().parse::<i64>().is_ok_and(|ms| ms >= 0));
    assert_eq!(kv[9], Val::Str("1".into()));
    assert_eq!(s_info(port, "sentinel_running_scripts"), "1");
    assert_eq!(s_info(port, "sentinel_scripts_queue_length"), "1");

    // +sdown: the first run exits 1, the retry (200 ms later) exits 0: two runs, no third.
    assert_eq!(
        cmd(port, &["SENTINEL", "DEBUG", "script-retry-delay", "200"]),
        Val::Str("OK".into())
    );
    cmd(
        port,
        &[
            "SENTINEL",
            "SET",
            "mymaster",
            "down-after-milliseconds",
            "200",
        ],
    );
    let sdown = format!("+sdown master mymaster 127.0.0.1 {master}");
    let dp = dir.path();
    let twice = wait_for(10, || {
        calls(dp).iter().filter(|l| **l == sdown).count() >= 2
    });
    assert!(twice, "calls: {:?}\n{}", calls(dp), s.logs());
    // Everything finishes (the +monitor run included) and nothing runs again.
    let idle = wait_for(10, || {
        cmd(port, &["SENTINEL", "PENDING-SCRIPTS"]) == Val::Arr(vec![])
    });
    assert!(idle, "{:?}", cmd(port, &["SENTINEL", "PENDING-SCRIPTS"]));
    std::thread::sleep(std::time::Duration::from_millis(600));
    let runs = calls(dp);
    assert_eq!(runs.iter().filter(|l| **l == sdown).count(), 2, "{runs:?}");
    assert_eq!(runs.iter().filter(|l| l.starts_with("+monitor")).count(), 1);
    assert_eq!(s_info(port, "sentinel_running_scripts"), "0");
    assert_eq!(s_info(port, "sentinel_scripts_queue_length"), "0");
}

fn s_info(port: u16, field: &str) -> String {
    let raw = Conn::connect(port).cmd(&["INFO", "sentinel"]);
    info_field(&String::from_utf8_lossy(&raw), field).unwrap_or_default()
}
