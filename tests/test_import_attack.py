"""A hostile image's properties (issue 10, item 2): an image carries only
properties on an allow-list (its own description, addresses, commands inside,
limits, isolation settings at their built-in or stricter values).  Everything
else is refused at import, every such property named in one error, unless the
same property is given on the import command line; nothing is made."""
import pytest

from test_export import export_file, forge, state, web  # noqa: F401

# (manifest lines the image adds, properties the error must name, override)
CLASSES = [
    ("host file read at start", ["resolver /etc/shadow"], ["resolver='/etc/shadow'"],
     ["resolver=none"]),
    ("host network stack", ["ip4 inherit", "ip6 inherit"], ["ip4='inherit'", "ip6='inherit'"],
     ["ip4=new", "ip6=new"]),
    ("devfs and mounts", ["devfs_ruleset 0", "allow_mount 1", "enforce_statfs 0"],
     ["devfs_ruleset='0'", "allow_mount='1'", "enforce_statfs='0'"],
     ["devfs_ruleset=4", "allow_mount=0", "enforce_statfs=2"]),
    ("securelevel", ["securelevel -1"], ["securelevel='-1'"], ["securelevel=2"]),
    ("host IPC", ["sysvshm inherit", "sysvmsg inherit"], ["sysvshm='inherit'", "sysvmsg='inherit'"],
     ["sysvshm=new", "sysvmsg=new"]),
    ("host interfaces", ["interfaces vnet0:eth0", "vnet off"],
     ["interfaces='vnet0:eth0'", "vnet='off'"], ["interfaces=none", "vnet=on"]),
    ("starts at boot", ["boot on"], ["boot='on'"], ["boot=off"]),
    ("host hooks", ["exec_prestart /bin/rm -rf /", "exec_poststop /tmp/x"],
     ["exec_prestart='/bin/rm -rf /'", "exec_poststop='/tmp/x'"],
     ["exec_prestart=/usr/bin/true", "exec_poststop=/usr/bin/true"]),
    ("a lifted limit", ["memoryuse off"], ["memoryuse='off'"], ["memoryuse=1G:deny"]),
]


@pytest.mark.parametrize("case,lines,named,override", CLASSES, ids=[c[0] for c in CLASSES])
def test_hostile_image_properties_are_refused_until_decided(web, tmp_path, case, lines, named,
                                                           override):
    r = web
    good = export_file(r, "web")
    r.ok("destroy", "-f", "web")
    path = str(tmp_path / "hostile.ioc")
    forge(good, path, manifest_edit=lambda m: m + "".join("prop %s\n" % l for l in lines))
    before, jails = state(r), r.jails()
    err = r.fail("import", path, "tag=imp")
    assert "the image sets " in err and "which may reach the host or weaken the jail's " \
        "isolation: review them and import with PROPERTY=VALUE for each to decide" in err, err
    for n in named:
        assert n in err, (n, err)
    assert state(r) == before and r.jails() == jails
    # one decision short is still refused; all of them imports
    if len(override) > 1:
        assert "the image sets" in r.fail("import", path, "tag=imp", *override[:-1])
        assert state(r) == before
    r.ok("import", path, "tag=imp", *override)
    for o in override:
        k, v = o.split("=", 1)
        got = r.ok("get", k, "imp").strip()
        assert got == v or (v == "none" and got in ("none", "0")), (k, got)
    r.ok("destroy", "-f", "imp")


def test_allowed_properties_travel(web, tmp_path):
    """The jail's own settings still travel with no decision to make."""
    r = web
    r.ok("set", "host_hostname=www", "ip4_addr=vnet0|192.0.2.9/24", "memoryuse=1G:deny",
         "exec_start=/bin/sh /etc/rc.local", "securelevel=3", "boot=off", "web")
    path = export_file(r, "web")
    r.ok("destroy", "-f", "web")
    r.ok("import", path, "tag=back")
    for k, v in (("host_hostname", "www"), ("ip4_addr", "vnet0|192.0.2.9/24"),
                 ("memoryuse", "1G:deny"), ("exec_start", "/bin/sh /etc/rc.local"),
                 ("securelevel", "3"), ("priority", "5")):
        assert r.ok("get", k, "back").strip() == v, k


def _image_with(r, tmp_path, plant):
    """An image of a jail whose tree holds what plant(rootfs) put there."""
    import os
    from test_export import rootfs
    u = r.ok("create", "-c", "release=bb", "tag=src").split()[0]
    plant(rootfs(r, u))
    path = export_file(r, "src")
    r.ok("destroy", "-f", "src")
    return path


def _setuid_root(top):
    import os
    p = os.path.join(top, "bin", "rootsh")
    with open(p, "wb") as f:
        f.write(b"#!/bin/sh\n")
    os.chown(p, 0, 0)
    os.chmod(p, 0o4755)


def _device(top):
    import os
    os.mknod(os.path.join(top, "tmp", "d"), 0o60666, os.makedev(8, 0))


@pytest.mark.parametrize("what,plant,msg", [
    ("block-device", _device, "'tmp/d' is a device node (8:0): an image carries none"),
    ("setuid-root", _setuid_root, "'bin/rootsh' is setuid/setgid and owned by host id 0:0, "
     "outside the jail's id range 100000:65536"),
])
def test_image_tree_with_host_reaching_files_is_refused(release, tmp_path, what, plant, msg):
    """Image streams are received raw: the received tree is walked in its
    quarantine (untagged, not listed) and refused; nothing is left."""
    r = release
    path = _image_with(r, tmp_path, plant)
    before, jails = state(r), r.jails()
    err = r.fail("import", path, "tag=imp")
    assert "the image's root is refused: " + msg in err, err
    assert state(r) == before and r.jails() == jails
    if what == "setuid-root":
        # a privileged jail's range is the host's: the file is its root's own
        r.ok("import", path, "tag=imp", "userns=off")
        r.ok("destroy", "-f", "imp")


def test_setuid_file_of_the_jails_own_root_imports(release, tmp_path):
    import os

    def plant(top):
        _setuid_root(top)
        os.chown(os.path.join(top, "bin", "rootsh"), 100000, 100000)
        os.chmod(os.path.join(top, "bin", "rootsh"), 0o4755)
    r = release
    path = _image_with(r, tmp_path, plant)
    r.ok("import", path, "tag=imp")
    r.ok("destroy", "-f", "imp")
