//! Delivery of queued notices: to an SMTP relay (lettre) and/or as `.eml` files.

use std::path::Path;

use axum::http::StatusCode;
use exray_store::notify::NotificationRow;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::app::{ApiError, AppState, Delivery, SmtpTls};

#[derive(Serialize, Debug, Default, PartialEq, Eq)]
pub struct DeliverOutcome {
    pub sent: u64,
    pub failed: u64,
    /// True when neither an SMTP relay nor an `.eml` directory is configured.
    pub no_transport: bool,
}

/// Build the RFC 5322 message of a notice.
pub fn message(st: &AppState, n: &NotificationRow) -> Result<Message, String> {
    let from = Mailbox::new(
        Some(st.cfg.sender_name.clone()),
        st.cfg
            .sender_email
            .parse()
            .map_err(|e| format!("sender address {:?}: {e}", st.cfg.sender_email))?,
    );
    let to: Mailbox = n
        .email
        .parse()
        .map_err(|e| format!("recipient {:?}: {e}", n.email))?;
    let msg_id = format!(
        "<exray-notice-{}@{}>",
        n.id,
        st.cfg.sender_email.split('@').nth(1).unwrap_or("localhost")
    );
    Message::builder()
        .from(from)
        .to(to)
        .subject(n.subject.clone())
        .message_id(Some(msg_id))
        .header(ContentType::TEXT_PLAIN)
        .body(n.body.clone())
        .map_err(|e| format!("building notice {}: {e}", n.id))
}

fn write_eml(dir: &Path, n: &NotificationRow, msg: &Message) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("notice-{:08}.eml", n.id));
    let tmp = dir.join(format!(".notice-{:08}.eml.tmp", n.id));
    std::fs::write(&tmp, msg.formatted()).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The SMTP transport for `relay` (`host:port`, port 25 by default, 465 with implicit TLS).
fn smtp_transport(
    d: &Delivery,
    relay: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, ApiError> {
    let fail = |m: String| ApiError(StatusCode::INTERNAL_SERVER_ERROR, m);
    let default_port = match d.smtp_tls {
        SmtpTls::Tls => 465,
        SmtpTls::Starttls => 587,
        SmtpTls::None => 25,
    };
    let (host, port) = match relay.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') => (
            h.trim_start_matches('[').trim_end_matches(']').to_string(),
            p.parse::<u16>()
                .map_err(|e| fail(format!("SMTP relay {relay:?}: port: {e}")))?,
        ),
        _ => (relay.to_string(), default_port),
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
        .port(port)
        .timeout(Some(std::time::Duration::from_secs(30)));
    if d.smtp_tls != SmtpTls::None {
        let mut params = TlsParameters::builder(host);
        if let Some(ca) = &d.smtp_ca_file {
            let pem = std::fs::read(ca).map_err(|e| fail(format!("{}: {e}", ca.display())))?;
            let cert =
                Certificate::from_pem(&pem).map_err(|e| fail(format!("{}: {e}", ca.display())))?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| fail(format!("SMTP TLS settings: {e}")))?;
        b = b.tls(match d.smtp_tls {
            SmtpTls::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    if let Some((user, pass)) = &d.smtp_credentials {
        b = b.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    Ok(b.build())
}

/// Deliver every queued notice once. A notice is claimed first, so concurrent instances never
/// send the same one; a failure puts it back in the queue with its error; a claim older than
/// the lease (a worker that crashed between claim and send) is taken over.
pub async fn deliver_queued(st: &AppState, actor: &str) -> Result<DeliverOutcome, ApiError> {
    let d = &st.cfg.delivery;
    let mut out = DeliverOutcome::default();
    if d.smtp_relay.is_none() && d.eml_dir.is_none() {
        out.no_transport = true;
        return Ok(out);
    }
    let smtp = match &d.smtp_relay {
        Some(relay) => Some(smtp_transport(d, relay)?),
        None => None,
    };
    loop {
        let batch = st
            .store
            .deliverable_notifications(100, st.cfg.notice_lease_secs)
            .await?;
        if batch.is_empty() {
            break;
        }
        let mut progressed = false;
        for n in batch {
            if !st
                .store
                .claim_notification_leased(n.id, st.cfg.notice_lease_secs)
                .await?
            {
                continue;
            }
            progressed = true;
            let res = async {
                let msg = message(st, &n)?;
                let mut how = Vec::new();
                if let Some(dir) = &d.eml_dir {
                    write_eml(dir, &n, &msg)?;
                    how.push("eml");
                }
                if let Some(t) = &smtp {
                    t.send(msg).await.map_err(|e| format!("SMTP: {e}"))?;
                    how.push("smtp");
                }
                Ok::<String, String>(how.join("+"))
            }
            .await;
            match res {
                Ok(how) => {
                    st.store.mark_sent(actor, n.id, &how).await?;
                    out.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(notification = n.id, error = %e, "delivery failed");
                    st.store.mark_failed(actor, n.id, &e).await?;
                    out.failed += 1;
                }
            }
        }
        if !progressed || out.failed > 0 {
            break;
        }
    }
    Ok(out)
}
