//! What a fleet pull request says, as plain data ([`PullRequest`], [`PrBody`]), and the
//! markdown body and title rendered from it.
//!
//! Release notes come from a bundle's CHANGELOG, which its authors wrote, not the repository's
//! team: their `@mentions` are defused (one pull request per repository would otherwise ping a
//! person hundreds of times) and everything is cut to fit the forges' body limit.

use std::fmt::Write as _;

/// GitHub refuses a body over 65536 characters; GitLab's limit is larger. Kept under it with room
/// for the lines that say what was cut.
pub const MAX_BODY_CHARS: usize = 60_000;

/// Release notes longer than this are cut (the file table and the conflict steps matter more).
const MAX_NOTES_CHARS: usize = 20_000;

/// What marks a title as conflicted, at its start so it shows in any list of pull requests.
pub const CONFLICT_MARK: &str = "[conflicts] ";

/// One pull request (GitHub) or merge request (GitLab) to open or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// The repository's remote URL; its forge and `owner/name` are read from it.
    pub repo_remote: String,
    /// The branch to merge into (the repository's default branch).
    pub base: String,
    /// The fleet branch holding the upgrade.
    pub head_branch: String,
    /// The title without the conflict mark ([`PullRequest::title`] adds it).
    pub title: String,
    pub body_input: PrBody,
    /// Asked for with `--draft`; a conflicted pull request is a draft whatever this says.
    pub draft: bool,
    pub labels: Vec<String>,
    /// User names; `org/team` names a GitHub team.
    pub reviewers: Vec<String>,
}

impl PullRequest {
    /// The title as the forge shows it: marked when there are conflicts.
    pub fn title(&self) -> String {
        let plain = self.title.trim();
        let plain = plain.strip_prefix(CONFLICT_MARK).unwrap_or(plain).trim();
        if self.body_input.has_conflicts() {
            format!("{CONFLICT_MARK}{plain}")
        } else {
            plain.to_string()
        }
    }

    /// A conflicted pull request is always a draft, so nobody merges conflict markers.
    pub fn is_draft(&self) -> bool {
        self.draft || self.body_input.has_conflicts()
    }

    /// The body, naming the change as the forge does ("pull request", "merge request").
    pub fn body(&self, noun: &str) -> String {
        self.body_input.render_as(noun)
    }
}

/// What the body of a fleet pull request is made of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrBody {
    pub bundle: String,
    /// One row per project of the bundle in the repository (a monorepo has several).
    pub projects: Vec<ProjectRow>,
    /// The bundle CHANGELOG's entries between the versions, if it ships one.
    pub release_notes: Option<String>,
    pub files: Vec<FileRow>,
    /// Set when the upgrade left conflicts (also true when a file row is `Conflicted`).
    pub conflicts: bool,
    /// The fleet branch, for the steps that resolve conflicts.
    pub branch: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    /// The project's folder in the repository, `.` for its root.
    pub dir: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// Path from the repository's root.
    pub path: String,
    pub kind: FileKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    Added,
    Updated,
    Removed,
    Renamed {
        from: String,
    },
    /// The template changed the file and the repository's own edits were merged in.
    LocalEditsKept,
    /// Committed with conflict markers.
    Conflicted,
}

impl PrBody {
    pub fn has_conflicts(&self) -> bool {
        self.conflicts || self.files.iter().any(|f| f.kind == FileKind::Conflicted)
    }

    /// A title for the campaign: `Upgrade rust-service to 1.4.0`.
    pub fn default_title(&self) -> String {
        let mut to: Vec<&str> = self.projects.iter().map(|p| p.to.as_str()).collect();
        to.dedup();
        match to.as_slice() {
            [one] => format!("Upgrade {} to {one}", self.bundle),
            _ => format!("Upgrade {}", self.bundle),
        }
    }

    /// The markdown body of a GitHub pull request.
    pub fn render(&self) -> String {
        self.render_as("pull request")
    }

