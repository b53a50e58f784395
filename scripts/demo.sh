#!/bin/sh
# make demo: iocage on one dataset of a shared, file-backed pool of its own.
# Never touches the host's pools: everything lives in a pool made here and
# destroyed at the end (set KEEP=1 to keep it for a look around).
set -eu
cd "$(dirname "$0")/.."
IOCAGE=${IOCAGE:-$PWD/iocage}
POOL=iocdemo$$
WORK=$(mktemp -d /tmp/iocage-demo.XXXXXX)
chmod 755 "$WORK"   # unprivileged jails (uid 100000) must be able to pass through
MNT=$WORK/mnt
STARTED_ZFS=
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
cleanup() {
	set +e
	if [ -z "${KEEP:-}" ]; then
		for c in $("$IOCAGE" -r "$POOL/virt/iocage" list -H 2>/dev/null | cut -f5); do
			"$IOCAGE" -r "$POOL/virt/iocage" stop "$c" >/dev/null 2>&1
		done
		[ -n "${BRIDGE:-}" ] && ip link del "$BRIDGE" 2>/dev/null
		if [ -n "${NS:-}" ]; then
			ip link del "$EXT" 2>/dev/null
			ip netns del "$NS" 2>/dev/null
			[ -n "$HAD_TABLE" ] || nft delete table inet iocage 2>/dev/null
			[ -z "$FWD" ] || echo "$FWD" > /proc/sys/net/ipv4/ip_forward
		fi
		# what activate added to /etc/subuid and /etc/subgid goes with the root
		"$IOCAGE" deactivate "$POOL/virt/iocage"
		zpool destroy -f "$POOL" 2>/dev/null
		rm -rf "$WORK"
		if [ -n "$STARTED_ZFS" ]; then
			# wait for it to go: a `make check` right after would find the
			# dying daemon, start none of its own and lose its connection
			kill "$STARTED_ZFS" 2>/dev/null
			i=0; while kill -0 "$STARTED_ZFS" 2>/dev/null && [ $i -lt 300 ]; do i=$((i+1)); sleep 0.1; done
		fi
	else
		echo "kept pool $POOL (file $WORK/pool.img)"
	fi
}
trap cleanup EXIT INT TERM

if [ ! -d /sys/module/zfs ] && ! pgrep -x zfs-fuse >/dev/null; then
	say "starting zfs-fuse (no ZFS kernel module here)"
	zfs-fuse --no-daemon >/dev/null 2>&1 &
	STARTED_ZFS=$!
	i=0; until zpool list >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
fi

say "a file-backed pool shared with other tenants"
truncate -s 2G "$WORK/pool.img"
run zpool create -m "$MNT" "$POOL" "$WORK/pool.img"
run zfs create "$POOL/vbox"
run zfs create "$POOL/ezjail"
run zfs create "$POOL/virt"
printf 'disk image\n' > "$MNT/vbox/disk.vdi"
mkdir -p "$MNT/ezjail/www/etc"; printf 'sshd_enable=YES\n' > "$MNT/ezjail/www/etc/rc.conf"
run zfs set org.ezjail:owner=ops "$POOL/ezjail"
neighbours() {
	zfs get -H -p -r -o name,property,value,source all "$POOL/vbox" "$POOL/ezjail" |
		grep -Ev '	(used|available|referenced|usedby[a-z]*|compressratio|refcompressratio|written|logical[a-z]*)	'
	find "$MNT/vbox" "$MNT/ezjail" -type f -exec sha256sum {} +
}
BEFORE=$(neighbours | sha256sum)

say "activate iocage on a nested dataset"
run "$IOCAGE" activate "$POOL/virt/iocage"
export IOCAGE_ROOT="$POOL/virt/iocage"
run zfs list -r -o name,mountpoint "$POOL"

say "fetch a release offline: a root filesystem built from the host's busybox"
TREE=$WORK/rootfs
mkdir -p "$TREE/bin" "$TREE/sbin" "$TREE/etc" "$TREE/dev" "$TREE/proc" "$TREE/sys" "$TREE/tmp" \
	"$TREE/root" "$TREE/usr/bin" "$TREE/usr/sbin" "$TREE/run" "$TREE/var/run"
cp "$(command -v busybox || echo /bin/busybox)" "$TREE/bin/busybox"
for a in $("$TREE/bin/busybox" --list-full); do
	[ "$a" = bin/busybox ] || [ -e "$TREE/$a" ] || ln -s /bin/busybox "$TREE/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$TREE/etc/passwd"
printf 'root:x:0:\n' > "$TREE/etc/group"
tar -C "$TREE" --owner=0 --group=0 -czf "$WORK/busybox.tar.gz" .
run "$IOCAGE" fetch file="$WORK/busybox.tar.gz" release=busybox
run "$IOCAGE" list -r

say "a thin, a thick and an empty jail"
run "$IOCAGE" create -c release=busybox tag=thin boot=on priority=10
run "$IOCAGE" create release=busybox tag=thick notes="made by the demo"
run "$IOCAGE" create -e tag=empty
run "$IOCAGE" list

