//! Every row of the three public sources in `../shared/data/builds` is in the catalogue with the
//! same build, name, date and KB, or its difference is a documented decision (DECISIONS.md).
//! The sources are parsed here independently of `tools/gen_catalog.py`.
//! Skips with a message when the shared data folder is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use exray_catalog::{Build, Catalog, Product, Release};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn builds_dir() -> Option<PathBuf> {
    let p = PathBuf::from(SHARED).join("builds");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: shared data not found at {} (the embedded catalogue is still tested by tests/assess.rs)",
            p.display()
        );
        None
    }
}

/// A source row: `product|cu|update`, build, date (YYYY-MM-DD) and KB where given.
#[derive(Debug, Clone)]
struct Row {
    key: String,
    build: Build,
    date: Option<String>,
    kb: Option<String>,
    line: usize,
}

fn month(name: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    M.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

/// Strip markdown links and `&nbsp;` from a product cell.
fn clean(cell: &str) -> String {
    let mut s = cell.replace("&nbsp;", " ");
    // [text](url) -> text
    while let Some(open) = s.find('[') {
        let Some(close) = s[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(end) = s[close..].find(')').map(|i| close + i) else {
            break;
        };
        s = format!("{}{}{}", &s[..open], &s[open + 1..close], &s[end + 1..]);
    }
    s.trim().to_string()
}

/// Name → `product|cu|update`, or None when outside the catalogue's scope (Exchange 2007 and older).
fn key_of(name: &str) -> Option<String> {
    let name = name
        .replace("(recalled)", "")
        .replace("(2024H1)", "")
        .replace("(2023H1)", "")
        .replace("(2022H1)", "")
        .trim()
        .to_string();
    let words: Vec<&str> = name.split_whitespace().collect();
    if name.starts_with("Update Rollup") {
        // "Update Rollup 8 v2 for Exchange Server 2010 SP3", "Update Rollup 6 Exchange Server 2010 SP2"
        let n = words.get(2)?;
        let ver = words
            .get(3)
            .filter(|w| w.starts_with('v') && w.len() == 2)
            .copied()
            .unwrap_or("");
        let pos = words.iter().position(|w| *w == "2010")?;
        if words.get(pos - 2) != Some(&"Exchange") {
            return None;
        }
        let sp = words.get(pos + 1).copied().unwrap_or("RTM");
        return Some(format!("2010|{sp}|RU{n}{ver}"));
    }
    if words.len() >= 4 && words[0] == "Exchange" && words[1] == "Server" {
        let product = words[2];
        if !["2010", "2013", "2016", "2019", "SE"].contains(&product) {
            return None;
        }
        let cu = words[3];
        let update = words.get(4).copied().unwrap_or("");
        return Some(format!("{product}|{cu}|{update}"));
    }
    None
}

fn ms_rows(dir: &std::path::Path) -> (Vec<Row>, usize) {
    let path = dir.join(
        "MicrosoftDocs-OfficeDocs-Exchange/Exchange/ExchangeServer/new-features/build-numbers-and-release-dates.md",
    );
    let text = std::fs::read_to_string(&path).expect("read MicrosoftDocs table");
    let mut rows = Vec::new();
    let mut out_of_scope = 0;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with('|') || line.starts_with("|---") || line.contains("Build number") {
            continue;
        }
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        if cells.len() < 3 || cells[0].trim().is_empty() {
            continue;
        }
        let kb = cells[0].find("support.microsoft.com/help/").map(|p| {
            let rest = &cells[0][p + "support.microsoft.com/help/".len()..];
            format!("KB{}", rest.split(')').next().unwrap())
        });
        let Some(key) = key_of(&clean(cells[0])) else {
            out_of_scope += 1;
            continue;
        };
        let d: Vec<&str> = cells[1].split_whitespace().collect();
        let date = (d.len() == 3).then(|| {
            format!(
                "{}-{:02}-{:02}",
                d[2],
                month(d[0]).expect("month name"),
                d[1].trim_end_matches(',').parse::<u32>().expect("day")
            )
        });
        let build: Build = cells[2]
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
        let long: Build = cells[3].trim().parse().expect("long format");
        assert_eq!(
            build,
            long,
            "line {}: short and long formats disagree",
            i + 1
        );
        rows.push(Row {
            key,
            build,
            date,
            kb,
            line: i + 1,
        });
    }
    (rows, out_of_scope)
}

fn xasz_rows(dir: &std::path::Path) -> (Vec<Row>, usize) {
    let path = dir.join("xasz-exchange-version-table/data/data.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read xasz")).expect("json");
    let mut rows = Vec::new();
    let mut out_of_scope = 0;
    for (i, r) in v["Releases"]
        .as_array()
        .expect("Releases")
        .iter()
        .enumerate()
    {
        let name = clean(r["ProductName"].as_str().unwrap());
        let Some(key) = key_of(&name) else {
            out_of_scope += 1;
            continue;
        };
        let build: Build = r["BuildNumberShort"].as_str().unwrap().parse().unwrap();
        rows.push(Row {
            key,
            build,
            date: Some(r["Date"].as_str().unwrap()[..10].to_string()),
            kb: None,
            line: i,
        });
    }
    (rows, out_of_scope)
}

