//! Organisations, their contacts and their networks; the attribution index.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::attrib::{parse_asn, parse_domain, Attribution, Cidr};
use crate::db::{audit, now};
use crate::{Page, Principal, Store, StoreError, StoreResult};

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct NewOrg {
    pub name: String,
    #[serde(default)]
    pub sector: String,
    #[serde(default)]
    pub country: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub sector: String,
    pub country: String,
    pub hosts: i64,
    /// The TLP level its exports are marked with at least (default `amber`).
    pub tlp: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct NewNetwork {
    /// `cidr`, `asn` or `domain`.
    pub kind: String,
    pub value: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct NetworkRow {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub value: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct NewContact {
    #[serde(default)]
    pub name: String,
    pub email: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct ContactRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub email: String,
}

fn check_text(field: &str, v: &str, max: usize, required: bool) -> StoreResult<()> {
    if required && v.trim().is_empty() {
        return Err(StoreError::BadRequest(format!("{field} is required")));
    }
    if v.len() > max || v.chars().any(|c| c.is_control()) {
        return Err(StoreError::BadRequest(format!(
            "{field} must be at most {max} bytes without control characters"
        )));
    }
    Ok(())
}

/// A minimal address check: one `@`, a dotted domain, no spaces or header-breaking characters.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && e.len() <= 254
        && !e.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        })
        && parse_domain(domain).is_ok()
}

/// One admin setting of an organisation, a column of `orgs` (`export`: the TLP level, `verify`:
/// the verification opt-out).
pub(crate) enum OrgSetting<'a> {
    Tlp(&'a str),
    VerifyOptOut(bool),
}

