//! The JSON API (`/api/v1`), documented in `openapi.json`.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use exray_store::notify::{NoticeSettings, Template};
use exray_store::orgs::{NewContact, NewNetwork, NewOrg};
use exray_store::query::{FindingFilter, HostFilter};
use exray_store::{Page, Principal, Role};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{ApiError, ApiResult, AppState, Bearer};
use crate::{deliver, export};

pub const OPENAPI: &str = include_str!("../openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub q: Option<String>,
    pub org_id: Option<i64>,
    pub host_id: Option<i64>,
    pub state: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub days: Option<i64>,
}

impl ListQuery {
    fn page(&self) -> Page {
        Page::new(self.limit, self.offset)
    }
}

pub fn notice_settings(st: &AppState) -> NoticeSettings {
    NoticeSettings {
        sender: st.cfg.sender_name.clone(),
        base_url: st.cfg.base_url.clone(),
        renotify_secs: st.cfg.renotify_secs,
    }
}

/// `POST /api/v1/reports`. The token is checked before a byte of the body is read; a large
/// report (or one of unknown length) then waits for one of `max_large_ingests` turns, so that
/// memory is bounded however many clients upload at once; after `ingest_queue_wait` the answer
/// is 503 with `Retry-After` (the client retries).
pub async fn post_report(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let limit = st.cfg.max_report_bytes;
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let _turn = if declared.is_none_or(|n| n > st.cfg.large_report_bytes) {
        let wait = tokio::time::timeout(
            st.cfg.ingest_queue_wait,
            st.large_ingests.clone().acquire_owned(),
        );
        match wait.await {
            Ok(Ok(permit)) => Some(permit),
            _ => {
                return Err(ApiError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy with other large reports, retry later".into(),
                ))
            }
        }
    } else {
        None
    };
    let body = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.to_string().contains("length limit") {
            too_large(limit)
        } else {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("reading the report body: {e}"),
            )
        }
    })?;
    let out = st.store.ingest(&p, &body).await?;
    // Committed (and, on SQLite, fsynced) before this answer: the acknowledgement is durable.
    let status = if out.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(out)))
}

/// Take one of the large-ingest turns (see [`post_report`]), or answer 503.
async fn large_turn(st: &AppState) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
    let wait = tokio::time::timeout(
        st.cfg.ingest_queue_wait,
        st.large_ingests.clone().acquire_owned(),
    );
    match wait.await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy with other large reports, retry later".into(),
        )),
    }
}

#[derive(Deserialize)]
pub struct ImportQuery {
    /// `shadowserver`, `csv` or `jsonl`.
    pub format: String,
    /// Name of the feed in the reports (default `upload`).
    pub name: Option<String>,
}

/// `POST /api/v1/import?format=shadowserver|csv|jsonl[&name=FILE]`: a third-party feed (the
/// body, at most `--max-report-mib`), judged by the catalogue and ingested report by report
/// through the same gate as `POST /api/v1/reports` (a member writes only its organisation's
/// hosts). Always takes a large-ingest turn.
pub async fn post_import(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> ApiResult<impl IntoResponse> {
    let format = exray_import::Format::parse(&q.format).ok_or_else(|| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("format {:?}: expected shadowserver, csv or jsonl", q.format),
        )
    })?;
    let name: String = q
        .name
        .unwrap_or_else(|| "upload".into())
        .chars()
        .filter(|c| !c.is_control())
        .take(128)
        .collect();
    let limit = st.cfg.max_report_bytes;
    let _turn = large_turn(&st).await?;
    let body = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.to_string().contains("length limit") {
            too_large(limit)
        } else {
            ApiError(StatusCode::BAD_REQUEST, format!("reading the feed: {e}"))
        }
    })?;
    let out = crate::feedimport::import_feed(
        &st.store,
        &p,
        std::io::Cursor::new(body),
        format,
        name,
        exray_import::DEFAULT_CHUNK_ROWS,
    )
    .await
    .map_err(|e| match e {
        crate::feedimport::FeedImportError::Feed(m) => ApiError(StatusCode::BAD_REQUEST, m),
        crate::feedimport::FeedImportError::Store(e) => e.into(),
    })?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// Largest IP-to-ASN table accepted by `PUT /api/v1/asn-table` (a full free table is ~30 MB).
pub const MAX_ASN_TABLE: usize = 256 << 20;

