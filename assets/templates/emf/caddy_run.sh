#!/bin/sh
# Starts Caddy once device-discovery has onboarded the node. Written by EMT Media Builder.
# The Caddyfile reads the tokens and the node's identity from the environment set here.
set -eu

tokens=/dev/shm
waited=0
# device-discovery writes the access token when onboarding succeeds; give it ten minutes.
while [ ! -s "$tokens/idp_access_token" ]; do
	if [ "$waited" -ge 600 ]; then
		echo "caddy_run.sh: no access token in $tokens after ${waited}s; did device-discovery onboard?" >&2
		exit 1
	fi
	sleep 3
	waited=$((waited + 3))
done
for name in release_token project_id; do
	if [ ! -s "$tokens/$name" ]; then
		echo "caddy_run.sh: $tokens/$name is missing or empty" >&2
		exit 1
	fi
done

access_token=$(cat "$tokens/idp_access_token")
release_token=$(cat "$tokens/release_token")
project_id=$(cat "$tokens/project_id")
host_guid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null || true)
if [ -z "$host_guid" ]; then
	echo "caddy_run.sh: the node has no DMI product UUID to identify its logs" >&2
	exit 1
fi
export access_token release_token project_id host_guid

# Every key of the environment file (the proxies for Caddy's outgoing connections among them).
set -a
. /etc/emf/env_config
set +a

# Trust the orchestrator and provisioning CAs placed in /etc/pki/ca-trust/source/anchors.
if command -v update-ca-trust >/dev/null 2>&1; then
	update-ca-trust extract
fi

exec /usr/bin/caddy run --config /etc/caddy/Caddyfile --adapter caddyfile
