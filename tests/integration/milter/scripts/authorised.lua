-- An authorised sender: SMTP AUTH as tx-app ({auth_authen}), envelope and From: in acme.test,
-- which is linked to tx-app. Every step continues; at end of message the milter inserts the
-- domain's and the platform's DKIM signatures at index 1, appends Feedback-ID, adds no
-- List-Unsubscribe (transactional account), deletes no recipient and sets no reply. The
-- sender change is checked by the driver (see common.lua).
dofile(scripts .. "/common.lua")

local conn = open()
mail_ok(conn, "tx-app", "<orders@acme.test>", "QAUTH1")
rcpt_ok(conn, "<keep@example.net>")
rcpt_ok(conn, "<Other.Keep@example.org>")
headers(conn, standard_headers("Acme Orders <orders@acme.test>"))
body(conn, BODY)
eom(conn, "authorised")
expect_reply(conn, SMFIR_CONTINUE, "end of message")

check_signatures(conn, {{"acme.test", "s1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}}, {"feedback-id"})
check(mt.eom_check(conn, MT_HDRADD, "Feedback-ID", "tx-app:acme:transactional:sendpool"),
      "Feedback-ID tx-app:acme:transactional:sendpool not added: " ..
      tostring(mt.getheader(conn, "Feedback-ID", 0)))
check(mt.getheader(conn, "Feedback-ID", 1) == nil, "Feedback-ID added twice")
check(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe"), "List-Unsubscribe added to transactional mail")
check(not mt.eom_check(conn, MT_HDRADD, "List-Unsubscribe-Post"), "List-Unsubscribe-Post added")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<keep@example.net>"), "a kept recipient was deleted")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<Other.Keep@example.org>"), "a kept recipient was deleted")
check(not mt.eom_check(conn, MT_HDRCHANGE), "an existing header was changed")
check(not mt.eom_check(conn, MT_BODYCHANGE), "the body was replaced")

-- A second message on the same connection, the envelope domain in upper case: the milter
-- starts over at MAIL and signs again.
mail_ok(conn, "tx-app", "<billing@ACME.TEST>", "QAUTH2")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("billing@Acme.Test"))
body(conn, BODY)
eom(conn, "authorised-second")
expect_reply(conn, SMFIR_CONTINUE, "end of the second message")
check_signatures(conn, {{"acme.test", "s1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}})
check(mt.eom_check(conn, MT_HDRADD, "Feedback-ID", "tx-app:acme:transactional:sendpool"),
      "no Feedback-ID on the second message")

mt.disconnect(conn)
pass()
