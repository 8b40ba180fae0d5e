//! XDEL and XSETID: deleting entries, moving a stream's ids and counters.
use super::{strict_id, typed};
use crate::cmd::args;
use crate::db::stream::StreamId;
use crate::db::Stream;
use crate::resp::Reply;
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;
use crate::util::eq_ic;

pub fn xdel(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let Some(s) = tri!(typed::write::<Box<Stream>>(ctx, &a[1])) else {
        return Reply::Int(0);
    };
    let mut ids = Vec::with_capacity(a.len() - 2);
    for x in &a[2..] {
        ids.push(tri!(strict_id(x, 0)));
    }
    let mut deleted = 0;
    for id in ids {
        if s.delete(id) {
            deleted += 1;
        }
    }
    if deleted > 0 {
        s.refresh_first_id();
    }
    ctx.dirty(deleted);
    Reply::Int(deleted as i64)
}

pub fn xsetid(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let id = tri!(strict_id(&a[2], 0));
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < a.len() {
        let more = a.len() - 1 - i;
        if eq_ic(&a[i], "entriesadded") && more > 0 {
            entries_added = tri!(args::int(&a[i + 1]));
            if entries_added < 0 {
                return Reply::err("ERR entries_added must be positive");
            }
        } else if eq_ic(&a[i], "maxdeletedid") && more > 0 {
            max_xdel = tri!(strict_id(&a[i + 1], 0));
            if id < max_xdel {
                return Reply::err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
            }
        } else {
            return Reply::syntax_error();
        }
        i += 2;
    }
    let Some(s) = tri!(typed::write::<Box<Stream>>(ctx, &a[1])) else {
        return Reply::no_such_key();
    };
    if s.length > 0 {
        let top = s.edge(true).unwrap_or(StreamId::MIN);
        if id < top {
            return Reply::err(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            );
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return Reply::err(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            );
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if max_xdel != StreamId::MIN {
        s.max_deleted = max_xdel;
    }
    ctx.dirty(1);
    Reply::Ok
}
