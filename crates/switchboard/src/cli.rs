//! The command line: the server's listen flags (each also an environment variable) and the
//! operator's commands.

use chrono::{DateTime, FixedOffset};
use clap::{Parser, Subcommand};
use sb_voicemail::GreetingKind;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// Switchboard: a SIP PBX for incoming call distribution.
///
/// With no command it runs the PBX; with no --config it runs the embedded demo office.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the server listens and keeps its data.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// SIP over UDP and TCP.
    #[arg(
        long,
        env = "SWITCHBOARD_SIP_LISTEN",
        default_value = "0.0.0.0:5060",
        global = true
    )]
    pub sip_listen: SocketAddr,
    /// HTTP: API, web and metrics.
    #[arg(
        long,
        env = "SWITCHBOARD_HTTP_LISTEN",
        default_value = "0.0.0.0:8080",
        global = true
    )]
    pub http_listen: SocketAddr,
    /// The UDP ports for RTP, as LOW-HIGH.
    #[arg(
        long,
        env = "SWITCHBOARD_RTP_PORTS",
        default_value = "20000-29999",
        global = true
    )]
    pub rtp_ports: PortRange,
    /// SQLite database, recordings and voicemail live here.
    #[arg(
        long,
        env = "SWITCHBOARD_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// A TOML configuration file; without it the embedded demo office runs.
    #[arg(long, env = "SWITCHBOARD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Start the PBX's clock at this time (RFC 3339) and let it run on: for tests and
    /// demonstrations of schedules.
    #[arg(long, env = "SWITCHBOARD_START_TIME", global = true)]
    pub start_time: Option<DateTime<FixedOffset>>,
    /// The address written into SIP Contact and SDP; by default the listen address, or
    /// this host's outward address when listening on all interfaces.
    #[arg(long, env = "SWITCHBOARD_ADVERTISE_IP", global = true)]
    pub advertise_ip: Option<IpAddr>,
    /// The shipped prompts (`<dir>/ru/*.wav`, `<dir>/en/*.wav`); by default `./prompts`,
    /// next to the binary, or in the source tree it was built from.
    #[arg(long, env = "SWITCHBOARD_PROMPTS_DIR", global = true)]
    pub prompts_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a configuration file and print each error with its key path.
    CheckConfig { file: PathBuf },
    /// Print the embedded demo office as TOML, to start one's own configuration from.
    PrintDemoConfig,
    /// Print the most recent call records.
    Calls {
        /// How many calls to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Print one call's routing trace: how it ended, and each decision of its scenario with
    /// its time since the call started.
    Trace {
        /// Switchboard's call id (the last column of `switchboard calls`), the SIP Call-ID of
        /// the caller's leg, or the first 8 or more characters of the call id.
        #[arg(value_name = "CALL_ID")]
        call: String,
    },
    /// Print the running PBX's queues (waiting callers, figures) and agents' states, from
    /// its HTTP API at --http-listen.
    Queues,
    /// Print the queues' figures per interval (offered, answered, abandoned, service level,
    /// average speed of answer, handle time, abandonment, occupancy), rebuilt from the queue
    /// log in --data-dir.
    QueueStats(QueueStatsArgs),
    /// Print the messages of one voicemail box, new and saved, oldest first.
    Voicemail {
        /// The box: an extension number, or a shared box's name (`general`).
        #[arg(value_name = "BOX")]
        mailbox: String,
    },
    /// Install a voicemail greeting from a WAV file, or remove one with --remove. The file
    /// may be PCM or G.711, at any rate, mono or stereo: it is stored as 8 kHz mono, the
    /// way greetings recorded by phone are. Works on --data-dir directly; a running PBX
    /// plays the new greeting to the next caller.
    Greeting {
        /// The box: an extension number, or a shared box's name (`general`).
        #[arg(value_name = "BOX")]
        mailbox: String,
        /// unavailable, busy, temporary (played instead of both while it exists) or name.
        #[arg(value_name = "KIND", value_parser = greeting_kind)]
        kind: GreetingKind,
        /// The WAV file to install.
        #[arg(value_name = "FILE", required_unless_present = "remove")]
        file: Option<PathBuf>,
        /// Remove the greeting instead: callers hear the next one in line (the way to end a
        /// temporary greeting). Removing a greeting that is not there is no error.
        #[arg(long, conflicts_with = "file")]
        remove: bool,
    },
    /// Print the callback tasks (the open ones unless --all), most recent activity first;
    /// or, with `close`, close one by hand.
    #[command(args_conflicts_with_subcommands = true)]
    Tasks {
        #[command(flatten)]
        list: TaskList,
        #[command(subcommand)]
        action: Option<TaskAction>,
    },
}

/// Which span `switchboard queue-stats` reports, and in what intervals.
#[derive(Debug, clap::Args)]
pub struct QueueStatsArgs {
    /// The start, RFC 3339 (2026-11-24T09:00:00Z); when not given, 24 hours before --to,
    /// rounded down to an interval boundary (hourly intervals start on the hour).
    #[arg(long)]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// The end, RFC 3339; now when not given.
    #[arg(long)]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// The length of each interval, in minutes.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub interval: u32,
}

