//! The `private-integrations` binary: parses the command line, loads the
//! settings and hands over to the library; exit codes live here.

use clap::Parser;
use private_integrations::cli::{self, Cli};
use private_integrations::config::Settings;
use private_integrations::telemetry;

fn main() -> std::process::ExitCode {
    fixed_mmap_threshold();
    let cli = Cli::parse();
    // A missing .env is normal; a broken one must not quietly leave its
    // settings out (a default database, a generated key). The line itself is
    // not repeated: it may hold a secret.
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(dotenvy::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(dotenvy::Error::LineParse(_, at)) => {
            eprintln!("error: .env cannot be read: a line is malformed at character {at}");
            return std::process::ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: .env cannot be read: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
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

/// Large allocations (a password hash's 19 MiB of Argon2 memory) go to the
/// kernel and back whole. glibc otherwise raises its mmap threshold to the
/// largest block freed so far, after which each hash's 19 MiB lands in the
/// heap and stays there: every sign-in left about that much behind, up to
/// some 350 MB. A fixed threshold also stops that adjustment.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fixed_mmap_threshold() {
    // SAFETY: mallopt only sets an allocator parameter; called first thing
    // in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fixed_mmap_threshold() {}
