//! The dashboard: server-rendered HTML (maud escapes every interpolated string), no JavaScript,
//! inline SVG charts, CSRF tokens on every form, session cookies from a token login.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use exray_store::orgs::{NewContact, NewNetwork};
use exray_store::query::{FindingFilter, FindingRow, Funnel, HostFilter, HostRow, TrendPoint};
use exray_store::state::FUNNEL;
use exray_store::{Page, Principal, StoreError};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::api::{notice_settings, ListQuery};
use crate::app::{cookie, ApiError, AppState, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::deliver;

const CSS: &str = include_str!("../static/style.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/static/style.css", get(css))
        .route("/login", get(login_form).post(login_submit))
        .route("/login/link/{ticket}", get(login_link))
        .route("/logout", post(logout))
        .route("/orgs", get(orgs_page))
        .route("/orgs/{id}", get(org_page))
        .route("/orgs/{id}/networks", post(org_add_network))
        .route("/orgs/{id}/contacts", post(org_add_contact))
        .route("/orgs/{id}/tlp", post(org_set_tlp))
        .route("/orgs/{id}/verify", post(org_set_verify))
        .route("/orgs/{id}/export", get(org_export))
        .route("/hosts", get(hosts_page))
        .route("/hosts/{id}", get(host_page))
        .route("/hosts/{id}/export", get(host_export))
        .route("/findings", get(findings_page))
        .route("/notifications", get(notifications_page))
        .route("/notifications/queue", post(notifications_queue))
        .route("/notifications/deliver", post(notifications_deliver))
        .route("/notifications/{id}/ack", post(notification_ack))
        .route("/notifications/{id}/bounce", post(notification_bounce))
}

/// A dashboard session (cookie), with its CSRF token.
pub struct Session {
    pub p: Principal,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Redirect::to("/login").into_response());
        };
        match st.store.session(&sid).await {
            Ok(Some((p, csrf))) => Ok(Session { p, csrf }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(WebError::from(e).into_response()),
        }
    }
}

/// Errors rendered as a small HTML page.
pub struct WebError(StatusCode, String);

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        let ApiError(s, m) = ApiError::from(e);
        WebError(s, m)
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError(e.0, e.1)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = page(
            "Error",
            None,
            html! { h1 { (self.0.as_u16()) " " (self.0.canonical_reason().unwrap_or("")) } p { (self.1) } },
        );
        (self.0, body).into_response()
    }
}

type WebResult = Result<Response, WebError>;

fn eq_ct(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn check_csrf(s: &Session, token: &str) -> Result<(), WebError> {
    if eq_ct(&s.csrf, token) {
        Ok(())
    } else {
        Err(WebError(
            StatusCode::FORBIDDEN,
            "invalid or missing CSRF token".into(),
        ))
    }
}

/// Longest string shown in a table cell or heading, in characters.
const CELL: usize = 256;
/// Longest raw evidence shown, in characters (the full text is in the API).
const RAW: usize = 16 * 1024;

/// A stored string as the dashboard shows it: at most `max` characters (then "…"), control
/// characters other than newline and tab written as escapes (`\0`, `\u{1b}`), so that a 1 MB hostname or one with a NUL
/// byte can neither flood a page nor hide in it. maud escapes the HTML on top of this.
pub fn shown(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 8));
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            '\0' => out.push_str("\\0"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

fn session_cookie(st: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if st.cfg.secure_cookies || st.cfg.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
}

fn page(title: &str, s: Option<&Session>, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · exray" }
                    link rel="stylesheet" href="/static/style.css";
                }
                body {
                    header {
                        span.brand { "exray" }
                        @if let Some(s) = s {
                            nav {
                                a href="/" { "Overview" }
                                a href="/orgs" { "Organisations" }
                                a href="/hosts" { "Hosts" }
                                a href="/findings" { "Findings" }
                                a href="/notifications" { "Notifications" }
                            }
                            form.logout method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                span.who { (s.p.name) " (" (s.p.role.as_str()) ")" }
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                    main { (body) }
                }
            }
        }
        .into_string(),
    )
}

const COLORS: [&str; 7] = [
    "#6c757d", "#d9480f", "#f08c00", "#2b8a3e", "#1971c2", "#c92a2a", "#5f3dc4",
];

