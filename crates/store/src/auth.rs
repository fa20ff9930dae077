//! Roles, bearer tokens (stored as SHA-256), dashboard sessions and one-time login links.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::{audit, audit_login, now};
use crate::{hash_secret, new_secret, Store, StoreError, StoreResult};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including tokens, organisations and templates.
    Admin,
    /// Reads every organisation, ingests reports, runs the notification queue.
    Analyst,
    /// Reads only its own organisation; may ingest reports about it and acknowledge notices.
    OrgMember,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::OrgMember => "org_member",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "org_member" => Some(Role::OrgMember),
            _ => None,
        }
    }
}

/// Who is asking.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
    pub org_id: Option<i64>,
}

impl Principal {
    /// The organisation this principal is confined to, if any.
    pub fn scope(&self) -> Option<i64> {
        match self.role {
            Role::OrgMember => Some(self.org_id.unwrap_or(-1)),
            _ => None,
        }
    }
    pub fn can_see_org(&self, org: Option<i64>) -> bool {
        match self.scope() {
            None => true,
            Some(own) => org == Some(own),
        }
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Analyst)
    }
    /// A principal of the service itself (a background task, e.g. `system:verify`): staff, no
    /// token (its `token_id` is negative, which no token has).
    pub fn system(name: &str) -> Principal {
        Principal {
            token_id: -1,
            name: name.to_string(),
            role: Role::Analyst,
            org_id: None,
        }
    }
    /// Name used in the audit log.
    pub fn actor(&self) -> String {
        if self.token_id < 0 {
            return format!("system:{}", self.name);
        }
        format!("token:{}:{}", self.token_id, self.name)
    }
    pub fn require_admin(&self) -> StoreResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }
    pub fn require_staff(&self) -> StoreResult<()> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub org_id: Option<i64>,
    pub created_at: String,
    pub revoked: bool,
}

const SESSION_SECS: i64 = 8 * 3600;
const LINK_SECS: i64 = 600;

impl Store {
    /// Create a token; the secret is returned once and stored only as its SHA-256.
    pub async fn create_token(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        org_id: Option<i64>,
    ) -> StoreResult<(TokenRow, String)> {
        let secret = new_secret("exr_");
        let row = self
            .insert_token(actor, name, role, org_id, &secret)
            .await?;
        Ok((row, secret))
    }

