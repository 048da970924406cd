//! `/api/queues/stats`: the queues' figures per interval, rebuilt from the queue log, for
//! reports and wallboards that show more than the moment.
//!
//! `GET /api/queues/stats?from=T&to=T&interval=MINUTES` (RFC 3339 times; `to` defaults to
//! the PBX's now, `from` to 24 hours before `to` rounded down to an interval boundary, `interval` to
//! 60):
//!
//! ```json
//! {"from": "...", "to": "...", "interval_minutes": 60,
//!  "intervals": [{"from": "...", "to": "...", "occupancy": 0.42,
//!    "queues": [{"queue": "sales", "service_level_secs": 20, "offered": 12,
//!      "answered": 10, "answered_in_threshold": 8, "abandoned": 1,
//!      "abandoned_in_threshold": 1, "refused": 0, "left": 1, "completed": 9,
//!      "service_level": 0.8, "service_level_abandon_aware": 0.8, "asa_secs": 12.5,
//!      "aht_secs": 95.0, "abandonment_rate": 0.083}]}]}
//! ```
//!
//! A ratio or an average with nothing to divide by is `null`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, TimeDelta, Utc};
use sb_acd::{IntervalReport, QueueInterval};
use serde::{Deserialize, Serialize};

use crate::call_view::time;
use crate::json::JsonError;
use crate::routes::ApiState;

/// The most intervals one request may ask for: a year by the hour is 8,760, a month by the
/// quarter hour 2,976; beyond, the answer would be megabytes nobody reads.
const MAX_INTERVALS: i64 = 10_000;

/// The query string, read as text so a bad value gets a message naming the parameter.
#[derive(Debug, Deserialize)]
pub(super) struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    interval: Option<String>,
}

#[derive(Serialize)]
struct StatsView {
    from: String,
    to: String,
    interval_minutes: i64,
    intervals: Vec<IntervalView>,
}

#[derive(Serialize)]
struct IntervalView {
    from: String,
    to: String,
    occupancy: Option<f64>,
    queues: Vec<QueueStatsView>,
}

#[derive(Serialize)]
struct QueueStatsView {
    queue: String,
    service_level_secs: u64,
    offered: u32,
    answered: u32,
    answered_in_threshold: u32,
    abandoned: u32,
    abandoned_in_threshold: u32,
    refused: u32,
    left: u32,
    completed: u32,
    service_level: Option<f64>,
    service_level_abandon_aware: Option<f64>,
    asa_secs: Option<f64>,
    aht_secs: Option<f64>,
    abandonment_rate: Option<f64>,
}

fn parse_time(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, JsonError> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|e| {
                    JsonError::bad_request(format!(
                        "{name} must be an RFC 3339 time (2026-11-24T09:00:00Z): {e}"
                    ))
                })
        })
        .transpose()
}

/// `GET /api/queues/stats`.
pub(super) async fn stats(
    State(state): State<ApiState>,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Response, JsonError> {
    let Query(query) = query
        .map_err(|rejection| JsonError::rejected(rejection.status(), rejection.body_text()))?;
    let to = parse_time("to", query.to.as_deref())?.unwrap_or_else(|| state.live.now());
    let minutes = match query.interval.as_deref() {
        None => 60,
        Some(text) => text.parse::<i64>().ok().filter(|m| *m > 0).ok_or_else(|| {
            JsonError::bad_request(format!(
                "interval must be a whole number of minutes above 0, not {text:?}"
            ))
        })?,
    };
    let step = TimeDelta::minutes(minutes);
    let from = parse_time("from", query.from.as_deref())?
        .unwrap_or_else(|| sb_store::default_report_start(to, step));
    if from >= to {
        return Err(JsonError::bad_request("from must be before to"));
    }
    let span = to - from;
    if span.num_minutes() / minutes >= MAX_INTERVALS {
        return Err(JsonError::bad_request(format!(
            "at most {MAX_INTERVALS} intervals: widen interval or narrow from..to"
        )));
    }
    let queues = state.live.reported_queues();
    let reports = state
        .store
        .queue_report(&queues, from, to, step)
        .await
        .map_err(|err| JsonError::internal("cannot read the queue log", &err))?;
    let thresholds: Vec<(String, u64)> = queues
        .iter()
        .map(|q| (q.name.clone(), q.service_level.as_secs()))
        .collect();
    let view = StatsView {
        from: time(from),
        to: time(to),
        interval_minutes: minutes,
        intervals: reports
            .iter()
            .map(|report| interval_view(report, &thresholds))
            .collect(),
    };
    Ok(Json(view).into_response())
}

fn interval_view(report: &IntervalReport, thresholds: &[(String, u64)]) -> IntervalView {
    IntervalView {
        from: report.from.map(time).unwrap_or_default(),
        to: time(report.to),
        occupancy: report.occupancy,
        queues: report
            .queues
            .iter()
            .map(|queue| queue_view(queue, thresholds))
            .collect(),
    }
}

fn queue_view(queue: &QueueInterval, thresholds: &[(String, u64)]) -> QueueStatsView {
    let c = &queue.counters;
    let service_level_secs = thresholds
        .iter()
        .find(|(name, _)| *name == queue.queue)
        .map_or(
            u64::from(sb_acd::DEFAULT_SERVICE_LEVEL_SECS),
            |(_, secs)| *secs,
        );
    QueueStatsView {
        queue: queue.queue.clone(),
        service_level_secs,
        offered: c.offered,
        answered: c.answered,
        answered_in_threshold: c.answered_in_threshold,
        abandoned: c.abandoned,
        abandoned_in_threshold: c.abandoned_in_threshold,
        refused: c.refused,
        left: c.left,
        completed: c.completed,
        service_level: c.service_level(),
        service_level_abandon_aware: c.service_level_abandon_aware(),
        asa_secs: c.asa().map(|d| d.as_secs_f64()),
        aht_secs: c.aht().map(|d| d.as_secs_f64()),
        abandonment_rate: c.abandonment_rate(),
    }
}
