//! Sprig's key and certificate functions: `genPrivateKey`, `genCA`, `genSelfSignedCert`,
//! `genSignedCert`, their `…WithKey` forms that take a PEM private key, and
//! `buildCustomCert`.
//!
//! The keys and certificates are real and shaped like the ones Helm v4 produces through
//! Sprig v3 and Go's `crypto/x509`: the same PEM block types, key types and sizes (RSA 4096
//! for `genPrivateKey "rsa"`, RSA 2048 for generated certificate keys, ECDSA P-256, Ed25519,
//! DSA L2048/N256), X.509 v3 with a random 128-bit serial, the subject common name, SANs,
//! validity from now for the given days, Go's key usages, extended key usages, basic
//! constraints, subject and authority key identifiers, and the signature algorithm Go picks
//! for the signing key. Error messages are Sprig's; where Sprig passes on an error of Go's
//! standard library, the text follows Go's as closely as the Rust parsers allow.
//!
//! All randomness (keys, serial numbers) comes from the render's seeded generator
//! ([`FnCtx::crypto_rng`]), so a fixed seed reproduces keys and serials; the validity period
//! follows the clock, as in Helm. Key generation is charged to the render's work budget
//! before it runs, so a chart that generates keys in a loop stops at the budget.

use rand_chacha::rand_core::Rng as _;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::{pkcs1, pkcs8};
use sha2::Digest as _;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::der;
use x509_cert::der::asn1::{Ia5String, Int, OctetString, PrintableStringRef, Uint, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use super::super::value::{Map, Value};
use super::{arity, i_arg, s_arg, FnCtx, FnErr, FnResult, Func};

/// Resolves a key or certificate function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "genPrivateKey" => gen_private_key,
        "genCA" => gen_ca,
        "genCAWithKey" => gen_ca_with_key,
        "genSelfSignedCert" => gen_self_signed,
        "genSelfSignedCertWithKey" => gen_self_signed_with_key,
        "genSignedCert" => gen_signed,
        "genSignedCertWithKey" => gen_signed_with_key,
        "buildCustomCert" => build_custom_cert,
        _ => return None,
    })
}

// Work units charged per generated key, before generating it (the render's budget is
// 20,000,000 units): roughly in proportion to the time each takes.
const WORK_RSA_2048: u64 = 250_000;
const WORK_RSA_4096: u64 = 2_000_000;
const WORK_DSA: u64 = 4_000_000;
const WORK_SMALL_KEY: u64 = 1_000;

const OID_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const OID_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

// ---------------------------------------------------------------------------------------
// Template functions

/// A key generator drawing from the call's generator.
type KeyGen = fn(&mut ChaCha20Rng) -> Result<PrivKey, String>;

fn gen_private_key(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("genPrivateKey", a, 1)?;
    let kind = s_arg(&a[0])?;
    let (work, make): (u64, KeyGen) = match kind {
        "" | "rsa" => (WORK_RSA_4096, |r| PrivKey::generate_rsa(r, 4096)),
        "dsa" => (WORK_DSA, PrivKey::generate_dsa),
        "ecdsa" => (WORK_SMALL_KEY, |r| Ok(PrivKey::generate_p256(r))),
        "ed25519" => (WORK_SMALL_KEY, |r| Ok(PrivKey::generate_ed25519(r))),
        _ => return Ok(Value::from(format!("Unknown type {kind}"))),
    };
    c.charge(work)?;
    let mut rng = c.crypto_rng();
    let key = match make(&mut rng) {
        Ok(k) => k,
        Err(e) if kind == "dsa" => {
            return Ok(Value::from(format!("failed to generate dsa params: {e}")))
        }
        Err(e) => return Ok(Value::from(format!("failed to generate private key: {e}"))),
    };
    Ok(Value::from(key.to_pem().unwrap_or_else(|e| {
        format!("failed to generate private key: {e}")
    })))
}

fn gen_ca(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("genCA", a, 2)?;
    let (cn, days) = (s_arg(&a[0])?, i_arg(&a[1])?);
    let mut rng = generated_key_rng(c)?;
    let key = new_rsa_key(&mut rng)?;
    ca_with_key(cn, days, &key, &mut rng)
}

fn gen_ca_with_key(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("genCAWithKey", a, 3)?;
    let (cn, days, pem) = (s_arg(&a[0])?, i_arg(&a[1])?, s_arg(&a[2])?);
    let key = parse_private_key_pem(pem).map_err(|e| call(format!("parsing private key: {e}")))?;
    let mut rng = c.crypto_rng();
    ca_with_key(cn, days, &key, &mut rng)
}

fn gen_self_signed(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("genSelfSignedCert", a, 4)?;
    let cn = s_arg(&a[0])?;
    let (ips, dns) = (list_arg(&a[1])?, list_arg(&a[2])?);
    let days = i_arg(&a[3])?;
    let sans = Sans::from_args(ips, dns)?;
    let mut rng = generated_key_rng(c)?;
    let key = new_rsa_key(&mut rng)?;
    self_signed_with_key(cn, sans, days, &key, &mut rng)
}

fn gen_self_signed_with_key(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("genSelfSignedCertWithKey", a, 5)?;
    let cn = s_arg(&a[0])?;
    let (ips, dns) = (list_arg(&a[1])?, list_arg(&a[2])?);
    let (days, pem) = (i_arg(&a[3])?, s_arg(&a[4])?);
    let key = parse_private_key_pem(pem).map_err(|e| call(format!("parsing private key: {e}")))?;
    let sans = Sans::from_args(ips, dns)?;
    let mut rng = c.crypto_rng();
    self_signed_with_key(cn, sans, days, &key, &mut rng)
}

fn gen_signed(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("genSignedCert", a, 5)?;
    let cn = s_arg(&a[0])?;
    let (ips, dns) = (list_arg(&a[1])?, list_arg(&a[2])?);
    let days = i_arg(&a[3])?;
    let (ca_cert, ca_key) = cert_arg(&a[4])?;
    // Everything that can fail cheaply is checked before the key is generated.
    let signer = Signer::parse(&ca_cert, &ca_key)?;
    let sans = Sans::from_args(ips, dns)?;
    let mut rng = generated_key_rng(c)?;
    let key = new_rsa_key(&mut rng)?;
    signed_with_key(cn, sans, days, &signer, &key, &mut rng)
}

fn gen_signed_with_key(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("genSignedCertWithKey", a, 6)?;
    let cn = s_arg(&a[0])?;
    let (ips, dns) = (list_arg(&a[1])?, list_arg(&a[2])?);
    let days = i_arg(&a[3])?;
    let (ca_cert, ca_key) = cert_arg(&a[4])?;
    let pem = s_arg(&a[5])?;
    let key = parse_private_key_pem(pem).map_err(|e| call(format!("parsing private key: {e}")))?;
    let signer = Signer::parse(&ca_cert, &ca_key)?;
    let sans = Sans::from_args(ips, dns)?;
    let mut rng = c.crypto_rng();
    signed_with_key(cn, sans, days, &signer, &key, &mut rng)
}

