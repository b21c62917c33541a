//! What a pull request (or merge request) for one repository's fleet branch needs, as plain
//! data: the forge client (`crate::forge`) turns a [`PullRequestPlan`] into requests. The fleet
//! computes it whether or not `--pr` is given, and records it in the report.

use crate::upgrade::{Action, Change};
use serde::{Deserialize, Serialize};

/// Everything a pull request for a fleet branch says and needs. No token: the forge client
/// finds its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequestPlan {
    /// The repository's remote (credentials masked), from which the forge and the
    /// `owner/name` (GitLab: project path) are taken; `None` for a local repository without one.
    pub remote_url: Option<String>,
    /// The branch the pull request merges into (the repository's default branch).
    pub base_branch: String,
    /// The fleet branch.
    pub branch: String,
    pub title: String,
    /// Some file is in conflict: the pull request is a draft, its title says so, and it is
    /// never marked for auto-merge.
    pub has_conflicts: bool,
    /// Every project the branch upgrades.
    pub projects: Vec<ProjectVersions>,
    /// Every file the branch changes, or leaves in conflict.
    pub files: std::sync::Arc<[FileChange]>,
    /// What the bundle's release notes say of the versions crossed, when it ships a CHANGELOG.
    pub release_notes: Option<String>,
    /// How to resolve the conflicts locally, when there are any.
    pub resolve: Option<String>,
}

/// One project of the branch: its folder in the repository (`""` at the root) and versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectVersions {
    pub path: String,
    pub bundle: String,
    pub from: String,
    pub to: String,
}

/// One file of the branch, its path relative to the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    #[serde(flatten)]
    pub kind: FileKind,
}

/// What the branch does to a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileKind {
    /// A new file of the template.
    Added,
    /// Updated from the template (the project had not changed it).
    Updated,
    /// Removed by the template (or a migration).
    Removed,
    /// Moved by the template, from `from` (relative to the repository), carrying any local edit.
    Renamed { from: String },
    /// Updated from the template with the project's own edits merged in.
    LocalEditsKept,
    /// In conflict: marked in the file, or (modified here, removed by the template; binary)
    /// left as the project had it.
    Conflicted,
}

impl FileKind {
    /// The kind of a change of the upgrade plan; `None` for a file the branch leaves as it is.
    pub fn of(change: &Change, prefix: &str) -> Option<FileKind> {
        if let Some(from) = &change.moved_from {
            if change.action.writes() && !matches!(change.action, Action::Conflict(_)) {
                return Some(FileKind::Renamed {
                    from: format!("{prefix}{from}"),
                });
            }
        }
        Some(match &change.action {
            Action::Create(_) => FileKind::Added,
            Action::Update(_) => FileKind::Updated,
            Action::Merged(_) => FileKind::LocalEditsKept,
            Action::Delete => FileKind::Removed,
            Action::Conflict(_) => FileKind::Conflicted,
            Action::KeptLocal | Action::KeptDeleted | Action::KeptSeed | Action::LeftAlone(_) => {
                return None
            }
        })
    }

    /// How a pull request's table says it.
    pub fn describe(&self) -> String {
        match self {
            FileKind::Added => "added".into(),
            FileKind::Updated => "updated".into(),
            FileKind::Removed => "removed".into(),
            FileKind::Renamed { from } => format!("renamed from {from}"),
            FileKind::LocalEditsKept => "updated, local edits kept".into(),
            FileKind::Conflicted => "conflicted".into(),
        }
    }
}

/// What `--pr` adds to each repository's pull request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrSettings {
    /// Open every pull request as a draft (one with conflicts is a draft whatever this says).
    pub draft: bool,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    /// Close the open pull requests of older campaigns of the bundle (`goldpath/BUNDLE-OLDER`).
    pub close_superseded: bool,
    /// `--forge KIND [--forge-url URL]`; `None`: taken from each remote URL.
    pub forge: Option<crate::forge::ForgeOverride>,
}

