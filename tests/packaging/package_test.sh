#!/usr/bin/env bash
# The packaging test: builds the .deb and .rpm (scripts/package, in build-package/ beside
# the source tree, incremental across runs), installs the .deb on this machine and checks
# what it promises, removes and purges it, runs lintian, and inspects the .rpm.
# It leaves the machine as it found it: the package is purged and the sendpool user and
# group it created are deleted at the end, also on failure. It needs root (or sudo without
# a password) and skips (exit 77) when sendpool is already on this machine, so an
# operator's installation and data are never touched.
# Usage: package_test.sh [SOURCE_DIR]
set -euo pipefail
root=$(realpath "${1:-$(dirname "$0")/../..}")
. "$root/scripts/lib/packages.sh"

skip() { echo "SKIP: $*"; exit 77; }
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then exec sudo -n bash "$0" "$root"; fi
  skip "needs root (dpkg -i) or passwordless sudo"
fi
command -v dpkg >/dev/null || skip "not a Debian system"
if dpkg-query -W -f='${Status}' sendpool 2>/dev/null | grep -qv "not-installed"; then
  skip "the sendpool package is installed on this machine; not touching it"
fi
for d in /etc/sendpool /var/lib/sendpool /var/spool/postfix/sendpool; do
  [ -e "$d" ] && skip "$d exists on this machine; not touching it"
done

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# mode_owner PATH: "750 sendpool:sendpool"
mode_owner() { stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing; }
expect_mode() {  # expect_mode PATH "MODE USER:GROUP"
  local got
  got=$(mode_owner "$1")
  if [ "$got" = "$2" ]; then pass "$1 is $2"; else fail "$1 is $got, expected $2"; fi
}