fn build_custom_cert(_: &mut FnCtx, a: &[Value]) -> FnResult {
    use base64::Engine as _;
    arity("buildCustomCert", a, 2)?;
    let (b64cert, b64key) = (s_arg(&a[0])?, s_arg(&a[1])?);
    let cert = base64::engine::general_purpose::STANDARD
        .decode(b64cert)
        .map_err(|_| call("unable to decode base64 certificate".into()))?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(b64key)
        .map_err(|_| call("unable to decode base64 private key".into()))?;
    let block = pem_decode(&cert).ok_or_else(|| call("unable to decode certificate".into()))?;
    Certificate::from_der(&block.der).map_err(|_| {
        call("error parsing certificate: decodedCert.Bytes: x509: malformed certificate".into())
    })?;
    parse_private_key_pem(&String::from_utf8_lossy(&key))
        .map_err(|e| call(format!("error parsing private key: {e}")))?;
    Ok(pair(
        String::from_utf8_lossy(&cert).into_owned(),
        String::from_utf8_lossy(&key).into_owned(),
    ))
}

// ---------------------------------------------------------------------------------------
// Argument helpers

fn call(msg: String) -> FnErr {
    FnErr::Call(msg)
}

/// The `.Cert`/`.Key` object Sprig's certificate functions return.
fn pair(cert: String, key: String) -> Value {
    let mut m = Map::new();
    m.insert("Cert".into(), Value::from(cert));
    m.insert("Key".into(), Value::from(key));
    Value::map(m)
}

/// A `[]interface {}` parameter: a list, or nil (an empty list to Sprig).
fn list_arg(v: &Value) -> Result<&[Value], FnErr> {
    match v {
        Value::List(l) => Ok(l),
        Value::Nil => Ok(&[]),
        other => Err(FnErr::Arg(format!(
            "wrong type for value; expected []interface {{}}; got {}",
            other.type_name()
        ))),
    }
}

/// A `sprig.certificate` parameter: the object a certificate function returned.
fn cert_arg(v: &Value) -> Result<(String, String), FnErr> {
    let Value::Map(m) = v else {
        return Err(FnErr::Arg(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            v.type_name()
        )));
    };
    let m = m.borrow();
    let field = |k: &str| match m.get(k) {
        Some(Value::Str(s)) => s.to_string(),
        _ => String::new(),
    };
    Ok((field("Cert"), field("Key")))
}

/// The call's generator for a certificate function that generates its own key.
fn generated_key_rng(c: &mut FnCtx) -> Result<ChaCha20Rng, FnErr> {
    c.charge(WORK_RSA_2048)?;
    Ok(c.crypto_rng())
}

fn new_rsa_key(rng: &mut ChaCha20Rng) -> Result<PrivKey, FnErr> {
    PrivKey::generate_rsa(rng, 2048).map_err(|e| call(format!("error generating rsa key: {e}")))
}

/// Subject alternative names from the `ips` and `alternateDNS` arguments.
struct Sans {
    ips: Vec<Vec<u8>>,
    dns: Vec<String>,
}

impl Sans {
    fn from_args(ips: &[Value], dns: &[Value]) -> Result<Sans, FnErr> {
        let mut out = Sans {
            ips: Vec::new(),
            dns: Vec::new(),
        };
        for ip in ips {
            let Value::Str(s) = ip else {
                return Err(call(format!(
                    "error parsing ip: {} is not a string",
                    super::super::fmt::sprint_value(ip)
                )));
            };
            out.ips
                .push(parse_ip(s).ok_or_else(|| call(format!("error parsing ip: {s}")))?);
        }
        for name in dns {
            let Value::Str(s) = name else {
                return Err(call(format!(
                    "error processing alternate dns name: {} is not a string",
                    super::super::fmt::sprint_value(name)
                )));
            };
            out.dns.push(s.to_string());
        }
        Ok(out)
    }

    fn none() -> Sans {
        Sans {
            ips: Vec::new(),
            dns: Vec::new(),
        }
    }
}

/// Go's `net.ParseIP`, encoded as crypto/x509 does: 4 bytes for IPv4 (also when written as
/// an IPv4-mapped IPv6 address), 16 for IPv6.
fn parse_ip(s: &str) -> Option<Vec<u8>> {
    match s.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => Some(v4.octets().to_vec()),
        std::net::IpAddr::V6(v6) => Some(match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets().to_vec(),
        }),
    }
}

// ---------------------------------------------------------------------------------------
// Keys

/// A private key of a type Sprig generates or accepts.
enum PrivKey {
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// `P, Q, G, Y, X` of Sprig's DSA key format. Go cannot sign certificates with DSA keys
    /// nor put their public keys in certificates, so these are only generated and encoded.
    Dsa(Vec<Int>),
}

impl PrivKey {
    fn generate_rsa(rng: &mut ChaCha20Rng, bits: usize) -> Result<PrivKey, String> {
        rsa::PrivateKey::new(rng, bits)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(|e| e.to_string())
    }

    fn generate_p256(rng: &mut ChaCha20Rng) -> PrivKey {
        use p256::elliptic_curve::Generate as _;
        PrivKey::P256(p256::SecretKey::generate_from_rng(rng))
    }

