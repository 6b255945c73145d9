-- GET /api/mcp/usage, round-robin over the sessions' tokens (`api-fixtures tokens`).
dofile(os.getenv("WRK_DIR") .. "/lines.lua")
wrk.method = "GET"
wrk.path = "/api/mcp/usage"

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
