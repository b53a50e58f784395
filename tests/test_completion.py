"""Shell completion (contrib/completion): bash and zsh, driven for real.

bash: the script is sourced in a non-interactive `bash --norc`, `complete -p
iocage` names the function, and the function is called the way readline calls
it (COMP_LINE, COMP_POINT, COMP_WORDS split at COMP_WORDBREAKS, COMP_CWORD);
COMPREPLY is what the user would be offered.

zsh: the function is autoloaded by compinit from an fpath directory and driven
through zsh's own completion system in a pseudo-terminal (zpty), with the
candidates read back from a `compadd` wrapper.

The words offered come from the binary under test against a real root: jails
made by `create`, snapshots made by `snapshot`, the release installed by the
fixture.  Nothing in the scripts is a fixed list, so new commands and
properties must show up without touching them (the tests check a few).
"""
import os
import shlex
import shutil
import subprocess

import pytest

from conftest import REPO, iocage_bin, run_iocage

BASH_SCRIPT = os.path.join(REPO, "contrib", "completion", "iocage.bash")
ZSH_DIR = os.path.join(REPO, "contrib", "completion")

BASH_DRIVER = r'''
set -u
source "$1"
spec=$(complete -p iocage) || exit 3
fn=${spec#*-F }
fn=${fn%% *}
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
# split the way readline does: whitespace, and COMP_WORDBREAKS characters as words
COMP_WORDS=()
w=""
for ((i = 0; i < ${#COMP_LINE}; i++)); do
	c=${COMP_LINE:i:1}
	if [[ $c == [[:space:]] ]]; then
		[[ -n $w ]] && COMP_WORDS+=("$w")
		w=""
	elif [[ $c != '"' && $c != "'" && $COMP_WORDBREAKS == *"$c"* ]]; then
		[[ -n $w ]] && COMP_WORDS+=("$w")
		w=""
		COMP_WORDS+=("$c")
	else
		w+=$c
	fi
done
if [[ -n $w ]]; then COMP_WORDS+=("$w"); elif [[ $COMP_LINE == *[[:space:]] ]]; then COMP_WORDS+=(""); fi
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
"$fn" iocage "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


@pytest.fixture(scope="module")
def bindir(tmp_path_factory):
    """A directory with `iocage` (the binary under test) for PATH."""
    d = tmp_path_factory.mktemp("bin")
    os.symlink(iocage_bin(), str(d / "iocage"))
    return str(d)


def shell_env(bindir, root):
    env = dict(os.environ)
    env["PATH"] = bindir + ":/usr/sbin:/usr/bin:/sbin:/bin"
    env["IOCAGE_ROOT"] = root.name
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    return env


def bash_complete(bindir, root, line):
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "drv", BASH_SCRIPT,
                        line], capture_output=True, text=True, env=shell_env(bindir, root),
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return sorted(x for x in p.stdout.split("\n") if x)


def help_props():
    return sorted(l.split()[0] for l in run_iocage(["help", "properties"]).out.splitlines())


def help_cmds():
    out = run_iocage(["help"]).out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return sorted(l.split()[0] for l in out.splitlines() if l.strip())


class NoRoot:
    """For completions that need no root: nothing is looked up there."""
    name = "no/such/root"


@pytest.fixture
def noroot():
    return NoRoot()


def test_bash_complete_p_registers_function():
    p = subprocess.run(["bash", "--norc", "-c", "source %s; complete -p iocage" %
                        shlex.quote(BASH_SCRIPT)], capture_output=True, text=True)
    assert p.returncode == 0 and "-F _iocage" in p.stdout and p.stdout.strip().endswith("iocage")


def test_bash_commands_from_binary(bindir, noroot):
    root = noroot
    got = bash_complete(bindir, root, "iocage ")
    assert got == help_cmds()
    assert "snaplist" in got and "export" in got
    assert bash_complete(bindir, root, "iocage sn") == ["snaplist", "snapremove", "snapshot"]
    assert bash_complete(bindir, root, "iocage --json l") == ["limits", "list"]
    assert bash_complete(bindir, root, "iocage --") == ["--dry-run", "--help", "--json", "--version"]


def test_bash_options_from_usage(bindir, noroot):
    root = noroot
    assert bash_complete(bindir, root, "iocage list -") == ["--json", "-H", "-l", "-p", "-r",
                                                            "-t"]
    assert bash_complete(bindir, root, "iocage exec -") == ["-U", "-u"]
    assert bash_complete(bindir, root, "iocage create -") == ["-c", "-e", "-t"]
    # commands added later show up by themselves
    assert bash_complete(bindir, root, "iocage record ") == ["start", "stop"]
    assert bash_complete(bindir, root, "iocage up") == ["update", "upgrade"]
    assert bash_complete(bindir, root, "iocage app") == ["apply"]
    assert "properties" in bash_complete(bindir, root, "iocage help p")


# ---- zsh ----

ZSH_DRIVER = r'''
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="> "; unsetopt AUTO_LIST BEEP'
zpty -w z "fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() { builtin compadd "$@"; local a x; builtin compadd -O a "$@"; for x in $a; do print -r -- "<<$x>>"; done >> $IOC_OUT }'
zpty -w z 'echo Z$((2+1))READY'
zpty -r z out '*Z3READY*' || exit 4
zpty -r -t z out
# the line, a Tab; then ^U clears it and a command marks the end (zle handles input in order)
zpty -w -n z "$2"$'\t'
# wait until the completion has produced its matches: zle may cut a completion
# short when typeahead is pending, so ^U goes only after that (10 s at most)
for i in {1..100}; do [[ -s $IOC_OUT ]] && break; sleep 0.1; done
sleep 0.2
zpty -w z $'\025echo Z$((1+1))DONE'
zpty -r z out '*Z2DONE*' || exit 4
zpty -d z
'''


def zsh_complete(bindir, root, line, tmp_path):
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed (scripts/deps.sh installs it)")
    out = tmp_path / "zsh.out"
    out.write_text("")
    env = shell_env(bindir, root)
    env["IOC_OUT"] = str(out)
    p = subprocess.run(["zsh", "-f", "-c", ZSH_DRIVER, "drv", ZSH_DIR, line], capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    got = set()
    for l in out.read_text().splitlines():
        if l.startswith("<<") and l.endswith(">>"):
            got.add(l[2:-2])
    return sorted(got)


def test_zsh_commands_and_options(bindir, noroot, tmp_path):
    root = noroot
    assert zsh_complete(bindir, root, "iocage ", tmp_path) == help_cmds()
    assert zsh_complete(bindir, root, "iocage sn", tmp_path) == ["snaplist", "snapremove",
                                                                 "snapshot"]
    assert zsh_complete(bindir, root, "iocage list -", tmp_path) == ["--json", "-H", "-l", "-p",
                                                                     "-r", "-t"]
