//! `exray scan`: the command-line surface. The `exray` binary flattens [`ScanArgs`] into its
//! `scan` subcommand and calls [`run`] (async) or [`run_blocking`].

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::blocklist::Blocklist;
use crate::http::Limits;
use crate::mail::{default_mail_ports, MailPort};
use crate::output::{self, Format};
use crate::request::{default_user_agent, validate_user_agent};
use crate::runner::{self, RunOptions};
use crate::scanner::{ScanConfig, Scanner};
use crate::shard::Shard;
use crate::target::{Source, TargetStream};

/// Passively fingerprint Exchange servers: full build where the server reveals it, "SU unknown"
/// where only the CU shows, never attack traffic.
#[derive(clap::Args, Debug, Clone)]
pub struct ScanArgs {
    /// Targets: IPs, CIDR blocks, host names, URLs, `host:port`; `-` reads stdin. With no
    /// target and no --input-list, targets are read from stdin.
    #[arg(value_name = "TARGETS")]
    pub targets: Vec<String>,

    /// Read targets from FILE (`-` for stdin): one per line, ZMap and masscan -oL output
    /// accepted. Repeatable. `-iL FILE` works too (nmap style).
    #[arg(
        short = 'i',
        long = "input-list",
        visible_alias = "iL",
        value_name = "FILE"
    )]
    pub input_lists: Vec<PathBuf>,

    /// Ports for targets that name none (comma separated); 80/8080 use HTTP, others HTTPS.
    #[arg(short = 'p', long, value_delimiter = ',', default_value = "443")]
    pub ports: Vec<u16>,

    /// Scan only shard I of N (`I/N`, from 0): N scanners with the same input, seed and N cover
    /// every target exactly once.
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    pub shard: Shard,

    /// Seed of the shard assignment and of the walk through CIDR blocks (same on every machine).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Progress file: continue a stopped scan where it stopped (created if absent).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,

    /// Opt-out list: IPs, CIDRs and host names never to touch. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub exclude: Vec<PathBuf>,

    /// Global request rate limit per second (0: unlimited).
    #[arg(long, default_value_t = 500)]
    pub rate: u32,

    /// Targets fingerprinted at once.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,

    /// Minimum gap between two requests to the same IP address, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub host_interval_ms: u64,

    /// TCP connect and TLS handshake deadline, in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub connect_timeout: f64,

    /// Deadline of one request (headers and body), in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub request_timeout: f64,

    /// Deadline of all requests to one target, in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub target_timeout: f64,

    /// Bytes of response body read at most per request.
    #[arg(long, default_value_t = 128 * 1024)]
    pub max_body: usize,

    /// User-Agent (must contain `exray`, so the scan stays identifiable).
    #[arg(long)]
    pub user_agent: Option<String>,

    /// Allow loopback targets (127.0.0.0/8, ::1); refused by default.
    #[arg(long)]
    pub allow_loopback: bool,

    /// Allow private, shared and link-local ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
    /// 169.254/16, fc00::/7, fe80::/10): for scans of your own internal network.
    #[arg(long)]
    pub allow_private: bool,

    /// Opt-in: request known web-shell paths (without parameters) on servers found to be
    /// Exchange, each compared with a control request; keeps hashes, never bodies. This runs the
    /// attacker's page if it exists: only on servers you are responsible for.
    #[arg(long)]
    pub probe_webshells: bool,

    /// Opt-in: also read the SMTP, IMAP and POP3 greetings of every scanned host (25, 587,
    /// 465/TLS, 143, 993/TLS, 110, 995/TLS) as extra Exchange evidence. Sends only `EHLO`,
    /// `QUIT` and `LOGOUT`; each connection counts against --rate and --host-interval-ms.
    #[arg(long)]
    pub mail: bool,

    /// The mail ports for --mail (implies it), comma separated: well-known ports, or
    /// `PORT/PROTO` with PROTO smtp, smtps, imap, imaps, pop3 or pop3s (e.g. `25,2526/smtp`).
    #[arg(long, value_delimiter = ',', value_name = "PORTS")]
    pub mail_ports: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,

    /// Write results to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// No progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// Rewrite nmap's `-iL FILE` (not expressible as a clap short option) into `--input-list FILE`.
/// Call on `std::env::args_os()` before clap parses.
pub fn rewrite_nmap_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|a| {
            if a == "-iL" {
                OsString::from("--input-list")
            } else {
                a
            }
        })
        .collect()
}

fn secs(name: &str, v: f64) -> Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v <= 3600.0) {
        bail!("--{name} must be between 0 and 3600 seconds");
    }
    Ok(Duration::from_secs_f64(v))
}

/// Build the scanner configuration from the arguments (validated).
pub fn config(args: &ScanArgs) -> Result<ScanConfig> {
    let mut blocklist = Blocklist::new(args.allow_loopback, args.allow_private);
    for path in &args.exclude {
        let f = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        blocklist
            .add_exclude_file(&path.display().to_string(), BufReader::new(f))
            .map_err(anyhow::Error::msg)?;
    }
    let user_agent = args.user_agent.clone().unwrap_or_else(default_user_agent);
    validate_user_agent(&user_agent).map_err(|e| anyhow::anyhow!("--user-agent: {e}"))?;
    if args.ports.contains(&0) {
        bail!("--ports: 0 is not a port");
    }
    if args.concurrency == 0 || args.concurrency > 100_000 {
        bail!("--concurrency must be between 1 and 100000");
    }
    if args.max_body < 1024 {
        bail!("--max-body must be at least 1024 bytes");
    }
    let mut mail_ports = Vec::new();
    for p in &args.mail_ports {
        let port = MailPort::parse(p).map_err(|e| anyhow::anyhow!("--mail-ports: {e}"))?;
        if !mail_ports.contains(&port) {
            mail_ports.push(port);
        }
    }
    if args.mail && mail_ports.is_empty() {
        mail_ports = default_mail_ports();
    }
    Ok(ScanConfig {
        limits: Limits {
            connect_timeout: secs("connect-timeout", args.connect_timeout)?,
            request_timeout: secs("request-timeout", args.request_timeout)?,
            max_head: 32 * 1024,
            max_body: args.max_body,
        },
        target_timeout: secs("target-timeout", args.target_timeout)?,
        rate: args.rate,
        concurrency: args.concurrency,
        host_interval: Duration::from_millis(args.host_interval_ms),
        user_agent,
        probe_webshells: args.probe_webshells,
        blocklist,
        mail_ports,
    })
}

