"""`copier update` that users can trust: real git, real tags, real `copier update`.

Each scenario builds its own throw-away template repository from the current working
tree (tagged v1.0.0), generates a project from a tag, commits and edits it like a user,
and updates it. Git runs with no user identity for copier and its tasks.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import copier
import pytest
from conftest import (
    ROOT,
    SMOKE_TESTS,
    Answers,
    clean_env,
    commit_and_tag,
    copier_cli,
    copy_working_tree,
    git,
    read_answers,
    render,
    run,
    shared_environment,
    template_repo,
    tool,
)
from packaging.version import InvalidVersion, Version

pytestmark = pytest.mark.usefixtures("no_git_identity")

PACKAGE = "my_service"
CONFLICT = "<<<<<<< before updating"
# Few features: these scenarios are about merging, not about any one feature.
SMALL = {"async_clients": False, "background_jobs": ["files"], "use_docker": False, "ci": "none"}


def update(project: Path, **options: Any) -> None:
    """`copier update --trust --defaults --overwrite`, as a user runs it."""
    copier.run_update(project, defaults=True, overwrite=True, unsafe=True, quiet=True, **options)


def test_update_refuses_to_drop_celery_with_its_reports_job_and_changes_nothing(
    tmp_path: Path,
) -> None:
    template = template_repo(tmp_path / "template")
    answers = {"task_queue": "celery", "use_docker": False, "ci": "none"}
    project = render(tmp_path / "project", answers, template=template, vcs_ref="v1.0.0")
    before = files_of(project)
    recorded = (project / ".copier-answers.yml").read_text()

    result = copier_cli(
        "update", "--trust", "--defaults", "-d", "background_jobs=[email, files]", cwd=project
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        "task_queue: celery runs the reports job; add 'reports' to background_jobs or choose none"
        in result.stderr.splitlines()
    )
    assert git(project, "status", "--porcelain") == ""
    assert (project / ".copier-answers.yml").read_text() == recorded
    assert files_of(project) == before


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    path.write_text(text.replace(old, new))


def files_of(project: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


def conflicts(project: Path) -> tuple[list[str], list[str], list[str]]:
    """Unmerged paths per `git status`, files with conflict markers, and `.rej` files."""
    status = git(project, "status", "--porcelain").splitlines()
    unmerged = [line[3:] for line in status if line[:2] in {"UU", "AA", "DU", "UD", "AU", "UA"}]
    files = files_of(project)
    marked = [name for name, content in files.items() if CONFLICT.encode() in content]
    rejected = [name for name in files if name.endswith(".rej")]
    return unmerged, marked, rejected


def unordered(value: Any) -> Any:
    """Multiselect answers are recorded in the order of their choices."""
    return sorted(value) if isinstance(value, list) else value


def run_project_tests(project: Path, *tests: str) -> None:
    """The updated project's smoke tests and these quick ones: the matrix runs every feature's
    tests in its combinations (tests/test_generated_projects.py)."""
    env = shared_environment(read_answers(project)["python_version"])
    result = run(
        [tool(env, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
         *SMOKE_TESTS, *tests],
        project,
        clean_env(),
    )  # fmt: skip
    assert " passed" in result.stdout


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", message)


# --- the post-copy task: the new project is ready for `copier update` -----------------------


def test_copy_leaves_a_committed_repository_without_a_git_identity(tmp_path: Path) -> None:
    project = render(tmp_path / "p", SMALL)

    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "--format=%s").strip() == "Generate project from fastapi-bg-template"
    assert "fastapi-bg-template" in git(project, "log", "--format=%an")


def test_copy_into_an_existing_repository_leaves_its_git_alone(tmp_path: Path) -> None:
    git(tmp_path, "init", "--quiet")

    project = render(tmp_path / "services" / "p", SMALL)

    assert not (project / ".git").exists()
    assert git(tmp_path, "rev-list", "--all") == "", "nothing committed in the user's repository"
    assert "?? services/" in git(tmp_path, "status", "--porcelain")


def test_skip_git_init_leaves_the_project_without_git(tmp_path: Path) -> None:
    result = run(
        [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
         *data_args(SMALL), str(ROOT), str(tmp_path / "p")],
        tmp_path,
        {"SKIP_GIT_INIT": "1"},
    )  # fmt: skip

    assert not (tmp_path / "p" / ".git").exists()
    assert "SKIP_GIT_INIT=1" in result.stdout
    assert "Next steps" in result.stdout


def data_args(answers: dict[str, Any]) -> list[str]:
    pairs = [
        (key, value if isinstance(value, str) else json.dumps(value))
        for key, value in answers.items()
    ]
    return [arg for key, value in pairs for arg in ("-d", f"{key}={value}")]


# --- a template release with changes meets a project with user edits ------------------------

USER_ENDPOINT = '''"""Our own endpoint, added after generation."""

from fastapi import APIRouter

from .feature import Feature

router = APIRouter(tags=["greetings"])


@router.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


feature = Feature(name="greetings", router=router)
'''


def release_v2(template: Path) -> None:
    """Template v2.0.0 changes several files the way a real release would."""
    source = template / "template" / "src" / "{{ package_name }}"
    edit(source / "logs.py", '"""One log format', '"""The one log format')
    edit(
        source / "health.py", 'return {"status": "ok"}', 'return {"status": "ok", "service": "up"}'
    )
    with (template / "template" / "README.md.jinja").open("a") as readme:
        readme.write("\n## Updating\n\n```\ncopier update --trust\n```\n")
    (template / "template" / "docs" / "releases.md").write_text("# Releases\n\nv2.0.0: new.\n")
    commit_and_tag(template, "v2.0.0")


def test_update_merges_a_release_into_a_project_with_user_edits(tmp_path: Path) -> None:
    template = template_repo(tmp_path / "template")
    project = render(tmp_path / "project", SMALL, template=template, vcs_ref="v1.0.0")
    package = project / "src" / PACKAGE
    # The user's edits: a new endpoint module wired in, a line the template will change too,
    # a file they did not want.
    (package / "greetings.py").write_text(USER_ENDPOINT)
    edit(package / "features.py", "from . import", "from . import greetings,")
    edit(
        package / "features.py",
        "    jobs.feature,\n",
        "    jobs.feature,\n    greetings.feature,\n",
    )
    edit(package / "health.py", 'return {"status": "ok"}', 'return {"status": "alive"}')
    (project / "tests" / "test_cli.py").unlink()
    commit_all(project, "our edits")
    release_v2(template)

    update(project, vcs_ref="v2.0.0")

    assert read_answers(project)["_commit"] == "v2.0.0"
    # Files the user did not touch take the template's change.
    assert (package / "logs.py").read_text().startswith('"""The one log format')
    assert "\n## Updating\n" in (project / "README.md").read_text()  # the release's section
    assert (project / "docs" / "releases.md").is_file()
    # The user's own work survives.
    assert (package / "greetings.py").read_text() == USER_ENDPOINT
    assert "greetings.feature," in (package / "features.py").read_text()
    assert not (project / "tests" / "test_cli.py").exists()
    # The one overlapping edit is a conflict, shown both ways; nothing else conflicts.
    health = (package / "health.py").read_text()
    assert re.search(
        r'<<<<<<< before updating\n.*"alive".*\n'
        r'=======\n.*"service": "up".*\n>>>>>>> after updating',
        health,
    ), health
    assert conflicts(project) == ([f"src/{PACKAGE}/health.py"], [f"src/{PACKAGE}/health.py"], [])


