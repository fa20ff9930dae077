//! Stand-alone `exray serve` (the same code the `exray` CLI wires as a subcommand); also the
//! child process of the kill-during-ingest test.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "exray-serve",
    version,
    about = "exray serve: the central service for CERTs"
)]
struct Cli {
    #[command(flatten)]
    args: exray_serve::cli::ServeArgs,
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    match exray_serve::cli::run(&cli.args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("exray serve: {e:#}");
            std::process::exit(2);
        }
    }
}
