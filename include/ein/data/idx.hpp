// IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed:
// read_idx streams a file through zlib, checks the header first and reads
// exactly the elements it promises, so a gzip bomb or an endless file (a pipe,
// /dev/zero) costs a header and one probe past the end, never more than the
// header promises; read_idx_images / read_idx_labels (u8 arrays) check the
// magic number before any element is read. read_bytes and parse_idx are the
// in-memory pair (any file, capped). Layer: data, beside nn/optim; needs zlib
// (link ein::data).
//
// An IDX file is a 4-byte magic number 0x0000TTDD (TT the element type, DD the
// number of dimensions), DD big-endian u32 extents, then the elements in
// row-major order. MNIST images are 0x00000803 (u8, N x 28 x 28) and labels
// 0x00000801 (u8, N).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <zlib.h>

#include "ein/tensor/tensor.hpp"

namespace ein::data {

/// Thrown for a missing, unreadable, truncated or corrupt data file. The
/// message names the file and the problem.
class data_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// IDX element types (the third byte of the magic number).
enum class IdxType : std::uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

inline constexpr std::uint32_t idx_images_magic = 0x00000803;  // u8, 3 dimensions
inline constexpr std::uint32_t idx_labels_magic = 0x00000801;  // u8, 1 dimension

/// One IDX array: its element type, extents and the file's bytes; elements()
/// are the raw elements after the header (big-endian for types wider than a
/// byte, as in the file).
struct IdxArray {
  IdxType type = IdxType::u8;
  std::vector<index_t> extents;
  std::vector<std::uint8_t> file;  // header and elements
  std::size_t header = 0;          // bytes before the first element

  [[nodiscard]] std::span<const std::uint8_t> elements() const {
    return std::span<const std::uint8_t>(file).subspan(header);
  }
};

namespace detail {
// Appends rather than `"'" + path.string() + "'"`, which g++ 12 -O3 flags with a false
// -Wrestrict (GCC bug 105329).
inline std::string quoted(const std::filesystem::path& path) {
  std::string out(1, '\'');
  out += path.string();
  out += '\'';
  return out;
}

[[noreturn]] inline void fail(const std::filesystem::path& path, const std::string& problem) {
  throw data_error("IDX file " + quoted(path) + ": " + problem);
}

inline std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

inline int element_size(std::uint8_t type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

inline std::string hex32(std::uint32_t v) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08X", v);
  return text;
}

/// zlib's message without the file name it puts in front.
inline std::string zlib_message(gzFile file, const std::filesystem::path& path) {
  int code = 0;
  std::string what = gzerror(file, &code);
  const std::string prefix = path.string() + ": ";
  if (what.starts_with(prefix)) what.erase(0, prefix.size());
  return "zlib: " + what;
}

inline void check_path(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a file");
}

/// A file read through zlib: gzip data is inflated, anything else passes
/// through unchanged (gzdirect), so one path reads both kinds. Reads in
/// bounded chunks; a truncated or corrupt gzip stream (bad header, bad deflate
/// data, CRC or length mismatch) throws data_error.
class GzSource {
 public:
  explicit GzSource(const std::filesystem::path& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) fail(path, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(file_, 1 << 17);
  }
  ~GzSource() { gzclose(file_); }
  GzSource(const GzSource&) = delete;
  GzSource& operator=(const GzSource&) = delete;

  /// Reads up to n bytes into dst; fewer only at the end of the data.
  std::size_t read(std::uint8_t* dst, std::size_t n) {
    constexpr std::size_t max_read = std::size_t{1} << 30;  // gzread counts in int
    std::size_t used = 0;
    while (used < n) {
      const int got = gzread(file_, dst + used, static_cast<unsigned>(std::min(n - used, max_read)));
      if (got < 0) fail(path_, "corrupt gzip data (" + zlib_message(file_, path_) + ")");
      if (got == 0) break;
      used += static_cast<std::size_t>(got);
    }
    if (used < n) {  // a stream cut short reads as a short read; zlib reports it only through gzerror
      int code = Z_OK;
      gzerror(file_, &code);
      if (code != Z_OK) fail(path_, "truncated or corrupt gzip data (" + zlib_message(file_, path_) + ")");
    }
    return used;
  }

  /// The file's size when it is a plain regular file (read as it is), else
  /// nothing: a gzip stream's length is known only at its end, a pipe's never.
  /// Valid after the first read.
  [[nodiscard]] std::optional<std::uint64_t> plain_size() const {
    std::error_code ec;
    if (!gzdirect(file_) || !std::filesystem::is_regular_file(path_, ec)) return std::nullopt;
    const std::uintmax_t size = std::filesystem::file_size(path_, ec);
    if (ec) return std::nullopt;
    return size;
  }