    async fn insert_token(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        org_id: Option<i64>,
        secret: &str,
    ) -> StoreResult<TokenRow> {
        if name.trim().is_empty() || name.len() > 200 {
            return Err(StoreError::BadRequest(
                "token name must be 1..200 characters".into(),
            ));
        }
        match (role, org_id) {
            (Role::OrgMember, None) => {
                return Err(StoreError::BadRequest(
                    "an org_member token needs org_id".into(),
                ))
            }
            (Role::Admin | Role::Analyst, Some(_)) => {
                return Err(StoreError::BadRequest(
                    "only org_member tokens carry an org_id".into(),
                ))
            }
            _ => {}
        }
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        if let Some(o) = org_id {
            let exists = sqlx::query("SELECT id FROM orgs WHERE id = $1")
                .bind(o)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::BadRequest(format!(
                    "organisation {o} does not exist"
                )));
            }
        }
        let t = now();
        let id: i64 = sqlx::query(
            "INSERT INTO tokens (name, token_hash, role, org_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(hash_secret(secret))
        .bind(role.as_str())
        .bind(org_id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut *tx,
            actor,
            "token.create",
            &format!("token:{id}"),
            &format!("name={name} role={}", role.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(TokenRow {
            id,
            name: name.to_string(),
            role,
            org_id,
            created_at: crate::ts(t),
            revoked: false,
        })
    }

    /// Install the bootstrap admin token given on the command line (idempotent).
    pub async fn ensure_bootstrap_token(&self, secret: &str) -> StoreResult<()> {
        if secret.len() < 16 {
            return Err(StoreError::BadRequest(
                "the bootstrap admin token must be at least 16 characters".into(),
            ));
        }
        let exists = sqlx::query("SELECT id FROM tokens WHERE token_hash = $1")
            .bind(hash_secret(secret))
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            self.insert_token("bootstrap", "bootstrap-admin", Role::Admin, None, secret)
                .await?;
        }
        Ok(())
    }

    /// The principal a bearer secret stands for, if it is a live token.
    pub async fn authenticate(&self, secret: &str) -> StoreResult<Option<Principal>> {
        let row = sqlx::query("SELECT id, name, role, org_id FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(hash_secret(secret))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| principal_from_row(&r)).transpose()
    }

    async fn principal_by_token_id(&self, id: i64) -> StoreResult<Option<Principal>> {
        let row = sqlx::query(
            "SELECT id, name, role, org_id FROM tokens WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| principal_from_row(&r)).transpose()
    }

    pub async fn list_tokens(&self) -> StoreResult<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT id, name, role, org_id, created_at, revoked_at FROM tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    role: Role::parse(&r.try_get::<String, _>(2)?).unwrap_or(Role::OrgMember),
                    org_id: r.try_get(3)?,
                    created_at: crate::ts(r.try_get(4)?),
                    revoked: r.try_get::<Option<i64>, _>(5)?.is_some(),
                })
            })
            .collect()
    }

    pub async fn revoke_token(&self, actor: &str, id: i64) -> StoreResult<()> {
        let _w = self.write_guard().await;
        let mut tx = self.pool.begin().await?;
        let n =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        // Order: the main writer, then the login writer (as everywhere both are taken). On
        // SQLite the two files commit separately; a session outliving its revoked token is
        // refused anyway (`session` checks the token is live).
        let _l = self.login_guard().await;
        sqlx::query(&format!(
            "DELETE FROM {}sessions WHERE token_id = $1",
            self.backend.logins()
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit(&mut *tx, actor, "token.revoke", &format!("token:{id}"), "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Start a dashboard session for a token: returns (session secret, CSRF token).
    pub async fn create_session(&self, p: &Principal) -> StoreResult<(String, String)> {
        let sid = new_secret("s_");
        let csrf = new_secret("");
        let t = now();
        let l = self.backend.logins();
        let _l = self.login_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!("DELETE FROM {l}sessions WHERE expires_at < $1"))
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("INSERT INTO {l}sessions (id_hash, token_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)"))
            .bind(hash_secret(&sid))
            .bind(p.token_id)
            .bind(&csrf)
            .bind(t)
            .bind(t + SESSION_SECS)
            .execute(&mut *tx)
            .await?;
        audit_login(
            &mut *tx,
            self.backend,
            &p.actor(),
            "session.create",
            &format!("token:{}", p.token_id),
        )
        .await?;
        tx.commit().await?;
        Ok((sid, csrf))
    }

    /// The principal and CSRF token of a live session.
    pub async fn session(&self, sid: &str) -> StoreResult<Option<(Principal, String)>> {
        let row = sqlx::query(&format!(
            "SELECT token_id, csrf FROM {}sessions WHERE id_hash = $1 AND expires_at > $2",
            self.backend.logins()
        ))
        .bind(hash_secret(sid))
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token_id: i64 = row.try_get(0)?;
        let csrf: String = row.try_get(1)?;
        Ok(self
            .principal_by_token_id(token_id)
            .await?
            .map(|p| (p, csrf)))
    }

    pub async fn delete_session(&self, sid: &str) -> StoreResult<()> {
        let _l = self.login_guard().await;
        sqlx::query(&format!(
            "DELETE FROM {}sessions WHERE id_hash = $1",
            self.backend.logins()
        ))
        .bind(hash_secret(sid))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A one-time, ten-minute login ticket for the principal's own token (for a browser).
    pub async fn create_login_link(&self, p: &Principal) -> StoreResult<String> {
        let ticket = new_secret("l_");
        let _l = self.login_guard().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO {}login_links (id_hash, token_id, expires_at) VALUES ($1, $2, $3)",
            self.backend.logins()
        ))
        .bind(hash_secret(&ticket))
        .bind(p.token_id)
        .bind(now() + LINK_SECS)
        .execute(&mut *tx)
        .await?;
        audit_login(
            &mut *tx,
            self.backend,
            &p.actor(),
            "login_link.create",
            &format!("token:{}", p.token_id),
        )
        .await?;
        tx.commit().await?;
        Ok(ticket)
    }

    /// Consume a login ticket (once) and return its principal.
    pub async fn consume_login_link(&self, ticket: &str) -> StoreResult<Option<Principal>> {
        let token_id = {
            let _l = self.login_guard().await;
            let row = sqlx::query(&format!(
                "UPDATE {}login_links SET used = 1 WHERE id_hash = $1 AND used = 0 AND expires_at > $2 RETURNING token_id",
                self.backend.logins()
            ))
            .bind(hash_secret(ticket))
            .bind(now())
            .fetch_optional(&self.pool)
            .await?;
            match row {
                Some(r) => r.try_get::<i64, _>(0)?,
                None => return Ok(None),
            }
        };
        self.principal_by_token_id(token_id).await
    }
}

fn principal_from_row(r: &sqlx::any::AnyRow) -> StoreResult<Principal> {
    let role: String = r.try_get(2)?;
    Ok(Principal {
        token_id: r.try_get(0)?,
        name: r.try_get(1)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::BadRequest(format!("unknown role {role:?}")))?,
        org_id: r.try_get(3)?,
    })
}
