--[[
Frees a lease: its concurrency slot and, if it was a probe, its probe slot. The TypeScript twin is
releaseLease in ../memory.ts. Releasing an unknown or expired lease changes nothing.

KEYS[1] sorted set of the org's leases in flight
KEYS[2] sorted set of the bucket's probe leases
ARGV[1] lease id
]]
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
