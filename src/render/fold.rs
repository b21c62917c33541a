//! Parses a template with its text folded away: the same template, several times faster.
//!
//! tera's parser costs about a thousand instructions for every byte of a template, tags and
//! text alike: its `text` rule tries the three tag openings (`{{`, `{%`, `{#`) at each byte,
//! through pest's call and stack guards. A bundle's templates are mostly text (a Helm chart, a
//! pipeline, a README with a name or two in them), so most of `new`'s CPU was tera reading text
//! it hands back untouched (issue #16: 41% at 1,000 files, half of rust-service's `new`).
//!
//! So the inside of each long text run (what is between its leading and trailing whitespace,
//! which `{%-` and `-%}` may trim) is replaced, before the parse, by a short placeholder, and
//! put back into the parsed template's text nodes after it ([`parse`]). The placeholder keeps
//! the run's line breaks, so tags keep their lines.
//!
//! Where the folded parse could differ from tera's own, it is not used: the template is parsed
//! again as written. That is when the folded source does not parse (its error is then tera's own,
//! with the right line), when any placeholder is not found exactly once in a text node (a run
//! this scan took for text that tera reads as part of a tag, a comment or a raw block), or when
//! the template holds the placeholder's mark itself.

use crate::sandbox::limits::{find, tag_word};
use tera::ast::Node;

/// Starts and ends a placeholder: a private-use character, which is neither whitespace nor part
/// of a tag opening, so tera reads a placeholder as text and never trims into it.
const MARK: char = '\u{E000}';

/// Runs shorter than this are left as they are: a placeholder is 7 bytes and more (two marks,
/// the index, the line breaks).
const MIN_RUN: usize = 24;

/// `text` parsed as `tera::Template::new(name, None, text)` parses it, with its long text runs
/// folded (see the module's documentation).
pub fn parse(name: &str, text: &str) -> tera::Result<tera::Template> {
    if let Some((folded, runs)) = fold(text) {
        if let Ok(mut template) = tera::Template::new(name, None, &folded) {
            if unfold(&mut template, &runs) {
                return Ok(template);
            }
        }
    }
    tera::Template::new(name, None, text)
}

/// Whether [`parse`] makes of `text` what tera makes of it unfolded: the same tree (and blocks
/// and macros), or the same error. For the fuzz harness and the tests.
pub fn agrees(text: &str) -> bool {
    match (tera::Template::new("t", None, text), parse("t", text)) {
        (Ok(plain), Ok(folded)) => {
            let sorted = |t: &tera::Template| {
                format!(
                    "{:?}",
                    t.blocks
                        .iter()
                        .collect::<std::collections::BTreeMap<_, _>>()
                )
            };
            plain.ast == folded.ast
                && plain.macros == folded.macros
                && plain.parent == folded.parent
                && sorted(&plain) == sorted(&folded)
        }
        (Err(plain), Err(folded)) => {
            crate::sandbox::message(&plain) == crate::sandbox::message(&folded)
        }
        _ => false,
    }
}

/// `text` with the inside of each long text run replaced by `MARK <index> <its line breaks>
/// MARK`, and the insides in order; `None` when there is nothing worth folding, or when `text`
/// holds `MARK`.
fn fold(text: &str) -> Option<(String, Vec<&str>)> {
    if text.len() < MIN_RUN || text.contains(MARK) {
        return None;
    }
    let b = text.as_bytes();
    let mut folded = String::with_capacity(text.len() / 4);
    let mut runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = next_opening(b, i).unwrap_or(b.len());
        fold_run(&text[i..start], &mut folded, &mut runs);
        if start == b.len() {
            break;
        }
        let end = end_of_tag(b, start);
        folded.push_str(&text[start..end]);
        i = end;
    }
    (!runs.is_empty()).then_some((folded, runs))
}

