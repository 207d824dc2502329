// Runtime micro benchmarks: spawn+join, yield, cross-worker wake, timer insert/fire, and an
// echo round trip over loopback. Run with `make bench`; see docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

#include <zokio/zokio.hpp>

#include "time/timer_wheel.hpp"

namespace {

using zokio::Runtime;
using zokio::Task;

Task<int> trivial(int v) {
  co_return v;
}

void BM_SpawnJoin(benchmark::State& state) {
  auto rt = Runtime::builder().worker_threads(1).build();
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      for (int i = 0; i < 1000; ++i) {
        int v = co_await zokio::spawn(trivial(i));
        benchmark::DoNotOptimize(v);
      }
    }());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
// The work runs on worker threads, so wall time (not the idle main thread's CPU) is the measure.
BENCHMARK(BM_SpawnJoin)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Yield(benchmark::State& state) {
  auto rt = Runtime::builder().worker_threads(1).build();
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      for (int i = 0; i < 1000; ++i) co_await zokio::yield_now();
    }());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_Yield)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Cross-worker wake: a task pinned to worker 0 spawns a task pinned to worker 1 and awaits it,
// so each item is a wake of worker 1 (inbox + eventfd) and a wake back of worker 0.
// Argument: the spin before parking, in microseconds (20 is the default, 0 disables it).
void BM_CrossWorkerWake(benchmark::State& state) {
  auto rt = Runtime::builder()
                .worker_threads(2)
                .spin_before_park(std::chrono::microseconds(state.range(0)))
                .build();
  for (auto _ : state) {
    auto h = rt.spawn_pinned(0, [](Runtime* rt) -> Task<void> {
      for (int i = 0; i < 100; ++i) {
        int v = co_await rt->spawn_pinned(1, trivial(i));
        benchmark::DoNotOptimize(v);
      }
    }(&rt));
    rt.block_on([](auto h) -> Task<void> { co_await h; }(std::move(h)));
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_CrossWorkerWake)->Arg(20)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();

// A worker task waits for a blocking-pool thread (spawn_blocking) 100 times.
void BM_SpawnBlocking(benchmark::State& state) {
  auto rt = Runtime::builder().worker_threads(1).build();
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      for (int i = 0; i < 100; ++i) {
        int v = co_await zokio::spawn_blocking([] { return 1; });
        benchmark::DoNotOptimize(v);
      }
    }());
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_SpawnBlocking)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_TimerWheelInsertFire(benchmark::State& state) {
  zokio::detail::TimerWheel wheel;
  std::vector<zokio::detail::TimerEntry> entries(1024);
  std::uint64_t now = 0;
  for (auto& e : entries) e.on_fire = [](zokio::detail::TimerEntry*) {};
  for (auto _ : state) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      entries[i].deadline = now + 1 + (i * 7919) % 5000;
      wheel.insert(&entries[i]);
    }
    now += 5001;
    benchmark::DoNotOptimize(wheel.advance_to(now));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long>(entries.size()));
}
BENCHMARK(BM_TimerWheelInsertFire);

void BM_EchoRoundTrip(benchmark::State& state) {
  auto rt = Runtime::builder().worker_threads(1).build();
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      auto listener = zokio::net::TcpListener::bind(
                          zokio::net::SocketAddr(zokio::net::IpAddr::v4_loopback(), 0))
                          .value();
      auto addr = listener.local_addr().value();
      auto server = zokio::spawn([](zokio::net::TcpListener l) -> Task<void> {
        auto a = co_await l.accept();
        char buf[64];
        for (;;) {
          auto n = co_await a->stream.read(buf, sizeof(buf));
          if (!n || *n == 0) co_return;
          (void)co_await a->stream.write_all(buf, *n);
        }
      }(std::move(listener)));
      auto client = (co_await zokio::net::TcpStream::connect(addr)).value();
      (void)client.set_nodelay(true);
      char buf[64] = "ping";
      for (int i = 0; i < 1000; ++i) {
        (void)co_await client.write_all(buf, 32);
        (void)co_await client.read_exact(buf, 32);
      }
      client.close();
      co_await server;
    }());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_EchoRoundTrip)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
