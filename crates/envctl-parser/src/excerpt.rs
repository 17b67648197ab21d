//! A bounded excerpt of a file, as the source of a diagnostic.
//!
//! miette renders every line a label covers, each line in full, and pads the caret
//! line with a format width that panics past column 65 535. Handing it the whole file
//! made a diagnostic about a 100 000-item list print the whole list, and a YAML error
//! on one long line panic. An [`Excerpt`] holds only a few lines around the labelled
//! place, each cut to [`MAX_LINE_WIDTH`] bytes (the labelled line around the label),
//! and tells miette the lines' real numbers and the label's real column, so the
//! rendered `file:line:column` is the file's.

use std::fmt;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// The widest line an excerpt shows, in bytes; the rest is cut and marked `…`.
pub const MAX_LINE_WIDTH: usize = 160;

/// A label covering more lines than this is shown on its first line only.
pub const MAX_LABEL_LINES: usize = 8;

/// Lines of context kept before and after the label.
const CONTEXT_LINES: usize = 2;

/// A few lines of a file, with their real line numbers (see the module docs).
#[derive(Clone)]
pub struct Excerpt {
    name: String,
    text: String,
    /// The 0-based line number, in the file, of the excerpt's first line.
    first_line: usize,
    /// The excerpt's line (0-based) that starts the label, and how many bytes were cut
    /// from its start.
    label_line: usize,
    column_shift: usize,
}

impl fmt::Debug for Excerpt {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Excerpt")
            .field("name", &self.name)
            .field("first_line", &self.first_line)
            .finish_non_exhaustive()
    }
}

impl Excerpt {
    /// The excerpt of `text` around the byte range `offset..offset + len`, and that
    /// range's place in the excerpt.
    /// `line_starts` are the offsets where `text`'s lines start
    /// ([`SourceFile::line_starts`](crate::model::SourceFile::line_starts)).
    pub fn new(
        name: String,
        text: &str,
        line_starts: &[usize],
        offset: usize,
        len: usize,
    ) -> (Self, SourceSpan) {
        let start = floor_char_boundary(text, offset.min(text.len()));
        let end = floor_char_boundary(text, start.saturating_add(len).min(text.len())).max(start);
        let label_line_number = match line_starts.binary_search(&start) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        };
        let line_start = line_starts.get(label_line_number).copied().unwrap_or(0);
        let before = label_line_number.min(CONTEXT_LINES);
        // A label longer than MAX_LABEL_LINES is shown on its first line only.
        let label_breaks = text[start..end]
            .match_indices('\n')
            .take(MAX_LABEL_LINES)
            .count();
        let end = if label_breaks >= MAX_LABEL_LINES {
            text[start..].find('\n').map_or(text.len(), |at| start + at)
        } else {
            end
        };
        let line_end = |line: usize| {
            line_starts
                .get(line + 1)
                .map_or(text.len(), |next| next - 1)
        };
        let mut lines: Vec<(usize, usize)> = Vec::new();
        let mut line = label_line_number - before;
        let mut after = 0;
        loop {
            let (begin, finish) = (line_starts.get(line).copied().unwrap_or(0), line_end(line));
            lines.push((begin, finish));
            if finish >= end {
                after += 1;
            }
            if finish >= text.len() || after > CONTEXT_LINES || line + 1 >= line_starts.len() {
                break;
            }
            line += 1;
        }

