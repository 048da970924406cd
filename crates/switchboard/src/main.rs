//! The `switchboard` binary: configuration, wiring and the command line.

mod cli;
mod control;
mod greeting;
mod icm;
mod live;
mod mailer;
mod messages;
mod moh;
mod queue_stats;
mod queues;
mod reload;
mod serve;
mod tasks;
mod trace;
mod voice;
mod voicemail;

use clap::Parser;
use cli::{Cli, Command, TaskAction};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::PrintDemoConfig) => {
            print!("{}", sb_config::DEMO_TOML);
            ExitCode::SUCCESS
        }
        Some(Command::CheckConfig { file }) => match check_config(&cli.server, &file) {
            Ok(()) => {
                println!("{}: OK", file.display());
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprintln!("{errors}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Calls { limit }) => {
            serve::runtime_and(|| serve::print_calls(&cli.server, limit))
        }
        Some(Command::Trace { call }) => {
            serve::runtime_and(|| trace::print_trace(&cli.server, &call))
        }
        Some(Command::Tasks { list, action }) => match action {
            None => serve::runtime_and(|| tasks::print_tasks(&cli.server, &list)),
            Some(TaskAction::Close { id, by }) => {
                serve::runtime_and(|| tasks::print_close(&cli.server, id, &by))
            }
        },
        Some(Command::Queues) => {
            let http = cli.server.http_listen;
            serve::runtime_and(|| queues::print_queues(http))
        }
        Some(Command::QueueStats(stats)) => {
            serve::runtime_and(|| queue_stats::print_queue_stats(&cli.server, &stats))
        }
        Some(Command::Voicemail { mailbox }) => {
            serve::runtime_and(|| messages::print_messages(&cli.server, &mailbox))
        }
        Some(Command::Greeting {
            mailbox,
            kind,
            file,
            ..
        }) => serve::runtime_and(|| greeting::run(&cli.server, &mailbox, kind, file.as_deref())),
        None => serve::runtime_and(|| serve::run(cli.server)),
    }
}

/// Everything the server checks before it starts: the file, then the prompts its
/// scenarios name.
fn check_config(args: &cli::ServerArgs, file: &std::path::Path) -> Result<(), String> {
    let config = sb_config::load_file(file).map_err(|errors| errors.to_string())?;
    let prompts = voice::prompts_dir(args.prompts_dir.as_deref()).map_err(|e| e.to_string())?;
    let voice = voice::voice(&config, &prompts, &args.data_dir);
    moh::load_music(&config).map_err(|e| e.to_string())?;
    sb_sip::check_plan(std::sync::Arc::new(config), &voice).map_err(|e| e.to_string())
}
