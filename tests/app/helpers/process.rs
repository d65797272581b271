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

/// Reads all of a child's pipe in the background, so it never blocks on a
/// full pipe.
fn drain(
    mut pipe: impl tokio::io::AsyncRead + Unpin + 'static,
) -> tokio::task::JoinHandle<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    tokio::task::spawn_local(async move {
        let mut out = Vec::new();
        let _ = pipe.read_to_end(&mut out).await;
        out
    })
}

/// The binary serving (`serve`, `RUST_LOG=debug`) on a free loopback port,
/// with everything it writes captured: for tests about what is logged.
pub struct LoggedServer {
    pub address: String,
    child: tokio::process::Child,
    stdout: tokio::task::JoinHandle<Vec<u8>>,
    stderr: tokio::task::JoinHandle<Vec<u8>>,
}

impl LoggedServer {
    /// Starts it on `database_url` with `envs` added to a clean
    /// environment, and waits until it answers `/healthz`.
    pub async fn start(database_url: &str, envs: &[(&str, &str)]) -> LoggedServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!("http://127.0.0.1:{port}");
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_private-integrations"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("PUBLIC_URL", &address)
            .env("RUST_LOG", "debug")
            .envs(envs.iter().copied())
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the server");
        let stdout = drain(child.stdout.take().expect("stdout"));
        let stderr = drain(child.stderr.take().expect("stderr"));
        let client = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..300 {
            if let Ok(resp) = client.get(format!("{address}/healthz")).send().await {
                ready = resp.status() == reqwest::StatusCode::OK;
                if ready {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "the server never answered /healthz");
        LoggedServer {
            address,
            child,
            stdout,
            stderr,
        }
    }

    /// Stops the server (after giving it time to write what the last
    /// requests log) and returns everything it wrote.
    pub async fn stop(mut self) -> String {
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.child.start_kill().expect("stop the server");
        let _ = self.child.wait().await;
        let mut logs = String::from_utf8_lossy(&self.stdout.await.expect("stdout")).into_owned();
        logs.push_str(&String::from_utf8_lossy(
            &self.stderr.await.expect("stderr"),
        ));
        logs
    }
}
