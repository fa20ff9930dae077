//! The one schema, as an ordered list of migrations.
//!
//! The DDL is written once; the only dialect differences (an auto-generated 64-bit primary key,
//! a byte string) are the `{ID}` and `{BLOB}` placeholders, expanded per backend by
//! [`crate::db::Backend::expand`]. Every
//! other type is portable: `BIGINT` for integers and Unix-second timestamps, `TEXT` for strings
//! and JSON documents.

/// `(version, name, sql)`. Never edit an applied migration: append a new one.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", INITIAL),
    (2, "templates", TEMPLATES),
    (3, "notice_lease", NOTICE_LEASE),
    (4, "raw_zstd", RAW_ZSTD),
    (5, "asn_ranges", ASN_RANGES),
    (6, "assessments", ASSESSMENTS),
    (7, "org_tlp", ORG_TLP),
    (8, "org_verify_opt_out", ORG_VERIFY_OPT_OUT),
];

const INITIAL: &str = r#"
CREATE TABLE meta (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);
INSERT INTO meta (k, v) VALUES ('networks_version', '0');

CREATE TABLE orgs (
    id {ID},
    name TEXT NOT NULL,
    sector TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX orgs_name ON orgs (name);

CREATE TABLE contacts (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX contacts_org ON contacts (org_id);

CREATE TABLE networks (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX networks_kind_value ON networks (kind, value);
CREATE INDEX networks_org ON networks (org_id);

CREATE TABLE hosts (
    id {ID},
    org_id BIGINT REFERENCES orgs (id) ON DELETE SET NULL,
    ip TEXT,
    hostname TEXT,
    hostname_key TEXT,
    state TEXT NOT NULL,
    reached BIGINT NOT NULL DEFAULT 0,
    build TEXT,
    scan_verdict TEXT,
    hunt_verdict TEXT,
    fix TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    last_scan_at BIGINT,
    last_hunt_at BIGINT,
    state_since BIGINT NOT NULL
);
CREATE UNIQUE INDEX hosts_ip ON hosts (ip);
CREATE INDEX hosts_hostname_key ON hosts (hostname_key);
CREATE INDEX hosts_org ON hosts (org_id, id);
CREATE INDEX hosts_state ON hosts (state, id);

CREATE TABLE tokens (
    id {ID},
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    org_id BIGINT REFERENCES orgs (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX tokens_hash ON tokens (token_hash);

CREATE TABLE reports (
    id {ID},
    report_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    token_id BIGINT,
    scope TEXT NOT NULL,
    verdict TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    findings BIGINT NOT NULL,
    results BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX reports_report_id ON reports (report_id);

CREATE TABLE observations (
    id {ID},
    host_id BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    report_id BIGINT NOT NULL REFERENCES reports (id),
    observed_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    verdict TEXT NOT NULL,
    build TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX observations_host ON observations (host_id, observed_at);

CREATE TABLE findings (
    id {ID},
    host_id BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    report_id BIGINT NOT NULL REFERENCES reports (id),
    finding_key TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    title TEXT NOT NULL,
    family TEXT NOT NULL,
    stage TEXT NOT NULL,
    severity TEXT NOT NULL,
    first_seen BIGINT,
    last_seen BIGINT,
    count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX findings_host ON findings (host_id, id);
CREATE INDEX findings_severity ON findings (severity, id);
CREATE INDEX findings_created ON findings (created_at);

CREATE TABLE transitions (
    id {ID},
    host_id BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    cause TEXT NOT NULL,
    reopened BIGINT NOT NULL DEFAULT 0,
    report_id BIGINT,
    notification_id BIGINT,
    actor TEXT NOT NULL
);
CREATE INDEX transitions_host ON transitions (host_id, at);

CREATE TABLE counters (
    metric TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO counters (metric, n) VALUES
    ('state:exposed', 0), ('state:vulnerable', 0), ('state:notified', 0), ('state:patched', 0),
    ('state:hunted', 0), ('state:clean', 0), ('state:compromised', 0), ('state:remediated', 0),
    ('reached:exposed', 0), ('reached:vulnerable', 0), ('reached:notified', 0), ('reached:patched', 0),
    ('reached:hunted', 0), ('reached:clean', 0), ('reached:compromised', 0), ('reached:remediated', 0);

CREATE TABLE funnel_daily (
    day TEXT NOT NULL,
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, metric)
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE login_links (
    id_hash TEXT PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE audit (
    id {ID},
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE notifications (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    acked_at BIGINT,
    bounced_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX notifications_status ON notifications (status, id);
CREATE INDEX notifications_org ON notifications (org_id, id);

CREATE TABLE notification_items (
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL,
    host_id BIGINT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notification_items_dedupe ON notification_items (contact_id, host_id, reason, created_at);
CREATE INDEX notification_items_notification ON notification_items (notification_id)
"#;

const TEMPLATES: &str = r#"
CREATE TABLE templates (
    name TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    host_block TEXT NOT NULL,
    updated_at BIGINT NOT NULL
)
"#;

/// When a notice was claimed for delivery: a claim older than the lease is retried.
const NOTICE_LEASE: &str = r#"
ALTER TABLE notifications ADD COLUMN claimed_at BIGINT
"#;

/// Raw reports are kept zstd-compressed (`body` stays empty for new rows; older rows keep
/// their text until the retention clears them).
const RAW_ZSTD: &str = r#"
ALTER TABLE reports ADD COLUMN body_zstd {BLOB}
"#;

/// The user-supplied IP-to-ASN table (`exray_store::asn`): addresses stored as a family digit
/// and 32 hex digits, so that text order is address order.
const ASN_RANGES: &str = r#"
CREATE TABLE asn_ranges (
    first TEXT NOT NULL PRIMARY KEY,
    last TEXT NOT NULL,
    asn BIGINT NOT NULL,
    country TEXT NOT NULL,
    description TEXT NOT NULL
);
INSERT INTO meta (k, v) VALUES ('asn_version', '0')
"#;

/// A scan observation's build assessment (the catalogue's verdict, exposures and update: about
/// 2 KB of JSON, the same for every host of a build) is stored once, keyed by the SHA-256 of its
/// JSON; older observations keep theirs inline in `detail`.
const ASSESSMENTS: &str = r#"
CREATE TABLE assessments (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
ALTER TABLE observations ADD COLUMN assessment_key TEXT
"#;

/// The TLP level an organisation's exports are marked with at least (`clear`, `green`,
/// `amber`, `amber+strict`, `red`; `exray_store::export`). Existing organisations get `amber`.
const ORG_TLP: &str = r#"
ALTER TABLE orgs ADD COLUMN tlp TEXT NOT NULL DEFAULT 'amber'
"#;

/// An organisation may opt out of `exray serve --verify-every` (its hosts are never probed by
/// the verification rounds; 1 = opted out).
const ORG_VERIFY_OPT_OUT: &str = r#"
ALTER TABLE orgs ADD COLUMN verify_opt_out BIGINT NOT NULL DEFAULT 0
"#;

/// The built-in notice, installed on first use and editable through the API.
pub const DEFAULT_TEMPLATE_NAME: &str = "default";
pub const DEFAULT_SUBJECT: &str =
    "[{{sender}}] {{count}} Microsoft Exchange server(s) of {{org}} need action";
pub const DEFAULT_BODY: &str = "Dear {{contact}},

{{sender}} observed the following Microsoft Exchange server(s) of {{org}}
that need your attention. Internet-facing on-premises Exchange servers have
been mass-exploited (ProxyLogon CVE-2021-26855/26857/26858/27065, ProxyShell,
ProxyNotShell, OWASSRF). Patching closes the door; it does not evict an
attacker who is already in: every server that was vulnerable must also be
hunted.

{{hosts}}
How to hunt: run `exray hunt` (read-only) on each server or on a collected
triage folder, and upload the report:
  exray hunt --upload {{base_url}} --token <your token>
If indicators of compromise are found, isolate the server, preserve the
evidence, and contact us.

Please acknowledge this notice by replying to it.
";
pub const DEFAULT_HOST_BLOCK: &str = "- host: {{host}} (ip {{ip}})
  state: {{state}}; last scan verdict: {{verdict}}; build: {{build}}
  what to install: {{fix}}
  evidence: {{evidence}}
";
