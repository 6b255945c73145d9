//! The mock's Lightning "node": a secp256k1 key that signs real BOLT11 invoices.
//!
//! Nothing here talks to a Lightning network; the invoices are nonetheless real, so any
//! wallet or decoder accepts them. They are deterministic: the key comes from a seed, the
//! timestamp from the caller (the mock's clock, never the system clock) and secp256k1 ECDSA
//! signing is RFC 6979, so the same inputs always give the same string. Regtest is the
//! default network so nobody pays a mock with real money.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bitcoin::hashes::{Hash as _, sha256};
use bitcoin::hex::DisplayHex as _;
use bitcoin::secp256k1::{All, PublicKey, Secp256k1, SecretKey};
use lightning_invoice::{CreationError, Currency, InvoiceBuilder, PaymentSecret};
use sha2::{Digest as _, Sha256};

/// `min_final_cltv_expiry_delta` written into every invoice: the BOLT 11 default.
pub const MIN_FINAL_CLTV_EXPIRY_DELTA: u64 = 18;

/// Domain separation, so the node key never equals another key derived from the same seed.
const NODE_KEY_DOMAIN: &[u8] = b"liveauth-mock/lightning-node-key/v1";

/// The Bitcoin network the mock's invoices are for (the BOLT 11 currency prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Network {
    /// `lnbcrt`: the default, worthless coins.
    #[default]
    Regtest,
    /// `lntbs`.
    Signet,
    /// `lntb`.
    Testnet,
    /// `lnbc`: mainnet, real money.
    Bitcoin,
}

impl Network {
    /// Every network, in the order of the flag's help text.
    pub const ALL: [Network; 4] = [
        Network::Regtest,
        Network::Signet,
        Network::Testnet,
        Network::Bitcoin,
    ];

    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Regtest => "regtest",
            Network::Signet => "signet",
            Network::Testnet => "testnet",
            Network::Bitcoin => "bitcoin",
        }
    }

    /// The `lightning-invoice` currency for this network.
    pub fn currency(self) -> Currency {
        match self {
            Network::Regtest => Currency::Regtest,
            Network::Signet => Currency::Signet,
            Network::Testnet => Currency::BitcoinTestnet,
            Network::Bitcoin => Currency::Bitcoin,
        }
    }

    /// The prefix every invoice for this network starts with (before the amount).
    pub fn invoice_prefix(self) -> &'static str {
        match self {
            Network::Regtest => "lnbcrt",
            Network::Signet => "lntbs",
            Network::Testnet => "lntb",
            Network::Bitcoin => "lnbc",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = UnknownNetwork;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| UnknownNetwork(s.to_owned()))
    }
}

/// A network name that is not one of `regtest`, `signet`, `testnet`, `bitcoin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network {0:?}: expected one of regtest, signet, testnet, bitcoin")]
pub struct UnknownNetwork(pub String);

/// Why an invoice could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LightningError {
    /// The amount in millisatoshis does not fit in a `u64`.
    #[error("amount of {amount_sats} sats is too large for an invoice")]
    AmountTooLarge {
        /// The requested amount.
        amount_sats: u64,
    },
    /// `lightning-invoice` refused a field (description over 639 bytes, timestamp beyond
    /// BOLT 11's 35 bits, amount above the bitcoin supply).
    #[error("cannot create the invoice: {0}")]
    Creation(#[from] CreationError),
}

/// What goes into one invoice. The caller supplies the time so the mock's clock rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRequest {
    /// Amount in whole sats; written to the invoice in millisatoshis.
    pub amount_sats: u64,
    /// sha256 of the preimage that settles the invoice.
    pub payment_hash: [u8; 32],
    /// BOLT 11 `s` field, required by modern payers.
    pub payment_secret: [u8; 32],
    /// Free text shown by the payer's wallet (at most 639 bytes).
    pub description: String,
    /// Invoice timestamp, unix seconds.
    pub created_at_unix: u64,
    /// Seconds after `created_at_unix` at which the invoice expires.
    pub expiry_secs: u64,
}

/// The key that signs the mock's invoices, and the network they are for.
#[derive(Clone)]
pub struct LightningNode {
    secp: Secp256k1<All>,
    secret: SecretKey,
    node_id: PublicKey,
    network: Network,
}