def test_update_with_conflict_rej_keeps_the_users_hunk_in_a_reject_file(tmp_path: Path) -> None:
    template = template_repo(tmp_path / "template")
    project = render(tmp_path / "project", SMALL, template=template, vcs_ref="v1.0.0")
    edit(
        project / "src" / PACKAGE / "health.py",
        'return {"status": "ok"}',
        'return {"status": "alive"}',
    )
    commit_all(project, "our edit")
    release_v2(template)

    update(project, vcs_ref="v2.0.0", conflict="rej")

    _, marked, rejected = conflicts(project)
    assert (marked, rejected) == ([], [f"src/{PACKAGE}/health.py.rej"])
    # The file takes the template's side; the user's hunk waits in the .rej file.
    assert '"service": "up"' in (project / "src" / PACKAGE / "health.py").read_text()
    assert '+    return {"status": "alive"}' in (project / rejected[0]).read_text()


def test_update_of_a_project_without_edits_has_no_conflicts(tmp_path: Path) -> None:
    template = template_repo(tmp_path / "template")
    project = render(tmp_path / "project", SMALL, template=template, vcs_ref="v1.0.0")
    release_v2(template)

    update(project, vcs_ref="v2.0.0")

    assert conflicts(project) == ([], [], [])
    fresh = render(tmp_path / "fresh", SMALL, template=template, vcs_ref="v2.0.0")
    assert files_of(project) == files_of(fresh)