impl Store {
    /// Set one organisation setting, audited as `org.tlp` / `org.verify_opt_out`; NotFound for
    /// an unknown organisation.
    pub(crate) async fn set_org_setting(
        &self,
        actor: &str,
        org_id: i64,
        setting: OrgSetting<'_>,
    ) -> StoreResult<()> {
        let (sql, action, detail) = match setting {
            OrgSetting::Tlp(t) => (
                "UPDATE orgs SET tlp = $1 WHERE id = $2",
                "org.tlp",
                serde_json::json!({ "tlp": t }).to_string(),
            ),
            OrgSetting::VerifyOptOut(o) => (
                "UPDATE orgs SET verify_opt_out = $1 WHERE id = $2",
                "org.verify_opt_out",
                format!("opt_out={o}"),
            ),
        };
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let q = sqlx::query(sql);
        let q = match setting {
            OrgSetting::Tlp(t) => q.bind(t.to_string()),
            OrgSetting::VerifyOptOut(o) => q.bind(i64::from(o)),
        };
        let n = q.bind(org_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit(&mut *tx, actor, action, &format!("org:{org_id}"), &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_org(&self, actor: &str, o: &NewOrg) -> StoreResult<OrgRow> {
        check_text("name", &o.name, 200, true)?;
        check_text("sector", &o.sector, 100, false)?;
        check_text("country", &o.country, 64, false)?;
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT id FROM orgs WHERE name = $1")
            .bind(&o.name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "an organisation named {:?} exists",
                o.name
            )));
        }
        let id: i64 = sqlx::query("INSERT INTO orgs (name, sector, country, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(&o.name)
            .bind(&o.sector)
            .bind(&o.country)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        audit(
            &mut *tx,
            actor,
            "org.create",
            &format!("org:{id}"),
            &serde_json::to_string(o).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(OrgRow {
            id,
            name: o.name.clone(),
            sector: o.sector.clone(),
            country: o.country.clone(),
            hosts: 0,
            tlp: crate::export::DEFAULT_TLP.to_string(),
        })
    }

    pub async fn update_org(&self, actor: &str, id: i64, o: &NewOrg) -> StoreResult<()> {
        check_text("name", &o.name, 200, true)?;
        check_text("sector", &o.sector, 100, false)?;
        check_text("country", &o.country, 64, false)?;
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let clash = sqlx::query("SELECT id FROM orgs WHERE name = $1 AND id <> $2")
            .bind(&o.name)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if clash.is_some() {
            return Err(StoreError::Conflict(format!(
                "an organisation named {:?} exists",
                o.name
            )));
        }
        let n = sqlx::query("UPDATE orgs SET name = $1, sector = $2, country = $3 WHERE id = $4")
            .bind(&o.name)
            .bind(&o.sector)
            .bind(&o.country)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit(
            &mut *tx,
            actor,
            "org.update",
            &format!("org:{id}"),
            &serde_json::to_string(o).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_org(&self, actor: &str, id: i64) -> StoreResult<()> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM orgs WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        bump_networks_version(&mut tx).await?;
        audit(&mut *tx, actor, "org.delete", &format!("org:{id}"), "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Organisations visible to `p`, filtered by a name substring.
    pub async fn list_orgs(
        &self,
        p: &Principal,
        q: Option<&str>,
        page: Page,
    ) -> StoreResult<Vec<OrgRow>> {
        let pattern = format!(
            "%{}%",
            q.unwrap_or("")
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.sector, o.country, o.tlp FROM orgs o \
             WHERE ($1 < 0 OR o.id = $1) AND LOWER(o.name) LIKE $2 ESCAPE '\\' ORDER BY o.name LIMIT $3 OFFSET $4",
        )
        .bind(p.scope().unwrap_or(-1))
        .bind(pattern)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get(0)?;
            out.push(OrgRow {
                id,
                name: r.try_get(1)?,
                sector: r.try_get(2)?,
                country: r.try_get(3)?,
                hosts: 0,
                tlp: r.try_get(4)?,
            });
        }
        // Host counts per listed org (one indexed query each page, not a scan of all hosts).
        for o in &mut out {
            o.hosts = sqlx::query("SELECT COUNT(*) FROM hosts WHERE org_id = $1")
                .bind(o.id)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        }
        Ok(out)
    }

    pub async fn get_org(&self, p: &Principal, id: i64) -> StoreResult<OrgRow> {
        if !p.can_see_org(Some(id)) {
            return Err(StoreError::NotFound);
        }
        let r = sqlx::query("SELECT id, name, sector, country, tlp FROM orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let hosts: i64 = sqlx::query("SELECT COUNT(*) FROM hosts WHERE org_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(OrgRow {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            sector: r.try_get(2)?,
            country: r.try_get(3)?,
            hosts,
            tlp: r.try_get(4)?,
        })
    }

    pub async fn add_network(
        &self,
        actor: &str,
        org_id: i64,
        n: &NewNetwork,
    ) -> StoreResult<NetworkRow> {
        let value = match n.kind.as_str() {
            "cidr" => Cidr::parse(&n.value)
                .map_err(StoreError::BadRequest)?
                .to_string(),
            "asn" => parse_asn(&n.value).map_err(StoreError::BadRequest)?,
            "domain" => parse_domain(&n.value).map_err(StoreError::BadRequest)?,
            k => {
                return Err(StoreError::BadRequest(format!(
                    "network kind must be cidr, asn or domain, not {k:?}"
                )))
            }
        };
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        if sqlx::query("SELECT id FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let owner = sqlx::query("SELECT org_id FROM networks WHERE kind = $1 AND value = $2")
            .bind(&n.kind)
            .bind(&value)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(o) = owner {
            let o: i64 = o.try_get(0)?;
            return Err(StoreError::Conflict(format!(
                "{} {value} is already registered to organisation {o}",
                n.kind
            )));
        }
        let id: i64 =
            sqlx::query("INSERT INTO networks (org_id, kind, value, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(org_id)
                .bind(&n.kind)
                .bind(&value)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        bump_networks_version(&mut tx).await?;
        audit(
            &mut *tx,
            actor,
            "network.create",
            &format!("org:{org_id}"),
            &format!("{} {value}", n.kind),
        )
        .await?;
        tx.commit().await?;
        Ok(NetworkRow {
            id,
            org_id,
            kind: n.kind.clone(),
            value,
        })
    }

    /// Many organisations in one transaction (bulk registration); returns their ids in order.
    pub async fn create_orgs_bulk(&self, actor: &str, orgs: &[NewOrg]) -> StoreResult<Vec<i64>> {
        for o in orgs {
            check_text("name", &o.name, 200, true)?;
            check_text("sector", &o.sector, 100, false)?;
            check_text("country", &o.country, 64, false)?;
        }
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(orgs.len());
        let t = now();
        for o in orgs {
            let id: i64 = sqlx::query("INSERT INTO orgs (name, sector, country, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(&o.name)
                .bind(&o.sector)
                .bind(&o.country)
                .bind(t)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            ids.push(id);
        }
        audit(
            &mut *tx,
            actor,
            "org.bulk_create",
            "orgs",
            &format!("{} organisations", orgs.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Many networks in one transaction (bulk registration, the benchmark's 100,000 orgs).
    pub async fn add_networks_bulk(
        &self,
        actor: &str,
        items: &[(i64, NewNetwork)],
    ) -> StoreResult<usize> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        for (org_id, n) in items {
            let value = match n.kind.as_str() {
                "cidr" => Cidr::parse(&n.value)
                    .map_err(StoreError::BadRequest)?
                    .to_string(),
                "asn" => parse_asn(&n.value).map_err(StoreError::BadRequest)?,
                "domain" => parse_domain(&n.value).map_err(StoreError::BadRequest)?,
                k => {
                    return Err(StoreError::BadRequest(format!(
                        "network kind must be cidr, asn or domain, not {k:?}"
                    )))
                }
            };
            sqlx::query(
                "INSERT INTO networks (org_id, kind, value, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(*org_id)
            .bind(&n.kind)
            .bind(&value)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        bump_networks_version(&mut tx).await?;
        audit(
            &mut *tx,
            actor,
            "network.bulk_create",
            "networks",
            &format!("{} networks", items.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(items.len())
    }

    pub async fn delete_network(&self, actor: &str, id: i64) -> StoreResult<()> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM networks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        bump_networks_version(&mut tx).await?;
        audit(
            &mut *tx,
            actor,
            "network.delete",
            &format!("network:{id}"),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_networks(&self, org_id: i64) -> StoreResult<Vec<NetworkRow>> {
        let rows = sqlx::query(
            "SELECT id, org_id, kind, value FROM networks WHERE org_id = $1 ORDER BY kind, value",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NetworkRow {
                    id: r.try_get(0)?,
                    org_id: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    value: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub async fn add_contact(
        &self,
        actor: &str,
        org_id: i64,
        c: &NewContact,
    ) -> StoreResult<ContactRow> {
        check_text("name", &c.name, 200, false)?;
        if !valid_email(&c.email) {
            return Err(StoreError::BadRequest(format!(
                "not a usable e-mail address: {:?}",
                c.email
            )));
        }
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        if sqlx::query("SELECT id FROM orgs WHERE id = $1")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let id: i64 =
            sqlx::query("INSERT INTO contacts (org_id, name, email, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(org_id)
                .bind(&c.name)
                .bind(&c.email)
                .bind(now())
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        audit(
            &mut *tx,
            actor,
            "contact.create",
            &format!("org:{org_id}"),
            &format!("contact:{id} {}", c.email),
        )
        .await?;
        tx.commit().await?;
        Ok(ContactRow {
            id,
            org_id,
            name: c.name.clone(),
            email: c.email.clone(),
        })
    }

    pub async fn delete_contact(&self, actor: &str, id: i64) -> StoreResult<()> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM contacts WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit(
            &mut *tx,
            actor,
            "contact.delete",
            &format!("contact:{id}"),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_contacts(&self, org_id: i64) -> StoreResult<Vec<ContactRow>> {
        let rows = sqlx::query(
            "SELECT id, org_id, name, email FROM contacts WHERE org_id = $1 ORDER BY id",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ContactRow {
                    id: r.try_get(0)?,
                    org_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    email: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Reload the attribution index if another writer (or instance) changed the networks.
    pub(crate) async fn refresh_attribution(&self) -> StoreResult<()> {
        let rows = sqlx::query(
            "SELECT k, v FROM meta WHERE k IN ('networks_version', 'asn_version') ORDER BY k",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut v = String::new();
        let mut asn_v = String::new();
        for r in rows {
            let k: String = r.try_get(0)?;
            if k == "asn_version" {
                asn_v = r.try_get(1)?;
            } else {
                v = r.try_get(1)?;
            }
        }
        let (same_nets, same_asn, table) = {
            let a = self
                .attrib
                .read()
                .map_err(|_| StoreError::BadRequest("attribution index poisoned".into()))?;
            (
                a.version.as_deref() == Some(v.as_str()),
                a.asn_version.as_deref() == Some(asn_v.as_str()),
                a.asn_table.clone(),
            )
        };
        if same_nets && same_asn {
            return Ok(());
        }
        let table = if same_asn {
            table
        } else {
            let t = self.load_asn_table().await?;
            tracing::debug!(
                ranges = t.len(),
                bytes = t.heap_bytes(),
                "ASN table reloaded"
            );
            std::sync::Arc::new(t)
        };
        let rows = sqlx::query(
            "SELECT org_id, kind, value FROM networks WHERE kind IN ('cidr', 'domain', 'asn')",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut a = Attribution::default();
        for r in rows {
            let org: i64 = r.try_get(0)?;
            let kind: String = r.try_get(1)?;
            let value: String = r.try_get(2)?;
            match kind.as_str() {
                "cidr" => match Cidr::parse(&value) {
                    Ok(c) => a.add_cidr(c, org),
                    Err(e) => tracing::warn!(%value, error = %e, "stored network does not parse"),
                },
                "asn" => match value.trim_start_matches("AS").parse::<u32>() {
                    Ok(n) => a.add_asn(n, org),
                    Err(_) => tracing::warn!(%value, "stored ASN does not parse"),
                },
                _ => a.add_domain(value, org),
            }
        }
        a.version = Some(v);
        a.asn_version = Some(asn_v);
        a.asn_table = table;
        tracing::debug!(networks = a.networks(), "attribution index reloaded");
        if let Ok(mut w) = self.attrib.write() {
            *w = a;
        }
        Ok(())
    }
}

async fn bump_networks_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> StoreResult<()> {
    // A fresh random version (not a counter) so concurrent writers never need to read it first.
    sqlx::query("UPDATE meta SET v = $1 WHERE k = 'networks_version'")
        .bind(uuid::Uuid::new_v4().to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
