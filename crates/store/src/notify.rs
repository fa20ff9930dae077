//! Notifications: one notice per organisation contact, rendered from an editable template with
//! the evidence each owner needs, queued → sent → acknowledged | bounced, never repeated for the
//! same host and reason within the re-notify interval.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::{audit, now};
use crate::ingest::apply_deltas;
use crate::schema::{DEFAULT_BODY, DEFAULT_HOST_BLOCK, DEFAULT_SUBJECT, DEFAULT_TEMPLATE_NAME};
use crate::{ts, Page, Principal, Store, StoreError, StoreResult};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub subject: String,
    pub body: String,
    /// Rendered once per host and joined into `{{hosts}}` of the body.
    pub host_block: String,
}

impl Template {
    pub fn builtin() -> Template {
        Template {
            name: DEFAULT_TEMPLATE_NAME.to_string(),
            subject: DEFAULT_SUBJECT.to_string(),
            body: DEFAULT_BODY.to_string(),
            host_block: DEFAULT_HOST_BLOCK.to_string(),
        }
    }
}

/// Replace `{{key}}` placeholders. Values are data, never re-expanded; control characters in
/// values are dropped (they came from scans and logs and could forge mail headers or lines).
pub fn render(tpl: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(tpl.len() + 256);
    let mut rest = tpl;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let key = after[..end].trim();
                match vars.get(key) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn clean(v: &str) -> String {
    v.chars().filter(|c| !c.is_control()).take(500).collect()
}

#[derive(Serialize, Clone, Debug)]
pub struct NotificationRow {
    pub id: i64,
    pub org_id: i64,
    pub contact_id: i64,
    pub email: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub acked_at: Option<String>,
    pub bounced_at: Option<String>,
    pub attempts: i64,
    pub error: Option<String>,
    pub hosts: Vec<i64>,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueOutcome {
    pub notifications: u64,
    pub host_items: u64,
    /// Host notices withheld because the same one was queued or sent within the interval.
    pub deduplicated: u64,
}

/// Settings for rendering notices.
#[derive(Clone, Debug)]
pub struct NoticeSettings {
    pub sender: String,
    pub base_url: String,
    pub renotify_secs: i64,
}

struct Candidate {
    id: i64,
    ip: Option<String>,
    hostname: Option<String>,
    state: String,
    verdict: Option<String>,
    build: Option<String>,
    fix: Option<String>,
}

const NOTE_COLS: &str = "id, org_id, contact_id, email, subject, body, status, created_at, sent_at, acked_at, bounced_at, attempts, error";

fn note_from(r: &sqlx::any::AnyRow) -> StoreResult<NotificationRow> {
    Ok(NotificationRow {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        contact_id: r.try_get(2)?,
        email: r.try_get(3)?,
        subject: r.try_get(4)?,
        body: r.try_get(5)?,
        status: r.try_get(6)?,
        created_at: ts(r.try_get(7)?),
        sent_at: r.try_get::<Option<i64>, _>(8)?.map(ts),
        acked_at: r.try_get::<Option<i64>, _>(9)?.map(ts),
        bounced_at: r.try_get::<Option<i64>, _>(10)?.map(ts),
        attempts: r.try_get(11)?,
        error: r.try_get(12)?,
        hosts: Vec::new(),
    })
}

impl Store {
    pub async fn get_template(&self, name: &str) -> StoreResult<Template> {
        let row =
            sqlx::query("SELECT name, subject, body, host_block FROM templates WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(r) => Ok(Template {
                name: r.try_get(0)?,
                subject: r.try_get(1)?,
                body: r.try_get(2)?,
                host_block: r.try_get(3)?,
            }),
            None if name == DEFAULT_TEMPLATE_NAME => Ok(Template::builtin()),
            None => Err(StoreError::NotFound),
        }
    }

    pub async fn put_template(&self, actor: &str, t: &Template) -> StoreResult<()> {
        if t.name.is_empty()
            || t.name.len() > 64
            || !t
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(StoreError::BadRequest(
                "template name: 1..64 of [A-Za-z0-9_-]".into(),
            ));
        }
        if t.subject.contains(['\r', '\n']) || t.subject.len() > 300 {
            return Err(StoreError::BadRequest(
                "template subject: one line, at most 300 bytes".into(),
            ));
        }
        if t.body.len() > 64 * 1024 || t.host_block.len() > 16 * 1024 {
            return Err(StoreError::BadRequest("template body too long".into()));
        }
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO templates (name, subject, body, host_block, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, body = excluded.body, host_block = excluded.host_block, updated_at = excluded.updated_at",
        )
        .bind(&t.name)
        .bind(&t.subject)
        .bind(&t.body)
        .bind(&t.host_block)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit(
            &mut *tx,
            actor,
            "template.update",
            &format!("template:{}", t.name),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queue notices for every host that needs one (vulnerable, notified but still vulnerable,
    /// compromised), one notice per contact, skipping host notices repeated within the interval.
    pub async fn queue_notifications(
        &self,
        p: &Principal,
        s: &NoticeSettings,
    ) -> StoreResult<QueueOutcome> {
        p.require_staff()?;
        let tpl = self.get_template(DEFAULT_TEMPLATE_NAME).await?;
        let rows = sqlx::query(
            "SELECT h.id, h.org_id, h.ip, h.hostname, h.state, h.scan_verdict, h.build, h.fix FROM hosts h \
             WHERE h.state IN ('vulnerable', 'notified', 'compromised') AND h.org_id IS NOT NULL ORDER BY h.org_id, h.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_org: BTreeMap<i64, Vec<Candidate>> = BTreeMap::new();
        for r in rows {
            by_org.entry(r.try_get(1)?).or_default().push(Candidate {
                id: r.try_get(0)?,
                ip: r.try_get(2)?,
                hostname: r.try_get(3)?,
                state: r.try_get(4)?,
                verdict: r.try_get(5)?,
                build: r.try_get(6)?,
                fix: r.try_get(7)?,
            });
        }
        let mut out = QueueOutcome::default();
        let t = now();
        for (org, hosts) in by_org {
            let _w = self.write_guard().await;
            let mut tx = self.pool.begin().await?;
            let org_name: String = sqlx::query("SELECT name FROM orgs WHERE id = $1")
                .bind(org)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let contacts =
                sqlx::query("SELECT id, name, email FROM contacts WHERE org_id = $1 ORDER BY id")
                    .bind(org)
                    .fetch_all(&mut *tx)
                    .await?;
            let mut evidence: HashMap<i64, String> = HashMap::new();
            for c in contacts {
                let cid: i64 = c.try_get(0)?;
                let cname: String = c.try_get(1)?;
                let email: String = c.try_get(2)?;
                let mut blocks = String::new();
                let mut items: Vec<(i64, &'static str)> = Vec::new();
                for h in &hosts {
                    let reason = if h.state == "compromised" {
                        "compromised"
                    } else {
                        "vulnerable"
                    };
                    let recent = sqlx::query(
                        "SELECT 1 FROM notification_items i JOIN notifications n ON n.id = i.notification_id \
                         WHERE i.contact_id = $1 AND i.host_id = $2 AND i.reason = $3 AND i.created_at > $4 AND n.status <> 'bounced' LIMIT 1",
                    )
                    .bind(cid)
                    .bind(h.id)
                    .bind(reason)
                    .bind(t - s.renotify_secs)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if recent.is_some() {
                        out.deduplicated += 1;
                        continue;
                    }
                    if let std::collections::hash_map::Entry::Vacant(slot) = evidence.entry(h.id) {
                        let ev = if reason == "compromised" {
                            let titles = sqlx::query("SELECT title FROM findings WHERE host_id = $1 ORDER BY id DESC LIMIT 3")
                                .bind(h.id)
                                .fetch_all(&mut *tx)
                                .await?
                                .iter()
                                .map(|r| r.try_get::<String, _>(0))
                                .collect::<Result<Vec<_>, _>>()?;
                            format!(
                                "indicators of compromise found by a hunt: {}",
                                titles.join("; ")
                            )
                        } else {
                            format!(
                                "a passive scan identified build {} as vulnerable",
                                h.build.as_deref().unwrap_or("unknown")
                            )
                        };
                        slot.insert(ev);
                    }
                    let vars: BTreeMap<&str, String> = [
                        ("host", clean(h.hostname.as_deref().or(h.ip.as_deref()).unwrap_or("?"))),
                        ("ip", clean(h.ip.as_deref().unwrap_or("unknown"))),
                        ("state", h.state.clone()),
                        ("verdict", clean(h.verdict.as_deref().unwrap_or("not scanned"))),
                        ("build", clean(h.build.as_deref().unwrap_or("unknown"))),
                        (
                            "fix",
                            clean(h.fix.as_deref().unwrap_or(
                                "the latest Cumulative Update and Security Update for your Exchange version",
                            )),
                        ),
                        ("evidence", clean(&evidence[&h.id])),
                        ("host_url", format!("{}/hosts/{}", s.base_url, h.id)),
                    ]
                    .into_iter()
                    .collect();
                    blocks.push_str(&render(&tpl.host_block, &vars));
                    items.push((h.id, reason));
                }
                if items.is_empty() {
                    continue;
                }
                let vars: BTreeMap<&str, String> = [
                    ("org", clean(&org_name)),
                    (
                        "contact",
                        clean(if cname.is_empty() { &email } else { &cname }),
                    ),
                    ("sender", clean(&s.sender)),
                    ("base_url", clean(&s.base_url)),
                    ("count", items.len().to_string()),
                    ("hosts", blocks),
                ]
                .into_iter()
                .collect();
                let subject = clean(&render(&tpl.subject, &vars));
                let body = render(&tpl.body, &vars);
                let nid: i64 = sqlx::query(
                    "INSERT INTO notifications (org_id, contact_id, email, subject, body, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'queued', $6) RETURNING id",
                )
                .bind(org)
                .bind(cid)
                .bind(&email)
                .bind(&subject)
                .bind(&body)
                .bind(t)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                for (hid, reason) in &items {
                    sqlx::query(
                        "INSERT INTO notification_items (notification_id, contact_id, host_id, reason, created_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(nid)
                    .bind(cid)
                    .bind(*hid)
                    .bind(*reason)
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
                }
                audit(
                    &mut *tx,
                    &p.actor(),
                    "notification.queue",
                    &format!("notification:{nid}"),
                    &format!("org:{org} hosts={}", items.len()),
                )
                .await?;
                out.notifications += 1;
                out.host_items += items.len() as u64;
            }
            tx.commit().await?;
        }
        Ok(out)
    }

    pub async fn list_notifications(
        &self,
        p: &Principal,
        status: Option<&str>,
        page: Page,
    ) -> StoreResult<Vec<NotificationRow>> {
        let scope = p.scope().unwrap_or(-1);
        let status = status.unwrap_or("");
        let sql = match (scope >= 0, status.is_empty()) {
            (true, true) => format!("SELECT {NOTE_COLS} FROM notifications WHERE org_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"),
            (true, false) => format!(
                "SELECT {NOTE_COLS} FROM notifications WHERE org_id = $1 AND status = $4 ORDER BY id DESC LIMIT $2 OFFSET $3"
            ),
            (false, true) => format!("SELECT {NOTE_COLS} FROM notifications WHERE $1 < 0 ORDER BY id DESC LIMIT $2 OFFSET $3"),
            (false, false) => format!(
                "SELECT {NOTE_COLS} FROM notifications WHERE $1 < 0 AND status = $4 ORDER BY id DESC LIMIT $2 OFFSET $3"
            ),
        };
        let mut q = sqlx::query(&sql)
            .bind(scope)
            .bind(page.limit)
            .bind(page.offset);
        if !status.is_empty() {
            q = q.bind(status);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(note_from)
            .collect()
    }

    pub async fn get_notification(&self, p: &Principal, id: i64) -> StoreResult<NotificationRow> {
        let r = sqlx::query(&format!(
            "SELECT {NOTE_COLS} FROM notifications WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut n = note_from(&r)?;
        if !p.can_see_org(Some(n.org_id)) {
            return Err(StoreError::NotFound);
        }
        n.hosts = sqlx::query(
            "SELECT host_id FROM notification_items WHERE notification_id = $1 ORDER BY host_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
        Ok(n)
    }

    /// Queued notices for the delivery loop, oldest first.
    pub async fn queued_notifications(&self, limit: i64) -> StoreResult<Vec<NotificationRow>> {
        self.deliverable_notifications(limit, i64::MAX).await
    }

    /// Notices to deliver, oldest first: queued ones, and those left in `sending` for longer
    /// than `lease_secs` (their worker crashed between claim and send).
    pub async fn deliverable_notifications(
        &self,
        limit: i64,
        lease_secs: i64,
    ) -> StoreResult<Vec<NotificationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTE_COLS} FROM notifications WHERE status = 'queued' \
             OR (status = 'sending' AND COALESCE(claimed_at, 0) < $2) ORDER BY id LIMIT $1"
        ))
        .bind(limit)
        .bind(now().saturating_sub(lease_secs))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(note_from).collect()
    }

    /// Claim a queued notice for delivery (queued → sending), so that two instances never send
    /// the same notice. Returns false when another worker claimed it first.
    pub async fn claim_notification(&self, id: i64) -> StoreResult<bool> {
        self.claim_notification_leased(id, i64::MAX).await
    }

    /// [`Store::claim_notification`], also taking over a notice whose claim is older than
    /// `lease_secs`: a crash between claim and send leaves it in `sending`, and it is retried.
    pub async fn claim_notification_leased(&self, id: i64, lease_secs: i64) -> StoreResult<bool> {
        let _w = self.write_guard().await;
        let t = now();
        let n = sqlx::query(
            "UPDATE notifications SET status = 'sending', claimed_at = $2 WHERE id = $1 \
             AND (status = 'queued' OR (status = 'sending' AND COALESCE(claimed_at, 0) < $3))",
        )
        .bind(id)
        .bind(t)
        .bind(t.saturating_sub(lease_secs))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Delivery succeeded: mark sent and move each host to `notified` (with the notice as cause).
    pub async fn mark_sent(&self, actor: &str, id: i64, how: &str) -> StoreResult<()> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE notifications SET status = 'sent', sent_at = $1, attempts = attempts + 1, error = NULL WHERE id = $2 AND status IN ('queued', 'sending')")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "notification {id} is not queued"
            )));
        }
        let hosts: Vec<i64> = sqlx::query(
            "SELECT host_id FROM notification_items WHERE notification_id = $1 ORDER BY host_id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
        let mut deltas = BTreeMap::new();
        for h in hosts {
            self.host_notified(&mut tx, h, id, actor, &mut deltas)
                .await?;
        }
        apply_deltas(
            &mut tx,
            &deltas,
            &chrono::Utc::now().format("%Y-%m-%d").to_string(),
        )
        .await?;
        audit(
            &mut *tx,
            actor,
            "notification.sent",
            &format!("notification:{id}"),
            how,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Delivery failed: back to the queue, with the error recorded.
    pub async fn mark_failed(&self, actor: &str, id: i64, error: &str) -> StoreResult<()> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE notifications SET status = 'queued', attempts = attempts + 1, error = $1 WHERE id = $2 AND status IN ('queued', 'sending')")
            .bind(clean(error))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut *tx,
            actor,
            "notification.failed",
            &format!("notification:{id}"),
            &clean(error),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The owner acknowledged (staff, or a member of the notified organisation).
    pub async fn ack_notification(&self, p: &Principal, id: i64) -> StoreResult<()> {
        self.set_final(p, id, "acknowledged", "acked_at", &["sent"])
            .await
    }

    /// The relay or the recipient bounced it (staff only).
    pub async fn bounce_notification(&self, p: &Principal, id: i64) -> StoreResult<()> {
        p.require_staff()?;
        self.set_final(p, id, "bounced", "bounced_at", &["queued", "sent"])
            .await
    }

    async fn set_final(
        &self,
        p: &Principal,
        id: i64,
        status: &str,
        col: &str,
        from: &[&str],
    ) -> StoreResult<()> {
        let n = self.get_notification(p, id).await?;
        if !from.contains(&n.status.as_str()) {
            return Err(StoreError::Conflict(format!(
                "notification {id} is {}, cannot become {status}",
                n.status
            )));
        }
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(&format!(
            "UPDATE notifications SET status = $1, {col} = $2 WHERE id = $3 AND status = $4"
        ))
        .bind(status)
        .bind(now())
        .bind(id)
        .bind(&n.status)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict(format!(
                "notification {id} changed concurrently"
            )));
        }
        audit(
            &mut *tx,
            &p.actor(),
            &format!("notification.{status}"),
            &format!("notification:{id}"),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_substitutes_once_and_keeps_unknown() {
        let vars: BTreeMap<&str, String> =
            [("host", "{{org}}".to_string()), ("org", "ACME".to_string())]
                .into_iter()
                .collect();
        assert_eq!(
            render("a {{host}} b {{ org }} {{nope}} {{", &vars),
            "a {{org}} b ACME {{nope}} {{"
        );
        assert_eq!(
            clean("x\r\nBcc: evil@example.org"),
            "xBcc: evil@example.org"
        );
    }
}
