//! `exray build VERSION`: what the catalogue says of one Exchange build.

use std::io::Write;

use exray_core::{BuildAssessment, BuildPrecision, ExposureStatus, UpdateRef};

use crate::Catalog;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Look up an Exchange build: product, CU, update, date, exposure per CVE family and the update
/// to install.
#[derive(clap::Args, Debug, Clone)]
pub struct BuildArgs {
    /// The build: 15.1.2176.2 or 15.01.2176.002 (full), 15.1.2176 (CU only), 15.1 (product only).
    pub version: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Exit codes: 0 when the version was assessed, 2 when it is malformed (message on stderr).
pub fn run(args: &BuildArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let cat = Catalog::embedded();
    let a = match cat.assess(&args.version) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("exray build: {e}");
            return Ok(2);
        }
    };
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &a)?;
            writeln!(out)?;
        }
        Format::Text => write_text(&a, out)?,
    }
    Ok(0)
}

fn status_word(s: ExposureStatus) -> &'static str {
    match s {
        ExposureStatus::Vulnerable => "VULNERABLE",
        ExposureStatus::Patched => "patched",
        ExposureStatus::SuUnknown => "SU unknown",
        ExposureStatus::Unknown => "unknown",
        ExposureStatus::NotAffected => "not affected",
    }
}

fn update_line(u: &UpdateRef) -> String {
    let mut s = format!("{} (build {}", u.name, u.build);
    if let Some(kb) = &u.kb {
        s.push_str(", ");
        s.push_str(kb);
    }
    if let Some(d) = &u.date {
        s.push_str(", ");
        s.push_str(d);
    }
    s.push(')');
    s
}

/// The readable text block.
pub fn write_text(a: &BuildAssessment, out: &mut dyn Write) -> std::io::Result<()> {
    let precision = match a.precision {
        BuildPrecision::Full => "full build",
        BuildPrecision::CuOnly => "CU only, security update unknown",
        BuildPrecision::ProductOnly => "product only",
    };
    writeln!(out, "Build:     {} ({precision})", a.build)?;
    writeln!(
        out,
        "Product:   {}",
        a.product.as_deref().unwrap_or("unknown")
    )?;
    writeln!(
        out,
        "Release:   {}",
        a.release.as_deref().unwrap_or("not in the catalogue")
    )?;
    writeln!(
        out,
        "Released:  {}",
        a.release_date.as_deref().unwrap_or("unknown")
    )?;
    if let Some(s) = &a.source {
        writeln!(out, "Source:    {s}")?;
    }
    writeln!(out, "Exposure:")?;
    for e in &a.exposures {
        writeln!(
            out,
            "  {:<15} {:<12} {}",
            e.family,
            status_word(e.status),
            e.cves.join(", ")
        )?;
        if let Some(f) = &e.fixed_by {
            writeln!(out, "  {:<15} fixed by {}", "", update_line(f))?;
        }
        if let Some(n) = &e.note {
            writeln!(out, "  {:<15} {n}", "")?;
        }
    }
    match &a.recommended_update {
        Some(u) => writeln!(out, "Install:   {}", update_line(u))?,
        None => writeln!(out, "Install:   nothing newer in the catalogue")?,
    }
    if !a.notes.is_empty() {
        writeln!(out, "Notes:")?;
        for n in &a.notes {
            writeln!(out, "  - {n}")?;
        }
    }
    Ok(())
}