 private:
  std::filesystem::path path_;
  gzFile file_;
};

/// The element size of a magic number, after checking it.
inline int check_magic(const std::uint8_t* magic, const std::filesystem::path& path) {
  const int size = element_size(magic[2]);
  if (magic[0] != 0 || magic[1] != 0 || size == 0 || magic[3] == 0)
    fail(path, "bad magic number " + hex32(big_endian_u32(magic)) +
                   " (an IDX file starts 0x0000TTDD: TT the element type 08/09/0B/0C/0D/0E, DD the rank)");
  return size;
}

/// The extents of a header (magic, then one big-endian u32 per dimension) and
/// the bytes of data they promise, at most 2^40 elements.
inline std::uint64_t header_extents(const std::uint8_t* header, int size, std::vector<index_t>& extents,
                                    const std::filesystem::path& path) {
  std::uint64_t count = 1;
  for (int d = 0; d < header[3]; ++d) {
    const std::uint32_t e = big_endian_u32(header + 4 + 4 * d);
    extents.push_back(static_cast<index_t>(e));
    if (e != 0 && count > (std::uint64_t{1} << 40) / e)
      fail(path, "extents too large (" + std::to_string(e) + " at dimension " + std::to_string(d) + ")");
    count *= e;
  }
  return count * static_cast<std::uint64_t>(size);
}

[[noreturn]] inline void fail_truncated(const std::filesystem::path& path, std::uint64_t expected,
                                        std::uint64_t actual) {
  fail(path, "truncated: the header promises " + std::to_string(expected) + " bytes of data, the file has " +
                 std::to_string(actual));
}

[[noreturn]] inline void fail_trailing(const std::filesystem::path& path, std::uint64_t expected, std::string extra) {
  fail(path, extra + " bytes after the " + std::to_string(expected) + " bytes of data the header promises");
}

}  // namespace detail

/// The most bytes of data (elements, or a whole file for read_bytes) the
/// readers accept unless given another limit: 1 GiB, 20 times Fashion-MNIST's
/// training images (47 MB) and twice EMNIST's largest file (550 MB). A header
/// promising more is rejected before anything is allocated.
inline constexpr std::uint64_t idx_max_bytes = std::uint64_t{1} << 30;

/// The bytes of a file, gunzipped when it starts with the gzip magic (1f 8b);
/// any other file is read as it is. Throws data_error for a truncated or
/// corrupt gzip stream and for more than max_bytes bytes (after inflating),
/// having read at most max_bytes + 1 of them.
inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path,
                                            std::uint64_t max_bytes = idx_max_bytes) {
  detail::check_path(path);
  detail::GzSource source(path);
  const std::size_t limit =
      static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, std::numeric_limits<std::size_t>::max() - 1));
  std::vector<std::uint8_t> bytes;
  constexpr std::size_t chunk = std::size_t{1} << 20;
  while (true) {
    // Grows by doubling, so memory follows the data that arrives, not a size the file claims.
    const std::size_t used = bytes.size();
    const std::size_t want = std::min(std::max(used, chunk), limit + 1 - used);
    bytes.resize(used + want);
    const std::size_t got = source.read(bytes.data() + used, want);
    bytes.resize(used + got);
    if (got < want) break;
    if (bytes.size() > limit)
      detail::fail(path, "more than " + std::to_string(limit) + " bytes, the limit (max_bytes)");
  }
  return bytes;
}

/// Parses IDX bytes: checks the magic number, that the extents fit and that
/// the data is exactly as long as they say. `path` names the file in errors.
inline IdxArray parse_idx(std::vector<std::uint8_t> bytes, const std::filesystem::path& path) {
  if (bytes.size() < 4)
    detail::fail(path, "too short for an IDX header (" + std::to_string(bytes.size()) + " bytes, need at least 4)");
  const int size = detail::check_magic(bytes.data(), path);
  const int rank = bytes[3];
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(rank);
  if (bytes.size() < header)
    detail::fail(path, "truncated header: " + std::to_string(rank) + " extents need " + std::to_string(header) +
                           " bytes, the file has " + std::to_string(bytes.size()));
  IdxArray out;
  out.type = static_cast<IdxType>(bytes[2]);
  const std::uint64_t expected = detail::header_extents(bytes.data(), size, out.extents, path);
  const std::uint64_t actual = bytes.size() - header;
  if (actual < expected) detail::fail_truncated(path, expected, actual);
  if (actual > expected) detail::fail_trailing(path, expected, std::to_string(actual - expected));
  out.file = std::move(bytes);
  out.header = header;
  return out;
}

