//! The `switchboard` binary: configuration, wiring and the command line.

mod cli;
mod live;
mod serve;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::PrintDemoConfig) => {
            print!("{}", sb_config::DEMO_TOML);
            ExitCode::SUCCESS
        }
        Some(Command::CheckConfig { file }) => match sb_config::load_file(&file) {
            Ok(_) => {
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
        None => serve::runtime_and(|| serve::run(cli.server)),
    }
}