/// Which callback tasks `switchboard tasks` prints.
#[derive(Debug, clap::Args)]
pub struct TaskList {
    /// Closed tasks too, not only the open ones.
    #[arg(long)]
    pub all: bool,
    /// Only the tasks of one assignee: an extension (104), queue:NAME or mailbox:NAME, as
    /// the ASSIGNED TO column prints them.
    #[arg(long, value_name = "WHO")]
    pub assigned: Option<String>,
    /// How many tasks to show at most.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
}

/// What `switchboard tasks` can do besides listing.
#[derive(Debug, Subcommand)]
pub enum TaskAction {
    /// Close a task by hand: the customer was reached without a call through the PBX.
    Close {
        /// The task's id (the first column of `switchboard tasks`).
        id: i64,
        /// Who closed it, kept with the task; by default the login name.
        #[arg(long, value_name = "NAME", env = "USER", default_value = "cli")]
        by: String,
    },
}

/// A greeting kind as `switchboard greeting` takes it: the word naming its file.
fn greeting_kind(word: &str) -> Result<GreetingKind, String> {
    sb_store::parse_greeting_kind(word).map_err(|e| e.to_string())
}

/// An inclusive UDP port range, `LOW-HIGH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub low: u16,
    pub high: u16,
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (low, high) = s
            .split_once('-')
            .ok_or_else(|| format!("{s:?} is not a range LOW-HIGH"))?;
        let low: u16 = low
            .trim()
            .parse()
            .map_err(|_| format!("{low:?} is not a port"))?;
        let high: u16 = high
            .trim()
            .parse()
            .map_err(|_| format!("{high:?} is not a port"))?;
        if low == 0 || high < low.saturating_add(3) {
            return Err(format!(
                "{s:?}: need at least four ports (two RTP/RTCP pairs) above 0"
            ));
        }
        Ok(PortRange { low, high })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        assert_eq!(
            "20000-29999".parse::<PortRange>(),
            Ok(PortRange {
                low: 20000,
                high: 29999
            })
        );
        assert!("20000".parse::<PortRange>().is_err());
        assert!("30000-20000".parse::<PortRange>().is_err());
        assert!("0-100".parse::<PortRange>().is_err());
        assert!("a-b".parse::<PortRange>().is_err());
    }

    #[test]
    fn trace_takes_one_call_id() {
        let cli =
            Cli::try_parse_from(["switchboard", "--data-dir", "/tmp/sb", "trace", "0b6c1f2e"])
                .expect("parses");
        assert_eq!(cli.server.data_dir, PathBuf::from("/tmp/sb"));
        assert!(
            matches!(&cli.command, Some(Command::Trace { call }) if call == "0b6c1f2e"),
            "{cli:?}"
        );
        assert!(Cli::try_parse_from(["switchboard", "trace"]).is_err());
    }

    #[test]
    fn tasks_list_or_close_one() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["switchboard", "tasks"], args].concat());
        let cli = parse(&["--all", "--assigned", "queue:sales", "--limit", "5"]).expect("parses");
        let Some(Command::Tasks { list, action: None }) = cli.command else {
            panic!("a list: {cli:?}");
        };
        assert!(list.all);
        assert_eq!(list.assigned.as_deref(), Some("queue:sales"));
        assert_eq!(list.limit, 5);

        let cli = parse(&["close", "7", "--by", "anna"]).expect("parses");
        assert!(
            matches!(
                &cli.command,
                Some(Command::Tasks { action: Some(TaskAction::Close { id: 7, by }), .. })
                    if by == "anna"
            ),
            "{cli:?}"
        );
        assert!(parse(&["close"]).is_err(), "an id is needed");
        assert!(parse(&["close", "seven"]).is_err());
        assert!(parse(&["--limit", "0"]).is_err());
        assert!(
            parse(&["--all", "close", "7"]).is_err(),
            "listing flags do not close"
        );
    }

    #[test]
    fn a_greeting_is_installed_from_a_file_or_removed() {
        let parse =
            |args: &[&str]| Cli::try_parse_from([&["switchboard", "greeting"], args].concat());
        let cli = parse(&["101", "busy", "hello.wav"]).expect("parses");
        assert!(
            matches!(
                &cli.command,
                Some(Command::Greeting { mailbox, kind: GreetingKind::Busy, file: Some(file), remove: false })
                    if mailbox == "101" && file == &PathBuf::from("hello.wav")
            ),
            "{cli:?}"
        );
        let cli = parse(&["general", "temporary", "--remove"]).expect("parses");
        assert!(
            matches!(
                &cli.command,
                Some(Command::Greeting {
                    kind: GreetingKind::Temporary,
                    file: None,
                    remove: true,
                    ..
                })
            ),
            "{cli:?}"
        );
        assert!(parse(&["101", "busy"]).is_err(), "a file or --remove");
        assert!(parse(&["101", "busy", "hello.wav", "--remove"]).is_err());
        let err = parse(&["101", "holiday", "hello.wav"]).expect_err("no such kind");
        assert!(
            err.to_string()
                .contains("unavailable, busy, temporary, name"),
            "{err}"
        );
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
