//! The one CSV writer, for the public and the staff exports: RFC 4180
//! (CRLF line ends, every cell quoted, quotes doubled), and every cell safe to
//! open in a spreadsheet: a cell that begins with `=`, `+`, `-`, `@`, a tab or
//! a carriage return gets a leading `'` so it is never read as a formula.

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV document being written.
#[derive(Debug, Default)]
pub struct CsvWriter {
    out: String,
}

impl CsvWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one record.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_cell(&mut self.out, cell.as_ref());
        }
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn push_cell(out: &mut String, cell: &str) {
    out.push('"');
    if cell.starts_with(FORMULA_STARTS) {
        out.push('\'');
    }
    let mut parts = cell.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push_str("\"\"");
        out.push_str(part);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        let mut csv = CsvWriter::new();
        csv.row([
            "plain",
            "say \"hi\"",
            "=1+1",
            "-2",
            "+x",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "a,b\nc",
        ]);
        assert_eq!(
            csv.finish(),
            "\"plain\",\"say \"\"hi\"\"\",\"'=1+1\",\"'-2\",\"'+x\",\"'@SUM(A1)\",\"'\tx\",\"'\rx\",\"a,b\nc\"\r\n"
        );
    }
}
