# Shared by scripts/test, scripts/demo and scripts/bench: install what is missing.
# Sourced, not run. Debian 12 package names; apt-get runs only when something is missing.

SENDPOOL_BUILD_PACKAGES=(
  build-essential cmake pkg-config
  liblmdb-dev libsodium-dev libyaml-cpp-dev libfmt-dev libssl-dev
  libboost-dev libboost-program-options-dev nlohmann-json3-dev
  libmilter-dev libopendkim-dev
)
SENDPOOL_TEST_PACKAGES=(
  libgtest-dev libgmock-dev python3 lmdb-utils openssl
  postfix swaks python3-dkim python3-dnspython opendkim-tools miltertest
)

# install_missing PACKAGE... : installs the named packages that are not installed yet.
install_missing() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Postfix asks how to configure itself; our tests run private instances, so: no config.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# build_sendpool BUILD_DIR [cmake args...] : configures and builds.
build_sendpool() {
  local dir=$1
  shift
  cmake -S "$SENDPOOL_ROOT" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}
