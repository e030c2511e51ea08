"""What handlers print stays with their invocation, as in a Lambda function's log; the rest prints as before."""

import json
import threading

import pytest

from emulator.function_output import emf_documents, routed_stdout

EMF = {"_aws": {"Timestamp": 0, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [[]], "Metrics": []}]}}


def test_invocations_on_two_threads_keep_their_own_output_and_the_process_prints_as_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    both_printing = threading.Barrier(2)
    kept: dict[str, str] = {}

    with routed_stdout() as stdout:

        def invocation(name: str) -> None:
            with stdout.capture() as printed:
                print(f"{name} starts")
                both_printing.wait()  # the other invocation is printing meanwhile
                print(f"{name} ends")
            kept[name] = printed.getvalue()

        threads = [threading.Thread(target=invocation, args=(name,)) for name in ("first", "second")]
        for thread in threads:
            thread.start()
        print("the demo's summary")
        for thread in threads:
            thread.join()

    assert kept == {"first": "first starts\nfirst ends\n", "second": "second starts\nsecond ends\n"}
    assert capsys.readouterr().out == "the demo's summary\n"


def test_a_stream_that_took_over_meanwhile_is_routed_from_the_next_invocation_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with routed_stdout() as stdout:
        with capsys.disabled():  # pytest puts its own stream back between a fixture and the test
            pass
        with stdout.capture() as printed:
            print("from the handler")
        print("from the test")
    assert printed.getvalue() == "from the handler\n"
    assert capsys.readouterr().out == "from the test\n"


def test_only_embedded_metric_documents_count_as_metrics() -> None:
    output = "\n".join(
        [
            json.dumps(EMF),
            '{"level": "INFO", "message": "Run reported"}',
            "not json {",
            '{"_aws": {"Timestamp": 0}}',
        ]
    )
    assert emf_documents(output) == [EMF]