/// Where the next `{{`, `{%` or `{#` at or after `from` starts: where tera's text ends.
fn next_opening(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(p) = b[i..].iter().position(|&c| c == b'{') {
        let at = i + p;
        if matches!(b.get(at + 1), Some(b'{' | b'%' | b'#')) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Where the tag, comment or raw block opening at `start` ends (just after it), skipping quoted
/// strings inside a tag as tera does (its strings have no escapes).
fn end_of_tag(b: &[u8], start: usize) -> usize {
    let close: &[u8] = match b[start + 1] {
        b'#' => return find(b, start + 2, b"#}").map_or(b.len(), |at| at + 2),
        b'{' => b"}}",
        _ => b"%}",
    };
    let mut i = start + 2;
    while i < b.len() && !b[i..].starts_with(close) {
        if let q @ (b'"' | b'\'' | b'`') = b[i] {
            i = b[i + 1..]
                .iter()
                .position(|&c| c == q)
                .map_or(b.len(), |p| i + 1 + p);
        }
        i += 1;
    }
    // An unclosed string runs to the end.
    let i = i.min(b.len());
    let end = (i + close.len()).min(b.len());
    if close == b"%}" && tag_word(b, start + 2) == b"raw" {
        // A raw block is text to tera, taken as it is, up to its first `endraw` tag.
        let mut at = end;
        while let Some(open) = find(b, at, b"{%") {
            let close = find(b, open + 2, b"%}").unwrap_or(b.len());
            if tag_word(b, open + 2) == b"endraw" {
                return (close + 2).min(b.len());
            }
            at = open + 2;
        }
        return b.len();
    }
    end
}

/// Appends `run` to `folded`, its inside replaced by a placeholder when it is long enough.
fn fold_run<'a>(run: &'a str, folded: &mut String, runs: &mut Vec<&'a str>) {
    let inside = run.trim_matches(char::is_whitespace);
    if inside.len() < MIN_RUN {
        folded.push_str(run);
        return;
    }
    // The same trim tera makes (`trim_start`, `trim_end`): what it may remove stays outside.
    let lead = run.len() - run.trim_start().len();
    folded.push_str(&run[..lead]);
    folded.push(MARK);
    folded.push_str(&runs.len().to_string());
    folded.extend(std::iter::repeat_n('\n', bytecount(inside, b'\n')));
    folded.push(MARK);
    folded.push_str(&run[lead + inside.len()..]);
    runs.push(inside);
}

fn bytecount(s: &str, byte: u8) -> usize {
    s.bytes().filter(|&c| c == byte).count()
}

/// Puts `runs` back in place of their placeholders in every text node of `template`. `false`
/// when a placeholder is not in the template's text exactly once: the folded parse is not the
/// template's then.
fn unfold(template: &mut tera::Template, runs: &[&str]) -> bool {
    let mut found = vec![0u32; runs.len()];
    let mut sound = true;
    each_text(&mut template.ast, &mut |s| {
        sound &= replace(s, runs, Some(&mut found));
    });
    if !sound || found.iter().any(|&n| n != 1) {
        return false;
    }
    // Blocks and macros are also kept apart from the tree, as copies of its nodes.
    for m in template.macros.values_mut() {
        each_text(&mut m.body, &mut |s| sound &= replace(s, runs, None));
    }
    for b in template.blocks.values_mut() {
        each_text(&mut b.body, &mut |s| sound &= replace(s, runs, None));
    }
    for defs in template.blocks_definitions.values_mut() {
        for (_, b) in defs {
            each_text(&mut b.body, &mut |s| sound &= replace(s, runs, None));
        }
    }
    sound
}

/// Calls `f` on every text node in `nodes` and in the bodies inside them.
fn each_text(nodes: &mut [Node], f: &mut impl FnMut(&mut String)) {
    for node in nodes {
        match node {
            Node::Text(s) => f(s),
            Node::Forloop(_, l, _) => {
                each_text(&mut l.body, f);
                if let Some(empty) = &mut l.empty_body {
                    each_text(empty, f);
                }
            }
            Node::If(i, _) => {
                for (_, _, body) in &mut i.conditions {
                    each_text(body, f);
                }
                if let Some((_, body)) = &mut i.otherwise {
                    each_text(body, f);
                }
            }
            Node::Block(_, b, _) => each_text(&mut b.body, f),
            Node::FilterSection(_, s, _) => each_text(&mut s.body, f),
            Node::MacroDefinition(_, m, _) => each_text(&mut m.body, f),
            _ => {}
        }
    }
}

/// Replaces the placeholders in `s` by their runs, counting each in `found`. `false` when `s`
/// holds a mark that is not a whole placeholder of `runs`.
fn replace(s: &mut String, runs: &[&str], mut found: Option<&mut Vec<u32>>) -> bool {
    if !s.contains(MARK) {
        return true;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len_utf8()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let Some(run) = after[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| Some((n, *runs.get(n)?)))
        else {
            return false;
        };
        let breaks = bytecount(run.1, b'\n');
        let tail = &after[digits..];
        let Some(next) = tail
            .strip_prefix(&"\n".repeat(breaks)[..])
            .and_then(|t| t.strip_prefix(MARK))
        else {
            return false;
        };
        if let Some(found) = found.as_deref_mut() {
            found[run.0] += 1;
        }
        out.push_str(run.1);
        rest = next;
    }
    out.push_str(rest);
    *s = out;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_same(text: &str) {
        assert!(agrees(text), "{text:?}");
    }

    const LONG: &str = "a line of text long enough to fold, with } and { in it";

    #[test]
    fn folded_templates_parse_to_the_same_tree() {
        let cases = [
            LONG.to_string(),
            format!("  \n\t{LONG}\n{LONG}  \n"),
            format!("{LONG}\n{{{{ name }}}}\n{LONG}\n"),
            format!(
                "{LONG}  {{%- if x -%}}  {LONG}  {{%- else -%}}\n{LONG}\n{{%- endif %}}  {LONG}"
            ),
            format!("{{% for i in xs -%}}\n  {LONG}\n{{%- else %}}{LONG}{{% endfor %}}"),
            format!("{{# a comment with {LONG} #}}{LONG}{{#- another -#}}  {LONG}"),
            format!("{{% raw %}}{LONG} {{{{ not a tag }}}}{{% endraw %}}{LONG}"),
            format!("{{%- raw -%}}  {LONG}  {{%- endraw -%}}  {LONG}  "),
            format!("{{{{ \"}}}} {LONG}\" }}}}{LONG}{{{{ '%}}' }}}}{LONG}"),
            format!("{{% macro m(a) %}}{LONG} {{{{ a }}}} {LONG}{{% endmacro m %}}{LONG}"),
            format!("{{% block b %}}{LONG}{{% block c %}} {LONG} {{% endblock %}}{{% endblock %}}"),
            format!("{{% filter upper %}}\n{LONG}\n{{% endfilter %}}"),
            format!("{LONG}\u{2003}{{{{- x -}}}}\u{2003}{LONG}\u{2028}"),
            format!("{LONG}{{{{ x"),
            format!("{LONG}{{% if %}}{LONG}"),
            format!("{LONG} \u{E000}0\u{E000} {LONG}"),
            format!("{LONG}{{{{ \"unterminated }}}}{LONG}"),
            format!("{{% raw %}}{LONG}"),
            format!("{{# {LONG}"),
            format!("{{%- set x = \"{LONG}\" -%}}{LONG}{{{{ x }}}}"),
            format!("{{% raw %}}{{{{ \"endraw %}}\" }}}} {LONG} {{%- endraw%}}{LONG}"),
            format!("{{%raw-%}}{LONG}{{% endrawx %}}{LONG}{{%endraw%}}{LONG}"),
        ];
        for text in &cases {
            assert_same(text);
        }
    }

    /// Templates made of random pieces of tera, text and broken tags (most of them do not
    /// parse): each parses to the same tree folded as not, or fails with the same error.
    #[test]
    fn random_templates_parse_to_the_same_tree_or_the_same_error() {
        const PIECES: &[&str] = &[
            "{{ x }}",
            "{{- x -}}",
            "{{ x | upper }}",
            "{{ \"}} %} {{\" }}",
            "{{ '#}' }}",
            "{% if x %}",
            "{%- if x -%}",
            "{% elif y %}",
            "{% else %}",
            "{%- else -%}",
            "{% endif %}",
            "{%- endif -%}",
            "{% for i in xs %}",
            "{% endfor %}",
            "{%- endfor %}",
            "{# note #}",
            "{#- note -#}",
            "{% raw %}",
            "{%- raw -%}",
            "{% endraw %}",
            "{%- endraw -%}",
            "{% set y = 'a %} b' %}",
            "{% filter upper %}",
            "{% endfilter %}",
            "{% macro m(a) %}",
            "{% endmacro %}",
            "{% block b %}",
            "{% endblock %}",
            "{{",
            "{%",
            "{#",
            "}}",
            "%}",
            "#}",
            "{",
            "}",
            "\"",
            "'",
            "`",
            "-",
            " ",
            "\n",
            "\t",
            "\u{2003}",
            "\u{E000}",
            "\u{E000}0\u{E000}",
            "a line of text long enough to be folded away",
            "  text with spaces around it, and long enough  ",
            "\n\nparagraph one\nparagraph two, a bit longer than the minimum\n\n",
            "{ not a tag } and % signs # here, long enough to fold",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut folded = 0;
        for case in 0..6000 {
            let text: String = match case % 2 {
                0 => (0..1 + next(14))
                    .map(|_| PIECES[next(PIECES.len())])
                    .collect(),
                _ => valid(&mut next, 3),
            };
            assert_same(&text);
            // Those whose folded parse was the one used.
            folded += usize::from(fold(&text).is_some_and(|(source, runs)| {
                tera::Template::new("t", None, &source).is_ok_and(|mut t| unfold(&mut t, &runs))
            }));
        }
        assert!(folded > 2000, "only {folded} templates were parsed folded");
    }

    /// A template that parses: text, tags and blocks nested `depth` deep at most, with and
    /// without whitespace control.
    fn valid(next: &mut impl FnMut(usize) -> usize, depth: usize) -> String {
        const TEXT: &[&str] = &[
            "a line of text long enough to be folded away",
            "  \n  indented text, long enough to fold, with } and {  \n",
            "short",
            " ",
            "\n",
            "\t\u{2003}unicode space around a long enough run\u{2003}\n",
            "text with a { brace, a % sign and a # hash in it",
        ];
        let mut out = String::new();
        for _ in 0..1 + next(5) {
            let mut dash = || if next(2) == 0 { "-" } else { "" };
            let (l, r, l2, r2) = (dash(), dash(), dash(), dash());
            let open = |word: &str| format!("{{%{l} {word} {r}%}}");
            let close = |word: &str| format!("{{%{l2} {word} {r2}%}}");
            match next(if depth == 0 { 4 } else { 8 }) {
                0 | 1 => out.push_str(TEXT[next(TEXT.len())]),
                2 => out.push_str(&format!("{{{{{l} x {r}}}}}")),
                3 => out.push_str(&format!("{{#{l} a comment {r}#}}")),
                4 => {
                    let text = TEXT[next(TEXT.len())];
                    out.push_str(&format!(
                        "{}{text}{{{{ kept }}}}{}",
                        open("raw"),
                        close("endraw")
                    ));
                }
                5 => {
                    let then = valid(next, depth - 1);
                    let other = match next(2) {
                        0 => format!("{{% else %}}{}", valid(next, depth - 1)),
                        _ => String::new(),
                    };
                    out.push_str(&format!("{}{then}{other}{}", open("if x"), close("endif")));
                }
                6 => {
                    let body = valid(next, depth - 1);
                    out.push_str(&format!("{}{body}{}", open("for i in xs"), close("endfor")));
                }
                _ => {
                    let body = valid(next, depth - 1);
                    out.push_str(&format!(
                        "{}{body}{}",
                        open("filter upper"),
                        close("endfilter")
                    ));
                }
            }
        }
        out
    }

    #[test]
    fn a_placeholder_outside_a_text_node_falls_back_to_the_plain_parse() {
        // As if the scan had taken the inside of a string for text.
        let mut template = tera::Template::new("t", None, "{{ \"\u{E000}0\u{E000}\" }}").unwrap();
        assert!(!unfold(&mut template, &[LONG]));
        let mut template =
            tera::Template::new("t", None, "\u{E000}0\u{E000}\u{E000}0\u{E000}").unwrap();
        assert!(!unfold(&mut template, &[LONG]), "a placeholder found twice");
        let mut template = tera::Template::new("t", None, "\u{E000}1\u{E000}").unwrap();
        assert!(!unfold(&mut template, &[LONG]), "a placeholder of no run");
        let mut template = tera::Template::new("t", None, "\u{E000}0\u{E000}").unwrap();
        assert!(unfold(&mut template, &[LONG]));
        assert_eq!(template.ast, vec![Node::Text(LONG.into())]);
    }

    #[test]
    fn errors_are_teras_own_with_their_lines() {
        let text = format!("{LONG}\n{LONG}\n{{{{ x + }}}}\n");
        let err = parse("t", &text).unwrap_err();
        let message = crate::sandbox::message(&err);
        assert_eq!(crate::sandbox::error_line(&message), Some(3), "{message}");
    }

    #[test]
    fn every_template_of_the_catalog_parses_to_the_same_tree() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("golden-paths");
        let mut checked = 0;
        for entry in walkdir::WalkDir::new(root) {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tera") {
                let text = std::fs::read_to_string(path).unwrap();
                assert_same(&text);
                checked += usize::from(fold(&text).is_some());
            }
        }
        assert!(checked > 100, "only {checked} templates folded");
    }
}
