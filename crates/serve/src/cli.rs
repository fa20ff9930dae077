//! `exray serve`: the command-line entry point.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::app::{router, AppState, Config, Delivery, SmtpTls};

#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (use a reverse proxy for TLS).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// `postgres://user:pass@host/db`, or a SQLite file path (created if missing).
    #[arg(long, default_value = "exray.db", env = "EXRAY_DATABASE")]
    pub database: String,
    /// Install this secret (at least 16 characters) as an admin token if it is not known yet.
    #[arg(long, env = "EXRAY_BOOTSTRAP_ADMIN_TOKEN", hide_env_values = true)]
    pub bootstrap_admin_token: Option<String>,
    /// Public URL of the service, used in notices and login links (default: http://LISTEN).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Name that signs notices (e.g. your CERT).
    #[arg(long, default_value = "exray")]
    pub sender_name: String,
    /// From address of notices.
    #[arg(long, default_value = "exray@localhost")]
    pub sender_email: String,
    /// SMTP relay `host:port` for notices.
    #[arg(long)]
    pub smtp_relay: Option<String>,
    /// Transport security to the relay: none (a local MTA or a trusted network), starttls
    /// (required; port 587 by default), tls (implicit TLS; port 465 by default).
    #[arg(long, value_enum, default_value = "none")]
    pub smtp_tls: SmtpTls,
    /// SMTP AUTH user (with `--smtp-password`).
    #[arg(long, requires = "smtp_password")]
    pub smtp_user: Option<String>,
    /// SMTP AUTH password.
    #[arg(
        long,
        env = "EXRAY_SMTP_PASSWORD",
        hide_env_values = true,
        requires = "smtp_user"
    )]
    pub smtp_password: Option<String>,
    /// PEM file of extra CA certificates trusted for the relay (a private CA).
    #[arg(long)]
    pub smtp_ca_file: Option<PathBuf>,
    /// A notice left in `sending` longer than this many seconds (its sender crashed) is sent again.
    #[arg(long, default_value_t = 600)]
    pub notice_lease_secs: i64,
    /// Also write every delivered notice as an `.eml` file in this directory.
    #[arg(long)]
    pub eml_dir: Option<PathBuf>,
    /// Never send the same host notice to the same contact again within this many days.
    #[arg(long, default_value_t = 7)]
    pub renotify_days: i64,
    /// Deliver queued notices every N seconds (0: only on request).
    #[arg(long, default_value_t = 60)]
    pub deliver_every_secs: u64,
    /// Mark cookies `Secure` (implied when `--base-url` is https).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Largest accepted report, in MiB.
    #[arg(long, default_value_t = 64)]
    pub max_report_mib: usize,
    /// Reports above 8 MiB ingested at once at most (the others wait their turn, then 503).
    /// Each costs up to ~9x its size in memory while it is ingested.
    #[arg(long, default_value_t = 1)]
    pub max_large_ingests: usize,
    /// Connections served at once at most (idle and half-open ones are dropped first).
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers.
    #[arg(long, default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Keep raw reports (compressed) this many days, then clear them (the parsed evidence
    /// stays). Default: keep all.
    #[arg(long)]
    pub keep_raw_days: Option<u32>,
    /// Import (replace) the IP-to-ASN table from this TSV file at start (`range_start range_end
    /// asn country description`, e.g. iptoasn.com's ip2asn-combined.tsv); organisations'
    /// claimed ASNs then attribute addresses. Re-run with a newer file to refresh it (or
    /// `PUT /api/v1/asn-table` while serving).
    #[arg(long)]
    pub asn_table: Option<PathBuf>,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// Re-fingerprint every notified host this often (`24h`, `30m`, `7d`) with the passive
    /// scanner, and move it by the result. Off by default. Run it on one instance only.
    #[arg(long, value_parser = crate::verify::parse_duration)]
    pub verify_every: Option<Duration>,
    /// Requests per second of a verification round, over all hosts (at least 1).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub verify_rate: u32,
    /// Hosts probed at once by a verification round.
    #[arg(long, default_value_t = 64)]
    pub verify_concurrency: usize,
    /// Never probe these addresses, CIDRs or host names (the format of `exray scan --exclude`).
    #[arg(long)]
    pub verify_blocklist: Option<PathBuf>,
    /// Let verification probe private, shared and link-local addresses (a CERT of an internal
    /// network).
    #[arg(long)]
    pub verify_allow_private: bool,
    /// Let verification probe loopback addresses (tests).
    #[arg(long)]
    pub verify_allow_loopback: bool,
}

impl ServeArgs {
    pub fn config(&self, bound: &str) -> Config {
        Config {
            base_url: self
                .base_url
                .clone()
                .unwrap_or_else(|| format!("http://{bound}"))
                .trim_end_matches('/')
                .to_string(),
            sender_name: self.sender_name.clone(),
            sender_email: self.sender_email.clone(),
            renotify_secs: self.renotify_days.max(0) * 86400,
            delivery: Delivery {
                smtp_relay: self.smtp_relay.clone(),
                smtp_tls: self.smtp_tls,
                smtp_credentials: self.smtp_user.clone().zip(self.smtp_password.clone()),
                smtp_ca_file: self.smtp_ca_file.clone(),
                eml_dir: self.eml_dir.clone(),
            },
            secure_cookies: self.secure_cookies,
            max_report_bytes: self.max_report_mib.max(1) << 20,
            notice_lease_secs: self.notice_lease_secs.max(1),
            max_large_ingests: self.max_large_ingests.max(1),
            limits: crate::listen::Limits {
                max_connections: self.max_connections.max(1),
                header_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
                idle_timeout: Duration::from_secs(self.idle_timeout_secs.max(1)),
            },
            ..Config::default()
        }
    }
}

