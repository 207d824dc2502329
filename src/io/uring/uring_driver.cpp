// The io_uring driver. Operations become SQEs that are submitted in one batch whenever the
// worker polls or parks; completions are reaped in bulk. Each in-flight operation occupies a
// slot, and the slot index is the SQE's user_data: cancelling an operation detaches it from its
// slot (synchronously, via IORING_REGISTER_SYNC_CANCEL, so the kernel is done with its buffers)
// and the late CQE then finds an empty slot instead of freed memory.
//
// The ring is created on the worker's thread with SINGLE_ISSUER and DEFER_TASKRUN where the
// kernel supports them (completion work then runs only when the worker asks for events, in
// its own context); older kernels get a plain ring.
#include <liburing.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <system_error>
#include <vector>

#include "io/driver.hpp"
#include "io/recv_pool.hpp"
#include "zokio/detail/raw_task.hpp"

namespace zokio::detail {

namespace {

constexpr std::uint64_t kWakeTag = ~0ull;
constexpr std::uint64_t kIgnoreTag = ~0ull - 1;
// Slot target of a multishot accept whose listener is gone: connections it still delivers are
// closed. (IoOp and MultishotAccept pointers are aligned, so 2 is no valid pointer.)
constexpr std::uintptr_t kOrphanAccept = 2;

bool forced_failure() noexcept {
  // Lets tests (and operators) check the epoll fallback on machines where io_uring works.
  const char* v = std::getenv("ZOKIO_URING_FORCE_FAIL");
  return v && *v && std::strcmp(v, "0") != 0;
}

int init_ring(io_uring& ring, unsigned entries, bool single_issuer) noexcept {
  if (single_issuer) {
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    if (io_uring_queue_init_params(entries, &ring, &p) == 0) return 0;
    p = io_uring_params{};
    p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    if (io_uring_queue_init_params(entries, &ring, &p) == 0) return 0;
  }
  return io_uring_queue_init(entries, &ring, 0);
}

class UringDriver final : public Driver {
 public:
  UringDriver(const DriverOptions& opts, IoCounters& counters, int wake_fd)
      : Driver(counters), opts_(opts), wake_fd_(wake_fd) {
    if (forced_failure()) {
      throw std::system_error(ENOSYS, std::generic_category(),
                              "io_uring disabled by ZOKIO_URING_FORCE_FAIL");
    }
    int r = init_ring(ring_, opts.uring_entries, opts.single_issuer);
    if (r < 0) throw std::system_error(-r, std::generic_category(), "io_uring_queue_init");
    arm_wake();
    sync_cancel_ok_ = true;
  }

  ~UringDriver() override {
    if (pool_) pool_->detach();
    io_uring_queue_exit(&ring_);
    if (pool_) pool_->unref();
  }

  RecvPool& recv_pool() override {
    if (!pool_) {
      pool_ = new RecvPool(opts_.recv_buffers, opts_.recv_buffer_size, opts_.home);
      int r = pool_->attach(ring_);
      // Without provided-buffer rings (kernel before 5.19) pooled receives fail with the
      // error; TcpStream::recv_pooled then falls back to a private buffer.
      if (r < 0) pooled_error_ = r;
    }
    return *pool_;
  }

  IoBackend backend() const noexcept override { return IoBackend::kUring; }

