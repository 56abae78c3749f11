//! Submission reference numbers such as `CFI-7K3Q-9M2X`.
//!
//! Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, and
//! no U), so a reference can be read out over the phone or copied by hand:
//! 30^8 ≈ 6.6 × 10^11 values.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The characters a reference uses.
pub const ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
const PREFIX: &str = "CFI";
const BODY_LEN: usize = 8;

/// A well-formed reference. The only ways to get one are [`Reference::from_random`]
/// and [`Reference::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(String);

/// A string that is not a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidReference;

impl fmt::Display for InvalidReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a reference looks like CFI-7K3Q-9M2X")
    }
}

impl std::error::Error for InvalidReference {}

impl Reference {
    /// Builds a reference from random bits (the caller supplies randomness, so
    /// this crate needs no random number generator).
    pub fn from_random(mut bits: u64) -> Self {
        let mut body = [0u8; BODY_LEN];
        for slot in &mut body {
            let index = usize::try_from(bits % 30).unwrap_or_default();
            *slot = ALPHABET[index];
            bits /= 30;
        }
        Self::from_body(&body)
    }

    fn from_body(body: &[u8; BODY_LEN]) -> Self {
        let text: String = body.iter().map(|&b| char::from(b)).collect();
        Self(format!("{PREFIX}-{}-{}", &text[..4], &text[4..]))
    }

    /// Reads a reference as a person might type it: any case, with or without
    /// the `CFI` prefix and hyphens, with spaces around.
    pub fn parse(input: &str) -> Result<Self, InvalidReference> {
        let upper: String = input
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let body = upper.strip_prefix(PREFIX).unwrap_or(&upper);
        let bytes: [u8; BODY_LEN] = body.as_bytes().try_into().map_err(|_| InvalidReference)?;
        if bytes.iter().all(|b| ALPHABET.contains(b)) {
            Ok(Self::from_body(&bytes))
        } else {
            Err(InvalidReference)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn has_the_documented_shape() {
        let r = Reference::from_random(0x0123_4567_89ab_cdef);
        let s = r.as_str();
        assert_eq!(s.len(), 13);
        assert!(s.starts_with("CFI-"));
        assert_eq!(&s[8..9], "-");
    }

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in b"01ILOU" {
            assert!(!ALPHABET.contains(c));
        }
    }

    #[test]
    fn parses_what_people_type() {
        let r = Reference::parse("CFI-7K3Q-9M2X").expect("valid");
        assert_eq!(Reference::parse(" cfi 7k3q 9m2x ").expect("valid"), r);
        assert_eq!(Reference::parse("7K3Q9M2X").expect("valid"), r);
        assert!(Reference::parse("CFI-7K3Q-9M2O").is_err());
        assert!(Reference::parse("CFI-7K3Q").is_err());
        assert!(Reference::parse("").is_err());
    }

    proptest! {
        #[test]
        fn every_generated_reference_parses_back(bits in any::<u64>()) {
            let r = Reference::from_random(bits);
            prop_assert_eq!(Reference::parse(r.as_str()), Ok(r.clone()));
        }

        #[test]
        fn parse_never_panics(text in any::<String>()) {
            let _ = Reference::parse(&text);
        }
    }
}