# --- answers changed through update: exactly that feature's files appear or go --------------

BASE = {"async_clients": False, "use_docker": False, "ci": "none", "task_queue": "none"}
SWITCHES = {
    # name: (answers before, the change a user passes with -d)
    "celery": (
        {**BASE, "background_jobs": ["reports"]},
        {"task_queue": "celery"},
    ),
    "email": (
        {**BASE, "background_jobs": ["files"]},
        {"background_jobs": ["files", "email"]},
    ),
    "docker": (
        {**BASE, "background_jobs": ["files"]},
        {"use_docker": True},
    ),
}
# What each feature must bring besides its files: (file, text) — its settings, its wiring.
MARKERS = {
    "celery": [(".env.example", "BROKER_URL="), (f"src/{PACKAGE}/worker/factory.py", "Celery(")],
    "email": [
        (".env.example", "SMTP_HOST="),
        (f"src/{PACKAGE}/features.py", "email.EmailSettings"),
    ],
    "docker": [("Dockerfile", "HEALTHCHECK"), ("compose.yaml", "services:")],
}
# The generated tests of each feature, run in the updated project.
FEATURE_TESTS = {"celery": ["tests/test_celery.py"], "email": ["tests/test_email.py"], "docker": []}


def has_marker(project: Path, path: str, text: str) -> bool:
    return (project / path).is_file() and text in (project / path).read_text()


def switch(
    tmp_path: Path, before: dict[str, Any], change: dict[str, Any]
) -> tuple[Path, Path, dict[str, str]]:
    """Generate with `before`, update with `change`; also render `before | change` afresh."""
    template = template_repo(tmp_path / "template")
    project = render(tmp_path / "project", before, template=template, vcs_ref="v1.0.0")
    files_before = files_of(project)

    update(project, data=change, vcs_ref=copier.VcsRef.CURRENT)  # `--vcs-ref=:current:`

    fresh = render(tmp_path / "fresh", {**before, **change}, template=template, vcs_ref="v1.0.0")
    return project, fresh, files_before


@pytest.mark.slow
@pytest.mark.parametrize("feature", SWITCHES)
def test_turning_a_feature_on_adds_exactly_its_files_and_the_tests_pass(
    tmp_path: Path, feature: str
) -> None:
    before, change = SWITCHES[feature]

    project, fresh, files_before = switch(tmp_path, before, change)

    assert conflicts(project) == ([], [], [])
    assert files_of(project) == files_of(fresh), "update must give what a new copy gives"
    added = set(files_of(project)) - set(files_before)
    assert added, "the feature brings files of its own"
    for path, text in MARKERS[feature]:
        assert has_marker(project, path, text), (path, text)
    answers = read_answers(project)
    assert {key: unordered(answers[key]) for key in change} == {
        key: unordered(value) for key, value in change.items()
    }
    run_project_tests(project, *FEATURE_TESTS[feature])


@pytest.mark.parametrize("feature", SWITCHES)
def test_turning_a_feature_off_removes_its_files_cleanly(tmp_path: Path, feature: str) -> None:
    on, off = SWITCHES[feature][0] | SWITCHES[feature][1], SWITCHES[feature][0]
    off = {key: off.get(key, value) for key, value in on.items()}

    project, fresh, files_before = switch(tmp_path, on, off)

    assert conflicts(project) == ([], [], [])
    assert files_of(project) == files_of(fresh), "update must give what a new copy gives"
    removed = set(files_before) - set(files_of(project))
    assert removed, "the feature's files are gone"
    for path, text in MARKERS[feature]:
        assert text.encode() in files_before.get(path, b"")
        assert not has_marker(project, path, text), (path, text)
    status = git(project, "status", "--porcelain").splitlines()
    assert {line[3:] for line in status if line.startswith(" D")} == removed


