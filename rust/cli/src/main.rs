//! `docproc`: the operator CLI.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use docproc_engine::{Declared, Limits};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for a document the engine rejected (distinct from usage errors
/// (2) and operational failures (1)).
const EXIT_REJECTED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "docproc",
    version,
    about = "Operate a docproc deployment and inspect documents locally."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the processor's engine on a local file and print the verdict as JSON.
    ///
    /// Exits 0 when the document is accepted and 3 when it is rejected.
    Inspect {
        /// The document to inspect.
        file: PathBuf,
        /// Declared media type to check the content against (as an uploader would send it).
        #[arg(long)]
        content_type: Option<String>,
        /// Declared file name (defaults to the file's own name).
        #[arg(long)]
        filename: Option<String>,
        /// Largest accepted document, in bytes.
        #[arg(long, default_value_t = Limits::default().max_size)]
        max_size: u64,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Inspect {
            file,
            content_type,
            filename,
            max_size,
        } => {
            let filename =
                filename.or_else(|| file.file_name().map(|n| n.to_string_lossy().into_owned()));
            let declared = Declared {
                filename,
                content_type,
            };
            let limits = Limits {
                max_size,
                ..Limits::default()
            };
            let report = docproc_engine::inspect_file(&file, &declared, &limits)
                .with_context(|| format!("cannot read {}", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if report.verdict.is_accepted() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_REJECTED)
            })
        }
    }
}
