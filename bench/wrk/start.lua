-- POST /api/mcp/start for the demo project key: a new signed PoW quote per request.
wrk.method = "POST"
wrk.path = "/api/mcp/start"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-LW-Public"] = "la_pk_demo"
