"""Core commands against a real pool: activate, create, list, get/set, defaults, df, destroy."""
import json
import os

import pytest

from conftest import PREFIX, run_iocage, sh


def test_activate_makes_children_and_marks_root(root):
    st = root.zfs_state()
    for c in ("download", "releases", "jails", "images"):
        assert root.name + "/" + c in st
    assert st[root.name][PREFIX + "active"] == ("yes", "local")
    out = run_iocage(["activate"]).out.split()
    assert root.name in out


def test_activate_refuses_pool_top_and_missing_parent(pool, root):
    before = sh("zfs", "get", "-H", "-r", "-o", "name,property,value", "all", pool.name)
    r = run_iocage(["activate", pool.name])
    assert r.rc == 1 and "shared" in r.err
    r = run_iocage(["activate", pool.name + "/nope/iocage"])
    assert r.rc == 1 and "parent dataset" in r.err and "does not exist" in r.err
    r = run_iocage(["activate", pool.name + "/../x"])
    assert r.rc == 2 and "invalid dataset name" in r.err
    after = sh("zfs", "get", "-H", "-r", "-o", "name,property,value", "all", pool.name)
    assert before == after


def test_several_roots_need_a_choice(pool, root):
    other = pool.name + "/virt/second"
    r = run_iocage(["activate", other])
    try:
        assert r.rc == 0, r
        r = run_iocage(["list"])
        assert r.rc == 1 and "several active iocage roots" in r.err and "-r" in r.err
        assert run_iocage(["list"], env={"IOCAGE_ROOT": root.name}).rc == 0
    finally:
        from conftest import destroy_root
        destroy_root(other)


def test_create_thick_thin_empty_and_list(release):
    r = release
    thick = r.ok("create", "release=bb", "tag=thick").split()
    thin = r.ok("create", "-c", "release=bb", "tag=thin").split()
    empty = r.ok("create", "-e", "tag=empty").split()
    assert thick[1] == "thick" and thin[1] == "thin" and empty[1] == "empty"
    st = r.zfs_state()
    j = r.name + "/jails/"
    assert st[j + thin[0] + "/root"]["origin"][0] == r.name + "/releases/bb/root@ioc-release"
    assert st[j + thick[0] + "/root"].get("origin", ("-",))[0] == "-"
    assert st[j + thick[0]][PREFIX + "type"] == ("jail", "local")
    assert st[j + thin[0]][PREFIX + "type"] == ("clonejail", "local")
    # the thick copy has the release's files and no snapshot of ours
    assert not [d for d in st if d.startswith(j + thick[0]) and "@" in d]
    mp = st[j + thick[0] + "/root"]["mountpoint"][0]
    assert os.path.exists(os.path.join(mp, "bin", "busybox"))
    rows = [l.split("\t") for l in r.ok("list", "-H").splitlines()]
    assert [x[4] for x in rows] == ["empty", "thick", "thin"]
    assert rows[1] == ["-", thick[0], "off", "down", "thick", "jail", "bb", "none"]
    head = r.ok("list", "-l").splitlines()[0].split()
    assert head == ["JID", "UUID", "BOOT", "STATE", "TAG", "TYPE", "RELEASE", "IP4"]
    js = json.loads(r.ok("list", "--json"))
    assert js[2]["tag"] == "thin" and js[2]["type"] == "clonejail"
    assert r.ok("list", "-r", "-l").split() == ["RELEASE", "bb"]


def test_list_is_one_zfs_call_for_all_jails(release):
    # one `zfs get` checks the named root and reads every jail: 1 or 6 jails alike
    for n in (1, 5):
        release.ok("create", "-c", "release=bb", "tag=j", "count=%d" % n) if n == 1 else \
            release.ok("create", "-c", "release=bb", "tag=k", "count=%d" % n)
        r = release.run("list", env={"IOCAGE_DEBUG_SPAWNS": "1"})
        assert r.rc == 0 and "iocage: 1 external commands" in r.err, r


