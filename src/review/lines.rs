//! The lines of a file that a change touched: computed from the file's text in both
//! revisions, so that annotations go only where a reviewer looks.

use std::path::Path;

use serde::Serialize;
use similar::{DiffOp, TextDiff};

use crate::load::root::CheckoutRoot;
use crate::load::source::{read_text, DEFAULT_MAX_FILE_SIZE};

/// The lines of the head version of a file that the change touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Touched {
    /// The file is new: every line is touched.
    pub new_file: bool,
    /// Inclusive 1-based line ranges of the head: lines added or changed, and the lines
    /// around a deletion.
    pub ranges: Vec<(u32, u32)>,
}

impl Touched {
    /// Whether any line of `start..=end` was touched.
    pub fn overlaps(&self, start: u32, end: u32) -> bool {
        let end = end.max(start);
        self.new_file || self.ranges.iter().any(|&(a, b)| a <= end && start <= b)
    }
}

/// The touched lines of `head` against `base` (`None` when the file is new); `None` when the
/// file did not change.
pub fn touched(base: Option<&str>, head: &str) -> Option<Touched> {
    let Some(base) = base else {
        return Some(Touched {
            new_file: true,
            ranges: Vec::new(),
        });
    };
    if base == head {
        return None;
    }
    let diff = TextDiff::from_lines(base, head);
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    let head_lines = head.lines().count().max(1) as u32;
    for op in diff.ops() {
        let (start, len) = match *op {
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => (new_index, new_len),
            // A deletion touches the lines on either side of it.
            DiffOp::Delete { new_index, .. } => {
                let at = new_index as u32;
                ranges.push((at.max(1), (at + 1).min(head_lines)));
                continue;
            }
            DiffOp::Equal { .. } => continue,
        };
        if len > 0 {
            ranges.push((start as u32 + 1, (start + len) as u32));
        }
    }
    ranges.sort();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.0 <= last.1 + 1 => last.1 = last.1.max(r.1),
            _ => merged.push(r),
        }
    }
    Some(Touched {
        new_file: false,
        ranges: merged,
    })
}

/// Reads files of one revision's checkout, confined to it like every other read.
pub(crate) struct Tree {
    root: Option<CheckoutRoot>,
}

impl Tree {
    pub(crate) fn new(root: &Path) -> Tree {
        Tree {
            root: CheckoutRoot::new(root).ok(),
        }
    }

    /// The text of the file at `rel` (a report path), when it exists inside the checkout and
    /// is text.
    pub(crate) fn read(&self, rel: &str) -> Option<String> {
        let root = self.root.as_ref()?;
        let joined = root.join(root.path(), rel).ok()?;
        let resolved = root.check(&joined).ok()?;
        read_text(&resolved, DEFAULT_MAX_FILE_SIZE).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_added_and_deleted_lines() {
        assert_eq!(touched(Some("a\nb\n"), "a\nb\n"), None);
        let t = touched(None, "x\n").unwrap();
        assert!(t.new_file && t.overlaps(7, 7));
        // line 2 changed, line 4 added
        let t = touched(Some("a\nb\nc\n"), "a\nB\nc\nd\n").unwrap();
        assert_eq!(t.ranges, vec![(2, 2), (4, 4)]);
        assert!(t.overlaps(1, 2) && !t.overlaps(3, 3) && t.overlaps(4, 9));
        // line 2 deleted: lines 1 and 2 of the head are around it
        let t = touched(Some("a\nb\nc\nd\n"), "a\nc\nd\n").unwrap();
        assert_eq!(t.ranges, vec![(1, 2)]);
        assert!(!t.overlaps(3, 3));
    }

    #[test]
    fn reads_stay_inside_the_checkout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.yaml"), "x: 1\n").unwrap();
        std::fs::write(dir.path().join("outside.yaml"), "secret\n").unwrap();
        let t = Tree::new(&root);
        assert_eq!(t.read("a.yaml").as_deref(), Some("x: 1\n"));
        assert_eq!(t.read("../outside.yaml"), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.yaml"), root.join("l.yaml"))
                .unwrap();
            assert_eq!(t.read("l.yaml"), None);
        }
    }
}
