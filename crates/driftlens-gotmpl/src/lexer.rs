//! Lexer for Go `text/template`: splits a source into text and action tokens, applies
//! `{{-`/`-}}` trim markers and skips `{{/* comments */}}`. Iterative; never recurses.

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Literal text `src[start..end]` (after trimming).
    Text,
    /// `{{` (with or without trim marker).
    LeftDelim,
    /// `}}`.
    RightDelim,
    /// Function or keyword name.
    Ident(String),
    /// `.name` (the name without the dot).
    Field(String),
    /// `$name` (with the `$`).
    Variable(String),
    /// `.` alone.
    Dot,
    /// Number literal text.
    Number(String),
    /// String literal value (unquoted).
    Str(String),
    /// Character constant value.
    Char(i64),
    /// `|`.
    Pipe,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `,`.
    Comma,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// End of input.
    Eof,
}

/// A token with its byte range and whether whitespace preceded it inside an action.
#[derive(Debug, Clone)]
pub struct Token {
    /// Kind and payload.
    pub tok: Tok,
    /// Start byte offset.
    pub start: usize,
    /// End byte offset.
    pub end: usize,
    /// Whitespace came right before this token (inside an action).
    pub space_before: bool,
}

/// A lexing error at a byte offset.
#[derive(Debug, Clone)]
pub struct LexError {
    /// Byte offset.
    pub pos: usize,
    /// Message in Go's wording.
    pub msg: String,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Tokenizes a whole template source.
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let bytes = src.as_bytes();
    let mut toks = Vec::new();
    let mut pos = 0usize;
    // When the previous action ended with `-}}`, leading whitespace of the next text is skipped.
    let mut trim_next = false;
    loop {
        let rest = &src[pos..];
        let next = rest.find("{{");
        let text_end = next.map_or(src.len(), |i| pos + i);
        let mut tstart = pos;
        if trim_next {
            while tstart < text_end && is_space(bytes[tstart]) {
                tstart += 1;
            }
        }
        let Some(_) = next else {
            if tstart < text_end {
                toks.push(Token {
                    tok: Tok::Text,
                    start: tstart,
                    end: text_end,
                    space_before: false,
                });
            }
            toks.push(Token {
                tok: Tok::Eof,
                start: src.len(),
                end: src.len(),
                space_before: false,
            });
            return Ok(toks);
        };
        let delim = text_end;
        let mut inner = delim + 2;
        let left_trim =
            bytes.get(inner) == Some(&b'-') && bytes.get(inner + 1).is_some_and(|b| is_space(*b));
        let mut tend = text_end;
        if left_trim {
            while tend > tstart && is_space(bytes[tend - 1]) {
                tend -= 1;
            }
            inner += 2;
        }
        if tstart < tend {
            toks.push(Token {
                tok: Tok::Text,
                start: tstart,
                end: tend,
                space_before: false,
            });
        }
        // Comment?
        let mut c = inner;
        while left_trim && c < src.len() && is_space(bytes[c]) {
            c += 1;
        }
        if src[c..].starts_with("/*") {
            let Some(close) = src[c + 2..].find("*/") else {
                return Err(LexError {
                    pos: delim,
                    msg: "unclosed comment".into(),
                });
            };
            let mut after = c + 2 + close + 2;
            let rest = &src[after..];
            if rest.starts_with("}}") {
                after += 2;
                trim_next = false;
            } else if rest.len() >= 4
                && is_space(rest.as_bytes()[0])
                && rest[1..].starts_with("-}}")
            {
                after += 4;
                trim_next = true;
            } else {
                return Err(LexError {
                    pos: delim,
                    msg: "comment ends before closing delimiter".into(),
                });
            }
            pos = after;
            continue;
        }
        toks.push(Token {
            tok: Tok::LeftDelim,
            start: delim,
            end: inner,
            space_before: false,
        });
        // Inside action.
        let mut p = inner;
        let mut space = left_trim;
        let mut paren_depth = 0i32;
        loop {
            if p >= src.len() {
                return Err(LexError {
                    pos: delim,
                    msg: "unclosed action".into(),
                });
            }
            let b = bytes[p];
            // Right delimiter with trim marker: ` -}}`.
            if is_space(b) {
                let mut q = p;
                while q < src.len() && is_space(bytes[q]) {
                    q += 1;
                }
                if src[q..].starts_with("-}}") {
                    toks.push(Token {
                        tok: Tok::RightDelim,
                        start: q,
                        end: q + 3,
                        space_before: true,
                    });
                    pos = q + 3;
                    trim_next = true;
                    break;
                }
                space = true;
                p = q;
                continue;
            }
            if src[p..].starts_with("}}") {
                toks.push(Token {
                    tok: Tok::RightDelim,
                    start: p,
                    end: p + 2,
                    space_before: space,
                });
                pos = p + 2;
                trim_next = false;
                break;
            }
            let start = p;
            let ch = src[p..].chars().next().unwrap_or('\0');
            let tok = match ch {
                '|' => {
                    p += 1;
                    Tok::Pipe
                }
                '(' => {
                    p += 1;
                    paren_depth += 1;
                    Tok::LParen
                }
                ')' => {
                    p += 1;
                    paren_depth -= 1;
                    if paren_depth < 0 {
                        return Err(LexError {
                            pos: p - 1,
                            msg: "unexpected right paren".into(),
                        });
                    }
                    Tok::RParen
                }
                ',' => {
                    p += 1;
                    Tok::Comma
                }
                ':' => {
                    if bytes.get(p + 1) == Some(&b'=') {
                        p += 2;
                        Tok::Declare
                    } else {
                        return Err(LexError {
                            pos: p,
                            msg: "expected :=".into(),
                        });
                    }
                }
                '=' => {
                    p += 1;
                    Tok::Assign
                }
                '"' => {
                    let (s, np) = lex_quote(src, p)?;
                    p = np;
                    Tok::Str(s)
                }
                '`' => {
                    let Some(close) = src[p + 1..].find('`') else {
                        return Err(LexError {
                            pos: p,
                            msg: "unterminated raw quoted string".into(),
                        });
                    };
                    let s = src[p + 1..p + 1 + close].to_string();
                    p = p + 2 + close;
                    Tok::Str(s)
                }
                '\'' => {
                    let (v, np) = lex_char(src, p)?;
                    p = np;
                    Tok::Char(v)
                }
                '$' => {
                    let mut q = p + 1;
                    while let Some(c) = src[q..].chars().next() {
                        if is_alnum(c) {
                            q += c.len_utf8();
                        } else {
                            break;
                        }
                    }
                    let name = src[p..q].to_string();
                    p = q;
                    Tok::Variable(name)
                }
                '.' => {
                    // Number like .5?
                    if bytes.get(p + 1).is_some_and(|b| b.is_ascii_digit()) {
                        let q = scan_number(src, p);
                        let t = src[p..q].to_string();
                        p = q;
                        Tok::Number(t)
                    } else {
                        let mut q = p + 1;
                        while let Some(c) = src[q..].chars().next() {
                            if is_alnum(c) {
                                q += c.len_utf8();
                            } else {
                                break;
                            }
                        }
                        if q == p + 1 {
                            p = q;
                            Tok::Dot
                        } else {
                            let name = src[p + 1..q].to_string();
                            p = q;
                            Tok::Field(name)
                        }
                    }
                }
                c if c.is_ascii_digit()
                    || ((c == '-' || c == '+')
                        && bytes
                            .get(p + 1)
                            .is_some_and(|b| b.is_ascii_digit() || *b == b'.')) =>
                {
                    let q = scan_number(src, p);
                    let t = src[p..q].to_string();
                    p = q;
                    Tok::Number(t)
                }
                c if is_alnum(c) => {
                    let mut q = p;
                    while let Some(c) = src[q..].chars().next() {
                        if is_alnum(c) {
                            q += c.len_utf8();
                        } else {
                            break;
                        }
                    }
                    let name = src[p..q].to_string();
                    p = q;
                    Tok::Ident(name)
                }
                c => {
                    return Err(LexError {
                        pos: p,
                        msg: format!("unexpected {} in command", go_char_quote(c)),
                    });
                }
            };
            toks.push(Token {
                tok,
                start,
                end: p,
                space_before: space,
            });
            space = false;
        }
    }
}

