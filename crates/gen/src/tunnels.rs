//! IIS traffic of tunnels and web-shell clients, embedded in days of benign Exchange front-end
//! traffic, for the request-log stacking tests.
//!
//! Each family's requests follow what its server page reads (the public tools' server code):
//! Tunna answers only queries starting with `proxy`; reGeorg's classic page switches on
//! `cmd=connect|read|forward|disconnect`; reDuh's on `action=…`; Neo-reGeorg, suo5, ABPTTS,
//! pystinger and pivotnacci carry everything in POST bodies and headers, which IIS does not log;
//! Behinder and Godzilla post encrypted payloads; AntSword sends its own user agent.

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::{benign_iis, iis_preamble, Rng};

/// The families [`family_requests`] writes.
pub const FAMILIES: &[&str] = &[
    "tunna",
    "regeorg",
    "neo-regeorg",
    "suo5",
    "abptts",
    "pystinger",
    "pivotnacci",
    "reduh",
    "antsword",
    "godzilla",
    "behinder",
];

const BROWSER: &str =
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/96.0.4664.110+Safari/537.36";

/// One IIS request with every field the stacking reads.
pub struct Req<'a> {
    pub t: DateTime<Utc>,
    pub server: &'a str,
    pub method: &'a str,
    pub stem: &'a str,
    pub query: &'a str,
    pub user: &'a str,
    pub ip: &'a str,
    pub ua: &'a str,
    pub referer: &'a str,
    pub status: u16,
    pub time_taken: u64,
}

/// A line in `crate::IIS_FIELDS` layout.
pub fn line(r: &Req<'_>) -> String {
    let dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.replace(' ', "+")
        }
    };
    format!(
        "{} {} {} {} {} 443 {} {} {} {} {} 0 0 {}",
        r.t.format("%Y-%m-%d %H:%M:%S"),
        r.server,
        r.method,
        r.stem,
        dash(r.query),
        dash(r.user),
        r.ip,
        dash(r.ua),
        dash(r.referer),
        r.status,
        r.time_taken
    )
}

/// The requests of one family's session: `n` exchanges by `ip` with `page`, from `start`.
/// Returns (time, line) pairs.
pub fn family_requests(
    rng: &mut Rng,
    family: &str,
    page: &str,
    ip: &str,
    start: DateTime<Utc>,
    n: usize,
) -> Vec<(DateTime<Utc>, String)> {
    let mut out = Vec::new();
    let mut t = start;
    let mut push = |t: DateTime<Utc>,
                    method: &str,
                    query: &str,
                    ua: &str,
                    referer: &str,
                    status: u16,
                    taken: u64| {
        out.push((
            t,
            line(&Req {
                t,
                server: "10.0.0.5",
                method,
                stem: page,
                query,
                user: "",
                ip,
                ua,
                referer,
                status,
                time_taken: taken,
            }),
        ));
    };
    // Machine pace: a tunnel polls several times a second while a session is open.
    let step = |rng: &mut Rng, t: &mut DateTime<Utc>, max_ms: u64| {
        *t += Duration::milliseconds(rng.below(max_ms) as i64 + 50);
    };
    match family {
        "tunna" => {
            push(
                t,
                "GET",
                "proxy&port=3389&ip=127.0.0.1",
                "Python-urllib/2.7",
                "",
                200,
                31,
            );
            for i in 0..n {
                step(rng, &mut t, 400);
                let q = if i % 5 == 0 { "proxy&file" } else { "proxy" };
                push(
                    t,
                    "POST",
                    q,
                    "Python-urllib/2.7",
                    "",
                    200,
                    rng.below(200) + 5,
                );
            }
            push(t, "GET", "proxy&close", "Python-urllib/2.7", "", 200, 9);
        }
        "regeorg" => {
            push(
                t,
                "POST",
                "cmd=connect&target=10.0.0.20&port=445",
                BROWSER,
                "",
                200,
                40,
            );
            for i in 0..n {
                step(rng, &mut t, 300);
                let q = if i % 2 == 0 {
                    "cmd=read"
                } else {
                    "cmd=forward"
                };
                push(t, "POST", q, BROWSER, "", 200, rng.below(100) + 3);
            }
            push(t, "POST", "cmd=disconnect", BROWSER, "", 200, 4);
        }
        "reduh" => {
            push(
                t,
                "GET",
                "action=checkPort&port=42000",
                "Java/1.8.0_281",
                "",
                200,
                20,
            );
            push(t, "GET", "action=createSocket&servicePort=42000&socketNumber=1&targetHost=10.0.0.20&targetPort=3389", "Java/1.8.0_281", "", 200, 30);
            for i in 0..n {
                step(rng, &mut t, 500);
                let q = if i % 3 == 0 {
                    format!("action=newData&socketNumber=1&sequenceNumber={i}&data=AAAA")
                } else {
                    "action=getData&servicePort=42000".to_string()
                };
                push(t, "GET", &q, "Java/1.8.0_281", "", 200, rng.below(60) + 3);
            }
        }
        "neo-regeorg" | "abptts" | "pivotnacci" | "suo5" | "pystinger" => {
            // One GET to check the page is alive, then everything in POST bodies or headers.
            let ua = match family {
                "pystinger" | "pivotnacci" => "python-requests/2.25.1",
                _ => BROWSER,
            };
            push(t, "GET", "", ua, "", 200, 12);
            for _ in 0..n {
                step(rng, &mut t, 600);
                // suo5 streams: its full-duplex requests stay open for minutes.
                let taken = if family == "suo5" && rng.below(4) == 0 {
                    60_000 + rng.below(240_000)
                } else {
                    rng.below(300) + 5
                };
                push(t, "POST", "", ua, "", 200, taken);
            }
        }
        "antsword" => {
            for _ in 0..n {
                step(rng, &mut t, 5_000);
                push(t, "POST", "", "antSword/v2.1", "", 200, rng.below(80) + 5);
            }
        }
        "godzilla" | "behinder" => {
            // Operators drive these by hand, but the client opens with a burst (payload upload,
            // test, basic info, file listing) and lists folders in bursts.
            let referer = if family == "behinder" { page } else { "" };
            for i in 0..n {
                if i % 40 == 0 {
                    t += Duration::seconds(rng.below(600) as i64 + 30);
                } else {
                    step(rng, &mut t, 1_200);
                }
                push(t, "POST", "", BROWSER, referer, 200, rng.below(150) + 5);
            }
        }
        other => panic!("unknown family {other}"),
    }
    out
}