/// The funnel as horizontal bars: hosts that ever reached each stage, and how many are there now.
pub fn funnel_svg(f: &Funnel) -> Markup {
    let max = f.stages.iter().map(|s| s.reached).max().unwrap_or(0).max(1) as f64;
    let h = 28 * f.stages.len() + 10;
    html! {
        svg.funnel xmlns="http://www.w3.org/2000/svg" width="720" height=(h) viewBox=(format!("0 0 720 {h}")) role="img" aria-label="funnel" {
            @for (i, s) in f.stages.iter().enumerate() {
                @let y = 5 + 28 * i;
                @let w = (s.reached as f64 / max * 430.0).max(1.0);
                text x="0" y=(y + 18) font-size="14" { (s.stage) }
                rect x="110" y=(y) width=(format!("{w:.1}")) height="22" fill=(COLORS[i % COLORS.len()]) {}
                text x=(format!("{:.1}", 116.0 + w)) y=(y + 16) font-size="13" { (s.reached) " reached · " (s.current) " now" }
            }
        }
    }
}

/// The trend of the funnel over time: one line per stage.
pub fn trend_svg(points: &[TrendPoint]) -> Markup {
    if points.len() < 2 {
        return html! { p.muted { "Not enough history for a trend yet (" (points.len()) " day(s) of data)." } };
    }
    let (w, h, left, bottom) = (720.0_f64, 260.0_f64, 60.0_f64, 30.0_f64);
    let max = points
        .iter()
        .flat_map(|p| p.reached.values())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = points.len() as f64 - 1.0;
    let x = |i: usize| left + (w - left - 10.0) * i as f64 / n;
    let y = |v: i64| (h - bottom) - (h - bottom - 10.0) * v as f64 / max;
    html! {
        svg.trend xmlns="http://www.w3.org/2000/svg" width="720" height="300" viewBox="0 0 720 300" role="img" aria-label="trend" {
            line x1=(left) y1=(h - bottom) x2=(w - 10.0) y2=(h - bottom) stroke="#999" {}
            line x1=(left) y1="10" x2=(left) y2=(h - bottom) stroke="#999" {}
            text x="0" y="20" font-size="12" { (max as i64) }
            text x="0" y=(h - bottom) font-size="12" { "0" }
            text x=(left) y=(h - 10.0) font-size="12" { (points[0].day) }
            text x=(w - 90.0) y=(h - 10.0) font-size="12" { (points[points.len() - 1].day) }
            @for (i, st) in FUNNEL.iter().enumerate() {
                @let pts: Vec<String> = points.iter().enumerate().map(|(j, p)| format!("{:.1},{:.1}", x(j), y(p.reached.get(st.as_str()).copied().unwrap_or(0)))).collect();
                polyline points=(pts.join(" ")) fill="none" stroke=(COLORS[i]) stroke-width="2" {}
                rect x=(left + 94.0 * i as f64) y="282" width="10" height="10" fill=(COLORS[i]) {}
                text x=(left + 14.0 + 94.0 * i as f64) y="291" font-size="11" { (st.as_str()) }
            }
        }
    }
}

fn hosts_table(hosts: &[HostRow]) -> Markup {
    html! {
        table {
            thead { tr { th { "host" } th { "ip" } th { "organisation" } th { "state" } th { "build" } th { "scan" } th { "hunt" } th { "last seen" } } }
            tbody {
                @for h in hosts {
                    tr {
                        td { a href=(format!("/hosts/{}", h.id)) { (shown(h.hostname.as_deref().unwrap_or("—"), CELL)) } }
                        td { (shown(h.ip.as_deref().unwrap_or("—"), CELL)) }
                        td { @if let (Some(id), Some(n)) = (h.org_id, &h.org_name) { a href=(format!("/orgs/{id}")) { (shown(n, CELL)) } } @else { "unattributed" } }
                        td { span class=(format!("state state-{}", h.state)) { (h.state) } }
                        td { (shown(h.build.as_deref().unwrap_or("—"), CELL)) }
                        td { (h.scan_verdict.as_deref().unwrap_or("—")) }
                        td { (h.hunt_verdict.as_deref().unwrap_or("—")) }
                        td { (h.last_seen) }
                    }
                }
            }
        }
    }
}

