-- POST /api/mcp/charge {"callCostSats": 1}, round-robin over the sessions' tokens
-- (`api-fixtures tokens`); the mock runs with budgets too large to deny.
dofile(os.getenv("WRK_DIR") .. "/lines.lua")
wrk.method = "POST"
wrk.path = "/api/mcp/charge"
wrk.body = '{"callCostSats":1}'
wrk.headers["Content-Type"] = "application/json"

function init(args)
  counter_total = tonumber(os.getenv("WRK_THREADS"))
  tokens = load_lines()
  next_token = 1
end

function request()
  local headers = { ["Authorization"] = "Bearer " .. tokens[next_token] }
  next_token = next_token % #tokens + 1
  return wrk.format(nil, nil, headers, nil)
end