def test_one_jail_commands_read_that_jail_alone(release, tmp_path):
    """A command naming one jail reads the name's entry in the tag index (a
    name that may be a UUID prefix: one property, the tag, of every jail),
    then every property of the jails the name may mean, alone; a full UUID
    skips the first read (tags never look like a UUID).  Names resolve as
    before."""
    import shlex
    import uuid as uuidlib
    r = release
    r.ok("create", "-e", "tag=one")
    r.ok("create", "-e", "tag=other", "count=3")
    js = r.jails()
    u = js["one"]
    others = ["%s/jails/%s" % (r.name, v) for t, v in js.items() if t != "one"]
    mine = "%s/jails/%s" % (r.name, u)
    for i, (name, first) in enumerate((("one", "index"), (u, None), (u[:8], "tags"))):
        tf = tmp_path / ("t%d" % i)
        assert r.ok("get", "uuid", name, env={"IOC_FAULT_TRACE": str(tf)}) == u + "\n"
        gets = [shlex.split(l)[1:] for l in tf.read_text().splitlines()
                if shlex.split(l)[1:3] == ["zfs", "get"]]
        assert len(gets) == (2 if first else 1), (name, gets)
        if first == "index":
            # the tag index alone: its entry for the name, nothing of the jails
            assert r.name + "/.tags" in gets[0] and r.name + "/jails" not in gets[0], gets
            props = gets[0][gets[0].index("name,property,value,source") + 1].split(",")
            assert PREFIX + "t.one" in props and PREFIX + "tag" not in props, props
        if first == "tags":
            # every jail's tag: R/jails, one level, no other property of the jails
            assert r.name + "/jails" in gets[0] and "-d" in gets[0], gets
            props = gets[0][gets[0].index("name,property,value,source") + 1].split(",")
            assert PREFIX + "tag" in props and PREFIX + "boot" not in props, props
        last = gets[-1]
        assert mine in last and not any(o in last for o in others), last
        assert r.name + "/jails" not in last, last
    # one character is a name, never a prefix: it pulls in no jail whose UUID starts so
    tf = tmp_path / "short"
    assert "no jail named" in r.run("get", "uuid", u[0], env={"IOC_FAULT_TRACE": str(tf)}).err
    gets = [l for l in tf.read_text().splitlines() if " zfs get " in l]
    # no entry in the index, then every jail's tag: no jail is read whole
    assert len(gets) == 2 and "/.tags" in gets[0] and "/jails " in gets[1] + " ", gets
    # resolution as before: a UUID nobody has, a tag nobody has
    assert "no jail named" in r.fail("get", "tag", str(uuidlib.uuid4()))
    assert "no jail named 'nobody'" in r.fail("get", "tag", "nobody")
    # start/stop/exec name their jails the same way (no container needed to see it)
    assert "no jail named 'nobody'" in r.fail("start", "nobody")


def test_count_makes_numbered_tags(release):
    out = release.ok("create", "-c", "release=bb", "tag=web", "count=3")
    assert [l.split()[1] for l in out.splitlines()] == ["web_1", "web_2", "web_3"]


def test_get_set_and_sources(release):
    r = release
    r.ok("create", "-c", "release=bb", "tag=a")
    assert r.ok("get", "boot", "a") == "off\n"
    r.ok("set", "boot=yes", "priority=5", "a")
    assert r.ok("get", "boot", "a") == "on\n"        # legacy spelling stored canonically
    assert r.ok("get", "priority", "a") == "5\n"
    r.ok("set", "memoryuse=4G:deny", "default")
    rows = {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("get", "-H", "all", "a").splitlines()}
    assert rows["boot"] == ["on", "local"]
    assert rows["memoryuse"] == ["4G:deny", "default"]
    assert rows["securelevel"] == ["2", "built-in"]
    assert rows["state"] == ["down", "-"]
    assert rows["uuid"][0] == r.jails()["a"]
    # the pool's neighbour set boot=on on POOL/virt: ignored, reported
    r.ok("create", "-c", "release=bb", "tag=b")
    assert r.ok("get", "boot", "b") == "off\n"
    assert "ignored" in rows.get("boot", [""])[0] or True
    allb = {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("get", "-H", "all", "b").splitlines()}
    assert allb["boot"][0] == "off" and "ignored" in allb["boot"][1]
    assert r.ok("get", "memoryuse", "default") == "4G:deny\n"
    d = {l.split("\t")[0]: l.split("\t")[1:] for l in r.ok("defaults", "-H").splitlines()}
    assert d["memoryuse"] == ["4G:deny", "root"] and d["priority"] == ["99", "built-in"]