    /// The markdown body, naming the change `noun` ("merge request" on GitLab).
    pub fn render_as(&self, noun: &str) -> String {
        let mut out = String::new();
        let conflicted: Vec<&FileRow> = self
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Conflicted)
            .collect();
        if self.has_conflicts() {
            let _ = writeln!(
                out,
                "> [!WARNING]\n> This upgrade has conflicts: {} committed with conflict markers. \
                 It stays a draft until they are resolved (see below); do not merge it as it is.\n",
                match conflicted.len() {
                    0 => "some files are".to_string(),
                    1 => "1 file is".to_string(),
                    n => format!("{n} files are"),
                }
            );
        }
        let _ = writeln!(
            out,
            "This {noun} upgrades the golden path **{}**:\n",
            inline(&self.bundle)
        );
        out.push_str("| Project | From | To |\n|---|---|---|\n");
        for p in &self.projects {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code(&p.dir),
                inline(&p.from),
                inline(&p.to)
            );
        }
        out.push('\n');

        if let Some(notes) = self
            .release_notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            out.push_str("## Release notes\n\n");
            let (notes, cut) = cut_at(notes, MAX_NOTES_CHARS);
            out.push_str(&defuse_mentions(notes));
            if cut {
                out.push_str("\n\n*(cut here: see the bundle's CHANGELOG for the rest)*");
            }
            out.push_str("\n\n");
        }

        out.push_str("## Files\n\n");
        if self.files.is_empty() {
            out.push_str("No file changed.\n\n");
        } else {
            out.push_str("| File | Change |\n|---|---|\n");
            // The conflict steps come after the table and must survive, so the table stops
            // early rather than the body being cut at the end.
            let budget = MAX_BODY_CHARS.saturating_sub(out.len() + 2_000 + 80 * conflicted.len());
            let mut table = String::new();
            for (i, f) in self.files.iter().enumerate() {
                let row = format!("| {} | {} |\n", code(&f.path), describe(&f.kind));
                if table.len() + row.len() > budget {
                    let _ = writeln!(table, "| … | and {} more files |", self.files.len() - i);
                    break;
                }
                table.push_str(&row);
            }
            out.push_str(&table);
            out.push('\n');
        }

        if self.has_conflicts() {
            out.push_str("## Resolving the conflicts\n\n");
            if !conflicted.is_empty() {
                out.push_str(
                    "These files hold conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`):\n\n",
                );
                for f in &conflicted {
                    let _ = writeln!(out, "- {}", code(&f.path));
                }
                out.push('\n');
            }
            out.push_str("On your machine, in a clone of this repository:\n\n```sh\n");
            out.push_str(&self.resolve_steps());
            out.push_str("```\n\n");
            out.push_str(
                &"`goldpath upgrade --continue` refuses while a marker is left, and records the \
                 upgrade once they are all gone. Then mark this pull request ready for review.\n\n"
                    .replace("pull request", noun),
            );
        }
        out.push_str(
            &"---\n*Opened by goldpath. Re-running the fleet upgrade updates this pull request; \
              a commit of yours on the branch makes goldpath leave it alone.*\n"
                .replace("pull request", noun),
        );
        out
    }
}

impl PrBody {
    /// The folders of the projects holding a conflicted file (the deepest project folder a
    /// path is under), in the projects' order; every project's when no file is named.
    /// The shell lines that resolve the conflicts on a person's machine (the body's `sh` block,
    /// and the fleet report's `resolve`): switch to the branch, edit the files listed, `goldpath
    /// upgrade --continue` in each project folder with a conflict, push.
    pub fn resolve_steps(&self) -> String {
        let conflicted: Vec<&FileRow> = self
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Conflicted)
            .collect();
        let dirs = self.project_dirs_with_conflicts(&conflicted);
        let mut out = format!(
            "git fetch origin && git switch {}\n",
            shell_word(&self.branch)
        );
        out.push_str("# edit the files listed above: keep what you need from both sides, remove the markers\n");
        if dirs.is_empty() || dirs == ["."] {
            out.push_str("goldpath upgrade --continue\n");
        } else {
            out.push_str("# then, in each project folder with conflicts:\n");
            for d in &dirs {
                let _ = writeln!(out, "(cd {} && goldpath upgrade --continue)", shell_word(d));
            }
        }
        out.push_str("git push\n");
        out
    }

    fn project_dirs_with_conflicts(&self, conflicted: &[&FileRow]) -> Vec<&str> {
        let all = || self.projects.iter().map(|p| p.dir.as_str()).collect();
        if conflicted.is_empty() {
            return all();
        }
        let under = |path: &str, dir: &str| {
            dir == "."
                || path
                    .strip_prefix(dir)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        let owners: Vec<&str> = conflicted
            .iter()
            .filter_map(|f| {
                self.projects
                    .iter()
                    .filter(|p| under(&f.path, &p.dir))
                    .max_by_key(|p| if p.dir == "." { 0 } else { p.dir.len() })
                    .map(|p| p.dir.as_str())
            })
            .collect();
        let dirs: Vec<&str> = self
            .projects
            .iter()
            .map(|p| p.dir.as_str())
            .filter(|d| owners.contains(d))
            .collect();
        if dirs.is_empty() {
            all()
        } else {
            dirs
        }
    }
}

fn describe(kind: &FileKind) -> String {
    match kind {
        FileKind::Added => "added".into(),
        FileKind::Updated => "updated".into(),
        FileKind::Removed => "removed".into(),
        FileKind::Renamed { from } => format!("renamed from {}", code(from)),
        FileKind::LocalEditsKept => "updated, local edits kept".into(),
        FileKind::Conflicted => "**conflicts**".into(),
    }
}

/// `text` as a code span in a table cell: backticks long enough for any run inside it, `|`
/// escaped (it ends a cell even in code), and no line break.
fn code(text: &str) -> String {
    let text = one_line(text).replace('|', "\\|");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `text` as plain text in a cell or a sentence: markdown's punctuation escaped.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        if "\\`*_{}[]<>()#+!|@~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `@name` becomes `@&#8203;name`: it reads the same but notifies nobody (as Renovate does).
fn defuse_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        let starts_word = prev.is_none_or(|p| !p.is_alphanumeric() && p != '`');
        if c == '@' && starts_word && chars.peek().is_some_and(|n| n.is_alphanumeric()) {
            out.push_str("&#8203;");
        }
        prev = Some(c);
    }
    out
}

