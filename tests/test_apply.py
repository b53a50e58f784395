"""iocage apply FILE [TAG]: recipes made real on real jails (busybox release).

A recipe makes a running jail; applied again it changes only what differs;
a failing step puts the jail back (a new one destroyed, an existing one rolled
back with its properties and running state); hostile recipes are refused
before anything is made, and nothing is written outside the jail."""
import json
import os
import stat

import pytest

from conftest import install_release
from runhelp import open_path, rel, rootfs, state, subids  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")

SHIFT = 100000


def recipe(tmp_path, text, files=None, name="web.recipe"):
    """A recipe folder readable by an unprivileged jail's root; returns the file."""
    d = tmp_path / "recipes"
    d.mkdir(exist_ok=True)
    for rel_path, content in (files or {}).items():
        p = d / rel_path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    f = d / name
    f.write_text(text)
    open_path(str(f))
    return str(f)


WEB = """# a static site
release bb
type thin
set host_hostname=web notes="made by a recipe"
copy site/index.html /www/index.html 0640 root:root
copy rc /etc/rc 0755
run mkdir -p /var/log/web
run sh -c "echo ran >> /var/log/web/runs"
"""
RC = "#!/bin/sh\necho started > /tmp/rc-ran\n"


def jail_file(root, uuid, path):
    return os.path.join(rootfs(root, uuid), path.lstrip("/"))


def no_start_times(st):
    """A jail put back was started again: its last_started moved.  ZFS cannot
    inherit quota, so a quota put back to none is a local none: its value is
    compared, not its source."""
    return {ds: {k: (v[0] if k == "quota" else v) for k, v in props.items()
                 if not k.endswith(":last_started")}
            for ds, props in st.items()}


def snapshots(root, uuid):
    out = root.ok("snaplist", "-H", uuid)
    return [line.split("\t")[0] for line in out.splitlines() if line]


def test_recipe_makes_a_running_jail_and_again_changes_nothing(rel, tmp_path):
    f = recipe(tmp_path, WEB, {"site/index.html": "hello v1\n", "rc": RC})
    # the plan alone changes nothing
    before = rel.zfs_state()
    out = rel.ok("apply", "-n", f)
    assert "web: create (thin, release bb)" in out and "web: copy site/index.html " \
        "/www/index.html 0640 root:root" in out and "web: start" in out, out
    assert rel.zfs_state() == before and rel.jails() == {}
    # applied: a running jail with the files, modes and owners in the jail's id range
    out = rel.ok("apply", f)
    assert "web: applied" in out, out
    uuid = rel.jails()["web"]
    assert state(rel, "web") == "up"
    assert rel.ok("get", "host_hostname", "web").strip() == "web"
    assert rel.ok("get", "notes", "web").strip() == "made by a recipe"
    idx = jail_file(rel, uuid, "/www/index.html")
    st = os.lstat(idx)
    assert open(idx).read() == "hello v1\n"
    assert stat.S_IMODE(st.st_mode) == 0o640 and (st.st_uid, st.st_gid) == (SHIFT, SHIFT)
    assert stat.S_IMODE(os.lstat(jail_file(rel, uuid, "/etc/rc")).st_mode) == 0o755
    assert rel.ok("exec", "web", "cat", "/tmp/rc-ran").strip() == "started"
    assert open(jail_file(rel, uuid, "/var/log/web/runs")).read() == "ran\n"
    done = rel.ok("get", "recipe_done", "web").split()
    assert len(done) == 4 and all(len(d) == 16 for d in done)
    # again: nothing differs, nothing runs, no snapshot
    st1 = rel.zfs_state()
    out = rel.ok("apply", f)
    assert "web: nothing to change" in out and "done before: run mkdir" in out, out
    assert open(jail_file(rel, uuid, "/var/log/web/runs")).read() == "ran\n"
    assert rel.zfs_state() == st1
    # a changed file is copied again, the runs are not; the jail before is a snapshot
    with open(os.path.join(os.path.dirname(f), "site/index.html"), "w") as g:
        g.write("hello v2\n")
    out = rel.ok("apply", f)
    assert "web: copy site/index.html" in out and "done before: run sh" in out, out
    assert open(idx).read() == "hello v2\n"
    assert open(jail_file(rel, uuid, "/var/log/web/runs")).read() == "ran\n"
    snaps = [s for s in snapshots(rel, "web") if s.startswith("ioc-apply-")]
    assert len(snaps) == 1, snaps
    assert state(rel, "web") == "up"
    # a property the recipe changes: set, and the running jail restarted with it
    with open(f, "a") as g:
        g.write("set notes=second\n")
    out = rel.ok("apply", "--json", f)
    doc = json.loads(out)
    assert doc["applied"] is True and "web: set notes=second (now made by a recipe)" in \
        doc["lines"] and "web: restart (its properties changed)" in doc["lines"], doc
    assert rel.ok("get", "notes", "web").strip() == "second"
    assert state(rel, "web") == "up"
    # a stopped jail is started again by apply, nothing else
    rel.ok("stop", "web")
    out = rel.ok("apply", f)
    assert "web: start" in out and "web: copy" not in out.replace("done before: copy", ""), out
    assert state(rel, "web") == "up"


