//! Stacking of script pages over the whole hunt: per page and client, how a page was used, so
//! that a tunnel or a shell is found wherever it lives (any site, any virtual directory) by how
//! it behaves: requested by very few clients, POST-dominated, no referrer, at machine pace, in
//! long-held requests, on one server of a farm.
//!
//! Memory is bounded whatever the log volume: at most [`MAX_PAGES`] pages per table, each with at
//! most [`MAX_CLIENTS`] clients, [`MAX_SERVERS`] servers and [`EVIDENCE_KEPT`] evidence lines
//! (raw lines capped at [`RAW_KEPT`] bytes), i.e. well under 32 MiB per worker thread. Pages
//! past the cap are counted, not stacked, and the report says so.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use exray_core::{Evidence, PageLead, RuleMeta};

/// Pages stacked per table.
pub const MAX_PAGES: usize = 4096;
/// Clients kept per page; more are counted as "more".
pub const MAX_CLIENTS: usize = 8;
/// Servers (`s-ip`) kept per page.
pub const MAX_SERVERS: usize = 4;
/// Evidence lines kept per page (the earliest).
pub const EVIDENCE_KEPT: usize = 3;
/// Raw bytes kept per evidence line.
pub const RAW_KEPT: usize = 1024;
/// Leads listed in a report.
pub const LEADS_CAP: usize = 50;
/// A client that requests one page this often in one minute is a program, not a person.
const MACHINE_PACE: u32 = 30;
/// Minutes with at least this many requests from one client count as busy.
const BUSY: u32 = 20;
/// A request held this long (`time-taken`, ms) streams: tunnels hold connections open.
const LONG_MS: u64 = 30_000;

/// One client of one page.
#[derive(Debug, Clone, Default)]
struct ClientStat {
    requests: u64,
    minute: i64,
    in_minute: u32,
    max_per_minute: u32,
    busy_minutes: u32,
}

impl ClientStat {
    fn record(&mut self, t: Option<DateTime<Utc>>) {
        self.requests += 1;
        let Some(t) = t else { return };
        let m = t.timestamp().div_euclid(60);
        if m != self.minute {
            self.minute = m;
            self.in_minute = 0;
        }
        self.in_minute += 1;
        self.max_per_minute = self.max_per_minute.max(self.in_minute);
        if self.in_minute == BUSY {
            self.busy_minutes += 1;
        }
    }
}

/// What one request to a stacked page looked like.
pub struct Seen<'a> {
    pub site: &'a str,
    /// Percent-decoded, lower-cased URL path.
    pub page: &'a str,
    pub client: &'a str,
    pub server: &'a [u8],
    pub post: bool,
    pub status_ok: bool,
    /// `None`: the layout does not log a referrer.
    pub referer: Option<bool>,
    /// `None`: the layout does not log a user name.
    pub user: Option<bool>,
    pub time_taken_ms: Option<u64>,
    /// A tunnel or client trait (`rules/requests.toml`) matched this request.
    pub scripted_client: bool,
    pub timestamp: Option<DateTime<Utc>>,
}

/// How one page was used.
#[derive(Debug, Clone, Default)]
pub struct PageStat {
    requests: u64,
    posts: u64,
    ok: u64,
    referer_logged: u64,
    no_referer: u64,
    user_logged: u64,
    with_user: u64,
    long_requests: u64,
    scripted: u64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    clients: Vec<(String, ClientStat)>,
    more_clients: bool,
    servers: Vec<String>,
    more_servers: bool,
    evidence: Vec<Evidence>,
}

/// Per site (log folder): what was stacked there.
#[derive(Debug, Clone, Default)]
struct SiteStat {
    requests: u64,
    user_logged: u64,
    with_user: u64,
    vdirs: BTreeSet<String>,
}

/// Per-page statistics of one worker (merged at the end of the log hunt).
#[derive(Debug, Default)]
pub struct PageTable {
    /// By `site` NUL `page` (one string: looked up without allocating).
    pages: HashMap<String, PageStat>,
    scratch: String,
    sites: HashMap<String, SiteStat>,
    servers: BTreeSet<String>,
    /// Requests for pages that did not fit in the table.
    pub unstacked_requests: u64,
}

fn earlier(a: &Evidence, b: &Evidence) -> bool {
    (a.timestamp, &a.file, a.line) < (b.timestamp, &b.file, b.line)
}

