//! Running the binary itself, as an operator would, and judging how it ended.

use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

/// How long a subprocess of the binary may run before the test gives up.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the binary with `args`, only the given environment (plus `PATH` and
/// `RUST_LOG=error`), outside the project directory (so no `.env` is read),
/// feeding `stdin`; kills it after a minute.
pub async fn run_cli(args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_private-integrations"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "error")
        .envs(envs.iter().copied())
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("start the binary");
    let mut input = child.stdin.take().expect("child stdin");
    if let Some(text) = stdin {
        // The child may exit before reading; a broken pipe is its business.
        let _ = input.write_all(text.as_bytes()).await;
    }
    drop(input);
    match tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output()).await {
        Ok(output) => output.expect("wait for the binary"),
        Err(_) => panic!(
            "`private-integrations {}` still running after {CLI_TIMEOUT:?}",
            args.join(" ")
        ),
    }
}

/// Text of the child's standard error.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the process failed cleanly: a non-zero exit code and exactly one
/// line on standard error, with no panic or backtrace.
/// How the process ended, in words (a signal is not an exit code).
pub fn exit_of(output: &Output) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (output.status.code(), output.status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => format!("{:?}", output.status),
    }
}

/// Asserts the process succeeded, showing how it ended and its stderr if not.
#[track_caller]
pub fn assert_succeeded(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what}: {}; stderr: {}",
        exit_of(output),
        stderr_of(output)
    );
}

/// Asserts the process failed cleanly: a non-zero exit code (not a crash)
/// and exactly one line on standard error, with no panic or backtrace.
#[track_caller]
pub fn assert_failed_with_one_line(output: &Output) {
    let stderr = stderr_of(output);
    assert!(
        matches!(output.status.code(), Some(c) if c != 0),
        "expected a non-zero exit code, got {}; stderr: {stderr}",
        exit_of(output)
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("backtrace"),
        "stderr shows a panic: {stderr}"
    );
}