def test_a_failing_step_puts_the_jail_back(rel, tmp_path):
    f = recipe(tmp_path, WEB, {"site/index.html": "v1\n", "rc": RC})
    rel.ok("apply", f)
    uuid = rel.jails()["web"]
    before = rel.zfs_state()
    quota = rel.ok("get", "quota", "web")
    files = sorted(os.listdir(rootfs(rel, uuid)))
    # a changed property, a new file, then a command that fails
    with open(f, "a") as g:
        g.write("set notes=broken quota=1G\ncopy rc /root/new 0600\nrun false\n")
    err = rel.fail("apply", f)
    assert "recipe line 11 (run false)" in err and "failed inside the jail" in err, err
    # rolled back: the file is gone, properties and snapshots as before, still running
    assert not os.path.exists(jail_file(rel, uuid, "/root/new"))
    assert sorted(os.listdir(rootfs(rel, uuid))) == files
    assert rel.ok("get", "notes", "web").strip() == "made by a recipe"
    assert rel.ok("get", "quota", "web") == quota
    assert no_start_times(rel.zfs_state()) == no_start_times(before)
    assert state(rel, "web") == "up"
    assert open(jail_file(rel, uuid, "/var/log/web/runs")).read() == "ran\n"


def test_a_new_jail_whose_step_fails_is_destroyed_again(rel, tmp_path):
    f = recipe(tmp_path, "release bb\ntype thin\nrun mkdir /made\nrun false\n", name="bad.r")
    before = rel.zfs_state()
    err = rel.fail("apply", f)
    assert "recipe line 4 (run false)" in err, err
    assert rel.jails() == {}
    assert rel.zfs_state() == before


def test_service_uses_the_jails_service_manager(rel, tmp_path):
    # a stand-in update-rc.d the recipe itself puts in the jail first
    fake = "#!/bin/sh\necho \"$@\" >> /root/update-rc.d.log\n"
    f = recipe(tmp_path, "release bb\ntype thin\ncopy urcd /usr/sbin/update-rc.d 0755\n"
               "service httpd\n", {"urcd": fake}, name="svc.r")
    rel.ok("apply", f)
    uuid = rel.jails()["svc"]
    assert open(jail_file(rel, uuid, "/root/update-rc.d.log")).read() == "httpd defaults\n"
    # without a service manager: refused with what to do, the jail put back
    g = recipe(tmp_path, "release bb\ntype thin\nservice httpd\n", name="nosvc.r")
    before = rel.zfs_state()
    err = rel.fail("apply", g)
    assert "service httpd: the jail has no service manager" in err, err
    assert rel.zfs_state() == before


def test_mount_lines_take_folders_beside_the_recipe(rel, tmp_path):
    f = recipe(tmp_path, "release bb\ntype thin\nmount data /srv/data ro\n",
               {"data/hello": "from the host\n"}, name="m.r")
    rel.ok("apply", f)
    want = os.path.join(os.path.dirname(f), "data") + " /srv/data ro"
    assert rel.ok("get", "fstab", "m").strip() == want
    assert rel.ok("exec", "m", "cat", "/srv/data/hello") == "from the host\n"
    assert rel.run("exec", "m", "touch", "/srv/data/x").rc != 0