fn findings_table(f: &[FindingRow], with_evidence: bool) -> Markup {
    html! {
        @for x in f {
            section.finding {
                h3 { span class=(format!("sev sev-{}", x.severity)) { (x.severity) } " " (shown(&x.title, CELL)) }
                p.muted {
                    "rule " code { (shown(&x.rule_id, CELL)) } " · " (x.family) " · stage " (x.stage) " · " (x.count) " record(s) · host "
                    a href=(format!("/hosts/{}", x.host_id)) { (shown(&x.host, CELL)) } " · received " (x.received_at)
                }
                @if with_evidence {
                    @if let Some(d) = x.finding.get("description").and_then(|d| d.as_str()) { p { (shown(d, RAW)) } }
                    @if let Some(evs) = x.finding.get("evidence").and_then(|e| e.as_array()) {
                        table.evidence {
                            thead { tr { th { "source" } th { "file:line" } th { "time" } th { "client" } th { "raw / fields" } } }
                            tbody {
                                @for e in evs {
                                    tr {
                                        td { (shown(e.get("source").and_then(|v| v.as_str()).unwrap_or(""), CELL)) }
                                        td { (shown(e.get("file").and_then(|v| v.as_str()).unwrap_or(""), CELL)) @if let Some(l) = e.get("line").and_then(|v| v.as_u64()) { ":" (l) } }
                                        td { (shown(e.get("timestamp").and_then(|v| v.as_str()).unwrap_or(""), CELL)) }
                                        td { (shown(e.get("client_ip").and_then(|v| v.as_str()).unwrap_or(""), CELL)) br; small { (shown(e.get("user_agent").and_then(|v| v.as_str()).unwrap_or(""), CELL)) } }
                                        td {
                                            @if let Some(raw) = e.get("raw").and_then(|v| v.as_str()) { pre { (shown(raw, RAW)) } }
                                            @if let Some(fields) = e.get("fields").and_then(|v| v.as_object()) {
                                                dl { @for (k, v) in fields { dt { (shown(k, CELL)) } dd { (shown(&v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()), CELL)) } } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pager(base: &str, q: &ListQuery, n: usize) -> Markup {
    let page = Page::new(q.limit, q.offset);
    let sep = if base.contains('?') { '&' } else { '?' };
    html! {
        p.pager {
            @if page.offset > 0 { a href=(format!("{base}{sep}offset={}", (page.offset - page.limit).max(0))) { "← previous" } " " }
            @if n as i64 == page.limit { a href=(format!("{base}{sep}offset={}", page.offset + page.limit)) { "next →" } }
        }
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn overview(State(st): State<AppState>, s: Session) -> WebResult {
    let f = st.store.funnel(&s.p, None).await?;
    let trend = if s.p.is_staff() {
        Some(st.store.trend(&s.p, 62).await?)
    } else {
        None
    };
    let body = html! {
        h1 { @if s.p.is_staff() { "National overview" } @else { "Your organisation" } }
        p { (f.hosts) " Exchange host(s) tracked." }
        h2 { "Funnel" }
        (funnel_svg(&f))
        @if let Some(t) = &trend {
            h2 { "Trend (hosts that reached each stage, by day)" }
            (trend_svg(t))
        }
        h2 { "Current states" }
        table { tr { @for (k, _) in &f.states { th { a href=(format!("/hosts?state={k}")) { (k) } } } } tr { @for (_, v) in &f.states { td { (v) } } } }
    };
    Ok(page("Overview", Some(&s), body).into_response())
}

async fn orgs_page(
    State(st): State<AppState>,
    s: Session,
    Query(q): Query<ListQuery>,
) -> WebResult {
    let orgs = st
        .store
        .list_orgs(&s.p, q.q.as_deref(), Page::new(q.limit, q.offset))
        .await?;
    let qs = q.q.clone().unwrap_or_default();
    let body = html! {
        h1 { "Organisations" }
        form method="get" action="/orgs" { input type="search" name="q" value=(qs) placeholder="name contains"; button { "Search" } }
        table {
            thead { tr { th { "name" } th { "sector" } th { "country" } th { "hosts" } } }
            tbody { @for o in &orgs { tr { td { a href=(format!("/orgs/{}", o.id)) { (shown(&o.name, CELL)) } } td { (shown(&o.sector, CELL)) } td { (shown(&o.country, CELL)) } td { (o.hosts) } } } }
        }
        (pager(&format!("/orgs?q={}", enc(&qs)), &q, orgs.len()))
    };
    Ok(page("Organisations", Some(&s), body).into_response())
}

async fn org_page(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> WebResult {
    let org = st.store.get_org(&s.p, id).await?;
    let opt_out = st.store.verify_opt_out(id).await?;
    let f = st.store.funnel(&s.p, Some(id)).await?;
    let nets = st.store.list_networks(id).await?;
    let contacts = st.store.list_contacts(id).await?;
    let hosts = st
        .store
        .list_hosts(
            &s.p,
            &HostFilter {
                org_id: Some(id),
                ..Default::default()
            },
            Page::new(q.limit.or(Some(100)), q.offset),
        )
        .await?;
    let body = html! {
        h1 { (shown(&org.name, CELL)) }
        p.muted { "sector " (org.sector) " · country " (org.country) " · " (org.hosts) " host(s)" }
        h2 { "Export" }
        (export_links(&format!("/orgs/{id}/export"), &org.tlp))
        @if s.p.is_admin() {
            form method="post" action=(format!("/orgs/{id}/tlp")) {
                input type="hidden" name="csrf" value=(s.csrf);
                select name="tlp" {
                    @for level in exray_store::export::TLP_LEVELS {
                        option value=(level) selected[*level == org.tlp] { "TLP:" (level.to_uppercase()) }
                    }
                }
                button { "Set the TLP of exports" }
            }
        }
        h2 { "Verification" }
        p {
            @if opt_out {
                "Opted out: the verification rounds (" code { "--verify-every" } ") never probe this \
                 organisation's hosts; a host moves only when a new scan or hunt report arrives."
            } @else {
                "Notified hosts and hosts awaiting verification are re-fingerprinted by the \
                 verification rounds (" code { "--verify-every" } ", when the server runs them) and \
                 moved by what the scanner finds."
            }
        }
        @if s.p.is_admin() {
            form method="post" action=(format!("/orgs/{id}/verify")) {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="hidden" name="opt_out" value=(if opt_out { "false" } else { "true" });
                button { @if opt_out { "Verify this organisation's hosts again" } @else { "Opt out of verification" } }
            }
        }
        h2 { "Funnel" }
        (funnel_svg(&f))
        h2 { "Networks" }
        ul { @for n in &nets { li { (n.kind) " " code { (n.value) } } } }
        @if s.p.is_admin() {
            form method="post" action=(format!("/orgs/{id}/networks")) {
                input type="hidden" name="csrf" value=(s.csrf);
                select name="kind" { option value="cidr" { "CIDR" } option value="asn" { "ASN" } option value="domain" { "domain" } }
                input type="text" name="value" placeholder="192.0.2.0/24";
                button { "Add network" }
            }
        }
        h2 { "Contacts" }
        ul { @for c in &contacts { li { (c.name) " <" (c.email) ">" } } }
        @if s.p.is_admin() {
            form method="post" action=(format!("/orgs/{id}/contacts")) {
                input type="hidden" name="csrf" value=(s.csrf);
                input type="text" name="name" placeholder="name";
                input type="email" name="email" placeholder="soc@example.org";
                button { "Add contact" }
            }
        }
        h2 { "Hosts" }
        (hosts_table(&hosts))
        (pager(&format!("/orgs/{id}"), &q, hosts.len()))
    };
    Ok(page(&org.name, Some(&s), body).into_response())
}

/// Download links for the four formats (plain GETs with the session cookie).
fn export_links(base: &str, tlp: &str) -> Markup {
    html! {
        p.actions {
            @for f in crate::export::Format::ALL {
                a href=(format!("{base}?format={}", f.as_str())) download { (f.as_str().to_uppercase()) } " "
            }
            @if !tlp.is_empty() { span.muted { " marked TLP:" (tlp.to_uppercase()) } }
        }
    }
}

/// `GET /orgs/{id}/export?format=…`: the same export as the API, as a download.
async fn org_export(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Query(q): Query<crate::export::ExportQuery>,
) -> WebResult {
    let e = crate::export::build(&st, &s.p, crate::export::Target::Org(id), &q).await?;
    Ok(e.into_response())
}

/// `GET /hosts/{id}/export?format=…`.
async fn host_export(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Query(q): Query<crate::export::ExportQuery>,
) -> WebResult {
    let e = crate::export::build(&st, &s.p, crate::export::Target::Host(id), &q).await?;
    Ok(e.into_response())
}

#[derive(Deserialize)]
struct TlpForm {
    csrf: String,
    tlp: String,
}

async fn org_set_tlp(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<TlpForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    s.p.require_admin()?;
    let tlp = crate::export::parse_setting(&f.tlp)?;
    st.store.set_org_tlp(&s.p.actor(), id, tlp).await?;
    Ok(Redirect::to(&format!("/orgs/{id}")).into_response())
}

#[derive(Deserialize)]
struct VerifyForm {
    csrf: String,
    opt_out: bool,
}

async fn org_set_verify(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<VerifyForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    s.p.require_admin()?;
    st.store
        .set_verify_opt_out(&s.p.actor(), id, f.opt_out)
        .await?;
    Ok(Redirect::to(&format!("/orgs/{id}")).into_response())
}

#[derive(Deserialize)]
struct NetworkForm {
    csrf: String,
    kind: String,
    value: String,
}

async fn org_add_network(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<NetworkForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    s.p.require_admin()?;
    st.store
        .add_network(
            &s.p.actor(),
            id,
            &NewNetwork {
                kind: f.kind,
                value: f.value,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/orgs/{id}")).into_response())
}

#[derive(Deserialize)]
struct ContactForm {
    csrf: String,
    name: String,
    email: String,
}

async fn org_add_contact(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<ContactForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    s.p.require_admin()?;
    st.store
        .add_contact(
            &s.p.actor(),
            id,
            &NewContact {
                name: f.name,
                email: f.email,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/orgs/{id}")).into_response())
}

async fn hosts_page(
    State(st): State<AppState>,
    s: Session,
    Query(q): Query<ListQuery>,
) -> WebResult {
    let f = HostFilter {
        org_id: q.org_id,
        state: q.state.clone(),
        q: q.q.clone(),
    };
    let hosts = st
        .store
        .list_hosts(&s.p, &f, Page::new(q.limit, q.offset))
        .await?;
    let state = q.state.clone().unwrap_or_default();
    let qs = q.q.clone().unwrap_or_default();
    let body = html! {
        h1 { "Hosts" }
        form method="get" action="/hosts" {
            select name="state" {
                option value="" { "any state" }
                @for st in exray_store::state::ALL_STATES { option value=(st.as_str()) selected[state == st.as_str()] { (st.as_str()) } }
            }
            input type="search" name="q" value=(qs) placeholder="IP or hostname";
            button { "Filter" }
        }
        (hosts_table(&hosts))
        (pager(&format!("/hosts?state={}&q={}", enc(&state), enc(&qs)), &q, hosts.len()))
    };
    Ok(page("Hosts", Some(&s), body).into_response())
}

async fn host_page(State(st): State<AppState>, s: Session, Path(id): Path<i64>) -> WebResult {
    let d = st.store.host_detail(&s.p, id).await?;
    let h = &d.host;
    let name = h
        .hostname
        .clone()
        .or(h.ip.clone())
        .unwrap_or_else(|| format!("host {id}"));
    let body = html! {
        h1 { (shown(&name, CELL)) " " span class=(format!("state state-{}", h.state)) { (h.state) } }
        dl.kv {
            dt { "IP" } dd { (shown(h.ip.as_deref().unwrap_or("—"), CELL)) }
            dt { "organisation" } dd { @if let (Some(o), Some(n)) = (h.org_id, &h.org_name) { a href=(format!("/orgs/{o}")) { (shown(n, CELL)) } } @else { "unattributed" } }
            dt { "build" } dd { (shown(h.build.as_deref().unwrap_or("unknown"), CELL)) }
            dt { "what to install" } dd { (h.fix.as_deref().unwrap_or("—")) }
            dt { "last scan verdict" } dd { (h.scan_verdict.as_deref().unwrap_or("—")) }
            dt { "last hunt verdict" } dd { (h.hunt_verdict.as_deref().unwrap_or("—")) }
            dt { "first / last seen" } dd { (h.first_seen) " / " (h.last_seen) }
            dt { "export" } dd { (export_links(&format!("/hosts/{id}/export"), "")) }
        }
        h2 { "State history" }
        table {
            thead { tr { th { "time" } th { "from" } th { "to" } th { "cause" } th { "evidence" } th { "by" } } }
            tbody {
                @for t in &d.transitions {
                    tr {
                        td { (t.at) }
                        td { (t.from_state.as_deref().unwrap_or("—")) }
                        td { (t.to_state) @if t.reopened { " " span.reopened { "reopened" } } }
                        td { (shown(&t.cause, CELL)) }
                        td { @if let Some(r) = &t.report_id { "report " code { (r) } } @if let Some(n) = t.notification_id { "notification #" (n) } }
                        td { (t.actor) }
                    }
                }
            }
        }
        h2 { "Findings (" (d.findings.len()) ")" }
        (findings_table(&d.findings, true))
        h2 { "Observations" }
        table {
            thead { tr { th { "time" } th { "kind" } th { "verdict" } th { "build" } th { "report" } th { "evidence" } } }
            tbody {
                @for o in &d.observations {
                    tr {
                        td { (o.observed_at) } td { (o.kind) } td { (o.verdict) } td { (shown(o.build.as_deref().unwrap_or("—"), CELL)) } td { code { (o.report_id) } }
                        td {
                            @if let Some(evs) = o.detail.get("evidence").and_then(|e| e.as_array()) {
                                ul { @for e in evs { li { (e.get("what").and_then(|v| v.as_str()).unwrap_or("")) " = " code { (shown(e.get("value").and_then(|v| v.as_str()).unwrap_or(""), CELL)) } " (" (shown(e.get("url").and_then(|v| v.as_str()).unwrap_or(""), CELL)) ")" } } }
                            }
                            @if let Some(r) = o.detail.get("verdict_reason").and_then(|e| e.as_str()) { (r) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&name, Some(&s), body).into_response())
}

async fn findings_page(
    State(st): State<AppState>,
    s: Session,
    Query(q): Query<ListQuery>,
) -> WebResult {
    let f = FindingFilter {
        org_id: q.org_id,
        host_id: q.host_id,
        severity: q.severity.clone(),
    };
    let rows = st
        .store
        .list_findings(&s.p, &f, Page::new(q.limit, q.offset))
        .await?;
    let sev = q.severity.clone().unwrap_or_default();
    let body = html! {
        h1 { "Findings" }
        form method="get" action="/findings" {
            select name="severity" {
                option value="" { "any severity" }
                @for v in ["critical", "high", "medium", "low", "info"] { option value=(v) selected[sev == v] { (v) } }
            }
            button { "Filter" }
        }
        (findings_table(&rows, true))
        (pager(&format!("/findings?severity={}", enc(&sev)), &q, rows.len()))
    };
    Ok(page("Findings", Some(&s), body).into_response())
}

async fn notifications_page(
    State(st): State<AppState>,
    s: Session,
    Query(q): Query<ListQuery>,
) -> WebResult {
    let rows = st
        .store
        .list_notifications(
            &s.p,
            q.status.as_deref().filter(|x| !x.is_empty()),
            Page::new(q.limit, q.offset),
        )
        .await?;
    let status = q.status.clone().unwrap_or_default();
    let body = html! {
        h1 { "Notifications" }
        @if s.p.is_staff() {
            div.actions {
                form method="post" action="/notifications/queue" { input type="hidden" name="csrf" value=(s.csrf); button { "Queue notices now" } }
                form method="post" action="/notifications/deliver" { input type="hidden" name="csrf" value=(s.csrf); button { "Deliver queued notices" } }
            }
        }
        form method="get" action="/notifications" {
            select name="status" {
                option value="" { "any status" }
                @for v in ["queued", "sending", "sent", "acknowledged", "bounced"] { option value=(v) selected[status == v] { (v) } }
            }
            button { "Filter" }
        }
        table {
            thead { tr { th { "#" } th { "to" } th { "subject" } th { "status" } th { "created" } th { "sent" } th { "attempts / error" } th { "" } } }
            tbody {
                @for n in &rows {
                    tr {
                        td { (n.id) }
                        td { a href=(format!("/orgs/{}", n.org_id)) { (n.email) } }
                        td { details { summary { (n.subject) } pre { (n.body) } } }
                        td { (n.status) }
                        td { (n.created_at) }
                        td { (n.sent_at.as_deref().unwrap_or("—")) }
                        td { (n.attempts) " " (n.error.as_deref().unwrap_or("")) }
                        td {
                            @if n.status == "sent" {
                                form method="post" action=(format!("/notifications/{}/ack", n.id)) { input type="hidden" name="csrf" value=(s.csrf); button { "Acknowledge" } }
                            }
                            @if s.p.is_staff() && (n.status == "sent" || n.status == "queued") {
                                form method="post" action=(format!("/notifications/{}/bounce", n.id)) { input type="hidden" name="csrf" value=(s.csrf); button { "Bounced" } }
                            }
                        }
                    }
                }
            }
        }
        (pager(&format!("/notifications?status={}", enc(&status)), &q, rows.len()))
    };
    Ok(page("Notifications", Some(&s), body).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn notifications_queue(
    State(st): State<AppState>,
    s: Session,
    Form(f): Form<CsrfForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    st.store
        .queue_notifications(&s.p, &notice_settings(&st))
        .await?;
    Ok(Redirect::to("/notifications").into_response())
}

async fn notifications_deliver(
    State(st): State<AppState>,
    s: Session,
    Form(f): Form<CsrfForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    s.p.require_staff()?;
    deliver::deliver_queued(&st, &s.p.actor()).await?;
    Ok(Redirect::to("/notifications").into_response())
}

async fn notification_ack(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    st.store.ack_notification(&s.p, id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

async fn notification_bounce(
    State(st): State<AppState>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    st.store.bounce_notification(&s.p, id).await?;
    Ok(Redirect::to("/notifications").into_response())
}

async fn login_form(State(st): State<AppState>) -> Response {
    let csrf = exray_store::new_secret("");
    let body = html! {
        h1 { "Log in" }
        p { "Paste an exray API token. Sessions last eight hours." }
        form method="post" action="/login" {
            input type="hidden" name="csrf" value=(csrf);
            input type="password" name="token" autocomplete="off" required;
            button { "Log in" }
        }
    };
    let mut res = page("Log in", None, body).into_response();
    if let Ok(v) = session_cookie(&st, LOGIN_CSRF_COOKIE, &csrf, 600).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    token: String,
}

fn start_session(st: &AppState, sid: &str) -> Response {
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = session_cookie(st, SESSION_COOKIE, sid, 8 * 3600).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    if let Ok(v) = session_cookie(st, LOGIN_CSRF_COOKIE, "", 0).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn login_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> WebResult {
    // Login CSRF: the form's token must match the cookie set with the form (double submit).
    match cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(c) if !c.is_empty() && eq_ct(&c, &f.csrf) => {}
        _ => {
            return Err(WebError(
                StatusCode::FORBIDDEN,
                "invalid or missing CSRF token".into(),
            ))
        }
    }
    let Some(p) = st.store.authenticate(f.token.trim()).await? else {
        return Err(WebError(
            StatusCode::UNAUTHORIZED,
            "unknown or revoked token".into(),
        ));
    };
    let (sid, _csrf) = st.store.create_session(&p).await?;
    Ok(start_session(&st, &sid))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// A local path to go to after login, else `/`. Accepted: one `/` followed by a character that
/// is neither `/` nor `\\` (or nothing), no `\\` and no control character anywhere, checked on
/// the value as given and after every round of percent-decoding (so `/%09/evil.example/`,
/// `/%2F/evil.example` and their double encodings fall back to `/`).
pub fn local_next(next: Option<&str>) -> &str {
    fn safe(p: &str) -> bool {
        let b = p.as_bytes();
        b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
            && !p.contains('\\')
            && !p.chars().any(|c| c.is_control())
    }
    let Some(n) = next else { return "/" };
    if n.len() >= 512 {
        return "/";
    }
    let mut cur = std::borrow::Cow::Borrowed(n);
    for _ in 0..4 {
        if !safe(&cur) {
            return "/";
        }
        let dec = percent_encoding::percent_decode_str(&cur).decode_utf8_lossy();
        if dec == cur {
            return n;
        }
        cur = std::borrow::Cow::Owned(dec.into_owned());
    }
    "/"
}

async fn login_link(
    State(st): State<AppState>,
    Path(ticket): Path<String>,
    Query(q): Query<NextQuery>,
) -> WebResult {
    let Some(p) = st.store.consume_login_link(&ticket).await? else {
        return Err(WebError(
            StatusCode::UNAUTHORIZED,
            "this login link is unknown, used or expired".into(),
        ));
    };
    let (sid, _csrf) = st.store.create_session(&p).await?;
    let mut res = start_session(&st, &sid);
    if let Ok(v) = local_next(q.next.as_deref()).parse() {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

async fn logout(
    State(st): State<AppState>,
    headers: HeaderMap,
    s: Session,
    Form(f): Form<CsrfForm>,
) -> WebResult {
    check_csrf(&s, &f.csrf)?;
    if let Some(sid) = cookie(&headers, SESSION_COOKIE) {
        st.store.delete_session(&sid).await?;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = session_cookie(&st, SESSION_COOKIE, "", 0).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
