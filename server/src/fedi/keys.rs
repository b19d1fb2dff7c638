//! RSA keys of the server's actors (signing, kept as PKCS#8 in `fedi.db`) and of
//! remote actors (verifying; PEM as SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`,
//! which Mobilizon publishes). All RSA arithmetic is aws-lc-rs's.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot make an RSA key")]
    Generate,
    #[error("the stored RSA key is damaged")]
    Damaged,
    #[error("not a PEM RSA public key: {0}")]
    BadPem(String),
    #[error("cannot sign")]
    Sign,
}

/// One of this server's actors' key pair.
pub struct ActorKey {
    pair: KeyPair,
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for ActorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActorKey(..)")
    }
}

impl ActorKey {
    pub fn generate() -> Result<ActorKey, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        let pkcs8: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| KeyError::Generate)?;
        Ok(ActorKey {
            pkcs8: pkcs8.as_ref().to_vec(),
            pair,
        })
    }

    pub fn from_pkcs8(der: &[u8]) -> Result<ActorKey, KeyError> {
        let pair = KeyPair::from_pkcs8(der).map_err(|_| KeyError::Damaged)?;
        Ok(ActorKey {
            pair,
            pkcs8: der.to_vec(),
        })
    }

    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as Mastodon publishes it.
    pub fn public_pem(&self) -> Result<String, KeyError> {
        let der: PublicKeyX509Der<'static> = self
            .pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Damaged)?;
        Ok(pem::encode(&pem::Pem::new(
            "PUBLIC KEY",
            der.as_ref().to_vec(),
        )))
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }
}

/// A remote actor's RSA public key (DER, PKCS#1 or SPKI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    der: Vec<u8>,
}

impl PublicKey {
    /// Reads `-----BEGIN PUBLIC KEY-----` (SPKI) or `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1).
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let block = pem::parse(text.trim()).map_err(|e| KeyError::BadPem(e.to_string()))?;
        match block.tag() {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
            other => return Err(KeyError::BadPem(format!("a {other} block"))),
        }
        let der = block.into_contents();
        aws_lc_rs::rsa::PublicKey::from_der(&der)
            .map_err(|_| KeyError::BadPem("not an RSA key".into()))?;
        Ok(PublicKey { der })
    }

    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.der)
            .verify(message, signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_through_pem_and_storage() {
        let key = ActorKey::generate().unwrap();
        let stored = ActorKey::from_pkcs8(key.pkcs8()).unwrap();
        let public = PublicKey::from_pem(&stored.public_pem().unwrap()).unwrap();
        let sig = key.sign(b"hello").unwrap();
        assert!(public.verifies(b"hello", &sig));
        assert!(!public.verifies(b"hellO", &sig));
    }

    #[test]
    fn reads_pkcs1_as_mobilizon_publishes_it() {
        let actor: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(crate::fedi::vocab::fixture("mobilizon-person-actor.json"))
                .unwrap(),
        )
        .unwrap();
        let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
        assert!(pem.contains("BEGIN RSA PUBLIC KEY"));
        PublicKey::from_pem(pem).unwrap();
        assert!(matches!(
            PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(KeyError::BadPem(_))
        ));
    }
}
