//! A version as a user names it (`new --version`, `upgrade --to`), and which release it picks.
//! Prereleases (`2.0.0-rc.1`) are picked only when named, or with `--pre`: a release candidate
//! tagged in a source must not become everyone's default.

use semver::Version;
use std::fmt;
use std::str::FromStr;

/// `1.2.0`, `v1.2.0` and `2.0.0-rc.1` name one release; `1.2` and `1` the newest in a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WantedVersion {
    Exact(Version),
    Series { major: u64, minor: Option<u64> },
}

impl FromStr for WantedVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<WantedVersion, String> {
        let bare = s.trim();
        // Tags are `v1.2.0`, so a user copying one must not be refused.
        let bare = bare.strip_prefix(['v', 'V']).unwrap_or(bare);
        if let Ok(v) = Version::parse(bare) {
            return Ok(WantedVersion::Exact(v));
        }
        let number = |part: &str| {
            let plain = !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_digit())
                && (part == "0" || !part.starts_with('0'));
            plain.then(|| part.parse::<u64>().ok()).flatten()
        };
        let parts: Vec<&str> = bare.split('.').collect();
        match parts[..] {
            [major] => number(major).map(|major| WantedVersion::Series { major, minor: None }),
            [major, minor] => number(major)
                .zip(number(minor))
                .map(|(major, minor)| WantedVersion::Series {
                    major,
                    minor: Some(minor),
                }),
            _ => None,
        }
        .ok_or_else(|| {
            format!("`{s}` is not a version: give one like 1.2.0, v1.2.0 or 2.0.0-rc.1, or 1.2 for the newest 1.2.x")
        })
    }
}

impl fmt::Display for WantedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WantedVersion::Exact(v) => write!(f, "{v}"),
            WantedVersion::Series {
                major,
                minor: Some(minor),
            } => write!(f, "{major}.{minor}.x"),
            WantedVersion::Series { major, minor: None } => write!(f, "{major}.x"),
        }
    }
}

/// The release `wanted` picks among `available` (oldest first): the one named, or the newest
/// of its series, or the newest of all (`None`); prereleases only when named or `pre`.
pub fn pick(available: &[Version], wanted: Option<&WantedVersion>, pre: bool) -> Option<Version> {
    let allowed = |v: &&Version| pre || v.pre.is_empty();
    match wanted {
        Some(WantedVersion::Exact(v)) => available.contains(v).then(|| v.clone()),
        Some(WantedVersion::Series { major, minor }) => available
            .iter()
            .filter(allowed)
            .filter(|v| v.major == *major && minor.is_none_or(|m| v.minor == m))
            .max()
            .cloned(),
        None => available.iter().filter(allowed).max().cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_are_read_as_users_write_them() {
        let ok = [
            ("1.2.0", WantedVersion::Exact(v("1.2.0"))),
            ("v1.2.0", WantedVersion::Exact(v("1.2.0"))),
            ("2.0.0-rc.1", WantedVersion::Exact(v("2.0.0-rc.1"))),
            ("v2.0.0-rc.1", WantedVersion::Exact(v("2.0.0-rc.1"))),
            (
                "1.2",
                WantedVersion::Series {
                    major: 1,
                    minor: Some(2),
                },
            ),
            (
                "v1",
                WantedVersion::Series {
                    major: 1,
                    minor: None,
                },
            ),
        ];
        for (s, want) in ok {
            assert_eq!(s.parse::<WantedVersion>(), Ok(want), "{s}");
        }
        for s in [
            "", "x", "1.2.", "1..2", "01.2", "1.2.3.4", "1.-2", "vv1.2.0",
        ] {
            let err = s.parse::<WantedVersion>().unwrap_err();
            assert!(err.contains("is not a version"), "{s}: {err}");
        }
    }

    #[test]
    fn prereleases_are_picked_only_when_named_or_asked_for() {
        let available = [
            v("1.1.0"),
            v("1.2.0"),
            v("1.2.3"),
            v("1.3.0"),
            v("2.0.0-rc.1"),
        ];
        let pick = |w: Option<&str>, pre: bool| {
            let w = w.map(|w| w.parse::<WantedVersion>().unwrap());
            pick(&available, w.as_ref(), pre).map(|v| v.to_string())
        };
        assert_eq!(pick(None, false).as_deref(), Some("1.3.0"));
        assert_eq!(pick(None, true).as_deref(), Some("2.0.0-rc.1"));
        assert_eq!(
            pick(Some("2.0.0-rc.1"), false).as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(pick(Some("1.2"), false).as_deref(), Some("1.2.3"));
        assert_eq!(pick(Some("1"), false).as_deref(), Some("1.3.0"));
        assert_eq!(pick(Some("2"), false), None);
        assert_eq!(pick(Some("2"), true).as_deref(), Some("2.0.0-rc.1"));
        assert_eq!(pick(Some("1.4"), false), None);
        assert_eq!(pick(Some("v1.2.0"), false).as_deref(), Some("1.2.0"));
        assert_eq!(pick(Some("1.2.1"), false), None);
    }
}
