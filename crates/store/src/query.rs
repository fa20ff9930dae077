//! Read side: the funnel and its trend, hosts, findings with evidence, the audit log.
//! Every query is scoped by the principal: organisation members see only their organisation.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::Backend;
use crate::state::{HostState, ALL_STATES, FUNNEL};
use crate::{ts, Page, Principal, Store, StoreError, StoreResult};

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct FunnelStage {
    pub stage: String,
    /// Hosts that ever reached this stage.
    pub reached: i64,
    /// Hosts currently in this state.
    pub current: i64,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Funnel {
    pub org_id: Option<i64>,
    pub hosts: i64,
    pub stages: Vec<FunnelStage>,
    /// Current count of every state, `clean` included.
    pub states: BTreeMap<String, i64>,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TrendPoint {
    pub day: String,
    /// Hosts that had reached each funnel stage by the end of the day.
    pub reached: BTreeMap<String, i64>,
}

#[derive(Serialize, Clone, Debug, Default)]
pub struct HostFilter {
    pub org_id: Option<i64>,
    pub state: Option<String>,
    /// Exact IP or hostname.
    pub q: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct HostRow {
    pub id: i64,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub ip: Option<String>,
    pub hostname: Option<String>,
    pub state: String,
    pub build: Option<String>,
    pub scan_verdict: Option<String>,
    pub hunt_verdict: Option<String>,
    pub fix: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub state_since: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct TransitionRow {
    pub at: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub cause: String,
    pub reopened: bool,
    pub report_id: Option<String>,
    pub notification_id: Option<i64>,
    pub actor: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct ObservationRow {
    pub observed_at: String,
    pub kind: String,
    pub verdict: String,
    pub build: Option<String>,
    pub report_id: String,
    pub detail: serde_json::Value,
}

#[derive(Serialize, Clone, Debug)]
pub struct FindingRow {
    pub id: i64,
    pub host_id: i64,
    pub host: String,
    pub org_id: Option<i64>,
    pub rule_id: String,
    pub title: String,
    pub family: String,
    pub stage: String,
    pub severity: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub count: i64,
    pub received_at: String,
    /// The finding as reported, evidence included.
    pub finding: serde_json::Value,
}

#[derive(Serialize, Clone, Debug)]
pub struct HostDetail {
    pub host: HostRow,
    pub transitions: Vec<TransitionRow>,
    pub observations: Vec<ObservationRow>,
    pub findings: Vec<FindingRow>,
}

#[derive(Serialize, Clone, Debug, Default)]
pub struct FindingFilter {
    pub org_id: Option<i64>,
    pub host_id: Option<i64>,
    pub severity: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

const HOST_SELECT: &str = "SELECT h.id, h.org_id, o.name, h.ip, h.hostname, h.state, h.build, h.scan_verdict, h.hunt_verdict, \
     h.fix, h.first_seen, h.last_seen, h.state_since FROM hosts h LEFT JOIN orgs o ON o.id = h.org_id";

fn host_from(r: &AnyRow) -> StoreResult<HostRow> {
    Ok(HostRow {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        org_name: r.try_get(2)?,
        ip: r.try_get(3)?,
        hostname: r.try_get(4)?,
        state: r.try_get(5)?,
        build: r.try_get(6)?,
        scan_verdict: r.try_get(7)?,
        hunt_verdict: r.try_get(8)?,
        fix: r.try_get(9)?,
        first_seen: ts(r.try_get(10)?),
        last_seen: ts(r.try_get(11)?),
        state_since: ts(r.try_get(12)?),
    })
}

const FINDING_SELECT: &str = "SELECT f.id, f.host_id, COALESCE(h.hostname, h.ip, ''), h.org_id, f.rule_id, f.title, f.family, \
     f.stage, f.severity, f.first_seen, f.last_seen, f.count, f.created_at, f.body FROM findings f JOIN hosts h ON h.id = f.host_id";

fn finding_from(r: &AnyRow) -> StoreResult<FindingRow> {
    let body: String = r.try_get(13)?;
    Ok(FindingRow {
        id: r.try_get(0)?,
        host_id: r.try_get(1)?,
        host: r.try_get(2)?,
        org_id: r.try_get(3)?,
        rule_id: r.try_get(4)?,
        title: r.try_get(5)?,
        family: r.try_get(6)?,
        stage: r.try_get(7)?,
        severity: r.try_get(8)?,
        first_seen: r.try_get::<Option<i64>, _>(9)?.map(ts),
        last_seen: r.try_get::<Option<i64>, _>(10)?.map(ts),
        count: r.try_get(11)?,
        received_at: ts(r.try_get(12)?),
        finding: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    })
}

/// A query with numbered parameters assembled from optional filters.
struct Built {
    sql: String,
    ints: Vec<(usize, i64)>,
    strs: Vec<(usize, String)>,
    n: usize,
}

impl Built {
    fn new(base: &str) -> Built {
        Built {
            sql: base.to_string(),
            ints: vec![],
            strs: vec![],
            n: 0,
        }
    }
    fn cond(&mut self, c: &str) {
        self.sql.push_str(if self.sql.contains(" WHERE ") {
            " AND "
        } else {
            " WHERE "
        });
        self.sql.push_str(c);
    }
    fn int(&mut self, c: &str, v: i64) {
        self.n += 1;
        self.cond(&c.replace('?', &format!("${}", self.n)));
        self.ints.push((self.n, v));
    }
    fn str(&mut self, c: &str, v: String) {
        self.n += 1;
        self.cond(&c.replace('?', &format!("${}", self.n)));
        self.strs.push((self.n, v));
    }
    fn tail(&mut self, order: &str, page: Page) {
        self.sql.push_str(&format!(
            " ORDER BY {order} LIMIT {} OFFSET {}",
            page.limit, page.offset
        ));
    }
    async fn fetch(self, pool: &sqlx::AnyPool) -> StoreResult<Vec<AnyRow>> {
        let mut q = sqlx::query(&self.sql);
        for i in 1..=self.n {
            if let Some((_, v)) = self.ints.iter().find(|(k, _)| *k == i) {
                q = q.bind(*v);
            } else if let Some((_, v)) = self.strs.iter().find(|(k, _)| *k == i) {
                q = q.bind(v.clone());
            }
        }
        Ok(q.fetch_all(pool).await?)
    }
}

impl Store {
    /// The funnel, global (from the maintained counters) or for one organisation.
    pub async fn funnel(&self, p: &Principal, org: Option<i64>) -> StoreResult<Funnel> {
        let org = p.scope().or(org);
        let mut states: BTreeMap<String, i64> = ALL_STATES
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        let mut reached: BTreeMap<String, i64> = states.clone();
        match org {
            None => {
                for r in sqlx::query("SELECT metric, n FROM counters")
                    .fetch_all(&self.pool)
                    .await?
                {
                    let m: String = r.try_get(0)?;
                    let n: i64 = r.try_get(1)?;
                    if let Some(s) = m.strip_prefix("state:") {
                        states.insert(s.to_string(), n);
                    } else if let Some(s) = m.strip_prefix("reached:") {
                        reached.insert(s.to_string(), n);
                    }
                }
            }
            Some(o) => {
                let rows = sqlx::query("SELECT state, reached FROM hosts WHERE org_id = $1")
                    .bind(o)
                    .fetch_all(&self.pool)
                    .await?;
                for r in rows {
                    let st: String = r.try_get(0)?;
                    let bits: i64 = r.try_get(1)?;
                    *states.entry(st).or_default() += 1;
                    for s in ALL_STATES {
                        if bits & s.bit() != 0 {
                            *reached.entry(s.as_str().to_string()).or_default() += 1;
                        }
                    }
                }
            }
        }
        let hosts = states.values().sum();
        let stages = FUNNEL
            .iter()
            .map(|s| FunnelStage {
                stage: s.as_str().to_string(),
                reached: reached.get(s.as_str()).copied().unwrap_or(0),
                current: states.get(s.as_str()).copied().unwrap_or(0),
            })
            .collect();
        Ok(Funnel {
            org_id: org,
            hosts,
            stages,
            states,
        })
    }

    /// The daily trend of the global funnel (staff only), the last `days` days with data.
    pub async fn trend(&self, p: &Principal, days: i64) -> StoreResult<Vec<TrendPoint>> {
        p.require_staff()?;
        let rows = sqlx::query(
            "SELECT day, metric, n FROM funnel_daily WHERE day IN (SELECT DISTINCT day FROM funnel_daily ORDER BY day DESC LIMIT $1) \
             AND metric LIKE 'reached:%' ORDER BY day",
        )
        .bind(days.clamp(1, 3660))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<TrendPoint> = Vec::new();
        for r in rows {
            let day: String = r.try_get(0)?;
            let m: String = r.try_get(1)?;
            let n: i64 = r.try_get(2)?;
            if out.last().map(|t| t.day != day).unwrap_or(true) {
                out.push(TrendPoint {
                    day: day.clone(),
                    reached: BTreeMap::new(),
                });
            }
            if let (Some(last), Some(s)) = (out.last_mut(), m.strip_prefix("reached:")) {
                if FUNNEL.iter().any(|f| f.as_str() == s) {
                    last.reached.insert(s.to_string(), n);
                }
            }
        }
        Ok(out)
    }

    pub async fn list_hosts(
        &self,
        p: &Principal,
        f: &HostFilter,
        page: Page,
    ) -> StoreResult<Vec<HostRow>> {
        let mut b = Built::new(HOST_SELECT);
        if let Some(o) = p.scope().or(f.org_id) {
            b.int("h.org_id = ?", o);
        }
        if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
            let st = HostState::parse(s)
                .ok_or_else(|| StoreError::BadRequest(format!("unknown state {s:?}")))?;
            b.str("h.state = ?", st.as_str().to_string());
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            if q.parse::<std::net::IpAddr>().is_ok() {
                b.str("h.ip = ?", q.to_string());
            } else {
                b.str("h.hostname_key = ?", q.to_ascii_lowercase());
            }
        }
        b.tail("h.id", page);
        b.fetch(&self.pool).await?.iter().map(host_from).collect()
    }

    pub async fn get_host(&self, p: &Principal, id: i64) -> StoreResult<HostRow> {
        let r = sqlx::query(&format!("{HOST_SELECT} WHERE h.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let h = host_from(&r)?;
        if !p.can_see_org(h.org_id) {
            return Err(StoreError::NotFound);
        }
        Ok(h)
    }

    pub async fn host_detail(&self, p: &Principal, id: i64) -> StoreResult<HostDetail> {
        let host = self.get_host(p, id).await?;
        let transitions = sqlx::query(
            "SELECT t.at, t.from_state, t.to_state, t.cause, t.reopened, r.report_id, t.notification_id, t.actor \
             FROM transitions t LEFT JOIN reports r ON r.id = t.report_id WHERE t.host_id = $1 ORDER BY t.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(TransitionRow {
                at: ts(r.try_get(0)?),
                from_state: r.try_get(1)?,
                to_state: r.try_get(2)?,
                cause: r.try_get(3)?,
                reopened: r.try_get::<i64, _>(4)? != 0,
                report_id: r.try_get(5)?,
                notification_id: r.try_get(6)?,
                actor: r.try_get(7)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let observations = sqlx::query(
            "SELECT o.observed_at, o.kind, o.verdict, o.build, r.report_id, o.detail, a.body FROM observations o \
             JOIN reports r ON r.id = o.report_id LEFT JOIN assessments a ON a.key = o.assessment_key \
             WHERE o.host_id = $1 ORDER BY o.observed_at DESC, o.id DESC LIMIT 60",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let d: String = r.try_get(5)?;
            let mut detail = serde_json::from_str(&d).unwrap_or(serde_json::Value::Null);
            // A scan's assessment is stored once per build (`assessments`): put it back (null
            // when the scan had none, as details stored before kept it).
            let kind: String = r.try_get(1)?;
            if let (true, Some(map)) = (kind == "scan", detail.as_object_mut()) {
                if let Some(a) = r.try_get::<Option<String>, _>(6)? {
                    map.insert(
                        "assessment".into(),
                        serde_json::from_str(&a).unwrap_or(serde_json::Value::Null),
                    );
                } else {
                    map.entry("assessment").or_insert(serde_json::Value::Null);
                }
            }
            Ok(ObservationRow {
                observed_at: ts(r.try_get(0)?),
                kind: r.try_get(1)?,
                verdict: r.try_get(2)?,
                build: r.try_get(3)?,
                report_id: r.try_get(4)?,
                detail,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let findings = self
            .list_findings(
                p,
                &FindingFilter {
                    host_id: Some(id),
                    ..Default::default()
                },
                Page::new(Some(200), None),
            )
            .await?;
        Ok(HostDetail {
            host,
            transitions,
            observations,
            findings,
        })
    }

    pub async fn list_findings(
        &self,
        p: &Principal,
        f: &FindingFilter,
        page: Page,
    ) -> StoreResult<Vec<FindingRow>> {
        let mut b = Built::new(FINDING_SELECT);
        if let Some(o) = p.scope().or(f.org_id) {
            b.int("h.org_id = ?", o);
        }
        if let Some(h) = f.host_id {
            b.int("f.host_id = ?", h);
        }
        if let Some(s) = f.severity.as_deref().filter(|s| !s.is_empty()) {
            b.str("f.severity = ?", s.to_string());
        }
        b.tail("f.id DESC", page);
        b.fetch(&self.pool)
            .await?
            .iter()
            .map(finding_from)
            .collect()
    }

    pub async fn list_audit(&self, p: &Principal, page: Page) -> StoreResult<Vec<AuditRow>> {
        p.require_admin()?;
        // On SQLite the login events live in the `logins` file (ids from 2^52 on): both are
        // listed together, newest first.
        let sql = match self.backend {
            Backend::Postgres => "SELECT id, at, actor, action, object, detail FROM audit ORDER BY id DESC LIMIT $1 OFFSET $2",
            Backend::Sqlite => "SELECT id, at, actor, action, object, detail FROM (SELECT id, at, actor, action, object, detail FROM main.audit UNION ALL SELECT id, at, actor, action, object, detail FROM logins.audit) ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2",
        };
        let rows = sqlx::query(sql)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get(0)?,
                    at: ts(r.try_get(1)?),
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    object: r.try_get(4)?,
                    detail: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Whether a report id is stored (used by the kill test and by clients that want to check).
    pub async fn has_report(&self, report_id: &str) -> StoreResult<bool> {
        Ok(sqlx::query("SELECT id FROM reports WHERE report_id = $1")
            .bind(report_id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    pub async fn count(&self, table: &str) -> StoreResult<i64> {
        const TABLES: &[&str] = &[
            "orgs",
            "hosts",
            "reports",
            "findings",
            "observations",
            "transitions",
            "notifications",
            "audit",
            "networks",
        ];
        if !TABLES.contains(&table) {
            return Err(StoreError::BadRequest(format!("unknown table {table:?}")));
        }
        Ok(sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }
}