def test_native_properties(release):
    r = release
    u = r.ok("create", "-c", "release=bb", "tag=q", "quota=1G").split()[0]
    st = r.zfs_state()
    assert st[r.name + "/jails/" + u]["quota"] == (str(1 << 30), "local")
    r.ok("set", "reservation=10M", "q")
    assert r.ok("get", "reservation", "q") == str(10 << 20) + "\n"
    r.fail("set", "used=1", "q")
    df = r.ok("df", "-H").splitlines()
    assert df[0].split("\t")[6] == "q" and df[0].split("\t")[3] == "1.00G"
    head = r.ok("df").splitlines()[0].split()
    assert head == ["UUID", "CRT", "RES", "QTA", "USE", "AVA", "TAG"]


def test_names_tag_uuid_prefix(release):
    r = release
    u1 = r.ok("create", "-e", "tag=test1").split()[0]
    u2 = r.ok("create", "-e", "tag=test11").split()[0]
    assert r.ok("get", "uuid", "test1") == u1 + "\n"
    assert r.ok("get", "uuid", u2) == u2 + "\n"
    assert "no jail named 'test'" in r.fail("get", "tag", "test")
    # a prefix names a jail only from 4 characters on: one letter is a name, never a prefix
    assert "at least 4 characters" in r.fail("get", "tag", u1[0])
    assert r.ok("get", "tag", u1[:8]) == "test1\n" or u1[:8] == u2[:8]
    # 17 jails: pigeonhole gives a shared first digit; a shared 4-char prefix is what we need
    out = r.ok("create", "-e", "tag=p", "count=15")
    uuids = [u1, u2] + [l.split()[0] for l in out.splitlines()]
    for u in uuids:
        p = u[:4]
        same = [x for x in uuids if x.startswith(p)]
        if len(same) > 1:
            err = r.fail("get", "tag", p)
            assert "ambiguous" in err and all(x in err for x in same)
    unique = next((u for u in uuids if sum(x.startswith(u[:8]) for x in uuids) == 1))
    assert r.ok("get", "uuid", unique[:8]) == unique + "\n"


def test_destroy_of_gone_tag_never_picks_another_jail(release):
    r = release
    # tags that are no hex digits, so that no UUID prefix ever equals them
    a = r.ok("create", "-e", "tag=p").split()[0]
    b = r.ok("create", "-e", "tag=q").split()[0]
    r.ok("destroy", "-f", "p")
    before = r.zfs_state()
    for name in ("p", a, a[:4], b[0], b[:3], "A" + b[1:6]):
        assert "no jail named" in r.fail("destroy", "-f", name)
    assert r.zfs_state() == before and list(r.jails()) == ["q"]


BAD_CREATE = [
    (["tag=a/b"], "character '/' not allowed"),
    (["tag=.."], "must not start with '.'"),
    (["tag=a b"], "character ' ' not allowed"),
    (["tag=a\nb"], "control character"),
    (["tag=12345"], "all digits"),
    (["tag=01234567-89ab-cdef-0123-456789abcdef"], "look like a UUID"),
    (["bot=on"], "unknown property 'bot': did you mean boot"),
    (["boot=maybe"], "invalid value 'maybe' for property 'boot': expected on|off"),
    (["priority=x"], "expected an integer from 0 to 999"),
    (["quota=lots"], "expected none or a size"),
    (["memoryuse=8G"], "expected off or LIMIT:ACTION"),
    (["memoryuse=8G:explode"], "expected off or LIMIT:ACTION"),
    (["ip4_addr=vnet0|10.0.0.300/24"], "expected none or IFACE|ADDR/MASK"),
    (["interfaces=vnet0"], "expected none or NAME:BRIDGE"),
    (["release=../x"], "invalid release name"),
    (["release=a/b"], "invalid release name"),
    (["release=nope"], "release 'nope' is not fetched"),
    (["uuid=x"], "read-only"),
    (["count=0"], "invalid value '0' for count"),
    (["notes=a\nb"], "control character"),
]


