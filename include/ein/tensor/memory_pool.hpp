// The memory pool behind host tensors and tape nodes: a freed block is kept, by
// size, for the next request of that size. A training step whose shapes repeat
// therefore asks the system for nothing after its first run; without it, every
// step made ~60 heap allocations, and at N = H = 1024 about half the step was
// page faults of fresh multi-MiB tensors that glibc had handed back to the kernel.
//
// Policy (measured by bytes, 64-byte granules):
//   - a request takes a cached block of its exact granule count, else a new one;
//   - the cache holds at most twice the peak of the bytes in use, plus 16 MiB: a
//     freed block that would go past that first evicts the least recently used
//     sizes (a batch size that changed leaves its old sizes behind), and goes back
//     to the system itself if that is not enough. So shapes that change every
//     step cost the system allocations they cost without a pool, never a leak.
// ein::release_cached_memory() hands every cached block back (torch's
// empty_cache()); ein::memory_pool_stats() reports the counts. Layer: tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define EIN_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EIN_POOL_ASAN 1
#endif
#endif
#ifdef EIN_POOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace ein {

/// What the host memory pool holds (bytes rounded up to 64).
struct MemoryPoolStats {
  std::size_t in_use_bytes = 0;       // in tensors and nodes alive now
  std::size_t cached_bytes = 0;       // freed, kept for reuse
  std::size_t peak_in_use_bytes = 0;  // since the start or the last release_cached_memory()
  std::size_t system_allocations = 0; // blocks taken from the system so far
};

namespace detail {

class MemoryPool {
 public:
  static constexpr std::size_t granule = 64;  // also the alignment of every block (a cache line)

  /// The pool every host tensor and node uses. Never destroyed: a static tensor
  /// may be freed after every other static object has gone.
  static MemoryPool& global() {
    alignas(MemoryPool) static unsigned char storage[sizeof(MemoryPool)];
    static MemoryPool* pool = new (storage) MemoryPool();
    return *pool;
  }

  /// A block of at least `bytes` (> 0), aligned to 64 bytes.
  void* allocate(std::size_t bytes) {
    const std::size_t size = rounded(bytes);
    {
      const std::lock_guard lock(mutex_);
      note_in_use(size);
      if (Bin* bin = find(size); bin != nullptr && bin->head != nullptr) {
        void* block = bin->head;
        bin->head = next_of(block);
        bin->used = ++tick_;
        cached_ -= size;
        unpoison(block, bytes);  // (the granule's tail stays poisoned: reading past the tensor is reported)
        return block;
      }
      ++system_allocations_;
    }
    try {
      void* block = ::operator new(size, std::align_val_t{granule});
      poison(static_cast<char*>(block) + bytes, size - bytes);
      return block;
    } catch (...) {
      const std::lock_guard lock(mutex_);
      in_use_ -= size;
      throw;
    }
  }

  /// Returns a block of `bytes` (as asked of allocate) to the cache.
  void free(void* block, std::size_t bytes) noexcept {
    if (block == nullptr) return;
    const std::size_t size = rounded(bytes);
    {
      const std::lock_guard lock(mutex_);
      in_use_ -= size;
      if (make_room(size)) {
        Bin* bin = find_or_add(size);
        if (bin != nullptr) {
          unpoison(block, sizeof(void*));  // (a tensor of fewer bytes left part of it poisoned)
          set_next(block, bin->head);
          poison(static_cast<char*>(block) + sizeof(void*), size - sizeof(void*));
          bin->head = block;
          bin->used = ++tick_;
          cached_ += size;
          return;
        }
      }
    }
    unpoison(block, size);
    ::operator delete(block, std::align_val_t{granule});
  }

  /// Hands every cached block back to the system; the peak restarts from now.
  void release() noexcept {
    const std::lock_guard lock(mutex_);
    while (bin_count_ > 0) evict(bin_count_ - 1);
    peak_ = in_use_;
  }

  [[nodiscard]] MemoryPoolStats stats() {
    const std::lock_guard lock(mutex_);
    return {in_use_, cached_, peak_, system_allocations_};
  }

