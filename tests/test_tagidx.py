"""The tag index (R/.tags, src/core/tagidx.h, docs/tag-index.md): create
checks a tag's uniqueness without reading every jail, every command that
writes a tag keeps the index, and a tag written behind iocage's back is
caught by the next full read.  Every test with a root also ends with the
index checked against the jails (inventory.tag_index_problems)."""
import os

from conftest import PREFIX, sh
from inventory import tag_index, tagidx_prop


def trace(root, tmp_path, *args):
    """The external commands (argv strings) a successful run makes."""
    tf = tmp_path / ("trace%d" % len(os.listdir(tmp_path)))
    r = root.run(*args, env={"IOC_FAULT_TRACE": str(tf)})
    assert r.rc == 0, r
    return [l.split(" ", 1)[1] for l in tf.read_text().splitlines()]


def entry(root, tag):
    return tag_index(root.name)[1].get(tagidx_prop(tag))


def test_create_reads_no_jail_and_is_flat_in_their_number(release, tmp_path):
    r = release
    jails = r.name + "/jails"
    first = trace(r, tmp_path, "create", "-c", "release=bb", "tag=a")
    r.ok("create", "-c", "release=bb", "tag=many", "count=12")
    later = trace(r, tmp_path, "create", "-c", "release=bb", "tag=b")
    # the same commands at 1 and at 14 jails: one read (the index, the root
    # check, the release snapshot), the entry, zfs create, zfs clone
    assert len(first) == len(later) == 4, (first, later)
    for cmd in later:
        # no command reads the jails: none names R/jails itself
        assert (" %s " % jails) not in (" %s " % cmd), cmd
    uuid = r.jails()["b"]
    assert entry(r, "b") == uuid and entry(r, "many_12") == r.jails()["many_12"]
    assert tag_index(r.name)[0]


def test_a_taken_tag_is_refused_through_the_index(release):
    r = release
    r.ok("create", "-e", "tag=web")
    st = r.zfs_state()
    idx = tag_index(r.name)
    assert "already used" in r.fail("create", "-e", "tag=web")
    assert "already used" in r.fail("create", "-c", "release=bb", "tag=web")
    assert "already used" in r.fail("create", "-e", "tag=web", "count=1")
    # nothing changed, the index neither
    assert r.zfs_state() == st and tag_index(r.name) == idx


def test_entries_follow_set_tag_clone_and_destroy(release):
    r = release
    a = r.ok("create", "-c", "release=bb", "tag=a").split()[0]
    r.ok("set", "tag=Renamed", "a")
    assert entry(r, "a") is None and entry(r, "Renamed") == a
    assert "already used" in r.fail("create", "-e", "tag=Renamed")
    r.ok("create", "-e", "tag=a")                  # the old name is free again
    c = r.ok("clone", "Renamed", "tag=copy").split()[0]
    assert entry(r, "copy") == c
    r.ok("destroy", "-f", "copy")
    assert entry(r, "copy") is None
    r.ok("create", "-e", "tag=copy")


def test_capitals_are_distinct_tags_and_long_ones_stay_out(release):
    r = release
    up = r.ok("create", "-e", "tag=WebServer").split()[0]
    low = r.ok("create", "-e", "tag=webserver").split()[0]
    assert entry(r, "WebServer") == up and entry(r, "webserver") == low
    assert tagidx_prop("WebServer") == "org.freebsd.iocage:t.:web:server"
    # 128 capitals: a property name too long for ZFS, never indexed; create reads
    # every jail for it and still finds it taken
    big = "Q" * 128
    assert tagidx_prop(big) is None
    r.ok("create", "-e", "tag=" + big)
    assert "already used" in r.fail("create", "-e", "tag=" + big)
    assert big in r.jails()


def test_a_stale_entry_holds_nothing(release):
    r = release
    a = r.ok("create", "-e", "tag=a").split()[0]
    idx = r.name + "/.tags"
    # an entry whose jail holds another tag, and one whose jail is gone
    sh("zfs", "set", tagidx_prop("ghost") + "=" + a, idx)
    sh("zfs", "set", tagidx_prop("gone") + "=0f6a2c1e-6b1d-4a4e-9c3e-2b7d5f9a8c10", idx)
    g = r.ok("create", "-e", "tag=ghost").split()[0]
    n = r.ok("create", "-e", "tag=gone").split()[0]
    assert entry(r, "ghost") == g and entry(r, "gone") == n


def test_a_root_without_index_gets_one_at_its_first_create(release):
    r = release
    a = r.ok("create", "-e", "tag=a").split()[0]
    b = r.ok("create", "-e", "tag=b").split()[0]
    # a root from before the index (or the shell iocage's): no R/.tags
    sh("zfs", "destroy", r.name + "/.tags")
    assert "already used" in r.fail("create", "-e", "tag=a")   # read every jail
    assert tag_index(r.name) == (False, {})                    # a refusal writes nothing
    c = r.ok("create", "-e", "tag=c").split()[0]
    marked, entries = tag_index(r.name)
    assert marked and entries == {tagidx_prop("a"): a, tagidx_prop("b"): b,
                                  tagidx_prop("c"): c}
    # the index is never mounted and never a jail
    st = r.zfs_state()
    assert sh("zfs", "get", "-H", "-o", "value", "canmount,mounted",
              r.name + "/.tags").split() == ["off", "no"]
    assert sorted(r.jails()) == ["a", "b", "c"] and r.name + "/.tags" not in st


