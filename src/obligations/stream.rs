//! The obligations page written out deputy by deputy. Each deputy is judged and serialised
//! only when the response asks for more bytes, and the year read for them is dropped as soon
//! as they are judged. Built whole, a page held its rows, every deputy's judgement and the
//! whole JSON (megabytes where deputies attend thousands of activities a year) at the same
//! moment, times every page being answered: at province scale the server went past its
//! 64 MiB. The bytes are those `serde_json` writes for `ObligationList`, in its field order.

use actix_web::web::Bytes;
use futures_util::Stream;

use super::handlers::DeputyObligations;

/// Bytes gathered before a chunk goes out: a write to the socket each.
const CHUNK: usize = 64 * 1024;

/// `{"year":…,"items":[…],"next_cursor":…}`, `items` pulled as the chunks are.
pub fn json<I>(
    year: i32,
    items: I,
    next_cursor: Option<String>,
) -> impl Stream<Item = Result<Bytes, serde_json::Error>> + use<I>
where
    I: Iterator<Item = DeputyObligations>,
{
    futures_util::stream::iter(Chunks {
        head: Some(format!(r#"{{"year":{year},"items":["#)),
        items,
        written_one: false,
        next_cursor: Some(next_cursor),
    })
}

struct Chunks<I> {
    /// Until the first chunk is taken.
    head: Option<String>,
    items: I,
    written_one: bool,
    /// Until the last chunk is taken.
    next_cursor: Option<Option<String>>,
}

impl<I: Iterator<Item = DeputyObligations>> Iterator for Chunks<I> {
    type Item = Result<Bytes, serde_json::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut out = Vec::new();
        if let Some(head) = self.head.take() {
            out.extend_from_slice(head.as_bytes());
        }
        while out.len() < CHUNK {
            let Some(deputy) = self.items.next() else {
                let Some(next_cursor) = self.next_cursor.take() else {
                    break;
                };
                out.extend_from_slice(br#"],"next_cursor":"#);
                if let Err(e) = serde_json::to_writer(&mut out, &next_cursor) {
                    return Some(Err(e));
                }
                out.push(b'}');
                break;
            };
            if std::mem::replace(&mut self.written_one, true) {
                out.push(b',');
            }
            if let Err(e) = serde_json::to_writer(&mut out, &deputy) {
                return Some(Err(e));
            }
        }
        (!out.is_empty()).then(|| Ok(Bytes::from(out)))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use uuid::Uuid;

    use super::*;
    use crate::obligations::handlers::ObligationList;
    use crate::obligations::rules::{Rule, RuleResult, Status};

    fn deputies(n: usize, evidence: usize) -> Vec<DeputyObligations> {
        (0..n)
            .map(|i| DeputyObligations {
                representative_id: Uuid::from_u128(i as u128 + 1),
                name: format!("代表 \"{i}\""),
                rules: vec![
                    RuleResult {
                        rule: Rule::StationRota,
                        status: Status::Met,
                        evidence: (0..evidence).map(|e| Uuid::from_u128(e as u128)).collect(),
                        shortfall: None,
                    },
                    RuleResult {
                        rule: Rule::VoterLiaisons,
                        status: Status::Overdue,
                        evidence: vec![],
                        shortfall: Some(3),
                    },
                ],
            })
            .collect()
    }

    async fn streamed(
        items: Vec<DeputyObligations>,
        next_cursor: Option<String>,
    ) -> (Vec<u8>, Vec<usize>) {
        let chunks: Vec<Bytes> = json(2026, items.into_iter(), next_cursor)
            .map(|c| c.unwrap())
            .collect()
            .await;
        let sizes = chunks.iter().map(Bytes::len).collect();
        (chunks.concat(), sizes)
    }

    #[actix_web::test]
    async fn a_streamed_page_is_byte_for_byte_the_page_serialised_whole() {
        for (n, evidence, next_cursor) in [
            (0, 0, None),
            (1, 0, Some("abc".to_owned())),
            (3, 5, None),
            (200, 500, Some("next \"page\"".to_owned())),
        ] {
            let whole = serde_json::to_vec(&ObligationList {
                year: 2026,
                items: deputies(n, evidence),
                next_cursor: next_cursor.clone(),
            })
            .unwrap();
            let (body, _) = streamed(deputies(n, evidence), next_cursor).await;
            assert_eq!(
                String::from_utf8(body).unwrap(),
                String::from_utf8(whole).unwrap(),
                "{n} deputies"
            );
        }
    }

    #[actix_web::test]
    async fn a_large_page_goes_out_in_chunks_of_about_one_chunk_each() {
        // 200 deputies of 500 activities each: about 4 MB.
        let (body, sizes) = streamed(deputies(200, 500), None).await;
        assert!(sizes.len() > body.len() / (2 * CHUNK), "{sizes:?}");
        let one_deputy = serde_json::to_vec(&deputies(1, 500)[0]).unwrap().len();
        for size in &sizes {
            assert!(*size <= CHUNK + one_deputy + 1, "a chunk of {size} bytes");
        }
        assert!(sizes.iter().all(|s| *s > 0));
    }
}
