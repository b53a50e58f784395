"""Linux engine networking: vnet pairs on a test bridge, shared IP (macvlan on
one end of a test veth pair), ip4=inherit, resolver.  Everything is made by
the test on this host and removed after; no packet leaves the bridges and
namespaces the test created (addresses from 10.213.0.0/16, never routed)."""
import os
import subprocess
import time

import pytest

from conftest import PREFIX, sh
from runhelp import host_state, jail, open_path, rootfs, state, subids  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


@pytest.fixture
def rel(release):
    open_path(release.mountpoint)
    yield release
    release.run("stop", "-f", "ALL")


@pytest.fixture
def bridge():
    name = "iocbr%d" % (os.getpid() % 100000)
    sh("ip", "link", "add", name, "type", "bridge")
    sh("ip", "link", "set", name, "up")
    yield name
    subprocess.run(["ip", "link", "del", name], capture_output=True)


def links():
    return sh("ip", "-o", "link").splitlines()


def test_two_jails_on_a_bridge_reach_each_other(rel, bridge):
    props = ["vnet=on", "interfaces=vnet0:" + bridge, "allow_raw_sockets=1"]
    ua = jail(rel, "a", "ip4_addr=vnet0|10.213.7.1/24", *props)
    jail(rel, "b", "ip4_addr=vnet0|10.213.7.2/24", *props)
    before = host_state(rel)
    rel.ok("start", "a", "b")
    out = rel.ok("exec", "a", "ping", "-c", "2", "-W", "5", "10.213.7.2")
    assert "2 packets received" in out, out
    # the address carries its network's broadcast address
    addr = rel.ok("exec", "a", "ip", "-4", "addr", "show", "vnet0")
    assert "brd 10.213.7.255" in addr, addr
    # the jail side is vnet0 with the stored MAC; the host side is on the bridge
    mac = rel.ok("get", "vnet0_mac", "a").split()
    assert len(mac) == 2 and mac[0].startswith("02ff60") and mac[1].startswith("02ff60")
    assert rel.zfs_state()["%s/jails/%s" % (rel.name, ua)][PREFIX + "vnet0_mac"][1] == "local"
    jail_mac = rel.ok("exec", "a", "cat", "/sys/class/net/vnet0/address").strip()
    assert jail_mac.replace(":", "") == mac[1]
    host_if = [l for l in links() if "master " + bridge in l]
    assert len(host_if) == 2
    hosts = [l.split(":")[1].strip().split("@")[0] for l in host_if]
    host_macs = {open("/sys/class/net/%s/address" % h).read().strip().replace(":", "")
                 for h in hosts}
    assert mac[0] in host_macs
    rel.ok("stop", "a", "b")
    assert not [l for l in links() if "master " + bridge in l]
    assert host_state(rel) == before
    # stable: the next start uses the stored MACs
    rel.ok("start", "a")
    assert rel.ok("exec", "a", "cat", "/sys/class/net/vnet0/address").strip().replace(":", "") \
        == mac[1]


def test_ipv6_and_default_routers_on_vnet(rel, bridge):
    """ip6_addr, defaultrouter and defaultrouter6 on a vnet interface: the
    addresses and both default routes are inside the jail, and two jails
    reach each other over IPv6 on the test bridge."""
    props = ["vnet=on", "interfaces=vnet0:" + bridge, "allow_raw_sockets=1", "ip6=new",
             "defaultrouter=10.213.8.254", "defaultrouter6=fd13:213:8::fe"]
    jail(rel, "v6a", "ip4_addr=vnet0|10.213.8.1/24", "ip6_addr=vnet0|fd13:213:8::1/64", *props)
    jail(rel, "v6b", "ip4_addr=vnet0|10.213.8.2/24", "ip6_addr=vnet0|fd13:213:8::2/64", *props)
    before = host_state(rel)
    rel.ok("start", "v6a", "v6b")
    a6 = rel.ok("exec", "v6a", "ip", "-6", "addr", "show", "vnet0")
    assert "fd13:213:8::1/64" in a6, a6
    r4 = rel.ok("exec", "v6a", "ip", "-4", "route")
    assert "default via 10.213.8.254 dev vnet0" in r4, r4
    r6 = rel.ok("exec", "v6a", "ip", "-6", "route")
    assert "default via fd13:213:8::fe dev vnet0" in r6, r6
    # duplicate address detection may hold the address back for a moment
    for _ in range(20):
        r = rel.run("exec", "v6a", "ping", "-6", "-c", "1", "-W", "1", "fd13:213:8::2")
        if r.rc == 0:
            break
        time.sleep(0.5)
    assert r.rc == 0 and "1 packets received" in r.out, r
    rel.ok("stop", "v6a", "v6b")
    assert host_state(rel) == before


