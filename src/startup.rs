//! Building the application: state, routes, middleware and the HTTP server.

use std::net::TcpListener;

use actix_cors::Cors;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpResponse, HttpServer, http, web};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::{
    activities, appointments, auth, calendar, changes, committees, congress_sessions,
    constituencies, duty_records, exports, handling_bodies, health, imports, liaison_groups,
    notifications, obligations, opinions, representatives, request, responses, schedule,
    service_clients, stats, telemetry, users, voters, webhooks,
};

/// Every route, registered with its OpenAPI entry. The server and `liaison openapi` both use
/// this, so the published document cannot miss a route.
///
/// Routes are grouped in a scope per resource: the router compares a scope's static prefix
/// before it tries the patterns inside, so a request is matched against its own resource's few
/// routes instead of running the path pattern of every route registered before it.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .service(
                scope::scope("/auth")
                    .service(auth::handlers::login)
                    .service(auth::handlers::refresh)
                    .service(auth::handlers::logout)
                    .service(voters::registration::register)
                    .service(service_clients::token::issue_client_token),
            )
            .service(
                scope::scope("/me")
                    .service(users::handlers::me)
                    .service(users::handlers::change_own_password)
                    .service(voters::phone::verify_phone)
                    .service(voters::phone::send_phone_code),
            )
            .service(
                scope::scope("/users")
                    .service(users::handlers::create_user)
                    .service(users::handlers::list_users)
                    .service(users::handlers::get_user)
                    .service(users::handlers::update_user),
            )
            .service(
                scope::scope("/committees")
                    .service(committees::handlers::create_committee)
                    .service(committees::handlers::list_committees)
                    .service(committees::handlers::get_committee)
                    .service(committees::handlers::update_committee)
                    .service(committees::handlers::delete_committee)
                    .service(committees::handlers::get_policy)
                    .service(committees::handlers::put_policy),
            )
            .service(changes::handlers::list_changes)
            .service(
                scope::scope("/service-clients")
                    .service(service_clients::handlers::create_service_client)
                    .service(service_clients::handlers::list_service_clients)
                    .service(service_clients::handlers::get_service_client)
                    .service(service_clients::handlers::update_service_client)
                    .service(service_clients::handlers::rotate_service_client_secret)
                    .service(service_clients::handlers::delete_service_client),
            )
            .service(
                scope::scope("/stats")
                    .service(stats::handlers::opinion_stats)
                    .service(stats::handlers::activity_stats),
            )
            .service(
                scope::scope("/exports")
                    .service(exports::handlers::export_opinions)
                    .service(exports::handlers::export_activities)
                    .service(exports::handlers::export_opinion_stats),
            )
            .service(
                scope::scope("/webhooks")
                    .service(webhooks::handlers::create_webhook)
                    .service(webhooks::handlers::list_webhooks)
                    .service(webhooks::handlers::get_webhook)
                    .service(webhooks::handlers::update_webhook)
                    .service(webhooks::handlers::delete_webhook)
                    .service(webhooks::handlers::test_webhook)
                    .service(webhooks::handlers::list_webhook_deliveries)
                    .service(webhooks::handlers::retry_webhook_delivery),
            )
            .service(
                scope::scope("/notifications")
                    .service(notifications::handlers::list_notifications)
                    .service(notifications::handlers::read_notification),
            )
            .service(
                scope::scope("/congress-sessions")
                    .service(congress_sessions::handlers::create_congress_session)
                    .service(congress_sessions::handlers::list_congress_sessions)
                    .service(congress_sessions::handlers::get_congress_session)
                    .service(congress_sessions::handlers::update_congress_session)
                    .service(congress_sessions::handlers::delete_congress_session),
            )
            .service(
                scope::scope("/liaison-groups")
                    .service(liaison_groups::handlers::create_liaison_group)
                    .service(liaison_groups::handlers::list_liaison_groups)
                    .service(liaison_groups::handlers::get_liaison_group)
                    .service(liaison_groups::handlers::update_liaison_group)
                    .service(liaison_groups::handlers::delete_liaison_group)
                    .service(schedule::handlers::create_reception_rule)
                    .service(schedule::handlers::list_reception_rules)
                    .service(schedule::handlers::update_reception_rule)
                    .service(schedule::handlers::delete_reception_rule),
            )
            .service(
                scope::scope("/constituencies")
                    .service(constituencies::handlers::create_constituency)
                    .service(constituencies::handlers::list_constituencies)
                    .service(constituencies::handlers::get_constituency)
                    .service(constituencies::handlers::update_constituency)
                    .service(constituencies::handlers::delete_constituency),
            )
            .service(
                scope::scope("/handling-bodies")
                    .service(handling_bodies::handlers::create_handling_body)
                    .service(handling_bodies::handlers::list_handling_bodies)
                    .service(handling_bodies::handlers::get_handling_body)
                    .service(handling_bodies::handlers::update_handling_body)
                    .service(handling_bodies::handlers::delete_handling_body),
            )
            .service(
                scope::scope("/representatives")
                    .service(representatives::handlers::create_representative)
                    .service(representatives::handlers::list_representatives)
                    .service(representatives::handlers::get_representative)
                    .service(representatives::handlers::update_representative)
                    .service(representatives::contacts::list_contacts)
                    .service(representatives::contacts::create_contact)
                    .service(representatives::contacts::delete_contact)
                    .service(duty_records::handlers::get_duty_record)
                    .service(duty_records::annual_reports::list_annual_reports)
                    .service(duty_records::handlers::get_annual_report_draft),
            )
            .service(
                scope::scope("/voters")
                    .service(voters::handlers::create_voter)
                    .service(voters::handlers::list_voters)
                    .service(voters::handlers::get_voter)
                    .service(voters::handlers::update_voter)
                    .service(voters::handlers::verify_voter),
            )
            .service(
                scope::scope("/imports")
                    .service(imports::handlers::import_voters)
                    .service(imports::handlers::import_representatives),
            )
            .service(
                scope::scope("/calendar")
                    .service(calendar::handlers::get_calendar)
                    .service(calendar::handlers::put_calendar_day)
                    .service(calendar::handlers::delete_calendar_day),
            )
            .service(
                scope::scope("/opinions")
                    .service(opinions::handlers::create_opinion)
                    .service(opinions::handlers::list_opinions)
                    .service(opinions::handlers::get_opinion)
                    .service(opinions::referable::list_referable_bodies)
                    .service(opinions::handlers::update_opinion)
                    .service(opinions::handlers::transition_opinion)
                    .service(opinions::handlers::rate_opinion)
                    .service(opinions::handlers::list_opinion_events)
                    .service(opinions::handlers::list_opinion_referrals)
                    .service(opinions::handlers::accept_referral),
            )
            .service(opinions::handlers::list_opinion_categories)
            .service(
                scope::scope("/activities")
                    .service(activities::handlers::create_activity)
                    .service(activities::handlers::list_activities)
                    .service(activities::handlers::get_activity)
                    .service(activities::handlers::update_activity)
                    .service(activities::handlers::list_activity_events)
                    .service(activities::handlers::confirm_activity)
                    .service(activities::handlers::reject_activity)
                    .service(activities::handlers::hold_activity)
                    .service(activities::handlers::cancel_activity)
                    .service(activities::handlers::list_registrations)
                    .service(activities::handlers::evaluate_activity),
            )
            .service(obligations::handlers::list_obligations)
            .service(
                scope::scope("/appointments")
                    .service(appointments::handlers::create_appointment)
                    .service(appointments::handlers::list_appointments)
                    .service(appointments::handlers::get_appointment)
                    .service(appointments::handlers::accept_appointment)
                    .service(appointments::handlers::decline_appointment)
                    .service(appointments::handlers::cancel_appointment),
            ),
    )
    .service(
        scope::scope("/public/v1")
            .service(
                scope::scope("/stations")
                    .service(liaison_groups::handlers::list_public_stations)
                    .service(schedule::handlers::get_station_calendar),
            )
            .service(
                scope::scope("/constituencies")
                    .service(constituencies::handlers::list_public_constituencies),
            )
            .service(
                scope::scope("/representatives")
                    .service(representatives::handlers::list_public_representatives),
            )
            .service(schedule::handlers::get_public_schedule),
    )
    .service(health::healthz)
    .service(health::readyz);
}

