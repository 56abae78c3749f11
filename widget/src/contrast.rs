//! Brand colours with text contrast kept at WCAG 2.2 AA.
//!
//! A partner gives any CSS colour in `data-accent`. The widget uses it in two
//! ways, and both must stay readable whatever was given:
//!
//! - as the background of buttons, with white or black text, whichever
//!   contrasts more (one of the two always reaches 4.5:1);
//! - as the colour of links, headings' rules and focus borders on the white
//!   form background and its light grey panels: the colour is darkened until
//!   it reaches 4.5:1 on both.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// AA contrast for normal text.
pub const AA_TEXT: f64 = 4.5;

pub const WHITE: Rgb = Rgb(255, 255, 255);
/// The light grey panels (saved-on-device box, secondary buttons) links also
/// sit on: links are made readable on it, and so on white too.
pub const LIGHT_GREY: Rgb = Rgb(243, 242, 241);
pub const BLACK: Rgb = Rgb(11, 12, 12);
/// The GOV.UK button green, used when no accent (or an unreadable one) is given.
pub const DEFAULT_ACCENT: Rgb = Rgb(0, 112, 60);
/// The GOV.UK link blue.
pub const DEFAULT_LINK: Rgb = Rgb(29, 112, 184);

/// A handful of CSS colour names partners are likely to type; anything else
/// should be given as hex or `rgb()`.
const NAMED: &[(&str, Rgb)] = &[
    ("black", Rgb(0, 0, 0)),
    ("white", Rgb(255, 255, 255)),
    ("red", Rgb(255, 0, 0)),
    ("green", Rgb(0, 128, 0)),
    ("blue", Rgb(0, 0, 255)),
    ("navy", Rgb(0, 0, 128)),
    ("teal", Rgb(0, 128, 128)),
    ("purple", Rgb(128, 0, 128)),
    ("maroon", Rgb(128, 0, 0)),
    ("orange", Rgb(255, 165, 0)),
    ("yellow", Rgb(255, 255, 0)),
    ("pink", Rgb(255, 192, 203)),
    ("gray", Rgb(128, 128, 128)),
    ("grey", Rgb(128, 128, 128)),
];

impl Rgb {
    /// `#rrggbb`, for CSS.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance as WCAG defines it.
    pub fn luminance(self) -> f64 {
        fn channel(c: u8) -> f64 {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// Mixes towards black: `keep` of 1.0 is unchanged, 0.0 is black.
    fn darken(self, keep: f64) -> Rgb {
        let f = |c: u8| (f64::from(c) * keep).round().clamp(0.0, 255.0) as u8;
        Rgb(f(self.0), f(self.1), f(self.2))
    }
}

/// The WCAG contrast ratio of two colours, from 1 to 21.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// Reads a CSS colour: `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa` (alpha is
/// ignored), `rgb(r, g, b)` / `rgb(r g b)` / `rgba(...)`, or a common name.
pub fn parse_colour(text: &str) -> Option<Rgb> {
    let text = text.trim().to_ascii_lowercase();
    if let Some(hex) = text.strip_prefix('#') {
        let digit = |i: usize| u8::from_str_radix(hex.get(i..=i)?, 16).ok();
        let pair = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        return match hex.len() {
            3 | 4 => Some(Rgb(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 | 8 => Some(Rgb(pair(0)?, pair(2)?, pair(4)?)),
            _ => None,
        };
    }
    let inner = text
        .strip_prefix("rgba(")
        .or_else(|| text.strip_prefix("rgb("))
        .and_then(|rest| rest.strip_suffix(')'));
    if let Some(inner) = inner {
        let inner = inner.split('/').next().unwrap_or_default();
        let mut parts = inner
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<u8>().ok());
        let r = parts.next()??;
        let g = parts.next()??;
        let b = parts.next()??;
        return Some(Rgb(r, g, b));
    }
    NAMED
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, c)| *c)
}

/// The colours the widget paints with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Button background.
    pub accent: Rgb,
    /// Text on the button background.
    pub on_accent: Rgb,
    /// Links and accent borders on the white and light grey backgrounds.
    pub link: Rgb,
}

impl Theme {
    /// The theme for a partner's `data-accent` (or the default without one).
    pub fn from_accent(accent: Option<&str>) -> Theme {
        let Some(accent) = accent.and_then(parse_colour) else {
            return Theme {
                accent: DEFAULT_ACCENT,
                on_accent: WHITE,
                link: DEFAULT_LINK,
            };
        };
        let link = readable_on(accent, LIGHT_GREY);
        let (accent, on_accent) = if contrast(accent, WHITE) >= contrast(accent, BLACK) {
            (link, WHITE)
        } else if contrast(accent, BLACK) >= AA_TEXT {
            (accent, BLACK)
        } else {
            // Mid-tones where neither text colour reaches AA: the button
            // takes the darkened colour with white text.
            (link, WHITE)
        };
        Theme {
            accent,
            on_accent,
            link,
        }
    }

