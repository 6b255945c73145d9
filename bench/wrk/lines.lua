-- Shared by the scenarios that need one fixture line per request: reads the file named
-- by $FIXTURES; thread i of n takes lines i, i+n, i+2n, … so no two threads send the same
-- line (each confirm body redeems its quote once).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function load_lines()
  local lines = {}
  local n = 0
  for line in io.lines(os.getenv("FIXTURES")) do
    if n % counter_total == index then
      table.insert(lines, line)
    end
    n = n + 1
  end
  return lines
end

-- The metered scenarios (charge, usage): each request carries the next session's access
-- token, round-robin over this thread's lines. Use as `init = bearer_init` and
-- `request = bearer_request`.
function bearer_init(args)
  counter_total = tonumber(os.getenv("WRK_THREADS"))
  tokens = load_lines()
  next_token = 1
end

function bearer_request()
  local headers = { ["Authorization"] = "Bearer " .. tokens[next_token] }
  next_token = next_token % #tokens + 1
  return wrk.format(nil, nil, headers, nil)
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + (thread:get("wrapped") or 0)
  end
  io.write(string.format("fixture lines reused (after running out): %d\n", wrapped))
end