fn keep_earliest(kept: &mut Vec<Evidence>, ev: Evidence) {
    if kept.len() < EVIDENCE_KEPT {
        kept.push(ev);
    } else if let Some(latest) = kept
        .iter_mut()
        .max_by(|a, b| (a.timestamp, &a.file, a.line).cmp(&(b.timestamp, &b.file, b.line)))
    {
        if earlier(&ev, latest) {
            *latest = ev;
        }
    } else {
        return;
    }
    kept.sort_by(|a, b| (a.timestamp, &a.file, a.line).cmp(&(b.timestamp, &b.file, b.line)));
}

impl PageTable {
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty() && self.unstacked_requests == 0
    }

    /// Count one request. `evidence` is built only when the page keeps it (the earliest lines).
    pub fn record(&mut self, s: &Seen<'_>, evidence: impl FnOnce() -> Evidence) {
        let site = match self.sites.get_mut(s.site) {
            Some(site) => site,
            None => self.sites.entry(s.site.to_string()).or_default(),
        };
        site.requests += 1;
        if let Some(u) = s.user {
            site.user_logged += 1;
            site.with_user += u as u64;
        }
        if let Ok(server) = std::str::from_utf8(s.server) {
            if !server.is_empty() && self.servers.len() < 64 && !self.servers.contains(server) {
                self.servers.insert(server.to_string());
            }
        }
        self.scratch.clear();
        self.scratch.push_str(s.site);
        self.scratch.push('\0');
        self.scratch.push_str(s.page);
        let full = self.pages.len() >= MAX_PAGES;
        let page = match self.pages.get_mut(self.scratch.as_str()) {
            Some(p) => p,
            None if full => {
                self.unstacked_requests += 1;
                return;
            }
            None => {
                if site.vdirs.len() < 64 {
                    site.vdirs.insert(vdir_of(s.page).to_string());
                }
                self.pages.entry(self.scratch.clone()).or_default()
            }
        };
        page.requests += 1;
        page.posts += s.post as u64;
        page.ok += s.status_ok as u64;
        if let Some(r) = s.referer {
            page.referer_logged += 1;
            page.no_referer += (!r) as u64;
        }
        if let Some(u) = s.user {
            page.user_logged += 1;
            page.with_user += u as u64;
        }
        page.long_requests += s.time_taken_ms.is_some_and(|t| t >= LONG_MS) as u64;
        page.scripted += s.scripted_client as u64;
        if let Some(t) = s.timestamp {
            page.first = Some(page.first.map_or(t, |f| f.min(t)));
            page.last = Some(page.last.map_or(t, |l| l.max(t)));
        }
        match page.clients.iter().position(|(ip, _)| ip == s.client) {
            Some(i) => page.clients[i].1.record(s.timestamp),
            None if page.clients.len() < MAX_CLIENTS => {
                let mut c = ClientStat::default();
                c.record(s.timestamp);
                page.clients.push((s.client.to_string(), c));
            }
            None => page.more_clients = true,
        }
        if !s.server.is_empty() && !page.servers.iter().any(|v| v.as_bytes() == s.server) {
            if page.servers.len() < MAX_SERVERS {
                page.servers
                    .push(String::from_utf8_lossy(s.server).into_owned());
            } else {
                page.more_servers = true;
            }
        }
        let keep = page.evidence.len() < EVIDENCE_KEPT
            || page.evidence.last().is_some_and(|l| {
                s.timestamp
                    .is_some_and(|t| l.timestamp.is_none_or(|lt| t < lt))
            });
        if keep {
            let mut ev = evidence();
            if let Some(raw) = ev.raw.as_mut() {
                if raw.len() > RAW_KEPT {
                    let mut cut = RAW_KEPT;
                    while !raw.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    raw.truncate(cut);
                    raw.push_str("…[cut]");
                }
            }
            keep_earliest(&mut page.evidence, ev);
        }
    }

    /// Fold another worker's table into this one (the cap still holds).
    pub fn merge(&mut self, other: PageTable) {
        self.unstacked_requests += other.unstacked_requests;
        for (k, s) in other.sites {
            let mine = self.sites.entry(k).or_default();
            mine.requests += s.requests;
            mine.user_logged += s.user_logged;
            mine.with_user += s.with_user;
            for v in s.vdirs {
                if mine.vdirs.len() < 64 {
                    mine.vdirs.insert(v);
                }
            }
        }
        for s in other.servers {
            if self.servers.len() < 64 {
                self.servers.insert(s);
            }
        }
        for (k, p) in other.pages {
            match self.pages.get_mut(&k) {
                Some(mine) => mine.absorb(p),
                None => {
                    self.pages.insert(k, p);
                }
            }
        }
        // Over the cap, the pages last in key order are dropped (and counted): the same pages
        // whatever order the workers' tables arrive in.
        if self.pages.len() > MAX_PAGES {
            let mut keys: Vec<_> = self.pages.keys().cloned().collect();
            keys.sort();
            for k in keys.drain(MAX_PAGES..) {
                if let Some(p) = self.pages.remove(&k) {
                    self.unstacked_requests += p.requests;
                }
            }
        }
    }

    /// Per site: (site, script pages stacked, requests stacked, virtual directories).
    pub fn sites(&self) -> Vec<(String, u64, u64, Vec<String>)> {
        let mut pages: HashMap<&str, u64> = HashMap::new();
        for key in self.pages.keys() {
            *pages.entry(split_key(key).0).or_default() += 1;
        }
        let mut out: Vec<_> = self
            .sites
            .iter()
            .map(|(site, s)| {
                (
                    site.clone(),
                    pages.get(site.as_str()).copied().unwrap_or(0),
                    s.requests,
                    s.vdirs.iter().cloned().collect(),
                )
            })
            .collect();
        out.sort();
        out
    }
}

