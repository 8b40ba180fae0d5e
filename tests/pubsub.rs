//! Black-box Pub/Sub tests with several connections: channel and pattern subscribers receive
//! exactly the messages meant for them, in publish order; RESP3 subscribers get push frames;
//! disconnecting drops subscriptions; and a subscriber that never reads is disconnected at the
//! pubsub output-buffer limit while the publisher keeps going and the server stays small.
mod common;
use common::*;
use std::io::Read;
use std::time::{Duration, Instant};

fn msg(ch: &str, payload: &str) -> String {
    format!(
        "*3\r\n$7\r\nmessage\r\n${}\r\n{ch}\r\n${}\r\n{payload}\r\n",
        ch.len(),
        payload.len()
    )
}

fn pmsg(pat: &str, ch: &str, payload: &str) -> String {
    format!(
        "*4\r\n$8\r\npmessage\r\n${}\r\n{pat}\r\n${}\r\n{ch}\r\n${}\r\n{payload}\r\n",
        pat.len(),
        ch.len(),
        payload.len()
    )
}

fn read_s(c: &mut Conn) -> String {
    String::from_utf8_lossy(&c.read_reply()).to_string()
}

/// Subscribe and consume the confirmations.
fn sub(c: &mut Conn, cmd: &str, names: &[&str]) {
    let mut args = vec![cmd];
    args.extend_from_slice(names);
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.send(&a);
    for n in names {
        let r = read_s(c);
        assert!(r.contains(&format!("{cmd}\r\n")), "{r}");
        assert!(r.contains(n), "{r}");
    }
}