say "properties: set, get, defaults from the root"
run "$IOCAGE" set memoryuse=2G:deny default
run "$IOCAGE" set quota=1G thin
run "$IOCAGE" get memoryuse thin
run "$IOCAGE" get quota thin
"$IOCAGE" get -s all thin | sed -n '1p;/^boot /p;/^priority /p;/^memoryuse /p;/^quota /p;/^securelevel /p'
echo "bad input is refused and changes nothing:"
run "$IOCAGE" set boot=maybe thin || true
run "$IOCAGE" create -c release=busybox tag=../etc || true

say "snapshots, rollback, clone"
ROOTFS=$(zfs get -H -o value mountpoint "$IOCAGE_ROOT/jails/$("$IOCAGE" get uuid thin)/root")
run "$IOCAGE" snapshot thin@before
echo "hello" > "$ROOTFS/root/hello.txt"
run ls "$ROOTFS/root"
run "$IOCAGE" rollback thin@before
run ls "$ROOTFS/root"
run "$IOCAGE" snaplist thin
run "$IOCAGE" clone thin@before tag=thin2
run "$IOCAGE" list
run "$IOCAGE" df

if [ "$(uname -s)" = Linux ] && [ -z "${NO_RUN:-}" ]; then
	say "run two jails on a demo bridge (unprivileged LXC system containers)"
	# Jails run in a user namespace: root inside is uid 100000 outside.  The
	# host's newuidmap lets root use that range only if /etc/subuid says so:
	# activate added the line where it was missing (and said so above), and
	# deactivate at the end removes it.
	BRIDGE=iocdemo0
	run ip link add "$BRIDGE" type bridge
	run ip addr add 10.251.0.1/24 dev "$BRIDGE"
	run ip link set "$BRIDGE" up
	run "$IOCAGE" set interfaces=vnet0:$BRIDGE ip4_addr="vnet0|10.251.0.11/24" allow_raw_sockets=1 thin
	run "$IOCAGE" set interfaces=vnet0:$BRIDGE ip4_addr="vnet0|10.251.0.12/24" thin2
	run "$IOCAGE" start thin thin2
	run "$IOCAGE" list
	run "$IOCAGE" exec thin hostname
	run "$IOCAGE" exec thin id
	run "$IOCAGE" exec thin2 ip -4 addr show
	run "$IOCAGE" exec thin ping -c 1 -W 2 10.251.0.12
	run "$IOCAGE" stop thin thin2
	run "$IOCAGE" list

	say "recipes: a jail described in a file (examples/), applied, and applied again"
	# The "outside" is a network namespace behind a veth pair made here; its
	# host end is nat_interface, so the port forward answers there and no
	# packet leaves this machine.
	cp -R examples "$WORK/examples"
	chmod -R a+rX "$WORK/examples"
	NS=iocdemo$$ EXT=iocdemo-ext
	HAD_TABLE=$(nft list table inet iocage >/dev/null 2>&1 && echo yes || true)
	FWD=$(cat /proc/sys/net/ipv4/ip_forward)
	ip netns add "$NS"
	ip link add "$EXT" type veth peer name iocdemo-out
	ip link set iocdemo-out netns "$NS"
	ip addr add 10.252.0.1/24 dev "$EXT"
	ip link set "$EXT" up
	ip -n "$NS" addr add 10.252.0.2/24 dev iocdemo-out
	ip -n "$NS" link set iocdemo-out up
	run "$IOCAGE" set nat_interface=$EXT nat_prefix=10.252.64.0/24 default
	run cat "$WORK/examples/web/web.recipe"
	run "$IOCAGE" apply -n "$WORK/examples/web/web.recipe"
	run "$IOCAGE" apply "$WORK/examples/web/web.recipe"
	run "$IOCAGE" apply "$WORK/examples/web/web.recipe"
	echo "from the outside namespace, the host's port 8080 (forwarded to the jail's 80):"
	run ip netns exec "$NS" python3 -c "import urllib.request as u; print(u.urlopen('http://10.252.0.1:8080/', timeout=10).read().decode(), end='')"
	run "$IOCAGE" apply "$WORK/examples/share/share.recipe"
	run "$IOCAGE" exec share ls -ln /home/guest
	run "$IOCAGE" exec share cat /srv/shared/README
	run "$IOCAGE" get recipe_done share
	run "$IOCAGE" stop web share
fi

say "destroy"
run "$IOCAGE" destroy -f thin2
run "$IOCAGE" destroy -f empty
run "$IOCAGE" list

say "the neighbours are untouched"
AFTER=$(neighbours | sha256sum)
if [ "$BEFORE" = "$AFTER" ]; then
	echo "vbox and ezjail: datasets, properties and files identical before and after"
else
	echo "NEIGHBOURS CHANGED" >&2
	exit 1
fi
say "demo done"
