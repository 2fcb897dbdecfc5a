// A host evaluation recorded as the calls it made on HostBackend, and a per-thread
// memo of them keyed by the call's shapes. Where a plan has several steps or a
// GEMM step (a chain "ij,jk,kl->il", Tucker's mode products, a batched product
// with a permuted copy), a small einsum spends most of its time between the call
// and its kernels: the extents' checks, normalisation, the plan's lookup, each
// step's grouping of labels and collapsing of axes into matrices, the temporaries'
// layouts. None of it reads an element or a pointer's value: it follows from the
// operands' labels, extents and strides (nest_memo.hpp's CallKey), alpha and beta.
// So the first call of a shape on a thread records what the lowering asks of the
// backend (temporaries by size, loop nests prepared, GEMMs by their layouts), each
// pointer as a buffer (the destination, an input, a temporary) and an offset into
// it, and the calls after it replay those on their own pointers. 1 thread,
// bench/run alternating both builds (with the destination checked after the memos,
// execute.hpp): "ab,bc,cd,de->ae" 4 x 4 float 1040-1044 -> 117-141 ns a call
// (BLAS's three products in the best order: 56-61), 16 x 16 1235-1271 -> 329-366 ns
// (BLAS 212-236); (8,512,8,512,8) 2670 -> 1723-1907.
// Layer: backend.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "ein/backend/gemm.hpp"
#include "ein/backend/scratch.hpp"
#include "ein/lower/nest_memo.hpp"
#include "ein/tensor/view.hpp"

namespace ein::detail {

/// Where a recorded pointer lies: buffer 0 is the destination, 1 to n the inputs,
/// then the temporaries in the order they were made; offset in elements from the
/// buffer's data pointer.
struct BufferOffset {
  int buffer = -1;
  index_t offset = 0;
};

/// Operands a program is recorded for at most (the destination and the inputs): the
/// pairs of them that share a data pointer fit one 64-bit mask (55 pairs).
inline constexpr int program_max_buffers = 11;

/// Whether every pair of buffers in `sharing` (HostProgram::sharing's bits) has equal data pointers.
template <class T>
bool same_data(long long sharing, const Strided<const T>* ins, int n, const Strided<T>& dest) {
  int pair = 0;
  for (int i = 0; i <= n && sharing != 0; ++i)
    for (int j = i + 1; j <= n; ++j, ++pair)
      if (sharing >> pair & 1) {
        const T* data_i = i == 0 ? dest.data : ins[i - 1].data;
        if (data_i != ins[j - 1].data) return false;
      }
  return true;
}

/// For the tests: calls that replayed a program on this thread.
inline thread_local std::uint64_t host_program_replays = 0;

/// The calls one evaluation made on HostBackend, replayable on other pointers.
template <class T>
class HostProgram {
 public:
  /// Starts a recording of an evaluation of ins into dest (at most
  /// program_max_buffers operands), and finds which of them share elements: bit p
  /// of sharing() for the p-th pair (i < j) of the destination and the inputs whose
  /// data pointers are equal (a tensor given twice), whose pointers the recording
  /// puts in the first of the two. Where two overlap otherwise (a pointer could not
  /// be told apart) or one has no element (such a call is trivial anyway), the
  /// program is not replayable. Where none share, each pointer was told apart, so a
  /// replay is right whatever its own operands share; where some did, a replay needs
  /// those pairs equal again (same_data).
  void begin(const Strided<const T>* ins, int n, const Strided<T>& dest) {
    inputs_ = n;
    const auto add = [&](const auto& x) {
      const auto [first, end] = element_range(x.data, ix(x.rank), x.extents.data(), x.strides.data());
      replayable_ = replayable_ && first != end;
      span_.emplace_back(first, end);
      base_.push_back(x.data);
    };
    add(dest);
    for (int k = 0; k < n; ++k) add(ins[k]);
    int pair = 0;
    for (int i = 0; i <= n; ++i)
      for (int j = i + 1; j <= n; ++j, ++pair)
        if (ranges_overlap(span_[ix(i)].first, span_[ix(i)].second, span_[ix(j)].first, span_[ix(j)].second)) {
          replayable_ = replayable_ && base_[ix(i)] == base_[ix(j)];
          sharing_ |= 1LL << pair;
        }
  }
  /// Whether every pointer recorded lay in a buffer, told apart (else the program is not kept).
  [[nodiscard]] bool replayable() const { return replayable_; }
  /// The pairs of operands that shared a data pointer when recorded (see begin).
  [[nodiscard]] long long sharing() const { return sharing_; }