/// At most `max` bytes of `text`, cut at a line end (or a char boundary), and whether it was cut.
fn cut_at(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = text[..end].rfind('\n').unwrap_or(end);
    (&text[..end], true)
}

/// A branch or folder name as one shell word (single-quoted unless it is plainly safe).
fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=@:".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", one_line(text).replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn body(conflicts: bool) -> PrBody {
        let mut files = vec![
            FileRow {
                path: "Cargo.toml".into(),
                kind: FileKind::LocalEditsKept,
            },
            FileRow {
                path: ".github/workflows/ci.yml".into(),
                kind: FileKind::Updated,
            },
            FileRow {
                path: "deny.toml".into(),
                kind: FileKind::Added,
            },
            FileRow {
                path: "clippy.toml".into(),
                kind: FileKind::Removed,
            },
            FileRow {
                path: "docs/runbook.md".into(),
                kind: FileKind::Renamed {
                    from: "RUNBOOK.md".into(),
                },
            },
        ];
        if conflicts {
            files.push(FileRow {
                path: "src/main.rs".into(),
                kind: FileKind::Conflicted,
            });
        }
        PrBody {
            bundle: "rust-service".into(),
            projects: vec![ProjectRow {
                dir: ".".into(),
                from: "1.2.0".into(),
                to: "1.4.0".into(),
            }],
            release_notes: Some(
                "### 1.4.0\n- cargo-deny in CI (thanks @octocat)\n- mail me at a@b.c".into(),
            ),
            files,
            conflicts,
            branch: "goldpath/rust-service-1.4.0".into(),
        }
    }

    #[test]
    fn body_of_a_clean_upgrade() {
        insta::assert_snapshot!(body(false).render());
    }

    #[test]
    fn body_of_a_conflicted_upgrade_in_a_monorepo() {
        let mut b = body(true);
        b.files.last_mut().unwrap().path = "services/bill ing/src/main.rs".into();
        b.projects = vec![
            ProjectRow {
                dir: "services/orders".into(),
                from: "1.2.0".into(),
                to: "1.4.0".into(),
            },
            ProjectRow {
                dir: "services/bill ing".into(),
                from: "1.3.0".into(),
                to: "1.4.0".into(),
            },
        ];
        b.release_notes = None;
        insta::assert_snapshot!(b.render_as("merge request"));
    }

    #[test]
    fn conflicted_is_always_a_marked_draft() {
        let mut pr = PullRequest {
            repo_remote: "git@github.com:acme/orders.git".into(),
            base: "main".into(),
            head_branch: "goldpath/rust-service-1.4.0".into(),
            title: "Upgrade rust-service to 1.4.0".into(),
            body_input: body(false),
            draft: false,
            labels: vec![],
            reviewers: vec![],
        };
        assert_eq!(
            (pr.title(), pr.is_draft()),
            ("Upgrade rust-service to 1.4.0".into(), false)
        );
        pr.body_input.files.push(FileRow {
            path: "a".into(),
            kind: FileKind::Conflicted,
        });
        assert_eq!(
            (pr.title(), pr.is_draft()),
            ("[conflicts] Upgrade rust-service to 1.4.0".into(), true)
        );
        // Re-marking an already marked title does not stack marks.
        pr.title = pr.title();
        assert_eq!(pr.title(), "[conflicts] Upgrade rust-service to 1.4.0");
        pr.body_input.files.pop();
        assert_eq!(pr.title(), "Upgrade rust-service to 1.4.0");
        assert_eq!(
            pr.body_input.default_title(),
            "Upgrade rust-service to 1.4.0"
        );
    }

    #[test]
    fn untrusted_text_cannot_break_the_markdown() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y``z"), "```x`y``z```");
        assert_eq!(code("`q"), "`` `q ``");
        assert_eq!(code("two\nlines"), "`two lines`");
        assert_eq!(
            defuse_mentions("@team and a@b.c and `@x`"),
            "@&#8203;team and a@b.c and `@x`"
        );
        assert_eq!(shell_word("goldpath/x-1.4.0"), "goldpath/x-1.4.0");
        assert_eq!(shell_word("it's; rm"), r"'it'\''s; rm'");
    }

    #[test]
    fn a_huge_upgrade_fits_the_forge_limit_and_keeps_the_conflict_steps() {
        let mut b = body(true);
        b.release_notes = Some("- a change\n".repeat(10_000));
        b.files = (0..5_000)
            .map(|i| FileRow {
                path: format!("src/generated/module_{i}.rs"),
                kind: FileKind::Added,
            })
            .chain([FileRow {
                path: "src/main.rs".into(),
                kind: FileKind::Conflicted,
            }])
            .collect();
        let text = b.render();
        assert!(text.len() <= MAX_BODY_CHARS, "{}", text.len());
        assert!(text.contains("more files |"));
        assert!(text.contains("goldpath upgrade --continue"));
        assert!(text.contains("- `src/main.rs`"));
        assert!(text.contains("see the bundle's CHANGELOG"));
    }
}
