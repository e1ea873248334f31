-- A domain with an RSA and an Ed25519 key (sendpoolctl domain add --key-type both): three
-- signatures, rsa-sha256 and ed25519-sha256 for both.test and rsa-sha256 for the platform.
dofile(scripts .. "/common.lua")

local conn = open()
mail_ok(conn, "ed-app", "<hello@both.test>", "QED")
rcpt_ok(conn, "<keep@example.net>")
headers(conn, standard_headers("hello@both.test"))
body(conn, BODY)
eom(conn, "ed25519")
expect_reply(conn, SMFIR_CONTINUE, "end of message")
check_signatures(conn, {{"both.test", "b1", "rsa-sha256"},
                        {"both.test", "b1e", "ed25519-sha256"},
                        {"dkim.sendpool.test", "sp1", "rsa-sha256"}})
mt.disconnect(conn)
pass()
