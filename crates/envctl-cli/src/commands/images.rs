//! `envctl images [-q] [SERVICE...]`: the image of each of the project's containers,
//! as 1.29.2's table (sizes as Python formats them), or their ids.

use envctl_ops::Images;

use crate::args::ImagesArgs;
use crate::failure::Failure;
use crate::invocation::Invocation;
use crate::progress::{Terminal, print_line};
use crate::table::table;

pub async fn run(invocation: &Invocation, args: ImagesArgs) -> Result<(), Failure> {
    let target = invocation.target()?;
    let images = envctl_ops::images(&target, &args.services, args.quiet, &Terminal::new()).await?;
    let rows = match images {
        Images::Ids(ids) => {
            for id in ids {
                print_line(&id)?;
            }
            return Ok(());
        }
        Images::Rows(rows) => rows,
        _ => Vec::new(),
    };
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| {
            vec![
                row.container,
                row.repository,
                row.tag,
                row.id.chars().take(12).collect(),
                human_size(row.size),
            ]
        })
        .collect();
    print_line(&table(
        &["Container", "Repository", "Tag", "Image Id", "Size"],
        &rows,
    ))
}

/// Python's `'{:.4g} {}'` of the size in powers of 1000 (1.29.2
/// `human_readable_file_size`): `1.24 MB`, `512 B`.
fn human_size(bytes: i64) -> String {
    const SUFFIXES: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    #[allow(clippy::cast_precision_loss)]
    let size = bytes as f64;
    // `int(math.log(size, 1000))`, computed as Python does: `ln(size) / ln(1000)`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let order = if bytes > 0 {
        ((size.ln() / 1000_f64.ln()) as usize).min(SUFFIXES.len() - 1)
    } else {
        0
    };
    let scaled = size / 1000_f64.powi(i32::try_from(order).unwrap_or(0));
    format!("{} {}", format_g4(scaled), SUFFIXES[order])
}

/// Python's `{:.4g}` for the values `human_size` produces (0 ≤ x < 1000): four
/// significant digits, trailing zeros and a trailing point dropped.
fn format_g4(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    #[allow(clippy::cast_possible_truncation)]
    let exponent = value.abs().log10().floor() as i32;
    let decimals = usize::try_from((3 - exponent).max(0)).unwrap_or(0);
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_python_formats_them() {
        for (bytes, expected) in [
            (0, "0 B"),
            (512, "512 B"),
            (999, "999 B"),
            (1000, "1 kB"),
            (1_234_567, "1.235 MB"),
            (2_136_064, "2.136 MB"),
            (1_500_000_000, "1.5 GB"),
            (1_000_000, "1 MB"),
            (123_456, "123.5 kB"),
        ] {
            assert_eq!(human_size(bytes), expected, "{bytes}");
        }
    }
}
