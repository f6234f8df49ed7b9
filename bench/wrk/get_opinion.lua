-- GET one opinion by a random id from $BENCH_IDS, as the token's caller.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
math.randomseed(42)
request = function()
    return wrk.format("GET", "/api/v1/opinions/" .. ids[math.random(#ids)], {["Authorization"] = auth})
end
