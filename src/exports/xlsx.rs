//! XLSX exports in rust_xlsxwriter's constant-memory mode: each row goes to a temporary file
//! as it is written, and the finished workbook is saved to another and sent from there, so
//! rows never pile up in memory.

use std::io::{Read, Seek};

use actix_web::web::Bytes;
use futures_util::Stream;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::cells::neutralise;
use crate::error::{ApiError, ApiResult};

/// Excel's rows per sheet; a longer export goes on into another sheet.
const ROWS_PER_SHEET: u32 = 1_048_576;

fn failed(e: XlsxError) -> ApiError {
    ApiError::internal(anyhow::anyhow!("writing the workbook: {e}"))
}

pub struct Sheets {
    workbook: Workbook,
    headings: Vec<String>,
    row: u32,
}

impl Sheets {
    pub fn new(headings: &[&str]) -> ApiResult<Self> {
        let mut sheets = Self {
            workbook: Workbook::new(),
            headings: headings.iter().map(|h| (*h).to_owned()).collect(),
            row: 0,
        };
        sheets.start_sheet()?;
        Ok(sheets)
    }

    fn start_sheet(&mut self) -> ApiResult<()> {
        let bold = Format::new().set_bold();
        let sheet = self.workbook.add_worksheet_with_constant_memory();
        for (col, heading) in self.headings.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, heading, &bold)
                .map_err(failed)?;
        }
        self.row = 1;
        Ok(())
    }

    pub fn append(&mut self, rows: &[Vec<String>]) -> ApiResult<()> {
        for cells in rows {
            if self.row == ROWS_PER_SHEET {
                self.start_sheet()?;
            }
            let sheet =
                self.workbook.worksheets_mut().last_mut().ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("a workbook without sheets"))
                })?;
            for (col, text) in cells.iter().enumerate() {
                sheet
                    .write_string(self.row, col as u16, neutralise(text))
                    .map_err(failed)?;
            }
            self.row += 1;
        }
        Ok(())
    }

    /// The workbook, saved to an anonymous temporary file (gone once closed), read from its
    /// start.
    pub fn finish(mut self) -> ApiResult<std::fs::File> {
        let mut file = tempfile::tempfile().map_err(ApiError::internal)?;
        self.workbook.save_to_writer(&mut file).map_err(failed)?;
        file.rewind().map_err(ApiError::internal)?;
        Ok(file)
    }
}

/// A saved file as a body, 64 KiB at a time.
pub fn stream_file(file: std::fs::File) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut chunk = vec![0u8; 64 * 1024];
        match file.read(&mut chunk) {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(Bytes::from(chunk)), Some(file)))
            }
            Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
        }
    })
}
