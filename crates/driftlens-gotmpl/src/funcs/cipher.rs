//! Sprig's password derivation and symmetric encryption: `derivePassword` (the Master
//! Password algorithm, version 3), `encryptAES` and `decryptAES`.

use aes::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use rand_chacha::rand_core::Rng as _;

use super::super::value::Value;
use super::{arity, s_arg, FnCtx, FnErr, FnResult, Func};

/// Resolves a password or cipher function name.
pub fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "derivePassword" => derive_password_fn,
        "encryptAES" => encrypt_aes_fn,
        "decryptAES" => decrypt_aes_fn,
        _ => return None,
    })
}

// Work units charged per `derivePassword` (scrypt with N = 32768, r = 8 uses 32 MiB and
// takes a noticeable fraction of a second).
const WORK_SCRYPT: u64 = 250_000;

fn derive_password_fn(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("derivePassword", a, 5)?;
    let counter = u32_arg(&a[0])?;
    let (kind, password, user, site) = (s_arg(&a[1])?, s_arg(&a[2])?, s_arg(&a[3])?, s_arg(&a[4])?);
    if templates(kind).is_none() {
        return Ok(Value::from(format!("cannot find password template {kind}")));
    }
    c.charge(WORK_SCRYPT)?;
    Ok(Value::from(
        derive_password(counter, kind, password, user, site)
            .unwrap_or_else(|e| format!("failed to derive password: {e}")),
    ))
}

/// A `uint32` parameter: a non-negative integer that fits.
fn u32_arg(v: &Value) -> Result<u32, FnErr> {
    match v {
        Value::Int(i) | Value::Int64(i) => u32::try_from(*i).map_err(|_| {
            FnErr::Arg(format!(
                "wrong type for value; expected uint32; got {}",
                v.type_name()
            ))
        }),
        Value::Nil => Err(FnErr::Arg("invalid value; expected uint32".into())),
        other => Err(FnErr::Arg(format!(
            "wrong type for value; expected uint32; got {}",
            other.type_name()
        ))),
    }
}

/// The password templates of each type, in the algorithm's order.
fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

/// The characters a template letter stands for.
fn class(letter: u8) -> &'static [u8] {
    match letter {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

const SCOPE: &[u8] = b"com.lyndir.masterpassword";

/// Master Password v3: the master key is scrypt(password, scope ‖ len(user) ‖ user) with
/// N = 32768, r = 8, p = 2 and 64 bytes; the site seed is HMAC-SHA256 over
/// scope ‖ len(site) ‖ site ‖ counter (lengths and counter as big-endian u32, lengths in
/// bytes); the seed's first byte picks the template and each further byte a character.
pub fn derive_password(
    counter: u32,
    kind: &str,
    password: &str,
    user: &str,
    site: &str,
) -> Result<String, String> {
    let templates =
        templates(kind).ok_or_else(|| format!("cannot find password template {kind}"))?;
    let be_len = |s: &str| u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes();

    let mut salt = SCOPE.to_vec();
    salt.extend_from_slice(&be_len(user));
    salt.extend_from_slice(user.as_bytes());
    let params = scrypt::Params::new(15, 8, 2).map_err(|e| e.to_string())?;
    let mut key = [0u8; 64];
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key).map_err(|e| e.to_string())?;

    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(SCOPE);
    mac.update(&be_len(site));
    mac.update(site.as_bytes());
    mac.update(&counter.to_be_bytes());
    let seed = mac.finalize().into_bytes();

    let template = templates[seed[0] as usize % templates.len()].as_bytes();
    Ok(template
        .iter()
        .enumerate()
        .map(|(i, &letter)| {
            let chars = class(letter);
            chars[seed[i + 1] as usize % chars.len()] as char
        })
        .collect())
}

fn encrypt_aes_fn(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("encryptAES", a, 2)?;
    let (password, plaintext) = (s_arg(&a[0])?, s_arg(&a[1])?);
    if plaintext.is_empty() {
        return Ok(Value::str(""));
    }
    c.charge(plaintext.len() as u64)?;
    let mut iv = [0u8; 16];
    c.crypto_rng().fill_bytes(&mut iv);
    Ok(Value::from(encrypt_aes(
        password,
        plaintext.as_bytes(),
        &iv,
    )))
}

fn decrypt_aes_fn(c: &mut FnCtx, a: &[Value]) -> FnResult {
    arity("decryptAES", a, 2)?;
    let (password, crypt64) = (s_arg(&a[0])?, s_arg(&a[1])?);
    c.charge(crypt64.len() as u64)?;
    decrypt_aes(password, crypt64)
        .map(|b| Value::from(String::from_utf8_lossy(&b).into_owned()))
        .map_err(FnErr::Call)
}

/// Sprig's AES key: the password's bytes, cut or zero-padded to 32 (AES-256).
fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    key[..n].copy_from_slice(&p[..n]);
    key
}

/// Sprig's `encryptAES`: PKCS #7 padding, AES-256-CBC, the IV in front, standard base64.
pub fn encrypt_aes(password: &str, plaintext: &[u8], iv: &[u8; 16]) -> String {
    let pad = 16 - plaintext.len() % 16;
    let mut buf = Vec::with_capacity(16 + plaintext.len() + pad);
    buf.extend_from_slice(iv);
    buf.extend_from_slice(plaintext);
    buf.resize(16 + plaintext.len() + pad, pad as u8);
    let key = aes_key(password);
    let mut enc = cbc::Encryptor::<aes::Aes256>::new(&key.into(), &(*iv).into());
    for chunk in buf[16..].chunks_exact_mut(16) {
        let mut block = [0u8; 16];
        block.copy_from_slice(chunk);
        enc.encrypt_block((&mut block).into());
        chunk.copy_from_slice(&block);
    }
    base64::engine::general_purpose::STANDARD.encode(buf)
}

