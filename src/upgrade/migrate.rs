//! Migrations: the declarative steps a bundle runs when an upgrade crosses their version.
//! Each reports what it did, in words that go into the upgrade's report and commit message.

use crate::answers::Value;
use crate::bundle::{Bundle, Migration};
use crate::render::Engine;
use crate::tree::RelPath;
use semver::Version;
use std::collections::BTreeMap;
use std::fmt;

/// The migrations of `bundle` that an upgrade from `from` to `to` crosses, oldest first.
pub fn crossed<'a>(bundle: &'a Bundle, from: &Version, to: &Version) -> Vec<&'a Migration> {
    bundle
        .manifest
        .migrations
        .iter()
        .filter(|m| &m.version > from && &m.version <= to)
        .collect()
}

/// What the migrations ask of the file merge and of the hooks.
#[derive(Debug, Default)]
pub struct Steps {
    /// Paths (files or folders) renamed by the template, in order.
    pub renames: Vec<(String, String)>,
    /// Paths the template asks to delete.
    pub deletes: Vec<RelPath>,
    /// Hooks to run after the files are written, with the migration's version.
    pub hooks: Vec<(Version, RelPath)>,
    /// What each migration did to the answers and the files, in order.
    pub report: Vec<MigrationNote>,
}

/// One thing a migration did (or, for the files, will do), as the upgrade's report and commit
/// message list it.
#[derive(Debug, Clone, PartialEq)]
pub enum MigrationNote {
    /// A file or folder renamed by the template (as the migration names them).
    Renamed {
        version: Version,
        from: String,
        to: String,
    },
    RenamedAnswer {
        version: Version,
        from: String,
        to: String,
    },
    /// A `rename_answer` whose answer the project did not record.
    AnswerNotRecorded {
        version: Version,
        name: String,
    },
    SetAnswer {
        version: Version,
        name: String,
        value: Value,
    },
    RunsHook {
        version: Version,
        hook: RelPath,
    },
    /// A file of the user's own in a folder the template moved: it stays.
    StaysInPlace {
        path: String,
        from: String,
        to: String,
    },
    /// A file a `delete` migration removes.
    Deleted {
        path: RelPath,
    },
}

impl fmt::Display for MigrationNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationNote::Renamed { version, from, to } => {
                write!(f, "{version}: renamed {from} to {to}")
            }
            MigrationNote::RenamedAnswer { version, from, to } => {
                write!(f, "{version}: renamed answer `{from}` to `{to}`")
            }
            MigrationNote::AnswerNotRecorded { version, name } => write!(
                f,
                "{version}: answer `{name}` to rename was not recorded; nothing to do"
            ),
            MigrationNote::SetAnswer {
                version,
                name,
                value,
            } => write!(f, "{version}: set answer `{name}` to `{value}`"),
            MigrationNote::RunsHook { version, hook } => write!(f, "{version}: runs hook {hook}"),
            MigrationNote::StaysInPlace { path, from, to } => write!(
                f,
                "{path} stays where it is: it is not from the template, which moved {from} to {to}"
            ),
            MigrationNote::Deleted { path } => write!(f, "deleted {path}"),
        }
    }
}

/// Applies the answer migrations to `answers` (renames, sets) and collects the file steps.
pub fn apply(
    migrations: &[&Migration],
    answers: &mut BTreeMap<String, Value>,
) -> Result<Steps, String> {
    let mut steps = Steps::default();
    let mut engine = Engine::new();
    for m in migrations {
        let v = &m.version;
        if let Some(r) = &m.rename {
            steps.renames.push((
                r.from.trim_end_matches('/').to_string(),
                r.to.trim_end_matches('/').to_string(),
            ));
            steps.report.push(MigrationNote::Renamed {
                version: v.clone(),
                from: r.from.clone(),
                to: r.to.clone(),
            });
        }
        if let Some(r) = &m.rename_answer {
            match answers.remove(&r.from) {
                Some(value) => {
                    answers.insert(r.to.clone(), value);
                    steps.report.push(MigrationNote::RenamedAnswer {
                        version: v.clone(),
                        from: r.from.clone(),
                        to: r.to.clone(),
                    });
                }
                None => steps.report.push(MigrationNote::AnswerNotRecorded {
                    version: v.clone(),
                    name: r.from.clone(),
                }),
            }
        }
        if let Some(s) = &m.set_answer {
            let value = match &s.value {
                toml::Value::String(t) if t.contains("{{") || t.contains("{%") => {
                    let ctx = crate::render::context(answers);
                    let rendered = engine
                        .render_str(t, &ctx)
                        .map_err(|e| format!("migration {v}: set_answer `{}`: {e}", s.name))?;
                    Value::String(rendered)
                }
                other => other
                    .clone()
                    .try_into()
                    .map_err(|e| format!("migration {v}: set_answer `{}`: {e}", s.name))?,
            };
            steps.report.push(MigrationNote::SetAnswer {
                version: v.clone(),
                name: s.name.clone(),
                value: value.clone(),
            });
            answers.insert(s.name.clone(), value);
        }
        if let Some(d) = &m.delete {
            let path =
                RelPath::new(d.trim_end_matches('/')).map_err(|e| format!("migration {v}: {e}"))?;
            steps.deletes.push(path);
        }
        if let Some(run) = &m.run {
            let path = RelPath::new(run).map_err(|e| format!("migration {v}: {e}"))?;
            steps.hooks.push((v.clone(), path));
        }
    }
    Ok(steps)
}

