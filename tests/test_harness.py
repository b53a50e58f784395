"""The harness itself can fail: the inventory notices each kind of change it
claims to watch, and the invariant check notices a broken root."""
import os
import subprocess

import pytest

import inventory
from conftest import destroy_root, sh
from runhelp import jail

# the host as nobody else uses it (conftest "serial": after the parallel pass)
pytestmark = pytest.mark.serial


def test_inventory_notices_pool_changes(pool, sentinels):
    before = inventory.inventory(pool, (), sentinels)
    ds = "%s/vbox/stray" % pool.name
    sh("zfs", "create", ds)
    try:
        sh("zfs", "set", "org.freebsd.iocage:boot=on", "%s/ezjail" % pool.name)
        after = inventory.inventory(pool, (), sentinels)
    finally:
        sh("zfs", "inherit", "org.freebsd.iocage:boot", "%s/ezjail" % pool.name)
        destroy_root(ds)
    d = "\n".join(inventory.diff(before, after))
    assert "datasets: %s" % ds in d
    assert "%s/ezjail org.freebsd.iocage:boot" % pool.name in d
    assert "mounts: new: %s" % os.path.join(pool.mountpoint, "vbox/stray") in d
    assert inventory.diff(before, inventory.inventory(pool, (), sentinels)) == []


def test_inventory_notices_sentinels_and_processes(pool, sentinels):
    before = inventory.inventory(pool, (), sentinels)
    f = os.path.join(sentinels, "dir", "inner")
    with open(f, "rb") as fh:
        keep = fh.read()
    with open(f, "ab") as fh:
        fh.write(b"x")
    p = subprocess.Popen(["sleep", "60"], cwd=os.path.join(pool.mountpoint, "vbox"))
    try:
        after = inventory.inventory(pool, (), sentinels)
    finally:
        p.kill()
        p.wait()
        with open(f, "wb") as fh:
            fh.write(keep)
    d = "\n".join(inventory.diff(before, after))
    assert "sentinels: %s" % f in d
    assert "processes_in_pool: new: (%d, 'cwd'" % p.pid in d
    assert inventory.diff(before, inventory.inventory(pool, (), sentinels)) == []


def test_inventory_notices_interfaces(pool, sentinels):
    if inventory.other_test_pools(pool.name):
        pytest.skip("another test session shares the host: interfaces are not compared")
    before = inventory.inventory(pool, (), sentinels)
    sh("ip", "link", "add", "iocharn0", "type", "veth", "peer", "name", "iocharn1")
    try:
        after = inventory.inventory(pool, (), sentinels)
    finally:
        sh("ip", "link", "del", "iocharn0")
    d = inventory.diff(before, after)
    assert "links: new: iocharn0" in d and "links: new: iocharn1" in d


def test_invariants_notice_a_broken_root(release):
    u = jail(release, "a")
    assert inventory.invariants(release, release.ok("list", "-H")) == []
    # a jail whose root child vanished behind iocage's back: debris, not listed
    rootds = "%s/jails/%s/root" % (release.name, u)
    destroy_root(rootds)
    listed = release.ok("list", "-H")
    assert u not in listed
    assert inventory.invariants(release, listed) == []
    # a listing that shows it anyway is caught, and so is a jail missing from it
    fake = "-\t%s\toff\tdown\ta\tjail\tbb\t-\n" % u
    assert inventory.invariants(release, fake) == ["debris %s is listed as a jail" % u]
    u2 = jail(release, "b")
    assert inventory.invariants(release, "") == ["complete jail %s (b) is not listed" % u2]


def test_first_use_netns_mount_is_noticed_and_removed(pool, sentinels):
    """A fresh host has no /run/netns; the first 'ip netns add' makes it a
    mount and leaves it.  The harness must see that (a used machine hid it
    from CI) and remove what its run made: here on a host made fresh first."""
    import firstuse
    if inventory.other_test_pools(pool.name):
        pytest.skip("another test session shares the host: /run/netns may be in use")
    a = firstuse.NetnsDir()
    if os.path.isdir(a.path) and os.listdir(a.path):
        pytest.skip("network namespaces exist on this host: %s" % os.listdir(a.path))
    try:
        if a.present():
            assert a.remove() == "removed"
        assert not os.path.exists(a.path) and not a.present()
        fu = firstuse.FirstUse()
        before = inventory.inventory(pool, (), sentinels)
        sh("ip", "netns", "add", "iocharnns")
        sh("ip", "netns", "del", "iocharnns")
        assert a.present()
        d = inventory.diff(before, inventory.inventory(pool, (), sentinels))
        assert [x for x in d if x.startswith("mounts: new: /run/netns ")], d
        report = fu.cleanup()
        assert "%s: made by this run, removed" % a.name in report, report
        assert fu.leftover == []
        assert not os.path.exists(a.path)
        assert inventory.diff(before, inventory.inventory(pool, (), sentinels)) == []
        # what was there before is left alone
        fu = firstuse.FirstUse()
        a.prepare()
        sh("ip", "netns", "add", "iocharnns")
        try:
            report = fu.cleanup()
            assert "%s: made by this run, left: still holds iocharnns" % a.name in report
            assert fu.leftover
        finally:
            sh("ip", "netns", "del", "iocharnns")
        fu = firstuse.FirstUse()
        assert "%s: there before this run, left as found" % a.name in fu.cleanup()
        assert a.present()
    finally:
        a.prepare()  # the session made it before the first test: as it was
