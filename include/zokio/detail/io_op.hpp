// One I/O operation as the drivers see it, and the awaiter that submits it from a task.
// Internal: public awaitables (TcpStream::read, ...) are built on it.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>

namespace zokio::detail {

struct RawTask;
class Driver;
class RecvPool;

enum class OpKind : std::uint8_t {
  kAccept,
  kConnect,
  kRecv,
  kRecvPooled,  // receive into a buffer of the worker's pool (see TcpStream::recv_pooled)
  kSend,
  kSendMsg,
  kRead,
  kWrite,
  kPollOut,  // completes when the socket can take more data (for sendfile)
};

struct IoOp {
  OpKind kind = OpKind::kRecv;
  int fd = -1;
  std::uint64_t source_id = 0;  // identifies the socket across fd-number reuse (epoll)
  void* buf = nullptr;
  std::size_t len = 0;
  const iovec* iov = nullptr;
  int iovcnt = 0;
  sockaddr* addr = nullptr;  // accept: peer address out; connect: address in
  socklen_t addrlen = 0;     // accept: in/out; connect: in
  std::uint64_t offset = 0;  // read/write on files
  int flags = 0;

  int result = 0;                 // >= 0 on success, -errno on failure
  std::atomic<bool> done{false};  // the task's readiness flag while it waits
  RawTask* task = nullptr;        // woken when the operation completes
  std::uint16_t buf_id = 0;       // kRecvPooled: the pool buffer holding the data
  bool has_buf = false;

  // Driver-private bookkeeping.
  IoOp* next_waiter = nullptr;
  IoOp* prev_waiter = nullptr;
  std::uint32_t slot = 0;
  bool pending = false;
};

// Awaits one operation on the current worker's driver. Destroying it while the operation is
// pending (task aborted, timeout) cancels the operation first.
class OpAwaiter {
 public:
  OpAwaiter() noexcept = default;
  OpAwaiter(const OpAwaiter&) = delete;
  OpAwaiter& operator=(const OpAwaiter&) = delete;
  ~OpAwaiter();

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h);
  // The raw result: >= 0 on success, -errno on failure.
  int await_resume() const noexcept { return op_.result; }
  // The driver the operation ran on (set once awaited).
  Driver* driver() const noexcept { return driver_; }
  const IoOp& op() const noexcept { return op_; }

 protected:
  IoOp op_;
  Driver* driver_ = nullptr;
};

// A process-wide unique id for a new socket (see IoOp::source_id).
std::uint64_t next_source_id() noexcept;

}  // namespace zokio::detail