    fn generate_ed25519(rng: &mut ChaCha20Rng) -> PrivKey {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        PrivKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    fn generate_dsa(rng: &mut ChaCha20Rng) -> Result<PrivKey, String> {
        let components =
            dsa::Components::try_generate_from_rng_with_key_size(rng, dsa::KeySize::DSA_2048_256)
                .map_err(|e| format!("{e:?}"))?;
        let key = dsa::SigningKey::try_generate_from_rng_with_components(rng, components)
            .map_err(|e| format!("{e:?}"))?;
        let vk = key.verifying_key();
        let comp = vk.components();
        let big = |b: &dsa::BoxedUint| -> Result<Int, String> {
            Uint::new(&b.to_be_bytes())
                .map(Int::from)
                .map_err(|e| e.to_string())
        };
        Ok(PrivKey::Dsa(vec![
            big(comp.p())?,
            big(comp.q())?,
            big(comp.g())?,
            big(vk.y())?,
            big(key.x())?,
        ]))
    }

    /// The PEM block Sprig writes for this key type.
    fn to_pem(&self) -> Result<String, String> {
        let (label, der): (&str, Vec<u8>) = match self {
            PrivKey::Rsa(k) => (
                "RSA PRIVATE KEY",
                k.to_pkcs1_der()
                    .map_err(|e| e.to_string())?
                    .as_bytes()
                    .to_vec(),
            ),
            PrivKey::P256(k) => (
                "EC PRIVATE KEY",
                k.to_sec1_der().map_err(|e| e.to_string())?.to_vec(),
            ),
            PrivKey::P384(k) => (
                "EC PRIVATE KEY",
                k.to_sec1_der().map_err(|e| e.to_string())?.to_vec(),
            ),
            PrivKey::Ed25519(k) => {
                use ed25519_dalek::pkcs8::EncodePrivateKey as _;
                // PKCS #8 v1 without the public key, as Go writes it.
                let bytes = ed25519_dalek::pkcs8::KeypairBytes {
                    secret_key: k.to_bytes(),
                    public_key: None,
                };
                (
                    "PRIVATE KEY",
                    bytes
                        .to_pkcs8_der()
                        .map_err(|e| e.to_string())?
                        .as_bytes()
                        .to_vec(),
                )
            }
            PrivKey::Dsa(parts) => {
                let mut seq = vec![Int::from(Uint::new(&[0]).map_err(|e| e.to_string())?)];
                seq.extend(parts.iter().cloned());
                ("DSA PRIVATE KEY", seq.to_der().map_err(|e| e.to_string())?)
            }
        };
        Ok(pem_encode(label, &der))
    }

    /// The subject public key info crypto/x509 writes for this key, or Go's error for a key
    /// type it cannot put in a certificate.
    fn spki(&self) -> Result<SubjectPublicKeyInfoOwned, String> {
        let doc = match self {
            PrivKey::Rsa(k) => k.to_public_key().to_public_key_der(),
            PrivKey::P256(k) => k.public_key().to_public_key_der(),
            PrivKey::P384(k) => k.public_key().to_public_key_der(),
            PrivKey::Ed25519(k) => k.verifying_key().to_public_key_der(),
            PrivKey::Dsa(_) => {
                return Err("x509: unsupported public key type: *dsa.PublicKey".into())
            }
        }
        .map_err(|e| e.to_string())?;
        SubjectPublicKeyInfoOwned::from_der(doc.as_bytes()).map_err(|e| e.to_string())
    }
}

/// Sprig's `parsePrivateKeyPEM`: the first PEM block, by its type.
fn parse_private_key_pem(pem: &str) -> Result<PrivKey, String> {
    let block = pem_decode(pem.as_bytes()).ok_or("no PEM data in input")?;
    let der = block.der.as_slice();
    if block.label == "PRIVATE KEY" {
        return parse_pkcs8(der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(kind) = block.label.strip_suffix(" PRIVATE KEY") else {
        return Err(format!(
            "no private key data in PEM block of type {}",
            block.label
        ));
    };
    match kind {
        "RSA" => parse_pkcs1(der).map_err(|e| format!("parsing RSA private key from PEM: {e}")),
        "EC" => parse_sec1(der).map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => parse_dsa(der).map_err(|e| format!("parsing DSA private key from PEM: {e}")),
        _ => Err(format!("invalid private key type {}", block.label)),
    }
}

/// The top-level structure of a DER private key, for Go's "use … instead" hints.
fn key_format(der: &[u8]) -> Option<&'static str> {
    if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok() {
        Some("PKCS8")
    } else if sec1::EcPrivateKey::from_der(der).is_ok() {
        Some("EC")
    } else if pkcs1::RsaPrivateKeyRef::from_der(der).is_ok() {
        Some("PKCS1")
    } else {
        None
    }
}

fn wrong_format(der: &[u8], expected: &str, err: &dyn std::fmt::Display) -> String {
    match key_format(der) {
        Some(f) if f != expected => format!(
            "x509: failed to parse private key (use Parse{f}PrivateKey instead for this key format)"
        ),
        _ => format!("asn1: structure error: {err}"),
    }
}

fn parse_pkcs1(der: &[u8]) -> Result<PrivKey, String> {
    match rsa::PrivateKey::from_pkcs1_der(der) {
        Ok(k) => Ok(PrivKey::Rsa(Box::new(k))),
        Err(e) if pkcs1::RsaPrivateKeyRef::from_der(der).is_ok() => {
            Err(format!("x509: invalid RSA private key: {e}"))
        }
        Err(e) => Err(wrong_format(der, "PKCS1", &e)),
    }
}

fn parse_sec1(der: &[u8]) -> Result<PrivKey, String> {
    let parsed = match sec1::EcPrivateKey::from_der(der) {
        Ok(k) => k,
        Err(e) => {
            return Err(match key_format(der) {
                Some(f) if f != "EC" => format!(
                    "x509: failed to parse private key (use Parse{f}PrivateKey instead for this key format)"
                ),
                _ => format!("x509: failed to parse EC private key: {e}"),
            })
        }
    };
    let curve = parsed
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or("x509: unknown elliptic curve")?;
    ec_key(curve, der)
}

fn ec_key(curve: ObjectIdentifier, sec1_der: &[u8]) -> Result<PrivKey, String> {
    if curve == OID_P256 {
        p256::SecretKey::from_sec1_der(sec1_der)
            .map(PrivKey::P256)
            .map_err(|_| "x509: invalid elliptic curve private key value".into())
    } else if curve == OID_P384 {
        p384::SecretKey::from_sec1_der(sec1_der)
            .map(PrivKey::P384)
            .map_err(|_| "x509: invalid elliptic curve private key value".into())
    } else {
        Err("x509: unknown elliptic curve".into())
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<PrivKey, String> {
    let info = match pkcs8::PrivateKeyInfoRef::from_der(der) {
        Ok(i) => i,
        Err(e) => {
            return Err(match key_format(der) {
                Some("EC") => "x509: failed to parse private key (use ParseECPrivateKey instead for this key format)".into(),
                Some("PKCS1") => "x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)".into(),
                _ => format!("asn1: structure error: {e}"),
            })
        }
    };
    let oid = info.algorithm.oid;
    if oid == OID_RSA {
        rsa::PrivateKey::from_pkcs8_der(der)
            .map(|k| PrivKey::Rsa(Box::new(k)))
            .map_err(|e| format!("x509: failed to parse RSA private key embedded in PKCS#8: {e}"))
    } else if oid == OID_EC {
        let curve: ObjectIdentifier = info
            .algorithm
            .parameters
            .and_then(|p| p.decode_as().ok())
            .ok_or(
            "x509: failed to parse EC private key embedded in PKCS#8: x509: unknown elliptic curve",
        )?;
        let inner = info.private_key.as_bytes();
        // The embedded SEC 1 structure may leave the curve to the outer algorithm identifier.
        let sec1_der = match sec1::EcPrivateKey::from_der(inner) {
            Ok(k) if k.parameters.is_none() => sec1::EcPrivateKey {
                parameters: Some(sec1::EcParameters::NamedCurve(curve)),
                ..k
            }
            .to_der()
            .map_err(|e| e.to_string())?,
            _ => inner.to_vec(),
        };
        ec_key(curve, &sec1_der)
            .map_err(|e| format!("x509: failed to parse EC private key embedded in PKCS#8: {e}"))
    } else if oid == OID_ED25519 {
        ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map(|k| PrivKey::Ed25519(Box::new(k)))
            .map_err(|_| "x509: invalid Ed25519 private key".into())
    } else {
        Err(format!(
            "x509: PKCS#8 wrapping contained private key with unknown algorithm: {oid}"
        ))
    }
}

fn parse_dsa(der: &[u8]) -> Result<PrivKey, String> {
    let mut reader = der::SliceReader::new(der).map_err(|e| format!("asn1: syntax error: {e}"))?;
    let ints: Vec<Int> =
        der::Decode::decode(&mut reader).map_err(|e| format!("asn1: structure error: {e}"))?;
    if ints.len() != 6 {
        return Err("asn1: structure error: sequence has the wrong number of fields".into());
    }
    Ok(PrivKey::Dsa(ints[1..].to_vec()))
}

// ---------------------------------------------------------------------------------------
// PEM, as Go's encoding/pem reads and writes it

/// A decoded PEM block.
struct PemBlock {
    label: String,
    der: Vec<u8>,
}

/// Go's `pem.Encode`: 64-column base64 lines and a final newline.
fn pem_encode(label: &str, der: &[u8]) -> String {
    match pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der) {
        Ok(s) if s.ends_with('\n') => s,
        Ok(s) => s + "\n",
        Err(_) => String::new(),
    }
}

/// One line of PEM input without its line ending and trailing blanks, and the rest.
fn pem_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (line, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    (&line[..end], rest)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Go's `pem.Decode`: the first well-formed block anywhere in the input (text before it,
/// headers and any line width are accepted).
fn pem_decode(data: &[u8]) -> Option<PemBlock> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    const DASHES: &[u8] = b"-----";
    let mut rest = data;
    loop {
        if rest.starts_with(BEGIN) {
            rest = &rest[BEGIN.len()..];
        } else {
            let i = find(rest, b"\n-----BEGIN ")?;
            rest = &rest[i + 1 + BEGIN.len()..];
        }
        let (type_line, after) = pem_line(rest);
        rest = after;
        let Some(label) = type_line.strip_suffix(DASHES) else {
            continue;
        };
        let mut has_headers = false;
        loop {
            if rest.is_empty() {
                return None;
            }
            let (line, next) = pem_line(rest);
            if !line.contains(&b':') {
                break;
            }
            has_headers = true;
            rest = next;
        }
        let (body_end, trailer_at) = if !has_headers && rest.starts_with(END) {
            (0, END.len())
        } else {
            match find(rest, b"\n-----END ") {
                Some(i) => (i, i + 1 + END.len()),
                None => continue,
            }
        };
        let trailer = &rest[trailer_at..];
        let want = label.len() + DASHES.len();
        if trailer.len() < want {
            continue;
        }
        let (end_line, rest_of_line) = trailer.split_at(want);
        if !end_line.starts_with(label) || !end_line.ends_with(DASHES) {
            continue;
        }
        if !pem_line(rest_of_line).0.is_empty() {
            continue;
        }
        let b64: Vec<u8> = rest[..body_end]
            .iter()
            .copied()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .collect();
        let Ok(der) = go_std_base64().decode(&b64) else {
            continue;
        };
        return Some(PemBlock {
            label: String::from_utf8_lossy(label).into_owned(),
            der,
        });
    }
}

/// Go's `base64.StdEncoding` for decoding: padding required, stray low bits accepted.
fn go_std_base64() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
    )
}

use base64::Engine as _;

// ---------------------------------------------------------------------------------------
// Certificates, as crypto/x509's CreateCertificate builds them from Sprig's template

/// The issuing side of `genSignedCert`: the CA certificate and its key.
struct Signer {
    cert: Certificate,
    key: PrivKey,
}

impl Signer {
    /// Sprig's checks of the `ca` argument, in its order and with its messages.
    fn parse(cert_pem: &str, key_pem: &str) -> Result<Signer, FnErr> {
        let block = pem_decode(cert_pem.as_bytes())
            .ok_or_else(|| call("unable to decode certificate".into()))?;
        let cert = Certificate::from_der(&block.der).map_err(|_| {
            call(
                "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate"
                    .into(),
            )
        })?;
        let key = parse_private_key_pem(key_pem)
            .map_err(|e| call(format!("error parsing private key: {e}")))?;
        Ok(Signer { cert, key })
    }
}

/// What Sprig's `getBaseCertTemplate` and the CA override set.
struct Template<'a> {
    cn: &'a str,
    sans: Sans,
    days: i64,
    is_ca: bool,
}

