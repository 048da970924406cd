//! The PBX's own memory of who spoke with a number: the responsible-manager service asks it
//! "who in the office last had an answered call with +74951234567?".
//!
//! Call records keep numbers as they were signalled (a carrier may send `74951234567`,
//! `84951234567` or `+74951234567`), so the caller passes every form of the number it
//! wants matched; each form is one seek in the `(caller_number, started_at)` and
//! `(callee_number, started_at)` indexes, newest first, so the lookup stays under a
//! millisecond at tens of millions of calls (`examples/history_bench.rs`).

use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::store::Store;

/// The forms of one number looked for at once; more would be a caller's mistake.
pub const MAX_FORMS: usize = 8;

/// An answered call between an outside number and an employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredCall {
    /// The employee's extension.
    pub extension: String,
    /// When the call started.
    pub at: DateTime<Utc>,
}

/// The newest answered call between any of `n` number forms and an extension, both ways:
/// one statement, so one round trip to SQLite however many forms there are.
fn last_answered_sql(n: usize) -> String {
    let forms = vec!["?"; n].join(", ");
    format!(
        "SELECT endpoint, started_at FROM (
            SELECT callee_endpoint AS endpoint, started_at FROM calls
             WHERE caller_number IN ({forms}) AND started_at >= ?
               AND disposition = 'ANSWERED' AND callee_endpoint LIKE 'extension:%'
             ORDER BY started_at DESC LIMIT 1)
         UNION ALL
         SELECT endpoint, started_at FROM (
            SELECT caller_endpoint AS endpoint, started_at FROM calls
             WHERE callee_number IN ({forms}) AND started_at >= ?
               AND disposition = 'ANSWERED' AND caller_endpoint LIKE 'extension:%'
             ORDER BY started_at DESC LIMIT 1)
         ORDER BY started_at DESC LIMIT 1"
    )
}

impl Store {
    /// The newest answered call since `since` between any of `forms` (the same number
    /// written the ways carriers write it; at most [`MAX_FORMS`] are used) and an
    /// extension, inbound or outbound.
    pub async fn last_answered(
        &self,
        forms: &[String],
        since: DateTime<Utc>,
    ) -> Result<Option<AnsweredCall>, StoreError> {
        let forms = &forms[..forms.len().min(MAX_FORMS)];
        if forms.is_empty() {
            return Ok(None);
        }
        let since = since.timestamp_millis();
        let sql = last_answered_sql(forms.len());
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for _side in 0..2 {
            for form in forms {
                query = query.bind(form);
            }
            query = query.bind(since);
        }
        let row = query
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Read { source })?;
        Ok(row.and_then(|(endpoint, at)| {
            Some(AnsweredCall {
                extension: endpoint.strip_prefix("extension:")?.to_owned(),
                at: DateTime::from_timestamp_millis(at)?,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CallParty, CallRecord, Disposition, HangupBy};

    fn party(number: &str, endpoint: &str) -> CallParty {
        CallParty {
            number: number.into(),
            name: None,
            endpoint: Some(endpoint.into()),
        }
    }

    fn call(
        id: &str,
        caller: CallParty,
        callee: CallParty,
        minute: i64,
        answered: bool,
    ) -> CallRecord {
        let started_at = DateTime::from_timestamp(1_795_428_000 + minute * 60, 0).unwrap();
        CallRecord {
            id: id.into(),
            sip_call_id: format!("{id}@test"),
            caller,
            callee,
            started_at,
            answered_at: answered.then_some(started_at),
            ended_at: started_at + chrono::TimeDelta::seconds(30),
            disposition: if answered {
                Disposition::Answered
            } else {
                Disposition::NoAnswer
            },
            hangup_by: HangupBy::Caller,
            sip_cause: 200,
            reason: "test".into(),
            trace: Vec::new(),
        }
    }

    fn forms() -> Vec<String> {
        ["+74951234567", "74951234567", "84951234567"]
            .map(String::from)
            .to_vec()
    }

    #[tokio::test]
    async fn the_newest_answered_call_either_way_in_any_form_wins() {
        let store = Store::open_in_memory().await.unwrap();
        let outside = |n: &str| party(n, "trunk:carrier");
        store
            .insert_calls(&[
                call(
                    "a",
                    outside("74951234567"),
                    party("104", "extension:104"),
                    0,
                    true,
                ),
                call(
                    "b",
                    party("105", "extension:105"),
                    outside("84951234567"),
                    10,
                    true,
                ),
                call(
                    "c",
                    outside("+74951234567"),
                    party("106", "extension:106"),
                    20,
                    false,
                ),
                call(
                    "d",
                    outside("74957654321"),
                    party("107", "extension:107"),
                    30,
                    true,
                ),
                call(
                    "e",
                    outside("74951234567"),
                    party("scenario:main", "scenario:main"),
                    40,
                    true,
                ),
            ])
            .await
            .unwrap();
        let since = DateTime::from_timestamp(0, 0).unwrap();
        let found = store.last_answered(&forms(), since).await.unwrap().unwrap();
        assert_eq!(found.extension, "105", "outbound at 10 min beats inbound at 0 min; unanswered and scenario-only calls do not count");
        assert_eq!(
            found.at,
            DateTime::from_timestamp(1_795_428_600, 0).unwrap()
        );
    }

    #[tokio::test]
    async fn calls_before_the_window_are_forgotten() {
        let store = Store::open_in_memory().await.unwrap();
        store
            .insert_call(&call(
                "a",
                party("74951234567", "trunk:carrier"),
                party("104", "extension:104"),
                0,
                true,
            ))
            .await
            .unwrap();
        let after = DateTime::from_timestamp(1_795_428_000 + 60, 0).unwrap();
        assert_eq!(store.last_answered(&forms(), after).await.unwrap(), None);
        assert_eq!(
            store
                .last_answered(
                    &["74950000000".into()],
                    DateTime::from_timestamp(0, 0).unwrap()
                )
                .await
                .unwrap(),
            None
        );
    }
}
