//! The opinion report as a spreadsheet: the rows and totals the stats route answers, and in
//! XLSX a second sheet by month, each sheet with a native Excel chart (counts as columns, the
//! three rates as lines on a second axis), ready to paste into a slide.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use super::cells::{BOM, csv_line, neutralise};
use super::format::HeaderLanguage;
use super::source::{Column, headings_of};
use crate::error::{ApiError, ApiResult};
use crate::stats::dto::{OpinionFigures, OpinionStats, StatsKey};

const COLUMNS: &[Column] = &[
    ("名称", "name"),
    ("受理", "received"),
    ("交办", "referred"),
    ("答复", "answered"),
    ("已解决", "resolved"),
    ("部分解决", "partly_resolved"),
    ("已反馈", "fed_back"),
    ("不予受理", "declined"),
    ("办理中", "open"),
    ("逾期", "overdue"),
    ("响应率", "response_rate"),
    ("解决率", "resolution_rate"),
    ("满意率", "satisfaction_rate"),
    ("交办用时中位数(小时)", "refer_hours_median"),
    ("答复用时中位数(天)", "answer_days_median"),
    ("反馈用时中位数(天)", "feed_back_days_median"),
];
const FIRST_RATE: usize = 10;

fn headings(language: HeaderLanguage) -> Vec<&'static str> {
    headings_of(COLUMNS, language)
}

fn label(key: &StatsKey) -> String {
    key.name
        .clone()
        .or_else(|| key.month.clone())
        .or_else(|| key.code.clone())
        .or_else(|| key.id.map(|id| id.to_string()))
        .unwrap_or_else(|| "—".to_owned())
}

/// The figures of one row, in column order after the name; None where there is no value.
fn numbers(f: &OpinionFigures) -> Vec<Option<f64>> {
    let count = |n: i64| Some(n as f64);
    vec![
        count(f.received),
        count(f.referred),
        count(f.answered),
        count(f.resolved),
        count(f.partly_resolved),
        count(f.fed_back),
        count(f.declined),
        count(f.open),
        count(f.overdue),
        f.response_rate,
        f.resolution_rate,
        f.satisfaction_rate,
        f.refer_hours.median,
        f.answer_days.median,
        f.feed_back_days.median,
    ]
}

fn rows(report: &OpinionStats, language: HeaderLanguage) -> Vec<(String, Vec<Option<f64>>)> {
    let total = if language == HeaderLanguage::Zh {
        "合计"
    } else {
        "total"
    };
    report
        .items
        .iter()
        .map(|r| (label(&r.key), numbers(&r.figures)))
        .chain([(total.to_owned(), numbers(&report.totals))])
        .collect()
}

pub fn csv(report: &OpinionStats, language: HeaderLanguage) -> Vec<u8> {
    let mut out = BOM.as_bytes().to_vec();
    out.extend(csv_line(headings(language)));
    for (name, values) in rows(report, language) {
        let cells: Vec<String> = std::iter::once(name)
            .chain(values.iter().map(|v| {
                v.map(|x| format!("{}", (x * 1e4).round() / 1e4))
                    .unwrap_or_default()
            }))
            .collect();
        out.extend(csv_line(cells.iter().map(String::as_str)));
    }
    out
}

fn failed(e: XlsxError) -> ApiError {
    ApiError::internal(anyhow::anyhow!("writing the workbook: {e}"))
}

/// One sheet: headings, rows, totals, and its chart beside them.
fn sheet(
    workbook: &mut Workbook,
    name: &str,
    report: &OpinionStats,
    language: HeaderLanguage,
) -> ApiResult<()> {
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let decimal = Format::new().set_num_format("0.0");
    let rows = rows(report, language);
    let ws: &mut Worksheet = workbook.add_worksheet();
    ws.set_name(name).map_err(failed)?;
    for (col, heading) in headings(language).iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *heading, &bold)
            .map_err(failed)?;
    }
    for (i, (label, values)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, neutralise(label)).map_err(failed)?;
        for (j, value) in values.iter().enumerate() {
            let col = j as u16 + 1;
            let Some(value) = value else { continue };
            let format = match j + 1 {
                c if (FIRST_RATE..FIRST_RATE + 3).contains(&c) => &percent,
                c if c > FIRST_RATE + 2 => &decimal,
                _ => &Format::new(),
            };
            ws.write_number_with_format(row, col, *value, format)
                .map_err(failed)?;
        }
    }
    // The chart covers the rows, not the totals.
    let last = rows.len().saturating_sub(1) as u32;
    if last >= 1 {
        let titles = headings(language);
        let mut counts = Chart::new(ChartType::Column);
        for col in [1u16, 3] {
            counts
                .add_series()
                .set_name(titles[col as usize])
                .set_categories((name, 1, 0, last, 0))
                .set_values((name, 1, col, last, col));
        }
        let mut rates = Chart::new(ChartType::Line);
        for col in FIRST_RATE as u16..FIRST_RATE as u16 + 3 {
            rates
                .add_series()
                .set_name(titles[col as usize])
                .set_categories((name, 1, 0, last, 0))
                .set_values((name, 1, col, last, col))
                .set_secondary_axis(true);
        }
        counts.combine(&rates);
        counts.title().set_name(name);
        counts.y2_axis().set_num_format("0%");
        ws.insert_chart(last + 3, 0, &counts).map_err(failed)?;
    }
    Ok(())
}

/// The report as asked, and the same period by month, each on a sheet with its chart.
pub fn xlsx(
    report: &OpinionStats,
    by_month: &OpinionStats,
    language: HeaderLanguage,
) -> ApiResult<Vec<u8>> {
    let (first, second) = match language {
        HeaderLanguage::Zh => ("报表", "按月"),
        HeaderLanguage::En => ("Report", "By month"),
    };
    let mut workbook = Workbook::new();
    sheet(&mut workbook, first, report, language)?;
    sheet(&mut workbook, second, by_month, language)?;
    workbook.save_to_buffer().map_err(failed)
}
