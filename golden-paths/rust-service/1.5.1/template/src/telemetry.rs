//! Logs and traces. Logs are JSON lines on stdout, one object per event, with the `request_id`,
//! `trace_id` and `span_id` of the request they belong to. Traces go to an OpenTelemetry
//! collector through the OTLP exporter over HTTP/protobuf, configured by the standard `OTEL_*`
//! variables, and only when an endpoint is set ([`crate::Config::tracing`]): otherwise no
//! exporter, no background thread and no connection exist.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::fmt;
use std::io;
use std::sync::Once;
use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

/// The span fields every log line of a request repeats at the top level.
const REQUEST_FIELDS: [&str; 3] = ["request_id", "trace_id", "span_id"];

/// Starts the exporter when `enabled`: spans are batched and sent from a thread of the SDK's own.
/// Call [`SdkTracerProvider::shutdown`] before exiting, so the last batch is sent.
pub fn tracer_provider(enabled: bool) -> Result<Option<SdkTracerProvider>, String> {
    if !enabled {
        return Ok(None);
    }
    // Reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION itself.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| format!("cannot start the OTLP exporter: {e}"))?;
    // The default resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the crate's
    // name stands in only when neither names the service.
    let mut resource = opentelemetry_sdk::Resource::builder();
    let named = std::env::var_os("OTEL_SERVICE_NAME").is_some_and(|v| !v.is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| {
            v.split(',')
                .any(|kv| kv.trim().starts_with("service.name="))
        });
    if !named {
        resource = resource.with_service_name(env!("CARGO_PKG_NAME"));
    }
    // The sampler comes from OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (default:
    // parentbased_always_on, so a caller's sampling decision is kept).
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build(),
    ))
}

/// Installs the global subscriber: JSON lines at `level` on stdout, and spans to `provider`.
pub fn init(level: LevelFilter, provider: Option<&SdkTracerProvider>) {
    tracing::subscriber::set_global_default(subscriber(level, provider, io::stdout))
        .expect("the global subscriber is set once, at start-up");
    install_panic_hook();
}

/// The subscriber [`init`] installs, writing to `writer` (tests capture it).
pub fn subscriber<W>(
    level: LevelFilter,
    provider: Option<&SdkTracerProvider>,
    writer: W,
) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // Spans from the exporter's own HTTP client are not traced: exporting them would make more.
    let otel = provider.map(|p| {
        tracing_subscriber::Layer::with_filter(
            tracing_opentelemetry::layer()
                .with_tracer(p.tracer(env!("CARGO_PKG_NAME")))
                .with_tracked_inactivity(false),
            filter_fn(|meta| {
                !EXPORTER_TARGETS
                    .iter()
                    .any(|t| meta.target().starts_with(t))
            }),
        )
    });
    tracing_subscriber::registry()
        .with(otel)
        .with(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(JsonLines)
                .with_writer(writer),
        )
        // LOG_LEVEL filters what is logged, never the request span: its ids are in every line
        // and it is the span traces are made of, whatever the level.
        .with(filter_fn(move |meta| {
            level >= *meta.level() || (meta.is_span() && meta.name() == crate::REQUEST_SPAN)
        }))
}

/// Targets of the crates the exporter sends spans with.
const EXPORTER_TARGETS: [&str; 5] = ["opentelemetry", "reqwest", "hyper", "h2", "tower"];

/// Continues the caller's trace: the W3C `traceparent` (and `tracestate`) of `headers` becomes
/// the parent of `span`, whose own trace and span ids are then recorded on it for the logs. Does
/// nothing when tracing is off (the span then has no OpenTelemetry context).
pub fn continue_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    let _ = span.set_parent(parent);
    let context = span.context();
    let otel_span = context.span();
    let ids = otel_span.span_context();
    if ids.is_valid() {
        span.record("trace_id", tracing::field::display(ids.trace_id()));
        span.record("span_id", tracing::field::display(ids.span_id()));
    }
}

/// Names the request's span once its route is known (`GET /orders/{id}`). The span has started
/// by then ([`continue_trace`] read its ids), so the name is set on it rather than recorded as
/// `otel.name`, which only names a span not yet started.
pub fn rename(span: &tracing::Span, name: String) {
    span.context().span().update_name(name);
}

struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// A panic inside a request is logged as one JSON error line carrying the request's ids (the
/// request is answered 500 by the middleware); any other panic is reported as Rust reports it.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_request = tracing::Span::current()
                .metadata()
                .is_some_and(|m| m.name() == crate::REQUEST_SPAN);
            if !in_request {
                return previous(info);
            }
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "Box<dyn Any>".to_owned());
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            tracing::error!(panic = %message, location = %location, "request handler panicked");
        }));
    });
}

/// One JSON object per event: `timestamp`, `level`, `target`, `message`, the event's fields, and
/// the request's ids from the spans it happened in.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = serde_json::Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("timestamp".into(), timestamp.into());
        line.insert("level".into(), event.metadata().level().as_str().into());
        line.insert("target".into(), event.metadata().target().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                let Ok(serde_json::Value::Object(fields)) =
                    serde_json::from_str::<serde_json::Value>(fields)
                else {
                    continue;
                };
                for name in REQUEST_FIELDS {
                    if let Some(value) = fields.get(name) {
                        line.insert(name.into(), value.clone());
                    }
                }
            }
        }
        event.record(&mut Fields(&mut line));
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Collects an event's fields into the line, numbers and booleans as JSON numbers and booleans.
struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}
