//! `switchboard tasks` as an operator runs it: the built binary against a data directory
//! holding callback tasks as the task keeper writes them.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sb_store::{Store, TaskRow};
use sb_voicemail::tasks::{Assignee, Assignment, Closing, Direction, MissedKind, Task, TaskState};

/// 2026-11-23 10:00:00 UTC plus `secs`.
fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_428_000 + secs, 0).expect("a time in range")
}

fn task(number: &str, secs: i64, kinds: Vec<MissedKind>, to: Assignee) -> Task {
    Task {
        id: None,
        number: number.to_owned(),
        name: None,
        first_at: at(secs),
        last_at: at(secs),
        attempts: 1,
        longest_wait: Duration::from_secs(95),
        kinds,
        call_ids: vec![format!("call-{secs}")],
        recordings: Vec::new(),
        newest_recording: None,
        assigned: Assignment {
            to,
            why: "test".to_owned(),
        },
        state: TaskState::Open,
    }
}

/// Task 1: Ivan, twice missed, Gleb's (104); task 2: abandoned in the sales queue; task 3:
/// called back already.
fn prepared_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let ivan = Task {
        name: Some("Ivan".to_owned()),
        last_at: at(300),
        attempts: 2,
        longest_wait: Duration::from_millis(42_900),
        recordings: vec![9],
        newest_recording: Some(9),
        ..task(
            "+74951234567",
            0,
            vec![
                MissedKind::NoAnswer {
                    target: "101".to_owned(),
                },
                MissedKind::Voicemail {
                    mailbox: "general".to_owned(),
                    message_id: 9,
                },
            ],
            Assignee::Person("104".to_owned()),
        )
    };
    let queue = task(
        "+74957654321",
        60,
        vec![MissedKind::QueueAbandoned {
            queue: "sales".to_owned(),
            position: Some(3),
        }],
        Assignee::Queue("sales".to_owned()),
    );
    let done = Task {
        state: TaskState::Closed {
            at: at(900),
            by: "104".to_owned(),
            how: Closing::Answered {
                direction: Direction::Outbound,
                call_id: "back".to_owned(),
            },
        },
        ..task(
            "+74955555555",
            30,
            vec![MissedKind::NoAnswer {
                target: "104".to_owned(),
            }],
            Assignee::Person("104".to_owned()),
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = Store::open(dir.path()).await.expect("open store");
        for task in [ivan, queue, done] {
            store
                .insert_task(&TaskRow::from_task(&task))
                .await
                .expect("insert task");
        }
    });
    dir
}

fn switchboard_tasks(data_dir: &Path, args: &[&str], user: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    // Nothing from the environment may point the command elsewhere.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SWITCHBOARD_") {
            command.env_remove(&name);
        }
    }
    command
        .env_remove("RUST_LOG")
        .env("USER", user)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("tasks")
        .args(args)
        .output()
        .expect("run switchboard tasks")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

/// Runs `tasks args` and returns its table, which must have been printed with exit code 0.
fn table(data_dir: &Path, args: &[&str]) -> String {
    let output = switchboard_tasks(data_dir, args, "operator");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

const OPEN_TASKS: &str = "\
ID  NUMBER        NAME  ATTEMPTS  FIRST (UTC)          LAST (UTC)            WAITED  ASSIGNED TO    STATE  KINDS
 1  +74951234567  Ivan         2  2026-11-23 10:00:00  2026-11-23 10:05:00  0:00:42  extension:104  open   missed:101,voicemail:general/9
 2  +74957654321  -            1  2026-11-23 10:01:00  2026-11-23 10:01:00  0:01:35  queue:sales    open   abandoned:sales/3
";

#[test]
fn open_tasks_are_listed_most_recent_first() {
    let dir = prepared_data_dir();
    assert_eq!(table(dir.path(), &[]), OPEN_TASKS);
}

#[test]
fn tasks_are_chosen_by_state_assignee_and_limit() {
    let dir = prepared_data_dir();
    let ids = |text: String| -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|line| line.split_whitespace().next().expect("an id").to_owned())
            .collect()
    };
    let all = table(dir.path(), &["--all"]);
    assert_eq!(ids(all.clone()), ["1", "2", "3"]);
    assert!(
        all.lines().nth(3).is_some_and(|l| l.contains(" closed ")),
        "{all}"
    );
    assert_eq!(ids(table(dir.path(), &["--assigned", "104"])), ["1"]);
    assert_eq!(
        ids(table(dir.path(), &["--all", "--assigned", "extension:104"])),
        ["1", "3"]
    );
    assert_eq!(
        ids(table(dir.path(), &["--assigned", "queue:sales"])),
        ["2"]
    );
    assert_eq!(ids(table(dir.path(), &["--all", "--limit", "1"])), ["1"]);

    let output = switchboard_tasks(dir.path(), &["--assigned", "group:sales"], "operator");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("names no assignee"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_task_is_closed_by_hand_once() {
    let dir = prepared_data_dir();
    let output = switchboard_tasks(dir.path(), &["close", "1", "--by", "anna"], "operator");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(
        said.starts_with(
            "task 1 (+74951234567, 2 missed calls, assigned to extension:104): closed by anna at "
        ) && said.ends_with(" (by hand)\n"),
        "{said}"
    );
    assert_eq!(
        table(dir.path(), &[]),
        "\
ID  NUMBER        NAME  ATTEMPTS  FIRST (UTC)          LAST (UTC)            WAITED  ASSIGNED TO  STATE  KINDS
 2  +74957654321  -            1  2026-11-23 10:01:00  2026-11-23 10:01:00  0:01:35  queue:sales  open   abandoned:sales/3
"
    );

    let again = switchboard_tasks(dir.path(), &["close", "1"], "operator");
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(stdout(&again), "");
    assert!(
        stderr(&again).contains("callback task 1 of +74951234567 is already closed by anna"),
        "{}",
        stderr(&again)
    );

    // Without --by, the login name.
    let output = switchboard_tasks(dir.path(), &["close", "2"], "zhanna");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("closed by zhanna at "),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_unknown_task_exits_1_with_a_message() {
    let dir = prepared_data_dir();
    let output = switchboard_tasks(dir.path(), &["close", "99"], "operator");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let message = stderr(&output);
    assert!(message.contains("no callback task 99"), "{message}");
    assert!(message.contains("switchboard tasks --all"), "{message}");
}

#[test]
fn a_data_dir_without_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("not-here");
    for args in [&[][..], &["close", "1"][..]] {
        let output = switchboard_tasks(&missing, args, "operator");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&output).contains("no database"),
            "{}",
            stderr(&output)
        );
        assert!(!missing.exists(), "tasks created {}", missing.display());
    }
}
