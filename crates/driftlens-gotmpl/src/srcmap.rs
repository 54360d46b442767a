//! Source maps of template output: which template position, and which `.Values` key, each
//! output byte came from.
//!
//! Execution marks a [`Segment`] wherever output starts to come from a new place. Output of a
//! named template (`template`, `include`) maps to the lines of the `define` block and keeps the
//! chain of [`CallSite`]s it was called through. `include` returns a string, so its map travels
//! with the string as a `TextMap` through the functions that keep text line by line
//! (`indent`, `nindent`, `trim`, `trimPrefix`, `trimSuffix`) until an action prints it; any
//! other function drops it, and the printed text then maps to the action (the call site).
//! `toYaml` of a value read from `.Values` gets a map too, that names the values key of every
//! emitted line.

use std::rc::Rc;
use std::sync::Arc;

/// A `template` or `include` call through which output was produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// Name of the called template (`chart.labels`).
    pub name: Arc<str>,
    /// Template file holding the call (parse name).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (bytes).
    pub col: usize,
    /// The call that produced the calling template's output, for nested calls.
    pub outer: Option<Arc<CallSite>>,
}

impl CallSite {
    /// This call and the calls around it, innermost first, at most `max` of them.
    pub fn chain(&self, max: usize) -> Vec<&CallSite> {
        let mut out = vec![self];
        let mut cur = self;
        while let Some(o) = &cur.outer {
            if out.len() >= max {
                break;
            }
            out.push(o);
            cur = o;
        }
        out
    }
}

/// One source-map entry: output from `out` onwards (until the next segment) came from
/// `file` at `line:col`. For literal text, later output lines map to later source lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Output byte offset where this segment starts.
    pub out: usize,
    /// Template file (parse name).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (bytes).
    pub col: usize,
    /// Whether the output is literal template text (copied verbatim).
    pub literal: bool,
    /// The `.Values` path the output came from, when known (`replicaCount`,
    /// `resources.limits.cpu`, `ports[0].port`).
    pub values_path: Option<Arc<str>>,
    /// Bytes of indentation that `indent`/`nindent` put at the start of each output line after
    /// the segment's first one, which are not in the template text.
    pub pad: usize,
    /// The `template`/`include` call the output was produced through, if any.
    pub via: Option<Arc<CallSite>>,
}

/// Maps output byte offsets to template positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    /// Segments sorted by `out`.
    pub segments: Vec<Segment>,
}

/// A resolved position for an output byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Template file (parse name).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Values path, when known.
    pub values_path: Option<String>,
    /// The `template`/`include` call the output was produced through, if any.
    pub via: Option<Arc<CallSite>>,
}

fn locate_in(segments: &[Segment], text: &str, offset: usize) -> Option<(usize, usize, usize)> {
    let i = segments.partition_point(|s| s.out <= offset);
    let idx = i.checked_sub(1)?;
    let seg = segments.get(idx)?;
    let (mut line, mut col) = (seg.line, seg.col);
    if seg.literal {
        let between = text.get(seg.out..offset.min(text.len()))?;
        match between.rfind('\n') {
            Some(p) => {
                line += between.matches('\n').count();
                col = (between.len() - p).saturating_sub(seg.pad).max(1);
            }
            None => col += between.len(),
        }
    }
    Some((idx, line, col))
}

/// The segments of `text[start..end]`, re-based to start at 0.
fn slice_segments(segments: &[Segment], text: &str, start: usize, end: usize) -> Vec<Segment> {
    let mut out = Vec::new();
    if let Some((i, line, col)) = locate_in(segments, text, start) {
        out.push(Segment {
            out: 0,
            line,
            col,
            ..segments[i].clone()
        });
    }
    for s in segments {
        if s.out > start && s.out < end {
            let mut s = s.clone();
            s.out -= start;
            if out.last().is_some_and(|l: &Segment| l.out == s.out) {
                out.pop();
            }
            out.push(s);
        }
    }
    out
}

impl SourceMap {
    /// Where the output byte at `offset` of `text` (the output this map describes) came from.
    pub fn locate(&self, text: &str, offset: usize) -> Option<Location> {
        let (i, line, col) = locate_in(&self.segments, text, offset)?;
        let seg = &self.segments[i];
        Some(Location {
            file: seg.file.to_string(),
            line,
            col,
            values_path: seg.values_path.as_ref().map(|s| s.to_string()),
            via: seg.via.clone(),
        })
    }

