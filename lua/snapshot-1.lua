--[[
  Reads the distributed Bloom tier's generation bitmaps whole, for a container that tests its
  claims against a copy of them (shared/dedup/bloom/snapshots.ts, decision 0020): one call per
  refresh, not per batch. The current generation is returned with Redis's own time, which the
  caller hands back with the flags it tested, so that only Redis's clock says how old a copy is; a generation before the current one is
  written no more (complete-1.lua sets bits in the current one only) and a copy of it is final.

  Input:
    KEYS[1]  base key of the consumer group ("mskguard:{group}").
    ARGV[1]  Bloom generation length in ms.
    ARGV[2]  Bloom generations tested by claim (the current one and the ones before it).
    ARGV[3]  generations the caller holds a final copy of, comma-separated; may be empty.
    ARGV[4]  bytes of a generation's bitmap at the caller's size (blocks × 4): only those are read,
             so a bitmap left larger by an earlier configuration is not copied whole.
    ARGV[5]  for generations the caller holds a copy of that is not final: "<g>:<log bytes>,...",
             how much of each one's log it has folded; may be empty or absent.

  A generation has a bitmap (complete-1.lua sets bits), a log of completed blocks (completes of
  groups that log, decision 0022), or both. Both are returned: the log from where the caller's copy
  of it ends, or whole when the caller holds none or the log is shorter than that (it expired and
  was written again).

  A final generation (before the current one) is written no more, so its log can be folded into
  its bitmap once and dropped (compact-1.lua): the first caller that reads a final generation with
  a log is asked to, and no other for a minute (<base>:b:<g>:l:fold).

  Output: { generation, now, g1, bitmap1, from1, log1, fold1, g2, ... }
    generation  the current generation (Redis time).
    now         Redis time of the read, ms: the claim script refuses flags from copies read too
                long before its own time (claim-1.lua, ARGV[9]).
    gN, bitmapN each generation of the horizon the caller does not hold, newest first, with its
                bitmap ("" when it has none: no key completed in it).
    fromN, logN the byte of the log where logN starts (0: the whole log) and its bytes from there.
    foldN       1 when this caller is to fold the generation's log into its bitmap, else 0.
]]
local genMs, generations, bytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local generation = math.floor(now / genMs)

local held, folded = {}, {}
for g in string.gmatch(ARGV[3], '[^,]+') do
  held[tonumber(g)] = true
end
for g, bytesFolded in string.gmatch(ARGV[5] or '', '(%d+):(%d+)') do
  folded[tonumber(g)] = tonumber(bytesFolded)
end

local reply = { generation, now }
for g = generation, generation - generations + 1, -1 do
  if g == generation or not held[g] then
    local log = KEYS[1] .. ':b:' .. g .. ':l'
    local from, length = folded[g] or 0, redis.call('STRLEN', log)
    if from > length then
      from = 0
    end
    local fold = 0
    if g < generation and length > 0 and redis.call('SET', log .. ':fold', '1', 'NX', 'PX', 60000) then
      fold = 1
    end
    reply[#reply + 1] = g
    reply[#reply + 1] = redis.call('GETRANGE', KEYS[1] .. ':b:' .. g, 0, bytes - 1)
    reply[#reply + 1] = from
    reply[#reply + 1] = redis.call('GETRANGE', log, from, -1)
    reply[#reply + 1] = fold
  end
end
return reply
