//! TODO: time
