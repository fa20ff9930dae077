//! exray's log and event rules: the detection knowledge, as a table. Each rule's id is stable and
//! documented in `docs/rules.md`; detectors refer to rules by these constructors.

use exray_core::{Confidence as C, Family as F, RuleMeta, Severity as S, Stage as St};

const PL: &[&str] = &["CVE-2021-26855"];
const PL_WRITE: &[&str] = &["CVE-2021-26855", "CVE-2021-27065"];
const T1190: &[&str] = &["T1190"];

pub fn ssrf_attempt() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-PL-001",
        "ProxyLogon SSRF attempt (autodiscover target)",
        "HttpProxy AnchorMailbox `ServerInfo~…/autodiscover…`: the CVE-2021-26855 SSRF was sent, but only reached autodiscover, which is what mass scanners did when they found no valid mailbox.",
        F::ProxyLogon, St::Attempt, PL, T1190, S::Low, C::High,
    )
}

pub fn ssrf_exploitation() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-PL-002",
        "ProxyLogon SSRF reached the back end",
        "HttpProxy AnchorMailbox `ServerInfo~…/<path>` proxied to a back-end path other than autodiscover (`/mapi/emsmdb`, `/ecp/proxyLogon.ecp`, `/ecp/DDI/…`, `/ews/…`): CVE-2021-26855 exploitation.",
        F::ProxyLogon, St::Exploitation, PL, T1190, S::Critical, C::High,
    )
}

pub fn ssrf_oab_write() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-PL-003",
        "ProxyLogon SSRF reset or set a virtual directory (file write)",
        "HttpProxy Ecp AnchorMailbox `ServerInfo~…/…VirtualDirectory#` with status 200: the SSRF drove ECP's DDI service to rewrite a virtual directory, the CVE-2021-27065 web-shell write.",
        F::ProxyLogon, St::Exploitation, PL_WRITE, &["T1190", "T1505.003"], S::Critical, C::High,
    )
}

pub fn ssrf_support() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-PL-004",
        "ProxyLogon SSRF tooling traits",
        "Supporting trait of the ProxyLogon exploit tooling in HttpProxy logs: RoutingHint `X-BEResource-Cookie`, an ECP `/ecp/<random>.js` URL stem, or the user agents `python-requests` / `ExchangeServicesClient/0.0.0.0` on ECP or with a ServerInfo anchor.",
        F::ProxyLogon, St::Attempt, PL, T1190, S::Medium, C::Medium,
    )
}

pub fn iis_ssrf_uri() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-PL-005",
        "ProxyLogon SSRF carrier URI in IIS log",
        "IIS request to a URI the ProxyLogon exploits used to carry the SSRF cookie: `POST /owa/auth/Current/themes/resources/…`, `POST /ecp/default.flt`, `/ecp/main.css`, `/ecp/<x>.js`, `/owa/auth/<x>.js`.",
        F::ProxyLogon, St::Attempt, PL, T1190, S::Medium, C::Medium,
    )
}

pub fn oab_write() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-PL-008",
        "OAB generator wrote outside the OAB folder (CVE-2021-26858)",
        "OAB generator log `Download failed and temporary file '<path>' needs to be removed` with a path outside `<install>\\ClientAccess\\OAB`: the CVE-2021-26858 arbitrary file write.",
        F::ProxyLogon, St::Exploitation, &["CVE-2021-26858"], &["T1190", "T1505.003"], S::Critical, C::High,
    )
}

pub fn webshell_request_ok() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-WS-001",
        "Script page requested in a web-shell location",
        "IIS request answered 200 for an `.aspx/.ashx/.asmx` page that is not a stock page of its folder (`/aspnet_client/`, `/ecp/auth/` but TimeoutLogoff.aspx, non-stock pages in `/owa/auth/`): a web shell in use.",
        F::Generic, St::Foothold, &[], &["T1505.003"], S::High, C::Medium,
    )
}

pub fn webshell_request_probe() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-WS-002",
        "Request for a script page that is not there (web-shell probe)",
        "IIS request with a non-2xx status for a non-stock script page in a web-shell location: someone looked for a shell (often a scanner hunting other actors' shells).",
        F::Generic, St::Attempt, &[], &["T1505.003", "T1595"], S::Low, C::Medium,
    )
}

pub fn command_in_query() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-WS-003",
        "Operating-system command in a request",
        "An IIS query string carrying `cmd /c`, `cmd.exe`, `whoami`, `powershell -e` or similar: commands sent through a web shell.",
        F::Generic, St::PostExploitation, &[], &["T1505.003", "T1059.003"], S::High, C::Medium,
    )
}

