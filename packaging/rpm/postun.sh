# sendpool .rpm %postun: reload systemd; on upgrade ($1 >= 1), restart running daemons.
# RPM has no purge: the store, the keys and the user stay after an erase.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  if [ "$1" -ge 1 ]; then
    systemctl try-restart sendpool-milter.service sendpool-policyd.service >/dev/null 2>&1 || true
  fi
fi
