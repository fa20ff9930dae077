//! Exchange version strings: `15.1.2176.2`, `15.01.2176.002`, `15.1.2176` (CU only), `15.1` (product only).

use std::cmp::Ordering;
use std::fmt;

use crate::CatalogError;

/// A complete four-part build number, as written in `ExSetup.exe`'s file version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Build {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    pub revision: u32,
}

impl Build {
    pub const fn new(major: u32, minor: u32, build: u32, revision: u32) -> Self {
        Build {
            major,
            minor,
            build,
            revision,
        }
    }

    /// The long format Microsoft also publishes: `15.01.2176.002`.
    pub fn long_format(&self) -> String {
        format!(
            "{}.{:02}.{:04}.{:03}",
            self.major, self.minor, self.build, self.revision
        )
    }

    /// major.minor.build: the part that names the cumulative update.
    pub fn cu_triple(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.build)
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.major, self.minor, self.build, self.revision
        )
    }
}

impl std::str::FromStr for Build {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = Version::parse(s)?;
        match (v.build, v.revision) {
            (Some(b), Some(r)) => Ok(Build::new(v.major, v.minor, b, r)),
            _ => Err(CatalogError::Malformed {
                input: s.to_string(),
                reason: "a complete build needs four parts (major.minor.build.revision)".into(),
            }),
        }
    }
}

/// A version as far as it is known: two, three or four parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub build: Option<u32>,
    pub revision: Option<u32>,
}

impl Version {
    /// Parse `15.1.2176.2`, `15.01.2176.002`, `15.1.2176` or `15.1`. Surrounding white space is
    /// ignored; anything else that is not dot-separated decimal numbers is an error.
    pub fn parse(input: &str) -> Result<Version, CatalogError> {
        let s = input.trim();
        let err = |reason: &str| CatalogError::Malformed {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if s.is_empty() {
            return Err(err("empty version"));
        }
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() < 2 {
            return Err(err(
                "expected at least major.minor (e.g. 15.1), up to major.minor.build.revision",
            ));
        }
        if parts.len() > 4 {
            return Err(err(
                "too many parts: an Exchange build has at most four (major.minor.build.revision)",
            ));
        }
        let mut nums = [0u32; 4];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() {
                return Err(err(&format!("part {} is empty", i + 1)));
            }
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(&format!(
                    "part {} ({p:?}) is not a decimal number",
                    i + 1
                )));
            }
            nums[i] = p
                .parse()
                .map_err(|_| err(&format!("part {} ({p}) is too large", i + 1)))?;
        }
        Ok(Version {
            major: nums[0],
            minor: nums[1],
            build: (parts.len() > 2).then_some(nums[2]),
            revision: (parts.len() > 3).then_some(nums[3]),
        })
    }

    /// Parse Exchange's `AdminDisplayVersion` text, `Version 15.1 (Build 2507.6)`. It ignores
    /// security updates, so only the CU is returned (major.minor.build, no revision).
    /// Returns `None` when the text is not in that form.
    pub fn parse_admin_display(input: &str) -> Option<Result<Version, CatalogError>> {
        let s = input.trim();
        let rest = s
            .strip_prefix("Version ")
            .or_else(|| s.strip_prefix("version "))?;
        let (mm, tail) = rest.split_once("(Build ")?;
        let tail = tail.trim_end().strip_suffix(')')?;
        let combined = format!("{}.{}", mm.trim(), tail.trim());
        let malformed = || CatalogError::Malformed {
            input: input.to_string(),
            reason: "expected \"Version M.m (Build b.r)\"".into(),
        };
        Some(match Version::parse(&combined) {
            Ok(v) if v.revision.is_some() => Ok(Version {
                revision: None,
                ..v
            }),
            _ => Err(malformed()),
        })
    }

    /// From separate parts (a revision without a build is ignored).
    pub fn from_parts(major: u32, minor: u32, build: Option<u32>, revision: Option<u32>) -> Self {
        Version {
            major,
            minor,
            build,
            revision: build.and(revision),
        }
    }

    pub fn full(&self) -> Option<Build> {
        Some(Build::new(
            self.major,
            self.minor,
            self.build?,
            self.revision?,
        ))
    }

    /// Compare the known parts with a complete build, major.minor.build only.
    pub fn cmp_cu(&self, other: &Build) -> Option<Ordering> {
        Some((self.major, self.minor, self.build?).cmp(&other.cu_triple()))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(b) = self.build {
            write!(f, ".{b}")?;
            if let Some(r) = self.revision {
                write!(f, ".{r}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_and_long_forms() {
        let a = Version::parse("15.1.2176.2").unwrap();
        let b = Version::parse(" 15.01.2176.002 ").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.full(), Some(Build::new(15, 1, 2176, 2)));
        assert_eq!(a.full().unwrap().long_format(), "15.01.2176.002");
        let cu = Version::parse("15.1.2176").unwrap();
        assert_eq!((cu.build, cu.revision), (Some(2176), None));
        let p = Version::parse("15.1").unwrap();
        assert_eq!((p.build, p.revision), (None, None));
        assert_eq!(p.to_string(), "15.1");
    }

    #[test]
    fn admin_display_version_gives_the_cu_only() {
        let v = Version::parse_admin_display("Version 15.1 (Build 2507.6)")
            .unwrap()
            .unwrap();
        assert_eq!(v, Version::parse("15.1.2507").unwrap());
        assert!(Version::parse_admin_display("15.1.2507.6").is_none());
        assert!(Version::parse_admin_display("Version 15.1 (Build 2507)")
            .unwrap()
            .is_err());
        assert!(Version::parse_admin_display("Version 15.x (Build 2507.6)")
            .unwrap()
            .is_err());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "15",
            "15.",
            "15..1",
            "15.1.2176.2.1",
            "15.x",
            "v15.1",
            "15.1.-3",
            "15.1.99999999999",
            "15,1,2176,2",
        ] {
            let e = Version::parse(bad).unwrap_err();
            assert!(e.to_string().contains("malformed"), "{bad:?}: {e}");
        }
    }
}
