//! A project made by goldpath: its folder, its answers file, and the recorded version of its
//! bundle rendered again. Upgrade and check both start here.

use crate::answers::{self, Answers, AnswersFile, Inputs};
use crate::bundle::{self, Bundle, Source, SourceSpec};
use crate::tree::{self, Tree};
use crate::upgrade::Staged;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Answers(#[from] answers::Error),
    #[error(
        "the project records {name} {version} from {source_name}, which cannot be loaded: {cause}"
    )]
    RecordedVersion {
        name: String,
        version: String,
        source_name: String,
        cause: Box<bundle::Error>,
    },
    #[error("the project was made from {name} {version} at commit {recorded}, but that version's tag in {source_name} now points at {found} (the tag was moved or force-pushed)")]
    CommitMoved {
        name: String,
        version: String,
        source_name: String,
        recorded: String,
        found: String,
    },
    #[error(transparent)]
    Bundle(#[from] bundle::Error),
    #[error(transparent)]
    Render(#[from] crate::render::Error),
    #[error(transparent)]
    Tree(#[from] tree::Error),
    #[error(transparent)]
    Git(#[from] crate::git::Error),
}

/// A project's record. Where its files are read from is a [`crate::upgrade::CurrentFiles`]
/// given beside it (the work tree, the index, a commit's tree), so `check` and `upgrade` read
/// every kind the same way.
pub struct Project {
    pub dir: PathBuf,
    pub record: AnswersFile,
}

impl Project {
    pub fn open(dir: &Path) -> Result<Project, Error> {
        // The answers file is read and rewritten by upgrade: never through a link.
        tree::no_symlink_on_the_way(dir, &tree::RelPath::new(tree::ANSWERS_FILE)?)?;
        Ok(Project {
            dir: dir.to_path_buf(),
            record: AnswersFile::read(dir)?,
        })
    }

    /// The project at `dir` as the index has it: what `git commit` would commit now, answers
    /// file included, with its files ([`Staged`]). The pre-commit hook checks this, so that
    /// unstaged edits neither block a commit nor hide staged drift.
    pub fn open_staged(dir: &Path) -> Result<(Project, Staged), Error> {
        let (files, links) = crate::git::ProjectRepo::open(dir)?.staged_files()?;
        let answers = tree::RelPath::new(tree::ANSWERS_FILE)?;
        let shown = format!("{} (staged)", dir.join(tree::ANSWERS_FILE).display());
        let record = match files.get(&answers) {
            Some(file) => AnswersFile::parse_bytes(&file.bytes, &shown)?,
            // As the work tree's missing answers file is reported.
            None => AnswersFile::read(dir)?,
        };
        let project = Project {
            dir: dir.to_path_buf(),
            record,
        };
        Ok((project, Staged { files, links }))
    }

    /// The recorded source, unless `from` overrides it (`--from`).
    pub fn source(&self, from: Option<&SourceSpec>) -> SourceSpec {
        from.cloned()
            .unwrap_or_else(|| SourceSpec::parse(&self.record.bundle.source))
    }

    /// The bundle at the recorded version. For git sources the tag must still point at the
    /// recorded commit: if it moved, the base of a merge would be wrong and edits could be lost,
    /// so it is an error rather than a guess.
    pub fn load_recorded(&self, source: &Source) -> Result<Bundle, Error> {
        let rec = &self.record.bundle;
        self.load_version(source, &rec.version, rec.commit.as_deref())
    }

    /// The project's bundle at `version`, which must still be at `commit` when one is recorded
    /// (see [`Project::load_recorded`]).
    pub fn load_version(
        &self,
        source: &Source,
        version: &semver::Version,
        commit: Option<&str>,
    ) -> Result<Bundle, Error> {
        let name = &self.record.bundle.name;
        let bundle = source
            .load(name, Some(version))
            .map_err(|cause| Error::RecordedVersion {
                name: name.clone(),
                version: version.to_string(),
                source_name: source.describe(),
                cause: Box::new(cause),
            })?;
        if let (Some(recorded), Some(found)) = (commit, &bundle.origin.commit) {
            if recorded != found {
                return Err(Error::CommitMoved {
                    name: name.clone(),
                    version: version.to_string(),
                    source_name: source.describe(),
                    recorded: recorded.to_string(),
                    found: found.clone(),
                });
            }
        }
        Ok(bundle)
    }

    /// The source to read: `from` (`--from`), else the one of an upgrade waiting on its
    /// conflicts, else the recorded one.
    pub fn current_source(&self, from: Option<&SourceSpec>) -> SourceSpec {
        match (from, &self.record.upgrade) {
            (None, Some(pending)) => SourceSpec::parse(&pending.source),
            _ => self.source(from),
        }
    }

    /// What the project's files would be had nobody edited them: the recorded version with the
    /// recorded answers; while an upgrade waits on its conflicts, the version it goes to with its
    /// answers, because the files already are that version's, merged with the user's edits.
    pub fn expected(&self, source: &Source) -> Result<(Bundle, Tree), Error> {
        let bundle = self.expected_bundle(source)?;
        let tree = self.render_expected(&bundle, &Answers::default(), None)?;
        Ok((bundle, tree))
    }

    /// The bundle [`Project::expected`] renders: the recorded version, or the one an upgrade
    /// waiting on its conflicts goes to.
    pub fn expected_bundle(&self, source: &Source) -> Result<Bundle, Error> {
        match &self.record.upgrade {
            None => self.load_recorded(source),
            Some(pending) => self.load_version(source, &pending.version, pending.commit.as_deref()),
        }
    }

    /// The answers [`Project::expected`] renders with: recorded, or the pending upgrade's.
    pub fn expected_answers(&self) -> &std::collections::BTreeMap<String, answers::Value> {
        self.record
            .upgrade
            .as_ref()
            .map_or(&self.record.answers, |p| &p.answers)
    }

    /// Renders `bundle` (from [`Project::expected_bundle`]) with [`Project::expected_answers`],
    /// `extra` for the questions they lack, and the secret `alternative` (if any) as
    /// [`answers::SECRET_ALTERNATIVE`] whatever it was given (see `check`).
    pub fn render_expected(
        &self,
        bundle: &Bundle,
        extra: &Answers,
        alternative: Option<&str>,
    ) -> Result<Tree, Error> {
        let answers = self.answers_with(bundle, self.expected_answers(), extra, alternative)?;
        Ok(crate::render::render(bundle, &answers)?)
    }

    /// The recorded answers, typed by `bundle`'s questions. Questions the record lacks (secrets,
    /// which are never written) take `extra`, then their defaults; a secret not in `extra`
    /// takes [`answers::SECRET_PLACEHOLDER`] (check has no secret: the files that use it are
    /// compared with [`answers::matches_but_placeholders`]).
    pub fn answers_for(
        &self,
        bundle: &Bundle,
        recorded: &std::collections::BTreeMap<String, answers::Value>,
        extra: &Answers,
    ) -> Result<Answers, Error> {
        self.answers_with(bundle, recorded, extra, None)
    }

    /// [`Project::answers_for`], with the secret `alternative` (if any) given as
    /// [`answers::Given::Alternative`].
    fn answers_with(
        &self,
        bundle: &Bundle,
        recorded: &std::collections::BTreeMap<String, answers::Value>,
        extra: &Answers,
        alternative: Option<&str>,
    ) -> Result<Answers, Error> {
        let mut given = AnswersFile::as_given(recorded, crate::tree::ANSWERS_FILE);
        for (k, v) in extra {
            if !given.contains_key(k) {
                given.extend(AnswersFile::as_given(
                    &[(k.clone(), v.clone())].into_iter().collect(),
                    "the answers given now",
                ));
            }
        }
        for q in &bundle.manifest.questions {
            let placeholder = extra
                .get(&q.name)
                .is_some_and(|v| *v == answers::Value::String(answers::SECRET_PLACEHOLDER.into()));
            if q.kind == bundle::QuestionType::Secret
                && (placeholder || !given.contains_key(&q.name))
            {
                given.insert(q.name.clone(), answers::Given::Unknown);
            }
        }
        if let Some(name) = alternative {
            given.insert(name.to_string(), answers::Given::Alternative);
        }
        let inputs = Inputs {
            given,
            defaults: true,
            allow_unknown: true,
        };
        Ok(answers::resolve(&bundle.manifest.questions, &inputs, None)?.answers)
    }

    /// Renders the recorded version with the recorded answers: what the project would be had
    /// nobody edited it.
    pub fn render_recorded(&self, bundle: &Bundle, extra: &Answers) -> Result<Tree, Error> {
        let answers = self.answers_for(bundle, &self.record.answers, extra)?;
        Ok(crate::render::render(bundle, &answers)?)
    }

    /// The project's current files at `paths` (missing ones are left out).
    pub fn read_files<'a>(
        &self,
        paths: impl IntoIterator<Item = &'a tree::RelPath>,
    ) -> Result<Tree, Error> {
        let mut out = Tree::new();
        for p in paths {
            if let Some(f) = tree::read_file(&self.dir, p)? {
                out.insert(p.clone(), f);
            }
        }
        Ok(out)
    }
}

/// Whether two versions of a file have the same content: equal, or for text equal apart from
/// line endings (CRLF/LF) and a UTF-8 BOM. A user's conversion of a file to CRLF (git's
/// `core.autocrlf` on Windows does it to every file) is not an edit of its content: upgrade
/// does not merge it and check does not report it. Binary files must be equal byte for byte.
pub fn same_content(a: &[u8], b: &[u8]) -> bool {
    a == b
        || !crate::merge::is_binary(a)
            && !crate::merge::is_binary(b)
            && without_line_endings(a) == without_line_endings(b)
}

fn without_line_endings(bytes: &[u8]) -> Vec<u8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The first of the folders `path` lies in (under `dir`) that exists but is not a folder (a
/// symlink to a folder is a folder), so nothing can be written at `path`.
pub fn file_in_the_way(dir: &Path, path: &tree::RelPath) -> Option<tree::RelPath> {
    let parts: Vec<&str> = path.as_str().split('/').collect();
    (1..parts.len())
        .map(|n| parts[..n].join("/"))
        .find(|prefix| {
            let p = dir.join(prefix);
            match std::fs::metadata(&p) {
                Ok(m) => !m.is_dir(),
                // A dangling symlink is in the way as well.
                Err(_) => std::fs::symlink_metadata(&p).is_ok(),
            }
        })
        .and_then(|prefix| tree::RelPath::new(&prefix).ok())
}