/// Where `path` goes under the renames (a file rename, or a folder rename moving everything in it).
pub fn renamed(renames: &[(String, String)], path: &RelPath) -> Option<RelPath> {
    let mut current = path.clone();
    let mut moved = false;
    for (from, to) in renames {
        if current.as_str() == from {
            current = RelPath::new(to).ok()?;
            moved = true;
        } else if current.is_within(from) {
            let rest = &current.as_str()[from.len()..];
            current = RelPath::new(&format!("{to}{rest}")).ok()?;
            moved = true;
        }
    }
    moved.then_some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Manifest;

    fn migrations(text: &str) -> Vec<Migration> {
        Manifest::parse(&format!(
            "[bundle]\nname = \"t\"\nversion = \"3.0.0\"\n{text}"
        ))
        .unwrap()
        .migrations
    }

    #[test]
    fn answer_migrations_rename_and_compute() {
        let ms = migrations(
            r##"
[[migrations]]
version = "2.0.0"
rename_answer = { from = "team", to = "owner" }
[[migrations]]
version = "2.0.0"
set_answer = { name = "alerts_channel", value = "#{{ owner }}-alerts" }
[[migrations]]
version = "3.0.0"
set_answer = { name = "replicas", value = 3 }
"##,
        );
        let refs: Vec<&Migration> = ms.iter().collect();
        let mut answers = BTreeMap::from([("team".to_string(), Value::String("payments".into()))]);
        let steps = apply(&refs, &mut answers).unwrap();
        assert_eq!(answers["owner"], Value::String("payments".into()));
        assert_eq!(
            answers["alerts_channel"],
            Value::String("#payments-alerts".into())
        );
        assert_eq!(answers["replicas"], Value::Int(3));
        assert!(!answers.contains_key("team"));
        assert_eq!(
            steps
                .report
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "2.0.0: renamed answer `team` to `owner`",
                "2.0.0: set answer `alerts_channel` to `#payments-alerts`",
                "3.0.0: set answer `replicas` to `3`"
            ]
        );
    }

    #[test]
    fn renames_follow_files_and_folders_in_order() {
        let renames = vec![
            (
                "alerts/rules.yaml".to_string(),
                "alerts/slo-rules.yaml".to_string(),
            ),
            ("alerts".to_string(), "monitoring".to_string()),
        ];
        let p = |s| RelPath::new(s).unwrap();
        assert_eq!(
            renamed(&renames, &p("alerts/rules.yaml")),
            Some(p("monitoring/slo-rules.yaml"))
        );
        assert_eq!(
            renamed(&renames, &p("alerts/other.yaml")),
            Some(p("monitoring/other.yaml"))
        );
        assert_eq!(renamed(&renames, &p("alertsx/rules.yaml")), None);
    }

    #[test]
    fn crossed_takes_only_versions_in_range() {
        let text = "[bundle]\nname = \"t\"\nversion = \"3.0.0\"\n[[migrations]]\nversion = \"1.0.0\"\ndelete = \"a\"\n[[migrations]]\nversion = \"2.0.0\"\ndelete = \"b\"\n[[migrations]]\nversion = \"3.0.0\"\ndelete = \"c\"\n";
        let manifest = Manifest::parse(text).unwrap();
        let bundle = Bundle {
            manifest,
            template: Default::default(),
            hooks: Default::default(),
            partials: Default::default(),
            changelog: None,
            origin: crate::bundle::Origin {
                source: crate::bundle::SourceSpec::Builtin,
                commit: None,
            },
        };
        let got: Vec<String> = crossed(&bundle, &Version::new(1, 0, 0), &Version::new(2, 5, 0))
            .iter()
            .map(|m| m.version.to_string())
            .collect();
        assert_eq!(got, ["2.0.0"]);
    }
}
