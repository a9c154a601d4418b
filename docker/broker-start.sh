#!/bin/sh
# One start-up for every broker image (offline recipe and official apache/kafka):
# write server.properties from the environment, format KRaft storage once, exec the broker.
# A restarted container keeps its data: the format step is skipped when meta.properties exists.
set -eu
: "${CHAOS_SERVER_PROPERTIES:?CHAOS_SERVER_PROPERTIES must hold the broker settings}"
: "${CHAOS_CLUSTER_ID:?CHAOS_CLUSTER_ID must hold the KRaft cluster id}"
conf_dir=/var/lib/kafka-chaos
conf="$conf_dir/server.properties"
mkdir -p "$conf_dir"
printf '%s\n' "$CHAOS_SERVER_PROPERTIES" > "$conf"
log_dir=$(sed -n 's/^log\.dirs=//p' "$conf")
# The image's class-data-sharing archive, when it has one (-Xshare:auto: a JVM that cannot map it starts
# without it); CHAOS_CDS=off starts without it (for benchmarks).
if [ -s /opt/kafka/kafka-cds.jsa ] && [ "${CHAOS_CDS:-on}" != off ]; then
  export KAFKA_OPTS="${KAFKA_OPTS:-} -XX:SharedArchiveFile=/opt/kafka/kafka-cds.jsa -Xshare:auto"
fi
if [ ! -f "$log_dir/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format -t "$CHAOS_CLUSTER_ID" -c "$conf"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$conf"
