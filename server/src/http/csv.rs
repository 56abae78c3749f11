//! The one CSV writer, for the public and the staff exports: the `csv`
//! crate writing RFC 4180 (CRLF line ends, every cell quoted, quotes doubled), and every cell safe to
//! open in a spreadsheet: a cell that begins with `=`, `+`, `-`, `@`, a tab or
//! a carriage return gets a leading `'` so it is never read as a formula.

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV document being written, in memory.
#[derive(Debug)]
pub struct CsvWriter {
    out: csv::Writer<Vec<u8>>,
}

impl Default for CsvWriter {
    fn default() -> Self {
        Self {
            out: csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Always)
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(Vec::new()),
        }
    }
}

impl CsvWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one record, each cell through the formula rule.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let record = cells
            .into_iter()
            .map(|cell| safe(cell.as_ref()).into_owned());
        if let Err(error) = self.out.write_record(record) {
            // Writing to memory fails only on a bug in the writer.
            tracing::error!(%error, "a CSV row could not be written");
        }
    }

    pub fn finish(self) -> String {
        let bytes = self.out.into_inner().unwrap_or_else(|error| {
            tracing::error!(error = %error.error(), "a CSV document could not be finished");
            Vec::new()
        });
        // Every cell was a `&str`, so the document is UTF-8.
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// A cell a spreadsheet will show as text: a leading `'` before a formula
/// start.
fn safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
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
