//! The request builder: the ONLY way the scanner produces bytes for the wire.
//!
//! A [`Request`] can only be made from a [`Probe`], and [`every_request`] enumerates every
//! request the scanner can send, so a test can prove none of them is attack traffic: GET or HEAD
//! only, no cookies at all, no `autodiscover.json`, no `/powershell`, no ECP POST or DDI paths, no
//! query strings. The host header and user agent are validated before they are written.
//!
//! The opt-in mail-banner probes (`crate::mail`) send only [`MailCommand`]s, enumerated by
//! [`every_mail_command`]: `EHLO`, `QUIT`, `LOGOUT`, nothing else.

use std::fmt;

/// HTTP methods the scanner may use. There is deliberately no other variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        }
    }
}

/// The ClickOnce manifest of the eDiscovery export tool: carries the full build.
pub const EXPORT_TOOL_PATH: &str =
    "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application";

/// Folders where ProxyLogon-era web shells were dropped (notes §2) and probed (opt-in).
pub const WEBSHELL_FOLDERS: &[&str] = &[
    "/owa/auth/",
    "/aspnet_client/",
    "/aspnet_client/system_web/",
    "/ecp/auth/",
];

/// Web-shell file names seen in the wild (notes §4). Stock pages are not in this list.
pub const WEBSHELL_NAMES: &[&str] = &[
    "OutlookEN.aspx",
    "OutlookJP.aspx",
    "OutlookCN.aspx",
    "OutlookRU.aspx",
    "OutlookDE.aspx",
    "OutlookFR.aspx",
    "errorEE.aspx",
    "RedirSuiteServerProxy.aspx",
    "TimeoutLogout.aspx",
    "supp0rt.aspx",
    "shell.aspx",
    "discover.aspx",
    "web.aspx",
    "help.aspx",
    "document.aspx",
    "errorPage.aspx",
    "aspnet_client.aspx",
    "aspnet_www.aspx",
    "aspnet_iisstart.aspx",
    "xx.aspx",
    "one.aspx",
    "t.aspx",
    "log.aspx",
    "logg.aspx",
    "logout.aspx",
];

/// Length of the random control file name (letters and digits) plus `.aspx`.
pub const CONTROL_NAME_LEN: usize = 12;

/// Everything the scanner may ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Precision 1: the export tool manifest (full build).
    ExportToolManifest,
    /// Precision 2/3/4: the OWA virtual directory (X-OWA-Version, redirects, FE/BE headers).
    OwaRoot,
    /// Precision 2/3: the logon page (X-OWA-Version, `/owa/auth/15.x.y/` folders, title).
    OwaLogon,
    /// Discovery: the site favicon (MD5 against the OWA favicon).
    Favicon,
    /// Opt-in: a known web-shell path, by index into folders and names.
    WebShell { folder: usize, name: usize },
    /// Opt-in: the control request for a random name in the same folder.
    WebShellControl { folder: usize, name: ControlName },
}

/// A random control file name: 7 alphanumerics + `.aspx`, validated by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlName([u8; CONTROL_NAME_LEN]);

impl ControlName {
    /// Build from random bytes: each byte picks one of 62 alphanumerics.
    pub fn from_random(bytes: [u8; 7]) -> Self {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut out = [0u8; CONTROL_NAME_LEN];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = ALPHA[b as usize % ALPHA.len()];
        }
        out[7..].copy_from_slice(b".aspx");
        ControlName(out)
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ascii by construction")
    }
}

impl fmt::Display for ControlName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request ready to be sent. Fields are private: only [`Request::from_probe`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    method: Method,
    path: String,
}

impl Request {
    pub fn from_probe(probe: &Probe) -> Request {
        let path = match probe {
            Probe::ExportToolManifest => EXPORT_TOOL_PATH.to_string(),
            Probe::OwaRoot => "/owa/".to_string(),
            Probe::OwaLogon => "/owa/auth/logon.aspx".to_string(),
            Probe::Favicon => "/favicon.ico".to_string(),
            Probe::WebShell { folder, name } => format!(
                "{}{}",
                WEBSHELL_FOLDERS[*folder % WEBSHELL_FOLDERS.len()],
                WEBSHELL_NAMES[*name % WEBSHELL_NAMES.len()]
            ),
            Probe::WebShellControl { folder, name } => format!(
                "{}{}",
                WEBSHELL_FOLDERS[*folder % WEBSHELL_FOLDERS.len()],
                name
            ),
        };
        Request {
            method: Method::Get,
            path,
        }
    }

    pub fn method(&self) -> Method {
        self.method
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Serialise for the wire. `host` must come from a validated target and `user_agent` from
    /// [`validate_user_agent`]; both are checked again here so no header can be injected.
    pub fn to_wire(&self, host: &str, user_agent: &str) -> Vec<u8> {
        assert!(
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b)),
            "host header must be validated"
        );
        assert!(
            validate_user_agent(user_agent).is_ok(),
            "user agent must be validated"
        );
        let mut out = Vec::with_capacity(160 + user_agent.len());
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.path.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\nUser-Agent: ");
        out.extend_from_slice(user_agent.as_bytes());
        out.extend_from_slice(b"\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n");
        out
    }
}