/// Run the service until SIGINT/SIGTERM. Builds its own tokio runtime. Prints one JSON line with
/// the bound address to stdout once listening.
pub fn run(args: &ServeArgs) -> anyhow::Result<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(serve(args))?;
    Ok(0)
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let store = exray_store::Store::open(&args.database)
        .await
        .with_context(|| format!("opening database {}", redact(&args.database)))?;
    if let Some(path) = &args.asn_table {
        let f = std::fs::File::open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        let out = store
            .import_asn_table("serve --asn-table", std::io::BufReader::new(f))
            .await
            .with_context(|| format!("{}: ASN table", path.display()))?;
        tracing::info!(
            ranges = out.ranges,
            ipv4 = out.ipv4,
            ipv6 = out.ipv6,
            "ASN table imported"
        );
    }
    if let Some(t) = &args.bootstrap_admin_token {
        store
            .ensure_bootstrap_token(t)
            .await
            .context("installing the bootstrap admin token")?;
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let bound = listener.local_addr()?.to_string();
    let state = AppState::new(Arc::new(store), args.config(&bound));
    tracing::info!(listen = %bound, database = %redact(&args.database), backend = state.store.backend().name(), "exray serve ready");
    println!("{}", serde_json::json!({ "listening": bound }));
    if args.deliver_every_secs > 0 && (args.smtp_relay.is_some() || args.eml_dir.is_some()) {
        let st = state.clone();
        let every = Duration::from_secs(args.deliver_every_secs);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match crate::deliver::deliver_queued(&st, "system:delivery").await {
                    Ok(o) if o.sent + o.failed > 0 => {
                        tracing::info!(sent = o.sent, failed = o.failed, "notices delivered")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e.1, "delivery round failed"),
                }
            }
        });
    }
    if let Some(days) = args.keep_raw_days {
        let store = state.store.clone();
        tokio::spawn(async move {
            loop {
                let before = chrono::Utc::now().timestamp() - i64::from(days) * 86_400;
                match store.purge_raw_reports("system:retention", before).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(cleared = n, days, "raw reports past retention cleared")
                    }
                    Err(e) => tracing::warn!(error = %e, "raw report retention failed"),
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        });
    }
    if let Some(every) = args.verify_every {
        let cfg = verify_config(args, every)?;
        tracing::info!(
            every_secs = every.as_secs(),
            rate = args.verify_rate,
            "verification rounds on"
        );
        crate::verify::spawn(state.store.clone(), cfg);
    }
    let store = state.store.clone();
    let limits = state.cfg.limits;
    crate::listen::serve(listener, router(state), limits, shutdown()).await;
    store.close().await;
    Ok(())
}

/// The verification rounds' scanner settings from the `--verify-*` options.
fn verify_config(args: &ServeArgs, every: Duration) -> anyhow::Result<crate::verify::VerifyConfig> {
    let mut blocklist = exray_scan::blocklist::Blocklist::new(
        args.verify_allow_loopback,
        args.verify_allow_private,
    );
    if let Some(path) = &args.verify_blocklist {
        let f = std::fs::File::open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        blocklist
            .add_exclude_file(&path.display().to_string(), std::io::BufReader::new(f))
            .map_err(|e| anyhow::anyhow!("--verify-blocklist {e}"))?;
    }
    Ok(crate::verify::VerifyConfig::new(
        every,
        args.verify_rate,
        args.verify_concurrency,
        blocklist,
    ))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// Hide the password of a database URL in logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***@{}", &url[..s], &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn verification_is_off_by_default_and_takes_a_duration() {
        let off = Cmd::try_parse_from(["exray-serve"]).unwrap().serve;
        assert_eq!(off.verify_every, None);
        let on = Cmd::try_parse_from([
            "exray-serve",
            "--verify-every",
            "24h",
            "--verify-rate",
            "20",
            "--verify-allow-loopback",
        ])
        .unwrap()
        .serve;
        assert_eq!(on.verify_every, Some(Duration::from_secs(86_400)));
        let cfg = verify_config(&on, on.verify_every.unwrap()).unwrap();
        assert_eq!((cfg.scan.rate, cfg.scan.concurrency), (20, 64));
        assert_eq!(
            cfg.scan.blocklist.check_ip("127.0.0.1".parse().unwrap()),
            None
        );
        assert!(cfg
            .scan
            .blocklist
            .check_ip("10.0.0.1".parse().unwrap())
            .is_some());
        assert!(Cmd::try_parse_from(["exray-serve", "--verify-every", "soon"]).is_err());
        assert!(Cmd::try_parse_from(["exray-serve", "--verify-rate", "0"]).is_err());
        let missing = Cmd::try_parse_from([
            "exray-serve",
            "--verify-every",
            "1h",
            "--verify-blocklist",
            "/nonexistent/blocklist.txt",
        ])
        .unwrap()
        .serve;
        assert!(verify_config(&missing, Duration::from_secs(3600)).is_err());
    }
}
