//! `/metrics`: the live snapshot in Prometheus' text exposition format (version 0.0.4).
//!
//! Written by hand on purpose: five gauges are a few lines of text, while a metrics stack
//! (`metrics` with a Prometheus exporter, or `prometheus`) would bring a registry, a global
//! recorder and minutes of release build time for them. Worth revisiting when counters and
//! histograms arrive (calls by disposition, time to answer), which a library does better.

use std::collections::HashSet;
use std::fmt::{Display, Write};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::live::LiveSnapshot;
use crate::routes::ApiState;

/// The content type Prometheus expects for the text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub(super) async fn metrics(State(state): State<ApiState>) -> impl IntoResponse {
    let text = render(&state.live.snapshot());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

fn render(snapshot: &LiveSnapshot) -> String {
    let extensions: HashSet<&str> = snapshot
        .registrations
        .iter()
        .map(|registration| registration.extension.as_str())
        .collect();
    let mut text = String::new();
    gauge(
        &mut text,
        "switchboard_active_calls",
        "Calls in progress, ringing or answered.",
        snapshot.active_calls,
    );
    gauge(
        &mut text,
        "switchboard_registered_devices",
        "Registered contacts; an extension with a desk phone and a softphone counts twice.",
        snapshot.registrations.len(),
    );
    gauge(
        &mut text,
        "switchboard_registered_extensions",
        "Extensions with at least one registered contact.",
        extensions.len(),
    );
    gauge(
        &mut text,
        "switchboard_draining",
        "1 while the PBX finishes its calls before a shutdown and takes no new ones, else 0.",
        u8::from(snapshot.draining),
    );
    // A Cargo version holds only [0-9A-Za-z.+-], so the label value needs no escaping.
    let build_info = concat!(
        "switchboard_build_info{version=\"",
        env!("CARGO_PKG_VERSION"),
        "\"}"
    );
    gauge(
        &mut text,
        build_info,
        "The running Switchboard's version, in the label; the value is always 1.",
        1,
    );
    text
}

/// Appends one gauge: its HELP and TYPE lines, then the sample. `series` is the metric name,
/// with its labels when it has any; HELP and TYPE take the bare name.
fn gauge(text: &mut String, series: &str, help: &str, value: impl Display) {
    let name = series.split('{').next().unwrap_or(series);
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{series} {value}\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::RegistrationView;

    fn registration(extension: &str, contact: &str) -> RegistrationView {
        RegistrationView {
            extension: extension.to_owned(),
            contact: contact.to_owned(),
            source: "192.0.2.10:5062".to_owned(),
            transport: "UDP".to_owned(),
            expires_in_secs: 300,
            user_agent: None,
        }
    }

    #[test]
    fn every_gauge_is_written_with_help_and_type() {
        let snapshot = LiveSnapshot {
            active_calls: 3,
            draining: true,
            registrations: vec![
                registration("101", "sip:101@192.0.2.10:5062"),
                registration("101", "sip:101@192.0.2.11:5060"),
                registration("105", "sip:105@192.0.2.12:5060"),
            ],
        };
        let expected = format!(
            "\
# HELP switchboard_active_calls Calls in progress, ringing or answered.
# TYPE switchboard_active_calls gauge
switchboard_active_calls 3
# HELP switchboard_registered_devices Registered contacts; an extension with a desk phone and a softphone counts twice.
# TYPE switchboard_registered_devices gauge
switchboard_registered_devices 3
# HELP switchboard_registered_extensions Extensions with at least one registered contact.
# TYPE switchboard_registered_extensions gauge
switchboard_registered_extensions 2
# HELP switchboard_draining 1 while the PBX finishes its calls before a shutdown and takes no new ones, else 0.
# TYPE switchboard_draining gauge
switchboard_draining 1
# HELP switchboard_build_info The running Switchboard's version, in the label; the value is always 1.
# TYPE switchboard_build_info gauge
switchboard_build_info{{version=\"{}\"}} 1
",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(render(&snapshot), expected);
    }
}