/// The default, identifying User-Agent.
pub fn default_user_agent() -> String {
    format!(
        "exray-scan/{} (passive Microsoft Exchange build fingerprinting; no exploit traffic; opt-out: contact the operator of this scan)",
        env!("CARGO_PKG_VERSION")
    )
}

/// A user agent must be printable ASCII (no CR/LF: no header injection) and identify exray.
pub fn validate_user_agent(ua: &str) -> Result<(), String> {
    if ua.is_empty() || ua.len() > 512 {
        return Err("user agent must be 1 to 512 characters".into());
    }
    if !ua.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err("user agent must be printable ASCII (no control characters)".into());
    }
    if !ua.to_ascii_lowercase().contains("exray") {
        return Err("user agent must contain `exray` so the scan stays identifiable".into());
    }
    Ok(())
}

/// Every request the scanner can send, in every variant (web-shell probes included, with
/// sample control names): the input of the "never attack traffic" test.
pub fn every_request() -> Vec<Request> {
    let mut probes = vec![
        Probe::ExportToolManifest,
        Probe::OwaRoot,
        Probe::OwaLogon,
        Probe::Favicon,
    ];
    for folder in 0..WEBSHELL_FOLDERS.len() {
        for name in 0..WEBSHELL_NAMES.len() {
            probes.push(Probe::WebShell { folder, name });
        }
        for sample in [[0u8; 7], [255u8; 7], [61, 62, 63, 64, 65, 66, 67]] {
            probes.push(Probe::WebShellControl {
                folder,
                name: ControlName::from_random(sample),
            });
        }
    }
    probes.iter().map(Request::from_probe).collect()
}

/// The name the scanner gives in SMTP `EHLO`: identifies the scan in mail logs. `.invalid`
/// (RFC 6761) so it can never be mistaken for a real mail domain.
pub const EHLO_NAME: &str = "exray-scan.invalid";

/// Everything the opt-in mail-banner probes may send (SMTP, IMAP, POP3), after reading the
/// server's greeting. There is deliberately no other variant: no `AUTH`, no `MAIL FROM`/`RCPT`,
/// no `STARTTLS`, no `LOGIN`/`USER`/`PASS`, no data. Each is one fixed line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailCommand {
    /// SMTP: ask for the extensions (Exchange's `X-ANONYMOUSTLS`, `XRDST`, `XEXCH50`…).
    SmtpEhlo,
    /// SMTP: close the session.
    SmtpQuit,
    /// IMAP: close the session (tag `a1`).
    ImapLogout,
    /// POP3: close the session.
    Pop3Quit,
}

impl MailCommand {
    /// The exact bytes sent, CRLF included.
    pub fn wire(self) -> &'static [u8] {
        match self {
            MailCommand::SmtpEhlo => b"EHLO exray-scan.invalid\r\n",
            MailCommand::SmtpQuit | MailCommand::Pop3Quit => b"QUIT\r\n",
            MailCommand::ImapLogout => b"a1 LOGOUT\r\n",
        }
    }
}

/// Every line the mail-banner probes can send: the input of the "never attack traffic" test.
pub fn every_mail_command() -> Vec<MailCommand> {
    vec![
        MailCommand::SmtpEhlo,
        MailCommand::SmtpQuit,
        MailCommand::ImapLogout,
        MailCommand::Pop3Quit,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_names_are_alphanumeric() {
        let n = ControlName::from_random([1, 2, 3, 200, 100, 61, 62]);
        assert_eq!(n.as_str().len(), CONTROL_NAME_LEN);
        assert!(n.as_str()[..7].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(n.as_str().ends_with(".aspx"));
    }

    #[test]
    fn user_agent_rules() {
        assert!(validate_user_agent(&default_user_agent()).is_ok());
        assert!(validate_user_agent("curl/8").is_err());
        assert!(validate_user_agent("exray\r\nCookie: X-BEResource=x").is_err());
    }

    #[test]
    fn mail_commands_are_single_lines() {
        for c in every_mail_command() {
            let w = c.wire();
            assert!(w.ends_with(b"\r\n"));
            assert_eq!(w.iter().filter(|&&b| b == b'\n').count(), 1);
        }
        assert!(std::str::from_utf8(MailCommand::SmtpEhlo.wire())
            .unwrap()
            .contains(EHLO_NAME));
    }

    #[test]
    fn wire_format() {
        let r = Request::from_probe(&Probe::OwaLogon);
        let w = String::from_utf8(r.to_wire("mail.example.org", &default_user_agent())).unwrap();
        assert!(w.starts_with("GET /owa/auth/logon.aspx HTTP/1.1\r\nHost: mail.example.org\r\n"));
        assert!(w.ends_with("\r\n\r\n"));
    }

    #[test]
    #[should_panic(expected = "host header must be validated")]
    fn refuses_injected_host() {
        Request::from_probe(&Probe::OwaRoot).to_wire("x\r\nCookie: a=b", &default_user_agent());
    }
}