fn go_char_quote(c: char) -> String {
    format!("{:?}", c.to_string())
}

fn scan_number(src: &str, mut p: usize) -> usize {
    let b = src.as_bytes();
    if p < b.len() && (b[p] == b'+' || b[p] == b'-') {
        p += 1;
    }
    let mut hex = false;
    if p + 1 < b.len()
        && b[p] == b'0'
        && matches!(b[p + 1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
    {
        hex = matches!(b[p + 1], b'x' | b'X');
        p += 2;
    }
    while p < b.len() {
        let c = b[p];
        let ok = c.is_ascii_hexdigit() && (hex || c.is_ascii_digit() || c == b'e' || c == b'E')
            || c == b'_'
            || c == b'.'
            || c.is_ascii_digit()
            || (hex && (c == b'p' || c == b'P'))
            || ((c == b'+' || c == b'-')
                && p > 0
                && matches!(b[p - 1], b'e' | b'E' | b'p' | b'P')
                && !(hex && matches!(b[p - 1], b'e' | b'E')))
            || c == b'i';
        if !ok {
            break;
        }
        p += 1;
    }
    // Go rejects a number followed directly by an alphanumeric; let the parser report it.
    p
}

fn lex_quote(src: &str, start: usize) -> Result<(String, usize), LexError> {
    let mut out = String::new();
    let mut it = src[start + 1..].char_indices();
    while let Some((i, c)) = it.next() {
        match c {
            '"' => return Ok((out, start + 1 + i + 1)),
            '\n' => break,
            '\\' => {
                let Some((_, e)) = it.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut h = String::new();
                        for _ in 0..n {
                            match it.next() {
                                Some((_, d)) if d.is_ascii_hexdigit() => h.push(d),
                                _ => {
                                    return Err(LexError {
                                        pos: start,
                                        msg: "invalid syntax".into(),
                                    })
                                }
                            }
                        }
                        let v = u32::from_str_radix(&h, 16).unwrap_or(0xfffd);
                        if e == 'x' {
                            // A byte; treat as a Latin-1 code point for valid output.
                            out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                        } else {
                            out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                        }
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match it.next() {
                                Some((_, d)) if d.is_digit(8) => {
                                    v = v * 8 + d.to_digit(8).unwrap_or(0)
                                }
                                _ => {
                                    return Err(LexError {
                                        pos: start,
                                        msg: "invalid syntax".into(),
                                    })
                                }
                            }
                        }
                        out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    }
                    _ => {
                        return Err(LexError {
                            pos: start,
                            msg: "invalid syntax".into(),
                        })
                    }
                }
            }
            c => out.push(c),
        }
    }
    Err(LexError {
        pos: start,
        msg: "unterminated quoted string".into(),
    })
}

