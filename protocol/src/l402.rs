//! TODO: l402
