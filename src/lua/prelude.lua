-- oxidis: the script environment, run once in each new interpreter before scripts load.
-- It returns what Rust keeps: the error handler, the read-only view of the globals, the real
-- `redis` table (Rust adds its functions and version fields), the sealing function and the
-- invoker of functions.
local G = _G
local getinfo = debug.getinfo
local error, type, tostring, setmetatable_raw, rawset_raw, pcall_raw =
  error, type, tostring, setmetatable, rawset, pcall

-- Read-only views: scripts see a proxy whose reads fall through to the real table and whose
-- writes fail, as Redis 7.0's read-only tables do.
local views = setmetatable_raw({}, { __mode = 'k' })
local function readonly()
  error('Attempt to modify a readonly table', 2)
end
local function seal(t, shown)
  local view = {}
  views[view] = t
  setmetatable_raw(view, { __index = t, __newindex = readonly, __metatable = shown or false })
  return view
end

-- redis.call and the other Rust functions (Rust so that `return redis.call(...)` keeps the
-- script's frame) raise Rust errors: a text after \1 stands for Redis's error table, a text
-- after \2 for a plain Lua error message.
local function unwrap(err)
  if type(err) == 'userdata' then
    local s = tostring(err)
    local m = s:match('\1([^\n]*)')
    if m then
      return { err = m }
    end
    m = s:match('\2([^\n]*)')
    if m then
      return m
    end
  end
  return err
end

-- Where an error came from: the first frame that is neither C nor this prelude.
local function handler(err)
  local level = 2
  local info = getinfo(level, 'nSl')
  while info and (info.what == 'C' or info.source == '=oxidis') and level < 8 do
    level = level + 1
    info = getinfo(level, 'nSl')
  end
  err = unwrap(err)
  if type(err) ~= 'table' then
    err = { err = 'ERR ' .. tostring(err) }
  end
  if info then
    err['source'] = info.source
    err['line'] = info.currentline
  end
  return err
end
G.__redis__err__handler = handler

-- redis.call raises its error table; pcall gives scripts the error text, as Redis 7.0 does.
local function strip(ok, ...)
  if not ok then
    local e = unwrap((...))
    if type(e) == 'table' and type(e.err) == 'string' then
      return false, e.err
    end
    if type(e) == 'string' and type((...)) == 'userdata' then
      return false, e
    end
  end
  return ok, ...
end
G.pcall = function(...)
  return strip(pcall_raw(...))
end
G.rawset = function(t, k, v)
  if views[t] then
    error('Attempt to modify a readonly table', 0)
  end
  return rawset_raw(t, k, v)
end
G.setmetatable = function(t, mt)
  if views[t] then
    error('Attempt to modify a readonly table', 0)
  end
  return setmetatable_raw(t, mt)
end

-- The redis table. call, pcall, sha1hex, log, setresp, set_repl and acl_check_cmd are Rust
-- functions, set by the engine.
local redis = {}
-- Redis keeps an error's first word as its code when there is one, else adds ERR.
local function error_text(s)
  s = s:gsub('^%-', '')
  if not s:find(' ', 1, true) then
    s = 'ERR ' .. s
  end
  return s
end
redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  return { err = error_text(s) }
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  return { ok = s }
end
redis.replicate_commands = function()
  return true
end
redis.breakpoint = function()
  return false
end
redis.debug = function() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
G.redis = seal(redis)

-- Scripts see each library through a read-only view, and no debug, print or file access.
G.debug, G.print, G.dofile, G.loadfile, G.getfenv, G.setfenv, G.newproxy = nil, nil, nil, nil, nil, nil, nil
for _, name in ipairs({ 'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct' }) do
  if rawget(G, name) ~= nil then
    G[name] = seal(G[name])
  end
end
-- (Redis's globals table shows a metatable, its libraries none.)
local view = seal(G, {})
G._G = view
-- Globals that do not exist are an error to read (set last: the prelude reads some).
setmetatable_raw(G, {
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
})
-- Functions get their keys and arguments as parameters.
local function invoke_with(f, h, keys, args)
  return xpcall(function()
    local r = f(keys, args)
    return r
  end, h)
end
return handler, view, redis, seal, invoke_with
