// The ceiling of the peer comparison: a minimal epoll HTTP server that answers every request
// with precomputed bytes. It parses nothing but the request line's path and a
// "Connection: close" header, so no real server on this kernel can answer faster; the gap
// between it and a server is what that server's HTTP work costs.
//
//   fixed_epoll PORT [WORKERS]   listens on 127.0.0.1:PORT; WORKERS processes (default 1),
//                                each with its own SO_REUSEPORT listener and epoll loop.
//
// A request is complete at "\r\n\r\n" (requests with a body are not supported), so pipelined
// requests are all counted and answered with one write. The Date header is rewritten in
// place at most once per second.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define kMaxEvents 256
#define kMaxHeader 65536

// A response is a template whose "Date: " value (29 bytes) is rewritten every second.
typedef struct {
  char bytes[512];
  size_t len;
  size_t date_at;  // offset of the 29-byte date value
} Response;

static Response g_hello, g_json, g_hello_close, g_json_close;

// Per connection we keep only the unfinished tail of a request (usually nothing), so an idle
// connection costs one small struct, like a server with pooled buffers.
typedef struct {
  int fd;
  char* partial;       // bytes of an incomplete request, malloc'd only when one exists
  size_t partial_len;
  char* pending;       // response bytes the socket did not take yet
  size_t pending_len, pending_off;
  int close_after;     // a "Connection: close" request was answered
} Conn;

static char g_in[kMaxHeader * 2];
static char* g_out;
static size_t g_out_cap;

static void make_response(Response* r, const char* type, const char* body, int close) {
  r->len = (size_t)snprintf(r->bytes, sizeof r->bytes,
                            "HTTP/1.1 200 OK\r\nServer: c-epoll\r\nDate: "
                            "Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Type: %s\r\n"
                            "Content-Length: %zu\r\n%s\r\n%s",
                            type, strlen(body), close ? "Connection: close\r\n" : "", body);
  r->date_at = (size_t)(strstr(r->bytes, "Date: ") - r->bytes) + 6;
}

static void refresh_date(void) {
  static time_t last;
  time_t now = time(NULL);
  if (now == last) return;
  last = now;
  struct tm tm;
  gmtime_r(&now, &tm);
  char date[32];
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  Response* all[] = {&g_hello, &g_json, &g_hello_close, &g_json_close};
  for (int i = 0; i < 4; i++) memcpy(all[i]->bytes + all[i]->date_at, date, 29);
}

// True if the header block [head, end) has a Connection header whose value contains "close".
static int wants_close(const char* head, const char* end) {
  for (const char* line = head; line < end;) {
    const char* eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol) eol = end;
    if (eol - line > 11 && strncasecmp(line, "connection:", 11) == 0) {
      for (const char* p = line + 11; p + 5 <= eol; p++)
        if (strncasecmp(p, "close", 5) == 0) return 1;
    }
    line = eol + 1;
  }
  return 0;
}

static void out_append(size_t* len, const Response* r) {
  if (*len + r->len > g_out_cap) {
    g_out_cap = (*len + r->len) * 2;
    g_out = realloc(g_out, g_out_cap);
    if (!g_out) abort();
  }
  memcpy(g_out + *len, r->bytes, r->len);
  *len += r->len;
}

static void conn_free(int ep, Conn* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->partial);
  free(c->pending);
  free(c);
}

// Writes what is pending; returns -1 on error, 0 if all was written, 1 if the socket is full.
static int flush_pending(Conn* c) {
  while (c->pending_off < c->pending_len) {
    ssize_t n = write(c->fd, c->pending + c->pending_off, c->pending_len - c->pending_off);
    if (n < 0) return (errno == EAGAIN) ? 1 : -1;
    c->pending_off += (size_t)n;
  }
  free(c->pending);
  c->pending = NULL;
  c->pending_len = c->pending_off = 0;
  return 0;
}

static void watch(int ep, Conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

// Reads what arrived, answers every complete request in one write. Returns 0 to keep the
// connection, -1 to close it.
static int on_readable(int ep, Conn* c) {
  size_t have = c->partial_len;
  if (have) memcpy(g_in, c->partial, have);
  ssize_t n = read(c->fd, g_in + have, sizeof g_in - have);
  if (n == 0) return -1;
  if (n < 0) return (errno == EAGAIN) ? 0 : -1;
  have += (size_t)n;

  size_t out_len = 0, pos = 0;
  for (;;) {
    char* end = memmem(g_in + pos, have - pos, "\r\n\r\n", 4);
    if (!end) break;
    char* head = g_in + pos;
    int json = have - pos > 9 && memcmp(head, "GET /json", 9) == 0;
    int close = wants_close(head, end);
    out_append(&out_len, json ? (close ? &g_json_close : &g_json)
                              : (close ? &g_hello_close : &g_hello));
    pos = (size_t)(end + 4 - g_in);
    if (close) {
      c->close_after = 1;
      pos = have;  // nothing after a closing request is answered
      break;
    }
  }
  size_t rest = have - pos;
  if (rest > kMaxHeader) return -1;
  if (rest) {
    c->partial = realloc(c->partial, rest);
    memmove(c->partial, g_in + pos, rest);
  } else {
    free(c->partial);
    c->partial = NULL;
  }
  c->partial_len = rest;

  if (out_len) {
    ssize_t w = write(c->fd, g_out, out_len);  // the common case: everything in one write
    if (w < 0 && errno != EAGAIN) return -1;
    size_t done = w < 0 ? 0 : (size_t)w;
    if (done < out_len) {  // keep the rest, stop reading until the client takes it
      c->pending_len = out_len - done;
      c->pending = malloc(c->pending_len);
      memcpy(c->pending, g_out + done, c->pending_len);
      c->pending_off = 0;
      watch(ep, c, EPOLLOUT);
      return 0;
    }
  }
  return c->close_after ? -1 : 0;
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(fd, 4096) < 0) {
    perror("fixed_epoll: bind/listen");
    exit(1);
  }
  return fd;
}

static void serve(int port) {
  int lfd = listen_on(port);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};  // NULL marks the listener
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(ep, events, kMaxEvents, 1000);
    refresh_date();
    for (int i = 0; i < n; i++) {
      Conn* c = events[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          Conn* nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      if (c->pending) {  // EPOLLOUT: finish the answers, then read again
        int r = flush_pending(c);
        if (r < 0 || (r == 0 && c->close_after)) conn_free(ep, c);
        else if (r == 0) watch(ep, c, EPOLLIN);
        continue;
      }
      if (on_readable(ep, c) < 0) conn_free(ep, c);
    }
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fixed_epoll PORT [WORKERS]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int workers = argc > 2 ? atoi(argv[2]) : 1;
  signal(SIGPIPE, SIG_IGN);
  make_response(&g_hello, "text/plain", "Hello, World!", 0);
  make_response(&g_json, "application/json", "{\"message\":\"Hello, World!\"}", 0);
  make_response(&g_hello_close, "text/plain", "Hello, World!", 1);
  make_response(&g_json_close, "application/json", "{\"message\":\"Hello, World!\"}", 1);
  // Extra workers are child processes that die with the parent (it is the one the benchmark
  // runner starts and stops).
  for (int i = 1; i < workers; i++) {
    if (fork() == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() == 1) return 0;  // the parent is already gone
      break;
    }
  }
  serve(port);
  return 0;
}
