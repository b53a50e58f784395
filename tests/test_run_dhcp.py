"""ip4_addr=vnet0|DHCP and ip6_addr=vnet0|accept_rtadv with the Linux engine.

A test bridge carries dnsmasq serving DHCP (10.213.9.50-99) and router
adverts (fd13:213:9::/64); the jail's own client (busybox udhcpc with the
event script a release ships) asks for the lease.  Everything is made by
the test on this host and removed after; no packet leaves the bridge
(addresses never routed)."""
import json
import os
import subprocess
import time

import pytest

from conftest import sh
from runhelp import host_state, jail, rootfs, state, subids  # noqa: F401
from test_run_net import bridge, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")

# What Debian's udhcpc package installs as /etc/udhcpc/default.script, cut
# down to the busybox applets the test release has: udhcpc passes the lease
# in the environment ($ip, $mask as a prefix length, $router).
SCRIPT = """#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip -4 addr add "$ip/$mask" dev "$interface"
	for r in $router; do ip -4 route add default via "$r" dev "$interface"; break; done ;;
esac
exit 0
"""


@pytest.fixture
def dhcp(bridge, tmp_path):  # noqa: F811
    """dnsmasq on the test bridge: DHCP for IPv4, router adverts for IPv6."""
    sh("ip", "addr", "add", "10.213.9.1/24", "dev", bridge)
    sh("ip", "-6", "addr", "add", "fd13:213:9::1/64", "dev", bridge, "nodad")
    leases = tmp_path / "leases"
    p = subprocess.Popen([
        "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
        "--no-hosts", "--port=0", "--bind-interfaces", "--interface=" + bridge,
        "--except-interface=lo", "--user=root", "--group=root",
        "--dhcp-leasefile=%s" % leases, "--pid-file=%s" % (tmp_path / "pid"),
        "--dhcp-range=10.213.9.50,10.213.9.99,255.255.255.0,2m",
        "--dhcp-option=option:router,10.213.9.1",
        "--enable-ra", "--dhcp-range=fd13:213:9::,ra-only,64,2m"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.5)
    assert p.poll() is None, p.stdout.read()
    yield bridge, leases
    p.terminate()
    p.wait(timeout=10)


def with_client(root, uuid):
    """Gives the jail's release the event script udhcpc runs (as Debian's and
    Alpine's udhcpc packages do)."""
    d = os.path.join(rootfs(root, uuid), "etc", "udhcpc")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "default.script")
    with open(path, "w") as f:
        f.write(SCRIPT)
    os.chmod(path, 0o755)


def list_row(root, tag):
    rows = json.loads(root.ok("--json", "list", "-l"))
    return [r for r in rows if r.get("tag", r.get("TAG")) == tag][0]


def test_dhcp_lease_and_slaac_address_in_a_vnet_jail(rel, dhcp):
    br, leases = dhcp
    u = jail(rel, "d1", "vnet=on", "interfaces=vnet0:" + br, "ip4_addr=vnet0|DHCP",
             "ip6_addr=vnet0|accept_rtadv")
    with_client(rel, u)
    rel.ok("start", "d1")
    addr = rel.ok("exec", "d1", "ip", "-4", "-o", "addr", "show", "vnet0")
    assert " 10.213.9." in addr and "/24" in addr, addr
    leased = addr.split(" inet ")[1].split()[0]
    # the router the server gave, the lease the server recorded, a client left to renew
    assert "default via 10.213.9.1 dev vnet0" in rel.ok("exec", "d1", "ip", "-4", "route")
    with open(leases) as f:
        assert leased.split("/")[0] in f.read()
    assert "udhcpc" in rel.ok("exec", "d1", "ps")
    # list: the leased address beside the property value; the legacy column the bare address
    row = list_row(rel, "d1")
    ip4 = row.get("ip4", row.get("IP4"))
    assert ip4 == "vnet0|DHCP " + leased, row
    legacy = [l.split() for l in rel.ok("list").splitlines() if " d1 " in " %s " % l][0]
    assert legacy[5] == leased.split("/")[0], legacy
    # the property is kept as the administrator wrote it
    assert rel.ok("get", "ip4_addr", "d1").strip() == "vnet0|DHCP"
    # SLAAC: an address of the advertised prefix, without a program in the jail
    deadline = time.time() + 15
    while time.time() < deadline:
        a6 = rel.ok("exec", "d1", "ip", "-6", "-o", "addr", "show", "vnet0")
        if "fd13:213:9:" in a6:
            break
        time.sleep(0.5)
    assert "fd13:213:9:" in a6 and "/64" in a6, a6
    rel.ok("stop", "d1")
    row = list_row(rel, "d1")
    assert row.get("ip4", row.get("IP4")) == "vnet0|DHCP (not running)", row
    legacy = [l.split() for l in rel.ok("list").splitlines() if " d1 " in " %s " % l][0]
    assert legacy[5] == "DHCP", legacy


