//! Everything that happens after the configuration is parsed: logging, daemonizing, pidfile,
//! listening, readiness notification, the event loop, and the clean shutdown sequence.
use crate::config::Config;
use crate::event_loop::EventLoop;
use crate::server::Server;

/// Run a server with `cfg` until it shuts down; returns the process exit code.
pub fn run(cfg: Config) -> i32 {
    crate::daemon::log::init();
    let srv = Server::new(cfg);
    let mut el = match EventLoop::new(srv) {
        Ok(el) => el,
        Err(e) => {
            log::error!("{e}");
            return 1;
        }
    };
    log::info!("Ready to accept connections");
    match el.run() {
        Ok(_) => {
            log::info!("Redis is now ready to exit, bye bye...");
            0
        }
        Err(e) => {
            log::error!("event loop failed: {e}");
            1
        }
    }
}