impl PageStat {
    fn absorb(&mut self, o: PageStat) {
        self.requests += o.requests;
        self.posts += o.posts;
        self.ok += o.ok;
        self.referer_logged += o.referer_logged;
        self.no_referer += o.no_referer;
        self.user_logged += o.user_logged;
        self.with_user += o.with_user;
        self.long_requests += o.long_requests;
        self.scripted += o.scripted;
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, o.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.more_clients |= o.more_clients;
        for (ip, c) in o.clients {
            match self.clients.iter().position(|(i, _)| *i == ip) {
                Some(i) => {
                    let mine = &mut self.clients[i].1;
                    mine.requests += c.requests;
                    mine.max_per_minute = mine.max_per_minute.max(c.max_per_minute);
                    mine.busy_minutes += c.busy_minutes;
                }
                None if self.clients.len() < MAX_CLIENTS => self.clients.push((ip, c)),
                None => self.more_clients = true,
            }
        }
        self.clients.sort_by(|a, b| a.0.cmp(&b.0));
        self.more_servers |= o.more_servers;
        for s in o.servers {
            if !self.servers.contains(&s) {
                if self.servers.len() < MAX_SERVERS {
                    self.servers.push(s);
                } else {
                    self.more_servers = true;
                }
            }
        }
        for e in o.evidence {
            keep_earliest(&mut self.evidence, e);
        }
    }
}

/// A table key's site and page.
fn split_key(key: &str) -> (&str, &str) {
    key.split_once('\0').unwrap_or((key, ""))
}

/// The first path segment of a page (`/erp/conn.aspx` → `/erp`; `/x.aspx` → `/`).
pub fn vdir_of(page: &str) -> &str {
    match page[1.min(page.len())..].find('/') {
        Some(i) => &page[..i + 1],
        None => "/",
    }
}

/// Why a page looks like a tool's (or is worth a look).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Rare,
    PostDominated,
    MachinePace,
    NoReferrer,
    NoUserWhereExpected,
    OneServerOfFarm,
    LongRequests,
    ScriptedClient,
    NewInWindow,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Rare => "requested by very few clients",
            Reason::PostDominated => "POST-dominated",
            Reason::MachinePace => "requested at machine pace (bursts from one client)",
            Reason::NoReferrer => "never a referrer",
            Reason::NoUserWhereExpected => {
                "no authenticated user on a site whose other pages have one"
            }
            Reason::OneServerOfFarm => "seen on one server of the farm only",
            Reason::LongRequests => "long-held requests (streaming)",
            Reason::ScriptedClient => "matched a tunnel or client trait",
            Reason::NewInWindow => {
                "first requested inside the exploitation window, days after the site's logs begin"
            }
        }
    }
}