fn sources(args: &ScanArgs) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    let mut stdin_used = false;
    let mut literal = Vec::new();
    for t in &args.targets {
        if t == "-" {
            stdin_used = true;
        } else {
            literal.push(t.clone());
        }
    }
    if !literal.is_empty() {
        out.push(Source::Args(literal));
    }
    for p in &args.input_lists {
        if p.as_os_str() == "-" {
            stdin_used = true;
            continue;
        }
        let f =
            File::open(p).with_context(|| format!("{}: cannot open target list", p.display()))?;
        out.push(Source::Reader {
            name: p.display().to_string(),
            reader: Box::new(BufReader::with_capacity(64 * 1024, f)),
        });
    }
    if out.is_empty() && !stdin_used {
        if std::io::stdin().is_terminal() {
            bail!("no targets: name some, use --input-list FILE, or pipe them on stdin");
        }
        stdin_used = true;
    }
    if stdin_used {
        out.push(Source::Reader {
            name: "stdin".into(),
            reader: Box::new(BufReader::with_capacity(64 * 1024, std::io::stdin())),
        });
    }
    Ok(out)
}

/// Run `exray scan`. Exit code: 0 when done and nothing vulnerable was found, 1 when done and at
/// least one target is vulnerable, 130 when stopped by Ctrl-C (progress saved, results so far
/// written); errors are returned.
pub async fn run(args: &ScanArgs) -> Result<i32> {
    let config = config(args)?;
    let srcs = sources(args)?;
    let mut scope: Vec<String> = args.targets.iter().take(8).cloned().collect();
    scope.extend(
        args.input_lists
            .iter()
            .map(|p| format!("-iL {}", p.display())),
    );
    let opts = RunOptions {
        shard: args.shard,
        seed: args.seed,
        resume: args.resume.clone(),
        progress: !args.no_progress && std::io::stderr().is_terminal(),
        scope: if scope.is_empty() {
            "stdin".into()
        } else {
            scope.join(" ")
        },
        stop_on_ctrl_c: true,
    };
    let out: Box<dyn Write + Send> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            File::create(p).with_context(|| format!("{}: cannot create", p.display()))?,
        )),
        None => Box::new(std::io::stdout()),
    };
    let sink = output::sink(args.format, out);
    let stream = TargetStream::new(srcs, args.ports.clone(), args.seed);
    let scanner = Arc::new(Scanner::new(config));
    let summary = runner::run(scanner, stream, opts, sink).await?;
    for w in &summary.report.warnings {
        tracing::info!("{w}");
    }
    Ok(if summary.interrupted {
        130
    } else if summary.vulnerable() > 0 {
        1
    } else {
        0
    })
}

/// [`run`] on its own multi-threaded tokio runtime, for a synchronous `main`.
pub fn run_blocking(args: &ScanArgs) -> Result<i32> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: ScanArgs,
    }

    #[test]
    fn parses_nmap_style_and_validates() {
        let argv = rewrite_nmap_args(
            [
                "exray",
                "-iL",
                "hosts.txt",
                "--shard",
                "1/4",
                "--seed",
                "7",
                "-p",
                "443,8443",
                "mail.example.org",
            ]
            .map(OsString::from),
        );
        let t = T::try_parse_from(argv).unwrap();
        assert_eq!(t.a.input_lists, vec![PathBuf::from("hosts.txt")]);
        assert_eq!(t.a.shard, Shard { index: 1, count: 4 });
        assert_eq!(t.a.ports, vec![443, 8443]);
        assert!(config(&t.a).is_ok());
        assert!(T::try_parse_from(["exray", "--shard", "4/4"]).is_err());
        let t = T::try_parse_from(["exray", "--user-agent", "curl/8", "x.org"]).unwrap();
        assert!(config(&t.a).unwrap_err().to_string().contains("exray"));
        let t = T::try_parse_from(["exray", "--target-timeout", "0", "x.org"]).unwrap();
        assert!(config(&t.a).is_err());
        // Mail probes: off by default, defaults with --mail, a list with --mail-ports.
        let t = T::try_parse_from(["exray", "x.org"]).unwrap();
        assert!(config(&t.a).unwrap().mail_ports.is_empty());
        let t = T::try_parse_from(["exray", "--mail", "x.org"]).unwrap();
        assert_eq!(config(&t.a).unwrap().mail_ports, default_mail_ports());
        let t = T::try_parse_from(["exray", "--mail-ports", "25,993,2526/smtp", "x.org"]).unwrap();
        let ports = config(&t.a).unwrap().mail_ports;
        assert_eq!(ports.len(), 3);
        assert!(ports[1].tls);
        let t = T::try_parse_from(["exray", "--mail-ports", "8025", "x.org"]).unwrap();
        assert!(config(&t.a)
            .unwrap_err()
            .to_string()
            .contains("--mail-ports"));
    }
}
