//! Parser for the differential-test scripts: redis-cli-like lines (one command per line, split
//! with redis-cli's quoting rules) plus `@` directives for pipelines, raw bytes, sleeps and the
//! way a reply is compared.

/// How two replies to the same step are compared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compare {
    /// Sort arrays whose elements are all scalars (and map entries, and RESP3 sets).
    pub unordered: bool,
    /// Treat a flat top-level array as name/value pairs and sort the pairs.
    pub pairs: bool,
    /// Compare only types and lengths, not scalar contents.
    pub shape: bool,
    /// Ignore the value of integer replies (e.g. client ids in HELLO).
    pub noint: bool,
    /// Both replies must be integers within this inclusive range (instead of equal bytes).
    pub between: Option<(i64, i64)>,
}

/// One command with its comparison mode.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub args: Vec<Vec<u8>>,
    pub cmp: Compare,
}

#[derive(Debug, Clone)]
pub enum Step {
    /// Send one command, read one reply.
    One(Cmd),
    /// Send all commands in a single write, then read all replies.
    Pipeline(Vec<Cmd>),
    /// Send raw bytes and read this many replies.
    Raw(usize, Vec<u8>),
    /// Send raw bytes and read everything until the server closes; then reconnect.
    RawClose(Vec<u8>),
    Sleep(u64),
    /// Drop the connection and open a fresh one (per-connection state resets).
    Reconnect,
}

/// A parsed script: its steps, and the extra server arguments if it asked for servers of its own.
#[derive(Debug, Clone)]
pub struct Script {
    pub server_args: Option<Vec<String>>,
    pub lines: Vec<Line>,
}

/// A step with the 1-based line it came from.
#[derive(Debug, Clone)]
pub struct Line {
    pub no: usize,
    pub step: Step,
}

/// Split a line the way redis-cli does (the server's own `sdssplitargs` rules): whitespace
/// separates arguments; "double quotes" allow `\xHH` and backslash escapes; 'single quotes'
/// allow only `\'`. None on unbalanced quotes.
pub fn split(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    oxidis::util::split_args(line)
}

fn replace_i(arg: &[u8], i: usize) -> Vec<u8> {
    let pat = b"{i}";
    let rep = i.to_string().into_bytes();
    let mut out = Vec::with_capacity(arg.len());
    let mut k = 0;
    while k < arg.len() {
        if arg[k..].starts_with(pat) {
            out.extend_from_slice(&rep);
            k += pat.len();
        } else {
            out.push(arg[k]);
            k += 1;
        }
    }
    out
}

/// An argument written `{big:N:chunk}` becomes `chunk` repeated up to exactly N bytes, for
/// values too large to write out (they exercise partial reads and writes).
fn expand_big(arg: &[u8]) -> Result<Vec<u8>, String> {
    let Some(body) = arg
        .strip_prefix(b"{big:")
        .and_then(|a| a.strip_suffix(b"}"))
    else {
        return Ok(arg.to_vec());
    };
    let text = String::from_utf8_lossy(body);
    let (n, chunk) = text.split_once(':').ok_or("{big:N:chunk}")?;
    let n: usize = n.parse().map_err(|_| "{big:N:chunk} needs a number")?;
    if chunk.is_empty() {
        return Err("{big:N:chunk} needs a chunk".into());
    }
    Ok(chunk.bytes().cycle().take(n).collect())
}

fn err(name: &str, no: usize, msg: &str) -> String {
    format!("{name}:{no}: {msg}")
}