/// `PUT /api/v1/asn-table` (admin): replace the IP-to-ASN table (TSV body).
pub async fn put_asn_table(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    body: Body,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    let _turn = large_turn(&st).await?;
    let body = axum::body::to_bytes(body, MAX_ASN_TABLE)
        .await
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("reading the table: {e}")))?;
    let out = st
        .store
        .import_asn_table(&p.actor(), std::io::Cursor::new(body))
        .await
        .map_err(|e| match e {
            exray_store::asn::AsnImportError::Store(e) => e.into(),
            other => ApiError(StatusCode::BAD_REQUEST, other.to_string()),
        })?;
    Ok(Json(serde_json::to_value(out).unwrap_or_default()))
}

fn too_large(limit: usize) -> ApiError {
    ApiError(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("report larger than {} MiB (--max-report-mib)", limit >> 20),
    )
}

pub async fn funnel(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    if let Some(o) = q.org_id {
        st.store.get_org(&p, o).await?;
    }
    Ok(Json(
        serde_json::to_value(st.store.funnel(&p, q.org_id).await?).unwrap_or_default(),
    ))
}

pub async fn trend(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "days": st.store.trend(&p, q.days.unwrap_or(31)).await? }),
    ))
}

pub async fn list_orgs(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "orgs": st.store.list_orgs(&p, q.q.as_deref(), q.page()).await? }),
    ))
}

/// An organisation as created or updated: its fields and, optionally, its TLP setting.
#[derive(Deserialize)]
pub struct OrgBody {
    #[serde(flatten)]
    pub org: NewOrg,
    /// The TLP level its exports are marked with at least (`clear`, `green`, `amber`,
    /// `amber+strict`, `red`); absent: `amber` for a new organisation, unchanged on update.
    #[serde(default)]
    pub tlp: Option<String>,
}

pub async fn create_org(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Json(o): Json<OrgBody>,
) -> ApiResult<impl IntoResponse> {
    p.require_admin()?;
    let tlp = o.tlp.as_deref().map(export::parse_setting).transpose()?;
    let mut row = st.store.create_org(&p.actor(), &o.org).await?;
    if let Some(t) = tlp {
        st.store.set_org_tlp(&p.actor(), row.id, t).await?;
        row.tlp = t.to_string();
    }
    Ok((StatusCode::CREATED, Json(row)))
}

pub async fn get_org(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let org = st.store.get_org(&p, id).await?;
    Ok(Json(json!({
        "org": org,
        "networks": st.store.list_networks(id).await?,
        "contacts": st.store.list_contacts(id).await?,
        "funnel": st.store.funnel(&p, Some(id)).await?,
    })))
}

pub async fn update_org(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
    Json(o): Json<OrgBody>,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    let tlp = o.tlp.as_deref().map(export::parse_setting).transpose()?;
    st.store.update_org(&p.actor(), id, &o.org).await?;
    if let Some(t) = tlp {
        st.store.set_org_tlp(&p.actor(), id, t).await?;
    }
    Ok(Json(json!({ "updated": id })))
}

/// `GET /api/v1/orgs/{id}/export?format=misp|stix|intelmq|csv[&tlp=LEVEL]`: the
/// organisation's evidence in one of the four formats (see [`crate::export`]).
pub async fn export_org(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
    Query(q): Query<export::ExportQuery>,
) -> ApiResult<export::Export> {
    export::build(&st, &p, export::Target::Org(id), &q).await
}

/// `GET /api/v1/hosts/{id}/export?format=misp|stix|intelmq|csv[&tlp=LEVEL]`: one host's.
pub async fn export_host(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
    Query(q): Query<export::ExportQuery>,
) -> ApiResult<export::Export> {
    export::build(&st, &p, export::Target::Host(id), &q).await
}

/// Body of `PUT /api/v1/orgs/{id}/verify`.
#[derive(Deserialize)]
pub struct VerifySetting {
    /// True: the verification rounds (`--verify-every`) never probe this organisation's hosts.
    pub opt_out: bool,
}

/// Whether the organisation's hosts are re-fingerprinted by the verification rounds.
pub async fn get_org_verify(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    st.store.get_org(&p, id).await?; // visibility: a member sees only its organisation
    let opt_out = st.store.verify_opt_out(id).await?;
    Ok(Json(json!({ "org_id": id, "opt_out": opt_out })))
}

pub async fn put_org_verify(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
    Json(v): Json<VerifySetting>,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    st.store
        .set_verify_opt_out(&p.actor(), id, v.opt_out)
        .await?;
    Ok(Json(json!({ "org_id": id, "opt_out": v.opt_out })))
}

pub async fn delete_org(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    st.store.delete_org(&p.actor(), id).await?;
    Ok(Json(json!({ "deleted": id })))
}

pub async fn add_network(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
    Json(n): Json<NewNetwork>,
) -> ApiResult<impl IntoResponse> {
    p.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(st.store.add_network(&p.actor(), id, &n).await?),
    ))
}

