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
    /// Run a whole auction in-process on a virtual clock with seeded bidder strategies (steady,
    /// sniper, fat-finger, duplicate sender) and print the per-lot results. Same seed, same output.
    Simulate {
        /// The auction config; without it, the embedded dieetvoeding-2024 example.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How many bidders: the config's first K suppliers, plus simulated ones beyond those.
        #[arg(long)]
        bidders: Option<usize>,
        /// Print every input and outcome before the results.
        #[arg(long)]
        verbose: bool,
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
        Cmd::Simulate {
            config,
            seed,
            bidders,
            verbose,
        } => simulate(config.as_deref(), seed, bidders, verbose),
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

/// The example config built into the binary, so `veiling simulate` runs on a fresh checkout.
const DEFAULT_CONFIG: &str = include_str!("../auction-configs/dieetvoeding-2024.toml");

fn simulate(
    config: Option<&std::path::Path>,
    seed: u64,
    bidders: Option<usize>,
    verbose: bool,
) -> ExitCode {
    let loaded = match config {
        Some(path) => veiling::config::load_file(path)
            .map(|(c, _)| c)
            .map_err(|e| {
                e.0.iter()
                    .map(|x| format!("{}: {x}", path.display()))
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
        None => veiling::config::parse(DEFAULT_CONFIG).map_err(|e| format!("embedded config: {e}")),
    };
    let run = loaded
        .and_then(|c| veiling::simulate::with_bidders(c, bidders))
        .and_then(|c| veiling::simulate::simulate(c, seed));
    match run {
        Ok(run) => {
            if verbose {
                print!("{}", run.transcript);
            }
            print!("{}", run.report);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
