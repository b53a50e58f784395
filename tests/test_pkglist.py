"""create pkglist=FILE: validated before anything is made, installed inside with
the release's own package manager, and a jail whose packages fail is removed."""
import os

import pytest

from runhelp import open_path, subids  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


@pytest.mark.parametrize("text,msg", [
    ("vim\nbad;rm -rf /\n", "pkglist line 2: invalid package name"),
    ("$(touch /tmp/PWN)\n", "invalid package name"),
    ("--allow-unauthenticated\n", "invalid package name"),
    ('{"pkgs": ["ok", "no way"]}', "invalid package name 'no way'"),
    ("# only a comment\n\n", "names no package"),
    ("vim\n\0curl\n", "not a text file"),  # a NUL would hide what follows it
])
def test_bad_pkglist_changes_nothing(release, tmp_path, text, msg):
    f = tmp_path / "pkgs"
    f.write_text(text)
    before = release.zfs_state()
    err = release.fail("create", "-c", "release=bb", "tag=p", "pkglist=" + str(f))
    assert msg in err
    assert release.zfs_state() == before
    assert not os.path.exists("/tmp/PWN")


def test_pkglist_needs_a_package_manager(release, tmp_path):
    f = tmp_path / "pkgs"
    f.write_text("hello\n")
    open_path(release.mountpoint)
    release.ok("set", "interfaces=none", "default")
    before = release.zfs_state()
    err = release.fail("create", "-c", "release=bb", "tag=p", "pkglist=" + str(f))
    assert "has no package manager" in err and "removed again" in err
    assert release.zfs_state() == before
    assert release.jails() == {}
    err = release.fail("create", "-e", "tag=p", "pkglist=" + str(f))
    assert "an empty jail has no package manager" in err
