//! TODO: challenge
