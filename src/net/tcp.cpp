// TCP sockets on top of the worker's I/O driver.
#include "zokio/net/tcp.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>

#include "io/driver.hpp"
#include "io/recv_pool.hpp"
#include "runtime/worker.hpp"

namespace zokio::net {

namespace {
std::error_code last_error() noexcept {
  return errno_code(errno);
}
}  // namespace

TransferAwaiter::TransferAwaiter(detail::OpKind kind, int fd, std::uint64_t id, void* buf,
                                 std::size_t len) noexcept {
  op_.kind = kind;
  op_.fd = fd;
  op_.source_id = id;
  op_.buf = buf;
  op_.len = len;
}

TransferAwaiter::TransferAwaiter(int fd, std::uint64_t id, const iovec* iov, int iovcnt) noexcept {
  op_.kind = detail::OpKind::kSendMsg;
  op_.fd = fd;
  op_.source_id = id;
  op_.iov = iov;
  op_.iovcnt = iovcnt;
}

DeadlineTransferAwaiter::DeadlineTransferAwaiter(detail::OpKind kind, int fd, std::uint64_t id,
                                                 void* buf, std::size_t len,
                                                 Clock::time_point deadline) noexcept
    : deadline_(deadline) {
  op_.kind = kind;
  op_.fd = fd;
  op_.source_id = id;
  op_.buf = buf;
  op_.len = len;
}

DeadlineTransferAwaiter::~DeadlineTransferAwaiter() {
  disarm();
}

bool DeadlineTransferAwaiter::await_suspend(std::coroutine_handle<> h) {
  if (deadline_ <= Clock::now()) {
    timed_out_ = true;
    return false;
  }
  if (!OpAwaiter::await_suspend(h)) return false;  // done at once
  if (!op_.pending) return true;                   // done at once, yielding for the budget
  // The operation and the timer both live on this worker: pin the task until one of them
  // ends, so that it resumes (and disarms the other) here.
  task_ = op_.task;
  entry_.ctx = this;
  entry_.on_fire = &DeadlineTransferAwaiter::on_deadline;
  detail::timer_arm(entry_, deadline_);
  task_->pins.fetch_add(1, std::memory_order_relaxed);
  pinned_ = true;
  return true;
}

void DeadlineTransferAwaiter::on_deadline(detail::TimerEntry* e) noexcept {
  auto* self = static_cast<DeadlineTransferAwaiter*>(e->ctx);
  if (!self->op_.pending) return;  // completed just before; its wake is on the way
  self->driver_->cancel(self->op_);
  self->timed_out_ = true;
  self->op_.done.store(true, std::memory_order_release);
  detail::task_wake(self->task_);
}

IoResult<std::size_t> DeadlineTransferAwaiter::await_resume() noexcept {
  disarm();
  if (timed_out_) return std::make_error_code(std::errc::timed_out);
  return io_result_from<std::size_t>(op_.result);
}

void DeadlineTransferAwaiter::disarm() noexcept {
  detail::timer_disarm(entry_);
  if (pinned_) {
    task_->pins.fetch_sub(1, std::memory_order_relaxed);
    pinned_ = false;
  }
}

Socket::Socket(int fd) : fd_(fd), id_(detail::next_source_id()) {
  if (fd_ >= 0) {
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  }
}

Socket::Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)), id_(std::exchange(o.id_, 0)) {}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    id_ = std::exchange(o.id_, 0);
  }
  return *this;
}

void Socket::close() noexcept {
  if (fd_ < 0) return;
  if (auto* w = detail::Worker::current(); w && w->driver_started()) {
    w->driver().forget_fd(fd_, id_);
  }
  ::close(std::exchange(fd_, -1));
}

int Socket::release() noexcept {
  return std::exchange(fd_, -1);
}

IoResult<SocketAddr> Socket::local_addr() const noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return last_error();
  try {
    return SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  } catch (...) {
    return errno_code(EAFNOSUPPORT);
  }
}

IoResult<void> Socket::set_option(int level, int name, int value) noexcept {
  if (::setsockopt(fd_, level, name, &value, sizeof(value)) < 0) return last_error();
  return {};
}

IoResult<void> TcpStream::shutdown(Shutdown how) noexcept {
  if (::shutdown(fd(), static_cast<int>(how)) < 0) return last_error();
  return {};
}

IoResult<void> TcpStream::set_nodelay(bool on) noexcept {
  return set_option(IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

IoResult<SocketAddr> TcpStream::peer_addr() const noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd(), reinterpret_cast<sockaddr*>(&ss), &len) < 0) return last_error();
  try {
    return SocketAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  } catch (...) {
    return errno_code(EAFNOSUPPORT);
  }
}

