#!/bin/sh
# Offline image: the same entry points as the official image's /opt/kafka/bin, on a plain classpath.
base=/opt/kafka
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-$base/config/log4j2.properties}" \
  -cp "$base/libs/*" "$@"
