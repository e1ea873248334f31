-- Helpers shared by the sendpool-milter miltertest scripts; each script starts with
--   dofile(scripts .. "/common.lua")
-- Globals defined by milter_test.py with `miltertest -D name=value`:
--   port     TCP port of the sendpool-milter under test (it listens on 127.0.0.1)
--   scripts  this directory
--
-- Every check ends in error() when it fails, and every script ends with pass(), which prints
-- the line "PASS" that the driver requires: miltertest exits 0 without running the rest of a
-- script when a step the milter did not register is used, so exit status 0 alone proves
-- nothing.
--
-- mt.eom() is bracketed by "EOM <label> BEGIN" / "EOM <label> END" lines. The driver runs
-- miltertest with -vv, whose "mt_milter_read(fd): cmd e, len N" lines in between are the only
-- trace of SMFIR_CHGFROM (miltertest has no MT_ constant for a sender change).

-- miltertest prints nothing when a script raises an error (it only exits 1), so every failure
-- goes through fail(), which prints "FAIL: <message>" and where it happened first.
function fail(message, level)
  local where = debug and debug.traceback and debug.traceback("", (level or 1) + 1) or ""
  print("FAIL: " .. message .. where)
  error(message, (level or 1) + 1)
end

local reply_names = {
  [SMFIR_ACCEPT] = "SMFIR_ACCEPT", [SMFIR_CONTINUE] = "SMFIR_CONTINUE",
  [SMFIR_DISCARD] = "SMFIR_DISCARD", [SMFIR_REJECT] = "SMFIR_REJECT",
  [SMFIR_TEMPFAIL] = "SMFIR_TEMPFAIL", [SMFIR_REPLYCODE] = "SMFIR_REPLYCODE",
}

function reply_name(r)
  if r == nil then return "nil" end
  if reply_names[r] then return reply_names[r] end
  if r > 31 and r < 127 then return string.format("'%s'", string.char(r)) end
  return tostring(r)
end

-- error() unless `cond`, naming the caller's line.
function check(cond, message)
  if not cond then fail(message, 2) end
end

-- mt.* functions return nil on success or an error string.
function ok(result, what)
  if result ~= nil then fail(what .. " failed: " .. tostring(result), 2) end
end

function expect_reply(conn, want, what)
  local got = mt.getreply(conn)
  if got ~= want then
    fail(string.format("%s: milter replied %s, expected %s", what, reply_name(got),
                       reply_name(want)), 2)
  end
end

-- A new connection from `ip` (default 127.0.0.1), connect step answered with continue.
function open(ip)
  local conn = mt.connect("inet:" .. port .. "@127.0.0.1", 40, 0.25)
  check(conn ~= nil, "mt.connect() failed")
  ok(mt.conninfo(conn, "client.sendpool.test", ip or "127.0.0.1"), "mt.conninfo")
  expect_reply(conn, SMFIR_CONTINUE, "connect")
  return conn
end

-- MAIL FROM `sender` with the macros Postfix sends at MAIL: {auth_authen} only after AUTH
-- (pass nil for none) and the queue id `i`, which the milter logs at end of message.
function mail(conn, auth, sender, queue_id)
  if auth ~= nil then
    ok(mt.macro(conn, SMFIC_MAIL, "i", queue_id or "NOQUEUE", "{auth_type}", "PLAIN",
                "{auth_authen}", auth), "mt.macro")
  else
    ok(mt.macro(conn, SMFIC_MAIL, "i", queue_id or "NOQUEUE"), "mt.macro")
  end
  ok(mt.mailfrom(conn, sender), "mt.mailfrom(" .. sender .. ")")
end

function mail_ok(conn, auth, sender, queue_id)
  mail(conn, auth, sender, queue_id)
  expect_reply(conn, SMFIR_CONTINUE, "MAIL FROM:" .. sender)
end

-- Rejected at MAIL: libmilter sends SMFIR_REPLYCODE (the milter set 550 5.7.1 and a text).
-- miltertest keeps no text for replies before end of message; the driver checks the texts
-- over the raw protocol.
function mail_refused(conn, auth, sender)
  mail(conn, auth, sender)
  expect_reply(conn, SMFIR_REPLYCODE, "MAIL FROM:" .. sender .. " as " .. tostring(auth))
end

function rcpt_ok(conn, recipient)
  ok(mt.rcptto(conn, recipient), "mt.rcptto(" .. recipient .. ")")
  expect_reply(conn, SMFIR_CONTINUE, "RCPT TO:" .. recipient)
end

-- `list` is an array of {name, value}; then end of headers.
function headers(conn, list)
  for _, h in ipairs(list) do
    ok(mt.header(conn, h[1], h[2]), "mt.header(" .. h[1] .. ")")
    expect_reply(conn, SMFIR_CONTINUE, "header " .. h[1])
  end
  ok(mt.eoh(conn), "mt.eoh")
  expect_reply(conn, SMFIR_CONTINUE, "end of headers")