    /// Re-bases the map for the sub-range `start..end` of the output.
    pub fn slice(&self, text: &str, start: usize, end: usize) -> SourceMap {
        SourceMap {
            segments: slice_segments(&self.segments, text, start, end),
        }
    }

    /// Applies deletions of output ranges (sorted, non-overlapping) to the map.
    pub fn delete_ranges(&mut self, text: &str, ranges: &[(usize, usize)]) {
        if ranges.is_empty() {
            return;
        }
        let mut segs = Vec::with_capacity(self.segments.len());
        for s in &self.segments {
            let mut s2 = s.clone();
            // A segment starting inside a deleted range moves to the end of it.
            let mut moved = s.out;
            for &(a, b) in ranges {
                if moved >= a && moved < b {
                    moved = b;
                }
            }
            if moved != s.out {
                if let Some((_, line, col)) = locate_in(&self.segments, text, moved) {
                    s2.line = line;
                    s2.col = col;
                }
            }
            let shift: usize = ranges
                .iter()
                .filter(|r| r.1 <= moved)
                .map(|r| r.1 - r.0)
                .sum();
            s2.out = moved - shift;
            if segs.last().is_some_and(|l: &Segment| l.out == s2.out) {
                segs.pop();
            }
            segs.push(s2);
        }
        self.segments = segs;
    }
}

/// How the lines of a `toYaml` result map to values keys, computed when first needed.
#[derive(Debug)]
pub(crate) struct YamlLines {
    /// The values path of the value that was converted.
    pub base: Arc<str>,
    /// Position of the `toYaml` call.
    pub file: Arc<str>,
    /// 1-based line of the call.
    pub line: usize,
    /// 1-based column of the call.
    pub col: usize,
    /// The call the `toYaml` call itself ran through.
    pub via: Option<Arc<CallSite>>,
    /// The line offsets and key paths (below `base`) of the text, as
    /// [`crate::yaml::to_yaml_lines`] gives them.
    pub lines: Vec<(usize, String)>,
}

/// A string value together with the source map of its text.
#[derive(Debug)]
pub(crate) struct TextMap {
    /// The text (the very string the value holds).
    pub text: Rc<str>,
    /// Segments with offsets into `text`, or how to compute them.
    segs: Segs,
}

#[derive(Debug)]
enum Segs {
    Ready(Vec<Segment>),
    Yaml(YamlLines),
}

impl TextMap {
    /// The map of an `include` result.
    pub fn new(text: Rc<str>, segs: Vec<Segment>) -> TextMap {
        TextMap {
            text,
            segs: Segs::Ready(segs),
        }
    }

    /// The map of a `toYaml` result whose lines are named after the values keys they print.
    pub fn yaml(text: Rc<str>, lines: YamlLines) -> TextMap {
        TextMap {
            text,
            segs: Segs::Yaml(lines),
        }
    }

    /// The segments, relative to [`TextMap::text`].
    pub fn segments(&self) -> Vec<Segment> {
        match &self.segs {
            Segs::Ready(s) => s.clone(),
            Segs::Yaml(y) => yaml_segments(&self.text, y),
        }
    }

    /// The map of `indent n` (or `nindent n` when `newline`) applied to the text, if `result`
    /// is that output.
    pub fn indented(&self, n: usize, newline: bool, result: &Rc<str>) -> Option<TextMap> {
        let prefix = usize::from(newline);
        // `result` must be the text with `n` spaces before every line (after a newline).
        let out = result.as_bytes();
        if newline && out.first() != Some(&b'\n') {
            return None;
        }
        let mut pos = prefix;
        for (i, line) in self.text.split('\n').enumerate() {
            if i > 0 {
                if out.get(pos) != Some(&b'\n') {
                    return None;
                }
                pos += 1;
            }
            let pad = out.get(pos..pos + n)?;
            let text = out.get(pos + n..pos + n + line.len())?;
            if pad.iter().any(|&b| b != b' ') || text != line.as_bytes() {
                return None;
            }
            pos += n + line.len();
        }
        if pos != out.len() {
            return None;
        }
        let bytes = self.text.as_bytes();
        let (mut at, mut newlines) = (0usize, 0usize);
        let mut segs = self.segments();
        for s in &mut segs {
            let o = s.out.min(bytes.len());
            newlines += bytes[at.min(o)..o].iter().filter(|&&b| b == b'\n').count();
            at = at.max(o);
            s.out = prefix + n * (newlines + 1) + o;
            s.pad += n;
        }
        Some(TextMap::new(result.clone(), segs))
    }

