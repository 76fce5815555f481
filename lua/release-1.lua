--[[
  Releases every lease of an invocation whose handler failed, so a retry can process its keys:
  one HSET of the owner state per bucket, whatever the batch size. Keys since taken by another
  owner are untouched (they name that owner). One call per batch.

  Input:
    KEYS[1]     base key of the consumer group ("mskguard:{group}").
    ARGV[1]     owner: the id that claimed the keys.
    ARGV[2...]  the bucket claim-1 returned; or, for a claim whose reply was lost (the caller never
                learnt its bucket), the buckets it may have written to. A bucket where the owner
                has no state is left as it is (nothing is created).

  The owner's state is #<token> for the token its claim took in the bucket (@<owner>, claim-1.lua),
  or #<owner> for a claim by a version before tokens.

  Output: 1 when the owner's leases were released in some bucket; 0 when there was nothing to
  release (the owner is unknown in those buckets, or already COMPLETED or released).
]]
local rcall = redis.call
local owner = ARGV[1]
local released = 0
for i = 2, #ARGV do
  local key = KEYS[1] .. ':x:' .. ARGV[i]
  local marker = '#' .. (rcall('HGET', key, '@' .. owner) or owner)
  local state = rcall('HGET', key, marker)
  if state and state ~= 'C' and state ~= 'R' then
    rcall('HSET', key, marker, 'R')
    released = 1
  end
end
return released
