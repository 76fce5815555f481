--[[
  Claims a batch of idempotency keys for one invocation: exact-tier lookup, distributed Bloom
  test, and a lease for every key the invocation must process. One call per batch.

  Exact tier: one hash per window-long bucket of Redis server time, <base>:x:<bucket>.
    field <id>      = the token of the owner (invocation) that leased the key in this bucket
    field #<token>  = that owner's state: "<expiryMs>" (IN_PROGRESS until then), "C" (COMPLETED)
                      or "R" (released)
    field @<owner>  = the owner's token in this bucket; field ~<token> = the owner (for doubts)
    field !         = the bucket's token counter
    field ?<id>     = the dead owners a key was taken over from (claim answered E), space-separated;
                      field ? is set once the bucket has any. Taking a key over rewrites its field
                      to name the taker, so without this a taker that never settled the doubt (its
                      claim's reply was lost and it claimed again, or gave the lost claim back; it
                      died in turn) would leave the key new, or in doubt about the taker alone, and
                      a key the first dead owner committed would be processed again (G1).
  A token is '.' and the counter in base64url (at most 6 characters until 1 G owners per bucket):
  a key's value then takes 8 bytes of Redis memory, where the 16-character owner id took 32
  (decision 0016). A value without a ~<value> field is the owner id itself, as versions before
  tokens wrote it (state #<owner>): keys they wrote in the same bucket keep their meaning.
  A key's state is its owner's state, so completing or releasing a whole invocation is one HSET
  (complete-1.lua, release-1.lua), and a lease taken over by another owner is fenced for free:
  the key then names the new owner. Lookups read the current and the previous bucket, so a
  COMPLETED key is recognised for at least one window after its claim and at most two. Each
  claim unlinks the bucket before last (read no more); the buckets' expiry is the backstop.
  Time is Redis's own (TIME), never the caller's clock.

  Input:
    KEYS[1]  base key of the consumer group ("mskguard:{group}"): every key the script touches
             starts with it and so shares its hash tag (one Cluster slot).
    ARGV[1]  owner: this invocation's id (base64url, no '#').
    ARGV[2]  lease length in ms (the Lambda's remaining time plus a margin).
    ARGV[3]  window length in ms (bucket length; at least the lease length).
    ARGV[4]  width of one id in bytes.
    ARGV[5]  the ids, concatenated (n * width bytes, unique within the call).
    ARGV[6]  mode: "exact" | "probabilistic".
    ARGV[7]  Bloom generation length in ms ("0": no distributed Bloom tier).
    ARGV[8]  Bloom generations to test (the current one and the ones before it).
    ARGV[9]  Bloom blocks, JSON in id order: [ ["#<block>", ...], [<mask>, ...] ], the block as a
             ready BITFIELD offset and its mask as a signed 32-bit integer ("" without the tier).
             Or "F<read at> <max age> " and one character per id, "1" where the caller's copies
             of the generations have seen it (decision 0020): then no bitmap is read here. <read at>
             is the Redis time snapshot-1.lua read the copies at; copies older than <max age> ms
             could miss keys the exact tier has forgotten, and the script answers { "stale" }
             without writing anything. Tested here, a generation with a log (complete-1.lua,
             ARGV[9]) is refused with a MSKGUARD_BLOOM_LOG error, before any write.

  Output: { statuses, bucket, doubts, waits }
    statuses  a string of n characters, in id order:
      N  new: leased to owner
      D  duplicate: COMPLETED within the window
      I  in progress: another owner's lease is live
      P  probable duplicate: the Bloom tier has seen it and the exact tier has not. In "exact"
         mode it is leased to owner like N; in "probabilistic" mode it is not leased.
      E  in doubt: its last owner's lease expired without complete or release (that invocation
         died). Leased to owner like N; the caller asks the durable store whether the dead
         owner's checkpoint committed (then it is a duplicate) before processing it. Also a key
         taken over in doubt earlier (field ?<id>) whose field names this owner (a claim sent
         again) or an owner that released it: the doubt was never settled where it is recorded.
    bucket    the bucket the leases were written to (complete and release take it back).
    doubts    for each E: "<1-based index>:<dead owner>", one entry per dead owner the key may have
              been committed by (its last owner, then those recorded in ?<id>): a duplicate if any
              of them committed.
    waits     for each I: "<1-based index>:<ms until the other owner's lease ends>", in Redis time
              (relative: the caller may wait that long and claim the key again; no clocks compared).
]]
local rcall = redis.call
local base, owner = KEYS[1], ARGV[1]
local leaseMs, windowMs, width = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ids, mode = ARGV[5], ARGV[6]
local genMs, generations, blocks = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
-- Lua's unpack fails above ~8,000 values: multi-field commands go in chunks.
local CHUNK = 2000

local time = rcall('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
-- Bloom flags tested against copies: only Redis's clock says whether the copies are recent enough.
local flagsAt
if string.byte(blocks, 1) == 70 then
  local readAt, maxAge, from = string.match(blocks, '^F(%d+) (%d+) ()')
  if now - tonumber(readAt) > tonumber(maxAge) then
    return { 'stale' }
  end
  flagsAt = from - 1
elseif genMs > 0 and #blocks > 0 then
  -- A generation with a log (decision 0022) has bits its bitmap lacks: only copies that fold the
  -- log can test it. Refuse before writing anything rather than miss them.
  local generation, logs = math.floor(now / genMs), {}
  for g = 1, generations do
    logs[g] = base .. ':b:' .. (generation - g + 1) .. ':l'
  end
  if rcall('EXISTS', unpack(logs)) > 0 then
    return redis.error_reply(
      'MSKGUARD_BLOOM_LOG this group logs its Bloom bits (distributedBloom.copies.log): its claims must '
        .. 'test against copies, which this function cannot (copies off, a cache without binary replies, '
        .. 'generations over copies.maxBytes, or a window under 17 min)'
    )
  end
end
local bucket = math.floor(now / windowMs)
-- The bucket before last is read no more: unlink it now, freed off the main thread, rather than
-- let its expiry free a whole window of keys inline (Redis 7 frees an expiring key synchronously
-- unless lazyfree-lazy-expire is on: seconds of blocked server for millions of fields).
rcall('UNLINK', base .. ':x:' .. (bucket - 2))

local n = #ids / width
local fields = {}
do
  local sub, p = string.sub, 1
  for i = 1, n do
    local q = p + width
    fields[i] = sub(ids, p, q - 1)
    p = q
  end
end

-- State of each key across the two buckets, strongest first: 'D' completed, 'I' a live foreign
-- lease, 'E' the lease of an owner that never completed nor released and has expired (crashed: in
-- doubt, its checkpoint may have committed; the caller asks the durable store), nil otherwise.
local RANK = { D = 3, I = 2, E = 1 }
-- Per key in doubt, the dead owners that may have committed it (the first: its last owner).
local doubtOwners, leaseEnd = {}, {}
-- At most this many dead owners per key (each one a crash of an owner that took the key over).
local MAX_DOUBTS = 16
local function addDoubts(i, list)
  local have = doubtOwners[i]
  for _, name in ipairs(list) do
    if #have >= MAX_DOUBTS then
      return
    end
    local known = false
    for _, h in ipairs(have) do
      if h == name then
        known = true
        break
      end
    end
    if not known then
      have[#have + 1] = name
    end
  end
end
-- Expiry of each owner's lease, read once per owner: a live lease's end is reported for waits.
local expiries = {}
-- A bucket's value for its keys leased by this owner: its token there, or (legacy) the owner id.
local function mineIn(key)
  return rcall('HGET', key, '@' .. owner) or owner
end
-- Looks the keys up in one bucket: all of them, or the indices in `only`.
local function lookup(key, out, only)
  if rcall('EXISTS', key) == 0 then
    return
  end
  local owners, names, mine = {}, {}, mineIn(key)
  -- Whether any key of the bucket was taken over in doubt: only then are records read.
  local recorded = rcall('HEXISTS', key, '?') == 1
  local m = only and #only or n
  for s = 1, m, CHUNK do
    local e = math.min(s + CHUNK - 1, m)
    local r
    if only then
      local args = {}
      for j = s, e do
        args[j - s + 1] = fields[only[j]]
      end
      r = rcall('HMGET', key, unpack(args))
    else
      r = rcall('HMGET', key, unpack(fields, s, e))
    end
    -- Keys whose record of dead owners is read: held by this owner, released, or in doubt.
    local ask, na = {}, 0
    for j = 1, #r do
      local o = r[j]
      local i = only and only[s + j - 1] or s + j - 1
      if o and out[i] ~= 'D' then
        local state
        if o == mine or o == owner then
          state = false
        else
          state = owners[o]
          if state == nil then
            local v = rcall('HGET', key, '#' .. o)
            if v == 'C' then
              state = 'D'
            elseif v == 'R' or not v then
              state = false
            elseif tonumber(v) > now then
              state = 'I'
              expiries[o] = tonumber(v)
            else
              state = 'E'
            end
            owners[o] = state
          end
        end
        if state == 'E' and out[i] == 'E' then
          -- In doubt in both buckets: every dead owner counts.
          local name = names[o]
          if not name then
            name = rcall('HGET', key, '~' .. o) or o
            names[o] = name
          end
          addDoubts(i, { name })
        elseif state and (out[i] == nil or RANK[state] > RANK[out[i]]) then
          out[i] = state
          if state == 'E' then
            -- The dead owner's id: a token resolves to it, a legacy value is it.
            local name = names[o]
            if not name then
              name = rcall('HGET', key, '~' .. o) or o
              names[o] = name
            end
            doubtOwners[i] = { name }
          elseif state == 'I' then
            leaseEnd[i] = expiries[o]
          end
        end
        if recorded and (state == false or state == 'E') then
          na = na + 1
          ask[na] = i
        end
      end
    end
    if na > 0 then
      local args = {}
      for a = 1, na do
        args[a] = '?' .. fields[ask[a]]
      end
      local rec = rcall('HMGET', key, unpack(args))
      for a = 1, na do
        local v = rec[a]
        local i = ask[a]
        if v and (out[i] == nil or out[i] == 'E') then
          if out[i] == nil then
            out[i] = 'E'
            doubtOwners[i] = {}
          end
          local list = {}
          for name in string.gmatch(v, '[^ ]+') do
            list[#list + 1] = name
          end
          addDoubts(i, list)
        end
      end
    end
  end
end

local current = base .. ':x:' .. bucket
local found = {}
lookup(current, found)
-- A key COMPLETED in the current bucket is a duplicate whatever the previous one says: only the
-- others are looked up there (at steady state the previous bucket is the largest hash).
local rest, nr = {}, 0
for i = 1, n do
  if found[i] ~= 'D' then
    nr = nr + 1
    rest[nr] = i
  end
end
if nr > 0 then
  lookup(base .. ':x:' .. (bucket - 1), found, nr < n and rest or nil)
end

-- This owner's token in the current bucket: the value of every key it leases there. A new one is
-- the counter's next value, written with the leases (nothing is written when nothing is leased).
local token = rcall('HGET', current, '@' .. owner)
local tokenNumber
if not token then
  local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  tokenNumber = (tonumber(rcall('HGET', current, '!')) or 0) + 1
  local digits, v = {}, tokenNumber
  repeat
    local d = v % 64
    table.insert(digits, 1, string.sub(B64, d + 1, d + 1))
    v = (v - d) / 64
  until v == 0
  token = '.' .. table.concat(digits)
end

-- Statuses; without a distributed Bloom tier, the lease pairs are collected in the same pass.
local bloomOn = genMs > 0
local status, candidates, doubts, waits, leased, recorded = {}, {}, {}, {}, {}, {}
local nl, nc, nd = 0, 0, 0
for i = 1, n do
  local s = found[i]
  if s == nil then
    status[i] = 'N'
    if bloomOn then
      nc = nc + 1
      candidates[nc] = i
    else
      leased[nl + 1] = fields[i]
      leased[nl + 2] = token
      nl = nl + 2
    end
  elseif s == 'I' then
    status[i] = 'I'
    waits[#waits + 1] = i .. ':' .. (leaseEnd[i] - now)
  elseif s == 'E' then
    status[i] = 'E'
    for _, name in ipairs(doubtOwners[i]) do
      doubts[#doubts + 1] = i .. ':' .. name
    end
    leased[nl + 1] = fields[i]
    leased[nl + 2] = token
    nl = nl + 2
    -- Taken over: the key names this owner from now on, so its dead owners are recorded with it.
    recorded[nd + 1] = '?' .. fields[i]
    recorded[nd + 2] = table.concat(doubtOwners[i], ' ')
    nd = nd + 2
  else
    status[i] = s
  end
end

-- Distributed Bloom tier: which new keys a generation has seen. Either the caller tested them
-- against its copies of the generations ("F" and a flag per id), or they are tested here against
-- the rotating generation bitmaps.
if nc > 0 then
  local seen = {}
  if flagsAt then
    local byte = string.byte
    for j = 1, nc do
      seen[j] = byte(blocks, flagsAt + candidates[j]) == 49
    end
  else
    local generation = math.floor(now / genMs)
    -- Decoded in C; the offsets go to BITFIELD as they came: no parsing or formatting per key here.
    local sent = cjson.decode(blocks)
    local offsets, sentMasks = sent[1], sent[2]
    local args, masks = {}, {}
    for j = 1, nc do
      local i = candidates[j]
      args[3 * j - 2] = 'GET'
      args[3 * j - 1] = 'u32'
      args[3 * j] = offsets[i]
      masks[j] = sentMasks[i]
    end
    for g = 0, generations - 1 do
      local key = base .. ':b:' .. (generation - g)
      if rcall('EXISTS', key) == 1 then
        for s = 1, nc, CHUNK do
          local e = math.min(s + CHUNK - 1, nc)
          local r = rcall('BITFIELD_RO', key, unpack(args, 3 * s - 2, 3 * e))
          for j = 1, #r do
            local m = masks[s + j - 1]
            if bit.band(r[j], m) == m then
              seen[s + j - 1] = true
            end
          end
        end
      end
    end
  end
  -- Lease what this invocation will process: new keys, and probable duplicates in "exact" mode.
  local leaseSeen = mode == 'exact'
  for j = 1, nc do
    local i = candidates[j]
    local hit = seen[j]
    if hit then
      status[i] = 'P'
    end
    if not hit or leaseSeen then
      leased[nl + 1] = fields[i]
      leased[nl + 2] = token
      nl = nl + 2
    end
  end
end

if nl > 0 then
  if tokenNumber then
    rcall('HSET', current, '!', tokenNumber, '@' .. owner, token, '~' .. token, owner)
  end
  rcall('HSET', current, '#' .. token, now + leaseMs)
  for s = 1, nl, 2 * CHUNK do
    rcall('HSET', current, unpack(leased, s, math.min(s + 2 * CHUNK - 1, nl)))
  end
  if nd > 0 then
    rcall('HSET', current, '?', 1)
    for s = 1, nd, 2 * CHUNK do
      rcall('HSET', current, unpack(recorded, s, math.min(s + 2 * CHUNK - 1, nd)))
    end
  end
  -- The bucket is read until the end of the next one; a minute of slack.
  rcall('PEXPIREAT', current, (bucket + 2) * windowMs + 60000)
end

return { table.concat(status), bucket, doubts, waits }
