//! TODO: problem
