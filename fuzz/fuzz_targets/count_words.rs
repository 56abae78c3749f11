//! Word counting never panics, never counts more words than visible
//! characters, and is additive across white space.
#![no_main]

use cfi_rules::count_words;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: (String, String)| {
    let (a, b) = data;
    let visible = a.chars().filter(|c| !c.is_whitespace()).count();
    assert!(count_words(&a) <= visible);
    assert_eq!(count_words(&format!("{a} {b}")), count_words(&a) + count_words(&b));
    assert_eq!(count_words(&format!("\n{a}\t")), count_words(&a));
});
