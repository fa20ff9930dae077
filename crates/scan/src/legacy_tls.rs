//! The second TLS stack, for the servers rustls cannot talk to: Exchange on old Windows speaks
//! only TLS 1.0/1.1, or TLS 1.2 with CBC cipher suites only (Windows Server 2008 R2 with an RSA
//! certificate), and rustls offers neither. Those are the servers most likely to be out of date,
//! so an error is the wrong answer for them.
//!
//! When rustls's handshake ends in such a refusal ([`wants_fallback`]), the caller opens a new
//! TCP connection and hands it to [`LegacyTls::connect`]: OpenSSL (vendored, built with the
//! crate's `legacy-tls` feature, on by default), TLS 1.0 to 1.2, every cipher suite OpenSSL has
//! at security level 0, any certificate, no session reuse. What is sent over it is the same
//! [`crate::request::Request`]s as over rustls. Without the feature, [`LegacyTls::new`] gives
//! `None` and such servers are named (`tls:legacy-only`) but not fingerprinted.

use std::io;

use tokio::net::TcpStream;

use crate::http::Stream;

/// What the legacy handshake settled on, as OpenSSL names it (`TLSv1`, `ECDHE-RSA-AES256-SHA`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    pub version: String,
    pub cipher: String,
}

impl Negotiated {
    /// The evidence kind: `tls:legacy-only` for TLS 1.0/1.1 (or older), `tls:legacy-ciphers`
    /// for TLS 1.2 with a suite rustls does not offer.
    pub fn evidence_kind(&self) -> &'static str {
        if matches!(self.version.as_str(), "TLSv1.2" | "TLSv1.3") {
            "tls:legacy-ciphers"
        } else {
            "tls:legacy-only"
        }
    }

    /// The evidence text.
    pub fn describe(&self) -> String {
        if self.evidence_kind() == "tls:legacy-only" {
            format!(
                "{} {}: the server speaks only TLS 1.0/1.1 (or older); exray fingerprinted it over \
                 its legacy TLS stack (OpenSSL). An Exchange on a Windows this old is likely out \
                 of date",
                self.version, self.cipher
            )
        } else {
            format!(
                "{} {}: the server offers no AEAD cipher suite (CBC only, as Windows Server 2008 R2 \
                 does); exray fingerprinted it over its legacy TLS stack (OpenSSL)",
                self.version, self.cipher
            )
        }
    }
}

/// Does this rustls handshake error mean "try the legacy stack"? True when the server chose a
/// version below 1.2, or answered `protocol_version`, `handshake_failure` or
/// `insufficient_security` (what Schannel says when no offered suite is one it has).
pub fn wants_fallback(e: &io::Error) -> bool {
    use rustls::AlertDescription as A;
    crate::http::is_legacy_tls(e)
        || matches!(
            e.get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
            Some(rustls::Error::AlertReceived(
                A::HandshakeFailure | A::InsufficientSecurity
            ))
        )
}

/// The legacy TLS client (cheap to clone).
#[derive(Clone)]
pub struct LegacyTls {
    #[cfg(feature = "legacy-tls")]
    connector: openssl::ssl::SslConnector,
}

impl std::fmt::Debug for LegacyTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LegacyTls(OpenSSL)")
    }
}

#[cfg(feature = "legacy-tls")]
impl LegacyTls {
    /// The legacy client, or `None` when OpenSSL cannot be set up for it (logged).
    pub fn new() -> Option<LegacyTls> {
        match Self::build() {
            Ok(connector) => Some(LegacyTls { connector }),
            Err(e) => {
                tracing::warn!(
                    "the legacy TLS stack could not be set up ({e}); TLS 1.0/1.1 servers will be \
                     named, not fingerprinted"
                );
                None
            }
        }
    }

    fn build() -> Result<openssl::ssl::SslConnector, openssl::error::ErrorStack> {
        use openssl::ssl::{SslConnector, SslMethod, SslOptions, SslVerifyMode, SslVersion};
        let mut b = SslConnector::builder(SslMethod::tls_client())?;
        // Fingerprinting, not trust (as with rustls): any certificate, nothing secret is sent.
        b.set_verify(SslVerifyMode::NONE);
        // Level 0: OpenSSL 3 refuses TLS 1.0/1.1 and SHA-1 signatures at any higher level.
        b.set_cipher_list("ALL:@SECLEVEL=0")?;
        b.set_min_proto_version(Some(SslVersion::TLS1))?;
        b.set_max_proto_version(Some(SslVersion::TLS1_2))?;
        // Every target is contacted once: no tickets linking targets together.
        b.set_options(SslOptions::NO_TICKET);
        b.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::OFF);
        Ok(b.build())
    }

    /// Handshake over `tcp`. `sni` is sent for host names, never for IP addresses.
    pub async fn connect(
        &self,
        tcp: TcpStream,
        sni: Option<&str>,
    ) -> Result<(Box<dyn Stream>, Negotiated), String> {
        let mut cfg = self.connector.configure().map_err(|e| e.to_string())?;
        cfg.set_verify_hostname(false);
        cfg.set_use_server_name_indication(false);
        let ssl = match sni.filter(|n| n.parse::<std::net::IpAddr>().is_err()) {
            Some(name) => {
                cfg.set_use_server_name_indication(true);
                cfg.into_ssl(name)
            }
            None => cfg.into_ssl("exray.invalid"),
        }
        .map_err(|e| e.to_string())?;
        let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
        std::pin::Pin::new(&mut stream)
            .connect()
            .await
            .map_err(|e| match e.ssl_error() {
                Some(stack) => stack.to_string(),
                None => e.to_string(),
            })?;
        let negotiated = Negotiated {
            version: stream.ssl().version_str().to_string(),
            cipher: stream
                .ssl()
                .current_cipher()
                .map(|c| c.name().to_string())
                .unwrap_or_default(),
        };
        Ok((Box::new(stream), negotiated))
    }
}

#[cfg(not(feature = "legacy-tls"))]
impl LegacyTls {
    /// Built without the `legacy-tls` feature: there is no legacy stack.
    pub fn new() -> Option<LegacyTls> {
        None
    }

    pub async fn connect(
        &self,
        _tcp: TcpStream,
        _sni: Option<&str>,
    ) -> Result<(Box<dyn Stream>, Negotiated), String> {
        Err("exray was built without its legacy TLS stack (feature legacy-tls)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_evidence_kind_follows_the_version() {
        let n = |v: &str| Negotiated {
            version: v.into(),
            cipher: "AES128-SHA".into(),
        };
        assert_eq!(n("TLSv1").evidence_kind(), "tls:legacy-only");
        assert_eq!(n("TLSv1.1").evidence_kind(), "tls:legacy-only");
        assert_eq!(n("SSLv3").evidence_kind(), "tls:legacy-only");
        assert_eq!(n("TLSv1.2").evidence_kind(), "tls:legacy-ciphers");
        assert!(n("TLSv1").describe().starts_with("TLSv1 AES128-SHA: "));
    }

    #[cfg(feature = "legacy-tls")]
    #[test]
    fn openssl_is_set_up_for_tls_1_0() {
        assert!(LegacyTls::new().is_some());
    }
}
