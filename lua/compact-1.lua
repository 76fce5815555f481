--[[
  Folds a final generation's Bloom log into its bitmap and drops the log (decision 0022): a group
  that logs then holds 8 bytes per key for its current generation only, and its bitmap's bytes per
  key for the generations before it. Sent by the container snapshot-1.lua asked to, with the bits
  it read: the bitmap as read in that call OR-ed with the fold of the whole log. A final generation
  is written no more (completes write the current one by Redis time), so those bits are the
  generation's; the script checks that it is final and that the log is the one the caller folded.

  Input:
    KEYS[1]  base key of the consumer group ("mskguard:{group}").
    ARGV[1]  Bloom generation length in ms.
    ARGV[2]  Bloom generations kept (sets the bitmap's expiry, as complete-1.lua does).
    ARGV[3]  the generation.
    ARGV[4]  bytes of its log the caller folded.
    ARGV[5]  the generation's bits (blocks × 4 bytes), written over the bitmap's first bytes.

  Output: 1 when folded; 0 when not: the generation is still the current one, or its log is not the
  one folded (gone, or another length).
]]
local base, genMs, generations = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local g, logBytes = tonumber(ARGV[3]), tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if g >= math.floor(now / genMs) then
  return 0
end
local log = base .. ':b:' .. g .. ':l'
if logBytes == 0 or redis.call('STRLEN', log) ~= logBytes then
  return 0
end
local bitmap = base .. ':b:' .. g
-- SETRANGE, not SET: a bitmap left longer by an earlier configuration keeps its tail.
redis.call('SETRANGE', bitmap, 0, ARGV[5])
redis.call('PEXPIREAT', bitmap, (g + generations) * genMs + 60000)
redis.call('UNLINK', log, log .. ':fold')
return 1
