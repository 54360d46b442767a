//! go-yaml v2's wording for YAML syntax errors.
//!
//! `helm template` reports a template whose output is not YAML as
//! `YAML parse error on FILE: error converting YAML to JSON: yaml: line N: PROBLEM`, where
//! PROBLEM and N come from go-yaml v2 (a port of libyaml). Our parser detects the same
//! mistakes but describes and places some of them differently, so this module translates
//! its errors into go-yaml's terms:
//!
//! - the problem text is libyaml's (`did not find expected key`, `could not find expected ':'`,
//!   `found character that cannot start any token`, …), without the "while parsing …" context;
//! - the line follows go-yaml's arithmetic: parser errors print the 0-based line of the
//!   offending token, scanner errors the 1-based one, and an error on the first line prints
//!   no line at all;
//! - errors found at the end of the stream are placed where libyaml's stream end is (a forced
//!   new line after a last line without a line break);
//! - input characters libyaml's reader rejects report `control characters are not allowed`.
//!
//! Errors found by the decoder rather than the parser (unknown anchors, anchors containing
//! themselves, tags that do not fit their value) are worded by the template engine's YAML
//! codec (`driftlens_gotmpl::yaml`).

use granit_parser::{ErrorKind, ScanError};

/// The go-yaml message (`yaml: line N: problem` or `yaml: problem`) for an error of our
/// parser on `text`.
pub fn go_yaml_message(text: &str, e: &ScanError) -> String {
    let g = e.marker().line();
    if let Some(at) = first_disallowed_char_line(text) {
        if at <= g {
            return "yaml: control characters are not allowed".into();
        }
    }
    if let Some(line0) = unknown_directive_line(text) {
        if line0 < g {
            return with_line("found unknown directive name", line0, true);
        }
    }
    let line0 = g.saturating_sub(1);
    let offset = byte_offset(text, g, e.marker().col());
    let scanner = |msg: &str| with_line(msg, line0, true);
    let parser = |msg: &str| with_line(msg, line0, false);
    let separator = |open: char| match open {
        '{' => "did not find expected ',' or '}'",
        _ => "did not find expected ',' or ']'",
    };
    let in_flow = || innermost_flow(text, offset);
    match e.kind() {
        // Parser errors: the 0-based line of the token that does not fit.
        ErrorKind::ExpectedBlockMappingKey => parser("did not find expected key"),
        ErrorKind::ExpectedBlockSequenceEntry => parser("did not find expected '-' indicator"),
        ErrorKind::ExpectedNodeContent => parser("did not find expected node content"),
        ErrorKind::ExpectedFlowMappingSeparator => parser(separator('{')),
        ErrorKind::ExpectedFlowSequenceSeparator => parser(separator('[')),
        ErrorKind::UndeclaredTagHandle => parser("found undefined tag handle"),
        ErrorKind::DuplicateVersionDirective => parser("found duplicate %YAML directive"),
        ErrorKind::DuplicateTagDirective => parser("found duplicate %TAG directive"),
        ErrorKind::UnsupportedYamlMajorVersion => parser("found incompatible YAML document"),
        ErrorKind::ExpectedDocumentStart => parser("did not find expected <document start>"),
        ErrorKind::ExpectedStreamStart => parser("did not find expected <stream-start>"),
        ErrorKind::MismatchedFlowCollectionEnd { open, .. } => parser(separator(*open)),
        ErrorKind::InvalidTrailingSingleQuotedScalar
        | ErrorKind::InvalidTrailingDoubleQuotedScalar
        | ErrorKind::InvalidColonPlacement => match in_flow() {
            Some(open) => parser(separator(open)),
            None => parser("did not find expected key"),
        },
        ErrorKind::MisplacedFlowCollectionEnd => {
            if awaits_value(text, offset) {
                parser("did not find expected node content")
            } else {
                parser("did not find expected key")
            }
        }
        // A plain scalar continued after a comment: libyaml ends the scalar at the comment
        // and fails on the next line's content.
        ErrorKind::CommentInterceptedScalar => with_line(
            "did not find expected key",
            next_content_line(text, g),
            false,
        ),
        // Errors at the end of the stream.
        ErrorKind::UnclosedFlowCollection { open } => {
            let msg = if ends_awaiting_node(text) {
                "did not find expected node content"
            } else {
                separator(*open)
            };
            with_line(msg, stream_end_line(text), false)
        }
        ErrorKind::UnexpectedEofFlowSequence => {
            with_line(separator('['), stream_end_line(text), false)
        }
        ErrorKind::UnexpectedEofFlowMapping | ErrorKind::UnexpectedEofImplicitFlowMapping => {
            with_line(separator('{'), stream_end_line(text), false)
        }
        ErrorKind::UnexpectedEof
        | ErrorKind::UnexpectedEofBlockSequence
        | ErrorKind::UnexpectedEofBlockMapping => with_line(
            "did not find expected node content",
            stream_end_line(text),
            false,
        ),
        ErrorKind::UnclosedQuotedScalar => {
            with_line("found unexpected end of stream", eof_line(text), true)
        }
        // Scanner errors libyaml notices one line later than we do.
        ErrorKind::SimpleKeyExpected => with_line("could not find expected ':'", g, true),
        ErrorKind::TabInPlainScalar => {
            with_line("found a tab character that violates indentation", g, true)
        }
        ErrorKind::TabAtBlockScalarStart => with_line(
            "found a tab character where an indentation space is expected",
            g,
            true,
        ),
        // Scanner errors on the same line.
        ErrorKind::MappingValueNotAllowed => {
            scanner("mapping values are not allowed in this context")
        }
        ErrorKind::BlockSequenceEntryNotAllowed => {
            scanner("block sequence entries are not allowed in this context")
        }
        ErrorKind::MappingKeyNotAllowed => scanner("mapping keys are not allowed in this context"),
        ErrorKind::UnexpectedCharacter { .. }
        | ErrorKind::TabNotAllowed
        | ErrorKind::TabInBlockIndentation
        | ErrorKind::TabInIndentation => scanner("found character that cannot start any token"),
        ErrorKind::UnknownQuotedScalarEscape => scanner("found unknown escape character"),
        // go-yaml spells it this way.
        ErrorKind::InvalidQuotedScalarHexEscape | ErrorKind::InvalidLowSurrogateHexEscape => {
            scanner("did not find expected hexdecimal number")
        }
        ErrorKind::InvalidUnicodeEscape
        | ErrorKind::InvalidLowSurrogate
        | ErrorKind::MissingLowSurrogate
        | ErrorKind::UnpairedLowSurrogate => scanner("found invalid Unicode character escape code"),
        ErrorKind::DocumentIndicatorInQuotedScalar => {
            scanner("found unexpected document indicator")
        }
        ErrorKind::MissingAnchorOrAliasName => {
            scanner("did not find expected alphabetic or numeric character")
        }
        ErrorKind::UnclosedVerbatimTag => scanner("did not find the expected '>'"),
        ErrorKind::InvalidTagTerminator | ErrorKind::InvalidTagDirectiveTerminator => {
            scanner("did not find expected whitespace or line break")
        }
        ErrorKind::ExpectedTagBang | ErrorKind::ExpectedTagDirectiveBang => {
            scanner("did not find expected '!'")
        }
        ErrorKind::MissingTagUri => scanner("did not find expected tag URI"),
        ErrorKind::InvalidTagEscape => scanner("did not find URI escaped octet"),
        ErrorKind::InvalidTagUtf8LeadingByte | ErrorKind::InvalidTagUtf8 => {
            scanner("found an incorrect leading UTF-8 octet")
        }
        ErrorKind::InvalidTagUtf8TrailingByte => scanner("found an incorrect trailing UTF-8 octet"),
        ErrorKind::ZeroBlockScalarIndent => scanner("found an indentation indicator equal to 0"),
        ErrorKind::InvalidBlockScalarHeader | ErrorKind::InvalidDirectiveTerminator => {
            scanner("did not find expected comment or line break")
        }
        ErrorKind::MissingDirectiveName => scanner("could not find expected directive name"),
        ErrorKind::InvalidDirectiveName => scanner("found unexpected non-alphabetical character"),
        ErrorKind::MissingYamlVersionSeparator => {
            scanner("did not find expected digit or '.' character")
        }
        ErrorKind::YamlVersionTooLong => scanner("found extremely long version number"),
        ErrorKind::MissingYamlVersion => scanner("did not find expected version number"),
        // The rest has no libyaml counterpart: our own words, at go-yaml's line.
        _ => scanner(&e.info()),
    }
}

