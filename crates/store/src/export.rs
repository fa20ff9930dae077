//! What the exports of `exray serve` read beyond the host and finding lists: an organisation's
//! TLP setting, the latest scan result of each host (rebuilt as the `ScanResult` it was), and
//! the audit record of an export. Every read takes the [`Principal`] and confines a member to
//! its organisation, as the rest of [`crate::query`] does.

use exray_core::ScanResult;
use sqlx::Row;

use crate::db::audit;
use crate::{ts, Principal, Store, StoreError, StoreResult};

/// The TLP levels an organisation's setting may take, laxest first (FIRST TLP 2.0, as
/// `exray_export::Tlp::as_str` writes them).
pub const TLP_LEVELS: &[&str] = &["clear", "green", "amber", "amber+strict", "red"];

/// The setting of a new organisation (and of every organisation before migration 7).
pub const DEFAULT_TLP: &str = "amber";

/// Most hosts whose latest scan one call of [`Store::latest_scans`] reads.
pub const SCAN_BATCH: usize = 500;

impl Store {
    /// Set the TLP level an organisation's exports are marked with at least (admin).
    pub async fn set_org_tlp(&self, actor: &str, org_id: i64, tlp: &str) -> StoreResult<()> {
        if !TLP_LEVELS.contains(&tlp) {
            return Err(StoreError::BadRequest(format!(
                "tlp {tlp:?}: expected one of {}",
                TLP_LEVELS.join(", ")
            )));
        }
        self.set_org_setting(actor, org_id, crate::orgs::OrgSetting::Tlp(tlp))
            .await
    }

    /// The latest scan result (by observation time) of each of `host_ids` that `p` may see, as
    /// `(host id, result)`: the stored detail with the host's address and name, the verdict, the
    /// time and the build assessment put back. At most [`SCAN_BATCH`] ids per call. A host of
    /// another organisation (for a member) or without a scan is left out; so is a result that no
    /// longer reads as a `ScanResult`.
    pub async fn latest_scans(
        &self,
        p: &Principal,
        host_ids: &[i64],
    ) -> StoreResult<Vec<(i64, ScanResult)>> {
        if host_ids.is_empty() {
            return Ok(Vec::new());
        }
        if host_ids.len() > SCAN_BATCH {
            return Err(StoreError::BadRequest(format!(
                "at most {SCAN_BATCH} hosts at once"
            )));
        }
        let sql = format!(
            "SELECT o.host_id, h.org_id, h.ip, h.hostname, o.observed_at, o.verdict, o.detail, a.body \
             FROM observations o JOIN hosts h ON h.id = o.host_id LEFT JOIN assessments a ON a.key = o.assessment_key \
             WHERE o.host_id IN ({}) AND o.kind = 'scan' AND o.id = (SELECT o2.id FROM observations o2 \
             WHERE o2.host_id = o.host_id AND o2.kind = 'scan' ORDER BY o2.observed_at DESC, o2.id DESC LIMIT 1) \
             ORDER BY o.host_id",
            self.backend.params(host_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in host_ids {
            q = q.bind(*id);
        }
        let mut out = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            let host_id: i64 = r.try_get(0)?;
            // The same confinement as every other read: a member sees its organisation only.
            if !p.can_see_org(r.try_get(1)?) {
                continue;
            }
            let detail: String = r.try_get(6)?;
            let mut v: serde_json::Value =
                serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null);
            let Some(map) = v.as_object_mut() else {
                continue;
            };
            let ip: Option<String> = r.try_get(2)?;
            let hostname: Option<String> = r.try_get(3)?;
            let verdict: String = r.try_get(5)?;
            map.insert("ip".into(), ip.into());
            map.insert("hostname".into(), hostname.into());
            map.insert("verdict".into(), verdict.into());
            map.insert("scanned_at".into(), ts(r.try_get(4)?).into());
            // Stored once per build (`assessments`); older rows keep it inline.
            if let Some(a) = r.try_get::<Option<String>, _>(7)? {
                map.insert(
                    "assessment".into(),
                    serde_json::from_str(&a).unwrap_or(serde_json::Value::Null),
                );
            }
            match serde_json::from_value::<ScanResult>(v) {
                Ok(res) => out.push((host_id, res)),
                Err(e) => tracing::warn!(host_id, error = %e, "stored scan result unreadable"),
            }
        }
        Ok(out)
    }

    /// Record in the audit log that `p` exported `object` (`org:N`, `host:N`); `detail` says
    /// what (format, TLP, counts).
    pub async fn record_export(
        &self,
        p: &Principal,
        object: &str,
        detail: &serde_json::Value,
    ) -> StoreResult<()> {
        let _w = self.write_guard().await;
        audit(
            &self.pool,
            &p.actor(),
            "export",
            object,
            &detail.to_string(),
        )
        .await?;
        Ok(())
    }
}