pub fn command_in_query_probe() -> RuleMeta {
    let mut r = command_in_query();
    r.id = "EXRAY-WS-004".into();
    r.title = "Operating-system command sent, not answered by a script page".into();
    r.description = "A query string carrying a command (`cmd /c`, `whoami`, …) that was refused or sent to something that is not a script page: a probe or scanner, not proof of a shell.".into();
    r.stage = St::Attempt;
    r.severity = S::Low;
    r.confidence = C::Medium;
    r
}

pub fn proxyshell_like(family: F) -> RuleMeta {
    let (id, title, cves): (&str, &str, &[&str]) = match family {
        F::ProxyNotShell => (
            "EXRAY-PNS-001",
            "ProxyNotShell autodiscover SSRF to PowerShell",
            &["CVE-2022-41040", "CVE-2022-41082"],
        ),
        _ => (
            "EXRAY-PS-001",
            "ProxyShell autodiscover SSRF",
            &["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
        ),
    };
    RuleMeta::new(
        id,
        title,
        "A request to `autodiscover.json` whose URI carries an `@` and a back-end path (`/powershell`, `/mapi/`, `/ews/`, `/owa/`): the path-confusion SSRF of ProxyShell (2021) and ProxyNotShell (2022, authenticated). The family is named by the request's date (before or after 2022-08-01).",
        family, St::Exploitation, cves, T1190, S::Critical, C::High,
    )
}

pub fn proxyshell_like_attempt(family: F) -> RuleMeta {
    let mut r = proxyshell_like(family);
    r.id.push_str("-ATTEMPT");
    r.title = format!("{} attempt (refused)", r.title);
    r.description
        .push_str(" The server refused the request (status not 2xx/3xx): attempt only.");
    r.stage = St::Attempt;
    r.severity = S::Medium;
    r
}

pub fn owassrf() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-OWA-001",
        "OWASSRF: POST to /owa/<mailbox>/powershell",
        "An OWA request whose path ends in `/powershell` with status 200 (`POST /owa/<mailbox>/powershell`): the OWASSRF chain (CVE-2022-41080 with CVE-2022-41082).",
        F::Owassrf, St::Exploitation, &["CVE-2022-41080", "CVE-2022-41082"], T1190, S::Critical, C::High,
    )
}

pub fn ioc_ip() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-IOC-001",
        "Request from an IP address on a loaded indicator list",
        "A log record whose client IP is in a user-supplied indicator pack (STIX bundle).",
        F::Ioc,
        St::Attempt,
        &[],
        &["T1190"],
        S::High,
        C::Medium,
    )
}

/// Every rule, for `docs/rules.md` and tests.
pub fn rare_tool_page() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-WS-010",
        "Rarely requested script page used like a tool (tunnel or web-shell client)",
        "A script page, anywhere on any site, requested by one or two clients only, mostly with POST, and used the way a program uses a page (machine pace, no referrer, no user where the site expects one, one server of a farm, long-held requests, an HTTP library): how tunnels (Neo-reGeorg, suo5, ABPTTS, pystinger) and shell clients (Behinder, Godzilla, AntSword) that carry everything in POST bodies show in request logs.",
        F::Generic, St::Foothold, &[], &["T1505.003", "T1572"], S::Medium, C::Medium,
    )
}

pub fn rare_tool_page_joined() -> RuleMeta {
    RuleMeta::new(
        "EXRAY-WS-011",
        "Rarely requested script page used like a tool, tied to other evidence",
        "As EXRAY-WS-010, and the page or its client is tied to other evidence of this hunt: the page is a file found on disk or named by another finding, or its client also sent the SSRF, a command or a tunnel request.",
        F::Generic, St::Foothold, &[], &["T1505.003", "T1572"], S::High, C::Medium,
    )
}

pub fn all() -> Vec<RuleMeta> {
    vec![
        ssrf_attempt(),
        ssrf_exploitation(),
        ssrf_oab_write(),
        ssrf_support(),
        iis_ssrf_uri(),
        oab_write(),
        webshell_request_ok(),
        webshell_request_probe(),
        command_in_query(),
        command_in_query_probe(),
        proxyshell_like(F::ProxyShell),
        proxyshell_like(F::ProxyNotShell),
        proxyshell_like_attempt(F::ProxyShell),
        proxyshell_like_attempt(F::ProxyNotShell),
        owassrf(),
        ioc_ip(),
        rare_tool_page(),
        rare_tool_page_joined(),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn rule_ids_are_unique() {
        let all = super::all();
        let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