/// Parse the comparison prefixes and the command of one line; `@repeat N` expands to N
/// commands with `{i}` (0-based) substituted in every argument.
fn parse_cmds(name: &str, no: usize, text: &str) -> Result<Vec<Cmd>, String> {
    let mut cmp = Compare::default();
    let mut repeat: Option<usize> = None;
    let mut rest = text.trim();
    while let Some(r) = rest.strip_prefix('@') {
        let (word, tail) = r.split_once(char::is_whitespace).unwrap_or((r, ""));
        let tail = tail.trim_start();
        match word {
            "unordered" => cmp.unordered = true,
            "pairs" => cmp.pairs = true,
            "shape" => cmp.shape = true,
            "noint" => cmp.noint = true,
            "between" | "repeat" => {
                let mut it = tail.splitn(3, char::is_whitespace);
                let a = it.next().unwrap_or("");
                if word == "repeat" {
                    let n = a
                        .parse()
                        .map_err(|_| err(name, no, "@repeat needs a count"))?;
                    repeat = Some(n);
                    rest = tail[a.len()..].trim_start();
                    continue;
                }
                let b = it.next().unwrap_or("");
                let lo = a.parse().map_err(|_| err(name, no, "@between LO HI"))?;
                let hi = b.parse().map_err(|_| err(name, no, "@between LO HI"))?;
                cmp.between = Some((lo, hi));
                rest = it.next().unwrap_or("").trim_start();
                continue;
            }
            _ => return Err(err(name, no, &format!("unknown modifier @{word}"))),
        }
        rest = tail;
    }
    let args = split(rest.as_bytes()).ok_or_else(|| err(name, no, "unbalanced quotes"))?;
    let args = args
        .into_iter()
        .map(|a| expand_big(&a).map_err(|e| err(name, no, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    if args.is_empty() {
        return Err(err(name, no, "empty command"));
    }
    Ok(match repeat {
        None => vec![Cmd { args, cmp }],
        Some(n) => (0..n)
            .map(|i| Cmd {
                args: args.iter().map(|a| replace_i(a, i)).collect(),
                cmp: cmp.clone(),
            })
            .collect(),
    })
}

fn one_quoted(name: &str, no: usize, text: &str) -> Result<Vec<u8>, String> {
    let mut v = split(text.as_bytes()).ok_or_else(|| err(name, no, "unbalanced quotes"))?;
    if v.len() != 1 {
        return Err(err(name, no, "expected one quoted argument"));
    }
    Ok(v.remove(0))
}

/// Parse a whole script. Syntax:
/// - blank lines and lines starting with `#` are ignored;
/// - `CMD arg ...` sends one command; it may be prefixed by modifiers `@unordered`, `@pairs`,
///   `@shape`, `@noint`, `@between LO HI` and by `@repeat N` (expands to N commands, `{i}`
///   replaced by 0..N-1); an argument `{big:N:chunk}` is `chunk` repeated to N bytes;
/// - `@pipeline` ... `@end` sends the enclosed commands in one write, then reads every reply;
/// - `@raw N "bytes"` sends raw bytes and reads N replies; `@raw-close "bytes"` reads until the
///   server closes the connection, then reconnects;
/// - `@sleep MS`, `@reconnect`;
/// - `@server [--directive value ...]` before any other step: run this script on a fresh pair of
///   servers started with these extra arguments (for config-dependent or state-leaking tests).
pub fn parse(name: &str, text: &str) -> Result<Script, String> {
    let mut out = Vec::new();
    let mut server_args = None;
    let mut pipe: Option<(usize, Vec<Cmd>)> = None;
    for (i, raw) in text.lines().enumerate() {
        let no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, tail) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let tail = tail.trim();
        match word {
            "@pipeline" => {
                if pipe.is_some() {
                    return Err(err(name, no, "nested @pipeline"));
                }
                pipe = Some((no, Vec::new()));
            }
            "@end" => match pipe.take() {
                Some((start, cmds)) => out.push(Line {
                    no: start,
                    step: Step::Pipeline(cmds),
                }),
                None => return Err(err(name, no, "@end without @pipeline")),
            },
            "@server" => {
                if !out.is_empty() || pipe.is_some() || server_args.is_some() {
                    return Err(err(name, no, "@server must come first, once"));
                }
                let args = split(tail.as_bytes()).ok_or_else(|| err(name, no, "bad @server"))?;
                let args = args
                    .into_iter()
                    .map(|a| String::from_utf8_lossy(&a).into_owned())
                    .collect();
                server_args = Some(args);
            }
            "@raw" | "@raw-close" | "@sleep" | "@reconnect" if pipe.is_some() => {
                return Err(err(name, no, &format!("{word} inside @pipeline")))
            }
            "@raw" => {
                let (n, bytes) = tail
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| err(name, no, "@raw N \"bytes\""))?;
                let n = n.parse().map_err(|_| err(name, no, "@raw N \"bytes\""))?;
                let step = Step::Raw(n, one_quoted(name, no, bytes)?);
                out.push(Line { no, step });
            }
            "@raw-close" => {
                let step = Step::RawClose(one_quoted(name, no, tail)?);
                out.push(Line { no, step });
            }
            "@sleep" => {
                let ms = tail.parse().map_err(|_| err(name, no, "@sleep MS"))?;
                out.push(Line {
                    no,
                    step: Step::Sleep(ms),
                });
            }
            "@reconnect" => out.push(Line {
                no,
                step: Step::Reconnect,
            }),
            _ => {
                let cmds = parse_cmds(name, no, line)?;
                match pipe.as_mut() {
                    Some((_, v)) => v.extend(cmds),
                    None => out.extend(cmds.into_iter().map(|c| Line {
                        no,
                        step: Step::One(c),
                    })),
                }
            }
        }
    }
    if pipe.is_some() {
        return Err(err(name, 0, "@pipeline without @end"));
    }
    Ok(Script {
        server_args,
        lines: out,
    })
}
