import { createHash } from 'node:crypto';

/**
 * Lua scripts of the Redis store. Each keeps one swarm's keys consistent in one step. Keys of
 * a swarm share the hash tag `{<swarmId>}`, so a swarm lives in one slot; the per-peer and
 * per-sequence keys are derived inside the scripts from the swarm's key base (ARGV[1]).
 *
 *   <base>m        HASH  peerId -> member record (JSON)
 *   <base>seen     ZSET  peerId -> last refresh (epoch ms)
 *   <base>e        HASH  epoch, fetchers (JSON), perSegment
 *   <base>h:<peer> ZSET  sequence -> announcement order (now * 2048 + index; never below the
 *                        newest entry + 1, so announcements in one millisecond keep their order)
 *   <base>a:<seq>  SET   peerIds holding the sequence
 */

/** Shared Lua: remove one member and its holdings. Returns 1 if it was a member. */
const removeMember = `
local function remove_member(base, m, seen, peer)
  if redis.call('HDEL', m, peer) == 0 then return 0 end
  local h = base .. 'h:' .. peer
  for _, s in ipairs(redis.call('ZRANGE', h, 0, -1)) do
    redis.call('SREM', base .. 'a:' .. s, peer)
  end
  redis.call('DEL', h)
  redis.call('ZREM', seen, peer)
  return 1
end
`;

/** KEYS: m, seen, swarms. ARGV: base, peer, record, now, swarmId, cap, have... */
const join = `${removeMember}
local base, peer, now, cap = ARGV[1], ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[6])
remove_member(base, KEYS[1], KEYS[2], peer)
redis.call('HSET', KEYS[1], peer, ARGV[3])
redis.call('ZADD', KEYS[2], now, peer)
redis.call('ZADD', KEYS[3], now, ARGV[5])
local first = 7
if #ARGV - 6 > cap then first = #ARGV - cap + 1 end
local h = base .. 'h:' .. peer
for i = first, #ARGV do
  redis.call('ZADD', h, now * 2048 + (i - first), ARGV[i])
  redis.call('SADD', base .. 'a:' .. ARGV[i], peer)
end
return 1
`;

/** KEYS: m. ARGV: base, peer, now, cap, addedCount, added..., lost... */
const have = `
local base, peer, now, cap, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('HEXISTS', KEYS[1], peer) == 0 then return 0 end
local h = base .. 'h:' .. peer
local order = now * 2048
local newest = redis.call('ZREVRANGE', h, 0, 0, 'WITHSCORES')[2]
if newest and tonumber(newest) >= order then order = tonumber(newest) + 1 end
for i = 6 + n, #ARGV do
  if redis.call('ZREM', h, ARGV[i]) == 1 then redis.call('SREM', base .. 'a:' .. ARGV[i], peer) end
end
for i = 6, 5 + n do
  redis.call('ZADD', h, order + (i - 6), ARGV[i])
  redis.call('SADD', base .. 'a:' .. ARGV[i], peer)
end
local over = redis.call('ZCARD', h) - cap
if over > 0 then
  for _, s in ipairs(redis.call('ZRANGE', h, 0, over - 1)) do
    redis.call('ZREM', h, s)
    redis.call('SREM', base .. 'a:' .. s, peer)
  end
end
return 1
`;

/** KEYS: m. ARGV: peer, record. Replaces an existing member's record only. */
const record = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: m, seen, swarms. ARGV: base, peer, swarmId. */
const leave = `${removeMember}
local removed = remove_member(ARGV[1], KEYS[1], KEYS[2], ARGV[2])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('DEL', KEYS[2])
end
return removed
`;

/**
 * KEYS: m. ARGV: base, scanLimit, holdersPerNeed, need...
 * Picks the candidates (every member of a small swarm; else holders of each needed sequence
 * plus a random sample) and returns { ids, records, flags per need } in a few set-wide
 * commands (HMGET, SMISMEMBER per needed sequence) rather than commands per candidate.
 */
const candidates = `
local base, scan, per = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local ids, picked = {}, {}
local function pick(id)
  if not picked[id] then picked[id] = true; ids[#ids + 1] = id end
end
if redis.call('HLEN', KEYS[1]) <= scan then
  for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do pick(id) end
else
  for i = 4, #ARGV do
    for _, id in ipairs(redis.call('SRANDMEMBER', base .. 'a:' .. ARGV[i], per)) do pick(id) end
  end
  for _, id in ipairs(redis.call('HRANDFIELD', KEYS[1], scan)) do pick(id) end
end
if #ids == 0 then return {} end
local out = { ids, redis.call('HMGET', KEYS[1], unpack(ids)) }
for i = 4, #ARGV do
  out[#out + 1] = redis.call('SMISMEMBER', base .. 'a:' .. ARGV[i], unpack(ids))
end
return out
`;

/**
 * KEYS: m, seen, swarms, e. ARGV: now, swarmId, keepMs, peer...
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
  redis.call('ZADD', KEYS[3], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[4], ARGV[3])
end
return missing
`;

/**
 * KEYS: m, seen, swarms. ARGV: base, cutoff, selfNode, swarmId, limit.
 * Removes members not refreshed since `cutoff` (except this node's own, which it knows are
 * alive); returns peer, node pairs.
 */
const sweep = `${removeMember}
local base, cutoff, self = ARGV[1], ARGV[2], ARGV[3]
local removed = {}
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
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('DEL', KEYS[2])
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