namespace {
class ConnectAwaiter : public detail::OpAwaiter {
 public:
  ConnectAwaiter(int fd, std::uint64_t id, const SocketAddr& addr) noexcept {
    op_.kind = detail::OpKind::kConnect;
    op_.fd = fd;
    op_.source_id = id;
    op_.addr = const_cast<sockaddr*>(addr.as_sockaddr());
    op_.addrlen = addr.len();
  }
};
}  // namespace

Task<IoResult<TcpStream>> TcpStream::connect(SocketAddr addr) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return last_error();
  TcpStream stream(fd);
  int r = co_await ConnectAwaiter(stream.fd(), stream.id(), addr);
  if (r < 0) co_return errno_code(-r);
  co_return std::move(stream);
}

Task<IoResult<TcpStream>> TcpStream::connect(SocketAddr addr, Clock::duration limit) {
  auto r = co_await timeout(limit, connect(addr));
  if (!r) co_return r.error();
  co_return std::move(r.value());
}

namespace {
class PooledRecvAwaiter : public detail::OpAwaiter {
 public:
  PooledRecvAwaiter(int fd, std::uint64_t id) noexcept {
    op_.kind = detail::OpKind::kRecvPooled;
    op_.fd = fd;
    op_.source_id = id;
  }
};
}  // namespace

RecvBuffer::RecvBuffer(RecvBuffer&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)),
      id_(o.id_),
      own_(std::move(o.own_)),
      data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)) {}