def test_a_tag_written_behind_our_back_is_caught_by_list(release):
    r = release
    a = r.ok("create", "-e", "tag=a").split()[0]
    b = r.ok("create", "-e", "tag=b").split()[0]
    # zfs set behind iocage's back: b takes a's tag
    sh("zfs", "set", PREFIX + "tag=a", r.name + "/jails/" + b)
    # the entry names a, which still holds it: refused
    assert "already used" in r.fail("create", "-e", "tag=a")
    res = r.run("list", "-H")
    assert res.rc == 0 and "tag 'a' is held by 2 jails" in res.err, res
    assert a in res.err and b in res.err
    # list removed the mark: the next create reads every jail and completes it
    assert tag_index(r.name)[0] is False
    assert "already used" in r.fail("create", "-e", "tag=a")
    r.ok("create", "-e", "tag=c")
    assert tag_index(r.name)[0] is True
    # renaming one of the two repairs it: a keeps its entry, whichever the index named
    r.ok("set", "tag=b", b)
    assert entry(r, "a") == a and entry(r, "b") == b
    assert "held by" not in r.run("list").err


def test_a_failed_create_takes_its_entry_back(release, tmp_path):
    r = release
    cmds = trace(r, tmp_path, "create", "-c", "release=bb", "tag=probe")
    r.ok("destroy", "-f", "probe")
    clone = [i for i, c in enumerate(cmds) if c.startswith("zfs clone")][0] + 1
    before = tag_index(r.name)
    res = r.run("create", "-c", "release=bb", "tag=doomed", env={"IOC_FAULT_FAIL": "%d:1" % clone})
    assert res.rc == 1, res
    assert "doomed" not in r.jails() and tag_index(r.name) == before


def test_a_name_is_found_through_the_index(release, tmp_path):
    r = release
    r.ok("create", "-e", "tag=many", "count=12")
    w = r.ok("create", "-e", "tag=web").split()[0]
    jails = r.name + "/jails"
    cmds = trace(r, tmp_path, "get", "uuid", "web")
    # the entry (with the root check), then that jail alone: never every jail's tag
    assert len(cmds) == 2 and all((" %s " % jails) not in (" %s " % c) for c in cmds), cmds
    assert r.ok("get", "uuid", "web") == w + "\n"
    # a tag changed behind our back: the stale entry is not believed, every jail is read
    sh("zfs", "set", PREFIX + "tag=www", jails + "/" + w)
    assert "no jail named 'web'" in r.fail("get", "uuid", "web")
    assert r.ok("get", "uuid", "www") == w + "\n"
    r.ok("set", "tag=web", w)
    assert entry(r, "web") == w and entry(r, "www") is None
    # a name that may be a UUID prefix is matched against every UUID, as before
    assert r.ok("get", "tag", w[:8]) == "web\n"


def test_import_checks_its_tag_through_the_index(release, tmp_path):
    """import finds whether its tag is free through the index, as create does:
    never a read of every jail's tag while the index is complete; a taken tag
    (its entry's jail holds it) is refused, nothing changed; a stale entry
    holds nothing; and without the mark every jail is read, as before."""
    r = release
    jails = r.name + "/jails"
    r.ok("create", "-c", "release=bb", "tag=src")
    r.ok("create", "-e", "tag=many", "count=5")
    img = str(tmp_path / "src.ioc")
    r.ok("export", "src", img)
    cmds = trace(r, tmp_path, "import", img, "tag=copy")
    assert entry(r, "copy") == r.jails()["copy"]
    for cmd in cmds:
        assert (" %s " % jails) not in (" %s " % cmd), cmds
    # taken: refused, nothing changed (the index neither)
    st, idx = r.zfs_state(), tag_index(r.name)
    err = r.fail("import", img, "tag=many_3")
    assert "tag 'many_3' is already used by another jail" in err, err
    assert r.zfs_state() == st and tag_index(r.name) == idx
    # a stale entry (its jail holds another tag now) holds nothing
    sh("zfs", "set", tagidx_prop("stale") + "=" + r.jails()["many_1"], r.name + "/.tags")
    r.ok("import", img, "tag=stale")
    assert entry(r, "stale") == r.jails()["stale"] != r.jails()["many_1"]
    # no mark: every jail's tag is read, and a taken tag still refused
    sh("zfs", "inherit", "org.freebsd.iocage:tagindex", r.name + "/.tags")
    cmds = trace(r, tmp_path, "import", img, "tag=again")
    assert [c for c in cmds if (" %s " % jails) in (" %s " % c)], cmds
    err = r.fail("import", img, "tag=many_2")
    assert "already used" in err, err
