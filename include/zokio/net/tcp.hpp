// TCP: TcpListener (bind, accept) and TcpStream (connect, read, write, writev, shutdown).
//
//   auto listener = zokio::net::TcpListener::bind(*SocketAddr::parse("127.0.0.1:8080")).value();
//   for (;;) {
//     auto accepted = co_await listener.accept();
//     if (accepted) zokio::spawn(serve(std::move(accepted->stream)));
//   }
//
// Every operation returns an IoResult: expected failures (EOF, reset, timeout) are values.
// Operations run on the driver of the worker executing the awaiting task.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "zokio/detail/io_op.hpp"
#include "zokio/io_result.hpp"
#include "zokio/net/address.hpp"
#include "zokio/task.hpp"
#include "zokio/time.hpp"

namespace zokio::detail {
struct MultishotAccept;
class RecvPool;
}  // namespace zokio::detail

namespace zokio::net {

class TcpStream;

// co_await yields IoResult<std::size_t>: bytes transferred (0 on a read means EOF).
class [[nodiscard]] TransferAwaiter : public detail::OpAwaiter {
 public:
  TransferAwaiter(detail::OpKind kind, int fd, std::uint64_t id, void* buf,
                  std::size_t len) noexcept;
  TransferAwaiter(int fd, std::uint64_t id, const iovec* iov, int iovcnt) noexcept;
  IoResult<std::size_t> await_resume() const noexcept {
    return io_result_from<std::size_t>(op_.result);
  }
};

// Like TransferAwaiter, with a deadline: past it the operation is cancelled and the result is
// std::errc::timed_out. One timer entry in the awaiter, no extra coroutine frame, which makes
// it the cheap way to bound each read or write of a connection.
class [[nodiscard]] DeadlineTransferAwaiter : public detail::OpAwaiter {
 public:
  DeadlineTransferAwaiter(detail::OpKind kind, int fd, std::uint64_t id, void* buf, std::size_t len,
                          Clock::time_point deadline) noexcept;
  DeadlineTransferAwaiter(const DeadlineTransferAwaiter&) = delete;
  DeadlineTransferAwaiter& operator=(const DeadlineTransferAwaiter&) = delete;
  ~DeadlineTransferAwaiter();

  bool await_suspend(std::coroutine_handle<> h);
  IoResult<std::size_t> await_resume() noexcept;

 private:
  static void on_deadline(detail::TimerEntry* e) noexcept;
  void disarm() noexcept;

  Clock::time_point deadline_;
  detail::TimerEntry entry_;
  detail::RawTask* task_ = nullptr;
  bool pinned_ = false;
  bool timed_out_ = false;
};

class Socket {
 public:
  Socket() noexcept = default;
  // Adopts an open socket descriptor (made non-blocking here).
  explicit Socket(int fd);
  Socket(Socket&& o) noexcept;
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { close(); }

  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  // Closes the descriptor; a task still waiting on it on this worker gets ECANCELED.
  void close() noexcept;
  // Gives up ownership of the descriptor.
  int release() noexcept;

  IoResult<SocketAddr> local_addr() const noexcept;
  IoResult<void> set_option(int level, int name, int value) noexcept;

 protected:
  std::uint64_t id() const noexcept { return id_; }

 private:
  int fd_ = -1;
  std::uint64_t id_ = 0;
};

// Data received into one of the worker's pooled buffers (TcpStream::recv_pooled). Destroying
// or resetting it hands the buffer back, so keep it only as long as the bytes are needed. An
// empty RecvBuffer from recv_pooled means end of stream.
class RecvBuffer {
 public:
  RecvBuffer() noexcept = default;
  RecvBuffer(RecvBuffer&& o) noexcept;
  RecvBuffer& operator=(RecvBuffer&& o) noexcept;
  RecvBuffer(const RecvBuffer&) = delete;
  RecvBuffer& operator=(const RecvBuffer&) = delete;
  ~RecvBuffer() { reset(); }

  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }
  // True if the bytes sit in a pool buffer (false: a private fallback buffer, pool exhausted).
  bool pooled() const noexcept { return pool_ != nullptr; }
  void reset() noexcept;

 private:
  friend class TcpStream;
  zokio::detail::RecvPool* pool_ = nullptr;
  std::uint16_t id_ = 0;
  std::unique_ptr<std::byte[]> own_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

class TcpStream : public Socket {
 public:
  TcpStream() noexcept = default;
  explicit TcpStream(int fd) : Socket(fd) {}

