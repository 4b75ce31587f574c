-- recv-post.lua - wrk script: Telegram webhook updates for msg-recv
--
-- SPDX-License-Identifier: MIT
-- Each request is a new message (its own chat:message_id), so msg-recv
-- writes every one; with DUP=1 in the environment all carry the same id,
-- to measure the duplicate path.
-- tid is a global: thread:set() in setup() gives each thread its own (a
-- local here would hide it, and both threads would send the same ids).
local counter = 0
tid = 0
local dup = os.getenv("DUP") == "1"
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

function init(args)
  tid = tonumber(tid) or 0
end

function request()
  counter = counter + 1
  local id = dup and 1 or counter
  local body = '{"update_id":' .. id .. ',"message":{"message_id":' .. id ..
    ',"from":{"id":' .. (1000 + tid) .. '},"chat":{"id":' .. (1000 + tid) ..
    '},"date":1759298400,"text":"\\u6ee1\\u610f 8"}}'
  return wrk.format("POST", "/tg", {
    ["Content-Type"] = "application/json",
    ["X-Telegram-Bot-Api-Secret-Token"] = "bench-secret",
  }, body)
end
