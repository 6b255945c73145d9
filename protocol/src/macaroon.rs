//! TODO: macaroon
