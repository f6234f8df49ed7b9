-- GET $BENCH_PATH, as the token's caller (lists, schedules, reports).
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
request = function()
    return wrk.format("GET", path, {["Authorization"] = auth})
end