had_user=false had_group=false
getent passwd sendpool >/dev/null && had_user=true
getent group sendpool >/dev/null && had_group=true
work=$(mktemp -d /tmp/sendpool-package-test.XXXXXX)
daemon_pid=""
cleanup() {
  set +e
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  if dpkg-query -W sendpool >/dev/null 2>&1; then
    dpkg -P sendpool >/dev/null 2>&1 || echo "cleanup: dpkg -P sendpool failed" >&2
  fi
  $had_user || ! getent passwd sendpool >/dev/null || userdel sendpool
  $had_group || ! getent group sendpool >/dev/null || groupdel sendpool
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the packages"
install_missing lintian man-db rpm systemd
"$root/scripts/package" "$root/build-package" >"$work/package.log" 2>&1 ||
  { tail -40 "$work/package.log"; exit 1; }
version=$(head -n1 "$root/VERSION")
deb="$root/build-package/packages/sendpool_${version}_$(dpkg --print-architecture).deb"
rpm_file=$(ls "$root"/build-package/packages/sendpool-"$version"-*.rpm)
[ -f "$deb" ] || { echo "no $deb"; exit 1; }

echo "== dpkg -i"
dpkg -i "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
pass "dpkg -i $(basename "$deb")"

echo "== user, directories, keys"
check "user sendpool is a system user without a login shell" \
  bash -c 'IFS=: read -r _ _ uid _ _ home shell < <(getent passwd sendpool);
           [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/sendpool ] && [[ $shell == */nologin ]]'
check "group sendpool exists" bash -c 'getent group sendpool >/dev/null'
expect_mode /var/lib/sendpool "750 sendpool:sendpool"
expect_mode /etc/sendpool/keys "750 root:sendpool"
expect_mode /etc/sendpool/keys/token.secret "640 root:sendpool"
expect_mode /etc/sendpool/keys/platform.private "640 root:sendpool"
expect_mode /etc/sendpool/sendpool.yaml "644 root:root"
if getent group postfix >/dev/null; then
  expect_mode /var/spool/postfix/sendpool "750 sendpool:postfix"
else
  echo "note: no postfix group here; the socket directory is not checked"
fi
check "the conffile is registered" \
  bash -c "dpkg-query -W -f='\${Conffiles}' sendpool | grep -q '^ /etc/sendpool/sendpool.yaml '"
# The programs of this build (sendpool-feedback and sendpool-outcomes when they are built).
programs=$(dpkg -L sendpool | grep '^/usr/sbin/' | xargs -n1 basename)
daemons=$(grep -x 'sendpool-milter\|sendpool-policyd\|sendpool-outcomes' <<<"$programs" || true)
for f in /usr/sbin/sendpool-milter /usr/sbin/sendpool-policyd /usr/sbin/sendpoolctl \
  /usr/lib/sysusers.d/sendpool.conf /usr/lib/tmpfiles.d/sendpool.conf \
  /usr/share/doc/sendpool/copyright /usr/share/doc/sendpool/postfix/main.cf.sendpool \
  /usr/share/doc/sendpool/postfix/master.cf.sendpool; do
  check "$f installed" test -f "$f"
done

echo "== man pages"
pages=$(dpkg -L sendpool | grep '^/usr/share/man/man[58]/.*\.gz$')
check "man page sendpool.yaml.5 installed" grep -q "/sendpool.yaml.5.gz$" <<<"$pages"
for p in $programs; do
  check "man page $p.8 installed" grep -q "/$p.8.gz$" <<<"$pages"
done
for page in $pages; do
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  if [ -z "$warnings" ]; then pass "man -l $page renders cleanly"; else fail "man -l $page: $warnings"; fi
done

echo "== programs as installed"
check "sendpoolctl --version prints $version" \
  bash -c "[ \"\$(sendpoolctl --version)\" = 'sendpoolctl $version' ]"
for d in $(grep -v '^sendpoolctl$' <<<"$programs"); do
  check "$d --version prints $version" bash -c "[ \"\$($d --version)\" = '$d $version' ]"
  # As systemd (ExecStartPre) and Postfix's pipe(8) run them: as the sendpool user, the keys
  # read through its group.
  check "$d --check-config passes on the shipped configuration (as sendpool)" \
    setpriv --reuid=sendpool --regid=sendpool --init-groups "$d" --check-config
done

echo "== systemd units"
for unit in $daemons; do
  path=/usr/lib/systemd/system/$unit.service
  check "$unit.service installed" test -f "$path"
  check "systemd-analyze verify $unit.service" systemd-analyze verify "$path"
  exposure=$(systemd-analyze security --offline=true "$path" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -n "$exposure" ] && awk "BEGIN { exit !($exposure <= 3.0) }"; then
    pass "$unit.service exposure $exposure (<= 3.0)"
  else
    fail "$unit.service exposure '${exposure:-?}' (want <= 3.0)"
  fi
done
check "sysusers.d entry parses" systemd-sysusers --dry-run /usr/lib/sysusers.d/sendpool.conf
check "tmpfiles.d entry applies (idempotent)" systemd-tmpfiles --create /usr/lib/tmpfiles.d/sendpool.conf
expect_mode /var/lib/sendpool "750 sendpool:sendpool"

if getent group postfix >/dev/null; then
  echo "== sockets: sendpool creates them, Postfix (group postfix) reaches them"
  setpriv --reuid=sendpool --regid=sendpool --init-groups \
    sendpoolctl customer add package-test >/dev/null
  chmod 755 "$work"
  cat >"$work/sendpool.yaml" <<'YAML'
platform:
  return_path_domain: bounces.example.net
  token_secret_file: /etc/sendpool/keys/token.secret
policyd:
  policy_listen: unix:/var/spool/postfix/sendpool/policy
  route_listen: unix:/var/spool/postfix/sendpool/route
  auth_listen: unix:/var/spool/postfix/sendpool/auth
YAML
  chmod 644 "$work/sendpool.yaml"
  setpriv --reuid=sendpool --regid=sendpool --init-groups \
    sendpool-policyd --config "$work/sendpool.yaml" 2>"$work/policyd.err" &
  daemon_pid=$!
  for _ in $(seq 50); do [ -S /var/spool/postfix/sendpool/route ] && break; sleep 0.1; done
  connect='import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5)
s.connect("/var/spool/postfix/sendpool/route"); s.sendall(b"12:route nobody,")
sys.exit(0 if s.recv(100) == b"9:NOTFOUND ," else 1)'
  check "user postfix gets an answer from the route socket" \
    setpriv --reuid=postfix --regid=postfix --clear-groups /usr/bin/python3 -c "$connect"
  if setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c "$connect" 2>/dev/null; then
    fail "user nobody reached the socket directory"
  else
    pass "user nobody cannot reach the socket directory"
  fi
  { kill "$daemon_pid"; wait "$daemon_pid"; } || true
  daemon_pid=""
fi

echo "== reinstall: idempotent, conffile kept"
secret_before=$(sha256sum /etc/sendpool/keys/token.secret)
echo "# local change" >>/etc/sendpool/sendpool.yaml
dpkg -i "$deb" >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log"; exit 1; }
check "the return-path secret survives a reinstall" \
  bash -c "[ \"\$(sha256sum /etc/sendpool/keys/token.secret)\" = '$secret_before' ]"
check "a local change to the conffile survives a reinstall" \
  grep -q '^# local change$' /etc/sendpool/sendpool.yaml
expect_mode /var/lib/sendpool "750 sendpool:sendpool"

echo "== dpkg -r: data kept"
dpkg -r sendpool >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; exit 1; }
check "status is config-files after remove" \
  bash -c "dpkg-query -W -f='\${Status}' sendpool | grep -q 'config-files'"
