-- POST /api/mcp/confirm with pre-solved bodies (bench/api-load.sh makes them with
-- `api-fixtures confirm-bodies`); every body is sent once unless the file runs out.
dofile(os.getenv("WRK_DIR") .. "/lines.lua")
wrk.method = "POST"
wrk.path = "/api/mcp/confirm"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  counter_total = tonumber(os.getenv("WRK_THREADS"))
  bodies = load_lines()
  next_body = 1
  wrapped = 0
end

function request()
  if next_body > #bodies then
    next_body = 1
    wrapped = wrapped + 1
  end
  local body = bodies[next_body]
  next_body = next_body + 1
  return wrk.format(nil, nil, nil, body)
end
