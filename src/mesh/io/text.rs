//! A line-and-token cursor for the whitespace-separated text formats (openCARP, TetGen, Abaqus): every
//! value read knows its 1-based line, so errors say where the file is wrong.

use std::path::Path;
use std::str::FromStr;

use super::ImportError;

/// Tokens of a text file, with line numbers. Comment lines (starting with `comment`) and blank lines are
/// skipped.
pub struct Tokens<'a> {
    path: &'a Path,
    lines: Vec<(usize, &'a str)>,
    line: usize,
    col: usize,
    current: Vec<&'a str>,
}

impl<'a> Tokens<'a> {
    pub fn new(
        path: &'a Path,
        bytes: &'a [u8],
        comment: Option<char>,
    ) -> Result<Self, ImportError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ImportError::binary(path, e.valid_up_to() as u64, "not UTF-8 text"))?;
        let lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !comment.is_some_and(|c| l.starts_with(c)))
            .collect();
        Ok(Tokens {
            path,
            lines,
            line: 0,
            col: 0,
            current: Vec::new(),
        })
    }

    /// The 1-based file line of the current token (or of the end of the file).
    pub fn line_no(&self) -> usize {
        match self.lines.get(self.line.saturating_sub(1)) {
            Some((n, _)) if self.line > 0 => *n,
            _ => self.lines.last().map_or(1, |(n, _)| *n),
        }
    }

    pub fn error(&self, msg: impl Into<String>) -> ImportError {
        ImportError::parse(self.path, self.line_no(), msg)
    }

    /// The next non-empty line's tokens (the rest of the current line is dropped).
    pub fn next_line(&mut self, what: &str) -> Result<Vec<&'a str>, ImportError> {
        let Some(&(_, l)) = self.lines.get(self.line) else {
            return Err(ImportError::parse(
                self.path,
                self.lines.last().map_or(1, |(n, _)| *n),
                format!("unexpected end of file: expected {what}"),
            ));
        };
        self.line += 1;
        self.col = usize::MAX;
        self.current = split(l);
        Ok(self.current.clone())
    }

    /// Whether lines remain.
    pub fn at_end(&self) -> bool {
        self.line >= self.lines.len() && self.col >= self.current.len()
    }

    /// The next token, crossing line ends.
    pub fn token(&mut self, what: &str) -> Result<&'a str, ImportError> {
        loop {
            if self.col < self.current.len() {
                self.col += 1;
                return Ok(self.current[self.col - 1]);
            }
            self.next_line(what)?;
            self.col = 0;
        }
    }

    /// The next token parsed as `T`.
    pub fn value<T: FromStr>(&mut self, what: &str) -> Result<T, ImportError> {
        let t = self.token(what)?;
        t.parse()
            .map_err(|_| self.error(format!("expected {what}, found {t:?}")))
    }

    /// Parses `t` (a token from [`Tokens::next_line`]) as `T`.
    pub fn parse<T: FromStr>(&self, t: &str, what: &str) -> Result<T, ImportError> {
        t.parse()
            .map_err(|_| self.error(format!("expected {what}, found {t:?}")))
    }

    /// A finite coordinate.
    pub fn coordinate(&self, t: &str) -> Result<f64, ImportError> {
        let v: f64 = self.parse(t, "a coordinate")?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.error(format!("coordinate {t} is not finite")))
        }
    }

    /// A count, checked against what the rest of the file could hold (`per_item` lines each).
    pub fn count(&mut self, what: &str, per_item: usize) -> Result<usize, ImportError> {
        let n: usize = self.value(what)?;
        let remaining = self.lines.len() - self.line.min(self.lines.len());
        if n.saturating_mul(per_item) > remaining + 1 {
            return Err(self.error(format!(
                "{what} says {n}, but only {remaining} lines follow"
            )));
        }
        Ok(n)
    }
}

fn split(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect()
}
