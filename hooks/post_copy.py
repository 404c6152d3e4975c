"""Runs once after `copier copy`: make the new project ready for `copier update`.

Copier runs it from the new project's folder. It records the template's absolute path when the
copy named it by a relative one, locks the dependencies in uv.lock (`uv lock`), and makes the
project a git repository with a first commit. It never fails the copy: a missing uv, index, git
or identity only changes what it prints. Set SKIP_UV_LOCK=1 to skip the lock (then run
`uv lock` yourself), SKIP_GIT_INIT=1 to leave git alone.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml  # Copier's own dependency: this script runs on Copier's Python

ANSWERS_FILE = Path(".copier-answers.yml")

# Resolving every dependency from an index takes seconds; a stalled index must not hang the copy.
LOCK_TIMEOUT = 300

# Used only when the user has no git identity of their own, so the first commit can be made.
FALLBACK_IDENTITY = ["-c", "user.name=fastapi-bg-template", "-c", "user.email=template@localhost"]


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def inside_a_repository() -> bool:
    return git("rev-parse", "--is-inside-work-tree").stdout.strip() == "true"


def has_identity() -> bool:
    return bool(git("config", "user.email").stdout.strip())


def find_uv() -> str | None:
    """uv on PATH, or the one installed next to Copier (the `uv` package, as in the README)."""
    if found := shutil.which("uv"):
        return found
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def create_lock() -> str:
    without = (
        "The Dockerfile and the CI workflow install from uv.lock; until it exists, "
        "`pip install -e '.[dev]'` works without it."
    )
    if os.environ.get("SKIP_UV_LOCK") == "1":
        return f"SKIP_UV_LOCK=1: no uv.lock created; run `uv lock`. {without}"
    uv = find_uv()
    if uv is None:
        return f"uv not found: no uv.lock created; install uv, then run `uv lock`. {without}"
    try:
        result = subprocess.run(
            [uv, "lock", "--quiet"],
            capture_output=True,
            text=True,
            timeout=LOCK_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"`uv lock` took over {LOCK_TIMEOUT} s (no index?): run it again later. {without}"
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return f"`uv lock` failed ({reason}): no uv.lock created; run it again later. {without}"
    return "Locked every dependency's exact version in uv.lock (refresh it with `uv lock`)."


def make_first_commit() -> str:
    if os.environ.get("SKIP_GIT_INIT") == "1":
        return "SKIP_GIT_INIT=1: git left alone."
    if shutil.which("git") is None:
        return "git not found: run `git init && git add -A && git commit` before `copier update`."
    if inside_a_repository():
        return "Already inside a git repository: commit the new files before `copier update`."
    git("init", "--quiet")
    git("add", "--all")
    identity = [] if has_identity() else FALLBACK_IDENTITY
    message = "Generate project from fastapi-bg-template"
    # No signing and no hooks of the user's global config: this commit only records the template.
    command = ["-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", message]
    result = git(*identity, *command)
    if result.returncode != 0:
        return f"git commit failed ({result.stderr.strip()}): commit before `copier update`."
    return "Created a git repository with a first commit: `copier update` is ready to use."


def record_absolute_source() -> str | None:
    """`copier copy . ../myapp` records `_src_path: .`, which `copier update` would resolve
    against the project itself. Record the template's absolute path instead.

    A relative path names a folder relative to where copier ran, which the shell's PWD tells;
    the folder must hold this template's copier.yml. URLs, `gh:` shortcuts and absolute paths
    are left as they are.
    """
    if not ANSWERS_FILE.is_file():
        return None
    source = str(yaml.safe_load(ANSWERS_FILE.read_text()).get("_src_path", ""))
    if not source or ":" in source or source.startswith("~") or os.path.isabs(source):
        return None
    started_in = os.environ.get("PWD")
    template = Path(started_in, source).resolve() if started_in else None
    if template is None or not (template / "copier.yml").is_file():
        return (
            f"The template was named by a relative path ({source!r}): before `copier update`, set "
            f"_src_path in {ANSWERS_FILE} to its absolute path (or its git URL)."
        )
    line = yaml.safe_dump({"_src_path": str(template)}, allow_unicode=True, width=1000)
    text = re.sub(r"(?m)^_src_path:.*\n", lambda _: line, ANSWERS_FILE.read_text(), count=1)
    ANSWERS_FILE.write_text(text)
    return f"Recorded the template's absolute path for `copier update`: {template}"


def project_folder() -> str:
    """The new project's folder as the user can `cd` to it from where they ran copier."""
    started_in = os.environ.get("PWD")
    relative = os.path.relpath(Path.cwd(), started_in) if started_in else str(Path.cwd())
    return min(relative, str(Path.cwd()), key=len)


def main(slug: str) -> None:
    if message := record_absolute_source():
        print(message)
    print(create_lock())
    print(make_first_commit())
    print(
        "\nNext steps:\n"
        f"  cd {project_folder()}\n"
        "  python -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]'\n"
        "  pytest\n"
        f"  {slug} serve\n"
    )


if __name__ == "__main__":
    main(sys.argv[1])
