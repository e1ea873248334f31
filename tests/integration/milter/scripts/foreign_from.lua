-- The From: header must hold exactly one address in a domain linked to the account (and
-- Sender: likewise); otherwise 550 5.7.1 at end of message, with nothing signed.
dofile(scripts .. "/common.lua")

local conn = open()

local function refused_at_eom(label, list, text)
  mail_ok(conn, "tx-app", "<orders@acme.test>")
  rcpt_ok(conn, "<keep@example.net>")
  headers(conn, list)
  body(conn, BODY)
  eom(conn, label)
  expect_reply(conn, SMFIR_REPLYCODE, label .. ": end of message")
  check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", text),
        label .. ": no reply \"550 5.7.1 " .. text .. "\"")
  check(#signatures(conn) == 0, label .. ": a refused message was signed")
  check(not mt.eom_check(conn, MT_HDRADD), label .. ": a header was added to a refused message")
end

refused_at_eom("foreign-from", standard_headers("The Boss <boss@evil.test>"),
               "From: domain evil.test is not authorised for account tx-app")
refused_at_eom("other-accounts-from", standard_headers("offers@promo.test"),
               "From: domain promo.test is not authorised for account tx-app")
refused_at_eom("two-froms", standard_headers("orders@acme.test", {{"From", "boss@evil.test"}}),
               "the message has 2 From: headers; exactly one is required")
refused_at_eom("two-addresses", standard_headers("orders@acme.test, boss@evil.test"),
               "the From: header must hold exactly one address")
refused_at_eom("foreign-sender",
               standard_headers("orders@acme.test", {{"Sender", "relay@evil.test"}}),
               "Sender: domain evil.test is not authorised for account tx-app")
local no_from = standard_headers("x@acme.test")
table.remove(no_from, 2)
refused_at_eom("no-from", no_from, "the message has no From: header")

-- An "@" in the display name is not an address: accepted and signed for acme.test.
mail_ok(conn, "tx-app", "<orders@acme.test>")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("\"boss@evil.test\" <orders@acme.test>"))
body(conn, BODY)
eom(conn, "display-name-at")
expect_reply(conn, SMFIR_CONTINUE, "display name with @: end of message")
check_signatures(conn, {{"acme.test", "s1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}})
mt.disconnect(conn)
pass()
