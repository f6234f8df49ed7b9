-- Refer received opinions from $BENCH_IDS, each once: wrk's threads take alternate ids, so no
-- two requests refer the same opinion (past the end of the list they would, and answer 409,
-- counted as errors). $BENCH_BODY is the transition's JSON; $BENCH_IDS_OFFSET skips the ids
-- a run before this one may have used.
local threads = 0
function setup(thread)
    thread:set("first", threads)
    threads = threads + 1
end
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY")
local stride = tonumber(os.getenv("BENCH_THREADS") or "2")
local offset = tonumber(os.getenv("BENCH_IDS_OFFSET") or "0")
local sent = 0
request = function()
    local i = offset + first + 1 + sent * stride
    sent = sent + 1
    return wrk.format("POST", "/api/v1/opinions/" .. ids[((i - 1) % #ids) + 1] .. "/transitions",
        {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body)
end