pub async fn delete_network(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    st.store.delete_network(&p.actor(), id).await?;
    Ok(Json(json!({ "deleted": id })))
}

pub async fn add_contact(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
    Json(c): Json<NewContact>,
) -> ApiResult<impl IntoResponse> {
    p.require_admin()?;
    Ok((
        StatusCode::CREATED,
        Json(st.store.add_contact(&p.actor(), id, &c).await?),
    ))
}

pub async fn delete_contact(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    st.store.delete_contact(&p.actor(), id).await?;
    Ok(Json(json!({ "deleted": id })))
}

pub async fn list_hosts(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let f = HostFilter {
        org_id: q.org_id,
        state: q.state.clone(),
        q: q.q.clone(),
    };
    Ok(Json(
        json!({ "hosts": st.store.list_hosts(&p, &f, q.page()).await? }),
    ))
}

pub async fn get_host(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::to_value(st.store.host_detail(&p, id).await?).unwrap_or_default(),
    ))
}

pub async fn list_findings(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let f = FindingFilter {
        org_id: q.org_id,
        host_id: q.host_id,
        severity: q.severity.clone(),
    };
    Ok(Json(
        json!({ "findings": st.store.list_findings(&p, &f, q.page()).await? }),
    ))
}

pub async fn list_notifications(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "notifications": st.store.list_notifications(&p, q.status.as_deref(), q.page()).await? }),
    ))
}

pub async fn get_notification(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::to_value(st.store.get_notification(&p, id).await?).unwrap_or_default(),
    ))
}

pub async fn queue_notifications(
    State(st): State<AppState>,
    Bearer(p): Bearer,
) -> ApiResult<Json<Value>> {
    let out = st
        .store
        .queue_notifications(&p, &notice_settings(&st))
        .await?;
    Ok(Json(serde_json::to_value(out).unwrap_or_default()))
}

pub async fn deliver_notifications(
    State(st): State<AppState>,
    Bearer(p): Bearer,
) -> ApiResult<Json<Value>> {
    p.require_staff()?;
    let out = deliver::deliver_queued(&st, &p.actor()).await?;
    Ok(Json(serde_json::to_value(out).unwrap_or_default()))
}

pub async fn ack_notification(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    st.store.ack_notification(&p, id).await?;
    Ok(Json(json!({ "id": id, "status": "acknowledged" })))
}

pub async fn bounce_notification(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    st.store.bounce_notification(&p, id).await?;
    Ok(Json(json!({ "id": id, "status": "bounced" })))
}

pub async fn get_template(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(name): Path<String>,
) -> ApiResult<Json<Template>> {
    p.require_staff()?;
    Ok(Json(st.store.get_template(&name).await?))
}

#[derive(Deserialize)]
pub struct TemplateBody {
    pub subject: String,
    pub body: String,
    pub host_block: String,
}

pub async fn put_template(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(name): Path<String>,
    Json(t): Json<TemplateBody>,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    let t = Template {
        name,
        subject: t.subject,
        body: t.body,
        host_block: t.host_block,
    };
    st.store.put_template(&p.actor(), &t).await?;
    Ok(Json(json!({ "updated": t.name })))
}

pub async fn list_tokens(State(st): State<AppState>, Bearer(p): Bearer) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    Ok(Json(json!({ "tokens": st.store.list_tokens().await? })))
}

#[derive(Deserialize)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub org_id: Option<i64>,
}

pub async fn create_token(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Json(t): Json<NewToken>,
) -> ApiResult<impl IntoResponse> {
    p.require_admin()?;
    let (row, secret) = st
        .store
        .create_token(&p.actor(), &t.name, t.role, t.org_id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": row, "secret": secret })),
    ))
}

pub async fn revoke_token(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    p.require_admin()?;
    st.store.revoke_token(&p.actor(), id).await?;
    Ok(Json(json!({ "revoked": id })))
}

pub async fn audit(
    State(st): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "audit": st.store.list_audit(&p, q.page()).await? }),
    ))
}

pub async fn login_link(State(st): State<AppState>, Bearer(p): Bearer) -> ApiResult<Json<Value>> {
    let ticket = st.store.create_login_link(&p).await?;
    Ok(Json(
        json!({ "url": format!("{}/login/link/{ticket}", st.cfg.base_url), "expires_in": 600 }),
    ))
}

/// Shared by the web handlers: a principal may act on a notification only if it can see it.
pub fn forbid_unless(ok: bool) -> ApiResult<()> {
    if ok {
        Ok(())
    } else {
        Err(ApiError(StatusCode::FORBIDDEN, "forbidden".into()))
    }
}

pub fn is_member(p: &Principal) -> bool {
    p.role == Role::OrgMember
}