fn lex_char(src: &str, start: usize) -> Result<(i64, usize), LexError> {
    let rest = &src[start + 1..];
    let mut it = rest.char_indices();
    let v = match it.next() {
        Some((_, '\\')) => match it.next() {
            Some((_, 'n')) => '\n' as i64,
            Some((_, 't')) => '\t' as i64,
            Some((_, 'r')) => '\r' as i64,
            Some((_, '\\')) => '\\' as i64,
            Some((_, '\'')) => '\'' as i64,
            Some((_, '0')) => 0,
            _ => {
                return Err(LexError {
                    pos: start,
                    msg: "invalid syntax".into(),
                })
            }
        },
        Some((_, c)) if c != '\'' && c != '\n' => c as i64,
        _ => {
            return Err(LexError {
                pos: start,
                msg: "unterminated character constant".into(),
            })
        }
    };
    match it.next() {
        Some((i, '\'')) => Ok((v, start + 1 + i + 1)),
        _ => Err(LexError {
            pos: start,
            msg: "unterminated character constant".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src)
            .map(|t| t.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn trims_and_comments() {
        let src = "a  \n{{- .x -}}\n  b{{/* c */}}d";
        let toks = lex(src).unwrap_or_default();
        let texts: Vec<&str> = toks
            .iter()
            .filter(|t| t.tok == Tok::Text)
            .map(|t| &src[t.start..t.end])
            .collect();
        assert_eq!(texts, vec!["a", "b", "d"]);
        let src = "x {{- /* c */ -}} y";
        let toks = lex(src).unwrap_or_default();
        let texts: Vec<&str> = toks
            .iter()
            .filter(|t| t.tok == Tok::Text)
            .map(|t| &src[t.start..t.end])
            .collect();
        assert_eq!(texts, vec!["x", "y"]);
    }

    #[test]
    fn action_tokens() {
        assert_eq!(
            kinds("{{ $x := .a.b | printf \"%d\" 3 }}"),
            vec![
                Tok::LeftDelim,
                Tok::Variable("$x".into()),
                Tok::Declare,
                Tok::Field("a".into()),
                Tok::Field("b".into()),
                Tok::Pipe,
                Tok::Ident("printf".into()),
                Tok::Str("%d".into()),
                Tok::Number("3".into()),
                Tok::RightDelim,
                Tok::Eof
            ]
        );
        assert_eq!(kinds("{{-3}}")[1], Tok::Number("-3".into()));
    }

    #[test]
    fn errors() {
        assert!(lex("{{ .a ").is_err());
        assert!(lex("{{/* x }}").is_err());
        assert!(lex("{{ \"abc }}").is_err());
        assert!(lex("{{ # }}").is_err());
    }
}
