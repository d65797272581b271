//! Command line: `serve` (the default), `migrate`, `create-admin`.

use std::io::BufRead;

use clap::{Parser, Subcommand};

use crate::actions::people;
use crate::auth::password;
use crate::config::Settings;
use crate::domain::email::Email;
use crate::domain::password::Password;
use crate::startup::{Application, migrate_database, prepare_database};

#[derive(Debug, Parser)]
#[command(
    name = "private-integrations",
    version,
    about = "Private Integrations admin panel and API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the panel and the API (the default).
    Serve,
    /// Create the database if needed and apply pending migrations, then exit.
    Migrate,
    /// Add a user who can sign in; the password is read from standard input.
    CreateAdmin {
        /// The account to join; created, with this user as owner, when new.
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
    },
}

/// Runs the chosen command; the error is the one line printed before exiting.
pub async fn run(cli: Cli, settings: Settings) -> Result<(), String> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings)
                .await
                .map_err(|e| e.to_string())?;
            println!("Private Integrations is running: open {}", app.public_url());
            app.run_until_stopped()
                .await
                .map_err(|e| format!("server stopped: {e}"))
        }
        Command::Migrate => {
            let (_, applied) =
                actix_web::rt::task::spawn_blocking(move || migrate_database(&settings))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
            match applied {
                0 => println!("Database is up to date: no migration to apply."),
                1 => println!("Applied 1 migration; the database is up to date."),
                n => println!("Applied {n} migrations; the database is up to date."),
            }
            Ok(())
        }
        Command::CreateAdmin { account, email } => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
            let password = Password::new(line.trim_end_matches(['\r', '\n']).to_string());
            drop(line);
            actix_web::rt::task::spawn_blocking(move || {
                create_admin(&settings, &account, &email, &password)
            })
            .await
            .map_err(|e| e.to_string())?
        }
    }
}

fn create_admin(
    settings: &Settings,
    account_name: &str,
    email: &str,
    password: &Password,
) -> Result<(), String> {
    let account_name = account_name.trim();
    if account_name.is_empty() || account_name.chars().count() > 100 {
        return Err("--account must be 1 to 100 characters".into());
    }
    let email = Email::parse(email).ok_or("--email is not a valid email address")?;
    if password.expose().contains('\0') {
        return Err("the password must not hold a NUL character".into());
    }
    let length = password.chars();
    if !(password::MIN_LENGTH..=password::MAX_LENGTH).contains(&length) {
        return Err(format!(
            "the password must be {} to {} characters",
            password::MIN_LENGTH,
            password::MAX_LENGTH
        ));
    }
    let hash = password::hash_blocking(password.expose()).map_err(|e| e.to_string())?;
    let mut conn = prepare_database(settings).map_err(|e| e.to_string())?;
    let outcome = people::add_from_command_line(&mut conn, account_name, &email, &hash);
    match outcome {
        Ok(Some((account, role))) => {
            println!(
                "Added {} as {} of account \"{}\" ({}).",
                email.as_str(),
                role.as_str(),
                account.name,
                account.id
            );
            Ok(())
        }
        Ok(None) => Err(format!(
            "a user with email {} already exists",
            email.as_str()
        )),
        Err(e) => Err(format!("cannot add the user: {e}")),
    }
}
