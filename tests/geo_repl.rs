//! What replicas receive for the GEO commands, next to a real Redis master: GEOADD goes out as
//! the ZADD it ran (lowercase `zadd`, options as written, integer cell scores) and only when it
//! changed something; GEORADIUS ... STORE/STOREDIST and GEOSEARCHSTORE go out as called when
//! they wrote or deleted the destination; searches without STORE send nothing.
mod common;
mod repl_util;
use common::*;
use repl_util::{attach, read_until};

/// The commands of a stream (RESP arrays of bulk strings), without PING and SELECT.
fn commands(b: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(b);
    let mut lines = text.split("\r\n");
    let mut out = Vec::new();
    while let Some(l) = lines.next() {
        let Some(n) = l.strip_prefix('*').and_then(|n| n.parse::<usize>().ok()) else {
            continue;
        };
        let mut cmd = Vec::new();
        for _ in 0..n {
            lines.next(); // $len
            cmd.push(lines.next().unwrap_or_default().to_string());
        }
        let name = cmd
            .first()
            .map(|c| c.to_ascii_lowercase())
            .unwrap_or_default();
        if name != "ping" && name != "select" {
            out.push(cmd);
        }
    }
    out
}

const SEQ: &[&[&str]] = &[
    &[
        "GEOADD",
        "g",
        "Nx",
        "ch",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ],
    &["GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo"],
    &[
        "GEOADD", "g", "xx", "CH", "13.5", "38.1", "Palermo", "1", "1", "absent",
    ],
    &["GEOADD", "g", "200", "0", "bad"],
    &[
        "GEOADD",
        "g",
        "0",
        "0",
        "origin",
        "-180",
        "-85.05112878",
        "corner",
    ],
    &["GEORADIUS", "g", "15", "37", "200", "km"],
    &["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "dst"],
    &[
        "GEORADIUS",
        "g",
        "15",
        "37",
        "200",
        "km",
        "storedist",
        "dst2",
        "count",
        "1",
    ],
    &[
        "GEORADIUSBYMEMBER",
        "g",
        "Palermo",
        "10",
        "km",
        "STORE",
        "dst3",
    ],
    &[
        "GEOSEARCHSTORE",
        "dst4",
        "g",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
        "STOREDIST",
    ],
    &[
        "GEOSEARCHSTORE",
        "dst4",
        "g",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "1",
        "m",
    ],
    &[
        "GEOSEARCHSTORE",
        "dst4",
        "g",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "1",
        "m",
    ],
    &["GEORADIUS", "nokey", "15", "37", "1", "m", "STORE", "dst2"],
    &["GEORADIUS", "nokey", "15", "37", "1", "m", "STORE", "dst2"],
    &[
        "GEOSEARCH",
        "g",
        "FROMMEMBER",
        "Palermo",
        "BYBOX",
        "10",
        "10",
        "km",
    ],
    &["GEORADIUS_RO", "g", "15", "37", "200", "km"],
];

fn stream_of(p: &Proc) -> Vec<Vec<String>> {
    let mut r = attach(p.port);
    let mut c = p.conn();
    for cmd in SEQ {
        c.cmd(cmd);
    }
    c.cmd(&["SET", "after", "x"]);
    commands(&read_until(&mut r, b"after"))
}

#[test]
fn geo_commands_replicate_as_redis_does() {
    if !have_redis() {
        eprintln!("redis-server not installed: skipping");
        return;
    }
    let ox = stream_of(&start_oxidis(&[]));
    let rd = stream_of(&start_redis(&["--repl-diskless-sync", "no"]));
    assert_eq!(ox, rd);
    let first: Vec<&str> = ox[0].iter().map(|s| s.as_str()).collect();
    assert_eq!(
        first,
        [
            "zadd",
            "g",
            "Nx",
            "ch",
            "3479099956230698",
            "Palermo",
            "3479447370796909",
            "Catania"
        ]
    );
}