impl PullRequestPlan {
    /// The forge client's pull request for this plan; its body is rendered by the forge client
    /// (which words it for GitHub or GitLab and keeps it under their size limits). `None` when
    /// the repository has no remote to open it on.
    pub fn to_forge(
        &self,
        bundle: &str,
        settings: &PrSettings,
    ) -> Option<crate::forge::PullRequest> {
        Some(crate::forge::PullRequest {
            repo_remote: self.remote_url.clone()?,
            base: self.base_branch.clone(),
            head_branch: self.branch.clone(),
            title: self.title.clone(),
            body_input: self.body(bundle),
            draft: settings.draft,
            labels: settings.labels.clone(),
            reviewers: settings.reviewers.clone(),
        })
    }

    /// How to resolve the conflicts locally: the steps the pull request's body gives (one text
    /// for both), for [`PullRequestPlan::resolve`].
    pub fn resolve_steps(&self, bundle: &str) -> String {
        self.body(bundle).resolve_steps()
    }

    /// What the forge client renders the body from.
    fn body(&self, bundle: &str) -> crate::forge::PrBody {
        use crate::forge;
        let files = self
            .files
            .iter()
            .map(|f| forge::FileRow {
                path: f.path.clone(),
                kind: match &f.kind {
                    FileKind::Added => forge::FileKind::Added,
                    FileKind::Updated => forge::FileKind::Updated,
                    FileKind::Removed => forge::FileKind::Removed,
                    FileKind::Renamed { from } => forge::FileKind::Renamed { from: from.clone() },
                    FileKind::LocalEditsKept => forge::FileKind::LocalEditsKept,
                    FileKind::Conflicted => forge::FileKind::Conflicted,
                },
            })
            .collect();
        let projects = self
            .projects
            .iter()
            .map(|p| forge::ProjectRow {
                dir: if p.path.is_empty() {
                    ".".into()
                } else {
                    p.path.clone()
                },
                from: p.from.clone(),
                to: p.to.clone(),
            })
            .collect();
        forge::PrBody {
            bundle: bundle.to_string(),
            projects,
            release_notes: self.release_notes.clone(),
            files,
            conflicts: self.has_conflicts,
            branch: self.branch.clone(),
        }
    }
}

/// The sections of a Keep-a-Changelog style `changelog` for the versions after `from` up to
/// `to` (headings `## [1.4.0] - date` or `## 1.4.0`), newest first as the file has them; `None`
/// when none is there. A heading that is not a version (`## [Unreleased]`) ends a section.
pub fn release_notes(
    changelog: &str,
    from: &semver::Version,
    to: &semver::Version,
) -> Option<String> {
    let mut notes = String::new();
    let mut keep = false;
    for line in changelog.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            let word = heading
                .trim_start_matches('[')
                .split(|c: char| c == ']' || c.is_whitespace())
                .next()
                .unwrap_or_default();
            let word = word.strip_prefix('v').unwrap_or(word);
            keep = semver::Version::parse(word).is_ok_and(|v| &v > from && &v <= to);
        }
        if keep {
            notes.push_str(line);
            notes.push('\n');
        }
    }
    let notes = notes.trim();
    (!notes.is_empty()).then(|| notes.to_string())
}