RecvBuffer& RecvBuffer::operator=(RecvBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    pool_ = std::exchange(o.pool_, nullptr);
    id_ = o.id_;
    own_ = std::move(o.own_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void RecvBuffer::reset() noexcept {
  if (pool_) std::exchange(pool_, nullptr)->release(id_);
  own_.reset();
  data_ = nullptr;
  size_ = 0;
}

Task<IoResult<RecvBuffer>> TcpStream::recv_pooled() {
  RecvBuffer out;
  {
    PooledRecvAwaiter pooled(fd(), id());
    int r = co_await pooled;
    if (r >= 0) {
      if (pooled.op().has_buf) {
        // The pool belongs to the driver that ran the receive, which may not be this
        // thread's if the task moved since; the lease hands the buffer back there.
        detail::RecvPool& pool = pooled.driver()->recv_pool();
        pool.ref();
        out.pool_ = &pool;
        out.id_ = pooled.op().buf_id;
        out.data_ = pool.buffer(out.id_);
        out.size_ = static_cast<std::size_t>(r);
      }
      co_return std::move(out);  // r == 0: end of stream
    }
    if (r != -ENOBUFS && r != -EINVAL && r != -EOPNOTSUPP) co_return errno_code(-r);
  }
  // Pool exhausted (or no provided-buffer rings here): a private buffer of the same size.
  const std::size_t size = detail::current_driver().recv_pool().buffer_size();
  out.own_ = std::make_unique<std::byte[]>(size);
  auto n = co_await read(out.own_.get(), size);
  if (!n) co_return n.error();
  out.data_ = out.own_.get();
  out.size_ = *n;
  co_return std::move(out);
}

Task<IoResult<void>> TcpStream::read_exact(void* buf, std::size_t len) {
  auto* p = static_cast<std::byte*>(buf);
  while (len > 0) {
    auto n = co_await read(p, len);
    if (!n) co_return n.error();
    if (*n == 0) co_return make_error_code(IoErrc::kUnexpectedEof);
    p += *n;
    len -= *n;
  }
  co_return IoResult<void>();
}

Task<IoResult<void>> TcpStream::write_all(const void* buf, std::size_t len) {
  auto* p = static_cast<const std::byte*>(buf);
  while (len > 0) {
    auto n = co_await write(p, len);
    if (!n) co_return n.error();
    if (*n == 0) co_return make_error_code(IoErrc::kWriteZero);
    p += *n;
    len -= *n;
  }
  co_return IoResult<void>();
}

AcceptAwaiter::AcceptAwaiter(int fd, std::uint64_t id) noexcept {
  op_.kind = detail::OpKind::kAccept;
  op_.fd = fd;
  op_.source_id = id;
  op_.addr = reinterpret_cast<sockaddr*>(&peer_);
  op_.addrlen = sizeof(peer_);
}

IoResult<Accepted> AcceptAwaiter::await_resume() {
  if (op_.result < 0) return errno_code(-op_.result);
  Accepted a;
  a.stream = TcpStream(op_.result);
  try {
    a.peer = SocketAddr::from_sockaddr(op_.addr, op_.addrlen);
  } catch (...) {
    // Peer address unavailable (e.g. the connection was reset during accept): keep the stream.
  }
  return a;
}

namespace {

// Parks the accepting task until the multishot accept has a connection or an error for it.
class MultishotWait {
 public:
  explicit MultishotWait(detail::MultishotAccept& m) noexcept : m_(m) {}
  MultishotWait(const MultishotWait&) = delete;
  MultishotWait& operator=(const MultishotWait&) = delete;
  ~MultishotWait() {
    if (m_.waiter_ready == &ready_) {
      m_.waiter = nullptr;
      m_.waiter_ready = nullptr;
    }
  }
  bool await_ready() const noexcept { return m_.has_result() || !m_.armed; }
  void await_suspend(std::coroutine_handle<> h) {
    m_.waiter = detail::suspend_current(h, &ready_);
    m_.waiter_ready = &ready_;
  }
  void await_resume() const noexcept {}

 private:
  detail::MultishotAccept& m_;
  std::atomic<bool> ready_{false};
};

IoResult<Accepted> adopt_accepted(int fd) {
  Accepted a;
  a.stream = TcpStream(fd);
  if (auto peer = a.stream.peer_addr()) a.peer = *peer;
  return a;
}

// Closes connections the multishot accepted that nobody took, and frees it.
void discard_multishot(detail::MultishotAccept* m) noexcept {
  for (int fd : m->ready) ::close(fd);
  delete m;
}

}  // namespace

TcpListener::TcpListener(TcpListener&& o) noexcept
    : Socket(std::move(o)),
      multishot_(std::exchange(o.multishot_, nullptr)),
      multishot_worker_(std::exchange(o.multishot_worker_, nullptr)) {}

TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
  if (this != &o) {
    close();
    Socket::operator=(std::move(o));
    multishot_ = std::exchange(o.multishot_, nullptr);
    multishot_worker_ = std::exchange(o.multishot_worker_, nullptr);
  }
  return *this;
}

void TcpListener::close() noexcept {
  if (detail::MultishotAccept* m = std::exchange(multishot_, nullptr)) {
    auto* home = static_cast<detail::Worker*>(std::exchange(multishot_worker_, nullptr));
    if (!m->driver) {  // never armed: the kernel holds nothing of it
      discard_multishot(m);
    } else if (home == detail::Worker::current()) {
      m->driver->cancel_multishot_accept(*m);
      discard_multishot(m);
    } else {
      // Only the arming worker may touch its ring: cancel there. If that worker has already
      // closed, the posted function is dropped unrun and the holder still frees everything.
      auto holder = std::shared_ptr<detail::MultishotAccept>(m, &discard_multishot);
      try {
        home->post([holder] { holder->driver->cancel_multishot_accept(*holder); });
      } catch (...) {
        // Out of memory: leak the record rather than free what the kernel may still use.
        new std::shared_ptr<detail::MultishotAccept>(holder);
      }
    }
  }
  Socket::close();
}

Task<IoResult<Accepted>> TcpListener::accept() {
  for (;;) {
    detail::RawTask* task = detail::current_task_or_throw();
    detail::Worker* here = detail::Worker::current();
    const bool can_multishot = task->pinned_for_life && (!multishot_ || multishot_worker_ == here);
    if (can_multishot) {
      if (!multishot_) {
        multishot_ = new detail::MultishotAccept();
        multishot_->fd = fd();
        multishot_worker_ = here;
      }
      detail::MultishotAccept& m = *multishot_;
      if (!m.ready.empty()) {
        int conn = m.ready.front();
        m.ready.pop_front();
        co_return adopt_accepted(conn);
      }
      if (m.error != 0) co_return errno_code(std::exchange(m.error, 0));
      if (m.armed || here->driver().arm_multishot_accept(m)) {
        MultishotWait wait(m);
        co_await wait;
        continue;
      }
    }
    AcceptAwaiter single(fd(), id());
    auto r = co_await single;
    co_return r;
  }
}

IoResult<TcpListener> TcpListener::bind(const SocketAddr& addr, const ListenOptions& opts) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  TcpListener l;
  static_cast<Socket&>(l) = Socket(fd);
  int one = 1;
  if (opts.reuse_address) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (opts.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
    return last_error();
  }
  if (addr.is_v6()) {
    int v6only = opts.ipv6_only ? 1 : 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
  }
  if (::bind(fd, addr.as_sockaddr(), addr.len()) < 0) return last_error();
  if (::listen(fd, opts.backlog) < 0) return last_error();
  return l;
}

}  // namespace zokio::net
