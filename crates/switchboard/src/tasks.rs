//! The task keeper: the shell around the callback engine (`sb_voicemail::tasks`), and the
//! `switchboard tasks` command.
//!
//! The SIP layer reports every finished call that matters to callbacks as a
//! [`TaskEvent`]; [`TaskKeeper::run`] takes them one at a time, in the order the calls
//! ended, so two calls from one number can never both open a task. For each it does the
//! I/O the engine cannot: it normalises the number as the carrier sent it (so
//! `84951234567` and `+74951234567` are one customer), asks the responsible-manager service
//! who owns the caller, reads the number's open task, lets the engine decide, and writes
//! the outcome back. The decisions (what merges, who is assigned, what closes a task) are
//! all the engine's.
//!
//! Writes are conditional, because `switchboard tasks close` and the API close tasks from
//! elsewhere: a merge only overwrites a task that is still open, and a new task is refused
//! if the number got one meanwhile; either way the keeper reads again and merges once more.

use std::future::Future;
use std::sync::Arc;

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use sb_config::Config;
use sb_icm::number::{Number, NumberPlan};
use sb_icm::resolve::Outcome;
use sb_icm::Icm;
use sb_sip::TaskEvent;
use sb_store::{HandClosing, Store, StoreError, TaskFilter, TaskRow, DATABASE_FILE};
use sb_voicemail::tasks::{
    close_on_answer, merge, Answered, Assignee, Candidates, Missed, MissedKind, Responsible, Task,
    TaskState,
};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::cli::{ServerArgs, TaskList};

/// The configuration new calls start with, read again for every event so a reload (a new
/// extension, another numbering) applies to the next call.
pub type LiveConfig = Arc<dyn Fn() -> Arc<Config> + Send + Sync>;

/// The responsible-manager service as it is now (it is rebuilt on reload), or `None` when
/// the configuration has no `[icm]`.
pub type LiveIcm = Arc<dyn Fn() -> Option<Arc<Icm>> + Send + Sync>;

/// How many times a missed call is merged and written before the keeper gives up: the
/// second try follows a task closed or opened by someone else between reading and writing;
/// a third conflict in a row is not a race but a fault worth an error.
const WRITE_ATTEMPTS: usize = 2;

/// Why an event or a closing by hand changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The database failed; the store's error names what it was doing.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The number's open task kept changing under the keeper.
    #[error("the open callback task of {number} changed twice while a call was merged into it")]
    Contended {
        /// The number, normalised.
        number: String,
    },
    /// No task has this id.
    #[error("no callback task {0}")]
    Unknown(i64),
    /// The task was closed already; the first closing counts.
    #[error("callback task {} of {} is already {}", .0.id.unwrap_or_default(), .0.number, .0.state)]
    AlreadyClosed(Box<Task>),
}

/// Keeps the callback tasks: see the module documentation.
pub struct TaskKeeper {
    store: Store,
    config: LiveConfig,
    icm: LiveIcm,
}

impl TaskKeeper {
    /// A keeper writing to `store`, reading the live configuration and responsible-manager
    /// service through `config` and `icm` on every event.
    pub fn new(store: Store, config: LiveConfig, icm: LiveIcm) -> TaskKeeper {
        TaskKeeper { store, config, icm }
    }

