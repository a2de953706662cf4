//! Characters that make text look other than it is: bidirectional
//! controls (which reorder what is displayed: `moc.elgoog@` shown as
//! `google.com`) and invisible format characters (zero-width spaces and
//! joiners, which make two different strings look the same).

/// Bidirectional controls: the marks (ALM, LRM, RLM), the embeddings and
/// overrides (LRE, RLE, PDF, LRO, RLO) and the isolates (LRI, RLI, FSI,
/// PDI).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that are invisible or only format text: the bidi controls,
/// zero-width spaces and joiners, word joiners and invisible operators,
/// the soft hyphen, the byte-order mark, variation selectors, Hangul
/// fillers and tag characters.
pub fn is_invisible(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_and_zero_widths_are_caught() {
        for c in ['\u{202E}', '\u{2066}', '\u{200F}', '\u{061C}'] {
            assert!(is_bidi_control(c), "{c:?}");
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['\u{200B}', '\u{200D}', '\u{FEFF}', '\u{00AD}', '\u{2060}'] {
            assert!(!is_bidi_control(c), "{c:?}");
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', 'é', 'ß', '日', '\u{1F600}'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }
}
