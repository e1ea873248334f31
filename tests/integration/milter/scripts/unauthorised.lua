-- Unauthorised envelope senders are refused at MAIL with a reply code (550 5.7.1; the
-- texts are checked by the driver over the raw protocol): a domain nobody linked, another
-- account's domain, the null sender, an unknown AUTH identity. The connection stays usable:
-- an authorised MAIL afterwards continues.
dofile(scripts .. "/common.lua")

local conn = open()
mail_refused(conn, "tx-app", "<ceo@evil.test>")
mail_refused(conn, "tx-app", "<offers@promo.test>")   -- linked to promo-app, not tx-app
mail_refused(conn, "tx-app", "<>")
mail_refused(conn, "nobody-here", "<orders@acme.test>")
mail_ok(conn, "tx-app", "<orders@acme.test>")
rcpt_ok(conn, "<keep@example.net>")
mt.disconnect(conn)

-- Refused at MAIL means nothing is signed: a fresh connection, a refused MAIL, then a whole
-- message from the same client after an accepted MAIL still gets its two signatures.
conn = open()
mail_refused(conn, "tx-app", "<x@sub.acme.test>")     -- a subdomain is not the linked domain
mail_ok(conn, "tx-app", "<orders@acme.test>")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("orders@acme.test"))
body(conn, BODY)
eom(conn, "after-refusal")
expect_reply(conn, SMFIR_CONTINUE, "end of message")
check_signatures(conn, {{"acme.test", "s1", "rsa-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}})
mt.disconnect(conn)
pass()