fn ca_with_key(cn: &str, days: i64, key: &PrivKey, rng: &mut ChaCha20Rng) -> FnResult {
    let t = Template {
        cn,
        sans: Sans::none(),
        days,
        is_ca: true,
    };
    cert_and_key(&t, key, None, rng)
}

fn self_signed_with_key(
    cn: &str,
    sans: Sans,
    days: i64,
    key: &PrivKey,
    rng: &mut ChaCha20Rng,
) -> FnResult {
    let t = Template {
        cn,
        sans,
        days,
        is_ca: false,
    };
    cert_and_key(&t, key, None, rng)
}

fn signed_with_key(
    cn: &str,
    sans: Sans,
    days: i64,
    signer: &Signer,
    key: &PrivKey,
    rng: &mut ChaCha20Rng,
) -> FnResult {
    let t = Template {
        cn,
        sans,
        days,
        is_ca: false,
    };
    cert_and_key(&t, key, Some(signer), rng)
}

/// Sprig's `getCertAndKey`: the signed certificate and the subject's key, both as PEM.
fn cert_and_key(
    t: &Template<'_>,
    key: &PrivKey,
    signer: Option<&Signer>,
    rng: &mut ChaCha20Rng,
) -> FnResult {
    // The serial is drawn first, as Sprig's template does.
    let mut serial = [0u8; 16];
    rng.fill_bytes(&mut serial);
    let der = create_certificate(t, &serial, key, signer)
        .map_err(|e| call(format!("error creating certificate: {e}")))?;
    let key_pem = key
        .to_pem()
        .map_err(|e| call(format!("error pem-encoding key: {e}")))?;
    Ok(pair(pem_encode("CERTIFICATE", &der), key_pem))
}

/// The subject name Go writes for a template with only a common name: none when it is empty,
/// a PrintableString when the characters allow, else a UTF8String.
fn subject_name(cn: &str) -> Result<Name, String> {
    let mut seq = RdnSequence::default();
    if !cn.is_empty() {
        let printable = cn
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
        let value = if printable {
            der::Any::encode_from(&PrintableStringRef::new(cn).map_err(|e| e.to_string())?)
        } else {
            der::Any::encode_from(&Utf8StringRef::new(cn).map_err(|e| e.to_string())?)
        }
        .map_err(|e| e.to_string())?;
        let mut rdn = RelativeDistinguishedName::default();
        rdn.insert(AttributeTypeAndValue {
            oid: OID_COMMON_NAME,
            value,
        })
        .map_err(|e| e.to_string())?;
        seq.push(rdn);
    }
    let der = seq.to_der().map_err(|e| e.to_string())?;
    Name::from_der(&der).map_err(|e| e.to_string())
}

fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, String> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?,
    })
}

/// The validity period: from now for `days` days, with Go's `time.Duration` arithmetic
/// (nanoseconds that wrap around), truncated to seconds as DER times are.
fn validity(days: i64) -> Result<Validity, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    let span = days.wrapping_mul(86_400_000_000_000) as i128;
    // DER times here cover 1970 to 9999 (Go's start at year 0, a difference only for
    // validity periods ending before 1970).
    let time = |ns: i128| -> Result<Time, String> {
        u64::try_from(ns.div_euclid(1_000_000_000))
            .ok()
            .and_then(|secs| {
                der::asn1::GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))
                    .ok()
            })
            .map(Time::GeneralTime)
            .ok_or_else(|| "asn1: structure error: cannot represent time as GeneralizedTime".into())
    };
    Ok(Validity::new(time(now)?, time(now + span)?))
}

