//! What can stop a check or a diff.

use semver::Version;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Project(#[from] crate::project::Error),
    #[error(transparent)]
    Tree(#[from] crate::tree::Error),
    #[error("cannot read the versions of {name} from {source_name}: {cause}")]
    Unreachable {
        name: String,
        source_name: String,
        cause: Box<crate::bundle::Error>,
    },
    #[error("{bundle} {version} asks no question `{name}`")]
    NotAsked {
        name: String,
        bundle: String,
        version: Version,
    },
    #[error("the answer to `{name}` is recorded in .goldpath.toml, and check compares the project with the recorded answers; only secrets (and answers computed from them) can be given to check")]
    Recorded { name: String },
    #[error("answer for `{name}` from {from} is invalid: {reason}")]
    Answer {
        name: String,
        from: String,
        reason: String,
    },
    #[error("`{path}` is not a file of the golden path {name} {version}")]
    NotInGoldenPath {
        path: String,
        name: String,
        version: Version,
    },
}