// Hand-written so the secret key never reaches a log.
impl fmt::Debug for LightningNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LightningNode")
            .field("node_id", &self.node_id_hex())
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl LightningNode {
    /// Derives the node key from a 32-byte seed: the same seed always gives the same node.
    pub fn from_seed(seed: [u8; 32], network: Network) -> Self {
        let mut candidate: [u8; 32] = Sha256::new()
            .chain_update(NODE_KEY_DOMAIN)
            .chain_update(seed)
            .finalize()
            .into();
        // A hash is an invalid scalar (zero or >= the curve order) with probability ~2^-128;
        // hashing again keeps the derivation total without a panic path.
        let secret = loop {
            match SecretKey::from_slice(&candidate) {
                Ok(secret) => break secret,
                Err(_) => candidate = Sha256::digest(candidate).into(),
            }
        };
        let secp = Secp256k1::new();
        let node_id = PublicKey::from_secret_key(&secp, &secret);
        Self {
            secp,
            secret,
            node_id,
            network,
        }
    }

    /// The node's public key, which payers recover from every invoice's signature.
    pub fn node_id(&self) -> PublicKey {
        self.node_id
    }

    /// The node id as 66 lowercase hex characters (33-byte compressed public key).
    pub fn node_id_hex(&self) -> String {
        self.node_id.serialize().to_lower_hex_string()
    }

    /// The network this node issues invoices for.
    pub fn network(&self) -> Network {
        self.network
    }

    /// Creates and signs a BOLT 11 invoice. Same request, same node: same string.
    pub fn create_invoice(&self, req: &InvoiceRequest) -> Result<String, LightningError> {
        let amount_msat =
            req.amount_sats
                .checked_mul(1000)
                .ok_or(LightningError::AmountTooLarge {
                    amount_sats: req.amount_sats,
                })?;
        let invoice = InvoiceBuilder::new(self.network.currency())
            .amount_milli_satoshis(amount_msat)
            .description(req.description.clone())
            .payment_hash(sha256::Hash::from_byte_array(req.payment_hash))
            .payment_secret(PaymentSecret(req.payment_secret))
            .duration_since_epoch(Duration::from_secs(req.created_at_unix))
            .min_final_cltv_expiry_delta(MIN_FINAL_CLTV_EXPIRY_DELTA)
            .expiry_time(Duration::from_secs(req.expiry_secs))
            .build_signed(|msg| self.secp.sign_ecdsa_recoverable(msg, &self.secret))?;
        Ok(invoice.to_string())
    }
}