    /// The CSS custom properties the stylesheet paints with. They are set
    /// through the CSSOM (not a `style` attribute), which a host page's
    /// Content Security Policy allows without `'unsafe-inline'`.
    pub fn css_variables(&self) -> [(&'static str, String); 3] {
        [
            ("--cfi-accent", self.accent.hex()),
            ("--cfi-on-accent", self.on_accent.hex()),
            ("--cfi-link", self.link.hex()),
        ]
    }
}

/// `colour`, darkened just enough to reach AA text contrast on `background`.
pub fn readable_on(colour: Rgb, background: Rgb) -> Rgb {
    let mut keep: f64 = 1.0;
    let mut c = colour;
    while contrast(c, background) < AA_TEXT && keep > 0.0 {
        keep -= 0.02;
        c = colour.darken(keep.max(0.0));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_known_values() {
        assert!((contrast(Rgb(0, 0, 0), WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(WHITE, WHITE) - 1.0).abs() < 0.001);
        // GOV.UK link blue on white is 5.17:1.
        assert!((contrast(DEFAULT_LINK, WHITE) - 5.17).abs() < 0.02);
    }

    #[test]
    fn parses_the_colour_syntaxes_partners_use() {
        assert_eq!(parse_colour("#E4003B"), Some(Rgb(0xe4, 0, 0x3b)));
        assert_eq!(parse_colour(" #0f0 "), Some(Rgb(0, 255, 0)));
        assert_eq!(parse_colour("#11223380"), Some(Rgb(0x11, 0x22, 0x33)));
        assert_eq!(parse_colour("rgb(10, 20, 30)"), Some(Rgb(10, 20, 30)));
        assert_eq!(parse_colour("rgb(10 20 30 / 50%)"), Some(Rgb(10, 20, 30)));
        assert_eq!(parse_colour("Navy"), Some(Rgb(0, 0, 128)));
        for bad in [
            "",
            "#12",
            "#ggg",
            "rgb(300,0,0)",
            "hsl(0 0% 0%)",
            "chartreuse",
        ] {
            assert_eq!(parse_colour(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_accent_keeps_aa_text_contrast() {
        let mut samples = vec![Some("#ffff00"), Some("#ffffff"), Some("#000000"), None];
        let owned: Vec<String> = (0..=255u32)
            .step_by(15)
            .flat_map(|r| {
                (0..=255u32)
                    .step_by(51)
                    .flat_map(move |g| (0..=255u32).step_by(85).map(move |b| (r, g, b)))
            })
            .map(|(r, g, b)| format!("rgb({r},{g},{b})"))
            .collect();
        samples.extend(owned.iter().map(|s| Some(s.as_str())));
        for accent in samples {
            let t = Theme::from_accent(accent);
            assert!(
                contrast(t.on_accent, t.accent) >= AA_TEXT,
                "{accent:?} button text {:?} on {:?}",
                t.on_accent,
                t.accent
            );
            for background in [WHITE, LIGHT_GREY] {
                assert!(
                    contrast(t.link, background) >= AA_TEXT,
                    "{accent:?} link {:?} on {background:?}",
                    t.link
                );
            }
        }
    }

    #[test]
    fn readable_accents_are_kept_as_given() {
        let t = Theme::from_accent(Some("#005ea5"));
        assert_eq!(t.accent, Rgb(0, 0x5e, 0xa5));
        assert_eq!(t.link, Rgb(0, 0x5e, 0xa5));
        assert_eq!(t.on_accent, WHITE);
        let light = Theme::from_accent(Some("#ffdd00"));
        assert_eq!(light.on_accent, BLACK);
        assert_ne!(light.link, light.accent);
    }

    #[test]
    fn unreadable_or_missing_accents_fall_back_to_the_defaults() {
        let t = Theme::from_accent(Some("not a colour"));
        assert_eq!(t.accent, DEFAULT_ACCENT);
        assert_eq!(
            t.css_variables(),
            [
                ("--cfi-accent", "#00703c".to_owned()),
                ("--cfi-on-accent", "#ffffff".to_owned()),
                ("--cfi-link", "#1d70b8".to_owned()),
            ]
        );
    }
}