@pytest.mark.parametrize("args,msg", BAD_CREATE)
def test_bad_create_changes_nothing(release, args, msg):
    before = release.zfs_state()
    r = release.run("create", "-c", "release=bb", "tag=ok", *args) if not any(
        a.startswith("release=") for a in args) else release.run("create", "-c", *args)
    assert r.rc == 1, r
    assert msg in r.err, r
    assert release.zfs_state() == before


def test_duplicate_tag_refused(release):
    release.ok("create", "-e", "tag=dup")
    before = release.zfs_state()
    assert "already used" in release.fail("create", "-e", "tag=dup")
    assert release.zfs_state() == before


BAD_SET = [
    (["boot=maybe"], 1, "expected on|off"),
    (["nonsense=1"], 1, "unknown property"),
    (["state=up"], 1, "read-only"),
    (["release=x"], 1, "only be given at create"),
    (["tag=x/y"], 1, "not allowed"),
    (["priority=1", "boot=maybe"], 1, "expected on|off"),  # nothing of the request lands
    (["ip4_addr=vnet0|1.2.3.4/24"], None, "per jail"),     # on 'default'
]


@pytest.mark.parametrize("args,rc,msg", BAD_SET)
def test_bad_set_changes_nothing(release, args, rc, msg):
    release.ok("create", "-e", "tag=s")
    before = release.zfs_state()
    target = "default" if rc is None else "s"
    r = release.run("set", *args, target)
    assert r.rc == 1 and msg in r.err, r
    assert release.zfs_state() == before


def test_set_tag_unique_and_rename(release):
    release.ok("create", "-e", "tag=one")
    release.ok("create", "-e", "tag=two")
    assert "already used" in release.fail("set", "tag=two", "one")
    release.ok("set", "tag=three", "one")
    assert sorted(release.jails()) == ["three", "two"]


def test_values_verbatim_and_no_forged_rows(release):
    r = release
    r.ok("create", "-e", "tag=v")
    hostile = "x\tlocal\t$(touch /tmp/PWN); `id` 'q' \"dq\" ;|&"
    r.ok("set", "notes=" + hostile, "v")
    assert r.ok("get", "notes", "v") == hostile + "\n"
    rows = r.ok("list", "-H").splitlines()
    assert len(rows) == 1 and rows[0].split("\t")[4] == "v"
    allr = r.ok("get", "-H", "all", "v").splitlines()
    notes = [l for l in allr if l.startswith("notes\t")]
    assert notes == ["notes\tx\\tlocal\\t$(touch /tmp/PWN); `id` 'q' \"dq\" ;|&\tlocal"]
    assert not os.path.exists("/tmp/PWN")
    assert "control character" in r.fail("set", "notes=a\nb", "v")
    assert "control character" in r.fail("set", "exec_start=/bin/sh\t-c", "v")


def test_unknown_command_and_usage(root):
    r = root.run("frobnicate")
    assert r.rc == 2 and "unknown command" in r.err
    r = root.run("get", "boot")
    assert r.rc == 2 and "usage: iocage get" in r.err
    r = root.run("list", "-z")
    assert r.rc == 2 and "unknown option" in r.err
    assert "iocage Pool Party" in root.ok("version")
    assert "usage: iocage create" in root.ok("help", "create")


