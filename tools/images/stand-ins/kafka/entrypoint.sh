#!/usr/bin/env bash
# Entry point of the apache/kafka stand-in: what the real image's /etc/kafka/docker/run does
# with the environment, reduced to the KRaft, plaintext case the local overlay uses.
set -euo pipefail
props=/opt/kafka/config/server.properties
libs='/opt/kafka/libs/*'

if [ -z "${CLUSTER_ID:-}" ]; then
  echo "kafka stand-in: CLUSTER_ID is required (22 characters of URL-safe base64, e.g. from kafka-storage.sh random-uuid)" >&2
  exit 1
fi

# KAFKA_FOO_BAR=x becomes foo.bar=x, as in the real image: "___" stands for "-" and "__" for
# "_". The JVM's own settings are variables of the start scripts, not broker properties.
not_properties=' KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_GC_LOG_OPTS KAFKA_LOG4J_OPTS KAFKA_JMX_OPTS KAFKA_DEBUG KAFKA_VERSION '
{
  echo "# Written from the KAFKA_* environment by the stand-in's entry point at every start."
  for name in $(compgen -e | grep '^KAFKA_' | sort); do
    case "$not_properties" in *" $name "*) continue ;; esac
    key=${name#KAFKA_}
    key=${key,,}
    key=${key//___/-}
    key=${key//__/$'\x01'}
    key=${key//_/.}
    key=${key//$'\x01'/_}
    printf '%s=%s\n' "$key" "${!name}"
  done
} >"$props"
grep -q '^process\.roles=' "$props" || { echo "kafka stand-in: KAFKA_PROCESS_ROLES is required (KRaft only)" >&2; exit 1; }

heap=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
# A cheap collector and C1 only: a test broker on a small machine, where start-up CPU matters
# more than throughput. The real image uses G1.
jvm=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true}
log4j=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties

# Formats log.dirs once: a volume that already holds this cluster's metadata is kept.
# shellcheck disable=SC2086
java -Xmx256m $jvm "$log4j" -cp "$libs" kafka.tools.StorageTool format \
  --cluster-id "$CLUSTER_ID" --config "$props" --ignore-formatted

# shellcheck disable=SC2086
exec java $heap $jvm "$log4j" ${KAFKA_OPTS:-} -cp "$libs" kafka.Kafka "$props"