 private:
  struct Bin {
    std::size_t size;  // bytes of each block
    void* head;        // the free list, linked through the blocks' first bytes
    std::uint64_t used;
  };
  static constexpr std::size_t max_bins = 64;
  static constexpr std::size_t headroom = std::size_t(16) << 20;

  MemoryPool() = default;

  static std::size_t rounded(std::size_t bytes) { return (bytes + granule - 1) / granule * granule; }

  void note_in_use(std::size_t size) {
    in_use_ += size;
    if (in_use_ > peak_) peak_ = in_use_;
  }
  Bin* find(std::size_t size) {
    for (std::size_t i = 0; i < bin_count_; ++i)
      if (bins_[i].size == size) return &bins_[i];
    return nullptr;
  }
  Bin* find_or_add(std::size_t size) {
    if (Bin* bin = find(size)) return bin;
    if (bin_count_ == max_bins) evict(least_recent(0));  // (no bin has size 0: one is always evicted)
    bins_[bin_count_] = {size, nullptr, tick_};
    return &bins_[bin_count_++];
  }
  /// Whether `size` more bytes fit the cache, after evicting the least recently
  /// used sizes other than `size` itself where needed.
  bool make_room(std::size_t size) {
    const std::size_t limit = 2 * peak_ + headroom;
    while (cached_ + size > limit) {
      const std::size_t victim = least_recent(size);
      if (victim == bin_count_) return false;
      evict(victim);
    }
    return true;
  }
  /// The least recently used size other than `spare` bytes (bin_count_ when
  /// there is none); evicting a size with no blocks cached only frees its entry.
  std::size_t least_recent(std::size_t spare) const {
    std::size_t best = bin_count_;
    for (std::size_t i = 0; i < bin_count_; ++i)
      if (bins_[i].size != spare && (best == bin_count_ || bins_[i].used < bins_[best].used)) best = i;
    return best;
  }
  void evict(std::size_t i) noexcept {
    for (void* block = bins_[i].head; block != nullptr;) {
      void* next = next_of(block);
      unpoison(block, bins_[i].size);
      ::operator delete(block, std::align_val_t{granule});
      cached_ -= bins_[i].size;
      block = next;
    }
    bins_[i] = bins_[--bin_count_];
  }

  // A cached block's first bytes hold the next one. Under AddressSanitizer the
  // rest is poisoned, so a use of a freed tensor past its first 8 bytes is still
  // reported; the link itself is not (LeakSanitizer skips poisoned memory, and
  // would report every cached block behind the first of its size as leaked).
  static void* next_of(void* block) { return *static_cast<void**>(block); }
  static void set_next(void* block, void* next) { *static_cast<void**>(block) = next; }
  static void poison([[maybe_unused]] void* block, [[maybe_unused]] std::size_t size) {
#ifdef EIN_POOL_ASAN
    ASAN_POISON_MEMORY_REGION(block, size);
#endif
  }
  static void unpoison([[maybe_unused]] void* block, [[maybe_unused]] std::size_t size) {
#ifdef EIN_POOL_ASAN
    ASAN_UNPOISON_MEMORY_REGION(block, size);
#endif
  }

  std::mutex mutex_;
  Bin bins_[max_bins]{};
  std::size_t bin_count_ = 0;
  std::size_t cached_ = 0, in_use_ = 0, peak_ = 0, system_allocations_ = 0;
  std::uint64_t tick_ = 0;
};

/// A standard allocator over the pool (tape nodes through std::allocate_shared,
/// the tape's work lists), so that they too come from cached blocks.
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}  // NOLINT: rebinding, as std::allocator
  static_assert(alignof(T) <= MemoryPool::granule, "PoolAllocator: over-aligned type");
  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(MemoryPool::global().allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { MemoryPool::global().free(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
};

/// A std::vector whose storage comes from the pool.
template <class T>
using pooled_vector = std::vector<T, PoolAllocator<T>>;

}  // namespace detail

/// The host memory pool's counts (see memory_pool.hpp).
inline MemoryPoolStats memory_pool_stats() { return detail::MemoryPool::global().stats(); }
/// Hands every block the host memory pool has cached back to the system.
inline void release_cached_memory() { detail::MemoryPool::global().release(); }

}  // namespace ein