/// `yaml: line N: msg` with go-yaml's arithmetic: `line0` is libyaml's 0-based mark; scanner
/// errors print it plus one, parser errors as is, and a mark on line 0 prints no line.
fn with_line(msg: &str, line0: usize, scanner: bool) -> String {
    if line0 == 0 {
        format!("yaml: {msg}")
    } else {
        format!("yaml: line {}: {msg}", line0 + usize::from(scanner))
    }
}

/// libyaml's 0-based line of the end of input.
fn eof_line(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

/// libyaml's 0-based line of the stream-end token: the end of input, moved to a new line
/// when the last line has no line break.
fn stream_end_line(text: &str) -> usize {
    let ends_open = !text.is_empty() && !text.ends_with('\n');
    eof_line(text) + usize::from(ends_open)
}

/// Whether the input ends (comments and blanks aside) with an indicator after which a flow
/// collection expects a node: `[`, `{`, `,` or `:`.
fn ends_awaiting_node(text: &str) -> bool {
    text.lines()
        .rev()
        .map(|l| strip_comment(l).trim_end())
        .find(|l| !l.is_empty())
        .and_then(|l| l.chars().last())
        .is_some_and(|c| matches!(c, '[' | '{' | ',' | ':'))
}

/// The 0-based index of the first line after the 1-based line `line` that holds content
/// (not blank, not only a comment), or the stream end.
fn next_content_line(text: &str, line: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(line)
        .find(|(_, l)| !strip_comment(l).trim().is_empty())
        .map_or_else(|| stream_end_line(text), |(i, _)| i)
}

/// Byte offset of a 1-based line and 0-based character column.
pub fn byte_offset(text: &str, line: usize, col: usize) -> usize {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let rest = &text[start..];
    start + rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i)
}

