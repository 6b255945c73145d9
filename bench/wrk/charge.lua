-- POST /api/mcp/charge {"callCostSats": 1}, round-robin over the sessions' tokens
-- (`api-fixtures tokens`); the mock runs with budgets too large to deny.
dofile(os.getenv("WRK_DIR") .. "/lines.lua")
wrk.method = "POST"
wrk.path = "/api/mcp/charge"
wrk.body = '{"callCostSats":1}'
wrk.headers["Content-Type"] = "application/json"
init = bearer_init
request = bearer_request
