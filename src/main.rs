//! The `private-integrations` binary: parses the command line, loads the
//! settings and hands over to the library; exit codes live here.

use clap::Parser;
use private_integrations::cli::{self, Cli};
use private_integrations::config::Settings;
use private_integrations::telemetry;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // A missing .env is normal; a broken one is reported by the settings it breaks.
    let _ = dotenvy::dotenv();
    telemetry::init();
    let result = match Settings::from_env() {
        Ok(settings) => actix_web::rt::System::new().block_on(cli::run(cli, settings)),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