/// Whether the content before `offset` ends with an indicator that awaits a value (`key:`
/// or `-`), so a stray closing bracket there is where a node was expected.
fn awaits_value(text: &str, offset: usize) -> bool {
    text[..offset.min(text.len())]
        .lines()
        .rev()
        .map(|l| strip_comment(l).trim_end())
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.ends_with(':') || l.trim_start() == "-" || l.ends_with(" -"))
}

/// A line without its trailing ` # comment`.
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') {
            return &line[..i];
        }
    }
    line
}

/// The innermost flow collection (`[` or `{`) open at `offset`, scanning quoted scalars and
/// comments the way the scanner does. Brackets inside plain scalars (`a: b[0]`) do not open
/// collections: only one at the start of a token does.
fn innermost_flow(text: &str, offset: usize) -> Option<char> {
    let mut stack: Vec<char> = Vec::new();
    let mut prev = '\n'; // previous significant character
    let mut chars = text[..offset.min(text.len())].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' if prev.is_whitespace() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                prev = '\n';
                continue;
            }
            '\'' | '"' if token_start(prev, !stack.is_empty()) => {
                while let Some(n) = chars.next() {
                    if c == '"' && n == '\\' {
                        chars.next();
                    } else if n == c {
                        if c == '\'' && chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '[' | '{' if token_start(prev, !stack.is_empty()) => stack.push(c),
            ']' | '}' if !stack.is_empty() => {
                stack.pop();
            }
            _ => {}
        }
        prev = c;
    }
    stack.pop()
}

/// Whether a token may start after `prev`.
fn token_start(prev: char, in_flow: bool) -> bool {
    prev.is_whitespace() || matches!(prev, '[' | '{') || (in_flow && prev == ',')
}

/// The 1-based line of the first character libyaml's reader rejects (C0 controls other
/// than tab, line feed and carriage return; DEL and C1 controls other than NEL; U+FFFE and
/// U+FFFF).
fn first_disallowed_char_line(text: &str) -> Option<usize> {
    let bad = |c: char| {
        let u = c as u32;
        !(u == 0x9
            || u == 0xA
            || u == 0xD
            || (0x20..=0x7E).contains(&u)
            || u == 0x85
            || (0xA0..=0xD7FF).contains(&u)
            || (0xE000..=0xFFFD).contains(&u)
            || (0x10000..=0x10FFFF).contains(&u))
    };
    let at = text.find(bad)?;
    Some(text[..at].bytes().filter(|&b| b == b'\n').count() + 1)
}