/// The title of the pull request of `bundle` going to `to`, marked as the forge marks it
/// ([`crate::forge::CONFLICT_MARK`], one mark for both).
pub fn title(bundle: &str, to: &str, has_conflicts: bool) -> String {
    let title = format!("Upgrade {bundle} to {to} (golden path)");
    if has_conflicts {
        format!("{}{title}", crate::forge::CONFLICT_MARK)
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{File, RelPath};

    fn change(path: &str, moved_from: Option<&str>, action: Action) -> Change {
        Change {
            path: RelPath::new(path).unwrap(),
            moved_from: moved_from.map(|p| RelPath::new(p).unwrap()),
            action,
        }
    }

    #[test]
    fn every_action_has_its_kind_and_files_left_alone_have_none() {
        let f = File::new("x\n");
        let cases = [
            (
                change("a", None, Action::Create(f.clone())),
                Some(FileKind::Added),
            ),
            (
                change("a", None, Action::Update(f.clone())),
                Some(FileKind::Updated),
            ),
            (
                change("a", None, Action::Merged(f.clone())),
                Some(FileKind::LocalEditsKept),
            ),
            (change("a", None, Action::Delete), Some(FileKind::Removed)),
            (
                change("new", Some("old"), Action::Update(f.clone())),
                Some(FileKind::Renamed {
                    from: "svc/old".into(),
                }),
            ),
            (change("a", None, Action::KeptLocal), None),
            (change("a", None, Action::KeptSeed), None),
        ];
        for (c, want) in cases {
            assert_eq!(FileKind::of(&c, "svc/"), want, "{c:?}");
        }
    }

    #[test]
    fn the_forge_body_has_versions_release_notes_files_and_the_branch() {
        let plan = PullRequestPlan {
            remote_url: Some("https://example.com/acme/orders.git".into()),
            base_branch: "main".into(),
            branch: "gp/x".into(),
            title: title("svc", "2.0.0", true),
            has_conflicts: true,
            projects: vec![ProjectVersions {
                path: String::new(),
                bundle: "svc".into(),
                from: "1.0.0".into(),
                to: "2.0.0".into(),
            }],
            files: [FileChange {
                path: "Dockerfile".into(),
                kind: FileKind::Conflicted,
            }]
            .into(),
            release_notes: Some("- faster builds\n".into()),
            resolve: None,
        };
        let settings = PrSettings {
            labels: vec!["golden-path".into()],
            ..PrSettings::default()
        };
        let pr = plan.to_forge("svc", &settings).unwrap();
        assert!(pr.is_draft(), "a conflicted pull request is a draft");
        assert_eq!(pr.title(), "[conflicts] Upgrade svc to 2.0.0 (golden path)");
        assert_eq!(pr.labels, ["golden-path"]);
        let body = pr.body("pull request");
        for want in ["1.0.0", "2.0.0", "- faster builds", "`Dockerfile`", "gp/x"] {
            assert!(body.contains(want), "{want}\n{body}");
        }
    }

    #[test]
    fn the_reports_resolve_steps_are_the_pull_request_bodys() {
        let mut plan = PullRequestPlan {
            remote_url: None,
            base_branch: "main".into(),
            branch: "gp/x".into(),
            title: title("svc", "2.0.0", true),
            has_conflicts: true,
            projects: ["", "services/b"]
                .map(|path| ProjectVersions {
                    path: path.into(),
                    bundle: "svc".into(),
                    from: "1.0.0".into(),
                    to: "2.0.0".into(),
                })
                .to_vec(),
            files: [FileChange {
                path: "services/b/Dockerfile".into(),
                kind: FileKind::Conflicted,
            }]
            .into(),
            release_notes: None,
            resolve: None,
        };
        let steps = plan.resolve_steps("svc");
        assert_eq!(
            steps,
            "git fetch origin && git switch gp/x\n# edit the files listed above: keep what you need from both sides, remove the markers\n# then, in each project folder with conflicts:\n(cd services/b && goldpath upgrade --continue)\ngit push\n"
        );
        plan.remote_url = Some("https://example.com/acme/orders.git".into());
        let body = plan
            .to_forge("svc", &PrSettings::default())
            .unwrap()
            .body("pull request");
        assert!(body.contains(&format!("```sh\n{steps}```\n")), "{body}");
    }

    #[test]
    fn release_notes_are_the_sections_between_the_versions() {
        let changelog = "# Changelog\n\n## [Unreleased]\n- next\n\n## [2.0.0] - 2026-01-02\n### Changed\n- faster builds\n\n## 1.5.0\n- a chart\n\n## [1.0.0] - 2025-01-01\n- first\n";
        let v = |s: &str| semver::Version::parse(s).unwrap();
        let notes = release_notes(changelog, &v("1.0.0"), &v("2.0.0")).unwrap();
        assert_eq!(
            notes,
            "## [2.0.0] - 2026-01-02\n### Changed\n- faster builds\n\n## 1.5.0\n- a chart"
        );
        let only = release_notes(changelog, &v("1.5.0"), &v("1.5.0"));
        assert_eq!(only, None, "nothing is crossed");
        assert_eq!(
            release_notes(changelog, &v("1.0.0"), &v("1.5.0")).unwrap(),
            "## 1.5.0\n- a chart"
        );
        assert_eq!(
            release_notes("no headings\n", &v("1.0.0"), &v("2.0.0")),
            None
        );
    }

    #[test]
    fn a_conflicted_title_says_so() {
        assert_eq!(
            title("svc", "2.0.0", true),
            "[conflicts] Upgrade svc to 2.0.0 (golden path)"
        );
    }
}
