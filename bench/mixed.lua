-- wrk script for bench/mixed.sh: every request picks one kind of traffic at
-- random, in these shares: API reads 35 % (one contact 30, a page of the
-- list 5), API writes 20 % (create 10, update 10), panel pages 40 % (the
-- integrations list 20, an integration's page 20, half of them the one the
-- API calls go to), rotations through the panel 5 % (Rotate Now on one of
-- ten integrations the API does not use). Responses are counted by status.

local function lines(path)
    local t = {}
    for line in io.lines(path) do
        if line ~= "" then t[#t + 1] = line end
    end
    return t
end

local function pick(t)
    return t[math.random(#t)]
end

local account = os.getenv("MIX_ACCOUNT")
local api_integration = os.getenv("MIX_API_INTEGRATION")
local csrf = os.getenv("MIX_CSRF")
local contacts = lines(os.getenv("MIX_CONTACTS"))
local integrations = lines(os.getenv("MIX_INTEGRATIONS"))
local rotated = lines(os.getenv("MIX_ROTATED"))
local api = {
    ["Authorization"] = "Bearer " .. os.getenv("MIX_TOKEN"),
    ["Content-Type"] = "application/json",
}
local page = { ["Cookie"] = "pi_session=" .. os.getenv("MIX_SESSION") }
local form = {
    ["Cookie"] = "pi_session=" .. os.getenv("MIX_SESSION"),
    ["Content-Type"] = "application/x-www-form-urlencoded",
}
local list = "/settings/private-integrations"

local threads = {}
local next_id = 0

function setup(thread)
    next_id = next_id + 1
    thread:set("id", next_id)
    threads[#threads + 1] = thread
end

statuses = {}
local n = 0

function init(args)
    math.randomseed(os.time() * 100 + id)
end

function request()
    n = n + 1
    local r = math.random(100)
    if r <= 30 then
        return wrk.format("GET", "/v2/contacts/" .. pick(contacts), api)
    elseif r <= 35 then
        return wrk.format("GET", "/v2/contacts/?locationId=" .. account .. "&limit=20", api)
    elseif r <= 45 then
        local body = string.format(
            '{"locationId":"%s","firstName":"Mixed","lastName":"Load %d-%d","email":"mixed-%d-%d@example.com","tags":["mixed"]}',
            account, id, n, id, n)
        return wrk.format("POST", "/v2/contacts/", api, body)
    elseif r <= 55 then
        local body = string.format('{"lastName":"Updated %d-%d","phone":"+1 555 %04d"}', id, n, n % 10000)
        return wrk.format("PUT", "/v2/contacts/" .. pick(contacts), api, body)
    elseif r <= 75 then
        return wrk.format("GET", list, page)
    elseif r <= 85 then
        return wrk.format("GET", list .. "/" .. pick(integrations), page)
    elseif r <= 95 then
        return wrk.format("GET", list .. "/" .. api_integration, page)
    else
        return wrk.format("POST", list .. "/" .. pick(rotated) .. "/rotate", form,
            "csrf_token=" .. csrf .. "&expire_old=now")
    end
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            total[status] = (total[status] or 0) + count
        end
    end
    for status, count in pairs(total) do
        io.write(string.format("status %d %d\n", status, count))
    end
    io.write(string.format("p50 %.2f\np99 %.2f\n", latency:percentile(50) / 1000,
        latency:percentile(99) / 1000))
end
