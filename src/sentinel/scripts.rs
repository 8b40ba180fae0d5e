//! The queue of user scripts (notification-script, client-reconfig-script) and its policy, as
//! Redis 7.0 runs them: at most 256 jobs queued (the oldest job not running is dropped when a
//! new one would exceed that), at most 16 running, each killed after the maximum runtime, and a
//! job that exits with status 1 or dies from a signal run again after a doubling delay, up to 10
//! attempts. It starts no process: the core asks it which jobs to start or kill and tells it
//! which children exited; the driver owns the processes. SENTINEL PENDING-SCRIPTS and INFO read
//! it.
use super::core::{Action, Level, Sentinel};
use std::collections::VecDeque;

/// Jobs kept at most (Redis's SENTINEL_SCRIPT_MAX_QUEUE).
pub const MAX_QUEUE: usize = 256;
/// Jobs running at once (SENTINEL_SCRIPT_MAX_RUNNING).
pub const MAX_RUNNING: usize = 16;
/// Attempts per job, the first one included (SENTINEL_SCRIPT_MAX_RETRY).
pub const MAX_RETRY: u32 = 10;

/// One script execution job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Identifies the job before it has a pid.
    pub id: u64,
    /// Script path then its arguments.
    pub argv: Vec<String>,
    pub running: bool,
    /// Child pid while running (0 until the driver reports it, and when not running).
    pub pid: u32,
    /// When running: when it started. Otherwise 0 (may start now) or the time before which it
    /// must not start again (a retry).
    pub start_time: i64,
    /// Attempts so far.
    pub retry_num: u32,
}

/// What became of a job whose child exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exited {
    /// No job has this pid.
    Unknown,
    /// Exit status 0: the job is gone.
    Done,
    /// Status 1 or a signal, attempts left: runs again at this time.
    Retry { at: i64 },
    /// Given up (status ≥ 2, or no attempt left): Redis's `-script-error <path> <signal>
    /// <status>` event text.
    Error(String),
}

/// The queue, oldest job first.
#[derive(Debug, Default)]
pub struct Scripts {
    jobs: VecDeque<Job>,
    next_id: u64,
}

/// Delay before attempt `retry_num + 1`: the base delay doubled for each attempt after the first
/// (30 s, 60 s, 2 min... with the default base).
pub fn retry_delay(base: i64, retry_num: u32) -> i64 {
    let doublings = retry_num.saturating_sub(1).min(40);
    base.saturating_mul(1i64 << doublings)
}

impl Scripts {
    /// Queue `argv` (path first) to run as soon as a slot is free. Returns the job dropped to
    /// keep the queue within `MAX_QUEUE`, if any (Redis drops it silently).
    pub fn schedule(&mut self, argv: Vec<String>) -> Option<Job> {
        self.next_id += 1;
        self.jobs.push_back(Job {
            id: self.next_id,
            argv,
            running: false,
            pid: 0,
            start_time: 0,
            retry_num: 0,
        });
        if self.jobs.len() <= MAX_QUEUE {
            return None;
        }
        let oldest = self.jobs.iter().position(|j| !j.running)?;
        self.jobs.remove(oldest)
    }

    /// Jobs to start now, oldest first, within `MAX_RUNNING`: each is marked running (pid still
    /// 0) with its attempt counted. Returns (job id, argv).
    pub fn start_due(&mut self, now: i64) -> Vec<(u64, Vec<String>)> {
        let mut running = self.running();
        let mut out = Vec::new();
        for j in self.jobs.iter_mut() {
            if running >= MAX_RUNNING {
                break;
            }
            if j.running || (j.start_time != 0 && j.start_time > now) {
                continue;
            }
            j.running = true;
            j.start_time = now;
            j.retry_num += 1;
            running += 1;
            out.push((j.id, j.argv.clone()));
        }
        out
    }

    /// The driver started job `id` as process `pid`.
    pub fn started(&mut self, id: u64, pid: u32) {
        if let Some(j) = self.jobs.iter_mut().find(|j| j.id == id) {
            j.pid = pid;
        }
    }

    /// The driver could not start job `id` (the program cannot be executed): as Redis's child
    /// exiting with status 2 after a failed exec, the job is not retried. Returns the
    /// `-script-error` text.
    pub fn start_failed(&mut self, id: u64) -> Option<String> {
        let pos = self.jobs.iter().position(|j| j.id == id)?;
        let j = self.jobs.remove(pos)?;
        Some(error_text(&j, 0, 2))
    }

