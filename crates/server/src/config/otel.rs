//! `OTEL_*`: OpenTelemetry trace export, on when an OTLP endpoint is set.
//!
//! The variables that decide *whether* and *where* to export are read here,
//! so that `.env` works for them like for every other variable; the rest
//! (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`, `OTEL_TRACES_SAMPLER*`,
//! `OTEL_RESOURCE_ATTRIBUTES`, span limits) the OpenTelemetry SDK reads from
//! the process environment itself.

use super::parse::{ConfigError, Source};
use std::time::Duration;

/// The service name when `OTEL_SERVICE_NAME` is unset and
/// `OTEL_RESOURCE_ATTRIBUTES` names none.
pub const DEFAULT_SERVICE_NAME: &str = "backend-api";

/// How spans are encoded over OTLP/HTTP (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `http/protobuf`, the default.
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
}

/// Where and how traces are exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtelSettings {
    /// The URL spans are POSTed to: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as
    /// given, else `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` appended.
    pub traces_endpoint: url::Url,
    /// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub protocol: OtlpProtocol,
    /// `OTEL_SERVICE_NAME`, when set.
    pub service_name: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT`
    /// (milliseconds; default 10 000): the limit of one export request.
    pub timeout: Duration,
}

impl OtelSettings {
    /// The export settings, or `None` when no endpoint is set, or
    /// `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`.
    ///
    /// # Errors
    /// A bad URL, an unknown or unsupported protocol or exporter, a bad
    /// timeout.
    pub(super) fn load(src: &Source) -> Result<Option<Self>, ConfigError> {
        if src
            .get("OTEL_SDK_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(None);
        }
        match src.get("OTEL_TRACES_EXPORTER").as_deref() {
            None | Some("otlp") => {}
            Some("none") => return Ok(None),
            Some(other) => {
                return Err(ConfigError::new(
                    "OTEL_TRACES_EXPORTER",
                    format!("must be otlp or none, not {other:?}"),
                ));
            }
        }
        let schemes = &["http", "https"];
        let traces_endpoint = match src.url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", schemes)? {
            Some(url) => url,
            None => match src.url("OTEL_EXPORTER_OTLP_ENDPOINT", schemes)? {
                Some(base) => traces_url(&base),
                None => return Ok(None),
            },
        };
        Ok(Some(Self {
            traces_endpoint,
            protocol: protocol(src)?,
            service_name: src.get("OTEL_SERVICE_NAME"),
            timeout: timeout(src)?,
        }))
    }
}

/// The traces URL under a base endpoint, as the OTLP exporter
/// specification says: `http://collector:4318` → `…/v1/traces`.
fn traces_url(base: &url::Url) -> url::Url {
    let mut url = base.clone();
    let path = format!("{}/v1/traces", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url
}

fn protocol(src: &Source) -> Result<OtlpProtocol, ConfigError> {
    let variable = [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ]
    .into_iter()
    .find(|name| src.get(name).is_some());
    let Some(variable) = variable else {
        return Ok(OtlpProtocol::HttpProtobuf);
    };
    match src.get(variable).as_deref() {
        Some("http/json") => Ok(OtlpProtocol::HttpJson),
        Some("grpc") => Err(ConfigError::new(
            variable,
            "grpc is not built in; use http/protobuf (collectors listen for it on port 4318)",
        )),
        Some("http/protobuf") | None => Ok(OtlpProtocol::HttpProtobuf),
        Some(other) => Err(ConfigError::new(
            variable,
            format!("must be http/protobuf or http/json, not {other:?}"),
        )),
    }
}

fn timeout(src: &Source) -> Result<Duration, ConfigError> {
    let variable = [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ]
    .into_iter()
    .find(|name| src.get(name).is_some())
    .unwrap_or("OTEL_EXPORTER_OTLP_TIMEOUT");
    let millis: u64 = src.positive(variable, 10_000)?;
    Ok(Duration::from_millis(millis))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Option<OtelSettings>, ConfigError> {
        OtelSettings::load(&Source::from_pairs(vars.iter().copied()))
    }

    #[test]
    fn off_without_an_endpoint_or_when_disabled() {
        assert_eq!(load(&[]).unwrap(), None);
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        assert_eq!(
            load(&[endpoint, ("OTEL_SDK_DISABLED", "true")]).unwrap(),
            None
        );
        assert_eq!(
            load(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]).unwrap(),
            None
        );
    }

    #[test]
    fn the_base_endpoint_gets_the_traces_path_and_the_signal_endpoint_does_not() {
        let base = load(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")])
            .unwrap()
            .unwrap();
        assert_eq!(
            base.traces_endpoint.as_str(),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(base.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(base.timeout, Duration::from_secs(10));
        let prefixed = load(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example/otlp")])
            .unwrap()
            .unwrap();
        assert_eq!(
            prefixed.traces_endpoint.as_str(),
            "https://otel.example/otlp/v1/traces"
        );
        let signal = load(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/custom"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"),
            ("OTEL_SERVICE_NAME", "edge"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(signal.traces_endpoint.as_str(), "http://c:4318/custom");
        assert_eq!(signal.protocol, OtlpProtocol::HttpJson);
        assert_eq!(signal.timeout, Duration::from_millis(2500));
        assert_eq!(signal.service_name.as_deref(), Some("edge"));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        for (vars, variable) in [
            (
                vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")],
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (
                vec![endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ),
            (
                vec![endpoint, ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift")],
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            ),
            (
                vec![endpoint, ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon")],
                "OTEL_EXPORTER_OTLP_TIMEOUT",
            ),
            (
                vec![endpoint, ("OTEL_TRACES_EXPORTER", "zipkin")],
                "OTEL_TRACES_EXPORTER",
            ),
        ] {
            let error = load(&vars).unwrap_err();
            assert_eq!(error.variable, variable, "{error}");
        }
    }
}
