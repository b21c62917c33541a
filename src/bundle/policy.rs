//! File policies (`[files]` in bundle.toml) compiled to matchers: who owns a rendered path.

use super::manifest::FilePolicies;
use crate::tree::RelPath;
use globset::{Glob, GlobSet, GlobSetBuilder};

/// How upgrades and checks treat one rendered file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Template-owned: a local edit is drift (check) and a conflict (upgrade).
    Locked,
    /// Three-way merged on upgrade; local edits are kept (the default).
    Merge,
    /// Written once by `new`, never touched by upgrades, never checked.
    Seed,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Locked => "locked",
            Policy::Merge => "merge",
            Policy::Seed => "seed",
        }
    }
}

pub struct Policies {
    locked: GlobSet,
    seed: GlobSet,
}

impl Policies {
    /// Compiles the globs; the manifest was validated, so they parse. `*` does not cross `/`
    /// (as in .gitignore), `**` does.
    pub fn new(files: &FilePolicies) -> Policies {
        let build = |globs: &[String]| {
            let mut b = GlobSetBuilder::new();
            for g in globs {
                if let Ok(glob) = globset::GlobBuilder::new(g).literal_separator(true).build() {
                    b.add(glob);
                } else if let Ok(glob) = Glob::new(g) {
                    b.add(glob);
                }
            }
            b.build().unwrap_or_else(|_| GlobSet::empty())
        };
        Policies {
            locked: build(&files.locked),
            seed: build(&files.seed),
        }
    }

    /// `locked` wins over `seed` when both match: the stricter promise is the one kept.
    pub fn of(&self, path: &RelPath) -> Policy {
        if self.locked.is_match(path.as_str()) {
            Policy::Locked
        } else if self.seed.is_match(path.as_str()) {
            Policy::Seed
        } else {
            Policy::Merge
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_decide_the_policy() {
        let p = Policies::new(&FilePolicies {
            locked: vec![
                ".github/workflows/**".into(),
                "chart/templates/**".into(),
                "Dockerfile".into(),
            ],
            seed: vec!["src/**".into(), "*.md".into()],
        });
        let table = [
            (".github/workflows/ci.yaml", Policy::Locked),
            ("chart/templates/deployment.yaml", Policy::Locked),
            ("chart/values.yaml", Policy::Merge),
            ("Dockerfile", Policy::Locked),
            ("src/main.rs", Policy::Seed),
            ("README.md", Policy::Seed),
            ("docs/runbook.md", Policy::Merge),
        ];
        for (path, want) in table {
            assert_eq!(p.of(&RelPath::new(path).unwrap()), want, "{path}");
        }
    }
}