    /// Child `pid` exited with `status` (0 when killed) or was killed by `signal` (0 when it
    /// exited). `retry_base` is SCRIPT-RETRY-DELAY.
    pub fn exited(
        &mut self,
        pid: u32,
        status: i32,
        signal: i32,
        now: i64,
        retry_base: i64,
    ) -> Exited {
        let Some(pos) = self
            .jobs
            .iter()
            .position(|j| j.running && j.pid == pid && pid != 0)
        else {
            return Exited::Unknown;
        };
        let retryable = signal != 0 || status == 1;
        let j = &mut self.jobs[pos];
        if retryable && j.retry_num < MAX_RETRY {
            j.running = false;
            j.pid = 0;
            j.start_time = now + retry_delay(retry_base, j.retry_num);
            return Exited::Retry { at: j.start_time };
        }
        let Some(j) = self.jobs.remove(pos) else {
            return Exited::Unknown;
        };
        if signal != 0 || status != 0 {
            Exited::Error(error_text(&j, signal, status))
        } else {
            Exited::Done
        }
    }

    /// Running jobs older than `max_runtime`: (path, pid) to kill (Redis sends SIGKILL at every
    /// timer run until the child is reaped).
    pub fn timed_out(&self, now: i64, max_runtime: i64) -> Vec<(String, u32)> {
        self.jobs
            .iter()
            .filter(|j| j.running && j.pid != 0 && now - j.start_time > max_runtime)
            .map(|j| (j.argv.first().cloned().unwrap_or_default(), j.pid))
            .collect()
    }

    /// Jobs running now (INFO `sentinel_running_scripts`).
    pub fn running(&self) -> usize {
        self.jobs.iter().filter(|j| j.running).count()
    }

    /// Jobs queued, running ones included (INFO `sentinel_scripts_queue_length`).
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Every job, oldest first (SENTINEL PENDING-SCRIPTS).
    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }
}

fn error_text(j: &Job, signal: i32, status: i32) -> String {
    let path = j.argv.first().map_or("", String::as_str);
    format!("{path} {signal} {status}")
}

/// The core's side: scheduling from events, starting and killing at each timer run, and the
/// driver's reports about children (Redis's sentinelRunPendingScripts,
/// sentinelCollectTerminatedScripts and sentinelKillTimedoutScripts).
impl Sentinel {
    /// Queue a script run (`argv[0]` is the script).
    pub(crate) fn schedule_script(&mut self, argv: Vec<String>) {
        self.scripts.schedule(argv);
    }

    /// Each timer run: start the jobs that are due, kill the ones running too long.
    pub(crate) fn script_timer(&mut self, now: i64) {
        for (job, argv) in self.scripts.start_due(now) {
            self.push(Action::StartScript { job, argv });
        }
        for (path, pid) in self.scripts.timed_out(now, self.timers.script_max_runtime) {
            self.event(
                None,
                Level::Warning,
                "-script-timeout",
                format!("{path} {pid}"),
            );
            self.push(Action::KillScript { pid });
        }
    }

    pub(crate) fn script_started(&mut self, job: u64, pid: u32) {
        self.scripts.started(job, pid);
        self.event(None, Level::Debug, "+script-child", pid.to_string());
    }

    pub(crate) fn script_start_failed(&mut self, job: u64) {
        if let Some(text) = self.scripts.start_failed(job) {
            self.event(None, Level::Warning, "-script-error", text);
        }
    }

