//! Everything that happens after the configuration is parsed, in Redis's order: logging and
//! supervision setup, daemonizing, the startup log lines, listening, the pidfile, readiness
//! notification, the event loop, and the clean shutdown sequence.
//!
//! The log lines' words match Redis 7.0, because log-based monitoring greps for them.
pub mod cli;

use crate::config::Config;
use crate::daemon::daemonize::{self, Forked, StartupPipe};
use crate::daemon::pidfile::{self, PidFile};
use crate::daemon::supervise::Supervisor;
use crate::daemon::{log as dlog, signals};
use crate::event_loop::{EventLoop, Serve};
use crate::sentinel::Sentinel;
use crate::server::{Server, Shutdown};
use crate::util::{OXIDIS_VERSION, REDIS_VERSION};
use log::{error, info, warn};

/// Run a server with `cfg` until it shuts down; returns the process exit code.
pub fn run(cfg: Config) -> i32 {
    signals::ignore_sighup();
    let mut sup = Supervisor::detect(cfg.supervised);
    // Redis prints `C` until the server structure is initialized (`X` throughout for sentinel).
    dlog::set_role(if cfg.sentinel_mode { 'X' } else { 'C' });
    dlog::init(&cfg.logfile, cfg.loglevel, sup.journald());
    sup.announce();

    // Fork before the event loop creates its poller and signal pipe.
    let background = cfg.daemonize && !sup.is_active();
    let mut startup: Option<StartupPipe> = None;
    if background {
        match daemonize::daemonize() {
            Ok(Forked::Parent(code)) => return code,
            Ok(Forked::Child(pipe)) => startup = Some(pipe),
            Err(e) => {
                error!("Can't daemonize: {e}");
                eprintln!("Can't daemonize: {e}");
                return 1;
            }
        }
    }

    log_starting(&cfg);
    let mut cfg = cfg;
    // The role is chosen here, once: a sentinel is its own small server.
    let sentinel = match crate::cmd::sentinel::prepare(&mut cfg) {
        Ok(s) => s,
        Err(msg) => {
            warn!("{msg}");
            if let Some(p) = startup {
                p.failed(&msg);
            }
            return 1;
        }
    };
    let pid_path = pidfile::path_for(&cfg.pidfile, background);
    match sentinel {
        Some(s) => run_sentinel(crate::cmd::sentinel::server(cfg, s), sup, startup, pid_path),
        None => run_node(cfg, sup, startup, pid_path),
    }
}

/// A data node: listen, load the dataset, serve.
fn run_node(
    cfg: Config,
    sup: Supervisor,
    mut startup: Option<StartupPipe>,
    pid_path: Option<std::path::PathBuf>,
) -> i32 {
    let mut srv = Server::new(cfg, crate::cmd::all_commands());
    dlog::set_role('M');
    crate::node::follow::start_from_config(&mut srv);
    if srv.role.replica.is_some() {
        dlog::set_role('S');
    }
    let Some(mut el) = listen(srv, &mut startup) else {
        return 1;
    };
    let pid_file = pid_path.map(|p| PidFile::create(&p));
    info!("Running mode=standalone, port={}.", el.srv.config.port);
    check_tcp_backlog(el.srv.config.tcp_backlog);
    warn!("Server initialized");
    if let Err(e) = load_data_from_disk(&mut el, pid_file.as_ref()) {
        let msg = format!("Fatal error loading the DB: {e}. Exiting.");
        warn!("{msg}");
        if let Some(p) = pid_file {
            p.remove();
        }
        if let Some(p) = startup {
            p.failed(&msg);
        }
        return 1;
    }
    info!("Ready to accept connections");
    let replica = el.srv.role.replica.is_some();
    started(&mut el, &sup, startup, replica);
    serve(el, &sup, pid_file, "Redis", final_save)
}

/// A sentinel: listen, announce its id and masters, serve. It has no dataset.
fn run_sentinel(
    srv: Server<Sentinel>,
    sup: Supervisor,
    mut startup: Option<StartupPipe>,
    pid_path: Option<std::path::PathBuf>,
) -> i32 {
    let Some(mut el) = listen(srv, &mut startup) else {
        return 1;
    };
    let pid_file = pid_path.map(|p| PidFile::create(&p));
    info!("Running mode=sentinel, port={}.", el.srv.config.port);
    check_tcp_backlog(el.srv.config.tcp_backlog);
    crate::cmd::sentinel::is_running(&mut el.srv);
    started(&mut el, &sup, startup, false);
    // Nothing to save at shutdown: its config was saved at every change.
    serve(el, &sup, pid_file, "Sentinel", |_, _| Ok(()))
}

