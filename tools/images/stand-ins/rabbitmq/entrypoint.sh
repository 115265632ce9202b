#!/usr/bin/env bash
# Entry point of the rabbitmq stand-in: the default user from RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS (which, like the real image, only take effect on a fresh node), then
# the server as the user rabbitmq.
set -euo pipefail

if [ "${1:-rabbitmq-server}" != rabbitmq-server ]; then exec "$@"; fi

if [ "$(id -u)" = 0 ]; then
  user=${RABBITMQ_DEFAULT_USER:-guest}
  pass=${RABBITMQ_DEFAULT_PASS:-guest}
  case "$user$pass" in *$'\n'*) echo "rabbitmq stand-in: user and password must be one line each" >&2; exit 1 ;; esac
  umask 027
  {
    echo '# Written by the stand-in entry point from the environment at every start.'
    echo 'listeners.tcp.default = 5672'
    echo "default_user = $user"
    echo "default_pass = $pass"
  } >/etc/rabbitmq/rabbitmq.conf
  chgrp rabbitmq /etc/rabbitmq/rabbitmq.conf
  mkdir -p /var/lib/rabbitmq
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi

exec /usr/lib/rabbitmq/bin/rabbitmq-server
