//! `exray serve`: the command-line entry point.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::app::{router, AppState, Config, Delivery};

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
    /// Plain SMTP relay `host:port` for notices (a local MTA or a relay on a trusted network).
    #[arg(long)]
    pub smtp_relay: Option<String>,
    /// Also write every delivered notice as an `.eml` file in this directory.
    #[arg(long)]
    pub eml_dir: Option<PathBuf>,
    /// Never send the same host notice to the same contact again within this many days.
    #[arg(long, default_value_t = 7)]
    pub renotify_days: i64,
    /// Deliver queued notices every N seconds (0: only on request).
    #[arg(long, default_value_t = 60)]
    pub deliver_every_secs: u64,
    /// Mark cookies `Secure` (set this when served over HTTPS).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Largest accepted report, in MiB.
    #[arg(long, default_value_t = 64)]
    pub max_report_mib: usize,
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
                eml_dir: self.eml_dir.clone(),
            },
            secure_cookies: self.secure_cookies,
            max_report_bytes: self.max_report_mib.max(1) << 20,
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
    let state = AppState {
        store: Arc::new(store),
        cfg: Arc::new(args.config(&bound)),
    };
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
    let store = state.store.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")?;
    store.close().await;
    Ok(())
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