/// The 0-based line of a directive libyaml does not know (`%FOO`), among the directives
/// that open the stream.
fn unknown_directive_line(text: &str) -> Option<usize> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let d = t.strip_prefix('%')?;
        let name = d.split([' ', '\t']).next().unwrap_or("");
        if name != "YAML" && name != "TAG" {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        match granit_parser::Parser::new_from_str(text).find_map(Result::err) {
            Some(e) => go_yaml_message(text, &e),
            None => String::from("(no error)"),
        }
    }

    const HEAD: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";

    // Each expectation is what helm v4.1.4 printed after `error converting YAML to JSON: `
    // for the same document rendered from a template.
    #[test]
    fn matches_go_yaml_on_common_mistakes() {
        let cases: &[(&str, &str)] = &[
            (
                "data:\n  a: b: c",
                "yaml: line 6: mapping values are not allowed in this context",
            ),
            (
                "  labels: {}\n x: 1",
                "yaml: line 5: did not find expected key",
            ),
            (" labels: {}", "yaml: line 4: did not find expected key"),
            (
                "data:\n  a: [1, 2",
                "yaml: line 6: did not find expected ',' or ']'",
            ),
            (
                "data:\n  a: {b: c",
                "yaml: line 6: did not find expected ',' or '}'",
            ),
            (
                "data:\n  a: \"abc",
                "yaml: line 6: found unexpected end of stream",
            ),
            (
                "data:\n  a: 'abc",
                "yaml: line 6: found unexpected end of stream",
            ),
            (
                "data:\n  a: \"abc\nother: 1",
                "yaml: line 7: found unexpected end of stream",
            ),
            (
                "\tlabels: {}",
                "yaml: line 5: found a tab character that violates indentation",
            ),
            (
                "data:\n  a: @x",
                "yaml: line 6: found character that cannot start any token",
            ),
            (
                "data:\n  a: `x",
                "yaml: line 6: found character that cannot start any token",
            ),
            (
                "data:\n  a: |\n  b\n x: 1",
                "yaml: line 8: could not find expected ':'",
            ),
            (
                "data:\n  a: b\n  c",
                "yaml: line 8: could not find expected ':'",
            ),
            (
                "data:\n  a: \"\\q\"",
                "yaml: line 6: found unknown escape character",
            ),
            (
                "data:\n  a: ]",
                "yaml: line 5: did not find expected node content",
            ),
            (
                "data:\n  a: [1, 2]]",
                "yaml: line 5: did not find expected key",
            ),
            (
                "data:\n  a: {b: 1}}",
                "yaml: line 5: did not find expected key",
            ),
            (
                "data:\n  a: [1, 2}",
                "yaml: line 5: did not find expected ',' or ']'",
            ),
            (
                "data:\n  ]",
                "yaml: line 5: did not find expected node content",
            ),
            (
                "data:\n  a: \"x\" b",
                "yaml: line 5: did not find expected key",
            ),
            (
                "data:\n  a: 'it's'",
                "yaml: line 5: did not find expected key",
            ),
            (
                "data:\n  a: \"\\x4\"",
                "yaml: line 6: did not find expected hexdecimal number",
            ),
            (
                "data:\n  a: |\n\tx",
                "yaml: line 7: found a tab character where an indentation space is expected",
            ),
            (
                "data:\n  a: &",
                "yaml: line 6: did not find expected alphabetic or numeric character",
            ),
            (
                "data:\n  a: !<x",
                "yaml: line 6: did not find the expected '>'",
            ),
            (
                "data:\n  a: |0\n   x",
                "yaml: line 6: found an indentation indicator equal to 0",
            ),
            (
                "data:\n  a: |x\n   x",
                "yaml: line 6: did not find expected comment or line break",
            ),
            (
                "data:\n  a: [1, 2\nother: 1",
                "yaml: line 6: did not find expected ',' or ']'",
            ),
            (
                "data:\n  a: {b: 1\nother: 1",
                "yaml: line 6: did not find expected ',' or '}'",
            ),
            (
                "data:\n  a: !x!y z",
                "yaml: line 5: found undefined tag handle",
            ),
            (
                "data:\n - a\n - b\n c: d",
                "yaml: line 7: did not find expected '-' indicator",
            ),
            (
                "data:\n  a: b\u{1}c",
                "yaml: control characters are not allowed",
            ),
            (
                "data:\n  key: value #c\n    nested: 1",
                "yaml: line 6: did not find expected key",
            ),
        ];
        for (body, want) in cases {
            let text = format!("{HEAD}{body}");
            assert_eq!(message(&text), *want, "for {body:?}");
        }
    }

    #[test]
    fn documents_without_the_common_head() {
        assert_eq!(
            message("- a\nb: c"),
            "yaml: line 1: did not find expected '-' indicator"
        );
        assert_eq!(
            message("[\n"),
            "yaml: line 1: did not find expected node content"
        );
        assert_eq!(
            message("["),
            "yaml: line 1: did not find expected node content"
        );
        assert_eq!(
            message("[a, b"),
            "yaml: line 1: did not find expected ',' or ']'"
        );
        assert_eq!(
            message("%YAML 1.1\n%YAML 1.1\n---\na: 1"),
            "yaml: line 1: found duplicate %YAML directive"
        );
        assert_eq!(
            message("%FOO\na: 1\n"),
            "yaml: found unknown directive name"
        );
        // A scanner error on the first line prints no line (go-yaml's quirk).
        assert_eq!(
            message("a: b: c"),
            "yaml: mapping values are not allowed in this context"
        );
    }

    #[test]
    fn flow_context_ignores_brackets_in_plain_scalars_and_quotes() {
        assert_eq!(innermost_flow("a: b[0]\nc: ", 11), None);
        assert_eq!(innermost_flow("a: [x, \"]\", {b: ", 16), Some('{'));
        assert_eq!(innermost_flow("a: [x] # [\nb: ", 13), None);
    }
}
