#!/bin/sh
# One-shot run in temporalio/admin-tools once the Temporal server is up:
# creates the namespace dsrflow runs in (when missing) and the custom search
# attributes its workflows upsert. Idempotent.
#
# Environment: TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (both also read by the
# temporal CLI), TEMPORAL_NAMESPACE_RETENTION (closed workflow history kept).
set -eu

: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"

# retry CMD...: run CMD until it succeeds, 60 tries 2s apart. The namespace
# registry and search-attribute caches of the server refresh every few
# seconds, so a step right after the one that created something may fail at
# first.
retry() {
	i=0
	until "$@"; do
		i=$((i + 1))
		if [ "$i" -ge 60 ]; then
			echo "gave up: $*" >&2
			return 1
		fi
		sleep 2
	done
}

echo "waiting for temporal at ${TEMPORAL_ADDRESS}"
retry temporal operator cluster health

if temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
	echo "namespace ${TEMPORAL_NAMESPACE} exists"
else
	echo "creating namespace ${TEMPORAL_NAMESPACE} (retention ${RETENTION})"
	retry temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$RETENTION"
fi
retry temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null

has_search_attribute() {
	temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" | grep -qw "$1"
}

search_attribute() {
	name="$1"
	type="$2"
	if has_search_attribute "$name"; then
		echo "search attribute ${name} exists"
		return 0
	fi
	echo "creating search attribute ${name} (${type})"
	retry temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"
}

# Keep in step with the search attributes the workflows upsert.
search_attribute DsrStatus Keyword
search_attribute DsrType Keyword
search_attribute DsrDueAt Datetime

# The workers must not start before the frontend accepts queries on the new
# attributes, or the first upsert would be refused.
retry temporal workflow list --namespace "$TEMPORAL_NAMESPACE" --limit 1 \
	--query "DsrStatus = 'probe' AND DsrType = 'probe' AND DsrDueAt > '2000-01-01T00:00:00Z'" >/dev/null
echo "namespace ${TEMPORAL_NAMESPACE} is ready for dsrflow"
