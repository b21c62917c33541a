//! Three-way text merge (being written; see issue 3).
