--[[
  Completes an invocation after its handler succeeded: every key it still holds becomes
  COMPLETED (one HSET of its owner state), keys it must give back are released first, and the
  completed keys' bits are set in the current Bloom generation. One call per batch.

  Fencing: a key whose lease expired and was taken by another owner names that owner's token, so
  this owner's state no longer applies to it. The owner's token in the bucket is its @<owner> field
  (claim-1.lua); an owner without one was claimed by a version before tokens: its keys and state
  use the owner id itself.

  Input:
    KEYS[1]  base key of the consumer group ("mskguard:{group}").
    ARGV[1]  owner: the id that claimed the keys.
    ARGV[2]  bucket: the bucket claim-1 returned.
    ARGV[3]  window length in ms (as in claim).
    ARGV[4]  width of one id in bytes.
    ARGV[5]  ids to release (leased by owner but not processed: after a partition's first
             failure), concatenated; may be empty.
    ARGV[6]  Bloom generation length in ms ("0": no distributed Bloom tier).
    ARGV[7]  Bloom generations kept (sets the bitmap's expiry).
    ARGV[8]  Bloom words of the completed ids, JSON: [ ["#<block>", ...], ["<word>", ...], <bytes> ],
             one entry per distinct block (the masks of the ids sharing it already OR-ed), and the
             generation bitmap's full length in bytes; may be empty.
    ARGV[9]  Bloom log entries of the completed ids, instead of ARGV[8] (decision 0022): 8 bytes per
             distinct block, the block (u32, big-endian) and its word (32 bits), appended to the
             generation's log <base>:b:<generation>:l; may be empty or absent.

  An owner already COMPLETED is left as it is: nothing is released. Its keys were done when it
  completed, and a second complete (an invocation that gives its keys back after its first complete
  succeeded and its checkpoint failed, keeping only the keys it repaired) would otherwise delete
  them and have the retry process them again.

  Output: { completed, released }
    completed  1 when the owner is now COMPLETED (or already was); 0 when its leases were gone (the
               bucket expired or the owner was already released): nothing was marked.
    released   the number of leases released.
]]
local rcall = redis.call
local base, owner, bucket = KEYS[1], ARGV[1], tonumber(ARGV[2])
local windowMs, width, releaseIds = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local genMs, generations, blocks, logEntries = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8], ARGV[9]
local CHUNK = 2000
local key = base .. ':x:' .. bucket
local token = rcall('HGET', key, '@' .. owner) or owner
local marker = '#' .. token

local state = rcall('HGET', key, marker)
if not state or state == 'R' then
  return { 0, 0 }
end
if state == 'C' then
  return { 1, 0 }
end

-- Release first: once the owner is COMPLETED, every key still naming it is COMPLETED too.
local released = 0
local n = #releaseIds / width
local mine = {}
for s = 1, n, CHUNK do
  local e = math.min(s + CHUNK - 1, n)
  local fields = {}
  for i = s, e do
    fields[#fields + 1] = string.sub(releaseIds, (i - 1) * width + 1, i * width)
  end
  local r = rcall('HMGET', key, unpack(fields))
  for j = 1, #r do
    if r[j] == token then
      mine[#mine + 1] = fields[j]
    end
  end
end
for s = 1, #mine, CHUNK do
  released = released + rcall('HDEL', key, unpack(mine, s, math.min(s + CHUNK - 1, #mine)))
end
rcall('HSET', key, marker, 'C')

-- Bloom bits: OR each completed key's mask into its block of the current generation, one of two
-- ways, whichever costs less (bench/bloom-write-paths.ts; decision 0008, "Bloom tier, second
-- session"). Scratch: the words are written into an empty scratch bitmap (a BITFIELD SET per block,
-- no read) and BITOP OR-ed into the generation, then the scratch is unlinked; its cost grows with
-- the bitmap's length (the scratch is as long). Read-modify-write: one BITFIELD_RO GET and one
-- BITFIELD SET per block; its cost grows with the blocks only. They cost the same at about 3 MB for
-- 830 blocks, 5–6 MB for 2,490 and 10–12 MB for 8,300: the scratch while the bitmap is at most
-- 2 MB plus 1 KB per block written.
local SCRATCH_BASE, SCRATCH_PER_BLOCK = 2097152, 1024
-- Log: the entries are appended as they came, one command whatever their number; the containers'
-- copies fold them into their bits (shared/dedup/bloom/snapshots.ts), so no bit is set here.
if genMs > 0 and logEntries and #logEntries > 0 then
  local time = rcall('TIME')
  local generation = math.floor((tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)) / genMs)
  local log = base .. ':b:' .. generation .. ':l'
  rcall('APPEND', log, logEntries)
  rcall('PEXPIREAT', log, (generation + generations) * genMs + 60000)
end
if genMs > 0 and #blocks > 0 then
  local time = rcall('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local generation = math.floor(now / genMs)
  local bloom = base .. ':b:' .. generation
  local sent = cjson.decode(blocks)
  local offsets, words = sent[1], sent[2]
  local m = #offsets
  local scratch = sent[3] <= SCRATCH_BASE + SCRATCH_PER_BLOCK * m and base .. ':b:or'
  local STEP = 1500
  for s = 1, m, STEP do
    local e = math.min(s + STEP - 1, m)
    local old
    if not scratch then
      local gets = {}
      for j = s, e do
        local k = 3 * (j - s)
        gets[k + 1] = 'GET'
        gets[k + 2] = 'u32'
        gets[k + 3] = offsets[j]
      end
      old = rcall('BITFIELD_RO', bloom, unpack(gets))
    end
    local sets = {}
    for j = s, e do
      local k = 4 * (j - s)
      sets[k + 1] = 'SET'
      sets[k + 2] = 'u32'
      sets[k + 3] = offsets[j]
      if old then
        local word = bit.bor(old[j - s + 1], tonumber(words[j]))
        sets[k + 4] = word < 0 and word + 4294967296 or word
      else
        sets[k + 4] = words[j]
      end
    end
    rcall('BITFIELD', scratch or bloom, unpack(sets))
  end
  if scratch then
    rcall('BITOP', 'OR', bloom, bloom, scratch)
    rcall('UNLINK', scratch)
  end
  rcall('PEXPIREAT', bloom, (generation + generations) * genMs + 60000)
end

return { 1, released }
