// IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed:
// read_bytes (gunzips through zlib), parse_idx (checks the header against the
// data) and read_idx_images / read_idx_labels (u8 arrays). Layer: data, beside
// nn/optim; needs zlib (link ZLIB::ZLIB).
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

/// Closes a gzFile on every path out.
struct GzCloser {
  gzFile file;
  ~GzCloser() {
    if (file) gzclose(file);
  }
};
}  // namespace detail

/// The bytes of a file, gunzipped when it starts with the gzip magic (1f 8b);
/// any other file is read as it is. A truncated or corrupt gzip stream (bad
/// header, bad deflate data, CRC or length mismatch) throws data_error.
inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) detail::fail(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) detail::fail(path, "is a directory, not a file");
  // The size to expect: the file's, or for gzip the length its trailer records (mod 2^32), a hint only.
  std::size_t expect = static_cast<std::size_t>(std::filesystem::file_size(path, ec));
  if (ec) expect = 0;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    unsigned char head[2] = {0, 0}, tail[4] = {0, 0, 0, 0};
    if (expect >= 18 && std::fread(head, 1, 2, f) == 2 && head[0] == 0x1f && head[1] == 0x8b &&
        std::fseek(f, -4, SEEK_END) == 0 && std::fread(tail, 1, 4, f) == 4) {
      const std::size_t isize = tail[0] | (std::size_t{tail[1]} << 8) | (std::size_t{tail[2]} << 16) |
                                (std::size_t{tail[3]} << 24);
      expect = std::min(isize, expect * 1032);  // deflate never compresses better than 1032:1
    }
    std::fclose(f);
  }
  // gzread passes a file without the gzip magic through unchanged, so one path reads both kinds.
  detail::GzCloser gz{gzopen(path.c_str(), "rb")};
  if (!gz.file) detail::fail(path, std::string("cannot open: ") + std::strerror(errno));
  gzbuffer(gz.file, 1 << 17);
  // Reserved, not filled: a damaged trailer may claim up to 4 GiB; the pages are touched only as data arrives.
  std::vector<std::uint8_t> bytes;
  bytes.reserve(std::min<std::size_t>(expect, std::size_t{1} << 30) + 1);  // +1: the end is a read that returns 0
  std::size_t used = 0;
  constexpr std::size_t chunk = 1u << 20, max_read = 1u << 30;  // gzread counts in unsigned int
  while (true) {
    if (used == bytes.size())
      bytes.resize(used + (bytes.capacity() > used ? std::min(bytes.capacity() - used, 16 * chunk) : used + chunk));
    const int got = gzread(gz.file, bytes.data() + used, static_cast<unsigned>(std::min(bytes.size() - used, max_read)));
    if (got < 0) detail::fail(path, "corrupt gzip data (" + detail::zlib_message(gz.file, path) + ")");
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
  }
  bytes.resize(used);
  // A stream cut short reads as a short final chunk; zlib reports it only through gzerror.
  int code = Z_OK;
  gzerror(gz.file, &code);
  if (code != Z_OK) detail::fail(path, "truncated or corrupt gzip data (" + detail::zlib_message(gz.file, path) + ")");
  return bytes;
}

/// Parses IDX bytes: checks the magic number, that the extents fit and that
/// the data is exactly as long as they say. `path` names the file in errors.
inline IdxArray parse_idx(std::vector<std::uint8_t> bytes, const std::filesystem::path& path) {
  if (bytes.size() < 4)
    detail::fail(path, "too short for an IDX header (" + std::to_string(bytes.size()) + " bytes, need at least 4)");
  const std::uint32_t magic = detail::big_endian_u32(bytes.data());
  const int size = detail::element_size(bytes[2]);
  const int rank = bytes[3];
  if (bytes[0] != 0 || bytes[1] != 0 || size == 0 || rank == 0)
    detail::fail(path, "bad magic number " + detail::hex32(magic) +
                           " (an IDX file starts 0x0000TTDD: TT the element type 08/09/0B/0C/0D/0E, DD the rank)");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(rank);
  if (bytes.size() < header)
    detail::fail(path, "truncated header: " + std::to_string(rank) + " extents need " + std::to_string(header) +
                           " bytes, the file has " + std::to_string(bytes.size()));
  IdxArray out;
  out.type = static_cast<IdxType>(bytes[2]);
  std::uint64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    const std::uint32_t e = detail::big_endian_u32(bytes.data() + 4 + 4 * d);
    out.extents.push_back(static_cast<index_t>(e));
    if (e != 0 && count > (std::uint64_t{1} << 40) / e)
      detail::fail(path, "extents too large (" + std::to_string(e) + " at dimension " + std::to_string(d) + ")");
    count *= e;
  }
  const std::uint64_t expected = count * static_cast<std::uint64_t>(size);
  const std::uint64_t actual = bytes.size() - header;
  if (actual < expected)
    detail::fail(path, "truncated: the header promises " + std::to_string(expected) + " bytes of data, the file has " +
                           std::to_string(actual));
  if (actual > expected)
    detail::fail(path, std::to_string(actual - expected) + " bytes after the " + std::to_string(expected) +
                           " bytes of data the header promises");
  out.file = std::move(bytes);
  out.header = header;
  return out;
}

/// Reads an IDX file, plain or gzip-compressed.
inline IdxArray read_idx(const std::filesystem::path& path) {
  return parse_idx(read_bytes(path), path);
}

namespace detail {
inline IdxArray read_idx_expecting(const std::filesystem::path& path, std::uint32_t magic, const char* what) {
  IdxArray a = read_idx(path);
  const std::uint32_t got = (std::uint32_t{static_cast<std::uint8_t>(a.type)} << 8) | std::uint32_t(a.extents.size());
  if (got != magic)
    fail(path, "magic number " + hex32(got) + " where " + what + " have " + hex32(magic));
  return a;
}
}  // namespace detail

/// Images: magic 0x00000803, u8 [N, rows, cols].
inline Tensor<std::uint8_t, 3> read_idx_images(const std::filesystem::path& path) {
  IdxArray a = detail::read_idx_expecting(path, idx_images_magic, "images (u8, 3 dimensions)");
  Tensor<std::uint8_t, 3> out(a.extents[0], a.extents[1], a.extents[2]);
  std::copy_n(a.elements().data(), out.size(), out.data());
  return out;
}

/// Labels: magic 0x00000801, u8 [N].
inline Tensor<std::uint8_t, 1> read_idx_labels(const std::filesystem::path& path) {
  IdxArray a = detail::read_idx_expecting(path, idx_labels_magic, "labels (u8, 1 dimension)");
  Tensor<std::uint8_t, 1> out(a.extents[0]);
  std::copy_n(a.elements().data(), out.size(), out.data());
  return out;
}

}  // namespace ein::data
