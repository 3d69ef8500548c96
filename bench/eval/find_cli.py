"""Shared by the evaluation scripts: where the ktag CLI to evaluate is."""
import glob
import os
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_ktag(explicit, die):
    """The CLI given with --ktag, else $KTAG, else a build*/ directory of this
    checkout (or beside it), else `ktag` on PATH.  Calls die(message), which
    must not return, when there is none."""
    cands = [explicit] if explicit else []
    if os.environ.get("KTAG"):
        cands.append(os.environ["KTAG"])
    for root in (REPO, os.path.dirname(REPO)):
        cands += sorted(glob.glob(os.path.join(root, "build*", "clients", "cli", "ktag")))
    found = shutil.which("ktag")
    if found:
        cands.append(found)
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    if explicit:
        die("--ktag %s is not an executable" % explicit)
    die("no ktag CLI found: build the project (meson setup build && ninja -C build) or pass --ktag PATH")
