//! `switchboard queue-stats`: the queues' figures per interval, rebuilt from the queue log in
//! the database (`--data-dir`), each queue counted with its configured service-level
//! threshold. Works whether or not the PBX runs.

use anyhow::{bail, Result};
use chrono::{DateTime, TimeDelta, Utc};
use sb_acd::{IntervalReport, ReportedQueue};
use sb_store::format_table;
use std::time::Duration;

use crate::cli::{QueueStatsArgs, ServerArgs};
use crate::trace::open_existing;

const HEADERS: [&str; 11] = [
    "FROM (UTC)",
    "QUEUE",
    "OFFERED",
    "ANSWERED",
    "ABANDONED",
    "SL",
    "SL(AB)",
    "ASA",
    "AHT",
    "ABANDON",
    "OCCUPANCY",
];

/// Prints the figures of the interval `stats` asks for.
pub async fn print_queue_stats(args: &ServerArgs, stats: &QueueStatsArgs) -> Result<()> {
    let config = crate::serve::load_config(args)?;
    let to = stats.to.unwrap_or_else(Utc::now);
    let step = TimeDelta::minutes(i64::from(stats.interval));
    let from = stats
        .from
        .unwrap_or_else(|| sb_store::default_report_start(to, step));
    if from >= to {
        bail!("--from ({from}) must be before --to ({to})");
    }
    let queues: Vec<ReportedQueue> = config
        .queues
        .iter()
        .map(|queue| ReportedQueue::of(&queue.0))
        .collect();
    let store = open_existing(&args.data_dir).await?;
    let reports = store.queue_report(&queues, from, to, step).await?;
    print!("{}", table(&reports));
    Ok(())
}

/// One line per queue and interval; the ratios in per cent, the times in whole seconds, `-`
/// where there is nothing to divide by.
fn table(reports: &[IntervalReport]) -> String {
    let rows: Vec<[String; 11]> = reports
        .iter()
        .flat_map(|report| {
            let from = report.from.map(format_time).unwrap_or_default();
            let occupancy = percent(report.occupancy);
            report.queues.iter().map(move |queue| {
                let c = &queue.counters;
                [
                    from.clone(),
                    queue.queue.clone(),
                    c.offered.to_string(),
                    c.answered.to_string(),
                    c.abandoned.to_string(),
                    percent(c.service_level()),
                    percent(c.service_level_abandon_aware()),
                    seconds(c.asa()),
                    seconds(c.aht()),
                    percent(c.abandonment_rate()),
                    occupancy.clone(),
                ]
            })
        })
        .collect();
    let mut right = [true; 11];
    right[0] = false;
    right[1] = false;
    format_table(HEADERS, right, &rows)
}

fn format_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

fn percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0))
}

fn seconds(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |d| format!("{}s", d.as_secs_f64().round()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sb_acd::{IntervalCounters, QueueInterval};

    #[test]
    fn a_line_per_queue_with_its_ratios() {
        let from = DateTime::from_timestamp(1_795_428_000, 0).expect("time");
        let counters = IntervalCounters {
            offered: 4,
            answered: 2,
            answered_in_threshold: 1,
            abandoned: 2,
            abandoned_in_threshold: 1,
            answered_wait: Duration::from_secs(30),
            completed: 2,
            talk: Duration::from_secs(100),
            ..IntervalCounters::default()
        };
        let report = IntervalReport {
            from: Some(from),
            to: from + TimeDelta::hours(1),
            queues: vec![
                QueueInterval {
                    queue: "sales".into(),
                    counters,
                },
                QueueInterval {
                    queue: "support".into(),
                    counters: IntervalCounters::default(),
                },
            ],
            occupancy: Some(0.25),
        };
        let text = table(&[report]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let sales: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            sales,
            [
                "2026-11-23",
                "10:00",
                "sales",
                "4",
                "2",
                "2",
                "50%",
                "33%",
                "15s",
                "50s",
                "50%",
                "25%"
            ]
        );
        let support: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(
            &support[3..],
            ["0", "0", "0", "-", "-", "-", "-", "-", "25%"]
        );
    }
}
