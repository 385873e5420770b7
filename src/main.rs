//! The `veiling` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "veiling",
    version,
    about = "Reverse-auction engine for selective purchasing of care"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate auction configs; print every error with its path. Exit 0 only if all are valid.
    CheckConfig {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a scenario script (timed bids, ticks, auctioneer actions) and print every outcome and
    /// the final standings. See docs/script.md.
    Script {
        file: PathBuf,
        /// The config to run against (overrides a `config` statement in the script).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::CheckConfig { files } => check_config(&files),
        Cmd::Script { file, config } => match veiling::script::run_file(&file, config.as_deref()) {
            Ok(run) => {
                print!("{}", run.transcript);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                ExitCode::from(2)
            }
        },
    }
}

fn check_config(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for file in files {
        match veiling::config::load_file(file) {
            Ok((config, _)) => {
                let r = &config.rules;
                println!(
                    "{}: ok ({}: {} lot(s), {} supplier(s), format {}, scoring {:?})",
                    file.display(),
                    r.auction_id,
                    r.lots.len(),
                    r.suppliers.len(),
                    r.format.name(),
                    r.scoring
                );
            }
            Err(errors) => {
                ok = false;
                for e in &errors.0 {
                    eprintln!("{}: {e}", file.display());
                }
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
