//! Digest authentication on the server side (RFC 3261 §22, RFC 8760 for SHA-256).
//!
//! rsipstack's own verifier only knows the algorithm token `SHA256`, while RFC 8760 clients
//! send `SHA-256`, so the registrar parses and checks credentials here. Nonces are stateless:
//! a timestamp signed with a per-process secret, so the server keeps no table that a flood of
//! unauthenticated requests could grow, and an old nonce is recognised as stale (RFC 2617).

use md5::Md5;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;

/// The digest algorithms the PBX offers and accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn token(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    fn parse(token: &str) -> Option<Algorithm> {
        match token.to_ascii_uppercase().as_str() {
            "MD5" => Some(Algorithm::Md5),
            "SHA-256" | "SHA256" => Some(Algorithm::Sha256),
            _ => None,
        }
    }

    fn hash(self, input: &str) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(input.as_bytes())),
            Algorithm::Sha256 => hex::encode(Sha256::digest(input.as_bytes())),
        }
    }
}

/// The result of checking a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are right for this user.
    Valid,
    /// No credentials for our realm: challenge.
    Missing,
    /// Right password but an expired nonce: challenge again with `stale=true`,
    /// so the phone retries silently instead of asking its user for a password.
    Stale,
    /// Wrong password, wrong user or a forged nonce.
    Invalid(&'static str),
}

/// Issues and checks nonces and credentials for one realm.
pub struct DigestAuth {
    realm: String,
    secret: [u8; 32],
    nonce_ttl: Duration,
    offer_sha256: bool,
}

/// The parsed parameters of an `Authorization`/`Proxy-Authorization` header.
#[derive(Debug, Default)]
pub struct Credentials {
    params: HashMap<String, String>,
}

impl Credentials {
    /// Parses `Digest username="101", realm=..., ...`; `None` for another scheme or garbage.
    pub fn parse(header: &str) -> Option<Credentials> {
        let rest = header.trim();
        let (scheme, rest) = rest.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let mut params = HashMap::new();
        let mut chars = rest.trim();
        while !chars.is_empty() {
            let (name, after) = chars.split_once('=')?;
            let name = name
                .trim()
                .trim_start_matches(',')
                .trim()
                .to_ascii_lowercase();
            let after = after.trim_start();
            let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted.find('"')?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            };
            params.insert(name, value.to_string());
            chars = remaining.trim_start().trim_start_matches(',').trim_start();
        }
        Some(Credentials { params })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The user name the client claims, before it is verified.
    pub fn username(&self) -> Option<&str> {
        self.get("username")
    }

    /// The realm the credentials were computed for.
    pub fn realm(&self) -> Option<&str> {
        self.get("realm")
    }
}

impl DigestAuth {
    pub fn new(realm: &str, nonce_ttl: Duration) -> Self {
        DigestAuth {
            realm: realm.to_string(),
            secret: rand::random(),
            nonce_ttl,
            offer_sha256: false,
        }
    }

