//! What the verification rounds of `exray serve --verify-every` read and write in the store:
//! the hosts awaiting verification with where they were last scanned, the per-organisation
//! opt-out, and the round's audit rows. The results themselves are ingested as an ordinary scan
//! report ([`Store::ingest`]), so the state machine and tenancy stay one code path.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::now;
use crate::state::AWAITING_VERIFICATION;
use crate::{Store, StoreError, StoreResult};

/// A host a verification round may probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyCandidate {
    pub host_id: i64,
    pub org_id: Option<i64>,
    pub ip: Option<String>,
    pub hostname: Option<String>,
    /// The target of the host's latest scan observation (`https://192.0.2.7:443/`), when it
    /// had one: its scheme and port are probed again.
    pub last_target: Option<String>,
    pub last_port: Option<u16>,
    /// Its organisation opted out of verification: not to be probed.
    pub opted_out: bool,
}

/// One audit row written by the service itself.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub action: String,
    pub object: String,
    pub detail: String,
}

#[derive(Deserialize)]
struct LastScan {
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    port: Option<u16>,
}

impl Store {
    /// Every host in a state awaiting verification ([`AWAITING_VERIFICATION`]), in id order, with
    /// its latest scan target and whether its organisation opted out.
    pub async fn verify_candidates(&self) -> StoreResult<Vec<VerifyCandidate>> {
        let mut out = Vec::new();
        for state in AWAITING_VERIFICATION {
            let rows = sqlx::query(
                "SELECT h.id, h.org_id, h.ip, h.hostname, COALESCE(o.verify_opt_out, 0), \
                 (SELECT ob.detail FROM observations ob WHERE ob.host_id = h.id AND ob.kind = 'scan' \
                  ORDER BY ob.observed_at DESC, ob.id DESC LIMIT 1) \
                 FROM hosts h LEFT JOIN orgs o ON o.id = h.org_id WHERE h.state = $1 ORDER BY h.id",
            )
            .bind(state.as_str())
            .fetch_all(&self.pool)
            .await?;
            for row in rows {
                let detail: Option<String> = row.try_get(5)?;
                let last = detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<LastScan>(d).ok());
                let opt_out: i64 = row.try_get(4)?;
                out.push(VerifyCandidate {
                    host_id: row.try_get(0)?,
                    org_id: row.try_get(1)?,
                    ip: row.try_get(2)?,
                    hostname: row.try_get(3)?,
                    last_target: last.as_ref().and_then(|l| l.target.clone()),
                    last_port: last.as_ref().and_then(|l| l.port),
                    opted_out: opt_out != 0,
                });
            }
        }
        Ok(out)
    }

    /// Opt an organisation out of (or back into) the verification rounds. Admin decision,
    /// audited as `org.verify_opt_out`.
    pub async fn set_verify_opt_out(
        &self,
        actor: &str,
        org_id: i64,
        opt_out: bool,
    ) -> StoreResult<()> {
        self.set_org_setting(
            actor,
            org_id,
            crate::orgs::OrgSetting::VerifyOptOut(opt_out),
        )
        .await
    }

    /// Whether an organisation opted out of verification.
    pub async fn verify_opt_out(&self, org_id: i64) -> StoreResult<bool> {
        let row = sqlx::query("SELECT verify_opt_out FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let v: i64 = row.try_get(0)?;
        Ok(v != 0)
    }

    /// Write audit rows of a background task in one transaction (multi-row statements of 400).
    pub async fn audit_system(&self, actor: &str, entries: &[AuditEntry]) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let at = now();
        for chunk in entries.chunks(400) {
            let sql = format!(
                "INSERT INTO audit (at, actor, action, object, detail) VALUES {}",
                self.backend.values(&["", "", "", "", ""], chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(at)
                    .bind(actor)
                    .bind(e.action.as_str())
                    .bind(e.object.as_str())
                    .bind(e.detail.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
