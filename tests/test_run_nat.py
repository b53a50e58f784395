"""nat=on on Linux: a jail behind the host's address, with port forwards.

The "outside" is a network namespace this test makes, reached from the host
through a veth pair whose host end the jails name as nat_interface; no packet
leaves the interfaces and namespaces the test created (addresses from
10.213.64.0/18, never routed).  The host's own nftables tables are compared
before and after: iocage works only in its table `inet iocage`."""
import os
import subprocess

import pytest

from conftest import sh
from runhelp import host_state, jail, rel, state, subids  # noqa: F401

# the nftables table and the forwarding sysctl are the host's: alone (conftest "serial")
pytestmark = [pytest.mark.usefixtures("subids"), pytest.mark.serial]

PREFIX4 = "10.213.64.0/24"
SERVER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.213.70.2", 7070))
s.listen(1)
s.settimeout(30)
print("ready", flush=True)
c, a = s.accept()
print(a[0], c.recv(100).decode().strip(), flush=True)
"""


def nft(*args):
    return subprocess.run(["nft"] + list(args), capture_output=True, text=True)


def host_tables():
    """The host's ruleset without iocage's own table."""
    out = nft("list", "ruleset").stdout
    keep, skip = [], False
    for line in out.splitlines():
        if line.startswith("table "):
            skip = line.startswith("table inet iocage ")
        if not skip:
            keep.append(line)
    return "\n".join(keep)


def iocage_table():
    return nft("list", "table", "inet", "iocage").stdout


@pytest.fixture
def outside():
    """(namespace, host interface): 10.213.70.1/24 on the host end, .2 in the
    namespace; a table of the "administrator's" own on the host; IPv4
    forwarding and iocage's table put back as they were."""
    n = os.getpid() % 100000
    a, b, ns = "iocxa%d" % n, "iocxb%d" % n, "iocnat%d" % n
    had_table = nft("list", "table", "inet", "iocage").returncode == 0
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        fwd = f.read()
    sh("ip", "netns", "add", ns)
    sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
    sh("ip", "link", "set", b, "netns", ns)
    sh("ip", "-n", ns, "addr", "add", "10.213.70.2/24", "dev", b)
    sh("ip", "-n", ns, "link", "set", b, "up")
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "addr", "add", "10.213.70.1/24", "dev", a)
    sh("ip", "link", "set", a, "up")
    r = subprocess.run(["nft", "-f", "-"], text=True, capture_output=True, input=(
        "table inet ioctesthost {\n"
        " chain input { type filter hook input priority 10; policy accept; "
        "tcp dport 9 counter accept; }\n}\n"))
    assert r.returncode == 0, r.stderr
    yield ns, a
    subprocess.run(["ip", "link", "del", a], capture_output=True)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    nft("delete", "table", "inet", "ioctesthost")
    if not had_table:
        nft("delete", "table", "inet", "iocage")
    with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
        f.write(fwd)


def nat_jail(rel, tag, ext, *props):
    return jail(rel, tag, "nat=on", "nat_interface=" + ext, "nat_prefix=" + PREFIX4, *props)


