-- wrk script: POST one signed Shopify orders/create body; every request gets a unique X-Shopify-Event-Id.
-- Arguments after `--`: body file, X-Shopify-Hmac-Sha256 value, shop domain, run prefix.

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

local body, event_prefix
local counter = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.path = "/webhooks/shopify"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Shopify-Hmac-Sha256"] = args[2]
  wrk.headers["X-Shopify-Shop-Domain"] = args[3]
  wrk.headers["X-Shopify-Topic"] = "orders/create"
  wrk.headers["X-Shopify-API-Version"] = "2025-07"
  event_prefix = args[4] .. "-t" .. tostring(tid) .. "-"
end

function request()
  counter = counter + 1
  wrk.headers["X-Shopify-Event-Id"] = event_prefix .. counter
  return wrk.format(nil, nil, wrk.headers, body)
end