/// Benign lines of an Exchange front end's day beyond [`benign_iis`]: load-balancer checks of a
/// custom probe page, managed-availability probes, and a small intranet application whose
/// AJAX handler two users POST to from its pages.
pub fn benign_extras(rng: &mut Rng, day: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
    let mut out = Vec::new();
    let mut t = day;
    while t < day + Duration::days(1) {
        for lb in ["10.0.0.2", "10.0.0.3"] {
            out.push((
                t,
                line(&Req {
                    t,
                    server: "10.0.0.5",
                    method: "GET",
                    stem: "/lbprobe/health.aspx",
                    query: "",
                    user: "",
                    ip: lb,
                    ua: "KEMP+1.0",
                    referer: "",
                    status: 200,
                    time_taken: 2,
                }),
            ));
        }
        if rng.below(6) == 0 {
            out.push((
                t,
                line(&Req {
                    t,
                    server: "10.0.0.5",
                    method: "GET",
                    stem: "/ecp/ReportingWebService/",
                    query: "",
                    user: "HealthMailbox1a2b3c",
                    ip: "127.0.0.1",
                    ua: "AMProbe/Local/ClientAccess",
                    referer: "",
                    status: 200,
                    time_taken: 40,
                }),
            ));
        }
        t += Duration::seconds(10);
    }
    // The intranet app: two users, working hours, pages then AJAX saves with a referrer.
    for (user, ip) in [
        ("CONTOSO\\frank", "10.1.6.10"),
        ("CONTOSO\\gina", "10.1.6.11"),
    ] {
        let mut t = day + Duration::hours(9) + Duration::minutes(rng.below(60) as i64);
        for _ in 0..40 {
            t += Duration::seconds(rng.below(600) as i64 + 20);
            out.push((
                t,
                line(&Req {
                    t,
                    server: "10.0.0.5",
                    method: "GET",
                    stem: "/timesheet/default.aspx",
                    query: "",
                    user,
                    ip,
                    ua: BROWSER,
                    referer: "https://intranet.contoso.com/",
                    status: 200,
                    time_taken: 80,
                }),
            ));
            out.push((
                t + Duration::seconds(30),
                line(&Req {
                    t: t + Duration::seconds(30),
                    server: "10.0.0.5",
                    method: "POST",
                    stem: "/timesheet/save.ashx",
                    query: "",
                    user,
                    ip,
                    ua: BROWSER,
                    referer: "https://intranet.contoso.com/timesheet/default.aspx",
                    status: 200,
                    time_taken: 60,
                }),
            ));
        }
    }
    out
}

/// Pages tunnels are put at in the cases: anywhere, on any site and virtual directory.
/// None is in a folder the location rules watch (`owa/auth`, `aspnet_client`, …), so the cases
/// test what stacking and the traits find on their own.
const PAGES: &[&str] = &[
    "/erp/conn.aspx",
    "/owa/15.1.2176/scripts/premium/x.ashx",
    "/images/help.aspx",
    "/api/status.ashx",
    "/ecp/15.1.2176/scripts/t.aspx",
];

/// A case: `days` days of benign traffic (IIS, `W3SVC1`), with `family`'s session on the second
/// day (none for `"benign"`). Returns the log folder, the client and the page.
pub fn write_case(
    out: &Path,
    family: &str,
    days: u32,
    per_day: usize,
    seed: u64,
) -> io::Result<(PathBuf, String, String)> {
    let mut rng = Rng::new(seed);
    let dir = out.join("inetpub/logs/LogFiles/W3SVC1");
    std::fs::create_dir_all(&dir)?;
    let start = Utc.with_ymd_and_hms(2021, 3, 1, 0, 0, 0).unwrap();
    let ip = format!("203.0.113.{}", 10 + rng.below(200));
    let page = rng.pick(PAGES).to_string();
    for d in 0..days {
        let day = start + Duration::days(d as i64);
        let mut lines: Vec<(DateTime<Utc>, String)> = (0..per_day)
            .map(|_| {
                let t = day + Duration::seconds(rng.below(86_400) as i64);
                (t, benign_iis(&mut rng, t))
            })
            .collect();
        lines.extend(benign_extras(&mut rng, day));
        if d == 1 && family != "benign" {
            let at = day + Duration::hours(13) + Duration::minutes(rng.below(120) as i64);
            lines.extend(family_requests(&mut rng, family, &page, &ip, at, 400));
        }
        lines.sort_by_key(|a| a.0);
        let name = dir.join(format!("u_ex{}.log", day.format("%y%m%d")));
        let mut text = iis_preamble(day);
        for (_, l) in &lines {
            text.push_str(l);
            text.push_str("\r\n");
        }
        std::fs::write(name, text)?;
    }
    Ok((dir, ip, page))
}