/// What a page is judged against besides its own numbers.
pub struct Context<'a> {
    /// Distinct servers (`s-ip`) in the stacked logs.
    farm: usize,
    /// The exploitation window (file times and first requests inside it weigh more).
    pub window: (DateTime<Utc>, DateTime<Utc>),
    /// When a site's logs begin (its coverage).
    pub site_first: &'a dyn Fn(&str) -> Option<DateTime<Utc>>,
    /// Whether the page or one of its clients is tied to other evidence.
    pub joined: &'a dyn Fn(&str, &[&str]) -> bool,
    /// Whether another finding already names the page (not repeated as a lead).
    pub known: &'a dyn Fn(&str) -> bool,
}

impl<'a> Context<'a> {
    pub fn new(
        window: (DateTime<Utc>, DateTime<Utc>),
        site_first: &'a dyn Fn(&str) -> Option<DateTime<Utc>>,
        joined: &'a dyn Fn(&str, &[&str]) -> bool,
        known: &'a dyn Fn(&str) -> bool,
    ) -> Self {
        Context {
            farm: 0,
            window,
            site_first,
            joined,
            known,
        }
    }
}

fn reasons(
    p: &PageStat,
    site_name: &str,
    site: Option<&SiteStat>,
    cx: &Context<'_>,
) -> Vec<Reason> {
    let farm = cx.farm;
    let mut r = Vec::new();
    if !p.more_clients && p.clients.len() <= 2 {
        r.push(Reason::Rare);
    }
    if p.requests >= 10 && p.posts * 10 >= p.requests * 8 {
        r.push(Reason::PostDominated);
    }
    if p.clients
        .iter()
        .any(|(_, c)| c.max_per_minute >= MACHINE_PACE || c.busy_minutes >= 3)
    {
        r.push(Reason::MachinePace);
    }
    if p.referer_logged >= 10 && p.no_referer == p.referer_logged {
        r.push(Reason::NoReferrer);
    }
    if let Some(s) = site {
        let others_logged = s.user_logged.saturating_sub(p.user_logged);
        let others_with = s.with_user.saturating_sub(p.with_user);
        if p.user_logged >= 10
            && p.with_user == 0
            && others_logged >= 100
            && others_with * 2 >= others_logged
        {
            r.push(Reason::NoUserWhereExpected);
        }
    }
    if farm >= 2 && p.servers.len() == 1 && !p.more_servers && p.requests >= 10 {
        r.push(Reason::OneServerOfFarm);
    }
    if p.long_requests >= 3 {
        r.push(Reason::LongRequests);
    }
    if p.scripted > 0 {
        r.push(Reason::ScriptedClient);
    }
    if let (Some(first), Some(site_first)) = (p.first, (cx.site_first)(site_name)) {
        if first >= cx.window.0
            && first <= cx.window.1
            && site_first + chrono::Duration::days(2) <= first
        {
            r.push(Reason::NewInWindow);
        }
    }
    r
}

/// A page that is rare and behaves like a tool: POST-dominated, and one more trait of a program.
/// A page new in the exploitation window is a stronger lead, but not alone a tool: sites get
/// new pages.
fn tool_like(r: &[Reason]) -> bool {
    r.contains(&Reason::Rare)
        && r.contains(&Reason::PostDominated)
        && r.iter().any(|x| {
            matches!(
                x,
                Reason::MachinePace
                    | Reason::NoReferrer
                    | Reason::NoUserWhereExpected
                    | Reason::OneServerOfFarm
                    | Reason::LongRequests
                    | Reason::ScriptedClient
            )
        })
}

/// A tool-like page used by one client.
pub struct PageHit {
    pub rule: RuleMeta,
    pub client: String,
    pub page: String,
    pub requests: u64,
    pub evidence: Vec<Evidence>,
}

/// What stacking concludes: hits for [`crate::rules::rare_tool_page`] (or its joined form), and leads.
pub struct Judgement {
    /// Per tool-like page and client: the rule, the client, the page, the client's requests
    /// for it, and the earliest of them as evidence.
    pub hits: Vec<PageHit>,
    pub leads: Vec<PageLead>,
    /// Rare pages that were not listed (over [`LEADS_CAP`]).
    pub leads_left_out: usize,
}

