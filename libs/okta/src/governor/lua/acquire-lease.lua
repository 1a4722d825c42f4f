--[[
Grants one request to (org, bucket) or says how long to wait. The TypeScript twin is
acquireLease in ../memory.ts; ../conformance.test.ts runs the same scenarios against both.

KEYS[1] bucket hash: limit (absent until the first response), remaining, resetAt, used
KEYS[2] sorted set of this bucket's probe leases, scored by expiry
KEYS[3] sorted set of the org's leases in flight, scored by expiry
ARGV    share, maxConcurrent, probeCount, leaseTtlMs, leaseId, windowMs, keyTtlMs,
        waitConcurrencyMs, waitProbeMs
Returns {1, probe (0|1), 'granted'} or {0, waitMs, reason}.

"now" is Redis TIME, so every process judges windows and lease expiry on one clock.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local share = tonumber(ARGV[1])
local maxConcurrent = tonumber(ARGV[2])
local probeCount = tonumber(ARGV[3])
local leaseTtl = tonumber(ARGV[4])
local leaseId = ARGV[5]
local windowMs = tonumber(ARGV[6])
local keyTtl = tonumber(ARGV[7])

-- A lease its holder never released (crashed process) stops counting once it expires.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= maxConcurrent then
  return {0, tonumber(ARGV[8]), 'concurrency'}
end

local s = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'resetAt', 'used')
local limit = tonumber(s[1])
local remaining = tonumber(s[2]) or 0
local resetAt = tonumber(s[3]) or 0
local used = tonumber(s[4]) or 0
local probe = 0

if not limit then
  -- Before any response says what the limit is, only a few probes go out.
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= probeCount then
    return {0, tonumber(ARGV[9]), 'probe'}
  end
  redis.call('ZADD', KEYS[2], now + leaseTtl, leaseId)
  redis.call('PEXPIRE', KEYS[2], keyTtl)
  used = used + 1
  probe = 1
else
  if now >= resetAt then
    -- The window we knew has passed: a new one started at the reset (windows last windowMs).
    local windows = math.floor((now - resetAt) / windowMs) + 1
    resetAt = resetAt + windows * windowMs
    used = 0
    remaining = limit
  end
  local cap = math.max(1, math.floor(limit * share))
  if used >= cap or remaining <= 0 then
    redis.call('HSET', KEYS[1], 'remaining', remaining, 'resetAt', resetAt, 'used', used)
    return {0, math.max(1, resetAt - now), 'budget'}
  end
  used = used + 1
  remaining = remaining - 1
end

redis.call('HSET', KEYS[1], 'remaining', remaining, 'resetAt', resetAt, 'used', used)
redis.call('PEXPIRE', KEYS[1], keyTtl)
redis.call('ZADD', KEYS[3], now + leaseTtl, leaseId)
redis.call('PEXPIRE', KEYS[3], keyTtl)
return {1, probe, 'granted'}
