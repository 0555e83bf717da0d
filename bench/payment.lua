-- wrk script: pay orders that wait for payment, each once, with a good card.
--   wrk -t T -s payment.lua -H "Authorization: Bearer X" URL -- FILE T
-- FILE holds "order_id total" lines; thread i of T pays lines i, i+T, i+2T, ...
-- so no two threads pay one order. A thread that runs out repeats its last line
-- (answered 409), which payment.py reports as errors.

local next_thread = 0

function setup(thread)
   thread:set("thread_index", next_thread)
   next_thread = next_thread + 1
end

local bodies = {}
local counter = 0

function init(args)
   local threads = tonumber(args[2])
   local line_no = 0
   for line in io.lines(args[1]) do
      if line_no % threads == thread_index then
         local id, total = line:match("^(%d+) ([%d.]+)$")
         bodies[#bodies + 1] = '{"order_id":' .. id .. ',"amount":"' .. total
            .. '","payment_token":"tok_visa"}'
      end
      line_no = line_no + 1
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   counter = math.min(counter + 1, #bodies)
   return wrk.format("POST", nil, nil, bodies[counter])
end
