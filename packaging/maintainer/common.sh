# sendpool: install steps shared by the .deb postinst and the .rpm %post (packaging/
# maintainer/common.sh, pasted into both at configure time). POSIX sh; every step is
# idempotent and leaves existing files and directories as the administrator left them.

SENDPOOL_UNITS="@SENDPOOL_UNITS@"
SENDPOOL_KEY_DIR=/etc/sendpool/keys
SENDPOOL_STATE_DIR=/var/lib/sendpool
# Postfix's smtpd runs chrooted in /var/spool/postfix, so the daemons' sockets must lie
# below it; private/ is mode 0700 owner postfix, so sendpool gets a directory of its own
# that Postfix's processes (group postfix) may enter.
SENDPOOL_SOCKET_DIR=/var/spool/postfix/sendpool

# The system user and group "sendpool" (no login, no home directory of its own making).
sendpool_ensure_user() {
  if ! getent group sendpool >/dev/null; then
    groupadd --system sendpool
  fi
  if ! getent passwd sendpool >/dev/null; then
    nologin=/usr/sbin/nologin
    [ -x "$nologin" ] || nologin=/sbin/nologin
    useradd --system --gid sendpool --no-create-home --home-dir "$SENDPOOL_STATE_DIR" \
      --shell "$nologin" --comment "sendpool delivery service" sendpool
  fi
}

# sendpool_make_dir PATH MODE OWNER GROUP: creates PATH when it does not exist yet.
sendpool_make_dir() {
  [ -d "$1" ] && return 0
  mkdir -p "$1"
  chown "$3:$4" "$1"
  chmod "$2" "$1"
}

sendpool_ensure_dirs() {
  sendpool_make_dir "$SENDPOOL_STATE_DIR" 0750 sendpool sendpool
  sendpool_make_dir "$SENDPOOL_KEY_DIR" 0750 root sendpool
  if getent group postfix >/dev/null && [ -d /var/spool/postfix ]; then
    sendpool_make_dir "$SENDPOOL_SOCKET_DIR" 0750 sendpool postfix
  else
    echo "sendpool: Postfix is not installed: after installing it, make $SENDPOOL_SOCKET_DIR" \
      "(owner sendpool, group postfix, mode 0750) or reinstall sendpool" >&2
  fi
}

# sendpool_install_key FILE COMMAND...: runs COMMAND (which writes FILE.new) and installs
# the result as FILE, mode 0640, owner root, group sendpool; never replaces an existing FILE.
sendpool_install_key() {
  key=$1
  shift
  [ -e "$key" ] && return 1
  rm -f "$key.new"
  (umask 077 && "$@") || { rm -f "$key.new"; return 1; }
  chown root:sendpool "$key.new"
  chmod 0640 "$key.new"
  mv "$key.new" "$key"
}

sendpool_write_secret() {
  head -c 32 /dev/urandom | base64 >"$SENDPOOL_KEY_DIR/token.secret.new"
}

sendpool_write_dkim_key() {
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$SENDPOOL_KEY_DIR/platform.private.new" 2>/dev/null
}

# The keys the shipped sendpool.yaml names, so that --check-config passes out of the box:
# a fresh return-path secret and a platform DKIM key (publish its public key in DNS).
sendpool_ensure_keys() {
  sendpool_install_key "$SENDPOOL_KEY_DIR/token.secret" sendpool_write_secret || true
  if command -v openssl >/dev/null; then
    if sendpool_install_key "$SENDPOOL_KEY_DIR/platform.private" sendpool_write_dkim_key; then
      echo "sendpool: made the platform DKIM key $SENDPOOL_KEY_DIR/platform.private;" \
        "publish its public key (see /usr/share/doc/sendpool/README.packaging.md)" >&2
    fi
  fi
}

sendpool_setup() {
  sendpool_ensure_user
  sendpool_ensure_dirs
  sendpool_ensure_keys
}
