"""A jail's root owns its files (issue 10, item 6): the host reads /etc/passwd
inside a jail at start, stop, exec -U and console.  Made a FIFO, a socket, a
directory or a 2 GiB sparse file by the jail's root, it must neither hang nor
exhaust a host command: each returns promptly, with a clear error or by
going on without it (root is uid 0 without a passwd entry), and the jail can
still be stopped.  Before, a FIFO hung `stop` (and rcshutdown, rcboot) for
ever, holding the jail's lock."""
import os
import shutil
import stat

import pytest

from runhelp import jail, rootfs, state, subids, rel  # noqa: F401

pytestmark = pytest.mark.usefixtures("subids")


def plant(path, kind):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
    if kind == "fifo":
        os.mkfifo(path, 0o644)
    elif kind == "socket":
        os.mknod(path, stat.S_IFSOCK | 0o644)
    elif kind == "directory":
        os.mkdir(path, 0o755)
    else:
        with open(path, "wb") as f:
            f.truncate(2 << 30)
    os.lchown(path, 100000, 100000)


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory", "sparse"])
def test_hostile_passwd_neither_hangs_nor_blocks_stop(rel, kind):
    r = rel
    u = jail(r, "pw")
    r.ok("start", "pw")
    passwd = os.path.join(rootfs(r, u), "etc", "passwd")
    plant(passwd, kind)
    # exec as a named jail user needs the file: a clear error, at once
    res = r.run("exec", "-U", "nobody", "pw", "id", timeout=60)
    assert res.rc == 1 and "/etc/passwd in the jail" in res.err, res
    # root needs no entry (the command must not read the file itself: inside the
    # jail a FIFO blocks whoever reads it, the jail's own business)
    res = r.run("exec", "-U", "root", "pw", "echo", "ok", timeout=60)
    assert res.rc == 0 and res.out == "ok\n", res
    res = r.run("stop", "pw", timeout=120)
    assert res.rc == 0, res
    assert state(r, "pw") == "down"
    # and the jail starts again with it (exec_start runs as root)
    res = r.run("start", "pw", timeout=120)
    assert res.rc == 0, res
    res = r.run("stop", "pw", timeout=120)
    assert res.rc == 0 and state(r, "pw") == "down", res
