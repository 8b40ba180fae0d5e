//! Persistence commands: SAVE (blocking), BGSAVE [SCHEDULE] (forked child), LASTSAVE, and
//! DEBUG RELOAD's save-flush-load cycle. The machinery lives in `crate::persist`.
use crate::node::{fork, loading, persist};
use crate::persist::Failed;
use crate::resp::Reply;
use crate::server::command::{flags::*, Args, Command, BASE};
use crate::server::Ctx;
use crate::util::eq_ic;

const IN_PROGRESS: &str = "ERR Background save already in progress";

fn save(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    if ctx.srv.role.persist.child.is_some() {
        return Reply::err(IN_PROGRESS);
    }
    ctx.srv.role.persist.rdb_saves += 1;
    match persist::save_sync(ctx.srv) {
        Ok(()) => Reply::Ok,
        Err(Failed) => Reply::err("ERR"),
    }
}

fn bgsave(ctx: &mut Ctx, a: &mut Args) -> Reply {
    // SCHEDULE only matters when another kind of child (AOF rewrite) runs; there is none.
    if a.len() > 2 || (a.len() == 2 && !eq_ic(&a[1], "schedule")) {
        return Reply::syntax_error();
    }
    if ctx.srv.role.persist.child.is_some() {
        return Reply::err(IN_PROGRESS);
    }
    if ctx.client.no_block {
        // Inside EXEC: fork after the transaction, from the cron.
        ctx.srv.role.persist.bgsave_scheduled = true;
        return Reply::status("Background saving scheduled");
    }
    match fork::start(ctx.srv) {
        Ok(()) => Reply::status("Background saving started"),
        Err(Failed) => Reply::err("ERR"),
    }
}

fn lastsave(ctx: &mut Ctx, _a: &mut Args) -> Reply {
    Reply::Int(ctx.srv.role.persist.lastsave)
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), then replace the dataset
/// with the file's (NOFLUSH adds the file's keys to the current ones; a key present in both
/// is an error unless MERGE lets the file's version win).
pub fn debug_reload(ctx: &mut Ctx, a: &Args) -> Reply {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for opt in &a[2..] {
        if eq_ic(opt, "merge") {
            merge = true;
        } else if eq_ic(opt, "noflush") {
            flush = false;
        } else if eq_ic(opt, "nosave") {
            save = false;
        } else {
            return Reply::err(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            );
        }
    }
    if persist::is_loading(ctx.srv) {
        return Reply::err(crate::persist::LOADING_ERR);
    }
    if save && persist::save_sync(ctx.srv).is_err() {
        return Reply::err("ERR");
    }
    let cfg = &ctx.srv.config;
    let path = cfg.dir.join(&cfg.dbfilename);
    let t0 = std::time::Instant::now();
    let li = match crate::persist::loading::load_file(cfg, &path, None) {
        Ok(Some(li)) => li,
        Ok(None) => return Reply::err("ERR Error trying to load the RDB dump"),
        Err(e) => {
            log::warn!("{e}");
            return Reply::err("ERR Error trying to load the RDB dump");
        }
    };
    if flush {
        loading::install(ctx.srv, li, t0.elapsed().as_secs_f64());
    } else if !merge_into(ctx, li.keyspace, merge) {
        return Reply::err("ERR Error trying to load the RDB dump");
    }
    log::warn!("DB reloaded by DEBUG RELOAD");
    Reply::Ok
}

/// Add every key of `loaded` to the dataset; false (nothing changed) when a key exists in
/// both and `replace` is not set.
fn merge_into(ctx: &mut Ctx, loaded: crate::db::Keyspace, replace: bool) -> bool {
    let dbs = &mut ctx.srv.role.keyspace.dbs;
    if !replace {
        for (i, new) in loaded.dbs.iter().enumerate() {
            if let Some(cur) = dbs.get(i) {
                if new.dict.keys().any(|k| cur.dict.contains_key(k)) {
                    return false;
                }
            }
        }
    }
    for (i, new) in loaded.dbs.iter().enumerate() {
        let Some(cur) = dbs.get_mut(i) else { continue };
        for (k, e) in new.dict.iter() {
            cur.remove(k);
            let entry = crate::db::Entry {
                value: e.value.clone(),
                expire_at: e.expire_at,
                access: e.access,
            };
            cur.add_entry(k.to_vec(), entry);
        }
    }
    true
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "save",
        arity: 1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        acl: &["admin", "slow", "dangerous"],
        handler: save,
        ..BASE
    },
    Command {
        name: "bgsave",
        arity: -1,
        flags: ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        acl: &["admin", "slow", "dangerous"],
        handler: bgsave,
        ..BASE
    },
    Command {
        name: "lastsave",
        arity: 1,
        flags: LOADING | STALE | FAST,
        acl: &["admin", "fast", "dangerous"],
        handler: lastsave,
        ..BASE
    },
];
