-- A message the MTA aborts (RSET, a rejection elsewhere) leaves nothing behind: after aborts
-- at several points, the next message on the same connection is judged on its own headers
-- (the aborted ones had a foreign From:) and signed as usual.
dofile(scripts .. "/common.lua")

local conn = open()

-- Aborted after RCPT.
mail_ok(conn, "tx-app", "<orders@acme.test>")
rcpt_ok(conn, "<gone@example.net>")
ok(mt.abort(conn), "mt.abort")

-- Aborted after a foreign From: header.
mail_ok(conn, "tx-app", "<orders@acme.test>")
rcpt_ok(conn, "<keep@example.net>")
ok(mt.header(conn, "From", "boss@evil.test"), "mt.header")
expect_reply(conn, SMFIR_CONTINUE, "header From")
ok(mt.abort(conn), "mt.abort")

-- Aborted in the body of a message from another account.
mail_ok(conn, "promo-app", "<news@promo.test>")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("boss@evil.test"))
body(conn, "a body that is never finished\r\n")
ok(mt.abort(conn), "mt.abort")

mail_ok(conn, "tx-app", "<orders@acme.test>", "QABORT")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("orders@acme.test"))
body(conn, BODY)
eom(conn, "after-aborts")
expect_reply(conn, SMFIR_CONTINUE, "end of the message after the aborted ones")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<gone@example.net>"),
      "a recipient of an aborted message was deleted")
check(mt.eom_check(conn, MT_HDRADD, "Feedback-ID", "tx-app:acme:transactional:sendpool"),
      "Feedback-ID of the aborted promo-app message")
check(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe"),
      "List-Unsubscribe of the aborted promo-app message")
check_signatures(conn, {{"acme.test", "s1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}})
mt.disconnect(conn)
pass()