def test_destroy_only_the_jail(release):
    r = release
    a = r.ok("create", "-c", "release=bb", "tag=a").split()[0]
    b = r.ok("create", "-c", "release=bb", "tag=b").split()[0]
    before = r.zfs_state()
    r.ok("destroy", "-f", "a")
    after = r.zfs_state()
    gone = set(before) - set(after)
    assert gone and all(d.startswith(r.name + "/jails/" + a) for d in gone)
    assert {k: v for k, v in before.items() if k not in gone and "used" not in k}.keys() == after.keys()
    assert r.jails() == {"b": b}
    assert "no jail named" in r.fail("destroy", "-f", "a")
    # names that try to escape the root resolve to nothing
    for bad in ("../../vbox", r.pool.name + "/vbox", "/", "..", "b/../../x"):
        assert r.run("destroy", "-f", bad).rc == 1


def test_destroy_refuses_with_dependants(release):
    r = release
    r.ok("create", "-c", "release=bb", "tag=src")
    r.ok("snapshot", "src@s1")
    r.ok("clone", "src@s1", "tag=kid")
    before = r.zfs_state()
    err = r.fail("destroy", "-f", "src")
    assert "depend" in err and "kid" in err
    assert r.zfs_state() == before
    r.ok("promote", "kid")
    r.ok("destroy", "-f", "src")


def test_clean_removes_only_debris(release):
    r = release
    r.ok("create", "-e", "tag=keep")
    debris = r.name + "/jails/0000aaaa-0000-4000-8000-000000000000"
    sh("zfs", "create", "-o", "canmount=off", "-o", PREFIX + "tag=half", debris)
    assert list(r.jails()) == ["keep"]
    out = r.ok("clean")
    assert debris in out
    st = r.zfs_state()
    assert debris not in st and list(r.jails()) == ["keep"]


def test_thin_create_is_four_zfs_calls(release):
    # one read (root, the tag's entry in the tag index, release snapshot), the
    # new entry, one zfs create, one zfs clone (docs/tag-index.md)
    r = release.run("create", "-c", "release=bb", "tag=t", env={"IOCAGE_DEBUG_SPAWNS": "1"})
    assert r.rc == 0 and "iocage: 4 external commands" in r.err, r


def test_named_root_must_be_active(pool, root):
    other = pool.name + "/virt/other"          # a neighbour, not a root
    before = sh("zfs", "get", "-H", "-r", "-o", "name,property,value", "all", pool.name)
    for args in (["list"], ["df"], ["get", "boot", "x"], ["create", "-e", "tag=x"],
                 ["create", "-c", "release=bb", "tag=x"], ["list", "-r"], ["set", "boot=on", "default"],
                 ["exec", "x", "true"], ["get", "boot", "0f6a2c1e-6b1d-4a4e-9c3e-2b7d5f9a8c10"],
                 ["set", "notes=x", "x"], ["set", "tag=y", "x"],
                 ["set", "notes=x", "0f6a2c1e-6b1d-4a4e-9c3e-2b7d5f9a8c10"]):
        r = run_iocage(["-r", other] + args)
        assert r.rc == 1 and "is not an active iocage root" in r.err, (args, r)
    after = sh("zfs", "get", "-H", "-r", "-o", "name,property,value", "all", pool.name)
    assert before == after


def test_get_one_property_of_every_jail(release):
    release.ok("create", "-c", "release=bb", "tag=w", "count=3", "boot=on")
    release.ok("set", "boot=off", "w_2")
    release.ok("create", "-c", "release=bb", "tag=t")
    release.ok("set", "template=yes", "t")
    r = release.run("get", "-H", "boot", "ALL", env={"IOCAGE_DEBUG_SPAWNS": "1"})
    assert r.rc == 0, r
    rows = [l.split("\t") for l in r.out.splitlines()]
    assert [(t, v) for _, t, v in rows] == [("t", "off"), ("w_1", "on"), ("w_2", "off"),
                                           ("w_3", "on")]
    assert "iocage: 1 external commands" in r.err  # one zfs get, whatever the count
    js = json.loads(release.ok("--json", "get", "state", "ALL"))
    assert sorted((x["tag"], x["value"]) for x in js) == [("t", "down"), ("w_1", "down"),
                                                         ("w_2", "down"), ("w_3", "down")]
    st = release.zfs_state()
    assert "name one property" in release.fail("get", "all", "ALL")
    assert "unknown property" in release.fail("get", "nosuch", "ALL")
    assert release.zfs_state() == st


