#!/bin/sh
# Waits until the Temporal frontend answers its gRPC health check, then creates the namespace (if absent) and the
# refund workflow's custom search attributes (if absent; an existing one of another type fails the job loudly).
# Idempotent: safe on every `docker compose up`. Runs in temporalio/admin-tools, or anywhere the `temporal` CLI is on PATH.
#   TEMPORAL_ADDRESS     host:port of the frontend (the CLI reads it too)
#   TEMPORAL_NAMESPACE   namespace to create (default: default)
#   NAMESPACE_RETENTION  how long closed workflows are kept (default: 720h = 30 days)
#   SEARCH_ATTRIBUTES    space-separated Name=Type pairs: SEARCH_ATTRIBUTE_TYPES of workflows/refund.contract.ts
#                        (test/compose/compose.test.ts keeps the two in step)
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
: "${SEARCH_ATTRIBUTES:?SEARCH_ATTRIBUTES is required}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${NAMESPACE_RETENTION:-720h}
MAX_ATTEMPTS=${MAX_ATTEMPTS:-60}
SLEEP_SECONDS=${SLEEP_SECONDS:-2}

attempt=1
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Temporal at $TEMPORAL_ADDRESS is not healthy after $MAX_ATTEMPTS attempts" >&2
    exit 1
  fi
  echo "waiting for Temporal at $TEMPORAL_ADDRESS ($attempt/$MAX_ATTEMPTS)"
  attempt=$((attempt + 1))
  sleep "$SLEEP_SECONDS"
done
echo "Temporal at $TEMPORAL_ADDRESS is SERVING"

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE already exists"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention "$RETENTION"
fi

# A namespace just created can take a moment to reach every frontend's cache: retry each attribute a few times.
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  attempt=1
  until out=$(temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --name "$name" --type "$type" 2>&1); do
    case "$out" in
      *"different type"*) echo "$out" >&2; exit 1 ;;
    esac
    if [ "$attempt" -ge 10 ]; then
      echo "could not create search attribute $name ($type) in $NAMESPACE: $out" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep "$SLEEP_SECONDS"
  done
  echo "search attribute $name ($type): $out"
done
echo "namespace $NAMESPACE has the search attributes: $SEARCH_ATTRIBUTES"