    /// The map of a function that returned a piece of the text (`trim`, `trimPrefix`,
    /// `trimSuffix`), if `result` is that piece at `start`.
    pub fn sliced(&self, start: usize, result: &Rc<str>) -> Option<TextMap> {
        let end = start.checked_add(result.len())?;
        if self.text.get(start..end)? != &**result {
            return None;
        }
        let segs = slice_segments(&self.segments(), &self.text, start, end);
        Some(TextMap::new(result.clone(), segs))
    }
}

/// One non-literal segment per run of lines of a `toYaml` result, each named after the values
/// key written on that line (continuation lines belong to the key above).
fn yaml_segments(text: &str, y: &YamlLines) -> Vec<Segment> {
    let seg = |out: usize, vp: &str| Segment {
        out,
        file: y.file.clone(),
        line: y.line,
        col: y.col,
        literal: false,
        values_path: (!vp.is_empty()).then(|| Arc::from(vp)),
        pad: 0,
        via: y.via.clone(),
    };
    let mut segs = vec![seg(0, &y.base)];
    for (offset, path) in &y.lines {
        if *offset > text.len() {
            break;
        }
        let vp = if y.base.is_empty() {
            path.clone()
        } else if path.starts_with('[') {
            format!("{}{path}", y.base)
        } else {
            format!("{}.{path}", y.base)
        };
        if segs.last().is_some_and(|s| s.out == *offset) {
            segs.pop();
        }
        segs.push(seg(*offset, &vp));
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(out: usize, line: usize, literal: bool) -> Segment {
        Segment {
            out,
            file: Arc::from("h.tpl"),
            line,
            col: 1,
            literal,
            values_path: None,
            pad: 0,
            via: None,
        }
    }

    #[test]
    fn indentation_keeps_lines_and_columns() {
        let text: Rc<str> = Rc::from("a: 1\nb:\n  c: 2");
        let tm = TextMap::new(text, vec![seg(0, 3, true)]);
        let out: Rc<str> = Rc::from("\n    a: 1\n    b:\n      c: 2");
        let t2 = tm.indented(4, true, &out).expect("nindent maps");
        let map = SourceMap {
            segments: t2.segments(),
        };
        let at = |needle: &str| {
            let l = map.locate(&out, out.find(needle).unwrap_or(0));
            l.map(|l| (l.line, l.col))
        };
        assert_eq!(at("a: 1"), Some((3, 1)));
        assert_eq!(at("b:"), Some((4, 1)));
        assert_eq!(at("c: 2"), Some((5, 3)));
        // Text that is not the indented input has no map.
        assert!(tm.indented(2, true, &out).is_none());
        let trimmed: Rc<str> = Rc::from(out.trim());
        let t3 = t2.sliced(5, &trimmed).expect("trim maps");
        let map = SourceMap {
            segments: t3.segments(),
        };
        let l = map.locate(&trimmed, trimmed.find("c: 2").unwrap_or(0));
        assert_eq!(l.map(|l| (l.line, l.col)), Some((5, 3)));
    }

    #[test]
    fn yaml_lines_name_their_keys() {
        let value = crate::yaml::load(
            "limits: {cpu: 100m}\nports: [{name: http, port: 80}]\nscript: \"echo\\ndone\\n\"\n",
        )
        .unwrap_or_default();
        let (text, lines) = crate::yaml::to_yaml_lines(&value).unwrap_or_default();
        let text: Rc<str> = Rc::from(text);
        assert_eq!(
            &*text,
            "limits:\n  cpu: 100m\nports:\n- name: http\n  port: 80\nscript: |\n  echo\n  done"
        );
        let tm = TextMap::yaml(
            text.clone(),
            YamlLines {
                base: Arc::from("res"),
                file: Arc::from("t.yaml"),
                line: 7,
                col: 3,
                via: None,
                lines,
            },
        );
        let map = SourceMap {
            segments: tm.segments(),
        };
        let vp = |needle: &str| {
            map.locate(&text, text.find(needle).unwrap_or(0))
                .and_then(|l| l.values_path)
        };
        assert_eq!(vp("limits").as_deref(), Some("res.limits"));
        assert_eq!(vp("100m").as_deref(), Some("res.limits.cpu"));
        assert_eq!(vp("- name").as_deref(), Some("res.ports[0].name"));
        assert_eq!(vp("port: 80").as_deref(), Some("res.ports[0].port"));
        assert_eq!(vp("done").as_deref(), Some("res.script"));
    }
}
