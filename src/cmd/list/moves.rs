//! Moving an element from one list to another: LMOVE and RPOPLPUSH, and their blocking forms
//! BLMOVE and BRPOPLPUSH, which wait on the source key while it is missing.
use super::{drop_if_empty, parse_end};
use crate::cmd::typed;
use crate::db::list::{End, List};
use crate::resp::Reply;
use crate::server::blocking::{self, Awaits};
use crate::server::command::Args;
use crate::server::Ctx;
use crate::tri;

/// Pop from `src` at `from` and push onto `dst` at `to` (creating it), as one change.
/// Ok(None) when `src` is missing; WRONGTYPE when either key holds another type.
fn move_element(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Option<Vec<u8>>, Reply> {
    let Some(list) = typed::write::<List>(ctx, src)? else {
        return Ok(None);
    };
    if src == dst {
        let Some(v) = list.pop(from) else {
            return Ok(None);
        };
        list.push(to, v.clone());
        ctx.dirty(1);
        return Ok(Some(v));
    }
    // The destination's type is checked before anything is popped.
    typed::write::<List>(ctx, dst)?;
    let Some(list) = typed::write::<List>(ctx, src)? else {
        return Ok(None);
    };
    let Some(v) = list.pop(from) else {
        return Ok(None);
    };
    let empty = list.is_empty();
    typed::write_or_create::<List>(ctx, dst)?.push(to, v.clone());
    drop_if_empty(ctx, src, empty);
    ctx.dirty(1);
    Ok(Some(v))
}

fn reply(r: Result<Option<Vec<u8>>, Reply>) -> Reply {
    match r {
        Ok(Some(v)) => Reply::Bulk(v),
        Ok(None) => Reply::Nil,
        Err(e) => e,
    }
}

pub fn lmove(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let from = tri!(parse_end(&a[3]));
    let to = tri!(parse_end(&a[4]));
    reply(move_element(ctx, &a[1], &a[2], from, to))
}

pub fn rpoplpush(ctx: &mut Ctx, a: &mut Args) -> Reply {
    reply(move_element(ctx, &a[1], &a[2], End::Tail, End::Head))
}

/// Move now if the source has data, else wait on it. Like Redis 7.0, a wait that times out
/// answers a null array, while a call that may not block (inside MULTI) answers a null bulk.
fn blocking_move(ctx: &mut Ctx, a: &Args, from: End, to: End, timeout: &[u8]) -> Reply {
    let deadline = tri!(blocking::parse_timeout(timeout, ctx.now));
    match move_element(ctx, &a[1], &a[2], from, to) {
        Ok(None) if ctx.client.no_block && !ctx.client.reexec => Reply::Nil,
        Ok(None) => blocking::block(
            ctx,
            vec![a[1].clone()],
            Awaits::List,
            deadline,
            Reply::NilArray,
        ),
        r => reply(r),
    }
}

pub fn blmove(ctx: &mut Ctx, a: &mut Args) -> Reply {
    let from = tri!(parse_end(&a[3]));
    let to = tri!(parse_end(&a[4]));
    blocking_move(ctx, a, from, to, &a[5])
}

pub fn brpoplpush(ctx: &mut Ctx, a: &mut Args) -> Reply {
    blocking_move(ctx, a, End::Tail, End::Head, &a[3])
}