HOSTILE = [
    ("copy ../secret /x\n", {}, "copy: source '../secret' must name a file beside the recipe"),
    ("copy /etc/shadow /x\n", {}, "copy: source '/etc/shadow' must name a file beside"),
    ("copy link /x\n", {"link": None}, "a link: sources never leave the recipe's folder"),
    ("copy sub/f /x\n", {"sub": None}, "a link: sources never leave the recipe's folder"),
    ("copy f ../../etc/passwd\n", {"f": "x"}, "must be an absolute path of a file in the jail"),
    ("copy f /x 4777777\n", {"f": "x"}, "expected 3 or 4 octal digits"),
    ("copy f /x 0644 -root\n", {"f": "x"}, "copy: owner '-root'"),
    ("mount /etc /mnt\n", {}, "a recipe never names the host's own paths"),
    ("mount ../.. /mnt\n", {}, "must be a folder beside the recipe"),
    ("set exec_prestart=/bin/touch\\ /tmp/PWN\n", {}, "a recipe may not set exec_prestart"),
    ("set fstab=\"/ /host rw\"\n", {}, "a recipe may not set fstab: its value reaches the host"),
    ("set userns=off\n", {}, "a recipe may not set userns"),
    ("set devfs_ruleset=0\n", {}, "a recipe may not set devfs_ruleset"),
    ("set allow_mount_zfs=1\n", {}, "a recipe may not set allow_mount_zfs"),
    ("set resolver=/etc/shadow\n", {}, "a recipe may not set resolver"),
    ("set tag=other\n", {}, "set: tag is not set by a recipe"),
    ("set boot=maybe\n", {}, "invalid value 'maybe' for property 'boot'"),
    ("set nosuch=1\n", {}, "nosuch"),
    ("pkg 'vim;rm'\n", {}, "pkg: invalid package name 'vim;rm'"),
    ("pkg --allow-unauthenticated\n", {}, "pkg: invalid package name"),
    ("service ../../bin/sh\n", {}, "service: expected 'service NAME'"),
    ("forward tcp(80:99999)\n", {}, "forward"),
    ("run\n", {}, "run: expected 'run COMMAND"),
    ("run \"unclosed\n", {}, "a double quote is not closed"),
    ("release bb\nrelease bb\n", {}, "release: named twice"),
    ("type thin\ntype thick\n", {}, "type: named twice"),
    ("sudo rm -rf /\n", {}, "unknown statement 'sudo'"),
    ("run echo \x1b[31m\n", {}, "a control character"),
]


def test_hostile_or_wrong_recipes_change_nothing(rel, tmp_path):
    """Each refused before anything is made, with a message saying what is
    wrong (one root for all of them: each case in its own folder)."""
    outside = tmp_path / "secret"
    outside.write_text("host secret\n")
    for k, (text, files, msg) in enumerate(HOSTILE):
        d = tmp_path / ("case%d" % k)
        d.mkdir()
        for name, content in files.items():
            if content is None and name == "link":
                os.symlink(str(outside), str(d / name))
            elif content is None:
                os.symlink(str(tmp_path), str(d / name))
            else:
                (d / name).write_text(content)
        f = d / "h.r"
        f.write_text("release bb\n" + text if "release" not in text else text)
        open_path(str(f))
        before = rel.zfs_state()
        err = rel.fail("apply", str(f))
        assert msg in err, (text, err)
        assert rel.zfs_state() == before and rel.jails() == {}, text
        assert not os.path.exists("/tmp/PWN"), text


def test_a_recipe_does_not_change_what_a_jail_was_made_as(rel, tmp_path):
    rel.ok("create", "release=bb", "tag=thick")
    rel.ok("set", "template=yes", "thick") if False else None
    for text, msg in [("release other\n", "a recipe does not move a jail to another release"),
                      ("release bb\ntype thin\n", "the type of a jail is chosen when it is made")]:
        f = recipe(tmp_path, text, name="thick.r")
        before = rel.zfs_state()
        err = rel.fail("apply", f)
        assert msg in err, err
        assert rel.zfs_state() == before


def test_the_example_recipes_plan_and_a_missing_release_is_refused(rel, busybox_tarball, tmp_path):
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
    before = rel.zfs_state()
    err = rel.fail("apply", "-n", os.path.join(here, "web", "web.recipe"))
    assert "release 'busybox' is not fetched" in err, err
    assert rel.zfs_state() == before
    install_release(rel, busybox_tarball, rel="busybox")
    out = rel.ok("apply", "-n", os.path.join(here, "web", "web.recipe"))
    assert "web: set nat_forwards=tcp(80:8080)" in out and "web: copy rc /etc/rc 0755" in out
    out = rel.ok("apply", "-n", os.path.join(here, "share", "share.recipe"), "s1")
    assert "s1: set fstab=%s /srv/shared ro" % os.path.realpath(
        os.path.join(here, "share", "shared")) in out, out
    assert rel.jails() == {}


def test_pkg_needs_a_package_manager(rel, tmp_path):
    """pkg installs with the jail's package manager (create's pkglist path); a
    busybox jail has none: refused, and the jail the apply made goes again."""
    f = recipe(tmp_path, "release bb\ntype thin\npkg hello\n", name="p.r")
    before = rel.zfs_state()
    err = rel.fail("apply", f)
    assert "recipe line 3 (pkg hello)" in err and "has no package manager" in err, err
    assert rel.zfs_state() == before and rel.jails() == {}