  static Task<IoResult<TcpStream>> connect(SocketAddr addr);
  // Fails with std::errc::timed_out if the connection is not established within `limit`.
  static Task<IoResult<TcpStream>> connect(SocketAddr addr, Clock::duration limit);

  TransferAwaiter read(void* buf, std::size_t len) noexcept {
    return TransferAwaiter(detail::OpKind::kRecv, fd(), id(), buf, len);
  }
  TransferAwaiter read(std::span<std::byte> buf) noexcept { return read(buf.data(), buf.size()); }
  TransferAwaiter write(const void* buf, std::size_t len) noexcept {
    return TransferAwaiter(detail::OpKind::kSend, fd(), id(), const_cast<void*>(buf), len);
  }
  TransferAwaiter write(std::string_view s) noexcept { return write(s.data(), s.size()); }
  // The same, failing with std::errc::timed_out (and cancelling) if not done by `deadline`.
  DeadlineTransferAwaiter read(void* buf, std::size_t len, Clock::time_point deadline) noexcept {
    return DeadlineTransferAwaiter(detail::OpKind::kRecv, fd(), id(), buf, len, deadline);
  }
  DeadlineTransferAwaiter write(const void* buf, std::size_t len,
                                Clock::time_point deadline) noexcept {
    return DeadlineTransferAwaiter(detail::OpKind::kSend, fd(), id(), const_cast<void*>(buf), len,
                                   deadline);
  }
  // Waits until the socket can take more data (the result is the poll event mask), for
  // writers that send with a syscall of their own, such as sendfile.
  DeadlineTransferAwaiter wait_writable(Clock::time_point deadline) noexcept {
    return DeadlineTransferAwaiter(detail::OpKind::kPollOut, fd(), id(), nullptr, 0, deadline);
  }
  // Gathers several buffers into one send. `iov` must stay valid until the await completes.
  TransferAwaiter writev(const iovec* iov, int iovcnt) noexcept {
    return TransferAwaiter(fd(), id(), iov, iovcnt);
  }

  // Receives into a buffer of the worker's pool, so that a connection waiting for data holds
  // no buffer (with io_uring the kernel picks one from the provided-buffer ring when data
  // arrives). An empty result is end of stream. When the pool is exhausted the data lands in a
  // private buffer instead.
  Task<IoResult<RecvBuffer>> recv_pooled();

  // Reads exactly len bytes; IoErrc::kUnexpectedEof if the peer closes first.
  Task<IoResult<void>> read_exact(void* buf, std::size_t len);
  // Writes every byte, retrying partial writes.
  Task<IoResult<void>> write_all(const void* buf, std::size_t len);
  Task<IoResult<void>> write_all(std::string_view s) { return write_all(s.data(), s.size()); }

  enum class Shutdown { kRead = SHUT_RD, kWrite = SHUT_WR, kBoth = SHUT_RDWR };
  IoResult<void> shutdown(Shutdown how) noexcept;
  IoResult<void> set_nodelay(bool on) noexcept;
  IoResult<SocketAddr> peer_addr() const noexcept;
};

struct Accepted {
  TcpStream stream;
  SocketAddr peer;
};

class [[nodiscard]] AcceptAwaiter : public detail::OpAwaiter {
 public:
  AcceptAwaiter(int fd, std::uint64_t id) noexcept;
  IoResult<Accepted> await_resume();

 private:
  sockaddr_storage peer_{};
};

struct ListenOptions {
  int backlog = 1024;
  bool reuse_address = true;  // SO_REUSEADDR: rebind while old connections linger in TIME_WAIT
  bool reuse_port = false;    // SO_REUSEPORT: several listeners (one per worker) on one port
  bool ipv6_only = false;     // IPV6_V6ONLY for an IPv6 address
};

class TcpListener : public Socket {
 public:
  TcpListener() noexcept = default;
  TcpListener(TcpListener&& o) noexcept;
  TcpListener& operator=(TcpListener&& o) noexcept;
  ~TcpListener() { close(); }

  static IoResult<TcpListener> bind(const SocketAddr& addr, const ListenOptions& opts = {});

  // Accepts the next connection. In a task pinned to its worker (spawn_local, spawn_pinned)
  // on io_uring, one multishot accept serves every call; otherwise each call is one accept
  // operation on the current worker's driver.
  Task<IoResult<Accepted>> accept();
  void close() noexcept;

 private:
  zokio::detail::MultishotAccept* multishot_ = nullptr;
  void* multishot_worker_ = nullptr;  // the worker whose driver armed it
};

}  // namespace zokio::net
