"""Templates: set template=yes|no, clone TEMPLATE, create -t [-c], destroy and
promote with clones, source_template, kill -9 during the conversion."""
import os

import pytest

from conftest import PREFIX, sh
from runhelp import open_path, subids  # noqa: F401


def tmpl_snap(r, uuid):
    return "%s/jails/%s/root@ioc-template" % (r.name, uuid)


def rootfs(r, uuid):
    return sh("zfs", "get", "-H", "-o", "value", "mountpoint",
              "%s/jails/%s/root" % (r.name, uuid)).strip()


def getall(r, name):
    return {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("get", "-H", "all", name).splitlines()}


@pytest.fixture
def tmpl(release):
    """A jail 'base' with a marker file and a local setting, made a template."""
    r = release
    u = r.ok("create", "-c", "release=bb", "tag=base", "priority=7", "notes=from base").split()[0]
    with open(os.path.join(rootfs(r, u), "etc", "marker"), "w") as f:
        f.write("template content\n")
    r.ok("set", "template=yes", "base")
    r.tuuid = u
    return r


def test_set_template_yes_snapshots_and_lists(tmpl):
    r, u = tmpl, tmpl.tuuid
    st = r.zfs_state()
    assert tmpl_snap(r, u) in st
    assert st["%s/jails/%s" % (r.name, u)][PREFIX + "template"] == ("yes", "local")
    assert r.ok("get", "template", "base") == "yes\n"
    assert "base" not in r.jails()
    rows = [l.split("\t") for l in r.ok("list", "-t", "-H").splitlines()]
    assert [x[4] for x in rows] == ["base"]
    # the same value again changes nothing; the old name istemplate works
    before = r.zfs_state()
    r.ok("set", "istemplate=yes", "base")
    assert r.zfs_state() == before
    # a template is never started
    err = r.fail("start", "base")
    assert "template" in err and "never started" in err


def test_clone_template_is_thin_and_carries_settings(tmpl):
    r, u = tmpl, tmpl.tuuid
    out = r.ok("clone", "base", "tag=kid", "priority=3")
    k = out.split()[0]
    st = r.zfs_state()
    assert st["%s/jails/%s/root" % (r.name, k)]["origin"][0] == tmpl_snap(r, u)
    a = getall(r, "kid")
    assert a["source_template"] == ["base", "local"]
    assert a["type"][0] == "clonejail" and a["release"][0] == "bb"
    assert a["priority"] == ["3", "local"]            # the override wins
    assert a["notes"] == ["from base", "local"]       # the template's own setting carried
    assert a["template"][0] == "no"
    with open(os.path.join(rootfs(r, k), "etc", "marker")) as f:
        assert f.read() == "template content\n"
    assert "kid" in r.jails()


def test_create_from_template_thin_and_thick(tmpl):
    r, u = tmpl, tmpl.tuuid
    thin = r.ok("create", "-t", "base", "-c", "tag=thin").split()[0]
    thick = r.ok("create", "-t", "base", "tag=thick", "notes=mine").split()[0]
    st = r.zfs_state()
    assert st["%s/jails/%s/root" % (r.name, thin)]["origin"][0] == tmpl_snap(r, u)
    assert st["%s/jails/%s/root" % (r.name, thick)].get("origin", ("-",))[0] == "-"
    # the thick copy keeps no snapshot of ours
    assert not [d for d in st if d.startswith("%s/jails/%s" % (r.name, thick)) and "@" in d]
    for j, typ in ((thin, "clonejail"), (thick, "jail")):
        with open(os.path.join(rootfs(r, j), "etc", "marker")) as f:
            assert f.read() == "template content\n"
        a = getall(r, j)
        assert a["type"][0] == typ and a["source_template"][0] == "base"
        assert a["priority"] == ["7", "local"]
    assert getall(r, thick)["notes"] == ["mine", "local"]
    # not a template: refused, nothing made
    before = r.zfs_state()
    assert "not a template" in r.fail("create", "-t", "thin", "tag=x")
    assert r.zfs_state() == before