/// Judge every stacked page. `joined(page, clients)` tells whether the page or one of its
/// clients is tied to other evidence; `known(page)` whether another finding already names it
/// (such pages are not repeated as leads).
pub fn judge(table: &PageTable, mut cx: Context<'_>) -> Judgement {
    cx.farm = table.servers.len();
    let (joined, known) = (cx.joined, cx.known);
    let mut hits = Vec::new();
    let mut leads = Vec::new();
    let mut keys: Vec<_> = table.pages.keys().collect();
    keys.sort();
    for key in keys {
        let p = &table.pages[key];
        let (site, page) = split_key(key);
        let (site, page) = (site.to_string(), page.to_string());
        let r = reasons(p, &site, table.sites.get(&site), &cx);
        let clients: Vec<&str> = p.clients.iter().map(|(ip, _)| ip.as_str()).collect();
        if tool_like(&r) {
            let rule = if joined(&page, &clients) {
                crate::rules::rare_tool_page_joined()
            } else {
                crate::rules::rare_tool_page()
            };
            let why: Vec<&str> = r.iter().map(|x| x.describe()).collect();
            for (ip, c) in &p.clients {
                let evidence = p
                    .evidence
                    .iter()
                    .filter(|e| e.client_ip.as_deref() == Some(ip.as_str()))
                    .map(|ev| {
                        ev.clone()
                            .field("page", page.clone())
                            .field("site", site.clone())
                            .field("page requests", p.requests.to_string())
                            .field("page POSTs", p.posts.to_string())
                            .field("client requests", c.requests.to_string())
                            .field("client peak per minute", c.max_per_minute.to_string())
                            .field("why", why.join("; "))
                    })
                    .collect();
                hits.push(PageHit {
                    rule: rule.clone(),
                    client: ip.clone(),
                    page: page.clone(),
                    requests: c.requests,
                    evidence,
                });
            }
            continue;
        }
        if r.contains(&Reason::Rare) && !known(&page) {
            leads.push(PageLead {
                site: site.clone(),
                page: page.clone(),
                requests: p.requests,
                posts: p.posts,
                clients: clients.iter().map(|c| c.to_string()).collect(),
                more_clients: p.more_clients,
                first_seen: p.first,
                last_seen: p.last,
                reasons: r.iter().map(|x| x.describe().to_string()).collect(),
                evidence: p.evidence.first().cloned(),
            });
        }
    }
    leads.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.reasons.len()),
            std::cmp::Reverse(a.requests),
            &a.site,
            &a.page,
        )
            .cmp(&(
                std::cmp::Reverse(b.reasons.len()),
                std::cmp::Reverse(b.requests),
                &b.site,
                &b.page,
            ))
    });
    let leads_left_out = leads.len().saturating_sub(LEADS_CAP);
    leads.truncate(LEADS_CAP);
    Judgement {
        hits,
        leads,
        leads_left_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use exray_core::SourceKind;

    fn seen<'a>(page: &'a str, client: &'a str, post: bool, t: DateTime<Utc>) -> Seen<'a> {
        Seen {
            site: "W3SVC1",
            page,
            client,
            server: b"10.0.0.5",
            post,
            status_ok: true,
            referer: Some(false),
            user: Some(false),
            time_taken_ms: Some(15),
            scripted_client: false,
            timestamp: Some(t),
        }
    }

    fn ev(client: &str, line: u64, t: DateTime<Utc>) -> Evidence {
        let mut e = Evidence::new(SourceKind::Iis, "u_ex.log").with_raw(b"raw");
        e.line = Some(line);
        e.timestamp = Some(t);
        e.client_ip = Some(client.into());
        e
    }

    #[test]
    fn a_tunnel_page_is_a_finding_and_a_rare_page_a_lead() {
        let t0 = Utc.with_ymd_and_hms(2021, 3, 3, 10, 0, 0).unwrap();
        let mut table = PageTable::default();
        for i in 0..200u64 {
            let t = t0 + chrono::Duration::seconds(i as i64);
            table.record(&seen("/erp/conn.aspx", "203.0.113.9", true, t), || {
                ev("203.0.113.9", i + 1, t)
            });
        }
        table.record(&seen("/app/report.aspx", "10.1.1.1", false, t0), || {
            ev("10.1.1.1", 1, t0)
        });
        for c in 0..20 {
            let ip = format!("10.2.0.{c}");
            table.record(&seen("/app/home.aspx", &ip, true, t0), || ev(&ip, 9, t0));
        }
        let w = (
            t0 - chrono::Duration::days(60),
            t0 + chrono::Duration::days(60),
        );
        let no_first = |_: &str| None;
        let j = judge(
            &table,
            Context::new(w, &no_first, &|_, _| false, &|_| false),
        );
        assert_eq!(j.hits.len(), 1);
        let h = &j.hits[0];
        assert_eq!(
            (
                h.rule.id.as_str(),
                h.client.as_str(),
                h.page.as_str(),
                h.requests
            ),
            ("EXRAY-WS-010", "203.0.113.9", "/erp/conn.aspx", 200)
        );
        // The earliest lines are the evidence.
        let lines: Vec<_> = h.evidence.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(1), Some(2), Some(3)]);
        assert_eq!(j.leads.len(), 1);
        assert_eq!(j.leads[0].page, "/app/report.aspx");
        let joined = judge(
            &table,
            Context::new(w, &no_first, &|p, _| p == "/erp/conn.aspx", &|_| false),
        );
        assert!(joined.hits.iter().all(|h| h.rule.id == "EXRAY-WS-011"));
    }

    #[test]
    fn caps_hold_and_merging_is_order_independent() {
        let t0 = Utc.with_ymd_and_hms(2021, 3, 3, 10, 0, 0).unwrap();
        let mut a = PageTable::default();
        let mut b = PageTable::default();
        for i in 0..(MAX_PAGES + 100) {
            let page = format!("/p/{i}.aspx");
            let t = if i % 2 == 0 { &mut a } else { &mut b };
            for c in 0..(MAX_CLIENTS + 3) {
                let ip = format!("10.0.0.{c}");
                t.record(&seen(&page, &ip, false, t0), || ev(&ip, 1, t0));
            }
        }
        assert!(a.pages.len() <= MAX_PAGES && b.pages.len() <= MAX_PAGES);
        assert!(a
            .pages
            .values()
            .all(|p| p.clients.len() <= MAX_CLIENTS && p.more_clients));
        let mut ab = PageTable::default();
        let mut ba = PageTable::default();
        let (a2, b2) = (clone_table(&a), clone_table(&b));
        ab.merge(a);
        ab.merge(b);
        ba.merge(b2);
        ba.merge(a2);
        assert_eq!(ab.pages.len(), MAX_PAGES);
        let mut ka: Vec<_> = ab.pages.keys().collect();
        let mut kb: Vec<_> = ba.pages.keys().collect();
        ka.sort();
        kb.sort();
        assert_eq!(ka, kb);
        assert_eq!(ab.unstacked_requests, ba.unstacked_requests);
        assert!(ab.unstacked_requests > 0);
    }

    fn clone_table(t: &PageTable) -> PageTable {
        PageTable {
            pages: t.pages.clone(),
            sites: t.sites.clone(),
            servers: t.servers.clone(),
            unstacked_requests: t.unstacked_requests,
            scratch: String::new(),
        }
    }

    #[test]
    fn a_page_new_in_the_window_is_a_stronger_lead_not_a_finding() {
        let t0 = Utc.with_ymd_and_hms(2021, 3, 3, 10, 0, 0).unwrap();
        let mut table = PageTable::default();
        // A new page POSTed to by one client, with a referrer, at a person's pace.
        for i in 0..20u64 {
            let t = t0 + chrono::Duration::minutes(10 * i as i64);
            let mut s = seen("/app/new.ashx", "10.1.1.1", true, t);
            s.referer = Some(true);
            table.record(&s, || ev("10.1.1.1", i + 1, t));
        }
        let w = (
            t0 - chrono::Duration::days(60),
            t0 + chrono::Duration::days(60),
        );
        let site_first = |_: &str| Some(t0 - chrono::Duration::days(10));
        let j = judge(
            &table,
            Context::new(w, &site_first, &|_, _| false, &|_| false),
        );
        assert!(j.hits.is_empty());
        assert_eq!(j.leads.len(), 1);
        assert!(j.leads[0]
            .reasons
            .iter()
            .any(|r| r.starts_with("first requested inside the exploitation window")));
        // Outside the window, or a site whose logs begin that day: no such reason.
        let late = (
            t0 + chrono::Duration::days(1),
            t0 + chrono::Duration::days(60),
        );
        let j = judge(
            &table,
            Context::new(late, &site_first, &|_, _| false, &|_| false),
        );
        assert_eq!(j.leads[0].reasons.len(), 2);
    }

    #[test]
    fn vdirs() {
        assert_eq!(vdir_of("/erp/conn.aspx"), "/erp");
        assert_eq!(vdir_of("/x.aspx"), "/");
    }
}
