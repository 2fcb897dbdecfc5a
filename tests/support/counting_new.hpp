// Counts a test program's heap allocations: replaces the global operator new
// (plain, array, aligned, nothrow) and delete with ones that count each call and
// allocate with malloc. Include it in one translation unit of the program.
// A program that also wraps malloc (the linker's --wrap=malloc, which would count
// operator new's own malloc a second time) defines EIN_TEST_UNWRAPPED_MALLOC and
// EIN_TEST_UNWRAPPED_ALIGNED_ALLOC as the functions under the wrap, before this
// header. Layer: test support.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#ifndef EIN_TEST_UNWRAPPED_MALLOC
#define EIN_TEST_UNWRAPPED_MALLOC std::malloc
#define EIN_TEST_UNWRAPPED_ALIGNED_ALLOC std::aligned_alloc
#endif

namespace ein::test {

/// Every operator new of this program so far (and whatever else a test counts).
inline std::atomic<long> heap_allocations{0};

/// Allocations made while running f.
template <class F>
long allocations_in(F&& f) {
  const long before = heap_allocations.load();
  f();
  return heap_allocations.load() - before;
}

inline void* counted_new(std::size_t size, std::size_t alignment) noexcept {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) return EIN_TEST_UNWRAPPED_MALLOC(size);
  return EIN_TEST_UNWRAPPED_ALIGNED_ALLOC(alignment, (size + alignment - 1) / alignment * alignment);
}
inline void* counted_new_or_throw(std::size_t size, std::size_t alignment) {
  if (void* p = counted_new(size, alignment)) return p;
  throw std::bad_alloc();
}

}  // namespace ein::test

void* operator new(std::size_t n) { return ein::test::counted_new_or_throw(n, 0); }
void* operator new[](std::size_t n) { return ein::test::counted_new_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return ein::test::counted_new_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return ein::test::counted_new_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return ein::test::counted_new(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return ein::test::counted_new(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ein::test::counted_new(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ein::test::counted_new(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
