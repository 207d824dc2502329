// Coroutine frame allocation. Frames are allocated and freed at a high rate (one per task and
// per awaited sub-task), so each thread keeps small free lists per 64-byte size class and
// reuses blocks instead of going to malloc. A block freed on another thread simply joins that
// thread's cache. Sanitizer builds bypass the cache so use-after-free stays detectable.
#include <cstddef>
#include <cstdlib>
#include <new>

#include "zokio/task.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ZOKIO_FRAME_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ZOKIO_FRAME_CACHE 0
#endif
#endif
#ifndef ZOKIO_FRAME_CACHE
#define ZOKIO_FRAME_CACHE 1
#endif

namespace zokio::detail {

namespace {

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 32;  // frames up to 2 KiB are cached
constexpr std::size_t kMaxCachedPerClass = 256;

struct FreeBlock {
  FreeBlock* next;
};

struct FrameCache {
  FreeBlock* heads[kClasses] = {};
  std::size_t counts[kClasses] = {};
  ~FrameCache() {
    for (auto*& head : heads) {
      while (head) ::operator delete(std::exchange(head, head->next));
    }
  }
};

thread_local FrameCache tl_cache;

[[maybe_unused]] std::size_t class_of(std::size_t size) noexcept {  // unused in sanitizer builds
  return (size + kGranule - 1) / kGranule - 1;
}

}  // namespace

void* frame_alloc(std::size_t size) {
  if constexpr (ZOKIO_FRAME_CACHE) {
    std::size_t c = class_of(size);
    if (c < kClasses) {
      if (FreeBlock* b = tl_cache.heads[c]) {
        tl_cache.heads[c] = b->next;
        --tl_cache.counts[c];
        return b;
      }
      return ::operator new((c + 1) * kGranule);
    }
  }
  return ::operator new(size);
}

void frame_free(void* ptr, std::size_t size) noexcept {
  if constexpr (ZOKIO_FRAME_CACHE) {
    std::size_t c = class_of(size);
    if (c < kClasses && tl_cache.counts[c] < kMaxCachedPerClass) {
      auto* b = static_cast<FreeBlock*>(ptr);
      b->next = tl_cache.heads[c];
      tl_cache.heads[c] = b;
      ++tl_cache.counts[c];
      return;
    }
  }
  ::operator delete(ptr);
}

}  // namespace zokio::detail