  bool start(IoOp& op) override {
    io_uring_sqe* sqe = get_sqe();
    switch (op.kind) {
      case OpKind::kAccept:
        io_uring_prep_accept(sqe, op.fd, op.addr, op.addr ? &op.addrlen : nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
      case OpKind::kConnect:
        io_uring_prep_connect(sqe, op.fd, op.addr, op.addrlen);
        break;
      case OpKind::kRecv:
        io_uring_prep_recv(sqe, op.fd, op.buf, op.len, op.flags);
        break;
      case OpKind::kRecvPooled: {
        RecvPool& pool = recv_pool();
        if (pooled_error_ < 0) {
          io_uring_prep_nop(sqe);  // completes at once; the result is replaced below
          op.flags = pooled_error_;
        } else {
          io_uring_prep_recv(sqe, op.fd, nullptr, pool.buffer_size(), op.flags);
          sqe->flags |= IOSQE_BUFFER_SELECT;
          sqe->buf_group = RecvPool::kGroupId;
        }
        op.has_buf = false;
        break;
      }
      case OpKind::kSend:
        io_uring_prep_send(sqe, op.fd, op.buf, op.len, op.flags | MSG_NOSIGNAL);
        break;
      case OpKind::kSendMsg:
        op_msg_for(op);
        io_uring_prep_sendmsg(sqe, op.fd, &msgs_[op.slot], op.flags | MSG_NOSIGNAL);
        break;
      case OpKind::kRead:
        io_uring_prep_read(sqe, op.fd, op.buf, static_cast<unsigned>(op.len), op.offset);
        break;
      case OpKind::kWrite:
        io_uring_prep_write(sqe, op.fd, op.buf, static_cast<unsigned>(op.len), op.offset);
        break;
      case OpKind::kPollOut:
        io_uring_prep_poll_add(sqe, op.fd, POLLOUT);
        break;
    }
    if (op.kind != OpKind::kSendMsg) op.slot = alloc_slot(reinterpret_cast<std::uintptr_t>(&op));
    io_uring_sqe_set_data64(sqe, op.slot);
    op.pending = true;
    op.done.store(false, std::memory_order_relaxed);
    count_submitted();
    return false;
  }

  void cancel(IoOp& op) noexcept override {
    if (!op.pending) return;
    op.pending = false;
    cancel_slot(op.slot);
  }

  bool arm_multishot_accept(MultishotAccept& m) override {
    if (!multishot_ok_) return false;
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_multishot_accept(sqe, m.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    m.slot = alloc_slot(tag_of(m));
    io_uring_sqe_set_data64(sqe, m.slot);
    m.armed = true;
    m.driver = this;
    count_submitted();
    return true;
  }

  // The listener is closing: after this, nothing reaches m; late connections are closed.
  void cancel_multishot_accept(MultishotAccept& m) noexcept override {
    for (std::uint32_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s] == tag_of(m)) {
        slots_[s] = kOrphanAccept;
        cancel_request(s);
      }
    }
    m.armed = false;
  }

  std::size_t poll() override {
    if (io_uring_sq_ready(&ring_) > 0) {
      io_uring_submit_and_get_events(&ring_);
    } else if (ring_.flags & IORING_SETUP_DEFER_TASKRUN) {
      if (io_uring_cq_ready(&ring_) == 0) io_uring_get_events(&ring_);
    }
    return reap();
  }

  std::size_t wait(std::optional<std::chrono::nanoseconds> timeout) override {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_cq_ready(&ring_) == 0) {
      if (timeout) {
        __kernel_timespec ts{};
        auto ns = std::max<long long>(timeout->count(), 0);
        ts.tv_sec = ns / 1'000'000'000;
        ts.tv_nsec = ns % 1'000'000'000;
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      } else {
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
      }
    } else if (io_uring_sq_ready(&ring_) > 0) {
      io_uring_submit(&ring_);
    }
    return reap();
  }

  // io_uring keeps no per-fd state; pending operations on the fd belong to their awaiters.
  void forget_fd(int, std::uint64_t) noexcept override {}

 private:
  static std::uintptr_t tag_of(MultishotAccept& m) noexcept {
    return reinterpret_cast<std::uintptr_t>(&m) | 1u;
  }

  // Detaches a slot from its target and cancels its request; when this returns the kernel no
  // longer uses the target's buffers, and the late CQE only frees the slot.
  void cancel_slot(std::uint32_t slot) noexcept {
    slots_[slot] = 0;
    cancel_request(slot);
  }

  void cancel_request(std::uint32_t slot) noexcept {
    io_uring_submit(&ring_);  // the kernel must have seen the SQE to cancel it
    if (sync_cancel_ok_) {
      io_uring_sync_cancel_reg reg{};
      reg.addr = slot;
      reg.fd = -1;
      reg.timeout.tv_sec = -1;
      reg.timeout.tv_nsec = -1;
      int r = io_uring_register_sync_cancel(&ring_, &reg);
      if (r != -EINVAL && r != -EOPNOTSUPP) return;
      sync_cancel_ok_ = false;  // kernel before 6.0: fall back to an asynchronous cancel
    }
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, slot, 0);
    io_uring_sqe_set_data64(sqe, kIgnoreTag);
    io_uring_submit(&ring_);
  }

