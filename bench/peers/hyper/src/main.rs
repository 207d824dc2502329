//! Rust tokio + hyper peer of the benchmark comparison: "Hello, World!" on /, a JSON answer
//! on /json.
//!
//!   hyper-hello PORT [WORKERS]   listens on 127.0.0.1:PORT with WORKERS threads (default 1),
//!                                each a current-thread tokio runtime with its own
//!                                SO_REUSEPORT listener (thread per core, as hyper's own
//!                                TechEmpower entry does), so one worker is one thread.
use std::convert::Infallible;
use std::net::SocketAddr;

use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, SERVER};
use hyper::server::conn::Http;
use hyper::service::service_fn;
use hyper::{Body, Request, Response};
use tokio::net::TcpSocket;

const HELLO: &[u8] = b"Hello, World!";
const JSON: &[u8] = br#"{"message":"Hello, World!"}"#;

fn handle(req: &Request<Body>) -> Response<Body> {
    let (body, content_type) = if req.uri().path() == "/json" {
        (JSON, "application/json")
    } else {
        (HELLO, "text/plain")
    };
    let mut res = Response::new(Body::from(body));
    let headers = res.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("hyper"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    // hyper 0.14 closes the connection after a "Connection: close" request but does not say
    // so in the response; a client that keeps the connection (wrk) then counts read errors.
    let close = req
        .headers()
        .get(CONNECTION)
        .and_then(|v| v.to_str().ok())
        .map_or(false, |v| v.to_ascii_lowercase().contains("close"));
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(4096)?;
    let mut http = Http::new();
    http.http1_only(true);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => continue, // EMFILE and the like: keep serving the others
        };
        let _ = stream.set_nodelay(true);
        let http = http.clone();
        tokio::spawn(async move {
            let service = service_fn(|req| async move { Ok::<_, Infallible>(handle(&req)) });
            let _ = http.serve_connection(stream, service).await;
        });
    }
}

fn run_worker(addr: SocketAddr) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(serve(addr)) {
        eprintln!("hyper-hello: {}", e);
        std::process::exit(1);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: hyper-hello PORT [WORKERS]");
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().expect("PORT");
    let workers: usize = args.get(2).map_or(1, |w| w.parse().expect("WORKERS"));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let threads: Vec<_> = (1..workers)
        .map(|_| std::thread::spawn(move || run_worker(addr)))
        .collect();
    run_worker(addr); // worker 0 is the main thread
    for t in threads {
        let _ = t.join();
    }
}
