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

function done(summary, latency, requests)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + (thread:get("wrapped") or 0)
  end
  io.write(string.format("fixture lines reused (after running out): %d\n", wrapped))
end
