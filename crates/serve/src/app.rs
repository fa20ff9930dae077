//! Application state, errors, authentication and the router.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use exray_store::{Principal, Store, StoreError};

use crate::{api, web};

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    /// Plain SMTP (a local MTA or a relay on a trusted network).
    #[default]
    None,
    /// STARTTLS required (submission, usually port 587).
    Starttls,
    /// Implicit TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// How notices leave the service.
#[derive(Clone, Debug, Default)]
pub struct Delivery {
    /// SMTP relay `host:port`.
    pub smtp_relay: Option<String>,
    /// Transport security to the relay.
    pub smtp_tls: SmtpTls,
    /// `(user, password)` for SMTP AUTH (only over TLS).
    pub smtp_credentials: Option<(String, String)>,
    /// PEM file of extra trusted CA certificates for the relay (a private CA).
    pub smtp_ca_file: Option<PathBuf>,
    /// Directory where each notice is also written as an RFC 5322 `.eml` file.
    pub eml_dir: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// Public URL of this service, used in notices and login links.
    pub base_url: String,
    pub sender_name: String,
    pub sender_email: String,
    pub renotify_secs: i64,
    pub delivery: Delivery,
    pub secure_cookies: bool,
    pub max_report_bytes: usize,
    /// A notice left in `sending` longer than this (its worker crashed) is delivered again.
    pub notice_lease_secs: i64,
    /// Reports larger than this (or of unknown length) are "large": at most
    /// `max_large_ingests` of them are read and ingested at once, the others wait their turn.
    pub large_report_bytes: usize,
    pub max_large_ingests: usize,
    /// How long a large upload waits for its turn before the answer is 503 with `Retry-After`.
    pub ingest_queue_wait: std::time::Duration,
    /// Accept-loop bounds (connections, header and idle timeouts).
    pub limits: crate::listen::Limits,
    /// Most hosts one export holds (scanned hosts with something to export); above it: 413.
    pub max_export_hosts: usize,
    /// Most findings one export holds; above it: 413.
    pub max_export_findings: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://127.0.0.1:8080".into(),
            sender_name: "exray".into(),
            sender_email: "exray@localhost".into(),
            renotify_secs: 7 * 86400,
            delivery: Delivery::default(),
            secure_cookies: false,
            max_report_bytes: 64 << 20,
            notice_lease_secs: 600,
            large_report_bytes: 8 << 20,
            max_large_ingests: 1,
            ingest_queue_wait: std::time::Duration::from_secs(60),
            limits: crate::listen::Limits::default(),
            max_export_hosts: 10_000,
            max_export_findings: 5_000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub cfg: Arc<Config>,
    /// Turns for large ingests (`Config::max_large_ingests`).
    pub large_ingests: Arc<tokio::sync::Semaphore>,
    /// Turns for building exports (`export::CONCURRENT_EXPORTS`).
    pub exports: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    pub fn new(store: Arc<Store>, cfg: Config) -> AppState {
        AppState {
            large_ingests: Arc::new(tokio::sync::Semaphore::new(cfg.max_large_ingests.max(1))),
            exports: Arc::new(tokio::sync::Semaphore::new(
                crate::export::CONCURRENT_EXPORTS,
            )),
            store,
            cfg: Arc::new(cfg),
        }
    }
}

/// An error answered as JSON `{"error": "..."}` with the matching status.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadRequest(m) => ApiError(StatusCode::BAD_REQUEST, m),
            StoreError::NotFound => ApiError(StatusCode::NOT_FOUND, "not found".into()),
            StoreError::Forbidden => ApiError(StatusCode::FORBIDDEN, "forbidden".into()),
            StoreError::Conflict(m) => ApiError(StatusCode::CONFLICT, m),
            StoreError::Retry => ApiError(StatusCode::SERVICE_UNAVAILABLE, "busy, retry".into()),
            StoreError::Db(e) => {
                tracing::error!(error = %e, "database error");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        res
    }
}

/// `Retry-After` of every 503: the service is busy, not down.
pub const RETRY_AFTER_SECS: &str = "5";

pub type ApiResult<T> = Result<T, ApiError>;

/// A principal authenticated by `Authorization: Bearer <token>`.
pub struct Bearer(pub Principal);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            ApiError(
                StatusCode::UNAUTHORIZED,
                "a valid bearer token is required".into(),
            )
        };
        let h = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unauthorized)?;
        let secret = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
            .ok_or_else(unauthorized)?
            .trim();
        if secret.is_empty() || secret.len() > 512 {
            return Err(unauthorized());
        }
        match st.store.authenticate(secret).await? {
            Some(p) => Ok(Bearer(p)),
            None => Err(unauthorized()),
        }
    }
}

