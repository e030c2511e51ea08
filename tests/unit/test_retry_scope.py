"""A retry names exactly the failed paths, in a way DataSync accepts for the task it retries."""

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.failures import CATEGORIES
from datasync_scheduler.domain.retry_scope import FailedPath, choose_scope, failed_paths, manifest_lines
from datasync_scheduler.domain.sync_request import SyncRequest

TASK_ARN = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
PLAIN_TASK = TaskFacts(TASK_ARN)
MANIFESTS = Path(__file__).parents[1] / "fixtures" / "aws" / "manifests"
FILES = [FailedPath("/a.txt"), FailedPath("/b.txt")]


def request(**fields: object) -> SyncRequest:
    return SyncRequest.model_validate({"taskArn": TASK_ARN, **fields})


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "path": st.text(min_size=1).map(lambda text: "/" + text),
                "category": st.sampled_from(CATEGORIES),
                "directory": st.booleans(),
            }
        ),
        max_size=30,
    ),
    st.sets(st.sampled_from(CATEGORIES)),
)
def test_a_retrys_scope_is_a_subset_of_the_failures_it_retries(
    failures: list[dict[str, object]], categories: set[str]
) -> None:
    paths = [item.path for item in failed_paths(failures, categories)]
    assert len(paths) == len(set(paths))
    assert set(paths) == {f["path"] for f in failures if f["category"] in categories}


def test_a_plain_task_retries_its_failed_files_by_manifest() -> None:
    assert choose_scope(FILES, request(), PLAIN_TASK).kind == "manifest"
    assert choose_scope([], request(), PLAIN_TASK).kind == "all"


def test_a_task_with_its_own_exclude_filter_retries_by_includes_and_keeps_its_excludes() -> None:
    task = TaskFacts(TASK_ARN, excludes="*.tmp|*.part")
    scope = choose_scope(FILES, request(), task)
    assert (scope.kind, scope.includes, scope.excludes) == ("includes", "/a.txt|/b.txt", "*.tmp|*.part")
    assert "refuses a manifest on a run with filters" in scope.reason


def test_the_requests_exclude_filter_is_the_one_the_retry_keeps() -> None:
    task = TaskFacts(TASK_ARN, excludes="*.tmp")
    scope = choose_scope(FILES, request(excludes="*.bak"), task)
    assert (scope.kind, scope.excludes) == ("includes", "*.bak")


@pytest.mark.parametrize(
    "task, fields",
    [
        (TaskFacts(TASK_ARN, includes="/projects"), {}),
        (PLAIN_TASK, {"includes": "/projects"}),
        (TaskFacts(TASK_ARN, preserve_deleted_files="REMOVE"), {}),
        (PLAIN_TASK, {"overrides": {"PreserveDeletedFiles": "REMOVE"}}),
    ],
)
def test_no_manifest_where_datasync_refuses_one(task: TaskFacts, fields: dict[str, object]) -> None:
    assert choose_scope(FILES, request(**fields), task).kind == "includes"


def test_an_override_that_keeps_deleted_files_allows_a_manifest_on_a_task_that_removes_them() -> None:
    task = TaskFacts(TASK_ARN, preserve_deleted_files="REMOVE")
    assert choose_scope(FILES, request(overrides={"PreserveDeletedFiles": "PRESERVE"}), task).kind == "manifest"


def test_a_failed_directory_is_retried_by_an_includes_filter_never_listed_in_a_manifest() -> None:
    scope = choose_scope([FailedPath("/a.txt"), FailedPath("/photos", directory=True)], request(), PLAIN_TASK)
    assert (scope.kind, scope.includes) == ("includes", "/a.txt|/photos")
    assert failed_paths([{"path": "/photos/", "category": "other"}], ["other"]) == [
        FailedPath("/photos/", directory=True)
    ]


def test_a_path_over_1024_bytes_in_utf8_goes_by_includes_although_it_has_fewer_characters() -> None:
    short_in_characters = "/" + "é" * 513  # 513 characters, 1,026 bytes
    assert choose_scope([FailedPath(short_in_characters)], request(), PLAIN_TASK).kind == "includes"
    assert choose_scope([FailedPath("/" + "e" * 1024)], request(), PLAIN_TASK).kind == "manifest"


def test_names_a_filter_cannot_express_run_the_whole_task_when_no_manifest_is_allowed() -> None:
    task = TaskFacts(TASK_ARN, excludes="*.tmp")
    assert choose_scope([FailedPath("/a|b")], request(), task).kind == "all"
    assert choose_scope([FailedPath("/report*.pdf")], request(), task).kind == "all"


@pytest.mark.parametrize("example", sorted(MANIFESTS.glob("*.csv")), ids=lambda path: path.name)
def test_manifests_look_like_the_guides_examples(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    paths = ["/" + row[0] for row in csv.reader(io.StringIO(text))]
    assert "".join(manifest_lines(paths)) == text


def test_paths_with_edge_spaces_quotes_or_line_breaks_are_quoted_and_read_back_unchanged() -> None:
    paths = ["/a.txt", "/b, c.txt", '/"q".txt', "/new\nline", "/cr\rline", "/ leading.txt", "/trailing.txt ", "/tab\t"]
    lines = list(manifest_lines(paths))
    assert lines[:5] == ["a.txt\n", '"b, c.txt"\n', '"""q"".txt"\n', '"new\nline"\n', '"cr\rline"\n']
    assert lines[5:] == ['" leading.txt"\n', '"trailing.txt "\n', '"tab\t"\n']
    assert [row[0] for row in csv.reader(io.StringIO("".join(lines)))] == [path[1:] for path in paths]


def test_an_includes_filter_too_large_for_the_workflows_state_runs_the_whole_task_again() -> None:
    # 300 directories with long names in four-byte characters: DataSync would take the filter
    # (under 102,400 characters), the workflow's state could not carry it.
    folder = "\U0001f4c1" * 200
    directories = [FailedPath(f"/{folder}-{n}", directory=True) for n in range(300)]
    scope = choose_scope(directories, request(), PLAIN_TASK)
    assert scope.kind == "all"
    assert "too large to carry" in scope.reason
    fits = [FailedPath(f"/photos-{n}", directory=True) for n in range(300)]
    assert choose_scope(fits, request(), PLAIN_TASK).kind == "includes"
