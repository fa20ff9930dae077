//! IIS `web.config` files: the URL Rewrite rules they define or remove (`<rewrite><rules>`).

/// One rewrite rule as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewriteRule {
    pub name: String,
    /// `<match url="…">`.
    pub url: String,
    /// `(input, pattern, negate)` of each `<add>` condition.
    pub conditions: Vec<(String, String, bool)>,
    /// The action type (`AbortRequest`, `CustomResponse`, `Rewrite`, …).
    pub action: String,
    pub enabled: bool,
}

/// What one configuration file says about rewrite rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RewriteConfig {
    pub rules: Vec<RewriteRule>,
    /// Names removed with `<remove name="…"/>`.
    pub removed: Vec<String>,
    /// A `<clear/>` removes every inherited rule.
    pub cleared: bool,
}

/// Parse a web.config's rewrite section. Errors name the line.
pub fn parse_rewrite(text: &str) -> Result<RewriteConfig, String> {
    let text = text.trim_start_matches('\u{feff}');
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not well-formed XML: {e}"))?;
    let mut out = RewriteConfig::default();
    for rules in doc.descendants().filter(|n| {
        n.has_tag_name("rules") && n.parent().is_some_and(|p| p.has_tag_name("rewrite"))
    }) {
        for child in rules.children().filter(|c| c.is_element()) {
            match child.tag_name().name() {
                "clear" => out.cleared = true,
                "remove" => out
                    .removed
                    .push(child.attribute("name").unwrap_or("").to_string()),
                "rule" => {
                    let url = child
                        .children()
                        .find(|c| c.has_tag_name("match"))
                        .and_then(|m| m.attribute("url"))
                        .unwrap_or("")
                        .to_string();
                    let conditions = child
                        .descendants()
                        .filter(|c| {
                            c.has_tag_name("add")
                                && c.parent().is_some_and(|p| p.has_tag_name("conditions"))
                        })
                        .map(|c| {
                            (
                                c.attribute("input").unwrap_or("").to_string(),
                                c.attribute("pattern").unwrap_or("").to_string(),
                                c.attribute("negate")
                                    .is_some_and(|v| v.eq_ignore_ascii_case("true")),
                            )
                        })
                        .collect();
                    let action = child
                        .children()
                        .find(|c| c.has_tag_name("action"))
                        .and_then(|a| a.attribute("type"))
                        .unwrap_or("")
                        .to_string();
                    out.rules.push(RewriteRule {
                        name: child.attribute("name").unwrap_or("").to_string(),
                        url,
                        conditions,
                        action,
                        enabled: !child
                            .attribute("enabled")
                            .is_some_and(|v| v.eq_ignore_ascii_case("false")),
                    });
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_removes_and_errors() {
        let c = parse_rewrite(
            r#"<?xml version="1.0"?><configuration><system.webServer><rewrite><rules>
            <rule name="Block X" stopProcessing="true"><match url=".*" />
              <conditions><add input="{HTTP_COOKIE}" pattern="X-BEResource=(.+)/(.+)~(.+)" /></conditions>
              <action type="AbortRequest" /></rule>
            <remove name="Old" /></rules></rewrite></system.webServer></configuration>"#,
        )
        .unwrap();
        assert_eq!(c.rules.len(), 1);
        assert_eq!(c.rules[0].conditions[0].0, "{HTTP_COOKIE}");
        assert_eq!(c.rules[0].action, "AbortRequest");
        assert_eq!(c.removed, vec!["Old"]);
        let e = parse_rewrite("<configuration><x></configuration>").unwrap_err();
        assert!(e.contains("1:"), "{e}");
    }
}

/// Application pools of an IIS `applicationHost.config`: `(name, autoStart)`.
pub fn app_pools(text: &str) -> Result<Vec<(String, bool)>, String> {
    let text = text.trim_start_matches('\u{feff}');
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not well-formed XML: {e}"))?;
    Ok(doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("add")
                && n.parent()
                    .is_some_and(|p| p.has_tag_name("applicationPools"))
        })
        .filter_map(|n| {
            let name = n.attribute("name")?.to_string();
            let auto = !n
                .attribute("autoStart")
                .is_some_and(|v| v.eq_ignore_ascii_case("false"));
            Some((name, auto))
        })
        .collect())
}

#[cfg(test)]
mod pool_tests {
    #[test]
    fn pools() {
        let p = super::app_pools(r#"<configuration><system.applicationHost><applicationPools><add name="MSExchangeECPAppPool" autoStart="false"/><add name="MSExchangeOWAAppPool"/></applicationPools></system.applicationHost></configuration>"#).unwrap();
        assert_eq!(
            p,
            vec![
                ("MSExchangeECPAppPool".to_string(), false),
                ("MSExchangeOWAAppPool".to_string(), true)
            ]
        );
    }
}
