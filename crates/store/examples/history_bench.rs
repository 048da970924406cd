//! How fast the responsible-manager service finds "who last spoke with this number" in a
//! big call history: fills a database with N calls (default 10 million) and times lookups.
//!
//! `cargo run --release -p sb-store --example history_bench -- [CALLS] [LOOKUPS] [DIR]`
//! (bench/history/run.sh). Prints a table; the target is a p99 under 1 ms. With `DIR`, the
//! database is kept there, and a database already in `DIR` is not filled again (filling
//! 10 million calls takes most of an hour on a small machine).

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sb_store::{CallParty, CallRecord, Disposition, HangupBy, Store};

/// Calls written per transaction while filling.
const BATCH: usize = 20_000;
/// Distinct outside numbers: about 10 calls each at 10 million calls.
const CUSTOMERS: u64 = 1_000_000;
/// Two years of history.
const SPAN_SECS: i64 = 2 * 365 * 24 * 3600;

fn customer(n: u64) -> String {
    format!("7495{:07}", n % 10_000_000)
}

fn record(i: u64, rng: &mut StdRng, start: DateTime<Utc>) -> CallRecord {
    let outside = CallParty {
        number: customer(rng.random_range(0..CUSTOMERS)),
        name: None,
        endpoint: Some("trunk:carrier".into()),
    };
    let extension = format!("{}", 101 + rng.random_range(0..100u32));
    let inside = CallParty {
        number: extension.clone(),
        name: None,
        endpoint: Some(format!("extension:{extension}")),
    };
    let started_at = start + TimeDelta::seconds(rng.random_range(0..SPAN_SECS));
    let answered = rng.random_bool(0.8);
    let (caller, callee) = if rng.random_bool(0.7) {
        (outside, inside)
    } else {
        (inside, outside)
    };
    CallRecord {
        id: format!("{i:032x}"),
        sip_call_id: format!("{i}@bench"),
        caller,
        callee,
        started_at,
        answered_at: answered.then_some(started_at + TimeDelta::seconds(5)),
        ended_at: started_at + TimeDelta::seconds(65),
        disposition: if answered {
            Disposition::Answered
        } else {
            Disposition::NoAnswer
        },
        hangup_by: HangupBy::Caller,
        sip_cause: 200,
        reason: "bench".into(),
        trace: Vec::new(),
    }
}

/// The calls in a database filled earlier (perhaps by an interrupted run).
async fn count_calls(dir: &std::path::Path) -> Result<u64, Box<dyn std::error::Error>> {
    let url = format!("sqlite://{}", dir.join(sb_store::DATABASE_FILE).display());
    let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls")
        .fetch_one(&mut connection)
        .await?;
    Ok(u64::try_from(count)?)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let calls: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    let lookups: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let kept = args.next().map(std::path::PathBuf::from);
    let temp = tempfile::tempdir()?;
    let dir = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let reused = dir.join(sb_store::DATABASE_FILE).exists();
    let store = Store::open(&dir).await?;
    let mut rng = StdRng::seed_from_u64(7);
    let start: DateTime<Utc> = "2024-11-23T00:00:00Z".parse()?;

    let filling = Instant::now();
    let mut written = if reused { calls } else { 0 };
    while written < calls {
        let count = BATCH.min((calls - written) as usize);
        let batch: Vec<CallRecord> = (0..count as u64)
            .map(|k| record(written + k, &mut rng, start))
            .collect();
        store.insert_calls(&batch).await?;
        written += count as u64;
        if written.is_multiple_of(1_000_000) {
            eprintln!(
                "{written} calls written ({:.0} s)",
                filling.elapsed().as_secs_f64()
            );
        }
    }
    let fill_secs = filling.elapsed().as_secs_f64();
    let calls = if reused {
        count_calls(&dir).await?
    } else {
        calls
    };

    let since = start + TimeDelta::days(365);
    let mut times = Vec::with_capacity(lookups);
    let mut found = 0usize;
    for _ in 0..lookups {
        let digits = customer(rng.random_range(0..CUSTOMERS));
        let forms = vec![
            format!("+{digits}"),
            digits.clone(),
            format!("8{}", &digits[1..]),
        ];
        let began = Instant::now();
        let answer = store.last_answered(&forms, since).await?;
        times.push(began.elapsed());
        found += usize::from(answer.is_some());
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!("| calls in the database | fill | lookups | found | mean | p50 | p99 | max |");
    println!("|--:|--:|--:|--:|--:|--:|--:|--:|");
    println!(
        "| {calls} | {} | {lookups} | {found} | {:.0} µs | {:.0} µs | {:.0} µs | {:.0} µs |",
        if reused {
            "reused".to_owned()
        } else {
            format!("{fill_secs:.0} s")
        },
        mean.as_secs_f64() * 1e6,
        percentile(&times, 0.5).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times[times.len() - 1].as_secs_f64() * 1e6,
    );
    Ok(())
}