/// The event loop for `srv`, listening; `None` when it cannot listen (logged, and told to a
/// daemonizing launcher).
fn listen<R: Serve>(srv: Server<R>, startup: &mut Option<StartupPipe>) -> Option<EventLoop<R>> {
    match EventLoop::new(srv) {
        Ok(el) => Some(el),
        Err(e) => {
            let msg = e.to_string();
            error!("{msg}");
            if let Some(p) = startup.take() {
                p.failed(&msg);
            }
            None
        }
    }
}

/// Tell the supervisor and a daemonizing launcher that the server is up (`replica`: still to
/// sync with its master).
fn started<R: Serve>(
    el: &mut EventLoop<R>,
    sup: &Supervisor,
    startup: Option<StartupPipe>,
    replica: bool,
) {
    sup.ready(replica);
    el.status_notifier = sup.notifier();
    if let Some(p) = startup {
        p.succeeded();
    }
}

/// The lines logged right after loading the configuration (where Redis logs its banner):
/// oxidis names itself, then "Configuration loaded" in Redis's words.
fn log_starting(cfg: &Config) {
    warn!(
        "oxidis {OXIDIS_VERSION} (Redis {REDIS_VERSION} compatible), bits={}, pid={}, just started",
        usize::BITS,
        std::process::id()
    );
    if cfg.file.is_none() && std::env::args_os().len() <= 1 {
        let argv0 = std::env::args().next().unwrap_or_else(|| "oxidis".into());
        warn!("Warning: no config file specified, using the default config. To use a config file, start {argv0} /path/to/oxidis.conf");
    } else {
        warn!("Configuration loaded");
    }
}

/// Warn when the kernel will silently cap the listen backlog below `tcp-backlog`.
fn check_tcp_backlog(backlog: i32) {
    const SOMAXCONN: &str = "/proc/sys/net/core/somaxconn";
    let Ok(s) = std::fs::read_to_string(SOMAXCONN) else {
        return;
    };
    if let Ok(max) = s.trim().parse::<i32>() {
        if max < backlog {
            warn!("WARNING: The TCP backlog setting of {backlog} cannot be enforced because {SOMAXCONN} is set to the lower value of {max}.");
        }
    }
}

/// Load `dir/dbfilename` before announcing readiness, answering clients with -LOADING
/// meanwhile. An error stops the server (exit 1; a daemonizing launcher prints it).
fn load_data_from_disk(el: &mut EventLoop, pid_file: Option<&PidFile>) -> Result<(), String> {
    crate::event_loop::loading::load_at_start(el, pid_file.map(|p| p.path()))
}

/// The final save, run after STOPPING=1 and before the pidfile goes. `mode` says whether
/// SHUTDOWN asked for SAVE/NOSAVE (SIGTERM and plain SHUTDOWN give `Default`: save if save
/// points are configured). Returning `Err(status)` cancels the shutdown: the server keeps
/// running and the supervisor is told so.
fn final_save(el: &mut EventLoop, mode: Shutdown) -> Result<(), String> {
    crate::node::persist::final_save(&mut el.srv, mode)
}

/// A SHUTDOWN that failed replies an error to its caller, as Redis does.
fn tell_shutdown_failed<R>(srv: &mut Server<R>) {
    let Some(t) = srv.shutdown_client.take() else {
        return;
    };
    if let Some(c) = srv.clients.get_mut(t) {
        c.reply(&crate::resp::Reply::err(
            "ERR Errors trying to SHUTDOWN. Check logs.",
        ));
        if !c.pending_write {
            c.pending_write = true;
            srv.pending_writes.push(t);
        }
    }
}

/// Run the event loop until a shutdown succeeds; returns the exit code. Before exiting,
/// `final_save` runs (Redis's prepareForShutdown); its error cancels the shutdown. `who` names
/// the server in the last log line.
fn serve<R: Serve>(
    mut el: EventLoop<R>,
    sup: &Supervisor,
    pid_file: Option<PidFile>,
    who: &str,
    mut final_save: impl FnMut(&mut EventLoop<R>, Shutdown) -> Result<(), String>,
) -> i32 {
    loop {
        let mode = match el.run() {
            Ok(mode) => mode,
            Err(e) => {
                error!("event loop failed: {e}");
                return 1;
            }
        };
        warn!("User requested shutdown...");
        sup.stopping();
        match final_save(&mut el, mode) {
            Ok(()) => break,
            Err(status) => {
                warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                sup.shutdown_cancelled(&status);
                el.srv.shutdown = None;
                tell_shutdown_failed(&mut el.srv);
            }
        }
    }
    if let Some(p) = pid_file {
        p.remove();
    }
    warn!("{who} is now ready to exit, bye bye...");
    0
}