/// Sprig's `decryptAES`. Sprig does not check the padding and lets Go panic on malformed
/// input; Helm reports such a panic as the call's error, and so do we, with Go's message.
pub fn decrypt_aes(password: &str, crypt64: &str) -> Result<Vec<u8>, String> {
    if crypt64.is_empty() {
        return Ok(Vec::new());
    }
    let crypt = super::encoding::go_b64_decode(crypt64)?;
    if crypt.len() < 16 {
        // Go slices the decode buffer, whose capacity is the decoded length bound.
        return Err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt64.len() / 4 * 3
        ));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err("crypto/cipher: input not full blocks".into());
    }
    let key = aes_key(password);
    let mut iv_block = [0u8; 16];
    iv_block.copy_from_slice(iv);
    let mut dec = cbc::Decryptor::<aes::Aes256>::new(&key.into(), &iv_block.into());
    let mut out = body.to_vec();
    for chunk in out.chunks_exact_mut(16) {
        let mut block = [0u8; 16];
        block.copy_from_slice(chunk);
        dec.decrypt_block((&mut block).into());
        chunk.copy_from_slice(&block);
    }
    let Some(&last) = out.last() else {
        return Err("runtime error: index out of range [-1]".into());
    };
    let keep = out.len() as i64 - i64::from(last);
    if keep < 0 {
        return Err(format!(
            "runtime error: slice bounds out of range [:{keep}]"
        ));
    }
    out.truncate(keep as usize);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_password_matches_sprig_and_master_password_vectors() {
        // Sprig's own test expectations.
        for (counter, kind, want) in [
            (1, "long", "ZedaFaxcZaso9*"),
            (2, "long", "Fovi2@JifpTupx"),
            (1, "maximum", "pf4zS1LjCg&LjhsZ7T2~"),
            (1, "medium", "ZedJuz8$"),
            (1, "basic", "pIS54PLs"),
            (1, "short", "Zed5"),
            (1, "pin", "6685"),
        ] {
            assert_eq!(
                derive_password(counter, kind, "password", "user", "example.com").as_deref(),
                Ok(want),
                "{counter} {kind}"
            );
        }
        // The Master Password reference vectors (version 3).
        let mp = |kind, user, password, site| derive_password(1, kind, password, user, site);
        assert_eq!(
            mp(
                "long",
                "Robert Lee Mitchell",
                "banana colored duckling",
                "masterpasswordapp.com"
            )
            .as_deref(),
            Ok("Jejr5[RepuSosp")
        );
        assert_eq!(
            mp(
                "maximum",
                "Robert Lee Mitchell",
                "banana colored duckling",
                "masterpasswordapp.com"
            )
            .as_deref(),
            Ok("W6@692^B1#&@gVdSdLZ@")
        );
        assert_eq!(
            mp("long", "test", "test", "masterpasswordapp.com").as_deref(),
            Ok("DolsZanoKipu3_")
        );
    }

    #[test]
    fn aes_round_trips_and_reads_sprigs_format() {
        let iv = *b"0123456789abcdef";
        for text in [
            "plaintext",
            "",
            "exactly16bytes!!",
            "ünïcödé and more than one block",
        ] {
            let enc = encrypt_aes("secretkey", text.as_bytes(), &iv);
            assert_eq!(
                decrypt_aes("secretkey", &enc).as_deref(),
                Ok(text.as_bytes())
            );
        }
        // A ciphertext laid out as Sprig writes it: IV ‖ AES-256-CBC(key = "secretkey" padded
        // with zeros to 32 bytes, PKCS #7), base64. Made independently with `openssl enc
        // -aes-256-cbc -K 7365637265746b65790000000000000000000000000000000000000000000000
        // -iv 30313233343536373839616263646566` on "plaintext", with the IV prepended.
        let sprig = "MDEyMzQ1Njc4OWFiY2RlZkytjKYrhHCd2pW6LIu3KTs=";
        assert_eq!(
            decrypt_aes("secretkey", sprig).as_deref(),
            Ok(&b"plaintext"[..])
        );
        assert_eq!(encrypt_aes("secretkey", b"plaintext", &iv), sprig);
        // A 40-byte password is cut to 32.
        let long = "k".repeat(40);
        let enc = encrypt_aes(&long, b"x", &iv);
        assert_eq!(decrypt_aes(&"k".repeat(32), &enc).as_deref(), Ok(&b"x"[..]));
    }

    #[test]
    fn aes_errors_are_gos() {
        assert_eq!(
            decrypt_aes("k", "!!!!"),
            Err("illegal base64 data at input byte 0".into())
        );
        assert_eq!(
            decrypt_aes("k", "AAAA"),
            Err("runtime error: slice bounds out of range [:16] with capacity 3".into())
        );
        let seventeen = base64::engine::general_purpose::STANDARD.encode([0u8; 17]);
        assert_eq!(
            decrypt_aes("k", &seventeen),
            Err("crypto/cipher: input not full blocks".into())
        );
        let sixteen = base64::engine::general_purpose::STANDARD.encode([0u8; 16]);
        assert_eq!(
            decrypt_aes("k", &sixteen),
            Err("runtime error: index out of range [-1]".into())
        );
        assert_eq!(decrypt_aes("k", ""), Ok(Vec::new()));
    }
}
