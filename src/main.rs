use std::io::Read;
use std::net::TcpListener;

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use liaison::config::Settings;
use liaison::startup;
use liaison::{db, demo, telemetry, users};

#[derive(Parser)]
#[command(
    name = "liaison",
    version,
    about = "People's Congress deputy–voter liaison API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve the API.
    Serve {
        /// Load demo data and allow a generated JWT secret. Never in production.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an admin account, or reset an existing one's password and role.
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (first line), so it stays out of shell history.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
}

fn database_url() -> anyhow::Result<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .context("DATABASE_URL is required")
}

/// Big blocks (Argon2's 19 MiB) are mapped and unmapped on their own, and two arenas serve
/// every thread. glibc's defaults otherwise keep freed memory resident: its mmap threshold
/// rises to the largest block freed, so the next 19 MiB comes from an arena and stays, and
/// each thread may get an arena of its own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    // SAFETY: mallopt only sets allocator parameters; it is called before the server starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

/// Every ten seconds, hands the allocator's free pages back to the system: after a burst
/// (a page of obligations, a large duty record) glibc keeps freed memory inside its arenas,
/// and only trims what lies at the top of one.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
async fn trim_freed_memory() {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        every.tick().await;
        // SAFETY: malloc_trim only returns free pages; it is safe to call at any time.
        let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
async fn trim_freed_memory() {}

// The actix System runtime, not a plain Tokio one: inside an existing Tokio runtime actix
// cannot hold SIGTERM until every worker has finished its requests in flight.
#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    return_freed_memory();
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&startup::openapi_json())?
            );
        }
        Command::Migrate => {
            telemetry::init(std::io::stdout);
            let ran = db::run_migrations(&database_url()?).await?;
            tracing::info!(applied = ran.len(), "migrations done");
        }
        Command::CreateAdmin {
            username,
            password_stdin: _,
        } => {
            telemetry::init(std::io::stderr);
            let username = users::domain::Username::parse(&username)
                .map_err(|e| anyhow::anyhow!("username {e}"))?;
            let mut line = String::new();
            std::io::stdin().read_to_string(&mut line)?;
            let password = line.lines().next().unwrap_or_default().to_owned();
            let password = users::domain::NewPassword::parse(password)
                .map_err(|e| anyhow::anyhow!("password {e}"))?;
            let url = database_url()?;
            db::run_migrations(&url).await?;
            let password = password.expose();
            liaison::auth::passwords::check_strength(&password, &[username.as_str()], "password")
                .map_err(|e| anyhow::anyhow!("password {}", e.detail_with_fields()))?;
            let hash = liaison::auth::passwords::hash_blocking(&password)?;
            let mut conn = AsyncPgConnection::establish(&url).await?;
            let id = users::model::upsert_admin(&mut conn, username.as_str(), &hash).await?;
            println!("admin account {} ready (id {id})", username.as_str());
        }
        Command::Serve { demo } => {
            telemetry::init(std::io::stdout);
            let settings = Settings::from_env(demo)?;
            db::wait_for(&settings.database_url, &settings.db_timeouts).await?;
            let ran = db::run_migrations(&settings.database_url).await?;
            tracing::info!(applied = ran.len(), "migrations done");
            if demo {
                let mut conn = db::connect(&settings.database_url, &settings.db_timeouts)
                    .await
                    .context("connecting to load demo data")?;
                demo::load(&mut conn).await?;
            }
            let listener = TcpListener::bind(settings.bind)
                .with_context(|| format!("binding {}", settings.bind))?;
            let address = listener.local_addr()?;
            if demo {
                print_demo_banner(address);
            }
            tracing::info!(%address, "listening");
            let server = startup::run(listener, settings)?;
            let stopped = startup::stop_on_signal(server.handle.clone(), server.drain.clone());
            actix_web::rt::spawn(trim_freed_memory());
            startup::serve(server.server, stopped).await?;
        }
    }
    Ok(())
}

fn print_demo_banner(address: std::net::SocketAddr) {
    println!();
    println!("  liaison is running at http://{address}");
    println!("  Swagger UI:  http://{address}/docs/");
    println!("  OpenAPI:     http://{address}/openapi.json");
    println!();
    println!(
        "  Demo log-ins (demo data only, never use in production), password `{}`:",
        demo::DEMO_PASSWORD
    );
    for (username, role, ..) in demo::DEMO_ACCOUNTS {
        println!("    {username:<22} {role}");
    }
    println!();
    println!("  Demo service client (every scope), for POST /api/v1/auth/token:");
    println!("    client_id      {}", demo::DEMO_CLIENT_ID);
    println!("    client_secret  {}", demo::DEMO_CLIENT_SECRET);
    println!();
}
