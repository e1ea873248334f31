-- Suppressed recipients are deleted at end of message with the exact RCPT TO string
-- (smfi_delrcpt compares case-sensitively): gone@example.net is on tx-app's own list,
-- global-gone@example.net on the platform's. The other recipients stay and the message is
-- signed as usual.
dofile(scripts .. "/common.lua")

local conn = open()
mail_ok(conn, "tx-app", "<orders@acme.test>", "QSUPP")
rcpt_ok(conn, "<keep@example.net>")
rcpt_ok(conn, "<gone@EXAMPLE.NET>")            -- the domain's case differs from the list's
rcpt_ok(conn, "<global-gone@example.net>")
rcpt_ok(conn, "<Gone@example.net>")            -- another local part: not suppressed
headers(conn, standard_headers("orders@acme.test"))
body(conn, BODY)
eom(conn, "suppressed")
expect_reply(conn, SMFIR_CONTINUE, "end of message")
check(mt.eom_check(conn, MT_RCPTDELETE, "<gone@EXAMPLE.NET>"),
      "<gone@EXAMPLE.NET> (account suppression) not deleted with its RCPT TO spelling")
check(mt.eom_check(conn, MT_RCPTDELETE, "<global-gone@example.net>"),
      "<global-gone@example.net> (platform suppression) not deleted")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<gone@example.net>"),
      "deleted a normalised spelling that was never a recipient")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<keep@example.net>"), "<keep@example.net> deleted")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<Gone@example.net>"), "<Gone@example.net> deleted")
check_signatures(conn, {{"acme.test", "s1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}})
check(mt.eom_check(conn, MT_HDRADD, "Feedback-ID"), "no Feedback-ID")
mt.disconnect(conn)
pass()