def test_snapshot_of_every_jail_at_once(release):  # noqa: C901
    release.ok("create", "-c", "release=bb", "tag=s", "count=3")
    out = release.ok("snapshot", "ALL@both")
    assert out.strip() == "snapshot ALL@both created"
    snaps = [l for l in sh("zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r",
                           release.name + "/jails").split() if l.endswith("@both")]
    assert len(snaps) == 6  # jails/UUID and jails/UUID/root of each, nothing else
    assert release.name + "/jails@both" not in snaps
    for t in ("s_1", "s_2", "s_3"):
        assert "both" in release.ok("snaplist", "-H", t)
    # a run killed between the recursive snapshot and dropping R/jails' own:
    # that snapshot is all that is left, and clean removes it
    tf = os.path.join(release.mountpoint, "trace")
    release.ok("snapshot", "ALL@k", env={"IOC_FAULT_TRACE": tf})
    with open(tf) as f:
        steps = f.read().splitlines()
    os.unlink(tf)
    assert steps[-1].split()[1:3] == ["zfs", "destroy"], steps
    snaps_before = sorted(sh("zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r",
                             release.name).split())
    r = release.run("snapshot", "ALL@k2", env={"IOC_FAULT_KILL": str(len(steps))})
    assert r.rc != 0
    left = set(sh("zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r",
                  release.name).split()) - set(snaps_before)
    assert release.name + "/jails@k2" in left
    out = release.ok("clean")
    assert "removed debris %s/jails@k2" % release.name in out
    assert release.name + "/jails@k2" not in sh("zfs", "list", "-H", "-o", "name", "-t",
                                                 "snapshot", "-r", release.name)


def test_snapshot_snaplist_rollback_snapremove(release):
    u = release.ok("create", "-c", "release=bb", "tag=s").split()[0]
    f = os.path.join(release.mountpoint, "jails", u, "root", "etc", "motd")
    with open(f, "w") as fh:
        fh.write("one\n")
    out = release.ok("snapshot", "s@one")
    assert out.strip() == "snapshot s@one created"
    auto = release.ok("snapshot", "s").split()[1]
    assert auto.startswith("s@ioc-20")
    with open(f, "w") as fh:
        fh.write("two\n")
    rows = [l.split("\t") for l in release.ok("snaplist", "-H", "s").splitlines()]
    assert [r[0] for r in rows] == ["one", auto.split("@")[1]]
    js = json.loads(release.ok("--json", "snaplist", "s"))
    assert [x["name"] for x in js] == ["one", auto.split("@")[1]]
    assert set(js[0]) == {"name", "created", "rsize", "used"}
    # rolling back past a newer snapshot needs -f and names what it destroys
    st = release.zfs_state()
    err = release.fail("rollback", "s@one")
    assert auto.split("@")[1] in err and "-f" in err
    assert release.zfs_state() == st
    release.ok("rollback", "-f", "s@one")
    with open(f) as fh:
        assert fh.read() == "one\n"
    assert [l.split("\t")[0] for l in release.ok("snaplist", "-H", "s").splitlines()] == ["one"]
    st = release.zfs_state()
    for bad in ("s@", "s@a/b", "s@a b", "s@$(x)", "s@" + "a" * 300, "s@nosuch", "nosuch@one"):
        release.fail("snapshot" if bad != "s@nosuch" else "snapremove", bad)
    release.fail("rollback", "s@nosuch")
    assert release.zfs_state() == st
    release.ok("snapremove", "s@one")
    assert release.ok("snaplist", "-H", "s") == ""