  void complete_multishot(MultishotAccept& m, std::uint32_t slot, int res, bool more) noexcept {
    const bool current = slot == m.slot && m.armed;
    if (res >= 0) {
      m.ready.push_back(res);
    } else if (res == -EINVAL && m.ready.empty()) {
      multishot_ok_ = false;  // kernel before 5.19: accept() falls back to single operations
    } else if (res != -ECANCELED) {
      m.error = -res;
    }
    counters_.completed.fetch_add(1, std::memory_order_relaxed);
    if (!more) {
      if (current) m.armed = false;
    } else if (current && m.ready.size() >= MultishotAccept::kMaxQueued) {
      // Backpressure. The slot keeps pointing at m: connections accepted before the cancel
      // takes effect still arrive here, and the final CQE frees the slot.
      m.armed = false;
      io_uring_sqe* sqe = get_sqe();
      io_uring_prep_cancel64(sqe, slot, 0);
      io_uring_sqe_set_data64(sqe, kIgnoreTag);
    }
    if (m.waiter) {
      m.waiter_ready->store(true, std::memory_order_release);
      task_wake(std::exchange(m.waiter, nullptr));
      m.waiter_ready = nullptr;
    }
  }

  int finish_pooled(IoOp& op, int res, std::uint32_t flags) noexcept {
    if (pooled_error_ < 0) return pooled_error_;
    if (flags & IORING_CQE_F_BUFFER) {
      auto id = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
      if (res > 0) {
        op.buf_id = id;
        op.has_buf = true;
      } else {
        pool_->give_back(id);
      }
    }
    return res;
  }

  io_uring_sqe* get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (!sqe) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  std::uint32_t alloc_slot(std::uintptr_t target) {
    if (!free_slots_.empty()) {
      std::uint32_t s = free_slots_.back();
      free_slots_.pop_back();
      slots_[s] = target;
      return s;
    }
    slots_.push_back(target);
    msgs_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  // sendmsg needs a msghdr that lives until completion: one per slot.
  void op_msg_for(IoOp& op) {
    op.slot = alloc_slot(reinterpret_cast<std::uintptr_t>(&op));
    msghdr& m = msgs_[op.slot];
    m = msghdr{};
    m.msg_iov = const_cast<iovec*>(op.iov);
    m.msg_iovlen = static_cast<std::size_t>(op.iovcnt);
  }

  void arm_wake() {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, wake_fd_, &wake_buf_, sizeof(wake_buf_), 0);
    io_uring_sqe_set_data64(sqe, kWakeTag);
  }

  std::size_t reap() {
    io_uring_cqe* cqe;
    unsigned head;
    unsigned seen = 0;
    std::size_t done = 0;
    bool rearm = false;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      std::uint64_t tag = io_uring_cqe_get_data64(cqe);
      if (tag == kWakeTag) {
        rearm = true;
        continue;
      }
      if (tag == kIgnoreTag) continue;
      auto slot = static_cast<std::uint32_t>(tag);
      std::uintptr_t target = slots_[slot];
      const bool more = cqe->flags & IORING_CQE_F_MORE;
      if (!more) {
        slots_[slot] = 0;
        free_slots_.push_back(slot);
      }
      if (target == kOrphanAccept) {
        if (cqe->res >= 0) ::close(cqe->res);
      } else if (target & 1u) {
        complete_multishot(*reinterpret_cast<MultishotAccept*>(target & ~std::uintptr_t{1}), slot,
                           cqe->res, more);
        ++done;
      } else if (target) {
        IoOp& op = *reinterpret_cast<IoOp*>(target);
        int res = cqe->res;
        if (op.kind == OpKind::kRecvPooled) res = finish_pooled(op, res, cqe->flags);
        complete(op, res);
        ++done;
      } else if (cqe->flags & IORING_CQE_F_BUFFER) {
        // A pooled receive whose awaiter was cancelled after the kernel picked a buffer.
        pool_->give_back(static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
      }
    }
    io_uring_cq_advance(&ring_, seen);
    if (rearm) arm_wake();
    return done;
  }

  DriverOptions opts_;
  RecvPool* pool_ = nullptr;
  int pooled_error_ = 0;
  io_uring ring_{};
  int wake_fd_ = -1;
  std::uint64_t wake_buf_ = 0;
  bool sync_cancel_ok_ = true;
  bool multishot_ok_ = true;
  // Slot targets: an IoOp*, or a MultishotAccept* tagged with the low bit; 0 = detached.
  std::vector<std::uintptr_t> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::deque<msghdr> msgs_;  // stable addresses: SQEs point at them
};

}  // namespace

std::unique_ptr<Driver> make_uring_driver(const DriverOptions& opts, IoCounters& counters,
                                          int wake_fd) {
  return std::make_unique<UringDriver>(opts, counters, wake_fd);
}

bool uring_available() noexcept {
  if (forced_failure()) return false;
  io_uring ring;
  if (io_uring_queue_init(4, &ring, 0) < 0) return false;
  io_uring_queue_exit(&ring);
  return true;
}

}  // namespace zokio::detail