        // The horizontal window: from the start of the lines, unless the label starts
        // too far right to be seen.
        let window_start = if start - line_start > MAX_LINE_WIDTH / 2 {
            start - line_start - MAX_LINE_WIDTH / 4
        } else {
            0
        };
        let mut excerpt = String::new();
        let mut excerpt_start = 0;
        let mut excerpt_end = 0;
        let mut column_shift = 0;
        for (index, &(line_begin, line_end)) in lines.iter().enumerate() {
            if index > 0 {
                excerpt.push('\n');
            }
            let line_end = if text[line_begin..line_end].ends_with('\r') {
                line_end - 1
            } else {
                line_end
            };
            // Every line is cut at the same column, so that they stay aligned.
            let cut = floor_char_boundary(text, (line_begin + window_start).min(line_end));
            let shown_end = floor_char_boundary(text, (cut + MAX_LINE_WIDTH).min(line_end));
            let base = excerpt.len();
            excerpt.push_str(&text[cut..shown_end]);
            if shown_end < line_end {
                excerpt.push('…');
            }
            if line_begin == line_start {
                column_shift = cut - line_begin;
                excerpt_start = base + (start - cut).min(shown_end - cut);
            }
            if (line_begin..=line_end).contains(&end) && line_begin >= line_start {
                excerpt_end = base + end.clamp(cut, shown_end) - cut;
            }
        }
        let excerpt_end = excerpt_end.max(excerpt_start);
        (
            Self {
                name,
                text: excerpt,
                first_line: label_line_number - before,
                label_line: before,
                column_shift,
            },
            (excerpt_start, excerpt_end - excerpt_start).into(),
        )
    }

    /// The excerpt's text (for tests).
    pub fn text(&self) -> &str {
        &self.text
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let column = if contents.line() == self.label_line {
            contents.column() + self.column_shift
        } else {
            contents.column()
        };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                contents.data(),
                *contents.span(),
                contents.line() + self.first_line,
                column,
                contents.line_count(),
            )
            .with_language("yaml"),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::format_collect)]
mod tests {
    use super::*;

    fn excerpt(text: &str, offset: usize, len: usize) -> (String, usize, usize, String) {
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        let (excerpt, span) = Excerpt::new("f.yml".to_owned(), text, &line_starts, offset, len);
        let contents = excerpt.read_span(&span, 0, 0).expect("in bounds");
        let labelled = excerpt.text[span.offset()..span.offset() + span.len()].to_owned();
        (
            excerpt.text.clone(),
            contents.line() + 1,
            contents.column() + 1,
            labelled,
        )
    }

    #[test]
    fn a_short_file_is_kept_whole_with_its_positions() {
        let text = "a: 1\nb: 2\nc: 3\n";
        let (shown, line, column, labelled) = excerpt(text, 8, 1);
        assert_eq!(shown, "a: 1\nb: 2\nc: 3\n");
        assert_eq!((line, column, labelled.as_str()), (2, 4, "2"));
    }

    #[test]
    fn far_lines_are_left_out_and_line_numbers_kept() {
        let text: String = (1..=100).map(|n| format!("k{n}: {n}\n")).collect();
        let offset = text.find("k50:").expect("present");
        let (shown, line, column, labelled) = excerpt(&text, offset, 3);
        assert_eq!(shown, "k48: 48\nk49: 49\nk50: 50\nk51: 51\nk52: 52");
        assert_eq!((line, column, labelled.as_str()), (50, 1, "k50"));
    }

    #[test]
    fn a_long_line_is_cut_around_the_label_and_the_column_kept() {
        let text = format!("key: {}X{}\n", "a".repeat(100_000), "b".repeat(100_000));
        let offset = 5 + 100_000;
        let (shown, line, column, labelled) = excerpt(&text, offset, 1);
        assert!(shown.len() <= MAX_LINE_WIDTH + 4, "{}", shown.len());
        assert_eq!((line, column, labelled.as_str()), (1, offset + 1, "X"));
    }

    #[test]
    fn a_label_over_many_lines_is_shown_on_its_first() {
        let text: String = (0..100_000).map(|n| format!("- item{n}\n")).collect();
        let (shown, line, _, labelled) = excerpt(&text, 0, text.len());
        assert!(shown.lines().count() <= 1 + CONTEXT_LINES + 1, "{shown}");
        assert_eq!((line, labelled.as_str()), (1, "- item0"));
    }
}
