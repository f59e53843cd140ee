import { createHash } from 'node:crypto';

/**
 * Lua scripts of the Redis store. Each keeps one swarm's keys consistent in one step. Keys of
 * a swarm share the hash tag `{<swarmId>}`, so a swarm lives in one slot; the per-peer keys
 * are derived inside the scripts from the swarm's key base (ARGV[1]).
 *
 *   <base>m        HASH  peerId -> member record (JSON)
 *   <base>r        HASH  peerId -> holdings as ranges, `first-last,first-last,...` ascending
 *   <base>seen     ZSET  peerId -> last refresh (epoch ms)
 *   <base>e        HASH  epoch, fetchers (JSON), perSegment
 *   <base>h:<peer> LIST  latest announced sequences, newest first (at most RECENT_RING)
 *
 * The room index `<prefix>swarms` (ZSET swarmId -> last refresh) is in no room's slot. On one
 * Redis the scripts get it as their last key and keep it with the room atomically; on a
 * Redis Cluster a script may only touch one slot, so they get no index key, report whether
 * the room emptied, and the store writes the index beside them (redis-target.ts).
 *
 * A member's holdings are written only by the node holding its connection, which keeps them
 * as ranges (Holdings) and sends the new ranges whole: no per-sequence keys, so Redis memory
 * per member is bounded by the sequence cap like the node's own.
 */

/** Shared Lua: remove one member and its holdings. Returns 1 if it was a member. */
const removeMember = `
local function remove_member(base, m, seen, peer)
  if redis.call('HDEL', m, peer) == 0 then return 0 end
  redis.call('HDEL', base .. 'r', peer)
  redis.call('DEL', base .. 'h:' .. peer)
  redis.call('ZREM', seen, peer)
  return 1
end
`;

/** Shared Lua: parse `first-last,...` into a flat array of numbers. */
const parseRanges = `
local function parse_ranges(text)
  local out = {}
  if not text then return out end
  for first, last in string.gmatch(text, '(%d+)-(%d+)') do
    out[#out + 1] = tonumber(first)
    out[#out + 1] = tonumber(last)
  end
  return out
end
local function holds(ranges, s)
  local low, high = 1, #ranges / 2
  while low <= high do
    local mid = math.floor((low + high) / 2)
    if ranges[mid * 2 - 1] > s then high = mid - 1
    elseif ranges[mid * 2] < s then low = mid + 1
    else return true end
  end
  return false
end
`;

/** KEYS: m, seen[, swarms]. ARGV: base, peer, record, now, swarmId, ranges, ring, recent... */
const join = `${removeMember}
local base, peer, now = ARGV[1], ARGV[2], tonumber(ARGV[4])
remove_member(base, KEYS[1], KEYS[2], peer)
redis.call('HSET', KEYS[1], peer, ARGV[3])
redis.call('HSET', base .. 'r', peer, ARGV[6])
redis.call('ZADD', KEYS[2], now, peer)
if KEYS[3] then redis.call('ZADD', KEYS[3], now, ARGV[5]) end
if #ARGV >= 8 then
  local h = base .. 'h:' .. peer
  redis.call('RPUSH', h, unpack(ARGV, 8))
  redis.call('LTRIM', h, 0, tonumber(ARGV[7]) - 1)
end
return 1
`;

/** KEYS: m. ARGV: base, peer, ranges, ring, added... (newest last) */
const have = `
local base, peer = ARGV[1], ARGV[2]
if redis.call('HEXISTS', KEYS[1], peer) == 0 then return 0 end
redis.call('HSET', base .. 'r', peer, ARGV[3])
if #ARGV >= 5 then
  local h = base .. 'h:' .. peer
  redis.call('LPUSH', h, unpack(ARGV, 5))
  redis.call('LTRIM', h, 0, tonumber(ARGV[4]) - 1)
end
return 1
`;

/** KEYS: m. ARGV: peer, record. Replaces an existing member's record only. */
const record = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: m, seen[, swarms]. ARGV: base, peer, swarmId. Returns { removed, emptied }. */
const leave = `${removeMember}
local removed = remove_member(ARGV[1], KEYS[1], KEYS[2], ARGV[2])
local emptied = 0
if redis.call('HLEN', KEYS[1]) == 0 then
  if KEYS[3] then redis.call('ZREM', KEYS[3], ARGV[3]) end
  redis.call('DEL', KEYS[2])
  emptied = 1
end
return { removed, emptied }
`;