def test_no_client_in_the_jail_is_refused_before_anything_is_made(rel, dhcp):
    br, _ = dhcp
    jail(rel, "d2", "vnet=on", "interfaces=vnet0:" + br, "ip4_addr=vnet0|DHCP")
    before = host_state(rel)
    zfs = rel.zfs_state()
    r = rel.run("start", "d2")
    assert r.rc == 1, r
    assert "has udhcpc but not its event script" in r.err and \
        "/etc/udhcpc/default.script" in r.err, r
    assert state(rel, "d2") == "down"
    assert host_state(rel) == before and rel.zfs_state() == zfs


def test_no_client_at_all_and_a_script_that_configures_nothing(rel, dhcp):
    """A release without dhclient or udhcpc is refused before anything is
    made; a client whose event script leaves the interface without an
    address fails the start, which is undone."""
    br, _ = dhcp
    u = jail(rel, "d6", "vnet=on", "interfaces=vnet0:" + br, "ip4_addr=vnet0|DHCP")
    client = os.path.join(rootfs(rel, u), "sbin", "udhcpc")
    os.unlink(client)
    before = host_state(rel)
    zfs = rel.zfs_state()
    r = rel.run("start", "d6")
    assert r.rc == 1 and "the jail has no DHCP client (dhclient, or udhcpc" in r.err, r
    assert state(rel, "d6") == "down" and host_state(rel) == before and rel.zfs_state() == zfs
    os.symlink("/bin/busybox", client)
    with_client(rel, u)
    with open(os.path.join(rootfs(rel, u), "etc", "udhcpc", "default.script"), "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    r = rel.run("start", "d6")
    assert r.rc == 1 and "ended without error, but vnet0 has no IPv4 address" in r.err, r
    assert state(rel, "d6") == "down" and host_state(rel) == before


def test_no_server_fails_the_start_and_undoes_it(rel, bridge):  # noqa: F811
    u = jail(rel, "d3", "vnet=on", "interfaces=vnet0:" + bridge, "ip4_addr=vnet0|DHCP")
    with_client(rel, u)
    before = host_state(rel)
    r = rel.run("start", "d3")
    assert r.rc == 1, r
    assert "DHCP on vnet0" in r.err and "got no lease" in r.err and bridge in r.err, r
    assert state(rel, "d3") == "down"
    assert host_state(rel) == before
    assert not [l for l in sh("ip", "-o", "link").splitlines() if "master " + bridge in l]


def test_dhcp_needs_vnet_and_a_free_router(rel, bridge):  # noqa: F811
    jail(rel, "d4", "vnet=off", "ip4_addr=lo|DHCP")
    r = rel.run("start", "d4")
    assert r.rc == 1, r
    assert "needs vnet=on" in r.err, r
    jail(rel, "d5", "vnet=on", "interfaces=vnet0:" + bridge, "ip4_addr=vnet0|DHCP",
         "defaultrouter=10.213.9.1")
    r = rel.run("start", "d5")
    assert r.rc == 1, r
    assert "the DHCP server gives the default router; set defaultrouter=none" in r.err, r
    assert state(rel, "d4") == "down" and state(rel, "d5") == "down"
