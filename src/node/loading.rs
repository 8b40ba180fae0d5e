//! Installing a loaded dump: log what Redis logs about it, and replace the keyspace.
use crate::rdb::LoadInfo;
use crate::server::Server;
use log::info;

/// The value of AUX field `name`, as text.
fn aux<'a>(li: &'a LoadInfo, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    li.aux
        .iter()
        .find(|(k, _)| k == name.as_bytes())
        .map(|(_, v)| String::from_utf8_lossy(v))
}

/// Log what Redis logs about a loaded file and install its dataset.
pub fn install(srv: &mut Server, li: LoadInfo, secs: f64) {
    if let Some(v) = aux(&li, "redis-ver") {
        info!("Loading RDB produced by version {v}");
    }
    if let Some(ctime) = aux(&li, "ctime").and_then(|c| c.parse::<i64>().ok()) {
        let age = (crate::util::now_ms() / 1000 - ctime).max(0);
        info!("RDB age {age} seconds");
    }
    if let Some(mem) = aux(&li, "used-mem").and_then(|c| c.parse::<u64>().ok()) {
        info!(
            "RDB memory usage when created {:.2} Mb",
            mem as f64 / (1024.0 * 1024.0)
        );
    }
    info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        li.keys_loaded, li.expired_skipped
    );
    srv.role.persist.last_load_keys_loaded = li.keys_loaded;
    srv.role.persist.last_load_keys_expired = li.expired_skipped;
    srv.role.keyspace = li.keyspace;
    install_functions(srv, &li.functions);
    info!("DB loaded from disk: {secs:.3} seconds");
}

/// The dump's function libraries replace the node's (a library that does not load is logged
/// and left out, as the rest of the dataset still serves).
pub fn install_functions(srv: &mut Server, codes: &[Vec<u8>]) {
    srv.role.scripts.functions = None;
    if codes.is_empty() {
        return;
    }
    let mut f = match crate::lua::functions::Functions::new() {
        Ok(f) => f,
        Err(e) => {
            log::warn!("Function libraries not loaded: {e}");
            return;
        }
    };
    for c in codes {
        if let Err(e) = f.load(c, true) {
            log::warn!("Function library from the RDB file not loaded: {e}");
        }
    }
    srv.role.scripts.functions = Some(Box::new(f));
}
