#!/usr/bin/env bash
# Thin wrapper over the Kafka 4.1 CLI tool classes (same jars as the broker).
# usage: kafka-cli.sh create TOPIC [PARTITIONS] | delete TOPIC | offsets TOPIC | describe-group GROUP
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BOOT="${KAFKA_BROKER:-127.0.0.1:29092}"
CP="${KAFKA_CLASSPATH:-/tmp/kafkalib/*}"
J=(java -Xmx256m -Dlog4j2.configurationFile="$HERE/tools-log4j2.properties" -cp "$CP")
cmd="$1"; shift
case "$cmd" in
  create)   "${J[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --create --topic "$1" --partitions "${2:-6}" --replication-factor 1 ;;
  delete)   "${J[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOT" --delete --topic "$1" ;;
  offsets)  "${J[@]}" org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$BOOT" --topic "$1" ;;
  describe-group) "${J[@]}" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$BOOT" --describe --group "$1" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
