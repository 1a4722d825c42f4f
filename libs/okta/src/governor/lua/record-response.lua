--[[
Folds one response's X-Rate-Limit-* headers into the bucket: the newest window wins, a response of
the same window only ever lowers `remaining`, and a 429's reset is Okta's word on when the bucket
opens again. The TypeScript twin is recordResponse in ../memory.ts.

KEYS[1] bucket hash: limit, remaining, resetAt, used
ARGV    limit, remaining, resetInMs (Okta reset − Okta Date, so clock skew cancels),
        throttled (1 for a 429), keyTtlMs
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local obsLimit = tonumber(ARGV[1])
local obsRemaining = tonumber(ARGV[2])
local obsResetAt = now + tonumber(ARGV[3])
local throttled = ARGV[4] == '1'

local s = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'resetAt')
local limit = tonumber(s[1])
local remaining = tonumber(s[2]) or 0
local resetAt = tonumber(s[3]) or 0
-- Responses of one window disagree on the reset by up to the Date header's 1 s resolution.
if (not limit) or obsResetAt > resetAt + 1500 then
  resetAt = obsResetAt
  remaining = obsRemaining
else
  remaining = math.min(remaining, obsRemaining)
end
if throttled then
  remaining = 0
  resetAt = obsResetAt
end
redis.call('HSET', KEYS[1], 'limit', obsLimit, 'remaining', remaining, 'resetAt', resetAt)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return 1