/// Builds and signs the certificate as crypto/x509's `CreateCertificate` does for Sprig's
/// template; `signer` is the CA for `genSignedCert`, none for a self-signed certificate.
fn create_certificate(
    t: &Template<'_>,
    serial: &[u8; 16],
    key: &PrivKey,
    signer: Option<&Signer>,
) -> Result<Vec<u8>, String> {
    let signing_key = signer.map_or(key, |s| &s.key);
    if matches!(signing_key, PrivKey::Dsa(_)) {
        return Err("x509: certificate private key does not implement crypto.Signer".into());
    }
    let spki = key.spki()?;
    let subject = subject_name(t.cn)?;
    let issuer = match signer {
        Some(s) => s.cert.tbs_certificate().subject().clone(),
        None => subject.clone(),
    };
    let issuer_der = issuer.to_der().map_err(|e| e.to_string())?;
    let subject_der = subject.to_der().map_err(|e| e.to_string())?;

    let mut authority_key_id = None;
    if let Some(s) = signer {
        if issuer_der != subject_der {
            authority_key_id = s
                .cert
                .tbs_certificate()
                .get_extension::<SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .map(|(_, ski)| ski.0)
                .filter(|id| !id.as_bytes().is_empty());
        }
        let signer_spki = s.key.spki()?.to_der().map_err(|e| e.to_string())?;
        let parent_spki = s
            .cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| e.to_string())?;
        if signer_spki != parent_spki {
            return Err("x509: provided PrivateKey doesn't match parent's PublicKey".into());
        }
    }
    // Go 1.25 and later derive a CA's key identifier from the first 160 bits of the SHA-256
    // of the public key bits (RFC 7093 method 1).
    let subject_key_id = if t.is_ca {
        let h = sha2::Sha256::digest(spki.subject_public_key.raw_bytes());
        Some(OctetString::new(&h[..20]).map_err(|e| e.to_string())?)
    } else {
        None
    };

    let mut usages = KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment;
    if t.is_ca {
        usages |= KeyUsages::KeyCertSign;
    }
    let mut extensions = vec![
        extension(OID_KEY_USAGE, true, &KeyUsage(usages))?,
        extension(
            OID_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![OID_SERVER_AUTH, OID_CLIENT_AUTH]),
        )?,
        extension(
            OID_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: t.is_ca,
                path_len_constraint: None,
            },
        )?,
    ];
    if let Some(id) = subject_key_id {
        extensions.push(extension(
            OID_SUBJECT_KEY_ID,
            false,
            &SubjectKeyIdentifier(id),
        )?);
    }
    if let Some(id) = authority_key_id {
        extensions.push(extension(
            OID_AUTHORITY_KEY_ID,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(id),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?);
    }
    if !t.sans.dns.is_empty() || !t.sans.ips.is_empty() {
        let mut names = Vec::new();
        for name in &t.sans.dns {
            let ia5 = Ia5String::new(name)
                .map_err(|_| format!("x509: {name:?} cannot be encoded as an IA5String"))?;
            names.push(GeneralName::DnsName(ia5));
        }
        for ip in &t.sans.ips {
            names.push(GeneralName::IpAddress(
                OctetString::new(ip.as_slice()).map_err(|e| e.to_string())?,
            ));
        }
        // RFC 5280 4.2.1.6: critical when the subject is empty.
        extensions.push(extension(
            OID_SUBJECT_ALT_NAME,
            subject.is_empty(),
            &SubjectAltName(names),
        )?);
    }

    let validity = validity(t.days)?;
    let serial = {
        let start = serial
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(serial.len() - 1);
        SerialNumber::new(&serial[start..]).map_err(|e| e.to_string())?
    };
    let profile = GoProfile {
        subject,
        issuer,
        extensions,
    };
    let builder =
        CertificateBuilder::new(profile, serial, validity, spki).map_err(|e| e.to_string())?;
    let cert = match signing_key {
        PrivKey::Rsa(k) => {
            let s = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**k).clone());
            builder.build::<_, rsa::pkcs1v15::Signature>(&s)
        }
        PrivKey::P256(k) => {
            let s = p256::ecdsa::SigningKey::from(k);
            builder.build::<_, p256::ecdsa::DerSignature>(&s)
        }
        PrivKey::P384(k) => {
            let s = p384::ecdsa::SigningKey::from(k);
            builder.build::<_, p384::ecdsa::DerSignature>(&s)
        }
        PrivKey::Ed25519(k) => builder.build::<_, ed25519_dalek::Signature>(&**k),
        PrivKey::Dsa(_) => {
            return Err("x509: certificate private key does not implement crypto.Signer".into())
        }
    }
    .map_err(|e| e.to_string())?;
    cert.to_der().map_err(|e| e.to_string())
}

/// Subject, issuer and extensions fixed in advance, in crypto/x509's order.
struct GoProfile {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for GoProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: x509_cert::spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: x509_cert::spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Rng;
    use super::*;
    use rsa::signature::Verifier as _;

    fn run(rng: &mut Rng, name: &str, args: &[Value]) -> FnResult {
        let f = lookup(name).expect("known function");
        let mut c = FnCtx {
            name,
            rng,
            nondet: false,
            work: 0,
        };
        let r = f(&mut c, args);
        let generated = match &r {
            Ok(Value::Str(x)) => x.starts_with("-----BEGIN"),
            Ok(_) => name != "buildCustomCert",
            Err(_) => false,
        };
        if generated {
            assert!(c.nondet, "{name} must be reported as non-deterministic");
        }
        r
    }

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    fn list(v: &[&str]) -> Value {
        Value::list(v.iter().map(|x| s(x)).collect())
    }

    fn field(v: &Value, k: &str) -> String {
        match v {
            Value::Map(m) => match m.borrow().get(k) {
                Some(Value::Str(x)) => x.to_string(),
                other => panic!("{k}: {other:?}"),
            },
            other => panic!("not a certificate object: {other:?}"),
        }
    }

    fn text(r: FnResult) -> String {
        match r {
            Ok(Value::Str(x)) => x.to_string(),
            other => panic!("{other:?}"),
        }
    }

    fn err(r: FnResult) -> String {
        match r {
            Err(FnErr::Call(m) | FnErr::Arg(m) | FnErr::Limit(m)) => m,
            Ok(v) => panic!("expected an error, got {v:?}"),
        }
    }

    fn cert_of(v: &Value) -> Certificate {
        let pem = field(v, "Cert");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"), "{pem}");
        let block = pem_decode(pem.as_bytes()).expect("PEM");
        Certificate::from_der(&block.der).expect("parses as X.509")
    }