    /// Handles `events` one at a time until every sender is gone or `shutdown` completes;
    /// on shutdown no more events are taken in, those already queued are handled, and then
    /// it returns: await it after the SIP layer has stopped and no call's task is lost (the
    /// server's shared state holds a sender, so the channel alone may never close).
    ///
    /// An event that fails is logged with its number and call and the next one is handled:
    /// one bad row must not stop every later customer from getting a task.
    pub async fn run(
        self,
        mut events: mpsc::Receiver<TaskEvent>,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                // Events first: a shutdown never jumps the queue.
                biased;
                event = events.recv() => match event {
                    Some(event) => self.handle_logged(&event).await,
                    None => break,
                },
                () = &mut shutdown => {
                    events.close();
                    while let Some(event) = events.recv().await {
                        self.handle_logged(&event).await;
                    }
                    break;
                }
            }
        }
        debug!("callback task keeper stopped");
    }

    /// [`TaskKeeper::handle`], its error logged.
    async fn handle_logged(&self, event: &TaskEvent) {
        if let Err(e) = self.handle(event).await {
            error!(error = %e, ?event, "callback task not updated");
        }
    }

    /// Handles one event: the task as written, or `None` when nothing changed (an answered
    /// call with a number that has no open task, or one from before the task's first call).
    pub async fn handle(&self, event: &TaskEvent) -> Result<Option<Task>, TaskError> {
        match event {
            TaskEvent::Missed(missed) => self.missed(missed).await.map(Some),
            TaskEvent::Answered(answered) => self.answered(answered).await,
        }
    }

    /// Merges a missed call into its number's open task, or opens one.
    async fn missed(&self, missed: &Missed) -> Result<Task, TaskError> {
        let config = (self.config)();
        let caller = normalise(&config, &missed.number);
        let missed = Missed {
            number: caller.number.clone(),
            ..missed.clone()
        };
        let mailbox_owner = mailbox_owner(&config, &missed.kind);
        // Asked at most once per call, and only when the answer can matter.
        let mut responsible: Option<Option<Responsible>> = None;
        for _ in 0..WRITE_ATTEMPTS {
            let open = self.open_task(&missed.number).await?;
            let has_person = open
                .as_ref()
                .is_some_and(|task| matches!(task.assigned.to, Assignee::Person(_)));
            // The engine never moves a task from one person to another: no need to ask.
            if responsible.is_none() && !has_person {
                responsible = Some(self.responsible(&config, &caller).await);
            }
            let candidates = Candidates {
                responsible: responsible.clone().flatten(),
                mailbox_owner: mailbox_owner.clone(),
            };
            let merged = merge(open, &missed, &candidates);
            let row = TaskRow::from_task(&merged);
            match merged.id {
                Some(_) => {
                    if self.store.update_open_task(&row).await? {
                        log_change("callback task updated", &merged);
                        return Ok(merged);
                    }
                }
                None => match self.store.insert_task(&row).await {
                    Ok(id) => {
                        let opened = Task {
                            id: Some(id),
                            ..merged
                        };
                        log_change("callback task opened", &opened);
                        return Ok(opened);
                    }
                    Err(StoreError::OpenTaskExists { .. }) => {}
                    Err(e) => return Err(e.into()),
                },
            }
            debug!(number = %missed.number, "callback task changed meanwhile; merging again");
        }
        Err(TaskError::Contended {
            number: missed.number,
        })
    }

    /// Closes the number's open task when the engine says this answered call closes it.
    async fn answered(&self, answered: &Answered) -> Result<Option<Task>, TaskError> {
        let config = (self.config)();
        let answered = Answered {
            number: normalise(&config, &answered.number).number,
            ..answered.clone()
        };
        let Some(open) = self.open_task(&answered.number).await? else {
            return Ok(None);
        };
        let Some(closed) = close_on_answer(&open, &answered) else {
            debug!(number = %answered.number, call = %answered.call_id, "answered before the task's first missed call; task stays open");
            return Ok(None);
        };
        let (Some(id), TaskState::Closed { at, by, how }) = (closed.id, &closed.state) else {
            return Ok(None);
        };
        if !self.store.close_task_as(id, *at, by, how).await? {
            debug!(task = id, "callback task closed meanwhile by someone else");
            return Ok(None);
        }
        log_change("callback task closed", &closed);
        Ok(Some(closed))
    }

    /// The open task of `number`, as the engine works on it.
    async fn open_task(&self, number: &str) -> Result<Option<Task>, TaskError> {
        let row = self.store.open_task_for(number).await?;
        Ok(row.map(|row| row.to_task()).transpose()?)
    }

    /// The caller's responsible manager, when the service knows one that is an extension
    /// of the configuration now. The service bounds each source by its own time limit
    /// (`[icm] timeout_ms`), so a slow CRM delays this call's task, never stops the keeper.
    async fn responsible(&self, config: &Config, caller: &Caller) -> Option<Responsible> {
        if !caller.outside {
            return None;
        }
        let icm = (self.icm)()?;
        match icm.resolve(&caller.number).await.outcome {
            Outcome::Resolved {
                extension, source, ..
            } if config.extension(&extension).is_some() => Some(Responsible {
                extension,
                why: format!("from {source}"),
            }),
            Outcome::Resolved { extension, .. } => {
                warn!(number = %caller.number, %extension, "responsible manager is no extension of the configuration; task assigned without them");
                None
            }
            Outcome::NotFound { .. } => None,
        }
    }
}

