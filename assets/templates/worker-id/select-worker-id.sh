#!/bin/sh
# Chooses the NIC this node onboards through and makes /proc/cmdline show its MAC as worker_id,
# because device-discovery and tink-worker read worker_id from /proc/cmdline and nowhere else.
# Written by EMT Media Builder; the design and its reasons are in docs/worker-id.md.
#
# Rule: among wired Ethernet NICs (kernel order) that match the profile's rule, the first one
# that has a DHCP lease (an IPv4 route) wins; when none gets one within the wait, the first with
# a link (carrier); when none has a link, the first candidate. A worker_id already on the kernel
# command line (typed at the boot menu) wins over all of them.
#
# The EMT_* paths below exist so that the logic can be tested against a fake /sys tree.
set -u

conf=${EMT_WORKER_CONF:-/etc/emt-media/worker-id.conf}
net=${EMT_SYSFS_NET:-/sys/class/net}
cmdline=${EMT_CMDLINE:-/proc/cmdline}
routes=${EMT_ROUTES:-/proc/net/route}
rundir=${EMT_RUN_DIR:-/run/emt-media}

EMT_WORKER_NIC_MATCH=''
EMT_WORKER_MAC_PREFIX=''
EMT_WORKER_LEASE_WAIT=90
# Once one NIC has a lease, wait this long for NICs before it in kernel order, so that the choice
# follows the hardware order rather than which DHCP server answered first.
EMT_WORKER_SETTLE=3
if [ -r "$conf" ]; then
	. "$conf"
fi
pattern=${EMT_WORKER_NIC_MATCH:-*}
prefix=$(printf '%s' "$EMT_WORKER_MAC_PREFIX" | tr 'A-F' 'a-f')

# Messages go to stderr: choose() runs in a command substitution whose stdout is its answer.
say() {
	echo "emt-worker-id: $*" >&2
}

# Candidate NICs as "ifindex name mac" lines, in kernel order.
candidates() {
	for dir in "$net"/*; do
		[ -e "$dir/device" ] || continue # no device behind it: lo, bridge, bond, veth, tunnel
		[ "$(cat "$dir/type" 2>/dev/null)" = 1 ] || continue # ARPHRD_ETHER
		if [ -e "$dir/wireless" ] || [ -e "$dir/phy80211" ]; then
			continue
		fi
		name=${dir##*/}
		mac=$(tr 'A-F' 'a-f' 2>/dev/null <"$dir/address") || continue
		# shellcheck disable=SC2254 # the technician's rule is a glob on purpose
		case "$name" in $pattern) ;; *) continue ;; esac
		case "$mac" in "$prefix"*) ;; *) continue ;; esac
		printf '%s %s %s\n' "$(cat "$dir/ifindex")" "$name" "$mac"
	done | sort -n
}

# An IPv4 route through the NIC: the network manager installs one with every DHCP lease.
has_lease() {
	while read -r iface _rest; do
		[ "$iface" = "$1" ] && return 0
	done <"$routes"
	return 1
}

has_carrier() {
	[ "$(cat "$net/$1/carrier" 2>/dev/null)" = 1 ]
}

# A NIC that is administratively down reports no carrier; bring candidates up to see their link.
bring_up() {
	echo "$1" | while read -r _idx name _mac; do
		[ -n "$name" ] || continue
		flags=$(cat "$net/$name/flags" 2>/dev/null || echo 0x1)
		[ $((flags & 1)) -eq 0 ] || continue
		if command -v ip >/dev/null 2>&1; then
			ip link set dev "$name" up >/dev/null || say "could not bring $name up"
		elif command -v ifconfig >/dev/null 2>&1; then
			ifconfig "$name" up >/dev/null || say "could not bring $name up"
		fi
	done
}

# The first line of $1 whose NIC passes test $2, as "name mac".
first_with() {
	echo "$1" | while read -r _idx name mac; do
		[ -n "$name" ] || continue
		if "$2" "$name"; then
			echo "$name $mac"
			break
		fi
	done
}

choose() {
	waited=0
	leased_at=-1
	list=''
	while :; do
		list=$(candidates)
		if [ -n "$list" ]; then
			bring_up "$list"
			leased=$(first_with "$list" has_lease)
			if [ -n "$leased" ] && [ "$leased_at" -lt 0 ]; then
				leased_at=$waited
			fi
			if [ -n "$leased" ] && { [ $((waited - leased_at)) -ge "$EMT_WORKER_SETTLE" ] || [ "$waited" -ge "$EMT_WORKER_LEASE_WAIT" ]; }; then
				echo "$leased DHCP-lease"
				return 0
			fi
		fi
		[ "$waited" -ge "$EMT_WORKER_LEASE_WAIT" ] && break
		sleep 1
		waited=$((waited + 1))
	done
	if [ -z "$list" ]; then
		return 1
	fi
	linked=$(first_with "$list" has_carrier)
	if [ -n "$linked" ]; then
		echo "$linked link-without-lease"
		return 0
	fi
	echo "$list" | while read -r _idx name mac; do
		echo "$name $mac first-candidate-without-link"
		break
	done
}

original=$(cat "$cmdline")
given=''
set -f # split the command line into words without expanding * or ? in them
for word in $original; do
	case "$word" in worker_id=*) given=${word#worker_id=} ;; esac
done
set +f
# Everything but worker_id, unchanged (quoted values keep their spaces).
rest=$(printf '%s\n' "$original" | sed -e 's/^worker_id=[^ ]* *//' -e 's/ worker_id=[^ ]*//g')

if [ -n "$given" ]; then
	mac=$(printf '%s' "$given" | tr 'A-F' 'a-f')
	if [ "$(cat "$rundir/worker-id" 2>/dev/null)" = "$mac" ]; then
		say "worker_id=$mac is already published (the unit ran before)"
		exit 0
	fi
	say "worker_id $mac was given on the kernel command line"
else
	if ! choice=$(choose); then
		say "no wired Ethernet NIC matches the rule (interface '$pattern', MAC prefix '${prefix:-any}'); device-discovery cannot onboard"
		exit 1
	fi
	set -- $choice
	mac=$2
	say "chose $1 ($mac): $3"
fi

# worker_id goes first: both readers split /proc/cmdline at single spaces, so a value at the end
# would carry the line's final newline.
mkdir -p "$rundir"
printf 'worker_id=%s %s\n' "$mac" "$rest" >"$rundir/cmdline"
printf '%s\n' "$mac" >"$rundir/worker-id"
chmod 0444 "$rundir/cmdline" "$rundir/worker-id"
mount --bind "$rundir/cmdline" "$cmdline"
say "published worker_id=$mac in $cmdline"
