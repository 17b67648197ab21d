//! The tables of `ps`, `images` and `top`, drawn as 1.29.2's `Formatter.table`
//! draws them: Python `texttable` with `HEADER` decoration on a wide terminal.

/// Headers centred, cells left-aligned and padded, columns three spaces apart, a
/// dashed line under the header. Rows shorter than the header get empty cells.
pub fn table<H: AsRef<str>, C: AsRef<str>>(headers: &[H], rows: &[Vec<C>]) -> String {
    let length = |text: &str| text.chars().count();
    let mut widths: Vec<usize> = headers.iter().map(|cell| length(cell.as_ref())).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(length(cell.as_ref()));
        }
    }
    let mut lines = Vec::with_capacity(rows.len() + 2);
    let header: Vec<String> = headers
        .iter()
        .zip(&widths)
        .map(|(cell, width)| {
            let cell = cell.as_ref();
            let fill = width - length(cell);
            format!(
                "{}{cell}{}",
                " ".repeat(fill / 2),
                " ".repeat(fill - fill / 2)
            )
        })
        .collect();
    lines.push(header.join("   "));
    lines.push(
        widths
            .iter()
            .map(|width| "-".repeat(*width))
            .collect::<Vec<_>>()
            .join("---"),
    );
    for row in rows {
        let cells: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(index, width)| {
                let cell = row.get(index).map_or("", AsRef::as_ref);
                format!("{cell}{}", " ".repeat(width - length(cell)))
            })
            .collect();
        lines.push(cells.join("   "));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_texttable_header_layout() {
        let rows = [vec!["demo_data_1", "true", "Exit 0", ""]];
        assert_eq!(
            table(&["Name", "Command", "State", "Ports"], &rows),
            "   Name       Command   State    Ports\n\
             --------------------------------------\n\
             demo_data_1   true      Exit 0        "
        );
    }

    #[test]
    fn short_rows_are_padded_with_empty_cells() {
        let rows = [vec!["a"]];
        assert_eq!(table(&["x", "yy"], &rows), "x   yy\n------\na     ");
    }
}