pub const SESSION_COOKIE: &str = "exray_session";
pub const LOGIN_CSRF_COOKIE: &str = "exray_login_csrf";

/// The value of a cookie in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// Security headers on every response: a strict CSP (no script at all, no inline styles),
/// no sniffing, no framing, no referrer, no caching of authenticated pages.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Every route of the service: `(method, path)` as registered, for the OpenAPI and
/// authorization-matrix tests.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/reports"),
    ("POST", "/api/v1/import"),
    ("PUT", "/api/v1/asn-table"),
    ("GET", "/api/v1/funnel"),
    ("GET", "/api/v1/trend"),
    ("GET", "/api/v1/orgs"),
    ("POST", "/api/v1/orgs"),
    ("GET", "/api/v1/orgs/{id}"),
    ("GET", "/api/v1/orgs/{id}/export"),
    ("PUT", "/api/v1/orgs/{id}"),
    ("DELETE", "/api/v1/orgs/{id}"),
    ("GET", "/api/v1/orgs/{id}/verify"),
    ("PUT", "/api/v1/orgs/{id}/verify"),
    ("POST", "/api/v1/orgs/{id}/networks"),
    ("DELETE", "/api/v1/networks/{id}"),
    ("POST", "/api/v1/orgs/{id}/contacts"),
    ("DELETE", "/api/v1/contacts/{id}"),
    ("GET", "/api/v1/hosts"),
    ("GET", "/api/v1/hosts/{id}"),
    ("GET", "/api/v1/hosts/{id}/export"),
    ("GET", "/api/v1/findings"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/notifications/{id}"),
    ("POST", "/api/v1/notifications/queue"),
    ("POST", "/api/v1/notifications/deliver"),
    ("POST", "/api/v1/notifications/{id}/ack"),
    ("POST", "/api/v1/notifications/{id}/bounce"),
    ("GET", "/api/v1/templates/{name}"),
    ("PUT", "/api/v1/templates/{name}"),
    ("GET", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{id}"),
    ("GET", "/api/v1/audit"),
    ("POST", "/api/v1/login-link"),
];

pub fn router(state: AppState) -> Router {
    let limit = state.cfg.max_report_bytes;
    let api = Router::new()
        .route("/api/v1/openapi.json", get(api::openapi))
        .route(
            "/api/v1/reports",
            post(api::post_report).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/import",
            post(api::post_import).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/asn-table",
            axum::routing::put(api::put_asn_table).layer(DefaultBodyLimit::max(api::MAX_ASN_TABLE)),
        )
        .route("/api/v1/funnel", get(api::funnel))
        .route("/api/v1/trend", get(api::trend))
        .route("/api/v1/orgs", get(api::list_orgs).post(api::create_org))
        .route(
            "/api/v1/orgs/{id}",
            get(api::get_org)
                .put(api::update_org)
                .delete(api::delete_org),
        )
        .route("/api/v1/orgs/{id}/export", get(api::export_org))
        .route(
            "/api/v1/orgs/{id}/verify",
            get(api::get_org_verify).put(api::put_org_verify),
        )
        .route("/api/v1/orgs/{id}/networks", post(api::add_network))
        .route("/api/v1/networks/{id}", delete(api::delete_network))
        .route("/api/v1/orgs/{id}/contacts", post(api::add_contact))
        .route("/api/v1/contacts/{id}", delete(api::delete_contact))
        .route("/api/v1/hosts", get(api::list_hosts))
        .route("/api/v1/hosts/{id}", get(api::get_host))
        .route("/api/v1/hosts/{id}/export", get(api::export_host))
        .route("/api/v1/findings", get(api::list_findings))
        .route("/api/v1/notifications", get(api::list_notifications))
        .route("/api/v1/notifications/{id}", get(api::get_notification))
        .route(
            "/api/v1/notifications/queue",
            post(api::queue_notifications),
        )
        .route(
            "/api/v1/notifications/deliver",
            post(api::deliver_notifications),
        )
        .route(
            "/api/v1/notifications/{id}/ack",
            post(api::ack_notification),
        )
        .route(
            "/api/v1/notifications/{id}/bounce",
            post(api::bounce_notification),
        )
        .route(
            "/api/v1/templates/{name}",
            get(api::get_template).put(api::put_template),
        )
        .route(
            "/api/v1/tokens",
            get(api::list_tokens).post(api::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(api::revoke_token))
        .route("/api/v1/audit", get(api::audit))
        .route("/api/v1/login-link", post(api::login_link));
    Router::new()
        .merge(api)
        .merge(web::routes())
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such route".into()) })
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}
