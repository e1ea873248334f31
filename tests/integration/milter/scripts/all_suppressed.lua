-- Every recipient suppressed: the message is accepted and discarded (SMFIR_DISCARD), nothing
-- is deleted, added or signed. An account's list applies to that account only.
dofile(scripts .. "/common.lua")

local conn = open()
mail_ok(conn, "tx-app", "<orders@acme.test>", "QALL")
rcpt_ok(conn, "<gone@example.net>")
rcpt_ok(conn, "<global-gone@example.net>")
headers(conn, standard_headers("orders@acme.test"))
body(conn, BODY)
eom(conn, "all-suppressed")
expect_reply(conn, SMFIR_DISCARD, "end of message with every recipient suppressed")
check(#signatures(conn) == 0, "a discarded message was signed")
check(not mt.eom_check(conn, MT_HDRADD), "a header was added to a discarded message")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<gone@example.net>"), "recipient deleted before discard")

-- promo-app: tx-app's list does not apply, the platform's does.
mail_ok(conn, "promo-app", "<news@promo.test>", "QALL2")
rcpt_ok(conn, "<gone@example.net>")
rcpt_ok(conn, "<global-gone@example.net>")
headers(conn, standard_headers("News <news@promo.test>"))
body(conn, BODY)
eom(conn, "other-account")
expect_reply(conn, SMFIR_CONTINUE, "end of message for promo-app")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<gone@example.net>"),
      "tx-app's suppression applied to promo-app")
check(mt.eom_check(conn, MT_RCPTDELETE, "<global-gone@example.net>"),
      "the platform's suppression did not apply to promo-app")
check(#signatures(conn) == 2, "promo-app's message not signed twice")
mt.disconnect(conn)
pass()
