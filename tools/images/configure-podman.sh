#!/usr/bin/env bash
# Makes Debian's podman (4.3, run as root) work on the CI machines. Run by .ci/run only:
# - the runc runtime: crun fails on these machines' hybrid cgroup layout;
# - explicit default ulimits: without CAP_SYS_RESOURCE, podman cannot raise a container's
#   limits to its defaults, so it must be told limits at or below the current ones.
# Idempotent: it rewrites only the lines between its own markers.
set -euo pipefail
conf=/etc/containers/containers.conf
begin='# >>> switchboard ci (tools/images/configure-podman.sh)'
end='# <<< switchboard ci'
nofile=$(ulimit -n); nproc=$(ulimit -u)
# Never above what this shell has (podman cannot raise them), nor above 1024, plenty for one service.
[ "$nofile" = unlimited ] || [ "$nofile" -gt 1024 ] && nofile=1024
[ "$nproc" = unlimited ] || [ "$nproc" -gt 1024 ] && nproc=1024
command -v runc >/dev/null || { echo "configure-podman: runc is not installed" >&2; exit 1; }
mkdir -p /etc/containers
touch "$conf"
if grep -qF "$begin" "$conf"; then
  sed -i "/^$(printf '%s' "$begin" | sed 's/[][\/.*^$]/\\&/g')\$/,/^$(printf '%s' "$end" | sed 's/[][\/.*^$]/\\&/g')\$/d" "$conf"
fi
if grep -qE '^\[(containers|engine)\]' "$conf"; then
  echo "configure-podman: $conf has its own [containers] or [engine] table; set runtime=\"runc\" and default_ulimits there" >&2
  exit 1
fi
cat >> "$conf" <<CONF
$begin
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
$end
CONF
echo "configure-podman: runc, nofile=$nofile, nproc=$nproc in $conf"