  // ---- recording: HostBackend calls these while `recording` points here ----
  void temporary(const Strided<T>& t) {
    const index_t count = t.size();
    temporaries_.push_back(count < 1 ? 1 : count);
    span_.emplace_back(t.data, t.data + temporaries_.back());
    base_.push_back(t.data);
  }
  /// Prepares, records and runs a loop nest (HostBackend::loop_n's).
  void loop(const Strided<const T>* ins, int n, const Strided<T>& out, T alpha, T beta) {
    Call c;
    c.kind = Call::Kind::loop;
    c.alpha = alpha;
    c.beta = beta;
    c.out = writable(out.data);
    c.inputs = n;
    for (int k = 0; k < n; ++k) c.in[ix(k)] = locate(ins[k].data);
    c.nest = std::make_unique<PreparedNest>();
    prepare_nest(*c.nest, ins, n, out);
    run_prepared<T>(*c.nest, out.data, data_of(ins, n).data(), alpha, beta);
    calls_.push_back(std::move(c));
  }
  /// Records a GEMM call (HostBackend::gemm runs it).
  void gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
            const MatrixLayout& lc, const BatchLoop& batch) {
    Call g;
    g.kind = Call::Kind::gemm;
    g.alpha = alpha;
    g.beta = beta;
    g.a = locate(a);
    g.b = locate(b);
    g.out = writable(c);
    g.la = la;
    g.lb = lb;
    g.lc = lc;
    g.batch = batch;
    calls_.push_back(std::move(g));
  }

  /// Runs the recorded calls on dest and ins (the call's data pointers, shaped as
  /// recorded), temporaries from this thread's pool.
  void replay(T* dest, const T* const* ins) const {
    ++host_program_replays;
    Scratch<T> scratch;
    std::array<T*, program_max_buffers + 4 * max_operands + 4> at;  // (Scratch's most temporaries)
    at[0] = dest;
    for (int k = 0; k < inputs_; ++k) at[ix(k + 1)] = const_cast<T*>(ins[k]);  // (read only: see writable)
    for (std::size_t t = 0; t < temporaries_.size(); ++t)
      at[ix(inputs_ + 1) + t] = scratch.allocate(temporaries_[t]);
    const auto ptr = [&](const BufferOffset& p) { return at[ix(p.buffer)] + p.offset; };
    for (const Call& c : calls_) {
      if (c.kind == Call::Kind::gemm) {
        batched_gemm<T>(c.alpha, ptr(c.a), c.la, ptr(c.b), c.lb, c.beta, ptr(c.out), c.lc, c.batch);
        continue;
      }
      std::array<const T*, max_operands> in;
      for (int k = 0; k < c.inputs; ++k) in[ix(k)] = ptr(c.in[ix(k)]);
      run_prepared<T>(*c.nest, ptr(c.out), in.data(), c.alpha, c.beta);
    }
  }

 private:
  struct Call {
    enum class Kind : unsigned char { loop, gemm } kind = Kind::loop;
    T alpha = T(1), beta = T(0);
    BufferOffset out;  // a loop's output, a GEMM's C
    BufferOffset a, b;  // a GEMM's operands
    MatrixLayout la{}, lb{}, lc{};
    BatchLoop batch;
    int inputs = 0;  // a loop's operands
    std::array<BufferOffset, max_operands> in{};
    std::unique_ptr<PreparedNest> nest;  // (~10 KB: on the heap, made once per recording)
  };

  /// The first buffer that holds p (a tensor given twice: the first of the two,
  /// which a replay has at the same address: same_data).
  BufferOffset locate(const T* p) {
    for (std::size_t i = 0; i < span_.size(); ++i)
      if (span_[i].first <= p && p < span_[i].second) return {int(i), p - base_[i]};
    replayable_ = false;
    return {};
  }
  /// locate, for a pointer written: the destination or a temporary, never an input.
  BufferOffset writable(const T* p) {
    const BufferOffset at = locate(p);
    if (at.buffer >= 1 && at.buffer <= inputs_) replayable_ = false;
    return at;
  }

  int inputs_ = 0;
  bool replayable_ = true;
  long long sharing_ = 0;
  std::vector<std::pair<const T*, const T*>> span_;  // each buffer's elements, [first, end), while recording
  std::vector<const T*> base_;                        // and its data pointer
  std::vector<index_t> temporaries_;                  // elements of each temporary
  std::vector<Call> calls_;
};

/// The programs of the last few calls on this thread, by shape, alpha and beta (and
/// the buffers they shared), replaced round-robin.
template <class T>
class HostProgramMemo {
 public:
  /// The program recorded for a call of `key`, alpha and beta on ins and dest, or null.
  [[nodiscard]] const HostProgram<T>* find(const CallKey& key, T alpha, T beta, const Strided<const T>* ins, int n,
                                           const Strided<T>& dest) const {
    for (const Entry& e : entries_)
      if (e.program && same_bits(e.alpha, alpha) && same_bits(e.beta, beta) && e.key == key &&
          same_data(e.sharing, ins, n, dest))
        return e.program.get();
    return nullptr;
  }
  void keep(const CallKey& key, T alpha, T beta, std::unique_ptr<HostProgram<T>> program) {
    Entry& e = entries_[ix(next_)];
    next_ = (next_ + 1) % entries;
    e.key = key;
    e.alpha = alpha;
    e.beta = beta;
    e.sharing = program->sharing();
    e.program = std::move(program);
  }

 private:
  static bool same_bits(T x, T y) { return std::memcmp(&x, &y, sizeof(T)) == 0; }
  static constexpr int entries = 8;
  struct Entry {
    CallKey key;
    T alpha, beta;
    long long sharing = -1;
    std::unique_ptr<HostProgram<T>> program;
  };
  std::array<Entry, entries> entries_{};
  int next_ = 0;
};

/// This thread's memo of programs.
template <class T>
HostProgramMemo<T>& host_program_memo() {
  thread_local HostProgramMemo<T> memo;
  return memo;
}

}  // namespace ein::detail
