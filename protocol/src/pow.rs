//! TODO: pow
