//! Source compatibility between Argo CD's Lua (gopher-lua, Lua 5.1 plus `goto`) and the
//! vendored Lua 5.1 driftlens runs.
//!
//! gopher-lua accepts Lua 5.2's `goto`/labels; Lua 5.1 does not. Argo CD's own scripts use them
//! only for the "continue" idiom: `::continue::` as the last statement of a loop body and
//! `goto continue` inside that body. [`rewrite_goto_continue`] turns that idiom into plain
//! Lua 5.1 — the body becomes `repeat … until true` and each `goto` becomes `do break end` —
//! keeping every line where it was, so error messages keep their line numbers. Any other use of
//! `goto` is left alone (the script then fails to compile, as it would without the rewrite).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Name(&'a str),
    DoubleColon,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
    end: usize,
}

/// Length of a long bracket opening `[==[` at `i` (returns (level, len)) if there is one.
fn long_bracket(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while b.get(j) == Some(&b'=') {
        j += 1;
    }
    (b.get(j) == Some(&b'[')).then_some((j - i - 1, j + 1 - i))
}

/// End (exclusive) of a long string/comment body whose opening ends at `i`.
fn long_end(b: &[u8], mut i: usize, level: usize) -> Option<usize> {
    while i < b.len() {
        if b[i] == b']' {
            let mut j = i + 1;
            while b.get(j) == Some(&b'=') {
                j += 1;
            }
            if j - i - 1 == level && b.get(j) == Some(&b']') {
                return Some(j + 1);
            }
        }
        i += 1;
    }
    None
}

fn tokenize(src: &str) -> Option<Vec<Token<'_>>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            if let Some((level, len)) = long_bracket(b, i + 2) {
                i = long_end(b, i + 2 + len, level)?;
            } else {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
        } else if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == b'\\' {
                    i += 1;
                }
                if b.get(i) == Some(&b'\n') && b.get(i.wrapping_sub(1)) != Some(&b'\\') {
                    return None;
                }
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            i += 1;
            out.push(Token {
                tok: Tok::Other,
                start,
                end: i,
            });
        } else if let Some((level, len)) = long_bracket(b, i) {
            let start = i;
            i = long_end(b, i + len, level)?;
            out.push(Token {
                tok: Tok::Other,
                start,
                end: i,
            });
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Name(&src[start..i]),
                start,
                end: i,
            });
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                let exp = matches!(b[i], b'e' | b'E' | b'p' | b'P');
                i += 1;
                if exp && matches!(b.get(i), Some(b'+' | b'-')) {
                    i += 1;
                }
            }
            out.push(Token {
                tok: Tok::Other,
                start,
                end: i,
            });
        } else if c == b':' && b.get(i + 1) == Some(&b':') {
            out.push(Token {
                tok: Tok::DoubleColon,
                start: i,
                end: i + 2,
            });
            i += 2;
        } else {
            // Multi-byte UTF-8 outside strings is invalid Lua anyway; step by char.
            let len = src[i..].chars().next().map_or(1, char::len_utf8);
            out.push(Token {
                tok: Tok::Other,
                start: i,
                end: i + len,
            });
            i += len;
        }
    }
    Some(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// A `for`/`while` loop; `body` is the byte offset right after its `do`.
    Loop {
        id: usize,
        body: Option<usize>,
    },
    Repeat,
    Function,
    Other,
}

struct Label {
    loop_id: usize,
    start: usize,
    end: usize,
    /// Byte offset of the loop's `end` token.
    loop_end: usize,
}