def test_nat_jail_reaches_outside_and_a_forwarded_port_reaches_it(rel, outside):
    ns, ext = outside
    tables = host_tables()
    nat_jail(rel, "n1", ext, "nat_forwards=tcp(80:8080)")
    before = host_state(rel)
    r = rel.run("start", "n1")
    assert r.rc == 0, r
    # the address is picked from nat_prefix once, said so, and stored
    assert "nat: n1 gets ip4_addr=vnet0|10.213.64.2/30" in r.err, r
    assert rel.ok("get", "ip4_addr", "n1").strip() == "vnet0|10.213.64.2/30"
    assert "default via 10.213.64.1 dev vnet0" in rel.ok("exec", "n1", "ip", "-4", "route")
    # out: a server in the "outside" namespace sees the host's address, not the jail's
    srv = subprocess.Popen(["ip", "netns", "exec", ns, "python3", "-c", SERVER],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert srv.stdout.readline().strip() == "ready"
        rel.ok("exec", "n1", "sh", "-c", "echo from-jail | nc -w 5 10.213.70.2 7070")
        out, errs = srv.communicate(timeout=30)
    finally:
        srv.kill()
    assert out.split() == ["10.213.70.1", "from-jail"], (out, errs)
    # in: the host's port 8080 on nat_interface reaches the jail's port 80
    rel.ok("exec", "n1", "sh", "-c",
           "mkdir -p /www && echo nat-forward-ok > /www/index.html && httpd -p 80 -h /www")
    got = sh("ip", "netns", "exec", ns, "python3", "-c",
             "import urllib.request as u; "
             "print(u.urlopen('http://10.213.70.1:8080/', timeout=10).read().decode())")
    assert "nat-forward-ok" in got
    table = iocage_table()
    assert "tcp . 8080 : jump ioc" in table and 'oifname "%s" ip saddr 10.213.64.2 masquerade' \
        % ext in table, table
    rel.ok("stop", "n1")
    # stop leaves no rule of the jail; the host's own tables are byte-identical
    table = iocage_table()
    assert "jump ioc" not in table and "masquerade" not in table and "dnat" not in table, table
    assert host_tables() == tables
    assert host_state(rel) == before
    # the next start keeps the stored address
    r = rel.run("start", "n1")
    assert r.rc == 0 and "gets ip4_addr" not in r.err, r
    assert "10.213.64.2/30" in rel.ok("exec", "n1", "ip", "-4", "-o", "addr", "show", "vnet0")
    rel.ok("stop", "n1")


def test_two_jails_cannot_take_one_host_port(rel, outside):
    ns, ext = outside
    nat_jail(rel, "na", ext, "nat_forwards=tcp(80:8081),udp(53)")
    nat_jail(rel, "nb", ext, "nat_forwards=tcp(8081)")
    rel.ok("start", "na")
    table = iocage_table()
    before = host_state(rel)
    r = rel.run("start", "nb")
    assert r.rc == 1
    assert "nat_forwards: host port tcp 8081 is already forwarded to jail na; pick another " \
        "host port" in r.err, r
    assert state(rel, "nb") == "down" and host_state(rel) == before
    assert iocage_table() == table
    # each jail has its own /30
    assert rel.ok("get", "ip4_addr", "na").strip() == "vnet0|10.213.64.2/30"
    assert rel.ok("get", "ip4_addr", "nb").strip() == "vnet0|10.213.64.6/30"
    # another host port: both run
    rel.ok("set", "nat_forwards=tcp(8082)", "nb")
    rel.ok("start", "nb")
    assert "tcp . 8082 : jump ioc" in iocage_table()
    rel.ok("stop", "na", "nb")
    assert "jump ioc" not in iocage_table()


@pytest.mark.parametrize("prop,expected", [
    ("nat_forwards=tcp(80:99999)", "entry 'tcp(80:99999)': expected PROTO(JAILPORT[:HOSTPORT])"),
    ("nat_forwards=sctp(80)", "with PROTO tcp or udp"),
    ("nat_forwards=tcp(80:8080),tcp(81:8080)", "host port tcp 8080 is forwarded twice"),
    ("nat_prefix=10.213.64.1/24", "an IPv4 network ADDR/LEN with LEN 8 to 30 and no host bits"),
    ("nat_prefix=10.0.0.0/31", "an IPv4 network ADDR/LEN with LEN 8 to 30"),
    ("nat_interface=eth0;reboot", "none or an interface name"),
    ("nat=maybe", "invalid value 'maybe' for property 'nat'"),
])
def test_bad_nat_values_change_nothing(rel, prop, expected):
    jail(rel, "nv")
    st = rel.zfs_state()
    r = rel.run("set", prop, "nv")
    assert r.rc != 0 and expected in r.err, r
    assert rel.zfs_state() == st


def test_nat_needs_its_own_ipv4_stack(rel, outside):
    ns, ext = outside
    nat_jail(rel, "ni", ext, "ip4=inherit")
    nat_jail(rel, "nm", ext, "ip4_addr=vnet0|10.213.64.9/32")
    before = host_state(rel)
    r = rel.run("start", "ni")
    assert r.rc == 1 and "nat=on needs the jail's own IPv4 stack" in r.err, r
    assert host_state(rel) == before
    r = rel.run("start", "nm")
    assert r.rc == 1 and "leaves no address for the host side: use /30 or shorter" in r.err, r
    assert host_state(rel) == before


def test_a_full_nat_prefix_is_refused_and_changes_nothing(rel, outside):
    """nat_prefix holds one /30: the first jail takes it at its first start,
    the second is refused, stores no address and starts nothing."""
    ns, ext = outside
    one = ["nat=on", "nat_interface=" + ext, "nat_prefix=10.213.65.0/30"]
    jail(rel, "nf1", *one)
    jail(rel, "nf2", *one)
    rel.ok("start", "nf1")
    assert rel.ok("get", "ip4_addr", "nf1").strip() == "vnet0|10.213.65.2/30"
    before, zfs = host_state(rel), rel.zfs_state()
    r = rel.run("start", "nf2")
    assert r.rc == 1 and "nat_prefix 10.213.65.0/30 has no free /30 left" in r.err, r
    assert state(rel, "nf2") == "down" and host_state(rel) == before
    assert rel.zfs_state() == zfs and rel.ok("get", "ip4_addr", "nf2").strip() == "none"
    rel.ok("stop", "nf1")


def test_nat_interface_must_exist(rel, outside):
    nat_jail(rel, "nx", "iocnoif9")
    before = host_state(rel)
    r = rel.run("start", "nx")
    assert r.rc == 1 and "nat_interface: host interface 'iocnoif9' does not exist" in r.err, r
    assert state(rel, "nx") == "down" and host_state(rel) == before
    assert "jump ioc" not in iocage_table()


def test_freebsd_dry_run_shows_the_nat_plan_and_stores_nothing(release):
    """The FreeBSD engine's plan of a NAT jail on a real root: the address
    the first start would pick (not stored by --dry-run), the host end as the
    jail's router, the rules on stdin of pfctl in the jail's own anchor."""
    fb = {"IOCAGE_ENGINE": "freebsd"}
    r = release
    r.ok("create", "-c", "release=bb", "tag=nf", "nat=on", "nat_interface=em0",
         "nat_prefix=" + PREFIX4, "nat_forwards=tcp(80:8080)", env=fb)
    uuid = r.jails()["nf"]
    before = r.zfs_state()
    out = r.ok("--dry-run", "start", "nf", env=fb)
    assert "/sbin/ifconfig vnet0 inet 10.213.64.2/30 alias" in out, out
    assert "/sbin/route add default 10.213.64.1" in out, out
    assert "pfctl -a iocage/ioc-%s -f -" % uuid in out, out
    assert "rdr on em0 inet proto tcp from any to (em0) port 8080 -> 10.213.64.2 port 80" in out
    assert r.zfs_state() == before
    assert r.ok("get", "ip4_addr", "nf").strip() == "none"
    out = r.ok("--dry-run", "stop", "nf", env=fb)
    assert "pfctl -a iocage/ioc-%s -F all" % uuid in out, out
