#!/bin/sh
KAFKA_HEAP_OPTS="-Xmx128m" KAFKA_LOG4J_CONFIG=/opt/kafka/config/tools-log4j2.properties exec /opt/kafka/bin/kafka-run-class.sh org.apache.kafka.tools.MetadataQuorumCommand "$@"
