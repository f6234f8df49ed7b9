//! The draft of a deputy's yearly report to voters (述职报告), made from the duty record for the
//! deputy to edit. Pure.

use std::fmt::Write;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::{DutyRecord, Totals};
use crate::activities::domain::{ActivityKind, ActivityStatus};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDraft {
    pub representative_id: Uuid,
    pub name: String,
    pub year: i32,
    pub totals: Totals,
    /// The draft text, in Markdown.
    pub markdown: String,
}

fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::CentralisedContact => "年中集中联系选民",
        ActivityKind::PreSessionConsultation => "会前征求意见",
        ActivityKind::AnnualReport => "向选民述职",
        ActivityKind::SupervisionConsultation => "围绕监督议题征求意见",
        ActivityKind::VoterRequested => "应选民约请",
        ActivityKind::CityDeputyContact => "市人大代表联系活动",
        ActivityKind::StationReception => "进站接待选民",
        ActivityKind::Inspection => "视察",
    }
}

fn state_name(state: &str) -> &'static str {
    match state {
        "received" => "已受理",
        "referred" => "已转办",
        "answered" => "已答复",
        "fed_back" => "已反馈",
        "declined" => "不予受理",
        _ => "其他",
    }
}

fn outcome_name(outcome: &str) -> &'static str {
    match outcome {
        "resolved" => "已解决",
        "partly_resolved" => "部分解决",
        "explained_unresolvable" => "暂不能解决并已说明",
        _ => "其他",
    }
}

pub fn draft(record: &DutyRecord) -> ReportDraft {
    let t = &record.totals;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# {} 代表 {} 年度履职情况报告（草稿）\n",
        record.name, record.year
    );
    let _ = writeln!(md, "## 一、参加联系选民活动情况\n");
    let _ = writeln!(
        md,
        "本年度参加联系选民活动 {} 次，接待和联系选民 {} 人次。\n",
        t.activities_attended, t.voters_met
    );
    let mut kinds: Vec<(ActivityKind, usize)> = Vec::new();
    for a in record
        .activities
        .iter()
        .filter(|a| a.attended && a.status == ActivityStatus::Held)
    {
        match kinds.iter_mut().find(|(k, _)| *k == a.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((a.kind, 1)),
        }
    }
    for (kind, n) in &kinds {
        let _ = writeln!(md, "- {}：{} 次", kind_name(*kind), n);
    }
    let _ = writeln!(md, "\n## 二、反映选民意见建议情况\n");
    let _ = writeln!(md, "本年度收集并反映选民意见建议 {} 件。\n", t.opinions);
    for (state, n) in &t.opinions_by_state {
        let _ = writeln!(md, "- {}：{} 件", state_name(state), n);
    }
    if !t.opinions_by_outcome.is_empty() {
        let _ = writeln!(md, "\n办理结果：\n");
        for (outcome, n) in &t.opinions_by_outcome {
            let _ = writeln!(md, "- {}：{} 件", outcome_name(outcome), n);
        }
    }
    let _ = writeln!(md, "\n已向选民反馈办理情况 {} 件。", t.fed_back);
    let _ = writeln!(md, "\n## 三、向选民述职情况\n");
    let reports: Vec<_> = record
        .activities
        .iter()
        .filter(|a| a.kind == ActivityKind::AnnualReport && a.status == ActivityStatus::Held)
        .collect();
    if reports.is_empty() {
        let _ = writeln!(md, "本年度尚未向选民述职。");
    }
    for r in reports {
        let e = r.evaluations.unwrap_or_default();
        let _ = writeln!(
            md,
            "- {}：{}。选民评议满意 {} 票、基本满意 {} 票、不满意 {} 票。",
            r.starts_at.format("%Y年%m月%d日"),
            r.topic,
            e.satisfied,
            e.basically_satisfied,
            e.unsatisfied
        );
    }
    let _ = writeln!(md, "\n## 四、存在的不足和今后打算\n");
    let _ = writeln!(md, "（请代表补充。）");
    ReportDraft {
        representative_id: record.representative_id,
        name: record.name.clone(),
        year: record.year,
        totals: record.totals.clone(),
        markdown: md,
    }
}