    /// Checks the certificate's signature with the issuer's public key.
    fn verify(cert: &Certificate, issuer: &SubjectPublicKeyInfoOwned) {
        let tbs = cert.tbs_certificate().to_der().expect("tbs");
        let sig = cert.signature().raw_bytes();
        let spki_der = issuer.to_der().expect("spki");
        let alg = cert.signature_algorithm().oid.to_string();
        match alg.as_str() {
            "1.2.840.113549.1.1.11" => {
                use rsa::pkcs8::DecodePublicKey as _;
                let key = rsa::PublicKey::from_public_key_der(&spki_der).expect("rsa key");
                let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key);
                let sig = rsa::pkcs1v15::Signature::try_from(sig).expect("sig");
                vk.verify(&tbs, &sig).expect("RSA signature verifies");
            }
            "1.2.840.10045.4.3.2" => {
                use p256::pkcs8::DecodePublicKey as _;
                let vk = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der).expect("key");
                let sig = p256::ecdsa::DerSignature::from_bytes(sig).expect("sig");
                vk.verify(&tbs, &sig).expect("ECDSA signature verifies");
            }
            "1.3.101.112" => {
                use ed25519_dalek::pkcs8::DecodePublicKey as _;
                let vk = ed25519_dalek::VerifyingKey::from_public_key_der(&spki_der).expect("key");
                let sig = ed25519_dalek::Signature::from_slice(sig).expect("sig");
                vk.verify(&tbs, &sig).expect("Ed25519 signature verifies");
            }
            other => panic!("unexpected signature algorithm {other}"),
        }
    }

    fn ext(cert: &Certificate, oid: ObjectIdentifier) -> Option<(bool, Vec<u8>)> {
        cert.tbs_certificate()
            .extensions()?
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| (e.critical, e.extn_value.as_bytes().to_vec()))
    }

    fn cn(name: &Name) -> String {
        name.common_name()
            .expect("cn")
            .map(String::from)
            .unwrap_or_default()
    }

    fn key_spki(pem: &str) -> SubjectPublicKeyInfoOwned {
        parse_private_key_pem(pem)
            .expect("key parses")
            .spki()
            .expect("spki")
    }

    #[test]
    fn generated_keys_have_sprigs_types_and_sizes() {
        use rsa::traits::PublicKeyParts as _;
        let mut rng = Rng::new(1);
        let rsa_pem = text(run(&mut rng, "genPrivateKey", &[s("rsa")]));
        assert!(rsa_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let block = pem_decode(rsa_pem.as_bytes()).expect("pem");
        let key = rsa::PrivateKey::from_pkcs1_der(&block.der).expect("PKCS #1");
        assert_eq!(key.size() * 8, 4096);
        assert_eq!(key.e().to_be_bytes_trimmed_vartime().as_ref(), [1, 0, 1]);
        // The empty type is RSA too.
        let default_pem = text(run(&mut rng, "genPrivateKey", &[s("")]));
        assert!(default_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));

        let ec_pem = text(run(&mut rng, "genPrivateKey", &[s("ecdsa")]));
        assert!(ec_pem.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        let block = pem_decode(ec_pem.as_bytes()).expect("pem");
        let sec1 = sec1::EcPrivateKey::from_der(&block.der).expect("SEC 1");
        assert_eq!(
            sec1.parameters.and_then(|p| p.named_curve()),
            Some(OID_P256)
        );
        assert!(sec1.public_key.is_some(), "Go writes the public key too");

        let ed_pem = text(run(&mut rng, "genPrivateKey", &[s("ed25519")]));
        assert!(ed_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let block = pem_decode(ed_pem.as_bytes()).expect("pem");
        let info = pkcs8::PrivateKeyInfoRef::from_der(&block.der).expect("PKCS #8");
        assert_eq!(info.algorithm.oid, OID_ED25519);
        assert!(info.public_key.is_none(), "PKCS #8 v1, as Go writes it");

        assert_eq!(
            text(run(&mut rng, "genPrivateKey", &[s("rsa4096")])),
            "Unknown type rsa4096"
        );
        assert!(err(run(&mut rng, "genPrivateKey", &[Value::Int(1)])).contains("expected string"));
    }

    #[test]
    fn generated_dsa_keys_are_l2048_n256() {
        let mut rng = Rng::new(2);
        let pem = text(run(&mut rng, "genPrivateKey", &[s("dsa")]));
        assert!(pem.starts_with("-----BEGIN DSA PRIVATE KEY-----\n"));
        let block = pem_decode(pem.as_bytes()).expect("pem");
        let ints: Vec<Uint> = Decode::from_der(&block.der).expect("SEQUENCE of INTEGER");
        let bits = |u: &Uint| {
            let b = u.as_bytes();
            b.len() * 8 - b.first().map_or(8, |x| x.leading_zeros() as usize)
        };
        assert_eq!(ints.len(), 6);
        assert_eq!(ints[0].as_bytes(), [0]);
        assert_eq!((bits(&ints[1]), bits(&ints[2])), (2048, 256));
        // Read back by the WithKey functions, which then fail as Go does.
        let e = err(run(
            &mut rng,
            "genCAWithKey",
            &[s("x"), Value::Int(1), s(&pem)],
        ));
        assert_eq!(
            e,
            "error creating certificate: x509: certificate private key does not implement crypto.Signer"
        );
    }

    #[test]
    fn ca_and_signed_certificates_form_a_valid_chain() {
        let mut rng = Rng::new(3);
        let ca = run(&mut rng, "genCA", &[s("my-ca"), Value::Int(365)]).expect("genCA");
        let ca_cert = cert_of(&ca);
        let ca_tbs = ca_cert.tbs_certificate();
        assert_eq!(ca_tbs.version(), x509_cert::Version::V3);
        assert_eq!(cn(ca_tbs.subject()), "my-ca");
        assert_eq!(ca_tbs.issuer(), ca_tbs.subject());
        assert!(ca_tbs.serial_number().as_bytes().len() <= 17);
        let v = ca_tbs.validity();
        let span = v.not_after.to_unix_duration() - v.not_before.to_unix_duration();
        assert_eq!(span.as_secs(), 365 * 86_400);
        // The key is the certificate's: RSA 2048 in PKCS #1.
        let ca_key = field(&ca, "Key");
        assert!(ca_key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert_eq!(&key_spki(&ca_key), ca_tbs.subject_public_key_info());
        verify(&ca_cert, ca_tbs.subject_public_key_info());
        // CA extensions: key usage (critical), server and client auth, CA:TRUE (critical),
        // a subject key identifier, no authority key identifier.
        assert_eq!(
            ext(&ca_cert, OID_KEY_USAGE),
            Some((true, vec![0x03, 0x02, 0x02, 0xa4]))
        );
        assert_eq!(ext(&ca_cert, OID_EXT_KEY_USAGE).map(|e| e.0), Some(false));
        assert_eq!(
            ext(&ca_cert, OID_BASIC_CONSTRAINTS),
            Some((true, vec![0x30, 0x03, 0x01, 0x01, 0xff]))
        );
        let ski = ext(&ca_cert, OID_SUBJECT_KEY_ID).expect("SKI").1;
        let h = sha2::Sha256::digest(
            ca_tbs
                .subject_public_key_info()
                .subject_public_key
                .raw_bytes(),
        );
        assert_eq!(ski[2..], h[..20]);
        assert!(ext(&ca_cert, OID_AUTHORITY_KEY_ID).is_none());
        assert!(ext(&ca_cert, OID_SUBJECT_ALT_NAME).is_none());

        let leaf = run(
            &mut rng,
            "genSignedCert",
            &[
                s("svc.ns.svc"),
                list(&["10.0.0.1", "::1", "::ffff:192.168.1.2"]),
                list(&["svc", "svc.ns.svc.cluster.local"]),
                Value::Int(30),
                ca.clone(),
            ],
        )
        .expect("genSignedCert");
        let cert = cert_of(&leaf);
        let tbs = cert.tbs_certificate();
        assert_eq!(cn(tbs.subject()), "svc.ns.svc");
        assert_eq!(tbs.issuer(), ca_tbs.subject());
        verify(&cert, ca_tbs.subject_public_key_info());
        assert_eq!(
            &key_spki(&field(&leaf, "Key")),
            tbs.subject_public_key_info()
        );
        assert_eq!(
            ext(&cert, OID_KEY_USAGE),
            Some((true, vec![0x03, 0x02, 0x05, 0xa0]))
        );
        assert_eq!(
            ext(&cert, OID_BASIC_CONSTRAINTS),
            Some((true, vec![0x30, 0x00]))
        );
        assert!(ext(&cert, OID_SUBJECT_KEY_ID).is_none());
        let aki = ext(&cert, OID_AUTHORITY_KEY_ID).expect("AKI").1;
        assert_eq!(aki[4..], ski[2..]);
        let (critical, san) = ext(&cert, OID_SUBJECT_ALT_NAME).expect("SAN");
        assert!(!critical);
        let san = SubjectAltName::from_der(&san).expect("SAN parses");
        let names: Vec<String> = san
            .0
            .iter()
            .map(|n| match n {
                GeneralName::DnsName(d) => format!("dns:{d}"),
                GeneralName::IpAddress(ip) => format!("ip:{:?}", ip.as_bytes()),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                "dns:svc",
                "dns:svc.ns.svc.cluster.local",
                "ip:[10, 0, 0, 1]",
                "ip:[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]",
                "ip:[192, 168, 1, 2]",
            ]
        );
    }

    #[test]
    fn self_signed_and_with_key_variants() {
        let mut rng = Rng::new(4);
        let cert = run(
            &mut rng,
            "genSelfSignedCert",
            &[
                s("*.example.com"),
                Value::Nil,
                list(&["example.com"]),
                Value::Int(1),
            ],
        )
        .expect("genSelfSignedCert");
        let c = cert_of(&cert);
        assert_eq!(cn(c.tbs_certificate().subject()), "*.example.com");
        verify(&c, c.tbs_certificate().subject_public_key_info());
        assert!(ext(&c, OID_SUBJECT_KEY_ID).is_none());

        // An ECDSA CA signing an Ed25519 leaf; both keys come back in Sprig's encodings.
        let ec = text(run(&mut rng, "genPrivateKey", &[s("ecdsa")]));
        let ca = run(
            &mut rng,
            "genCAWithKey",
            &[s("ec-ca"), Value::Int(10), s(&ec)],
        )
        .expect("ca");
        assert_eq!(field(&ca, "Key"), ec);
        let ca_cert = cert_of(&ca);
        assert_eq!(
            ca_cert.signature_algorithm().oid.to_string(),
            "1.2.840.10045.4.3.2"
        );
        verify(
            &ca_cert,
            ca_cert.tbs_certificate().subject_public_key_info(),
        );
        let ed = text(run(&mut rng, "genPrivateKey", &[s("ed25519")]));
        let leaf = run(
            &mut rng,
            "genSignedCertWithKey",
            &[
                s("leaf"),
                Value::Nil,
                Value::Nil,
                Value::Int(10),
                ca.clone(),
                s(&ed),
            ],
        )
        .expect("leaf");
        assert_eq!(field(&leaf, "Key"), ed);
        let leaf_cert = cert_of(&leaf);
        verify(
            &leaf_cert,
            ca_cert.tbs_certificate().subject_public_key_info(),
        );
        assert!(ext(&leaf_cert, OID_SUBJECT_ALT_NAME).is_none());

        // Ed25519 self-signed with a key given as PKCS #8.
        let own = run(
            &mut rng,
            "genSelfSignedCertWithKey",
            &[
                s("ed"),
                list(&["127.0.0.1"]),
                Value::Nil,
                Value::Int(2),
                s(&ed),
            ],
        )
        .expect("self-signed ed25519");
        let own_cert = cert_of(&own);
        assert_eq!(own_cert.signature_algorithm().oid, OID_ED25519);
        verify(
            &own_cert,
            own_cert.tbs_certificate().subject_public_key_info(),
        );

        // An RSA key given as PKCS #8 comes back as PKCS #1, as Sprig re-encodes it.
        let rsa_key = field(
            &run(&mut rng, "genCA", &[s("k"), Value::Int(1)]).expect("ca"),
            "Key",
        );
        let parsed =
            rsa::PrivateKey::from_pkcs1_der(&pem_decode(rsa_key.as_bytes()).expect("pem").der)
                .expect("pkcs1");
        let pkcs8_pem = {
            use rsa::pkcs8::EncodePrivateKey as _;
            pem_encode(
                "PRIVATE KEY",
                parsed.to_pkcs8_der().expect("pkcs8").as_bytes(),
            )
        };
        let out = run(
            &mut rng,
            "genCAWithKey",
            &[s("p8"), Value::Int(1), s(&pkcs8_pem)],
        )
        .expect("ca");
        assert_eq!(field(&out, "Key"), rsa_key);
    }

    #[test]
    fn validity_follows_gos_arithmetic() {
        let mut rng = Rng::new(9);
        let key = text(run(&mut rng, "genPrivateKey", &[s("ed25519")]));
        let mut span = |days: i64| {
            let ca = run(
                &mut rng,
                "genCAWithKey",
                &[s("v"), Value::Int64(days), s(&key)],
            );
            let c = cert_of(&ca.expect("ca"));
            let v = c.tbs_certificate().validity();
            v.not_after.to_unix_duration().as_secs() as i64
                - v.not_before.to_unix_duration().as_secs() as i64
        };
        // Already expired, as Go makes it.
        assert_eq!(span(-1), -86_400);
        assert_eq!(span(0), 0);
        // Go's nanosecond durations wrap around past 292 years.
        let wrapped = 200_000i64.wrapping_mul(86_400_000_000_000) / 1_000_000_000;
        assert!((span(200_000) - wrapped).abs() <= 1, "{}", span(200_000));
    }

    #[test]
    fn a_fixed_seed_reproduces_keys_and_serials() {
        let gen = |seed| {
            let mut rng = Rng::new(seed);
            let key = text(run(&mut rng, "genPrivateKey", &[s("ecdsa")]));
            let ca = run(&mut rng, "genCA", &[s("a"), Value::Int(1)]).expect("ca");
            let c = cert_of(&ca);
            (
                key,
                field(&ca, "Key"),
                c.tbs_certificate().serial_number().as_bytes().to_vec(),
            )
        };
        let (a, b, c) = (gen(7), gen(7), gen(8));
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
        assert_ne!(a.1, c.1);
        assert_ne!(a.2, c.2);
    }

    #[test]
    fn errors_are_sprigs() {
        let mut rng = Rng::new(5);
        let bad_ca = |cert: &str, key: &str| {
            let mut m = Map::new();
            m.insert("Cert".into(), s(cert));
            m.insert("Key".into(), s(key));
            Value::map(m)
        };
        let signed = |rng: &mut Rng, ca: Value| {
            err(run(
                rng,
                "genSignedCert",
                &[s("x"), Value::Nil, Value::Nil, Value::Int(1), ca],
            ))
        };
        assert_eq!(
            signed(&mut rng, bad_ca("junk", "")),
            "unable to decode certificate"
        );
        let junk_pem = pem_encode("CERTIFICATE", b"\x30\x03\x02\x01\x01");
        assert_eq!(
            signed(&mut rng, bad_ca(&junk_pem, "")),
            "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate"
        );
        let ca = run(&mut rng, "genCA", &[s("ca"), Value::Int(1)]).expect("ca");
        let ca_cert = field(&ca, "Cert");
        assert_eq!(
            signed(&mut rng, bad_ca(&ca_cert, "")),
            "error parsing private key: no PEM data in input"
        );
        assert_eq!(
            signed(&mut rng, bad_ca(&ca_cert, &ca_cert)),
            "error parsing private key: no private key data in PEM block of type CERTIFICATE"
        );
        assert_eq!(
            signed(
                &mut rng,
                bad_ca(&ca_cert, &pem_encode("FOO PRIVATE KEY", b"x"))
            ),
            "error parsing private key: invalid private key type FOO PRIVATE KEY"
        );
        // Go's own asn1 wording after the prefix is not reproduced.
        assert!(signed(
            &mut rng,
            bad_ca(&ca_cert, &pem_encode("RSA PRIVATE KEY", b"\x05\x00"))
        )
        .starts_with(
            "error parsing private key: parsing RSA private key from PEM: asn1: structure error: "
        ));
        // A key in another format than its PEM type says gets Go's hint.
        let ec = text(run(&mut rng, "genPrivateKey", &[s("ecdsa")]));
        assert_eq!(
            signed(
                &mut rng,
                bad_ca(&ca_cert, &ec.replace("EC PRIVATE", "RSA PRIVATE"))
            ),
            "error parsing private key: parsing RSA private key from PEM: x509: failed to parse \
             private key (use ParseECPrivateKey instead for this key format)"
        );
        let other = run(&mut rng, "genCA", &[s("other"), Value::Int(1)]).expect("ca");
        assert_eq!(
            signed(&mut rng, bad_ca(&ca_cert, &field(&other, "Key"))),
            "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey"
        );
        assert_eq!(
            err(run(
                &mut rng,
                "genSignedCert",
                &[s("x"), Value::Nil, Value::Nil, Value::Int(1), s("ca")]
            )),
            "wrong type for value; expected sprig.certificate; got string"
        );
        let ss = |rng: &mut Rng, ips: Value, dns: Value| {
            err(run(
                rng,
                "genSelfSignedCert",
                &[s("x"), ips, dns, Value::Int(1)],
            ))
        };
        assert_eq!(
            ss(&mut rng, list(&["nope"]), Value::Nil),
            "error parsing ip: nope"
        );
        assert_eq!(
            ss(&mut rng, list(&["01.2.3.4"]), Value::Nil),
            "error parsing ip: 01.2.3.4"
        );
        assert_eq!(
            ss(&mut rng, Value::list(vec![Value::Int(1)]), Value::Nil),
            "error parsing ip: 1 is not a string"
        );
        assert_eq!(
            ss(&mut rng, Value::Nil, Value::list(vec![Value::Nil])),
            "error processing alternate dns name: <nil> is not a string"
        );
        assert_eq!(
            ss(&mut rng, s("1.2.3.4"), Value::Nil),
            "wrong type for value; expected []interface {}; got string"
        );
        assert_eq!(
            ss(&mut rng, Value::Nil, list(&["bücher.example"])),
            "error creating certificate: x509: \"bücher.example\" cannot be encoded as an IA5String"
        );
        assert_eq!(
            err(run(
                &mut rng,
                "genCAWithKey",
                &[s("x"), Value::Int(1), s("")]
            )),
            "parsing private key: no PEM data in input"
        );
        assert_eq!(
            err(run(&mut rng, "genCA", &[s("x"), Value::Float(1.0)])),
            "wrong type for value; expected int; got float64"
        );
        assert!(err(run(&mut rng, "genCA", &[s("x")])).contains("wrong number of args"));
    }

    #[test]
    fn build_custom_cert_checks_like_sprig() {
        use base64::Engine as _;
        let b64 = |x: &str| base64::engine::general_purpose::STANDARD.encode(x);
        let mut rng = Rng::new(6);
        let ca = run(&mut rng, "genCA", &[s("c"), Value::Int(1)]).expect("ca");
        let (cert, key) = (field(&ca, "Cert"), field(&ca, "Key"));
        let ok = run(
            &mut rng,
            "buildCustomCert",
            &[s(&b64(&cert)), s(&b64(&key))],
        )
        .expect("ok");
        assert_eq!(
            (field(&ok, "Cert"), field(&ok, "Key")),
            (cert.clone(), key.clone())
        );
        // It can sign: the rebuilt object is a CA argument like genCA's.
        let leaf = run(
            &mut rng,
            "genSignedCert",
            &[s("l"), Value::Nil, Value::Nil, Value::Int(1), ok],
        )
        .expect("leaf");
        verify(
            &cert_of(&leaf),
            cert_of(&ca).tbs_certificate().subject_public_key_info(),
        );
        assert_eq!(
            err(run(&mut rng, "buildCustomCert", &[s("%"), s(&b64(&key))])),
            "unable to decode base64 certificate"
        );
        assert_eq!(
            err(run(&mut rng, "buildCustomCert", &[s(&b64(&cert)), s("%")])),
            "unable to decode base64 private key"
        );
        assert_eq!(
            err(run(
                &mut rng,
                "buildCustomCert",
                &[s(&b64("x")), s(&b64(&key))]
            )),
            "unable to decode certificate"
        );
        assert_eq!(
            err(run(
                &mut rng,
                "buildCustomCert",
                &[s(&b64(&cert)), s(&b64("x"))]
            )),
            "error parsing private key: no PEM data in input"
        );
    }

    #[test]
    fn pem_blocks_are_found_as_go_finds_them() {
        let body = pem_encode("EC PRIVATE KEY", b"\x01\x02\x03");
        let found = |t: &str| pem_decode(t.as_bytes()).map(|b| (b.label, b.der));
        let want = Some(("EC PRIVATE KEY".to_string(), vec![1, 2, 3]));
        assert_eq!(found(&body), want);
        assert_eq!(found(&format!("comment line\n{body}")), want);
        assert_eq!(found(&body.replace('\n', "\r\n")), want);
        assert_eq!(
            found("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END EC PRIVATE KEY-----\n"),
            want
        );
        // A broken block is skipped for a later good one.
        assert_eq!(
            found(&format!("-----BEGIN X-----\n!!\n-----END X-----\n{body}")),
            want
        );
        assert_eq!(found("-----BEGIN X-----\nAQID\n-----END Y-----\n"), None);
        assert_eq!(found("no pem here"), None);
        assert_eq!(found("-----BEGIN X-----"), None);
    }
}
