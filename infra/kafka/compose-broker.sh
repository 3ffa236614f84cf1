#!/bin/bash
# docker-compose.yml's broker entry point, inside the apache/kafka image: the image's own
# start-up, after formatting the storage with the SCRAM users (the image formats without them;
# SCRAM credentials must be in the metadata before brokers can authenticate each other).
# Passwords come from the environment (SCRAM_*_PASSWORD, no KAFKA_ prefix: the image turns every
# KAFKA_* variable into a broker property). Not exercised on our machines (no Docker engine).
set -euo pipefail
/etc/kafka/docker/configure
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted \
  --cluster-id "$CLUSTER_ID" --config /opt/kafka/config/server.properties \
  --add-scram "SCRAM-SHA-512=[name=admin,password=${SCRAM_ADMIN_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=command-service,password=${SCRAM_COMMAND_SERVICE_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=projector,password=${SCRAM_PROJECTOR_PASSWORD}]" >/dev/null
# For the healthcheck's CLI call, readable by this container only.
umask 077
cat >/tmp/admin-client.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${SCRAM_ADMIN_PASSWORD}";
PROPERTIES
exec /etc/kafka/docker/run
