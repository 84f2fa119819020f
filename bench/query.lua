-- wrk script: POSTs lock.query XML-RPC calls, spreading them over the 10,000 locks k0..k9999
-- made by bench/run.sh, and counts non-200 answers and XML-RPC faults (which wrk alone
-- would count as successes). usage: wrk -t2 -c50 -d10s -s bench/query.lua http://127.0.0.1:PORT/RPC2
local threads = {}
local counter = 0
faults = 0
bad_status = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = (id or 0) * 7919
end

local head = '<?xml version="1.0"?><methodCall><methodName>lock.query</methodName><params>'
  .. '<param><value><string>k'
local tail = '</string></value></param><param><value><string>wrk bench</string></value></param>'
  .. '</params></methodCall>'
local headers = { ["Content-Type"] = "text/xml" }

function request()
  counter = counter + 1
  return wrk.format("POST", nil, headers, head .. (counter % 10000) .. tail)
end

function response(status, hdrs, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif body:find("faultCode", 1, true) then
    faults = faults + 1
  end
end

function done(summary, latency, requests)
  local f, b = 0, 0
  for _, t in ipairs(threads) do
    f = f + t:get("faults")
    b = b + t:get("bad_status")
  end
  io.write(string.format("LUA faults=%d bad_status=%d\n", f, b))
end
