#!/bin/sh
# Starts Fluent Bit with the node's identity, which fluent-bit.yaml adds to every record.
# Written by EMT Media Builder.
set -eu

EDGENODE_UUID=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null || true)
if [ -z "$EDGENODE_UUID" ]; then
	echo "fluentbit_run.sh: the node has no DMI product UUID to identify its logs" >&2
	exit 1
fi
export EDGENODE_UUID

for bin in /usr/bin/fluent-bit /opt/fluent-bit/bin/fluent-bit; do
	if [ -x "$bin" ]; then
		exec "$bin" -c /etc/fluent-bit/fluent-bit.yaml
	fi
done
echo "fluentbit_run.sh: no fluent-bit binary on this system" >&2
exit 1
