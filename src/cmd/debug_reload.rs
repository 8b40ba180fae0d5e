//! DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: write the dataset to the RDB file and load it back
//! (Redis's test-suite hook for proving that every value survives a save/load round trip).
use crate::db::Keyspace;
use crate::rdb::{self, LoadOpts, SaveInfo};
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::{Ctx, Server};
use crate::util::eq_ic;
use std::io::Write;
use std::path::PathBuf;

const BAD_OPTION: &str = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
const LOAD_FAILED: &str = "ERR Error trying to load the RDB dump, check server logs.";

/// A config value the server keeps as text (hidden test knobs).
fn other_int(srv: &Server, name: &str) -> i64 {
    srv.config
        .other
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// What a save of this server writes into the AUX fields.
pub fn save_info(srv: &Server) -> SaveInfo {
    SaveInfo {
        ctime: srv.now_ms / 1000,
        used_mem: crate::alloc::used_memory() as u64,
        repl_id: String::new(),
        repl_offset: 0,
        repl_stream_db: -1,
        compress: srv.config.rdbcompression,
        checksum: srv.config.rdbchecksum,
        key_save_delay_us: other_int(srv, "rdb-key-save-delay"),
    }
}

fn rdb_path(srv: &Server) -> PathBuf {
    srv.config.dir.join(&srv.config.dbfilename)
}

/// Write the dataset to a temp file in `dir`, sync it, and rename it over the RDB file.
fn save_file(srv: &Server) -> std::io::Result<()> {
    let path = rdb_path(srv);
    let tmp = srv
        .config
        .dir
        .join(format!("temp-{}.rdb", std::process::id()));
    let res = (|| {
        let f = std::fs::File::create(&tmp)?;
        let out = std::io::BufWriter::with_capacity(1 << 16, f);
        let mut out = rdb::save::save_with(
            &srv.keyspace,
            out,
            &save_info(srv),
            srv.config.enc.list_max_listpack_size,
        )?;
        out.flush()?;
        out.get_ref().sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

fn load_file(srv: &Server) -> Result<Keyspace, rdb::RdbError> {
    let f = std::fs::File::open(rdb_path(srv))?;
    let opts = LoadOpts {
        databases: srv.keyspace.dbs.len(),
        lim: srv.config.enc,
        now: crate::util::now_ms(),
        drop_expired: true,
        key_load_delay_us: 0,
        progress: None,
    };
    Ok(rdb::load(std::io::BufReader::with_capacity(1 << 16, f), opts)?.keyspace)
}

pub fn reload(ctx: &mut Ctx, a: &Args) -> Reply {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for opt in &a[2..] {
        if eq_ic(opt, "merge") {
            merge = true;
        } else if eq_ic(opt, "noflush") {
            flush = false;
        } else if eq_ic(opt, "nosave") {
            save = false;
        } else {
            return Reply::err(BAD_OPTION);
        }
    }
    let srv = &mut *ctx.srv;
    if save {
        if let Err(e) = save_file(srv) {
            log::warn!("DEBUG RELOAD: failed saving the DB: {e}");
            return Reply::err("ERR");
        }
        srv.dirty = 0;
    }
    let loaded = match load_file(srv) {
        Ok(ks) => ks,
        Err(e) => {
            log::warn!("DEBUG RELOAD: {e}");
            return Reply::err(LOAD_FAILED);
        }
    };
    if flush {
        let next = srv.keyspace.expire_next_db;
        srv.keyspace = loaded;
        srv.keyspace.expire_next_db = next;
    } else {
        for (db, mut src) in srv.keyspace.dbs.iter_mut().zip(loaded.dbs) {
            let keys: Vec<Vec<u8>> = src.dict.keys().map(|k| k.to_vec()).collect();
            for k in keys {
                let Some(e) = src.remove(&k) else { continue };
                if db.dict.contains_key(&k) {
                    if !merge {
                        // Redis aborts on a duplicate key; this server refuses the rest.
                        log::warn!("DEBUG RELOAD: duplicate key in the RDB file without MERGE");
                        return Reply::err(LOAD_FAILED);
                    }
                    db.remove(&k);
                }
                db.add_entry(k, e);
            }
        }
    }
    log::warn!("DB reloaded by DEBUG RELOAD");
    Reply::Ok
}