def test_missing_bridge_is_clear(rel):
    jail(rel, "nb", "vnet=on", "interfaces=vnet0:iocnobridge", "ip4_addr=vnet0|10.213.9.1/24")
    before = host_state(rel)
    r = rel.run("start", "nb")
    assert r.rc == 1
    assert "bridge 'iocnobridge' does not exist; create it first (e.g. 'ip link add iocnobridge " \
        "type bridge" in r.err, r
    assert state(rel, "nb") == "down" and host_state(rel) == before


def test_address_on_unlisted_interface_is_clear(rel, bridge):
    jail(rel, "ul", "vnet=on", "interfaces=vnet0:" + bridge, "ip4_addr=vnet1|10.213.9.1/24")
    r = rel.run("start", "ul")
    assert r.rc == 1 and "ip4_addr names interface 'vnet1', but interfaces= does not list it" \
        in r.err, r


@pytest.fixture
def peer():
    """A veth pair: iocvaN stays on the host, iocvbN goes into a namespace
    with 10.213.8.2/24 (the only thing the jail may reach)."""
    n = os.getpid() % 100000
    a, b, ns = "iocva%d" % n, "iocvb%d" % n, "iocns%d" % n
    sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
    sh("ip", "link", "set", b, "netns", ns)
    sh("ip", "-n", ns, "addr", "add", "10.213.8.2/24", "dev", b)
    sh("ip", "-n", ns, "link", "set", b, "up")
    sh("ip", "link", "set", a, "up")
    yield a
    subprocess.run(["ip", "link", "del", a], capture_output=True)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_shared_ip_on_a_host_interface(rel, peer):
    jail(rel, "sh", "vnet=off", "ip4_addr=%s|10.213.8.1/24" % peer, "allow_raw_sockets=1")
    rel.ok("start", "sh")
    kind = "ipvlan" if os.path.exists("/sys/module/ipvlan") else "macvlan"
    rt = rel.ok("runtime", "-H", "sh")
    assert "lxc.net.0.type\t%s" % kind in rt and "lxc.net.0.link\t%s" % peer in rt, rt
    out = rel.ok("exec", "sh", "ip", "-4", "-o", "addr")
    assert "10.213.8.1/24" in out
    out = rel.ok("exec", "sh", "ping", "-c", "2", "-W", "5", "10.213.8.2")
    assert "2 packets received" in out, out
    rel.ok("stop", "sh")
    assert not [l for l in links() if "@" + peer in l]


def test_shared_ip_needs_an_existing_host_interface(rel):
    jail(rel, "sx", "vnet=off", "ip4_addr=iocnoif0|10.213.8.1/24")
    r = rel.run("start", "sx")
    assert r.rc == 1 and "host interface 'iocnoif0', which does not exist" in r.err, r


def test_ip4_inherit_shares_the_host_stack(rel):
    jail(rel, "ih", "ip4=inherit")
    rel.ok("start", "ih")
    host = sorted(os.listdir("/sys/class/net"))
    inside = sorted(rel.ok("exec", "ih", "ls", "/sys/class/net").split())
    assert inside == host


def test_no_interfaces_gives_loopback_only(rel):
    jail(rel, "lo", "interfaces=none")
    rel.ok("start", "lo")
    assert rel.ok("exec", "lo", "ls", "/sys/class/net").split() == ["lo"]


def test_resolver_written_without_following_symlinks(rel, tmp_path):
    victim = tmp_path / "host-file"
    victim.write_text("host data\n")
    u = jail(rel, "rs", "interfaces=none", "resolver=nameserver 192.0.2.53;search example.test")
    rc = os.path.join(rootfs(rel, u), "etc", "resolv.conf")
    os.symlink(str(victim), rc)  # planted by the jail's root
    rel.ok("start", "rs")
    assert victim.read_text() == "host data\n"
    assert not os.path.islink(rc)
    assert rel.ok("exec", "rs", "cat", "/etc/resolv.conf") == \
        "nameserver 192.0.2.53\nsearch example.test\n"
    st = os.lstat(rc)
    assert (st.st_uid, st.st_gid) == (100000, 100000)


def test_resolver_refuses_a_symlinked_etc(rel, tmp_path):
    u = jail(rel, "re", "interfaces=none", "resolver=nameserver 192.0.2.53")
    r = rootfs(rel, u)
    os.rename(os.path.join(r, "etc"), os.path.join(r, "etc.real"))
    os.symlink(str(tmp_path), os.path.join(r, "etc"))
    res = rel.run("start", "re")
    assert res.rc == 1 and "/etc is a symbolic link (refused)" in res.err, res
    assert os.listdir(str(tmp_path)) == []