check "programs are gone" test ! -e /usr/sbin/sendpool-milter
check "the store is kept" test -d /var/lib/sendpool/store
check "the keys are kept" test -f /etc/sendpool/keys/token.secret
check "the configuration is kept" test -f /etc/sendpool/sendpool.yaml

echo "== dpkg -P: data dropped"
dpkg -P sendpool >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; exit 1; }
check "the package is gone" bash -c "! dpkg-query -W sendpool >/dev/null 2>&1"
for d in /var/lib/sendpool /etc/sendpool /var/spool/postfix/sendpool; do
  check "$d is gone" test ! -e "$d"
done
check "no unit symlinks are left" \
  bash -c '! ls /etc/systemd/system/sendpool-* /etc/systemd/system/*/sendpool-* 2>/dev/null | grep -q .'

echo "== lintian"
lintian --fail-on error "$deb" >"$work/lintian.log" 2>&1 && lintian_ok=true || lintian_ok=false
sed 's/^/  /' "$work/lintian.log"
if $lintian_ok; then pass "lintian: no errors"; else fail "lintian reported errors"; fi

echo "== rpm $(basename "$rpm_file")"
files=$(rpm -qpl "$rpm_file")
# The .rpm holds what the .deb holds: the same install rules.
for f in $(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }'); do
  check "rpm lists $f" grep -qx "$f" <<<"$files"
done
check "rpm marks sendpool.yaml %config(noreplace)" \
  bash -c "rpm -qp --queryformat '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$rpm_file' |
           grep -qx 'cn /etc/sendpool/sendpool.yaml'"
scripts=$(rpm -qp --scripts "$rpm_file")
for s in "postinstall scriptlet" "preuninstall scriptlet" "postuninstall scriptlet" \
  "useradd --system" "sendpool_ensure_keys"; do
  check "rpm scripts have: $s" grep -q -- "$s" <<<"$scripts"
done
requires=$(rpm -qp --requires "$rpm_file")
for r in 'liblmdb\.so' 'libsodium\.so' 'libyaml-cpp\.so' 'libmilter\.so' 'libopendkim\.so' \
  'libcrypto\.so' '^shadow-utils$' '^openssl$'; do
  check "rpm requires $r" grep -q -- "$r" <<<"$requires"
done

echo
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all packaging checks passed"
