// The epoll driver: readiness-based I/O behind the completion-style Driver interface.
//
// start() performs the non-blocking syscall at once; only on EAGAIN does the operation wait,
// in a per-fd FIFO of readers or writers, for epoll to report readiness, and then the syscall
// is retried. Sockets are registered once, edge-triggered, for both directions. Each table
// entry remembers the socket's source id, so a reused fd number is re-registered rather than
// mistaken for the old socket.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "io/driver.hpp"
#include "io/recv_pool.hpp"

namespace zokio::detail {

namespace {

constexpr std::uint64_t kWakeTag = ~0ull;

struct WaitList {
  IoOp* head = nullptr;
  IoOp* tail = nullptr;
  void push(IoOp* op) noexcept {
    op->next_waiter = nullptr;
    op->prev_waiter = tail;
    if (tail) {
      tail->next_waiter = op;
    } else {
      head = op;
    }
    tail = op;
  }
  void remove(IoOp* op) noexcept {
    if (op->prev_waiter) {
      op->prev_waiter->next_waiter = op->next_waiter;
    } else {
      head = op->next_waiter;
    }
    if (op->next_waiter) {
      op->next_waiter->prev_waiter = op->prev_waiter;
    } else {
      tail = op->prev_waiter;
    }
    op->next_waiter = op->prev_waiter = nullptr;
  }
};

struct FdEntry {
  std::uint64_t source_id = 0;
  bool registered = false;
  WaitList readers;
  WaitList writers;
};

bool is_write_side(OpKind k) noexcept {
  return k == OpKind::kSend || k == OpKind::kSendMsg || k == OpKind::kConnect ||
         k == OpKind::kWrite || k == OpKind::kPollOut;
}

// Performs op's syscall once; returns the result or -errno (-EAGAIN: not ready yet).
int attempt(IoOp& op, bool retry) noexcept {
  ssize_t r;
  switch (op.kind) {
    case OpKind::kAccept: {
      socklen_t len = op.addrlen;
      r = ::accept4(op.fd, op.addr, op.addr ? &len : nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (r >= 0) op.addrlen = len;
      break;
    }
    case OpKind::kConnect: {
      if (!retry) {
        r = ::connect(op.fd, op.addr, op.addrlen);
        if (r < 0 && errno == EINPROGRESS) return -EAGAIN;
        break;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
      if (err == 0) {
        // Readiness can be reported before the handshake finished on some paths; confirm.
        sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        if (::getpeername(op.fd, reinterpret_cast<sockaddr*>(&peer), &plen) < 0) {
          return errno == ENOTCONN ? -EAGAIN : -errno;
        }
        return 0;
      }
      return -err;
    }
    case OpKind::kRecv:
      r = ::recv(op.fd, op.buf, op.len, op.flags);
      break;
    case OpKind::kSend:
      r = ::send(op.fd, op.buf, op.len, op.flags | MSG_NOSIGNAL);
      break;
    case OpKind::kSendMsg: {
      msghdr msg{};
      msg.msg_iov = const_cast<iovec*>(op.iov);
      msg.msg_iovlen = static_cast<std::size_t>(op.iovcnt);
      r = ::sendmsg(op.fd, &msg, op.flags | MSG_NOSIGNAL);
      break;
    }
    case OpKind::kRead:
      r = ::read(op.fd, op.buf, op.len);
      break;
    case OpKind::kWrite:
      r = ::write(op.fd, op.buf, op.len);
      break;
    case OpKind::kPollOut: {
      pollfd p{op.fd, POLLOUT, 0};
      r = ::poll(&p, 1, 0);
      if (r == 0) return -EAGAIN;
      if (r > 0) r = p.revents;
      break;
    }
    default:
      return -EINVAL;
  }
  if (r < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  return static_cast<int>(r);
}

class EpollDriver final : public Driver {
 public:
  EpollDriver(const DriverOptions& opts, IoCounters& counters, int wake_fd)
      : Driver(counters), opts_(opts), wake_fd_(wake_fd) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, wake_fd_, &ev);
  }

  ~EpollDriver() override {
    if (pool_) {
      pool_->detach();
      pool_->unref();
    }
    ::close(ep_);
  }

  RecvPool& recv_pool() override {
    if (!pool_) pool_ = new RecvPool(opts_.recv_buffers, opts_.recv_buffer_size, opts_.home);
    return *pool_;
  }

  IoBackend backend() const noexcept override { return IoBackend::kEpoll; }

  bool start(IoOp& op) override {
    count_submitted();
    int r = try_op(op, false);
    if (r != -EAGAIN) {
      op.result = r;
      counters_.completed.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    FdEntry& e = entry(op.fd);
    if (!e.registered || e.source_id != op.source_id) {
      int rr = register_fd(op.fd, op.source_id, e);
      if (rr < 0) {
        op.result = rr;
        counters_.completed.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
    }
    op.pending = true;
    op.done.store(false, std::memory_order_relaxed);
    (is_write_side(op.kind) ? e.writers : e.readers).push(&op);
    return false;
  }

  void cancel(IoOp& op) noexcept override {
    if (!op.pending) return;
    FdEntry& e = entries_[static_cast<std::size_t>(op.fd)];
    (is_write_side(op.kind) ? e.writers : e.readers).remove(&op);
    op.pending = false;
  }

  std::size_t poll() override { return run(0); }

  std::size_t wait(std::optional<std::chrono::nanoseconds> timeout) override {
    int ms = -1;
    if (timeout) {
      auto ns = timeout->count();
      ms = ns <= 0 ? 0 : static_cast<int>(std::min<long long>((ns + 999'999) / 1'000'000, 1 << 30));
    }
    return run(ms);
  }

  void forget_fd(int fd, std::uint64_t source_id) noexcept override {
    if (fd < 0 || static_cast<std::size_t>(fd) >= entries_.size()) return;
    FdEntry& e = entries_[static_cast<std::size_t>(fd)];
    if (e.source_id != source_id) return;
    if (e.registered) ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
    fail_all(e.readers);
    fail_all(e.writers);
    e = FdEntry{};
  }

 private:
  FdEntry& entry(int fd) {
    auto i = static_cast<std::size_t>(fd);
    if (i >= entries_.size()) entries_.resize(std::max<std::size_t>(i + 1, entries_.size() * 2));
    return entries_[i];
  }

  int register_fd(int fd, std::uint64_t source_id, FdEntry& e) noexcept {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd));
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) {
      if (errno != EEXIST || ::epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev) < 0) return -errno;
    }
    e.registered = true;
    e.source_id = source_id;
    return 0;
  }

  void fail_all(WaitList& list) noexcept {
    while (IoOp* op = list.head) {
      list.remove(op);
      complete(*op, -ECANCELED);
    }
  }

  // Retries the waiting operations in FIFO order until one would block again.
  void drive(WaitList& list) noexcept {
    while (IoOp* op = list.head) {
      int r = try_op(*op, true);
      if (r == -EAGAIN) return;
      list.remove(op);
      complete(*op, r);
    }
  }

  std::size_t run(int timeout_ms) {
    epoll_event events[256];
    int n = ::epoll_wait(ep_, events, 256, timeout_ms);
    if (n < 0) return 0;  // EINTR
    const std::uint64_t before = counters_.completed.load(std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) {
      const epoll_event& ev = events[i];
      if (ev.data.u64 == kWakeTag) {
        std::uint64_t drained;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &drained, sizeof(drained));
        continue;
      }
      auto fd = static_cast<std::size_t>(ev.data.u64);
      if (fd >= entries_.size()) continue;
      FdEntry& e = entries_[fd];
      if (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) drive(e.readers);
      if (ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) drive(e.writers);
    }
    return static_cast<std::size_t>(counters_.completed.load(std::memory_order_relaxed) - before);
  }

  // attempt(), plus pooled receives: take a free buffer, give it back if nothing arrived.
  int try_op(IoOp& op, bool retry) noexcept {
    if (op.kind != OpKind::kRecvPooled) return attempt(op, retry);
    RecvPool& pool = recv_pool();
    auto id = pool.take();
    if (!id) return -ENOBUFS;
    ssize_t r = ::recv(op.fd, pool.buffer(*id), pool.buffer_size(), op.flags);
    if (r <= 0) {
      pool.give_back(*id);
      if (r == 0) return 0;
      return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    op.buf_id = *id;
    op.has_buf = true;
    return static_cast<int>(r);
  }

  DriverOptions opts_;
  RecvPool* pool_ = nullptr;
  int ep_ = -1;
  int wake_fd_ = -1;
  std::vector<FdEntry> entries_;
};

}  // namespace

std::unique_ptr<Driver> make_epoll_driver(const DriverOptions& opts, IoCounters& counters,
                                          int wake_fd) {
  return std::make_unique<EpollDriver>(opts, counters, wake_fd);
}

}  // namespace zokio::detail
