//! A connection that `LISTEN`s and sleeps until the server says something.
//!
//! Diesel reads notifications only when asked and keeps its socket to
//! itself, so a listener built on it can only poll, and every poll leaves a
//! window in which a request is still answered from what a change committed
//! just before has made stale. This one is libpq's own connection (the same
//! library diesel uses, through the same `pq-sys`), waited on with `poll(2)`:
//! a notification is read as soon as it arrives.

use std::ffi::{CStr, CString};
use std::ptr::NonNull;
use std::time::Duration;

use pq_sys::{ConnStatusType, ExecStatusType, PGconn};

/// One listening connection; closed when dropped.
pub struct Listener {
    conn: NonNull<PGconn>,
}

// SAFETY: a libpq connection may move between threads as long as only one
// uses it at a time, which `&mut self` on every call guarantees.
unsafe impl Send for Listener {}

impl Drop for Listener {
    fn drop(&mut self) {
        // SAFETY: `conn` came from PQconnectdb and is finished only here.
        unsafe { pq_sys::PQfinish(self.conn.as_ptr()) }
    }
}

/// What a ping in flight has come to.
pub enum Ping {
    Answered,
    Waiting,
}

impl Listener {
    /// Connects to `url` and listens on `channel`.
    pub fn connect(url: &str, channel: &str) -> Result<Listener, String> {
        let url = CString::new(url).map_err(|_| "the database URL holds a NUL".to_string())?;
        // SAFETY: `url` is a valid C string for the duration of the call.
        let raw = unsafe { pq_sys::PQconnectdb(url.as_ptr()) };
        let conn = NonNull::new(raw).ok_or("libpq could not allocate a connection")?;
        let listener = Listener { conn };
        // SAFETY: `conn` is a live connection object, and the processor
        // needs no argument.
        unsafe {
            pq_sys::PQsetNoticeProcessor(conn.as_ptr(), Some(notice), std::ptr::null_mut());
        }
        // SAFETY: `conn` is a live connection object.
        if unsafe { pq_sys::PQstatus(conn.as_ptr()) } != ConnStatusType::CONNECTION_OK {
            return Err(listener.error());
        }
        listener.exec(&format!("LISTEN {channel}"))?;
        Ok(listener)
    }

    /// libpq's last error, on one line.
    fn error(&self) -> String {
        // SAFETY: PQerrorMessage returns a string owned by the connection,
        // valid until the next call on it; it is copied at once.
        let text = unsafe { CStr::from_ptr(pq_sys::PQerrorMessage(self.conn.as_ptr())) };
        crate::db::one_line(&text.to_string_lossy())
    }

    /// Runs a command to its end (only at connection time, before anything
    /// else is in flight).
    fn exec(&self, sql: &str) -> Result<(), String> {
        let sql = CString::new(sql).map_err(|_| "a command holds a NUL".to_string())?;
        // SAFETY: a live connection with nothing in flight; the result is
        // cleared before returning.
        unsafe {
            let result = pq_sys::PQexec(self.conn.as_ptr(), sql.as_ptr());
            let ok = !result.is_null()
                && pq_sys::PQresultStatus(result) == ExecStatusType::PGRES_COMMAND_OK;
            pq_sys::PQclear(result);
            if ok { Ok(()) } else { Err(self.error()) }
        }
    }

    /// Sends a `SELECT 1` without waiting for its answer (see [`Self::ping`]).
    pub fn send_ping(&mut self) -> Result<(), String> {
        // SAFETY: a live connection; the query is a static C string.
        let sent = unsafe { pq_sys::PQsendQuery(self.conn.as_ptr(), c"SELECT 1".as_ptr()) };
        if sent == 1 { Ok(()) } else { Err(self.error()) }
    }

    /// Whether the ping sent last has been answered (its results read), is
    /// still on its way, or failed.
    pub fn ping(&mut self) -> Result<Ping, String> {
        // SAFETY: a live connection; every result taken is cleared.
        unsafe {
            if pq_sys::PQisBusy(self.conn.as_ptr()) == 1 {
                return Ok(Ping::Waiting);
            }
            let mut failed = false;
            loop {
                let result = pq_sys::PQgetResult(self.conn.as_ptr());
                if result.is_null() {
                    break;
                }
                failed |= pq_sys::PQresultStatus(result) != ExecStatusType::PGRES_TUPLES_OK;
                pq_sys::PQclear(result);
            }
            if failed {
                Err(self.error())
            } else {
                Ok(Ping::Answered)
            }
        }
    }

    /// Sleeps until the server sends something or `timeout` passes, then
    /// reads whatever arrived; an error when the connection failed.
    pub fn wait(&mut self, timeout: Duration) -> Result<(), String> {
        // SAFETY: a live connection.
        let fd = unsafe { pq_sys::PQsocket(self.conn.as_ptr()) };
        if fd < 0 {
            return Err("the listening connection has no socket".into());
        }
        let mut polled = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd, for the duration of the call.
        let ready = unsafe { libc::poll(&mut polled, 1, ms) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(e.to_string())
            };
        }
        // Read even when poll saw nothing: libpq may hold bytes already.
        // SAFETY: a live connection.
        if unsafe { pq_sys::PQconsumeInput(self.conn.as_ptr()) } == 1 {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// The payloads of the notifications read so far, oldest first.
    pub fn notifications(&mut self) -> Vec<String> {
        let mut payloads = Vec::new();
        // SAFETY: each notification libpq hands over is read, then freed
        // with PQfreemem as its documentation asks.
        unsafe {
            loop {
                let n = pq_sys::PQnotifies(self.conn.as_ptr());
                if n.is_null() {
                    break;
                }
                let extra = (*n).extra;
                if !extra.is_null() {
                    payloads.push(CStr::from_ptr(extra).to_string_lossy().into_owned());
                }
                pq_sys::PQfreemem(n.cast());
            }
        }
        payloads
    }
}

/// What the server tells the connection besides results (say, "terminating
/// connection due to administrator command" as it goes away) goes to the
/// log, not, as libpq would have it, straight to standard error: the
/// listener reports the lost connection itself.
unsafe extern "C" fn notice(_: *mut std::os::raw::c_void, message: *const std::os::raw::c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: libpq hands over a NUL-terminated message, valid during the call.
    let text = unsafe { CStr::from_ptr(message) };
    tracing::debug!(notice = %crate::db::one_line(&text.to_string_lossy()), "listening connection");
}