/**
 * KEYS: m. ARGV: base, scanLimit, holdersPerNeed, scanFactor, need...
 * Picks the candidates (every member of a small swarm; else holders of each needed sequence,
 * looked for among scanLimit × scanFactor random members, plus a random sample) and returns
 * { ids, records, flags per need } in a few hash-wide commands.
 */
const candidates = `${parseRanges}
local base, scan, per, factor = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local r = base .. 'r'
local ids, picked, ranges = {}, {}, {}
local function pick(id)
  if not picked[id] then picked[id] = true; ids[#ids + 1] = id end
end
if redis.call('HLEN', KEYS[1]) <= scan then
  for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do pick(id) end
else
  if #ARGV >= 5 then
    local found = {}
    local scanned = redis.call('HRANDFIELD', r, scan * factor, 'WITHVALUES')
    for i = 1, #scanned, 2 do
      local parsed = parse_ranges(scanned[i + 1])
      for n = 5, #ARGV do
        local s = tonumber(ARGV[n])
        if (found[n] or 0) < per and holds(parsed, s) then
          found[n] = (found[n] or 0) + 1
          pick(scanned[i])
          ranges[scanned[i]] = parsed
        end
      end
    end
  end
  for _, id in ipairs(redis.call('HRANDFIELD', KEYS[1], scan)) do pick(id) end
end
if #ids == 0 then return {} end
local out = { ids, redis.call('HMGET', KEYS[1], unpack(ids)) }
if #ARGV < 5 then return out end
local texts = redis.call('HMGET', r, unpack(ids))
for i, id in ipairs(ids) do
  if not ranges[id] then ranges[id] = parse_ranges(texts[i]) end
end
for n = 5, #ARGV do
  local s = tonumber(ARGV[n])
  local flags = {}
  for i, id in ipairs(ids) do flags[i] = holds(ranges[id], s) and 1 or 0 end
  out[#out + 1] = flags
end
return out
`;

/**
 * KEYS: m, seen, e, r[, swarms]. ARGV: now, swarmId, keepMs, peer...
 * Refreshes members that exist; returns the peers that are missing (to re-register).
 */
const touch = `
local now = tonumber(ARGV[1])
local missing = {}
for i = 4, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], now, ARGV[i])
  else
    missing[#missing + 1] = ARGV[i]
  end
end
if redis.call('HLEN', KEYS[1]) > 0 then
  if KEYS[5] then redis.call('ZADD', KEYS[5], now, ARGV[2]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  redis.call('PEXPIRE', KEYS[4], ARGV[3])
end
return missing
`;

/**
 * KEYS: m, seen[, swarms]. ARGV: base, cutoff, selfNode, swarmId, limit.
 * Removes members not refreshed since `cutoff` (except this node's own, which it knows are
 * alive); returns whether the room emptied (1 or 0), then peer, node pairs.
 */
const sweep = `${removeMember}
local base, cutoff, self = ARGV[1], ARGV[2], ARGV[3]
local removed = { 0 }
for _, peer in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff, 'LIMIT', 0, tonumber(ARGV[5]))) do
  local record = redis.call('HGET', KEYS[1], peer)
  local node = ''
  if record then
    local ok, decoded = pcall(cjson.decode, record)
    if ok and type(decoded) == 'table' and decoded.nodeId then node = decoded.nodeId end
  end
  if node ~= self then
    if record then remove_member(base, KEYS[1], KEYS[2], peer) else redis.call('ZREM', KEYS[2], peer) end
    if record then
      removed[#removed + 1] = peer
      removed[#removed + 1] = node
    end
  end
end
if redis.call('HLEN', KEYS[1]) == 0 then
  if KEYS[3] then redis.call('ZREM', KEYS[3], ARGV[4]) end
  redis.call('DEL', KEYS[2])
  removed[1] = 1
end
return removed
`;

/** KEYS: e. ARGV: expectedEpoch, epoch, fetchersJson, perSegment, keepMs. */
const elect = `
local current = tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'fetchers', ARGV[3], 'perSegment', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** KEYS: reports zset. ARGV: now, expiresAt, reporter. Returns distinct live reporters. */
const report = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[1], redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return redis.call('ZCARD', KEYS[1])
`;

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

export const scripts = {
  join: script('join', join),
  have: script('have', have),
  leave: script('leave', leave),
  record: script('record', record),
  candidates: script('candidates', candidates),
  touch: script('touch', touch),
  sweep: script('sweep', sweep),
  elect: script('elect', elect),
  report: script('report', report),
} as const;

export type ScriptName = keyof typeof scripts;