/// The OpenAPI document as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn openapi_json() -> serde_json::Value {
    crate::openapi::to_json(&openapi_document())
}

/// The document in utoipa's types (what the request contract is built from); `openapi_json`
/// adds the keywords those types cannot hold.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    crate::openapi::complete(doc)
}

/// The contract requests are checked against and the document `/openapi.json` serves, built
/// once a process: both follow from the code alone, and building them in a debug build took
/// most of a server's start (a test process starts hundreds of servers).
fn contract_and_document() -> &'static (Arc<crate::contract::Contract>, web::Bytes) {
    static BUILT: std::sync::OnceLock<(Arc<crate::contract::Contract>, web::Bytes)> =
        std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let doc = openapi_document();
        let json = serde_json::to_vec(&crate::openapi::to_json(&doc))
            .expect("a JSON value always serialises");
        (
            Arc::new(crate::contract::Contract::from_document(&doc)),
            web::Bytes::from(json),
        )
    })
}

async fn unknown_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("route"))
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            http::header::AUTHORIZATION,
            http::header::CONTENT_TYPE,
            http::header::IF_MATCH,
            http::header::HeaderName::from_static("idempotency-key"),
            http::header::HeaderName::from_static(telemetry::REQUEST_ID_HEADER),
        ])
        .expose_headers([
            http::header::ETAG,
            http::header::LOCATION,
            http::header::RETRY_AFTER,
            http::header::HeaderName::from_static("idempotent-replayed"),
            http::header::HeaderName::from_static(telemetry::REQUEST_ID_HEADER),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Serves the API on `listener` with `settings.workers` workers.
///
/// Each worker has its own state and its own pool (`db_pool_size` shared out among them): a
/// connection's driver runs on the runtime of the worker that opened it, so with one shared
/// pool a worker that finished its graceful shutdown took the connections of another worker's
/// requests in flight with it.
/// A running server, what stops it, and the count of requests it is answering.
pub struct Running {
    pub server: Server,
    pub handle: ServerHandle,
    pub drain: InFlight,
    /// The overdue-referral sweep, if switched on; it stops with the runtime.
    pub sweep: Option<tokio::task::JoinHandle<()>>,
    /// The connection that wakes long-polling readers of the changes feed, and the hourly
    /// pruning of changes past their retention.
    pub change_watcher: tokio::task::JoinHandle<()>,
    pub change_pruner: tokio::task::JoinHandle<()>,
    /// Recomputes the report measures of opinions that steps changed.
    pub measures_refresher: tokio::task::JoinHandle<()>,
    /// Webhook fan-out and delivery, unless switched off on this replica.
    pub webhook_worker: Option<tokio::task::JoinHandle<()>>,
}

/// Requests being answered right now, across all workers of one server.
#[derive(Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn now(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counts a request while it is being answered.
async fn count_in_flight(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let counter = req.app_data::<web::Data<InFlight>>().cloned();
    if let Some(c) = &counter {
        c.0.fetch_add(1, Ordering::SeqCst);
    }
    let response = next.call(req).await;
    if let Some(c) = &counter {
        c.0.fetch_sub(1, Ordering::SeqCst);
    }
    response
}

/// How long requests in flight may take to finish once SIGTERM arrives.
const DRAIN_FOR: Duration = Duration::from_secs(30);

/// How long the workers may take to stop once requests in flight are done: actix's own graceful
/// stop (`shutdown_timeout`, for connections still open) and a margin.
const STOP_WORKERS_WITHIN: Duration = Duration::from_secs(DRAIN_FOR.as_secs() + 5);

/// On SIGTERM or Ctrl-C: stop accepting, let every request in flight finish (up to 30 s),
/// then stop the workers. actix's own graceful stop let one worker of several drop its
/// requests in flight; draining first leaves it nothing to drop. Returns once the workers
/// have stopped, or once they have had `STOP_WORKERS_WITHIN` to do so: `serve` then ends
/// the process either way.
pub async fn stop_on_signal(handle: ServerHandle, in_flight: InFlight) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM; stop will not wait for requests in flight");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!(
        in_flight = in_flight.now(),
        "stopping: finishing requests in flight"
    );
    handle.pause().await;
    let deadline = tokio::time::Instant::now() + DRAIN_FOR;
    while in_flight.now() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::info!(left = in_flight.now(), "stopping the workers");
    if tokio::time::timeout(STOP_WORKERS_WITHIN, handle.stop(true))
        .await
        .is_err()
    {
        tracing::error!(
            within_secs = STOP_WORKERS_WITHIN.as_secs(),
            "the workers did not stop in time; stopping without them"
        );
    }
}

