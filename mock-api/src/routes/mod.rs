//! One module per group of endpoints; each handler parses, applies and answers.

pub(crate) mod bundle;
pub(crate) mod caller;
pub(crate) mod demo;
pub(crate) mod dev;
pub(crate) mod meta;
pub(crate) mod meter;
pub(crate) mod quote;
pub(crate) mod receipt_keys;
pub(crate) mod refresh;