namespace detail {
/// read_idx, checking the magic number against `magic` (unless 0) before the
/// extents are read. The stream is read in order and never past what the
/// header promises, plus one probe of at most 4 KiB for trailing data:
///   1. the magic number (4 bytes): a known type and rank, the one expected;
///   2. the extents (4 bytes each): at most 2^40 elements, max_bytes bytes;
///   3. the elements, into a buffer reserved for them and filled in chunks
///      (a plain file of the wrong size is rejected before any is read);
///   4. the probe: any byte there is an error; for gzip, reaching the end of
///      the stream is also what checks its CRC and length.
inline IdxArray read_idx_expecting(const std::filesystem::path& path, std::uint32_t magic, const char* what,
                                   std::uint64_t max_bytes = idx_max_bytes) {
  check_path(path);
  GzSource source(path);
  IdxArray out;
  out.file.resize(4);
  if (const std::size_t got = source.read(out.file.data(), 4); got < 4)
    fail(path, "too short for an IDX header (" + std::to_string(got) + " bytes, need at least 4)");
  const int size = check_magic(out.file.data(), path);
  const std::uint32_t found = big_endian_u32(out.file.data());
  if (magic != 0 && found != magic)
    fail(path, "magic number " + hex32(found) + " where " + what + " have " + hex32(magic));
  const int rank = out.file[3];
  out.type = static_cast<IdxType>(out.file[2]);
  out.header = 4 + 4 * static_cast<std::size_t>(rank);
  out.file.resize(out.header);
  if (const std::size_t got = source.read(out.file.data() + 4, out.header - 4); got < out.header - 4)
    fail(path, "truncated header: " + std::to_string(rank) + " extents need " + std::to_string(out.header) +
                   " bytes, the file has " + std::to_string(4 + got));
  const std::uint64_t expected = header_extents(out.file.data(), size, out.extents, path);
  if (expected > max_bytes || expected > std::numeric_limits<std::size_t>::max() - out.header)
    fail(path, "the header promises " + std::to_string(expected) + " bytes of data, more than the limit of " +
                   std::to_string(max_bytes) + " (max_bytes)");
  const std::size_t total = out.header + static_cast<std::size_t>(expected);
  // A plain file's size says it all: a wrong one is rejected before any element is read.
  const std::optional<std::uint64_t> plain = source.plain_size();
  if (plain && *plain < total) fail_truncated(path, expected, *plain - out.header);
  if (plain && *plain > total) fail_trailing(path, expected, std::to_string(*plain - total));

  // Reserved at once (address space only, never copied), filled in chunks: the
  // pages a stream that ends early costs are those of the data that came, plus
  // one chunk. A plain file of the right size is read in one go.
  out.file.reserve(total);
  const std::size_t chunk = plain ? total : std::size_t{16} << 20;
  while (out.file.size() < total) {
    const std::size_t at = out.file.size();
    const std::size_t want = std::min(chunk, total - at);
    out.file.resize(at + want);
    if (const std::size_t got = source.read(out.file.data() + at, want); got < want)
      fail_truncated(path, expected, at + got - out.header);
  }

  std::uint8_t probe[4096];
  if (const std::size_t extra = source.read(probe, sizeof probe); extra > 0)
    fail_trailing(path, expected, extra < sizeof probe ? std::to_string(extra) : "at least " + std::to_string(extra));
  return out;
}
}  // namespace detail

/// Reads an IDX file, plain or gzip-compressed, streaming: the header is read
/// and checked first, then exactly the elements it promises; more data after
/// them is an error. A header promising more than max_bytes of elements is
/// rejected before any is read.
inline IdxArray read_idx(const std::filesystem::path& path, std::uint64_t max_bytes = idx_max_bytes) {
  return detail::read_idx_expecting(path, 0, nullptr, max_bytes);
}

/// Images: magic 0x00000803, u8 [N, rows, cols].
inline Tensor<std::uint8_t, 3> read_idx_images(const std::filesystem::path& path,
                                               std::uint64_t max_bytes = idx_max_bytes) {
  IdxArray a = detail::read_idx_expecting(path, idx_images_magic, "images (u8, 3 dimensions)", max_bytes);
  Tensor<std::uint8_t, 3> out(a.extents[0], a.extents[1], a.extents[2]);
  std::copy_n(a.elements().data(), out.size(), out.data());
  return out;
}

/// Labels: magic 0x00000801, u8 [N].
inline Tensor<std::uint8_t, 1> read_idx_labels(const std::filesystem::path& path,
                                               std::uint64_t max_bytes = idx_max_bytes) {
  IdxArray a = detail::read_idx_expecting(path, idx_labels_magic, "labels (u8, 1 dimension)", max_bytes);
  Tensor<std::uint8_t, 1> out(a.extents[0]);
  std::copy_n(a.elements().data(), out.size(), out.data());
  return out;
}

}  // namespace ein::data
