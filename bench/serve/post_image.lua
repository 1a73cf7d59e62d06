-- wrk script: POST one image to /ocr as multipart/form-data (field `file`), like the original client.
-- The image path comes from the EDGEOCR_BENCH_IMAGE environment variable.
local path = os.getenv("EDGEOCR_BENCH_IMAGE")
local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
local data = f:read("*all")
f:close()
local boundary = "edgeocr-bench-boundary"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n" ..
  "Content-Disposition: form-data; name=\"file\"; filename=\"image.jpg\"\r\n" ..
  "Content-Type: image/jpeg\r\n\r\n" .. data .. "\r\n--" .. boundary .. "--\r\n"

local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
