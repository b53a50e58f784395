"""Values that act on the host as root (issue 10, item 4): host hooks are
absolute paths on Linux as on FreeBSD, and a value that reaches the host is
honoured only where nobody but root may write user properties.

The delegation check itself reads `zfs allow`; zfs-fuse has no delegation
(`zfs allow` answers "pyzfs.py not found"), so here it is proved by the parser's
unit test (tests/unit/t_zfs_parse.c, OpenZFS's output) and by this file showing
that a ZFS without delegation starts such jails as before.
"""
import os

import pytest

from runhelp import host_state, jail, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


def test_relative_host_hook_is_refused(rel, tmp_path):
    """A relative hook was looked up in PATH and run as host root."""
    made = tmp_path / "made-by-hook"
    for prop in ("exec_prestart", "exec_poststart"):
        jail(rel, prop[5:], "%s=touch %s" % (prop, made))
        before = host_state(rel)
        r = rel.run("start", prop[5:])
        assert r.rc == 1 and ("invalid value for property '%s': a host command must start "
                              "with an absolute path (e.g. /usr/local/bin/hook)" % prop) in r.err, r
        assert not made.exists()
        assert state(rel, prop[5:]) == "down" and host_state(rel) == before


def test_hooks_run_on_a_zfs_without_delegation(rel, tmp_path):
    """On zfs-fuse nobody can hold a delegation: a local hook runs."""
    made = tmp_path / "made-by-hook"
    hook = tmp_path / "hook"
    hook.write_text("#!/bin/sh\n: > %s\n" % made)  # a hook gets NAME ROOTFS too: ignored
    hook.chmod(0o755)
    jail(rel, "hk", "exec_prestart=%s" % hook)
    rel.ok("start", "hk")
    assert made.exists()
    rel.ok("stop", "hk")
    assert os.path.exists(made)
