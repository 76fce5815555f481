--[[
  Releases every lease of an invocation whose handler failed, so a retry can process its keys:
  one HSET of the owner state, whatever the batch size. Keys since taken by another owner are
  untouched (they name that owner). One call per batch.

  Input:
    KEYS[1]  base key of the consumer group ("mskguard:{group}").
    ARGV[1]  owner: the id that claimed the keys.
    ARGV[2]  bucket: the bucket claim-1 returned.

  Output: 1 when the owner's leases were released; 0 when there was nothing to release (the
  owner is unknown in that bucket, or already COMPLETED or released).
]]
local rcall = redis.call
local key = KEYS[1] .. ':x:' .. ARGV[2]
local marker = '#' .. ARGV[1]
local state = rcall('HGET', key, marker)
if not state or state == 'C' or state == 'R' then
  return 0
end
rcall('HSET', key, marker, 'R')
return 1
