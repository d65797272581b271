//! Characters that have no place in text people read as a label.
//!
//! An integration's name is how an owner tells one integration from another
//! when granting or revoking access. Control characters, text-direction
//! overrides and invisible characters let two different names look the same
//! (or one look like another), so such names are refused, not cleaned up.

/// The first character of `s` that a one-line label must not contain:
/// controls (C0, DEL, C1), and characters that are invisible or reorder the
/// text around them (zero-width, bidi embeddings, overrides and isolates,
/// byte-order mark, soft hyphen, fillers, tags, ...).
pub fn forbidden_in_label(s: &str) -> Option<char> {
    s.chars().find(|&c| is_control(c) || is_invisible(c))
}

fn is_control(c: char) -> bool {
    c.is_control()
}

/// Format characters (Unicode category Cf) and the fillers that render as
/// nothing, as a list: they are few and rarely change. Variation selectors
/// stay allowed: emoji need them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'              // soft hyphen
        | '\u{034F}'            // combining grapheme joiner
        | '\u{061C}'            // Arabic letter mark
        | '\u{115F}' | '\u{1160}' // Hangul fillers
        | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels
        | '\u{180E}'            // Mongolian vowel separator
        | '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
        | '\u{2028}'..='\u{202E}' // line/paragraph separators, bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates, deprecated formats
        | '\u{3164}'            // Hangul filler
        | '\u{FEFF}'            // byte-order mark, zero-width no-break space
        | '\u{FFA0}'            // halfwidth Hangul filler
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}' // musical symbol formats
        | '\u{E0000}'..='\u{E0FFF}' // tags and variation selectors supplement
    )
}

#[cfg(test)]
mod tests {
    use super::forbidden_in_label;

    #[test]
    fn ordinary_names_in_any_script_pass() {
        for name in [
            "CRM sync",
            "Zapier – Leads (EU)",
            "Ünïcödé & Co.",
            "東京オフィス",
            "مزامنة",
            "Émoji 🚀 deploys",
            "Heart \u{2764}\u{FE0F}",
            "a-b_c.d/e:f",
        ] {
            assert_eq!(forbidden_in_label(name), None, "{name}");
        }
    }

    #[test]
    fn controls_are_refused() {
        for c in [
            '\0', '\t', '\n', '\r', '\u{1B}', '\u{7F}', '\u{80}', '\u{85}', '\u{9F}',
        ] {
            let name = format!("CRM{c}sync");
            assert_eq!(forbidden_in_label(&name), Some(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn invisible_and_direction_changing_characters_are_refused() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}', // zero-width, marks
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}', // embeddings, overrides
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}', // isolates
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{061C}',
            '\u{3164}',
            '\u{E0041}',
        ] {
            let name = format!("pay{c}roll");
            assert_eq!(forbidden_in_label(&name), Some(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_first_offending_character_is_named() {
        assert_eq!(forbidden_in_label("a\u{202E}b\u{0}"), Some('\u{202E}'));
    }
}