# --- the previous release of this very repository, updated to the current tree -------------


# Release tags stay on the machine that made them; the repository's main branch records each
# release's commit here instead, so that this test can tag it in its own clone.
RELEASE_COMMITS = {"v0.1.0": "5318356b467f1129bda5e333624b4b684b579553"}


def tag_known_releases(repo: Path) -> None:
    present = set(git(repo, "tag").split())
    for tag, commit in RELEASE_COMMITS.items():
        if tag not in present:
            git(repo, "tag", tag, commit)


def release_tags(repo: Path) -> list[tuple[Version, str]]:
    """PEP 440 tags reachable from HEAD but not on it, newest first."""
    at_head = set(git(repo, "tag", "--points-at", "HEAD").split())
    found = []
    for tag in git(repo, "tag", "--merged", "HEAD").split():
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if tag not in at_head and not version.is_prerelease:
            found.append((version, tag))
    return sorted(found, reverse=True)


def declared_version() -> Version:
    match = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert match, "pyproject.toml declares the template's version"
    return Version(match.group(1))


def template_with_the_current_tree(tmp_path: Path) -> tuple[Path, str]:
    """A clone of this repository with its releases tagged and the working tree committed on
    top as the next release; returns the clone and that release's tag."""
    clone = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", "--no-local", str(ROOT), str(clone))
    tag_known_releases(clone)
    releases = release_tags(clone)
    assert releases, "RELEASE_COMMITS names at least one release older than HEAD"
    previous, previous_tag = releases[0]
    # The current tree becomes the next release: the version pyproject.toml declares, or while
    # it has not been bumped, a post-release numbered as `git describe` counts commits since.
    version = declared_version()
    since = int(git(clone, "rev-list", "--count", f"{previous_tag}..HEAD")) + 1
    current_tag = f"v{version if version > previous else f'{previous.base_version}.post{since}'}"
    for path in clone.iterdir():
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    copy_working_tree(clone)
    commit_and_tag(clone, current_tag)
    return clone, current_tag


def generate_and_commit(destination: Path, answers: Answers, template: Path, ref: str) -> Path:
    project = render(destination, answers, template=template, vcs_ref=ref)
    git(project, "add", "--all")
    if git(project, "status", "--porcelain"):  # an older post-copy task might not commit
        git(project, "commit", "--quiet", "-m", "generated")
    return project