    /// Also challenge with SHA-256 (RFC 8760). Off by default: some phones (baresip 1.0 among
    /// them) give up on a challenge list that contains an algorithm they do not know instead
    /// of answering the MD5 one. SHA-256 credentials are accepted either way.
    pub fn offering_sha256(mut self, offer: bool) -> Self {
        self.offer_sha256 = offer;
        self
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// A fresh nonce for a challenge issued at `now_secs` (Unix seconds).
    pub fn nonce(&self, now_secs: u64) -> String {
        format!("{now_secs:x}.{}", self.sign(now_secs))
    }

    fn sign(&self, issued: u64) -> String {
        let mut mac = Sha256::new();
        mac.update(self.secret);
        mac.update(issued.to_be_bytes());
        mac.update(self.realm.as_bytes());
        hex::encode(&mac.finalize()[..16])
    }

    /// `Some(true)` for a nonce we issued that is still fresh, `Some(false)` for ours but
    /// expired, `None` for one we never issued.
    fn nonce_fresh(&self, nonce: &str, now_secs: u64) -> Option<bool> {
        let (stamp, mac) = nonce.split_once('.')?;
        let issued = u64::from_str_radix(stamp, 16).ok()?;
        if self.sign(issued) != mac {
            return None;
        }
        Some(now_secs.saturating_sub(issued) <= self.nonce_ttl.as_secs())
    }

    /// The challenge header values: MD5, then SHA-256 when offered. MD5 comes first because
    /// many phones take the first challenge they see and every phone knows MD5; RFC 8760
    /// clients pick SHA-256 from the second.
    pub fn challenges(&self, now_secs: u64, stale: bool) -> Vec<String> {
        let nonce = self.nonce(now_secs);
        let algorithms: &[Algorithm] = if self.offer_sha256 {
            &[Algorithm::Md5, Algorithm::Sha256]
        } else {
            &[Algorithm::Md5]
        };
        algorithms
            .iter()
            .map(|alg| {
                let mut value = format!(
                    "Digest realm=\"{}\", nonce=\"{}\", algorithm={}, qop=\"auth\"",
                    self.realm,
                    nonce,
                    alg.token()
                );
                if stale {
                    value.push_str(", stale=true");
                }
                value
            })
            .collect()
    }

    /// Checks credentials for `method` against the expected user and password.
    pub fn verify(
        &self,
        creds: &Credentials,
        method: &str,
        user: &str,
        password: &str,
        now_secs: u64,
    ) -> Verdict {
        if creds.realm() != Some(self.realm.as_str()) {
            return Verdict::Missing;
        }
        if creds.username() != Some(user) {
            return Verdict::Invalid("user name does not match");
        }
        let (Some(nonce), Some(uri), Some(response)) =
            (creds.get("nonce"), creds.get("uri"), creds.get("response"))
        else {
            return Verdict::Invalid("incomplete credentials");
        };
        let algorithm = match creds.get("algorithm") {
            None => Algorithm::Md5,
            Some(token) => match Algorithm::parse(token) {
                Some(alg) => alg,
                None => return Verdict::Invalid("unsupported algorithm"),
            },
        };
        let fresh = match self.nonce_fresh(nonce, now_secs) {
            Some(fresh) => fresh,
            None => return Verdict::Invalid("unknown nonce"),
        };
        let ha1 = algorithm.hash(&format!("{user}:{}:{password}", self.realm));
        let ha2 = algorithm.hash(&format!("{method}:{uri}"));
        let expected = match creds.get("qop") {
            Some(qop) if qop.eq_ignore_ascii_case("auth") => {
                let (Some(nc), Some(cnonce)) = (creds.get("nc"), creds.get("cnonce")) else {
                    return Verdict::Invalid("qop without nc or cnonce");
                };
                algorithm.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
            }
            Some(_) => return Verdict::Invalid("unsupported qop"),
            None => algorithm.hash(&format!("{ha1}:{nonce}:{ha2}")),
        };
        if !expected.eq_ignore_ascii_case(response) {
            return Verdict::Invalid("wrong password");
        }
        if fresh {
            Verdict::Valid
        } else {
            Verdict::Stale
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn answer(auth: &DigestAuth, alg: Algorithm, password: &str, nonce: &str, qop: bool) -> String {
        let ha1 = alg.hash(&format!("101:{}:{password}", auth.realm()));
        let ha2 = alg.hash("REGISTER:sip:switchboard.local");
        if qop {
            let response = alg.hash(&format!("{ha1}:{nonce}:00000001:abc:auth:{ha2}"));
            format!(
                "Digest username=\"101\", realm=\"{}\", nonce=\"{nonce}\", uri=\"sip:switchboard.local\", response=\"{response}\", algorithm={}, qop=auth, nc=00000001, cnonce=\"abc\"",
                auth.realm(),
                alg.token()
            )
        } else {
            let response = alg.hash(&format!("{ha1}:{nonce}:{ha2}"));
            format!(
                "Digest username=\"101\",realm=\"{}\",nonce=\"{nonce}\",uri=\"sip:switchboard.local\",response=\"{response}\"",
                auth.realm()
            )
        }
    }

    fn check(auth: &DigestAuth, header: &str, password: &str, now: u64) -> Verdict {
        let creds = Credentials::parse(header).expect("parses");
        auth.verify(&creds, "REGISTER", "101", password, now)
    }

    #[test]
    fn md5_without_qop_and_with_qop() {
        let auth = DigestAuth::new("switchboard.local", Duration::from_secs(300));
        let nonce = auth.nonce(NOW);
        for qop in [false, true] {
            let header = answer(&auth, Algorithm::Md5, "demo101", &nonce, qop);
            assert_eq!(check(&auth, &header, "demo101", NOW), Verdict::Valid);
        }
    }

    #[test]
    fn sha256() {
        let auth = DigestAuth::new("switchboard.local", Duration::from_secs(300));
        let nonce = auth.nonce(NOW);
        let header = answer(&auth, Algorithm::Sha256, "demo101", &nonce, true);
        assert_eq!(check(&auth, &header, "demo101", NOW), Verdict::Valid);
    }

    #[test]
    fn wrong_password_is_invalid() {
        let auth = DigestAuth::new("switchboard.local", Duration::from_secs(300));
        let nonce = auth.nonce(NOW);
        let header = answer(&auth, Algorithm::Md5, "guess", &nonce, true);
        assert_eq!(
            check(&auth, &header, "demo101", NOW),
            Verdict::Invalid("wrong password")
        );
    }

    #[test]
    fn expired_nonce_is_stale_and_forged_is_invalid() {
        let auth = DigestAuth::new("switchboard.local", Duration::from_secs(300));
        let nonce = auth.nonce(NOW);
        let header = answer(&auth, Algorithm::Md5, "demo101", &nonce, true);
        assert_eq!(check(&auth, &header, "demo101", NOW + 301), Verdict::Stale);
        let other = DigestAuth::new("switchboard.local", Duration::from_secs(300));
        let forged = answer(&other, Algorithm::Md5, "demo101", &other.nonce(NOW), true);
        assert_eq!(
            check(&auth, &forged, "demo101", NOW),
            Verdict::Invalid("unknown nonce")
        );
    }

    #[test]
    fn other_realm_is_missing_and_garbage_does_not_parse() {
        let auth = DigestAuth::new("switchboard.local", Duration::from_secs(300));
        let header =
            "Digest username=\"101\", realm=\"elsewhere\", nonce=\"x\", uri=\"u\", response=\"r\"";
        assert_eq!(check(&auth, header, "demo101", NOW), Verdict::Missing);
        assert!(Credentials::parse("Basic dXNlcg==").is_none());
        assert!(Credentials::parse("Digest username=\"unterminated").is_none());
        assert!(Credentials::parse("").is_none());
    }

    #[test]
    fn challenges_offer_md5_only_by_default() {
        let auth = DigestAuth::new("switchboard.local", Duration::from_secs(300));
        let challenges = auth.challenges(NOW, false);
        assert_eq!(challenges.len(), 1);
        assert!(challenges[0].contains("algorithm=MD5"));
    }

    #[test]
    fn challenges_offer_md5_then_sha256() {
        let auth =
            DigestAuth::new("switchboard.local", Duration::from_secs(300)).offering_sha256(true);
        let challenges = auth.challenges(NOW, true);
        assert!(challenges[0].contains("algorithm=MD5"));
        assert!(challenges[1].contains("algorithm=SHA-256"));
        assert!(challenges.iter().all(|c| c.ends_with("stale=true")));
    }
}