end

function body(conn, text)
  ok(mt.bodystring(conn, text), "mt.bodystring")
  expect_reply(conn, SMFIR_CONTINUE, "body")
end

function eom(conn, label)
  print("EOM " .. label .. " BEGIN")
  ok(mt.eom(conn), "mt.eom")
  print("EOM " .. label .. " END")
end

-- An ordinary message's headers, From: `from`.
function standard_headers(from, extra)
  local list = {
    {"Received", "from app.customer.example (app.customer.example [192.0.2.1]) by mta"},
    {"From", from},
    {"To", "Someone <keep@example.net>"},
    {"Subject", "Your order 1234"},
    {"Date", "Fri, 04 Dec 2026 10:00:00 +0000"},
    {"Message-ID", "<order-1234@app.customer.example>"},
    {"MIME-Version", "1.0"},
    {"Content-Type", "text/plain; charset=utf-8"},
  }
  for _, h in ipairs(extra or {}) do table.insert(list, h) end
  return list
end

BODY = "Hello,\r\n\r\nyour order has shipped.\r\n"

-- All DKIM-Signature values the milter inserted (mt.getheader counts from the last one).
function signatures(conn)
  local out = {}
  local n = 0
  while true do
    local v = mt.getheader(conn, "DKIM-Signature", n)
    if v == nil then break end
    table.insert(out, v)
    n = n + 1
  end
  return out
end

-- The value of tag `name` in a DKIM-Signature value, folding whitespace removed.
function dkim_tag(sig, name)
  local flat = sig:gsub("%s", "")
  return flat:match("^" .. name .. "=([^;]*)") or flat:match(";" .. name .. "=([^;]*)")
end

-- {lower-case header name = how often it is listed} of a signature's h= tag.
function signed_headers(sig)
  local out = {}
  for name in (dkim_tag(sig, "h") or ""):lower():gmatch("[^:]+") do
    out[name] = (out[name] or 0) + 1
  end
  return out
end

-- The signature made with d=`domain` and a=`algorithm`; error() unless exactly one.
function signature_for(sigs, domain, algorithm)
  local found = nil
  for _, s in ipairs(sigs) do
    if dkim_tag(s, "d") == domain and dkim_tag(s, "a") == algorithm then
      check(found == nil, "two " .. algorithm .. " signatures with d=" .. domain)
      found = s
    end
  end
  if found == nil then
    fail("no " .. algorithm .. " signature with d=" .. domain .. " among " .. #sigs, 2)
  end
  return found
end

-- Checks every signature: inserted at index 1 (below the MTA's own Received:), relaxed/relaxed,
-- covering From (oversigned) and the headers present, never Received or Return-Path; then
-- returns them. `expected` is an array of {domain, selector, algorithm}.
function check_signatures(conn, expected, also_signed)
  local sigs = signatures(conn)
  check(#sigs == #expected, string.format("%d DKIM-Signature headers inserted, expected %d",
                                          #sigs, #expected))
  for _, e in ipairs(expected) do
    local s = signature_for(sigs, e[1], e[3])
    check(dkim_tag(s, "s") == e[2], "d=" .. e[1] .. ": s=" .. tostring(dkim_tag(s, "s")) ..
          ", expected " .. e[2])
    check(dkim_tag(s, "c") == "relaxed/relaxed", "d=" .. e[1] .. ": c=" .. tostring(dkim_tag(s, "c")))
    check(dkim_tag(s, "b") ~= nil and #dkim_tag(s, "b") > 40, "d=" .. e[1] .. ": no b= value")
    check(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature", s, 1),
          "d=" .. e[1] .. " " .. e[3] .. ": not inserted at index 1")
    check(not s:find("\r", 1, true), "signature value holds a CR")
    local signed = signed_headers(s)
    check((signed["from"] or 0) >= 2, "d=" .. e[1] .. ": From is not oversigned: h=" .. dkim_tag(s, "h"))
    local wanted = {"to", "subject", "date", "message-id", "mime-version", "content-type"}
    for _, name in ipairs(also_signed or {}) do table.insert(wanted, name) end
    for _, name in ipairs(wanted) do
      check(signed[name], "d=" .. e[1] .. ": h= lacks " .. name .. ": " .. dkim_tag(s, "h"))
    end
    for _, name in ipairs({"received", "return-path", "dkim-signature"}) do
      check(not signed[name], "d=" .. e[1] .. ": h= signs " .. name .. ": " .. dkim_tag(s, "h"))
    end
  end
  check(not mt.eom_check(conn, MT_HDRADD, "DKIM-Signature"), "a signature was appended, not inserted")
  return sigs
end

function pass()
  print("PASS")
end
