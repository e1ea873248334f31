-- Accounts that send without AUTH: ip-app allows 192.0.2.77/32 and 2001:db8:77::/48. Without
-- {auth_authen} the milter takes the account from the client address of the connect step.
dofile(scripts .. "/common.lua")

for _, ip in ipairs({"192.0.2.77", "2001:db8:77::25"}) do
  local conn = open(ip)
  mail_ok(conn, nil, "<noreply@ip.test>", "QIP")
  rcpt_ok(conn, "<keep@example.net>")
  headers(conn, standard_headers("Notifications <noreply@ip.test>"))
  body(conn, BODY)
  eom(conn, "ip-" .. ip)
  expect_reply(conn, SMFIR_CONTINUE, "end of message from " .. ip)
  check_signatures(conn, {{"ip.test", "i1", "rsa-sha256"},
                          {"dkim.sendpool.test", "sp1", "rsa-sha256"}})
  check(mt.eom_check(conn, MT_HDRADD, "Feedback-ID", "ip-app:acme:transactional:sendpool"),
        "Feedback-ID of ip-app not added from " .. ip)
  -- The allowed address does not widen the account: acme.test belongs to tx-app.
  mail_refused(conn, nil, "<orders@acme.test>")
  mt.disconnect(conn)
end

-- Addresses no account allows, without AUTH: refused at MAIL.
for _, ip in ipairs({"192.0.2.78", "198.51.100.9", "2001:db8:78::1", "unspec"}) do
  local conn = open(ip)
  mail_refused(conn, nil, "<noreply@ip.test>")
  mt.disconnect(conn)
end

-- AUTH wins over the client address: from an allowed address, authenticated as tx-app,
-- ip.test is not authorised while acme.test is.
local conn = open("192.0.2.77")
mail_refused(conn, "tx-app", "<noreply@ip.test>")
mail_ok(conn, "tx-app", "<orders@acme.test>")
mt.disconnect(conn)
pass()
