"""OpenTelemetry tracing: a span per request and per job attempt, exported over OTLP.

Configured by the standard OTEL_* environment variables, read by the OpenTelemetry SDK
(shared/tracer_provider.py). With no OTLP endpoint set, spans are made (so trace context still flows
into jobs and downstream calls) but nothing is exported.
"""

from .feature import export_feature, feature

__all__ = ["export_feature", "feature"]
