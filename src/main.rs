//! `oxidis [CONFIG_FILE] [--directive value ...]`: argv → Config → daemon setup → event loop.
use oxidis::config::Config;
use oxidis::event_loop::EventLoop;
use oxidis::server::Server;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    oxidis::daemon::log::init();
    let srv = Server::new(cfg);
    let mut el = match EventLoop::new(srv) {
        Ok(el) => el,
        Err(e) => {
            log::error!("{e}");
            std::process::exit(1);
        }
    };
    log::info!("Ready to accept connections");
    match el.run() {
        Ok(_) => log::info!("Redis is now ready to exit, bye bye..."),
        Err(e) => {
            log::error!("event loop failed: {e}");
            std::process::exit(1);
        }
    }
}
