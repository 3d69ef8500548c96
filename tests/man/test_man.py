"""ktag(1) and ktagd(8) stay in step with --help: every long option the
programs print is in their man page, every option the page documents is one
the program has, and short forms pair with the same long ones.

The options are read from `--help` (and from `ktag lexicon update --help`
once that command exists) and from the scdoc sources in man/, where an
option is written in bold: *--name*.  The built pages must exist and be
man(7) documents with the sections a user looks for.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

SOURCES = Path(os.environ.get("KTAG_MAN_SOURCES", Path(__file__).resolve().parents[2] / "man"))
BUILT = os.environ.get("KTAG_MAN_BUILT")

# Options the man pages may document ahead of the programs (a feature
# landing from another branch): each is checked like any other as soon as
# the program prints it; until then its absence from --help is reported,
# not failed.  Empty when every branch is in.
PENDING = {
    "ktag": set(),
    "ktagd": set(),
}

LONG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
PAIR = re.compile(r"(?<![\w-])-([A-Za-z]), --([a-z][a-z0-9-]*)")
MAN_LONG = re.compile(r"\*--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\*")
MAN_PAIR = re.compile(r"\*-([A-Za-z])\*, \*--([a-z][a-z0-9-]*)\*")


def binary(var):
    path = os.environ.get(var)
    if not path:
        pytest.skip("$%s is not set: run through `meson test`" % var)
    return path


def help_text(program):
    exe = binary("KTAG_CLI" if program == "ktag" else "KTAGD")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    if program == "ktag":
        # The lexicon commands may print their own options.
        sub = subprocess.run([exe, "lexicon", "update", "--help"], capture_output=True,
                             text=True, timeout=30)
        if sub.returncode == 0:
            text += sub.stdout
    return text


def man_source(program):
    section = "1" if program == "ktag" else "8"
    return (SOURCES / ("%s.%s.scd" % (program, section))).read_text(encoding="utf-8")


@pytest.mark.parametrize("program", ["ktag", "ktagd"])
def test_every_help_option_is_in_the_man_page(program):
    in_help = set(LONG.findall(help_text(program)))
    in_man = set(MAN_LONG.findall(man_source(program)))
    assert in_help, "no option found in --help: the pattern is wrong"
    missing = sorted(in_help - in_man)
    assert not missing, "%s --help has options its man page lacks: %s" % (program, missing)


@pytest.mark.parametrize("program", ["ktag", "ktagd"])
def test_every_man_page_option_is_in_help(program):
    in_help = set(LONG.findall(help_text(program)))
    in_man = set(MAN_LONG.findall(man_source(program)))
    extra = in_man - in_help
    unknown = sorted(extra - PENDING[program])
    assert not unknown, "the %s man page documents options --help lacks: %s" % (program, unknown)
    waiting = sorted(extra & PENDING[program])
    if waiting:
        print("\n%s: documented, not in this build's --help yet (PENDING): %s"
              % (program, ", ".join("--" + o for o in waiting)))


@pytest.mark.parametrize("program", ["ktag", "ktagd"])
def test_short_options_pair_with_the_same_long_ones(program):
    help_pairs = dict(PAIR.findall(help_text(program)))
    man_pairs = dict(MAN_PAIR.findall(man_source(program)))
    assert help_pairs, "no -x, --long pair found in --help"
    assert help_pairs == man_pairs


@pytest.mark.parametrize("page", ["ktag.1", "ktagd.8"])
def test_the_built_page_is_a_man_page(page):
    if not BUILT:
        pytest.skip("$KTAG_MAN_BUILT is not set: run through `meson test`")
    roff = (Path(BUILT) / page).read_text(encoding="utf-8")
    name, section = page.split(".")
    assert re.search(r'^\.TH "%s" "%s"' % (name, section), roff, re.M), roff[:300]
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO"):
        assert re.search(r'^\.SH %s$' % heading, roff, re.M), heading
    assert re.search(r"^%s \\?- " % name, roff, re.M), "NAME must read 'name - what'"


def test_the_patterns_see_what_they_should():
    """The checks above rely on these patterns; a pattern that matched
    nothing would make them pass vacuously."""
    assert LONG.findall("  -o, --output FILE  see --connect: x-ray --no-events") == \
        ["output", "connect", "no-events"]
    assert PAIR.findall("  -L, --lexicons DIR   -j, --jobs N") == [("L", "lexicons"),
                                                                   ("j", "jobs")]
    assert MAN_LONG.findall("*-L*, *--lexicons* _DIR_ and *--types*") == ["lexicons", "types"]
    assert MAN_PAIR.findall("*-t*, *--threads* _N_") == [("t", "threads")]