    pub(crate) fn script_exited(&mut self, pid: u32, status: i32, signal: i32, now: i64) {
        self.event(
            None,
            Level::Debug,
            "-script-child",
            format!("{pid} {status} {signal}"),
        );
        let retry_base = self.timers.script_retry_delay;
        if let Exited::Error(text) = self.scripts.exited(pid, status, signal, now, retry_base) {
            self.event(None, Level::Warning, "-script-error", text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(n: usize) -> Vec<String> {
        vec!["/bin/notify".into(), format!("ev{n}")]
    }

    /// Start everything due and give each started job pid 1000 + id.
    fn start(q: &mut Scripts, now: i64) -> Vec<u32> {
        q.start_due(now)
            .into_iter()
            .map(|(id, _)| {
                let pid = 1000 + id as u32;
                q.started(id, pid);
                pid
            })
            .collect()
    }

    #[test]
    fn status_zero_removes_the_job() {
        let mut q = Scripts::default();
        q.schedule(argv(1));
        let pids = start(&mut q, 100);
        assert_eq!(pids.len(), 1);
        assert_eq!((q.running(), q.len()), (1, 1));
        assert_eq!(q.exited(pids[0], 0, 0, 200, 30_000), Exited::Done);
        assert!(q.is_empty());
        assert_eq!(q.exited(pids[0], 0, 0, 200, 30_000), Exited::Unknown);
    }

    #[test]
    fn status_one_retries_with_doubling_delay_then_gives_up() {
        let mut q = Scripts::default();
        q.schedule(argv(1));
        let mut now = 1000;
        let mut delays = Vec::new();
        for attempt in 1..=MAX_RETRY {
            let pids = start(&mut q, now);
            assert_eq!(pids.len(), 1, "attempt {attempt}");
            let j = q.jobs().next().unwrap();
            assert_eq!((j.retry_num, j.running), (attempt, true));
            match q.exited(pids[0], 1, 0, now + 10, 100) {
                Exited::Retry { at } => {
                    delays.push(at - (now + 10));
                    // Not before its time.
                    assert!(q.start_due(at - 1).is_empty());
                    let j = q.jobs().next().unwrap();
                    assert_eq!((j.running, j.pid, j.start_time), (false, 0, at));
                    now = at;
                }
                Exited::Error(e) => {
                    assert_eq!(attempt, MAX_RETRY);
                    assert_eq!(e, "/bin/notify 0 1");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600]);
        assert!(q.is_empty());
    }

    #[test]
    fn status_two_is_not_retried_signal_is() {
        let mut q = Scripts::default();
        q.schedule(argv(1));
        q.schedule(argv(2));
        let pids = start(&mut q, 0);
        assert_eq!(
            q.exited(pids[0], 2, 0, 5, 30_000),
            Exited::Error("/bin/notify 0 2".into())
        );
        assert_eq!(
            q.exited(pids[1], 0, 9, 5, 30_000),
            Exited::Retry { at: 30_005 }
        );
        assert_eq!((q.len(), q.running()), (1, 0));
        assert_eq!(q.jobs().next().unwrap().argv, argv(2));
    }

    #[test]
    fn start_failure_is_an_error_not_retried() {
        let mut q = Scripts::default();
        q.schedule(argv(1));
        let started = q.start_due(0);
        assert_eq!(q.start_failed(started[0].0), Some("/bin/notify 0 2".into()));
        assert!(q.is_empty());
    }

    #[test]
    fn at_most_sixteen_running_oldest_first() {
        let mut q = Scripts::default();
        for n in 0..20 {
            q.schedule(argv(n));
        }
        let first = q.start_due(0);
        assert_eq!(first.len(), MAX_RUNNING);
        assert_eq!(first[0].1, argv(0));
        assert_eq!(first[15].1, argv(15));
        for (id, _) in &first {
            q.started(*id, 1000 + *id as u32);
        }
        assert!(q.start_due(1).is_empty());
        assert_eq!(
            q.exited(1000 + first[3].0 as u32, 0, 0, 2, 30_000),
            Exited::Done
        );
        let next = q.start_due(3);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].1, argv(16));
        assert_eq!((q.running(), q.len()), (16, 19));
    }

    #[test]
    fn full_queue_drops_the_oldest_not_running() {
        let mut q = Scripts::default();
        for n in 0..MAX_QUEUE {
            assert_eq!(q.schedule(argv(n)), None);
        }
        // Jobs 0..16 run; the oldest waiting one is 16.
        start(&mut q, 0);
        let dropped = q.schedule(argv(999)).unwrap();
        assert_eq!(dropped.argv, argv(16));
        assert_eq!(q.len(), MAX_QUEUE);
        assert_eq!(q.jobs().last().unwrap().argv, argv(999));
        assert_eq!(q.running(), MAX_RUNNING);
    }

    #[test]
    fn timed_out_lists_only_old_running_jobs() {
        let mut q = Scripts::default();
        q.schedule(argv(1));
        q.schedule(argv(2));
        let a = start(&mut q, 0);
        q.exited(a[1], 1, 0, 10, 30_000);
        assert!(q.timed_out(60_000, 60_000).is_empty());
        assert_eq!(
            q.timed_out(60_001, 60_000),
            vec![("/bin/notify".to_string(), a[0])]
        );
    }

    #[test]
    fn retry_delay_doubles() {
        assert_eq!(retry_delay(30_000, 1), 30_000);
        assert_eq!(retry_delay(30_000, 2), 60_000);
        assert_eq!(retry_delay(30_000, 9), 30_000 * 256);
        assert_eq!(retry_delay(30_000, 0), 30_000);
    }

    /// Through the core: actions out, driver reports in, events as Redis names them.
    #[test]
    fn core_starts_retries_kills_and_reports() {
        use crate::sentinel::{Action, Event, Sentinel, XorShift};
        let mut s = Sentinel::new("a".repeat(40), 26379);
        let mut rng = XorShift(1);
        s.timers.script_retry_delay = 200;
        s.timers.script_max_runtime = 1000;
        let path = "/bin/notify".to_string();
        s.schedule_script(vec![
            path.clone(),
            "+sdown".into(),
            "master m 1.2.3.4 5".into(),
        ]);
        let tick = |s: &mut Sentinel, rng: &mut XorShift, now: i64| {
            s.handle(Event::Tick, now, rng);
            s.take_actions()
        };
        let starts = |acts: &[Action]| -> Vec<u64> {
            acts.iter()
                .filter_map(|a| match a {
                    Action::StartScript { job, argv } => {
                        assert_eq!(argv[1], "+sdown");
                        Some(*job)
                    }
                    _ => None,
                })
                .collect()
        };
        let emitted = |acts: &[Action], name: &str| -> Vec<String> {
            acts.iter()
                .filter_map(|a| match a {
                    Action::Emit { name: n, text, .. } if n == name => Some(text.clone()),
                    _ => None,
                })
                .collect()
        };
        let job = starts(&tick(&mut s, &mut rng, 1000))[0];
        s.handle(Event::ScriptStarted { job, pid: 42 }, 1000, &mut rng);
        assert_eq!(emitted(&s.take_actions(), "+script-child"), ["42"]);
        assert_eq!((s.scripts.running(), s.scripts.len()), (1, 1));
        // Exit 1: retried 200 ms later, not before.
        let exit = |pid, status, signal| Event::ScriptExited {
            pid,
            status,
            signal,
        };
        s.handle(exit(42, 1, 0), 1050, &mut rng);
        let acts = s.take_actions();
        assert_eq!(emitted(&acts, "-script-child"), ["42 1 0"]);
        assert!(emitted(&acts, "-script-error").is_empty());
        assert_eq!((s.scripts.running(), s.scripts.len()), (0, 1));
        assert!(starts(&tick(&mut s, &mut rng, 1249)).is_empty());
        let job = starts(&tick(&mut s, &mut rng, 1250))[0];
        s.handle(Event::ScriptStarted { job, pid: 43 }, 1250, &mut rng);
        s.take_actions();
        // Too long: -script-timeout and SIGKILL; the signal makes it a retry (delay doubled).
        let acts = tick(&mut s, &mut rng, 2251);
        assert_eq!(emitted(&acts, "-script-timeout"), ["/bin/notify 43"]);
        assert!(acts.contains(&Action::KillScript { pid: 43 }));
        s.handle(exit(43, 0, 9), 2260, &mut rng);
        assert!(emitted(&s.take_actions(), "-script-error").is_empty());
        assert!(starts(&tick(&mut s, &mut rng, 2659)).is_empty());
        let job = starts(&tick(&mut s, &mut rng, 2660))[0];
        s.handle(Event::ScriptStarted { job, pid: 44 }, 2660, &mut rng);
        // Exit 2: not retried, reported.
        s.handle(exit(44, 2, 0), 2700, &mut rng);
        let acts = s.take_actions();
        assert_eq!(emitted(&acts, "-script-error"), ["/bin/notify 0 2"]);
        assert!(s.scripts.is_empty());
        assert!(starts(&tick(&mut s, &mut rng, 100_000)).is_empty());
    }
}
