-- GET /api/mcp/usage, round-robin over the sessions' tokens (`api-fixtures tokens`).
dofile(os.getenv("WRK_DIR") .. "/lines.lua")
wrk.method = "GET"
wrk.path = "/api/mcp/usage"
init = bearer_init
request = bearer_request
