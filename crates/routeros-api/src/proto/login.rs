//! The legacy (RouterOS before 6.43) challenge login, for a client and a server alike.

/// The `=response=` of the legacy (RouterOS < 6.43) challenge login.
///
/// The router answers a `/login` with `!done =ret=CHALLENGE` (hexadecimal); the client then
/// sends `/login =name=USER =response=RESPONSE` where RESPONSE is `"00"` followed by the
/// hexadecimal MD5 of a zero byte, the password and the challenge bytes. A server checks a
/// response by computing the same value. `None` if the challenge is not hexadecimal.
///
/// ```
/// let response = routeros_api::proto::legacy_login_response("", "00000000000000000000000000000000").unwrap();
/// assert_eq!(response.len(), 34);
/// assert!(response.starts_with("00"));
/// ```
#[must_use]
pub fn legacy_login_response(password: &str, challenge_hex: &str) -> Option<String> {
    use md5::{Digest, Md5};
    let challenge = hex::decode(challenge_hex.trim()).ok()?;
    let mut md5 = Md5::new();
    md5.update([0u8]);
    md5.update(password.as_bytes());
    md5.update(&challenge);
    Some(format!("00{}", hex::encode(md5.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_login_vector() {
        // "00" + md5(0x00 "secret" challenge), computed independently (Python hashlib).
        assert_eq!(
            legacy_login_response("secret", "0123456789abcdef0123456789abcdef").as_deref(),
            Some("00ebbe7c3df6b3d902bfd1f355c6e63289")
        );
        assert_eq!(legacy_login_response("x", "zz"), None);
    }
}
