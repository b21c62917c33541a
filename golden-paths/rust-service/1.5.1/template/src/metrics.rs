//! Prometheus metrics of the service, in one registry exposed at `/metrics`.

use axum::http::StatusCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: HistogramFamily,
    in_flight: Gauge,
}

/// One request being handled: counted in `http_requests_in_flight` until dropped.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn duration_histogram() -> Histogram {
    // 5 ms to ~10 s, doubling: covers fast handlers and slow dependencies alike.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

impl Metrics {
    pub fn new(version: &str) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests handled, by method, route template and status code",
            requests.clone(),
        );
        let duration: HistogramFamily = Family::new_with_constructor(duration_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from receiving an HTTP request to its response headers, by method and route template",
            Unit::Seconds,
            duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being handled now (saturation: it grows when requests queue)",
            in_flight.clone(),
        );
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: version.to_owned(),
            })
            .set(1);
        registry.register(
            "build_info",
            "Always 1; labelled with the version of the running build",
            build_info,
        );
        Metrics {
            registry,
            requests,
            duration,
            in_flight,
        }
    }

    /// Counts one more request in flight, until the returned guard is dropped.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Records one request that was routed to `route` and answered with `status`.
    pub fn observe(&self, method: &'static str, route: &str, status: StatusCode, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.duration
            .get_or_create(&RouteLabels {
                method,
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_requests_are_counted_until_they_end() {
        let metrics = Metrics::new("1.2.3");
        let first = metrics.in_flight();
        let second = metrics.in_flight();
        let text = metrics.encode().unwrap();
        assert!(text.contains("http_requests_in_flight 2"), "{text}");
        drop(first);
        drop(second);
        let text = metrics.encode().unwrap();
        assert!(text.contains("http_requests_in_flight 0"), "{text}");
    }

    #[test]
    fn observed_requests_are_exposed_with_their_labels() {
        let metrics = Metrics::new("1.2.3");
        metrics.observe(
            "GET",
            "/orders/{id}",
            StatusCode::NOT_FOUND,
            Duration::from_millis(3),
        );
        let text = metrics.encode().unwrap();
        assert!(
            text.contains(
                "http_requests_total{method=\"GET\",route=\"/orders/{id}\",status=\"404\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "http_request_duration_seconds_count{method=\"GET\",route=\"/orders/{id}\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("build_info{version=\"1.2.3\"} 1"), "{text}");
        assert!(text.contains("http_requests_in_flight 0"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