#[test]
fn messages_reach_exactly_the_right_subscribers_in_order() {
    let srv = start_oxidis(&[]);
    let mut news = srv.conn();
    let mut all = srv.conn();
    let mut both = srv.conn();
    let mut publisher = srv.conn();
    sub(&mut news, "subscribe", &["news"]);
    sub(&mut all, "psubscribe", &["*"]);
    sub(&mut both, "subscribe", &["news", "sport"]);
    sub(&mut both, "psubscribe", &["s*"]);

    let plan = [
        ("news", "n1", 3),
        ("sport", "s1", 3),
        ("weather", "w1", 1),
        ("news", "n2", 3),
        ("shop", "x1", 2),
    ];
    for (ch, m, receivers) in plan {
        assert_eq!(
            publisher.s(&["publish", ch, m]),
            format!(":{receivers}\r\n"),
            "{ch}"
        );
    }
    // The channel subscriber sees only its channel.
    assert_eq!(read_s(&mut news), msg("news", "n1"));
    assert_eq!(read_s(&mut news), msg("news", "n2"));
    // The catch-all pattern sees everything, in order.
    for (ch, m, _) in plan {
        assert_eq!(read_s(&mut all), pmsg("*", ch, m));
    }
    // A client with a channel and a pattern matching the same message gets it twice: first
    // as a message, then as a pmessage.
    assert_eq!(read_s(&mut both), msg("news", "n1"));
    assert_eq!(read_s(&mut both), msg("sport", "s1"));
    assert_eq!(read_s(&mut both), pmsg("s*", "sport", "s1"));
    assert_eq!(read_s(&mut both), msg("news", "n2"));
    assert_eq!(read_s(&mut both), pmsg("s*", "shop", "x1"));

    assert_eq!(
        publisher.s(&["pubsub", "numsub", "news", "sport", "weather"]),
        "*6\r\n$4\r\nnews\r\n:2\r\n$5\r\nsport\r\n:1\r\n$7\r\nweather\r\n:0\r\n"
    );
    assert_eq!(publisher.s(&["pubsub", "numpat"]), ":2\r\n");

    // A closed subscriber's subscriptions disappear.
    drop(news);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = publisher.s(&["pubsub", "numsub", "news"]);
        if r.ends_with(":1\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "{r}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(publisher.s(&["publish", "news", "n3"]), ":2\r\n");
    assert_eq!(read_s(&mut both), msg("news", "n3"));
    assert_eq!(read_s(&mut all), pmsg("*", "news", "n3"));

    // CLIENT LIST shows the subscription counts and the P flag.
    let list = publisher.s(&["client", "list"]);
    assert!(list.contains("flags=P db=0 sub=2 psub=1 ssub=0"), "{list}");
    assert!(list.contains("flags=P db=0 sub=0 psub=1 ssub=0"), "{list}");
    assert_eq!(publisher.s(&["client", "kill", "type", "pubsub"]), ":2\r\n");
}

#[test]
fn resp3_subscribers_get_push_frames_and_can_run_commands() {
    let srv = start_oxidis(&[]);
    let mut s = srv.conn();
    let mut p = srv.conn();
    s.cmd(&["hello", "3"]);
    s.send(&[b"subscribe", b"c"]);
    assert_eq!(read_s(&mut s), ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n");
    assert_eq!(s.s(&["set", "k", "v"]), "+OK\r\n");
    assert_eq!(p.s(&["publish", "c", "hi"]), ":1\r\n");
    assert_eq!(
        read_s(&mut s),
        ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"
    );
    // Publishing to a channel it listens on: the push arrives before the reply.
    s.send(&[b"publish", b"c", b"self"]);
    assert_eq!(
        read_s(&mut s),
        ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nself\r\n"
    );
    assert_eq!(read_s(&mut s), ":1\r\n");
    assert_eq!(s.s(&["get", "k"]), "$1\r\nv\r\n");
}

#[test]
fn resp2_subscriber_is_restricted() {
    let srv = start_oxidis(&[]);
    let mut s = srv.conn();
    sub(&mut s, "subscribe", &["c"]);
    assert_eq!(
        s.s(&["get", "k"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(s.s(&["ping"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(s.s(&["reset"]), "+RESET\r\n");
    assert_eq!(s.s(&["get", "k"]), "$-1\r\n");
}

/// Resident set size of a process in KiB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn slow_subscriber_is_disconnected_at_the_output_buffer_limit() {
    let srv = start_oxidis(&[]);
    let mut admin = srv.conn();
    assert_eq!(
        admin.s(&[
            "config",
            "set",
            "client-output-buffer-limit",
            "pubsub 1mb 256kb 60"
        ]),
        "+OK\r\n"
    );
    let mut slow = srv.conn();
    sub(&mut slow, "subscribe", &["firehose"]);
    let rss_before = rss_kb(srv.pid());
    let payload = "x".repeat(16 * 1024);
    let mut publisher = srv.conn();
    let mut receivers = Vec::new();
    // 64 MB of messages in total: far more than any socket buffers hold.
    for _ in 0..4096 {
        let r = publisher.s(&["publish", "firehose", &payload]);
        receivers.push(r);
    }
    assert!(receivers.iter().all(|r| r == ":1\r\n" || r == ":0\r\n"));
    assert_eq!(receivers.last().map(|s| s.as_str()), Some(":0\r\n"));
    let info = admin.s(&["info", "stats"]);
    assert_eq!(info_field(&info, "pubsub_channels").as_deref(), Some("0"));
    // The server did not keep the undelivered messages.
    let rss_after = rss_kb(srv.pid());
    assert!(
        rss_after < rss_before + 16 * 1024,
        "rss grew from {rss_before} kB to {rss_after} kB"
    );
    // The slow subscriber sees its connection closed after what was already sent.
    slow.w
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut sink = vec![0u8; 1 << 16];
    let mut closed = false;
    for _ in 0..100_000 {
        match slow.r.read(&mut sink) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    assert!(closed);
    assert!(publisher
        .s(&["pubsub", "numsub", "firehose"])
        .ends_with(":0\r\n"));
    assert!(srv
        .logs()
        .contains("scheduled to be closed ASAP for overcoming of output buffer limits"));
}

#[test]
fn normal_client_over_its_limit_is_closed_and_others_are_not() {
    let srv = start_oxidis(&[]);
    let mut admin = srv.conn();
    admin.cmd(&[
        "config",
        "set",
        "client-output-buffer-limit",
        "normal 100kb 0 0",
    ]);
    let big = "v".repeat(10 * 1024);
    admin.cmd(&["set", "big", &big]);
    // Within the limit: replies arrive.
    let mut ok = srv.conn();
    let mut pipe = Vec::new();
    for _ in 0..5 {
        pipe.extend_from_slice(&encode_cmd(&[b"get", b"big"]));
    }
    ok.send_raw(&pipe);
    for _ in 0..5 {
        assert_eq!(ok.read_reply().len(), big.len() + 10);
    }
    // A pipeline whose replies pass the hard limit closes the connection.
    let mut greedy = srv.conn();
    let mut pipe = Vec::new();
    for _ in 0..50 {
        pipe.extend_from_slice(&encode_cmd(&[b"get", b"big"]));
    }
    greedy.send_raw(&pipe);
    let mut sink = Vec::new();
    let _ = greedy.r.read_to_end(&mut sink);
    assert!(sink.len() < 50 * big.len(), "got {} bytes", sink.len());
    assert_eq!(admin.s(&["ping"]), "+PONG\r\n");
    assert!(srv
        .logs()
        .contains("scheduled to be closed ASAP for overcoming of output buffer limits"));
}

#[test]
fn soft_limit_closes_only_after_its_seconds() {
    let srv = start_oxidis(&[]);
    let mut admin = srv.conn();
    admin.cmd(&[
        "config",
        "set",
        "client-output-buffer-limit",
        "pubsub 0 256kb 1",
    ]);
    let mut slow = srv.conn();
    sub(&mut slow, "subscribe", &["c"]);
    let payload = "y".repeat(64 * 1024);
    let mut publisher = srv.conn();
    // Enough to fill the socket buffers and pass the soft limit: still connected.
    for _ in 0..512 {
        assert_eq!(publisher.s(&["publish", "c", &payload]), ":1\r\n");
    }
    std::thread::sleep(Duration::from_millis(2100));
    // Still above the soft limit after its seconds: the next message closes it.
    publisher.cmd(&["publish", "c", &payload]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !publisher.s(&["pubsub", "numsub", "c"]).ends_with(":0\r\n") {
        assert!(Instant::now() < deadline, "subscriber still connected");
        std::thread::sleep(Duration::from_millis(20));
    }
}