/// The one info line per task change: the task, the number, who must call back.
fn log_change(what: &str, task: &Task) {
    info!(
        task = task.id.unwrap_or_default(),
        number = %task.number,
        assignee = %assignee_text(&task.assigned.to),
        attempts = task.attempts,
        state = %task.state,
        "{what}"
    );
}

/// An assignee as `switchboard tasks` prints it.
fn assignee_text(assignee: &Assignee) -> String {
    match assignee {
        Assignee::Person(extension) => format!("extension:{extension}"),
        Assignee::Mailbox(mailbox) => format!("mailbox:{mailbox}"),
        Assignee::Queue(queue) => format!("queue:{queue}"),
        Assignee::Unassigned => "nobody".to_owned(),
    }
}

/// A caller's number as tasks are keyed by it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Caller {
    /// E.164 for an outside number, the digits of an internal one, or the text as sent
    /// when it is no number at all.
    number: String,
    /// Whether it is an outside number, which the responsible-manager service can know.
    outside: bool,
}

/// `raw` normalised with the configuration's `[numbering]`; a number that cannot be read
/// (`anonymous`, a broken header) is kept as sent, logged, so the call still gets its task.
fn normalise(config: &Config, raw: &str) -> Caller {
    let kept = |why: &dyn std::fmt::Display| {
        warn!(number = raw, reason = %why, "callback task: number kept as sent");
        Caller {
            number: raw.to_owned(),
            outside: false,
        }
    };
    let Ok(country_code) = config.numbering.country_code.parse() else {
        return kept(&"numbering.country_code is not a calling code");
    };
    let plan = NumberPlan {
        country_code,
        area_code: config.numbering.area_code.clone(),
        ..NumberPlan::default()
    };
    match plan.normalise(raw) {
        Ok(Number::E164(number)) => Caller {
            number,
            outside: true,
        },
        Ok(Number::Internal(number)) => Caller {
            number,
            outside: false,
        },
        Err(e) => kept(&e),
    }
}

/// The person whose own box a voicemail was left in; `None` for a shared box (`general`),
/// whose task goes to the box itself, read by all its owners, as the engine decides.
fn mailbox_owner(config: &Config, kind: &MissedKind) -> Option<String> {
    let MissedKind::Voicemail { mailbox, .. } = kind else {
        return None;
    };
    config.extension(mailbox).map(|owner| owner.number.clone())
}

/// Closes task `id` by hand, by `by` at `now`: for `switchboard tasks close` (the API does
/// the same through [`Store::close_task_by_hand`]). The task as closed, or why not.
pub async fn close_by_hand(
    store: &Store,
    id: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Task, TaskError> {
    match store.close_task_by_hand(id, by, now).await? {
        HandClosing::Closed(task) => {
            log_change("callback task closed", &task);
            Ok(task)
        }
        HandClosing::AlreadyClosed(task) => Err(TaskError::AlreadyClosed(Box::new(task))),
        HandClosing::Unknown => Err(TaskError::Unknown(id)),
    }
}

/// `switchboard tasks`: the tasks `list` chooses, as a table.
pub async fn print_tasks(args: &ServerArgs, list: &TaskList) -> Result<()> {
    let filter = match &list.assigned {
        Some(who) => TaskFilter::assigned(who, !list.all)?,
        None if list.all => TaskFilter::All,
        None => TaskFilter::Open,
    };
    let store = crate::trace::open_existing(&args.data_dir).await?;
    let tasks = store.tasks(&filter, list.limit).await?;
    print!("{}", sb_store::format_tasks_table(&tasks));
    Ok(())
}

/// `switchboard tasks close ID`: closes one task by hand now, and says what it did. An
/// unknown or already closed task is an error, which exits 1.
///
/// Stamped with this machine's clock: a separate process cannot know the running PBX's
/// `--start-time` clock.
pub async fn print_close(args: &ServerArgs, id: i64, by: &str) -> Result<()> {
    let store = crate::trace::open_existing(&args.data_dir).await?;
    match close_by_hand(&store, id, by, Utc::now()).await {
        Ok(task) => {
            println!(
                "task {id} ({}, {} missed calls, assigned to {}): {}",
                task.number,
                task.attempts,
                assignee_text(&task.assigned.to),
                task.state
            );
            Ok(())
        }
        Err(TaskError::Unknown(_)) => bail!(
            "no callback task {id} in {} (`switchboard tasks --all` lists them)",
            args.data_dir.join(DATABASE_FILE).display()
        ),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;