/// The payment hash a preimage settles: sha256(preimage).
pub fn payment_hash(preimage: &[u8; 32]) -> [u8; 32] {
    Sha256::digest(preimage).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescriptionRef};

    fn request() -> InvoiceRequest {
        InvoiceRequest {
            amount_sats: 3,
            payment_hash: payment_hash(&[7; 32]),
            payment_secret: [9; 32],
            description: "LiveAuth demo session".to_owned(),
            created_at_unix: 1_771_329_600,
            expiry_secs: 600,
        }
    }

    fn node(network: Network) -> LightningNode {
        LightningNode::from_seed([1; 32], network)
    }

    /// A created invoice parses back with every field the request asked for.
    #[test]
    fn invoice_round_trips_through_the_decoder() {
        let node = node(Network::Regtest);
        let req = request();
        let text = node.create_invoice(&req).unwrap();
        assert!(text.starts_with("lnbcrt30n1"), "{text}");

        let invoice = Bolt11Invoice::from_str(&text).unwrap();
        invoice.check_signature().unwrap();
        assert_eq!(invoice.recover_payee_pub_key(), node.node_id());
        assert_eq!(
            invoice.recover_payee_pub_key().to_string(),
            node.node_id_hex()
        );
        assert_eq!(invoice.payee_pub_key(), None);
        assert_eq!(invoice.amount_milli_satoshis(), Some(3_000));
        assert_eq!(invoice.payment_hash().to_byte_array(), req.payment_hash);
        assert_eq!(invoice.payment_secret().0, req.payment_secret);
        match invoice.description() {
            Bolt11InvoiceDescriptionRef::Direct(d) => {
                assert_eq!(d.to_string(), "LiveAuth demo session");
            }
            Bolt11InvoiceDescriptionRef::Hash(_) => panic!("expected a direct description"),
        }
        assert_eq!(invoice.expiry_time(), Duration::from_secs(600));
        assert_eq!(
            invoice.duration_since_epoch(),
            Duration::from_secs(1_771_329_600)
        );
        assert_eq!(
            invoice.expires_at(),
            Some(Duration::from_secs(1_771_330_200))
        );
        assert_eq!(invoice.min_final_cltv_expiry_delta(), 18);
        assert_eq!(invoice.currency(), Currency::Regtest);
    }

    /// Each network writes its own BOLT 11 prefix.
    #[test]
    fn every_network_has_its_prefix() {
        for network in Network::ALL {
            let text = node(network).create_invoice(&request()).unwrap();
            let after_prefix = text.strip_prefix(network.invoice_prefix()).unwrap();
            // The amount follows the prefix directly, so `lntb` cannot be a truncated `lntbs`.
            assert!(after_prefix.starts_with("30n1"), "{text}");
            let invoice = Bolt11Invoice::from_str(&text).unwrap();
            assert_eq!(invoice.currency(), network.currency());
        }
    }

    /// Same seed and request: byte-identical invoices; a different seed: a different node.
    #[test]
    fn invoices_are_deterministic() {
        let a = node(Network::Regtest).create_invoice(&request()).unwrap();
        let b = node(Network::Regtest).create_invoice(&request()).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            node(Network::Regtest).node_id_hex(),
            node(Network::Regtest).node_id_hex()
        );
        let other = LightningNode::from_seed([2; 32], Network::Regtest);
        assert_ne!(other.node_id_hex(), node(Network::Regtest).node_id_hex());
        assert_ne!(other.create_invoice(&request()).unwrap(), a);
    }

    /// The node id is a 33-byte compressed key in lowercase hex.
    #[test]
    fn node_id_is_compressed_hex() {
        let id = node(Network::Regtest).node_id_hex();
        assert_eq!(id.len(), 66);
        assert!(id.starts_with("02") || id.starts_with("03"));
        assert!(id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    }

    /// Network names parse from and print as the lowercase flag values.
    #[test]
    fn network_names_round_trip() {
        for network in Network::ALL {
            assert_eq!(network.to_string().parse::<Network>().unwrap(), network);
        }
        assert_eq!(Network::default(), Network::Regtest);
        assert!("mainnet".parse::<Network>().is_err());
        assert!("Regtest".parse::<Network>().is_err());
    }

    /// Out-of-range inputs are errors, not panics.
    #[test]
    fn bad_requests_are_errors() {
        let node = node(Network::Regtest);
        let too_much = InvoiceRequest {
            amount_sats: u64::MAX,
            ..request()
        };
        assert_eq!(
            node.create_invoice(&too_much),
            Err(LightningError::AmountTooLarge {
                amount_sats: u64::MAX
            })
        );
        let long = InvoiceRequest {
            description: "x".repeat(640),
            ..request()
        };
        assert_eq!(
            node.create_invoice(&long),
            Err(LightningError::Creation(CreationError::DescriptionTooLong))
        );
        let far_future = InvoiceRequest {
            created_at_unix: 1 << 35,
            ..request()
        };
        assert_eq!(
            node.create_invoice(&far_future),
            Err(LightningError::Creation(
                CreationError::TimestampOutOfBounds
            ))
        );
    }

    /// payment_hash is plain sha256 (the empty-input vector's sibling: 32 zero bytes).
    #[test]
    fn payment_hash_is_sha256() {
        assert_eq!(
            payment_hash(&[0; 32]).to_lower_hex_string(),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
    }

    /// The Debug output names the node but never its secret key.
    #[test]
    fn debug_hides_the_secret() {
        let node = node(Network::Regtest);
        let shown = format!("{node:?}");
        assert!(shown.contains(&node.node_id_hex()));
        assert!(!shown.contains(&node.secret.secret_bytes().to_lower_hex_string()));
    }
}
