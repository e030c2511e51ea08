"""Publishes metric data as CloudWatch Embedded Metric Format (EMF) documents, through Powertools.

An EMF document carries the values of its dimensions at its top level, so it holds one set of
them. Data without dimensions of their own go into the handler's `Metrics`, which `@log_metrics`
prints at the end of the invocation along with the cold start; every other set of dimension
values gets a document of its own, printed at once. Those are separate objects, not the handler's
`Metrics`, whose content Powertools shares between all its instances in a process.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics

from datasync_scheduler.adapters.run_metrics import Datum


def publish(data: Iterable[Datum], metrics: Metrics) -> None:
    """Adds the data without dimensions to `metrics`; prints one document per other dimension set."""
    by_dimensions: dict[tuple[tuple[str, str], ...], list[Datum]] = {}
    for datum in data:
        by_dimensions.setdefault(datum.dimensions, []).append(datum)
    for dimensions, group in by_dimensions.items():
        if not dimensions:
            for datum in group:
                metrics.add_metric(name=datum.name, unit=datum.unit, value=datum.value)
            continue
        document = EphemeralMetrics(namespace=metrics.namespace, service=metrics.service)
        for name, value in dimensions:
            document.add_dimension(name=name, value=value)
        for datum in group:
            document.add_metric(name=datum.name, unit=datum.unit, value=datum.value)
        document.flush_metrics()
