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
    #[error("`{path}` is not a file of the golden path {name} {version}")]
    NotInGoldenPath {
        path: String,
        name: String,
        version: Version,
    },
}
