#!/bin/sh
# Kafka ACLs for JAMP Desk: every principal may write only what its service publishes.
#
# Why: the monitor replays a dead letter to the topic its DLQ belongs to (X.dlq -> X), for
# event types that topic carries. Whoever can write to X.dlq can therefore put an event of
# X's types before an operator's replay button. Only the services that consume X (and so
# dead-letter its poison events) may write to X.dlq; nobody else, the monitor included.
#
# Needs a broker with an authorizer (KRaft: authorizer.class.name=
# org.apache.kafka.metadata.authorizer.StandardAuthorizer) and
# allow.everyone.if.no.acl.found=false, and listeners that authenticate each service as
# its own principal (mTLS or SASL). Run with an admin principal's client properties:
#
#   KAFKA_BOOTSTRAP=kafka:9093 KAFKA_ADMIN_CONFIG=admin.properties sh deploy/kafka/acls.sh
#   DRY_RUN=1 sh deploy/kafka/acls.sh      # print the kafka-acls commands only
#
# Keep the two tables below in step with each service's TOPIC_HANDLERS (what it consumes)
# and the streams of its published contracts (shared/contracts/).
set -eu

PREFIX="${JAMP_TOPIC_PREFIX:-jamp}"
GROUP_PREFIX="${JAMP_GROUP_PREFIX:-}"
PRINCIPAL_PREFIX="${JAMP_PRINCIPAL_PREFIX:-User:jamp-}"
KAFKA_ACLS="${KAFKA_ACLS:-kafka-acls.sh}"

acl() {
  if [ -n "${DRY_RUN:-}" ]; then
    printf '%s --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$KAFKA_ADMIN_CONFIG" --add' "$KAFKA_ACLS"
    printf " '%s'" "$@"
    printf '\n'
  else
    "$KAFKA_ACLS" --bootstrap-server "${KAFKA_BOOTSTRAP:?set KAFKA_BOOTSTRAP}" \
      --command-config "${KAFKA_ADMIN_CONFIG:?set KAFKA_ADMIN_CONFIG}" --add "$@"
  fi
}

topic() { echo "$PREFIX.$1.v1"; }

# principal -> the streams it publishes (companies also issues each company's API key).
writes() {
  principal="$PRINCIPAL_PREFIX$1"; shift
  for stream in "$@"; do
    acl --allow-principal "$principal" --operation Write --operation Describe --topic "$(topic "$stream")"
  done
}

# service -> the streams it consumes as its group, and whose dead letters it writes.
consumes() {
  service="$1"; principal="$PRINCIPAL_PREFIX$1"; shift
  acl --allow-principal "$principal" --operation Read --group "$GROUP_PREFIX$service"
  for stream in "$@"; do
    acl --allow-principal "$principal" --operation Read --operation Describe --topic "$(topic "$stream")"
    acl --allow-principal "$principal" --operation Write --operation Describe --topic "$(topic "$stream").dlq"
  done
}

writes companies companies identity
writes proposals proposals
writes inquiries inquiries
writes matching matches
writes notifications notifications
writes monitor monitor
writes cli identity                      # jamp keys: the identity ledger

# Every service checks that the broker still holds the desk's data (shared/healing.py):
# it lists and, after a loss, recreates the desk's topics, and reads and writes the
# incarnation marker topic.
for service in companies proposals inquiries matching monitor; do
  principal="$PRINCIPAL_PREFIX$service"
  acl --allow-principal "$principal" --operation Describe --operation Create \
    --resource-pattern-type prefixed --topic "$PREFIX."
  acl --allow-principal "$principal" --operation Read --operation Write --operation Describe \
    --operation Create --topic "$PREFIX-incarnation"
done

consumes companies identity
consumes proposals identity
consumes inquiries identity matches notifications
consumes matching companies proposals identity
consumes notifications inquiries proposals matches companies identity
consumes monitor identity

# The monitor tails every topic as its own group, reads other groups' offsets without
# joining them, and replays dead letters to the source streams, never to a .dlq topic.
monitor="${PRINCIPAL_PREFIX}monitor"
acl --allow-principal "$monitor" --operation Read --operation Describe \
  --resource-pattern-type prefixed --topic "$PREFIX."
acl --allow-principal "$monitor" --operation Read --group "${GROUP_PREFIX}monitor-tail"
if [ -n "$GROUP_PREFIX" ]; then
  acl --allow-principal "$monitor" --operation Describe --resource-pattern-type prefixed --group "$GROUP_PREFIX"
else
  acl --allow-principal "$monitor" --operation Describe --group '*'
fi
acl --allow-principal "$monitor" --operation Describe --cluster
writes monitor companies proposals inquiries matches notifications identity

# The topics job (jamp topics ensure) creates every stream and its .dlq twin.
acl --allow-principal "${PRINCIPAL_PREFIX}cli" --operation Create --operation Describe \
  --operation DescribeConfigs --resource-pattern-type prefixed --topic "$PREFIX."