def test_destroy_and_untemplate_refused_while_cloned(tmpl):
    r, u = tmpl, tmpl.tuuid
    r.ok("clone", "base", "tag=kid1")
    r.ok("create", "-t", "base", "-c", "tag=kid2")
    r.ok("create", "-t", "base", "tag=thick")  # a copy does not depend on it
    before = r.zfs_state()
    err = r.fail("destroy", "-f", "base")
    assert "kid1" in err and "kid2" in err and "thick" not in err
    err = r.fail("set", "template=no", "base")
    assert "kid1" in err and "kid2" in err and "thick" not in err
    assert r.zfs_state() == before
    r.ok("destroy", "-f", "kid1")
    r.ok("destroy", "-f", "kid2")
    r.ok("set", "template=no", "base")
    st = r.zfs_state()
    assert tmpl_snap(r, u) not in st
    assert st["%s/jails/%s" % (r.name, u)][PREFIX + "template"] == ("no", "local")
    assert "base" in r.jails() and r.ok("list", "-t", "-H") == ""
    # and back again: the snapshot is the jail as it is now
    with open(os.path.join(rootfs(r, u), "etc", "marker"), "w") as f:
        f.write("second\n")
    r.ok("set", "template=yes", "base")
    k = r.ok("clone", "base", "tag=kid3").split()[0]
    with open(os.path.join(rootfs(r, k), "etc", "marker")) as f:
        assert f.read() == "second\n"


def test_promote_frees_a_clone(tmpl):
    r = tmpl
    r.ok("clone", "base", "tag=kid")
    r.ok("promote", "kid")
    # the clone no longer depends on the template: the template can go
    r.ok("destroy", "-f", "base")
    assert list(r.jails()) == ["kid"]
    with open(os.path.join(rootfs(r, r.jails()["kid"]), "etc", "marker")) as f:
        assert f.read() == "template content\n"


def test_template_of_running_jail_refused(release, subids):  # noqa: F811
    r = release
    open_path(r.mountpoint)
    r.ok("set", "interfaces=none", "default")
    r.ok("create", "-c", "release=bb", "tag=run")
    r.ok("start", "run")
    try:
        before = r.zfs_state()
        err = r.fail("set", "template=yes", "run")
        assert "running" in err
        after = r.zfs_state()
        assert {k: v for k, v in after.items() if "@" in k} == \
            {k: v for k, v in before.items() if "@" in k}
        assert r.ok("get", "template", "run") == "no\n"
    finally:
        r.run("stop", "-f", "run")


def state_of(r, uuid):
    """'jail' (no template, listed), 'template' (flag and snapshot), or a description."""
    st = r.zfs_state()
    ds = "%s/jails/%s" % (r.name, uuid)
    flag = st[ds].get(PREFIX + "template", ("no", ""))[0]
    snap = tmpl_snap(r, uuid) in st
    if flag == "yes" and snap:
        return "template"
    if flag != "yes":
        return "jail"
    return "broken: flag=%s snapshot=%s" % (flag, snap)


def test_kill9_during_conversion(release):
    r = release
    u = r.ok("create", "-c", "release=bb", "tag=base").split()[0]
    for target, want in (("yes", "template"), ("no", "jail")):
        start = state_of(r, u)
        n = 1
        while True:
            res = r.run("set", "template=" + target, "base", env={"IOC_FAULT_KILL": str(n)})
            s = state_of(r, u)
            assert s in (start, want), (n, s)
            # whatever was killed, the jail is still there under its name
            assert r.ok("get", "uuid", "base").strip() == u
            if res.rc == 0:
                assert s == want
                break
            assert res.rc in (-9, 137), res
            n += 1
        assert n > 2  # the kill really hit the conversion's steps
        # the next command finishes the job
        r.ok("set", "template=" + target, "base")
        assert state_of(r, u) == want
