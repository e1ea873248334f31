# sendpool .rpm %preun: on erase ($1 = 0), stop and disable the daemons.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl --no-reload disable --now sendpool-milter.service sendpool-policyd.service \
    >/dev/null 2>&1 || true
fi
