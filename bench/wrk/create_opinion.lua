-- POST a new opinion recorded by staff ($BENCH_BODY is its JSON).
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")
request = function()
    return wrk.format("POST", "/api/v1/opinions",
        {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body)
end
