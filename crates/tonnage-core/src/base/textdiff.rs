//! Which lines of a generated file differ from another version of it (the preset's), for the
//! preview's highlighting. A longest-common-subsequence diff over lines, with the common prefix
//! and suffix trimmed first; for very large inputs it falls back to line membership.

use std::collections::HashMap;

/// Above this many cells the quadratic table is not built.
const MAX_CELLS: usize = 4_000_000;

/// For each line of `new`, whether it is not in `old` (an insertion or a change).
pub fn changed_lines(old: &str, new: &str) -> Vec<bool> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = vec![false; b.len()];
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let a_mid = &a[prefix..a.len() - suffix];
    let b_mid = &b[prefix..b.len() - suffix];
    if b_mid.is_empty() {
        return out;
    }
    if a_mid.is_empty() {
        for o in &mut out[prefix..prefix + b_mid.len()] {
            *o = true;
        }
        return out;
    }
    if a_mid.len().saturating_mul(b_mid.len()) > MAX_CELLS {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for l in a_mid {
            *counts.entry(l).or_default() += 1;
        }
        for (i, l) in b_mid.iter().enumerate() {
            match counts.get_mut(l) {
                Some(n) if *n > 0 => *n -= 1,
                _ => out[prefix + i] = true,
            }
        }
        return out;
    }
    // lcs[i][j] = LCS length of a_mid[i..] and b_mid[j..], in one flat table.
    let (n, m) = (a_mid.len(), b_mid.len());
    let w = m + 1;
    let mut lcs = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a_mid[i] == b_mid[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while j < m {
        if i < n && a_mid[i] == b_mid[j] {
            i += 1;
            j += 1;
        } else if i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
            i += 1;
        } else {
            out[prefix + j] = true;
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_and_inserted_lines() {
        let old = "a\nb\nc\nd\n";
        let new = "a\nB\nc\nx\nd\n";
        assert_eq!(changed_lines(old, new), [false, true, false, true, false]);
    }

    #[test]
    fn identical_and_empty() {
        assert_eq!(changed_lines("a\nb", "a\nb"), [false, false]);
        assert_eq!(changed_lines("", "a\nb"), [true, true]);
        assert!(changed_lines("a\nb", "").is_empty());
    }

    #[test]
    fn repeated_lines_are_matched_once() {
        assert_eq!(changed_lines("x\n", "x\nx\n"), [false, true]);
    }

    #[test]
    fn large_inputs_fall_back_without_quadratic_work() {
        let old: String = (0..3000).map(|i| format!("line {i}\n")).collect();
        let new: String = (0..3000)
            .map(|i| format!("line {}\n", if i % 2 == 0 { i } else { i + 100_000 }))
            .collect();
        let c = changed_lines(&old, &new);
        assert_eq!(c.iter().filter(|x| **x).count(), 1500);
    }
}