fn css_rows(dir: &std::path::Path) -> Vec<Row> {
    let path = dir.join("derived/css-exchange-build-dictionary.csv");
    let text = std::fs::read_to_string(&path).expect("read css csv");
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 4, "{}:{}", path.display(), i + 1);
        let product = f[0].trim_start_matches("Exchange");
        // Decision D4: Health Checker calls Exchange 2013 SP1 "CU4".
        let cu = if product == "2013" && f[1] == "CU4" {
            "SP1"
        } else {
            f[1]
        };
        rows.push(Row {
            key: format!("{product}|{cu}|{}", f[2]),
            build: f[3].parse().unwrap(),
            date: None,
            kb: None,
            line: i + 1,
        });
    }
    rows
}

fn key(r: &Release) -> String {
    format!("{}|{}|{}", r.product.code(), r.cu, r.update)
}

/// Check one source against the catalogue; returns how many rows were checked.
fn check(cat: &Catalog, source: &str, rows: &[Row]) -> usize {
    let mut failures = Vec::new();
    for row in rows {
        let decision = cat
            .decisions()
            .iter()
            .find(|d| d.source == source && d.release == row.key && d.source_build == row.build);
        let want = decision.map(|d| d.catalogue_build).unwrap_or(row.build);
        let Some(rel) = cat.find_build(want) else {
            failures.push(format!(
                "{source} row {}: {} {} not in catalogue",
                row.line, row.key, row.build
            ));
            continue;
        };
        // A D3 decision: the source gives a second name to the build of the CU itself.
        let name_ok = key(rel) == row.key || decision.is_some_and(|d| d.decision == "D3");
        if !name_ok {
            failures.push(format!(
                "{source} row {}: {} is {} in the source but {} in the catalogue",
                row.line,
                row.build,
                row.key,
                key(rel)
            ));
        }
        if decision.is_none() {
            if let Some(d) = &row.date {
                if rel.date.as_ref() != Some(d) {
                    failures.push(format!(
                        "{source} row {}: {} dated {d}, catalogue {:?}",
                        row.line, row.key, rel.date
                    ));
                }
            }
            if let Some(kb) = &row.kb {
                if !rel.kb.as_deref().unwrap_or("").split(';').any(|k| k == kb) {
                    failures.push(format!(
                        "{source} row {}: {} KB {kb}, catalogue {:?}",
                        row.line, row.key, rel.kb
                    ));
                }
            }
            if !rel.sources.iter().any(|s| s == source) {
                failures.push(format!(
                    "{source} row {}: catalogue row {} does not credit {source}",
                    row.line,
                    rel.name()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    rows.len()
}

#[test]
fn every_microsoft_docs_row_is_catalogued() {
    let Some(dir) = builds_dir() else { return };
    let cat = Catalog::embedded();
    let (rows, skipped) = ms_rows(&dir);
    let n = check(cat, "ms", &rows);
    eprintln!(
        "MicrosoftDocs: {n} rows checked, {skipped} rows of Exchange 2007 and older out of scope"
    );
    // Every table row with a 14.x or 15.x build (counted with grep when the test was written).
    assert_eq!(n, 161, "parser lost rows");
    assert!(skipped > 0);
}

#[test]
fn every_xasz_row_is_catalogued() {
    let Some(dir) = builds_dir() else { return };
    let cat = Catalog::embedded();
    let (rows, skipped) = xasz_rows(&dir);
    let n = check(cat, "xasz", &rows);
    eprintln!("xasz: {n} rows checked, {skipped} rows of Exchange 2007 and older out of scope");
    assert_eq!(
        n, 240,
        "parser lost rows (240 releases have a 14.x or 15.x build)"
    );
}

#[test]
fn every_css_exchange_row_is_catalogued() {
    let Some(dir) = builds_dir() else { return };
    let cat = Catalog::embedded();
    let rows = css_rows(&dir);
    let n = check(cat, "css", &rows);
    eprintln!("CSS-Exchange: {n} rows checked");
    assert_eq!(n, 274);
}

/// The other direction: every catalogue row is backed by the sources it credits.
#[test]
fn every_catalogue_row_is_in_the_sources_it_credits() {
    let Some(dir) = builds_dir() else { return };
    let cat = Catalog::embedded();
    let (ms, _) = ms_rows(&dir);
    let (xasz, _) = xasz_rows(&dir);
    let css = css_rows(&dir);
    for r in cat.releases() {
        assert!(!r.sources.is_empty(), "{} credits no source", r.name());
        for s in &r.sources {
            let rows = match s.as_str() {
                "ms" => &ms,
                "xasz" => &xasz,
                "css" => &css,
                other => panic!("unknown source {other}"),
            };
            let found = rows.iter().any(|row| {
                row.key == key(r)
                    && (row.build == r.build
                        || cat.decisions().iter().any(|d| {
                            &d.source == s
                                && d.source_build == row.build
                                && d.catalogue_build == r.build
                        }))
            });
            assert!(
                found,
                "{} {} credits {s} but {s} does not list it",
                r.name(),
                r.build
            );
        }
    }
}

/// The disagreements the notes call out are present and decided as documented.
#[test]
fn known_disagreements_are_decided() {
    let Some(dir) = builds_dir() else { return };
    let cat = Catalog::embedded();
    let css = css_rows(&dir);
    let (ms, _) = ms_rows(&dir);
    let get = |rows: &[Row], k: &str| rows.iter().find(|r| r.key == k).map(|r| r.build);
    // 2016 CU8/CU9 Mar21SU: Health Checker .8/.13, Microsoft .10/.16.
    assert_eq!(
        get(&css, "2016|CU8|Mar21SU"),
        Some("15.1.1415.8".parse().unwrap())
    );
    assert_eq!(
        get(&ms, "2016|CU8|Mar21SU"),
        Some("15.1.1415.10".parse().unwrap())
    );
    assert_eq!(
        get(&css, "2016|CU9|Mar21SU"),
        Some("15.1.1466.13".parse().unwrap())
    );
    assert_eq!(
        get(&ms, "2016|CU9|Mar21SU"),
        Some("15.1.1466.16".parse().unwrap())
    );
    let decided: BTreeSet<(String, String)> = cat
        .decisions()
        .iter()
        .map(|d| (d.source.clone(), d.release.clone()))
        .collect();
    assert!(decided.contains(&("css".into(), "2016|CU8|Mar21SU".into())));
    assert!(decided.contains(&("css".into(), "2016|CU9|Mar21SU".into())));
    // Microsoft's table prints 2010 SP2 RU5 as 14.3.328.5; the catalogue files it under SP2.
    assert_eq!(
        get(&ms, "2010|SP2|RU5"),
        Some("14.3.328.5".parse().unwrap())
    );
    let r = cat.find("14.2.328.5").expect("SP2 RU5");
    assert_eq!(
        (r.product, r.cu.as_str(), r.update.as_str()),
        (Product::Exchange2010, "SP2", "RU5")
    );
    assert!(cat.find("14.3.328.5").is_none());
}
