-- A promotional account: List-Unsubscribe is appended (a mailto: token at the return-path
-- domain; no https URL and no List-Unsubscribe-Post, platform.unsubscribe_url being unset)
-- and signed; a message that has its own List-Unsubscribe keeps it and gets none added.
-- The line "TOKEN <mailto address>" lets the driver check the token's MAC.
dofile(scripts .. "/common.lua")

local conn = open()
mail_ok(conn, "promo-app", "<news@promo.test>", "QPROMO")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("News <news@promo.test>"))
body(conn, BODY)
eom(conn, "promotional")
expect_reply(conn, SMFIR_CONTINUE, "end of message")
local lu = mt.getheader(conn, "List-Unsubscribe", 0)
check(lu ~= nil, "no List-Unsubscribe added")
check(mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe", lu), "List-Unsubscribe was not appended")
check(mt.getheader(conn, "List-Unsubscribe", 1) == nil, "List-Unsubscribe added twice")
local token = lu:match("^<mailto:(u%.[0-9a-f]+%.[0-9a-f]+%.[a-z2-7]+%.[a-z2-7]+@bounces%.sendpool%.test)%?subject=unsubscribe>$")
check(token ~= nil, "unexpected List-Unsubscribe: " .. lu)
print("TOKEN " .. token)
check(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe-Post"),
      "List-Unsubscribe-Post without an https unsubscribe URL")
check(mt.eom_check(conn, MT_HDRADD, "Feedback-ID", "promo-app:acme:promotional:sendpool"),
      "Feedback-ID promo-app:acme:promotional:sendpool not added")
check_signatures(conn, {{"promo.test", "p1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}},
                 {"list-unsubscribe", "feedback-id"})

mail_ok(conn, "promo-app", "<news@promo.test>", "QPROMO2")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("News <news@promo.test>",
                               {{"List-Unsubscribe", "<https://promo.test/unsubscribe?u=42>"}}))
body(conn, BODY)
eom(conn, "promotional-own-unsubscribe")
expect_reply(conn, SMFIR_CONTINUE, "end of message with its own List-Unsubscribe")
check(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe"),
      "List-Unsubscribe added to a message that has one")
check(mt.eom_check(conn, MT_HDRADD, "Feedback-ID", "promo-app:acme:promotional:sendpool"),
      "no Feedback-ID on the second message")
check_signatures(conn, {{"promo.test", "p1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}}, {"list-unsubscribe"})
mt.disconnect(conn)
pass()
