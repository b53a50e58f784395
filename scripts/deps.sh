#!/bin/sh
# Install what building, the demo and the tests need; only what is missing.
set -eu
case "$(uname -s)" in
FreeBSD)
	pkg install -y libarchive curl pkgconf python3 py311-pytest mandoc
	exit 0 ;;
esac
PKGS="build-essential pkg-config libarchive-dev libcurl4-openssl-dev libssl-dev lxc lxc-dev \
zfs-fuse busybox-static debootstrap python3 python3-pytest python3-pytest-xdist uidmap iproute2 \
valgrind clang clang-format clang-tidy cppcheck libclang-rt-14-dev mandoc hyperfine zsh nftables dnsmasq-base \
openssh-client openssh-server"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: need root to install:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# no package's service starts on install (sshd, lxc-net): the tests start
	# their own sshd in a network namespace.  Debian's policy-rc.d, made for
	# the install and removed after it; one the host has is left as it is.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
		printf '#!/bin/sh\n# scripts/deps.sh: no service starts during its install\nexit 101\n' \
			>/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
	fi
	apt-get update -qq
	apt-get install -y -qq $missing
fi
