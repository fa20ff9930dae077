//! The accept loop: HTTP/1.1 over hyper with bounds no client can lift.
//!
//! - **Header timeout**: a request's headers must arrive within `header_timeout`.
//! - **Idle timeout**: a keep-alive connection with no request in flight for `idle_timeout`
//!   is closed.
//! - **Connection cap**: at most `max_connections` are served at once. At the cap, a new
//!   connection is still accepted, and the oldest connection that has not yet sent one
//!   complete request header is dropped to make room; only when every connection is busy
//!   with real requests does a new one wait. So thousands of half-open connections never
//!   lock out `/healthz` or a dashboard login.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tower::Service;

/// The bounds of the accept loop.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// One served connection, as the shedding logic sees it.
struct Conn {
    /// Set once a complete request header arrived.
    active: AtomicBool,
    /// Requests in flight.
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
    /// Dropped by the accept loop to make room.
    shed: Notify,
}

/// Open connections in accept order (candidates for shedding).
type Registry = Arc<Mutex<VecDeque<Arc<Conn>>>>;

/// Serve `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let conns: Registry = Arc::new(Mutex::new(VecDeque::new()));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, _peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // EMFILE and friends: shed a half-open connection, back off briefly.
                tracing::warn!(error = %e, "accept failed");
                shed_one(&conns);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                shed_one(&conns);
                tokio::select! {
                    _ = &mut shutdown => break,
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                }
            }
        };
        let conn = Arc::new(Conn {
            active: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
            shed: Notify::new(),
        });
        if let Ok(mut q) = conns.lock() {
            q.push_back(conn.clone());
        }
        let app = app.clone();
        let http = http.clone();
        let conns = conns.clone();
        tokio::spawn(async move {
            serve_one(stream, app, &http, conn.clone(), limits.idle_timeout).await;
            forget(&conns, &conn);
            drop(permit);
        });
    }
}

/// Make room: drop the oldest connection that has not sent a request header yet, else the
/// oldest idle keep-alive connection. Connections with a request in flight are never dropped.
fn shed_one(conns: &Registry) {
    let Ok(mut q) = conns.lock() else { return };
    let idle = |c: &Arc<Conn>| c.in_flight.load(Ordering::SeqCst) == 0;
    let pick = q
        .iter()
        .position(|c| idle(c) && !c.active.load(Ordering::SeqCst))
        .or_else(|| q.iter().position(idle));
    if let Some(i) = pick {
        if let Some(c) = q.remove(i) {
            c.shed.notify_one();
        }
    }
}

fn forget(conns: &Registry, conn: &Arc<Conn>) {
    if let Ok(mut q) = conns.lock() {
        q.retain(|c| !Arc::ptr_eq(c, conn));
    }
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    app: Router,
    http: &hyper::server::conn::http1::Builder,
    conn: Arc<Conn>,
    idle: Duration,
) {
    let c2 = conn.clone();
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut app = app.clone();
        let c = c2.clone();
        c.active.store(true, Ordering::SeqCst);
        c.in_flight.fetch_add(1, Ordering::SeqCst);
        async move {
            let res = app.call(req).await;
            c.in_flight.fetch_sub(1, Ordering::SeqCst);
            if let Ok(mut l) = c.last.lock() {
                *l = Instant::now();
            }
            res
        }
    });
    let fut = http.serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(fut);
    let mut tick = tokio::time::interval(Duration::from_secs(1).min(idle));
    let mut closing = false;
    loop {
        tokio::select! {
            r = fut.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            _ = conn.shed.notified() => {
                tracing::debug!("idle or half-open connection shed at the connection cap");
                return;
            }
            _ = tick.tick(), if !closing => {
                let quiet = conn.in_flight.load(Ordering::SeqCst) == 0
                    && conn.last.lock().map(|l| l.elapsed() >= idle).unwrap_or(false);
                if quiet {
                    fut.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}
