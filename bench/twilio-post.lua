-- twilio-post.lua - wrk script: a Twilio Messages create request
--
-- SPDX-License-Identifier: MIT
-- The same form body and Basic auth sms-send sends (one 1-segment Chinese
-- notice), so wrk measures what the endpoint allows for the same requests.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
-- AC0123456789abcdef0123456789abcdef:0123456789abcdef0123456789abcdef
wrk.headers["Authorization"] = "Basic " ..
  "QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg=="
wrk.body = "To=%2B8613800000001&From=%2B15005550006&Body=" ..
  "%E6%82%A8%E5%A5%BD%EF%BC%8C%E6%82%A8%E7%9A%84%E7%BB%B4%E4%BF%AE%E5%8D%95" ..
  "W20250001%E5%B7%B2%E5%AE%8C%E6%88%90%E3%80%82%E5%9B%9E%E5%A4%8D%201%20" ..
  "%E6%BB%A1%E6%84%8F%20%2F%202%20%E4%B8%8D%E6%BB%A1%E6%84%8F"
