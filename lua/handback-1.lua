--[[
  Hands keys in doubt back to the dead owner they were taken over from (claim-1.lua answered E and
  leased them to the caller), for a caller that fails before it has settled the doubt and acted on
  it: the read of the commit markers fails, the watermark read fails, the payload checks reject
  the event.
  Taking a key over rewrote its field to name the caller, so a release alone would make it new to
  the next claim, and a key the dead owner had committed would be processed a second time (G1;
  decision 0006). Handed back, the next claim finds it in doubt again and asks the checkpoint
  table again. A key the caller no longer holds (taken over since, or released) is left alone.

  Input:
    KEYS[1]  base key of the consumer group ("mskguard:{group}").
    ARGV[1]  owner: the caller, which claimed the keys.
    ARGV[2]  bucket: the bucket its claim leased in (claim-1's reply).
    ARGV[3]  width of one id in bytes.
    ARGV[4]  the ids, concatenated.
    ARGV[5]  their dead owners as claim-1 named them, in id order, separated by single spaces.

  A dead owner's value for its keys in the bucket is its token there (@<owner>), or the owner id for
  a version before tokens (state #<owner>). An owner with neither held the key in the previous
  bucket, which still names it: the caller's field is deleted, and the next claim finds it there.

  Output: the number of keys handed back.
]]
local rcall = redis.call
local owner, width, ids = ARGV[1], tonumber(ARGV[3]), ARGV[4]
local key = KEYS[1] .. ':x:' .. ARGV[2]
local dead = {}
for name in string.gmatch(ARGV[5], '[^ ]+') do
  dead[#dead + 1] = name
end
if #dead * width ~= #ids then
  return redis.error_reply('handback: ' .. #dead .. ' dead owners for ' .. (#ids / width) .. ' ids')
end
local mine = rcall('HGET', key, '@' .. owner) or owner
local handed = 0
for i = 1, #dead do
  local id = string.sub(ids, (i - 1) * width + 1, i * width)
  if rcall('HGET', key, id) == mine then
    local value = rcall('HGET', key, '@' .. dead[i])
    if not value and rcall('HEXISTS', key, '#' .. dead[i]) == 1 then
      value = dead[i]
    end
    if value then
      rcall('HSET', key, id, value)
    else
      rcall('HDEL', key, id)
    end
    handed = handed + 1
  end
end
return handed
