//! One module per group of endpoints; each handler parses, applies and answers.

pub mod demo;
pub mod dev;
pub mod meta;
pub mod meter;
pub mod quote;
pub mod refresh;