/// Runs `server` until it ends or until `stopped` (`stop_on_signal`) has seen it stop. A
/// server that did not end after its workers stopped was seen once, after a load test: its
/// workers and listener gone, its runtime idle, the process up for minutes. The background
/// tasks hold nothing a stop must wait for (each write is a transaction of its own), so the
/// process ends then.
pub async fn serve(
    server: Server,
    stopped: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    tokio::pin!(server);
    tokio::select! {
        done = &mut server => return Ok(done?),
        () = stopped => {}
    }
    match tokio::time::timeout(Duration::from_secs(2), server).await {
        Ok(done) => Ok(done?),
        Err(_) => {
            tracing::error!("the server did not end after its workers stopped; ending the process");
            Ok(())
        }
    }
}

pub fn run(listener: TcpListener, settings: Settings) -> anyhow::Result<Running> {
    let workers = settings.workers.max(1);
    let body_limit = settings.max_body_bytes;
    let origins = settings.cors_origins.clone();
    let per_worker = settings.db_pool_size.div_ceil(workers).max(1);
    // Fail at start, not in a worker, if the pool cannot be built at all.
    crate::db::build_pool(&settings.database_url, per_worker, &settings.db_timeouts)?;
    let sweep = match settings.notification_sweep {
        Some(every) => {
            let pool = crate::db::build_pool(&settings.database_url, 1, &settings.db_timeouts)?;
            Some(tokio::spawn(crate::notifications::sweep::run(pool, every)))
        }
        None => None,
    };
    let measures_pool = crate::db::build_pool(&settings.database_url, 1, &settings.db_timeouts)?;
    let measures = tokio::spawn(crate::stats::measures::run(measures_pool));
    let changes = std::sync::Arc::new(crate::changes::signal::ChangeSignal::default());
    let watcher = tokio::spawn(crate::changes::watch::run(
        settings.database_url.clone(),
        settings.db_timeouts.clone(),
        changes.clone(),
    ));
    let prune_pool = crate::db::build_pool(&settings.database_url, 1, &settings.db_timeouts)?;
    let pruner = tokio::spawn(crate::changes::retention::prune_every_hour(
        prune_pool,
        settings.changes_retention,
    ));
    let webhook_worker = if settings.webhooks.deliver {
        let pool = crate::db::build_pool(&settings.database_url, 2, &settings.db_timeouts)?;
        let worker = crate::webhooks::worker::Worker::new(
            pool,
            settings.webhooks.clone(),
            &settings.pii_key,
        )?;
        Some(tokio::spawn(worker.run(changes.clone())))
    } else {
        None
    };
    let (contract, served) = contract_and_document();
    let contract = web::Data::from(contract.clone());
    let served = served.clone();
    let in_flight = InFlight::default();
    let drain = in_flight.clone();
    // One for all workers: a session seen by one worker is folded into reads on every other.
    let hints = web::Data::new(crate::access::pipelined::CallerHints::default());
    let schedules = web::Data::new(crate::schedule::public::ScheduleCache::default());
    let policies = web::Data::new(crate::committees::kept_policies::KeptPolicies::default());
    let bulk_reads = web::Data::new(crate::db::bulk_reads::BulkReads::new(
        settings.bulk_reads_at_once,
    ));
    let server = HttpServer::new(move || {
        let pool = crate::db::build_pool(&settings.database_url, per_worker, &settings.db_timeouts)
            .expect("a pool built once already");
        let state = web::Data::new(AppState::new(settings.clone(), pool, changes.clone()));
        App::new()
            .app_data(state)
            .app_data(web::Data::new(in_flight.clone()))
            .app_data(contract.clone())
            .app_data(hints.clone())
            .app_data(schedules.clone())
            .app_data(policies.clone())
            .app_data(bulk_reads.clone())
            .app_data(request::BodyLimit(body_limit))
            .app_data(web::PathConfig::default().error_handler(request::path_error))
            .app_data(web::QueryConfig::default().error_handler(request::query_error))
            .configure(|cfg| {
                let mut cfg = ServiceConfig::new(cfg);
                routes(&mut cfg);
            })
            .route(
                "/openapi.json",
                web::get().to({
                    let served = served.clone();
                    move || {
                        let served = served.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(served)
                        }
                    }
                }),
            )
            .service(SwaggerUi::new("/docs/{_:.*}").config(
                utoipa_swagger_ui::Config::from("/openapi.json").persist_authorization(true),
            ))
            .service(web::redirect("/docs", "/docs/"))
            .default_service(web::to(unknown_route))
            .wrap(from_fn(crate::contract::enforce))
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
            .wrap(from_fn(request::refuse_control_characters_in_query))
            .wrap(from_fn(responses::harden))
            .wrap(from_fn(telemetry::trace_requests))
            .wrap(from_fn(count_in_flight))
    })
    .workers(workers)
    .shutdown_timeout(DRAIN_FOR.as_secs())
    // Signals are handled by `stop_on_signal`, which drains before it stops.
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(Running {
        handle: server.handle(),
        server,
        drain,
        sweep,
        change_watcher: watcher,
        change_pruner: pruner,
        measures_refresher: measures,
        webhook_worker,
    })
}