@pytest.mark.slow
def test_update_from_the_previous_release_to_the_current_tree(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout of the template: no releases to update from")
    clone, current_tag = template_with_the_current_tree(tmp_path)
    _, previous_tag = release_tags(clone)[0]
    project = generate_and_commit(tmp_path / "project", {}, clone, previous_tag)

    update(project, vcs_ref=current_tag)

    assert read_answers(project)["_commit"] == current_tag
    assert conflicts(project) == ([], [], [])
    answers = {
        key: value for key, value in read_answers(project).items() if not key.startswith("_")
    }
    fresh = render(tmp_path / "fresh", answers, template=clone, vcs_ref=current_tag)
    assert files_of(project) == files_of(fresh), "an updated project equals a new one"
    run_project_tests(project)


# --- a project with its own code moves to the layout of the current tree ---------------------

# Where projects were generated from before `jobs/` got its layers and its public face, and the
# files of the users' own edits that the template changed too much since to merge them.
BEFORE_THE_LAYOUT = {
    "v0.1.0": ("v0.1.0", {"README.md", f"src/{PACKAGE}/features.py"}),
    "main-before-layers": ("bd416618ccf53a27ccd9eb3499ceb992ec8b9a03", set()),
}
USER_TEST = """from fastapi.testclient import TestClient


def test_our_greeting(client: TestClient) -> None:
    assert client.get("/hello").json() == {"hello": "world"}
"""
USER_NOTES = "\n## Our notes\n\nOn call: the platform team.\n"
USER_IMPORT = "from .greetings import feature as greetings_feature\n"
USER_FEATURE = "    greetings_feature,\n"


def wire_in_the_greetings(project: Path) -> None:
    """Each line only where it is missing: resolving a conflict, a user redoes what was lost."""
    features = project / "src" / PACKAGE / "features.py"
    if USER_IMPORT not in features.read_text():
        edit(features, "from .settings import", f"{USER_IMPORT}from .settings import")
    text = features.read_text()
    if USER_FEATURE not in text:
        end = text.rindex(")")  # the end of the feature list
        features.write_text(f"{text[:end]}{USER_FEATURE}{text[end:]}")


def add_our_notes(project: Path) -> None:
    if USER_NOTES not in (project / "README.md").read_text():
        with (project / "README.md").open("a") as readme:
            readme.write(USER_NOTES)


USERS_EDITS = {f"src/{PACKAGE}/features.py": wire_in_the_greetings, "README.md": add_our_notes}


def add_the_users_own_work(project: Path) -> None:
    """What a team adds to a generated project: an endpoint module wired into the feature list,
    its test, a section of the README."""
    (project / "src" / PACKAGE / "greetings.py").write_text(USER_ENDPOINT)
    (project / "tests" / "test_greetings.py").write_text(USER_TEST)
    for make_edit in USERS_EDITS.values():
        make_edit(project)
    commit_all(project, "our own work")


def redo_our_edit_on_the_template_side(project: Path, name: str) -> None:
    """Resolve a conflict as a user would: take the template's new version, make the edit again."""
    kept, side = [], "both"
    for line in (project / name).read_text().splitlines(keepends=True):
        if line.startswith(("<<<<<<< ", "=======", ">>>>>>> ")):
            side = {"<": "ours", "=": "template", ">": "both"}[line[0]]
        elif side != "ours":
            kept.append(line)
    (project / name).write_text("".join(kept))
    USERS_EDITS[name](project)


@pytest.mark.slow
@pytest.mark.parametrize("start", BEFORE_THE_LAYOUT)
def test_update_moves_a_project_with_its_own_code_to_the_current_layout(
    tmp_path: Path, start: str
) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout of the template: no history to update from")
    clone, current_tag = template_with_the_current_tree(tmp_path)
    commit, conflicted = BEFORE_THE_LAYOUT[start]
    git(clone, "tag", "v0.1.0.post1.dev1", commit)  # a PEP 440 tag, as copier wants
    project = generate_and_commit(tmp_path / "project", SMALL, clone, "v0.1.0.post1.dev1")
    add_the_users_own_work(project)

    update(project, vcs_ref=current_tag)

    # Nothing of theirs is lost: an edit the template's changes overlap is shown as a conflict
    # with both sides, every other edit merges.
    unmerged, marked, rejected = conflicts(project)
    assert (set(unmerged), set(marked), rejected) == (conflicted, conflicted, [])
    for name in conflicted:
        redo_our_edit_on_the_template_side(project, name)
    fresh = files_of(render(tmp_path / "fresh", SMALL, template=clone, vcs_ref=current_tag))
    updated = files_of(project)
    ours = {f"src/{PACKAGE}/greetings.py", "tests/test_greetings.py"}
    edited = {f"src/{PACKAGE}/features.py", "README.md", ".copier-answers.yml"}
    # The template's files are the current layout's, no more (the old modules are gone), no less.
    assert set(updated) - ours == set(fresh)
    assert {name for name in fresh if updated[name] != fresh[name]} <= edited
    # The team's own work is all there, and runs.
    assert updated[f"src/{PACKAGE}/greetings.py"].decode() == USER_ENDPOINT
    assert updated["tests/test_greetings.py"].decode() == USER_TEST
    features = updated[f"src/{PACKAGE}/features.py"].decode()
    assert USER_IMPORT in features and USER_FEATURE in features
    assert USER_NOTES.strip() in updated["README.md"].decode()
    env = shared_environment(read_answers(project)["python_version"])
    for check in (["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy", "."]):
        run([tool(env, check[0]), *check[1:]], project, clean_env())
    tests = ["tests/test_greetings.py", *SMOKE_TESTS]
    result = run(
        [tool(env, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        project,
        clean_env(),
    )
    assert re.search(r"\b\d+ passed", result.stdout) and "failed" not in result.stdout
