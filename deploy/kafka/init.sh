#!/bin/bash
# Run once before the compose broker starts (the `kafka-init` service, in the apache/kafka image,
# with the broker's own KAFKA_* environment). Idempotent:
# 1. a CA of this deployment and the broker's certificate under it (keytool; the CA's key is
#    thrown away once it has signed), into $SECRETS: broker.p12 (the broker's key, readable by the
#    broker's user only) and ca.pem (what Rollwatch's clients trust: ROLLWATCH_KAFKA_CA_FILE);
# 2. the KRaft storage formatted with a SCRAM-SHA-512 credential for every principal (the KRaft
#    way: `kafka-storage format --add-scram`), passwords from SCRAM_<NAME> variables.
# The broker's own container then finds its storage formatted and starts.
set -euo pipefail

SECRETS=${SECRETS:-/etc/kafka/secrets}
KAFKA_STORAGE=${KAFKA_STORAGE:-/opt/kafka/bin/kafka-storage.sh}
BROKER_HOSTS=${BROKER_HOSTS:-kafka,localhost}
: "${KAFKA_SSL_KEYSTORE_PASSWORD:?the keystore password (KAFKA_BROKER_PASSWORD in compose)}"
: "${CLUSTER_ID:?CLUSTER_ID}"

mkdir -p "$SECRETS"
cd "$SECRETS"
if [ ! -f broker.p12 ]; then
    pass=$KAFKA_SSL_KEYSTORE_PASSWORD
    work=$(mktemp -d)
    san=$(echo "$BROKER_HOSTS" | sed -e 's/^/dns:/' -e 's/,/,dns:/g')
    keytool -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=Rollwatch Kafka CA" \
        -ext bc:c=ca:true,pathlen:0 -ext ku:c=keyCertSign,cRLSign -validity 3650 \
        -keystore "$work/ca.p12" -storetype PKCS12 -storepass "$pass"
    keytool -exportcert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$pass" -file "$work/ca.pem"
    # The broker's certificate names it "broker": its principal on the controller listener.
    keytool -genkeypair -alias broker -keyalg EC -groupname secp256r1 -dname "CN=broker" \
        -validity 3650 -keystore "$work/broker.p12" -storetype PKCS12 -storepass "$pass"
    keytool -certreq -alias broker -keystore "$work/broker.p12" -storepass "$pass" -file "$work/broker.csr"
    keytool -gencert -alias ca -keystore "$work/ca.p12" -storepass "$pass" -infile "$work/broker.csr" \
        -ext "san=$san" -ext eku=serverAuth,clientAuth -ext bc:c=ca:false -validity 3650 \
        -rfc -outfile "$work/broker.crt"
    keytool -importcert -noprompt -alias ca -file "$work/ca.pem" -keystore "$work/broker.p12" -storepass "$pass"
    keytool -importcert -alias broker -file "$work/broker.crt" -keystore "$work/broker.p12" -storepass "$pass"
    install -m 0600 "$work/broker.p12" broker.p12
    install -m 0644 "$work/ca.pem" ca.pem
    rm -rf "$work"
fi

# server.properties from the KAFKA_* variables, as the image's own start does (KAFKA_A_B -> a.b,
# ___ -> -, __ -> _), for the storage tool.
props=$(mktemp)
for name in $(compgen -e | grep '^KAFKA_' || true); do
    case $name in
        KAFKA_VERSION|KAFKA_HEAP_OPTS|KAFKA_LOG4J_OPTS|KAFKA_OPTS|KAFKA_JMX_OPTS|KAFKA_JVM_PERFORMANCE_OPTS|\
        KAFKA_GC_LOG_OPTS|KAFKA_LOG4J_ROOT_LOGLEVEL|KAFKA_LOG4J_LOGGERS|KAFKA_TOOLS_LOG4J_LOGLEVEL|\
        KAFKA_JMX_HOSTNAME|KAFKA_STORAGE) continue ;;
    esac
    key=$(echo "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed -e 's/_/./g' -e 's/\.\.\./-/g' -e 's/\.\./_/g')
    printf '%s=%s\n' "$key" "${!name}" >> "$props"
done
scram=()
for name in $(compgen -e | grep '^SCRAM_' || true); do
    user=$(echo "${name#SCRAM_}" | tr '[:upper:]' '[:lower:]')
    scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=${!name}]")
done
"$KAFKA_STORAGE" format --ignore-formatted --cluster-id="$CLUSTER_ID" -c "$props" "${scram[@]}"
rm -f "$props"