/// Rewrites the "continue" idiom (see the module doc). `None` when the source has no `goto`
/// or uses `goto`/labels in any other way.
pub fn rewrite_goto_continue(src: &str) -> Option<String> {
    if !src.contains("goto") {
        return None;
    }
    let toks = tokenize(src)?;
    let mut stack: Vec<Block> = Vec::new();
    let mut loops = 0usize;
    // Per loop id: body start, end-token start.
    let mut loop_body: Vec<(usize, Option<usize>)> = Vec::new();
    let mut labels: Vec<(String, Label)> = Vec::new();
    let mut gotos: Vec<(String, Option<usize>, usize, usize)> = Vec::new();
    let mut breaks_in_loop: Vec<usize> = Vec::new();
    let innermost_loop = |stack: &[Block]| -> Option<Option<usize>> {
        // Some(Some(id)) = innermost breakable block is loop `id`; Some(None) = a repeat or
        // a function boundary comes first.
        for b in stack.iter().rev() {
            match b {
                Block::Loop { id, body: Some(_) } => return Some(Some(*id)),
                Block::Repeat | Block::Function => return Some(None),
                _ => {}
            }
        }
        None
    };
    let mut i = 0;
    while i < toks.len() {
        match toks[i].tok {
            Tok::Name("function") => stack.push(Block::Function),
            Tok::Name("if") => stack.push(Block::Other),
            Tok::Name("for") | Tok::Name("while") => {
                stack.push(Block::Loop {
                    id: loops,
                    body: None,
                });
                loop_body.push((0, None));
                loops += 1;
            }
            Tok::Name("do") => match stack.last_mut() {
                Some(Block::Loop { id, body }) if body.is_none() => {
                    *body = Some(toks[i].end);
                    loop_body[*id].0 = toks[i].end;
                }
                _ => stack.push(Block::Other),
            },
            Tok::Name("repeat") => stack.push(Block::Repeat),
            // The guard pops the block `until` closes; anything but a `repeat` is malformed.
            Tok::Name("until") if stack.pop() != Some(Block::Repeat) => return None,
            Tok::Name("end") => match stack.pop()? {
                Block::Loop { id, .. } => loop_body[id].1 = Some(toks[i].start),
                Block::Repeat => return None,
                _ => {}
            },
            Tok::Name("break") => {
                if let Some(Some(id)) = innermost_loop(&stack) {
                    breaks_in_loop.push(id);
                }
            }
            Tok::Name("goto") => {
                let Tok::Name(name) = toks.get(i + 1)?.tok else {
                    return None;
                };
                let target = innermost_loop(&stack).flatten();
                gotos.push((name.to_string(), target, toks[i].start, toks[i + 1].end));
                i += 1;
            }
            Tok::DoubleColon => {
                let (Tok::Name(name), Tok::DoubleColon) =
                    (toks.get(i + 1)?.tok, toks.get(i + 2)?.tok)
                else {
                    return None;
                };
                // The label must be the last statement of a loop body, possibly nested in
                // `if`/`do` blocks that all end right after it.
                let mut depth = 0usize;
                let mut loop_id = None;
                for b in stack.iter().rev() {
                    match b {
                        Block::Other => depth += 1,
                        Block::Loop { id, body: Some(_) } => {
                            loop_id = Some(*id);
                            break;
                        }
                        _ => return None,
                    }
                }
                let loop_id = loop_id?;
                let closing = toks.get(i + 3..i + 4 + depth)?;
                if !closing.iter().all(|t| t.tok == Tok::Name("end")) {
                    return None;
                }
                labels.push((
                    name.to_string(),
                    Label {
                        loop_id,
                        start: toks[i].start,
                        end: toks[i + 2].end,
                        loop_end: closing[depth].start,
                    },
                ));
                i += 2;
            }
            _ => {}
        }
        i += 1;
    }
    if !stack.is_empty() || labels.is_empty() {
        return None;
    }
    // Every goto must target a label of its own innermost loop; such loops must not `break`.
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    for (name, target, start, end) in &gotos {
        let label = labels
            .iter()
            .find(|(n, l)| n == name && Some(l.loop_id) == *target)?;
        if breaks_in_loop.contains(&label.1.loop_id) {
            return None;
        }
        edits.push((*start, *end, "do break end"));
    }
    let mut seen = Vec::new();
    for (_, l) in &labels {
        if seen.contains(&l.loop_id) {
            return None;
        }
        seen.push(l.loop_id);
        let (body, _) = loop_body.get(l.loop_id)?;
        edits.push((*body, *body, " repeat"));
        if l.loop_end == s_end_after_label(src, l.end) {
            edits.push((l.start, l.end, "until true"));
        } else {
            edits.push((l.start, l.end, ""));
            edits.push((l.loop_end, l.loop_end, "until true "));
        }
    }
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(src.len() + 32);
    let mut pos = 0;
    for (start, end, text) in edits {
        if start < pos {
            return None;
        }
        out.push_str(&src[pos..start]);
        out.push_str(text);
        pos = end;
    }
    out.push_str(&src[pos..]);
    Some(out)
}

/// Offset of the first non-whitespace byte at or after `i`.
fn s_end_after_label(src: &str, i: usize) -> usize {
    i + src[i..].len() - src[i..].trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_idiom_is_rewritten() {
        let src = "for _, c in ipairs(x) do\n  if c.skip then goto continue end\n  n = n + 1\n  ::continue::\nend\n";
        let out = rewrite_goto_continue(src);
        assert_eq!(
            out.as_deref(),
            Some("for _, c in ipairs(x) do repeat\n  if c.skip then do break end end\n  n = n + 1\n  until true\nend\n")
        );
    }

    #[test]
    fn other_uses_are_left_alone() {
        // A loop that also breaks out would change meaning.
        let src = "for i=1,3 do if i==2 then break end goto continue ::continue:: end";
        assert_eq!(rewrite_goto_continue(src), None);
        // Label at the end of an `if` inside the loop body.
        let src = "for i=1,3 do\n if a then\n  if b then goto continue end\n  f()\n  ::continue::\n end\nend";
        assert_eq!(
            rewrite_goto_continue(src).as_deref(),
            Some("for i=1,3 do repeat\n if a then\n  if b then do break end end\n  f()\n  \n end\nuntil true end")
        );
        // Label not at the end of the loop body.
        let src = "while true do ::top:: x() goto top end";
        assert_eq!(rewrite_goto_continue(src), None);
        // No goto at all.
        assert_eq!(rewrite_goto_continue("return {}"), None);
        // goto in a nested loop targeting the outer label.
        let src = "for a=1,2 do for b=1,2 do goto continue end ::continue:: end";
        assert_eq!(rewrite_goto_continue(src), None);
    }

    #[test]
    fn strings_and_comments_are_skipped() {
        let src = "-- goto continue\nlocal s = \"::x:: goto\" .. [[ goto ]]\nfor i=1,2 do --[[ :: ]] goto next ::next:: end";
        let out = rewrite_goto_continue(src);
        assert!(
            out.as_deref()
                .is_some_and(|o| o.contains("do repeat --[[ :: ]] do break end until true end")),
            "{out:?}"
        );
    }
}
