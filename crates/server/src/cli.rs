//! The `comptoir` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use comptoir_app::config::Config;

#[derive(Debug, Parser)]
#[command(name = "comptoir", version, about = "Comptoir commerce platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API, the pages and the workers (creates and migrates the database).
    Serve {
        /// Load the demo data first.
        #[arg(long)]
        demo: bool,
    },
    /// Run the background workers only.
    Worker,
    /// Apply the database migrations and exit.
    Migrate,
    /// Load data into the database.
    Seed {
        /// The demo shop's data.
        #[arg(long, required_unless_present = "products")]
        demo: bool,
        /// Add N generated products (1 to 1,000,000; deterministic) for benchmarks.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        products: Option<u32>,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Check the stock.
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
    /// Manage accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Write a compressed pg_dump with its SHA-256 checksum into DIR and
    /// keep the last KEEP.
    Backup {
        #[arg(long, default_value = "var/backups")]
        dir: std::path::PathBuf,
        #[arg(long, default_value_t = 14)]
        keep: usize,
    },
    /// Restore a backup into a new, empty database (created when missing),
    /// after checking its checksum.
    Restore {
        /// The `.dump` file written by `comptoir backup`.
        #[arg(long)]
        from: std::path::PathBuf,
        /// The database to restore into, such as postgres://postgres@127.0.0.1/comptoir_restored.
        #[arg(long)]
        into: String,
    },
}

#[derive(Debug, Subcommand)]
enum InventoryCommand {
    /// Proves that every stock level equals the sum of its movements and that
    /// its reserved quantity equals its active reservations; exits 1 and
    /// lists the levels that differ otherwise.
    Verify,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an administrator, or give an existing account the admin role
    /// (its password is then left as it is). Safe to run again.
    Create {
        #[arg(long)]
        email: String,
        /// Or COMPTOIR_ADMIN_PASSWORD, which other users of the machine cannot read in the process list.
        #[arg(long, env = "COMPTOIR_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

pub fn main() -> ExitCode {
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("comptoir: cannot read .env: {err}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        return match serde_json::to_string_pretty(&crate::router::openapi()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("comptoir: {err}");
                ExitCode::FAILURE
            }
        };
    }

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("comptoir: {err}");
            return ExitCode::from(2);
        }
    };
    let _log_guard = crate::telemetry::init_logging(config.log_format, &config.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("comptoir: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { demo } => crate::serve::serve(config, demo).await,
            Command::Worker => crate::serve::work(config).await,
            Command::Inventory {
                command: InventoryCommand::Verify,
            } => {
                let db = crate::serve::open_database(&config).await?;
                let mut conn = db.acquire().await?;
                let mismatches = comptoir_db::inventory::verify_ledger(&mut conn).await?;
                if mismatches.is_empty() {
                    println!("inventory verified: every stock level equals the sum of its movements");
                    return Ok(());
                }
                for m in &mismatches {
                    println!(
                        "variant {} at location {}: on_hand {} (movements say {}), reserved {} (movements say {}, \
                         active reservations {})",
                        m.variant_id,
                        m.location_id,
                        m.on_hand,
                        m.movements_on_hand,
                        m.reserved,
                        m.movements_reserved,
                        m.active_reservations
                    );
                }
                anyhow::bail!("{} stock level(s) differ from their ledger", mismatches.len())
            }
            Command::Migrate => {
                crate::serve::open_database(&config).await?;
                tracing::info!("migrations applied");
                Ok(())
            }
            Command::Seed { demo, products } => {
                let db = crate::serve::open_database(&config).await?;
                if demo {
                    crate::seed::demo(&db).await?;
                }
                if let Some(count) = products {
                    crate::seed::generated_products(&db, count).await?;
                }
                Ok(())
            }
            Command::Openapi => Ok(()),
            Command::Backup { dir, keep } => {
                let file = crate::backup::backup(config.database_url.expose_secret(), &dir, keep).await?;
                println!("{}", file.display());
                Ok(())
            }
            Command::Restore { from, into } => {
                crate::backup::restore(&from, &into).await?;
                println!(
                    "restored {} into {}",
                    from.display(),
                    comptoir_app::config::redact_url_password(&into)
                );
                Ok(())
            }
            Command::Admin {
                command: AdminCommand::Create { email, password },
            } => {
                let db = crate::serve::open_database(&config).await?;
                let state = crate::serve::state(config, db);
                let (account, created) =
                    comptoir_app::identity::sessions::create_admin(&state, &email, &password).await?;
                println!(
                    "{} administrator {} ({})",
                    if created {
                        "created"
                    } else {
                        "already an account; ensured"
                    },
                    account.email,
                    account.id
                );
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "comptoir failed");
            eprintln!("comptoir: {err:#}");
            ExitCode::FAILURE
        }
    }
}
