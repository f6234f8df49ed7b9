-- GET $BENCH_PATH, as the token's caller (lists, schedules, reports); with
-- $BENCH_ACCEPT_ENCODING, asking for that content coding.
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
local headers = {["Authorization"] = auth}
local coding = os.getenv("BENCH_ACCEPT_ENCODING")
if coding then headers["Accept-Encoding"] = coding end
request = function()
    return wrk.format("GET", path, headers)
end
