#!/bin/sh
# Build-time training run for a class-data-sharing archive (AppCDS, JDK 13+): start a one-node KRaft
# broker with -XX:ArchiveClassesAtExit, wait until it has started, stop it cleanly; the JVM then writes
# every class it loaded to /opt/kafka/kafka-cds.jsa. broker-start.sh hands the archive to every JVM it
# starts (storage format and broker): they map those classes instead of loading and verifying them.
# Best effort: without an archive (a failed training, another image) the brokers start as before.
set -u
archive=/opt/kafka/kafka-cds.jsa
work=$(mktemp -d)
cat > "$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
controller.listener.names=CONTROLLER
log.dirs=$work/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
PROPS
export KAFKA_HEAP_OPTS="-Xmx512m -Xms256m"
/opt/kafka/bin/kafka-storage.sh format -t "$(cat /proc/sys/kernel/random/uuid | tr -d '-' | cut -c1-22)" \
  -c "$work/server.properties" >/dev/null 2>&1 || { echo "cds-train: format failed"; exit 0; }
KAFKA_OPTS="-XX:ArchiveClassesAtExit=$archive" /opt/kafka/bin/kafka-server-start.sh "$work/server.properties" \
  > "$work/broker.log" 2>&1 &
pid=$!
i=0
until grep -q "Kafka Server started" "$work/broker.log" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 240 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "cds-train: the broker did not start; no archive"; kill -9 "$pid" 2>/dev/null; rm -rf "$work" "$archive"
    exit 0
  fi
  sleep 0.5
done
kill -TERM "$pid"
(sleep 120; kill -9 "$pid" 2>/dev/null) &   # a broker stuck in its shutdown must not hang the image build
watchdog=$!
wait "$pid" 2>/dev/null
kill "$watchdog" 2>/dev/null
rm -rf "$work"
if [ -s "$archive" ]; then echo "cds-train: archive $(du -h "$archive" | cut -f1)"; else echo "cds-train: no archive"; fi
exit 0
