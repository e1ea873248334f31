-- A disabled account is refused at MAIL, even from its own domain; so is an account whose
-- status is pending-payment.
dofile(scripts .. "/common.lua")

local conn = open()
mail_refused(conn, "off-app", "<a@off.test>")
mail_refused(conn, "unpaid-app", "<a@unpaid.test>")
mt.disconnect(conn)
pass()
