//! Stand-alone `exray build`: `cargo run -p exray-catalog --example exray_build -- 15.1.2176.2 [--format json]`.
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: exray_catalog::cli::BuildArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let code = exray_catalog::cli::run(&cli.args, &mut std::io::stdout().lock())?;
    std::process::exit(code);
}
